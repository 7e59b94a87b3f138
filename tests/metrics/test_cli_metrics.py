"""The metrics subcommands: text, JSON, and clear errors for bad input."""

from __future__ import annotations

import argparse
import json

import pytest

from ro_core.cli import build_parser, main
from ro_core.errors import InvalidInputError
from ro_core.store.db import reset_databases


@pytest.fixture
def store_path(small_store):
    small_store.close()
    yield str(small_store.path)
    reset_databases()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_kpis_json_top_level_keys(store_path, capsys) -> None:
    code, out, _ = _run(
        capsys, "--json", "--db", store_path, "kpis", "--start", "2024-03-04", "--end", "2024-03-10"
    )
    assert code == 0
    data = json.loads(out)
    assert data["sessions"] == 700 and data["orders"] == 4
    assert data["revenue"] == pytest.approx(220)
    assert data["conversion_rate"] == pytest.approx(3 / 700)
    assert data["aov"] == pytest.approx(55)
    assert data["rpv"] == pytest.approx(180 / 700)
    assert data["comparison"]["revenue"] == pytest.approx(200)


def test_kpis_options_after_the_subcommand(store_path, capsys) -> None:
    code, out, _ = _run(
        capsys, "--db", store_path, "kpis", "--start", "2024-03-04", "--end", "2024-03-10",
        "--basis", "net", "--include-cancelled", "--channels", "web,pos", "--compare", "year",
        "--json",
    )  # fmt: skip
    data = json.loads(out)
    # net: 100 + 30 + 40 + 30, plus cancelled #1003 80 and voided #1008 25
    assert data["revenue"] == pytest.approx(200 + 80 + 25)
    assert data["online_orders"] == 6
    assert data["compare"] == "year" and data["comparison"]["orders"] is None


def test_text_output_of_every_command(store_path, capsys) -> None:
    span = ("--start", "2024-03-04", "--end", "2024-03-17")
    commands = [
        ("kpis", *span),
        ("trend", "--metric", "cr", "--grain", "week", *span, "--compare", "previous"),
        ("funnel", *span),
        ("funnel", "--events", "--open", *span),
        ("segments", "--by", "channel", *span),
        ("decompose", *span, "--vs-start", "2024-02-19", "--vs-end", "2024-03-03"),
        ("opportunities", *span),
    ]
    for command in commands:
        code, out, err = _run(capsys, "--db", store_path, *command)
        assert code == 0, (command, err)
        assert out.strip()
    code, out, _ = _run(capsys, "--db", store_path, "kpis", *span)
    # web orders #1001, #1002, #1006, #1007, #1010 over 1400 sessions
    assert "Conversion rate" in out and "0.36%" in out


def test_every_command_prints_valid_json(store_path, capsys) -> None:
    span = ("--start", "2024-03-04", "--end", "2024-03-17")
    for command in (
        ("trend", "--metric", "aov", "--grain", "day", *span),
        ("funnel", *span, "--compare", "previous"),
        ("segments", "--by", "country", *span),
        ("decompose", *span, "--by", "channel"),
        ("opportunities", *span),
    ):
        code, out, err = _run(capsys, "--db", store_path, *command, "--json")
        assert code == 0, (command, err)
        json.loads(out)  # NaN would make this fail


def test_bad_input_raises_invalid_input_error(store_path) -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["--db", store_path, "kpis", "--start", "2024-13-01", "--end", "2024-03-10"]
    )
    from ro_core.store.db import get_database

    with pytest.raises(InvalidInputError, match="not a date"):
        args.handler(args, get_database(args.db))
    args = parser.parse_args(["--db", store_path, "decompose", "--vs-start", "2024-01-01"])
    with pytest.raises(InvalidInputError, match="--vs-end"):
        args.handler(args, get_database(args.db))


def test_bad_input_exit_code_and_message(store_path, capsys) -> None:
    code, _, err = _run(capsys, "--db", store_path, "segments", "--by", "shoe_size")
    assert code == 2 and "Cannot break down by 'shoe_size'" in err
    code, _, err = _run(
        capsys, "--db", store_path, "kpis", "--start", "2024-03-10", "--end", "2024-03-01"
    )
    assert code == 2 and "before the start" in err


def test_add_metrics_commands_sets_handlers() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"kpis", "trend", "funnel", "segments", "decompose", "opportunities"} <= set(sub.choices)


def test_kpis_for_one_segment(store_path, capsys) -> None:
    span = ("--start", "2024-03-04", "--end", "2024-03-10")
    code, out, _ = _run(
        capsys, "--json", "--db", store_path, "kpis", *span, "--segment", "country=US"
    )
    assert code == 0
    data = json.loads(out)
    # Counted US orders that week (by hand): #1001 100.00, #1005 (pos) 40.00, #1006 30.00.
    assert data["orders"] == 3
    assert data["revenue"] == pytest.approx(170)
    code, _, err = _run(capsys, "--db", store_path, "kpis", *span, "--segment", "country")
    assert code == 2 and "DIMENSION=VALUE" in err
