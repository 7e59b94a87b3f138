"""The default database and the demo exports live in the repository's data/ folder (the move of
db.py into ro_core/store/ once pointed them into ro_core/data/)."""

from __future__ import annotations

from pathlib import Path

from ro_core.store.db import DEFAULT_DB_PATH, SAMPLE_DIR

REPO = Path(__file__).resolve().parents[1]


def test_data_folder_is_the_repositorys() -> None:
    assert SAMPLE_DIR == REPO / "data" / "sample"
    assert (SAMPLE_DIR / "shopify_orders_export.csv").is_file()  # committed demo exports
    assert DEFAULT_DB_PATH == REPO / "data" / "ro.duckdb"
