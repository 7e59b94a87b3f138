"""Reading a multivariate (factorial) test from per-combination counts.

Input: one row per combination of the factors' levels with visitors, conversions and (for
revenue per visitor) the revenue sum and sum of squares, as SQL aggregates them from a
visitor-level file. Model: main effects and every two-way interaction, sum-to-zero coded,

- conversion rate: logistic regression; effects are differences in log-odds (exp = odds ratio);
- revenue per visitor: least squares with robust (HC3) standard errors; effects in money per
  visitor.

Reported effects are contrasts of the fitted model, so they do not depend on the coding:

- a main effect is a level against the factor's first level, averaged over the other factors'
  levels;
- an interaction is the difference of differences: how much one factor's effect changes between
  two levels of another (0 when the factors act independently).

p-values are Wald z tests, Holm-adjusted across every reported effect. The best combination is
the one with the highest observed rate or RPV; how sure we are is the chance it is truly the
best (Beta posteriors for conversion, normal for revenue; BEST_DRAWS draws with a fixed seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis import (
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
    VISITORS_COLUMN,
    holm_adjusted,
)
from ro_core.experiment.factorial_plan import Factor, check_factors
from ro_core.experiment.orders_csv import CONTROL_NAMES
from ro_core.experiment.planning import as_fraction
from ro_core.experiment.regression import Fit, logistic_fit, robust_linear_fit
from ro_core.numbers import finite_or_none

BEST_DRAWS = 20_000
SURE_ENOUGH = 0.95
CELL_COLUMNS: tuple[str, ...] = (
    "combination",
    VISITORS_COLUMN,
    CONVERSIONS_COLUMN,
    "value",
    "ci_low",
    "ci_high",
    "chance_best",
)


@dataclass(frozen=True)
class FactorEffect:
    """One main effect (term = factor) or two-way interaction (term = 'a:b')."""

    term: str
    kind: str  # "main" or "interaction"
    levels: str  # "B vs A", or "B x red" for an interaction
    estimate: float | None
    standard_error: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "kind": self.kind,
            "levels": self.levels,
            "estimate": finite_or_none(self.estimate),
            "standard_error": finite_or_none(self.standard_error),
            "ci_low": finite_or_none(self.ci_low),
            "ci_high": finite_or_none(self.ci_high),
            "p_value": finite_or_none(self.p_value),
            "p_adjusted": finite_or_none(self.p_adjusted),
        }


@dataclass(frozen=True)
class FactorialAnalysis:
    """Per-combination table, effects with Holm-adjusted p-values, best combination."""

    factors: tuple[Factor, ...]
    metric: str
    scale: str
    alpha: float
    cells: pd.DataFrame  # CELL_COLUMNS plus one column per factor
    effects: tuple[FactorEffect, ...]
    best: str | None
    best_chance: float | None
    statement: str
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        cells = self.cells.astype(object).where(self.cells.notna(), None)
        return {
            "metric": self.metric,
            "scale": self.scale,
            "alpha": self.alpha,
            "factors": [{"name": f.name, "levels": list(f.levels)} for f in self.factors],
            "combinations": [
                {k: (finite_or_none(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in cells.to_dict("records")
            ],
            "effects": [effect.to_dict() for effect in self.effects],
            "best_combination": self.best,
            "best_chance": finite_or_none(self.best_chance),
            "statement": self.statement,
            "message": self.message,
        }


def _ordered_levels(values: Sequence[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(str(v) for v in values))
    return tuple(sorted(unique, key=lambda v: v.strip().lower() not in CONTROL_NAMES))


def _columns(factors: Sequence[Factor]) -> list[tuple[str, ...]]:
    """Design column labels: intercept, one per non-reference level, products of pairs."""
    main = [(f.name, level) for f in factors for level in f.levels[1:]]
    labels: list[tuple[str, ...]] = [("intercept",)]
    labels += [(name, level) for name, level in main]
    for a, b in combinations(factors, 2):
        labels += [(a.name, la, b.name, lb) for la in a.levels[1:] for lb in b.levels[1:]]
    return labels


def _code(factor: Factor, level: str, column_level: str) -> float:
    """Sum-to-zero coding: 1 at the column's level, -1 at the reference, 0 elsewhere."""
    if level == column_level:
        return 1.0
    return -1.0 if level == factor.levels[0] else 0.0


def design_rows(factors: Sequence[Factor], cells: Sequence[dict[str, str]]) -> np.ndarray:
    """The model's design matrix for combinations given as {factor name: level}."""
    by_name = {f.name: f for f in factors}
    rows = []
    for cell in cells:
        row = []
        for label in _columns(factors):
            if label == ("intercept",):
                row.append(1.0)
            elif len(label) == 2:
                row.append(_code(by_name[label[0]], cell[label[0]], label[1]))
            else:
                row.append(
                    _code(by_name[label[0]], cell[label[0]], label[1])
                    * _code(by_name[label[2]], cell[label[2]], label[3])
                )
        rows.append(row)
    return np.array(rows, dtype=float)


def _contrasts(factors: Sequence[Factor]) -> list[tuple[str, str, str, np.ndarray]]:
    """(term, kind, levels text, weights) for every main effect and two-way interaction."""
    grid = [
        dict(zip([f.name for f in factors], combo, strict=True))
        for combo in product(*(f.levels for f in factors))
    ]
    x = design_rows(factors, grid)

    def mean_where(**fixed: str) -> np.ndarray:
        mask = [all(cell[k] == v for k, v in fixed.items()) for cell in grid]
        return x[np.array(mask)].mean(axis=0)

    result = []
    for f in factors:
        ref = f.levels[0]
        for level in f.levels[1:]:
            weights = mean_where(**{f.name: level}) - mean_where(**{f.name: ref})
            result.append((f.name, "main", f"{level} vs {ref}", weights))
    for a, b in combinations(factors, 2):
        for la in a.levels[1:]:
            for lb in b.levels[1:]:
                ra, rb = a.levels[0], b.levels[0]
                weights = (
                    mean_where(**{a.name: la, b.name: lb})
                    - mean_where(**{a.name: ra, b.name: lb})
                    - mean_where(**{a.name: la, b.name: rb})
                    + mean_where(**{a.name: ra, b.name: rb})
                )
                result.append((f"{a.name}:{b.name}", "interaction", f"{la} x {lb}", weights))
    return result


def _combination_name(factors: Sequence[Factor], cell: dict[str, str]) -> str:
    return " / ".join(f"{f.name} {cell[f.name]}" for f in factors)


def _cells_table(
    frame: pd.DataFrame, factors: Sequence[Factor], metric: str, alpha: float
) -> pd.DataFrame:
    z = float(special.ndtri(1 - alpha / 2))
    n = frame[VISITORS_COLUMN].to_numpy(float)
    c = frame[CONVERSIONS_COLUMN].to_numpy(float)
    if metric == "cr":
        value = c / n
        # Wilson score interval
        centre = (c + z**2 / 2) / (n + z**2)
        half = z * np.sqrt(n * value * (1 - value) + z**2 / 4) / (n + z**2)
        low, high = centre - half, centre + half
    else:
        s1 = frame[REVENUE_SUM_COLUMN].to_numpy(float)
        s2 = frame[REVENUE_SUM_SQUARES_COLUMN].to_numpy(float)
        value = s1 / n
        variance = np.where(n > 1, np.maximum(s2 - s1**2 / n, 0) / np.maximum(n - 1, 1), np.nan)
        se = np.sqrt(variance / n)
        low, high = value - z * se, value + z * se
    table = pd.DataFrame(
        {
            "combination": [
                _combination_name(factors, row)
                for row in frame[[f.name for f in factors]].astype(str).to_dict("records")
            ],
            **{f.name: frame[f.name].astype(str).to_numpy() for f in factors},
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64").to_numpy(),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64").to_numpy(),
            "value": value,
            "ci_low": low,
            "ci_high": high,
        }
    )
    return table


def _chance_best(frame: pd.DataFrame, metric: str, seed: int = 0) -> np.ndarray:
    """Chance each combination is truly the best (share of BEST_DRAWS draws it leads)."""
    rng = np.random.default_rng(seed)
    n = frame[VISITORS_COLUMN].to_numpy(float)
    if metric == "cr":
        c = frame[CONVERSIONS_COLUMN].to_numpy(float)
        draws = rng.beta(1 + c, 1 + n - c, size=(BEST_DRAWS, len(n)))
    else:
        s1 = frame[REVENUE_SUM_COLUMN].to_numpy(float)
        s2 = frame[REVENUE_SUM_SQUARES_COLUMN].to_numpy(float)
        variance = np.maximum(s2 - s1**2 / n, 0) / np.maximum(n - 1, 1)
        draws = rng.normal(s1 / n, np.sqrt(variance / n), size=(BEST_DRAWS, len(n)))
    winners = np.argmax(draws, axis=1)
    return np.bincount(winners, minlength=len(n)) / BEST_DRAWS


def _statement(
    cells: pd.DataFrame, metric: str, best: int, chance: float, effects: Sequence[FactorEffect]
) -> str:
    name = cells["combination"].iloc[best]
    value = cells["value"].iloc[best]
    shown = f"{value:.2%}" if metric == "cr" else f"{value:,.2f} per visitor"
    label = "conversion rate" if metric == "cr" else "revenue per visitor"
    total = len(cells)
    text = f"{name} has the highest {label} ({shown}). "
    if chance >= SURE_ENOUGH:
        text += (
            f"The chance it is truly the best of the {total} combinations is {chance:.0%}: "
            "fairly sure."
        )
    else:
        runner = cells.drop(index=cells.index[best])["chance_best"].idxmax()
        text += (
            f"The chance it is truly the best of the {total} combinations is only {chance:.0%} "
            f"({cells.loc[runner, 'combination']}: {cells.loc[runner, 'chance_best']:.0%}), so "
            "treat it as a lead, not a winner."
        )
    significant = [e for e in effects if e.p_adjusted is not None and e.p_adjusted < 0.05]
    if significant:
        text += (
            " Effects that hold after adjusting for testing several: "
            + ", ".join(f"{e.term} ({e.levels})" for e in significant)
            + "."
        )
    else:
        text += " No effect holds after adjusting for testing several at once."
    text += (
        " The best of several combinations usually looks better than it is (picked for its "
        "luck): confirm it with a plain A/B test against control if the decision is costly."
    )
    return text


def analyze_factorial(
    frame: pd.DataFrame,
    factor_columns: Sequence[str],
    *,
    metric: str = "cr",
    alpha: object = 0.05,
    cov_type: str = "HC3",
) -> FactorialAnalysis:
    """Analyse a factorial test from one row per combination.

    Args:
        frame: factor columns (the level each combination has), visitors, conversions and,
            for metric "rpv", revenue_sum and revenue_sum_squares.
        factor_columns: the factor columns, at least one.
        metric: "cr" (logistic) or "rpv" (least squares with robust errors).
        alpha: for the intervals; p-values are Holm-adjusted across effects.
        cov_type: robust covariance for RPV: "HC3" (default), "HC1" or "HC0".
    """
    if metric not in ("cr", "rpv"):
        raise InvalidInputError(f"The metric must be 'cr' or 'rpv', got {metric!r}.")
    alpha_value = as_fraction(alpha, "Significance level (alpha)")
    names = [str(c) for c in factor_columns]
    missing = [c for c in (*names, VISITORS_COLUMN, CONVERSIONS_COLUMN) if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"The combinations table lacks column(s): {', '.join(missing)}.")
    if metric == "rpv" and (
        REVENUE_SUM_COLUMN not in frame.columns or frame[REVENUE_SUM_COLUMN].isna().any()
    ):
        raise InvalidInputError("Revenue per visitor needs a revenue column.")
    data = frame[frame[VISITORS_COLUMN] > 0].reset_index(drop=True)
    factors = check_factors(
        [Factor(name, _ordered_levels(data[name].astype(str))) for name in names]
    )
    order = {f.name: {level: i for i, level in enumerate(f.levels)} for f in factors}
    data = (
        data.assign(
            _order=[
                tuple(order[f.name][str(row[f.name])] for f in factors)
                for row in data.to_dict("records")
            ]
        )
        .sort_values("_order")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    cells = _cells_table(data, factors, metric, alpha_value)
    cells["chance_best"] = _chance_best(data, metric)
    x = design_rows(factors, data[[f.name for f in factors]].astype(str).to_dict("records"))
    n = data[VISITORS_COLUMN].to_numpy(float)
    if metric == "cr":
        fit: Fit = logistic_fit(x, n, data[CONVERSIONS_COLUMN].to_numpy(float))
        scale = "log-odds"
    else:
        fit = robust_linear_fit(
            x,
            n,
            data[REVENUE_SUM_COLUMN].to_numpy(float),
            data[REVENUE_SUM_SQUARES_COLUMN].to_numpy(float),
            cov_type=cov_type,
        )
        scale = "money per visitor"
    effects: list[FactorEffect] = []
    z = float(special.ndtri(1 - alpha_value / 2))
    expected = int(np.prod([len(f.levels) for f in factors]))
    message = fit.message
    if len(data) < expected and message is None:
        message = (
            f"Only {len(data)} of the {expected} combinations have visitors; effects assume "
            "no three-way interactions."
        )
    for term, kind, levels, weights in _contrasts(factors):
        if not fit.ok:
            effects.append(FactorEffect(term, kind, levels, None, None, None, None, None))
            continue
        estimate, se = fit.contrast(weights)
        p_value = float(2 * special.ndtr(-abs(estimate / se))) if se > 0 else None
        effects.append(
            FactorEffect(
                term, kind, levels, estimate, se, estimate - z * se, estimate + z * se, p_value
            )
        )
    adjusted = holm_adjusted([e.p_value for e in effects])
    effects = [
        FactorEffect(**{**e.__dict__, "p_adjusted": p})
        for e, p in zip(effects, adjusted, strict=True)
    ]
    best = int(np.nanargmax(cells["value"].to_numpy(float)))
    chance = float(cells["chance_best"].iloc[best])
    return FactorialAnalysis(
        factors=factors,
        metric=metric,
        scale=scale,
        alpha=alpha_value,
        cells=cells,
        effects=tuple(effects),
        best=str(cells["combination"].iloc[best]),
        best_chance=chance,
        statement=_statement(cells, metric, best, chance, effects),
        message=message,
    )
