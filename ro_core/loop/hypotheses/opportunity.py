"""A hypothesis from an Overview opportunity row: its fields, its key and the backlog entry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ro_core.loop.hypotheses.fields import MAX_TITLE, OPPORTUNITY_SOURCE
from ro_core.loop.hypotheses.record import Hypothesis
from ro_core.loop.hypotheses.storage import add_hypothesis, get_hypothesis
from ro_core.metrics.opportunities import MAX_RELATIVE_LIFT, TYPICAL_RELATIVE_LIFT
from ro_core.store import schema
from ro_core.store.db import Database


def opportunity_key(opportunity: Mapping[str, Any]) -> str:
    """A stable key of an opportunity row: dimension, segment and step."""
    return "|".join(
        str(opportunity.get(name, "")) for name in ("segment_dimension", "segment", "step")
    )


def existing_source_keys(db: Database) -> dict[str, int]:
    """source_key -> hypothesis_id of hypotheses made from opportunities."""
    rows = db.fetch_all(
        f"SELECT source_key, min(hypothesis_id) FROM {schema.HYPOTHESES} "
        "WHERE source_key IS NOT NULL GROUP BY source_key"
    )
    return {key: int(hypothesis_id) for key, hypothesis_id in rows}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _segment_text(opportunity: Mapping[str, Any]) -> str:
    dimension = str(opportunity.get("segment_dimension") or "")
    segment = str(opportunity.get("segment") or "")
    if not dimension or dimension == "store":
        return "the whole store"
    return f"{dimension.replace('_', ' ')} = {segment}"


def _percent(value: float) -> str:
    """0.05 -> '+5%', 0.0216 -> '+2.2%'."""
    text = f"{value * 100:+.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _lift_range(opportunity: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(lift, low, high) of the step's rate, capped (see ro_core.metrics.opportunities).

    A row without lift columns (made before they existed) gets the same caps from its rates.
    """
    lift = _number(opportunity.get("lift"))
    low, high = _number(opportunity.get("lift_low")), _number(opportunity.get("lift_high"))
    if lift is not None:
        return lift, low, high
    current = _number(opportunity.get("current_rate"))
    benchmark = _number(opportunity.get("benchmark_rate"))
    if not current or benchmark is None or current <= 0:
        return None, None, None
    gap = max(benchmark / current - 1, 0.0)
    return min(gap, MAX_RELATIVE_LIFT), min(gap, TYPICAL_RELATIVE_LIFT), min(gap, MAX_RELATIVE_LIFT)


def opportunity_hypothesis_fields(
    opportunity: Mapping[str, Any], *, currency_symbol: str = ""
) -> dict[str, Any]:
    """The add_hypothesis fields an opportunity row (ro_core.metrics.opportunities) gives.

    The expected lift is the row's capped lift; its realistic range (lift_low to lift_high) and
    the monthly gain range (gain_low to gain_high) are in the observation and source_detail.
    """
    step_label = str(opportunity.get("label") or opportunity.get("step") or "funnel step")
    segment = _segment_text(opportunity)
    current = _number(opportunity.get("current_rate"))
    benchmark = _number(opportunity.get("benchmark_rate"))
    benchmark_sessions = _number(opportunity.get("benchmark_sessions"))
    gain = _number(opportunity.get("monthly_revenue_gain"))
    gain_low, gain_high = (
        _number(opportunity.get("gain_low")),
        _number(opportunity.get("gain_high")),
    )
    lift, lift_low, lift_high = _lift_range(opportunity)
    flag = opportunity.get("capped")
    if pd.api.types.is_bool(flag):
        capped = bool(flag)
    else:  # a row without the column: capped when the rates' gap is above the cap
        capped = bool(
            current and benchmark is not None and benchmark / current - 1 > MAX_RELATIVE_LIFT
        )
    parts = []
    if current is not None and benchmark is not None:
        against = [str(opportunity.get("benchmark_source") or "benchmark")]
        if benchmark_sessions is not None:
            against.append(f"{benchmark_sessions:,.0f} sessions")
        if opportunity.get("source"):
            against.append(f"{opportunity.get('source')} data")
        parts.append(
            f"{step_label} step conversion is {current * 100:.2f}% against "
            f"{benchmark * 100:.2f}% ({', '.join(against)})"
        )
    if lift is not None:
        span = (
            f"{_percent(lift_low)} to {_percent(lift_high)}"
            if lift_low is not None and lift_high is not None and lift_low != lift_high
            else _percent(lift)
        )
        cap = f" (capped at {_percent(MAX_RELATIVE_LIFT)}: one change rarely does more)"
        parts.append(f"a realistic lift is {span}{cap if capped else ''}")
    if gain_low is not None and gain_high is not None and gain_low != gain_high:
        parts.append(
            f"about {currency_symbol}{gain_low:,.0f} to {currency_symbol}{gain_high:,.0f} "
            "a month at stake"
        )
    elif gain is not None:
        parts.append(f"about {currency_symbol}{gain:,.0f} a month at stake")
    detail: dict[str, Any] = {}
    for key in ("segment_dimension", "segment", "step", "label", "source", "benchmark_source"):
        if opportunity.get(key) is not None:
            detail[key] = str(opportunity.get(key))
    for key in (
        "sessions",
        "current_rate",
        "benchmark_rate",
        "benchmark_sessions",
        "monthly_revenue_gain",
        "gain_low",
        "gain_high",
    ):
        detail[key] = _number(opportunity.get(key))
    detail.update(
        expected_lift=lift,
        expected_lift_low=lift_low,
        expected_lift_high=lift_high,
        capped=bool(capped),
        max_relative_lift=MAX_RELATIVE_LIFT,
    )
    return {
        "title": f"Raise “{step_label}” step conversion for {segment}"[:MAX_TITLE],
        "location": f"Funnel step: {step_label}"[:MAX_TITLE],
        "segment": segment[:MAX_TITLE],
        "observation": "; ".join(parts),
        "metric": "step_conversion",
        "expected_lift": lift,
        "source": OPPORTUNITY_SOURCE,
        "source_key": opportunity_key(opportunity),
        "source_detail": detail,
    }


def hypothesis_from_opportunity(
    db: Database, opportunity: Mapping[str, Any], *, currency_symbol: str = ""
) -> Hypothesis:
    """Turn an opportunity row into an idea in the backlog (the existing one if already done)."""
    key = opportunity_key(opportunity)
    existing = existing_source_keys(db).get(key)
    if existing is not None:
        return get_hypothesis(db, existing)
    return add_hypothesis(
        db, **opportunity_hypothesis_fields(opportunity, currency_symbol=currency_symbol)
    )
