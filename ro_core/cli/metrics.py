"""Metrics subcommands of the `ro` command: kpis, trend, funnel, segments, decompose,
opportunities. Each prints text for people, or JSON with --json.

The main CLI calls :func:`add_metrics_commands` on its subparsers; every subcommand sets
``handler=fn`` with ``fn(args, db) -> int``. The one entry point is
ro_core.cli.main (tests call it too).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ro_core.cli.json_out import print_json
from ro_core.errors import InvalidInputError, NoDataError
from ro_core.metrics.catalog import METRICS
from ro_core.metrics.coverage import coverage
from ro_core.metrics.currency import ALL_CURRENCIES, store_order_filters
from ro_core.metrics.decomposition import decompose_scope
from ro_core.metrics.event_funnel import event_funnel
from ro_core.metrics.filters import REVENUE_BASES, OrderFilters
from ro_core.metrics.funnel import compare_funnels, traffic_funnel
from ro_core.metrics.kpis import compare_kpis
from ro_core.metrics.opportunities import opportunities
from ro_core.metrics.periods import PRESET_LABELS, DateRange, parse_date, presets
from ro_core.metrics.scope import Breakdown, Scope
from ro_core.metrics.segments import segments
from ro_core.metrics.sources import chosen_traffic_source
from ro_core.metrics.trends import trend
from ro_core.overview import (
    build_overview,
    decomposition_rows,
    format_change,
    format_metric,
    opportunity_table,
)
from ro_core.present.formatting import NOT_AVAILABLE
from ro_core.store.db import Database

TREND_METRIC_CHOICES = ("cr", "conversion_rate", "aov", "rpv", "revenue", "sessions", "visitors",
                        "orders")  # fmt: skip


# --- shared options -----------------------------------------------------------------------------
def _add_common(parser: argparse.ArgumentParser, *, dates: bool = True) -> None:
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    if dates:
        add_period_options(parser)
    add_filter_options(parser)


def add_period_options(parser: argparse.ArgumentParser) -> None:
    """--start/--end, or --preset (the sidebar's period presets, ending on the latest data)."""
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: last 30 days)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD (default: latest data)")
    parser.add_argument(
        "--preset",
        choices=tuple(PRESET_LABELS),
        help="a preset period ending on the latest day with data (instead of --start/--end)",
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The order-filter options every metrics-based command takes (see filters_from_args)."""
    parser.add_argument(
        "--basis",
        choices=tuple(REVENUE_BASES),
        default="total",
        help="revenue basis: total (as exported), net (minus refunds), product (subtotal)",
    )
    parser.add_argument(
        "--include-cancelled", action="store_true", help="count cancelled and voided orders"
    )
    parser.add_argument("--include-test", action="store_true", help="count test and draft orders")
    parser.add_argument(
        "--channels",
        default="web",
        help="online channels for CR and RPV, comma separated (default web; 'all' = every one)",
    )
    parser.add_argument(
        "--currency",
        help="only orders in this currency, e.g. EUR (default: the store currency, the one most "
        "revenue is in; orders without a currency count in it; 'all' = every currency)",
    )
    parser.add_argument(
        "--utc-offset", type=int, help="bucket days at this UTC offset in minutes (e.g. -300)"
    )
    parser.add_argument(
        "--traffic-source", choices=("shopify", "ga4", "mapped"), help="force a traffic source"
    )
    parser.add_argument(
        "--segment",
        metavar="DIMENSION=VALUE",
        help="show only one segment, e.g. device=Mobile or country=US",
    )


def filters_from_args(args: argparse.Namespace, db: Database | None = None) -> OrderFilters:
    """OrderFilters from the common options.

    With `db`, money is in the store currency unless --currency names another ('all' = every
    currency), and orders without a currency count in the store currency (the same rule as the
    sidebar: ro_core.metrics.currency.store_order_filters). Without `db`, --currency alone
    filters (no currency = every currency).
    """
    channels_text = (getattr(args, "channels", "web") or "").strip()
    if channels_text.lower() in ("", "all", "*"):
        channels = None
    else:
        channels = tuple(c.strip().lower() for c in channels_text.split(",") if c.strip())
    fields: dict[str, Any] = {
        "exclude_cancelled": not getattr(args, "include_cancelled", False),
        "exclude_test": not getattr(args, "include_test", False),
        "online_channels": channels,
        "revenue_basis": getattr(args, "basis", "total"),
        "utc_offset_minutes": getattr(args, "utc_offset", None),
        "traffic_source": getattr(args, "traffic_source", None),
        **_segment_from_args(getattr(args, "segment", None)),
    }
    currency = (getattr(args, "currency", None) or "").strip() or None
    if db is not None:
        return store_order_filters(db, currency, **fields)
    if currency and currency.lower() == ALL_CURRENCIES:
        currency = None
    return OrderFilters(currency=currency.upper() if currency else None, **fields)


def _segment_from_args(text: str | None) -> dict[str, str]:
    """{'segment_dimension', 'segment_value'} from --segment DIMENSION=VALUE."""
    if not text:
        return {}
    dimension, sep, value = text.partition("=")
    if not sep or not dimension.strip() or not value.strip():
        raise InvalidInputError(
            f"--segment expects DIMENSION=VALUE (for example device=Mobile), got '{text}'."
        )
    return {"segment_dimension": dimension.strip().lower(), "segment_value": value.strip()}


DEFAULT_PRESET = "last_30_days"


def data_anchor(db: Database) -> date | None:
    """The day presets end on: the latest day with orders and sessions (never after today)."""
    latest = coverage(db).latest_date
    return min(latest, date.today()) if latest else None


def period_from_args(
    db: Database, start: str | None, end: str | None, what: str = "", preset: str | None = None
) -> DateRange:
    """The date range from --start/--end or --preset; without them the dashboard's default,
    the last 30 days ending on the latest day with orders and sessions."""
    if preset and (start or end):
        raise InvalidInputError("Give --preset or --start/--end, not both.")
    if start and end:
        return DateRange(parse_date(start, f"{what}start date"), parse_date(end, f"{what}end date"))
    anchor = data_anchor(db)
    if anchor is None:
        raise NoDataError(
            "Nothing has been imported yet: import an orders or analytics export first "
            "(ro ingest FILE), or give --start and --end."
        )
    if start:
        first = parse_date(start, f"{what}start date")
        return DateRange(first, max(first, anchor))
    if end:
        last = parse_date(end, f"{what}end date")
        return DateRange(last - timedelta(days=29), last)
    return presets(anchor)[preset or DEFAULT_PRESET]


def scope_from_args(args: argparse.Namespace, db: Database) -> Scope:
    """The one Scope of a command: period, comparison, grain and filters from its options."""
    preset = getattr(args, "preset", None)
    if not (preset or getattr(args, "start", None) or getattr(args, "end", None)):
        preset = DEFAULT_PRESET  # the sidebar's default
    period = period_from_args(db, getattr(args, "start", None), getattr(args, "end", None),
                              preset=preset)  # fmt: skip
    compare = getattr(args, "compare", None) or "previous"
    vs_start, vs_end = getattr(args, "vs_start", None), getattr(args, "vs_end", None)
    custom = None
    if vs_start or vs_end:
        if not (vs_start and vs_end):
            raise InvalidInputError("Give both --vs-start and --vs-end, or neither.")
        custom = DateRange(parse_date(vs_start, "--vs-start date"),
                           parse_date(vs_end, "--vs-end date"))  # fmt: skip
        compare = "custom"
    grain = getattr(args, "grain", None)
    breakdown = None
    by = getattr(args, "by", None)
    if by:
        breakdown = Breakdown(by, getattr(args, "side", None) or "")
    filters = filters_from_args(args, db)
    if filters.traffic_source is None:  # the dashboard's choice: remembered, else the default
        filters = replace(filters, traffic_source=chosen_traffic_source(db))
    return Scope(
        period,
        compare,
        filters,
        grain=grain if grain in ("day", "week", "month") else "day",
        preset=preset,
        breakdown=breakdown,
        custom_comparison=custom,
        anchor=data_anchor(db),
    )


def _compare(value: str | None) -> str | None:
    return None if value in (None, "none") else value


def _fmt(value: Any, kind: str = "number") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if kind == "rate":
        return f"{value * 100:.2f}%"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "change":
        return f"{value * 100:+.1f}%"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _print_frame(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> None:
    if frame.empty:
        print("(no rows)")
        return
    shown = frame[list(columns)] if columns else frame
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        print(shown.to_string(index=False))


def print_table(
    title: str, notes: Sequence[str], frame: pd.DataFrame, columns: Sequence[str]
) -> None:
    """A table command's text output: title, notes, then the columns that have values."""
    print(title)
    for note in notes:
        print(f"  note: {note}")
    _print_frame(frame, [c for c in columns if c in frame and frame[c].notna().any()])


# --- handlers -----------------------------------------------------------------------------------
KPI_TEXT_ROWS = ("sessions", "visitors", "orders", "revenue", "conversion_rate", "aov", "rpv",
                 "revenue_per_visitor", "engaged_sessions", "engagement_rate",
                 "bounce_rate")  # fmt: skip
ENGAGEMENT_ROWS = frozenset({"engaged_sessions", "engagement_rate", "bounce_rate"})


def cmd_overview(args: argparse.Namespace, db: Database) -> int:
    """ro overview: the period overview the Overview page and the report show."""
    overview = build_overview(db, scope_from_args(args, db))
    if args.json:
        print_json(overview.to_dict())
        return 0
    scope = overview.scope
    print(f"Overview {scope.describe_period()}")
    print(f"  {overview.summary}")
    for card in overview.cards:
        line = f"  {METRICS[card.key].label:<28}{card.value_text:>16}"
        if card.base_text is not None:
            line += f"{card.base_text:>16}  {card.change_text or NOT_AVAILABLE:>8}"
        print(line)
    for note in overview.notes:
        print(f"  note: {note}")
    print("\nWhere the change came from")
    if overview.decomposition is None:
        print(f"  {overview.decomposition_reason}")
    else:
        for step, amount in decomposition_rows(overview.decomposition, overview.currency):
            print(f"  {step:<36}{amount:>16}")
    print("\nTop opportunities")
    table = opportunity_table(overview.opportunities, overview.currency, 5)
    if table.empty:
        print(f"  {overview.opportunities_reason or 'none in this period'}")
    else:
        _print_frame(table)
    print("\nGoals")
    if not overview.goals:
        print(f"  {overview.goals_reason}")
    for item in overview.goals:
        print(f"  {item.goal.label:<32} {item.status_label:<12} {item.summary()}")
    print("  filters: " + "; ".join(scope.filters.describe()))
    return 0


def cmd_kpis(args: argparse.Namespace, db: Database) -> int:
    """ro kpis."""
    scope = scope_from_args(args, db)
    result = compare_kpis(db, scope)
    if args.json:
        print_json(result.to_dict())
        return 0
    cur, cmp_ = result.current, result.comparison
    currency = scope.currency
    print(f"KPIs {scope.period.label()}")
    if cmp_:
        print(f"compared with {cmp_.period.label()}")
    for key in KPI_TEXT_ROWS:
        if key in ENGAGEMENT_ROWS and cur.value(key) is None:
            continue  # only where the traffic source reports engagement
        line = f"  {METRICS[key].label:<28}{format_metric(key, cur.value(key), currency):>16}"
        if cmp_:
            change = result.changes[key]
            base = format_metric(key, change.base, currency)
            line += f"{base:>16}  {format_change(key, change) or NOT_AVAILABLE:>8}"
        print(line)
    if result.cr_basis:
        print(f"  CR = {result.cr_basis}")
    for note in (*result.notes, *cur.notes):
        print(f"  note: {note}")
    print("  filters: " + "; ".join(result.filters.describe()))
    return 0


def cmd_trend(args: argparse.Namespace, db: Database) -> int:
    """ro trend."""
    period = period_from_args(db, args.start, args.end)
    result = trend(
        db, args.metric, args.grain, period, filters_from_args(args, db), _compare(args.compare)
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"{result.label} by {result.grain}, {period.label()}")
    if result.reason:
        print(f"  note: {result.reason}")
    if result.conversion_rate_basis and result.metric == "conversion_rate":
        print(f"  CR = {result.conversion_rate_basis}")
    frame = result.frame.copy()
    frame["period_start"] = frame["period_start"].map(lambda d: pd.Timestamp(d).date())
    cols = ["period_start", "days", "value"]
    if result.comparison_period is not None:
        cols.append("comparison_value")
    _print_frame(frame, cols)
    return 0


def cmd_funnel(args: argparse.Namespace, db: Database) -> int:
    """ro funnel."""
    period = period_from_args(db, args.start, args.end)
    filters = filters_from_args(args, db)

    def build(p: DateRange):
        if args.events:
            return event_funnel(db, p, closed=not args.open, segment_dimension=args.by)
        return traffic_funnel(db, p, filters, segment_dimension=args.by)

    result = build(period)
    other = period.comparison(_compare(args.compare))
    side = compare_funnels(result, build(other)) if other is not None else None
    if args.json:
        data = result.to_dict()
        if side is not None:
            data["comparison_period"] = other.to_dict()
            data["side_by_side"] = side
        print_json(data)
        return 0
    print(f"{'Event' if args.events else 'Traffic'} funnel, {period.label()}")
    print(f"  {result.note}")
    _print_frame(
        result.frame,
        ["segment", "label", "sessions", "step_conversion", "from_top_conversion", "drop_off",
         "skipped"],
    )  # fmt: skip
    if side is not None:
        print(f"\nSide by side with {other.label()}")
        _print_frame(side)
    return 0


def cmd_segments(args: argparse.Namespace, db: Database) -> int:
    """ro segments."""
    period = period_from_args(db, args.start, args.end)
    result = segments(db, args.by, period, filters_from_args(args, db), side=args.side)
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"By {result.dimension} ({result.side}), {period.label()}")
    print(f"  {result.note}")
    if result.cr_basis:
        print(f"  CR = {result.cr_basis}")
    _print_frame(
        result.frame,
        ["segment", "sessions", "orders", "revenue", "revenue_share", "conversion_rate",
         "cr_low", "cr_high", "aov", "rpv", "small_sample", "rank"],
    )  # fmt: skip
    return 0


def cmd_decompose(args: argparse.Namespace, db: Database) -> int:
    """ro decompose."""
    scope = scope_from_args(args, db)
    if scope.compare == "none":
        raise InvalidInputError("A revenue change needs a comparison: drop --compare none.")
    result = decompose_scope(db, scope)
    period, base = result.period, result.base_period
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"Revenue change {base.label()} -> {period.label()}")
    print(f"  method: revenue = {result.method} (LMDI)")
    print(
        f"  revenue {_fmt(result.revenue_base, 'money')} -> {_fmt(result.revenue_current, 'money')}"
        f" = {result.change:+,.2f}"
    )
    for step, amount in decomposition_rows(result, scope.currency)[1:-1]:
        print(f"  {step:<32}{amount:>16}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.segments is not None:
        print()
        _print_frame(result.segments)
    return 0


def cmd_opportunities(args: argparse.Namespace, db: Database) -> int:
    """ro opportunities."""
    period = period_from_args(db, args.start, args.end)
    frame = opportunities(db, period, filters_from_args(args, db))
    if args.limit:
        frame = frame.head(args.limit)
    if args.json:
        print_json({"period": period.to_dict(), "rows": frame})
        return 0
    print(f"Opportunities, {period.label()} (revenue per month if the rate reached its benchmark)")
    _print_frame(
        frame,
        ["rank", "segment_dimension", "segment", "label", "sessions", "current_rate",
         "benchmark_rate", "benchmark_source", "monthly_revenue_gain", "small_sample"],
    )  # fmt: skip
    return 0


def add_metrics_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register kpis, trend, funnel, segments, decompose and opportunities."""
    p = subparsers.add_parser(
        "overview", help="the period overview: KPIs, summary, decomposition, opportunities, goals"
    )
    _add_common(p)
    p.add_argument("--compare", choices=("previous", "year", "none"), default="previous")
    p.add_argument("--grain", choices=("day", "week", "month"), default="day")
    p.set_defaults(handler=cmd_overview)

    p = subparsers.add_parser("kpis", help="headline KPIs with the previous period or last year")
    _add_common(p)
    p.add_argument("--compare", choices=("previous", "year", "none"), default="previous")
    p.set_defaults(handler=cmd_kpis)

    p = subparsers.add_parser("trend", help="a metric by day, week or month")
    _add_common(p)
    p.add_argument("--metric", choices=TREND_METRIC_CHOICES, default="revenue")
    p.add_argument("--grain", choices=("day", "week", "month"), default="week")
    p.add_argument("--compare", choices=("previous", "year", "none"), default="none")
    p.set_defaults(handler=cmd_trend)

    p = subparsers.add_parser(
        "funnel", help="sessions -> product view -> cart -> checkout -> purchase"
    )
    _add_common(p)
    p.add_argument("--events", action="store_true", help="from event-level data")
    p.add_argument("--open", action="store_true", help="open funnel (steps counted independently)")
    p.add_argument(
        "--by",
        help="split by a dimension (traffic: device, channel...; events: device, channel, country)",
    )
    p.add_argument("--compare", choices=("previous", "year", "none"), default="none")
    p.set_defaults(handler=cmd_funnel)

    p = subparsers.add_parser("segments", help="CR, AOV, RPV per segment with 95%% intervals")
    _add_common(p)
    p.add_argument(
        "--by",
        required=True,
        help="dimension: channel, device, country, customer_type, landing_page, discount_code...",
    )
    p.add_argument("--side", choices=("traffic", "orders"), help="where the dimension comes from")
    p.set_defaults(handler=cmd_segments)

    p = subparsers.add_parser("decompose", help="revenue change into traffic, CR and AOV")
    _add_common(p)
    p.add_argument("--compare", choices=("previous", "year"), default="previous")
    p.add_argument("--vs-start", help="first day of the period compared against")
    p.add_argument("--vs-end", help="last day of the period compared against")
    p.add_argument("--by", help="also per segment of this dimension")
    p.set_defaults(handler=cmd_decompose)

    p = subparsers.add_parser(
        "opportunities", help="funnel steps x segments ranked by revenue gain"
    )
    _add_common(p)
    p.add_argument("--limit", type=int, default=20, help="rows to show (0 = all)")
    p.set_defaults(handler=cmd_opportunities)
