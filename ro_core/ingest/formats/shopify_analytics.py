"""Shopify Analytics report exports (Analytics > Reports > Export as CSV): traffic aggregates.

One module reads every sessions report Shopify exports, because they share one shape: an
optional time column (``Hour``, ``Day``, ``Week`` or ``Month``, dates like ``2024-01-01``, weeks
labelled by their Monday), optional dimension columns, and measure columns:

- sessions and visitors over time (``Sessions``, ``Online store visitors``);
- customer behaviour and checkout conversion (``Sessions with cart additions``, ``Sessions that
  reached checkout``, ``Sessions that completed checkout``); rate columns are derived and not
  stored, only checked against their parts (fractions or ``2.4%``);
- sessions by referrer (``Referrer source`` -> channel, ``Referrer name`` -> referrer), by
  location (``Session region`` -> region, ``Session country`` -> country), by device
  (``Session device type`` / ``Device type``) and by landing page (``Landing page path`` /
  ``Landing page URL``): ``Session city`` is finer than our dimensions and is summed away;
- sessions by social referrer (``Week``, ``Sessions`` only, rows ordered by sessions): stored
  with channel 'social' when the file name says "social" or ``options["channel"]`` names it;
- new vs returning customers (``New or returning customer``, ``Customers``: no dates);
- ``Bounce rate`` (sessions by landing page and other sessions reports): the sessions that did
  not bounce, sessions x (1 - bounce rate) per row rounded to whole sessions, are stored in
  ``engaged_sessions`` (Shopify reports no engaged sessions of its own; ro_core.metrics.engagement
  reads the column as "not bounced" for Shopify). Fractions (0.42) and percentages (42% or, when
  a value is above 1, 42) are read; a rate outside 0-100% is refused.

Comparison layouts (``Month (previous_year)``, ``Sessions (previous_year)``...) also hold the
comparison period's values: they become rows for their own periods. Columns whose name repeats
another's with a trailing space are Shopify's % changes and are ignored.

Report range. Shopify labels a week or month by its first day even when the report's range cuts
it. The range is taken, in order, from ``options["period_start"]``/``options["period_end"]``,
from two dates in the file name (Shopify names exports ``Report - 2025-11-29 - 2025-12-06.csv``)
or from a single year in the file name (``Shopify 2024 - Customer behavior.csv``) when every row
lies in that year; periods are then clipped to it. Reports without dates (new vs returning) are
stored for that range with grain 'total', else for the range of the Shopify traffic already
loaded, else refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ro_core.dates import shift_months
from ro_core.errors import ImportFileError
from ro_core.ingest.base import (
    RAW_TABLE,
    FormatSpec,
    StageContext,
    insert_stage,
    normalise_header_name,
    register,
)
from ro_core.ingest.formats.shopify_report_layout import (
    DIMENSION_COLUMNS,
    NOT_ADDITIVE_OVER_TIME,
    RATE_COLUMNS,
    RATE_TOLERANCE,
    TIME_COLUMNS,
    TOTAL_LABELS,
    ReportColumns,
    ReportRange,
    classify,
    report_range,
)
from ro_core.ingest.sqlfuncs import detect_date_format
from ro_core.store import schema

SOURCE = "shopify"
NOT_SET = "(not set)"


def detect(header: list[str]) -> bool:
    """A Shopify sessions report: first column a time unit or a known dimension, and a measure."""
    if not header:
        return False
    first = normalise_header_name(header[0]).lower()
    if first not in TIME_COLUMNS and first not in DIMENSION_COLUMNS:
        return False
    return bool(classify(header).measures)


# --- SQL helpers ----------------------------------------------------------------------------
def _dimension_sql(column: str, canonical: str) -> str:
    value = f"coalesce(nullif(trim({column}), ''), '{NOT_SET}')"
    return f"lower({value})" if canonical == "customer_type" else value


def _period_sql(grain: str, day: str) -> tuple[str, str]:
    """SQL for (period_start, period_end) of the period labelled by the date `day`."""
    if grain == "week":
        return day, f"({day} + 6)"
    if grain == "month":
        return f"CAST(date_trunc('month', {day}) AS DATE)", f"last_day({day})"
    return day, day


def _date_sql(ctx: StageContext, index: int) -> str:
    """SQL parsing the date column at `index` (format detected once for the whole column)."""
    column = f"c{index}"
    text = (
        f"(CASE WHEN regexp_full_match(trim({column}), '[0-9]{{4}}-[0-9]{{2}}') "
        f"THEN trim({column}) || '-01' ELSE trim({column}) END)"
    )
    fmt = detect_date_format(
        ctx.cur,
        RAW_TABLE,
        text,
        file_name=ctx.file_name,
        column_label=normalise_header_name(ctx.part.header[index]),
        date_order=ctx.options.get("date_order"),
    )
    return f"CAST(strptime(trim({text}), '{fmt}') AS DATE)"


def _header_name(ctx: StageContext, index: int) -> str:
    return normalise_header_name(ctx.part.header[index])


# --- staging --------------------------------------------------------------------------------
def _drop_totals_rows(ctx: StageContext, report: ReportColumns) -> None:
    labels = ", ".join(f"'{label}'" for label in TOTAL_LABELS)
    first_label = f"lower(trim(coalesce(c0, ''))) IN ({labels})"
    if report.time is not None:
        condition = f"({first_label} OR ro_blank(c{report.time}))"
        if report.comparison_time is not None:
            # A comparison row may extend past the current rows: keep it if it has a date.
            both_blank = f"ro_blank(c{report.time}) AND ro_blank(c{report.comparison_time})"
            condition = f"({first_label} OR ({both_blank}))"
    else:
        dims = [i for i, _ in report.dimensions] + report.summed_away
        all_blank = " AND ".join(f"ro_blank(c{i})" for i in dims) or "false"
        edge = (
            f"line_no IN ((SELECT min(line_no) FROM {RAW_TABLE}), "
            f"(SELECT max(line_no) FROM {RAW_TABLE}))"
        )
        condition = f"({first_label} OR (({all_blank}) AND {edge}))"
    count, lines = ctx.cur.execute(
        f"SELECT count(*), list(line_no ORDER BY line_no) FROM {RAW_TABLE} WHERE {condition}"
    ).fetchone()
    if count:
        ctx.cur.execute(f"DELETE FROM {ctx.writable_raw()} WHERE {condition}")
        where = ", ".join(str(n) for n in (lines or [])[:5])
        ctx.notes.append(
            f"Left out {count} totals row{'s' if count > 1 else ''} (line {where}): "
            "Shopify's sum of the other rows, not a period of its own."
        )


def _check_numbers(ctx: StageContext, indexes: list[int]) -> None:
    for index in indexes:
        column = f"c{index}"
        ctx.fail_where(
            f"NOT ro_blank({column}) AND ro_number({column}) IS NULL",
            f"'{_header_name(ctx, index)}' is not a number.",
            _header_name(ctx, index),
        )


def _sort_unknown_columns(ctx: StageContext, report: ReportColumns) -> None:
    """Unknown number columns are measures we do not store; unknown text columns are summed away."""
    for index in report.unknown:
        column = f"c{index}"
        text_values = ctx.cur.execute(
            f"SELECT count(*) FROM {RAW_TABLE} WHERE NOT ro_blank({column}) "
            f"AND ro_number({column}) IS NULL"
        ).fetchone()[0]
        if text_values:
            report.summed_away.append(index)
            ctx.warn(
                f"the column '{_header_name(ctx, index)}' is a breakdown we do not store: "
                "its rows were added up (a visitor seen in several of its rows counts more "
                "than once)."
            )
        else:
            report.ignored.append(index)
            ctx.notes.append(f"Column '{_header_name(ctx, index)}' is not stored.")


def _check_rates(ctx: StageContext, report: ReportColumns) -> None:
    """Warn when a rate column disagrees with its parts (a sign of swapped or shifted columns)."""
    for index, name in report.rates:
        numerator, denominator = RATE_COLUMNS[name]
        if numerator not in report.measures or denominator not in report.measures:
            ctx.notes.append(f"Column '{_header_name(ctx, index)}' is a rate: not stored.")
            continue
        num = f"ro_number(c{report.measures[numerator]})"
        den = f"ro_number(c{report.measures[denominator]})"
        rate = f"ro_percent(c{index})"
        bad, first = ctx.cur.execute(
            f"""SELECT count(*), min(line_no) FROM {RAW_TABLE}
            WHERE {den} > 0 AND {rate} IS NOT NULL
              AND abs({rate} - {num} / {den}) > ?
              AND abs({rate} / 100 - {num} / {den}) > ?""",
            [RATE_TOLERANCE, RATE_TOLERANCE],
        ).fetchone()
        if bad:
            ctx.warn(
                f"'{_header_name(ctx, index)}' does not match the counts beside it on {bad} rows "
                f"(first on line {first}); check that the columns are the report's own."
            )
        else:
            ctx.notes.append(
                f"Column '{_header_name(ctx, index)}' is derived from the counts: "
                "checked, not stored."
            )


def _not_bounced_sql(ctx: StageContext, report: ReportColumns) -> str:
    """', sum(...) AS engaged_sessions' for a bounce rate column beside sessions, else ''."""
    if report.bounce is None:
        return ""
    index = report.bounce
    if "sessions" not in report.measures:
        ctx.notes.append(
            f"Column '{_header_name(ctx, index)}' is a rate without sessions beside it: not stored."
        )
        return ""
    column = f"c{index}"
    ctx.fail_where(
        f"NOT ro_blank({column}) AND ro_percent({column}) IS NULL",
        f"'{_header_name(ctx, index)}' is not a rate.",
        _header_name(ctx, index),
    )
    # A bare number above 1 anywhere in the column means the column is in percent.
    percent = ctx.cur.execute(
        f"SELECT coalesce(max(ro_percent({column})) FILTER (WHERE NOT contains({column}, '%')), 0)"
        f" > 1 FROM {RAW_TABLE} WHERE NOT ro_blank({column})"
    ).fetchone()[0]
    rate = f"(ro_percent({column}) / 100)" if percent else f"ro_percent({column})"
    rate = f"(CASE WHEN contains({column}, '%') THEN ro_percent({column}) ELSE {rate} END)"
    ctx.fail_where(
        f"NOT ro_blank({column}) AND ({rate} < 0 OR {rate} > 1)",
        f"'{_header_name(ctx, index)}' is not a rate between 0 and 100%.",
        _header_name(ctx, index),
    )
    sessions = f"ro_number(c{report.measures['sessions']})"
    ctx.notes.append(
        f"Column '{_header_name(ctx, index)}' is stored as the sessions that did not bounce "
        "(sessions x (1 - bounce rate))."
    )
    return f", sum(round({sessions} * (1 - {rate}))) AS engaged_sessions"


def _existing_shopify_range(ctx: StageContext) -> tuple[date | None, date | None]:
    row = ctx.cur.execute(
        f"SELECT min(period_start), max(period_end) FROM {schema.TRAFFIC} "
        "WHERE traffic_source = ? AND grain <> 'total'",
        [SOURCE],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _total_period(ctx: StageContext, rng: ReportRange) -> tuple[date, date, str]:
    """The period of a report without dates: given, from the file name, or from loaded traffic.

    A year in the file name narrows the loaded traffic's range to that year.
    """
    if rng.start and rng.end and rng.origin in ("options", "file name"):
        return rng.start, rng.end, rng.origin
    first, last = _existing_shopify_range(ctx)
    if first and last:
        if rng.origin == "file name year" and rng.start and rng.end:
            start, end = max(first, rng.start), min(last, rng.end)
            if start <= end:
                return start, end, "the file name's year within the Shopify traffic loaded"
        return first, last, "the range of the Shopify traffic loaded"
    raise ImportFileError(
        "this report has no dates, so we cannot tell which period its numbers belong to.",
        file_name=ctx.file_name,
        line=ctx.part.header_line,
        hint=(
            "Import a Shopify sessions report for the same dates first, or give the report's "
            "first and last day (import options period_start and period_end)."
        ),
    )


def _fixed_channel(ctx: StageContext, report: ReportColumns) -> tuple[str, str] | None:
    """(channel, where it came from) for a breakdown whose dimension column Shopify leaves out
    (the social referrer report), or None."""
    if any(canonical == "channel" for _, canonical in report.dimensions):
        return None
    given = str(ctx.options.get("channel") or "").strip()
    if given:
        return given, "the import options"
    if "social" in ctx.file_name.lower():
        return "social", "the file name"
    return None


def _check_date_order(ctx: StageContext, day_sql: str) -> None:
    """A dimension-less report out of date order is a breakdown report (sorted by sessions)."""
    back, first = ctx.cur.execute(
        f"""SELECT count(*), min(line_no) FROM (
            SELECT line_no, {day_sql} < lag({day_sql}) OVER (ORDER BY line_no) AS went_back
            FROM {RAW_TABLE}) WHERE went_back"""
    ).fetchone()
    if back:
        raise ImportFileError(
            "the rows are not in date order, which is how Shopify lists a breakdown report "
            "(such as 'Sessions by social referrer') rather than the store's own totals, and the "
            "file does not say which segment the sessions belong to.",
            file_name=ctx.file_name,
            line=int(first),
            hint=(
                "Keep 'social' in the file name for the social referrer report, or name the "
                "channel with the import option channel=..."
            ),
        )


def stage(ctx: StageContext) -> None:
    """Stage traffic rows (one per period and segment) from a Shopify Analytics report."""
    if ctx.part.preamble:
        # GA4 downloads start with '#' lines; Shopify exports never do. Same header words.
        from ro_core.ingest.formats import ga4_reports

        ctx.notes.append("Read as a Google Analytics 4 report (it starts with GA4's '#' lines).")
        ga4_reports.stage(ctx)
        return
    report = classify(ctx.part.header)
    if not report.measures and not report.comparison_measures:
        raise ImportFileError(
            "this report has no column we store (sessions, visitors, checkout steps, customers).",
            file_name=ctx.file_name,
            line=ctx.part.header_line,
            hint="Export a sessions, customer behaviour or conversion report.",
        )
    if not ctx.cur.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]:
        return
    _drop_totals_rows(ctx, report)
    _sort_unknown_columns(ctx, report)
    _check_numbers(ctx, [*report.measures.values(), *report.comparison_measures.values()])
    _check_rates(ctx, report)

    measures = dict(report.measures)
    comparison_measures = dict(report.comparison_measures)
    if report.time_name == "hour":
        dropped = [m for m in NOT_ADDITIVE_OVER_TIME if m in measures]
        for name in dropped:
            measures.pop(name)
            comparison_measures.pop(name, None)
        if dropped:
            ctx.notes.append(
                f"Hourly rows were added up into days; {', '.join(dropped)} cannot be added "
                "across hours and were left out (export the report by day to keep them)."
            )
    if report.summed_away:
        names = ", ".join(f"'{_header_name(ctx, i)}'" for i in report.summed_away)
        ctx.notes.append(
            f"Rows were added up over {names}"
            + (
                "; a visitor seen in two of those rows counts twice in visitors."
                if "visitors" in measures
                else "."
            )
        )

    not_bounced_sql = _not_bounced_sql(ctx, report)
    fixed_channel = _fixed_channel(ctx, report)
    dimension_sql = [_dimension_sql(f"c{i}", canonical) for i, canonical in report.dimensions]
    dimension_names = [canonical for _, canonical in report.dimensions]
    params_dims: list[Any] = []
    if fixed_channel is not None:
        channel, origin = fixed_channel
        dimension_sql.append("CAST(? AS VARCHAR)")
        dimension_names.append("channel")
        params_dims.append(channel)
        ctx.notes.append(f"Sessions stored for the channel '{channel}' (from {origin}).")
    dimensions_label = ",".join(sorted(dimension_names))
    select_dims = "".join(
        f", {sql} AS {name}" for sql, name in zip(dimension_sql, dimension_names, strict=True)
    )
    group_dims = "".join(f", {name}" for name in dimension_names)

    rng = report_range(ctx.file_name, ctx.options)
    grain = report.grain
    staged_sql: list[str] = []
    staged_params: list[Any] = []

    if report.time is None:
        start, end, origin = _total_period(ctx, rng)
        ctx.notes.append(
            f"The report has no dates: its numbers are stored for {start} to {end} ({origin})."
        )
        measure_sql = "".join(f", sum(ro_number(c{i})) AS {m}" for m, i in measures.items())
        measure_sql += not_bounced_sql
        staged_sql.append(
            f"""SELECT CAST(? AS DATE) AS period_start, CAST(? AS DATE) AS period_end, 0 AS rank,
                count(*) AS row_count, min(line_no) AS first_line{select_dims}{measure_sql}
            FROM {RAW_TABLE} GROUP BY ALL"""
        )
        staged_params += [start, end, *params_dims]
    else:
        day_sql = _date_sql(ctx, report.time)
        if not dimension_names:
            _check_date_order(ctx, day_sql)
        start_sql, end_sql = _period_sql(grain, day_sql)
        clip_start, clip_end = _clip_range(ctx, rng, report.time, start_sql, end_sql)
        measure_sql = "".join(f", sum(ro_number(c{i})) AS {m}" for m, i in measures.items())
        measure_sql += not_bounced_sql
        staged_sql.append(
            f"""SELECT greatest({start_sql}, CAST(? AS DATE)) AS period_start,
                least({end_sql}, CAST(? AS DATE)) AS period_end, 0 AS rank,
                count(*) AS row_count, min(line_no) AS first_line{select_dims}{measure_sql}
            FROM {RAW_TABLE} WHERE NOT ro_blank(c{report.time}) GROUP BY ALL"""
        )
        staged_params += [clip_start, clip_end, *params_dims]
        if report.comparison_time is not None and comparison_measures:
            previous_day = _date_sql(ctx, report.comparison_time)
            p_start, p_end = _period_sql(grain, previous_day)
            # The previous year's range is the report's range a year earlier.
            prev_clip: tuple[date | None, date | None] = (None, None)
            if report.comparison_kind == "previous_year":
                prev_clip = (
                    None if clip_start is None else shift_months(clip_start, -12),
                    None if clip_end is None else shift_months(clip_end, -12),
                )
            comparison_sql = "".join(
                f", sum(ro_number(c{i})) AS {m}" for m, i in comparison_measures.items()
            )
            staged_sql.append(
                f"""SELECT greatest({p_start}, CAST(? AS DATE)) AS period_start,
                    least({p_end}, CAST(? AS DATE)) AS period_end, 1 AS rank,
                    count(*) AS row_count, min(line_no) AS first_line{select_dims}{comparison_sql}
                FROM {RAW_TABLE} WHERE NOT ro_blank(c{report.comparison_time}) GROUP BY ALL"""
            )
            staged_params += [*prev_clip, *params_dims]
            ctx.notes.append(
                f"The {report.comparison_kind.replace('_', ' ')} columns were loaded as rows for "
                "their own periods; the % change columns were ignored."
            )

    ctx.cur.execute(
        "CREATE OR REPLACE TEMP TABLE shopify_traffic AS "
        + " UNION ALL BY NAME ".join(f"({sql})" for sql in staged_sql),
        staged_params,
    )
    aggregated = report.summed_away or report.time_name == "hour"
    if not aggregated:
        dupes, line = ctx.cur.execute(
            "SELECT count(*), min(first_line) FROM temp.shopify_traffic WHERE row_count > 1"
        ).fetchone()
        if dupes:
            raise ImportFileError(
                f"{dupes} periods appear on more than one row for the same segment.",
                file_name=ctx.file_name,
                line=int(line),
                hint="Export the report again; each period should appear once.",
            )
    stored = {*measures, *comparison_measures, *(["engaged_sessions"] if not_bounced_sql else [])}
    measure_list = "".join(f", {m}" for m in schema.TRAFFIC_MEASURES if m in stored)
    insert_stage(
        ctx,
        schema.KIND_TRAFFIC,
        f"""SELECT CAST(? AS VARCHAR) AS traffic_source, CAST(? AS VARCHAR) AS grain,
            period_start, period_end, CAST(? AS VARCHAR) AS dimensions{group_dims}{measure_list}
        FROM temp.shopify_traffic
        QUALIFY row_number() OVER (
            PARTITION BY period_start, period_end{group_dims} ORDER BY rank) = 1""",
        [SOURCE, grain, dimensions_label],
    )
    overlap = ctx.cur.execute(
        "SELECT count(*) FROM temp.shopify_traffic p WHERE p.rank = 1 AND EXISTS (SELECT 1 FROM "
        "temp.shopify_traffic c WHERE c.rank = 0 AND c.period_start = p.period_start "
        "AND c.period_end = p.period_end)"
    ).fetchone()[0]
    if overlap:
        ctx.notes.append(
            f"{overlap} comparison periods are also current periods: the current values were kept."
        )
    ctx.cur.execute("DROP TABLE IF EXISTS temp.shopify_traffic")


def _clip_range(
    ctx: StageContext, rng: ReportRange, time_index: int, start_sql: str, end_sql: str
) -> tuple[date | None, date | None]:
    """The range periods are clipped to, after checking that every period overlaps it."""
    if rng.start is None and rng.end is None:
        return None, None
    outside, first, first_day, last_day = ctx.cur.execute(
        f"""SELECT count(*) FILTER (WHERE ({end_sql}) < coalesce(CAST(? AS DATE), ({end_sql}))
                                   OR ({start_sql}) > coalesce(CAST(? AS DATE), ({start_sql}))),
                   min(line_no) FILTER (WHERE ({end_sql}) < coalesce(CAST(? AS DATE), ({end_sql}))
                                   OR ({start_sql}) > coalesce(CAST(? AS DATE), ({start_sql}))),
                   min({start_sql}), max({end_sql})
        FROM {RAW_TABLE} WHERE NOT ro_blank(c{time_index})""",
        [rng.start, rng.end, rng.start, rng.end],
    ).fetchone()
    if outside:
        if rng.origin == "options":
            raise ImportFileError(
                f"{outside} rows lie outside the period {rng.start} to {rng.end} you gave.",
                file_name=ctx.file_name,
                line=int(first),
                hint="Check the period, or import without one.",
            )
        ctx.notes.append(
            f"The dates in the file name ({rng.start} to {rng.end}) do not match the rows, "
            "so they were not used; the first and last periods may be partial."
        )
        return None, None
    cut = (rng.start is not None and first_day is not None and first_day < rng.start) or (
        rng.end is not None and last_day is not None and last_day > rng.end
    )
    if cut:
        ctx.notes.append(
            f"The report covers {rng.start} to {rng.end} ({rng.origin}): periods cut by it "
            "were stored for the days inside it."
        )
    return rng.start, rng.end


SPEC = register(
    FormatSpec(
        name="shopify_analytics",
        label="Shopify Analytics report",
        kinds=(schema.KIND_TRAFFIC,),
        detect=detect,
        stage=stage,
        priority=30,
    )
)
