"""Shopify abandoned checkouts export (Orders > Abandoned checkouts > Export).

The export belongs to the orders-export family: one row per line item, checkout-level fields
(money, email, addresses) on the checkout's first row, ``Created at`` written like
``2024-03-09 23:30:00 -0800`` in the store's time zone, plain amounts such as ``1659.95``. What
sets it apart from the orders export is a column about the abandoned checkout itself
(``Abandoned Checkout URL``) and the absence of ``Financial Status``; the orders detector refuses
headers with such a column, so the two never collide.

A checkout counts as recovered when the export says so (a ``Recovery Status``/``Recovered``
column) or, failing that, when it has a ``Completed at`` time. Without either column
``recovered`` stays unknown (NULL).
"""

from __future__ import annotations

from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    header_has_all,
    insert_stage,
    register,
    stage_table,
)
from ro_core.ingest.formats.shopify_orders import (
    TIMESTAMP_FORMAT,
    check_plain_amounts,
    check_timestamps,
    customer_key_sql,
    is_abandoned_checkout_header,
    offset_minutes_sql,
    quantity_check,
)
from ro_core.store import schema

REQUIRED = ("Created at", "Lineitem name", "Lineitem quantity", "Total")
RECOVERY_COLUMNS = ("Recovery Status", "Recovered")  # matched case-insensitively
RECOVERED_WORDS = ("recovered", "yes", "true", "1", "completed", "complete")


def detect(header: list[str]) -> bool:
    """Abandoned checkouts: line-item columns plus an abandoned-checkout column, no statuses."""
    return (
        header_has_all(header, REQUIRED)
        and is_abandoned_checkout_header(header)
        and not header_has_all(header, ("Financial Status",))
    )


def _recovered_sql(ctx: StageContext) -> str:
    for label in RECOVERY_COLUMNS:
        if ctx.has(label):
            words = ", ".join(f"'{w}'" for w in RECOVERED_WORDS)
            c = ctx.col(label)
            return f"CASE WHEN ro_blank({c}) THEN false ELSE lower(trim({c})) IN ({words}) END"
    if ctx.has("Completed at"):
        return f"NOT ro_blank({ctx.col('Completed at')})"
    return "CAST(NULL AS BOOLEAN)"


def stage(ctx: StageContext) -> None:
    """Stage one abandoned_checkouts row per checkout."""
    if not ctx.has("Id") and not ctx.has("Name"):
        ctx.col("Id")  # raises: the export needs a checkout id
    id_col = ctx.col_or_null("Id")
    name = ctx.col_or_null("Name")
    created = ctx.col("Created at")
    total = ctx.col("Total")
    quantity = ctx.col("Lineitem quantity")
    check_timestamps(ctx, "Created at")
    check_plain_amounts(ctx, ("Subtotal", "Total"))
    ctx.fail_first([quantity_check(ctx)])
    # Rows belong to the checkout named on them, or (when a line row leaves Name and Id blank)
    # to the checkout of the row above.
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE checkout_rows AS
        SELECT *, last_value(
                   coalesce(nullif(trim({name}), ''), nullif(trim({id_col}), '')) IGNORE NULLS)
               OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS checkout_key
        FROM {RAW_TABLE}"""
    )
    ctx.skip_where(
        "line_no IN (SELECT line_no FROM temp.checkout_rows WHERE checkout_key IS NULL)",
        "no checkout Id or Name",
    )
    ctx.cur.execute("DELETE FROM temp.checkout_rows WHERE checkout_key IS NULL")
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE checkout_first AS
        SELECT * FROM temp.checkout_rows
        QUALIFY row_number() OVER (
            PARTITION BY checkout_key ORDER BY ro_blank({total}), line_no) = 1"""
    )
    ctx.fail_where(
        f"line_no IN (SELECT line_no FROM temp.checkout_first) AND ro_blank({created})",
        "the checkout's first row has no 'Created at'.",
        "Created at",
    )
    subtotal = ctx.col_or_null("Subtotal")
    ship_country = ctx.col_or_null("Shipping Country")
    bill_country = ctx.col_or_null("Billing Country")
    insert_stage(
        ctx,
        schema.KIND_ABANDONED_CHECKOUTS,
        f"""WITH per_checkout AS (
            SELECT checkout_key,
                   first(nullif(trim({id_col}), '') ORDER BY line_no)
                       FILTER (WHERE NOT ro_blank({id_col})) AS first_id,
                   sum(TRY_CAST(trim({quantity}) AS INTEGER)) AS item_quantity
            FROM temp.checkout_rows GROUP BY 1
        )
        SELECT
            coalesce(p.first_id, f.checkout_key) AS checkout_id,
            strptime(trim({created}), '{TIMESTAMP_FORMAT}') AS created_at,
            {offset_minutes_sql(created)} AS utc_offset_minutes,
            CAST(substr(trim({created}), 1, 10) AS DATE) AS local_date,
            nullif(upper(trim({ctx.col_or_null("Currency")})), '') AS currency,
            TRY_CAST(nullif(trim({subtotal}), '') AS DECIMAL(18,2)) AS subtotal,
            TRY_CAST(nullif(trim({total}), '') AS DECIMAL(18,2)) AS total,
            {customer_key_sql(ctx.col_or_null("Email"))} AS customer_key,
            nullif(upper(trim(coalesce(nullif(trim({ship_country}), ''), {bill_country}))), '')
                AS country,
            {_recovered_sql(ctx)} AS recovered,
            p.item_quantity AS item_quantity
        FROM temp.checkout_first f JOIN per_checkout p USING (checkout_key)""",
    )
    dupes = ctx.cur.execute(
        "SELECT count(*) - count(DISTINCT checkout_id) "
        f"FROM {stage_table(schema.KIND_ABANDONED_CHECKOUTS)}"
    ).fetchone()[0]
    if dupes:
        ctx.warn(f"{dupes:,} checkouts share an Id with another checkout in this file.")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.checkout_first")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.checkout_rows")


SPEC = register(
    FormatSpec(
        name="shopify_checkouts",
        label="Shopify abandoned checkouts export",
        kinds=(schema.KIND_ABANDONED_CHECKOUTS,),
        detect=detect,
        stage=stage,
        priority=60,
    )
)
