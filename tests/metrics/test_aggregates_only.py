"""No metric reads raw rows into Python: every fetch returns aggregates only."""

from __future__ import annotations

from datetime import date

import pytest

from ro_core.engines.dialects import tables_read
from ro_core.metrics import (
    DateRange,
    coverage,
    decompose,
    experiment_baseline_sums,
    kpis,
    opportunities,
    trend,
)
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.funnel import compare_funnels, traffic_funnel
from ro_core.metrics.segments import segments
from ro_core.store import resolve, schema
from ro_core.store.db import Database

N_ORDERS = 5000
N_EVENTS = 8000
DAYS = 40
PERIOD = DateRange(date(2024, 1, 21), date(2024, 2, 9))


def _bulk_store(db: Database) -> None:
    """Orders, daily traffic by device and events generated in SQL (no Python loops)."""
    with db.transaction() as cur:
        for import_id, kind, select in (
            (
                1,
                schema.KIND_ORDERS,
                f"""SELECT 1, 'o' || i, NULL, NULL, -300, DATE '2024-01-01' + CAST(i % {DAYS} AS INTEGER),
                    'USD', 40 + i % 13, 0, 5, 3, 48 + i % 13, CASE WHEN i % 17 = 0 THEN 10 ELSE 0 END,
                    'paid', NULL, i % 97 = 0, 'web', CASE WHEN i % 9 = 0 THEN 'pos' ELSE 'web' END,
                    NULL, CASE WHEN i % 3 = 0 THEN 'returning' ELSE 'new' END,
                    CASE WHEN i % 4 = 0 THEN 'CA' ELSE 'US' END, false,
                    CASE WHEN i % 5 = 0 THEN 'CODE' END, 1, 1
                    FROM range({N_ORDERS}) t(i)""",
            ),
            (
                2,
                schema.KIND_TRAFFIC,
                f"""SELECT 2, 'shopify', 'day', d, d, dims, NULL, NULL, NULL, device, country,
                    NULL, NULL, NULL, 900.0, 700.0, NULL, NULL, 300.0, 120.0, 90.0, 60.0, NULL,
                    NULL, NULL
                    FROM (SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS d FROM range({DAYS}) t(i)),
                         (VALUES ('', NULL, NULL), ('device', 'mobile', NULL),
                                 ('device', 'desktop', NULL), ('country', NULL, 'US'),
                                 ('country', NULL, 'CA')) v(dims, device, country)""",
            ),
            (
                3,
                schema.KIND_EVENTS,
                f"""SELECT 3, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(CAST(i AS BIGINT) * 7),
                    CAST(TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(CAST(i AS BIGINT) * 7) AS DATE),
                    's' || (i // 4), 'u' || (i // 8),
                    ['view', 'cart', 'checkout', 'purchase'][1 + CAST(i % 4 AS INTEGER)], NULL,
                    'p' || (i % 50), 10, CASE WHEN i % 4 = 3 THEN 30 END, NULL, NULL,
                    CASE WHEN i % 8 < 4 THEN 'mobile' ELSE 'desktop' END, NULL
                    FROM range({N_EVENTS}) t(i)""",
            ),
        ):
            cur.execute(
                f"""INSERT INTO {schema.IMPORTS} (import_id, file_name, file_sha256, file_size,
                format, kinds, rows_read, rows_loaded, rows_skipped, report_json)
                VALUES (?, 'bulk.csv', ?, 0, 'shopify_orders', ?, 0, 0, 0, '{{}}')""",
                [import_id, f"sha{import_id}", kind],
            )
            cur.execute(f"INSERT INTO {schema.ROWS_TABLE[kind]} {select}")
            resolve.refresh(cur, kind, import_id, removing=False)
        resolve.run_after_refresh(cur, {"orders", "traffic", "events"})


def test_every_query_returns_aggregates_only(db, monkeypatch) -> None:
    _bulk_store(db)
    assert db.fetch_value("SELECT count(*) FROM orders") == N_ORDERS
    # the largest result of a query reading orders or events, and of one reading only traffic
    largest = {"rows": 0, "traffic": 0}
    original_df, original_all = Database.fetch_df, Database.fetch_all

    def note(sql: str, rows: int) -> None:
        key = "traffic" if tables_read(sql) == {schema.TRAFFIC} else "rows"
        largest[key] = max(largest[key], rows)

    def fetch_df(self, sql, params=None):
        frame = original_df(self, sql, params)
        note(sql, len(frame))
        return frame

    def fetch_all(self, sql, params=None):
        rows = original_all(self, sql, params)
        note(sql, len(rows))
        return rows

    monkeypatch.setattr(Database, "fetch_df", fetch_df)
    monkeypatch.setattr(Database, "fetch_all", fetch_all)
    coverage(db)
    result = kpis(db, PERIOD, compare="previous")
    assert result.current.orders > 0 and result.current.sessions == 900 * PERIOD.days
    for metric in ("revenue", "cr", "rpv", "aov", "sessions"):
        trend(db, metric, "day", PERIOD, compare="year")
    for dim in ("device", "country", "channel", "customer_type", "discount_code"):
        segments(db, dim, PERIOD)
    funnel = traffic_funnel(db, PERIOD, segment_dimension="device")
    compare_funnels(funnel, traffic_funnel(db, PERIOD.previous(), segment_dimension="device"))
    event_funnel(db, PERIOD, segment_dimension="device")
    event_funnel(db, PERIOD, closed=False)
    decompose(db, PERIOD, PERIOD.previous(), segment_dimension="country")
    opportunities(db, PERIOD)
    experiment_baseline_sums(db, PERIOD, cap_percentile=0.99)
    # The largest result is a per-day series or per-period list, far below the raw row counts.
    assert largest["rows"] <= DAYS
    assert largest["rows"] < N_ORDERS / 50 and largest["rows"] < N_EVENTS / 50
    # Traffic rows are already sums per period: the most read at once is the traffic inventory,
    # one row per period and breakdown (store totals, device, country), never one per value.
    breakdowns = db.fetch_value("SELECT count(DISTINCT dimensions) FROM traffic")
    values = db.fetch_value("SELECT count(*) FROM traffic")
    assert breakdowns == 3 and values == 5 * DAYS
    assert largest["traffic"] <= DAYS * breakdowns < values


@pytest.mark.parametrize("closed", [True, False])
def test_bulk_event_funnel_counts(db, closed) -> None:
    _bulk_store(db)
    frame = event_funnel(db, DateRange(date(2024, 1, 1), date(2024, 3, 1)), closed=closed).frame
    # Every session id holds view, cart, checkout, purchase in that order.
    assert frame["sessions"].tolist() == [N_EVENTS / 4] * 5
