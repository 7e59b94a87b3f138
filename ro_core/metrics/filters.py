"""Which orders count, and how revenue is measured. Every default is visible and switchable."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ro_core.errors import InvalidInputError
from ro_core.store import schema

REVENUE_BASES: dict[str, str] = {
    "total": "Order total as exported (product sales after discounts, plus shipping and tax)",
    "net": "Order total minus refunds",
    "product": "Product sales after discounts (subtotal, without shipping and tax)",
}
TRAFFIC_SOURCES = ("shopify", "ga4", "mapped")

# --- the segment filter ("show only device = Mobile") -------------------------------------------
# Sides a segment dimension can come from: 'traffic' = a property of the session (the analytics
# export's breakdowns, and event-level data), 'orders' = a field of the order.
SEGMENT_SIDES = ("traffic", "orders")
SEGMENT_TRAFFIC_DIMENSIONS: tuple[str, ...] = schema.TRAFFIC_DIMENSIONS
SEGMENT_ORDER_DIMENSIONS: tuple[str, ...] = ("channel", "country", "customer_type", "discount_code")
# Dimensions meaning the same thing on sessions and on orders (session country ~ shipping
# country, new vs returning): a filter on them narrows both sides.
SEGMENT_SHARED_DIMENSIONS: tuple[str, ...] = ("country", "customer_type")
# Session dimensions that event-level exports carry (see schema.EVENT_COLUMNS).
SEGMENT_EVENT_DIMENSIONS: tuple[str, ...] = ("channel", "device", "country")
SEGMENT_DIMENSION_LABELS: dict[str, str] = {
    "channel": "channel",
    "referrer": "referrer",
    "first_user_channel": "first-visit channel",
    "device": "device",
    "country": "country",
    "region": "region",
    "landing_page": "landing page",
    "customer_type": "new vs returning",
    "discount_code": "discount code",
}
MAX_SEGMENT_VALUE_LENGTH = 1000


@dataclass(frozen=True)
class OrderFilters:
    """Order filters and revenue basis used by every metric.

    Attributes:
        exclude_cancelled: leave out cancelled orders and orders whose payment was voided.
        exclude_test: leave out test orders and draft orders (is_test, or channel 'draft').
        online_channels: channels whose orders come from sessions; CR and RPV count only these
            (orders with an unknown channel count as online). None or () = every channel.
        revenue_basis: 'total', 'net' or 'product' (see REVENUE_BASES).
        currency: only orders in this currency (None = all currencies).
        blank_currency_as: the currency that orders without one (a mapped file without a
            currency column) count in; None = such orders match no currency filter. The edges
            set it to the store currency (``ro_core.metrics.currency.store_order_filters``), so
            a currency filter keeps the store's orders whose export left the currency blank.
        utc_offset_minutes: bucket orders by dates at this UTC offset instead of the store-local
            date of the export (e.g. -300 for UTC-5). None = as exported.
        traffic_source: force the analytics source ('shopify', 'ga4', 'mapped'); None = choose
            automatically (Shopify when the orders are Shopify's, else the best coverage).
        segment_dimension / segment_value: show only one segment, e.g. 'device' / 'Mobile'
            (both or neither; the value matches case-insensitively and is always a bound
            parameter). The dimension must be one of SEGMENT_TRAFFIC_DIMENSIONS or
            SEGMENT_ORDER_DIMENSIONS.
        segment_side: 'traffic' (a property of the session: traffic rows and events) or
            'orders' (a field of the order). None = 'traffic' for session dimensions, else
            'orders'; only 'channel' means different things on the two sides (traffic channel
            such as social vs sales channel such as web or pos). See docs/metrics_api.md
            ("Segment filter") for which figures each side can give.
    """

    exclude_cancelled: bool = True
    exclude_test: bool = True
    online_channels: tuple[str, ...] | None = ("web",)
    revenue_basis: str = "total"
    currency: str | None = None
    blank_currency_as: str | None = None
    utc_offset_minutes: int | None = None
    traffic_source: str | None = None
    segment_dimension: str | None = None
    segment_value: str | None = None
    segment_side: str | None = None

    def __post_init__(self) -> None:
        if self.revenue_basis not in REVENUE_BASES:
            raise InvalidInputError(
                f"Unknown revenue basis '{self.revenue_basis}': use one of "
                + ", ".join(REVENUE_BASES)
                + "."
            )
        for name in ("currency", "blank_currency_as"):
            code = getattr(self, name)
            if code is not None and not (isinstance(code, str) and code.strip()):
                object.__setattr__(self, name, None)
        if self.online_channels is not None and not isinstance(self.online_channels, tuple):
            object.__setattr__(self, "online_channels", tuple(self.online_channels))
        if (
            self.utc_offset_minutes is not None
            and not -14 * 60 <= self.utc_offset_minutes <= 14 * 60
        ):
            raise InvalidInputError(
                f"The UTC offset {self.utc_offset_minutes} minutes is outside -14h..+14h."
            )
        if self.traffic_source is not None and self.traffic_source not in TRAFFIC_SOURCES:
            raise InvalidInputError(
                f"Unknown traffic source '{self.traffic_source}': use one of "
                + ", ".join(TRAFFIC_SOURCES)
                + "."
            )
        self._check_segment()

    def _check_segment(self) -> None:
        dimension, value, side = self.segment_dimension, self.segment_value, self.segment_side
        if dimension in (None, "") and value in (None, ""):
            if side is not None:
                raise InvalidInputError("A segment side needs a segment dimension and value.")
            object.__setattr__(self, "segment_dimension", None)
            object.__setattr__(self, "segment_value", None)
            return
        known = sorted(set(SEGMENT_TRAFFIC_DIMENSIONS) | set(SEGMENT_ORDER_DIMENSIONS))
        if not isinstance(dimension, str) or not dimension:
            raise InvalidInputError(
                "A segment value needs a segment dimension: use one of " + ", ".join(known) + "."
            )
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(f"Pick which {dimension} to show: the segment value is empty.")
        if len(value) > MAX_SEGMENT_VALUE_LENGTH:
            raise InvalidInputError(
                f"The segment value is longer than {MAX_SEGMENT_VALUE_LENGTH} characters."
            )
        if side is not None and side not in SEGMENT_SIDES:
            raise InvalidInputError(f"Unknown segment side '{side}': use traffic or orders.")
        if side is None:
            side = "traffic" if dimension in SEGMENT_TRAFFIC_DIMENSIONS else "orders"
            object.__setattr__(self, "segment_side", side)
        allowed = SEGMENT_TRAFFIC_DIMENSIONS if side == "traffic" else SEGMENT_ORDER_DIMENSIONS
        if dimension not in allowed:
            where = "sessions" if side == "traffic" else "orders"
            raise InvalidInputError(
                f"Cannot show only one '{dimension}' of the {where}: use one of "
                + ", ".join(allowed)
                + "."
            )

    @property
    def has_segment(self) -> bool:
        """Whether a segment filter is set."""
        return self.segment_dimension is not None

    @property
    def segment_applies_to_orders(self) -> bool:
        """True without a segment, or when the orders carry the segment's dimension."""
        if self.segment_dimension is None:
            return True
        return self.segment_side == "orders" or self.segment_dimension in SEGMENT_SHARED_DIMENSIONS

    @property
    def segment_traffic_dimension(self) -> str | None:
        """The traffic breakdown that answers the segment, or None (no segment, or none fits)."""
        dimension = self.segment_dimension
        if dimension is None:
            return None
        if self.segment_side == "traffic" or dimension in SEGMENT_SHARED_DIMENSIONS:
            return dimension
        return None

    @property
    def segment_event_dimension(self) -> str | None:
        """The events column that answers the segment, or None (no segment, or none fits)."""
        dimension = self.segment_dimension
        if dimension not in SEGMENT_EVENT_DIMENSIONS:
            return None
        if self.segment_side == "traffic" or dimension in SEGMENT_SHARED_DIMENSIONS:
            return dimension
        return None

    @property
    def segment_name(self) -> str:
        """The segment dimension for people ('device', 'traffic channel'; '' without one)."""
        if self.segment_dimension is None:
            return ""
        if self.segment_dimension == "channel":
            return "traffic channel" if self.segment_side == "traffic" else "sales channel"
        return SEGMENT_DIMENSION_LABELS.get(self.segment_dimension, self.segment_dimension)

    def segment_label(self) -> str:
        """'device = Mobile' ('' without a segment); orders' channel reads 'sales channel'."""
        if self.segment_dimension is None:
            return ""
        return f"{self.segment_name} = {self.segment_value}"

    def segment_scope(self) -> str:
        """What the segment filter narrows, in words ('' without a segment)."""
        if self.segment_dimension is None:
            return ""
        label = self.segment_label()
        if self.segment_traffic_dimension is None:
            return (
                f"only {label}: the traffic has no sessions by {self.segment_name}, so "
                "sessions, CR and RPV are not available"
            )
        if not self.segment_applies_to_orders:
            return (
                f"only {label}: sessions and CR from the traffic rows; the orders carry no "
                f"{self.segment_name}, so orders, revenue, AOV and RPV are not available"
            )
        return f"only {label} (sessions and orders)"

    def without_segment(self) -> OrderFilters:
        """The same filters for the whole store."""
        return replace(self, segment_dimension=None, segment_value=None, segment_side=None)

    def describe(self) -> list[str]:
        """The active filters as short sentences for people."""
        parts = [
            "cancelled and voided orders excluded"
            if self.exclude_cancelled
            else "cancelled and voided orders included",
            "test and draft orders excluded"
            if self.exclude_test
            else "test and draft orders included",
            "CR and RPV count orders from channels: " + ", ".join(self.online_channels)
            if self.online_channels
            else "CR and RPV count orders from every channel",
            "revenue: " + REVENUE_BASES[self.revenue_basis].lower(),
        ]
        if self.currency:
            if self.blank_currency_as == self.currency:
                parts.append(
                    f"currency {self.currency} only (orders without a currency count as "
                    f"{self.currency})"
                )
            else:
                parts.append(f"currency {self.currency} only")
        if self.utc_offset_minutes is not None:
            parts.append(f"days at UTC offset {self.utc_offset_minutes:+d} minutes")
        if self.traffic_source:
            parts.append(f"traffic from {self.traffic_source}")
        if self.segment_dimension is not None:
            parts.append(self.segment_scope())
        return parts

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "exclude_cancelled": self.exclude_cancelled,
            "exclude_test": self.exclude_test,
            "online_channels": list(self.online_channels) if self.online_channels else None,
            "revenue_basis": self.revenue_basis,
            "currency": self.currency,
            "blank_currency_as": self.blank_currency_as,
            "utc_offset_minutes": self.utc_offset_minutes,
            "traffic_source": self.traffic_source,
            "segment_dimension": self.segment_dimension,
            "segment_value": self.segment_value,
            "segment_side": self.segment_side,
        }


DEFAULT_FILTERS = OrderFilters()
