"""Shopify admin orders export (Orders > Export): one row per line item.

Order-level fields (money, statuses, Id, Source) are filled only on an order's first row, so
orders are built from one row per `Name` (the first row that carries the order's money or
status) and money is never counted twice; lines come from every row. `Created at` is pinned to
'%Y-%m-%d %H:%M:%S %z' and the store-local date is the date as written (the export is in the
store's time zone, offsets change across daylight saving). Money columns must be plain numbers
as Shopify writes them (``1659.95``, ``-5.00``): anything else fails with the line number,
because a spreadsheet re-save that turned ``1659.95`` into ``1659,95`` would otherwise be read
a hundred times too large.
"""

from __future__ import annotations

from ro_core.errors import ImportFileError
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    header_has_all,
    insert_stage,
    normalise_header_name,
    register,
)
from ro_core.store import schema

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S %z"
# How Shopify writes a time (2024-03-31 14:05:00 -0400): the store-local date and wall time sit
# at fixed places, which the date and the offset are read from. DuckDB's strptime alone also
# takes 2024-3-31 or an offset of -04.
TIME_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{2}:?[0-9]{2}"
REQUIRED = ("Name", "Financial Status", "Created at", "Lineitem name", "Lineitem quantity", "Total")
# Canonical order field -> Shopify column.
MONEY_COLUMNS = {
    "subtotal": "Subtotal",
    "discounts": "Discount Amount",
    "shipping": "Shipping",
    "tax": "Taxes",
    "total": "Total",
    "refunded": "Refunded Amount",
}
# Shopify writes money as a plain number with a dot: 1659.95, 0.00, -5.00, 163056. At most 16
# digits before the dot: the most DECIMAL(18,2) holds.
PLAIN_AMOUNT = r"-?[0-9]{1,16}(\.[0-9]+)?"
# A quantity: a whole number (DuckDB's cast to INTEGER would round 2.5 to 3), at most 9 digits.
WHOLE_NUMBER = r"-?[0-9]{1,9}"
# Added to the sort key of a row without status and total: such a row is an order's first row
# only when no row has them (line numbers stay far below it).
_NO_TOTALS_FLAG = 1 << 40
# Times the export holds beyond Created at: the latest one dates the export (newer wins).
EVENT_TIME_COLUMNS = ("Created at", "Paid at", "Fulfilled at", "Cancelled at")


def customer_key_sql(expr: str) -> str:
    """SQL for the customer key: a hash of the trimmed, lower-cased email or id (never the email).

    Every importer uses this one expression, so the same email gets the same key everywhere.
    """
    return f"CASE WHEN ro_blank({expr}) THEN NULL ELSE substr(sha256(lower(ro_trim({expr}))), 1, 20) END"


def is_abandoned_checkout_header(header: list[str]) -> bool:
    """True when a header has a column about abandoned checkouts (that export, not orders)."""
    return any("abandoned" in normalise_header_name(h).lower() for h in header)


def detect(header: list[str]) -> bool:
    """Orders export: the line-item and order columns together (and no abandoned-checkout URL)."""
    return header_has_all(header, REQUIRED) and not is_abandoned_checkout_header(header)


def channel_sql(source: str) -> str:
    """Normalise Shopify's Source into web / draft / pos / app / other."""
    return f"""CASE
        WHEN ro_blank({source}) THEN NULL
        WHEN lower(ro_trim({source})) = 'web' THEN 'web'
        WHEN lower(ro_trim({source})) = 'shopify_draft_order' THEN 'draft'
        WHEN lower(ro_trim({source})) = 'pos' THEN 'pos'
        WHEN lower(ro_trim({source})) IN ('iphone', 'android') THEN 'app'
        WHEN regexp_full_match(ro_trim({source}), '[0-9]+') THEN 'app'
        ELSE 'other' END"""


Check = tuple[str, str, str | None, list]  # (condition, message, column, params)


def plain_amount_checks(ctx: StageContext, labels: list[str] | tuple[str, ...]) -> list[Check]:
    """Checks (for StageContext.fail_first): a cell of these columns that is not a plain amount."""
    checks: list[Check] = []
    for label in labels:
        if not ctx.has(label):
            continue
        c = ctx.col(label)
        checks.append(
            (
                f"NOT ro_blank({c}) AND NOT regexp_full_match(ro_trim({c}), '{PLAIN_AMOUNT}')",
                f"'{label}' is not an amount like 1234.50 (or has more than 16 digits).",
                label,
                [],
            )
        )
    return checks


def plain_amount_suspect_sql(column: str) -> str:
    """SQL true for every cell the plain-amount check refuses, and for a few it accepts (one
    with spaces around it): the cell as it is, not trimmed, against the same pattern. Trimming
    every cell cost more than the pattern; the check itself decides about a suspect cell."""
    return f"({column} IS NOT NULL AND NOT regexp_full_match({column}, '{PLAIN_AMOUNT}'))"


def timestamp_check(ctx: StageContext, label: str) -> Check:
    """Check: a non-blank cell that is not a Shopify time with its UTC offset."""
    c = ctx.col(label)
    return (
        f"NOT ro_blank({c}) AND (NOT regexp_full_match(ro_trim({c}), '{TIME_SHAPE}') "
        f"OR try_strptime(ro_trim({c}), ?) IS NULL)",
        f"'{label}' is not a time like 2024-03-31 14:05:00 -0400.",
        label,
        [TIMESTAMP_FORMAT],
    )


def quantity_check(ctx: StageContext, label: str = "Lineitem quantity") -> Check:
    """Check: a non-blank quantity that is not a whole number."""
    c = ctx.col(label)
    return (
        f"NOT ro_blank({c}) AND NOT regexp_full_match(ro_trim({c}), '{WHOLE_NUMBER}')",
        f"'{label}' is not a whole number.",
        label,
        [],
    )


def quantity_suspect_sql(column: str) -> str:
    """SQL true for every cell the quantity check refuses, and for one with spaces around it."""
    return f"({column} IS NOT NULL AND NOT regexp_full_match({column}, '{WHOLE_NUMBER}'))"


def timestamp_suspect_sql(column: str) -> str:
    """SQL true for every cell the time check refuses, and for one with spaces around it (the
    shape is matched on the cell as it is; the check decides). The time is parsed with the
    same expression as for the latest time, which DuckDB can compute once for both (parsing
    the untrimmed cell instead cost 0.08 s more at 1M orders)."""
    return (
        f"(({column} IS NOT NULL AND NOT regexp_full_match({column}, '{TIME_SHAPE}')) "
        f"OR (NOT ro_blank({column}) AND try_strptime(ro_trim({column}), ?) IS NULL))"
    )


def offset_minutes_sql(column: str) -> str:
    """SQL: the UTC offset in minutes of a time the check passed: its wall time as written less
    the instant it names (cheaper than reading the offset's digits with a pattern)."""
    text = f"ro_trim({column})"
    return (
        f"CAST((epoch_us(CAST(substr({text}, 1, 19) AS TIMESTAMP)) "
        f"- epoch_us(strptime({text}, '{TIMESTAMP_FORMAT}'))) // 60000000 AS INTEGER)"
    )


def check_plain_amounts(ctx: StageContext, labels: list[str] | tuple[str, ...]) -> None:
    """Fail on the first cell of these columns that is not a plain Shopify amount."""
    ctx.fail_first(plain_amount_checks(ctx, labels))


def check_timestamps(ctx: StageContext, label: str) -> None:
    """Fail on the first non-blank cell that is not a Shopify time with its UTC offset."""
    ctx.fail_first([timestamp_check(ctx, label)])


def _latest_time_sql(ctx: StageContext) -> tuple[str, list[str]]:
    """SQL (and params) of the latest created, paid, fulfilled or cancelled time of a row."""
    columns = [ctx.col(c) for c in EVENT_TIME_COLUMNS if ctx.has(c)]
    times = ", ".join(f"try_strptime(ro_trim({c}), ?)" for c in columns)
    return f"greatest({times})", [TIMESTAMP_FORMAT] * len(columns)


def stage(ctx: StageContext) -> None:
    """Stage orders and order lines from the raw rows."""
    name = ctx.col("Name")
    created = ctx.col("Created at")
    total = ctx.col("Total")
    financial = ctx.col("Financial Status")
    ctx.skip_where(f"ro_blank({name})", "no order Name")
    quantity = ctx.col("Lineitem quantity")
    # Every value check, exactly, when a cheap first look in the per-order aggregate below
    # finds a suspect cell (the first failing check, in this order, names its first line).
    time_check = timestamp_check(ctx, "Created at")
    money_labels = [*MONEY_COLUMNS.values(), "Lineitem price", "Lineitem discount"]
    checks = [time_check, *plain_amount_checks(ctx, money_labels), quantity_check(ctx)]
    suspects = [
        timestamp_suspect_sql(created),
        *(plain_amount_suspect_sql(ctx.col(label)) for label in money_labels if ctx.has(label)),
        quantity_suspect_sql(quantity),
    ]
    item_name = ctx.col("Lineitem name")
    id_col = ctx.col_or_null("Id")
    latest_sql, latest_params = _latest_time_sql(ctx)
    # One narrow aggregate per order gives everything staging needs: whether the row carrying
    # its totals is missing, its first row (the first that has the order's status or total:
    # Shopify puts them on the first row; this also survives a re-sorted file) with its id and
    # whether it has a time, its quantity and line count, whether its rows are consecutive
    # lines, and its latest time. The order and its lines are then read from the raw rows by
    # line number (the order from the rows with a status or total only: its first row is one,
    # and fewer wide rows are fetched): no row is copied twice. (A window over every wide raw
    # row was the slowest step of a large import.) The first row is the least of `first_key`:
    # its line, plus 2^40 on a row without status and total (an integer orders faster than a
    # struct).
    first_key = (
        f"(line_no + CASE WHEN ro_blank({financial}) AND ro_blank({total}) "
        f"THEN {_NO_TOTALS_FLAG} ELSE 0 END)"
    )
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE shopify_per_order AS
        SELECT ro_trim({name}) AS order_name,
            min({first_key}) >= {_NO_TOTALS_FLAG} AS half,
            min({first_key}) % {_NO_TOTALS_FLAG} AS first_line,
            arg_min(coalesce(nullif(ro_trim({id_col}), ''), ro_trim({name})), {first_key})
                AS order_id,
            arg_min(ro_blank({created}), {first_key}) AS no_time,
            sum(TRY_CAST(ro_trim({quantity}) AS INTEGER)) AS item_quantity,
            count(*) FILTER (WHERE NOT ro_blank({item_name})) AS line_count,
            min(line_no) AS min_line,
            max(line_no) - min(line_no) + 1 = count(*) AS consecutive,
            count(*) AS row_count,
            max({latest_sql}) AS latest,
            min(line_no) FILTER (WHERE {" OR ".join(suspects)}) AS suspect_line
        FROM {RAW_TABLE} GROUP BY 1""",
        [*latest_params, TIMESTAMP_FORMAT],
    )
    # An order is whole or not in: when the row carrying its totals, status and Id could not be
    # read (a ragged row, broken bytes), its other rows would make an order without a total,
    # keyed by its name instead of its Id. Leave the whole order out and say so.
    suspect, half, no_time, first_no_time, latest = ctx.cur.execute(
        """SELECT min(suspect_line), count(*) FILTER (WHERE half),
            count(*) FILTER (WHERE no_time AND NOT half),
            min(first_line) FILTER (WHERE no_time AND NOT half), max(latest) FILTER (WHERE NOT half)
        FROM temp.shopify_per_order"""
    ).fetchone()
    if suspect is not None:
        ctx.fail_first(checks)

    def as_read(column: str) -> str:
        """An amount or quantity cell for its cast: with no suspect cell in the file, every one
        is already as plain as the cast needs (trimming them cost about 0.2 s at 1M orders)."""
        return column if suspect is None else f"ro_trim({column})"

    if half:
        ctx.skip_where(
            f"ro_trim({name}) IN (SELECT order_name FROM temp.shopify_per_order WHERE half)",
            "the order's first row (with its total, status and Id) could not be read, so the "
            "whole order was left out; these are its other rows",
        )
        ctx.cur.execute("DELETE FROM temp.shopify_per_order WHERE half")
    if no_time:
        more = f" ({no_time} rows in all)" if no_time > 1 else ""
        raise ImportFileError(
            "the order's first row has no 'Created at'." + more,
            file_name=ctx.file_name,
            line=int(first_no_time),
            column="Created at",
        )
    ctx.latest_seen = latest
    email = ctx.col_or_null("Email")
    source = ctx.col_or_null("Source")
    tags = ctx.col_or_null("Tags")
    payment = ctx.col_or_null("Payment Method")
    ship_country = ctx.col_or_null("Shipping Country")
    bill_country = ctx.col_or_null("Billing Country")
    money_sql = ", ".join(
        f"CAST(nullif({as_read(ctx.col(label))}, '') AS DECIMAL(18,2)) AS {field}"
        if ctx.has(label)
        else f"NULL AS {field}"
        for field, label in MONEY_COLUMNS.items()
    )
    insert_stage(
        ctx,
        schema.KIND_ORDERS,
        f"""SELECT
            t.order_id AS order_id,
            t.order_name AS order_name,
            strptime(ro_trim({created}), '{TIMESTAMP_FORMAT}') AS created_at,
            {offset_minutes_sql(created)} AS utc_offset_minutes,
            CAST(substr(ro_trim({created}), 1, 10) AS DATE) AS local_date,
            nullif(upper(ro_trim({ctx.col_or_null("Currency")})), '') AS currency,
            {money_sql},
            nullif(lower(ro_trim({financial})), '') AS financial_status,
            nullif(lower(ro_trim({ctx.col_or_null("Fulfillment Status")})), '') AS fulfillment_status,
            (NOT ro_blank({ctx.col_or_null("Cancelled at")})
             OR lower(ro_trim(coalesce({financial}, ''))) = 'voided') AS cancelled,
            nullif(ro_trim({source}), '') AS source,
            {channel_sql(source)} AS channel,
            {customer_key_sql(email)} AS customer_key,
            nullif(upper(ro_trim(coalesce(nullif(ro_trim({ship_country}), ''), {bill_country}))), '')
                AS country,
            (lower(coalesce(ro_trim({source}), '')) = 'shopify_draft_order'
             OR lower(coalesce({payment}, '')) LIKE '%bogus%'
             OR list_contains(string_split(lower(coalesce({tags}, '')), ', '), 'test')) AS is_test,
            nullif(ro_trim({ctx.col_or_null("Discount Code")}), '') AS discount_code,
            t.item_quantity AS item_quantity,
            CAST(t.line_count AS INTEGER) AS line_count
        FROM (SELECT * FROM {RAW_TABLE} WHERE {financial} IS NOT NULL OR {total} IS NOT NULL) r
        JOIN temp.shopify_per_order t ON r.line_no = t.first_line""",
    )

    # An order's line number counts its item rows in file order. When every order's rows are
    # consecutive lines that all name an item (a file as Shopify writes it), that is the row's
    # distance from the order's first line, with no window over every row, and a row's order is
    # the last one starting at or before its line (an as-of join on line numbers, cheaper than
    # matching every row's name).
    simple_numbers = ctx.cur.execute(
        "SELECT coalesce(bool_and(consecutive AND row_count = line_count), true) "
        "FROM temp.shopify_per_order"
    ).fetchone()[0]
    if simple_numbers:
        line_number_sql = "r.line_no - t.min_line + 1"
        join_sql = "ASOF JOIN temp.shopify_per_order t ON r.line_no >= t.min_line"
    else:
        line_number_sql = "row_number() OVER (PARTITION BY t.order_name ORDER BY r.line_no)"
        join_sql = f"JOIN temp.shopify_per_order t ON t.order_name = ro_trim(r.{name})"

    def raw_col(label: str) -> str:
        return f"r.{ctx.col(label)}" if ctx.has(label) else "CAST(NULL AS VARCHAR)"

    insert_stage(
        ctx,
        schema.KIND_ORDER_LINES,
        f"""SELECT
            t.order_id AS order_id,
            CAST({line_number_sql} AS INTEGER) AS line_number,
            nullif(ro_trim(r.{item_name}), '') AS product,
            nullif(ro_trim({raw_col("Lineitem sku")}), '') AS sku,
            nullif(ro_trim({raw_col("Vendor")}), '') AS vendor,
            CAST(nullif({as_read(f"r.{quantity}")}, '') AS INTEGER) AS quantity,
            CAST(nullif({as_read(raw_col("Lineitem price"))}, '') AS DECIMAL(18,2)) AS price,
            CAST(nullif({as_read(raw_col("Lineitem discount"))}, '') AS DECIMAL(18,2))
                AS discount
        FROM {RAW_TABLE} r {join_sql}
        WHERE NOT ro_blank(r.{item_name})""",
    )
    ctx.cur.execute("DROP TABLE IF EXISTS temp.shopify_per_order")


# Every column `stage` reads: the export has about 80, most of them addresses.
READS = (
    *REQUIRED,
    *MONEY_COLUMNS.values(),
    *EVENT_TIME_COLUMNS,
    "Id",
    "Email",
    "Currency",
    "Fulfillment Status",
    "Source",
    "Tags",
    "Payment Method",
    "Shipping Country",
    "Billing Country",
    "Discount Code",
    "Lineitem price",
    "Lineitem discount",
    "Lineitem sku",
    "Vendor",
)

SPEC = register(
    FormatSpec(
        name="shopify_orders",
        label="Shopify orders export",
        kinds=(schema.KIND_ORDERS, schema.KIND_ORDER_LINES),
        detect=detect,
        stage=stage,
        priority=50,
        reads=READS,
    )
)
