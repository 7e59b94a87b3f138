"""The per-segment sums a breakdown is computed from: the orders' (all, and online on the
traffic's days) and the traffic's (kept per data version, read together)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ro_core.metrics._sql import filtered_orders_sql
from ro_core.metrics.filters import OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import TrafficSelection, segment_value_sql, select_traffic
from ro_core.metrics.versioned import remember_many
from ro_core.store import schema
from ro_core.store.db import Database


def _order_sums(
    db: Database,
    period: DateRange,
    filters: OrderFilters,
    segment_sql: str,
    selection: TrafficSelection | None,
) -> pd.DataFrame:
    """Per segment: orders, revenue, sum of squares (all), and online ones on traffic days."""
    orders_sql, params = filtered_orders_sql(
        filters, period, extra_columns={"segment_value": segment_sql}
    )
    if selection is not None:
        where, tparams = selection.where_sql("t", segment=False)  # the breakdown's days
        aligned = (
            f"online AND day BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM {schema.TRAFFIC} t "
            f"WHERE {where} AND day BETWEEN t.period_start AND t.period_end)"
        )
        aligned_params = [selection.effective_range.start, selection.effective_range.end, *tparams]
    else:
        aligned, aligned_params = "online", []
    # The aligned condition is repeated in three FILTER clauses: repeat its params.
    return db.fetch_df(
        f"""WITH f AS ({orders_sql}),
        g AS (SELECT *, ({aligned}) AS aligned FROM f)
        SELECT segment_value AS segment, count(*) AS orders, sum(revenue) AS revenue,
               sum(revenue * revenue) AS revenue_sq,
               count(*) FILTER (WHERE aligned) AS online_orders,
               coalesce(sum(revenue) FILTER (WHERE aligned), 0) AS online_revenue,
               coalesce(sum(revenue * revenue) FILTER (WHERE aligned), 0) AS online_revenue_sq
        FROM g GROUP BY 1""",
        [*params, *aligned_params],
    )


_TRAFFIC_SUMS = """sum(t.sessions) AS sessions,
    CASE WHEN count(t.visitors) = count(*) THEN sum(t.visitors) END AS visitors,
    CASE WHEN count(t.converted_sessions) = count(*)
         THEN sum(t.converted_sessions) END AS converted_sessions,
    CASE WHEN count(t.orders) = count(*) THEN sum(t.orders) END AS traffic_orders,
    CASE WHEN count(t.revenue) = count(*) THEN sum(t.revenue) END AS traffic_revenue"""


def traffic_sums(db: Database, wanted: list[tuple[TrafficSelection, str]]) -> list[pd.DataFrame]:
    """Per segment of each (selection, dimension): sessions, visitors, converted sessions and
    the export's orders and revenue of the selection's rows (a copy each).

    Kept per data version; the pairs not read yet are read together in one statement.
    """

    def read(missing: list[Any]) -> dict[Any, pd.DataFrame]:
        parts, params = [], []
        for i, (_name, selection, dimension) in enumerate(missing):
            where, where_params = selection.where_sql("t")
            segment = segment_value_sql(dimension, "t")
            parts.append(
                f"""SELECT {i} AS part, {segment} AS segment, {_TRAFFIC_SUMS}
                FROM {schema.TRAFFIC} t WHERE {where} AND t.sessions IS NOT NULL
                GROUP BY {segment}"""
            )
            params += where_params
        found = db.fetch_df(" UNION ALL ".join(parts), params)
        # ordered by segment here (not in SQL, where each engine orders a UNION its own way):
        # segments that tie come out in the same order on every engine
        found = found.sort_values(["part", "segment"], kind="stable")
        return {
            key: found[found["part"] == i].drop(columns="part").reset_index(drop=True)
            for i, key in enumerate(missing)
        }

    keys: list[Any] = [("traffic sums by segment", sel, dim) for sel, dim in wanted]
    return [frame.copy() for frame in remember_many(db, keys, read)]


def prefetch_traffic_segments(
    db: Database, dimensions: list[str], periods: list[DateRange], filters: OrderFilters
) -> None:
    """Read the traffic sums that ``segments(db, d, p, filters, side='traffic')`` needs for
    every dimension d and period p in one statement (they are then kept for the data
    version)."""
    wanted = []
    for period in periods:
        for dimension in dimensions:
            selection = select_traffic(db, period, filters, dimension=dimension)
            if selection is not None:
                wanted.append((selection, dimension))
    if wanted:
        traffic_sums(db, wanted)


def _traffic_sums(db: Database, selection: TrafficSelection, dimension: str) -> pd.DataFrame:
    return traffic_sums(db, [(selection, dimension)])[0]
