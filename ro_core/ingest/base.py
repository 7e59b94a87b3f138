"""The contract between the import pipeline and one export format.

A format is a :class:`FormatSpec`: ``detect(header)`` says whether a header is this format's,
``stage(ctx)`` turns the raw text table ``ctx.raw`` (every column VARCHAR, positional names
``c0``, ``c1``... plus ``line_no``) into rows of the temporary staging tables
``stage_<kind>`` (canonical columns, see ``ro_core.store.schema``) with INSERT ... SELECT statements.
Raising ImportFileError while staging leaves the store as it was (a first import that writes its
rows straight into the store's tables does so inside the import's transaction, which is then
rolled back: see ``ro_core.ingest.direct``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ro_core.dates import iso_date
from ro_core.errors import ImportFileError
from ro_core.store import schema

if TYPE_CHECKING:
    from ro_core.ingest.direct import DirectWrites
    from ro_core.ingest.one_pass import OnePass

RAW_TABLE = "temp.raw"


def stage_table(kind: str) -> str:
    """Name of the staging table for a kind (temp schema)."""
    return f"temp.stage_{kind}"


def normalise_header_name(name: str) -> str:
    """Header cell as matched by detectors: BOM and quotes removed, inner spaces kept."""
    return name.replace("\ufeff", "").strip().strip('"').strip()


def header_signature(header: Sequence[str]) -> str:
    """A stable id for a header layout (remembered column mappings are keyed on it)."""
    joined = "\x1f".join(normalise_header_name(h).lower() for h in header)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


@dataclass
class SkippedRows:
    """Rows left out for one reason, with (the first few) line numbers."""

    reason: str
    count: int
    lines: list[int] = field(default_factory=list)


@dataclass
class TablePart:
    """One table inside a file: most files hold one, GA4 downloads may hold several."""

    header: list[str]
    header_line: int  # 1-based line of the header in the original file
    data_path: Path  # a file whose first line is `header` (may be the original file)
    skip_lines: int  # lines to skip in data_path before the header
    preamble: list[str] = field(default_factory=list)  # '#' comment lines before the header
    title: str = ""  # the table's name where the file gives one
    delimiter: str = ","


@dataclass
class StageContext:
    """What a format's stage function gets, and what it reports back."""

    cur: duckdb.DuckDBPyConnection
    file_name: str  # the name the user knows the file by (never used as a path)
    part: TablePart
    import_id: int
    mapping: dict[str, str] | None = None  # header column -> canonical field
    options: dict[str, Any] = field(default_factory=dict)  # e.g. date_order
    rows_read: int = 0
    # The latest time the format saw in the file beyond what it stages (a cancellation, a
    # payment): with the staged times it dates the export (newer exports win, see resolve).
    latest_seen: datetime | None = None
    skipped: list[SkippedRows] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Positions of the header columns loaded into the raw table (None: every column).
    loaded: frozenset[int] | None = None
    # The in-memory database holding the rows as read while RAW_TABLE is a view numbering them
    # (see ro_core.ingest.raw_read); None once RAW_TABLE is a table of its own.
    raw_database: str | None = None
    # Kinds a first import writes straight into the store's tables (see ro_core.ingest.direct).
    direct: DirectWrites | None = None

    # --- the raw rows -----------------------------------------------------------------------
    def writable_raw(self) -> str:
        """RAW_TABLE, made a table of its own (line numbers kept) when it is the view over the
        rows as read, so that a step can delete or change rows. Most files never need it."""
        if self.raw_database is not None:
            self.rebuild_raw(f"SELECT * FROM {RAW_TABLE}")
        return RAW_TABLE

    def rebuild_raw(self, select_sql: str, params: Sequence[Any] = ()) -> None:
        """Make RAW_TABLE a table of its own holding the rows of `select_sql` (which reads
        RAW_TABLE as it is)."""
        self.cur.execute(f"CREATE OR REPLACE TEMP TABLE raw_rows AS {select_sql}", list(params))
        self.release_raw()
        self.cur.execute("ALTER TABLE temp.raw_rows RENAME TO raw")

    def release_raw(self) -> None:
        """Drop RAW_TABLE and free the rows as read."""
        if self.raw_database is not None:
            self.cur.execute(f"DROP VIEW IF EXISTS {RAW_TABLE}")
            self.cur.execute(f"DETACH DATABASE IF EXISTS {self.raw_database}")
            self.raw_database = None
            return
        # A view can be left over from a staging rolled back after its rows were freed (the
        # in-memory database's detach is not undone; see ro_core.ingest.direct).
        schema_name, name = RAW_TABLE.split(".")
        is_view = self.cur.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND view_name = ?",
            [schema_name, name],
        ).fetchone()[0]
        self.cur.execute(f"DROP {'VIEW' if is_view else 'TABLE'} IF EXISTS {RAW_TABLE}")

    # --- columns --------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """Whether the header has a column (exact name after trimming; case-insensitive)."""
        return self._index(name) is not None

    def _index(self, name: str) -> int | None:
        wanted = normalise_header_name(name).lower()
        for i, h in enumerate(self.part.header):
            if normalise_header_name(h).lower() == wanted:
                return i
        return None

    def col(self, name: str) -> str:
        """The safe SQL identifier (c0, c1...) of a header column; ImportFileError if missing."""
        index = self._index(name)
        if index is None:
            raise ImportFileError(
                f"the column '{name}' is missing.",
                file_name=self.file_name,
                line=self.part.header_line,
                hint="Export the report again with its default columns.",
            )
        if self.loaded is not None and index not in self.loaded:
            raise AssertionError(f"'{name}' is used but not in the format's `reads`")
        return f"c{index}"

    def col_or_null(self, name: str) -> str:
        """The column's identifier, or the SQL literal NULL when the header lacks it."""
        return self.col(name) if self.has(name) else "CAST(NULL AS VARCHAR)"

    def col_at(self, index: int) -> str:
        """Identifier of the column at a position (for headers with duplicate names)."""
        if index >= len(self.part.header):
            raise ImportFileError(
                f"expected at least {index + 1} columns.",
                file_name=self.file_name,
                line=self.part.header_line,
            )
        return f"c{index}"

    # --- reporting ------------------------------------------------------------------------
    def skip_where(self, condition_sql: str, reason: str, params: Sequence[Any] = ()) -> int:
        """Count raw rows matching a condition as skipped (with line numbers), then delete them."""
        count, lines = self.cur.execute(
            f"SELECT count(*), list(line_no ORDER BY line_no)[1:10] FROM {RAW_TABLE} "
            f"WHERE {condition_sql}",
            list(params),
        ).fetchone()
        if count:
            self.skipped.append(SkippedRows(reason, int(count), list(lines or [])))
            self.cur.execute(
                f"DELETE FROM {self.writable_raw()} WHERE {condition_sql}", list(params)
            )
        return int(count or 0)

    def skip_where_all(self, rules: Sequence[tuple[str, str]]) -> int:
        """:meth:`skip_where` for several (condition_sql, reason) rules in one scan and one
        delete: a row is counted under the first rule it matches, as with successive calls."""
        if not rules:
            return 0
        parts, earlier = [], "false"
        for condition, _ in rules:
            matches = f"coalesce({condition}, false) AND NOT ({earlier})"
            parts.append(
                f"count(*) FILTER (WHERE {matches}), "
                f"list(line_no ORDER BY line_no) FILTER (WHERE {matches})[1:10]"
            )
            earlier = f"{earlier} OR coalesce({condition}, false)"
        row = self.cur.execute(f"SELECT {', '.join(parts)} FROM {RAW_TABLE}").fetchone()
        total = 0
        for k, (_, reason) in enumerate(rules):
            count, lines = row[2 * k], row[2 * k + 1]
            if count:
                self.skipped.append(SkippedRows(reason, int(count), list(lines or [])))
                total += int(count)
        if total:
            self.cur.execute(f"DELETE FROM {self.writable_raw()} WHERE {earlier}")
        return total

    def fail_where(
        self, condition_sql: str, message: str, column: str | None, params: Sequence[Any] = ()
    ) -> None:
        """Raise ImportFileError naming the first line matching a condition, if any."""
        row = self.cur.execute(
            f"SELECT min(line_no), count(*) FROM {RAW_TABLE} WHERE {condition_sql}", list(params)
        ).fetchone()
        if row and row[1]:
            more = f" ({row[1]} rows in all)" if row[1] > 1 else ""
            raise ImportFileError(
                message + more, file_name=self.file_name, line=int(row[0]), column=column
            )

    def fail_first(self, checks: Sequence[tuple[str, str, str | None, Sequence[Any]]]) -> None:
        """:meth:`fail_where` for several checks in one scan of the rows.

        `checks` are (condition_sql, message, column, params); the first check in order that
        matches any row raises, naming its first line, exactly as a sequence of fail_where calls.
        """
        if not checks:
            return
        parts, params = [], []
        for condition, _, _, check_params in checks:
            parts.append(
                f"min(line_no) FILTER (WHERE {condition}), count(*) FILTER (WHERE {condition})"
            )
            params += [*check_params, *check_params]
        row = self.cur.execute(f"SELECT {', '.join(parts)} FROM {RAW_TABLE}", params).fetchone()
        for k, (_, message, column, _) in enumerate(checks):
            first, count = row[2 * k], row[2 * k + 1]
            if count:
                more = f" ({count} rows in all)" if count > 1 else ""
                raise ImportFileError(
                    message + more, file_name=self.file_name, line=int(first), column=column
                )

    def warn(self, message: str) -> None:
        """Add a warning to the import report."""
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(frozen=True)
class FormatSpec:
    """One export format: how to recognise it and how to stage it."""

    name: str  # machine name, e.g. "shopify_orders"
    label: str  # what a store owner calls it, e.g. "Shopify orders export"
    kinds: tuple[str, ...]  # canonical kinds it writes
    detect: Callable[[list[str]], bool]
    stage: Callable[[StageContext], None]
    priority: int = 0  # higher is tried first
    # Header columns `stage` reads (case-insensitive); only these are loaded, so a wide export
    # is not copied whole. None: every column.
    reads: tuple[str, ...] | None = None
    # The whole staging as one typed read, for a clean file that is the first of its kind
    # (see ro_core.ingest.one_pass); None when the format has none or cannot use it here.
    one_pass: Callable[[StageContext], OnePass | None] | None = None

    def loaded_positions(self, header: Sequence[str]) -> frozenset[int] | None:
        """Positions of the header columns to load (None: all of them)."""
        if self.reads is None:
            return None
        wanted = {normalise_header_name(n).lower() for n in self.reads}
        positions = frozenset(
            i for i, h in enumerate(header) if normalise_header_name(h).lower() in wanted
        )
        return positions or None  # none of them (the wrong format): load all, report as before


_REGISTRY: dict[str, FormatSpec] = {}


def register(spec: FormatSpec) -> FormatSpec:
    """Add a format to the registry (called at import time by each format module)."""
    _REGISTRY[spec.name] = spec
    return spec


def registered_formats() -> list[FormatSpec]:
    """Every known format, highest priority first."""
    from ro_core.ingest import formats  # noqa: F401  (registers the built-in formats)

    return sorted(_REGISTRY.values(), key=lambda s: -s.priority)


def get_format(name: str) -> FormatSpec:
    """A format by machine name; ImportFileError-free ValueError for unknown names."""
    for spec in registered_formats():
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in registered_formats())
    raise KeyError(f"Unknown format '{name}'. Known formats: {known}.")


def detect_format(header: list[str]) -> FormatSpec | None:
    """The first registered format whose detector accepts the header."""
    cleaned = [normalise_header_name(h) for h in header]
    for spec in registered_formats():
        if spec.detect(cleaned):
            return spec
    return None


# --- helpers format modules share --------------------------------------------------------------
def option_date(options: dict[str, Any], key: str, file_name: str) -> date | None:
    """The import option `key` (period_start, period_end...) as a date, None when not given;
    ImportFileError naming the option when it is not a date like 2024-01-31."""
    value = options.get(key)
    if value is None or value == "":
        return None
    try:
        return iso_date(value)
    except ValueError as e:
        raise ImportFileError(
            f"the {key.replace('_', ' ')} '{value}' is not a date like 2024-01-31.",
            file_name=file_name,
            hint="Give the report's first and last day as YYYY-MM-DD.",
        ) from e


def header_has_all(header: Sequence[str], names: Sequence[str]) -> bool:
    """Case-insensitive: every name is a header column."""
    present = {normalise_header_name(h).lower() for h in header}
    return all(n.lower() in present for n in names)


def insert_stage(ctx: StageContext, kind: str, select_sql: str, params: Sequence[Any] = ()) -> int:
    """INSERT a SELECT (columns named like the canonical ones) into a kind's staging table, or
    into its resolved table when the import writes the kind directly (ro_core.ingest.direct).

    Columns the SELECT does not produce stay NULL. Returns the number of rows inserted.
    """
    before = ctx.cur.execute(f"SELECT count(*) FROM {stage_table(kind)}").fetchone()[0]
    direct_table = ctx.direct.table_for(kind, stage_table(kind)) if ctx.direct else None
    if direct_table is None:
        ctx.cur.execute(f"INSERT INTO {stage_table(kind)} BY NAME ({select_sql})", list(params))
    else:
        assert ctx.direct is not None and ctx.direct.import_id is not None
        ctx.cur.execute(
            f"INSERT INTO {direct_table} BY NAME (SELECT ? AS import_id, * FROM ({select_sql}))",
            [ctx.direct.import_id, *params],
        )
    after = ctx.cur.execute(f"SELECT count(*) FROM {stage_table(kind)}").fetchone()[0]
    return int(after - before)


def date_range(cur: duckdb.DuckDBPyConnection, kind: str) -> tuple[date | None, date | None]:
    """First and last store-local date staged for a kind."""
    column = {
        schema.KIND_ORDERS: "local_date",
        schema.KIND_EVENTS: "local_date",
        schema.KIND_ABANDONED_CHECKOUTS: "local_date",
        schema.KIND_TRAFFIC: "period_start",
    }.get(kind)
    if column is None:
        return None, None
    end_column = "period_end" if kind == schema.KIND_TRAFFIC else column
    return cur.execute(
        f"SELECT min({column}), max({end_column}) FROM {stage_table(kind)}"
    ).fetchone()
