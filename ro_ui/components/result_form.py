"""The one result form: a test's counts per arm, its dates and how to read it.

The Experiments page (Analyze tab, prefix ``exp_an``) and the Experiment log (one form per test,
prefix ``end_<id>``) draw this same form with the same defaults. It starts empty: a control and
one variant row without numbers; "Try example data" fills in an example that stays labelled
"Example data" while it is unchanged. Nothing here computes a statistic:
``ro_core.experiment.analyze_summary_frame`` (or ``ro_core.loop.experiment_log.analyze_result``
for a test of the log) does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ro_core.errors import InvalidInputError
from ro_core.experiment import SUMMARY_COLUMNS
from ro_ui.components.test_plan_form import percent_text, split_weights
from ro_ui.widgets import show_error

PRIMARY_LABELS = {"auto": "Automatic", "cr": "Conversion rate", "rpv": "Revenue per visitor"}
EXAMPLE_LABEL = "Example data"

# One set of defaults for every page.
DEFAULTS: dict[str, Any] = {
    "editor_round": 0,
    "split": "",
    "alpha": 5.0,  # percent
    "primary": "auto",
    "sequential": False,
    "planned_visitors": None,
}


def blank_table() -> pd.DataFrame:
    """The rows the editor starts with: a control and one variant, no numbers yet."""
    return pd.DataFrame(
        {
            "variant": ["Control", "Variant B"],
            "visitors": [math.nan, math.nan],
            "conversions": [math.nan, math.nan],
            "revenue_sum": [math.nan, math.nan],
            "revenue_sum_squares": [math.nan, math.nan],
        },
        columns=list(SUMMARY_COLUMNS),
    )


def example_table() -> pd.DataFrame:
    """Example counts (not anyone's test): a control and one variant, no revenue."""
    return pd.DataFrame(
        {
            "variant": ["Control", "Variant B"],
            "visitors": [10_000, 10_000],
            "conversions": [300, 345],
            "revenue_sum": [math.nan, math.nan],
            "revenue_sum_squares": [math.nan, math.nan],
        },
        columns=list(SUMMARY_COLUMNS),
    )


@dataclass(frozen=True)
class ResultForm:
    """The form under one key prefix: ``ResultForm('exp_an').key('alpha') == 'exp_an_alpha'``."""

    prefix: str

    def key(self, field: str) -> str:
        """The session-state key of one field."""
        return f"{self.prefix}_{field}"

    @property
    def table_key(self) -> str:
        """Where the editor's starting rows live (a DataFrame with SUMMARY_COLUMNS)."""
        return self.key("table")


@dataclass(frozen=True)
class ResultInputs:
    """What the form describes: the arms, the reading options and the test's dates."""

    summary: pd.DataFrame  # SUMMARY_COLUMNS, one row per arm with counts
    options: dict[str, Any]  # analyze_summary_frame options except days
    start: date | None
    end: date | None
    is_example: bool

    @property
    def days(self) -> int | None:
        """Days from the first to the last day, both included (None when a date is unknown)."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


def set_defaults(form: ResultForm, start: date | None = None, end: date | None = None) -> None:
    """Fill the form's session state: the shared defaults once, and the given dates whenever
    they change (a test that starts moves its first day)."""
    state = st.session_state
    if not isinstance(state.get(form.table_key), pd.DataFrame):
        state[form.table_key] = blank_table()
    for field, value in DEFAULTS.items():
        state.setdefault(form.key(field), value)
    if state.get(form.key("dates_from")) != (start, end):
        state[form.key("dates_from")] = (start, end)
        state[form.key("start")] = start
        state[form.key("end")] = end


def replace_table(form: ResultForm, frame: pd.DataFrame) -> None:
    """Start the editor afresh from `frame` (edits to the old rows are dropped)."""
    state = st.session_state
    state[form.table_key] = frame.reset_index(drop=True)
    state[form.key("editor_round")] = state.get(form.key("editor_round"), 0) + 1
    state.pop(form.key("control"), None)


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def summary_from_editor(edited: pd.DataFrame) -> pd.DataFrame:
    """The editor's rows as a summary frame: empty rows and rows with only a name dropped
    when no row has numbers yet; names as trimmed text.

    Raises:
        InvalidInputError: a row has a name but no visitors or conversions while others do.
    """
    numbers = [c for c in SUMMARY_COLUMNS if c != "variant"]
    records = edited.to_dict("records")
    if all(_blank(record.get(c)) for record in records for c in numbers):
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    rows = []
    for record in records:
        values = [record.get(column) for column in SUMMARY_COLUMNS]
        if all(_blank(value) for value in values):
            continue
        row = dict(zip(SUMMARY_COLUMNS, values, strict=True))
        row["variant"] = "" if _blank(row["variant"]) else str(row["variant"]).strip()
        missing = [c for c in ("visitors", "conversions") if _blank(row[c])]
        if missing:
            name = row["variant"] or "without a name"
            raise InvalidInputError(
                f"The row for variant {name} has no {' or '.join(missing)}: fill them in, "
                "or delete the row."
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def is_example(summary: pd.DataFrame) -> bool:
    """Whether the rows are the example's, unchanged."""
    example = example_table()
    if len(summary) != len(example):
        return False
    for column in SUMMARY_COLUMNS:
        left, right = list(summary[column]), list(example[column])
        for a, b in zip(left, right, strict=True):
            if _blank(a) and _blank(b):
                continue
            if _blank(a) or _blank(b):
                return False
            if column == "variant":
                if str(a) != str(b):
                    return False
            else:
                try:
                    if float(a) != float(b):
                        return False
                except (TypeError, ValueError):
                    return False
    return True


def result_form(
    form: ResultForm,
    *,
    currency: str | None,
    start: date | None = None,
    end: date | None = None,
    dates_help: str | None = None,
) -> ResultInputs | None:
    """Draw the form; the result it describes, or None (nothing typed yet, or a bad row: the
    page shows why). `start` and `end` are the dates' defaults (None = unknown)."""
    set_defaults(form, start, end)
    state = st.session_state
    st.markdown(
        "**Visitors and conversions per arm**, control first. Add the revenue sum and the sum "
        "of squared order values to compare revenue per visitor and average order value too."
    )
    edited = st.data_editor(
        state[form.table_key],
        key=form.key(f"editor_{state[form.key('editor_round')]}"),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "variant": st.column_config.TextColumn("Variant", required=True),
            "visitors": st.column_config.NumberColumn("Visitors", step=1, format="localized"),
            "conversions": st.column_config.NumberColumn(
                "Conversions", step=1, format="localized", help="Orders or converted visitors."
            ),
            "revenue_sum": st.column_config.NumberColumn(
                f"Revenue{f' ({currency})' if currency else ''}",
                format="%.2f",
                help="Optional: the arm's total revenue.",
            ),
            "revenue_sum_squares": st.column_config.NumberColumn(
                "Sum of squared order values",
                format="%.2f",
                help="Optional: each order value squared, summed (e.g. SUM(total * total) in SQL).",
            ),
        },
    )
    try:
        summary = summary_from_editor(pd.DataFrame(edited))
    except InvalidInputError as error:
        show_error(error)
        summary = None
    names = [] if summary is None else [name for name in summary["variant"] if name]
    if names and state.get(form.key("control")) not in names:
        state[form.key("control")] = names[0]
    first, second, third, fourth = st.columns(4)
    with first:
        if names:
            st.selectbox("Control", names, key=form.key("control"))
        left, right = st.columns(2)
        left.button(
            "Start over",
            key=form.key("reset"),
            on_click=replace_table,
            args=(form, blank_table()),
        )
        right.button(
            "Try example data",
            key=form.key("example"),
            on_click=replace_table,
            args=(form, example_table()),
            help="Fill in made-up counts to see how a result reads.",
        )
    with second:
        st.date_input(
            "First day of the test",
            key=form.key("start"),
            help=dates_help or "With both days known, a test shorter than a week is flagged.",
        )
        st.date_input("Last day of the test", key=form.key("end"))
        st.text_input(
            "Planned split, control first",
            key=form.key("split"),
            placeholder="even, e.g. 50/50",
            help="The split the test was set up with, control first, then the other rows in "
            "table order. The sample ratio check compares the visitors with it.",
        )
    with third:
        st.number_input(
            "Significance level α (%)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%.1f",
            key=form.key("alpha"),
        )
        st.radio(
            "Decide on",
            list(PRIMARY_LABELS),
            format_func=PRIMARY_LABELS.__getitem__,
            key=form.key("primary"),
            help="Automatic: revenue per visitor when revenue is given (it is what pays), "
            "otherwise conversion rate.",
        )
    with fourth:
        st.toggle(
            "Always-valid intervals",
            key=form.key("sequential"),
            help="For people who look at results every day: intervals that stay valid however "
            "often you peek (wider than the usual ones).",
        )
        if state[form.key("sequential")]:
            st.number_input(
                "Planned visitors (all arms)",
                min_value=0.0,
                step=1000.0,
                format="%.0f",
                key=form.key("planned_visitors"),
                placeholder="current sample",
                help="Tunes the always-valid interval to be narrowest at the planned end.",
            )
    if summary is None:
        return None
    if summary.empty:
        st.info(
            "Type each arm's visitors and conversions above (control first), or try the example "
            "data to see how a result reads.",
            icon=":material/edit_note:",
        )
        return None
    example = is_example(summary)
    if example:
        st.warning(
            f"**{EXAMPLE_LABEL}**: made-up counts, not your test. Type your own numbers above "
            "or press Start over.",
            icon=":material/science:",
        )
    first_day, last_day = state[form.key("start")], state[form.key("end")]
    if first_day is not None and last_day is not None and last_day < first_day:
        show_error(
            InvalidInputError(
                f"The test ends ({last_day}) before it starts ({first_day}): check the dates."
            )
        )
        return None
    return ResultInputs(
        summary=summary,
        options=analysis_options(form),
        start=first_day,
        end=last_day,
        is_example=example,
    )


def analysis_options(form: ResultForm) -> dict[str, Any]:
    """The analyze_summary_frame options the inputs describe (days come from the dates)."""
    state = st.session_state
    primary = state[form.key("primary")]
    sequential = bool(state[form.key("sequential")])
    planned = state.get(form.key("planned_visitors")) if sequential else None
    return {
        "control": state.get(form.key("control")),
        "alpha": percent_text(state[form.key("alpha")]),
        "planned_split": split_weights(state[form.key("split")]),
        "primary_metric": None if primary == "auto" else primary,
        "sequential": sequential,
        "planned_visitors": planned or None,
    }
