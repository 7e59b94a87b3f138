"""summarise_variant_csv: per-variant sums from a visitor-level CSV, checked against the csv module."""

from __future__ import annotations

import csv
import gzip
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ro_core.errors import ImportFileError
from ro_core.experiment import (
    SUMMARY_COLUMNS,
    VariantData,
    analyze_experiment,
    analyze_summary_frame,
)
from ro_core.experiment.orders_csv import (
    MAX_ARMS,
    clean_header,
    guess_columns,
    summarise_variant_csv,
    variant_csv_columns,
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _sums_by_hand(path: Path, *, revenue_of=float) -> dict[str, list[float]]:
    """visitors, conversions, revenue, revenue squared per variant with the csv module."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            revenue = revenue_of(row["revenue"]) if row["revenue"].strip() else 0.0
            entry = sums[row["variant"]]
            entry[0] += 1
            entry[1] += int(row["converted"])
            entry[2] += revenue
            entry[3] += revenue * revenue
    return dict(sums)


@pytest.fixture
def random_visits(tmp_path: Path) -> Path:
    """1,500 visitors over three arms with random purchases (seeded)."""
    rng = np.random.default_rng(11)
    arms = rng.choice(["B", "control", "C"], size=1_500)
    converted = rng.random(1_500) < np.where(arms == "B", 0.06, 0.04)
    revenue = np.where(converted, np.round(rng.gamma(2.0, 30.0, 1_500), 2), 0.0)
    lines = ["visitor_id,variant,converted,revenue"]
    for i, (arm, flag, value) in enumerate(zip(arms, converted, revenue, strict=True)):
        lines.append(f"v{i},{arm},{int(flag)},{value:.2f}" if flag else f"v{i},{arm},0,")
    return _write(tmp_path / "visits.csv", "\n".join(lines) + "\n")


def test_sums_match_the_csv_module_and_control_comes_first(random_visits: Path) -> None:
    frame = summarise_variant_csv(
        random_visits,
        variant_column="variant",
        converted_column="converted",
        revenue_column="revenue",
    )
    expected = _sums_by_hand(random_visits)
    assert list(frame.columns) == list(SUMMARY_COLUMNS)
    # "control" is a control name, so it leads although "B" appears first in the file.
    assert frame["variant"].iloc[0] == "control"
    assert set(frame["variant"]) == set(expected)
    for row in frame.itertuples(index=False):
        visitors, conversions, revenue, squares = expected[row.variant]
        assert row.visitors == visitors
        assert row.conversions == conversions
        assert row.revenue_sum == pytest.approx(revenue, rel=1e-12)
        assert row.revenue_sum_squares == pytest.approx(squares, rel=1e-12)
    assert str(frame["visitors"].dtype) == "int64"
    assert str(frame["revenue_sum"].dtype) == "float64"


def test_analysis_of_the_file_equals_analysis_of_hand_sums(random_visits: Path) -> None:
    frame = summarise_variant_csv(
        random_visits,
        variant_column="variant",
        converted_column="converted",
        revenue_column="revenue",
    )
    analysis = analyze_summary_frame(frame, control="control")
    expected = _sums_by_hand(random_visits)
    arms = {
        name: VariantData(name, int(v), int(c), revenue_sum=r, revenue_sum_squares=s)
        for name, (v, c, r, s) in expected.items()
    }
    reference = analyze_experiment(arms["control"], [arms["B"], arms["C"]])
    got = {result.name: result for result in analysis.variants}
    for result in reference.variants:
        mine = got[result.name]
        assert mine.conversion.p_value == pytest.approx(result.conversion.p_value, rel=1e-9)
        assert mine.revenue_per_visitor.p_value == pytest.approx(
            result.revenue_per_visitor.p_value, rel=1e-6
        )
    assert analysis.srm.p_value == pytest.approx(reference.srm.p_value, rel=1e-12)


def test_money_text_blank_revenue_and_yes_no_flags(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "orders.csv",
        'Variant,Bought,Order total\nA,yes,"$1,234.50"\nA,no,\nA,TRUE,10\nB,0,\nB,1,€7.25\nB,,\n',
    )
    frame = summarise_variant_csv(
        path, variant_column="variant", converted_column="bought", revenue_column="ORDER TOTAL"
    ).set_index("variant")
    assert frame.loc["A", "visitors"] == 3 and frame.loc["A", "conversions"] == 2
    assert frame.loc["A", "revenue_sum"] == pytest.approx(1244.50)
    assert frame.loc["A", "revenue_sum_squares"] == pytest.approx(1234.5**2 + 10**2)
    assert frame.loc["B", "visitors"] == 3 and frame.loc["B", "conversions"] == 1
    assert frame.loc["B", "revenue_sum"] == pytest.approx(7.25)
    # "A" is a control name: it leads.
    assert frame.index[0] == "A"


def test_decimal_comma_and_semicolons(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "eu.csv",
        "variant;converted;revenue\nX;1;1.234,56\nX;0;\nY;1;12,50\nY;1;0,50\n",
    )
    frame = summarise_variant_csv(
        path, variant_column="variant", converted_column="converted", revenue_column="revenue"
    ).set_index("variant")
    assert frame.loc["X", "revenue_sum"] == pytest.approx(1234.56)
    assert frame.loc["Y", "revenue_sum"] == pytest.approx(13.0)
    assert frame.loc["Y", "revenue_sum_squares"] == pytest.approx(12.5**2 + 0.5**2)
    # Neither name is a control name: order of first appearance.
    assert list(frame.index) == ["X", "Y"]


def test_revenue_only_converts_on_positive_revenue(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "variant,revenue\nA,0\nA,20\nA,\nB,5\nB,7\n")
    frame = summarise_variant_csv(path, variant_column="variant", revenue_column="revenue")
    frame = frame.set_index("variant")
    assert frame.loc["A", "conversions"] == 1 and frame.loc["A", "visitors"] == 3
    assert frame.loc["B", "conversions"] == 2 and frame.loc["B", "revenue_sum_squares"] == 74


def test_converted_only_leaves_revenue_empty(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.csv", "variant,converted\nA,1\nA,0\nB,1\n")
    frame = summarise_variant_csv(path, variant_column="variant", converted_column="converted")
    assert frame["revenue_sum"].isna().all() and frame["revenue_sum_squares"].isna().all()
    analysis = analyze_summary_frame(frame)
    assert analysis.variants[0].revenue_per_visitor is None


def test_visitor_column_adds_up_orders_per_visitor(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "orders.csv",
        "visitor,variant,converted,revenue\n"
        "u1,control,1,10\n"
        "u1,control,1,30\n"  # second order of u1
        "u2,control,0,\n"
        "u3,test,1,5\n"
        "u4,test,0,\n"
        "u4,test,1,15\n",  # u4 bought on a later visit
    )
    frame = summarise_variant_csv(
        path,
        variant_column="variant",
        converted_column="converted",
        revenue_column="revenue",
        visitor_column="visitor",
    ).set_index("variant")
    assert frame.loc["control", "visitors"] == 2 and frame.loc["control", "conversions"] == 1
    assert frame.loc["control", "revenue_sum"] == 40
    assert frame.loc["control", "revenue_sum_squares"] == 40**2  # per visitor, not per order
    assert frame.loc["test", "visitors"] == 2 and frame.loc["test", "conversions"] == 2
    assert frame.loc["test", "revenue_sum_squares"] == 5**2 + 15**2


def test_gzip_file_and_odd_header_names(tmp_path: Path) -> None:
    text = 'variant,"we""ird; DROP",revenue\nA,1,3\nB,0,\nB,1,4\n'
    path = tmp_path / "v.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert variant_csv_columns(path) == ["variant", 'we"ird; DROP', "revenue"]
    frame = summarise_variant_csv(
        path, variant_column="variant", converted_column='we"ird; DROP', revenue_column="revenue"
    ).set_index("variant")
    assert frame.loc["B", "visitors"] == 2 and frame.loc["B", "revenue_sum"] == 4
    assert not any(p.name.startswith("import-") for p in tmp_path.iterdir())  # temp copy gone


def test_column_names_are_matched_never_run_as_sql(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.csv", "variant,converted\nA,1\nB,0\n")
    with pytest.raises(ImportFileError) as caught:
        summarise_variant_csv(
            path, variant_column='variant" FROM x; --', converted_column="converted"
        )
    assert "no column" in str(caught.value) and "Columns in this file: variant, converted" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("text", "columns", "words", "line"),
    [
        ("variant,converted\nA,1\nA,maybe\nB,0\n", ("converted", None), "not 1/0", 3),
        ("variant,revenue\nA,1\nB,-5\n", (None, "revenue"), "negative revenue", 3),
        ("variant,revenue\nA,abc\nB,2\n", (None, "revenue"), "not an amount", 2),
        ("variant,converted,revenue\nA,0,9\nB,1,2\n", ("converted", "revenue"), "not marked", 2),
        ("variant,converted\nA,1\n ,0\nB,1\n", ("converted", None), "no variant", 3),
        ("variant,converted\nA,1\nA,0\n", ("converted", None), "only one variant", None),
        ("variant,converted\n", ("converted", None), "no rows", None),
        ("variant,converted\nA,1\nB,0,7\nB,1\n", ("converted", None), "could not be read", 3),
    ],
)
def test_bad_rows_are_reported_with_line_numbers(
    tmp_path: Path, text: str, columns: tuple[str | None, str | None], words: str, line: int | None
) -> None:
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(ImportFileError) as caught:
        summarise_variant_csv(
            path,
            variant_column="variant",
            converted_column=columns[0],
            revenue_column=columns[1],
            file_name="test.csv",
        )
    message = str(caught.value)
    assert words in message and message.startswith("test.csv")
    assert caught.value.line == line
    if line is not None:
        assert f"line {line}" in message


def test_visitor_in_two_variants_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.csv", "visitor,variant,converted\nu1,A,0\nu1,B,1\nu2,B,0\n")
    with pytest.raises(ImportFileError, match="more than one variant"):
        summarise_variant_csv(
            path, variant_column="variant", converted_column="converted", visitor_column="visitor"
        )


def test_too_many_variants_and_wrong_choices(tmp_path: Path) -> None:
    rows = "\n".join(f"arm{i},1" for i in range(MAX_ARMS + 1))
    path = _write(tmp_path / "v.csv", "variant,converted\n" + rows + "\n")
    with pytest.raises(ImportFileError, match=f"{MAX_ARMS + 1} different values"):
        summarise_variant_csv(path, variant_column="variant", converted_column="converted")
    with pytest.raises(ImportFileError, match="two roles"):
        summarise_variant_csv(path, variant_column="variant", converted_column="Variant")
    with pytest.raises(ImportFileError, match="converted column, a revenue column"):
        summarise_variant_csv(path, variant_column="variant")


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.csv", "")
    with pytest.raises(ImportFileError, match="empty"):
        variant_csv_columns(path)


def test_clean_header_and_guesses() -> None:
    names = clean_header(["\ufeffVisitor ID", "Variant", "", "Revenue", "Revenue"])
    assert names == ["Visitor ID", "Variant", "column 3", "Revenue", "Revenue (2)"]
    guesses = guess_columns(["Visitor ID", "Variant", "Converted", "Revenue"])
    assert guesses == {
        "variant": "Variant",
        "converted": "Converted",
        "revenue": "Revenue",
        "visitor": "Visitor ID",
    }
    assert guess_columns(["a", "b"]) == {
        "variant": None,
        "converted": None,
        "revenue": None,
        "visitor": None,
    }


def test_large_sums_stay_exact_enough(tmp_path: Path) -> None:
    """20,000 visitors: sums agree with pandas to 1e-9 relative."""
    rng = np.random.default_rng(5)
    arms = rng.choice(["control", "B"], size=20_000)
    revenue = np.where(rng.random(20_000) < 0.05, np.round(rng.lognormal(4, 1, 20_000), 2), 0.0)
    table = pd.DataFrame(
        {"variant": arms, "converted": (revenue > 0).astype(int), "revenue": revenue}
    )
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    frame = summarise_variant_csv(
        path, variant_column="variant", converted_column="converted", revenue_column="revenue"
    ).set_index("variant")
    table["squares"] = table["revenue"] ** 2
    expected = table.groupby("variant").agg(
        visitors=("revenue", "size"),
        conversions=("converted", "sum"),
        revenue_sum=("revenue", "sum"),
        revenue_sum_squares=("squares", "sum"),
    )
    for arm in ("control", "B"):
        assert frame.loc[arm, "visitors"] == expected.loc[arm, "visitors"]
        assert frame.loc[arm, "conversions"] == expected.loc[arm, "conversions"]
        for column in ("revenue_sum", "revenue_sum_squares"):
            assert math.isclose(frame.loc[arm, column], expected.loc[arm, column], rel_tol=1e-9), (
                column
            )
