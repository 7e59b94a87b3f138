"""The hypothesis backlog: ICE/PIE scoring, the status flow, sorting, opportunities."""

from __future__ import annotations

import pytest

from ro_core.errors import InvalidInputError
from ro_core.loop import experiment_log as E
from ro_core.loop import hypotheses as H
from tests.loop.conftest import HOSTILE


def test_ice_and_pie_scores_are_the_mean_of_three_1_to_10_scores() -> None:
    assert H.ice_score(8, 6, 4) == pytest.approx(6.0)
    assert H.ice_score(10, 10, 9) == pytest.approx(29 / 3)
    assert H.pie_score(3, 7, 2) == pytest.approx(4.0)
    assert H.pie_score("5", 5.0, 5) == pytest.approx(5.0)
    for bad, message in ((0, "from 1 to 10"), (11, "from 1 to 10"), (6.5, "whole number"),
                         ("high", "must be a number"), (None, "score from 1 to 10")):  # fmt: skip
        with pytest.raises(InvalidInputError, match=message):
            H.ice_score(bad, 5, 5)


def test_scoring_a_hypothesis_keeps_only_the_chosen_method(db) -> None:
    item = H.add_hypothesis(db, title="Trust badges at checkout", metric="conversion_rate")
    assert item.score is None and item.scoring is None and item.status == H.IDEA
    scored = H.score_hypothesis(
        db, item.hypothesis_id, "ice", {"impact": 8, "confidence": 6, "ease": 4}
    )
    assert (scored.scoring, scored.score) == ("ice", pytest.approx(6.0))
    assert scored.scores == {"impact": 8, "confidence": 6, "ease": 4}
    pie = H.score_hypothesis(
        db, item.hypothesis_id, "PIE", {"potential": 9, "importance": 9, "ease": 3}
    )
    assert (pie.scoring, pie.score) == ("pie", pytest.approx(7.0))
    assert pie.impact is None and pie.confidence is None  # ICE scores cleared
    with pytest.raises(InvalidInputError, match="PIE needs a score for importance"):
        H.score_hypothesis(db, item.hypothesis_id, "pie", {"potential": 9, "ease": 3})
    with pytest.raises(InvalidInputError, match="ICE or PIE"):
        H.score_hypothesis(db, item.hypothesis_id, "rice", {"impact": 1})


def test_status_flow_through_to_a_result(db) -> None:
    item = H.add_hypothesis(db, title="Free shipping threshold banner")
    path = [H.PLANNED, H.IDEA, H.PLANNED, H.RUNNING, H.WON]
    for status in path:
        item = H.set_status(db, item.hypothesis_id, status)
        assert H.get_hypothesis(db, item.hypothesis_id).status == status
    assert item.next_statuses == ()
    # the same status again is not a move
    assert H.set_status(db, item.hypothesis_id, H.WON).status == H.WON


@pytest.mark.parametrize(
    ("path", "illegal", "message"),
    [
        ((), H.RUNNING, "idea cannot move to running.*From idea it can move to planned"),
        ((), H.WON, "idea cannot move to won"),
        ((H.PLANNED,), H.LOST, "planned cannot move to lost.*idea or running"),
        ((H.PLANNED, H.RUNNING), H.IDEA, "running cannot move to idea.*won or lost or inconcl"),
        ((H.PLANNED, H.RUNNING, H.WON), H.IDEA, "Won is final"),
        ((H.PLANNED, H.RUNNING, H.LOST), H.PLANNED, "Lost is final"),
        ((), "shipped", "Unknown status 'shipped'"),
    ],
)
def test_illegal_moves_raise_a_clear_error(db, path, illegal, message) -> None:
    item = H.add_hypothesis(db, title="Sticky add to cart")
    for status in path:
        H.set_status(db, item.hypothesis_id, status)
    with pytest.raises(InvalidInputError, match=message):
        H.set_status(db, item.hypothesis_id, illegal)
    assert H.get_hypothesis(db, item.hypothesis_id).status == (path[-1] if path else H.IDEA)


def test_inconclusive_can_be_retried(db) -> None:
    item = H.add_hypothesis(db, title="Shorter product titles")
    for status in (H.PLANNED, H.RUNNING, H.INCONCLUSIVE, H.PLANNED):
        item = H.set_status(db, item.hypothesis_id, status)
    assert item.status == H.PLANNED


def test_backlog_sorts_by_score_lift_status_and_age(db) -> None:
    ice_low = {"impact": 2, "confidence": 2, "ease": 2}
    H.add_hypothesis(db, title="low", expected_lift=0.02, scoring="ice", scores=ice_low)
    pie_high = {"potential": 9, "importance": 8, "ease": 7}
    H.add_hypothesis(db, title="high", expected_lift="5%", scoring="pie", scores=pie_high)
    H.add_hypothesis(db, title="unscored", expected_lift=0.10)
    ice_middle = {"impact": 5, "confidence": 5, "ease": 5}
    middle = H.add_hypothesis(db, title="middle", scoring="ice", scores=ice_middle)
    H.set_status(db, middle.hypothesis_id, H.PLANNED)

    def titles(sort_by: str, **kw) -> list[str]:
        return [h.title for h in H.list_hypotheses(db, sort_by=sort_by, **kw)]

    assert titles("score") == ["high", "middle", "low", "unscored"]
    assert titles("expected_lift") == ["unscored", "high", "low", "middle"]
    assert titles("created_at") == ["middle", "unscored", "high", "low"]
    assert titles("status") == ["unscored", "high", "low", "middle"]
    assert titles("score", statuses=[H.PLANNED]) == ["middle"]
    frame = H.hypotheses_frame(db, sort_by="score")
    assert list(frame.columns) == list(H.HYPOTHESIS_COLUMNS)
    assert frame["score"].tolist()[:3] == pytest.approx([8.0, 5.0, 2.0])
    assert H.status_counts(db)[H.IDEA] == 3 and H.status_counts(db)[H.PLANNED] == 1
    with pytest.raises(InvalidInputError, match="Sort by"):
        H.list_hypotheses(db, sort_by="colour")


def test_add_checks_its_fields_and_keeps_text_as_typed(db) -> None:
    with pytest.raises(InvalidInputError, match="short title"):
        H.add_hypothesis(db, title="   ")
    with pytest.raises(InvalidInputError, match="metric must be one of"):
        H.add_hypothesis(db, title="x", metric="happiness")
    with pytest.raises(InvalidInputError, match="above -100%"):
        H.add_hypothesis(db, title="x", expected_lift=-1.5)
    item = H.add_hypothesis(
        db,
        title=HOSTILE,
        location="Checkout",
        segment="device = mobile",
        observation="Mobile completes checkout 20% less often.",
        proposed_change="add wallet payments",
        metric="rpv",
        expected_lift="4%",
    )
    assert H.get_hypothesis(db, item.hypothesis_id).title == HOSTILE
    assert item.expected_lift == pytest.approx(0.04)
    assert item.statement() == (
        "If we add wallet payments on Checkout for device = mobile, revenue per visitor (rpv) "
        "should rise by +4.0%, because Mobile completes checkout 20% less often."
    )
    edited = H.update_hypothesis(db, item.hypothesis_id, title="Wallets", expected_lift=None)
    assert (edited.title, edited.expected_lift, edited.proposed_change) == (
        "Wallets",
        None,
        "add wallet payments",
    )
    with pytest.raises(InvalidInputError, match="cannot be edited here: status"):
        H.update_hypothesis(db, item.hypothesis_id, status=H.WON)


def test_an_opportunity_becomes_an_idea_once(db) -> None:
    opportunity = {
        "segment_dimension": "device",
        "segment": "Mobile",
        "step": "purchase",
        "label": "Purchased",
        "source": "Shopify",
        "sessions": 18416.0,
        "current_rate": 0.02,
        "benchmark_rate": 0.025,
        "benchmark_source": "segment: Desktop",
        "benchmark_sessions": 9000.0,
        "lift": 0.2,
        "lift_low": 0.05,
        "lift_high": 0.2,
        "capped": True,
        "monthly_revenue_gain": 1200.0,
        "gain_low": 300.0,
        "gain_high": 1300.0,
        "rank": 1,
    }
    item = H.hypothesis_from_opportunity(db, opportunity, currency_symbol="$")
    assert item.status == H.IDEA and item.metric == "step_conversion"
    assert item.segment == "device = Mobile" and item.location == "Funnel step: Purchased"
    assert item.expected_lift == pytest.approx(0.2)  # the capped lift, not 0.025 / 0.02 - 1
    assert item.observation == (
        "Purchased step conversion is 2.00% against 2.50% (segment: Desktop, 9,000 sessions, "
        "Shopify data); a realistic lift is +5% to +20% (capped at +20%: one change rarely "
        "does more); about $300 to $1,300 a month at stake"
    )
    assert item.source == H.OPPORTUNITY_SOURCE
    detail = item.source_detail
    assert (detail["gain_low"], detail["monthly_revenue_gain"], detail["gain_high"]) == (
        300.0,
        1200.0,
        1300.0,
    )
    assert (detail["expected_lift_low"], detail["expected_lift_high"]) == (0.05, 0.2)
    assert detail["capped"] is True and detail["source"] == "Shopify"
    again = H.hypothesis_from_opportunity(db, opportunity)
    assert again.hypothesis_id == item.hypothesis_id
    assert len(H.list_hypotheses(db)) == 1
    assert H.existing_source_keys(db) == {"device|Mobile|purchase": item.hypothesis_id}


def test_a_hypothesis_with_tests_cannot_be_deleted(db) -> None:
    kept = H.add_hypothesis(db, title="kept")
    gone = H.add_hypothesis(db, title="gone")
    E.plan_experiment(db, kept.hypothesis_id, "A test", expected_days=14)
    with pytest.raises(InvalidInputError, match="has 1 test in the experiment log"):
        H.delete_hypothesis(db, kept.hypothesis_id)
    assert H.delete_hypothesis(db, gone.hypothesis_id)
    assert not H.delete_hypothesis(db, gone.hypothesis_id)
    assert [h.title for h in H.list_hypotheses(db)] == ["kept"]
