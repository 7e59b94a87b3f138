"""CSV downloads: formula-looking text is neutralised, everything else survives a round trip."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from ro_core.present.export import csv_bytes, neutralise_cell, neutralise_frame


def _read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+33 6 12", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x","y")'],
)
def test_formula_prefixes_are_quoted(text: str) -> None:
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Blue shirt", "a=b", " =x", "", 5, -3.5, None])
def test_other_values_are_untouched(value: object) -> None:
    assert neutralise_cell(value) == value


def test_csv_bytes_neutralises_text_cells_and_headers_only() -> None:
    df = pd.DataFrame(
        {
            "product": ["=cmd|' /C calc'!A0", "Plain tee", "@evil", None],
            "revenue": [-12.5, 30.0, 0.0, 4.25],
            "orders": [1, 2, 3, 4],
            "-note": ["+1", "ok", "-", "x"],
        }
    )
    rows = _read(csv_bytes(df))
    assert rows[0] == ["product", "revenue", "orders", "'-note"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "Plain tee", "'@evil", ""]
    # numbers stay numbers, including negative ones
    assert [r[1] for r in rows[1:]] == ["-12.5", "30.0", "0.0", "4.25"]
    assert [r[2] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert [r[3] for r in rows[1:]] == ["'+1", "ok", "'-", "x"]


def test_string_and_categorical_dtypes_are_covered() -> None:
    df = pd.DataFrame(
        {
            "as_string": pd.Series(["=A1", "b"], dtype="string"),
            "as_category": pd.Series(["-x", "y"], dtype="category"),
        }
    )
    out = neutralise_frame(df)
    assert out["as_string"].tolist() == ["'=A1", "b"]
    assert out["as_category"].tolist() == ["'-x", "y"]
    assert df["as_string"].tolist() == ["=A1", "b"], "the input is not modified"


def test_index_can_be_written_and_duplicate_headers_survive() -> None:
    df = pd.DataFrame([[1, "=x"]], columns=["a", "a"], index=pd.Index(["+idx"], name="segment"))
    rows = _read(csv_bytes(df, index=True))
    assert rows == [["segment", "a", "a"], ["'+idx", "1", "'=x"]]
