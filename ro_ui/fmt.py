"""Numbers as people read them (from ro_core.present.formatting) and Markdown escaping for st.* text."""

from __future__ import annotations

from ro_core.present.formatting import (  # noqa: F401  (re-exported for the pages)
    CURRENCY_SYMBOLS,
    NOT_AVAILABLE,
    cell,
    change,
    count,
    money,
    money_change,
    p_value,
    points,
    rate,
)

_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")


def md_escape(text: object) -> str:
    """Text from a file (a file name, a product) made inert for st.markdown."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))
