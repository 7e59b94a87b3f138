"""Reading one table of a file as text: every loaded column VARCHAR (c0, c1...) with its line
number, in the import cursor's temporary table ``temp.raw``; unreadable rows (ragged, broken
bytes) into ``temp.raw_rejects``, reported by line; spreadsheet padding dropped."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from ro_core.errors import ImportFileError
from ro_core.ingest.base import RAW_TABLE, SkippedRows, StageContext, TablePart
from ro_core.ingest.file_lines import LineShift, line_shifts, row_starts, rows_are_lines
from ro_core.store.db import import_memory_limit_mb

MAX_LINE_BYTES = 8 << 20
UNREADABLE = "unreadable row: "  # how a rejected row's reason starts


_raw_databases = itertools.count(1)


def read_raw(ctx: StageContext, encoding: str) -> None:
    """Load one table of the file as text into temp.raw (c0.., line_no) and temp.raw_rejects:
    the columns at `ctx.loaded` positions only (every column when None).

    The rows as read are kept in an in-memory database of their own, and temp.raw is a view
    numbering them by file order; :meth:`StageContext.writable_raw` makes it a table when a
    step changes rows. A file larger than the import's memory limit has its rows compressed
    there (a text column of an export takes about an eighth of its size, so they stay in
    memory instead of spilling to disk); compressing a smaller file's rows only costs time.

    The read first keeps no reject bookkeeping (about 8% of a large read): a clean file reads
    the same, and any row the strict read cannot take stops it, and the file is read again
    with every unreadable row kept aside for the report."""
    part, cur = ctx.part, ctx.cur
    n = len(part.header)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    selected = "*" if ctx.loaded is None else ", ".join(f"c{i}" for i in sorted(ctx.loaded))
    params = [str(part.data_path), part.skip_lines, part.delimiter, encoding]
    ctx.release_raw()
    cur.execute("DROP TABLE IF EXISTS temp.raw_rejects")
    cur.execute("DROP TABLE IF EXISTS temp.raw_rejects_scan")
    database = f"ro_raw_{os.getpid()}_{next(_raw_databases)}"
    size = part.data_path.stat().st_size
    compress = " (COMPRESS)" if size > import_memory_limit_mb(size) << 20 else ""
    cur.execute(f"ATTACH ':memory:' AS {database}{compress}")
    ctx.raw_database = database

    def read(rejects: str) -> None:
        cur.execute(
            f"""CREATE OR REPLACE TABLE {database}.rows AS
            SELECT {selected}
            FROM read_csv(?, header = true, skip = ?, delim = ?, quote = '"', escape = '"',
                          auto_detect = false, columns = {columns}, strict_mode = true,
                          null_padding = false, encoding = ?, max_line_size = ?{rejects})""",
            [*params, MAX_LINE_BYTES],
        )

    try:
        read("")
        cur.execute(f"CREATE TEMP TABLE raw_rejects AS SELECT * FROM ({_NO_REJECTS})")
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error:
        read(
            ", store_rejects = true, rejects_table = 'raw_rejects', "
            "rejects_scan = 'raw_rejects_scan'"
        )
    # Line numbers come from the table's row order (DuckDB keeps the file's order when it
    # creates a table from a read; rowid 0 is the first data row): a row_number() window over
    # the read cost about 40% of it, and writing them as a column 10-20%.
    first_line = int(part.header_line) + 1
    cur.execute(
        f"CREATE TEMP VIEW raw AS SELECT *, rowid + {first_line} AS line_no FROM {database}.rows"
    )


# An empty rejects table (the columns collect_rejects reads) for a read that kept none.
_NO_REJECTS = "SELECT CAST(NULL AS VARCHAR) AS error_type, CAST(NULL AS BIGINT) AS line LIMIT 0"

_REJECT_REASONS = {
    "MISSING COLUMNS": "too few columns (a ragged row)",
    "TOO MANY COLUMNS": "too many columns (a ragged row or an unquoted delimiter)",
    "UNQUOTED VALUE": "a quote in the wrong place",
    "LINE SIZE OVER MAXIMUM": "a line longer than 8 MB",
    "INVALID UNICODE": "bytes that are not valid text",
    "INVALID ENCODING": "bytes that are not valid text",
}


def _reject_line_offset(part: TablePart) -> int:
    """What to add to a reject's line (in the file DuckDB read) to get the original file's line."""
    return part.header_line - 1 - part.skip_lines


def renumber_after_rejects(ctx: StageContext, newlines: Callable[[Path], int]) -> None:
    """Give rows after rejected ones their real line numbers (the row order counts read rows
    only), and the rejected rows theirs; `newlines` counts a file's line feeds.

    When every row is one line, DuckDB's reject lines are the file's: a read row numbered p
    (header line + its position) sits on line p + the number of rejected lines R_j (the j-th,
    in order) with R_j - j < p. Otherwise (an empty line, a line break inside a quoted cell,
    which DuckDB's reject lines do not count) the file is walked for where every row starts.
    """
    part = ctx.part
    lines_differ = not rows_are_lines(newlines(part.data_path), part.skip_lines + 1, ctx.rows_read)
    if lines_differ and _place_around_rejects(ctx):
        return
    ctx.cur.execute(
        f"""UPDATE {ctx.writable_raw()} SET line_no = line_no + (
            SELECT count(*) FROM (
                SELECT line + ? AS r, row_number() OVER (ORDER BY line) AS j
                FROM (SELECT DISTINCT line FROM temp.raw_rejects)
            ) x WHERE x.r - x.j < {RAW_TABLE}.line_no)""",
        [_reject_line_offset(ctx.part)],
    )


def _place_around_rejects(ctx: StageContext) -> bool:
    """Number read and rejected rows by the file's lines from a walk of the file; False (and
    nothing changed) when the walk does not find the rows DuckDB read, which a quote in the
    wrong place can cause."""
    part = ctx.part
    offset = _reject_line_offset(part)
    rejected = {
        int(line) + offset
        for (line,) in ctx.cur.execute("SELECT DISTINCT line FROM temp.raw_rejects").fetchall()
    }
    numbers, lines = row_starts(part.data_path, part.skip_lines, part.header_line)
    if len(numbers) != ctx.rows_read or not rejected <= set(numbers):
        return False
    shifts, shift, row = [], 0, part.header_line + 1
    line_of_rejected = {}
    for number, line in zip(numbers, lines, strict=True):
        if number in rejected:
            line_of_rejected[number] = line
            continue
        if line - row != shift:
            shift = line - row
            shifts.append(LineShift(row, shift))
        row += 1
    for skipped in ctx.skipped:
        if skipped.reason.startswith(UNREADABLE):
            skipped.lines = [line_of_rejected.get(n, n) for n in skipped.lines]
    _shift_rows(ctx, shifts)
    return True


def place_on_file_lines(ctx: StageContext, newlines: Callable[[Path], int]) -> None:
    """Number the rows by the line of the file each starts on, when some row is not one line
    (an empty line, a cell with a line break): the rows are numbered by their order until then.
    Call with every row read (none rejected); `newlines` counts a file's line feeds."""
    part = ctx.part
    if rows_are_lines(newlines(part.data_path), part.skip_lines + 1, ctx.rows_read):
        return
    _shift_rows(ctx, line_shifts(part.data_path, part.skip_lines, part.header_line))


def _shift_rows(ctx: StageContext, shifts: list[LineShift]) -> None:
    """Move the rows' numbers by the shifts (each from its row on, until the next)."""
    if not shifts:
        return
    ctx.cur.execute("CREATE OR REPLACE TEMP TABLE raw_line_shifts (from_row BIGINT, shift BIGINT)")
    ctx.cur.execute(
        "INSERT INTO temp.raw_line_shifts SELECT unnest(?), unnest(?)",
        [[s.from_row for s in shifts], [s.shift for s in shifts]],
    )
    ctx.rebuild_raw(
        f"""SELECT r.* EXCLUDE (line_no), r.line_no + coalesce(s.shift, 0) AS line_no
        FROM {RAW_TABLE} r ASOF LEFT JOIN temp.raw_line_shifts s ON r.line_no >= s.from_row"""
    )
    ctx.cur.execute("DROP TABLE temp.raw_line_shifts")


def collect_rejects(ctx: StageContext) -> int:
    rows = ctx.cur.execute(
        """SELECT error_type, count(DISTINCT line), list(DISTINCT line + ? ORDER BY line + ?)[1:10]
        FROM temp.raw_rejects GROUP BY error_type ORDER BY 2 DESC""",
        [_reject_line_offset(ctx.part)] * 2,
    ).fetchall()
    total = 0
    for error_type, count, lines in rows:
        reason = _REJECT_REASONS.get(str(error_type), str(error_type).lower())
        ctx.skipped.append(SkippedRows(f"{UNREADABLE}{reason}", int(count), list(lines)))
        total += int(count)
    return total


def _blank_row_sql(ctx: StageContext) -> str | None:
    """SQL: a raw row whose loaded cells are all blank (None when no column is loaded)."""
    positions = range(len(ctx.part.header)) if ctx.loaded is None else sorted(ctx.loaded)
    return " AND ".join(f"ro_blank(c{i})" for i in positions) or None


def drop_blank_rows(ctx: StageContext) -> None:
    condition = _blank_row_sql(ctx)
    if condition is None:
        return
    count = ctx.cur.execute(f"SELECT count(*) FROM {RAW_TABLE} WHERE {condition}").fetchone()[0]
    if count:
        ctx.cur.execute(f"DELETE FROM {ctx.writable_raw()} WHERE {condition}")
        ctx.rows_read -= int(count)  # padding is neither read data nor skipped rows
        ctx.notes.append(f"{count:,} empty rows (padding from a spreadsheet) ignored.")


def load_raw(ctx: StageContext, encoding: str) -> None:
    try:
        read_raw(ctx, encoding)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as e:
        raise ImportFileError(
            f"the file could not be read as CSV ({str(e).splitlines()[0][:200]}).",
            file_name=ctx.file_name,
            hint="Check that it is the CSV export itself, not a spreadsheet or a web page.",
        ) from e


def has_rows_blank_where_loaded(ctx: StageContext) -> bool:
    condition = _blank_row_sql(ctx)
    if condition is None:
        return True
    return bool(
        ctx.cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {RAW_TABLE} WHERE {condition} LIMIT 1)"
        ).fetchone()[0]
    )
