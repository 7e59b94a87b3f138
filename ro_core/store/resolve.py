"""Resolve per-import rows into the canonical tables the metrics read.

The same order, traffic period or event may arrive in several imports (an overlapping later
export, or two files that each carry part of the fields, like Olist's orders and payments).

*Newer* means newer by the export's own content, never by the order of import: each import
records the latest time its content shows (``imports.content_last``: for orders the latest
created/paid/fulfilled/cancelled time, for traffic the last period's end, for events the last
event), and imports are ranked by (that time, import id). A shell glob that sorts
``orders_export (1).csv`` before ``orders_export.csv`` therefore cannot revert a refund.

- Orders, abandoned checkouts: one row per key; each field takes the value of the newest import
  that has it (a newer export updates a refund; a payments file adds totals to an orders file).
- Order lines: an order's lines come whole from the newest import that has lines for it.
- Traffic: day, week and month rows of one series (source, grain, segment) whose periods overlap
  are one period: the better-covered row (the longer span) wins and the others are left out, so
  a week cut at 31 December by one export and held whole by another counts once. Rows of the
  same span merge field by field as above. ``total`` rows (a report's own range) stay apart.
- Events: identical events (same identity columns) are legitimate in REES46 logs, so each
  import's *count* of an identity is kept, not one row. An event time strictly inside an
  import's own span is complete in that import: the largest such count wins. At an event time
  inside no import's span (it is the first or last second of each import holding it): if those
  imports hold different events of that second, the log was cut inside it and the pieces add
  up (the largest count among imports ending there, among imports starting there, and among
  imports holding only that second); if they hold the same events, the exports overlap there
  (inclusive time bounds) and the largest count wins. Splitting a log anywhere gives the same
  events, overlapping or not, except where no content can tell: files that overlap by only
  part of one second, or a second of nothing but identical events cut into equal halves.

Only keys touched by the import (or removal) are recomputed.

The first import of a kind (orders, order lines, events, abandoned checkouts) is written once:
straight into the resolved table, which then holds exactly its rows, and not into the rows
table (:func:`write_first_import`). The rows table of such a kind is empty while its resolved
table is not; the next import of the kind first copies those rows back into the rows table
(:func:`keep_rows_apart`) and then resolves as above. Removing the only import of a kind empties
both tables either way.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from ro_core.store import schema

_FIELD_MERGE_KINDS = {
    schema.KIND_ORDERS,
    schema.KIND_TRAFFIC,
    schema.KIND_ABANDONED_CHECKOUTS,
}

# Functions called after a kind's resolved table changed, inside the same transaction
# (for example refreshing pre-aggregated tables). Signature: (cursor, kinds_changed).
AFTER_REFRESH: list[Callable[[duckdb.DuckDBPyConnection, set[str]], None]] = []


def _key_match(left: str, right: str, keys: tuple[str, ...]) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in keys)


# Day, week and month periods of one traffic series overlap only when they are the same period.
CALENDAR_GRAINS = ("day", "week", "month")
TRAFFIC_SERIES = ("traffic_source", "grain", *schema.TRAFFIC_DIMENSIONS)


def _with_recency(source: str) -> str:
    """`source`'s rows with `recency` (the import's content time, then its id) and its span."""
    return (
        f"(SELECT s.*, {{'t': coalesce(i.content_last, '-infinity'::TIMESTAMPTZ), "
        f"'i': s.import_id}} AS recency, i.content_first AS span_first, "
        f"i.content_last AS span_last "
        f"FROM {source} s LEFT JOIN {schema.IMPORTS} i ON i.import_id = s.import_id)"
    )


def _resolved_select(kind: str, source: str) -> str:
    """SELECT producing resolved rows from `source` (a rows table or a filtered subquery)."""
    keys = schema.RESOLUTION_KEY[kind]
    columns = schema.column_names(kind)
    ranked = _with_recency(source)
    if kind in _FIELD_MERGE_KINDS:
        parts = []
        for col in columns:
            if col in keys:
                parts.append(col)
            else:
                parts.append(f"arg_max({col}, recency) FILTER (WHERE {col} IS NOT NULL) AS {col}")
        return (
            f"SELECT arg_max(import_id, recency) AS import_id, {', '.join(parts)} "
            f"FROM {ranked} GROUP BY {', '.join(keys)}"
        )
    if kind == schema.KIND_EVENTS:
        return _events_select(ranked)
    # Whole rows from the newest import per key.
    key_list = ", ".join(keys)
    return (
        f"SELECT import_id, {', '.join(columns)} FROM {ranked} "
        f"QUALIFY recency = max(recency) OVER (PARTITION BY {key_list})"
    )


def _events_select(ranked: str) -> str:
    """Events: per identity, the rows of the import(s) chosen by the rule in the docstring."""
    identity = ", ".join(schema.EVENT_IDENTITY)
    columns = ", ".join(f"e.{c}" for c in schema.column_names(schema.KIND_EVENTS))
    # What each import holds of its first and last second, as a multiset hash: two imports
    # that hold the same events of a boundary second overlap there; different events mean the
    # log was cut inside that second.
    hashed = f"hash({', '.join(f'r.{c}' for c in schema.EVENT_IDENTITY)})"
    return f"""WITH src AS (SELECT * FROM {ranked}),
    edge_seconds AS (
        SELECT r.import_id, r.event_time, {{'n': count(*), 'h': sum({hashed})}} AS sig
        FROM {schema.EVENT_ROWS} r JOIN {schema.IMPORTS} i ON i.import_id = r.import_id
        WHERE r.event_time = i.content_first OR r.event_time = i.content_last
        GROUP BY ALL
    ),
    per_import AS (
        SELECT {identity}, import_id, any_value(recency) AS recency, count(*) AS n,
            CASE WHEN any_value(span_first) < event_time AND event_time < any_value(span_last)
                     THEN 'inside'
                 WHEN any_value(span_first) IS NULL
                      OR any_value(span_first) = any_value(span_last) THEN 'whole'
                 WHEN event_time = any_value(span_last) THEN 'tail'
                 ELSE 'head' END AS piece
        FROM src GROUP BY {identity}, import_id
    ),
    signed AS (
        SELECT p.*, s.sig FROM per_import p
        LEFT JOIN edge_seconds s ON s.import_id = p.import_id AND s.event_time = p.event_time
    ),
    flagged AS (
        SELECT *, NOT bool_or(piece = 'inside') OVER w
            AND min(sig) OVER w IS DISTINCT FROM max(sig) OVER w AS cut
        FROM signed WINDOW w AS (PARTITION BY {identity})
    ),
    chosen AS (
        SELECT * FROM flagged
        QUALIFY row_number() OVER (
            PARTITION BY {identity}, CASE WHEN cut THEN piece END
            ORDER BY piece = 'inside' DESC, n DESC, recency DESC) = 1
    )
    SELECT e.import_id, {columns} FROM src e SEMI JOIN chosen c
        ON e.import_id = c.import_id AND {_key_match("e", "c", schema.EVENT_IDENTITY)}"""


def _keys_unique(
    cur: duckdb.DuckDBPyConnection, rows_table: str, keys: tuple[str, ...], import_id: int
) -> bool:
    key_list = ", ".join(keys)
    duplicated = cur.execute(
        f"SELECT count(*) FROM (SELECT {key_list} FROM {rows_table} WHERE import_id = ? "
        f"GROUP BY ALL HAVING count(*) > 1 LIMIT 1)",
        [import_id],
    ).fetchone()[0]
    return not duplicated


# Kinds whose first import may skip the rows table (traffic resolves overlapping periods even
# within one file, so its resolved rows are not its rows).
DIRECT_KINDS = (
    schema.KIND_ORDERS,
    schema.KIND_ORDER_LINES,
    schema.KIND_EVENTS,
    schema.KIND_ABANDONED_CHECKOUTS,
)


def _has_rows(cur: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchone()[0])


def holds_rows(cur: duckdb.DuckDBPyConnection, kind: str) -> bool:
    """Whether the store holds any rows of `kind` (resolved, or kept per import)."""
    return _has_rows(cur, schema.RESOLVED_TABLE[kind]) or _has_rows(cur, schema.ROWS_TABLE[kind])


def write_first_import(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    import_id: int,
    source: str,
    *,
    keys_unique: bool = False,
) -> bool:
    """Write `source`'s rows (canonical columns) as the resolved rows when no import holds rows
    of `kind` yet and they need no merging; True when written, False to take the usual path.
    `keys_unique`: the caller already made `source`'s resolution keys unique (not checked)."""
    if kind not in DIRECT_KINDS:
        return False
    if holds_rows(cur, kind):
        return False
    keys = schema.RESOLUTION_KEY[kind]
    if kind in _FIELD_MERGE_KINDS and not keys_unique:
        duplicated = cur.execute(
            f"SELECT count(*) FROM (SELECT {', '.join(keys)} FROM {source} "
            f"GROUP BY ALL HAVING count(*) > 1 LIMIT 1)"
        ).fetchone()[0]
        if duplicated:
            return False
    columns = ", ".join(schema.column_names(kind))
    cur.execute(
        f"INSERT INTO {schema.RESOLVED_TABLE[kind]} (import_id, {columns}) "
        f"SELECT ?, {columns} FROM {source}",
        [import_id],
    )
    return True


def keep_rows_apart(cur: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Before a second import of `kind`: copy the first import's rows, held only in the resolved
    table (see :func:`write_first_import`), into the rows table."""
    if kind not in DIRECT_KINDS or _has_rows(cur, schema.ROWS_TABLE[kind]):
        return
    columns = ", ".join(["import_id", *schema.column_names(kind)])
    cur.execute(
        f"INSERT INTO {schema.ROWS_TABLE[kind]} ({columns}) "
        f"SELECT {columns} FROM {schema.RESOLVED_TABLE[kind]}"
    )


def _fold_single_import(cur: duckdb.DuckDBPyConnection, kind: str) -> None:
    """After a removal: when one import is left holding rows of `kind` and its resolved rows are
    its rows, keep them in the resolved table only (the state its first import left)."""
    if kind not in DIRECT_KINDS:
        return
    rows_table = schema.ROWS_TABLE[kind]
    left = cur.execute(
        f"SELECT count(DISTINCT import_id), min(import_id) FROM {rows_table}"
    ).fetchone()
    if left[0] != 1:
        return
    if kind in _FIELD_MERGE_KINDS and not _keys_unique(
        cur, rows_table, schema.RESOLUTION_KEY[kind], int(left[1])
    ):
        return
    cur.execute(f"DELETE FROM {rows_table}")


def refresh(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int, *, removing: bool) -> None:
    """Recompute the resolved rows of `kind` touched by one import.

    With ``removing=True`` the import's rows are deleted from the rows table here, after the
    touched keys are collected. Must run inside the caller's transaction.
    """
    _refresh(cur, kind, import_id, removing=removing)
    if removing:
        _fold_single_import(cur, kind)


def _refresh(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int, *, removing: bool) -> None:
    if removing and kind in DIRECT_KINDS and not _has_rows(cur, schema.ROWS_TABLE[kind]):
        # the only import of this kind, written straight into the resolved table
        cur.execute(f"DELETE FROM {schema.RESOLVED_TABLE[kind]} WHERE import_id = ?", [import_id])
        return
    if kind == schema.KIND_TRAFFIC:
        _refresh_traffic(cur, import_id, removing=removing)
        return
    rows_table = schema.ROWS_TABLE[kind]
    resolved = schema.RESOLVED_TABLE[kind]
    keys = schema.RESOLUTION_KEY[kind]
    key_list = ", ".join(keys)
    columns = ["import_id", *schema.column_names(kind)]
    column_list = ", ".join(columns)

    others = cur.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {rows_table} WHERE import_id <> ? LIMIT 1)",
        [import_id],
    ).fetchone()[0]
    if not others:
        # Fast path: this import is the only one holding rows of this kind.
        cur.execute(f"DELETE FROM {resolved}")
        if removing:
            cur.execute(f"DELETE FROM {rows_table} WHERE import_id = ?", [import_id])
        elif kind not in _FIELD_MERGE_KINDS or _keys_unique(cur, rows_table, keys, import_id):
            # Nothing to merge: copy the rows as they are (the common first import).
            cur.execute(
                f"INSERT INTO {resolved} ({column_list}) "
                f"SELECT {column_list} FROM {rows_table} WHERE import_id = ?",
                [import_id],
            )
        else:
            cur.execute(
                f"INSERT INTO {resolved} ({column_list}) "
                + _resolved_select(
                    kind, f"(SELECT * FROM {rows_table} WHERE import_id = {int(import_id)})"
                )
            )
        return

    cur.execute("DROP TABLE IF EXISTS temp.touched_keys")
    cur.execute(
        f"CREATE TEMP TABLE touched_keys AS SELECT DISTINCT {key_list} "
        f"FROM {rows_table} WHERE import_id = ?",
        [import_id],
    )
    if removing:
        cur.execute(f"DELETE FROM {rows_table} WHERE import_id = ?", [import_id])
    cur.execute(
        f"DELETE FROM {resolved} WHERE EXISTS (SELECT 1 FROM temp.touched_keys t "
        f"WHERE {_key_match('t', resolved, keys)})"
    )
    touched_rows = (
        f"(SELECT r.* FROM {rows_table} r SEMI JOIN temp.touched_keys t "
        f"ON {_key_match('r', 't', keys)})"
    )
    cur.execute(f"INSERT INTO {resolved} ({column_list}) " + _resolved_select(kind, touched_rows))
    cur.execute("DROP TABLE IF EXISTS temp.touched_keys")


def _overlaps(left: str, right: str) -> str:
    """SQL: two traffic rows are the same period (overlapping calendar periods, or equal spans)."""
    grains = ", ".join(f"'{g}'" for g in CALENDAR_GRAINS)
    return (
        f"(CASE WHEN {left}.grain IN ({grains}) "
        f"THEN {left}.period_start <= {right}.period_end "
        f"AND {right}.period_start <= {left}.period_end "
        f"ELSE {left}.period_start = {right}.period_start "
        f"AND {left}.period_end = {right}.period_end END)"
    )


def _refresh_traffic(cur: duckdb.DuckDBPyConnection, import_id: int, *, removing: bool) -> None:
    """Traffic: recompute every period that overlaps one of the import's periods."""
    rows_table, resolved = schema.TRAFFIC_ROWS, schema.TRAFFIC
    keys = schema.RESOLUTION_KEY[schema.KIND_TRAFFIC]
    series = _key_match("r", "t", TRAFFIC_SERIES)
    column_list = ", ".join(["import_id", *schema.column_names(schema.KIND_TRAFFIC)])
    cur.execute("DROP TABLE IF EXISTS temp.touched_keys")
    cur.execute(
        f"""CREATE TEMP TABLE touched_keys AS
        WITH spans AS (SELECT DISTINCT {", ".join(keys)} FROM {rows_table} WHERE import_id = ?)
        SELECT DISTINCT {", ".join(f"r.{k}" for k in keys)}
        FROM {rows_table} r JOIN spans t ON {series} AND {_overlaps("r", "t")}""",
        [import_id],
    )
    if removing:
        cur.execute(f"DELETE FROM {rows_table} WHERE import_id = ?", [import_id])
    cur.execute(
        f"DELETE FROM {resolved} WHERE EXISTS (SELECT 1 FROM temp.touched_keys t "
        f"WHERE {_key_match('t', resolved, keys)})"
    )
    # A row is left out when an overlapping row of its series covers more days (or as many
    # days from an earlier start: two week conventions).
    length = "date_diff('day', {0}.period_start, {0}.period_end)"
    better = (
        f"({length.format('o')} > {length.format('r')} OR ({length.format('o')} = "
        f"{length.format('r')} AND o.period_start < r.period_start))"
    )
    candidates = (
        f"(SELECT r.* FROM {rows_table} r SEMI JOIN temp.touched_keys t "
        f"ON {_key_match('r', 't', keys)} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {rows_table} o WHERE "
        f"{_key_match('o', 'r', TRAFFIC_SERIES)} AND {_overlaps('o', 'r')} AND {better}))"
    )
    cur.execute(
        f"INSERT INTO {resolved} ({column_list}) "
        + _resolved_select(schema.KIND_TRAFFIC, candidates)
    )
    cur.execute("DROP TABLE IF EXISTS temp.touched_keys")


def run_after_refresh(cur: duckdb.DuckDBPyConnection, kinds: set[str]) -> None:
    """Call the registered after-refresh hooks."""
    for hook in AFTER_REFRESH:
        hook(cur, kinds)
