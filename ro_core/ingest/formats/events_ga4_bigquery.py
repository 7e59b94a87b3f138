"""GA4 BigQuery export, flattened to one row per event (or per event and item) as CSV.

The usual flattening query selects event_date, event_timestamp, event_name, user_pseudo_id,
the ``ga_session_id`` event parameter, ecommerce.purchase_revenue / the ``value`` parameter,
ecommerce.transaction_id, items.item_id / items.price (when unnested per item), device.category,
geo.country and a medium/source. Header names may use dots or underscores
(``device.category`` = ``device_category``); see :data:`COLUMN_CANDIDATES`.

Profile, pinned (no sniffing):

- ``event_timestamp``: microseconds since 1970-01-01 UTC (BigQuery's INT64); a value that is not
  one fails the import naming its line. Without it, ``event_date`` (``YYYYMMDD``) places every
  event at midnight UTC of that day, and the report says so.
- ``session_id`` = ``user_pseudo_id || '.' || ga_session_id`` (ga_session_id is only unique per
  user); rows without either are skipped with their line numbers.
- ``user_id`` = ``user_pseudo_id`` (GA4's browser/device id, the one visitor counts use).
- Event types: view_item -> view, add_to_cart -> cart, remove_from_cart -> remove_from_cart,
  begin_checkout -> checkout, purchase -> purchase; every other name is 'other' and kept as
  ``event_name``.
- Purchases are de-duplicated on transaction_id within the file (GA4 can send a purchase twice):
  the earliest purchase event of each transaction is kept, the others are removed and counted
  in the report's warnings.
- Revenue is the event's purchase revenue, on purchase events only; when the file is unnested
  per item it is put on the event's first item row, so sums count it once.
- ``local_date``: ``event_date`` (GA4 writes it in the property's reporting time zone) unless a
  ``timezone`` / ``utc_offset_minutes`` import option is given; without event_date, UTC.
- ``channel``: a default channel group column when the file has one, else the medium
  (``(none)`` -> direct), else the source.
"""

from __future__ import annotations

from ro_core.errors import ImportFileError
from ro_core.ingest.base import RAW_TABLE, FormatSpec, StageContext, register
from ro_core.ingest.formats.events import (
    OTHER,
    PARSED_TABLE,
    create_parsed_table,
    fail_on_bad_values,
    find_column,
    header_names,
    local_date_rule,
    other_event_names,
    stage_parsed_events,
)
from ro_core.store import schema

DATE_FORMAT = "%Y%m%d"
# event_timestamp must fall between 2005-01-01 and 2100-01-01 (in microseconds): a 13-digit
# millisecond value or a 10-digit second value falls outside and is refused, not misread.
MIN_MICROS = 1_104_537_600_000_000
MAX_MICROS = 4_102_444_800_000_000

EVENT_TYPE_MAP = {
    "view_item": "view",
    "add_to_cart": "cart",
    "remove_from_cart": "remove_from_cart",
    "begin_checkout": "checkout",
    "purchase": "purchase",
}

# Canonical field -> header names it may have (tried in order, compared after
# normalise_column_name, so "device.category" also matches "device_category").
COLUMN_CANDIDATES: dict[str, tuple[str, ...]] = {
    "event_date": ("event_date",),
    "event_timestamp": ("event_timestamp", "event_timestamp_micros"),
    "event_name": ("event_name",),
    "user_pseudo_id": ("user_pseudo_id",),
    "ga_session_id": (
        "ga_session_id",
        "event_params.ga_session_id",
        "event_params.ga_session_id.int_value",
        "session_id",
    ),
    "revenue": (
        "ecommerce.purchase_revenue",
        "purchase_revenue",
        "ecommerce.purchase_revenue_in_usd",
        "purchase_revenue_in_usd",
        "event_params.value",
        "value",
        "event_value_in_usd",
    ),
    "transaction_id": (
        "ecommerce.transaction_id",
        "transaction_id",
        "event_params.transaction_id",
    ),
    "item_id": ("items.item_id", "item_id"),
    "item_price": ("items.price", "item_price", "items.price_in_usd", "price"),
    "device": ("device.category", "device_category", "device"),
    "country": ("geo.country", "geo_country", "country"),
    "channel_group": (
        "session_default_channel_group",
        "session_traffic_source_last_click.cross_channel_campaign.default_channel_group",
        "default_channel_group",
        "channel_group",
    ),
    "medium": (
        "session_medium",
        "session_traffic_source_last_click.manual_campaign.medium",
        "collected_traffic_source.manual_medium",
        "traffic_source.medium",
        "medium",
    ),
    "source": (
        "session_source",
        "session_traffic_source_last_click.manual_campaign.source",
        "collected_traffic_source.manual_source",
        "traffic_source.source",
        "source",
    ),
}
# Only the revenue candidates are read together (coalesced in order); for every other field the
# first candidate the header has is used.


def detect(header: list[str]) -> bool:
    """event_name and user_pseudo_id with event_timestamp or event_date (BigQuery's names)."""
    names = header_names(header)
    return (
        "event_name" in names
        and "user_pseudo_id" in names
        and ("event_timestamp" in names or "event_date" in names)
    )


def _not_set(column_sql: str) -> str:
    """SQL: the trimmed value, NULL when blank or GA4's '(not set)'."""
    return (
        f"CASE WHEN ro_blank({column_sql}) OR lower(trim({column_sql})) IN ('(not set)', 'null') "
        f"THEN NULL ELSE trim({column_sql}) END"
    )


def _number_sql(column_sql: str) -> str:
    return f"CAST(TRY_CAST(trim({column_sql}) AS DOUBLE) AS DECIMAL(18,2))"


def _channel_sql(columns: dict[str, tuple[str, str] | None]) -> str:
    parts = []
    if columns["channel_group"]:
        parts.append(_not_set(columns["channel_group"][0]))
    if columns["medium"]:
        medium = _not_set(columns["medium"][0])
        parts.append(f"CASE WHEN lower({medium}) = '(none)' THEN 'direct' ELSE lower({medium}) END")
    if columns["source"]:
        source = _not_set(columns["source"][0])
        parts.append(
            f"CASE WHEN lower({source}) = '(direct)' THEN 'direct' ELSE lower({source}) END"
        )
    if not parts:
        return "CAST(NULL AS VARCHAR)"
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _validate(ctx: StageContext, columns: dict[str, tuple[str, str] | None]) -> None:
    stamp, date = columns["event_timestamp"], columns["event_date"]
    if stamp:
        c, label = stamp
        fail_on_bad_values(
            ctx,
            c,
            f"ro_blank({c}) OR NOT regexp_full_match(trim({c}), '[0-9]{{1,19}}') "
            f"OR coalesce(TRY_CAST(trim({c}) AS BIGINT) NOT BETWEEN ? AND ?, true)",
            column_label=label,
            expected="an event_timestamp in microseconds since 1970 (like 1696118400123456)",
            hint=(
                "Export BigQuery's event_timestamp column as it is (16 digits); a 13-digit value "
                "is in milliseconds, and a converted date-time is not read."
            ),
            params=[MIN_MICROS, MAX_MICROS],
        )
    if date:
        c, label = date
        malformed = (
            f"(NOT regexp_full_match(trim({c}), '[0-9]{{8}}') "
            f"OR try_strptime(trim({c}), ?) IS NULL)"
        )
        # With event_timestamp a blank event_date is fine (the UTC date is used instead).
        bad = f"NOT ro_blank({c}) AND {malformed}" if stamp else f"ro_blank({c}) OR {malformed}"
        fail_on_bad_values(
            ctx,
            c,
            bad,
            column_label=label,
            expected="an event_date like 20231001",
            hint="Export BigQuery's event_date column as it is (YYYYMMDD).",
            params=[DATE_FORMAT],
        )
    amounts = [*_revenue_columns(ctx), *([columns["item_price"]] if columns["item_price"] else [])]
    for c, label in amounts:
        fail_on_bad_values(
            ctx,
            c,
            f"NOT ro_blank({c}) AND lower(trim({c})) NOT IN ('(not set)', 'null') "
            f"AND TRY_CAST(trim({c}) AS DOUBLE) IS NULL",
            column_label=label,
            expected="an amount like 59.90",
            hint="Amounts must be plain numbers with a decimal point, as BigQuery exports them.",
        )


def _revenue_columns(ctx: StageContext) -> list[tuple[str, str]]:
    """Every revenue column the header has, in COLUMN_CANDIDATES order."""
    present: list[tuple[str, str]] = []
    for name in COLUMN_CANDIDATES["revenue"]:
        found = find_column(ctx, (name,))
        if found and found not in present:
            present.append(found)
    return present


def _revenue_sql(ctx: StageContext) -> str | None:
    """SQL for a purchase's revenue: the first non-blank of the revenue columns, or None."""
    amounts = [_number_sql(c) for c, _ in _revenue_columns(ctx)]
    if not amounts:
        return None
    return amounts[0] if len(amounts) == 1 else f"coalesce({', '.join(amounts)})"


def _remove_duplicate_purchases(ctx: StageContext, per_item: bool) -> None:
    """Keep the earliest purchase event of each transaction id; warn with the count removed."""
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE ga4_duplicate_purchases AS
        WITH purchase_rows AS (
            SELECT line_no, order_id, product_id, event_time,
                   min(line_no) OVER (PARTITION BY order_id, user_id, event_time) AS event_line
            FROM {PARSED_TABLE}
            WHERE event_type = 'purchase' AND order_id IS NOT NULL
        ), ranked AS (
            SELECT line_no, event_line,
                   first_value(event_line) OVER (
                       PARTITION BY order_id ORDER BY event_time, event_line) AS kept_event_line,
                   row_number() OVER (
                       PARTITION BY order_id, event_line, product_id ORDER BY line_no) AS copy
            FROM purchase_rows
        )
        SELECT line_no FROM ranked WHERE event_line <> kept_event_line OR copy > 1"""
    )
    removed, first_lines = ctx.cur.execute(
        "SELECT count(*), list(line_no ORDER BY line_no)[1:5] FROM temp.ga4_duplicate_purchases"
    ).fetchone()
    if removed:
        ctx.cur.execute(
            f"DELETE FROM {PARSED_TABLE} WHERE line_no IN "
            "(SELECT line_no FROM temp.ga4_duplicate_purchases)"
        )
        what = "purchase item row" if per_item else "purchase event"
        plural = "s" if removed > 1 else ""
        lines = ", ".join(str(n) for n in first_lines)
        ctx.warn(
            f"{removed:,} duplicated {what}{plural} (a transaction id already seen in an earlier "
            f"purchase event; line{plural} {lines}{'...' if removed > len(first_lines) else ''}) "
            f"{'were' if plural else 'was'} removed: "
            "GA4 can send a purchase twice, for example when the thank-you page is reloaded. "
            "The first purchase event of each transaction was kept."
        )
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_duplicate_purchases")


def stage(ctx: StageContext) -> None:
    """Stage events from a flattened GA4 BigQuery export."""
    rule = local_date_rule(ctx.cur, ctx.options)
    columns = {field: find_column(ctx, names) for field, names in COLUMN_CANDIDATES.items()}
    missing = [name for name in ("event_name", "user_pseudo_id") if columns[name] is None]
    if columns["event_timestamp"] is None and columns["event_date"] is None:
        missing.append("event_timestamp")
    if missing:
        raise ImportFileError(
            f"the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing.",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint="A GA4 BigQuery export needs event_timestamp, event_name, user_pseudo_id and "
            "ga_session_id.",
        )
    session = columns["ga_session_id"]
    if session is None:
        raise ImportFileError(
            "there is no ga_session_id column, so events cannot be grouped into sessions.",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint=(
                "Add it to the export query: (SELECT value.int_value FROM UNNEST(event_params) "
                "WHERE key = 'ga_session_id') AS ga_session_id."
            ),
        )
    stamp, date = columns["event_timestamp"], columns["event_date"]
    name_col = columns["event_name"][0]
    user_col = columns["user_pseudo_id"][0]
    session_col = session[0]
    ctx.skip_where(
        f"ro_blank({user_col}) OR ro_blank({session_col})",
        "no session id (user_pseudo_id and ga_session_id are both needed to place an event "
        "in a session)",
    )
    ctx.skip_where(f"ro_blank({name_col})", "no event_name")
    _validate(ctx, columns)

    if stamp:
        time_sql = f"ro_utc_instant(make_timestamp(CAST(trim({stamp[0]}) AS BIGINT)))"
    else:
        time_sql = f"ro_utc_instant(CAST(strptime(trim({date[0]}), '{DATE_FORMAT}') AS TIMESTAMP))"
    date_sql = (
        f"CAST(try_strptime(trim({date[0]}), '{DATE_FORMAT}') AS DATE)"
        if date
        else "CAST(NULL AS DATE)"
    )
    revenue_sql = _revenue_sql(ctx)
    item = columns["item_id"]
    price = columns["item_price"]
    device = columns["device"]
    country = columns["country"]
    event_name_sql = f"lower(trim({name_col}))"
    mapping_sql = " ".join(f"WHEN '{raw}' THEN '{kind}'" for raw, kind in EVENT_TYPE_MAP.items())
    create_parsed_table(ctx.cur)
    ctx.cur.execute(
        f"""INSERT INTO {PARSED_TABLE} BY NAME
        SELECT
            line_no,
            {time_sql} AS event_time,
            trim({user_col}) || '.' || trim({session_col}) AS session_id,
            trim({user_col}) AS user_id,
            CASE {event_name_sql} {mapping_sql} ELSE '{OTHER}' END AS event_type,
            trim({name_col}) AS event_name,
            {_not_set(item[0]) if item else "CAST(NULL AS VARCHAR)"} AS product_id,
            {_number_sql(price[0]) if price else "CAST(NULL AS DECIMAL(18,2))"} AS price,
            CASE WHEN {event_name_sql} = 'purchase'
                 THEN {revenue_sql or "CAST(NULL AS DECIMAL(18,2))"} END AS revenue,
            {_not_set(columns["transaction_id"][0]) if columns["transaction_id"] else "NULL"}
                AS order_id,
            {_channel_sql(columns)} AS channel,
            {f"lower({_not_set(device[0])})" if device else "NULL"} AS device,
            {_not_set(country[0]) if country else "NULL"} AS country,
            {date_sql} AS fixed_local_date
        FROM {RAW_TABLE}"""
    )
    per_item = item is not None
    _remove_duplicate_purchases(ctx, per_item)
    if per_item:
        # One purchase event unnested into several item rows: its revenue counts once.
        ctx.cur.execute(
            f"""UPDATE {PARSED_TABLE} SET revenue = NULL
            WHERE event_type = 'purchase' AND line_no NOT IN (
                SELECT min(line_no) FROM {PARSED_TABLE} WHERE event_type = 'purchase'
                GROUP BY user_id, event_time, order_id)"""
        )
    _report(ctx, columns, revenue_sql is not None, per_item, rule.is_default)
    stage_parsed_events(
        ctx, rule, use_fixed_date=date is not None and (rule.is_default or not stamp)
    )
    if not stamp and not rule.is_default:
        ctx.notes.append(
            f"The store time zone ({rule.describe()}) was not needed: without event_timestamp "
            "the days are GA4's event_date, already in the property's time zone."
        )
    elif not rule.is_default:
        ctx.notes.append(f"Days are counted in {rule.describe()} from event_timestamp.")


def _report(
    ctx: StageContext,
    columns: dict[str, tuple[str, str] | None],
    has_revenue: bool,
    per_item: bool,
    default_rule: bool,
) -> None:
    others, names = other_event_names(ctx)
    if others:
        ctx.notes.append(
            f"{others:,} events outside the shopping funnel ({names}) were kept as 'other'."
        )
    purchases, without_id = ctx.cur.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE order_id IS NULL)
        FROM {PARSED_TABLE} WHERE event_type = 'purchase'"""
    ).fetchone()
    if purchases and not has_revenue:
        ctx.warn(
            "the file has purchase events but no revenue column (ecommerce.purchase_revenue or "
            "value): revenue from these events is unknown."
        )
    if without_id:
        ctx.warn(
            f"{without_id:,} purchase rows have no transaction_id, so they could not be checked "
            "for duplicates."
        )
    if per_item and purchases:
        ctx.notes.append(
            "The file has one row per item: each purchase's revenue is counted once, on its "
            "first item row."
        )
    if not columns["event_timestamp"]:
        ctx.notes.append(
            "The file has no event_timestamp: every event is placed at midnight UTC of its "
            "event_date, so the order of events within a day is unknown."
        )
    elif columns["event_date"] and default_rule:
        ctx.notes.append(
            "Days are GA4's event_date (the property's reporting time zone); rows without one "
            "use the UTC date of event_timestamp."
        )
    elif default_rule:
        ctx.notes.append(
            "Event times are UTC and the file has no event_date: days are UTC days. Set the "
            "store's time zone to count days in local time."
        )
    channel_from = None
    if not columns["channel_group"] and columns["medium"]:
        channel_from = columns["medium"][1]
    elif not columns["channel_group"] and not columns["medium"] and columns["source"]:
        channel_from = columns["source"][1]
    if channel_from and channel_from.lower().replace("_", ".").startswith("traffic.source"):
        ctx.notes.append(
            f"Channels come from '{channel_from}', which GA4 sets from the user's first visit, "
            "not from each session."
        )


SPEC = register(
    FormatSpec(
        name="ga4_bigquery_events",
        label="GA4 BigQuery event export",
        kinds=(schema.KIND_EVENTS,),
        detect=detect,
        stage=stage,
        priority=40,
    )
)
