"""One pass for a clean file: the typed read writes the rows where they are kept.

A format that can express its whole staging as one SELECT over the file (REES46 events) gives
a :class:`OnePass`. When the file is the first of its kind in the store, the pipeline tries it
before anything else, inside the import's write transaction: DuckDB reads the file with the
format's pinned types and writes the canonical rows straight into the resolved table, once.

The pass is kept only when it provably did what the text path would have done:

- every value converted (a bad time or price raises, and a missing required value breaks a NOT
  NULL column);
- every row the file reader gave was written: a row the text path would skip (a padding row of
  empty cells included) raises in the format's SELECT (see :func:`skip_raises`), and a ragged
  row or bytes that are not UTF-8 stop the strict read. A quoted line break is one row on both
  paths, and an empty line is passed over by the same reader on both.

Otherwise the transaction is rolled back and the text path runs, which finds the line, the
column and the value and reports them (or skips the rows it skips). The import id drawn here is
handed to that path, so ids stay consecutive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from ro_core.ingest import timing
from ro_core.ingest.base import FormatSpec, StageContext, TablePart
from ro_core.ingest.commit import AlreadyImported, fault_point
from ro_core.ingest.file_scan import FileScan
from ro_core.store import resolve, schema
from ro_core.store.db import Database

# The pass gave way to the text path: a value did not convert or a row was left out.
_GAVE_WAY = (
    duckdb.ConversionException,
    duckdb.ConstraintException,
    duckdb.InvalidInputException,
)


@dataclass(frozen=True)
class OnePass:
    """A format's staging as one SELECT over the file.

    `select_sql` reads the CTE ``file_rows`` (columns c0, c1... typed as `types` says, VARCHAR
    otherwise) and returns the kind's canonical columns, one row per row read: it must raise on
    any value the text path refuses and on any row the text path skips (:func:`skip_raises`),
    which makes the pass give way. `notes` adds the report's notes from the written rows (an
    SQL relation). Only events have a one pass today: the report's dates and the import's span
    are read from ``local_date`` and ``event_time``.
    """

    kind: str
    select_sql: str
    params: list[Any] = field(default_factory=list)
    types: dict[int, str] = field(default_factory=dict)
    timestamp_format: str | None = None
    notes: Callable[[StageContext, str], None] | None = None
    # Columns written as read, untrimmed: the pass gives way when a value of one has anything
    # to trim (one look over the written rows costs half of trimming every value on the way).
    untrimmed: tuple[str, ...] = ()


@dataclass(frozen=True)
class OnePassResult:
    """What the pass wrote (for the import report)."""

    import_id: int
    rows: int
    first_date: date | None
    last_date: date | None
    content_first: datetime | None
    content_last: datetime | None
    notes: tuple[str, ...]


def skip_raises(condition_sql: str) -> str:
    """SQL for a one pass's WHERE: true for every row, and an error (the pass gives way) for a
    row where `condition_sql` holds, which the text path skips and reports with its line."""
    return f"CASE WHEN {condition_sql} THEN error('a row the text path skips') ELSE true END"


class GaveWay(Exception):
    """The pass did not apply; `import_id` (if drawn) is for the text path to use."""

    def __init__(self, import_id: int | None) -> None:
        super().__init__(import_id)
        self.import_id = import_id


def _file_rows_sql(
    part: TablePart, encoding: str, plan: OnePass, max_line: int
) -> tuple[str, list]:
    n = len(part.header)
    columns = ", ".join(f"'c{i}': '{plan.types.get(i, 'VARCHAR')}'" for i in range(n))
    timestamp = ", timestampformat = ?" if plan.timestamp_format else ""
    sql = f"""WITH file_rows AS (
        SELECT * FROM read_csv(?, header = true, skip = ?, delim = ?, quote = '"', escape = '"',
            auto_detect = false, columns = {{{columns}}}, strict_mode = true,
            null_padding = false, encoding = ?, max_line_size = ?{timestamp}))
    """
    params: list[Any] = [str(part.data_path), part.skip_lines, part.delimiter, encoding, max_line]
    if plan.timestamp_format:
        params.append(plan.timestamp_format)
    return sql, params


def try_one_pass(
    db: Database,
    spec: FormatSpec,
    part: TablePart,
    encoding: str,
    *,
    file_name: str,
    options: dict[str, Any],
    scan: Callable[[], FileScan],
    max_line: int,
    write_record: Callable[[duckdb.DuckDBPyConnection, OnePassResult, str], None],
) -> OnePassResult:
    """Import a file in one pass; raises GaveWay when the text path must run instead, and
    AlreadyImported when the same bytes were committed meanwhile."""
    import_id: int | None = None
    with db.cursor() as cur:
        ctx = StageContext(cur=cur, file_name=file_name, part=part, import_id=0, options=options)
        plan = spec.one_pass(ctx) if spec.one_pass else None
        if plan is None:
            raise GaveWay(None)
        try:
            with db.transaction_on(cur):
                if resolve.holds_rows(cur, plan.kind):
                    raise GaveWay(None)  # not the first of its kind: resolve as usual
                import_id = int(cur.execute("SELECT nextval('import_id_seq')").fetchone()[0])
                file_rows, file_params = _file_rows_sql(part, encoding, plan, max_line)
                columns = ", ".join(schema.column_names(plan.kind))
                written = cur.execute(
                    f"INSERT INTO {schema.RESOLVED_TABLE[plan.kind]} (import_id, {columns}) "
                    f"{file_rows} SELECT ?, {columns} FROM ({plan.select_sql})",
                    [*file_params, import_id, *plan.params],
                ).fetchone()[0]
                timing.mark("one_pass_write")
                if plan.untrimmed and _has_values_to_trim(cur, plan, import_id):
                    raise GaveWay(import_id)
                found = scan()
                timing.mark("scan_wait")
                existing = cur.execute(
                    f"SELECT import_id FROM {schema.IMPORTS} WHERE file_sha256 = ?",
                    [found.sha256],
                ).fetchone()
                if existing:
                    raise AlreadyImported(int(existing[0]))
                if not found.utf8:
                    raise GaveWay(import_id)
                fault_point("staged")
                fault_point("rows_written")
                result = _describe(cur, plan, ctx, import_id, int(written))
                write_record(cur, result, found.sha256)
                resolve.run_after_refresh(cur, {plan.kind})
                fault_point("resolved")
                fault_point("commit")
            timing.mark("commit")
            fault_point("committed")
            return result
        except _GAVE_WAY as e:
            raise GaveWay(import_id) from e


def _has_values_to_trim(cur: duckdb.DuckDBPyConnection, plan: OnePass, import_id: int) -> bool:
    needs_trim = " OR ".join(f"ro_untrimmed({column})" for column in plan.untrimmed)
    return bool(
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {schema.RESOLVED_TABLE[plan.kind]} "
            f"WHERE import_id = ? AND ({needs_trim}) LIMIT 1)",
            [import_id],
        ).fetchone()[0]
    )


def _describe(
    cur: duckdb.DuckDBPyConnection, plan: OnePass, ctx: StageContext, import_id: int, rows: int
) -> OnePassResult:
    relation = f"(SELECT * FROM {schema.RESOLVED_TABLE[plan.kind]} WHERE import_id = {import_id})"
    first_date, last_date, first_time, last_time = cur.execute(
        f"SELECT min(local_date), max(local_date), min(event_time), max(event_time) FROM {relation}"
    ).fetchone()
    if plan.notes:
        plan.notes(ctx, relation)
    return OnePassResult(
        import_id=import_id,
        rows=rows,
        first_date=first_date,
        last_date=last_date,
        content_first=first_time,
        content_last=last_time,
        notes=tuple(ctx.notes),
    )
