"""`ro products`: the product table (revenue, units, attach rate; view-to-cart and purchase rates
where events exist)."""

from __future__ import annotations

import argparse

from ro_core.cli.json_out import print_json
from ro_core.cli.metrics import (
    add_filter_options,
    add_period_options,
    print_table,
    scope_from_args,
)
from ro_core.metrics.products import products
from ro_core.store.db import Database

TEXT_COLUMNS = ["product", "units", "revenue", "revenue_share", "orders", "attach_rate",
                "views", "add_to_cart_rate", "purchase_rate", "lost_view_to_cart"]  # fmt: skip


def cmd_products(args: argparse.Namespace, db: Database) -> int:
    """ro products."""
    scope = scope_from_args(args, db)
    table = products(db, scope)
    frame = table.frame.head(args.limit) if args.limit else table.frame
    if args.json:
        print_json({**table.to_dict(), "rows": frame, "period": scope.period.to_dict()})
        return 0
    print_table(f"Products, {scope.period.label()}", table.notes, frame, TEXT_COLUMNS)
    return 0


def add_products_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `ro products`."""
    p = subparsers.add_parser("products", help="revenue, units and rates per product")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_period_options(p)
    add_filter_options(p)
    p.add_argument("--compare", choices=("previous", "year", "none"), default="previous")
    p.add_argument("--limit", type=int, default=0, help="rows to show (0 = all)")
    p.set_defaults(handler=cmd_products)
