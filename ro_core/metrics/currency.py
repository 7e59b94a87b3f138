"""The store currency: which currency money is shown in, and how orders without one count.

Rules (one home; the sidebar, the CLI, goals and the report call these):
- The store currency is the one the user picked and we remembered (settings key
  ``STORE_CURRENCY_SETTING``), as long as orders in it still exist; otherwise the currency most
  revenue is in, counting the orders the default filters keep (not cancelled or voided, not
  test or draft), ties broken by order count, then by code. A minority currency (say a dev
  store's 19 EUR draft orders beside a USD store) never switches the view by itself.
- Orders without a currency (a mapped file without a currency column) count in the store
  currency: :func:`store_order_filters` sets ``currency`` and ``blank_currency_as`` together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ro_core.errors import InvalidInputError
from ro_core.metrics.filters import DEFAULT_FILTERS, OrderFilters
from ro_core.metrics.versioned import remember
from ro_core.store import schema
from ro_core.store.currency_rule import (
    STORE_CURRENCY_SETTING,
    currency_rank_sql,
    store_currency_of,
)
from ro_core.store.db import Database
from ro_core.store.settings import get_setting, set_setting

# Pass as `currency` to store_order_filters for every currency at once (no currency filter).
ALL_CURRENCIES = "all"


@dataclass(frozen=True)
class CurrencyChoice:
    """One currency of the loaded orders.

    Attributes:
        currency: the ISO code as exported (e.g. 'USD').
        orders: orders in it that the default filters keep (not cancelled/voided/test/draft).
        revenue: their order total as exported (float, in that currency).
        all_orders: every order in it, including the ones the default filters leave out.
    """

    currency: str
    orders: int
    revenue: float
    all_orders: int

    def label(self) -> str:
        """'USD · 1,204 orders' (orders the default filters keep)."""
        return f"{self.currency} · {self.orders:,} order{'s' if self.orders != 1 else ''}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "currency": self.currency,
            "orders": self.orders,
            "revenue": self.revenue,
            "all_orders": self.all_orders,
        }


def currency_choices(db: Database) -> list[CurrencyChoice]:
    """Every currency of the loaded orders, biggest revenue first (for the sidebar's choice)."""
    rows = db.fetch_all(currency_rank_sql(schema.ORDERS))
    return [
        CurrencyChoice(str(code), int(orders), float(revenue or 0), int(all_orders))
        for code, orders, revenue, all_orders in rows
    ]


def remembered_currency(db: Database) -> str | None:
    """The currency the user picked (remembered), or None."""
    return get_setting(db, STORE_CURRENCY_SETTING) or None


def store_currency(db: Database) -> str | None:
    """The store currency: the remembered pick while orders in it exist, else the currency most
    revenue is in (see the module docstring). None when no order has a currency. Decided once
    per data version (remembering a pick bumps it)."""

    def decide() -> str | None:
        picked = remembered_currency(db)  # a local setting; the orders may be on a store engine
        return store_currency_of(lambda sql, p: db.fetch_one(sql, p), schema.ORDERS, picked)

    return remember(db, "store currency", decide)


def remember_store_currency(db: Database, code: str | None) -> str | None:
    """Remember the user's pick of store currency (None or '' forgets it); returns the code.

    Raises:
        InvalidInputError: no loaded order is in that currency.
    """
    if code is None or not str(code).strip():
        set_setting(db, STORE_CURRENCY_SETTING, "")
        return None
    code = str(code).strip().upper()
    known = [c.currency for c in currency_choices(db)]
    if code not in known:
        raise InvalidInputError(
            f"No order is in {code}: pick one of " + (", ".join(known) or "no currency") + "."
        )
    set_setting(db, STORE_CURRENCY_SETTING, code)
    return code


def with_store_currency(
    db: Database, filters: OrderFilters, currency: str | None = None
) -> OrderFilters:
    """`filters` in `currency` (None: the store currency; ALL_CURRENCIES: every currency), with
    orders without a currency counted in the store currency."""
    store = store_currency(db)
    if currency is None:
        chosen = store
    elif str(currency).strip().lower() == ALL_CURRENCIES:
        chosen = None
    else:
        chosen = str(currency).strip().upper()
    return replace(filters, currency=chosen, blank_currency_as=store)


def store_order_filters(db: Database, currency: str | None = None, **fields: Any) -> OrderFilters:
    """OrderFilters as the edges (sidebar, CLI) build them: in the store currency (or
    `currency`; ALL_CURRENCIES for every one), orders without a currency counted in the store
    currency, and any other OrderFilters field from `fields`.

    Example: ``store_order_filters(db, revenue_basis="net", segment_dimension="device",
    segment_value="Mobile")``.
    """
    fields.pop("blank_currency_as", None)
    return with_store_currency(db, replace(DEFAULT_FILTERS, **fields), currency)


def blank_currency_orders(db: Database) -> int:
    """How many loaded orders have no currency."""
    return int(db.fetch_value(f"SELECT count(*) FROM {schema.ORDERS} WHERE currency IS NULL"))
