"""Which orders count, and how revenue is measured. Every default is visible and switchable."""

from __future__ import annotations

from dataclasses import dataclass

from ro_core.errors import InvalidInputError

REVENUE_BASES: dict[str, str] = {
    "total": "Order total as exported (product sales after discounts, plus shipping and tax)",
    "net": "Order total minus refunds",
    "product": "Product sales after discounts (subtotal, without shipping and tax)",
}
TRAFFIC_SOURCES = ("shopify", "ga4", "mapped")


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
        utc_offset_minutes: bucket orders by dates at this UTC offset instead of the store-local
            date of the export (e.g. -300 for UTC-5). None = as exported.
        traffic_source: force the analytics source ('shopify', 'ga4', 'mapped'); None = choose
            automatically (Shopify when the orders are Shopify's, else the best coverage).
    """

    exclude_cancelled: bool = True
    exclude_test: bool = True
    online_channels: tuple[str, ...] | None = ("web",)
    revenue_basis: str = "total"
    currency: str | None = None
    utc_offset_minutes: int | None = None
    traffic_source: str | None = None

    def __post_init__(self) -> None:
        if self.revenue_basis not in REVENUE_BASES:
            raise InvalidInputError(
                f"Unknown revenue basis '{self.revenue_basis}': use one of "
                + ", ".join(REVENUE_BASES)
                + "."
            )
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
            parts.append(f"currency {self.currency} only")
        if self.utc_offset_minutes is not None:
            parts.append(f"days at UTC offset {self.utc_offset_minutes:+d} minutes")
        if self.traffic_source:
            parts.append(f"traffic from {self.traffic_source}")
        return parts

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "exclude_cancelled": self.exclude_cancelled,
            "exclude_test": self.exclude_test,
            "online_channels": list(self.online_channels) if self.online_channels else None,
            "revenue_basis": self.revenue_basis,
            "currency": self.currency,
            "utc_offset_minutes": self.utc_offset_minutes,
            "traffic_source": self.traffic_source,
        }


DEFAULT_FILTERS = OrderFilters()
