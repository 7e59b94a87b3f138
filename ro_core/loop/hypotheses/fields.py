"""What a hypothesis is about (metric, place, source), the limits of its texts and the checks
of each field written to the backlog."""

from __future__ import annotations

import math

from ro_core.errors import InvalidInputError

HYPOTHESIS_METRICS: dict[str, str] = {
    "rpv": "Revenue per visitor (RPV)",
    "conversion_rate": "Conversion rate (CR)",
    "aov": "Average order value (AOV)",
    "step_conversion": "Funnel step conversion",
    "revenue": "Revenue",
}
LOCATION_SUGGESTIONS: tuple[str, ...] = (
    "Home page",
    "Collection page",
    "Product page",
    "Cart",
    "Checkout",
    "Search",
    "Site-wide",
)
SOURCE_SUGGESTIONS: tuple[str, ...] = (
    "Overview opportunity",
    "Trend chart",
    "Funnel chart",
    "Segments chart",
    "Revenue decomposition",
    "Customer feedback",
    "Session recordings",
)
OPPORTUNITY_SOURCE = "Overview opportunity"
MAX_TITLE = 120
MAX_TEXT = 2000


def _text(value: object, label: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    text = " ".join(str(value or "").split()) if limit <= MAX_TITLE else str(value or "").strip()
    if required and not text:
        raise InvalidInputError(f"Give the hypothesis {label}.")
    if len(text) > limit:
        raise InvalidInputError(f"Keep the {label} under {limit} characters (it has {len(text)}).")
    return text


def _metric(metric: str) -> str:
    key = str(metric or "").strip().lower()
    if key not in HYPOTHESIS_METRICS:
        raise InvalidInputError(
            f"The metric must be one of {', '.join(HYPOTHESIS_METRICS)}, got {metric!r}."
        )
    return key


def _lift(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%").strip())
        except ValueError:
            raise InvalidInputError(
                f"The expected lift must be a number like 0.05 or 5%, got {value!r}."
            ) from None
        if percent:
            number /= 100
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"The expected lift must be a number like 0.05, got {value!r}."
            ) from None
    if not math.isfinite(number) or number <= -1:
        raise InvalidInputError(
            f"The expected lift must be above -100%, got {value!r} (0.05 means +5%)."
        )
    return number
