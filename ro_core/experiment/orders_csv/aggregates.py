"""What a visitor-level file gives (VisitorFileSummary) and the SQL aggregates of its visitors
that make each part: per variant, capped, CUPED sums, per segment and per factor cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from ro_core.errors import ImportFileError
from ro_core.experiment.analysis import (
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
    SUMMARY_COLUMNS,
    VARIANT_COLUMN,
    VISITORS_COLUMN,
)

# Names a control arm commonly has; such a variant is listed first.
CONTROL_NAMES: tuple[str, ...] = ("control", "ctrl", "a", "original", "baseline", "default")


@dataclass(frozen=True)
class VisitorFileSummary:
    """Small aggregates of a visitor-level file (None where the role was not chosen).

    - summary: per variant, SUMMARY_COLUMNS (A/B files);
    - capped: the same with each visitor's revenue capped at `cap_value`, the
      `cap_percentile` of buyers' revenue; `capped_visitors` had revenue above it;
    - covariate: per variant (control first) n, sum_converted, sum_revenue,
      sum_revenue_squares, sum_x, sum_x2, sum_x_converted, sum_x_revenue (COVARIATE_COLUMNS);
    - segments: segment + SUMMARY_COLUMNS, one row per segment and variant;
    - cells: the factor columns + visitors, conversions, revenue_sum, revenue_sum_squares, one
      row per combination (multivariate files).
    """

    summary: pd.DataFrame | None = None
    capped: pd.DataFrame | None = None
    cap_percentile: float | None = None
    cap_value: float | None = None
    capped_visitors: int | None = None
    covariate: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    cells: pd.DataFrame | None = None


COVARIATE_COLUMNS: tuple[str, ...] = (
    VARIANT_COLUMN,
    "n",
    "sum_converted",
    "sum_revenue",
    "sum_revenue_squares",
    "sum_x",
    "sum_x2",
    "sum_x_converted",
    "sum_x_revenue",
)
SEGMENT_COLUMN = "segment"
BLANK_SEGMENT = "(blank)"
MAX_SEGMENTS = 50


def _summary_frame(
    cur: duckdb.DuckDBPyConnection, revenue_sql: str, params: Sequence[object] = ()
) -> pd.DataFrame:
    frame = cur.execute(
        f"""SELECT g0 AS variant, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum({revenue_sql}) AS revenue_sum,
               sum(({revenue_sql}) * ({revenue_sql})) AS revenue_sum_squares
        FROM units GROUP BY g0
        ORDER BY list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [*params, *params, *params, list(CONTROL_NAMES)],
    ).df()
    return _typed_summary(frame)


def _typed_summary(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    result = pd.DataFrame(
        {
            **{column: frame[column].astype(str).astype(object) for column in extra},
            VARIANT_COLUMN: frame[VARIANT_COLUMN].astype(str).astype(object),
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64"),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64"),
            REVENUE_SUM_COLUMN: pd.to_numeric(frame[REVENUE_SUM_COLUMN]).astype("float64"),
            REVENUE_SUM_SQUARES_COLUMN: pd.to_numeric(frame[REVENUE_SUM_SQUARES_COLUMN]).astype(
                "float64"
            ),
        },
        columns=[*extra, *SUMMARY_COLUMNS],
    )
    return result.reset_index(drop=True)


def _covariate_frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = cur.execute(
        """SELECT g0 AS variant, count(*) AS n,
               CAST(sum(converted) AS DOUBLE) AS sum_converted,
               sum(coalesce(revenue, 0)) AS sum_revenue,
               sum(coalesce(revenue, 0) * coalesce(revenue, 0)) AS sum_revenue_squares,
               sum(covariate) AS sum_x, sum(covariate * covariate) AS sum_x2,
               sum(covariate * converted) AS sum_x_converted,
               sum(covariate * coalesce(revenue, 0)) AS sum_x_revenue
        FROM units GROUP BY g0
        ORDER BY list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [list(CONTROL_NAMES)],
    ).df()
    frame[VARIANT_COLUMN] = frame[VARIANT_COLUMN].astype(str).astype(object)
    numeric = [c for c in COVARIATE_COLUMNS if c != VARIANT_COLUMN]
    frame[numeric] = frame[numeric].astype("float64")
    frame["n"] = frame["n"].astype("int64")
    return frame[list(COVARIATE_COLUMNS)]


def _segments_frame(cur: duckdb.DuckDBPyConnection, label: str, file_name: str) -> pd.DataFrame:
    count = cur.execute("SELECT count(DISTINCT segment) FROM units").fetchone()[0]
    if count > MAX_SEGMENTS:
        raise ImportFileError(
            f"the segment column holds {count:,} different values; at most {MAX_SEGMENTS} "
            "segments can be compared.",
            file_name=file_name,
            column=label,
            hint="Choose a column such as device, new vs returning or channel.",
        )
    frame = cur.execute(
        """SELECT segment, g0 AS variant, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_squares
        FROM units GROUP BY segment, g0
        ORDER BY sum(count(*)) OVER (PARTITION BY segment) DESC, segment,
                 list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [list(CONTROL_NAMES)],
    ).df()
    return _typed_summary(frame, extra=(SEGMENT_COLUMN,))


def _cells(
    cur: duckdb.DuckDBPyConnection,
    group_roles: list[str],
    names: list[str],
    levels: dict[str, list[str]],
) -> pd.DataFrame:
    group_list = ", ".join(group_roles)
    frame = cur.execute(
        f"""SELECT {group_list}, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_squares
        FROM units GROUP BY {group_list}"""
    ).df()
    order = {role: {level: i for i, level in enumerate(levels[role])} for role in group_roles}
    frame["_order"] = [
        tuple(order[role][str(row[role])] for role in group_roles)
        for row in frame.to_dict("records")
    ]
    frame = frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    result = pd.DataFrame(
        {
            **{
                name: frame[role].astype(str).astype(object)
                for role, name in zip(group_roles, names, strict=True)
            },
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64"),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64"),
            REVENUE_SUM_COLUMN: pd.to_numeric(frame[REVENUE_SUM_COLUMN]).astype("float64"),
            REVENUE_SUM_SQUARES_COLUMN: pd.to_numeric(frame[REVENUE_SUM_SQUARES_COLUMN]).astype(
                "float64"
            ),
        }
    )
    return result
