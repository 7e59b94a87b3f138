"""`ro warehouse export DIR`: the DuckDB file's canonical tables written in the warehouse layout."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import uuid
from pathlib import Path

from ro_core.engines.layout import (
    LAYOUT_VERSION,
    NO_MONTH,
    WAREHOUSE_TABLES,
    Manifest,
    WarehouseError,
    manifest_location,
    table_location,
)
from ro_core.store import schema
from ro_core.store.db import Database

STORE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _quoted_path(path: Path) -> str:
    # COPY ... TO takes no bound parameter for its target: the path is ours (a folder under
    # the chosen location, quotes doubled), never a value read from a file.
    return "'" + str(path).replace("'", "''") + "'"


def _export_table(db: Database, table: str, target: Path) -> dict[str, object]:
    """Write one table under `target` (month partitions); its rows and months."""
    columns, month_sql = WAREHOUSE_TABLES[table]
    select = ", ".join(columns) if columns else "*"
    target.mkdir(parents=True, exist_ok=True)
    with db.cursor() as cur:
        rows = int(cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        if month_sql is None:
            cur.execute(
                f"COPY (SELECT {select} FROM {table}) TO "
                f"{_quoted_path(target / f'{table}.parquet')} (FORMAT parquet)"
            )
            return {"rows": rows, "months": []}
        month = f"coalesce(strftime({month_sql}, '%Y-%m'), '{NO_MONTH}')"
        if rows:
            cur.execute(
                f"COPY (SELECT {select}, {month} AS month FROM {table} t) TO "
                f"{_quoted_path(target)} (FORMAT parquet, PARTITION_BY (month), "
                "FILENAME_PATTERN 'part-{i}')"
            )
        else:  # one empty file that carries the columns, so every engine can read the table
            (target / f"month={NO_MONTH}").mkdir()
            cur.execute(
                f"COPY (SELECT {select} FROM {table} LIMIT 0) TO "
                f"{_quoted_path(target / f'month={NO_MONTH}' / 'part-0.parquet')} (FORMAT parquet)"
            )
        months = [
            m
            for (m,) in cur.execute(
                f"SELECT DISTINCT {month} AS m FROM {table} t ORDER BY m"
            ).fetchall()
        ]
    return {"rows": rows, "months": months}


def export_warehouse(db: Database, location: Path | str, store: str | None = None) -> Manifest:
    """Write the store's tables as Parquet by month under `location`, then the manifest.

    Every table is written to a staging folder first; the folders are swapped in (and the
    manifest written last) only once all of them are written, so a failed export leaves the
    last one whole. With `store`, only that store's folders (and manifest) are replaced.
    """
    if store is not None and not STORE_NAME.match(store):
        raise WarehouseError(
            f"Store name {store!r}: use letters, digits, '-', '_' or '.' (at most 64 characters)."
        )
    root = Path(location).resolve()
    if root.exists() and not root.is_dir():
        raise WarehouseError(f"{root} is a file: give a folder for the warehouse.")
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".export-{uuid.uuid4().hex[:12]}"
    tables: dict[str, dict[str, object]] = {}
    try:
        for table in WAREHOUSE_TABLES:
            tables[table] = _export_table(db, table, staging / table)
        manifest = Manifest(
            layout_version=LAYOUT_VERSION,
            schema_version=schema.SCHEMA_VERSION,
            data_version=db.data_version(),
            exported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            store=store,
            tables=tables,
        )
        for table in WAREHOUSE_TABLES:
            final = Path(table_location(str(root), table, store))
            if final.exists():
                shutil.rmtree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            (staging / table).rename(final)
        manifest_path = Path(manifest_location(str(root), store))
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest
