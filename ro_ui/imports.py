"""The Data page's workings: import uploads one by one, remember the reports, map unknown files.

Each upload is copied to a temporary file we name ourselves under the database's folder, loaded
from there by ``ro_core.ingest.pipeline.ingest_file`` (no st.* call runs while it writes) and
deleted. Then the uploader is reset so the upload leaves the server's memory. One file that
fails, however it fails, is reported and the files after it are still imported. Text from files
(names, values quoted in messages) is always escaped: markdown from a file is never rendered.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from ro_core.errors import RoError, UnknownFormatError
from ro_core.ingest.formats import mapped_fields
from ro_core.ingest.layout import copy_to_work_dir
from ro_core.ingest.mapping_suggestions import suggest_mapping
from ro_core.ingest.pipeline import ImportReport, ingest_file, remove_import
from ro_core.ingest.preview import preview_rows
from ro_core.store.db import Database, translate_error
from ro_ui import cached
from ro_ui.fmt import count, md_escape
from ro_ui.widgets import download_table, show_error

RESULTS_KEY = "import_results"
PENDING_KEY = "pending_mappings"
ROUND_KEY = "upload_round"
NOT_MAPPED = "(not in this file)"
DATE_ORDERS = {"auto": "Detect", "mdy": "Month first (03/31/2024)", "dmy": "Day first (31/03/2024)"}


@dataclass(frozen=True)
class ImportResult:
    """What happened to one uploaded file."""

    file_name: str
    report: ImportReport | None = None
    error_title: str | None = None
    error_message: str | None = None
    needs_mapping: bool = False  # unknown layout: the mapping form takes it from here


@dataclass
class PendingMapping:
    """An upload of an unknown layout, kept as our temporary file until it is mapped."""

    token: str
    file_name: str
    path: str
    header: list[str] = field(default_factory=list)


def work_dir(db: Database) -> Path:
    """Where uploads are copied: a tmp folder beside the database file."""
    return db.path.parent / "tmp"


STALE_UPLOAD_SECONDS = 24 * 3600


def sweep_stale_uploads(folder: Path, max_age_seconds: float = STALE_UPLOAD_SECONDS) -> int:
    """Delete our temporary upload copies left behind by a session that ended mid-mapping."""
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for path in folder.glob("import-*"):
        try:
            if now - path.stat().st_mtime > max_age_seconds:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _results() -> list[ImportResult]:
    return st.session_state.setdefault(RESULTS_KEY, [])


def _pending() -> list[PendingMapping]:
    return st.session_state.setdefault(PENDING_KEY, [])


def import_one(db: Database, upload: Any, *, options: dict[str, Any] | None = None) -> ImportResult:
    """Copy one upload to our own temporary file and import it (no st.* calls in here)."""
    name = str(getattr(upload, "name", "upload.csv"))
    path: Path | None = None
    keep = False
    try:
        upload.seek(0)
        path = copy_to_work_dir(upload, work_dir(db))
        report = ingest_file(db, path, file_name=name, options=options)
        return ImportResult(name, report=report)
    except UnknownFormatError as e:
        keep = True
        _pending().append(PendingMapping(uuid.uuid4().hex[:12], name, str(path), list(e.header)))
        return ImportResult(name, needs_mapping=True)
    except (RoError, duckdb.Error, OSError) as e:
        error = translate_error(e, file_name=name)
        return ImportResult(name, error_title=error.title, error_message=str(error))
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the batch
        return ImportResult(
            name,
            error_title="Could not import file",
            error_message=f"{name}: an unexpected error stopped this file "
            f"({type(e).__name__}); nothing was written.",
        )
    finally:
        if path is not None and not keep:
            path.unlink(missing_ok=True)


def release_upload(upload: Any) -> None:
    """Drop Streamlit's in-memory copy of an upload once it is in our temporary file.

    Streamlit keeps every upload's bytes until the browser session ends (a closed tab's session
    can live on); st.chat_input and st.audio_input free theirs the same way. Measured: a 200 MB
    upload otherwise stays in the server's memory until it restarts.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.uploaded_file_manager import UploadedFileManager

    ctx = get_script_run_ctx()
    file_id = getattr(upload, "file_id", None)
    manager = getattr(ctx, "uploaded_file_mgr", None) if ctx is not None else None
    if file_id and isinstance(manager, UploadedFileManager):
        manager.remove_file(session_id=ctx.session_id, file_id=file_id)


def upload_section(db: Database) -> None:
    """The uploader: several files at once, a progress indicator, then the reports."""
    if not st.session_state.get("uploads_swept"):
        sweep_stale_uploads(work_dir(db))
        st.session_state["uploads_swept"] = True
    round_no = st.session_state.setdefault(ROUND_KEY, 0)
    uploads = st.file_uploader(
        "Drop your exports here (several at once is fine)",
        type=["csv", "tsv", "txt", "gz", "zip"],
        accept_multiple_files=True,
        key=f"uploader_{round_no}",
        help="Shopify orders and analytics reports, WooCommerce orders, GA4 report downloads, "
        "event-level exports. Any other CSV opens a column-mapping form.",
    )
    if not uploads:
        return
    total = len(uploads)
    new_results: list[ImportResult] = []
    with st.status(f"Importing {total} file{'s' * (total != 1)}...", expanded=True) as status:
        progress = st.progress(0.0)
        for position, upload in enumerate(uploads):
            progress.progress(
                position / total, text=f"{md_escape(upload.name)} ({position + 1} of {total})"
            )
            result = import_one(db, upload)
            release_upload(upload)
            new_results.append(result)
            outcome = (
                "Done"
                if result.report
                else ("Needs a column mapping" if result.needs_mapping else "Not imported")
            )
            st.write(f"{outcome}: {md_escape(upload.name)}")
        progress.progress(1.0, text="Finished")
        imported = sum(r.report is not None for r in new_results)
        to_map = sum(r.needs_mapping for r in new_results)
        label = f"Imported {imported} of {total} file{'s' * (total != 1)}"
        if to_map:
            label += f"; {to_map} need{'s' * (to_map == 1)} a column mapping"
        status.update(
            label=label,
            state="error" if imported + to_map == 0 else "complete",
            expanded=False,
        )
    st.session_state[RESULTS_KEY] = [r for r in new_results if not r.needs_mapping] + _results()
    st.session_state[ROUND_KEY] = round_no + 1  # a new, empty uploader: the uploads are dropped
    st.rerun()


def _report_card(result: ImportResult, index: int) -> None:
    report = result.report
    with st.container(border=True):
        if report is None:
            if result.error_title:
                st.error(
                    f"**{md_escape(result.file_name)}**: {result.error_title}  \n"
                    f"{md_escape(result.error_message or '')}",
                    icon=":material/error:",
                )
            return
        if report.already_imported:
            st.info(
                f"**{md_escape(result.file_name)}** was already imported "
                f"(import #{report.import_id}): nothing changed.",
                icon=":material/check_circle:",
            )
            return
        st.markdown(
            f":material/check_circle: **{md_escape(result.file_name)}**: "
            f"{md_escape(report.format_label)}"
        )
        columns = st.columns(4)
        columns[0].metric("Rows read", count(report.rows_read))
        columns[1].metric("Rows loaded", count(report.rows_loaded))
        columns[2].metric("Rows skipped", count(report.rows_skipped))
        days = (
            (report.last_date - report.first_date).days + 1
            if report.first_date and report.last_date
            else None
        )
        columns[3].metric("Days covered", count(days))
        if report.counts:
            span = f"{report.first_date} to {report.last_date} · " if report.first_date else ""
            st.caption(
                span
                + "Loaded: "
                + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in report.counts.items())
                + (f" · currency {', '.join(report.currencies)}" if report.currencies else "")
                + f" · {report.seconds:.1f} s"
            )
        if report.skipped:
            st.dataframe(
                pd.DataFrame(
                    {
                        "Skipped because": [s.reason for s in report.skipped],
                        "Rows": [s.count for s in report.skipped],
                        "First lines": [", ".join(map(str, s.lines)) for s in report.skipped],
                    }
                ),
                hide_index=True,
                key=f"skipped_{index}",
            )
        for warning in report.warnings:
            st.warning(md_escape(warning), icon=":material/warning:")
        for note in report.notes:
            st.caption(md_escape(note))


def results_section() -> None:
    """The reports of this session's imports, newest first."""
    results = _results()
    if not results:
        return
    header = st.columns([4, 1], vertical_alignment="bottom")
    header[0].subheader("Import reports")
    if header[1].button("Clear reports", key="clear_reports"):
        st.session_state[RESULTS_KEY] = []
        st.rerun()
    for index, result in enumerate(results):
        _report_card(result, index)


def mapping_section(db: Database) -> None:
    """A column-mapping form, with a preview, for every upload whose layout we do not know."""
    pending = _pending()
    if not pending:
        return
    for item in list(pending):
        with st.container(border=True):
            st.subheader(f"Map the columns of {md_escape(item.file_name)}")
            st.caption(
                "This layout is not one we know. Say which column holds what (suggestions are "
                "filled in); files with the same columns are read with this mapping from now on."
            )
            if not Path(item.path).exists():
                pending.remove(item)
                st.warning("That upload is gone: drop the file again.")
                continue
            try:
                st.dataframe(
                    preview_rows(item.path, 10), hide_index=True, key=f"preview_{item.token}"
                )
            except RoError as e:
                show_error(e)
            _mapping_form(db, item)
            if st.button("Discard this file", key=f"discard_{item.token}"):
                Path(item.path).unlink(missing_ok=True)
                pending.remove(item)
                st.rerun()


def _mapping_form(db: Database, item: PendingMapping) -> None:
    kinds = list(mapped_fields.MAPPABLE_FIELDS)
    suggested = dict(suggest_mapping(item.header) or {})
    suggested_kind = next(
        (
            k
            for k in kinds
            if any(f in mapped_fields.MAPPABLE_FIELDS[k] for f in suggested.values())
        ),
        kinds[0],
    )
    kind = st.selectbox(
        "This file holds",
        kinds,
        index=kinds.index(suggested_kind),
        key=f"kind_{item.token}",
        format_func=lambda k: k.replace("_", " "),
    )
    options = [NOT_MAPPED, *item.header]
    by_field = {f: c for c, f in suggested.items()}
    with st.form(key=f"mapform_{item.token}"):
        chosen: dict[str, str] = {}
        grid = st.columns(3)
        for position, field_name in enumerate(mapped_fields.MAPPABLE_FIELDS[kind]):
            default = by_field.get(field_name)
            picked = grid[position % 3].selectbox(
                field_name.replace("_", " "),
                options,
                index=options.index(default) if default in options else 0,
                key=f"map_{item.token}_{kind}_{field_name}",
                help=mapped_fields.FIELD_HELP.get(field_name),
            )
            if picked != NOT_MAPPED:
                chosen[picked] = field_name
        date_order = st.radio(
            "Dates like 01/02/2024 are",
            list(DATE_ORDERS),
            format_func=DATE_ORDERS.__getitem__,
            horizontal=True,
            key=f"date_order_{item.token}",
        )
        submitted = st.form_submit_button("Import with this mapping", type="primary")
    if not submitted:
        return
    options_dict = {} if date_order == "auto" else {"date_order": date_order}
    try:
        report = ingest_file(
            db, Path(item.path), file_name=item.file_name, mapping=chosen, options=options_dict
        )
    except (RoError, duckdb.Error, OSError) as e:
        show_error(translate_error(e, file_name=item.file_name))
        return
    Path(item.path).unlink(missing_ok=True)
    _pending().remove(item)
    st.session_state[RESULTS_KEY] = [ImportResult(item.file_name, report=report), *_results()]
    st.rerun()


def imports_section(db: Database) -> None:
    """Every import with its dates and row counts; remove any of them."""
    db_path, version = cached.key(db)
    rows = cached.imports(db_path, version)
    st.subheader("Loaded files")
    if not rows:
        st.caption("Nothing imported yet.")
        return
    table = pd.DataFrame(
        {
            "#": [r["import_id"] for r in rows],
            "File": [r["file_name"] for r in rows],
            "Format": [r["format"] for r in rows],
            "Holds": [str(r["kinds"]).replace("_", " ").replace(",", ", ") for r in rows],
            "Rows loaded": [r["rows_loaded"] for r in rows],
            "Rows skipped": [r["rows_skipped"] for r in rows],
            "From": [(r["first_date"] or "")[:10] for r in rows],
            "To": [(r["last_date"] or "")[:10] for r in rows],
            "Imported": [r["imported_at"] for r in rows],
            "Demo": [bool(r["is_demo"]) for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, key="imports_table")
    download_table(table, "imports.csv", key="download_imports", label="List of imports")
    labels = {r["import_id"]: f"#{r['import_id']} {r['file_name']}" for r in rows}
    cols = st.columns([4, 1], vertical_alignment="bottom")
    chosen = cols[0].multiselect(
        "Remove imports (exactly their rows are taken out)",
        list(labels),
        format_func=labels.__getitem__,
        key="remove_choice",
    )
    if cols[1].button(
        "Remove", key="remove_imports", disabled=not chosen, icon=":material/delete:"
    ):
        try:
            for import_id in chosen:
                remove_import(db, int(import_id))
        except (RoError, duckdb.Error, OSError) as e:
            show_error(translate_error(e))
            return
        st.session_state.pop("remove_choice", None)
        st.toast(f"Removed {len(chosen)} import{'s' * (len(chosen) != 1)}.")
        st.rerun()
