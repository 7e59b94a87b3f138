"""AppTest flows of the RO loop on the demo store: an opportunity becomes a scored hypothesis
that moves through its states; a hypothesis is added by hand; a test is planned, started and
ended with its result; goals are set and shown with their progress."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from ro_core import metrics
from ro_core.experiment import (
    ConversionBaseline,
    ExperimentDesign,
    VariantData,
    analyze_experiment,
    sample_size,
)
from ro_core.loop import experiment_log as E
from ro_core.loop import goals as G
from ro_core.loop import hypotheses as H
from ro_core.metrics.periods import DateRange
from ro_core.store.annotations import list_annotations
from tests.ui.conftest import assert_clean, plain, run_app


def _last_30_days(db) -> DateRange:
    return metrics.presets(metrics.coverage(db).latest_date)["last_30_days"]


def test_opportunity_to_scored_hypothesis_through_its_states(demo_db) -> None:
    at = run_app()
    assert_clean(at)
    top = metrics.opportunities(demo_db, _last_30_days(demo_db)).iloc[0]
    at.button(key="opportunity_hypothesis_0").click().run()
    assert_clean(at)
    [item] = H.list_hypotheses(demo_db)
    assert item.source_key == f"{top['segment_dimension']}|{top['segment']}|{top['step']}"
    assert item.status == H.IDEA and item.source == H.OPPORTUNITY_SOURCE
    # the realistic, capped lift (never the raw gap to the benchmark, e.g. "+485.5%")
    assert item.expected_lift == pytest.approx(top["lift"])
    assert item.expected_lift <= 0.20 < top["benchmark_rate"] / top["current_rate"] - 1
    assert f"Added hypothesis #{item.hypothesis_id}" in plain(at.success[0].value)
    # a second click cannot add it twice: the button now names the hypothesis and is disabled
    at.run()
    button = at.button(key="opportunity_hypothesis_0")
    assert button.disabled and f"(hypothesis #{item.hypothesis_id})" in button.label

    at.switch_page("pages/hypotheses.py").run()
    assert_clean(at)
    assert at.dataframe[0].value["title"].tolist() == [item.title]
    hid = item.hypothesis_id
    at.segmented_control(key=f"score_method_{hid}").set_value("pie").run()
    for name, value in (("potential", 9), ("importance", 7), ("ease", 5)):
        at.slider(key=f"score_{hid}_pie_{name}").set_value(value)
    at.button(key="save_score").click().run()
    assert_clean(at)
    scored = H.get_hypothesis(demo_db, hid)
    assert (scored.scoring, scored.scores, scored.score) == (
        "pie",
        {"potential": 9, "importance": 7, "ease": 5},
        pytest.approx(7.0),
    )
    assert at.dataframe[0].value["score"].tolist() == pytest.approx([7.0])

    # only the moves the flow allows are offered, one state at a time
    assert {b.key for b in at.button if b.key.startswith("move_to_")} == {"move_to_planned"}
    for status, offered_next in (
        (H.PLANNED, {"move_to_idea", "move_to_running"}),
        (H.RUNNING, {"move_to_won", "move_to_lost", "move_to_inconclusive"}),
        (H.LOST, set()),
    ):
        at.button(key=f"move_to_{status}").click().run()
        assert_clean(at)
        assert H.get_hypothesis(demo_db, hid).status == status
        assert {b.key for b in at.button if b.key.startswith("move_to_")} == offered_next
    assert any("Lost is final." in c.value for c in at.caption)


def test_add_a_hypothesis_by_hand_and_sort_the_backlog(demo_db) -> None:
    H.add_hypothesis(demo_db, title="Older, weaker idea", scoring="ice",
                     scores={"impact": 2, "confidence": 2, "ease": 2})  # fmt: skip
    at = run_app()
    at.switch_page("pages/hypotheses.py").run()
    assert_clean(at)
    at.text_input(key="new_hypothesis_title").input("Wallets in the mobile checkout")
    at.selectbox(key="new_hypothesis_location").set_value("Checkout")
    at.text_input(key="new_hypothesis_segment").input("device = Mobile")
    at.text_area(key="new_hypothesis_observation").input("Mobile converts at half of desktop.")
    at.text_area(key="new_hypothesis_change").input("add Apple Pay and Google Pay")
    at.selectbox(key="new_hypothesis_metric").set_value("conversion_rate")
    at.number_input(key="new_hypothesis_lift").set_value(5.0)
    for name, value in (("impact", 8), ("confidence", 6), ("ease", 4)):
        at.slider(key=f"new_hypothesis_{name}").set_value(value)
    next(b for b in at.button if b.label == "Add to backlog").click().run()
    assert_clean(at)
    newest = H.list_hypotheses(demo_db, sort_by="created_at")[0]
    assert (newest.title, newest.location, newest.segment, newest.metric) == (
        "Wallets in the mobile checkout",
        "Checkout",
        "device = Mobile",
        "conversion_rate",
    )
    assert newest.proposed_change == "add Apple Pay and Google Pay"
    assert newest.expected_lift == pytest.approx(0.05)
    assert (newest.scoring, newest.score) == ("ice", pytest.approx(6.0))
    assert f"#{newest.hypothesis_id} is in the backlog" in at.success[0].value
    table = at.dataframe[0].value
    assert table["title"].tolist() == ["Wallets in the mobile checkout", "Older, weaker idea"]
    at.selectbox(key="hypotheses_sort").set_value("expected_lift").run()
    assert at.dataframe[0].value["title"].tolist()[0] == "Wallets in the mobile checkout"
    at.multiselect(key="hypotheses_statuses").set_value([H.PLANNED]).run()
    assert at.dataframe[0].value.empty


def test_plan_start_and_end_a_test_in_the_experiment_log(demo_db) -> None:
    item = H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    at = run_app()
    at.switch_page("pages/experiment_log.py").run()
    assert_clean(at)
    at.segmented_control(key="plan_metric").set_value("cr").run()
    assert_clean(at)
    baseline_cr = at.number_input(key="plan_cr").value
    daily = at.number_input(key="plan_daily_sessions").value
    period = _last_30_days(demo_db)
    cards = metrics.kpi_values(demo_db, period)  # the Overview's CR card
    sums = metrics.experiment_baseline_sums(demo_db, period)
    assert baseline_cr == pytest.approx(cards.conversion_rate * 100, rel=1e-12)
    assert daily == pytest.approx(sums.sessions / sums.days, rel=1e-12)
    at.text_input(key="plan_name").input("Banner test")
    at.number_input(key="plan_mde_relative").set_value(15.0)
    at.button(key="plan_test").click().run()
    assert_clean(at)
    [test] = E.list_experiments(demo_db)
    expected = sample_size(ConversionBaseline(baseline_cr / 100), 0.15, design=ExperimentDesign())
    assert test.name == "Banner test" and test.status == E.PLANNED
    assert test.plan["sample_size"]["per_variant"] == expected.per_variant
    assert test.plan["inputs"]["daily_sessions"] == pytest.approx(daily)
    assert test.plan["inputs"]["mde"] == pytest.approx(0.15)
    assert test.expected_days == test.plan["duration"]["recommended_days"]
    assert H.get_hypothesis(demo_db, item.hypothesis_id).status == H.PLANNED
    assert f"about {test.expected_days} days" in plain(at.success[0].value)
    # while the log holds its test, the hypothesis moves only through the log
    at.switch_page("pages/hypotheses.py").run()
    assert_clean(at)
    assert not [b for b in at.button if b.key.startswith("move_to_")]
    assert any("Its test #" in c.value and "is planned" in c.value for c in at.caption)
    at.switch_page("pages/experiment_log.py").run()

    start = date(2025, 9, 1)
    at.date_input(key=f"start_date_{test.experiment_id}").set_value(start)
    at.button(key=f"start_test_{test.experiment_id}").click().run()
    assert_clean(at)
    [note] = list_annotations(demo_db)
    assert (note.start_date, note.text) == (start, "A/B test running: Banner test")
    assert H.get_hypothesis(demo_db, item.hypothesis_id).status == H.RUNNING

    # the result form opens on the recorded start; the test ran its planned days
    tid = test.experiment_id
    assert at.date_input(key=f"end_{tid}_start").value == start
    end = start + timedelta(days=test.expected_days - 1)
    at.date_input(key=f"end_{tid}_end").set_value(end)
    at.session_state[f"end_{tid}_table"] = pd.DataFrame(
        {
            "variant": ["Control", "Variant"],
            "visitors": [20_000, 20_000],
            "conversions": [400, 520],
            "revenue_sum": [None, None],
            "revenue_sum_squares": [None, None],
        }
    )
    at.session_state[f"end_{tid}_editor_round"] = 1
    at.run()
    at.button(key=f"save_result_{tid}").click().run()
    assert_clean(at)
    ended = E.get_experiment(demo_db, tid)
    analysis = analyze_experiment(
        VariantData("Control", 20_000, 400),
        [VariantData("Variant", 20_000, 520)],
        days=test.expected_days,
    )
    assert ended.status == E.ENDED and ended.outcome == H.WON
    assert ended.result["verdict"] == analysis.to_dict()["verdict"]
    assert ended.relative_lift == pytest.approx(0.30)
    assert H.get_hypothesis(demo_db, item.hypothesis_id).status == H.WON
    assert [(n.start_date, n.end_date) for n in list_annotations(demo_db)] == [(start, end)]
    past = at.dataframe[0].value
    assert past["name"].tolist() == ["Banner test"] and past["outcome"].tolist() == ["Won"]
    assert past["relative_lift"].tolist() == ["+30.0%"]
    assert "None" not in set(past.to_numpy().ravel())
    assert [m.value for m in at.metric][:2] == ["1", "100.00%"]

    # the test's dates are a note on the trend charts
    at.switch_page("pages/trends.py").run()
    assert_clean(at)
    assert at.selectbox(key="note_choice").options == [
        f"{start} to {end}: A/B test (won): Banner test"
    ]


def test_goals_page_sets_goals_and_the_overview_shows_their_progress(demo_db) -> None:
    at = run_app()
    at.switch_page("pages/goals.py").run()
    assert_clean(at)
    october = date(2025, 10, 15)
    at.date_input(key="goal_day").set_value(october)
    at.number_input(key="goal_target").set_value(60_000.0)
    next(b for b in at.button if b.label == "Save goal").click().run()
    assert_clean(at)
    at.selectbox(key="goal_metric").set_value("conversion_rate")
    at.selectbox(key="goal_kind").set_value("quarter")
    at.date_input(key="goal_day").set_value(october)
    at.number_input(key="goal_target").set_value(3.0)
    next(b for b in at.button if b.label == "Save goal").click().run()
    assert_clean(at)
    goals = {g.metric: g for g in G.list_goals(demo_db)}
    assert goals["revenue"].period == DateRange(date(2025, 10, 1), date(2025, 10, 31))
    assert goals["revenue"].target == 60_000
    assert goals["conversion_rate"].period == DateRange(date(2025, 10, 1), date(2025, 12, 31))
    assert goals["conversion_rate"].target == pytest.approx(0.03)

    revenue = metrics.kpi_values(demo_db, goals["revenue"].period).revenue
    table = at.dataframe[0].value.set_index("goal")
    assert table.loc["Revenue, October 2025", "actual"] == f"${revenue:,.2f}"
    assert table.loc["Revenue, October 2025", "target"] == "$60,000.00"

    # the Overview's default period (last 30 days) overlaps both goals
    at.switch_page("pages/overview.py").run()
    assert_clean(at)
    bars = [plain(p.proto.text) for p in at.get("progress")]
    assert any(
        b.startswith(f"**Revenue, October 2025**: ${revenue:,.2f} of $60,000.00") for b in bars
    )
    assert any(b.startswith("**Conversion rate, Q4 2025**") for b in bars)
    assert "Report (HTML)" in [d.proto.label for d in at.get("download_button")]

    at.switch_page("pages/goals.py").run()
    at.selectbox(key="goal_choice").set_value(goals["revenue"].goal_id)
    at.button(key="delete_goal").click().run()
    assert_clean(at)
    assert [g.metric for g in G.list_goals(demo_db)] == ["conversion_rate"]
