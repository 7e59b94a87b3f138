"""Checks of the file's rows: each failure names how many rows and their first line numbers."""

from __future__ import annotations

import duckdb

from ro_core.errors import ImportFileError
from ro_core.experiment.orders_csv.aggregates import CONTROL_NAMES
from ro_core.experiment.planning import MAX_VARIANTS

MAX_ARMS = MAX_VARIANTS + 1
ROWS_TABLE = "variant_rows"
SHOWN_LINES = 5


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
