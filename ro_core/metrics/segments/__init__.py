"""Breakdowns by segment with CR, AOV, RPV, revenue share and 95% intervals.

A segment dimension lives on one side:
- traffic: the analytics export's breakdowns (channel/referrer source, referrer, device,
  country, region, landing page, new vs returning). Sessions come from the traffic rows; the
  conversions from the same rows where the export has them (Shopify converted sessions, GA4
  transactions and revenue), else from orders when the orders carry the same dimension
  (country, customer_type), else CR cannot be computed and the note says why.
- orders: the orders' own fields (sales channel, shipping country, new vs returning, discount
  code used or not). Orders, revenue and AOV always; CR and RPV only when the traffic has
  sessions split by the same dimension.

Intervals (95%): Wilson for CR; a t interval for AOV from order-level sums (n, sum, sum of
squares); for RPV a t interval over sessions where sessions without an order count as zero
revenue (mean = revenue / sessions, variance from the order values' sum of squares). Segments
with fewer than MIN_SEGMENT_ORDERS orders or MIN_SEGMENT_SESSIONS sessions are flagged
small_sample and left unranked.

With a segment filter (``filters.segment_dimension``) the breakdown covers that segment only:
traffic rows come from a breakdown containing both dimensions (else there is no traffic side),
orders are the segment's; when the orders do not carry the filter's dimension no order figures
are matched (orders-side breakdowns are then empty, with a note). ``segment_values`` lists the
values a filter can pick.

Modules: ``dimensions`` (dimensions with data, labels, filter values, choosing the side),
``sums`` (the orders' and the traffic's sums per segment), ``figures`` (one segment's figures
and intervals, the ranked table) and ``breakdown`` (SegmentBreakdown and ``segments``). Their
public names are re-exported here: ``segments`` here is the function.
"""

from __future__ import annotations

from ro_core.metrics.segments.breakdown import (
    CR_BASIS_TRAFFIC_ORDERS,
    SegmentBreakdown,
    segments,
)
from ro_core.metrics.segments.dimensions import (
    EVENT_VALUE_COLUMNS,
    MAX_SEGMENT_VALUES,
    ORDER_SEGMENT_LABELS,
    SHARED_DIMENSIONS,
    TRAFFIC_SEGMENT_LABELS,
    segment_dimensions,
    segment_values,
)
from ro_core.metrics.segments.figures import (
    FRAME_COLUMNS,
    MIN_SEGMENT_ORDERS,
    MIN_SEGMENT_SESSIONS,
    NUMERIC_COLUMNS,
)
from ro_core.metrics.segments.sums import prefetch_traffic_segments, traffic_sums

__all__ = [
    "CR_BASIS_TRAFFIC_ORDERS",
    "EVENT_VALUE_COLUMNS",
    "FRAME_COLUMNS",
    "NUMERIC_COLUMNS",
    "MAX_SEGMENT_VALUES",
    "MIN_SEGMENT_ORDERS",
    "MIN_SEGMENT_SESSIONS",
    "ORDER_SEGMENT_LABELS",
    "SHARED_DIMENSIONS",
    "SegmentBreakdown",
    "TRAFFIC_SEGMENT_LABELS",
    "prefetch_traffic_segments",
    "segment_dimensions",
    "segment_values",
    "segments",
    "traffic_sums",
]
