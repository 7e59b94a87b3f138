"""Small building blocks pages share: our error messages, CSV downloads, empty states."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from ro_core.errors import RoError
from ro_core.present.export import csv_bytes
from ro_core.present.formatting import table_text
from ro_ui.fmt import md_escape

DATA_PAGE = "pages/data.py"


def show_error(error: RoError) -> None:
    """Show one of our errors: its title in bold, then the message (never a traceback).

    Messages can quote a file's text (a column name, a value): it is escaped, so no markdown or
    image link from a file is ever rendered.
    """
    st.error(f"**{md_escape(error.title)}**  \n{md_escape(error)}", icon=":material/error:")


def _safe_file_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "table"
    return stem if stem.endswith(".csv") else f"{stem}.csv"


def download_table(
    df: pd.DataFrame | Callable[[], pd.DataFrame],
    file_name: str,
    *,
    key: str,
    label: str = "Download CSV",
) -> None:
    """A download button for a table as CSV (cells that could run as formulas neutralised).

    Given a function instead of a table, the CSV is made only when the button is clicked (on
    another thread): a page that reruns often then does not build files nobody asked for.
    """
    st.download_button(
        label,
        data=(lambda: csv_bytes(df())) if callable(df) else csv_bytes(df),
        file_name=_safe_file_name(file_name),
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def money_column(label: str, currency: str | None, *, decimals: int = 2) -> object:
    """A dataframe column config for money in the store currency."""
    named = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}.get((currency or "").upper())
    if named:
        return st.column_config.NumberColumn(label, format=named)
    suffix = f" ({currency})" if currency else ""
    return st.column_config.NumberColumn(label + suffix, format=f"%,.{decimals}f")


def show_table(
    df: pd.DataFrame,
    *,
    key: str,
    kinds: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    currency: str | None = None,
    column_order: list[str] | None = None,
    widths: dict[str, str] | None = None,
) -> None:
    """A read-only table whose cells read as everywhere else: '–' for a missing value (never
    'None'), rates with 2 decimals, relative changes with 1, points as 'pp', money with 2,
    counts with thousands separators (``ro_core.present.formatting.cell``).

    Args:
        kinds: column -> cell kind (money, money_change, count, rate, change, points, p_value,
            date, text); other columns are text.
        labels: column -> header. Unlabelled columns keep their name.
        column_order: the columns to show, in order (default: all).
        widths: column -> 'small' | 'medium' | 'large'.
    """
    shown = table_text(df, kinds or {}, currency)
    labels, widths = labels or {}, widths or {}
    config = {
        column: st.column_config.TextColumn(labels.get(column, column), width=widths.get(column))
        for column in shown.columns
    }
    st.dataframe(shown, hide_index=True, key=key, column_order=column_order, column_config=config)
