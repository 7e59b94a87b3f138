"""One segment's figures (CR, AOV, RPV with 95% intervals, the small-sample flag) and the
breakdown's table with revenue shares and ranks."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ro_core.metrics._sql import safe_div
from ro_core.metrics._stats import mean_interval, wilson_interval

MIN_SEGMENT_ORDERS = 30
MIN_SEGMENT_SESSIONS = 300

FRAME_COLUMNS = [
    "segment",
    "sessions",
    "converted_sessions",
    "orders",
    "revenue",
    "revenue_share",
    "conversion_rate",
    "cr_low",
    "cr_high",
    "aov",
    "aov_low",
    "aov_high",
    "rpv",
    "rpv_low",
    "rpv_high",
    "small_sample",
    "rank",
]
# The frame's figures (every column but the segment's name, its flag and its rank).
NUMERIC_COLUMNS = [c for c in FRAME_COLUMNS if c not in ("segment", "small_sample", "rank")]


def _finish(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in FRAME_COLUMNS if c != "rank"])
    total = sum(r["revenue"] for r in rows if r["revenue"] is not None)
    frame["revenue_share"] = [
        safe_div(r["revenue"], total) if r["revenue"] is not None else None for r in rows
    ]
    ranked = [i for i, r in enumerate(rows) if not r["small_sample"]]

    def score(i: int, key: str) -> float:
        value = rows[i].get(key)
        return -(value if value is not None else float("-inf"))

    # Revenue first: RPV, else CR (traffic-only breakdowns), else revenue, else sessions.
    ranked.sort(
        key=lambda i: (
            score(i, "rpv"),
            score(i, "conversion_rate"),
            score(i, "revenue"),
            score(i, "sessions"),
        )
    )
    rank: list[int | None] = [None] * len(rows)
    for position, i in enumerate(ranked, start=1):
        rank[i] = position
    frame["rank"] = pd.array(rank, dtype="Int64")
    frame = frame.sort_values(
        ["rank", "revenue", "sessions"], ascending=[True, False, False], na_position="last"
    )
    return frame.reset_index(drop=True)[FRAME_COLUMNS]


def _row(
    segment: str,
    *,
    sessions: float | None,
    converted: float | None,
    cr_numerator: float | None,
    orders: float | None,
    revenue: float | None,
    revenue_sq: float | None,
    online_revenue: float | None,
    online_revenue_sq: float | None,
) -> dict[str, Any]:
    cr = safe_div(cr_numerator, sessions)
    cr_low, cr_high = wilson_interval(cr_numerator, sessions) if cr is not None else (None, None)
    aov = safe_div(revenue, orders)
    aov_low, aov_high = mean_interval(orders, revenue, revenue_sq)
    rpv = safe_div(online_revenue, sessions)
    rpv_low, rpv_high = (
        mean_interval(sessions, online_revenue, online_revenue_sq)
        if rpv is not None
        else (None, None)
    )
    small = (orders is not None and orders < MIN_SEGMENT_ORDERS) or (
        sessions is not None and sessions < MIN_SEGMENT_SESSIONS
    )
    return {
        "segment": segment,
        "sessions": sessions,
        "converted_sessions": converted,
        "orders": orders,
        "revenue": revenue,
        "revenue_share": None,
        "conversion_rate": cr,
        "cr_low": cr_low,
        "cr_high": cr_high,
        "aov": aov,
        "aov_low": aov_low,
        "aov_high": aov_high,
        "rpv": rpv,
        "rpv_low": rpv_low,
        "rpv_high": rpv_high,
        "small_sample": bool(small),
    }


def _num(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
