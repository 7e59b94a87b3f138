"""Per-variant sufficient statistics from a visitor-level CSV of an A/B test, in DuckDB.

The file has one row per visitor (or, with a visitor id column, one row per order or event of a
visitor) and a column naming the variant the visitor saw; a converted flag (1/0, true/false,
yes/no) and/or a revenue column say what the visitor did. The result is the summary frame
``ro_core.experiment.analyze_summary_frame`` takes (columns ``SUMMARY_COLUMNS``):

- visitors: rows (distinct visitor ids with a visitor column) per variant;
- conversions: converted visitors (without a converted column: visitors with revenue above 0);
- revenue_sum / revenue_sum_squares: the sum of each visitor's revenue and of its square
  (NaN when the file has no revenue column).

Column names come from the user and are only ever matched against the file's header: SQL uses
the generated positional names ``c0``, ``c1``... and every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ro_core.errors import ImportFileError
from ro_core.experiment.analysis import (
    CONVERSIONS_COLUMN,
    REVENUE_SUM_COLUMN,
    REVENUE_SUM_SQUARES_COLUMN,
    SUMMARY_COLUMNS,
    VARIANT_COLUMN,
    VISITORS_COLUMN,
)
from ro_core.experiment.planning import MAX_VARIANTS
from ro_core.ingest import layout as layout_mod
from ro_core.ingest.sqlfuncs import detect_decimal_comma, install_macros

MAX_ARMS = MAX_VARIANTS + 1
MAX_LINE_BYTES = 8 << 20
TRUE_TEXTS: tuple[str, ...] = ("1", "true", "yes", "y", "t")
FALSE_TEXTS: tuple[str, ...] = ("0", "false", "no", "n", "f")
# Names a control arm commonly has; such a variant is listed first.
CONTROL_NAMES: tuple[str, ...] = ("control", "ctrl", "a", "original", "baseline", "default")
ROWS_TABLE = "variant_rows"
SHOWN_LINES = 5

_GUESSES: dict[str, tuple[str, ...]] = {
    "variant": (
        "variant",
        "variation",
        "arm",
        "group",
        "bucket",
        "experiment_variant",
        "test_group",
    ),
    "converted": ("converted", "conversion", "purchased", "is_converted", "ordered", "purchase"),
    "revenue": ("revenue", "order_value", "value", "amount", "total", "sales", "order_total"),
    "visitor": (
        "visitor_id",
        "visitor",
        "user_id",
        "user",
        "client_id",
        "customer_id",
        "session_id",
    ),
}


def clean_header(header: Sequence[str]) -> list[str]:
    """Header cells as shown to people: BOM, quotes and spaces stripped, blanks named
    'column N', repeated names numbered ('Total (2)')."""
    seen: dict[str, int] = {}
    names = []
    for position, raw in enumerate(header):
        name = str(raw).replace("\ufeff", "").strip().strip('"').strip() or f"column {position + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _single_part(path: Path, file_name: str) -> tuple[layout_mod.FileLayout, list[str]]:
    layout = layout_mod.sniff(path, file_name, path.parent)
    if len(layout.parts) != 1:
        layout_mod.cleanup(layout, path)
        raise ImportFileError(
            f"the file holds {len(layout.parts)} tables; a test's results need one table.",
            file_name=file_name,
            hint="Export one row per visitor with a variant column.",
        )
    return layout, clean_header(layout.parts[0].header)


def variant_csv_columns(path: Path | str, *, file_name: str | None = None) -> list[str]:
    """The column names in the file's header (see :func:`clean_header`).

    Raises:
        ImportFileError: the file is empty, binary, has no header or several tables.
    """
    path = Path(path)
    layout, names = _single_part(path, file_name or path.name)
    layout_mod.cleanup(layout, path)
    return names


def guess_columns(columns: Sequence[str]) -> dict[str, str | None]:
    """Likely variant, converted, revenue and visitor columns by name (None when no match).

    Keys: 'variant', 'converted', 'revenue', 'visitor'. A column is used for one role only.
    """
    lowered = {column: column.strip().lower().replace(" ", "_") for column in columns}
    taken: set[str] = set()
    guesses: dict[str, str | None] = {}
    for role, candidates in _GUESSES.items():
        found = None
        for candidate in candidates:
            found = next(
                (c for c, low in lowered.items() if low == candidate and c not in taken), None
            )
            if found is not None:
                break
        if found is not None:
            taken.add(found)
        guesses[role] = found
    return guesses


def _resolve(names: list[str], wanted: str, role: str, file_name: str) -> int:
    """Position of the header column called `wanted` (exact, else a unique case-blind match)."""
    text = str(wanted).strip()
    if text in names:
        return names.index(text)
    folded = [i for i, name in enumerate(names) if name.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
    raise ImportFileError(
        f"there is no column '{text[:60]}' for the {role}.",
        file_name=file_name,
        hint=f"Columns in this file: {shown}.",
    )


def _lines(cur: duckdb.DuckDBPyConnection, condition: str) -> tuple[int, list[int]]:
    """Count and first line numbers of rows matching a condition we wrote (no file text)."""
    count, lines = cur.execute(
        f"""SELECT count(*), list(line_no ORDER BY line_no)[1:{SHOWN_LINES}]
        FROM {ROWS_TABLE} WHERE {condition}"""
    ).fetchone()
    return int(count), [int(line) for line in (lines or [])]


def _fail_if(
    cur: duckdb.DuckDBPyConnection,
    condition: str,
    problem: str,
    *,
    file_name: str,
    column: str | None,
    hint: str,
) -> None:
    count, lines = _lines(cur, condition)
    if count == 0:
        return
    where = ", ".join(str(line) for line in lines) + (" ..." if count > len(lines) else "")
    raise ImportFileError(
        f"{count:,} row{'s' * (count != 1)} {problem} (line{'s' * (len(lines) != 1)} {where}).",
        file_name=file_name,
        line=lines[0] if lines else None,
        column=column,
        hint=hint,
    )


def summarise_variant_csv(
    path: Path | str,
    *,
    variant_column: str,
    converted_column: str | None = None,
    revenue_column: str | None = None,
    visitor_column: str | None = None,
    file_name: str | None = None,
) -> pd.DataFrame:
    """Visitors, conversions and revenue sums per variant from a visitor-level CSV.

    Args:
        path: the CSV file (may be .gz/.zip; a '#' preamble is skipped).
        variant_column: header name of the variant each visitor saw.
        converted_column: header name of a 1/0 (true/false, yes/no; blank = 0) conversion flag.
        revenue_column: header name of the revenue (money text like "$1,234.50" is read; blank
            = 0). Without `converted_column` a visitor converts when revenue is above 0.
        visitor_column: header name of a visitor id, when a visitor can have several rows
            (orders): rows are first added up per visitor (converted if any row converted).
        file_name: the name the user knows the file by, for messages.

    Returns:
        One row per variant, likely control names ('control', 'A', 'original'...) first, then
        in order of first appearance. Columns: variant (text), visitors and conversions (int64),
        revenue_sum and revenue_sum_squares (float64; NaN without a revenue column).

    Raises:
        ImportFileError: a column is missing, a row is unreadable, a value is not a flag or an
            amount, revenue is negative, a visitor appears in two variants, or the file has
            fewer than 2 or more than MAX_ARMS variants. Messages give the line numbers.
    """
    summary = summarise_visitor_file(
        path,
        variant_column=variant_column,
        converted_column=converted_column,
        revenue_column=revenue_column,
        visitor_column=visitor_column,
        file_name=file_name,
    ).summary
    assert summary is not None
    return summary


def summarise_visitor_file(
    path: Path | str,
    *,
    variant_column: str | None = None,
    factor_columns: Sequence[str] = (),
    converted_column: str | None = None,
    revenue_column: str | None = None,
    visitor_column: str | None = None,
    covariate_column: str | None = None,
    segment_column: str | None = None,
    cap_percentile: float | None = None,
    file_name: str | None = None,
) -> VisitorFileSummary:
    """Every aggregate the analyzer needs from one read of a visitor-level CSV.

    Give `variant_column` (an A/B/n test) or `factor_columns` (a multivariate test: one column
    per factor holding its level). Optional roles add aggregates: `covariate_column` (a
    pre-experiment number or flag per visitor, blank = 0) the CUPED sums, `segment_column`
    (device, new vs returning, channel; the visitor's first row counts) the per-segment
    summaries, `cap_percentile` (e.g. 0.99) a summary with each visitor's revenue capped at that
    percentile of the buyers' revenue (all arms pooled). See :class:`VisitorFileSummary`.

    Raises:
        ImportFileError: as :func:`summarise_variant_csv`, with line numbers.
    """
    path = Path(path)
    shown = file_name or path.name
    factors = [str(c) for c in factor_columns]
    if (variant_column is None) == (not factors):
        raise ImportFileError(
            "choose the variant column (an A/B test) or the factor columns (a multivariate test).",
            file_name=shown,
            hint="A multivariate file has one column per factor holding the level each visitor saw.",
        )
    if converted_column is None and revenue_column is None:
        raise ImportFileError(
            "choose a converted column, a revenue column or both.",
            file_name=shown,
            hint="Without either there is nothing to compare between the variants.",
        )
    if cap_percentile is not None and not 0 < float(cap_percentile) < 1:
        raise ImportFileError(
            f"the capping percentile must be between 0 and 1 (e.g. 0.99), got {cap_percentile}.",
            file_name=shown,
        )
    if cap_percentile is not None and revenue_column is None:
        raise ImportFileError(
            "capping outliers needs a revenue column.", file_name=shown, hint="Choose one."
        )
    layout, names = _single_part(path, shown)
    try:
        return _summarise(
            layout,
            names,
            shown,
            groups=[variant_column] if variant_column is not None else factors,
            factorial=not variant_column,
            roles_wanted={
                "converted": converted_column,
                "revenue": revenue_column,
                "visitor": visitor_column,
                "covariate": covariate_column,
                "segment": segment_column,
            },
            cap_percentile=None if cap_percentile is None else float(cap_percentile),
        )
    finally:
        layout_mod.cleanup(layout, path)


@dataclass(frozen=True)
class VisitorFileSummary:
    """Small aggregates of a visitor-level file (None where the role was not chosen).

    - summary: per variant, SUMMARY_COLUMNS (A/B files);
    - capped: the same with each visitor's revenue capped at `cap_value`, the
      `cap_percentile` of buyers' revenue; `capped_visitors` had revenue above it;
    - covariate: per variant (control first) n, sum_converted, sum_revenue,
      sum_revenue_squares, sum_x, sum_x2, sum_x_converted, sum_x_revenue (COVARIATE_COLUMNS);
    - segments: segment + SUMMARY_COLUMNS, one row per segment and variant;
    - cells: the factor columns + visitors, conversions, revenue_sum, revenue_sum_squares, one
      row per combination (multivariate files).
    """

    summary: pd.DataFrame | None = None
    capped: pd.DataFrame | None = None
    cap_percentile: float | None = None
    cap_value: float | None = None
    capped_visitors: int | None = None
    covariate: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    cells: pd.DataFrame | None = None


COVARIATE_COLUMNS: tuple[str, ...] = (
    VARIANT_COLUMN,
    "n",
    "sum_converted",
    "sum_revenue",
    "sum_revenue_squares",
    "sum_x",
    "sum_x2",
    "sum_x_converted",
    "sum_x_revenue",
)
SEGMENT_COLUMN = "segment"
BLANK_SEGMENT = "(blank)"
MAX_SEGMENTS = 50


def _summarise(
    layout: layout_mod.FileLayout,
    names: list[str],
    file_name: str,
    *,
    groups: list[str],
    factorial: bool,
    roles_wanted: dict[str, str | None],
    cap_percentile: float | None,
) -> VisitorFileSummary:
    part = layout.parts[0]
    group_role = "factor" if factorial else "variant"
    roles: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, wanted in enumerate(groups):
        roles[f"g{index}"] = _resolve(names, wanted, group_role, file_name)
        labels[f"g{index}"] = names[roles[f"g{index}"]]
    for role, wanted in roles_wanted.items():
        if wanted is not None:
            roles[role] = _resolve(names, wanted, role, file_name)
            labels[role] = names[roles[role]]
    positions = list(roles.values())
    if len(set(positions)) != len(positions):
        raise ImportFileError(
            "the same column was chosen for two roles.",
            file_name=file_name,
            hint="Pick a different column for each role (variant or factors, converted flag, "
            "revenue, visitor, covariate, segment).",
        )
    group_roles = [f"g{i}" for i in range(len(groups))]
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    chosen = ", ".join(f"c{position} AS {role}_text" for role, position in roles.items())
    with duckdb.connect() as conn:
        install_macros(conn)
        cur = conn.cursor()
        cur.execute(
            f"""CREATE TEMP TABLE {ROWS_TABLE} AS
            SELECT CAST(row_number() OVER () AS BIGINT) + ? AS line_no, {chosen}
            FROM read_csv(?, header = true, skip = ?, delim = ?, quote = '"', escape = '"',
                          auto_detect = false, columns = {columns}, strict_mode = true,
                          null_padding = false, encoding = ?, max_line_size = ?,
                          store_rejects = true, rejects_table = 'csv_rejects',
                          rejects_scan = 'csv_rejects_scan')""",
            [
                part.header_line,
                str(part.data_path),
                part.skip_lines,
                part.delimiter,
                layout.encoding,
                MAX_LINE_BYTES,
            ],
        )
        rejects, reject_lines = cur.execute(
            "SELECT count(DISTINCT line), list(DISTINCT line ORDER BY line)[1:5] FROM csv_rejects"
        ).fetchone()
        if rejects:
            where = ", ".join(str(line) for line in reject_lines)
            raise ImportFileError(
                f"{rejects:,} row{'s' * (rejects != 1)} could not be read (too many or too few "
                f"cells, or a stray quote; line{'s' * (len(reject_lines) != 1)} {where}).",
                file_name=file_name,
                line=int(reject_lines[0]),
                hint="Export the file again, or fix those rows in a spreadsheet.",
            )
        blank_row = " AND ".join(f"ro_blank({role}_text)" for role in roles)
        cur.execute(f"DELETE FROM {ROWS_TABLE} WHERE {blank_row}")
        if cur.execute(f"SELECT count(*) FROM {ROWS_TABLE}").fetchone()[0] == 0:
            raise ImportFileError(
                "the file has a header but no rows.",
                file_name=file_name,
                hint="Export the test's visitors.",
            )
        for role in group_roles:
            _fail_if(
                cur,
                f"ro_blank({role}_text)",
                f"have no {group_role}" + (f" level of {labels[role]}" if factorial else ""),
                file_name=file_name,
                column=labels[role],
                hint=f"Every visitor needs the {group_role} {'level ' * factorial}they saw.",
            )
        flag_sql = (
            "CASE WHEN ro_blank({col}) THEN 0 "
            "WHEN list_contains(?::VARCHAR[], lower(trim({col}))) THEN 1 "
            "WHEN list_contains(?::VARCHAR[], lower(trim({col}))) THEN 0 "
            "WHEN TRY_CAST(trim({col}) AS DOUBLE) = 1 THEN 1 "
            "WHEN TRY_CAST(trim({col}) AS DOUBLE) = 0 THEN 0 END"
        )
        params: list[object] = []
        converted_sql = "NULL"
        if "converted" in roles:
            converted_sql = flag_sql.format(col="converted_text")
            params += [list(TRUE_TEXTS), list(FALSE_TEXTS)]
        revenue_sql = "NULL"
        if "revenue" in roles:
            decimal_comma = detect_decimal_comma(cur, ROWS_TABLE, "revenue_text")
            revenue_sql = (
                "CASE WHEN ro_blank(revenue_text) THEN 0 "
                "ELSE CAST(ro_money(revenue_text, ?) AS DOUBLE) END"
            )
            params.append(decimal_comma)
        covariate_sql = "NULL"
        if "covariate" in roles:
            decimal_comma = detect_decimal_comma(cur, ROWS_TABLE, "covariate_text")
            covariate_sql = (
                "CASE WHEN ro_blank(covariate_text) THEN 0 "
                "WHEN list_contains(?::VARCHAR[], lower(trim(covariate_text))) THEN 1 "
                "WHEN list_contains(?::VARCHAR[], lower(trim(covariate_text))) THEN 0 "
                "ELSE CAST(ro_money(covariate_text, ?) AS DOUBLE) END"
            )
            params += [list(TRUE_TEXTS[1:]), list(FALSE_TEXTS[1:]), decimal_comma]
        segment_sql = "NULL"
        if "segment" in roles:
            segment_sql = "CASE WHEN ro_blank(segment_text) THEN ? ELSE trim(segment_text) END"
            params.append(BLANK_SEGMENT)
        visitor_sql = "trim(visitor_text)" if "visitor" in roles else "NULL"
        group_sql = ", ".join(f"trim({role}_text) AS {role}" for role in group_roles)
        cur.execute(
            f"""CREATE TEMP TABLE parsed AS
            SELECT line_no, {group_sql}, {visitor_sql} AS visitor,
                   {converted_sql} AS converted, {revenue_sql} AS revenue,
                   {covariate_sql} AS covariate, {segment_sql} AS segment
            FROM {ROWS_TABLE}""",
            params,
        )
        cur.execute(f"DROP TABLE {ROWS_TABLE}")
        cur.execute(f"ALTER TABLE parsed RENAME TO {ROWS_TABLE}")
        _check_values(cur, roles, labels, file_name)
        if "visitor" in roles:
            _fail_if(
                cur,
                "ro_blank(visitor)",
                "have no visitor id",
                file_name=file_name,
                column=labels["visitor"],
                hint="Every row needs the visitor it belongs to.",
            )
            for role in group_roles:
                _fail_if(
                    cur,
                    f"""visitor IN (SELECT visitor FROM {ROWS_TABLE} GROUP BY visitor
                                    HAVING count(DISTINCT {role}) > 1)""",
                    f"belong to visitors who saw more than one {group_role}"
                    + (f" level of {labels[role]}" if factorial else ""),
                    file_name=file_name,
                    column=labels[role],
                    hint=f"Each visitor must stay in one {group_role}: check the assignment.",
                )
        converts = (
            "converted" if "converted" in roles else "CASE WHEN revenue > 0 THEN 1 ELSE 0 END"
        )
        group_list = ", ".join(group_roles)
        if "visitor" in roles:
            units = f"""SELECT {group_list}, min(line_no) AS first_line,
                               max({converts}) AS converted, sum(revenue) AS revenue,
                               max(covariate) AS covariate, arg_min(segment, line_no) AS segment
                        FROM {ROWS_TABLE} GROUP BY {group_list}, visitor"""
        else:
            units = f"""SELECT {group_list}, line_no AS first_line, {converts} AS converted,
                               revenue, covariate, segment
                        FROM {ROWS_TABLE}"""
        cur.execute(f"CREATE TEMP TABLE units AS {units}")
        levels = _check_groups(cur, group_roles, labels, file_name, factorial)
        if factorial:
            return VisitorFileSummary(
                cells=_cells(cur, group_roles, [labels[r] for r in group_roles], levels)
            )
        summary = _summary_frame(cur, "revenue")
        result: dict[str, object] = {"summary": summary}
        if cap_percentile is not None:
            cap = cur.execute(
                "SELECT quantile_cont(revenue, ?) FROM units WHERE revenue > 0", [cap_percentile]
            ).fetchone()[0]
            if cap is not None:
                above = cur.execute(
                    "SELECT count(*) FROM units WHERE revenue > ?", [float(cap)]
                ).fetchone()[0]
                result.update(
                    capped=_summary_frame(cur, "least(revenue, ?)", [float(cap)]),
                    cap_percentile=cap_percentile,
                    cap_value=float(cap),
                    capped_visitors=int(above),
                )
        if "covariate" in roles:
            result["covariate"] = _covariate_frame(cur)
        if "segment" in roles:
            result["segments"] = _segments_frame(cur, labels["segment"], file_name)
        return VisitorFileSummary(**result)  # type: ignore[arg-type]


def _check_values(
    cur: duckdb.DuckDBPyConnection, roles: dict[str, int], labels: dict[str, str], file_name: str
) -> None:
    """Flags that are not flags, amounts that are not amounts, negative revenue."""
    if "converted" in roles:
        _fail_if(
            cur,
            "converted IS NULL",
            "have a converted value that is not 1/0, true/false or yes/no",
            file_name=file_name,
            column=labels["converted"],
            hint="Use 1 for visitors who bought and 0 (or blank) for the rest.",
        )
    if "covariate" in roles:
        _fail_if(
            cur,
            "covariate IS NULL",
            "have a covariate that is not a number or a yes/no flag",
            file_name=file_name,
            column=labels["covariate"],
            hint="Use the visitor's revenue before the test (0 for none) or 1/0 for returning.",
        )
    if "revenue" not in roles:
        return
    _fail_if(
        cur,
        "revenue IS NULL",
        "have a revenue that is not an amount",
        file_name=file_name,
        column=labels["revenue"],
        hint="Use amounts like 49.90 or $1,234.50; leave it blank for no revenue.",
    )
    _fail_if(
        cur,
        "revenue < 0",
        "have negative revenue",
        file_name=file_name,
        column=labels["revenue"],
        hint="Use each visitor's revenue before refunds (0 when nothing was bought).",
    )
    if "converted" in roles:
        _fail_if(
            cur,
            "revenue > 0 AND converted = 0",
            "have revenue but are not marked converted",
            file_name=file_name,
            column=labels["converted"],
            hint="A visitor with revenue bought something: mark them converted.",
        )


def _check_groups(
    cur: duckdb.DuckDBPyConnection,
    group_roles: list[str],
    labels: dict[str, str],
    file_name: str,
    factorial: bool,
) -> dict[str, list[str]]:
    """Each variant/factor column has 2..MAX_ARMS values (levels ordered control first)."""
    levels: dict[str, list[str]] = {}
    for role in group_roles:
        values = [
            str(row[0])
            for row in cur.execute(
                f"""SELECT {role} FROM units GROUP BY {role}
                ORDER BY list_contains(?::VARCHAR[], lower({role})) DESC, min(first_line)""",
                [list(CONTROL_NAMES)],
            ).fetchall()
        ]
        what = "factor" if factorial else "variant"
        if len(values) < 2:
            only = values[0][:60] if values else ""
            raise ImportFileError(
                f"the {what} column holds only one {'level' if factorial else 'variant'} "
                f"('{only}'); a test needs at least two.",
                file_name=file_name,
                column=labels[role],
                hint=f"Check that this is the {what} column and that the file covers every arm.",
            )
        if len(values) > MAX_ARMS:
            raise ImportFileError(
                f"the {what} column holds {len(values):,} different values; a test has at most "
                f"{MAX_ARMS}.",
                file_name=file_name,
                column=labels[role],
                hint=f"Check that this is the column naming the {what} each visitor saw.",
            )
        levels[role] = values
    return levels


def _summary_frame(
    cur: duckdb.DuckDBPyConnection, revenue_sql: str, params: Sequence[object] = ()
) -> pd.DataFrame:
    frame = cur.execute(
        f"""SELECT g0 AS variant, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum({revenue_sql}) AS revenue_sum,
               sum(({revenue_sql}) * ({revenue_sql})) AS revenue_sum_squares
        FROM units GROUP BY g0
        ORDER BY list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [*params, *params, *params, list(CONTROL_NAMES)],
    ).df()
    return _typed_summary(frame)


def _typed_summary(frame: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    result = pd.DataFrame(
        {
            **{column: frame[column].astype(str).astype(object) for column in extra},
            VARIANT_COLUMN: frame[VARIANT_COLUMN].astype(str).astype(object),
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64"),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64"),
            REVENUE_SUM_COLUMN: pd.to_numeric(frame[REVENUE_SUM_COLUMN]).astype("float64"),
            REVENUE_SUM_SQUARES_COLUMN: pd.to_numeric(frame[REVENUE_SUM_SQUARES_COLUMN]).astype(
                "float64"
            ),
        },
        columns=[*extra, *SUMMARY_COLUMNS],
    )
    return result.reset_index(drop=True)


def _covariate_frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = cur.execute(
        """SELECT g0 AS variant, count(*) AS n,
               CAST(sum(converted) AS DOUBLE) AS sum_converted,
               sum(coalesce(revenue, 0)) AS sum_revenue,
               sum(coalesce(revenue, 0) * coalesce(revenue, 0)) AS sum_revenue_squares,
               sum(covariate) AS sum_x, sum(covariate * covariate) AS sum_x2,
               sum(covariate * converted) AS sum_x_converted,
               sum(covariate * coalesce(revenue, 0)) AS sum_x_revenue
        FROM units GROUP BY g0
        ORDER BY list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [list(CONTROL_NAMES)],
    ).df()
    frame[VARIANT_COLUMN] = frame[VARIANT_COLUMN].astype(str).astype(object)
    numeric = [c for c in COVARIATE_COLUMNS if c != VARIANT_COLUMN]
    frame[numeric] = frame[numeric].astype("float64")
    frame["n"] = frame["n"].astype("int64")
    return frame[list(COVARIATE_COLUMNS)]


def _segments_frame(cur: duckdb.DuckDBPyConnection, label: str, file_name: str) -> pd.DataFrame:
    count = cur.execute("SELECT count(DISTINCT segment) FROM units").fetchone()[0]
    if count > MAX_SEGMENTS:
        raise ImportFileError(
            f"the segment column holds {count:,} different values; at most {MAX_SEGMENTS} "
            "segments can be compared.",
            file_name=file_name,
            column=label,
            hint="Choose a column such as device, new vs returning or channel.",
        )
    frame = cur.execute(
        """SELECT segment, g0 AS variant, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_squares
        FROM units GROUP BY segment, g0
        ORDER BY sum(count(*)) OVER (PARTITION BY segment) DESC, segment,
                 list_contains(?::VARCHAR[], lower(g0)) DESC, min(first_line)""",
        [list(CONTROL_NAMES)],
    ).df()
    return _typed_summary(frame, extra=(SEGMENT_COLUMN,))


def _cells(
    cur: duckdb.DuckDBPyConnection,
    group_roles: list[str],
    names: list[str],
    levels: dict[str, list[str]],
) -> pd.DataFrame:
    group_list = ", ".join(group_roles)
    frame = cur.execute(
        f"""SELECT {group_list}, count(*) AS visitors,
               CAST(sum(converted) AS BIGINT) AS conversions,
               sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_sum_squares
        FROM units GROUP BY {group_list}"""
    ).df()
    order = {role: {level: i for i, level in enumerate(levels[role])} for role in group_roles}
    frame["_order"] = [
        tuple(order[role][str(row[role])] for role in group_roles)
        for row in frame.to_dict("records")
    ]
    frame = frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    result = pd.DataFrame(
        {
            **{
                name: frame[role].astype(str).astype(object)
                for role, name in zip(group_roles, names, strict=True)
            },
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64"),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64"),
            REVENUE_SUM_COLUMN: pd.to_numeric(frame[REVENUE_SUM_COLUMN]).astype("float64"),
            REVENUE_SUM_SQUARES_COLUMN: pd.to_numeric(frame[REVENUE_SUM_SQUARES_COLUMN]).astype(
                "float64"
            ),
        }
    )
    return result
