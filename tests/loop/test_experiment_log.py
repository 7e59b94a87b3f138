"""The experiment log: plan -> start -> end with a real analyzer result, hypotheses updated,
timeline notes on the trend charts, win rate over time."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from ro_core.errors import InvalidInputError
from ro_core.experiment import (
    ContinuousBaseline,
    ConversionBaseline,
    VariantData,
    analyze_experiment,
    duration_for,
    sample_size,
)
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from ro_core.present.charts import trend_figure
from ro_core.store.annotations import list_annotations

START = date(2024, 3, 4)
END = date(2024, 3, 31)


def _arms(control_orders: int, variant_orders: int) -> tuple[VariantData, VariantData]:
    """20,000 visitors an arm; every order worth 50 on average with a spread of 20, so the sum
    of squares is orders x (50^2 + 20^2) = orders x 2,900."""
    return (
        VariantData("Control", 20_000, control_orders, 50.0 * control_orders, 2_900.0 * control_orders),
        VariantData("B", 20_000, variant_orders, 50.0 * variant_orders, 2_900.0 * variant_orders),
    )  # fmt: skip


def _planned(db, name: str = "Wallet payments", daily_sessions: float = 2_000.0):
    hypothesis = H.add_hypothesis(db, title=f"{name} lift RPV", metric="rpv")
    plan = E.plan_from_calculator(ConversionBaseline(0.02), 0.10, daily_sessions=daily_sessions)
    return hypothesis, E.plan_experiment(db, hypothesis.hypothesis_id, name, plan)


def test_plan_stores_the_calculator_settings_and_duration(db) -> None:
    hypothesis, test = _planned(db)
    size = sample_size(ConversionBaseline(0.02), 0.10)
    duration = duration_for(size, daily_sessions=2_000.0)
    stored = E.get_experiment(db, test.experiment_id)
    assert stored.status == E.PLANNED and stored.primary_metric == "cr"
    assert stored.plan["sample_size"] == json.loads(json.dumps(size.to_dict()))
    assert stored.plan["duration"] == json.loads(json.dumps(duration.to_dict()))
    assert stored.plan["inputs"]["daily_sessions"] == 2_000.0
    assert stored.plan["inputs"]["mde"] == 0.10 and stored.plan["inputs"]["alpha"] == 0.05
    assert stored.expected_days == duration.recommended_days
    assert stored.expected_days % 7 == 0 and stored.expected_days >= 7
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.PLANNED
    assert list_annotations(db) == []  # nothing on the timeline until it runs


def test_rpv_plan_keeps_its_baseline(db) -> None:
    hypothesis = H.add_hypothesis(db, title="x")
    plan = E.plan_from_calculator(ContinuousBaseline(1.5, 12.0, "rpv"), 0.05, daily_sessions=None)
    test = E.plan_experiment(db, hypothesis.hypothesis_id, "RPV test", plan)
    assert test.primary_metric == "rpv" and test.expected_days is None
    inputs = test.plan["inputs"]
    assert (inputs["baseline_value"], inputs["sd"], inputs["metric"]) == (1.5, 12.0, "rpv")
    assert test.plan["duration"] is None


def test_lifecycle_plan_run_end_updates_hypothesis_and_timeline(db) -> None:
    hypothesis, test = _planned(db)
    running = E.start_experiment(db, test.experiment_id, START)
    assert running.status == E.RUNNING and running.start_date == START
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.RUNNING
    [note] = list_annotations(db)
    planned_end = START + timedelta(days=test.expected_days - 1)
    assert (note.start_date, note.end_date) == (START, planned_end)
    assert note.text == "A/B test running: Wallet payments"
    assert running.annotation_id == note.annotation_id

    # the running test is drawn on a trend chart as a shaded band from its start
    days = pd.date_range(START - timedelta(days=3), START + timedelta(days=10))
    frame = pd.DataFrame({"period_start": days, "period_end": days, "value": 1.0, "partial": False})
    figure = trend_figure(
        frame,
        label="Revenue",
        annotations=[(a.start_date, a.end_date, a.text) for a in list_annotations(db)],
    )
    bands = [s for s in figure.layout.shapes if s.type == "rect"]
    assert len(bands) == 1 and pd.Timestamp(bands[0].x0) == pd.Timestamp(START)
    assert "A/B test running: Wallet payments" in figure.layout.annotations[0].text

    control, variant = _arms(400, 520)  # 2.0% vs 2.6% conversion, same order values
    analysis = analyze_experiment(control, [variant], days=(END - START).days + 1)
    assert analysis.verdict.status == "winner" and analysis.primary_metric == "rpv"
    ended = E.end_experiment(db, test.experiment_id, END, analysis)
    assert ended.status == E.ENDED and ended.end_date == END and ended.days_run == 28
    assert ended.result == json.loads(json.dumps(analysis.to_dict()))
    assert ended.outcome == H.WON and ended.verdict == analysis.verdict.headline
    # RPV 1.00 -> 1.30: +30%; 0.30 a visitor x 2,000 sessions a day x 30.4375 days
    assert ended.relative_lift == pytest.approx(0.30)
    assert ended.monthly_revenue_impact == pytest.approx(0.30 * 2_000 * 30.4375)
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.WON
    [note] = list_annotations(db)
    assert (note.start_date, note.end_date) == (START, END)
    assert note.text == "A/B test (won): Wallet payments"
    assert ended.annotation_id == note.annotation_id


@pytest.mark.parametrize(
    ("control_orders", "variant_orders", "outcome"),
    [(520, 400, H.LOST), (450, 455, H.INCONCLUSIVE)],
)
def test_losers_and_draws_settle_the_hypothesis(db, control_orders, variant_orders, outcome):
    hypothesis, test = _planned(db)
    E.start_experiment(db, test.experiment_id, START)
    control, variant = _arms(control_orders, variant_orders)
    analysis = analyze_experiment(control, [variant], days=28)
    ended = E.end_experiment(db, test.experiment_id, END, analysis.to_dict())
    assert ended.outcome == outcome
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == outcome
    rpv_lift = variant_orders / control_orders - 1
    assert ended.relative_lift == pytest.approx(rpv_lift)


def test_conversion_only_result_uses_control_aov_for_revenue_impact(db) -> None:
    _, test = _planned(db, daily_sessions=1_000.0)
    E.start_experiment(db, test.experiment_id, START)
    analysis = analyze_experiment(
        VariantData("Control", 20_000, 400), [VariantData("B", 20_000, 520)], days=28
    )
    ended = E.end_experiment(db, test.experiment_id, END, analysis, monthly_visitors=10_000)
    # no revenue: a CR lift of 0.6 points, no AOV known -> no revenue impact
    assert ended.relative_lift == pytest.approx(0.30)
    assert ended.monthly_revenue_impact is None
    summary = E.summarize_result(
        {**analysis.to_dict(), "control": {"average_order_value": 50.0}}, monthly_visitors=10_000
    )
    assert summary.monthly_revenue_impact == pytest.approx(0.006 * 50.0 * 10_000)


def test_steps_out_of_order_raise_and_leave_no_trace(db) -> None:
    hypothesis, test = _planned(db)
    control, variant = _arms(400, 520)
    analysis = analyze_experiment(control, [variant], days=28)
    with pytest.raises(InvalidInputError, match="only a running test can end"):
        E.end_experiment(db, test.experiment_id, END, analysis)
    with pytest.raises(InvalidInputError, match=f"already has test #{test.experiment_id} planned"):
        E.plan_experiment(db, hypothesis.hypothesis_id, "A second plan")
    # the hypothesis was moved back to idea by hand: the test cannot start, no note is left
    H.set_status(db, hypothesis.hypothesis_id, H.IDEA)
    with pytest.raises(InvalidInputError, match="idea cannot move to running"):
        E.start_experiment(db, test.experiment_id, START)
    assert list_annotations(db) == []
    assert E.get_experiment(db, test.experiment_id).status == E.PLANNED
    H.set_status(db, hypothesis.hypothesis_id, H.PLANNED)
    E.start_experiment(db, test.experiment_id, START)
    with pytest.raises(InvalidInputError, match="only a planned test can start"):
        E.start_experiment(db, test.experiment_id, START)
    with pytest.raises(InvalidInputError, match="before it started"):
        E.end_experiment(db, test.experiment_id, START - timedelta(days=1), analysis)
    assert len(list_annotations(db)) == 1
    with pytest.raises(InvalidInputError, match="has started: it stays in the log"):
        E.delete_experiment(db, test.experiment_id)
    # a running hypothesis cannot get a second test planned
    with pytest.raises(InvalidInputError, match=f"already has test #{test.experiment_id} running"):
        E.plan_experiment(db, hypothesis.hypothesis_id, "Second")
    with pytest.raises(InvalidInputError, match="no test #99"):
        E.start_experiment(db, 99, START)


def test_stopping_without_a_result_is_inconclusive(db) -> None:
    hypothesis, test = _planned(db)
    E.start_experiment(db, test.experiment_id, START)
    ended = E.end_experiment(db, test.experiment_id, START + timedelta(days=3), None)
    assert (ended.outcome, ended.result, ended.relative_lift) == (H.INCONCLUSIVE, None, None)
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.INCONCLUSIVE


def test_removing_a_planned_test_returns_its_hypothesis_to_the_backlog(db) -> None:
    hypothesis, test = _planned(db)
    assert E.delete_experiment(db, test.experiment_id)
    assert E.list_experiments(db) == []
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.IDEA
    assert not E.delete_experiment(db, test.experiment_id)


def test_experiments_in_period_and_the_log_table(db) -> None:
    _, first = _planned(db, "First")
    _, second = _planned(db, "Second")
    _, later = _planned(db, "Later")
    E.start_experiment(db, first.experiment_id, date(2024, 1, 1))
    E.end_experiment(db, first.experiment_id, date(2024, 1, 20), None)
    E.start_experiment(db, second.experiment_id, date(2024, 2, 20))  # still running
    E.start_experiment(db, later.experiment_id, date(2024, 5, 1))
    names = [t.name for t in E.experiments_in_period(db, date(2024, 2, 1), date(2024, 3, 31))]
    assert names == ["Second"]
    names = [t.name for t in E.experiments_in_period(db, date(2024, 1, 15), date(2024, 6, 1))]
    assert names == ["First", "Second", "Later"]
    frame = E.experiments_frame(db)
    assert list(frame.columns) == list(E.EXPERIMENT_COLUMNS)
    assert frame["name"].tolist() == ["Later", "Second", "First"]
    assert frame.set_index("name").loc["First", "hypothesis_title"] == "First lift RPV"
    assert frame.set_index("name").loc["First", "days_run"] == 20


def test_win_rate_over_time_by_month_and_quarter() -> None:
    ended = pd.DataFrame(
        {
            "end_date": [date(2024, 1, 5), date(2024, 1, 30), date(2024, 2, 10),
                         date(2024, 3, 1), date(2024, 3, 31), None],
            "outcome": [H.WON, H.LOST, H.INCONCLUSIVE, H.WON, H.WON, None],
        }
    )  # fmt: skip
    monthly = E.win_rate_over_time(ended, "month")
    assert list(monthly.columns) == list(E.WIN_RATE_COLUMNS)
    assert monthly["period_start"].tolist() == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
    assert monthly["ended"].tolist() == [2, 1, 2]
    assert monthly["won"].tolist() == [1, 0, 2]
    assert monthly["win_rate"].tolist() == pytest.approx([0.5, 0.0, 1.0])
    assert monthly["cumulative_win_rate"].tolist() == pytest.approx([1 / 2, 1 / 3, 3 / 5])
    quarterly = E.win_rate_over_time(ended, "quarter")
    assert quarterly[["ended", "won", "lost", "inconclusive"]].values.tolist() == [[5, 3, 1, 1]]
    assert E.win_rate_over_time(ended.iloc[0:0]).empty


# --- logging a finished test: its real dates, judged against its plan -----------------------------
SUMMARY = pd.DataFrame(
    {
        "variant": ["Control", "B"],
        "visitors": [20_000, 20_000],
        "conversions": [400, 520],
        "revenue_sum": [None, None],
        "revenue_sum_squares": [None, None],
    }
)


def test_default_result_dates_are_not_both_today(db) -> None:
    today = date(2025, 6, 30)
    _, test = _planned(db)  # about 4 weeks planned, no planned start
    days = test.expected_days
    assert E.default_result_dates(test, today) == (today - timedelta(days=days - 1), today)
    with_start = E.plan_experiment(
        db, H.add_hypothesis(db, title="Other").hypothesis_id, "Other", expected_days=14,
        planned_start=date(2025, 6, 2),
    )  # fmt: skip
    # from the planned start to the planned end (2 June + 13 days), which has passed
    assert E.default_result_dates(with_start, today) == (date(2025, 6, 2), date(2025, 6, 15))
    running = E.start_experiment(db, with_start.experiment_id, date(2025, 6, 20))
    # a test still inside its planned days ends today at the latest
    assert E.default_result_dates(running, today) == (date(2025, 6, 20), today)
    unplanned = E.plan_experiment(db, H.add_hypothesis(db, title="Third").hypothesis_id, "Third")
    assert E.default_result_dates(unplanned, today) == (today, today)


def test_too_early_is_judged_against_the_planned_duration_only(db) -> None:
    hypothesis = H.add_hypothesis(db, title="Short")
    planned = E.plan_experiment(db, hypothesis.hypothesis_id, "Short", expected_days=5)
    control, variant = VariantData("Control", 20_000, 400), VariantData("B", 20_000, 520)
    # 5 of 5 planned days: read as it stands, although it is under a week
    on_plan = E.analyze_result(planned, SUMMARY, date(2025, 6, 2), date(2025, 6, 6))
    reference = analyze_experiment(control, [variant])
    assert on_plan.verdict == reference.verdict and on_plan.verdict.status == "winner"
    assert on_plan.days == 5
    # 3 of 5 planned days: too early, whatever the p-value; the reading so far is kept
    early = E.analyze_result(planned, SUMMARY, date(2025, 6, 2), date(2025, 6, 4))
    assert early.verdict.status == "inconclusive"
    assert early.verdict.headline == (
        "Too early to call: the test ran 3 of its 5 planned days (2025-06-02 to 2025-06-04)."
    )
    assert early.verdict.warnings[0] == f"So far: {reference.verdict.headline}"
    # without a plan the analyzer's full-week rule applies
    unplanned = E.plan_experiment(db, H.add_hypothesis(db, title="Free").hypothesis_id, "Free")
    short = E.analyze_result(unplanned, SUMMARY, date(2025, 6, 2), date(2025, 6, 4))
    assert short.verdict == analyze_experiment(control, [variant], days=3).verdict
    assert short.verdict.headline.startswith("Too early to call: less than a full week")
    with pytest.raises(InvalidInputError, match="before it starts"):
        E.analyze_result(planned, SUMMARY, date(2025, 6, 4), date(2025, 6, 2))


def test_record_result_logs_a_planned_test_with_its_real_dates(db) -> None:
    hypothesis = H.add_hypothesis(db, title="Ran already")
    planned = E.plan_experiment(db, hypothesis.hypothesis_id, "Ran already", expected_days=14)
    first, last = date(2025, 5, 1), date(2025, 5, 14)
    analysis = E.analyze_result(planned, SUMMARY, first, last)
    ended = E.record_result(db, planned.experiment_id, first, last, analysis)
    assert (ended.status, ended.start_date, ended.end_date, ended.days_run) == (
        E.ENDED, first, last, 14,
    )  # fmt: skip
    assert ended.outcome == H.WON
    assert H.get_hypothesis(db, hypothesis.hypothesis_id).status == H.WON
    assert [(n.start_date, n.end_date) for n in list_annotations(db)] == [(first, last)]
    # a running test's recorded first day is corrected to the real one
    other = H.add_hypothesis(db, title="Corrected")
    test = E.plan_experiment(db, other.hypothesis_id, "Corrected", expected_days=7)
    E.start_experiment(db, test.experiment_id, date(2025, 7, 10))
    fixed = E.record_result(db, test.experiment_id, date(2025, 7, 1), date(2025, 7, 7), None)
    assert (fixed.start_date, fixed.end_date) == (date(2025, 7, 1), date(2025, 7, 7))
    # reversed dates leave a planned test planned
    third = E.plan_experiment(db, H.add_hypothesis(db, title="T").hypothesis_id, "T")
    with pytest.raises(InvalidInputError, match="before it starts"):
        E.record_result(db, third.experiment_id, date(2025, 7, 7), date(2025, 7, 1), None)
    assert E.get_experiment(db, third.experiment_id).status == E.PLANNED
