"""Reading a visitor-level CSV into DuckDB once: the chosen columns' cells, parsed and checked,
then added up per visitor and aggregated (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from ro_core.errors import ImportFileError
from ro_core.experiment.orders_csv.aggregates import (
    BLANK_SEGMENT,
    VisitorFileSummary,
    _cells,
    _covariate_frame,
    _segments_frame,
    _summary_frame,
)
from ro_core.experiment.orders_csv.checks import (
    ROWS_TABLE,
    _check_groups,
    _check_values,
    _fail_if,
)
from ro_core.experiment.orders_csv.header import _resolve, _single_part
from ro_core.ingest import layout as layout_mod
from ro_core.ingest.sqlfuncs import detect_decimal_comma, install_macros

MAX_LINE_BYTES = 8 << 20
TRUE_TEXTS: tuple[str, ...] = ("1", "true", "yes", "y", "t")
FALSE_TEXTS: tuple[str, ...] = ("0", "false", "no", "n", "f")


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
