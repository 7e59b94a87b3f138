"""Revenue change decomposition: how much came from traffic, conversion rate and AOV.

The change explained is the headline's: total revenue on the days both periods have orders for
(the same compared days as the KPI cards, see ro_core.metrics.comparison). It splits into

    online revenue on the days both periods have orders and traffic = sessions x CR x AOV
    other revenue (other channels, orders on days without traffic) = the rest

The first part is attributed with the additive log-mean Divisia index (LMDI-I, Ang 2004), using
the cards' CR definition: CR = converted sessions / sessions with "AOV" = online revenue per
converted session where the traffic reports converted sessions (Shopify), else CR = online orders
/ sessions with AOV = online revenue per online order. Either way sessions x CR x AOV equals
online revenue exactly:

    contribution_x = L(V1, V0) * ln(x1 / x0),   L(a, b) = (a - b) / (ln a - ln b),  L(a, a) = a

which sums exactly to V1 - V0 because ln(V1/V0) = sum of ln(x1/x0). The other part is its own
bar, so the waterfall starts at the comparison's revenue and ends at the current revenue the
cards show. Without traffic on both sides: revenue = orders x AOV over all filtered orders.

Zero and missing factors (no NaN, ever):
- a factor that is undefined in one period (AOV without orders, CR without sessions) takes the
  other period's value, so it contributes nothing;
- when revenue is zero in exactly one period, the factor(s) equal to zero there receive the
  whole change (split equally if several): the limit of Ang & Choi's small-value substitution,
  since L(V, e) * ln(x / e) -> V and L(V, e) * ln(x1 / x0) -> 0 as e -> 0;
- when revenue is zero in both periods, every contribution is 0.
The floating-point residual (around 1e-12) is added to the largest contribution so the parts
sum to the change exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ro_core.errors import InvalidInputError, NoDataError
from ro_core.metrics._sql import safe_div
from ro_core.metrics.comparison import BOTH, ORDERS
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.kpis import CR_BASIS_CONVERTED, KpiComparison, KpiValues, compare_kpis
from ro_core.metrics.periods import DateRange
from ro_core.metrics.scope import Breakdown, Scope
from ro_core.metrics.segments import segments
from ro_core.metrics.versioned import pins_version
from ro_core.store.db import Database

METHOD_FULL = "sessions x CR x AOV"
METHOD_ORDERS = "orders x AOV"
FACTOR_LABELS = {
    "traffic": "Traffic (sessions)",
    "conversion_rate": "Conversion rate",
    "orders": "Orders",
    "aov": "Average order value",
    "other": "Other revenue",
}
AOV_PER_CONVERTED_LABEL = "Revenue per converted session"
SEGMENT_COLUMNS = [
    "segment",
    "revenue_base",
    "revenue_current",
    "change",
    "traffic",
    "conversion_rate",
    "orders",
    "aov",
    "main_driver",
]


def log_mean(a: float, b: float) -> float:
    """Logarithmic mean L(a, b); L(a, a) = a and L(a, 0) = 0 (its limit)."""
    if a <= 0 or b <= 0:
        return 0.0
    if math.isclose(a, b, rel_tol=1e-12):
        return a
    return (a - b) / (math.log(a) - math.log(b))


def lmdi(
    base: dict[str, float | None], current: dict[str, float | None]
) -> tuple[float, float, dict[str, float]]:
    """Additive LMDI-I of V = product of factors between two periods.

    Args:
        base / current: factor name -> value (None when undefined, e.g. AOV without orders).

    Returns:
        (V0, V1, contributions) with contributions summing to V1 - V0.
    """
    names = list(base)
    x0: dict[str, float] = {}
    x1: dict[str, float] = {}
    for name in names:
        b, c = base[name], current[name]
        if b is None and c is None:
            b = c = 1.0
        elif b is None:
            b = c
        elif c is None:
            c = b
        if b < 0 or c < 0:
            raise InvalidInputError(
                "Revenue decomposition needs non-negative revenue; net revenue is negative here. "
                "Use the 'total' revenue basis."
            )
        x0[name], x1[name] = float(b), float(c)
    v0 = math.prod(x0.values())
    v1 = math.prod(x1.values())
    contributions = dict.fromkeys(names, 0.0)
    change = v1 - v0
    if v0 == 0 and v1 == 0:
        return v0, v1, contributions
    if v0 == 0 or v1 == 0:
        zero_side = x0 if v0 == 0 else x1
        zeros = [n for n in names if zero_side[n] == 0]
        for n in zeros:
            contributions[n] = change / len(zeros)
        return v0, v1, contributions
    weight = log_mean(v1, v0)
    for name in names:
        contributions[name] = weight * math.log(x1[name] / x0[name])
    residual = change - sum(contributions.values())
    largest = max(names, key=lambda n: abs(contributions[n]))
    contributions[largest] += residual
    return v0, v1, contributions


@dataclass(frozen=True)
class Decomposition:
    """A revenue change split into traffic, CR and AOV (or orders and AOV) contributions.

    Attributes:
        method: 'sessions x CR x AOV' or 'orders x AOV'.
        revenue_base / revenue_current / change: revenue of each period (the product of the
            factors: online revenue on traffic days for the full method) and the difference.
        contributions: factor -> money; sums to change.
        factors: DataFrame factor, label, base, current, contribution, share_of_change.
        segments: per-segment decomposition (SEGMENT_COLUMNS) or None; main_driver names the
            factor with the largest absolute contribution.
        notes: captions.
    """

    period: DateRange
    base_period: DateRange
    method: str
    revenue_base: float
    revenue_current: float
    change: float
    contributions: dict[str, float]
    factors: pd.DataFrame
    segments: pd.DataFrame | None
    segment_dimension: str | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""

        def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if frame is None:
                return None
            return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

        return {
            "period": self.period.to_dict(),
            "base_period": self.base_period.to_dict(),
            "method": self.method,
            "revenue_base": self.revenue_base,
            "revenue_current": self.revenue_current,
            "change": self.change,
            "contributions": self.contributions,
            "factors": records(self.factors),
            "segment_dimension": self.segment_dimension,
            "segments": records(self.segments),
            "notes": list(self.notes),
        }


def _factors_frame(
    base: dict[str, float | None],
    current: dict[str, float | None],
    contributions: dict[str, float],
    change: float,
    labels: dict[str, str],
) -> pd.DataFrame:
    rows = [
        {
            "factor": name,
            "label": labels.get(name, FACTOR_LABELS[name]),
            "base": base.get(name),
            "current": current.get(name),
            "contribution": contributions[name],
            "share_of_change": safe_div(contributions[name], change),
        }
        for name in contributions
    ]
    return pd.DataFrame(rows, columns=["factor", "label", "base", "current", "contribution",
                                       "share_of_change"])  # fmt: skip


def _full_factors(sessions: float | None, orders: float, revenue: float) -> dict[str, float | None]:
    return {
        "traffic": sessions,
        "conversion_rate": safe_div(orders, sessions),
        "aov": safe_div(revenue, orders),
    }


def _orders_factors(orders: float, revenue: float) -> dict[str, float | None]:
    return {"orders": float(orders), "aov": safe_div(revenue, orders)}


def _online_factors(values: KpiValues, basis: str | None) -> dict[str, float | None]:
    """sessions x CR x AOV of the online revenue, CR as the cards define it."""
    online = values.online_revenue or 0.0
    if basis == CR_BASIS_CONVERTED and values.converted_sessions is not None:
        return _full_factors(values.sessions, values.converted_sessions, online)
    return _full_factors(values.sessions, values.online_orders or 0, online)


def _no_orders(values: KpiValues, label: str) -> NoDataError:
    return NoDataError(
        f"No orders were imported for {label} ({values.period.label()}): a revenue change "
        "cannot be split without them. Import orders covering both periods."
    )


def explain_change(result: KpiComparison) -> Decomposition:
    """Split the headline revenue change of a KPI comparison into its drivers (no database).

    Uses the comparison's compared days and CR definition, so the waterfall starts at the
    comparison revenue and ends at the current revenue the cards compare.
    """
    if not result.filters.segment_applies_to_orders:
        raise InvalidInputError(
            f"A revenue change cannot be split for {result.filters.segment_label()}: the orders "
            "carry no such field, so the segment's revenue is not known. Pick a segment the "
            "orders have (country, new vs returning, sales channel, discount code) or the whole "
            "store."
        )
    orders_pair = result.pairs.get(ORDERS)
    if orders_pair is None:
        days = result.compared.get(ORDERS)
        if result.comparison is not None and result.comparison.orders is None:
            raise _no_orders(result.comparison, "the earlier period")
        if result.current.orders is None:
            raise _no_orders(result.current, "the current period")
        raise NoDataError(days.note if days and days.note else "No comparison to split.")
    current, base = orders_pair
    for values, label in ((base, "the earlier period"), (current, "the current period")):
        if values.orders is None:
            raise _no_orders(values, label)
    notes = [n for n in result.notes]
    total0, total1 = float(base.revenue or 0.0), float(current.revenue or 0.0)
    both = result.pairs.get(BOTH)
    labels = dict(FACTOR_LABELS)
    if both is not None and both[0].traffic is not None and both[1].traffic is not None:
        method = METHOD_FULL
        f0 = _online_factors(both[1], result.cr_basis)
        f1 = _online_factors(both[0], result.cr_basis)
        v0, v1, contributions = lmdi(f0, f1)
        other = (total1 - total0) - (v1 - v0)
        contributions["other"] = other
        f0["other"], f1["other"] = total0 - v0, total1 - v1
        if result.cr_basis == CR_BASIS_CONVERTED:
            labels["aov"] = AOV_PER_CONVERTED_LABEL
            notes.append(
                "CR is converted sessions / sessions (as on the cards), so the third factor is "
                "online revenue per converted session; RPV = CR x AOV holds only approximately "
                "because a converted session can place more than one order."
            )
        notes.append(
            "Traffic, CR and AOV explain the online revenue on days with both orders and "
            "traffic; other revenue is the rest (other sales channels, days without traffic)."
        )
    else:
        method = METHOD_ORDERS
        f0 = _orders_factors(base.orders, total0)
        f1 = _orders_factors(current.orders, total1)
        v0, v1, contributions = lmdi(f0, f1)
        notes.append(
            "No traffic for both periods from one source: revenue = orders x AOV over all "
            "filtered orders."
        )
    change = total1 - total0
    residual = change - sum(contributions.values())
    largest = max(contributions, key=lambda n: abs(contributions[n]))
    contributions[largest] += residual
    if result.filters.has_segment:
        notes.append(f"Showing {result.filters.segment_scope()}.")
    return Decomposition(
        period=current.period,
        base_period=base.period,
        method=method,
        revenue_base=total0,
        revenue_current=total1,
        change=change,
        contributions=contributions,
        factors=_factors_frame(f0, f1, contributions, change, labels),
        segments=None,
        segment_dimension=None,
        notes=tuple(dict.fromkeys(notes)),
    )


@pins_version
def decompose_scope(db: Database, scope: Scope, kpis: KpiComparison | None = None) -> Decomposition:
    """The revenue change of a scope against its comparison, split into drivers.

    `kpis` is the scope's KPI comparison when the caller already has it. With a "Segment by"
    breakdown the change is also split per segment of that dimension.
    """
    result = explain_change(kpis if kpis is not None else compare_kpis(db, scope))
    if scope.breakdown is None:
        return result
    frame, note = _segment_decomposition(
        db, result.period, result.base_period, scope.filters, scope.breakdown.dimension
    )
    return replace(
        result,
        segments=frame,
        segment_dimension=scope.breakdown.dimension,
        notes=(*result.notes, note),
    )


def decompose(
    db: Database,
    period: DateRange,
    base_period: DateRange,
    filters: OrderFilters = DEFAULT_FILTERS,
    *,
    segment_dimension: str | None = None,
) -> Decomposition:
    """Split the revenue change from `base_period` to `period` into its drivers.

    Args:
        db: the database.
        period: the current range; base_period: the range compared against.
        filters: order filters and revenue basis.
        segment_dimension: also decompose per segment of this dimension (see segments()).
    """
    breakdown = Breakdown(segment_dimension, "") if segment_dimension else None
    scope = Scope(period, "custom", filters, custom_comparison=base_period, breakdown=breakdown)
    return decompose_scope(db, scope)


def _segment_decomposition(
    db: Database,
    period: DateRange,
    base_period: DateRange,
    filters: OrderFilters,
    dimension: str,
) -> tuple[pd.DataFrame, str]:
    now = segments(db, dimension, period, filters)
    forced = filters
    if now.traffic is not None:
        forced = replace(filters, traffic_source=now.traffic.source)
    before = segments(db, dimension, base_period, forced, side=now.side)
    cur = now.frame.set_index("segment")
    old = before.frame.set_index("segment")
    use_sessions = (
        now.side == "traffic"
        and now.cr_available
        and cur["sessions"].notna().all()
        and old["sessions"].notna().all()
        and len(old) > 0
    )
    rows = []
    for seg in list(dict.fromkeys([*cur.index, *old.index])):

        def pick(frame: pd.DataFrame, column: str, seg: str = seg) -> float:
            if seg not in frame.index:
                return 0.0
            value = frame.at[seg, column]
            return 0.0 if value is None or pd.isna(value) else float(value)

        if use_sessions:
            f0 = _full_factors(pick(old, "sessions"), pick(old, "orders"), pick(old, "revenue"))
            f1 = _full_factors(pick(cur, "sessions"), pick(cur, "orders"), pick(cur, "revenue"))
        else:
            f0 = _orders_factors(pick(old, "orders"), pick(old, "revenue"))
            f1 = _orders_factors(pick(cur, "orders"), pick(cur, "revenue"))
        v0, v1, parts = lmdi(f0, f1)
        driver = max(parts, key=lambda n: abs(parts[n])) if any(parts.values()) else None
        rows.append(
            {
                "segment": seg,
                "revenue_base": v0,
                "revenue_current": v1,
                "change": v1 - v0,
                "traffic": parts.get("traffic"),
                "conversion_rate": parts.get("conversion_rate"),
                "orders": parts.get("orders"),
                "aov": parts.get("aov"),
                "main_driver": driver,
            }
        )
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    frame = frame.reindex(frame["change"].abs().sort_values(ascending=False).index)
    method = METHOD_FULL if use_sessions else METHOD_ORDERS
    note = (
        f"Per {dimension} ({now.side} side): revenue = {method} within each segment; "
        "segment changes sum to the change of the segments' total revenue."
    )
    return frame.reset_index(drop=True), note
