"""Resolve per-import rows into the canonical tables the metrics read.

The same order, traffic period or event may arrive in several imports (an overlapping later
export, or two files that each carry part of the fields, like Olist's orders and payments).
Resolution keeps one row per key: for orders, traffic and abandoned checkouts each field takes
the value of the latest import that has it (so a later export updates a refund, and a payments
file adds totals to an orders file); an order's lines come whole from the latest import that has
lines for it; events are de-duplicated on their identity.

Only keys touched by the import (or removal) are recomputed.
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


def _resolved_select(kind: str, source: str) -> str:
    """SELECT producing resolved rows from `source` (a rows table or a filtered subquery)."""
    keys = schema.RESOLUTION_KEY[kind]
    columns = schema.column_names(kind)
    if kind in _FIELD_MERGE_KINDS:
        parts = []
        for col in columns:
            if col in keys:
                parts.append(col)
            else:
                parts.append(f"arg_max({col}, import_id) FILTER (WHERE {col} IS NOT NULL) AS {col}")
        return (
            f"SELECT max(import_id) AS import_id, {', '.join(parts)} "
            f"FROM {source} GROUP BY {', '.join(keys)}"
        )
    # Whole rows from the latest import per key.
    key_list = ", ".join(keys)
    return (
        f"SELECT import_id, {', '.join(columns)} FROM {source} "
        f"QUALIFY import_id = max(import_id) OVER (PARTITION BY {key_list})"
    )


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


def refresh(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int, *, removing: bool) -> None:
    """Recompute the resolved rows of `kind` touched by one import.

    With ``removing=True`` the import's rows are deleted from the rows table here, after the
    touched keys are collected. Must run inside the caller's transaction.
    """
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


def run_after_refresh(cur: duckdb.DuckDBPyConnection, kinds: set[str]) -> None:
    """Call the registered after-refresh hooks."""
    for hook in AFTER_REFRESH:
        hook(cur, kinds)
