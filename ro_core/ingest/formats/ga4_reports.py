"""Google Analytics 4 report downloads (Reports > Share this report > Download CSV): traffic.

A download starts with ``#`` comment lines (report name, account, ``Start date: 20240101``,
``End date: 20241231``) and may stack several tables, each after a blank line and its own ``#``
block (``ro_core.ingest.layout`` splits them; each table is staged here on its own and merged
into one row per period and segment).

Each table is read as time dimension x segment dimensions x measures:

- time: ``Date`` / ``Day`` (YYYYMMDD) -> day; ``Nth day``; ``Week`` (GA4's week of the year,
  01-53, weeks start on Sunday and 1 January is always in week 01; a table that has a week 00
  numbers weeks like strftime's %U) with the year of the report's dates -> week; ``Nth week``
  (0-based weeks from the start date) -> week; ``Month`` (01-12 or YYYYMM) and ``Nth month`` ->
  month. Periods are clipped to the report's start and end dates. No time column -> grain
  'total' for the report's whole range.
- segments: session channel group -> channel, first-user channel group -> first_user_channel,
  session (manual) source -> referrer, device category -> device, country, region, landing page
  -> landing_page, new / established -> customer_type.
- measures: Sessions, Total users (else Active users) -> visitors, New users, Engaged
  sessions, Transactions / Ecommerce purchases (else Key events) -> orders, Purchase revenue
  (else Total revenue) -> revenue, Add to carts -> cart_sessions, Checkouts ->
  checkout_sessions. Averages and rates are derived and not stored.

Tables whose segment we do not store (campaigns, cohorts, search queries) or that have no measure
we store (Search Console impressions) are skipped with a note naming the table; their rows count
as skipped. A file where no table maps is refused.
"""

from __future__ import annotations

from datetime import date

from ro_core.errors import ImportFileError
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    SkippedRows,
    StageContext,
    normalise_header_name,
    register,
    stage_table,
)
from ro_core.ingest.formats.ga4_report_layout import (
    TOTAL_LABELS,
    TableColumns,
    classify,
    detect,
    report_dates,
)
from ro_core.store import schema

SOURCE = "ga4"
NOT_SET = "(not set)"
PART_TABLE = "temp.ga4_part"


# --- staging --------------------------------------------------------------------------------
def _describe(ctx: StageContext) -> str:
    columns = ", ".join(normalise_header_name(h) for h in ctx.part.header[:3])
    more = ", ..." if len(ctx.part.header) > 3 else ""
    return f"the table at line {ctx.part.header_line} ({columns}{more})"


def _skip_table(ctx: StageContext, reason: str) -> None:
    rows = ctx.cur.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    text = f"{_describe(ctx)} was skipped: {reason}"
    ctx.notes.append(text[0].upper() + text[1:] + ".")
    if rows:
        ctx.skipped.append(SkippedRows(text, int(rows), [ctx.part.header_line]))


def _name(ctx: StageContext, index: int) -> str:
    return normalise_header_name(ctx.part.header[index])


def _drop_totals_rows(ctx: StageContext, table: TableColumns) -> None:
    labels = ", ".join(f"'{label}'" for label in TOTAL_LABELS)
    keyed = [*table.time.values(), *(i for i, _ in table.dimensions)]
    condition = f"lower(trim(coalesce(c0, ''))) IN ({labels})"
    if keyed:
        condition += " OR (" + " AND ".join(f"ro_blank(c{i})" for i in keyed) + ")"
    count, first = ctx.cur.execute(
        f"SELECT count(*), min(line_no) FROM {RAW_TABLE} WHERE {condition}"
    ).fetchone()
    if count:
        ctx.cur.execute(f"DELETE FROM {ctx.writable_raw()} WHERE {condition}")
        ctx.notes.append(
            f"Left out {count} totals row{'s' if count > 1 else ''} (line {first}) of "
            f"{_describe(ctx)}: GA4's sum of the other rows."
        )


def _integer_sql(column: str) -> str:
    return f"TRY_CAST(trim({column}) AS INTEGER)"


def _day_sql(column: str) -> str:
    """A YYYYMMDD (or YYYY-MM-DD) text column as a DATE; NULL when it is neither."""
    return (
        f"CAST(coalesce(try_strptime(trim({column}), '%Y%m%d'), "
        f"try_strptime(trim({column}), '%Y-%m-%d')) AS DATE)"
    )


def _fail_unless(ctx: StageContext, index: int, valid_sql: str, expected: str) -> None:
    """ImportFileError naming the first row whose time value is not what the column holds."""
    column = f"c{index}"
    ctx.fail_where(
        f"NOT ro_blank({column}) AND NOT coalesce({valid_sql}, false)",
        f"'{_name(ctx, index)}' should be {expected}, like the rest of the column.",
        _name(ctx, index),
    )


BOUNDS_TABLE = "temp.ga4_bounds"  # one row: rs, re = the report's start and end dates


def _periods(ctx: StageContext, table: TableColumns, start: date | None, end: date | None) -> str:
    """SQL selecting (line_no, period_start, period_end) for every raw row, clipped to the
    report's dates (kept in BOUNDS_TABLE)."""
    ctx.cur.execute(
        "CREATE OR REPLACE TEMP TABLE ga4_bounds AS "
        "SELECT CAST(? AS DATE) AS rs, CAST(? AS DATE) AS re",
        [start, end],
    )
    kind = table.time_kind
    source = f"FROM {RAW_TABLE} r, {BOUNDS_TABLE} b"
    if kind is None:
        return f"SELECT r.line_no, b.rs AS period_start, b.re AS period_end {source}"
    index = table.time[kind]
    number, raw_number = _integer_sql(f"r.c{index}"), _integer_sql(f"c{index}")

    def clipped(start_sql: str, end_sql: str) -> str:
        return (
            f"SELECT r.line_no, greatest({start_sql}, b.rs) AS period_start, "
            f"least({end_sql}, b.re) AS period_end {source}"
        )

    if kind == "date":
        _fail_unless(ctx, index, f"{_day_sql(f'c{index}')} IS NOT NULL", "a date like 20240131")
        day = _day_sql(f"r.c{index}")
        return f"SELECT r.line_no, {day} AS period_start, {day} AS period_end {source}"
    if start is None or end is None:
        raise ImportFileError(
            f"'{_name(ctx, index)}' counts from the report's dates, which the file does not give.",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint="Download the report again with its '#' header lines, or give its dates "
            "(import options period_start and period_end).",
        )
    if kind in ("nth_day", "nth_week", "nth_month"):
        _fail_unless(ctx, index, f"{raw_number} >= 0", "a whole number")
    if kind == "nth_day":
        return clipped(f"(b.rs + {number})", f"(b.rs + {number})")
    if kind == "nth_week":
        return clipped(f"(b.rs + 7 * {number})", f"(b.rs + 7 * {number} + 6)")
    if kind == "nth_month":
        month = f"CAST(date_trunc('month', b.rs) + to_months({number}) AS DATE)"
        return clipped(month, f"last_day({month})")
    return _calendar_periods(ctx, table, kind, start, end)


def _calendar_periods(
    ctx: StageContext, table: TableColumns, kind: str, start: date, end: date
) -> str:
    """Week-of-year or month-of-year numbers: find the one year (of the report's) they fit."""
    index = table.time[kind]
    raw_number = _integer_sql(f"c{index}")
    number = _integer_sql(f"r.c{index}")
    year_index = table.time.get("year")
    year_filter = f"AND y = {_integer_sql(f'r.c{year_index}')}" if year_index is not None else ""
    if kind == "month":
        six_digits = ctx.cur.execute(
            f"SELECT count(*) FROM {RAW_TABLE} WHERE length(trim(c{index})) = 6"
        ).fetchone()[0]
        if six_digits:  # YYYYMM
            _fail_unless(
                ctx, index, f"regexp_full_match(trim(c{index}), '[0-9]{{6}}')", "like 202401"
            )
            month = f"CAST(strptime(trim(r.c{index}) || '01', '%Y%m%d') AS DATE)"
            return (
                f"SELECT r.line_no, greatest({month}, b.rs) AS period_start, "
                f"least(last_day({month}), b.re) AS period_end "
                f"FROM {RAW_TABLE} r, {BOUNDS_TABLE} b"
            )
        _fail_unless(ctx, index, f"{raw_number} BETWEEN 1 AND 12", "a month number 01-12")
        first = f"make_date(y, {number}, 1)"
        period_start, period_end = first, f"last_day({first})"
    else:
        _fail_unless(ctx, index, f"{raw_number} BETWEEN 0 AND 53", "a week number 01-53")
        zero_based = ctx.cur.execute(
            f"SELECT count(*) FROM {RAW_TABLE} WHERE {raw_number} = 0"
        ).fetchone()[0]
        jan1 = "make_date(y, 1, 1)"
        dow = f"CAST(dayofweek({jan1}) AS INTEGER)"
        # GA4: 1 January is in week 01 and weeks start on Sunday. With a week 00 (strftime %U),
        # week 01 starts on the year's first Sunday.
        base = f"({jan1} + (7 - {dow}) % 7)" if zero_based else f"({jan1} - {dow})"
        week_start = f"({base} + 7 * ({number} - 1))"
        period_start = f"greatest({week_start}, {jan1})"
        period_end = f"least({week_start} + 6, make_date(y, 12, 31))"
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE ga4_calendar AS
        SELECT r.line_no,
               greatest({period_start}, b.rs) AS period_start,
               least({period_end}, b.re) AS period_end
        FROM {RAW_TABLE} r, {BOUNDS_TABLE} b,
             (SELECT unnest(range(?, ? + 1)) AS y) years
        WHERE greatest({period_start}, b.rs) <= least({period_end}, b.re) {year_filter}""",
        [start.year, end.year],
    )
    missing, first_missing = ctx.cur.execute(
        f"SELECT count(*), min(line_no) FROM {RAW_TABLE} "
        "WHERE line_no NOT IN (SELECT line_no FROM temp.ga4_calendar)"
    ).fetchone()
    if missing:
        raise ImportFileError(
            f"{missing} rows have a {kind} outside the report's dates ({start} to {end}).",
            file_name=ctx.file_name,
            line=int(first_missing),
            column=_name(ctx, index),
        )
    ambiguous = ctx.cur.execute(
        "SELECT min(line_no) FROM (SELECT line_no FROM temp.ga4_calendar "
        "GROUP BY line_no HAVING count(*) > 1)"
    ).fetchone()[0]
    if ambiguous is not None:
        raise ImportFileError(
            f"the report spans more than a year, so its {kind} numbers do not say which year "
            "they belong to.",
            file_name=ctx.file_name,
            line=int(ambiguous),
            column=_name(ctx, index),
            hint="Download the report with the Date or 'Nth week' dimension, or a year at a time.",
        )
    return "SELECT line_no, period_start, period_end FROM temp.ga4_calendar"


def _check_measures(ctx: StageContext, table: TableColumns) -> None:
    for index in table.measures.values():
        column = f"c{index}"
        ctx.fail_where(
            f"NOT ro_blank({column}) AND {_measure_sql(column)} IS NULL",
            f"'{_name(ctx, index)}' is not a number.",
            _name(ctx, index),
        )


# Text DuckDB reads as a float but that is no count: 1e308, inf, NaN. ro_number refuses them
# (out of range or not finite); the money fallback must not read "1e308" as 1308.
_FLOAT_WORDS = r"^[+-]?([0-9.]+[eE][+-]?[0-9]+|inf|infinity|nan)$"


def _measure_sql(column: str) -> str:
    return (
        f"coalesce(ro_number({column}), CASE WHEN NOT regexp_matches(trim({column}), "
        f"'{_FLOAT_WORDS}', 'i') THEN CAST(ro_money({column}, false) AS DOUBLE) END)"
    )


def _dimension_sql(column: str, canonical: str) -> str:
    value = f"coalesce(nullif(trim({column}), ''), '{NOT_SET}')"
    if canonical == "customer_type":
        return f"replace(lower({value}), 'established', 'returning')"
    return value


def _merge_into_stage(ctx: StageContext) -> None:
    """Add this table's rows to stage_traffic: one row per key, earlier tables win per field."""
    stage = stage_table(schema.KIND_TRAFFIC)
    keys = ", ".join(schema.RESOLUTION_KEY[schema.KIND_TRAFFIC])
    measures = schema.TRAFFIC_MEASURES
    match = " AND ".join(
        f"s.{k} IS NOT DISTINCT FROM p.{k}" for k in schema.RESOLUTION_KEY[schema.KIND_TRAFFIC]
    )
    differs = " OR ".join(
        f"(s.{m} IS NOT NULL AND p.{m} IS NOT NULL AND s.{m} <> p.{m})" for m in measures
    )
    conflicts = ctx.cur.execute(
        f"SELECT count(*) FROM {stage} s JOIN {PART_TABLE} p ON {match} WHERE {differs}"
    ).fetchone()[0]
    if conflicts:
        ctx.warn(
            f"{conflicts} rows of {_describe(ctx)} repeat a number an earlier table of the file "
            "gives differently; the earlier table's number was kept."
        )
    merged = ", ".join(
        f"arg_min({m}, table_order) FILTER (WHERE {m} IS NOT NULL) AS {m}" for m in measures
    )
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE ga4_merged AS
        SELECT {keys}, any_value(dimensions) AS dimensions, {merged}
        FROM (SELECT *, 0 AS table_order FROM {stage}
              UNION ALL BY NAME SELECT *, 1 AS table_order FROM {PART_TABLE})
        GROUP BY {keys}"""
    )
    ctx.cur.execute(f"DELETE FROM {stage}")
    ctx.cur.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM temp.ga4_merged")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_merged")


def _measure_notes(ctx: StageContext, table: TableColumns) -> None:
    names = {canonical: _name(ctx, index) for canonical, index in table.measures.items()}
    if names.get("orders", "").lower() in ("key events", "conversions"):
        ctx.notes.append(
            f"'{names['orders']}' of {_describe(ctx)} were stored as orders (no Transactions "
            "column); key events can include more than purchases."
        )
    for canonical in ("cart_sessions", "checkout_sessions"):
        if canonical in names:
            ctx.notes.append(
                f"'{names[canonical]}' counts events, not sessions: stored as "
                f"{canonical.replace('_', ' ')}, a session that repeats the step counts again."
            )
    if "visitors" in names and (table.grain != "total" or table.dimensions):
        ctx.notes.append(
            f"GA4 counts '{names['visitors']}' per row of {_describe(ctx)}: adding rows (weeks "
            "or channels) counts a person seen in several rows more than once; use a report "
            "without that breakdown for the period's users."
        )
    if table.ignored_metrics:
        ignored = ", ".join(f"'{_name(ctx, i)}'" for i in table.ignored_metrics)
        ctx.notes.append(f"Not stored from {_describe(ctx)}: {ignored}.")


def stage(ctx: StageContext) -> None:
    """Stage one table of a GA4 report download into traffic rows (merged per period/segment)."""
    table = classify(ctx.part.header)
    if table.unknown_dimensions:
        names = ", ".join(f"'{_name(ctx, i)}'" for i in table.unknown_dimensions)
        _skip_table(ctx, f"we do not store breakdowns by {names}")
        return
    if table.repeated_dimensions:
        names = ", ".join(f"'{_name(ctx, i)}'" for i in table.repeated_dimensions)
        _skip_table(ctx, f"{names} repeats a breakdown another column of the table gives")
        return
    if not table.measures:
        metrics = ", ".join(f"'{_name(ctx, i)}'" for i in table.ignored_metrics) or "none"
        _skip_table(ctx, f"it has no measure we store (it has {metrics})")
        return
    if "date" in table.time:
        column = f"c{table.time['date']}"
        short = ctx.cur.execute(
            f"SELECT count(*) FROM {RAW_TABLE} WHERE NOT ro_blank({column}) "
            f"AND length(trim({column})) <= 2"
        ).fetchone()[0]
        if short:
            _skip_table(ctx, "its day numbers (01-31) do not say which month they belong to")
            return
    if not ctx.cur.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]:
        return
    _drop_totals_rows(ctx, table)
    _check_measures(ctx, table)
    start, end = report_dates(ctx)
    if table.grain == "total" and (start is None or end is None):
        raise ImportFileError(
            "this table has no dates and the file does not say which period it covers.",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint="Download the report again with its '#' header lines (Start date, End date).",
        )
    periods_sql = _periods(ctx, table, start, end)
    dimension_names = [canonical for _, canonical in table.dimensions]
    select_dims = "".join(
        f", {_dimension_sql(f'r.c{i}', canonical)} AS {canonical}"
        for i, canonical in table.dimensions
    )
    group_dims = "".join(f", {name}" for name in dimension_names)
    select_measures = "".join(
        f", {_measure_sql(f'r.c{i}')} AS {m}" for m, i in table.measures.items()
    )
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE ga4_rows AS
        SELECT r.line_no, p.period_start, p.period_end{select_dims}{select_measures}
        FROM {RAW_TABLE} r JOIN ({periods_sql}) p ON p.line_no = r.line_no"""
    )
    dupes, line = ctx.cur.execute(
        f"""SELECT count(*), min(second_line) FROM (
            SELECT max(line_no) AS second_line FROM temp.ga4_rows
            GROUP BY period_start, period_end{group_dims} HAVING count(*) > 1)"""
    ).fetchone()
    if dupes:
        raise ImportFileError(
            f"{dupes} periods appear on more than one row for the same segment in "
            f"{_describe(ctx)}.",
            file_name=ctx.file_name,
            line=int(line),
            hint="Download the report again; each period and segment should appear once.",
        )
    measure_list = "".join(f", {m}" for m in schema.TRAFFIC_MEASURES if m in table.measures)
    ctx.cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE ga4_part AS
        SELECT CAST(? AS VARCHAR) AS traffic_source, CAST(? AS VARCHAR) AS grain,
               period_start, period_end, CAST(? AS VARCHAR) AS dimensions{group_dims}{measure_list}
        FROM temp.ga4_rows""",
        [SOURCE, table.grain, ",".join(sorted(dimension_names))],
    )
    # Give the part every canonical column so the merge can UNION it with the stage table.
    for name, sql_type in schema.TRAFFIC_COLUMNS:
        if name not in ("traffic_source", "grain", "period_start", "period_end", "dimensions") and (
            name not in dimension_names and name not in table.measures
        ):
            ctx.cur.execute(
                f"ALTER TABLE {PART_TABLE} ADD COLUMN {name} {sql_type.replace(' NOT NULL', '')}"
            )
    _merge_into_stage(ctx)
    rows = ctx.cur.execute(f"SELECT count(*) FROM {PART_TABLE}").fetchone()[0]
    span = f"{start} to {end}" if start and end else "the dates in the table"
    by = " by " + ", ".join(dimension_names) if dimension_names else " for the store"
    ctx.notes.append(f"Loaded {_describe(ctx)}: {rows:,} {table.grain} rows{by} ({span}).")
    _measure_notes(ctx, table)
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_rows")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_part")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_calendar")
    ctx.cur.execute("DROP TABLE IF EXISTS temp.ga4_bounds")


SPEC = register(
    FormatSpec(
        name="ga4_reports",
        label="Google Analytics 4 report",
        kinds=(schema.KIND_TRAFFIC,),
        detect=detect,
        stage=stage,
        priority=20,
    )
)
