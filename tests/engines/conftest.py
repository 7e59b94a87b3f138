"""Fixtures for the engine tests: the demo store in a DuckDB file and its warehouse export.

The engines' packages come with the project's `scale` extra (scripts/test.sh installs it, and a
Java runtime for Spark); without them the tests skip locally and FAIL under CI (CI set).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from benchmarks.generate_store import write_events, write_shopify_orders, write_shopify_traffic
from ro_core.demo import load_demo
from ro_core.engines.export import export_warehouse
from ro_core.ingest.pipeline import ingest_file
from ro_core.store.db import Database, scratch_connection

GENERATED_EVENTS = 1_000_000
GENERATED_ORDER_LINES = 60_000


def require(module: str, what: str) -> None:
    """Skip locally, fail under CI, when `module` is missing."""
    if importlib.util.find_spec(module) is None:
        reason = f"{what} needs {module}: pip install -e '.[scale]'"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def require_engine(engine: str) -> None:
    """The packages (and for Spark the Java runtime) an engine needs."""
    require("sqlglot", "every engine but the DuckDB file")
    if engine == "spark":
        require("pyspark", "the spark engine")
        if shutil.which("java") is None:
            reason = "the spark engine needs a Java runtime (apt-get install default-jre-headless)"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    if engine == "clickhouse":
        require("chdb", "the clickhouse engine")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo store loaded into a DuckDB file, exported as a warehouse, and an empty local
    database for the engine runs (so a query the engine does not serve finds nothing)."""
    folder = tmp_path_factory.mktemp("engines-demo")
    db_path = folder / "demo.duckdb"
    db = Database(db_path)
    try:
        load_demo(db)
        export_warehouse(db, folder / "warehouse")
    finally:
        db.close()
    return {"db": db_path, "warehouse": folder / "warehouse", "local": folder / "local.duckdb"}


@pytest.fixture(scope="session")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated store of a year: a million events (REES46 layout), 30,000 Shopify orders
    with their daily sessions and funnel reports; imported with `ro ingest`'s pipeline, then
    exported as a warehouse."""
    folder = tmp_path_factory.mktemp("engines-generated")
    files = [folder / "orders_export.csv", folder / "events.csv"]
    con = scratch_connection()
    try:
        write_shopify_orders(con, files[0], GENERATED_ORDER_LINES, 365)
        write_shopify_traffic(con, folder, GENERATED_ORDER_LINES, 365)
        write_events(con, files[1], GENERATED_EVENTS, 365)
    finally:
        con.close()
    files += [folder / "sessions_over_time.csv", folder / "customer_behavior.csv"]
    db_path = folder / "store.duckdb"
    db = Database(db_path, allowed_directories=[folder])
    try:
        for path in files:
            ingest_file(db, path)
        export_warehouse(db, folder / "warehouse")
    finally:
        db.close()
    return {"db": db_path, "warehouse": folder / "warehouse", "local": folder / "local.duckdb"}
