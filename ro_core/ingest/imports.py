"""The imports a database holds: list them, remove one (exactly its rows), remove the demo store.

Re-exported by ``ro_core.ingest.pipeline``, where callers have always found them.
"""

from __future__ import annotations

from typing import Any

from ro_core.store import resolve, schema
from ro_core.store.db import Database


def remove_import(db: Database, import_id: int) -> bool:
    """Remove exactly the rows one import added (and resolve again). False if there is none."""
    db.require_local_store("removing an import")
    row = db.fetch_one(f"SELECT kinds FROM {schema.IMPORTS} WHERE import_id = ?", [import_id])
    if row is None:
        return False
    kinds = {k for k in row[0].split(",") if k}
    with db.transaction() as cur:
        for kind in schema.COLUMNS:
            if kind in kinds:
                resolve.refresh(cur, kind, import_id, removing=True)
        resolve.run_after_refresh(cur, kinds)
        cur.execute(f"DELETE FROM {schema.IMPORTS} WHERE import_id = ?", [import_id])
    return True


def remove_demo_data(db: Database) -> int:
    """Remove every demo import; returns how many were removed."""
    ids = [r[0] for r in db.fetch_all(f"SELECT import_id FROM {schema.IMPORTS} WHERE is_demo")]
    for import_id in ids:
        remove_import(db, int(import_id))
    return len(ids)


def list_imports(db: Database) -> list[dict[str, Any]]:
    """Every import, newest first, as plain dicts (JSON-ready)."""
    df = db.fetch_df(
        f"""SELECT import_id, file_name, format, kinds, imported_at, rows_read, rows_loaded,
            rows_skipped, first_date, last_date, is_demo
        FROM {schema.IMPORTS} ORDER BY import_id DESC"""
    )
    records = df.to_dict(orient="records")
    for record in records:
        for key in ("imported_at", "first_date", "last_date"):
            value = record.get(key)
            record[key] = None if value is None or value != value else str(value)[:19]
    return records


def has_demo_data(db: Database) -> bool:
    """Whether any demo import is loaded."""
    return bool(db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS} WHERE is_demo"))


def has_own_data(db: Database) -> bool:
    """Whether any import is the store owner's own (not the demo store's)."""
    return bool(db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS} WHERE NOT is_demo"))
