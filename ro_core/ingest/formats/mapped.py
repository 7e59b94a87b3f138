"""Any orders, order-lines or traffic CSV, read through a column mapping.

A mapping says which header column holds which canonical field, e.g.
``{"order_id": "order_id", "order_purchase_timestamp": "created_at", "payment_value": "total"}``
(HEADER COLUMN -> FIELD). The fields decide what the file becomes:

- traffic fields (``period_start``, ``sessions``...) make a ``traffic`` import (source 'mapped');
- order-line fields (``product``, ``quantity``, ``price``...) make ``order_lines`` (with
  ``order_id``), plus ``orders`` when order-level fields such as ``created_at`` or ``total`` are
  mapped too;
- anything else makes ``orders``.

How values are read:

- dates: one format per column from :data:`ro_core.ingest.sqlfuncs.DATE_FORMATS`; a file whose
  days are all 12 or less is refused until ``options["date_order"]`` ('mdy' or 'dmy') says which
  comes first. Times without a UTC offset are store-local times: the local date is the date as
  written, ``created_at`` stores the wall-clock time as if it were UTC, ``utc_offset_minutes``
  stays NULL.
- money: ``ro_money`` with the decimal convention decided once per column.
- several rows for one order in an orders file: non-money fields take the first non-blank value;
  each money column is classified once for the whole file. If an order's rows usually *differ*
  (several payments per order, as in Olist's payments file) the rows are parts and are added up;
  if they usually *repeat* one value (an order total copied onto every product row) it is taken
  once. The report says which rule each column got.
- status words canceled/cancelled/unavailable/failed/voided mark an order cancelled; an order
  whose status is 'refunded' without a refunded amount counts its total as refunded.

Fields a file does not map stay NULL, so a payments file imported after an orders file adds
totals without erasing dates or statuses (resolution keeps, field by field, the latest non-NULL
value; see ``ro_core.store.resolve``).
"""

from __future__ import annotations

from functools import partial

from ro_core.errors import ImportFileError
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    insert_stage,
    normalise_header_name,
    stage_table,
)
from ro_core.ingest.formats.mapped_fields import KIND_LABELS, check_fields, clean_mapping
from ro_core.ingest.formats.shopify_orders import customer_key_sql
from ro_core.ingest.value_columns import (
    customer_type_sql,
    describe_date_format,
    flag_sql,
    money_column,
    time_column,
    whole_number_column,
)
from ro_core.store import schema

ORDER_MONEY = ("subtotal", "discounts", "shipping", "tax", "total", "refunded")
LINE_MONEY = ("price", "discount", "shipping")
CANCELLED_STATUSES = ("canceled", "cancelled", "unavailable", "failed", "voided", "void")
NOT_SET = "(not set)"


def spec_for_mapping(mapping: dict[str, str], file_name: str) -> FormatSpec:
    """A format that reads a file through `mapping` (header column -> canonical field).

    Raises ImportFileError for unknown field names, a field mapped twice or a missing required
    field (order_id; period_start and a measure for traffic). Columns missing from the file are
    reported when the file is staged.
    """
    cleaned = clean_mapping(mapping, file_name)
    kinds = check_fields(set(cleaned.values()), file_name)
    label = "Mapped columns (" + " and ".join(KIND_LABELS[k] for k in kinds) + ")"
    return FormatSpec(
        name="mapped",
        label=label,
        kinds=kinds,
        detect=lambda header: False,
        stage=partial(_stage, cleaned, kinds),
    )


# --- staging -----------------------------------------------------------------------------------
def _stage(mapping: dict[str, str], kinds: tuple[str, ...], ctx: StageContext) -> None:
    columns: dict[str, str] = {}
    labels: dict[str, str] = {}
    missing = [header for header in mapping if not ctx.has(header)]
    if missing:
        shown = ", ".join(f"'{normalise_header_name(h)}'" for h in ctx.part.header[:40])
        raise ImportFileError(
            "the mapped column(s) "
            + ", ".join(f"'{h}'" for h in missing)
            + " are not in this file.",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint=f"Its columns are {shown}. Map those instead.",
        )
    for header, field in mapping.items():
        columns[field] = ctx.col(header)
        labels[field] = header
    ctx.notes.append(
        "Columns mapped: " + ", ".join(f"'{labels[f]}' -> {f}" for f in sorted(columns)) + "."
    )
    if schema.KIND_TRAFFIC in kinds:
        _stage_traffic(ctx, columns, labels)
        return
    order_id = columns["order_id"]
    ctx.skip_where(f"ro_blank({order_id})", "no order id")
    if schema.KIND_ORDERS in kinds:
        _stage_orders(ctx, columns, labels, with_lines=schema.KIND_ORDER_LINES in kinds)
    if schema.KIND_ORDER_LINES in kinds:
        _stage_lines(ctx, columns, labels)


def _first(expr: str) -> str:
    return f"first({expr} ORDER BY line_no) FILTER (WHERE {expr} IS NOT NULL)"


def _order_row_exprs(
    ctx: StageContext, columns: dict[str, str], labels: dict[str, str], with_lines: bool
) -> dict[str, str]:
    """Per-row SQL for every mapped order field (validated), keyed by canonical name."""
    exprs: dict[str, str] = {}
    c = columns
    if "created_at" in c:
        tc = time_column(ctx, c["created_at"], labels["created_at"])
        exprs["created_at"] = tc.created_at
        exprs["utc_offset_minutes"] = tc.utc_offset_minutes
        exprs["local_date"] = tc.local_date
        ctx.notes.append(
            f"'{labels['created_at']}' read as {describe_date_format(tc.format)}"
            + ("" if "%z" in tc.format else " (store-local time, no UTC offset in the file)")
            + "."
        )
    for field in ORDER_MONEY:
        if field in c and not (with_lines and field in LINE_MONEY):
            exprs[field] = money_column(ctx, c[field], labels[field])
    text_fields = {
        "order_name": "nullif(trim({}), '')",
        "currency": "nullif(upper(trim({})), '')",
        "financial_status": "nullif(lower(trim({})), '')",
        "fulfillment_status": "nullif(lower(trim({})), '')",
        "source": "nullif(trim({}), '')",
        "channel": "nullif(lower(trim({})), '')",
        "country": "nullif(upper(trim({})), '')",
        "discount_code": "nullif(trim({}), '')",
    }
    for field, template in text_fields.items():
        if field in c:
            exprs[field] = template.format(c[field])
    if "customer_key" in c:
        exprs["customer_key"] = customer_key_sql(c["customer_key"])
    if "customer_type" in c:
        exprs["customer_type"] = customer_type_sql(c["customer_type"])
    if "cancelled" in c:
        exprs["cancelled"] = flag_sql(c["cancelled"])
    if "is_test" in c:
        exprs["is_test"] = flag_sql(c["is_test"])
    if "item_quantity" in c:
        exprs["item_quantity"] = whole_number_column(
            ctx, c["item_quantity"], labels["item_quantity"]
        )
    return exprs


def _additive_mode(ctx: StageContext, field: str, label: str) -> str:
    """'sum' or 'once' for a money/count column of an orders file with several rows per order."""
    varying, repeating = ctx.cur.execute(
        f"""SELECT count(*) FILTER (WHERE n_distinct > 1),
                   count(*) FILTER (WHERE n_distinct = 1)
            FROM (SELECT order_id, count(DISTINCT {field}) AS n_distinct
                  FROM temp.mapped_order_rows GROUP BY order_id HAVING count({field}) > 1)"""
    ).fetchone()
    if not varying and not repeating:
        return "once"
    if varying > repeating:
        ctx.notes.append(
            f"'{label}': {varying + repeating:,} orders have several rows and the values "
            f"differ in {varying:,} of them, so an order's rows were added up "
            "(several payments or parts per order)."
        )
        return "sum"
    ctx.notes.append(
        f"'{label}': {varying + repeating:,} orders have several rows repeating the same value, "
        "so it was counted once per order."
    )
    if varying:
        ctx.warn(
            f"'{label}': {varying:,} orders have different values on their rows; "
            "the first row's value was used."
        )
    return "once"


def _stage_orders(
    ctx: StageContext, columns: dict[str, str], labels: dict[str, str], with_lines: bool
) -> None:
    exprs = _order_row_exprs(ctx, columns, labels, with_lines)
    order_id = columns["order_id"]
    select_rows = ", ".join(f"{sql} AS {name}" for name, sql in exprs.items())
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE mapped_order_rows AS
        SELECT line_no, trim({order_id}) AS order_id{", " + select_rows if select_rows else ""}
        FROM {RAW_TABLE}"""
    )
    aggregates: list[str] = ["order_id"]
    for name in exprs:
        if name in (*ORDER_MONEY, "item_quantity"):
            mode = _additive_mode(ctx, name, labels[name])
            aggregates.append(
                f"sum({name}) AS {name}" if mode == "sum" else _first(name) + f" AS {name}"
            )
        else:
            aggregates.append(f"{_first(name)} AS {name}")
    has_status = "financial_status" in exprs
    has_time = "created_at" in exprs
    statuses = ", ".join(f"'{s}'" for s in CANCELLED_STATUSES)
    if "cancelled" in exprs:
        cancelled = "a.cancelled"
    elif has_status:
        cancelled = (
            "CASE WHEN a.financial_status IS NULL THEN NULL "
            f"ELSE a.financial_status IN ({statuses}) END"
        )
    else:
        cancelled = "false" if has_time else "CAST(NULL AS BOOLEAN)"
    if "refunded" in exprs:
        refunded = "a.refunded"
        if has_status and "total" in exprs:
            refunded = (
                "CASE WHEN a.refunded IS NULL AND a.financial_status = 'refunded' "
                "THEN a.total ELSE a.refunded END"
            )
    elif has_status and "total" in exprs:
        refunded = "CASE WHEN a.financial_status = 'refunded' THEN a.total END"
    else:
        refunded = "NULL"
    is_test = "a.is_test" if "is_test" in exprs else ("false" if has_time else "NULL")
    outputs = [
        f"a.{name} AS {name}" for name in exprs if name not in ("cancelled", "refunded", "is_test")
    ]
    outputs += [
        "a.order_id AS order_id",
        f"{cancelled} AS cancelled",
        f"{refunded} AS refunded",
        f"{is_test} AS is_test",
    ]
    line_join = ""
    if with_lines:
        line_filter = _line_row_filter(columns)
        quantity = (
            f"sum(CAST(ro_number({columns['quantity']}) AS INTEGER))"
            if "quantity" in columns
            else "NULL"
        )
        line_join = f"""LEFT JOIN (
            SELECT trim({columns["order_id"]}) AS order_id,
                   CAST(count(*) AS INTEGER) AS line_count, {quantity} AS line_quantity
            FROM {RAW_TABLE} WHERE {line_filter} GROUP BY 1) l USING (order_id)"""
        outputs.append("l.line_count AS line_count")
        if "item_quantity" not in exprs:
            outputs.append("CAST(l.line_quantity AS INTEGER) AS item_quantity")
    insert_stage(
        ctx,
        schema.KIND_ORDERS,
        f"""WITH a AS (
            SELECT {", ".join(aggregates)} FROM temp.mapped_order_rows GROUP BY order_id
        )
        SELECT {", ".join(outputs)} FROM a {line_join}""",
    )
    if has_time:
        undated = ctx.cur.execute(
            f"SELECT count(*) FROM {stage_table(schema.KIND_ORDERS)} WHERE local_date IS NULL"
        ).fetchone()[0]
        if undated:
            ctx.warn(f"{undated:,} orders have no '{labels['created_at']}' and no date.")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.mapped_order_rows")


def _line_row_filter(columns: dict[str, str]) -> str:
    """Rows that are order lines: those naming a product or SKU when either is mapped."""
    named = [columns[f] for f in ("product", "sku") if f in columns]
    if not named:
        return "true"
    return "(" + " OR ".join(f"NOT ro_blank({c})" for c in named) + ")"


def _stage_lines(ctx: StageContext, columns: dict[str, str], labels: dict[str, str]) -> None:
    c = columns
    parts: list[str] = ["trim({}) AS order_id".format(c["order_id"])]
    for field in ("product", "sku", "vendor"):
        if field in c:
            parts.append(f"nullif(trim({c[field]}), '') AS {field}")
    if "quantity" in c:
        parts.append(f"{whole_number_column(ctx, c['quantity'], labels['quantity'])} AS quantity")
    for field in LINE_MONEY:
        if field in c:
            parts.append(f"{money_column(ctx, c[field], labels[field])} AS {field}")
    order_key = f"trim({c['order_id']})"
    renumber = f"CAST(row_number() OVER (PARTITION BY {order_key} ORDER BY line_no) AS INTEGER)"
    if "line_number" in c:
        given = whole_number_column(ctx, c["line_number"], labels["line_number"])
        repeated = ctx.cur.execute(
            f"""SELECT count(*) FROM (
                SELECT {order_key}, {given} FROM {RAW_TABLE} WHERE {_line_row_filter(c)}
                GROUP BY ALL HAVING count(*) > 1)"""
        ).fetchone()[0]
        if repeated:
            ctx.warn(
                f"'{labels['line_number']}' repeats within {repeated:,} orders; "
                "their lines were numbered in file order instead."
            )
            parts.append(f"{renumber} AS line_number")
        else:
            parts.append(f"coalesce({given}, {renumber}) AS line_number")
    else:
        parts.append(f"{renumber} AS line_number")
    insert_stage(
        ctx,
        schema.KIND_ORDER_LINES,
        f"SELECT {', '.join(parts)} FROM {RAW_TABLE} WHERE {_line_row_filter(c)}",
    )


def _stage_traffic(ctx: StageContext, columns: dict[str, str], labels: dict[str, str]) -> None:
    c = columns
    start = time_column(ctx, c["period_start"], labels["period_start"])
    ctx.skip_where(f"ro_blank({c['period_start']})", "no date")
    end_sql = None
    if "period_end" in c:
        end = time_column(ctx, c["period_end"], labels["period_end"])
        end_sql = f"coalesce({end.local_date}, {start.local_date})"
    dims = [d for d in schema.TRAFFIC_DIMENSIONS if d in c]
    measures = [m for m in schema.TRAFFIC_MEASURES if m in c]
    row_parts = [f"{start.local_date} AS period_start"]
    if end_sql:
        row_parts.append(f"{end_sql} AS period_end")
    for d in dims:
        if d == "customer_type":
            value = customer_type_sql(c[d])
        else:
            value = f"nullif(trim({c[d]}), '')"
        row_parts.append(f"coalesce({value}, '{NOT_SET}') AS {d}")
    for m in measures:
        expr = f"ro_number({c[m]})"
        ctx.fail_where(
            f"NOT ro_blank({c[m]}) AND {expr} IS NULL",
            f"'{labels[m]}' is not a number.",
            labels[m],
        )
        row_parts.append(f"{expr} AS {m}")
    ctx.cur.execute(
        f"CREATE OR REPLACE TEMP TABLE mapped_traffic_rows AS "
        f"SELECT {', '.join(row_parts)} FROM {RAW_TABLE}"
    )
    if end_sql:
        grain_sql = """CASE
            WHEN period_end = period_start THEN 'day'
            WHEN date_diff('day', period_start, period_end) = 6 THEN 'week'
            WHEN day(period_start) = 1 AND period_end = last_day(period_start) THEN 'month'
            ELSE 'total' END"""
        end_expr = "period_end"
    else:
        grain, step_days = _infer_grain(ctx)
        grain_sql = f"'{grain}'"
        if grain == "month":
            end_expr = "last_day(period_start)"
        else:
            end_expr = f"CAST(period_start + INTERVAL {step_days - 1} DAY AS DATE)"
        if grain != "day":
            ctx.notes.append(f"Rows are {grain}ly: each date is the first day of a {grain}.")
    dim_list = ",".join(sorted(dims))
    keys = ["period_start", "period_end", *dims]
    before = ctx.cur.execute("SELECT count(*) FROM temp.mapped_traffic_rows").fetchone()[0]
    inserted = insert_stage(
        ctx,
        schema.KIND_TRAFFIC,
        f"""SELECT 'mapped' AS traffic_source, {grain_sql} AS grain, ? AS dimensions,
                   {", ".join(keys)}, {", ".join(f"sum({m}) AS {m}" for m in measures)}
            FROM ({_traffic_rows_with_end(end_expr, end_sql is not None)})
            GROUP BY {", ".join(keys)}""",
        [dim_list],
    )
    if inserted < before:
        ctx.notes.append(
            f"{before - inserted:,} rows repeated a period and segment already seen; "
            "their numbers were added together."
        )
    ctx.cur.execute("DROP TABLE IF EXISTS temp.mapped_traffic_rows")


def _traffic_rows_with_end(end_expr: str, has_end: bool) -> str:
    if has_end:
        return "SELECT * FROM temp.mapped_traffic_rows"
    return f"SELECT *, {end_expr} AS period_end FROM temp.mapped_traffic_rows"


def _infer_grain(ctx: StageContext) -> tuple[str, int]:
    """Grain of a traffic file with start dates only: day, week (7-day steps) or month."""
    n_dates, min_gap, all_gaps_weekly, all_first = ctx.cur.execute(
        """WITH d AS (SELECT DISTINCT period_start AS d FROM temp.mapped_traffic_rows),
        g AS (SELECT d, date_diff('day', lag(d) OVER (ORDER BY d), d) AS gap FROM d)
        SELECT count(*), min(gap), coalesce(bool_and(gap % 7 = 0), true),
               bool_and(day(d) = 1)
        FROM g"""
    ).fetchone()
    if n_dates > 1 and all_first and min_gap is not None and min_gap >= 28:
        return "month", 0
    if n_dates > 1 and min_gap == 7 and all_gaps_weekly:
        return "week", 7
    return "day", 1
