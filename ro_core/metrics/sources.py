"""Which traffic source the store's figures use: the user's remembered pick, else the default.

One source answers every question (KPIs, trends, funnel, segments, decomposition,
opportunities); sources are never added together. The default is decided once for the whole
store (``default_traffic_source``), never per question; the edges (sidebar, CLI) put the chosen
source into the scope's filters, so every figure uses and names the same one. Which rows of
that source answer a question is ro_core.metrics.traffic's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ro_core.metrics.filters import TRAFFIC_SOURCES, OrderFilters
from ro_core.store import schema
from ro_core.store.db import Database
from ro_core.store.settings import get_setting, set_setting

TRAFFIC_SOURCE_SETTING = "traffic_source"
SOURCE_LABELS = {"shopify": "Shopify", "ga4": "GA4", "mapped": "Mapped file"}
# a traffic row with any count (a funnel report without sessions still names its source)
_ANY_MEASURE = "(" + " OR ".join(f"t.{m} IS NOT NULL" for m in schema.TRAFFIC_MEASURES) + ")"


def orders_are_shopify(db: Database) -> bool:
    """True when some current orders come from a Shopify export."""
    return bool(
        db.fetch_value(
            f"""SELECT count(*) FROM (SELECT 1 FROM {schema.ORDERS} o
            JOIN {schema.IMPORTS} i ON i.import_id = o.import_id
            WHERE i.format LIKE 'shopify%' LIMIT 1)"""
        )
    )


def _source_days(db: Database, condition: str) -> dict[str, int]:
    """Days each traffic source covers: the union of its distinct periods (a few per day at
    most, summed up in Python so no engine needs a series generator)."""
    rows = db.fetch_all(
        f"""SELECT DISTINCT traffic_source, period_start, period_end
        FROM {schema.TRAFFIC} t WHERE {condition}"""
    )
    covered: dict[str, set] = {}
    for source, start, end in rows:
        days = covered.setdefault(source, set())
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return {source: len(days) for source, days in covered.items()}


def _default_source(db: Database) -> tuple[str | None, str]:
    """(source, why for people) of the store's traffic, or (None, '') without traffic."""
    days = _source_days(db, "t.sessions IS NOT NULL")
    if not days:  # no sessions anywhere: a funnel report alone still names its source
        days = _source_days(db, _ANY_MEASURE)
    if not days:
        return None, ""
    if "shopify" in days and orders_are_shopify(db):
        return "shopify", "Shopify traffic, the store's source because the orders come from Shopify"
    preference = {name: i for i, name in enumerate(TRAFFIC_SOURCES)}
    source = sorted(days, key=lambda s: (-days[s], preference.get(s, 99), s))[0]
    label = SOURCE_LABELS.get(source, source)
    if len(days) == 1:
        return source, f"{label} traffic, the store's only traffic source"
    return source, f"{label} traffic, the store's source because it covers the most days"


def default_traffic_source(db: Database) -> str | None:
    """The traffic source every figure uses when the user has not picked one (None: no traffic).

    Shopify when the orders come from a Shopify export and Shopify traffic exists; otherwise the
    source whose session rows cover the most days (ties: shopify, ga4, mapped); without any
    session rows, the same among rows with any count (a funnel report alone). Decided once for
    the whole store, never per question, so KPIs, trends, funnel, segments, decomposition and
    opportunities all use the same source.
    """
    return _default_source(db)[0]


def traffic_source_for(db: Database, filters: OrderFilters) -> tuple[str | None, str]:
    """(source, why) answering every traffic question under `filters`: the forced
    ``filters.traffic_source``, else ``default_traffic_source``."""
    if filters.traffic_source:
        label = SOURCE_LABELS.get(filters.traffic_source, filters.traffic_source)
        return filters.traffic_source, f"{label} traffic (the chosen traffic source)"
    return _default_source(db)


@dataclass(frozen=True)
class SourceChoice:
    """A traffic source the store has: its key, its name and the sessions it reports."""

    source: str
    label: str
    first: object
    last: object


def traffic_source_choices(db: Database) -> list[SourceChoice]:
    """Every source with session rows, the default first."""
    rows = db.fetch_all(
        f"""SELECT traffic_source, min(period_start), max(period_end) FROM {schema.TRAFFIC}
        WHERE sessions IS NOT NULL GROUP BY 1 ORDER BY 1"""
    )
    default = default_traffic_source(db)
    choices = [SourceChoice(r[0], SOURCE_LABELS.get(r[0], r[0]), r[1], r[2]) for r in rows]
    return sorted(choices, key=lambda c: (c.source != default, c.source))


def chosen_traffic_source(db: Database) -> str | None:
    """The remembered pick while that source still has sessions, else the default source."""
    present = {c.source for c in traffic_source_choices(db)}
    picked = get_setting(db, TRAFFIC_SOURCE_SETTING)
    if picked in present:
        return picked
    return default_traffic_source(db)


def remember_traffic_source(db: Database, source: str) -> None:
    """Remember the user's pick (only when it differs from what is stored)."""
    if get_setting(db, TRAFFIC_SOURCE_SETTING) != source:
        set_setting(db, TRAFFIC_SOURCE_SETTING, source)
