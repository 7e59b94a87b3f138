"""WooCommerce order exports.

Two layouts are recognised:

1. **Analytics > Orders > Download** (WooCommerce core). Columns, from the core report
   controller: ``Date, Order #, N. Revenue (formatted), Status, Customer, Customer type,
   Product(s), Items sold, Coupon(s), Net Sales, Attribution`` (the e-mailed export); the
   in-browser download has ``Net sales`` and may add ``Payment method`` and drop the formatted
   revenue. Refunds are rows of their own with the parent's order number and a negative net:
   they become the order's ``refunded`` amount, never a second order. ``N. Revenue
   (formatted)`` is the order total as the shop prints it (``$1,234.50``, ``1.234,56 €``, or
   ``$50.00 $30.00`` - the original and the after-refund total - when refunded): the first
   amount is the total. Without it, ``total`` is the net sales (no tax or shipping) and the
   report says so. Dates carry no UTC offset: they are the shop's local time.
2. **Order export plugins** such as *Advanced Order Export For WooCommerce*: order fields by
   their labels (``Order Number, Order Status, Order Date, Order Total Amount, Order Subtotal
   Amount, Order Shipping Amount, Order Total Tax Amount, Cart Discount Amount, Order Refund
   Amount, Email (Billing), Country Code (Billing/Shipping)...``) or by their keys
   (``order_number, status, order_date, order_total, order_currency, billing_email...``),
   often one row per product with the order fields repeated (or left blank) on product rows.
   Order money is read from one row per order, so it is never counted twice; product rows
   become order lines.

Statuses: ``wc-completed``/``completed``/``Completed`` all read as completed. Completed and
processing orders are ``paid``, on-hold and pending ``pending``; cancelled and failed orders are
``cancelled``; a refunded order without a refund amount counts its total as refunded. Checkout
drafts and trashed orders are skipped (they are not orders).
"""

from __future__ import annotations

from collections.abc import Sequence

from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    header_has_all,
    insert_stage,
    normalise_header_name,
    register,
    stage_table,
)
from ro_core.ingest.formats.shopify_orders import customer_key_sql
from ro_core.ingest.sqlfuncs import detect_decimal_comma
from ro_core.ingest.value_columns import (
    customer_type_sql,
    describe_date_format,
    money_column,
    time_column,
    whole_number_column,
)
from ro_core.store import schema

NOT_ORDERS = ("checkout-draft", "trash", "auto-draft")
CANCELLED = ("cancelled", "canceled", "failed")

# --- column candidates (first present wins) ------------------------------------------------------
ANALYTICS_NET = ("Net Sales", "Net sales")
ANALYTICS_FORMATTED = "N. Revenue (formatted)"

PLUGIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("Order Number", "order_number", "Order ID", "order_id"),
    "created_at": ("Order Date", "order_date", "Date Created", "date_created"),
    "status": ("Order Status", "order_status", "status"),
    "total": ("Order Total Amount", "order_total", "Order Total"),
    "currency": ("Currency", "order_currency"),
    "subtotal": ("Order Subtotal Amount", "order_subtotal"),
    "shipping": ("Order Shipping Amount", "order_shipping"),
    "tax": ("Order Total Tax Amount", "order_total_tax", "Order Tax Amount", "order_tax"),
    "discounts": ("Cart Discount Amount", "cart_discount"),
    "refunded": ("Order Refund Amount", "order_refund"),
    "email": ("Email (Billing)", "billing_email", "Customer User Email", "user_email"),
    "billing_country": ("Country Code (Billing)", "billing_country"),
    "shipping_country": ("Country Code (Shipping)", "shipping_country"),
    "discount_code": ("Coupon Code", "coupon_code", "Coupons Used", "coupons_used"),
    "payment": ("Payment Method Title", "payment_method_title"),
    "product": ("Item Name", "Product Name", "item_name", "product_name"),
    "sku": ("SKU", "sku"),
    "quantity": ("Quantity", "qty", "quantity"),
    "price": ("Item Cost", "item_price", "Item Price"),
    "line_discount": ("Item Discount Amount", "item_discount_amount"),
}
PLUGIN_REQUIRED = ("order_id", "created_at", "status", "total")


def _find(header: Sequence[str], candidates: Sequence[str]) -> str | None:
    present = {normalise_header_name(h).lower(): normalise_header_name(h) for h in header}
    for name in candidates:
        if name.lower() in present:
            return present[name.lower()]
    return None


# --- shared SQL -------------------------------------------------------------------------------
def status_slug_sql(column: str) -> str:
    """Woo status as a slug: 'wc-completed', 'Completed', 'On hold' -> completed, on-hold."""
    return f"nullif(regexp_replace(replace(lower(trim({column})), ' ', '-'), '^wc-', ''), '')"


def financial_status_sql(slug: str) -> str:
    """Our financial status from a Woo status slug."""
    return f"""CASE
        WHEN {slug} IS NULL THEN NULL
        WHEN {slug} IN ('completed', 'processing') THEN 'paid'
        WHEN {slug} IN ('on-hold', 'pending') THEN 'pending'
        ELSE {slug} END"""


def fulfillment_status_sql(slug: str) -> str:
    """Completed orders are fulfilled; processing and on-hold ones are not yet."""
    return f"""CASE
        WHEN {slug} = 'completed' THEN 'fulfilled'
        WHEN {slug} IN ('processing', 'on-hold') THEN 'unfulfilled' END"""


def attribution_channel_sql(column: str) -> str:
    """Channel from WooCommerce order attribution ('Web admin' orders are staff-made drafts)."""
    return f"""CASE
        WHEN ro_blank({column}) THEN NULL
        WHEN lower(trim({column})) = 'web admin' THEN 'draft'
        WHEN lower({column}) LIKE '%mobile app%' THEN 'app'
        WHEN lower({column}) LIKE '%point of sale%' OR lower(trim({column})) = 'pos' THEN 'pos'
        ELSE 'web' END"""


def _in_list(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def _currency_sql(ctx: StageContext, text_column: str | None) -> tuple[str, list[str | None]]:
    """Currency: the `currency` option, else a symbol that names one currency, else NULL."""
    option = ctx.options.get("currency")
    if option:
        return "?", [str(option).strip().upper()[:3]]
    if text_column is None:
        return "CAST(NULL AS VARCHAR)", []
    return (
        f"""CASE WHEN contains({text_column}, '€') THEN 'EUR'
            WHEN contains({text_column}, '£') THEN 'GBP'
            WHEN contains({text_column}, 'R$') THEN 'BRL'
            WHEN contains({text_column}, '₹') THEN 'INR'
            WHEN contains({text_column}, 'zł') THEN 'PLN' END""",
        [],
    )


# --- 1. Analytics > Orders ----------------------------------------------------------------------
def detect_analytics(header: list[str]) -> bool:
    """Core Analytics orders download: Date, Order #, Status and a net sales or revenue column."""
    return header_has_all(header, ("Date", "Order #", "Status")) and (
        _find(header, (*ANALYTICS_NET, ANALYTICS_FORMATTED)) is not None
    )


# First amount of a formatted price: digits, 3-digit groups, then up to 2 decimals.
FIRST_AMOUNT = r"([0-9]+(?:[., \x{00a0}\x{202f}'][0-9]{3})*(?:[.,][0-9]{1,2})?)"


def _sql_text(text: str) -> str:
    """A constant of ours as the inside of an SQL string literal (quotes doubled)."""
    return text.replace("'", "''")


def _add_first_amount(ctx: StageContext, column: str) -> str:
    """Add column woo_first_amount (the first amount in a formatted price) to the raw table."""
    ctx.cur.execute(f"ALTER TABLE {ctx.writable_raw()} ADD COLUMN woo_first_amount VARCHAR")
    ctx.cur.execute(
        f"""UPDATE {RAW_TABLE} SET woo_first_amount = CASE
            WHEN NOT regexp_matches({column}, '[0-9]') THEN NULL
            ELSE (CASE WHEN regexp_matches({column}, '^[^0-9]*[-−]') THEN '-' ELSE '' END)
                 || regexp_extract({column}, '{_sql_text(FIRST_AMOUNT)}', 1) END"""
    )
    return "woo_first_amount"


def stage_analytics(ctx: StageContext) -> None:
    """Stage orders (refund rows folded into their order) from the Analytics orders download."""
    order = ctx.col("Order #")
    status = ctx.col("Status")
    ctx.skip_where(f"ro_blank({order})", "no order number")
    ctx.skip_where(
        f"{status_slug_sql(status)} IN ({_in_list(NOT_ORDERS)})", "checkout draft (not an order)"
    )
    when = time_column(ctx, ctx.col("Date"), "Date")
    ctx.notes.append(f"'Date' read as {describe_date_format(when.format)} (the shop's local time).")
    net_label = _find(ctx.part.header, ANALYTICS_NET)
    net = money_column(ctx, ctx.col(net_label), net_label) if net_label else "NULL"
    formatted_label = _find(ctx.part.header, (ANALYTICS_FORMATTED,))
    if formatted_label:
        text = ctx.col(formatted_label)
        amount_col = _add_first_amount(ctx, text)
        comma = detect_decimal_comma(ctx.cur, RAW_TABLE, amount_col)
        revenue = f"ro_money({amount_col}, {'true' if comma else 'false'})"
        ctx.fail_where(
            f"NOT ro_blank({text}) AND {revenue} IS NULL",
            f"'{formatted_label}' has no amount we can read.",
            formatted_label,
        )
    else:
        text = None
        revenue = net
        ctx.notes.append(
            "The file has no 'N. Revenue (formatted)' column, so order totals are net sales "
            "(without tax and shipping)."
        )
    currency_sql, currency_params = _currency_sql(ctx, text)
    items = ctx.col("Items sold") if ctx.has("Items sold") else None
    items_sql = whole_number_column(ctx, items, "Items sold") if items else "NULL"
    attribution = ctx.col_or_null("Attribution")
    slug = status_slug_sql(status)
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE woo_rows AS
        SELECT line_no, ltrim(trim({order}), '#') AS order_id, {slug} AS status,
               {when.created_at} AS created_at, {when.utc_offset_minutes} AS utc_offset_minutes,
               {when.local_date} AS local_date,
               {net} AS net, {revenue} AS revenue, {currency_sql} AS currency,
               {items_sql} AS item_quantity,
               {customer_type_sql(ctx.col_or_null("Customer type"))} AS customer_type,
               nullif(trim({ctx.col_or_null("Coupon(s)")}), '') AS discount_code,
               nullif(trim({attribution}), '') AS source,
               {attribution_channel_sql(attribution)} AS channel
        FROM {RAW_TABLE}""",
        currency_params,
    )
    refund_rows = ctx.cur.execute("SELECT count(*) FROM temp.woo_rows WHERE net < 0").fetchone()[0]
    if refund_rows:
        ctx.notes.append(
            f"{refund_rows:,} refund rows (negative net sales) were added to their orders' "
            "refunded amounts (as net sales: refunded tax and shipping may not be included; "
            "fully refunded orders count their whole total)."
        )
    insert_stage(
        ctx,
        schema.KIND_ORDERS,
        f"""WITH refunds AS (
            SELECT order_id, -sum(net) AS refunded FROM temp.woo_rows WHERE net < 0 GROUP BY 1
        ), main AS (
            SELECT * FROM temp.woo_rows WHERE net IS NULL OR net >= 0
            QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY line_no) = 1
        ), orders AS (
            SELECT coalesce(m.order_id, r.order_id) AS order_id, m.*  EXCLUDE (order_id),
                   r.refunded AS refund_rows_total
            FROM main m FULL JOIN refunds r ON r.order_id = m.order_id
        )
        SELECT order_id, '#' || order_id AS order_name, created_at, utc_offset_minutes,
               local_date, currency, net AS subtotal, revenue AS total,
               CASE WHEN status = 'refunded' THEN revenue
                    ELSE refund_rows_total END AS refunded,
               CASE WHEN status IN ('completed', 'processing') AND refund_rows_total > 0
                    THEN 'partially_refunded' ELSE {financial_status_sql("status")} END
                   AS financial_status,
               {fulfillment_status_sql("status")} AS fulfillment_status,
               CASE WHEN status IS NULL THEN NULL ELSE status IN ({_in_list(CANCELLED)}) END
                   AS cancelled,
               source, channel, customer_type,
               CASE WHEN status IS NULL THEN NULL ELSE false END AS is_test,
               discount_code, item_quantity
        FROM orders""",
    )
    only_refunds = ctx.cur.execute(
        f"SELECT count(*) FROM {stage_table(schema.KIND_ORDERS)} WHERE created_at IS NULL"
    ).fetchone()[0]
    if only_refunds:
        ctx.warn(
            f"{only_refunds:,} orders appear only as refunds in this file (the order itself is "
            "outside its dates): only their refunded amounts were updated."
        )
    ctx.notes.append("Product(s) lists are not split into order lines.")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.woo_rows")


ANALYTICS_SPEC = register(
    FormatSpec(
        name="woocommerce_analytics_orders",
        label="WooCommerce Analytics orders download",
        kinds=(schema.KIND_ORDERS,),
        detect=detect_analytics,
        stage=stage_analytics,
        priority=40,
    )
)


# --- 2. order export plugins --------------------------------------------------------------------
def detect_plugin(header: list[str]) -> bool:
    """An order export with an order number, date, status and total column."""
    return all(_find(header, PLUGIN_COLUMNS[f]) is not None for f in PLUGIN_REQUIRED)


def stage_plugin(ctx: StageContext) -> None:
    """Stage orders (one row per order) and order lines (product rows) from a plugin export."""
    label = {f: _find(ctx.part.header, names) for f, names in PLUGIN_COLUMNS.items()}
    col = {f: ctx.col(name) for f, name in label.items() if name is not None}
    order, status, total = col["order_id"], col["status"], col["total"]
    # Product rows may leave the order number blank: they belong to the order above.
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE woo_keys AS
        SELECT line_no, last_value(nullif(ltrim(trim({order}), '#'), '') IGNORE NULLS)
               OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS order_id
        FROM {RAW_TABLE}"""
    )
    ctx.skip_where(
        "line_no IN (SELECT line_no FROM temp.woo_keys WHERE order_id IS NULL)", "no order number"
    )
    slug = status_slug_sql(status)
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE woo_first AS
        SELECT line_no, k.order_id, {slug} AS status FROM {RAW_TABLE}
        JOIN temp.woo_keys k USING (line_no)
        QUALIFY row_number() OVER (
            PARTITION BY k.order_id ORDER BY ro_blank({total}) AND ro_blank({status}), line_no
        ) = 1"""
    )
    ctx.skip_where(
        "line_no IN (SELECT k.line_no FROM temp.woo_keys k JOIN temp.woo_first f USING (order_id) "
        f"WHERE f.status IN ({_in_list(NOT_ORDERS)}))",
        "checkout draft (not an order)",
    )
    when = time_column(ctx, col["created_at"], label["created_at"] or "Order Date")
    ctx.notes.append(
        f"'{label['created_at']}' read as {describe_date_format(when.format)} "
        "(the shop's local time)."
    )
    money = {
        f: money_column(ctx, col[f], label[f] or f)
        for f in ("total", "subtotal", "shipping", "tax", "discounts", "refunded")
        if f in col
    }
    money_select = ", ".join(
        f"{money[f]} AS {f}" if f in money else f"CAST(NULL AS DECIMAL(18,2)) AS {f}"
        for f in ("total", "subtotal", "shipping", "tax", "discounts", "refunded")
    )
    currency_sql, currency_params = (
        (f"nullif(upper(trim({col['currency']})), '')", [])
        if "currency" in col
        else _currency_sql(ctx, None)
    )
    email = col.get("email", "CAST(NULL AS VARCHAR)")
    ship = col.get("shipping_country", "CAST(NULL AS VARCHAR)")
    bill = col.get("billing_country", "CAST(NULL AS VARCHAR)")
    has_product = "product" in col
    product_filter = f"NOT ro_blank({col['product']})" if has_product else "false"
    quantity = (
        whole_number_column(ctx, col["quantity"], label["quantity"] or "Quantity")
        if "quantity" in col
        else "NULL"
    )
    coupon = col.get("discount_code")
    coupon_agg = (
        f"first(nullif(trim({coupon}), '') ORDER BY line_no) FILTER (WHERE NOT ro_blank({coupon}))"
        if coupon
        else "NULL"
    )
    insert_stage(
        ctx,
        schema.KIND_ORDERS,
        f"""WITH per_order AS (
            SELECT k.order_id,
                   CAST(count(*) FILTER (WHERE {product_filter}) AS INTEGER) AS line_count,
                   CAST(sum({quantity}) FILTER (WHERE {product_filter}) AS INTEGER)
                       AS item_quantity,
                   {coupon_agg} AS discount_code
            FROM {RAW_TABLE} JOIN temp.woo_keys k USING (line_no) GROUP BY 1
        ), o AS (
            SELECT f.order_id, f.status, {when.created_at} AS created_at,
                   {when.utc_offset_minutes} AS utc_offset_minutes,
                   {when.local_date} AS local_date, {currency_sql} AS currency, {money_select},
                   {customer_key_sql(email)} AS customer_key,
                   nullif(upper(trim(coalesce(nullif(trim({ship}), ''), {bill}))), '') AS country
            FROM {RAW_TABLE} JOIN temp.woo_first f USING (line_no)
        )
        SELECT o.order_id, '#' || o.order_id AS order_name, created_at, utc_offset_minutes,
               local_date, currency, subtotal, discounts, shipping, tax, total,
               CASE WHEN o.status = 'refunded' AND coalesce(refunded, 0) = 0 THEN total
                    ELSE refunded END AS refunded,
               CASE WHEN o.status IN ('completed', 'processing') AND refunded > 0
                    THEN 'partially_refunded' ELSE {financial_status_sql("o.status")} END
                   AS financial_status,
               {fulfillment_status_sql("o.status")} AS fulfillment_status,
               o.status IN ({_in_list(CANCELLED)}) AS cancelled,
               customer_key, country, false AS is_test,
               p.discount_code, p.item_quantity,
               CASE WHEN {"true" if has_product else "false"} THEN p.line_count END AS line_count
        FROM o JOIN per_order p USING (order_id)""",
        currency_params,
    )
    if has_product:
        _stage_plugin_lines(ctx, col, label)
    else:
        ctx.notes.append("The file has no product column, so no order lines were read.")
    for table in ("woo_keys", "woo_first"):
        ctx.cur.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _stage_plugin_lines(
    ctx: StageContext, col: dict[str, str], label: dict[str, str | None]
) -> None:
    product = col["product"]
    parts = [
        "k.order_id AS order_id",
        "CAST(row_number() OVER (PARTITION BY k.order_id ORDER BY line_no) AS INTEGER) "
        "AS line_number",
        f"nullif(trim({product}), '') AS product",
    ]
    if "sku" in col:
        parts.append(f"nullif(trim({col['sku']}), '') AS sku")
    if "quantity" in col:
        parts.append(f"CAST(ro_number({col['quantity']}) AS INTEGER) AS quantity")
    for field, target in (("price", "price"), ("line_discount", "discount")):
        if field in col:
            parts.append(f"{money_column(ctx, col[field], label[field] or field)} AS {target}")
    insert_stage(
        ctx,
        schema.KIND_ORDER_LINES,
        f"""SELECT {", ".join(parts)} FROM {RAW_TABLE} JOIN temp.woo_keys k USING (line_no)
        WHERE NOT ro_blank({product})
          AND k.order_id IN (SELECT order_id FROM {stage_table(schema.KIND_ORDERS)})""",
    )


PLUGIN_SPEC = register(
    FormatSpec(
        name="woocommerce_orders",
        label="WooCommerce order export (plugin)",
        kinds=(schema.KIND_ORDERS, schema.KIND_ORDER_LINES),
        detect=detect_plugin,
        stage=stage_plugin,
        priority=30,
    )
)
