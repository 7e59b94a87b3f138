"""CSV downloads that are safe to open in a spreadsheet.

Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as
formulas by Excel, LibreOffice or Google Sheets (CSV injection, OWASP ASVS 1.2.10). Exported
text comes from store files (product names, UTM values, landing pages), so every such cell, and
every such column name, is prefixed with a single quote. Numbers are written as numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISING_PREFIX = "'"


def neutralise_cell(value: Any) -> Any:
    """The value itself, or for text starting with a formula character, the text behind a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return NEUTRALISING_PREFIX + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot run as spreadsheet formulas."""
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if _is_text_column(column):
            out.isetitem(position, column.map(neutralise_cell, na_action="ignore"))
    out.columns = [neutralise_cell(str(name)) for name in out.columns]
    return out


def csv_bytes(df: pd.DataFrame, *, index: bool = False) -> bytes:
    """The table as UTF-8 CSV bytes (with a byte-order mark so Excel reads accents right).

    Args:
        df: the table to export.
        index: also write the index (named index levels become columns).

    Returns:
        The CSV file's bytes, every text cell neutralised.
    """
    frame = df.reset_index() if index else df
    safe = neutralise_frame(frame)
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
