"""The metrics on the real export files, against independent calculations with csv/pandas."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from ro_core.cli import main
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics import CR_BASIS_CONVERTED, DateRange, OrderFilters, kpi_values, trend
from ro_core.metrics.segments import segments
from ro_core.store.db import reset_databases

YEAR_2024 = DateRange(date(2024, 1, 1), date(2024, 12, 31))


def _column_sum(path, column: str) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(int(float(row[column])) for row in csv.DictReader(fh))


@pytest.fixture
def shopify_2024(db, real_exports):
    folder = real_exports / "shopify_analytics"
    for name in ("Shopify 2024 - Visitors Over Time.csv", "Shopify 2024 - Customer behavior.csv"):
        ingest_file(db, folder / name)
    return db, folder


def test_shopify_2024_conversion_rate(shopify_2024) -> None:
    db, folder = shopify_2024
    sessions = _column_sum(folder / "Shopify 2024 - Visitors Over Time.csv", "Sessions")
    completed = _column_sum(
        folder / "Shopify 2024 - Customer behavior.csv", "Sessions that completed checkout"
    )
    assert (sessions, completed) == (279_172, 3_096)  # the README's known figures
    k = kpi_values(db, YEAR_2024)
    assert k.sessions == sessions
    assert k.converted_sessions == completed
    assert k.conversion_rate_basis == CR_BASIS_CONVERTED
    assert k.conversion_rate == pytest.approx(completed / sessions, rel=1e-12)
    assert k.traffic.grain == "week" and len(k.traffic.periods) == 53
    # Weekly-only traffic: a daily CR trend is raised to weeks.
    result = trend(db, "cr", "day", YEAR_2024)
    assert result.grain == "week" and result.reason
    assert result.frame["sessions"].sum() == sessions


def test_cli_kpis_json_on_real_exports(shopify_2024, capsys) -> None:
    db, _ = shopify_2024
    db.close()
    try:
        code = main(
            ["--db", str(db.path), "kpis", "--start", "2024-01-01", "--end", "2024-12-31", "--json"]
        )
    finally:
        reset_databases()
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"] == 279_172
    assert data["conversion_rate"] == pytest.approx(3096 / 279172, rel=1e-12)
    assert data["orders"] is None and data["revenue"] is None  # no orders for 2024


def test_forezia_orders_against_csv(db, real_exports) -> None:
    path = real_exports / "shopify_orders" / "forezia_devstore_orders_export.csv"
    ingest_file(db, path)
    first_rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            first_rows.setdefault(row["Name"], row)
    kept = [
        r
        for r in first_rows.values()
        if not r["Cancelled at"].strip() and r["Financial Status"].strip().lower() != "voided"
    ]
    period = DateRange(date(2025, 5, 11), date(2025, 5, 17))
    k = kpi_values(db, period, OrderFilters(exclude_test=False))
    assert k.orders == len(kept)
    assert Decimal(str(round(k.revenue, 2))) == sum(Decimal(r["Total"]) for r in kept)
    everything = kpi_values(db, period, OrderFilters(exclude_test=False, exclude_cancelled=False))
    assert everything.orders == len(first_rows) == 19
    net = kpi_values(db, period, OrderFilters(exclude_test=False, revenue_basis="net"))
    expected_net = sum(Decimal(r["Total"]) - Decimal(r["Refunded Amount"] or "0") for r in kept)
    assert Decimal(str(round(net.revenue, 2))) == expected_net


def test_ga4_channels_against_pandas(db, real_exports) -> None:
    path = (
        real_exports
        / "ga4_exports"
        / "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv"
    )
    ingest_file(db, path)
    raw = pd.read_csv(path, comment="#")
    channel = raw.columns[0]
    expected = raw.groupby(channel)[["Sessions", "Key events", "Total revenue"]].sum()
    result = segments(db, "channel", YEAR_2024, OrderFilters(traffic_source="ga4"))
    assert result.cr_available
    got = result.frame.set_index("segment")
    for name, row in expected.iterrows():
        assert got.loc[name, "sessions"] == row["Sessions"]
        assert got.loc[name, "orders"] == pytest.approx(row["Key events"])
        assert got.loc[name, "revenue"] == pytest.approx(row["Total revenue"])
        cr = row["Key events"] / row["Sessions"]
        assert got.loc[name, "conversion_rate"] == pytest.approx(cr)
