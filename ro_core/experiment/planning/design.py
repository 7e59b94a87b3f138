"""The design of a test: error rates, sides, number of variants, the correction for several
variants and the traffic split (ExperimentDesign)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import special

from ro_core.errors import InvalidInputError
from ro_core.experiment.planning.inputs import _shown, as_count, as_fraction, as_positive

Correction = Literal["bonferroni", "sidak", "none"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "sidak", "none")


MAX_VARIANTS = 20


def control_share_from_split(split: Sequence[object], variants: int) -> float | None:
    """Control's share of test traffic from weights like (50, 50) or (40, 30, 30).

    Planning assumes every variant gets the same share, so the variant weights must be equal.
    Returns None for an even split.
    """
    weights = [as_positive(weight, "Each traffic split weight") for weight in split]
    if len(weights) != variants + 1:
        raise InvalidInputError(
            f"The traffic split has {len(weights)} parts but the test has {variants + 1} arms "
            "(control plus each variant)."
        )
    variant_weights = weights[1:]
    if max(variant_weights) - min(variant_weights) > 1e-9 * max(variant_weights):
        raise InvalidInputError(
            "Planning assumes every variant gets the same share of traffic; "
            "give equal weights to the variants (control may differ)."
        )
    share = weights[0] / sum(weights)
    if abs(share - 1.0 / (variants + 1)) < 1e-12:
        return None
    return share


@dataclass(frozen=True)
class ExperimentDesign:
    """How a test is run: error rates, sides, number of variants and the traffic split.

    `control_share` is control's share of the test traffic (None: an even split); the variants
    share the rest equally. Values are checked and normalised on creation.
    """

    alpha: float = 0.05
    power: float = 0.8
    two_sided: bool = True
    variants: int = 1
    correction: Correction = "bonferroni"
    control_share: float | None = None

    def __post_init__(self) -> None:
        alpha = as_fraction(self.alpha, "Significance level (alpha)")
        power = as_fraction(self.power, "Power")
        if power <= alpha:
            raise InvalidInputError(
                f"Power ({power:g}) must be above the significance level ({alpha:g})."
            )
        variants = as_count(self.variants, "Number of variants", minimum=1)
        if variants > MAX_VARIANTS:
            raise InvalidInputError(
                f"Number of variants must be at most {MAX_VARIANTS}, got {variants}."
            )
        correction = str(self.correction).strip().lower()
        if correction not in CORRECTIONS:
            raise InvalidInputError(
                f"Correction must be one of {', '.join(CORRECTIONS)}, "
                f"got {_shown(self.correction)}."
            )
        share = self.control_share
        if share is not None:
            share = as_fraction(share, "Control's share of test traffic")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "power", power)
        object.__setattr__(self, "two_sided", bool(self.two_sided))
        object.__setattr__(self, "variants", variants)
        object.__setattr__(self, "correction", correction)
        object.__setattr__(self, "control_share", share)

    @property
    def arms(self) -> int:
        """Control plus the variants."""
        return self.variants + 1

    @property
    def comparison_alpha(self) -> float:
        """Significance level of each variant-versus-control comparison."""
        if self.variants == 1 or self.correction == "none":
            return self.alpha
        if self.correction == "sidak":
            return 1.0 - (1.0 - self.alpha) ** (1.0 / self.variants)
        return self.alpha / self.variants

    @property
    def tail_alpha(self) -> float:
        """The probability in each rejection tail."""
        return self.comparison_alpha / 2 if self.two_sided else self.comparison_alpha

    @property
    def z_alpha(self) -> float:
        return float(special.ndtri(1.0 - self.tail_alpha))

    @property
    def z_power(self) -> float:
        return float(special.ndtri(self.power))

    @property
    def control_fraction(self) -> float:
        """Control's share of test traffic."""
        return self.control_share if self.control_share is not None else 1.0 / self.arms

    @property
    def variant_fraction(self) -> float:
        """Each variant's share of test traffic."""
        return (1.0 - self.control_fraction) / self.variants

    @property
    def allocation_ratio(self) -> float:
        """Control units per variant unit (1.0 for an even split)."""
        return self.control_fraction / self.variant_fraction


DEFAULT_DESIGN = ExperimentDesign()
