"""The shared test-plan and result forms (ro_ui/components) on the Experiments page and the
Experiment log: same fields, same defaults, the dates a finished test is logged with, the
Analyze tab's first view, and the baseline equal to the Overview's KPI cards on the demo store."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from ro_core import metrics
from ro_core.experiment import VariantData, analyze_experiment
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from ro_ui.components import result_form as R
from ro_ui.components import test_plan_form as P
from tests.ui.conftest import assert_clean, metric, plain, run_app

EXPERIMENTS = "pages/experiments.py"
LOG = "pages/experiment_log.py"
ARMS = pd.DataFrame(
    {
        "variant": ["Control", "Variant"],
        "visitors": [20_000, 20_000],
        "conversions": [400, 520],
        "revenue_sum": [None, None],
        "revenue_sum_squares": [None, None],
    }
)


def _open(page: str, session: dict | None = None):
    at = run_app()
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert_clean(at)
    return at


def _plan_values(at, prefix: str) -> dict[str, object]:
    return {field: at.session_state[f"{prefix}_{field}"] for field in P.DEFAULTS}


def _result_values(at, prefix: str) -> dict[str, object]:
    values = {field: at.session_state[f"{prefix}_{field}"] for field in R.DEFAULTS}
    values.pop("editor_round")
    return values


def _table(at, prefix: str) -> pd.DataFrame:
    return at.session_state[f"{prefix}_table"]


def test_both_pages_draw_the_same_plan_form_with_the_same_defaults(demo_db) -> None:
    H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    experiments = _open(EXPERIMENTS)
    log = _open(LOG)
    on_experiments, on_log = _plan_values(experiments, "exp_plan"), _plan_values(log, "plan")
    assert on_experiments == on_log
    # the store's figures over the same period, not each page's own numbers
    period = metrics.presets(metrics.coverage(demo_db).latest_date)["last_30_days"]
    cards = metrics.kpi_values(demo_db, period)
    assert on_log["cr"] == pytest.approx(cards.conversion_rate * 100, rel=1e-12)
    assert on_log["aov"] == pytest.approx(cards.aov, rel=1e-12)
    assert on_log["rpv"] == pytest.approx(cards.revenue_per_session, rel=1e-12)
    # the settings a store cannot give come from the one set of defaults
    for field in ("metric", "mde_relative", "alpha", "power", "traffic_share", "sides"):
        assert on_log[field] == P.DEFAULTS[field], field
    labels = {w.label for w in log.number_input}
    assert {"Conversion rate (%)", "Relative MDE (%)", "Power (%)"} <= labels
    assert labels <= {w.label for w in experiments.number_input}


def test_without_data_both_plan_forms_start_from_the_defaults(empty_db) -> None:
    H.add_hypothesis(empty_db, title="Free shipping banner", metric="conversion_rate")
    experiments = _open(EXPERIMENTS)
    log = _open(LOG)
    assert _plan_values(experiments, "exp_plan") == _plan_values(log, "plan") == P.DEFAULTS


def test_both_pages_draw_the_same_result_form_with_the_same_defaults(demo_db) -> None:
    item = H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    test = E.plan_experiment(demo_db, item.hypothesis_id, "Banner test", expected_days=14)
    E.start_experiment(demo_db, test.experiment_id, date(2025, 9, 1))
    analyze = _open(EXPERIMENTS)
    log = _open(LOG)
    prefix = f"end_{test.experiment_id}"
    assert (
        _result_values(analyze, "exp_an")
        == _result_values(log, prefix)
        == {k: v for k, v in R.DEFAULTS.items() if k != "editor_round"}
    )
    pd.testing.assert_frame_equal(_table(analyze, "exp_an"), _table(log, prefix))
    assert _table(log, prefix)["visitors"].isna().all()  # no made-up counts
    for at in (analyze, log):
        assert {"First day of the test", "Last day of the test"} <= {w.label for w in at.date_input}


def test_a_finished_test_is_logged_with_its_real_dates_and_judged_on_its_plan(demo_db) -> None:
    today = date.today()
    item = H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    test = E.plan_experiment(demo_db, item.hypothesis_id, "Banner test", expected_days=14)
    tid = test.experiment_id
    at = _open(LOG)
    start = at.date_input(key=f"end_{tid}_start").value
    end = at.date_input(key=f"end_{tid}_end").value
    # not both today: the planned duration back from today
    assert (start, end) == (today - timedelta(days=13), today)

    at.session_state[f"end_{tid}_table"] = ARMS.copy()
    at.session_state[f"end_{tid}_editor_round"] = 1
    at.run()
    at.button(key=f"save_result_{tid}").click().run()
    assert_clean(at)
    logged = E.get_experiment(demo_db, tid)
    reference = analyze_experiment(
        VariantData("Control", 20_000, 400), [VariantData("Variant", 20_000, 520)], days=14
    )
    assert (logged.status, logged.start_date, logged.end_date) == (E.ENDED, start, today)
    assert logged.outcome == H.WON and "Too early" not in (logged.verdict or "")
    assert logged.result["verdict"] == reference.to_dict()["verdict"]


def test_ending_before_the_planned_duration_is_too_early(demo_db) -> None:
    item = H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    test = E.plan_experiment(demo_db, item.hypothesis_id, "Banner test", expected_days=21)
    E.start_experiment(demo_db, test.experiment_id, date(2025, 9, 1))
    tid = test.experiment_id
    at = _open(LOG)
    assert at.date_input(key=f"end_{tid}_start").value == date(2025, 9, 1)
    assert at.date_input(key=f"end_{tid}_end").value == date(2025, 9, 21)  # planned end
    at.date_input(key=f"end_{tid}_end").set_value(date(2025, 9, 14))  # 14 of 21 days
    at.session_state[f"end_{tid}_table"] = ARMS.copy()
    at.session_state[f"end_{tid}_editor_round"] = 1
    at.run()
    at.button(key=f"save_result_{tid}").click().run()
    assert_clean(at)
    ended = E.get_experiment(demo_db, tid)
    assert ended.outcome == H.INCONCLUSIVE and ended.days_run == 14
    assert ended.verdict.startswith("Too early to call: the test ran 14 of its 21 planned days")


def test_analyze_tab_opens_empty_and_labels_the_example(demo_db) -> None:
    item = H.add_hypothesis(demo_db, title="Free shipping banner", metric="conversion_rate")
    test = E.plan_experiment(demo_db, item.hypothesis_id, "Banner test", expected_days=14)
    E.start_experiment(demo_db, test.experiment_id, date(2025, 9, 1))
    at = _open(EXPERIMENTS)
    assert not at.success  # no verdict
    assert not [f for f in at.dataframe if "chance_to_beat_control" in f.value.columns]
    assert any("Type each arm's visitors and conversions" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "exp_an_save"]

    at.button(key="exp_an_example").click().run()
    assert_clean(at)
    assert any(w.value.startswith("**Example data**") for w in at.warning)
    assert any(m.value.startswith("**Example data**") for m in at.markdown)
    assert [f for f in at.dataframe if "chance_to_beat_control" in f.value.columns]
    # an example is never saved into the log as a test's result
    assert not [b for b in at.button if b.key == "exp_an_save"]

    # once a count is the user's own, the label goes and the result can be saved
    table = R.example_table()
    table.loc[1, "conversions"] = 346
    at.session_state["exp_an_table"] = table
    at.session_state["exp_an_editor_round"] = 5
    at.run()
    assert_clean(at)
    assert not any("Example data" in w.value for w in at.warning)
    assert [b for b in at.button if b.key == "exp_an_save"]


def test_experiment_baseline_equals_the_overview_cards_on_the_demo_store(demo_db) -> None:
    at = run_app()
    assert_clean(at)
    card_cr = metric(at, "Conversion rate").value
    card_aov = metric(at, "AOV").value
    card_rpv = metric(at, "RPV").value
    at.switch_page(EXPERIMENTS).run()
    assert_clean(at)
    cr = at.number_input(key="exp_plan_cr").value
    aov = at.number_input(key="exp_plan_aov").value
    rpv = at.number_input(key="exp_plan_rpv").value
    # as shown: the same text as the cards (2 decimals)
    assert (f"{cr:.2f}%", f"${aov:,.2f}", f"${rpv:,.2f}") == (card_cr, card_aov, card_rpv)
    # and exactly: the cards' own computation for the same scope
    scope = at.session_state["scope"]
    cards = metrics.kpi_values(demo_db, scope.period, scope.filters)
    assert cards.conversion_rate_basis == "converted sessions / sessions"
    assert cr == pytest.approx(cards.conversion_rate * 100, rel=1e-12)
    assert aov == pytest.approx(cards.aov, rel=1e-12)
    assert rpv == pytest.approx(cards.revenue_per_session, rel=1e-12)
    # where CR x AOV is not RPV, one line says why
    assert any("not quite RPV" in plain(c.value) for c in at.caption)
