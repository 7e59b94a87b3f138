"""`ro check`: the store-health monitor from the command line (exit 1 when there are alerts,
so a cron job can mail them)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ro_core.cli.json_out import print_json
from ro_core.cli.metrics import add_filter_options, add_period_options, scope_from_args
from ro_core.errors import InvalidInputError
from ro_core.health.daily import check_store
from ro_core.present.health_digest import health_digest_html
from ro_core.store.db import Database

EXIT_ALERTS = 1


def cmd_check(args: argparse.Namespace, db: Database) -> int:
    """ro check."""
    if not (args.start or args.end or args.preset):
        args.preset = "last_7_days"
    scope = scope_from_args(args, db)
    result = check_store(db, scope.period, scope.filters)
    if args.html:
        path = Path(args.html)
        if path.suffix.lower() not in (".html", ".htm"):
            raise InvalidInputError(f"Write the digest to an .html file, not '{path.name}'.")
        path.write_text(health_digest_html(result), encoding="utf-8")
    if args.json:
        print_json(result.to_dict())
    else:
        print(f"Store health, {scope.period.label()}")
        for alert in result.alerts:
            print(f"  [{alert.kind}] {alert.sentence}")
        if not result.alerts:
            print("  No alerts: every day looks like its weekday.")
        for line in result.checked:
            print(f"  checked: {line}")
    return EXIT_ALERTS if result.alerts else 0


def add_health_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `ro check`."""
    p = subparsers.add_parser(
        "check", help="store health: days unlike their weekday, and tracking problems"
    )
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_period_options(p)
    add_filter_options(p)
    p.add_argument("--html", help="also write an HTML digest to this file")
    p.set_defaults(handler=cmd_check)
