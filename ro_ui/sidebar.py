"""The shared sidebar: which data is loaded, period, comparison, grain, segment breakdown, the
"Show only" segment filter, order filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from ro_core.metrics.coverage import DataCoverage
from ro_core.metrics.currency import remember_store_currency
from ro_core.metrics.filters import REVENUE_BASES, SEGMENT_SHARED_DIMENSIONS, OrderFilters
from ro_core.metrics.periods import PRESET_LABELS, DateRange, presets
from ro_core.metrics.scope import Breakdown, Scope
from ro_core.metrics.segments import ORDER_SEGMENT_LABELS, TRAFFIC_SEGMENT_LABELS
from ro_core.metrics.sources import remember_traffic_source
from ro_core.store.db import Database
from ro_ui import cached
from ro_ui import state as S
from ro_ui.fmt import md_escape

PRESET_OPTIONS = [*PRESET_LABELS, S.CUSTOM]
BASIS_LABELS = {"total": "Order total", "net": "Net of refunds", "product": "Product sales"}
SHARED_LABELS = {"country": "Country", "customer_type": "New vs returning"}


def _preset_label(preset: str) -> str:
    return "Custom range" if preset == S.CUSTOM else PRESET_LABELS[preset]


def _data_status(db: Database) -> date | None:
    """Say which data is loaded; return the latest day with data."""
    db_path, version = cached.key(db)
    rows = cached.imports(db_path, version)
    if db.store_engine is not None:
        # the location is the user's own text: escaped, never read as markdown
        st.sidebar.caption("Served by " + md_escape(db.store_engine.choice.describe()))
    if not rows:
        st.sidebar.caption("No data loaded yet: open **Data** to add your exports.")
        return None
    demo = [r for r in rows if r.get("is_demo")]
    own = [r for r in rows if not r.get("is_demo")]
    if demo and not own:
        st.sidebar.markdown(":orange-badge[Demo store]")
    elif demo:
        st.sidebar.markdown(":orange-badge[Demo store + your files]")
    else:
        st.sidebar.markdown(f":green-badge[Your store: {len(own)} file{'s' * (len(own) != 1)}]")
    cover = cached.coverage(db_path, version)
    firsts = [d for d in (cover.orders_first, cover.traffic_first, cover.events_first) if d]
    if firsts and cover.latest_date:
        st.sidebar.caption(f"Data from {min(firsts)} to {cover.latest_date}.")
    return cover.latest_date


def _period(anchor: date) -> DateRange:
    preset = st.session_state[S.PRESET]
    ranges = presets(anchor)
    if preset != S.CUSTOM:
        return ranges[preset]
    fallback = ranges["last_30_days"]
    if S.CUSTOM_RANGE not in st.session_state:
        st.session_state[S.CUSTOM_RANGE] = (fallback.start, fallback.end)
    picked = st.sidebar.date_input(
        "Dates",
        key=S.CUSTOM_RANGE,
        persist_state="session",
        format="YYYY-MM-DD",
        help="Both days included.",
    )
    if isinstance(picked, date):
        picked = (picked,)
    picked = tuple(d for d in (picked or ()) if d is not None)
    if len(picked) == 2:
        return DateRange(min(picked), max(picked))
    if len(picked) == 1:
        st.sidebar.caption("Pick the end date too (showing that one day for now).")
        return DateRange(picked[0], picked[0])
    return fallback


def _segment_choice(db: Database) -> tuple[str | None, str | None, str | None]:
    """The 'Segment by' choice: (dimension, side, label), or Nones for the whole store."""
    db_path, version = cached.key(db)
    options = {S.NO_SEGMENT: "Whole store"}
    for side, dimension, label in cached.segment_dimensions(db_path, version):
        options[f"{side}:{dimension}"] = label
    if st.session_state.get(S.SEGMENT_DIMENSION) not in options:
        st.session_state[S.SEGMENT_DIMENSION] = S.NO_SEGMENT
    choice = st.sidebar.selectbox(
        "Segment by",
        list(options),
        key=S.SEGMENT_DIMENSION,
        format_func=options.__getitem__,
        help="Funnel, Segments and the Overview's explanation split the store by this.",
    )
    if choice == S.NO_SEGMENT:
        return None, None, None
    side, _, dimension = choice.partition(":")
    return dimension, side, options[choice]


def show_only_options(cover: DataCoverage) -> dict[str, str]:
    """ "side:dimension" -> label of every segment the "Show only" filter offers.

    From coverage: session dimensions of the traffic and of events (side 'traffic'), then order
    fields (side 'orders'). Country and new vs returning narrow sessions and orders alike, so
    they are offered once.
    """
    options = {S.NO_SEGMENT: "Whole store"}
    session_dims = [
        *cover.traffic_dimensions,
        *(d for d in cover.event_dimensions if d not in cover.traffic_dimensions),
    ]
    for name in session_dims:
        label = TRAFFIC_SEGMENT_LABELS.get(name, name.replace("_", " ").capitalize())
        if name in SEGMENT_SHARED_DIMENSIONS:
            label = SHARED_LABELS[name]
        options[f"traffic:{name}"] = label
    for name in cover.order_dimensions:
        if name in SEGMENT_SHARED_DIMENSIONS and f"traffic:{name}" in options:
            continue
        label = SHARED_LABELS.get(name) or ORDER_SEGMENT_LABELS.get(name, name)
        options[f"orders:{name}"] = label
    return options


def _show_only_choice(
    db: Database, period: DateRange, traffic_source: str | None
) -> tuple[str | None, str | None, str | None]:
    """The "Show only" segment filter: (dimension, value, side), or Nones for the whole store."""
    db_path, version = cached.key(db)
    options = show_only_options(cached.coverage(db_path, version))
    if st.session_state.get(S.SHOW_ONLY) not in options:
        st.session_state[S.SHOW_ONLY] = S.NO_SEGMENT
    choice = st.sidebar.selectbox(
        "Show only",
        list(options),
        key=S.SHOW_ONLY,
        format_func=options.__getitem__,
        help="Narrow every page (KPIs, trends, funnel, segments, revenue split, opportunities) "
        "to one segment, e.g. mobile sessions or orders shipped to one country. Where the data "
        "cannot be split that way (orders carry no device), those figures are left out rather "
        "than mixed with the whole store's.",
    )
    if choice == S.NO_SEGMENT:
        return None, None, None
    side, _, dimension = choice.partition(":")
    values = cached.segment_values(
        db_path, version, dimension, side, period.start, period.end, traffic_source
    )
    if not values:
        st.sidebar.caption(f"No {options[choice].lower()} values in this period: whole store.")
        return None, None, None
    if st.session_state.get(S.SHOW_ONLY_VALUE) not in values:
        st.session_state[S.SHOW_ONLY_VALUE] = values[0]
    value = st.sidebar.selectbox(
        options[choice],
        values,
        key=S.SHOW_ONLY_VALUE,
        help="Values in the selected period, biggest first.",
    )
    return dimension, value, side


def _remembered_choice(
    db: Database,
    label: str,
    labels: dict[str, str],
    *,
    key: str,
    default: str | None,
    remember: Callable[[str], object],
    help: str,
) -> str:
    """A sidebar choice that opens on `default` and remembers a different pick with
    `remember` (stored in the database, so the next session opens on it)."""
    options = list(labels)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    picked = st.sidebar.selectbox(
        label, options, key=key, format_func=labels.__getitem__, help=help
    )
    if picked != default:
        remember(picked)
        cached.data_changed(db)  # the rest of this run reads what was just remembered
    return picked


def _currency_choice(db: Database) -> str | None:
    """The currency money is shown in: the store currency, or the user's remembered pick.

    A minority currency never switches the view by itself: the default is the currency most
    revenue is in (ro_core.metrics.currency).
    """
    db_path, version = cached.key(db)
    choices = cached.currency_choices(db_path, version)
    store = cached.store_currency(db_path, version)
    if len(choices) <= 1:
        return store
    return _remembered_choice(
        db,
        "Currency",
        {c.currency: f"{c.currency} ({c.orders:,} orders)" for c in choices},
        key=S.CURRENCY,
        default=store,
        remember=lambda code: remember_store_currency(db, code),
        help="Orders come in several currencies; totals only add orders of one currency. "
        "Orders without a currency count in the store currency. Your pick is remembered.",
    )


def _traffic_source_choice(db: Database) -> str | None:
    """The traffic source every figure uses: the only one, or the user's remembered pick."""
    db_path, version = cached.key(db)
    choices = cached.traffic_source_choices(db_path, version)
    if len(choices) <= 1:
        return choices[0].source if choices else None
    return _remembered_choice(
        db,
        "Traffic from",
        {c.source: f"{c.label} ({c.first} to {c.last})" for c in choices},
        key=S.TRAFFIC_SOURCE,
        default=cached.chosen_traffic_source(db_path, version),
        remember=lambda source: remember_traffic_source(db, source),
        help="Sessions, CR, RPV, the funnel, segments and opportunities all come from this "
        "source; sources are never added together. Your pick is remembered.",
    )


def render_sidebar(db: Database) -> Scope:
    """Draw the sidebar, store the Scope in session state and return it."""
    S.init_defaults()
    last = _data_status(db)
    today = date.today()
    anchor = min(last, today) if last else today

    st.sidebar.selectbox(
        "Period",
        PRESET_OPTIONS,
        key=S.PRESET,
        format_func=_preset_label,
        help=f"Presets end on {anchor}, the latest day with orders and traffic (or today).",
    )
    period = _period(anchor)
    st.sidebar.selectbox(
        "Compare with",
        list(S.COMPARE_LABELS),
        key=S.COMPARE,
        format_func=S.COMPARE_LABELS.__getitem__,
        help="Previous period follows the calendar: last month against the month before, a "
        "year against the year before, a month, quarter or year to date against the same days "
        "before. Changes cover only the days both sides have data for.",
    )
    st.sidebar.segmented_control(
        "Grain",
        list(S.GRAIN_LABELS),
        key=S.GRAIN,
        format_func=S.GRAIN_LABELS.__getitem__,
        required=True,
    )
    st.sidebar.selectbox(
        "Revenue",
        list(REVENUE_BASES),
        key=S.REVENUE_BASIS,
        format_func=BASIS_LABELS.__getitem__,
        help="\n\n".join(f"**{BASIS_LABELS[k]}**: {v}" for k, v in REVENUE_BASES.items()),
    )
    traffic_source = _traffic_source_choice(db)
    dimension, side, segment_label = _segment_choice(db)
    only_dimension, only_value, only_side = _show_only_choice(db, period, traffic_source)
    currency = _currency_choice(db)
    with st.sidebar.expander("Order filters"):
        st.toggle("Leave out cancelled and voided orders", key=S.EXCLUDE_CANCELLED)
        st.toggle("Leave out test and draft orders", key=S.EXCLUDE_TEST)
        st.toggle(
            "CR and RPV count online orders only",
            key=S.ONLINE_ONLY,
            help="Point-of-sale and draft orders have no online session; counting them would "
            "inflate conversion rate.",
        )
    db_path, version = cached.key(db)
    filters = OrderFilters(
        exclude_cancelled=bool(st.session_state[S.EXCLUDE_CANCELLED]),
        exclude_test=bool(st.session_state[S.EXCLUDE_TEST]),
        online_channels=("web",) if st.session_state[S.ONLINE_ONLY] else None,
        revenue_basis=st.session_state[S.REVENUE_BASIS],
        currency=currency,
        blank_currency_as=cached.store_currency(db_path, version),
        traffic_source=traffic_source,
        segment_dimension=only_dimension,
        segment_value=only_value,
        segment_side=only_side,
    )
    preset = st.session_state[S.PRESET]
    scope = Scope(
        period,
        st.session_state[S.COMPARE],
        filters,
        grain=st.session_state[S.GRAIN] or "day",
        preset=None if preset == S.CUSTOM else preset,
        breakdown=Breakdown(dimension, side or "", segment_label or "") if dimension else None,
        anchor=anchor,
    )
    st.session_state[S.FILTERS_KEY] = scope
    return scope
