"""The traffic inventory (read once per data version) answers what per-question SQL answered.

Which traffic rows answer a question used to be decided by a query per question; it is now
computed in Python from the inventory's sums per breakdown, period and set of measures present.
The reference here is that SQL, run by the database on the same rows: every candidate breakdown
(coverage, sessions, share of the store total, distinct values), every period list and every
total must come out the same, on the demo store and on a synthetic store with the awkward
cases (weekly rows checked against daily totals, a partial breakdown, no store totals, rows
without sessions, two sources).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from itertools import product

from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import (
    PARTITION_DIMENSIONS,
    SESSIONS_ONLY,
    TrafficSelection,
    _candidates,
    _periods,
    measures_sql,
    traffic_sources,
)
from ro_core.metrics.traffic_inventory import dimensions_match, partition_match
from ro_core.metrics.traffic_totals import traffic_totals
from ro_core.store import schema
from ro_core.store.db import Database
from tests.metrics.conftest import insert_canonical, traffic_row

FUNNEL = ("sessions", "product_view_sessions", "cart_sessions", "checkout_sessions",
          "converted_sessions")  # fmt: skip
ENGAGED = ("engaged_sessions",)
VALUES_SQL = (
    "concat_ws('|', "
    + ", ".join(f"coalesce(CAST(t.{d} AS VARCHAR), '')" for d in schema.TRAFFIC_DIMENSIONS)
    + ")"
)


# --- the reference: the SQL each question ran before the inventory -----------------------------
def _match_sql(dims: tuple[str, ...] | None) -> tuple[str, list]:
    if dims is None:  # a breakdown partitioning sessions
        return (
            "t.dimensions <> '' AND list_has_all(CAST(? AS VARCHAR[]), "
            "string_split(t.dimensions, ','))",
            [list(PARTITION_DIMENSIONS)],
        )
    if not dims:
        return "t.dimensions = ''", []
    if len(dims) == 1:
        return "list_contains(string_split(t.dimensions, ','), ?)", [dims[0]]
    return "list_has_all(string_split(t.dimensions, ','), CAST(? AS VARCHAR[]))", [list(dims)]


def candidates_sql(db: Database, period: DateRange, dims, source, measures) -> set[tuple]:
    match, match_params = _match_sql(dims)
    source_sql = "AND t.traffic_source = ?" if source else ""
    src = [source] if source else []
    rng = [period.start, period.end]
    inside = "t.period_start >= ? AND t.period_end <= ?"
    rows = db.fetch_all(
        f"""WITH c AS (
            SELECT t.traffic_source, t.grain, t.dimensions, t.period_start, t.period_end,
                   bool_or(t.converted_sessions IS NOT NULL) AS has_converted,
                   sum(t.sessions) AS sessions
            FROM {schema.TRAFFIC} t
            WHERE {match} AND {measures_sql(measures, "t")} AND {inside} {source_sql}
            GROUP BY ALL),
        v AS (
            SELECT t.traffic_source, t.grain, t.dimensions, count(DISTINCT {VALUES_SQL}) AS n
            FROM {schema.TRAFFIC} t
            WHERE {match} AND {measures_sql(measures, "t")} AND {inside} {source_sql}
            GROUP BY ALL),
        tot AS (
            SELECT t.traffic_source, t.grain, t.period_start, t.period_end,
                   sum(t.sessions) AS sessions
            FROM {schema.TRAFFIC} t
            WHERE t.dimensions = '' AND t.sessions IS NOT NULL AND {inside} {source_sql}
            GROUP BY ALL),
        dtot AS (
            SELECT c.traffic_source, c.grain, c.period_start, c.period_end,
                   CASE WHEN count(*) = any_value(c.period_end - c.period_start + 1)
                        THEN sum(d.sessions) END AS sessions
            FROM (SELECT DISTINCT traffic_source, grain, period_start, period_end FROM c
                  WHERE grain <> 'day') c
            JOIN tot d ON d.grain = 'day' AND d.traffic_source = c.traffic_source
              AND d.period_start BETWEEN c.period_start AND c.period_end
            GROUP BY c.traffic_source, c.grain, c.period_start, c.period_end),
        j AS (
            SELECT c.*, coalesce(tot.sessions, dtot.sessions) AS total
            FROM c LEFT JOIN tot ON tot.traffic_source = c.traffic_source
              AND tot.grain = c.grain AND tot.period_start = c.period_start
              AND tot.period_end = c.period_end
            LEFT JOIN dtot ON dtot.traffic_source = c.traffic_source
              AND dtot.grain = c.grain AND dtot.period_start = c.period_start
              AND dtot.period_end = c.period_end)
        SELECT j.traffic_source, j.grain, count(*), CAST(sum(j.period_end - j.period_start + 1)
               AS BIGINT), bool_and(j.has_converted), j.dimensions, sum(j.sessions),
               sum(j.sessions) FILTER (WHERE j.total IS NOT NULL),
               sum(j.total) FILTER (WHERE j.sessions IS NOT NULL), any_value(v.n)
        FROM j JOIN v USING (traffic_source, grain, dimensions)
        GROUP BY j.traffic_source, j.grain, j.dimensions""",
        [*match_params, *rng, *src, *match_params, *rng, *src, *rng, *src],
    )
    out = set()
    for r in rows:
        share = float(r[7]) / float(r[8]) if r[5] != "" and r[7] is not None and r[8] else None
        sessions = float(r[6]) if r[6] is not None else None
        # distinct values: the partition rule only asks whether there are two or more
        out.add((r[0], r[1], int(r[2]), int(r[3]), bool(r[4]), r[5], sessions,
                 None if share is None else round(share, 12), min(int(r[9]), 2)))  # fmt: skip
    return out


def candidates_inventory(db: Database, period, dims, source, measures) -> set[tuple]:
    match = partition_match(PARTITION_DIMENSIONS) if dims is None else dimensions_match(dims)
    return {
        (
            c.source,
            c.grain,
            c.periods,
            c.days,
            c.has_converted,
            c.dimensions_key,
            c.sessions,
            None if c.share is None else round(c.share, 12),
            min(c.n_values, 2),
        )  # fmt: skip
        for c in _candidates(db, period, match, source, measures)
    }


def periods_sql(db: Database, period, dims_key, source, grain, measures) -> tuple:
    rows = db.fetch_all(
        f"""SELECT DISTINCT t.period_start, t.period_end FROM {schema.TRAFFIC} t
        WHERE t.traffic_source = ? AND t.grain = ? AND t.dimensions = ?
          AND {measures_sql(measures, "t")} AND t.period_start >= ? AND t.period_end <= ?
        ORDER BY 1, 2""",
        [source, grain, dims_key, period.start, period.end],
    )
    return tuple((r[0], r[1]) for r in rows)


def totals_sql(db: Database, selection: TrafficSelection) -> tuple:
    where, params = selection.where_sql("t")
    r = db.fetch_one(
        f"""SELECT count(*), sum(t.sessions),
               CASE WHEN count(t.visitors) = count(*) THEN sum(t.visitors) END,
               CASE WHEN count(t.converted_sessions) = count(*)
                    THEN sum(t.converted_sessions) END,
               CASE WHEN count(t.orders) = count(*) THEN sum(t.orders) END,
               CASE WHEN count(t.revenue) = count(*) THEN sum(t.revenue) END
        FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL""",
        params,
    )
    return tuple(None if v is None else float(v) for v in r)


# --- the stores ------------------------------------------------------------------------------
START = date(2024, 3, 4)  # a Monday


def _awkward_store(db: Database) -> None:
    rows = []
    for d in range(28):
        day = START + timedelta(days=d)
        # Shopify: daily store totals for three of the four weeks, converted sessions
        if d < 21:
            rows.append(traffic_row(day, sessions=100.0 + d, visitors=80.0, converted_sessions=3.0))
        # a device split adding up to the totals, with a funnel
        for device, share in (("mobile", 0.6), ("desktop", 0.4)):
            rows.append(
                traffic_row(
                    day,
                    device=device,
                    sessions=(100.0 + d) * share,
                    cart_sessions=10.0 * share,
                    converted_sessions=3.0 * share,
                )
            )
        # a partial social referrer report (one channel only)
        rows.append(traffic_row(day, channel="social", referrer="facebook", sessions=7.0))
        # GA4: no store totals, a channel partition with engaged sessions; a first-user split
        for channel, sessions in (("Email", 50.0), ("Direct", 30.0), ("Organic", 20.0)):
            rows.append(
                traffic_row(
                    day,
                    source="ga4",
                    channel=channel,
                    sessions=sessions,
                    engaged_sessions=sessions / 2,
                    orders=1.0,
                )
            )
        rows.append(traffic_row(day, source="ga4", first_user_channel="Email", sessions=99.0))
        # rows without sessions: a cart report by landing page
        rows.append(traffic_row(day, landing_page="/a", cart_sessions=4.0))
    for w in range(4):
        week = START + timedelta(days=7 * w)
        # weekly channel rows (checked against the daily totals where those are complete)
        for channel, sessions in (("direct", 400.0), ("search", 300.0 + w)):
            rows.append(traffic_row(week, grain="week", channel=channel, sessions=sessions))
    # a monthly total
    rows.append(traffic_row(START, START + timedelta(days=27), grain="month", sessions=2900.0))
    insert_canonical(db, "traffic", rows, file_format="shopify_analytics")


DEMO_PERIODS = [
    DateRange(date(2025, 10, 1), date(2025, 10, 31)),
    DateRange(date(2025, 9, 29), date(2025, 10, 5)),
    DateRange(date(2024, 10, 1), date(2024, 11, 15)),
    DateRange(date(2024, 11, 1), date(2025, 10, 31)),
]
AWKWARD_PERIODS = [
    DateRange(START, START + timedelta(days=27)),
    DateRange(START, START + timedelta(days=13)),
    DateRange(START + timedelta(days=3), START + timedelta(days=24)),
    DateRange(START + timedelta(days=14), START + timedelta(days=27)),
    DateRange(START - timedelta(days=5), START + timedelta(days=40)),
]
DIMENSIONS = [(), ("device",), ("channel",), ("channel", "referrer"), ("landing_page",),
              ("first_user_channel",), ("device", "channel"), None]  # fmt: skip


def _same(got: tuple, expected: tuple) -> bool:
    """Equal, sums to the last few bits (the inventory adds per-period sums)."""
    return len(got) == len(expected) and all(
        a == b if a is None or b is None else math.isclose(a, b, rel_tol=1e-12)
        for a, b in zip(got, expected, strict=True)
    )


def _compare(db: Database, periods: list[DateRange]) -> int:
    compared = 0
    for period, dims, source, measures in product(
        periods, DIMENSIONS, (None, "shopify", "ga4"), (SESSIONS_ONLY, ENGAGED, FUNNEL)
    ):
        expected = candidates_sql(db, period, dims, source, measures)
        assert candidates_inventory(db, period, dims, source, measures) == expected, (
            period, dims, source, measures)  # fmt: skip
        for src, grain, _n, _d, _c, key, *_rest in expected:
            assert _periods(db, period, key, src, grain, measures) == periods_sql(
                db, period, key, src, grain, measures
            )
            periods = periods_sql(db, period, key, src, grain, measures)
            selection = TrafficSelection(
                source=src, grain=grain, dimension="", dimensions_key=key, periods=periods,
                effective_range=DateRange(periods[0][0], periods[-1][1]), covered_days=0,
                has_converted_sessions=False, note="", measures=measures,
            )  # fmt: skip
            found = traffic_totals(db, selection)
            got = (found.rows, found.sessions, found.visitors, found.converted_sessions,
                   found.reported_orders, found.reported_revenue)  # fmt: skip
            assert _same(got, totals_sql(db, selection)), (period, key, measures)
            compared += 1
    for dims in DIMENSIONS[:-1]:
        assert traffic_sources(db, ",".join(dims) if len(dims) == 1 else "") == [
            s
            for s in ("shopify", "ga4", "mapped")
            if db.fetch_value(
                f"SELECT count(*) FROM {schema.TRAFFIC} t WHERE traffic_source = ? AND "
                f"{_match_sql(dims if len(dims) == 1 else ())[0]} AND sessions IS NOT NULL",
                [s, *_match_sql(dims if len(dims) == 1 else ())[1]],
            )
        ]
    return compared


def test_the_inventory_chooses_as_the_sql_did_on_the_demo_store(demo_file, tmp_path) -> None:
    db = Database(demo_file, read_only=True)
    try:
        assert _compare(db, DEMO_PERIODS) > 50
    finally:
        db.close()


def test_the_inventory_chooses_as_the_sql_did_on_awkward_rows(db) -> None:
    _awkward_store(db)
    assert _compare(db, AWKWARD_PERIODS) > 50
