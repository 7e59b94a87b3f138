"""Shopify Analytics report exports -> traffic rows (real exports and small synthetic files).

Expected values are computed independently with the csv module from the same files, or by hand
for the synthetic ones.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest.base import detect_format
from ro_core.ingest.formats import shopify_analytics
from ro_core.ingest.pipeline import ImportReport, ingest_file, remove_import
from ro_core.store.db import Database
from tests.conftest import write_csv
from tests.ingest.builders import SHOPIFY_HEADER

FOLDER = "shopify_analytics"
VISITORS_2024 = "Shopify 2024 - Visitors Over Time.csv"
BEHAVIOR_2024 = "Shopify 2024 - Customer behavior.csv"
CONVERSION_2024 = "Shopify 2024 - Checkout conversion rate over time.csv"
REFERRER_2024 = "Shopify 2024 - Sessions by referrer.csv"
SOCIAL_2024 = "Shopify 2024 - Sessions by social referrer.csv"
NEW_RETURNING_2024 = "Shopify 2024 - New vs returning customers.csv"
LOCATION = "Sessions by location - 2025-11-29 - 2025-12-06.csv"
PREVIOUS_YEAR = "Sessions over time.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def week_totals_2024(db: Database) -> tuple[int, float, float]:
    """Resolved store-level weekly Shopify rows starting in 2024: (rows, sessions, converted)."""
    count, sessions, converted = db.fetch_one(
        """SELECT count(*), sum(sessions), sum(converted_sessions) FROM traffic
        WHERE traffic_source = 'shopify' AND grain = 'week' AND dimensions = ''
          AND period_start BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"""
    )
    return int(count), float(sessions or 0), float(converted or 0)


def import_rows(db: Database, report: ImportReport) -> list[dict]:
    """The rows one import stored (before resolution), as dicts of Python values."""
    with db.cursor() as cur:
        cur.execute(
            "SELECT * FROM traffic_rows WHERE import_id = ? ORDER BY period_start",
            [report.import_id],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# --- detection ------------------------------------------------------------------------------
def test_detect_claims_shopify_reports_and_nothing_else():
    assert shopify_analytics.detect(["Week", "Online store visitors", "Sessions"])
    assert shopify_analytics.detect(["Day", "Sessions"])
    assert shopify_analytics.detect(
        ["Referrer source", "Referrer name", "Session city", "Week", "Sessions"]
    )
    assert shopify_analytics.detect(["New or returning customer", "Customers"])
    assert not shopify_analytics.detect(SHOPIFY_HEADER)  # orders export
    assert not shopify_analytics.detect(["Week", "Average session duration"])  # no measure
    assert not shopify_analytics.detect(
        ["event_time", "event_type", "product_id", "price", "user_id", "user_session"]
    )
    assert not shopify_analytics.detect(
        ["Session primary channel group (Default Channel Group)", "Week", "Sessions"]
    )
    spec = detect_format(["Week", "Sessions with cart additions", "Sessions that reached checkout"])
    assert spec is not None and spec.name == "shopify_analytics"


# --- real exports ---------------------------------------------------------------------------
def test_visitors_over_time_sessions_sum_to_known_2024_figure(db: Database, real_exports: Path):
    path = real_exports / FOLDER / VISITORS_2024
    expected = sum(int(r["Sessions"]) for r in read_rows(path))
    assert expected == 279_172  # the README's figure, recomputed from the file

    report = ingest_file(db, path)

    assert report.format == "shopify_analytics" and report.counts == {"traffic": 53}
    assert week_totals_2024(db)[:2] == (53, 279_172.0)
    first, last = db.fetch_one(
        "SELECT min(period_start), max(period_end) FROM traffic WHERE grain = 'week'"
    )
    # Weeks start on Monday; the file name's year cuts the last week (Mon 30 Dec) at 31 Dec.
    assert first == date(2024, 1, 1) and last == date(2024, 12, 31)
    assert any("file name year" in note for note in report.notes)


def test_customer_behavior_completed_checkouts_sum_to_known_figure(
    db: Database, real_exports: Path
):
    path = real_exports / FOLDER / BEHAVIOR_2024
    rows = read_rows(path)
    assert sum(int(r["Sessions that completed checkout"]) for r in rows) == 3_096

    ingest_file(db, path)

    carts, checkouts, converted = db.fetch_one(
        "SELECT sum(cart_sessions), sum(checkout_sessions), sum(converted_sessions) FROM traffic"
    )
    assert converted == 3_096
    assert carts == sum(int(r["Sessions with cart additions"]) for r in rows)
    assert checkouts == sum(int(r["Sessions that reached checkout"]) for r in rows)


def test_reports_for_the_same_weeks_merge_into_one_funnel_without_double_counting(
    db: Database, real_exports: Path
):
    folder = real_exports / FOLDER
    ingest_file(db, folder / VISITORS_2024)
    ingest_file(db, folder / BEHAVIOR_2024)

    assert week_totals_2024(db) == (53, 279_172.0, 3_096.0)
    both = db.fetch_value(
        "SELECT count(*) FROM traffic WHERE sessions IS NOT NULL "
        "AND converted_sessions IS NOT NULL AND cart_sessions IS NOT NULL"
    )
    assert both == 53

    # Completed checkouts again, from another report, for the same weeks: not added up.
    conversion = ingest_file(db, folder / CONVERSION_2024)
    assert week_totals_2024(db) == (53, 279_172.0, 3_096.0)
    assert db.fetch_value("SELECT count(*) FROM traffic_rows") == 3 * 53

    remove_import(db, conversion.import_id)
    assert week_totals_2024(db) == (53, 279_172.0, 3_096.0)


def test_referrer_report_is_summed_over_cities(db: Database, real_exports: Path):
    path = real_exports / FOLDER / REFERRER_2024
    expected: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in read_rows(path):
        key = (
            row["Week"],
            row["Referrer source"] or "(not set)",
            row["Referrer name"] or "(not set)",
        )
        expected[key][0] += int(row["Sessions"])
        expected[key][1] += int(row["Online store visitors"])

    report = ingest_file(db, path)

    got = {
        (str(r["period_start"]), r["channel"], r["referrer"]): [r["sessions"], r["visitors"]]
        for r in import_rows(db, report)
    }
    assert got == {key: [float(s), float(v)] for key, (s, v) in expected.items()}
    assert sum(s for s, _ in expected.values()) == 279_172  # same store, same year
    assert {r["dimensions"] for r in import_rows(db, report)} == {"channel,referrer"}
    assert any("Session city" in note for note in report.notes)


def test_location_report_is_summed_to_regions_and_cut_to_the_file_name_range(
    db: Database, real_exports: Path
):
    path = real_exports / FOLDER / LOCATION
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in read_rows(path):
        key = (row["Week"], row["Session region"] or "(not set)")
        expected[key][0] += int(row["Sessions"])
        expected[key][1] += int(row["Online store visitors"])

    report = ingest_file(db, path)

    rows = import_rows(db, report)
    got = {(str(r["period_start"]), r["region"]): [r["sessions"], r["visitors"]] for r in rows}
    # The name says 2025-11-29 - 2025-12-06: Monday-labelled weeks are cut to those days.
    relabel = {"2025-11-24": "2025-11-29", "2025-12-01": "2025-12-01"}
    assert got == {
        (relabel[week], region): [float(s), float(v)] for (week, region), (s, v) in expected.items()
    }
    assert {(r["period_start"], r["period_end"]) for r in rows} == {
        (date(2025, 11, 29), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 6)),
    }
    assert {r["dimensions"] for r in rows} == {"region"}


def test_previous_year_columns_become_rows_of_their_own_periods(db: Database, real_exports: Path):
    path = real_exports / FOLDER / PREVIOUS_YEAR
    with path.open(newline="", encoding="utf-8-sig") as fh:
        header, *data = list(csv.reader(fh))
    assert header[6] == "Online store visitors (previous_year) "  # the % change columns
    expected = {}
    for row in data:
        expected[row[0]] = (float(row[1]), float(row[2]))
        expected[row[3]] = (float(row[4]), float(row[5]))

    report = ingest_file(db, path)

    rows = import_rows(db, report)
    assert {str(r["period_start"]): (r["visitors"], r["sessions"]) for r in rows} == expected
    assert all(r["grain"] == "month" and r["dimensions"] == "" for r in rows)
    feb_2024 = next(r for r in rows if r["period_start"] == date(2024, 2, 1))
    assert feb_2024["period_end"] == date(2024, 2, 29)


def test_social_referrer_report_is_stored_as_the_social_channel(
    db: Database, real_exports: Path, tmp_path: Path
):
    path = real_exports / FOLDER / SOCIAL_2024
    rows = read_rows(path)
    report = ingest_file(db, path)
    stored = import_rows(db, report)
    assert {(r["channel"], r["dimensions"]) for r in stored} == {("social", "channel")}
    assert sum(r["sessions"] for r in stored) == sum(int(r["Sessions"]) for r in rows) == 83_762
    assert db.fetch_value("SELECT count(*) FROM traffic WHERE dimensions = ''") == 0

    # The same rows under a name that does not say "social": sorted by sessions, not dates,
    # so they are not mistaken for the store's totals.
    # (A fresh database: the same bytes would otherwise be recognised as imported already.)
    renamed = tmp_path / "weekly.csv"
    shutil.copyfile(path, renamed)
    fresh = Database(tmp_path / "fresh.duckdb")
    try:
        with pytest.raises(ImportFileError, match="not in date order") as info:
            ingest_file(fresh, renamed)
        assert info.value.line == 4  # 2024-06-17 comes after 2024-10-07
        ingest_file(fresh, renamed, options={"channel": "social"})
        assert fresh.fetch_one(
            "SELECT count(*), sum(sessions) FROM traffic WHERE channel = ?", ["social"]
        ) == (53, 83_762.0)
    finally:
        fresh.close()


def test_new_vs_returning_needs_a_period(db: Database, real_exports: Path, tmp_path: Path):
    path = real_exports / FOLDER / NEW_RETURNING_2024
    expected = {
        r["New or returning customer"].lower(): float(r["Customers"]) for r in read_rows(path)
    }
    with pytest.raises(ImportFileError, match="no dates"):
        ingest_file(db, path)

    ingest_file(db, real_exports / FOLDER / VISITORS_2024)
    ingest_file(db, path)
    rows = db.fetch_all(
        "SELECT customer_type, customers, grain, dimensions, period_start, period_end "
        "FROM traffic WHERE customers IS NOT NULL ORDER BY 1"
    )
    assert {r[0]: r[1] for r in rows} == expected == {"new": 1584.0, "returning": 942.0}
    assert {r[2:] for r in rows} == {
        ("total", "customer_type", date(2024, 1, 1), date(2024, 12, 31))
    }


def test_new_vs_returning_with_a_given_period(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "customers.csv",
        '"New or returning customer","Customers"\n"New",10\n"Returning","1,204"\n',
    )
    ingest_file(db, path, options={"period_start": "2024-03-01", "period_end": "2024-03-31"})
    assert db.fetch_all(
        "SELECT customer_type, customers, period_start, period_end FROM traffic ORDER BY 1"
    ) == [
        ("new", 10.0, date(2024, 3, 1), date(2024, 3, 31)),
        ("returning", 1204.0, date(2024, 3, 1), date(2024, 3, 31)),
    ]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"period_start": "2024-13-01", "period_end": "2024-03-31"}, "period start '2024-13-01'"),
        ({"period_start": "2024-03-01", "period_end": "31/03/2024"}, "period end '31/03/2024'"),
    ],
)
def test_a_period_option_that_is_not_a_date_is_refused_naming_it(
    db: Database, tmp_path: Path, options: dict[str, str], named: str
):
    path = write_csv(
        tmp_path / "customers.csv",
        '"New or returning customer","Customers"\n"New",10\n"Returning","1,204"\n',
    )
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path, options=options)
    assert named in str(caught.value) and "2024-01-31" in str(caught.value)
    assert "YYYY-MM-DD" in (caught.value.hint or "")
    assert db.fetch_value("SELECT count(*) FROM traffic") == 0
    assert db.fetch_value("SELECT count(*) FROM imports") == 0


def test_every_real_shopify_analytics_file_keeps_its_sessions(db: Database, real_exports: Path):
    """Each report's Sessions (current and comparison columns) arrive whole in its rows."""
    folder = real_exports / FOLDER
    names = sorted(p.name for p in folder.glob("*.csv"))
    names.remove(NEW_RETURNING_2024)
    names.append(NEW_RETURNING_2024)  # after a dated report, so it has a period
    for name in names:
        path = folder / name
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header, *data = list(csv.reader(fh))
        report = ingest_file(db, path)
        assert report.format == "shopify_analytics", name
        stored = db.fetch_one(
            "SELECT sum(sessions), sum(customers) FROM traffic_rows WHERE import_id = ?",
            [report.import_id],
        )
        # 'Sessions' and 'Sessions (previous_year)'; not 'Sessions (previous_year) ' (% change).
        sessions_columns = [
            i for i, h in enumerate(header) if h in ("Sessions", "Sessions (previous_year)")
        ]
        if sessions_columns:
            assert stored[0] == sum(float(r[i]) for r in data for i in sessions_columns), name
        if "Customers" in header:
            assert stored[1] == sum(float(r[header.index("Customers")]) for r in data), name


# --- synthetic files ------------------------------------------------------------------------
def test_day_grain_with_totals_row_and_thousands_separators(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "Sessions over time.csv",
        '"Day","Online store visitors","Sessions"\n'
        '"2024-03-01","1,000","1,250"\n'
        '"2024-03-02",800,900\n'
        '"2024-03-03",700,"1,001"\n'
        '"",2500,"3,151"\n',
    )
    report = ingest_file(db, path)
    assert report.counts == {"traffic": 3}
    assert any("totals row" in note and "line 5" in note for note in report.notes)
    rows = db.fetch_all(
        "SELECT grain, period_start, period_end, visitors, sessions FROM traffic ORDER BY 2"
    )
    assert rows == [
        ("day", date(2024, 3, 1), date(2024, 3, 1), 1000.0, 1250.0),
        ("day", date(2024, 3, 2), date(2024, 3, 2), 800.0, 900.0),
        ("day", date(2024, 3, 3), date(2024, 3, 3), 700.0, 1001.0),
    ]


def test_month_grain_and_a_total_labelled_row(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "Customer behavior.csv",
        "Month,Sessions with cart additions,Sessions that reached checkout,"
        "Sessions that completed checkout\n"
        "2023-12-01,50,40,20\n2024-01-01,60,45,30\n2024-02-01,70,50,25\nTotal,180,135,75\n",
    )
    report = ingest_file(db, path)
    assert report.counts == {"traffic": 3}
    assert any("totals row" in note for note in report.notes)
    rows = db.fetch_all(
        "SELECT period_start, period_end, cart_sessions, checkout_sessions, converted_sessions "
        "FROM traffic WHERE grain = 'month' ORDER BY 1"
    )
    assert rows == [
        (date(2023, 12, 1), date(2023, 12, 31), 50.0, 40.0, 20.0),
        (date(2024, 1, 1), date(2024, 1, 31), 60.0, 45.0, 30.0),
        (date(2024, 2, 1), date(2024, 2, 29), 70.0, 50.0, 25.0),
    ]


def test_percent_formatted_rate_is_checked_not_stored(db: Database, tmp_path: Path):
    header = (
        "Week,Sessions that reached checkout,Sessions that completed checkout,"
        "Checkout conversion rate\n"
    )
    good = write_csv(
        tmp_path / "conversion.csv",
        header + "2024-01-01,62,26,41.94%\n2024-01-08,130,67,51.5%\n2024-01-15,10,4,0.4\n",
    )
    report = ingest_file(db, good)
    assert report.warnings == ()
    assert db.fetch_all(
        "SELECT period_start, period_end, checkout_sessions, converted_sessions FROM traffic "
        "ORDER BY 1"
    ) == [
        (date(2024, 1, 1), date(2024, 1, 7), 62.0, 26.0),
        (date(2024, 1, 8), date(2024, 1, 14), 130.0, 67.0),
        (date(2024, 1, 15), date(2024, 1, 21), 10.0, 4.0),
    ]
    # Columns swapped by hand: the rate no longer matches completed / reached.
    swapped = write_csv(tmp_path / "conversion_swapped.csv", header + "2024-02-05,26,62,41.94%\n")
    report = ingest_file(db, swapped)
    assert any("does not match" in w for w in report.warnings)


def test_hourly_rows_are_added_up_into_days(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "hourly.csv",
        "Hour,Online store visitors,Sessions\n"
        "2024-05-01 00:00:00,3,4\n2024-05-01 13:00:00,5,6\n2024-05-02 09:00:00,1,2\n",
    )
    report = ingest_file(db, path)
    assert db.fetch_all(
        "SELECT grain, period_start, sessions, visitors FROM traffic ORDER BY 2"
    ) == [
        ("day", date(2024, 5, 1), 10.0, None),
        ("day", date(2024, 5, 2), 2.0, None),
    ]
    assert any("cannot be added across hours" in note for note in report.notes)


def test_a_week_listed_twice_is_refused(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "dupes.csv", "Week,Sessions\n2024-01-01,5\n2024-01-08,6\n2024-01-08,7\n"
    )
    with pytest.raises(ImportFileError, match="more than one row") as info:
        ingest_file(db, path)
    assert info.value.line == 3


def test_given_period_cuts_edge_weeks_and_refuses_rows_outside(db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "weeks.csv", "Week,Sessions\n2024-01-01,5\n2024-01-08,6\n")
    ingest_file(db, path, options={"period_start": "2024-01-03", "period_end": "2024-01-10"})
    assert db.fetch_all("SELECT period_start, period_end FROM traffic ORDER BY 1") == [
        (date(2024, 1, 3), date(2024, 1, 7)),
        (date(2024, 1, 8), date(2024, 1, 10)),
    ]
    other = write_csv(tmp_path / "weeks2.csv", "Week,Sessions\n2024-01-01,5\n2024-03-04,6\n")
    with pytest.raises(ImportFileError, match="outside the period"):
        ingest_file(db, other, options={"period_start": "2024-01-01", "period_end": "2024-01-31"})


def test_bad_count_names_the_line_and_column(db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "bad.csv", "Week,Sessions\n2024-01-01,5\n2024-01-08,lots\n")
    with pytest.raises(ImportFileError) as info:
        ingest_file(db, path)
    assert info.value.line == 3 and info.value.column == "Sessions"


def test_week_labels_are_mondays_seven_days_long(db: Database, tmp_path: Path):
    weeks = [date(2024, 12, 23) + timedelta(days=7 * i) for i in range(3)]
    text = "Week,Sessions\n" + "".join(f"{w.isoformat()},{i + 1}\n" for i, w in enumerate(weeks))
    ingest_file(db, write_csv(tmp_path / "weeks.csv", text))
    assert db.fetch_all("SELECT period_start, period_end FROM traffic ORDER BY 1") == [
        (w, w + timedelta(days=6)) for w in weeks
    ]
