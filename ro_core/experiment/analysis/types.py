"""The analysis's data shapes: the per-variant summary's columns, one arm's sufficient
statistics (VariantData), and the results (MetricComparison, VariantResult, SampleRatioCheck,
Verdict, ExperimentAnalysis), with the small text helpers they share.

Results hold numbers or None, never NaN; ``to_dict`` gives JSON-ready dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning import as_count, as_number
from ro_core.numbers import finite_or_none

Status = Literal["winner", "loser", "inconclusive", "invalid"]
MetricName = Literal["cr", "rpv", "aov"]


SRM_P_VALUE_THRESHOLD = 0.001


VARIANT_COLUMN = "variant"
VISITORS_COLUMN = "visitors"
CONVERSIONS_COLUMN = "conversions"
REVENUE_SUM_COLUMN = "revenue_sum"
REVENUE_SUM_SQUARES_COLUMN = "revenue_sum_squares"
SUMMARY_COLUMNS: tuple[str, ...] = (
    VARIANT_COLUMN,
    VISITORS_COLUMN,
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
)
METRIC_LABELS = {
    "cr": "conversion rate",
    "rpv": "revenue per visitor",
    "aov": "average order value",
}


def _pct(value: float, digits: int = 1, *, signed: bool = True) -> str:
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f}%"


def _p_text(p_value: float | None) -> str:
    if p_value is None:
        return "p not available"
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}"


@dataclass(frozen=True)
class VariantData:
    """Sufficient statistics of one arm.

    `revenue_sum_squares` is the sum over converting visitors of their revenue squared; with one
    order per converting visitor that is the sum of squared order values. Conversions count
    orders for average order value. Give both revenue fields or neither.
    """

    name: str
    visitors: int
    conversions: int
    revenue_sum: float | None = None
    revenue_sum_squares: float | None = None

    def __post_init__(self) -> None:
        name = str(self.name).strip() if self.name is not None else ""
        if not name:
            raise InvalidInputError("Every variant needs a name.")
        visitors = as_count(self.visitors, f"Visitors for variant {name}")
        if visitors == 0:
            raise InvalidInputError(f"Variant {name} has no visitors: visitors must be above 0.")
        conversions = as_count(self.conversions, f"Conversions for variant {name}")
        if conversions > visitors:
            raise InvalidInputError(
                f"Conversions ({conversions}) cannot exceed visitors ({visitors}) "
                f"for variant {name}."
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "visitors", visitors)
        object.__setattr__(self, "conversions", conversions)
        if self.revenue_sum is None and self.revenue_sum_squares is None:
            return
        if self.revenue_sum is None or self.revenue_sum_squares is None:
            raise InvalidInputError(
                f"Give both the revenue sum and the sum of squares for variant {name}, or neither."
            )
        revenue = as_number(self.revenue_sum, f"Revenue for variant {name}")
        squares = as_number(self.revenue_sum_squares, f"Revenue sum of squares for variant {name}")
        if revenue < 0:
            raise InvalidInputError(
                f"Revenue for variant {name} cannot be negative, got {revenue:g}."
            )
        if squares < 0:
            raise InvalidInputError(
                f"Revenue sum of squares for variant {name} cannot be negative, got {squares:g}."
            )
        if conversions == 0 and (revenue > 0 or squares > 0):
            raise InvalidInputError(f"Variant {name} has revenue ({revenue:g}) but no conversions.")
        slack = 1e-9 * max(1.0, revenue * revenue)
        if conversions > 0 and squares * conversions < revenue * revenue - slack * conversions:
            raise InvalidInputError(
                f"The revenue sum of squares for variant {name} ({squares:g}) is too small for "
                f"{revenue:g} revenue over {conversions} orders: it must be the sum of each "
                "order value squared."
            )
        if squares > revenue * revenue + slack:
            raise InvalidInputError(
                f"The revenue sum of squares for variant {name} ({squares:g}) is larger than the "
                f"revenue squared ({revenue * revenue:g}): check that it sums squared order values."
            )
        object.__setattr__(self, "revenue_sum", revenue)
        object.__setattr__(self, "revenue_sum_squares", squares)

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.visitors

    @property
    def has_revenue(self) -> bool:
        return self.revenue_sum is not None

    @property
    def revenue_per_visitor(self) -> float | None:
        return None if self.revenue_sum is None else self.revenue_sum / self.visitors

    @property
    def rpv_variance(self) -> float | None:
        """Sample variance of revenue per visitor (non-buyers count as 0); None below 2 visitors."""
        if self.revenue_sum is None or self.revenue_sum_squares is None or self.visitors < 2:
            return None
        n = self.visitors
        return max(0.0, (self.revenue_sum_squares - self.revenue_sum**2 / n) / (n - 1))

    @property
    def average_order_value(self) -> float | None:
        if self.revenue_sum is None or self.conversions == 0:
            return None
        return self.revenue_sum / self.conversions

    @property
    def aov_variance(self) -> float | None:
        """Sample variance of order value; None below 2 orders."""
        if self.revenue_sum is None or self.revenue_sum_squares is None or self.conversions < 2:
            return None
        c = self.conversions
        return max(0.0, (self.revenue_sum_squares - self.revenue_sum**2 / c) / (c - 1))


@dataclass(frozen=True)
class MetricComparison:
    """One metric of one variant against control.

    Lifts are variant minus control (absolute, in metric units) and variant / control - 1
    (relative). Intervals are two-sided at 1 - alpha and not adjusted for several variants;
    `p_value_holm` and `p_value_bh` are. `expected_loss` is in metric units: what shipping the
    variant costs on average in the cases where it is actually worse. Numbers are None (never
    NaN) when the data cannot support them; `message` then says why.
    """

    metric: str
    alpha: float
    control_value: float | None
    variant_value: float | None
    absolute_lift: float | None = None
    absolute_ci_low: float | None = None
    absolute_ci_high: float | None = None
    relative_lift: float | None = None
    relative_ci_low: float | None = None
    relative_ci_high: float | None = None
    statistic: float | None = None
    degrees_of_freedom: float | None = None
    p_value: float | None = None
    p_value_holm: float | None = None
    p_value_bh: float | None = None
    chance_to_beat_control: float | None = None
    expected_loss: float | None = None
    sequential_ci_low: float | None = None
    sequential_ci_high: float | None = None
    message: str | None = None

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)

    @property
    def decision_p_value(self) -> float | None:
        """The Holm-adjusted p-value when there is one, else the raw p-value."""
        return self.p_value_holm if self.p_value_holm is not None else self.p_value

    @property
    def is_significant(self) -> bool:
        p_value = self.decision_p_value
        return p_value is not None and p_value < self.alpha

    @property
    def direction(self) -> int:
        """+1 if the variant is ahead, -1 if behind, 0 if level or unknown."""
        if self.absolute_lift is None or self.absolute_lift == 0:
            return 0
        return 1 if self.absolute_lift > 0 else -1

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "control_value": finite_or_none(self.control_value),
            "variant_value": finite_or_none(self.variant_value),
            "absolute_lift": finite_or_none(self.absolute_lift),
            "absolute_ci_low": finite_or_none(self.absolute_ci_low),
            "absolute_ci_high": finite_or_none(self.absolute_ci_high),
            "relative_lift": finite_or_none(self.relative_lift),
            "ci_low": finite_or_none(self.relative_ci_low),
            "ci_high": finite_or_none(self.relative_ci_high),
            "statistic": finite_or_none(self.statistic),
            "degrees_of_freedom": finite_or_none(self.degrees_of_freedom),
            "p_value": finite_or_none(self.p_value),
            "p_value_holm": finite_or_none(self.p_value_holm),
            "p_value_bh": finite_or_none(self.p_value_bh),
            "chance_to_beat_control": finite_or_none(self.chance_to_beat_control),
            "expected_loss": finite_or_none(self.expected_loss),
            "sequential_ci_low": finite_or_none(self.sequential_ci_low),
            "sequential_ci_high": finite_or_none(self.sequential_ci_high),
            "message": self.message,
        }


@dataclass(frozen=True)
class VariantResult:
    """Every metric of one variant against control (revenue metrics need revenue sums)."""

    name: str
    visitors: int
    conversions: int
    conversion: MetricComparison
    revenue_per_visitor: MetricComparison | None = None
    average_order_value: MetricComparison | None = None

    def metric(self, name: str) -> MetricComparison | None:
        return {
            "cr": self.conversion,
            "rpv": self.revenue_per_visitor,
            "aov": self.average_order_value,
        }.get(name)

    def to_dict(self) -> dict[str, Any]:
        """Conversion-rate figures at the top level, revenue metrics nested."""
        data: dict[str, Any] = {
            "name": self.name,
            "visitors": self.visitors,
            "conversions": self.conversions,
            "conversion_rate": self.conversion.variant_value,
        }
        data.update({k: v for k, v in self.conversion.to_dict().items() if k != "metric"})
        data["revenue_per_visitor"] = (
            None if self.revenue_per_visitor is None else self.revenue_per_visitor.to_dict()
        )
        data["average_order_value"] = (
            None if self.average_order_value is None else self.average_order_value.to_dict()
        )
        return data


@dataclass(frozen=True)
class SampleRatioCheck:
    """Chi-square goodness of fit of visitors per arm against the planned split."""

    names: tuple[str, ...]
    visitors: tuple[int, ...]
    expected_shares: tuple[float, ...]
    chi_square: float
    p_value: float
    threshold: float = SRM_P_VALUE_THRESHOLD

    @property
    def observed_shares(self) -> tuple[float, ...]:
        total = sum(self.visitors)
        return tuple(v / total for v in self.visitors)

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.threshold

    @property
    def message(self) -> str | None:
        if not self.mismatch:
            return None
        observed = " / ".join(_pct(s, signed=False) for s in self.observed_shares)
        planned = " / ".join(_pct(s, signed=False) for s in self.expected_shares)
        return (
            f"Sample ratio mismatch: visitors split {observed} against a planned {planned} "
            f"({_p_text(self.p_value)}). Assignment or tracking is broken, so the results "
            "cannot be trusted."
        )


@dataclass(frozen=True)
class Verdict:
    """Plain-language reading of a test: a status, one headline and the warnings behind it."""

    status: Status
    headline: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "headline": self.headline, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything known about a finished (or running) test."""

    control: VariantData
    variants: tuple[VariantResult, ...]
    srm: SampleRatioCheck
    verdict: Verdict
    alpha: float
    primary_metric: str
    days: float | None = None

    @property
    def srm_p_value(self) -> float:
        return self.srm.p_value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; every number is finite or None."""
        control = self.control
        return {
            "alpha": self.alpha,
            "primary_metric": self.primary_metric,
            "days": self.days,
            "control": {
                "name": control.name,
                "visitors": control.visitors,
                "conversions": control.conversions,
                "conversion_rate": control.conversion_rate,
                "revenue_per_visitor": finite_or_none(control.revenue_per_visitor),
                "average_order_value": finite_or_none(control.average_order_value),
            },
            "variants": [variant.to_dict() for variant in self.variants],
            "srm_p_value": finite_or_none(self.srm.p_value),
            "srm_chi_square": finite_or_none(self.srm.chi_square),
            "srm_mismatch": self.srm.mismatch,
            "planned_split": list(self.srm.expected_shares),
            "verdict": self.verdict.to_dict(),
        }
