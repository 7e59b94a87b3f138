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

Modules: ``header`` (column names, guessing the roles' columns), ``read`` (the entry points and
the one read of the file), ``checks`` (the row checks with line numbers) and ``aggregates``
(VisitorFileSummary and the per-variant, capped, covariate, segment and cell sums). Their public
names are re-exported here.
"""

from __future__ import annotations

from ro_core.experiment.orders_csv.aggregates import (
    BLANK_SEGMENT,
    CONTROL_NAMES,
    COVARIATE_COLUMNS,
    MAX_SEGMENTS,
    SEGMENT_COLUMN,
    VisitorFileSummary,
)
from ro_core.experiment.orders_csv.checks import MAX_ARMS, ROWS_TABLE, SHOWN_LINES
from ro_core.experiment.orders_csv.header import clean_header, guess_columns, variant_csv_columns
from ro_core.experiment.orders_csv.read import (
    FALSE_TEXTS,
    MAX_LINE_BYTES,
    TRUE_TEXTS,
    summarise_variant_csv,
    summarise_visitor_file,
)

__all__ = [
    "BLANK_SEGMENT",
    "CONTROL_NAMES",
    "COVARIATE_COLUMNS",
    "FALSE_TEXTS",
    "MAX_ARMS",
    "MAX_LINE_BYTES",
    "MAX_SEGMENTS",
    "ROWS_TABLE",
    "SEGMENT_COLUMN",
    "SHOWN_LINES",
    "TRUE_TEXTS",
    "VisitorFileSummary",
    "clean_header",
    "guess_columns",
    "summarise_variant_csv",
    "summarise_visitor_file",
    "variant_csv_columns",
]
