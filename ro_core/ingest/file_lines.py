"""Where each row of a CSV file starts, in the file's own lines.

DuckDB's reader numbers nothing: the import numbers rows by their order, which is the file's
line only while every row is one line. An empty line (which the reader passes over) or a cell
with a line break in it (an order note written on two lines) moves every later row down a
line. The newline count of the file (taken by the file scan) says whether that happened; only
then is the file read here, block by block (line by line in a block with quotes or an empty
line), to find where the numbering shifts.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BLOCK = 1 << 20
# From this size on, a file's line feeds are counted with numpy: its vector compare takes a
# fifth of bytes.count's time (0.1 s against 0.54 s on 690 MB), which repays importing it
# (0.1 s, when nothing else has yet).
VECTOR_COUNT_FROM = 64 << 20


@dataclass(frozen=True)
class LineShift:
    """From the row numbered `from_row` on (numbered as if every row were one line), rows
    start `shift` lines further down the file."""

    from_row: int
    shift: int


def line_feed_counter(file_size: int) -> Callable[[bytes], int]:
    """A function counting the line feeds in a block of a file this large."""
    if file_size < VECTOR_COUNT_FROM:
        return lambda block: block.count(b"\n")
    import numpy

    def count(block: bytes) -> int:
        return int(numpy.count_nonzero(numpy.frombuffer(block, numpy.uint8) == 10))

    return count


def count_newlines(path: Path) -> int:
    """The number of line feeds in a file."""
    line_feeds = line_feed_counter(path.stat().st_size)
    count = 0
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            count += line_feeds(block)
    return count


def rows_are_lines(newlines: int, header_line: int, rows: int) -> bool:
    """Whether a file with this many line feeds, its header on `header_line` and `rows` rows
    after it, has every row on a line of its own (the last line may lack its line feed)."""
    return newlines in (header_line + rows, header_line + rows - 1)


def line_shifts(path: Path, skip_lines: int, header_line: int) -> list[LineShift]:
    """Where the row numbering of a file shifts (empty lines, quoted line breaks).

    Rows are numbered from header_line + 1 as if each were one line. A line feed ends a row
    unless an odd number of quotes came before it in the row (a doubled quote inside a quoted
    cell counts twice, so it keeps the count even). Empty lines between rows belong to no row.
    Only empty lines and lines with an odd number of quotes are looked at one by one.
    """
    return _walk(path, skip_lines, _Walk(header_line)).shifts


def row_starts(path: Path, skip_lines: int, header_line: int) -> tuple[array[int], array[int]]:
    """Every row's number as DuckDB gives a rejected row's line (rows and empty lines counted,
    line breaks inside quoted cells not), and the file's line it starts on, in file order."""
    walk = _walk(path, skip_lines, _Walk(header_line, keep_rows=True))
    assert walk.row_numbers is not None
    return walk.row_numbers, walk.row_lines


def _walk(path: Path, skip_lines: int, walk: _Walk) -> _Walk:
    pending = b""
    with path.open("rb") as fh:
        for _ in range(skip_lines + 1):  # whatever comes before the rows, and the header
            fh.readline()
        while block := fh.read(BLOCK):
            data = pending + block
            whole = data.rfind(b"\n") + 1  # the bytes of whole lines
            plain = _plain_line_count(data, whole)
            if plain is not None:
                walk.plain_lines(plain)
                pending = data[whole:]
            else:
                lines = data.split(b"\n")
                pending = lines.pop()  # a line cut by the block's end
                walk.lines(lines)
    if pending:
        walk.lines([pending])
    return walk


def _plain_line_count(data: bytes, end: int) -> int | None:
    """How many lines data[:end] (which starts a line) holds when none has a quote and none is
    empty, so that the walk can take them in bulk; None otherwise. Most blocks of a file
    without quotes are such, and numpy counts them: a look at each line costs 0.45 s per
    million lines."""
    if data.find(b'"', 0, end) >= 0:
        return None
    import numpy

    text = numpy.frombuffer(data, numpy.uint8, count=end)
    ends = numpy.flatnonzero(text == 10)
    gaps = numpy.diff(ends, prepend=-1)
    if (gaps == 1).any() or ((gaps == 2) & (text[ends - 1] == 13)).any():  # "" or a lone CR
        return None
    return int(ends.size)


class _Walk:
    """The state of :func:`line_shifts` between blocks; with `keep_rows`, every row's start
    in DuckDB's reject numbering and in the file's lines too (:func:`row_starts`)."""

    def __init__(self, header_line: int, keep_rows: bool = False) -> None:
        self.shifts: list[LineShift] = []
        self.row = header_line + 1  # the next row's number if every row were one line
        self.line = header_line  # the file's line last read
        self.shift = 0
        self.open_quotes = False  # the line last read ended inside a quoted cell
        # DuckDB numbers rejected rows by counting rows and empty lines, not the line breaks
        # inside quoted cells: the number of the line last read in that count.
        self.counted = header_line
        self.row_numbers: array[int] | None = array("q") if keep_rows else None
        self.row_lines: array[int] = array("q")

    def lines(self, lines: list[bytes]) -> None:
        special = [
            i for i, text in enumerate(lines) if text in (b"", b"\r") or text.count(b'"') % 2
        ]
        done = 0
        for i in [*special, len(lines)]:
            self.plain_lines(i - done)
            if i < len(lines):
                self._special(lines[i])
            done = i + 1

    def plain_lines(self, count: int) -> None:
        """`count` lines, none empty, each with an even number of quotes."""
        if count <= 0:
            return
        if not self.open_quotes:  # each a row of its own: only the first can shift
            self._row_starts(self.line + 1)
            self.row += count
            if self.row_numbers is not None:
                self.row_numbers.extend(range(self.counted + 1, self.counted + count + 1))
                self.row_lines.extend(range(self.line + 1, self.line + count + 1))
            self.counted += count
        self.line += count  # (inside a quoted cell, they continue it)

    def _special(self, text: bytes) -> None:
        """One empty line or line with an odd number of quotes."""
        self.line += 1
        odd = text.count(b'"') % 2 == 1
        if self.open_quotes:
            self.open_quotes = not odd
            return
        self.counted += 1
        if text not in (b"", b"\r"):
            self._row_starts(self.line)
            self.row += 1
            self.open_quotes = odd
            if self.row_numbers is not None:
                self.row_numbers.append(self.counted)
                self.row_lines.append(self.line)

    def _row_starts(self, line: int) -> None:
        if line != self.row + self.shift:
            self.shift = line - self.row
            self.shifts.append(LineShift(self.row, self.shift))
