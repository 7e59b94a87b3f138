"""AppTest of the Experiments page: figures shown equal ro_core's, bad input shows our message.

The app runs from app.py (sidebar first, then the page via switch_page) on a small database
of six weeks of the demo store's orders and daily sessions, in RO_DB under a temporary folder.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ro_core.demo import ORDERS_FILE, SESSIONS_FILE, generate_demo_files
from ro_core.experiment import (
    ContinuousBaseline,
    ConversionBaseline,
    ExperimentDesign,
    VariantData,
    analyze_experiment,
    duration_for,
    mde_by_week,
    sample_size,
)
from ro_core.ingest.pipeline import ingest_file
from ro_core.metrics import coverage, experiment_baseline_sums
from ro_core.metrics.kpis import kpi_values
from ro_core.metrics.periods import presets
from ro_core.store.db import Database, get_database, reset_databases
from ro_ui import experiments_analyze as analyze_ui
from ro_ui import experiments_plan as plan_ui
from ro_ui import experiments_upload as upload_ui
from ro_ui.state import FILTERS_KEY

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
PAGE = "pages/experiments.py"


@pytest.fixture(scope="module")
def store_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six weeks of the demo store: orders and daily sessions (about 1 s to build)."""
    folder = tmp_path_factory.mktemp("experiments_ui")
    paths = generate_demo_files(folder / "exports", days=42, event_days=0)
    db = Database(folder / "ro.duckdb")
    for path in paths:
        if path.name in (ORDERS_FILE, SESSIONS_FILE):
            ingest_file(db, path)
    db.close()
    return folder / "ro.duckdb"


@pytest.fixture
def app_env(store_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RO_DB", str(store_db))
    reset_databases()
    yield store_db
    reset_databases()


def open_page(session: dict | None = None) -> AppTest:
    """The app with the Experiments page open (session state set before the page runs)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run(timeout=60)
    assert not at.exception, at.exception
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    at.run(timeout=60)
    assert not at.exception, at.exception
    return at


def metric_value(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} on the page"
    return values[0]


def as_count(text: str) -> int:
    return int(text.replace(",", ""))


def unescape(text: str) -> str:
    """Markdown-escaped text (ro_ui.fmt.md_escape) back to plain text."""
    return re.sub(r"\\(.)", r"\1", text)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with this column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with column {column!r}")


def result_tables(at: AppTest) -> list[pd.DataFrame]:
    """The per-metric results tables, in page order: conversion rate, then RPV and AOV."""
    return [f.value for f in at.dataframe if "chance_to_beat_control" in f.value.columns]


def page_errors(at: AppTest) -> list[str]:
    return [unescape(e.value) for e in at.error]


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [m.value for m in at.metric] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


# --- plan -------------------------------------------------------------------------------------


def _order_sd(orders: float, revenue: float, squares: float) -> float:
    """Sample standard deviation of order values from their sums (by hand)."""
    return math.sqrt((squares - revenue**2 / orders) / (orders - 1))


def _rpv_sd(sessions: float, orders: float, revenue: float, squares: float) -> float:
    """Per-session revenue spread, non-buyers at 0: sqrt(p (s² + AOV²) - (p AOV)²)."""
    p, aov = orders / sessions, revenue / orders
    return math.sqrt(p * (_order_sd(orders, revenue, squares) ** 2 + aov**2) - (p * aov) ** 2)


def test_baseline_is_prefilled_from_the_store(app_env: Path) -> None:
    at = open_page()
    scope = at.session_state[FILTERS_KEY]
    db = get_database(app_env)  # the app's own connection (one per file and process)
    latest = coverage(db).latest_date
    assert scope.period == presets(latest)["last_30_days"]
    cards = kpi_values(db, scope.period, scope.filters)  # what the KPI cards show
    sums = experiment_baseline_sums(db, scope.period, scope.filters)
    capped = experiment_baseline_sums(db, scope.period, scope.filters, cap_percentile=0.99)

    def shown(key: str) -> float:
        return at.number_input(key=key).value

    # CR, AOV and RPV are the cards' own figures (same CR basis, same revenue basis).
    assert shown(plan_ui.CR) == pytest.approx(cards.conversion_rate * 100, rel=1e-12)
    assert shown(plan_ui.AOV) == pytest.approx(cards.aov, rel=1e-12)
    assert shown(plan_ui.RPV) == pytest.approx(cards.revenue_per_session, rel=1e-12)
    assert shown(plan_ui.AOV_SD) == pytest.approx(
        _order_sd(sums.aov_orders, sums.aov_revenue, sums.aov_revenue_sum_squares), rel=1e-9
    )
    assert shown(plan_ui.RPV_SD) == pytest.approx(
        _rpv_sd(sums.sessions, sums.orders, sums.revenue, sums.revenue_sum_squares), rel=1e-9
    )
    assert shown(plan_ui.DAILY_SESSIONS) == pytest.approx(sums.sessions / sums.days, rel=1e-12)
    # The RPV-versus-CR comparison is in the info box.
    assert any("An RPV test needs" in unescape(i.value) for i in at.info)

    # Capping order values at the 99th percentile re-fills AOV, RPV and their spread.
    at.selectbox(key=plan_ui.CAP).set_value(0.99).run(timeout=60)
    assert not at.exception
    assert capped.cap_value is not None and capped.revenue < sums.revenue
    assert shown(plan_ui.AOV) == pytest.approx(capped.aov_revenue / capped.aov_orders, rel=1e-12)
    assert shown(plan_ui.RPV) == pytest.approx(capped.revenue / capped.sessions, rel=1e-12)
    assert shown(plan_ui.AOV_SD) == pytest.approx(
        _order_sd(capped.aov_orders, capped.aov_revenue, capped.aov_revenue_sum_squares),
        rel=1e-9,
    )
    assert shown(plan_ui.RPV_SD) == pytest.approx(
        _rpv_sd(capped.sessions, capped.orders, capped.revenue, capped.revenue_sum_squares),
        rel=1e-9,
    )

    # A typed figure survives reruns; "Reset to store figures" brings the store's back.
    at.number_input(key=plan_ui.CR).set_value(4.0).run(timeout=60)
    at.number_input(key=plan_ui.INVERSE_WEEKS).set_value(3).run(timeout=60)
    assert shown(plan_ui.CR) == 4.0
    at.button(key="exp_plan_reset").click().run(timeout=60)
    assert shown(plan_ui.CR) == pytest.approx(cards.conversion_rate * 100, rel=1e-12)


def test_sample_size_shown_equals_ro_core(app_env: Path) -> None:
    at = open_page()
    at.number_input(key=plan_ui.CR).set_value(2.5)
    at.number_input(key=plan_ui.MDE_RELATIVE).set_value(10.0)
    at.number_input(key=plan_ui.DAILY_SESSIONS).set_value(1500.0)
    at.number_input(key=plan_ui.TRAFFIC_SHARE).set_value(50.0)
    at.run(timeout=60)
    assert not at.exception and not at.error

    size = sample_size(ConversionBaseline(0.025), 0.10)
    assert as_count(metric_value(at, "Visitors per variant")) == size.visitors_per_variant
    assert as_count(metric_value(at, "Total visitors")) == size.visitors_total
    # What the other calculators give is in the table beside it.
    calculators = frame_with(at, "calculator")
    assert list(calculators["per_variant"]) == [f"{f.per_variant:,}" for f in size.calculators]
    assert any("different" in c.value or "differ" in c.value for c in at.caption)

    duration = duration_for(size, daily_sessions=1500.0, traffic_share=0.5)
    assert as_count(metric_value(at, "Days")) == duration.days
    assert metric_value(at, "Run for") == f"{duration.weeks} weeks"
    assert any("more than 8" in w.value for w in at.warning) == (duration.weeks > 8)

    table = frame_with(at, "mde_relative")
    expected = mde_by_week(ConversionBaseline(0.025), daily_sessions=1500.0, traffic_share=0.5)
    assert list(table["weeks"]) == [str(w) for w in range(1, 9)]
    assert list(table["visitors_per_variant"]) == [
        f"{v:,}" for v in expected["visitors_per_variant"]
    ]
    # relative lifts with 1 decimal, absolute lifts of a rate in points
    assert list(table["mde_relative"]) == [f"{v * 100:+.1f}%" for v in expected["mde_relative"]]
    assert list(table["mde_absolute"]) == [f"{v * 100:+.2f} pp" for v in expected["mde_absolute"]]


def test_several_variants_one_sided_and_uneven_split(app_env: Path) -> None:
    at = open_page()
    at.number_input(key=plan_ui.CR).set_value(4.0)
    at.number_input(key=plan_ui.MDE_RELATIVE).set_value(15.0)
    at.number_input(key=plan_ui.POWER).set_value(90.0)
    at.radio(key=plan_ui.SIDES).set_value("one")
    at.number_input(key=plan_ui.VARIANTS).set_value(3)
    at.run(timeout=60)
    at.selectbox(key=plan_ui.CORRECTION).set_value("sidak")
    at.text_input(key=plan_ui.SPLIT).input("40/20/20/20")
    at.run(timeout=60)
    assert not at.exception and not at.error

    design = ExperimentDesign(
        alpha=0.05, power=0.9, two_sided=False, variants=3, correction="sidak", control_share=0.4
    )
    size = sample_size(ConversionBaseline(0.04), 0.15, design=design)
    assert as_count(metric_value(at, "Visitors per variant")) == size.visitors_per_variant
    assert as_count(metric_value(at, "Total visitors")) == size.visitors_total
    assert size.control > size.per_variant  # control's 40% shows as a caption
    assert any(f"Control gets {size.control:,}" in c.value for c in at.caption)


def test_revenue_per_visitor_and_aov_tests(app_env: Path) -> None:
    at = open_page()
    at.number_input(key=plan_ui.RPV).set_value(2.0)
    at.number_input(key=plan_ui.RPV_SD).set_value(16.0)
    at.segmented_control(key=plan_ui.METRIC).set_value("rpv")
    at.run(timeout=60)
    assert not at.exception and not at.error
    size = sample_size(ContinuousBaseline(2.0, 16.0, "rpv"), 0.10)
    assert as_count(metric_value(at, "Visitors per variant")) == size.visitors_per_variant

    at.number_input(key=plan_ui.CR).set_value(2.0)
    at.number_input(key=plan_ui.AOV).set_value(80.0)
    at.number_input(key=plan_ui.AOV_SD).set_value(60.0)
    at.segmented_control(key=plan_ui.METRIC).set_value("aov")
    at.run(timeout=60)
    assert not at.exception and not at.error
    size = sample_size(ContinuousBaseline(80.0, 60.0, "aov", conversion_rate=0.02), 0.10)
    assert as_count(metric_value(at, "Visitors per variant")) == size.visitors_per_variant
    assert any(f"{size.per_variant:,} orders per variant" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (plan_ui.CR, 0.0, "Baseline conversion rate must be between 0 and 1"),
        (plan_ui.CR, 100.0, "Baseline conversion rate must be between 0 and 1"),
        (plan_ui.MDE_RELATIVE, 0.0, "must not be zero"),
        (plan_ui.POWER, 3.0, "must be above the significance level"),
        (plan_ui.SPLIT, "fifty/50", "must be a number, got 'fifty'"),
        (plan_ui.SPLIT, "50/50/50", "3 parts but the test has 2 arms"),
    ],
)
def test_bad_plan_input_shows_a_message(
    app_env: Path, key: str, value: object, message: str
) -> None:
    at = open_page()
    if isinstance(value, str):
        at.text_input(key=key).input(value)
    else:
        at.number_input(key=key).set_value(value)
    at.run(timeout=60)
    assert not at.exception
    assert any(message in error for error in page_errors(at)), page_errors(at)
    assert not [m for m in at.metric if m.label == "Visitors per variant"]
    assert not re.search(r"\b(nan|inf)\b", page_text(at), re.IGNORECASE)


# --- analyze ----------------------------------------------------------------------------------


ARMS = pd.DataFrame(
    {
        "variant": ["Control", "B", "C"],
        "visitors": [20_000, 20_150, 19_900],
        "conversions": [600, 690, 640],
        "revenue_sum": [30_000.0, 33_120.0, 30_400.0],
        "revenue_sum_squares": [2_460_000.0, 2_586_120.0, 2_500_000.0],
    }
)


def test_analysis_shown_equals_analyze_experiment(app_env: Path) -> None:
    at = open_page({analyze_ui.TABLE: ARMS.copy()})
    at.date_input(key=analyze_ui.START).set_value(date(2025, 3, 3))
    at.date_input(key=analyze_ui.END).set_value(date(2025, 3, 16))  # 14 days
    at.toggle(key=analyze_ui.SEQUENTIAL).set_value(True)
    at.run(timeout=60)
    assert not at.exception and not at.error, page_errors(at)

    arms = [
        VariantData(r.variant, r.visitors, r.conversions, r.revenue_sum, r.revenue_sum_squares)
        for r in ARMS.itertuples(index=False)
    ]
    reference = analyze_experiment(arms[0], arms[1:], days=14, sequential=True)
    cr_table = frame_with(at, "chance_to_beat_control")
    assert list(cr_table["variant"]) == ["B", "C"]
    # Cells read as everywhere else: p-values 4 decimals, relative lifts 1 decimal, lifts of a
    # rate in points, rates 2 decimals.
    for row, result in zip(cr_table.itertuples(index=False), reference.variants, strict=True):
        expected = result.conversion
        assert row.p_value == f"{expected.p_value:.4f}"
        assert row.p_value_holm == f"{expected.p_value_holm:.4f}"
        assert row.p_value_bh == f"{expected.p_value_bh:.4f}"
        assert row.relative_lift == f"{expected.relative_lift * 100:+.1f}%"
        assert row.ci_low == f"{expected.relative_ci_low * 100:+.1f}%"
        assert row.ci_high == f"{expected.relative_ci_high * 100:+.1f}%"
        assert row.absolute_lift == f"{expected.absolute_lift * 100:+.2f} pp"
        assert row.control_value == f"{600 / 20_000 * 100:.2f}%"
        assert row.chance_to_beat_control == f"{expected.chance_to_beat_control * 100:.2f}%"
        assert row.sequential_ci_low == f"{expected.sequential_ci_low * 100:+.1f}%"
    tables = result_tables(at)
    assert len(tables) == 3, "conversion rate, revenue per visitor and average order value"
    assert tables[1]["control_value"].iloc[0] == f"${30_000 / 20_000:,.2f}"
    assert tables[2]["control_value"].iloc[0] == f"${30_000 / 600:,.2f}"
    for row, result in zip(tables[1].itertuples(index=False), reference.variants, strict=True):
        rpv = result.revenue_per_visitor
        assert row.p_value == f"{rpv.p_value:.4f}"
        assert row.relative_lift == f"{rpv.relative_lift * 100:+.1f}%"
    # The downloadable results keep the exact numbers.
    frame = analyze_ui.results_frame(reference)
    cr_rows = frame[frame["metric"] == "cr"]
    assert list(cr_rows["p_value"]) == [r.conversion.p_value for r in reference.variants]

    headline = reference.verdict.headline
    shown = [unescape(e.value) for e in [*at.success, *at.info, *at.error]]
    assert headline in shown
    shares = " / ".join(f"{v / sum(ARMS['visitors']) * 100:.2f}%" for v in ARMS["visitors"])
    srm_text = f"visitors split {shares} against a planned 33.33% / 33.33% / 33.33% "
    srm_text += f"(p = {reference.srm.p_value:.4f})"
    assert any(srm_text in c.value for c in at.caption), [c.value for c in at.caption]


def test_srm_and_downloads_are_neutralised(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported: dict[str, bytes] = {}
    from ro_core.present import export
    from ro_ui import widgets

    def recording_csv_bytes(df: pd.DataFrame, **kwargs: object) -> bytes:
        data = export.csv_bytes(df, **kwargs)
        exported["last"] = data
        exported[",".join(map(str, df.columns))] = data
        return data

    monkeypatch.setattr(widgets, "csv_bytes", recording_csv_bytes)
    table = ARMS.iloc[:2].copy()
    table.loc[1, "variant"] = "=HYPERLINK(1)"
    table.loc[1, "visitors"] = 21_500  # against 20,000: a broken 50/50 split
    at = open_page({analyze_ui.TABLE: table})
    assert not at.exception
    assert any("Sample ratio mismatch" in e for e in page_errors(at))
    result = [v for k, v in exported.items() if k.startswith("variant,metric")]
    assert result, "the results table was not offered for download"
    text = result[-1].decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["variant"] for row in rows} == {"'=HYPERLINK(1)"}
    assert {row["metric"] for row in rows} == {"cr", "rpv", "aov"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"visitors": 0, "conversions": 0}, "has no visitors"),
        ({"visitors": 100, "conversions": 150}, "cannot exceed visitors"),
        ({"visitors": 1000, "conversions": -3}, "cannot be negative"),
        ({"visitors": 1000, "conversions": 2.5}, "must be a whole number"),
        ({"revenue_sum": -10.0}, "cannot be negative"),
    ],
)
def test_bad_counts_show_a_message(app_env: Path, row: dict, message: str) -> None:
    table = ARMS.iloc[:2].copy()
    for column, value in row.items():
        table[column] = table[column].astype("float64")
        table.loc[1, column] = value
    at = open_page({analyze_ui.TABLE: table})
    assert not at.exception
    assert any(message in error for error in page_errors(at)), page_errors(at)
    assert not result_tables(at)
    assert not re.search(r"\b(nan|inf)\b", page_text(at), re.IGNORECASE)


def test_half_filled_row_asks_for_the_counts(app_env: Path) -> None:
    table = ARMS.copy()
    table["visitors"] = table["visitors"].astype("float64")
    table.loc[2, "visitors"] = None
    at = open_page({analyze_ui.TABLE: table})
    assert not at.exception
    assert any("variant C has no visitors: fill them in" in e for e in page_errors(at))
    assert not result_tables(at)
    assert not re.search(r"\b(nan|inf|None)\b", page_text(at))


def test_text_and_rates_of_zero_or_one(app_env: Path) -> None:
    table = pd.DataFrame(
        {
            "variant": ["Control", "B"],
            "visitors": ["1000", "lots"],
            "conversions": ["10", "12"],
            "revenue_sum": [None, None],
            "revenue_sum_squares": [None, None],
        }
    )
    at = open_page({analyze_ui.TABLE: table})
    assert not at.exception
    assert any("must be a number, got 'lots'" in e for e in page_errors(at)), page_errors(at)

    # Every visitor converting in both arms: valid input, no test possible, no NaN shown.
    everyone = ARMS.iloc[:2][["variant", "visitors"]].assign(
        conversions=lambda f: f["visitors"], revenue_sum=None, revenue_sum_squares=None
    )
    at = open_page({analyze_ui.TABLE: everyone})
    assert not at.exception and not at.error
    assert "every visitor converting" in page_text(at)
    cr_table = frame_with(at, "chance_to_beat_control")
    assert set(cr_table["p_value"]) == {"–"}  # a dash, never "None" or "nan"


def test_visitor_csv_upload_feeds_the_analysis(app_env: Path, tmp_path: Path) -> None:
    lines = ["user,group,bought,revenue"]
    for i in range(600):
        arm = "control" if i % 2 else "treatment"
        bought = i % 7 == 0 or (arm == "treatment" and i % 11 == 0)
        lines.append(f"u{i},{arm},{int(bought)},{(20 + i % 13) if bought else ''}")
    content = ("\n".join(lines) + "\n").encode()
    expected: dict[str, list[float]] = {}
    for row in csv.DictReader(io.StringIO(content.decode())):
        entry = expected.setdefault(row["group"], [0, 0, 0.0, 0.0])
        value = float(row["revenue"] or 0)
        entry[0] += 1
        entry[1] += int(row["bought"])
        entry[2] += value
        entry[3] += value * value

    at = open_page()
    at.file_uploader(key="exp_an_upload_0").upload("visits.csv", content, "text/csv")
    at.run(timeout=60)
    assert not at.exception
    pending = at.session_state[upload_ui.PENDING_FILE]
    assert Path(pending["path"]).parent == app_env.parent / "tmp"
    assert at.selectbox(key=upload_ui.COLUMN_KEYS["revenue"]).value == "revenue"
    at.selectbox(key=upload_ui.COLUMN_KEYS["variant"]).set_value("group")
    at.selectbox(key=upload_ui.COLUMN_KEYS["converted"]).set_value("bought")
    at.button(key="exp_an_use_file").click().run(timeout=60)
    assert not at.exception and not at.error, page_errors(at)
    assert not Path(pending["path"]).exists()

    arms = {
        name: VariantData(name, int(v), int(c), r, s) for name, (v, c, r, s) in expected.items()
    }
    reference = analyze_experiment(arms["control"], [arms["treatment"]])
    editor = at.data_editor[0].value
    assert list(editor["variant"]) == ["control", "treatment"]
    assert list(editor["visitors"]) == [300, 300]
    cr_table = frame_with(at, "chance_to_beat_control")
    assert cr_table["p_value"].iloc[0] == f"{reference.variants[0].conversion.p_value:.4f}"
    rpv = result_tables(at)[1]
    assert rpv["p_value"].iloc[0] == f"{reference.variants[0].revenue_per_visitor.p_value:.4f}"


def test_bad_csv_upload_shows_the_line(app_env: Path) -> None:
    at = open_page()
    content = b"variant,converted\ncontrol,1\nB,maybe\nB,0\n"
    at.file_uploader(key="exp_an_upload_0").upload("bad.csv", content, "text/csv")
    at.run(timeout=60)
    at.button(key="exp_an_use_file").click().run(timeout=60)
    assert not at.exception
    errors = page_errors(at)
    assert any("bad.csv, line 3" in e and "not 1/0" in e for e in errors), errors
    # The file stays pending so another column can be chosen; discarding deletes it.
    pending = at.session_state[upload_ui.PENDING_FILE]
    assert Path(pending["path"]).exists()
    at.button(key="exp_an_discard_file").click().run(timeout=60)
    assert not Path(pending["path"]).exists()
    assert os.environ["RO_DB"] == str(app_env)


def test_result_is_saved_to_a_running_test_in_the_log(tmp_path: Path, monkeypatch) -> None:
    from ro_core.loop import experiment_log, hypotheses

    db_path = tmp_path / "ro.duckdb"
    db = Database(db_path)
    idea = hypotheses.add_hypothesis(db, title="Shorter checkout", metric="conversion_rate")
    planned = experiment_log.plan_experiment(db, idea.hypothesis_id, "Checkout test")
    experiment_log.start_experiment(db, planned.experiment_id, date(2025, 1, 6))
    db.close()
    monkeypatch.setenv("RO_DB", str(db_path))
    reset_databases()
    try:
        at = open_page({analyze_ui.TABLE: ARMS.copy()})
        at.date_input(key=analyze_ui.END).set_value(date(2025, 1, 20))
        at.run(timeout=60)
        at.button(key="exp_an_save").click().run(timeout=60)
        assert not at.exception, at.exception
        db = get_database(db_path)
        ended = experiment_log.get_experiment(db, planned.experiment_id)
        assert ended.status == experiment_log.ENDED and ended.end_date == date(2025, 1, 20)
        arms = [
            VariantData(r.variant, r.visitors, r.conversions, r.revenue_sum, r.revenue_sum_squares)
            for r in ARMS.itertuples(index=False)
        ]
        # No first day typed: the test's recorded start (6 January) counts, 15 days in all.
        reference = analyze_experiment(arms[0], arms[1:], days=15)
        assert ended.start_date == date(2025, 1, 6) and ended.days_run == 15
        assert ended.result["verdict"] == reference.to_dict()["verdict"]
        status = hypotheses.get_hypothesis(db, idea.hypothesis_id).status
        assert status == experiment_log.OUTCOME_FROM_VERDICT[reference.verdict.status]
    finally:
        reset_databases()


# --- multivariate, CUPED, segments, cap, what now (issue 14) ----------------------------------


def _visitor_csv(rng_seed: int = 3, n: int = 3000) -> tuple[bytes, pd.DataFrame]:
    import numpy as np

    rng = np.random.default_rng(rng_seed)
    headline = rng.choice(["A", "B"], n)
    button = rng.choice(["green", "blue"], n)
    converted = (rng.random(n) < 0.06 + 0.03 * (headline == "B")).astype(int)
    pre = np.round(rng.gamma(0.5, 40, n), 2)
    revenue = np.where(converted == 1, np.round(rng.gamma(2, 25, n) + pre, 2), 0.0)
    revenue[0], converted[0] = 9000.0, 1
    frame = pd.DataFrame(
        {
            "visitor_id": [f"v{i}" for i in range(n)],
            "variant": rng.choice(["control", "B"], n),
            "headline": headline,
            "button": button,
            "device": rng.choice(["mobile", "desktop"], n),
            "converted": converted,
            "revenue": revenue,
            "pre_revenue": pre,
        }
    )
    return frame.to_csv(index=False).encode(), frame


def test_multivariate_plan_shows_ro_core_figures(app_env: Path) -> None:
    from ro_core.experiment.factorial_plan import parse_factors, plan_factorial
    from ro_ui import experiments_multivariate as mvt

    at = open_page({"exp_mode": "Multivariate"})
    at.text_area(key=mvt.FACTORS).set_value("headline: A, B\nbutton: 4\nimage: A, B").run()
    assert not at.exception, at.exception
    state = at.session_state
    plan = plan_factorial(
        parse_factors("headline: A, B\nbutton: 4\nimage: A, B"),
        ConversionBaseline(f"{state[mvt.CR]!r}%"),
        f"{state[mvt.MAIN_MDE]!r}%",
        daily_sessions=state[mvt.DAILY],
    )
    assert metric_value(at, "Combinations") == "16"
    assert as_count(metric_value(at, "Total visitors")) == plan.visitors_total
    assert metric_value(at, "Run for") == f"{plan.duration.weeks} weeks"
    text = unescape(page_text(at))
    assert "16 combinations" in text and "keep two levels of button" in text


def test_multivariate_analysis_from_a_visitor_file(app_env: Path) -> None:
    import statsmodels.formula.api as smf

    from ro_ui import experiments_multivariate as mvt

    content, frame = _visitor_csv()
    at = open_page({"exp_mode": "Multivariate"})
    at.file_uploader(key="mvt_upload_0").upload("mvt.csv", content, "text/csv")
    at.run(timeout=60)
    assert not at.exception, at.exception
    at.multiselect(key=mvt.FACTOR_COLUMNS).set_value(["headline", "button"])
    at.button(key="mvt_analyze").click().run(timeout=60)
    assert not at.exception and not at.error, page_errors(at)
    effects = frame_with(at, "p_adjusted")
    assert list(effects["term"]) == ["headline", "button", "headline:button"]
    model = smf.logit("converted ~ C(headline, Sum) * C(button, Sum)", data=frame).fit(disp=0)
    result = at.session_state[mvt.RESULT]
    assert result.effects[0].p_value == pytest.approx(
        model.pvalues["C(headline, Sum)[S.A]"], rel=1e-4
    )
    assert "has the highest conversion rate" in unescape(page_text(at))
    cells = frame_with(at, "chance_best")
    assert len(cells) == 4


def test_upload_with_covariate_segment_and_cap_shows_both_figures(app_env: Path) -> None:
    content, frame = _visitor_csv(n=4000)
    at = open_page()
    at.file_uploader(key="exp_an_upload_0").upload("ab.csv", content, "text/csv")
    at.run(timeout=60)
    assert not at.exception, at.exception
    at.selectbox(key=upload_ui.COLUMN_KEYS["variant"]).set_value("variant")
    at.selectbox(key=upload_ui.COLUMN_KEYS["covariate"]).set_value("pre_revenue")
    at.selectbox(key=upload_ui.COLUMN_KEYS["segment"]).set_value("device")
    at.selectbox(key=upload_ui.CAP_KEY).set_value(0.99)
    at.button(key="exp_an_use_file").click().run(timeout=60)
    assert not at.exception and not at.error, page_errors(at)
    text = unescape(page_text(at))
    # CUPED beside unadjusted: a table with both readings
    cuped = [f.value for f in at.dataframe if "reading" in f.value.columns]
    assert list(cuped[0]["reading"]) == ["Unadjusted", "CUPED"]
    # the capped reading names the cap, which is the buyers' 99th percentile
    import numpy as np

    cap = np.percentile(frame.loc[frame["revenue"] > 0, "revenue"], 99)
    assert any(r.startswith("Capped at") for r in cuped[1]["reading"])
    assert f"{cap:,.2f}" in text and "99th percentile" in text
    # segments with BH and the warning
    segments = frame_with(at, "p_bh")
    assert set(segments["segment"]) == {"mobile", "desktop"}
    assert "not separate tests" in text
    # what now: more visitors for the (inconclusive) result, the chance sentence
    assert "What now?" in [s.value for s in at.subheader]
    assert "more per arm" in text or "already has" in text or "no lift" in text
    if "No clear winner" in text:
        assert "both are true" in text


def test_days_remaining_and_more_visitors_for_a_running_test(app_env: Path) -> None:
    arms = pd.DataFrame(
        {
            "variant": ["A", "B"],
            "visitors": [10_000, 10_000],
            "conversions": [300, 330],
            "revenue_sum": [float("nan")] * 2,
            "revenue_sum_squares": [float("nan")] * 2,
        }
    )
    at = open_page({analyze_ui.TABLE: arms, analyze_ui.PLANNED_DAYS: 28})
    at.date_input(key=analyze_ui.START).set_value(date(2025, 3, 3))
    at.date_input(key=analyze_ui.END).set_value(date(2025, 3, 12))  # 10 days
    at.run(timeout=60)
    assert not at.exception and not at.error, page_errors(at)
    text = unescape(page_text(at))
    # 28 planned days, 10 run -> 18 left (the visitors' pace is 2,000 a day)
    assert "About 18 more days at 2,000 visitors a day" in text
    # R power.prop.test(p1 = 0.03, p2 = 0.033, power = 0.8): n = 53,211 per arm; 43,211 more
    # per arm, 86,422 in all, 44 days at 2,000 a day
    assert "53,211 visitors per arm" in text and "43,211 more per arm" in text
    assert "about 44 more days" in text
    assert "both are true" in text  # chance to beat control beside "no clear winner"


def test_planner_shows_the_cuped_estimate(app_env: Path) -> None:
    from ro_core.experiment.cuped_baseline import customer_revenue_correlation

    at = open_page()
    filters = at.session_state[FILTERS_KEY]
    found = customer_revenue_correlation(get_database(app_env), filters.period, filters.filters)
    text = unescape(page_text(at))
    # the demo store has hundreds of customers in the last two 30-day periods: an estimate
    assert found.rho is not None and found.customers > 100
    assert f"rho = {found.rho:.2f}" in text and "Estimate with CUPED" in text
