"""Import a file safely: sniff, detect, stage, validate, then write in one transaction.

A clean first file of a kind with a one pass is written by it (``one_pass``); otherwise the
file takes the text path (``staging``). Staging happens in temporary tables of the import's
own cursor; the database is only touched by the final transaction (``ro_core.ingest.commit``),
which is rolled back on any exception (Streamlit's stop/rerun included). Re-importing the same bytes is a no-op, checked again inside
the write lock; overlapping exports are resolved per key, the newer export by its own content
winning (see ``ro_core.store.resolve``), so nothing is counted twice. Every failure is one of
our errors (ImportFileError, DatabaseError): DuckDB and disk errors are translated, Ctrl-C
inside a query becomes KeyboardInterrupt after the rollback.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ro_core.errors import ImportFileError
from ro_core.ingest import direct, one_pass, timing
from ro_core.ingest import layout as layout_mod
from ro_core.ingest.base import detect_format, get_format
from ro_core.ingest.commit import (
    AlreadyImported,
    commit_import,
    fault_point,
    insert_import_record,
)
from ro_core.ingest.file_lines import count_newlines
from ro_core.ingest.file_scan import BackgroundScan
from ro_core.ingest.import_report import ImportReport, already_imported_report
from ro_core.ingest.imports import has_demo_data, list_imports, remove_demo_data, remove_import
from ro_core.ingest.raw_read import MAX_LINE_BYTES
from ro_core.ingest.staging import ImportRequest, stage_file
from ro_core.store import schema
from ro_core.store.db import Database, translate_error

__all__ = [
    "ImportReport",
    "has_demo_data",
    "ingest_file",
    "list_imports",
    "remove_demo_data",
    "remove_import",
]


def ingest_file(
    db: Database,
    path: Path | str,
    *,
    file_name: str | None = None,
    format_name: str | None = None,
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    is_demo: bool = False,
    remember_mapping: bool = True,
) -> ImportReport:
    """Import one file; returns its report. Raises ImportFileError (nothing written) on bad input.

    Args:
        db: the database.
        path: the file to read (for uploads: our own temporary copy).
        file_name: the name shown to the user (defaults to the path's name).
        format_name: force a format instead of detecting it from the header.
        mapping: header column -> canonical field, for layouts we do not know.
        options: format options, e.g. {"date_order": "mdy"}.
        is_demo: mark the import as demo data.
    """
    db.require_local_store("an import")
    started = time.monotonic()
    path = Path(path)
    shown = file_name or path.name
    options = dict(options or {})
    if not path.is_file():
        raise ImportFileError("no such file.", file_name=shown, hint="Check the path.")
    work_dir = db.path.parent / "tmp" if str(db.path) != ":memory:" else Path("/tmp/ro-import")
    request = ImportRequest(path, shown, work_dir, format_name, mapping, options, is_demo)
    try:
        return _ingest(db, request, started)
    except duckdb.InterruptException as e:
        # Ctrl-C inside a query: the transaction is rolled back; tell the caller it was Ctrl-C.
        raise KeyboardInterrupt from e
    except RuntimeError as e:
        if "interrupted" in str(e).lower():  # DuckDB's "Query interrupted" during COMMIT
            raise KeyboardInterrupt from e
        raise
    except (duckdb.Error, OSError) as e:
        raise translate_error(e, file_name=shown) from e


def _ingest(db: Database, request: ImportRequest, started: float) -> ImportReport:
    timing.start()
    path, shown = request.path, request.shown
    size = path.stat().st_size
    # The store is opened (and a new one set up) before the scan starts: the scan's first
    # blocks (and numpy's import, for a large file) slowed the opening by about 0.1 s.
    same_size = db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS} WHERE file_size = ?", [size])
    # The file's bytes are hashed (and its lines counted) while DuckDB reads it in one pass.
    scan = BackgroundScan(path)
    if same_size:
        # probably the same file again: find out before any work
        existing = _imported_as(db, scan.result().sha256)
        if existing is not None:
            return already_imported_report(shown, existing, db, started)
    try:
        fast, reserved_id = _try_one_pass(db, request, scan, size)
    except AlreadyImported as e:  # the same bytes were committed while this file was read
        return already_imported_report(shown, e.import_id, db, started)
    if fast is not None:
        return replace(fast, seconds=time.monotonic() - started)
    # The text path does not wait for the scan either: the file is read as UTF-8 (unless its
    # first bytes say otherwise) while the scan runs, and read again in the encoding the whole
    # file has when the scan finds it is not UTF-8. A file already imported has the same size,
    # so it was caught above without any work; the check that counts runs in the write lock.
    layouts = [layout_mod.sniff(path, shown, request.work_dir, utf8=True)]
    timing.mark("sniff")
    try:
        fault_point("sniffed")
        # A first import of orders or events writes its rows straight into the store's tables
        # (one part only: a second part's rows are read after the first part's are written).
        empty_kinds = direct.store_is_empty_of(db) if len(layouts[0].parts) == 1 else frozenset()
        # Imports run under a lowered memory limit so big files spill to disk; a file whose
        # rows are too wide for it is loaded again with the normal limit.
        for lowered_limit in (True, False):
            limit = db.import_memory_limit(size) if lowered_limit else contextlib.nullcontext()
            writes = None
            try:
                with (
                    limit,
                    db.cursor() as cur,
                    direct.DirectWrites(db, cur, empty_kinds, reserved_id) as writes,
                ):
                    report, kinds, span = _stage_in_file_encoding(
                        cur, layouts, request, scan, writes
                    )
                    fault_point("staged")
                    stored = commit_import(
                        cur,
                        report,
                        scan.result().sha256,
                        size,
                        layouts[-1],
                        request.mapping,
                        kinds,
                        span,
                        writes,
                    )
                break
            except duckdb.OutOfMemoryException as e:
                reserved_id = writes.import_id if writes is not None else reserved_id
                if not lowered_limit:
                    raise ImportFileError(
                        "there was not enough memory to load this file.",
                        file_name=shown,
                        hint="Close other programs or raise RO_MEMORY_LIMIT, then try again.",
                    ) from e
    except AlreadyImported as e:
        return already_imported_report(shown, e.import_id, db, started)
    finally:
        for layout in layouts:
            layout_mod.cleanup(layout, path)
    return replace(stored, seconds=time.monotonic() - started)


def _stage_in_file_encoding(
    cur: duckdb.DuckDBPyConnection,
    layouts: list[layout_mod.FileLayout],
    request: ImportRequest,
    scan: BackgroundScan,
    writes: direct.DirectWrites,
) -> tuple[ImportReport, set[str], tuple[datetime | None, datetime | None]]:
    """Stage the file as `layouts[-1]` reads it (sniffed as if UTF-8); once the scan has the
    answer, stage it again when the whole file's encoding reads it differently (the layout
    used is appended to `layouts`). A failure is raised only once the encoding is right."""

    def newlines(data_path: Path) -> int:
        """Line feeds in a table's file: the scan counted the original file's."""
        return scan.result().newlines if data_path == request.path else count_newlines(data_path)

    try:
        staged = stage_file(cur, layouts[-1], request, newlines, writes)
        failure: ImportFileError | None = None
    except ImportFileError as e:
        failure = e
    found = scan.result()
    timing.mark("hash")
    if not found.utf8:
        real = layout_mod.sniff(request.path, request.shown, request.work_dir, utf8=False)
        layouts.append(real)
        if (real.encoding, real.source_path) != (layouts[-2].encoding, layouts[-2].source_path):
            writes.roll_back()
            return stage_file(cur, real, request, newlines, writes)
    if failure is not None:
        raise failure
    return staged


def _imported_as(db: Database, digest: str) -> int | None:
    """The import that holds these exact bytes, if any."""
    existing = db.fetch_value(
        f"SELECT import_id FROM {schema.IMPORTS} WHERE file_sha256 = ?", [digest]
    )
    return None if existing is None else int(existing)


def _try_one_pass(
    db: Database, request: ImportRequest, scan: BackgroundScan, size: int
) -> tuple[ImportReport | None, int | None]:
    """The import in one pass when the format has one and the file allows it (see
    ro_core.ingest.one_pass): (its report, None), or (None, an import id it drew or None).
    Raises AlreadyImported when the same bytes are in the store."""
    path, shown, format_name = request.path, request.shown, request.format_name
    mapping, is_demo = request.mapping, request.is_demo
    if mapping or layout_mod.is_compressed(path):
        return None, None
    # Read as UTF-8 until the scan says otherwise (then the pass gives way).
    layout = layout_mod.sniff(path, shown, request.work_dir, utf8=True)
    try:
        if len(layout.parts) != 1 or layout.parts[0].data_path != path:
            return None, None  # the lines the scan counts are the original file's
        part = layout.parts[0]
        try:
            spec = get_format(format_name) if format_name else detect_format(part.header)
        except KeyError:
            return None, None  # the text path says so
        if spec is None or spec.one_pass is None:
            return None, None
        timing.mark("sniff")
        fault_point("sniffed")
        stored: list[ImportReport] = []

        def write_record(
            cur: duckdb.DuckDBPyConnection, done: one_pass.OnePassResult, digest: str
        ) -> None:
            report = ImportReport(
                import_id=done.import_id,
                file_name=shown,
                format=spec.name,
                format_label=spec.label,
                kinds=tuple(spec.kinds),
                rows_read=done.rows,
                rows_loaded=done.rows,
                rows_skipped=0,
                skipped=(),
                counts={kind: done.rows for kind in spec.kinds},
                first_date=done.first_date,
                last_date=done.last_date,
                currencies=(),
                warnings=(),
                notes=done.notes,
                is_demo=is_demo,
            )
            insert_import_record(cur, report, digest, size, (done.content_first, done.content_last))
            stored.append(report)

        with db.import_memory_limit(size):
            one_pass.try_one_pass(
                db,
                spec,
                part,
                layout.encoding,
                file_name=shown,
                options=request.options,
                scan=scan.result,
                max_line=MAX_LINE_BYTES,
                write_record=write_record,
            )
    except one_pass.GaveWay as gave_way:
        return None, gave_way.import_id
    except duckdb.OutOfMemoryException:
        return None, None
    finally:
        layout_mod.cleanup(layout, path)
    return stored[0], None
