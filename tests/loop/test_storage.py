"""Goals, hypotheses and tests live beside the imports and survive every import operation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ro_core.ingest.pipeline import ingest_file, list_imports, remove_import
from ro_core.loop import experiment_log as E
from ro_core.loop import goals as G
from ro_core.loop import hypotheses as H
from ro_core.store import schema
from ro_core.store.annotations import list_annotations
from ro_core.store.db import Database
from tests.metrics.conftest import shopify_order, write_shopify_orders

LOOP_TABLES = (schema.GOALS, schema.HYPOTHESES, schema.EXPERIMENTS, schema.ANNOTATIONS)


def _snapshot(db: Database) -> dict[str, list[tuple]]:
    return {table: db.fetch_all(f"SELECT * FROM {table} ORDER BY 1") for table in LOOP_TABLES}


def test_reimport_and_removal_of_exports_leave_the_loop_intact(store, tmp_path: Path) -> None:
    G.set_goal(store, "revenue", "month", date(2024, 3, 1), 1_000)
    G.set_goal(store, "conversion_rate", "quarter", date(2024, 3, 1), 0.01)
    idea = H.add_hypothesis(store, title="Idea", scoring="ice",
                            scores={"impact": 7, "confidence": 5, "ease": 9})  # fmt: skip
    tested = H.add_hypothesis(store, title="Tested")
    test = E.plan_experiment(store, tested.hypothesis_id, "Running test", expected_days=14)
    E.start_experiment(store, test.experiment_id, date(2024, 3, 4))
    before = _snapshot(store)
    assert all(before[t] for t in LOOP_TABLES)

    first_import = list_imports(store)[-1]["import_id"]
    again = ingest_file(store, tmp_path / "orders_export.csv")  # the same bytes again
    assert again.already_imported
    more = write_shopify_orders(
        tmp_path / "more_orders.csv",
        [shopify_order("#2001", "2024-03-12 10:00:00 -0400", "45.00", email="z@x.com")],
    )
    added = ingest_file(store, more)
    assert _snapshot(store) == before
    for import_id in (added.import_id, first_import):
        assert remove_import(store, import_id)
        assert _snapshot(store) == before
    assert H.get_hypothesis(store, idea.hypothesis_id).score == 7
    assert E.get_experiment(store, test.experiment_id).status == E.RUNNING
    assert [n.text for n in list_annotations(store)] == ["A/B test running: Running test"]


def test_a_version_1_database_gains_the_loop_tables_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    for statement in schema.MIGRATIONS[1]:
        conn.execute(statement)
    conn.execute(f"INSERT INTO {schema.META} VALUES ('schema_version', '1')")
    conn.execute(
        f"INSERT INTO {schema.ANNOTATIONS} (start_date, text) VALUES (?, ?)",
        [date(2024, 1, 1), "Sale starts"],
    )
    conn.close()
    db = Database(path)
    try:
        assert db.fetch_value(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'") == (
            str(schema.SCHEMA_VERSION)
        )
        assert [n.text for n in list_annotations(db)] == ["Sale starts"]
        item = H.add_hypothesis(db, title="After the upgrade")
        assert H.get_hypothesis(db, item.hypothesis_id).title == "After the upgrade"
        assert G.list_goals(db) == [] and E.list_experiments(db) == []
    finally:
        db.close()
