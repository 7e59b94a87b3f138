"""Reading a text column as a typed value, shared by the importers that are not pinned to one
export's formats (mapped files, WooCommerce): a date/time column's format decided once per
column, money with its decimal convention decided once, whole numbers, yes/no flags and the
customer type, each failing with the line, column and value of the first cell it cannot read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ro_core.errors import ImportFileError
from ro_core.ingest.base import RAW_TABLE, StageContext
from ro_core.ingest.sqlfuncs import DATE_FORMATS, detect_date_format, detect_decimal_comma

# Cell values read as yes in a flag column.
TRUE_WORDS = ("true", "yes", "y", "1", "t", "x", "cancelled", "canceled")


@dataclass(frozen=True)
class TimeColumn:
    """SQL expressions for one date/time column, parsed with its pinned format."""

    format: str
    created_at: str  # TIMESTAMPTZ
    utc_offset_minutes: str  # INTEGER (NULL when the values carry no offset)
    local_date: str  # DATE as written


def time_column(ctx: StageContext, column: str, label: str) -> TimeColumn:
    """Detect a date column's one format (ImportFileError if none or ambiguous) and return SQL.

    `column` is a generated identifier (c0, c1...). A trailing 'Z' (UTC) is read as +00:00.
    """
    date_order = ctx.options.get("date_order")
    if date_order not in (None, "mdy", "dmy"):
        raise ImportFileError(
            f"date order '{date_order}' is not one we know.",
            file_name=ctx.file_name,
            hint="Use mdy (month first, US) or dmy (day first).",
        )
    present = ctx.cur.execute(
        f"SELECT count(*) FROM {RAW_TABLE} WHERE NOT ro_blank({column})"
    ).fetchone()[0]
    if not present:
        raise ImportFileError(
            f"the column '{label}' has no dates.",
            file_name=ctx.file_name,
            column=label,
            hint="Map the column that holds the dates.",
        )
    ctx.cur.execute(
        f"UPDATE {ctx.writable_raw()} SET {column} = regexp_replace(trim({column}), '([0-9])[Zz]$', "
        f"'\\1+00:00') WHERE regexp_matches(trim({column}), '[0-9][Zz]$')"
    )
    _fail_on_stray_dates(ctx, column, label, present)
    fmt = detect_date_format(
        ctx.cur,
        RAW_TABLE,
        column,
        file_name=ctx.file_name,
        column_label=label,
        date_order=date_order,
    )
    assert fmt in DATE_FORMATS  # our own constant, safe to write into SQL
    parsed = (
        f"(CASE WHEN ro_blank({column}) THEN NULL ELSE try_strptime(trim({column}), '{fmt}') END)"
    )
    if "%z" in fmt:
        offset = f"ro_offset_minutes(trim({column}))"
        return TimeColumn(
            format=fmt,
            created_at=parsed,
            utc_offset_minutes=offset,
            local_date=f"CAST(ro_utc_wall({parsed}) + to_minutes({offset}) AS DATE)",
        )
    return TimeColumn(
        format=fmt,
        created_at=f"ro_utc_instant({parsed})",
        utc_offset_minutes="CAST(NULL AS INTEGER)",
        local_date=f"CAST({parsed} AS DATE)",
    )


def _fail_on_stray_dates(ctx: StageContext, column: str, label: str, present: int) -> None:
    """When most values share a format and a few do not, name the first line that does not."""
    counts = ctx.cur.execute(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE NOT ro_blank({column}) "
            f"AND try_strptime(trim({column}), '{fmt}') IS NULL)"
            for fmt in DATE_FORMATS
        )
        + f" FROM {RAW_TABLE}"
    ).fetchone()
    bad, fmt = min(zip(counts, DATE_FORMATS, strict=True), key=lambda pair: pair[0])
    if 0 < bad < present:
        ctx.fail_where(
            f"NOT ro_blank({column}) AND try_strptime(trim({column}), ?) IS NULL",
            f"'{label}' is not a date like the column's other values "
            f"({describe_date_format(fmt)}).",
            label,
            [fmt],
        )


def describe_date_format(fmt: str) -> str:
    """A person's description of a date format, e.g. 'month/day/year hours:minutes'."""
    words = {
        "%Y": "year",
        "%m": "month",
        "%d": "day",
        "%H": "hours",
        "%M": "minutes",
        "%S": "seconds",
        "%f": "fraction",
        "%z": "UTC offset",
        "%B": "month name",
        "%b": "month name",
    }
    return re.sub(r"%[A-Za-z]", lambda m: words.get(m.group(0), m.group(0)), fmt)


def money_column(ctx: StageContext, column: str, label: str) -> str:
    """SQL for an amount column (decimal comma decided once); fails on the first non-amount."""
    comma = detect_decimal_comma(ctx.cur, RAW_TABLE, column)
    expr = f"ro_money({column}, {'true' if comma else 'false'})"
    ctx.fail_where(
        f"NOT ro_blank({column}) AND {expr} IS NULL",
        f"'{label}' is not an amount"
        + (" (read with a decimal comma, like 1.234,56)." if comma else " (like 1,234.50)."),
        label,
    )
    return expr


def whole_number_column(ctx: StageContext, column: str, label: str) -> str:
    """SQL for a count column (1,234 or 1234.0); fails on the first value that is not whole."""
    expr = f"ro_number({column})"
    ctx.fail_where(
        f"NOT ro_blank({column}) AND ({expr} IS NULL OR {expr} <> floor({expr}))",
        f"'{label}' is not a whole number.",
        label,
    )
    return f"CAST({expr} AS INTEGER)"


def flag_sql(column: str) -> str:
    """SQL reading yes/no, true/false, 1/0 as a boolean (NULL when blank)."""
    words = ", ".join(f"'{w}'" for w in TRUE_WORDS)
    return f"CASE WHEN ro_blank({column}) THEN NULL ELSE lower(trim({column})) IN ({words}) END"


def customer_type_sql(column: str) -> str:
    """SQL normalising new / returning customer labels."""
    return f"""CASE
        WHEN ro_blank({column}) THEN NULL
        WHEN lower(trim({column})) IN ('new', 'first-time', 'first time', 'first') THEN 'new'
        WHEN lower(trim({column})) IN ('returning', 'repeat', 'existing') THEN 'returning'
        ELSE lower(trim({column})) END"""
