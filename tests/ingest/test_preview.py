"""The mapping form's preview: the first rows of a file, as text, named after its header."""

from __future__ import annotations

import gzip

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.preview import preview_rows


def test_first_rows_as_text_with_unique_column_names(tmp_path) -> None:
    path = tmp_path / "orders.csv"
    lines = ["id;when;Total;Total"] + [f"{i};2024-01-0{i};1,50;{i}" for i in range(1, 6)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = preview_rows(path, n=3)
    assert list(df.columns) == ["id", "when", "Total", "Total (2)"]
    assert df.to_dict(orient="list") == {
        "id": ["1", "2", "3"],
        "when": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "Total": ["1,50", "1,50", "1,50"],
        "Total (2)": ["1", "2", "3"],
    }


def test_preamble_ragged_rows_and_gzip(tmp_path) -> None:
    text = "# Report\n# 2024\n\nDay,Sessions\n2024-01-01,5\n2024-01-02\n2024-01-03,7,extra\n"
    path = tmp_path / "report.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    df = preview_rows(path)
    assert list(df.columns) == ["Day", "Sessions"]
    assert df["Day"].tolist()[:2] == ["2024-01-01", "2024-01-02"]
    assert df["Sessions"].tolist()[:2] == ["5", ""]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv.gz"], "temp copy removed"


def test_empty_file_is_our_error(tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ImportFileError):
        preview_rows(path)
