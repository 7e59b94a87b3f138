"""Sample ratio mismatch: chi-square goodness of fit of visitors per arm against the planned
split, flagged below SRM_P_VALUE_THRESHOLD."""

from __future__ import annotations

from collections.abc import Sequence

from scipy import stats

from ro_core.errors import InvalidInputError
from ro_core.experiment.analysis.types import SRM_P_VALUE_THRESHOLD, SampleRatioCheck
from ro_core.experiment.planning import as_count, as_positive


def _split_shares(planned_split: Sequence[object] | None, arms: int) -> tuple[float, ...]:
    if planned_split is None:
        return tuple([1.0 / arms] * arms)
    weights = [as_positive(w, "Each traffic split weight") for w in planned_split]
    if len(weights) != arms:
        raise InvalidInputError(
            f"The planned split has {len(weights)} parts but there are {arms} arms "
            "(control plus each variant)."
        )
    total = sum(weights)
    return tuple(w / total for w in weights)


def sample_ratio_check(
    visitors: Sequence[int],
    planned_split: Sequence[float] | None = None,
    *,
    names: Sequence[str] | None = None,
    threshold: float = SRM_P_VALUE_THRESHOLD,
) -> SampleRatioCheck:
    """Chi-square goodness of fit of visitors per arm (control first) against the split."""
    counts = [as_count(v, "Visitors", minimum=1) for v in visitors]
    if len(counts) < 2:
        raise InvalidInputError("A sample ratio check needs at least two arms.")
    shares = _split_shares(planned_split, len(counts))
    total = sum(counts)
    chi_square = sum(
        (o - total * s) ** 2 / (total * s) for o, s in zip(counts, shares, strict=True)
    )
    p_value = float(stats.chi2.sf(chi_square, len(counts) - 1))
    labels = tuple(names) if names is not None else tuple(f"arm {i}" for i in range(len(counts)))
    return SampleRatioCheck(labels, tuple(counts), shares, float(chi_square), p_value, threshold)
