"""Shopify admin orders export (Orders > Export): one row per line item.

Order-level fields (money, statuses, Id, Source) are filled only on an order's first row, so
orders are built from the first row of each `Name` and money is never counted twice; lines come
from every row. `Created at` is pinned to '%Y-%m-%d %H:%M:%S %z' and the store-local date is the
date as written (the export is in the store's time zone, offsets change across daylight saving).
"""

from __future__ import annotations

from ro_core import schema
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    header_has_all,
    insert_stage,
    register,
)

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S %z"
REQUIRED = ("Name", "Financial Status", "Created at", "Lineitem name", "Lineitem quantity", "Total")


def detect(header: list[str]) -> bool:
    """Orders export: the line-item and order columns together."""
    return header_has_all(header, REQUIRED)


def channel_sql(source: str) -> str:
    """Normalise Shopify's Source into web / draft / pos / app / other."""
    return f"""CASE
        WHEN ro_blank({source}) THEN NULL
        WHEN lower(trim({source})) = 'web' THEN 'web'
        WHEN lower(trim({source})) = 'shopify_draft_order' THEN 'draft'
        WHEN lower(trim({source})) = 'pos' THEN 'pos'
        WHEN lower(trim({source})) IN ('iphone', 'android') THEN 'app'
        WHEN regexp_full_match(trim({source}), '[0-9]+') THEN 'app'
        ELSE 'other' END"""


def stage(ctx: StageContext) -> None:
    """Stage orders and order lines from the raw rows."""
    name = ctx.col("Name")
    created = ctx.col("Created at")
    ctx.skip_where(f"ro_blank({name})", "no order Name")
    ctx.fail_where(
        f"NOT ro_blank({created}) AND try_strptime(trim({created}), ?) IS NULL",
        f"'Created at' is not a time like 2024-03-31 14:05:00 -0400.",
        "Created at",
        [TIMESTAMP_FORMAT],
    )
    money = {
        "subtotal": "Subtotal",
        "discounts": "Discount Amount",
        "shipping": "Shipping",
        "tax": "Taxes",
        "total": "Total",
        "refunded": "Refunded Amount",
    }
    for label in money.values():
        if ctx.has(label):
            c = ctx.col(label)
            ctx.fail_where(
                f"NOT ro_blank({c}) AND ro_money({c}, false) IS NULL",
                f"'{label}' is not an amount.",
                label,
            )
    quantity = ctx.col("Lineitem quantity")
    ctx.fail_where(
        f"NOT ro_blank({quantity}) AND TRY_CAST(trim({quantity}) AS INTEGER) IS NULL",
        "'Lineitem quantity' is not a whole number.",
        "Lineitem quantity",
    )
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE shopify_first AS
        SELECT * FROM {RAW_TABLE}
        QUALIFY row_number() OVER (PARTITION BY trim({name}) ORDER BY line_no) = 1"""
    )
    ctx.fail_where(
        f"line_no IN (SELECT line_no FROM temp.shopify_first) AND ro_blank({created})",
        "the order's first row has no 'Created at'.",
        "Created at",
    )
    id_col = ctx.col_or_null("Id")
    email = ctx.col_or_null("Email")
    source = ctx.col_or_null("Source")
    tags = ctx.col_or_null("Tags")
    payment = ctx.col_or_null("Payment Method")
    ship_country = ctx.col_or_null("Shipping Country")
    bill_country = ctx.col_or_null("Billing Country")
    money_sql = ", ".join(
        f"ro_money({ctx.col(label)}, false) AS {field}" if ctx.has(label) else f"NULL AS {field}"
        for field, label in money.items()
    )
    insert_stage(
        ctx,
        schema.KIND_ORDERS,
        f"""WITH totals AS (
            SELECT trim({name}) AS order_name,
                   sum(TRY_CAST(trim({quantity}) AS INTEGER)) AS item_quantity,
                   count(*) FILTER (WHERE NOT ro_blank({ctx.col("Lineitem name")})) AS line_count
            FROM {RAW_TABLE} GROUP BY 1
        )
        SELECT
            coalesce(nullif(trim({id_col}), ''), trim({name})) AS order_id,
            trim({name}) AS order_name,
            strptime(trim({created}), '{TIMESTAMP_FORMAT}') AS created_at,
            ro_offset_minutes({created}) AS utc_offset_minutes,
            CAST(substr(trim({created}), 1, 10) AS DATE) AS local_date,
            nullif(upper(trim({ctx.col_or_null("Currency")})), '') AS currency,
            {money_sql},
            nullif(lower(trim({ctx.col("Financial Status")})), '') AS financial_status,
            nullif(lower(trim({ctx.col_or_null("Fulfillment Status")})), '') AS fulfillment_status,
            NOT ro_blank({ctx.col_or_null("Cancelled at")}) AS cancelled,
            nullif(trim({source}), '') AS source,
            {channel_sql(source)} AS channel,
            CASE WHEN ro_blank({email}) THEN NULL
                 ELSE substr(sha256(lower(trim({email}))), 1, 20) END AS customer_key,
            nullif(upper(trim(coalesce(nullif(trim({ship_country}), ''), {bill_country}))), '')
                AS country,
            (lower(coalesce(trim({source}), '')) = 'shopify_draft_order'
             OR lower(coalesce({payment}, '')) LIKE '%bogus%'
             OR list_contains(string_split(lower(coalesce({tags}, '')), ', '), 'test')) AS is_test,
            nullif(trim({ctx.col_or_null("Discount Code")}), '') AS discount_code,
            t.item_quantity AS item_quantity,
            CAST(t.line_count AS INTEGER) AS line_count
        FROM temp.shopify_first f JOIN totals t ON t.order_name = trim(f.{name})""",
    )
    insert_stage(
        ctx,
        schema.KIND_ORDER_LINES,
        f"""SELECT
            o.order_id AS order_id,
            CAST(row_number() OVER (PARTITION BY trim(r.{name}) ORDER BY r.line_no) AS INTEGER)
                AS line_number,
            nullif(trim(r.{ctx.col("Lineitem name")}), '') AS product,
            nullif(trim(r.{ctx.col_or_null("Lineitem sku")}), '') AS sku,
            nullif(trim(r.{ctx.col_or_null("Vendor")}), '') AS vendor,
            TRY_CAST(trim(r.{quantity}) AS INTEGER) AS quantity,
            ro_money(r.{ctx.col_or_null("Lineitem price")}, false) AS price,
            ro_money(r.{ctx.col_or_null("Lineitem discount")}, false) AS discount
        FROM {RAW_TABLE} r
        JOIN temp.stage_orders o ON o.order_name = trim(r.{name})
        WHERE NOT ro_blank(r.{ctx.col("Lineitem name")})""",
    )
    ctx.cur.execute("DROP TABLE IF EXISTS temp.shopify_first")


SPEC = register(
    FormatSpec(
        name="shopify_orders",
        label="Shopify orders export",
        kinds=(schema.KIND_ORDERS, schema.KIND_ORDER_LINES),
        detect=detect,
        stage=stage,
        priority=50,
    )
)
