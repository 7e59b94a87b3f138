"""The glossary in code and in the README say the same thing."""

from __future__ import annotations

from pathlib import Path

from ro_core.metrics.catalog import METRICS, glossary_markdown, help_text

DOC = Path(__file__).resolve().parents[2] / "README.md"

REQUIRED = (
    "sessions", "visitors", "orders", "revenue", "conversion_rate", "aov", "rpv",
    "revenue_per_visitor",
)  # fmt: skip


def test_every_required_definition_exists() -> None:
    for key in REQUIRED:
        assert key in METRICS and help_text(key)
    assert "converted sessions / sessions" in METRICS["conversion_rate"].formula
    assert help_text("no_such_metric") == ""


def test_doc_holds_the_glossary_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    for line in glossary_markdown().splitlines():
        assert line in text, line
