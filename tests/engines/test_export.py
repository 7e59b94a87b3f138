"""`ro warehouse export`: the layout, the manifest, stores side by side, failures, and the
commands that refuse to run on a warehouse."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from ro_core.cli.main import main
from ro_core.engines import export as export_mod
from ro_core.engines.layout import WAREHOUSE_TABLES
from ro_core.store.db import Database
from tests.engines.conftest import require_engine


def files_of(location: Path, table: str) -> list[Path]:
    return sorted((location / table).rglob("*.parquet"))


def test_each_table_is_written_by_month_with_its_columns_and_every_row(demo_store):
    """Read back with pyarrow (not DuckDB): the row counts the manifest states, the canonical
    columns only, and every row in the folder of its own month."""
    location = demo_store["warehouse"]
    manifest = json.loads((location / "manifest.json").read_text())
    database = Database(demo_store["db"], read_only=True)
    try:
        for table, (columns, _) in WAREHOUSE_TABLES.items():
            stored = database.fetch_value(f"SELECT count(*) FROM {table}")
            files = files_of(location, table)
            rows = sum(ds.dataset(str(f)).count_rows() for f in files)
            assert rows == stored == manifest["tables"][table]["rows"], table
            if not columns:
                continue
            for path in files:
                names = ds.dataset(str(path)).schema.names
                assert names == list(columns), (table, names)
    finally:
        database.close()
    months = Counter()
    for path in files_of(location, "orders"):
        folder_month = path.parent.name.removeprefix("month=")
        dates = ds.dataset(str(path)).to_table(columns=["local_date"]).column(0).to_pylist()
        assert {d.strftime("%Y-%m") for d in dates} == {folder_month}, path
        months[folder_month] += len(dates)
    assert sorted(months) == manifest["tables"]["orders"]["months"]
    # an empty table still has one file carrying its columns
    assert manifest["tables"]["abandoned_checkouts"]["rows"] == 0
    (empty,) = files_of(location, "abandoned_checkouts")
    assert "checkout_id" in ds.dataset(str(empty)).schema.names


def test_two_stores_share_a_location_and_each_is_read_alone(demo_store, tmp_path, capsys):
    require_engine("duckdb")
    location = tmp_path / "shared"
    empty = tmp_path / "empty.duckdb"
    Database(empty).close()
    assert (
        main(
            ["--db", str(demo_store["db"]), "warehouse", "export", str(location), "--store", "big"]
        )
        == 0
    )  # noqa: E501
    assert main(["--db", str(empty), "warehouse", "export", str(location), "--store", "new"]) == 0
    assert (location / "manifests" / "big.json").exists()
    assert (location / "orders" / "store=big").is_dir() and (
        location / "orders" / "store=new"
    ).is_dir()
    capsys.readouterr()

    def orders(store: str) -> int:
        code = main(
            [
                "--json",
                "--db",
                str(tmp_path / "local.duckdb"),
                "--warehouse",
                str(location),
                "--store",
                store,
                "kpis",
                "--start",
                "2024-11-01",
                "--end",
                "2025-10-31",
            ]
        )  # noqa: E501
        out = json.loads(capsys.readouterr().out)
        assert code == 0, out
        return out["orders"]

    database = Database(demo_store["db"], read_only=True)
    try:
        expected = database.fetch_value(
            "SELECT count(*) FROM orders WHERE NOT coalesce(cancelled, false) "
            "AND NOT coalesce(is_test, false) AND coalesce(channel, '') <> 'draft' "
            "AND coalesce(financial_status, '') <> 'voided' "
            "AND local_date BETWEEN DATE '2024-11-01' AND DATE '2025-10-31'"
        )
    finally:
        database.close()
    assert orders("big") == expected
    assert orders("new") is None  # no orders in that store: not available, not zero


def test_a_failed_export_leaves_the_previous_one_whole(demo_store, tmp_path, monkeypatch):
    location = tmp_path / "warehouse"
    database = Database(demo_store["db"], read_only=True)
    try:
        first = export_mod.export_warehouse(database, location)
        before = {p: p.stat().st_size for p in location.rglob("*") if p.is_file()}
        written = []
        real = export_mod._export_table

        def fail_on_events(db, table, target):
            if table == "events":
                raise OSError(28, "No space left on device")
            written.append(table)
            return real(db, table, target)

        monkeypatch.setattr(export_mod, "_export_table", fail_on_events)
        with pytest.raises(OSError):
            export_mod.export_warehouse(database, location)
    finally:
        database.close()
    assert written == ["orders", "order_lines", "traffic"]
    after = {p: p.stat().st_size for p in location.rglob("*") if p.is_file()}
    assert after == before  # nothing half-written, no staging folder left behind
    assert (
        json.loads((location / "manifest.json").read_text())["data_version"] == first.data_version
    )


@pytest.mark.parametrize(
    "argv,message",
    [
        (["ingest", "orders.csv"], "imports go into the DuckDB file"),
        (["demo"], "imports go into the DuckDB file"),
        (["datasets", "rm", "1"], "imports go into the DuckDB file"),
        (["warehouse", "export", "again"], "imports go into the DuckDB file"),
    ],
)
def test_commands_that_write_the_store_refuse_a_warehouse(
    demo_store, tmp_path, capsys, argv, message
):  # noqa: E501
    require_engine("duckdb")
    (tmp_path / "orders.csv").write_text("Name,Email\n#1,a@b.c\n")
    code = main(
        [
            "--db",
            str(tmp_path / "local.duckdb"),
            "--warehouse",
            str(demo_store["warehouse"]),
            *[str(tmp_path / a) if a.endswith(".csv") else a for a in argv],
        ]
    )  # noqa: E501
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--engine", "spark", "kpis"], "needs a warehouse: pass --warehouse"),
        (["--warehouse", "{missing}", "kpis"], "No manifest at"),
        (["--engine", "clickhouse", "--warehouse", "s3://bucket/x", "kpis"], "server URL"),
    ],
)
def test_engine_mistakes_are_one_clear_line(tmp_path, capsys, monkeypatch, argv, message):
    require_engine("duckdb")
    for name in ("RO_ENGINE", "RO_WAREHOUSE", "RO_STORE"):
        monkeypatch.delenv(name, raising=False)
    argv = [a.replace("{missing}", str(tmp_path / "nowhere")) for a in argv]
    code = main(["--db", str(tmp_path / "local.duckdb"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err
