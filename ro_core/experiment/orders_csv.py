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
    path = Path(path)
    shown = file_name or path.name
    if converted_column is None and revenue_column is None:
        raise ImportFileError(
            "choose a converted column, a revenue column or both.",
            file_name=shown,
            hint="Without either there is nothing to compare between the variants.",
        )
    layout, names = _single_part(path, shown)
    try:
        return _summarise(
            layout,
            names,
            shown,
            variant_column=variant_column,
            converted_column=converted_column,
            revenue_column=revenue_column,
            visitor_column=visitor_column,
        )
    finally:
        layout_mod.cleanup(layout, path)


def _summarise(
    layout: layout_mod.FileLayout,
    names: list[str],
    file_name: str,
    *,
    variant_column: str,
    converted_column: str | None,
    revenue_column: str | None,
    visitor_column: str | None,
) -> pd.DataFrame:
    part = layout.parts[0]
    roles = {"variant": _resolve(names, variant_column, "variant", file_name)}
    labels = {"variant": names[roles["variant"]]}
    for role, wanted in (
        ("converted", converted_column),
        ("revenue", revenue_column),
        ("visitor", visitor_column),
    ):
        if wanted is not None:
            roles[role] = _resolve(names, wanted, role, file_name)
            labels[role] = names[roles[role]]
    positions = list(roles.values())
    if len(set(positions)) != len(positions):
        raise ImportFileError(
            "the same column was chosen for two roles.",
            file_name=file_name,
            hint="Pick a different column for the variant, converted flag, revenue and visitor.",
        )
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
        _fail_if(
            cur,
            "ro_blank(variant_text)",
            "have no variant",
            file_name=file_name,
            column=labels["variant"],
            hint="Every visitor needs the variant they saw.",
        )
        converted_sql = "NULL"
        if "converted" in roles:
            converted_sql = (
                "CASE WHEN ro_blank(converted_text) THEN 0 "
                "WHEN list_contains(?::VARCHAR[], lower(trim(converted_text))) THEN 1 "
                "WHEN list_contains(?::VARCHAR[], lower(trim(converted_text))) THEN 0 "
                "WHEN TRY_CAST(trim(converted_text) AS DOUBLE) = 1 THEN 1 "
                "WHEN TRY_CAST(trim(converted_text) AS DOUBLE) = 0 THEN 0 END"
            )
        revenue_sql = "NULL"
        decimal_comma = False
        if "revenue" in roles:
            decimal_comma = detect_decimal_comma(cur, ROWS_TABLE, "revenue_text")
            revenue_sql = (
                "CASE WHEN ro_blank(revenue_text) THEN 0 "
                "ELSE CAST(ro_money(revenue_text, ?) AS DOUBLE) END"
            )
        params: list[object] = []
        if "converted" in roles:
            params += [list(TRUE_TEXTS), list(FALSE_TEXTS)]
        if "revenue" in roles:
            params.append(decimal_comma)
        visitor_sql = "trim(visitor_text)" if "visitor" in roles else "NULL"
        cur.execute(
            f"""CREATE TEMP TABLE parsed AS
            SELECT line_no, trim(variant_text) AS variant, {visitor_sql} AS visitor,
                   {converted_sql} AS converted, {revenue_sql} AS revenue
            FROM {ROWS_TABLE}""",
            params,
        )
        cur.execute(f"DROP TABLE {ROWS_TABLE}")
        cur.execute(f"ALTER TABLE parsed RENAME TO {ROWS_TABLE}")
        if "converted" in roles:
            _fail_if(
                cur,
                "converted IS NULL",
                "have a converted value that is not 1/0, true/false or yes/no",
                file_name=file_name,
                column=labels["converted"],
                hint="Use 1 for visitors who bought and 0 (or blank) for the rest.",
            )
        if "revenue" in roles:
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
        if "visitor" in roles:
            _fail_if(
                cur,
                "ro_blank(visitor)",
                "have no visitor id",
                file_name=file_name,
                column=labels["visitor"],
                hint="Every row needs the visitor it belongs to.",
            )
            _fail_if(
                cur,
                f"""visitor IN (SELECT visitor FROM {ROWS_TABLE} GROUP BY visitor
                                HAVING count(DISTINCT variant) > 1)""",
                "belong to visitors who saw more than one variant",
                file_name=file_name,
                column=labels["visitor"],
                hint="Each visitor must stay in one variant: check the test's assignment.",
            )
        converts = (
            "converted" if "converted" in roles else "CASE WHEN revenue > 0 THEN 1 ELSE 0 END"
        )
        if "visitor" in roles:
            units = f"""SELECT variant, min(line_no) AS first_line, max({converts}) AS converted,
                               sum(revenue) AS revenue
                        FROM {ROWS_TABLE} GROUP BY variant, visitor"""
        else:
            units = f"""SELECT variant, line_no AS first_line, {converts} AS converted, revenue
                        FROM {ROWS_TABLE}"""
        frame = cur.execute(
            f"""SELECT variant,
                   count(*) AS visitors,
                   CAST(sum(converted) AS BIGINT) AS conversions,
                   sum(revenue) AS revenue_sum,
                   sum(revenue * revenue) AS revenue_sum_squares
            FROM ({units})
            GROUP BY variant
            ORDER BY list_contains(?::VARCHAR[], lower(variant)) DESC, min(first_line)""",
            [list(CONTROL_NAMES)],
        ).df()
    arms = len(frame)
    if arms < 2:
        only = str(frame[VARIANT_COLUMN].iloc[0])[:60] if arms else ""
        raise ImportFileError(
            f"the variant column holds only one variant ('{only}'); a test needs control and at "
            "least one variant.",
            file_name=file_name,
            column=labels["variant"],
            hint="Check that this is the variant column and that the file covers every arm.",
        )
    if arms > MAX_ARMS:
        raise ImportFileError(
            f"the variant column holds {arms:,} different values; a test has at most "
            f"{MAX_ARMS} arms.",
            file_name=file_name,
            column=labels["variant"],
            hint="Check that this is the column naming the variant each visitor saw.",
        )
    result = pd.DataFrame(
        {
            VARIANT_COLUMN: frame[VARIANT_COLUMN].astype(str).astype(object),
            VISITORS_COLUMN: frame[VISITORS_COLUMN].astype("int64"),
            CONVERSIONS_COLUMN: frame[CONVERSIONS_COLUMN].astype("int64"),
            REVENUE_SUM_COLUMN: pd.to_numeric(frame[REVENUE_SUM_COLUMN]).astype("float64"),
            REVENUE_SUM_SQUARES_COLUMN: pd.to_numeric(frame[REVENUE_SUM_SQUARES_COLUMN]).astype(
                "float64"
            ),
        },
        columns=list(SUMMARY_COLUMNS),
    )
    return result.reset_index(drop=True)
