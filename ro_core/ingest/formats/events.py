"""Shared parts of the event-level importers (REES46 layout, flattened GA4 BigQuery export).

Each event importer parses the raw rows into the temporary table :data:`PARSED_TABLE` (the
canonical event columns plus ``line_no`` and ``fixed_local_date``) and then calls
:func:`stage_parsed_events`, which computes the store-local date and fills ``stage_events``.

Store time zone. Event exports carry UTC instants and no store time zone, so the local date is
the UTC date unless the import options say otherwise:

- ``options["timezone"]``: an IANA name such as ``"America/New_York"`` (daylight saving
  included; DuckDB's built-in ICU extension, no download needed);
- ``options["utc_offset_minutes"]``: a fixed offset such as ``-300``.

A format may also hand over a date the export itself gives (GA4's ``event_date`` is in the
property's reporting time zone): it is used when no option is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from ro_core.errors import ImportFileError, InvalidInputError
from ro_core.ingest.base import RAW_TABLE, StageContext, insert_stage, normalise_header_name
from ro_core.store import schema

PARSED_TABLE = "temp.events_parsed"
MAX_OFFSET_MINUTES = 14 * 60
OTHER = "other"


def normalise_column_name(name: str) -> str:
    """Header name as event detectors compare it: lower case, '.', ' ', '-', '/' -> '_'.

    So ``device.category``, ``device_category`` and ``Device category`` are the same column.
    """
    cleaned = normalise_header_name(name).lower()
    return re.sub(r"[._\s/-]+", "_", cleaned).strip("_")


def header_names(header: Sequence[str]) -> set[str]:
    """The normalised names of a header (see :func:`normalise_column_name`)."""
    return {normalise_column_name(h) for h in header}


def find_column(ctx: StageContext, candidates: Sequence[str]) -> tuple[str, str] | None:
    """The first candidate name the header has: (safe identifier c<i>, header text), or None.

    Candidates are tried in order; each is compared after :func:`normalise_column_name`.
    """
    normalised = [normalise_column_name(h) for h in ctx.part.header]
    for candidate in candidates:
        wanted = normalise_column_name(candidate)
        for index, name in enumerate(normalised):
            if name == wanted:
                return f"c{index}", normalise_header_name(ctx.part.header[index])
    return None


# --- store-local dates ---------------------------------------------------------------------
@dataclass(frozen=True)
class LocalDateRule:
    """How event instants become store-local dates: a time zone, a fixed offset, or UTC."""

    timezone: str | None = None
    utc_offset_minutes: int | None = None

    @property
    def is_default(self) -> bool:
        """True when the user gave no time zone and no offset (UTC dates)."""
        return self.timezone is None and self.utc_offset_minutes is None

    def describe(self) -> str:
        """The rule in words, for the import report."""
        if self.timezone is not None:
            return f"the time zone {self.timezone}"
        if self.utc_offset_minutes is not None:
            sign = "-" if self.utc_offset_minutes < 0 else "+"
            hours, minutes = divmod(abs(self.utc_offset_minutes), 60)
            return f"UTC{sign}{hours:02d}:{minutes:02d}"
        return "UTC"


def local_date_rule(cur: duckdb.DuckDBPyConnection, options: dict[str, Any]) -> LocalDateRule:
    """Read ``timezone`` / ``utc_offset_minutes`` from import options; InvalidInputError if bad."""
    timezone = options.get("timezone")
    offset = options.get("utc_offset_minutes")
    if timezone in ("", None):
        timezone = None
    if offset in ("", None):
        offset = None
    if timezone is not None and offset is not None:
        raise InvalidInputError(
            "Give either a time zone or a UTC offset for the store, not both.",
            title="Store time zone",
        )
    if offset is not None:
        try:
            minutes = int(str(offset).strip())
        except ValueError as e:
            raise InvalidInputError(
                f"The UTC offset '{offset}' is not a whole number of minutes (e.g. -300).",
                title="Store time zone",
            ) from e
        if abs(minutes) > MAX_OFFSET_MINUTES:
            raise InvalidInputError(
                f"The UTC offset {minutes} minutes is beyond +/-14 hours.",
                title="Store time zone",
            )
        return LocalDateRule(utc_offset_minutes=minutes)
    if timezone is not None:
        name = str(timezone).strip()
        known = cur.execute(
            "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [name]
        ).fetchone()[0]
        if not known:
            raise InvalidInputError(
                f"'{name[:60]}' is not a time zone name we know. "
                "Use a name like America/New_York or Europe/Berlin.",
                title="Store time zone",
            )
        return LocalDateRule(timezone=name)
    return LocalDateRule()


def local_date_sql(
    rule: LocalDateRule, instant_sql: str, utc_wall_sql: str | None = None
) -> tuple[str, list[Any]]:
    """SQL (and its bound parameters) for the store-local DATE of a TIMESTAMPTZ expression.

    `utc_wall_sql`, when given, is the same instant as a plain TIMESTAMP of UTC wall time (a
    file's pinned UTC time as read): a UTC day or a fixed offset is then read from it without
    a time-zone conversion per row. Never depends on the session's TimeZone setting.
    """
    if rule.timezone is not None:
        return f"CAST(timezone(?, {instant_sql}) AS DATE)", [rule.timezone]
    utc_wall = utc_wall_sql or f"ro_utc_wall({instant_sql})"
    if rule.utc_offset_minutes is not None:
        return (
            f"CAST({utc_wall} + to_minutes(CAST(? AS BIGINT)) AS DATE)",
            [rule.utc_offset_minutes],
        )
    return f"CAST({utc_wall} AS DATE)", []


# --- problems with line numbers ------------------------------------------------------------
def fail_on_bad_values(
    ctx: StageContext,
    column_sql: str,
    bad_sql: str,
    *,
    column_label: str,
    expected: str,
    hint: str,
    params: Sequence[Any] = (),
) -> None:
    """Raise ImportFileError naming the first raw line where `bad_sql` holds, quoting its value.

    `column_sql` is a generated identifier (c<i>); `bad_sql` may use bound `params`.
    """
    row = ctx.cur.execute(
        f"SELECT line_no, {column_sql}, count(*) OVER () FROM {RAW_TABLE} "
        f"WHERE {bad_sql} ORDER BY line_no LIMIT 1",
        list(params),
    ).fetchone()
    if row is None:
        return
    line, value, count = int(row[0]), row[1], int(row[2])
    more = f" ({count:,} rows in all)" if count > 1 else ""
    if value is None or not str(value).strip():
        message = f"the value is empty; every event needs {expected}{more}."
    else:
        shown = str(value).strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        message = f"'{shown}' is not {expected}{more}."
    raise ImportFileError(
        message, file_name=ctx.file_name, line=line, column=column_label, hint=hint
    )


def fail_on_first_bad_value(ctx: StageContext, checks: Sequence[dict[str, Any]]) -> None:
    """:func:`fail_on_bad_values` for several checks in one scan of the rows.

    Each check is a dict of fail_on_bad_values' arguments (column_sql, bad_sql, column_label,
    expected, hint, params); the first check in order that matches a row raises, as successive
    calls would.
    """
    parts, params = [], []
    for check in checks:
        bad, column = check["bad_sql"], check["column_sql"]
        parts.append(
            f"min(line_no) FILTER (WHERE {bad}), arg_min({column}, line_no) FILTER (WHERE {bad}), "
            f"count(*) FILTER (WHERE {bad})"
        )
        params += list(check.get("params", ())) * 3
    row = ctx.cur.execute(f"SELECT {', '.join(parts)} FROM {RAW_TABLE}", params).fetchone()
    for k, check in enumerate(checks):
        line, value, count = row[3 * k], row[3 * k + 1], int(row[3 * k + 2] or 0)
        if not count:
            continue
        more = f" ({count:,} rows in all)" if count > 1 else ""
        if value is None or not str(value).strip():
            message = f"the value is empty; every event needs {check['expected']}{more}."
        else:
            shown = str(value).strip()
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            message = f"'{shown}' is not {check['expected']}{more}."
        raise ImportFileError(
            message,
            file_name=ctx.file_name,
            line=int(line),
            column=check["column_label"],
            hint=check["hint"],
        )


# --- staging ----------------------------------------------------------------------------------
PARSED_COLUMNS = (
    "line_no BIGINT",
    *(f"{name} {sql_type.replace(' NOT NULL', '')}" for name, sql_type in schema.EVENT_COLUMNS),
    "fixed_local_date DATE",  # a date the export itself gives (GA4 event_date), else NULL
)


def create_parsed_table(cur: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the empty temporary table the event importers parse into."""
    cur.execute(f"DROP TABLE IF EXISTS {PARSED_TABLE}")
    cur.execute(f"CREATE TEMP TABLE events_parsed ({', '.join(PARSED_COLUMNS)})")


def stage_parsed_events(ctx: StageContext, rule: LocalDateRule, *, use_fixed_date: bool) -> int:
    """Move the parsed events into ``stage_events`` with their store-local date.

    With `use_fixed_date` the date the export gives (``fixed_local_date``) is the local date
    where present; otherwise (and where it is blank) it is computed from ``event_time`` with
    `rule`. Returns the events staged.
    """
    date_sql, params = local_date_sql(rule, "event_time")
    if use_fixed_date:
        date_sql = f"coalesce(fixed_local_date, {date_sql})"
    columns = [name for name in schema.column_names(schema.KIND_EVENTS) if name != "local_date"]
    staged = insert_stage(
        ctx,
        schema.KIND_EVENTS,
        f"SELECT {', '.join(columns)}, {date_sql} AS local_date FROM {PARSED_TABLE}",
        params,
    )
    ctx.cur.execute(f"DROP TABLE IF EXISTS {PARSED_TABLE}")
    return staged


def other_event_names(
    ctx: StageContext, limit: int = 5, table: str = PARSED_TABLE
) -> tuple[int, str]:
    """How many parsed events are 'other', and their most common names ('a 12, b 3...').

    `table` is PARSED_TABLE or the events staging table (generated names only)."""
    rows = ctx.cur.execute(
        f"""SELECT coalesce(event_name, '(blank)'), count(*) AS n FROM {table}
        WHERE event_type = ? GROUP BY 1 ORDER BY n DESC, 1""",
        [OTHER],
    ).fetchall()
    total = sum(int(n) for _, n in rows)
    names = ", ".join(f"{name[:40]} {int(n):,}" for name, n in rows[:limit])
    if len(rows) > limit:
        names += f" and {len(rows) - limit} more"
    return total, names
