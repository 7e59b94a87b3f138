"""How numbers read on cards and in captions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ro_ui import fmt


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1234.5, "USD", "$1,234.50"),
        (-12, "EUR", "-€12.00"),
        (Decimal("9.999"), "CAD", "10.00 CAD"),
        (3, None, "3.00"),
        (None, "USD", "–"),
        (float("nan"), "USD", "–"),
    ],
)
def test_money(value, currency, text) -> None:
    assert fmt.money(value, currency) == text


def test_counts_rates_changes_points() -> None:
    assert fmt.count(279172.0) == "279,172"
    assert fmt.rate(0.011089937) == "1.11%"
    assert fmt.change(0.0439) == "+4.4%"
    assert fmt.change(None) is None
    assert fmt.points(-0.00073) == "-0.07 pp"
    assert fmt.points(0.0000242) == "+0.002 pp"
    assert fmt.points(0.0) == "+0.00 pp"


def test_md_escape_makes_file_text_inert() -> None:
    assert fmt.md_escape("[x](http://e.vil) *b* :red[c]") == (
        "\\[x\\]\\(http\\://e\\.vil\\) \\*b\\* \\:red\\[c\\]"
    )


def test_error_messages_quote_file_text_as_text() -> None:
    """A value from a file quoted in an error must not become an image the browser fetches."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from ro_core.errors import InvalidInputError
        from ro_ui.widgets import show_error

        show_error(InvalidInputError("Column ![x](http://example.com/x.png) is unknown."))

    at = AppTest.from_function(page).run()
    shown = at.error[0].value
    assert "![x](http" not in shown
    assert "\\!\\[x\\]\\(http" in shown
