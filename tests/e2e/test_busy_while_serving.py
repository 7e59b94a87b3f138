"""`ro ingest` while the dashboard serves the same database: a one-line "busy" error (exit 2),
the database unchanged and the dashboard unaffected; the same command works once it stops.

The app_server fixture starts on an empty database and stops only at the end of the module, and
this test must stop the server to read the database again (DuckDB lets one process hold the
file), so the test starts and stops its own server with conftest's start_app / stop_app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ro_core.ingest.pipeline import ingest_file, list_imports
from ro_core.store import schema
from ro_core.store.db import Database
from tests.e2e.conftest import REPO, block_outside_requests, start_app, stop_app
from tests.e2e.helpers import metric_value, wait_for_app
from tests.ingest.builders import shopify_order_rows, write_shopify_export

pytestmark = pytest.mark.e2e

CLI_TIMEOUT_S = 60


def _snapshot(db: Database) -> dict:
    """Everything an import could change: imports, data version, rows and resolved orders."""
    return {
        "imports": [(r["import_id"], r["file_name"], r["rows_loaded"]) for r in list_imports(db)],
        "data_version": db.data_version(),
        "orders": db.fetch_all(f"SELECT order_id FROM {schema.ORDERS} ORDER BY order_id"),
        "order_rows": db.fetch_value(f"SELECT count(*) FROM {schema.ORDER_ROWS}"),
        "order_lines": db.fetch_value(f"SELECT count(*) FROM {schema.ORDER_LINES}"),
        "order_line_rows": db.fetch_value(f"SELECT count(*) FROM {schema.ORDER_LINE_ROWS}"),
    }


def _read(db_path: Path) -> dict:
    db = Database(db_path, read_only=True)
    try:
        return _snapshot(db)
    finally:
        db.close()


def _ro(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ro_core.cli", "--db", str(db_path), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


def test_ro_ingest_while_the_dashboard_serves_reports_busy_and_changes_nothing(tmp_path, browser):
    db_path = tmp_path / "ro.duckdb"
    served = write_shopify_export(
        tmp_path / "served_orders.csv",
        [
            shopify_order_rows(1001 + i, f"2025-03-0{i + 1} 12:00:00 -0500", "30.00")
            for i in range(3)
        ],
    )
    newer = write_shopify_export(
        tmp_path / "newer_orders.csv",
        [shopify_order_rows(2001 + i, "2025-03-03 15:00:00 -0500", "45.00") for i in range(2)],
    )
    db = Database(db_path)
    ingest_file(db, served)  # not empty: the app's first run does not load the demo store
    before = _snapshot(db)
    db.close()
    assert len(before["orders"]) == 3 and len(before["imports"]) == 1

    log = tmp_path / "streamlit.log"
    url, process = start_app(db_path, log)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    outside = block_outside_requests(context)
    try:
        page = context.new_page()
        page.goto(url)  # the first run opens the database read-write in the server
        wait_for_app(page)
        assert metric_value(page, "Orders") == "3"

        busy = _ro(db_path, "ingest", str(newer))
        assert busy.returncode == 2, busy
        lines = busy.stderr.strip().splitlines()
        assert len(lines) == 1, busy.stderr
        assert lines[0].startswith("error: The database ")
        assert "in use by the dashboard" in lines[0]
        assert "Traceback" not in busy.stderr + busy.stdout
        assert busy.stdout == ""

        busy_json = _ro(db_path, "--json", "ingest", str(newer))
        assert busy_json.returncode == 2, busy_json
        answer = json.loads(busy_json.stdout)
        assert answer["title"] == "Database busy"
        assert "in use by the dashboard" in answer["error"]

        page.reload()  # the dashboard carries on with the same numbers
        wait_for_app(page)
        assert metric_value(page, "Orders") == "3"
        assert page.get_by_test_id("stException").count() == 0
        assert outside == [], outside
    finally:
        context.close()
        stop_app(process)

    assert _read(db_path) == before

    # Nothing was lost: with the dashboard stopped, the same command imports the file.
    done = _ro(db_path, "ingest", str(newer))
    assert done.returncode == 0, done
    after = _read(db_path)
    assert len(after["orders"]) == 3 + 2
    assert set(after["orders"]) > set(before["orders"])
    assert [i[1] for i in after["imports"]] == ["newer_orders.csv", "served_orders.csv"]
