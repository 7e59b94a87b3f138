"""Rows are reported by the line of the file they start on, even after empty lines and cells
with line breaks (an order note on two lines): checked against Python's csv module."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest import file_lines
from ro_core.ingest.file_lines import count_newlines, line_feed_counter, line_shifts, rows_are_lines
from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database
from tests.ingest.builders import SHOPIFY_HEADER, shopify_order_rows


def _csv_row_starts(path: Path) -> list[int]:
    """The line each data row starts on, by the csv module (empty lines are no rows)."""
    starts = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)  # the header
        while True:
            before = reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                return starts
            if row:  # an empty line reads as [] and is no row
                starts.append(before + 1)


def _starts_from_shifts(path: Path, rows: int) -> list[int]:
    shifts = line_shifts(path, 0, 1)
    starts = []
    for k in range(rows):
        number = 2 + k
        shift = max((s.shift for s in shifts if s.from_row <= number), default=0)
        starts.append(number + shift)
    return starts


def _random_csv(rng: random.Random, rows: int, newline: str) -> str:
    def cell() -> str:
        kind = rng.random()
        if kind < 0.1:
            return '"note on\nlines"'.replace("\n", newline * rng.randint(1, 2))
        if kind < 0.15:
            return '"a ""quoted"" word"'
        if kind < 0.2:
            return '"say ""hi""\nthen go"'.replace("\n", newline)
        return str(rng.randint(0, 999))

    out = ["a,b,c"]
    for _ in range(rows):
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            out.append("")  # empty lines between rows
        out.append(",".join(cell() for _ in range(3)))
    return newline.join(out) + (newline if rng.random() < 0.7 else "")


@pytest.mark.parametrize("block", [1 << 20, 7, 64])  # the file read in one block, or in many
@pytest.mark.parametrize("seed", range(12))
def test_row_starts_match_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, block: int
) -> None:
    monkeypatch.setattr(file_lines, "BLOCK", block)
    rng = random.Random(seed)
    newline = "\r\n" if seed % 3 == 0 else "\n"
    path = tmp_path / "f.csv"
    path.write_bytes(_random_csv(rng, rng.randint(1, 60), newline).encode())
    expected = _csv_row_starts(path)
    # A quoted line break written as CRLF: the csv module counts it as one line feed too.
    assert _starts_from_shifts(path, len(expected)) == expected


def test_a_file_of_one_line_rows_needs_no_second_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    assert rows_are_lines(count_newlines(path), 1, 2)
    path.write_text("a,b\n1,2\n3,4")  # no line feed at the end
    assert rows_are_lines(count_newlines(path), 1, 2)
    path.write_text("a,b\n1,2\n\n3,4\n")
    assert not rows_are_lines(count_newlines(path), 1, 2)
    assert [(s.from_row, s.shift) for s in line_shifts(path, 0, 1)] == [(3, 1)]


def _export(rows: list[dict[str, str]], before: dict[int, str]) -> str:
    """A Shopify export of `rows`, with `before[k]` written as it is before row k."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_HEADER, lineterminator="\n")
    writer.writeheader()
    for k, row in enumerate(rows):
        buffer.write(before.get(k, ""))
        writer.writerow(row)
    return buffer.getvalue()


def _rows(orders: int) -> list[dict[str, str]]:
    """The rows of `orders` two-line orders."""
    return [
        row
        for n in range(orders)
        for row in shopify_order_rows(n, "2024-05-01 10:00:00 -0400", "10.00")
    ]


def _write(path: Path, rows: list[dict[str, str]], before: dict[int, str]) -> str:
    text = _export(rows, before)
    path.write_text(text)
    return text


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_bad_total_is_reported_on_its_line_after_notes_on_two_lines_and_empty_lines(
    db: Database, tmp_path: Path
) -> None:
    rows = _rows(30)
    rows[3]["Notes"] = "Leave at the door.\nRing twice."
    rows[11]["Notes"] = 'Gift: "for Sam"\n\nThanks!'
    rows[40]["Total"] = "12,50"  # order 20's first row
    path = tmp_path / "orders.csv"
    text = _write(path, rows, {7: "\n", 25: "\n"})
    with pytest.raises(ImportFileError) as failed:
        ingest_file(db, path)
    # line 2 + 40 rows before it + 2 empty lines + 3 line breaks in the notes
    assert failed.value.line == _line_of(text, "12,50") == 2 + 40 + 2 + 3
    assert failed.value.column == "Total"


def test_skipped_rows_are_reported_on_their_lines(db: Database, tmp_path: Path) -> None:
    rows = _rows(10)
    rows[2]["Notes"] = "first line\nsecond line"
    rows[9]["Name"] = ""  # an item row without its order's name: skipped
    rows[15]["Name"] = ""
    path = tmp_path / "orders.csv"
    _write(path, rows, {5: "\n"})
    report = ingest_file(db, path)
    expected = [
        line for line, row in zip(_csv_row_starts(path), rows, strict=True) if not row["Name"]
    ]
    (skipped,) = report.skipped
    assert skipped.lines == expected == [2 + 9 + 1 + 1, 2 + 15 + 1 + 1]


def test_unreadable_rows_and_the_rows_after_them_keep_their_lines(
    db: Database, tmp_path: Path
) -> None:
    # DuckDB numbers a rejected row by counting rows and empty lines but not the line breaks
    # inside quoted cells: after a note on two lines its numbers run one short.
    rows = _rows(15)
    rows[2]["Notes"] = "two\nlines"
    rows[20]["Total"] = "12,50"
    path = tmp_path / "orders.csv"
    ragged = {5: "\n", 9: "#7,a ragged row\n", 14: '#9,"a ragged row\nover two lines"\n'}
    text = _write(path, rows, ragged)
    with pytest.raises(ImportFileError) as failed:
        ingest_file(db, path)
    # line 2 + 20 rows before it + a line break in a note + an empty line + 3 ragged lines
    assert failed.value.line == _line_of(text, "12,50") == 2 + 20 + 1 + 1 + 3

    rows[20]["Total"] = "12.50"
    path.write_text(text.replace("12,50", "12.50"))
    report = ingest_file(db, path)
    (unreadable,) = report.skipped
    assert unreadable.lines == [_line_of(text, "#7,a ragged"), _line_of(text, "#9,")]
    assert unreadable.lines == [2 + 9 + 1 + 1, 2 + 14 + 1 + 1 + 1]


@pytest.mark.parametrize("file_size", [0, 1 << 40])  # bytes.count, and numpy's vector count
def test_line_feeds_are_counted_in_any_block(file_size: int):
    count = line_feed_counter(file_size)
    generator = random.Random(file_size)
    for _ in range(50):
        block = bytes(
            generator.choice(b'ab,\r\n"\xc3\xa9') for _ in range(generator.randint(0, 5000))
        )
        assert count(block) == sum(1 for byte in block if byte == 10)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_long_runs_without_quotes_are_counted_in_bulk_around_a_note_and_empty_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str
) -> None:
    # An event log's shape: thousands of quote-free rows (taken a block at a time), an empty
    # line, a note over two lines, an empty last-but-one line, all across 256-byte blocks.
    monkeypatch.setattr(file_lines, "BLOCK", 256)
    rows = [f"2025-01-01 00:00:{k % 60:02d},view,{1000 + k}" for k in range(3000)]
    text = newline.join(
        ["a,b,c", *rows[:1500], "", f'x,"a note{newline}on two lines",1', *rows[1500:], "", "y,z,1"]
    )
    path = tmp_path / "events.csv"
    path.write_bytes(text.encode())
    expected = _csv_row_starts(path)
    assert len(expected) == 3002
    assert _starts_from_shifts(path, len(expected)) == expected
