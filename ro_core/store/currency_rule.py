"""Which currency is the store's, as SQL over an orders-shaped relation (the rule is described
in ro_core.metrics.currency, which the pages, the CLI and the report call).

Its own module, outside the metrics package, so that an import can ask it without loading
pandas and the metrics (about half a second of a command-line import).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ro_core.store import schema

STORE_CURRENCY_SETTING = "store_currency"

# The orders the default filters keep (see ro_core.metrics._sql.order_conditions).
_COUNTED = (
    "NOT coalesce(cancelled, false) AND coalesce(financial_status, '') <> 'voided' "
    "AND NOT coalesce(is_test, false) AND coalesce(channel, '') <> 'draft'"
)


def currency_rank_sql(relation: str) -> str:
    """SELECT currency, orders, revenue, all_orders from an orders-shaped relation, biggest
    revenue first (ties: more orders, then the code). `relation` must be built from schema
    constants (a table name or a UNION of them), never from user text."""
    return f"""SELECT currency,
            count(*) FILTER (WHERE {_COUNTED}) AS orders,
            coalesce(sum(total) FILTER (WHERE {_COUNTED}), 0) AS revenue,
            count(*) AS all_orders
        FROM {relation}
        WHERE currency IS NOT NULL
        GROUP BY currency
        ORDER BY revenue DESC, orders DESC, all_orders DESC, currency"""


def store_currency_among(cur: Any, relation: str) -> str | None:
    """The store currency over an orders-shaped `relation` (schema constants only), on a
    cursor the caller holds: an import asks it about the stored orders plus its staged ones."""
    row = cur.execute(
        f"SELECT value FROM {schema.SETTINGS} WHERE key = ?", [STORE_CURRENCY_SETTING]
    ).fetchone()
    picked = row[0] if row and row[0] else None
    return store_currency_of(
        lambda sql, params: cur.execute(sql, params).fetchone(), relation, picked
    )


def store_currency_of(
    fetch_one: Callable[[str, list[Any]], tuple | None], relation: str, picked: str | None
) -> str | None:
    """The currency the user `picked` while orders in it exist in `relation`, otherwise the
    currency most counted revenue is in (see currency_rank_sql); None without any."""
    if picked:
        found = fetch_one(f"SELECT count(*) FROM {relation} WHERE currency = ?", [picked])[0]
        if found:
            return str(picked)
    row = fetch_one(currency_rank_sql(relation) + " LIMIT 1", [])
    return str(row[0]) if row else None
