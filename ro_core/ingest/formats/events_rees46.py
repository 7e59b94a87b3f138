"""REES46 event log ("eCommerce behavior data from multi category store", public on Kaggle).

Columns: event_time (``2019-10-01 00:00:00 UTC``), event_type (view / cart / remove_from_cart /
purchase), product_id, category_id, category_code, brand, price, user_id, user_session.

Profile, pinned: times are read with exactly ``%Y-%m-%d %H:%M:%S UTC`` (a bad one fails the
import naming its line); prices use a decimal point. Rows without a user_session are skipped
(they cannot be placed in a funnel). Any other event_type is kept as 'other'.

Orders: REES46 writes one purchase row per product bought, with no order id and no quantity.
So ``revenue`` is the purchased product's price, ``order_id`` stays NULL, and an order is best
approximated by a session with a purchase.
"""

from __future__ import annotations

from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    insert_stage,
    register,
    stage_table,
)
from ro_core.ingest.formats.events import (
    OTHER,
    LocalDateRule,
    fail_on_first_bad_value,
    header_names,
    local_date_rule,
    local_date_sql,
    other_event_names,
)
from ro_core.ingest.one_pass import OnePass, skip_raises
from ro_core.store import schema

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
REQUIRED = ("event_time", "event_type", "product_id", "price", "user_id", "user_session")
EVENT_TYPE_MAP = {
    "view": "view",
    "cart": "cart",
    "remove_from_cart": "remove_from_cart",
    "purchase": "purchase",
}


def detect(header: list[str]) -> bool:
    """The REES46 columns, with the session column named user_session."""
    return set(REQUIRED) <= header_names(header)


def stage(ctx: StageContext) -> None:
    """Stage events from a REES46 file."""
    rule = local_date_rule(ctx.cur, ctx.options)
    time_col = ctx.col("event_time")
    type_col = ctx.col("event_type")
    price_col = ctx.col("price")
    session_col = ctx.col("user_session")
    ctx.skip_where_all(
        [
            (
                f"ro_blank({session_col})",
                "no user_session (an event outside any session cannot be placed in a funnel)",
            ),
            (f"ro_blank({type_col})", "no event_type"),
        ]
    )
    fail_on_first_bad_value(
        ctx,
        [
            {
                "column_sql": time_col,
                "bad_sql": f"ro_blank({time_col}) OR try_strptime(ro_trim({time_col}), ?) IS NULL",
                "column_label": "event_time",
                "expected": "a time like 2019-10-01 00:00:00 UTC",
                "hint": "REES46 files write every time in UTC as 'YYYY-MM-DD HH:MM:SS UTC'.",
                "params": [TIME_FORMAT],
            },
            {
                "column_sql": price_col,
                "bad_sql": f"NOT ro_blank({price_col}) "
                f"AND TRY_CAST(ro_trim({price_col}) AS DECIMAL(18,2)) IS NULL",
                "column_label": "price",
                "expected": "a price like 35.79",
                "hint": "Prices must be plain numbers with a decimal point.",
            },
        ],
    )
    # Parsed straight into the staging table with the store-local date (one copy of the rows).
    instant = f"ro_utc_instant(strptime(ro_trim({time_col}), '{TIME_FORMAT}'))"
    price = f"TRY_CAST(nullif(ro_trim({price_col}), '') AS DECIMAL(18,2))"
    select_sql, params = _select(ctx, rule, instant, RAW_TABLE, price=price)
    insert_stage(ctx, schema.KIND_EVENTS, select_sql, params)
    _notes(ctx, stage_table(schema.KIND_EVENTS), rule)


def _select(
    ctx: StageContext,
    rule: LocalDateRule,
    instant: str,
    source: str,
    *,
    price: str,
    utc_wall: str | None = None,
    trimmed: bool = True,
) -> tuple[str, list]:
    """The SELECT of canonical event columns from `source` (raw rows or the typed file rows):
    `instant` is the event's TIMESTAMPTZ, `price` its DECIMAL price and `utc_wall` (optional)
    the same instant as a plain UTC TIMESTAMP. `trimmed=False` takes text cells as read."""
    type_col = ctx.col("event_type")
    mapping_sql = " ".join(
        f"WHEN '{raw}' THEN '{canonical}'" for raw, canonical in EVENT_TYPE_MAP.items()
    )

    def text(column: str) -> str:
        return f"ro_trim({column})" if trimmed else column

    date_sql, date_params = local_date_sql(rule, instant, utc_wall)
    sql = f"""SELECT
            {instant} AS event_time,
            {date_sql} AS local_date,
            {text(ctx.col("user_session"))} AS session_id,
            nullif({text(ctx.col("user_id"))}, '') AS user_id,
            CASE lower({text(type_col)}) {mapping_sql} ELSE '{OTHER}' END AS event_type,
            {text(type_col)} AS event_name,
            nullif({text(ctx.col("product_id"))}, '') AS product_id,
            {price} AS price,
            CASE WHEN lower({text(type_col)}) = 'purchase' THEN {price} END AS revenue,
            CAST(NULL AS VARCHAR) AS order_id,
            CAST(NULL AS VARCHAR) AS channel,
            CAST(NULL AS VARCHAR) AS device,
            CAST(NULL AS VARCHAR) AS country
        FROM {source}"""
    return sql, date_params


def _notes(ctx: StageContext, events: str, rule: LocalDateRule) -> None:
    """The report's notes on the events written to `events` (a table or a relation)."""
    others, names = other_event_names(ctx, table=events)
    if others:
        ctx.notes.append(
            f"{others:,} events of a type REES46 does not define ({names}) were kept as 'other'."
        )
    purchases = ctx.cur.execute(
        f"SELECT count(*) FROM {events} WHERE event_type = 'purchase'"
    ).fetchone()[0]
    if purchases:
        ctx.notes.append(
            f"REES46 writes one purchase row per product bought, with no order id or quantity: "
            f"the {purchases:,} purchase rows each count their product's price as revenue, and an "
            "order is best counted as a session with a purchase."
        )
    if rule.is_default:
        ctx.notes.append(
            "Event times are UTC and the file does not say the store's time zone: days are UTC "
            "days. Set the store's time zone to count days in local time."
        )
    else:
        ctx.notes.append(f"Days are counted in {rule.describe()}.")


def one_pass(ctx: StageContext) -> OnePass:
    """The staging above as one typed read of a clean file (see ro_core.ingest.one_pass): the
    time is read with the pinned format, a price must cast, and a row without a session or an
    event type leaves the file to the text path, which skips it with its line."""
    rule = local_date_rule(ctx.cur, ctx.options)
    time_col = ctx.col("event_time")
    price_col = ctx.col("price")
    # The price is read as DECIMAL(18,2) by the file reader itself: for every value it accepts
    # it gives what CAST(ro_trim(value)) gives, and it fails (the pass gives way) where that
    # cast would fail. The time is UTC wall time, so its day needs no time-zone conversion.
    # Text is written as read; a value with anything to trim (a session of spaces included,
    # which the text path skips) makes the pass give way.
    select_sql, params = _select(
        ctx,
        rule,
        f"ro_utc_instant({time_col})",
        "file_rows",
        price=price_col,
        utc_wall=time_col,
        trimmed=False,
    )
    session_col, type_col = ctx.col("user_session"), ctx.col("event_type")
    blank = " OR ".join(f"{c} IS NULL OR {c} = ''" for c in (session_col, type_col))
    return OnePass(
        kind=schema.KIND_EVENTS,
        select_sql=f"{select_sql} WHERE {skip_raises(blank)}",
        params=params,
        types={int(time_col[1:]): "TIMESTAMP", int(price_col[1:]): "DECIMAL(18,2)"},
        timestamp_format=TIME_FORMAT,
        notes=lambda ctx, events: _notes(ctx, events, rule),
        untrimmed=("session_id", "user_id", "event_name", "product_id"),
    )


SPEC = register(
    FormatSpec(
        name="rees46_events",
        label="REES46 event log",
        kinds=(schema.KIND_EVENTS,),
        detect=detect,
        stage=stage,
        priority=40,
        one_pass=one_pass,
    )
)
