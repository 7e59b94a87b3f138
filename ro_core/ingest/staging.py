"""The text path of an import: every table of a file read as text, checked and staged.

Each part of the file (a multi-table GA4 download has several) is read as text into the raw
table with its line numbers, its broken and blank rows set aside, then staged by its format
into the temporary ``stage_<kind>`` tables of the import's cursor and validated. The result is
the import's report, the kinds staged and the content span; ``ro_core.ingest.commit`` writes
them. A first import of its kind writes its rows straight to the store (``direct``) instead.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ro_core.errors import ImportFileError, UnknownFormatError
from ro_core.ingest import direct, timing
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
from ro_core.ingest.commit import content_span
from ro_core.ingest.import_report import ImportReport
from ro_core.ingest.raw_read import (
    collect_rejects,
    drop_blank_rows,
    has_rows_blank_where_loaded,
    load_raw,
    place_on_file_lines,
    renumber_after_rejects,
)
from ro_core.store import schema

MAX_REJECT_SHARE = 0.10  # more broken rows than this (and over 5) and the file is refused


@dataclass(frozen=True)
class ImportRequest:
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


def stage_file(
    cur: duckdb.DuckDBPyConnection,
    layout: layout_mod.FileLayout,
    request: ImportRequest,
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
