"""`ro landing-pages`: sessions, bounce rate, CR, RPV and revenue at stake per landing page."""

from __future__ import annotations

import argparse

from ro_core.cli.json_out import print_json
from ro_core.cli.metrics import (
    add_filter_options,
    add_period_options,
    print_table,
    scope_from_args,
)
from ro_core.metrics.landing_pages import landing_pages
from ro_core.store.db import Database

TEXT_COLUMNS = ["landing_page", "sessions", "bounce_rate", "conversion_rate", "rpv", "at_stake",
                "at_stake_low", "at_stake_high", "small_sample"]  # fmt: skip


def cmd_landing_pages(args: argparse.Namespace, db: Database) -> int:
    """ro landing-pages."""
    scope = scope_from_args(args, db)
    table = landing_pages(db, scope, source="events" if args.events else None)
    frame = table.frame.head(args.limit) if args.limit else table.frame
    if args.json:
        print_json({**table.to_dict(), "rows": frame, "period": scope.period.to_dict()})
        return 0
    print_table(
        f"Landing pages ({table.source_label or 'no source'}), {scope.period.label()}",
        table.notes,
        frame,
        TEXT_COLUMNS,
    )
    return 0


def add_landing_pages_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `ro landing-pages`."""
    p = subparsers.add_parser(
        "landing-pages", help="sessions, bounce rate, CR, RPV and revenue at stake per landing page"
    )
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_period_options(p)
    add_filter_options(p)
    p.add_argument("--compare", choices=("previous", "year", "none"), default="previous")
    p.add_argument("--events", action="store_true", help="use event data (a session's first view)")
    p.add_argument("--limit", type=int, default=0, help="rows to show (0 = all)")
    p.set_defaults(handler=cmd_landing_pages)
