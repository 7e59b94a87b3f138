"""Import a file safely: sniff, detect, stage, validate, then write in one transaction.

Staging happens in temporary tables of the import's own cursor; the database is only touched
by the final transaction (``ro_core.ingest.commit``), which is rolled back on any exception
(Streamlit's stop/rerun included). Re-importing the same bytes is a no-op, checked again inside
the write lock; overlapping exports are resolved per key, the newer export by its own content
winning (see ``ro_core.store.resolve``), so nothing is counted twice. Every failure is one of
our errors (ImportFileError, DatabaseError): DuckDB and disk errors are translated, Ctrl-C
inside a query becomes KeyboardInterrupt after the rollback.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ro_core.errors import ImportFileError, UnknownFormatError
from ro_core.ingest import direct, one_pass, timing
from ro_core.ingest import layout as layout_mod
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    TablePart,
    date_range,
    detect_format,
    get_format,
    header_signature,
    stage_table,
)
from ro_core.ingest.checks import validate_and_warn
from ro_core.ingest.commit import (
    AlreadyImported,
    commit_import,
    content_span,
    fault_point,
    insert_import_record,
)
from ro_core.ingest.file_lines import count_newlines
from ro_core.ingest.file_scan import BackgroundScan
from ro_core.ingest.import_report import ImportReport, already_imported_report
from ro_core.ingest.imports import has_demo_data, list_imports, remove_demo_data, remove_import
from ro_core.ingest.raw_read import (
    MAX_LINE_BYTES,
    collect_rejects,
    drop_blank_rows,
    has_rows_blank_where_loaded,
    load_raw,
    place_on_file_lines,
    renumber_after_rejects,
)
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

MAX_REJECT_SHARE = 0.10  # more broken rows than this (and over 5) and the file is refused


@dataclass(frozen=True)
class _Request:
    """One import as asked: the file, the name shown for it, where temporary copies go and how
    to read it (a forced format, a column mapping, format options, demo data or not)."""

    path: Path
    shown: str
    work_dir: Path
    format_name: str | None
    mapping: dict[str, str] | None
    options: dict[str, Any]
    is_demo: bool


def _create_stage_tables(cur: duckdb.DuckDBPyConnection) -> None:
    for kind, columns in schema.COLUMNS.items():
        ddl = ", ".join(f"{name} {sql_type.replace(' NOT NULL', '')}" for name, sql_type in columns)
        cur.execute(f"DROP TABLE IF EXISTS {stage_table(kind)}")
        cur.execute(f"CREATE TEMP TABLE stage_{kind} ({ddl})")


def _choose_format(
    db_cur: duckdb.DuckDBPyConnection,
    part: TablePart,
    file_name: str,
    format_name: str | None,
    mapping: dict[str, str] | None,
) -> tuple[FormatSpec, dict[str, str] | None]:
    if mapping:
        from ro_core.ingest.formats.mapped import spec_for_mapping

        return spec_for_mapping(mapping, file_name), mapping
    if format_name:
        try:
            return get_format(format_name), None
        except KeyError as e:
            raise ImportFileError(str(e.args[0]), file_name=file_name) from e
    spec = detect_format(part.header)
    if spec is not None:
        return spec, None
    saved = db_cur.execute(
        f"SELECT mapping_json FROM {schema.COLUMN_MAPPINGS} WHERE header_signature = ?",
        [header_signature(part.header)],
    ).fetchone()
    if saved:
        from ro_core.ingest.formats.mapped import spec_for_mapping

        remembered = json.loads(saved[0])
        return spec_for_mapping(remembered, file_name), remembered
    raise UnknownFormatError(file_name=file_name, header=part.header)


def _stage_part(
    cur: duckdb.DuckDBPyConnection,
    spec: FormatSpec,
    part: TablePart,
    encoding: str,
    file_name: str,
    mapping: dict[str, str] | None,
    options: dict[str, Any],
    newlines: Callable[[Path], int],
    writes: direct.DirectWrites | None,
) -> StageContext:
    ctx = StageContext(
        cur=cur,
        file_name=file_name,
        part=part,
        import_id=0,
        mapping=mapping,
        options=options,
        loaded=spec.loaded_positions(part.header),
        direct=writes,
    )
    try:
        load_raw(ctx, encoding)
        if ctx.loaded is not None and has_rows_blank_where_loaded(ctx):
            # Whether such a row is spreadsheet padding (blank everywhere) or a row missing its
            # key values depends on the columns not loaded: load them all and look again.
            ctx.loaded = None
            load_raw(ctx, encoding)
        timing.mark("read")
        rejected = collect_rejects(ctx)
        read = cur.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
        ctx.rows_read = int(read) + rejected
        if rejected:
            renumber_after_rejects(ctx, newlines)
        else:
            place_on_file_lines(ctx, newlines)
        if rejected and (
            rejected == ctx.rows_read
            or (rejected > 5 and rejected > MAX_REJECT_SHARE * ctx.rows_read)
        ):
            first = min(line for s in ctx.skipped for line in s.lines) if ctx.skipped else None
            raise ImportFileError(
                f"{rejected:,} of {ctx.rows_read:,} rows could not be read "
                f"({ctx.skipped[0].reason if ctx.skipped else 'broken rows'}).",
                file_name=file_name,
                line=first,
                hint="Check the delimiter and quoting, or export the file again.",
            )
        drop_blank_rows(ctx)
        timing.mark("rejects_blanks")
        spec.stage(ctx)
    finally:
        # The rows as read are freed as soon as the part is staged (or has failed).
        with contextlib.suppress(duckdb.Error):
            ctx.release_raw()
    timing.mark("check_and_stage")
    return ctx


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
    request = _Request(path, shown, work_dir, format_name, mapping, options, is_demo)
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


def _ingest(db: Database, request: _Request, started: float) -> ImportReport:
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
    request: _Request,
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
        staged = _stage_file(cur, layouts[-1], request, newlines, writes)
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
            return _stage_file(cur, real, request, newlines, writes)
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
    db: Database, request: _Request, scan: BackgroundScan, size: int
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


def _stage_file(
    cur: duckdb.DuckDBPyConnection,
    layout: layout_mod.FileLayout,
    request: _Request,
    newlines: Callable[[Path], int],
    writes: direct.DirectWrites,
) -> tuple[ImportReport, set[str], tuple[datetime | None, datetime | None]]:
    """Stage every table of the file; returns the report, the kinds staged and the content span."""
    shown, format_name, mapping = request.shown, request.format_name, request.mapping
    options, is_demo = request.options, request.is_demo
    _create_stage_tables(cur)
    contexts: list[StageContext] = []
    spec: FormatSpec | None = None
    # A multi-table download (GA4) is one report: a table whose own header is not recognised
    # (cohorts, campaigns) goes to the format that recognised another table, which skips it
    # with a note instead of failing the whole file.
    file_spec = None
    if len(layout.parts) > 1 and not format_name and not mapping:
        file_spec = next((s for s in (detect_format(p.header) for p in layout.parts) if s), None)
    for part in layout.parts:
        if file_spec is not None and detect_format(part.header) is None:
            part_spec, part_mapping = file_spec, None
        else:
            part_spec, part_mapping = _choose_format(cur, part, shown, format_name, mapping)
        if spec is None:
            spec = part_spec
        contexts.append(
            _stage_part(
                cur,
                part_spec,
                part,
                layout.encoding,
                shown,
                part_mapping,
                options,
                newlines,
                writes if len(layout.parts) == 1 else None,
            )
        )
    assert spec is not None
    kinds = {
        kind
        for kind in schema.COLUMNS
        if cur.execute(f"SELECT count(*) FROM {stage_table(kind)}").fetchone()[0]
    }
    main_ctx = contexts[0]
    for extra in contexts[1:]:
        main_ctx.rows_read += extra.rows_read
        main_ctx.skipped.extend(extra.skipped)
        main_ctx.warnings.extend(w for w in extra.warnings if w not in main_ctx.warnings)
        main_ctx.notes.extend(extra.notes)
    if not kinds:
        raise ImportFileError(
            "no rows could be loaded from this file"
            + (f" ({main_ctx.skipped[0].reason})" if main_ctx.skipped else "")
            + ".",
            file_name=shown,
            line=(main_ctx.skipped[0].lines or [None])[0] if main_ctx.skipped else None,
            hint="Check that it is a complete export with data rows.",
        )
    validate_and_warn(cur, main_ctx, kinds)
    timing.mark("validate")
    counts = {
        kind: int(cur.execute(f"SELECT count(*) FROM {stage_table(kind)}").fetchone()[0])
        for kind in schema.COLUMNS
        if kind in kinds
    }
    starts, ends = [], []
    for kind in kinds:
        first, last = date_range(cur, kind)
        if first:
            starts.append(first)
        if last:
            ends.append(last)
    currencies: tuple[str, ...] = ()
    if schema.KIND_ORDERS in kinds:
        currencies = tuple(
            r[0]
            for r in cur.execute(
                f"SELECT DISTINCT currency FROM {stage_table(schema.KIND_ORDERS)} "
                "WHERE currency IS NOT NULL ORDER BY 1"
            ).fetchall()
        )
    latest_seen = max((c.latest_seen for c in contexts if c.latest_seen), default=None)
    skipped_total = sum(s.count for s in main_ctx.skipped)
    report = ImportReport(
        import_id=0,
        file_name=shown,
        format=spec.name,
        format_label=spec.label,
        kinds=tuple(k for k in schema.COLUMNS if k in kinds),
        rows_read=main_ctx.rows_read,
        rows_loaded=max(main_ctx.rows_read - skipped_total, 0),
        rows_skipped=skipped_total,
        skipped=tuple(main_ctx.skipped),
        counts=counts,
        first_date=min(starts) if starts else None,
        last_date=max(ends) if ends else None,
        currencies=currencies,
        warnings=tuple(main_ctx.warnings),
        notes=tuple(main_ctx.notes),
        is_demo=is_demo,
    )
    span = content_span(cur, kinds, latest_seen)
    timing.mark("report")
    return report, kinds, span
