"""The last step of an import: write the staged rows in one transaction.

Inside the write lock, in this order: the duplicate-file check (so several sessions importing
the same file at once create one import), the rows, the import's record with its content span,
the notes on overlapping imports (whose values were kept), resolution, commit. Any exception,
Streamlit's stop/rerun included, rolls all of it back.

``RO_IMPORT_FAULT`` (tests only) names a step at which the importing process kills itself, to
check that a killed import leaves the database as it was or holds the whole file:
``STEP`` kills at once, ``STEP+MS`` starts a timer that kills MS milliseconds later while the
import goes on (so the kill lands inside the next statements, the commit included), and a
``:INT`` suffix sends Ctrl-C instead.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from ro_core.ingest import timing
from ro_core.ingest.base import header_signature, stage_table
from ro_core.ingest.checks import KINDS_WITH_UNIQUE_KEYS
from ro_core.store import resolve, schema

if TYPE_CHECKING:
    from ro_core.ingest.direct import DirectWrites
    from ro_core.ingest.import_report import ImportReport
    from ro_core.ingest.layout import FileLayout

FAULT_ENV_VAR = "RO_IMPORT_FAULT"
FAULT_STEPS = ("sniffed", "staged", "rows_written", "resolved", "commit", "committed")


def fault_point(step: str) -> None:
    """Signal this process at `step` when RO_IMPORT_FAULT asks for it (fault-injection tests).

    The value is ``STEP[+MS][:INT]``: SIGKILL (or SIGINT, Ctrl-C, with ``:INT``) at once, or MS
    milliseconds later from a timer while the import goes on.
    """
    wanted = os.environ.get(FAULT_ENV_VAR)
    if not wanted:
        return
    where, _, signal_name = wanted.partition(":")
    name, _, delay_ms = where.partition("+")
    if name != step:
        return
    signum = signal.SIGINT if signal_name == "INT" else signal.SIGKILL
    if not delay_ms:
        os.kill(os.getpid(), signum)
        return
    timer = threading.Timer(int(delay_ms) / 1000, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


class AlreadyImported(Exception):
    """Raised inside the write transaction when the same bytes were committed meanwhile."""

    def __init__(self, import_id: int) -> None:
        super().__init__(import_id)
        self.import_id = import_id


# Per kind: the staged column holding the content's times (its span).
_SPAN_SQL = {
    schema.KIND_ORDERS: ("min(created_at)", "max(created_at)"),
    schema.KIND_ABANDONED_CHECKOUTS: ("min(created_at)", "max(created_at)"),
    schema.KIND_EVENTS: ("min(event_time)", "max(event_time)"),
    schema.KIND_TRAFFIC: (
        "CAST(min(period_start) AS TIMESTAMPTZ)",
        # the end of the last day the periods cover
        "CAST(max(period_end) + 1 AS TIMESTAMPTZ) - INTERVAL 1 SECOND",
    ),
}


def content_span(
    cur: duckdb.DuckDBPyConnection, kinds: set[str], latest_seen: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """First and last time the staged content shows (`latest_seen`: a later time the format
    found, like a cancellation). Events use their own span only (see resolve)."""
    firsts, lasts = [], []
    for kind in sorted(kinds):
        if kind not in _SPAN_SQL:
            continue
        first_sql, last_sql = _SPAN_SQL[kind]
        first, last = cur.execute(
            f"SELECT {first_sql}, {last_sql} FROM {stage_table(kind)}"
        ).fetchone()
        firsts += [first] if first is not None else []
        lasts += [last] if last is not None else []
    if latest_seen is not None and schema.KIND_EVENTS not in kinds:
        lasts.append(latest_seen)
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


# Kinds keyed by one id column: the report says, per overlapping import, whose values were kept.
_OVERLAP_KEYS = {schema.KIND_ORDERS: "order_id", schema.KIND_ABANDONED_CHECKOUTS: "checkout_id"}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "no time"


def overlap_notes(
    cur: duckdb.DuckDBPyConnection,
    import_id: int,
    file_name: str,
    content_last: datetime | None,
    kinds: set[str],
) -> list[str]:
    """Sentences naming each earlier import that shares keys with this one and which file's
    values were kept (the newer export by its own content; equal times: the later import)."""
    notes = []
    mine = (content_last is not None, content_last, import_id)
    for kind, key in _OVERLAP_KEYS.items():
        if kind not in kinds:
            continue
        rows = cur.execute(
            f"""SELECT r.import_id, any_value(i.file_name), any_value(i.content_last),
                count(DISTINCT r.{key})
            FROM {schema.ROWS_TABLE[kind]} r JOIN {schema.IMPORTS} i USING (import_id)
            WHERE r.import_id <> ? AND r.{key} IN (SELECT {key} FROM {stage_table(kind)})
            GROUP BY r.import_id ORDER BY 4 DESC, 1 LIMIT 5""",
            [import_id],
        ).fetchall()
        noun = kind.replace("_", " ")
        for other_id, other_name, other_last, shared in rows:
            if (other_last is not None, other_last, other_id) > mine:
                notes.append(
                    f"{shared:,} {noun} are also in {other_name} (import #{other_id}), a newer "
                    f"export (its latest time {_when(other_last)}, this file's "
                    f"{_when(content_last)}): {other_name}'s values were kept for them."
                )
            else:
                notes.append(
                    f"{shared:,} {noun} are also in {other_name} (import #{other_id}), an older "
                    f"export (its latest time {_when(other_last)}, this file's "
                    f"{_when(content_last)}): this file's values were kept for them."
                )
    return notes


def commit_import(
    cur: duckdb.DuckDBPyConnection,
    report: ImportReport,
    digest: str,
    size: int,
    layout: FileLayout,
    mapping: dict[str, str] | None,
    kinds: set[str],
    span: tuple[datetime | None, datetime | None],
    direct: DirectWrites,
) -> ImportReport:
    """Write staged rows in one transaction on the staging cursor (temp tables live there).

    Returns the stored report (with its import id and overlap notes). Raises AlreadyImported
    (after rolling back) when the same bytes were committed while this file was staged.
    `direct`: the kinds already written into the store's tables (in the transaction it began)
    and the import id already drawn for this file, if any (also by a one pass that gave way).
    """
    with direct.transaction():
        existing = cur.execute(
            f"SELECT import_id FROM {schema.IMPORTS} WHERE file_sha256 = ?", [digest]
        ).fetchone()
        if existing:
            raise AlreadyImported(int(existing[0]))
        import_id = direct.import_id
        if import_id is None:
            import_id = int(cur.execute("SELECT nextval('import_id_seq')").fetchone()[0])
        written_resolved = set()
        for kind in schema.COLUMNS:
            if kind not in kinds:
                continue
            if kind in direct.kinds:
                written_resolved.add(kind)
                continue
            unique = kind in KINDS_WITH_UNIQUE_KEYS  # validated before the commit
            if resolve.write_first_import(
                cur, kind, import_id, stage_table(kind), keys_unique=unique
            ):
                written_resolved.add(kind)
                continue
            resolve.keep_rows_apart(cur, kind)
            columns = ", ".join(schema.column_names(kind))
            cur.execute(
                f"INSERT INTO {schema.ROWS_TABLE[kind]} (import_id, {columns}) "
                f"SELECT ?, {columns} FROM {stage_table(kind)}",
                [import_id],
            )
        timing.mark("write_rows")
        fault_point("rows_written")
        notes = overlap_notes(cur, import_id, report.file_name, span[1], kinds)
        stored = replace(report, import_id=import_id, notes=(*report.notes, *notes))
        insert_import_record(cur, stored, digest, size, span)
        for kind in schema.COLUMNS:
            if kind in kinds and kind not in written_resolved:
                resolve.refresh(cur, kind, import_id, removing=False)
        resolve.run_after_refresh(cur, kinds)
        timing.mark("resolve")
        fault_point("resolved")
        if mapping:
            _remember_mapping(cur, layout, mapping, report.kinds)
        fault_point("commit")  # with a delay, the kill lands inside the commit below
    timing.mark("commit")
    fault_point("committed")
    return stored


def insert_import_record(
    cur: duckdb.DuckDBPyConnection,
    report: ImportReport,
    digest: str,
    size: int,
    span: tuple[datetime | None, datetime | None],
) -> None:
    """Record an import (its report, file hash and content span) in the imports table."""
    cur.execute(
        f"""INSERT INTO {schema.IMPORTS} (import_id, file_name, file_sha256, file_size,
            format, kinds, rows_read, rows_loaded, rows_skipped, first_date, last_date,
            is_demo, report_json, content_first, content_last)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            report.import_id,
            report.file_name,
            digest,
            size,
            report.format,
            ",".join(report.kinds),
            report.rows_read,
            report.rows_loaded,
            report.rows_skipped,
            report.first_date,
            report.last_date,
            report.is_demo,
            json.dumps(report.to_dict(), default=str),
            span[0],
            span[1],
        ],
    )


def _remember_mapping(
    cur: duckdb.DuckDBPyConnection,
    layout: FileLayout,
    mapping: dict[str, str],
    kinds: tuple[str, ...],
) -> None:
    for part in layout.parts:
        cur.execute(
            f"""INSERT INTO {schema.COLUMN_MAPPINGS} (header_signature, kind, mapping_json)
            VALUES (?, ?, ?) ON CONFLICT (header_signature) DO UPDATE
            SET mapping_json = excluded.mapping_json, kind = excluded.kind,
                updated_at = now()""",
            [header_signature(part.header), ",".join(kinds), json.dumps(mapping)],
        )
