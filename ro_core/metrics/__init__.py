"""Revenue metrics: KPIs, trends, segments, revenue decomposition, opportunities.

Every number is computed in DuckDB over the canonical tables with bound parameters; Python only
sees aggregates. Money is a float in the store currency; rates are fractions (0.025 = 2.5%).
See docs/metrics_api.md and the README (Metrics glossary).

Note: ``ro_core.metrics.segments`` is the module (call ``segments.segments(...)``);
``decompose`` and ``opportunities`` here are the functions.
"""

from __future__ import annotations

from ro_core.metrics import segments
from ro_core.metrics.catalog import KPI_CARD_METRICS, METRICS, TERMS, Metric, help_text, metric
from ro_core.metrics.coverage import DataCoverage, coverage
from ro_core.metrics.decomposition import Decomposition, decompose, lmdi
from ro_core.metrics.filters import DEFAULT_FILTERS, REVENUE_BASES, OrderFilters
from ro_core.metrics.kpis import (
    CR_BASIS_CONVERTED,
    CR_BASIS_ORDERS,
    KPI_METRICS,
    KpiComparison,
    KpiValues,
    MetricChange,
    kpi_values,
    kpis,
)
from ro_core.metrics.opportunities import OPPORTUNITY_COLUMNS
from ro_core.metrics.opportunities import opportunities as opportunities
from ro_core.metrics.periods import PRESET_LABELS, DateRange, parse_date, presets
from ro_core.metrics.segments import SegmentBreakdown, segment_dimensions, segment_values
from ro_core.metrics.traffic import TrafficSelection, select_traffic
from ro_core.metrics.trends import TREND_METRICS, TrendResult, trend

__all__ = [
    "CR_BASIS_CONVERTED",
    "CR_BASIS_ORDERS",
    "DEFAULT_FILTERS",
    "KPI_CARD_METRICS",
    "METRICS",
    "TERMS",
    "KPI_METRICS",
    "OPPORTUNITY_COLUMNS",
    "PRESET_LABELS",
    "REVENUE_BASES",
    "TREND_METRICS",
    "BaselineSums",
    "DataCoverage",
    "DateRange",
    "Decomposition",
    "Metric",
    "KpiComparison",
    "KpiValues",
    "MetricChange",
    "OrderFilters",
    "SegmentBreakdown",
    "TrafficSelection",
    "TrendResult",
    "coverage",
    "decompose",
    "experiment_baseline_sums",
    "help_text",
    "kpi_values",
    "kpis",
    "lmdi",
    "metric",
    "opportunities",
    "parse_date",
    "presets",
    "segment_dimensions",
    "segment_values",
    "segments",
    "select_traffic",
    "trend",
]


def __getattr__(name: str) -> object:
    """The experiment baseline loads on first use: it brings in the experiment statistics
    (scipy), which take about a second to import and which the first page does not need."""
    if name in ("BaselineSums", "experiment_baseline_sums"):
        from ro_core.metrics import baseline

        return getattr(baseline, name)
    raise AttributeError(f"module 'ro_core.metrics' has no attribute '{name}'")
