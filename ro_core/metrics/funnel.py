"""Funnels: sessions -> product view -> cart -> checkout -> purchase.

Two sources:
- traffic tables (aggregates per period, e.g. Shopify's customer behaviour report): each step is
  the sessions the export counts at that step, whichever steps it has (rows of the store's one
  traffic source having any step count). Without a sessions report the funnel starts at the
  first step present, and the note says so. Aggregates cannot say who continued, so when a
  step counts more sessions than the previous one (Buy Now purchases that skip the cart) the
  excess is reported as `skipped` (a lower bound) and drop-off is 0, never negative.
- events (one row per event; computed in ro_core.metrics.event_funnel): sessions are grouped
  by session_id (else user and day). The closed funnel counts a session at a step only when it
  did every earlier step in order (each step at or after the previous one); the open funnel
  counts each step independently. In both, `skipped` = sessions that did the step but never
  did the previous step.

Frame columns (FUNNEL_COLUMNS): segment ('All' without a segment), step, label, sessions,
step_conversion (share of the previous step's sessions that reached this step; None at the
top), from_top_conversion (sessions / sessions at the top step), drop_off (sessions at the
previous step that did not reach this one, >= 0), skipped (sessions at this step without the
previous step).

Segment filter (``filters.segment_dimension``): traffic funnels use the segment's traffic rows
(see ``select_traffic``); event funnels keep the sessions whose segment value (the value on
their first event, as in the breakdowns) matches, when events carry the dimension (channel,
device, country); otherwise the funnel is empty and the note says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError
from ro_core.metrics._sql import safe_div
from ro_core.metrics.event_rules import (
    ALL_SEGMENTS,
)
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.periods import DateRange
from ro_core.metrics.traffic import (
    TrafficSelection,
    no_traffic_note,
    required_dimensions,
    select_traffic,
)
from ro_core.metrics.traffic_inventory import row_sums
from ro_core.metrics.traffic_totals import selection_units
from ro_core.metrics.versioned import pins_version
from ro_core.store import schema
from ro_core.store.db import Database

STEP_LABELS = {
    "sessions": "Sessions",
    "product_view": "Viewed a product",
    "cart": "Added to cart",
    "checkout": "Reached checkout",
    "purchase": "Purchased",
}
TRAFFIC_STEP_MEASURES = {
    "sessions": "sessions",
    "product_view": "product_view_sessions",
    "cart": "cart_sessions",
    "checkout": "checkout_sessions",
    "purchase": "converted_sessions",
}
FUNNEL_COLUMNS = [
    "segment",
    "step",
    "label",
    "sessions",
    "step_conversion",
    "from_top_conversion",
    "drop_off",
    "skipped",
]


@dataclass(frozen=True)
class FunnelResult:
    """A funnel for one period, optionally per segment.

    Attributes:
        kind: 'traffic' or 'events'; closed: ordered (closed) event funnel or open funnel.
        steps: the steps the data has, top first.
        segment_dimension: the breakdown, or None.
        frame: FUNNEL_COLUMNS, rows grouped by segment in step order.
        note: where the numbers come from and what is missing.
        traffic: the traffic rows used (traffic funnels).
    """

    kind: str
    closed: bool
    steps: tuple[str, ...]
    period: DateRange
    segment_dimension: str | None
    frame: pd.DataFrame
    note: str
    traffic: TrafficSelection | None = None

    @classmethod
    def empty(
        cls,
        kind: str,
        period: DateRange,
        note: str,
        *,
        closed: bool = False,
        segment_dimension: str | None = None,
    ) -> FunnelResult:
        """A funnel with no steps; `note` says why."""
        return cls(kind=kind, closed=closed, steps=(), period=period,
                   segment_dimension=segment_dimension,
                   frame=pd.DataFrame(columns=FUNNEL_COLUMNS), note=note)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return {
            "kind": self.kind,
            "closed": self.closed,
            "steps": list(self.steps),
            "period": self.period.to_dict(),
            "segment_dimension": self.segment_dimension,
            "note": self.note,
            "traffic": self.traffic.to_dict() if self.traffic else None,
            "rows": frame.to_dict(orient="records"),
        }


def rows_for_segment(
    segment: str,
    steps: list[str],
    reached: list[float],
    continued: list[float | None],
    skipped: list[float],
) -> list[dict[str, Any]]:
    """Funnel rows from per-step counts.

    reached[k]: sessions at step k; continued[k]: sessions at step k-1 that reached step k
    (None for aggregates: taken as min(reached[k], reached[k-1])); skipped[k] as defined.
    """
    rows = []
    top = reached[0] if reached else 0
    for k, step in enumerate(steps):
        count = reached[k]
        if k == 0:
            conv = drop = None
            skip = 0.0
        else:
            prev = reached[k - 1]
            went_on = continued[k] if continued[k] is not None else min(count, prev)
            conv = safe_div(went_on, prev)
            drop = max(prev - went_on, 0.0)
            skip = max(skipped[k], 0.0)
        rows.append(
            {
                "segment": segment,
                "step": step,
                "label": STEP_LABELS[step],
                "sessions": float(count),
                "step_conversion": conv,
                "from_top_conversion": safe_div(count, top),
                "drop_off": drop if drop is None else float(drop),
                "skipped": float(skip),
            }
        )
    return rows


@pins_version
def traffic_funnel(
    db: Database,
    period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    segment_dimension: str | None = None,
) -> FunnelResult:
    """Funnel from the traffic tables (whichever steps the export counts)."""
    dimension = segment_dimension or ""
    if dimension and dimension not in schema.TRAFFIC_DIMENSIONS:
        raise InvalidInputError(
            f"'{dimension}' is not a traffic breakdown: use one of "
            + ", ".join(schema.TRAFFIC_DIMENSIONS)
            + "."
        )
    measures = tuple(TRAFFIC_STEP_MEASURES.values())
    selection = select_traffic(db, period, filters, dimension=dimension, measures=measures)
    if selection is None:
        what = f" split by {dimension}" if dimension else ""
        note = no_traffic_note(db, filters, what)
        if filters.has_segment and filters.segment_traffic_dimension is None:
            note = f"Showing {filters.segment_scope()}."
        elif filters.has_segment:
            dims = " and ".join(required_dimensions(filters, dimension))
            note = (
                no_traffic_note(db, filters, f" split by {dims}").rstrip(".")
                + f" ({filters.segment_label()})."
            )
        return FunnelResult.empty("traffic", period, note, segment_dimension=segment_dimension)
    agg = _step_sums(db, selection, dimension)
    steps = [s for s in TRAFFIC_STEP_MEASURES if len(agg) and agg[s].notna().all()]
    rows: list[dict[str, Any]] = []
    for _, r in agg.iterrows():  # one row per segment (aggregates)
        reached = [float(r[s]) for s in steps]
        skipped = [0.0] + [max(reached[k] - reached[k - 1], 0.0) for k in range(1, len(steps))]
        rows.extend(rows_for_segment(r["segment"], steps, reached, [None] * len(steps), skipped))
    missing = [STEP_LABELS[s].lower() for s in TRAFFIC_STEP_MEASURES if s not in steps]
    note = selection.note
    if missing:
        note += "; the export has no counts for: " + ", ".join(missing)
    if steps and steps[0] != "sessions":
        note += (
            f". No sessions report for these dates: the funnel starts at "
            f"'{STEP_LABELS[steps[0]]}', and rates are shares of that step"
        )
    note += (
        ". Aggregated counts: where a step counts more sessions than the previous one, the "
        "excess is shown as skipped (e.g. Buy Now)."
    )
    return FunnelResult(
        kind="traffic",
        closed=False,
        steps=tuple(steps),
        period=period,
        segment_dimension=segment_dimension,
        frame=pd.DataFrame(rows, columns=FUNNEL_COLUMNS),
        note=note,
        traffic=selection,
    )


def _step_sums(db: Database, selection: TrafficSelection, dimension: str) -> pd.DataFrame:
    """Per segment (biggest first; 'All' without a dimension): each step's sessions where every
    row counts the step, else None. The store's (or a "Show only" segment's) funnel comes from
    the traffic inventory; a split by a dimension from one query."""
    measures = selection.measures
    if not dimension:
        found = row_sums(u for u in selection_units(db, selection) if u.has_any(measures))
        if not found.rows:
            return pd.DataFrame(columns=["segment", *TRAFFIC_STEP_MEASURES])
        steps = {step: found.complete(m) for step, m in TRAFFIC_STEP_MEASURES.items()}
        return pd.DataFrame([{"segment": ALL_SEGMENTS, **steps}])
    where, params = selection.where_sql("t")
    sums = ", ".join(
        f"CASE WHEN count(t.{m}) = count(*) THEN sum(t.{m}) END AS {step}"
        for step, m in TRAFFIC_STEP_MEASURES.items()
    )
    size = "coalesce(" + ", ".join(f"t.{m}" for m in measures) + ")"
    return db.fetch_df(
        f"""SELECT coalesce(CAST(t.{dimension} AS VARCHAR), 'unknown') AS segment, {sums}
        FROM {schema.TRAFFIC} t WHERE {where} AND {selection.measure_sql("t")}
        GROUP BY 1 ORDER BY sum({size}) DESC NULLS LAST, 1""",
        params,
    )


def compare_funnels(current: FunnelResult, comparison: FunnelResult) -> pd.DataFrame:
    """Two funnels side by side (e.g. this period and the previous one).

    Columns: segment, step, label, sessions, sessions_comparison, step_conversion,
    step_conversion_comparison, step_conversion_change (absolute), from_top_conversion,
    from_top_conversion_comparison, then the statistics of
    ``ro_core.experiment.funnel_stats.compare_step_counts`` per segment: step_conversion_low /
    _high (Wilson), step_conversion_change_low / _high (Newcombe), p_value and p_adjusted
    (Benjamini-Hochberg across the segment's steps). Steps missing on one side have None there.
    """
    # imported here: the experiment statistics bring scipy, which the first page does not need
    from ro_core.experiment.funnel_stats import compare_step_counts

    keep = ["segment", "step", "sessions", "step_conversion", "from_top_conversion"]
    left = current.frame[[*keep, "label"]]
    right = comparison.frame[keep].rename(
        columns={c: f"{c}_comparison" for c in keep if c not in ("segment", "step")}
    )
    merged = left.merge(right, on=["segment", "step"], how="outer")
    order = {s: i for i, s in enumerate(STEP_LABELS)}
    merged["label"] = merged["step"].map(STEP_LABELS)
    merged["_order"] = merged["step"].map(order)
    merged = merged.sort_values(["segment", "_order"]).drop(columns="_order")

    def diff(a: Any, b: Any) -> float | None:
        if a is None or b is None or pd.isna(a) or pd.isna(b):
            return None
        return float(a) - float(b)

    merged["step_conversion_change"] = [
        diff(a, b)
        for a, b in zip(
            merged["step_conversion"], merged["step_conversion_comparison"], strict=True
        )
    ]
    columns = [
        "segment",
        "step",
        "label",
        "sessions",
        "sessions_comparison",
        "step_conversion",
        "step_conversion_comparison",
        "step_conversion_change",
        "from_top_conversion",
        "from_top_conversion_comparison",
    ]
    merged = merged[columns].reset_index(drop=True)
    stats_parts = []
    for segment, part in merged.groupby("segment", sort=False):
        steps = compare_step_counts(
            list(part["step"]),
            [None if pd.isna(v) else float(v) for v in part["sessions"]],
            [None if pd.isna(v) else float(v) for v in part["sessions_comparison"]],
        )
        stats_parts.append(steps.assign(segment=segment))
    added = {
        "rate_low": "step_conversion_low",
        "rate_high": "step_conversion_high",
        "change_low": "step_conversion_change_low",
        "change_high": "step_conversion_change_high",
        "p_value": "p_value",
        "p_adjusted": "p_adjusted",
    }
    if stats_parts:
        stats = pd.concat(stats_parts, ignore_index=True)[["segment", "step", *added]]
        merged = merged.merge(stats.rename(columns=added), on=["segment", "step"], how="left")
    else:
        merged = merged.assign(**{name: pd.Series(dtype="float64") for name in added.values()})
    return merged
