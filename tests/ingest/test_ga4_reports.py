"""GA4 report downloads -> traffic rows (the four real downloads and small synthetic files).

Expected values come from the csv module reading the same files (with the '#' lines removed)
or, for synthetic files, from dates worked out by hand.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError, UnknownFormatError
from ro_core.ingest.base import detect_format
from ro_core.ingest.formats import ga4_reports
from ro_core.ingest.pipeline import ImportReport, ingest_file
from ro_core.store.db import Database

FOLDER = "ga4_exports"
OVERVIEW = "GA 2024 Acquisition_overview.csv"
TRAFFIC = "GA Traffic_acquisition_Session_primary_channel_group_(Default_Channel_Group) 2024.csv"
USERS = "GA User_acquisition_First_user_primary_channel_group_(Default_Channel_Group) 2024.csv"
USERS_SUMMARY = (
    "GA Summary User_acquisition_First_user_primary_channel_group_(Default_Channel_Group) 2024.csv"
)
SESSION_CHANNEL = "Session primary channel group (Default Channel Group)"
FIRST_USER_CHANNEL = "First user primary channel group (Default Channel Group)"


def csv_tables(path: Path) -> dict[int, list[list[str]]]:
    """Tables of a GA4 download keyed by the 1-based line of their header ('#' lines dropped)."""
    tables: dict[int, list[list[str]]] = {}
    current: list[str] | None = None
    start = 0
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for number, line in enumerate([*lines, ""], start=1):
        if line.startswith("#") or not line.strip():
            if current:
                tables[start] = list(csv.reader(io.StringIO("\n".join(current))))
            current = None
        elif current is None:
            current, start = [line], number
        else:
            current.append(line)
    return tables


def import_rows(db: Database, report: ImportReport) -> list[dict]:
    """The rows one import stored (before resolution), as dicts of Python values."""
    with db.cursor() as cur:
        cur.execute("SELECT * FROM traffic_rows WHERE import_id = ?", [report.import_id])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


PREAMBLE = (
    "# ----------------------------------------\n"
    "# Traffic acquisition: Session primary channel group (Default Channel Group)\n"
    "# Account: Demo\n"
    "# Property: Demo\n"
    "# ----------------------------------------\n"
    "# \n"
    "# Start date: {start}\n"
    "# End date: {end}\n"
)


# --- detection ------------------------------------------------------------------------------
def test_detect_recognises_ga4_tables_only():
    assert ga4_reports.detect([SESSION_CHANNEL, "Week", "Sessions", "Engagement rate"])
    assert ga4_reports.detect(["Nth week", "Active users"])
    assert ga4_reports.detect(["Date", "Sessions"])
    assert not ga4_reports.detect(["Cohort", "Average 120d value"])  # nothing we store
    assert not ga4_reports.detect(["Session Google Ads campaign", "Sessions"])
    assert not ga4_reports.detect(["Name", "Email", "Financial Status", "Total"])
    assert not ga4_reports.detect(["Country"])
    spec = detect_format([FIRST_USER_CHANNEL, "Total users", "New users"])
    assert spec is not None and spec.name == "ga4_reports"


# --- real downloads -------------------------------------------------------------------------
def test_traffic_acquisition_sessions_per_channel_match_the_file(db: Database, real_exports: Path):
    path = real_exports / FOLDER / TRAFFIC
    ((header, *rows),) = csv_tables(path).values()
    channel, week = header.index(SESSION_CHANNEL), header.index("Week")
    sessions, revenue = header.index("Sessions"), header.index("Total revenue")
    expected_sessions: dict[str, float] = defaultdict(float)
    expected_revenue: dict[str, float] = defaultdict(float)
    for row in rows:
        expected_sessions[row[channel]] += float(row[sessions])
        expected_revenue[row[channel]] += float(row[revenue])

    report = ingest_file(db, path)

    assert report.format == "ga4_reports" and report.counts == {"traffic": len(rows)}
    got = db.fetch_all(
        "SELECT channel, sum(sessions), sum(revenue) FROM traffic "
        "WHERE traffic_source = 'ga4' AND grain = 'week' AND dimensions = 'channel' GROUP BY 1"
    )
    assert {c: s for c, s, _ in got} == expected_sessions
    assert {c: r for c, _, r in got} == pytest.approx(dict(expected_revenue))
    # GA4 weeks start on Sunday and 1 January is in week 01: 2024-01-01 was a Monday.
    weeks = dict(
        db.fetch_all(
            "SELECT period_start, period_end FROM traffic WHERE channel = 'Email' "
            "AND period_start IN (DATE '2024-01-01', DATE '2024-01-07', DATE '2024-12-29')"
        )
    )
    assert weeks == {
        date(2024, 1, 1): date(2024, 1, 6),
        date(2024, 1, 7): date(2024, 1, 13),
        date(2024, 12, 29): date(2024, 12, 31),  # week 53, cut at the report's end date
    }
    email_week_37 = next(r for r in rows if r[channel] == "Email" and r[week] == "37")
    assert db.fetch_value(
        "SELECT sessions FROM traffic WHERE channel = 'Email' AND period_start = ?",
        [date(2024, 9, 8)],  # Sunday 7 Jan + 35 weeks
    ) == float(email_week_37[sessions])
    assert any("Key events" in note for note in report.notes)


def test_acquisition_overview_tables_loaded_and_skipped(db: Database, real_exports: Path):
    path = real_exports / FOLDER / OVERVIEW
    tables = csv_tables(path)
    assert len(tables) == 9
    unstored = {"Session Google Ads campaign", "Cohort", "Organic Google Search query"}
    no_measure = {"Landing page + query string"}
    expected_skipped = {line for line, t in tables.items() if t[0][0] in unstored | no_measure}

    report = ingest_file(db, path)

    skipped_lines = {s.lines[0] for s in report.skipped}
    assert skipped_lines == expected_skipped and len(skipped_lines) == 4
    assert report.rows_skipped == sum(len(tables[line]) - 1 for line in expected_skipped)
    for line in expected_skipped:
        assert any(f"line {line}" in n and "skipped" in n for n in report.notes)
    loaded = set(tables) - expected_skipped
    for line in loaded:
        assert any(note.startswith(f"Loaded the table at line {line} ") for note in report.notes)

    # The two weekly store tables (Active users, New users) merge into one row per week.
    by_header = {tuple(t[0]): t[1:] for t in tables.values()}
    active = {int(w): float(v) for w, v in by_header[("Nth week", "Active users")]}
    new = {int(w): float(v) for w, v in by_header[("Nth week", "New users")]}
    stored = db.fetch_all(
        "SELECT period_start, period_end, visitors, new_visitors FROM traffic "
        "WHERE dimensions = '' AND grain = 'week' ORDER BY 1"
    )
    assert len(stored) == len(active) == 53
    for n, (start, end, visitors, new_visitors) in enumerate(stored):
        assert (visitors, new_visitors) == (active[n], new[n])
        assert start == date.fromordinal(date(2024, 1, 1).toordinal() + 7 * n)
        assert end == min(date.fromordinal(start.toordinal() + 6), date(2024, 12, 31))

    channels = {c: float(s) for c, s in by_header[(SESSION_CHANNEL, "Sessions")]}
    got = dict(
        db.fetch_all(
            "SELECT channel, sessions FROM traffic WHERE grain = 'total' AND dimensions = 'channel'"
        )
    )
    assert got == channels
    sources = {s: float(n) for s, n in by_header[("Session manual source", "Sessions")]}
    got_sources = dict(
        db.fetch_all("SELECT referrer, sessions FROM traffic WHERE dimensions = 'referrer'")
    )
    assert got_sources == sources


def test_user_acquisition_files_are_per_first_user_channel(db: Database, real_exports: Path):
    weekly_path = real_exports / FOLDER / USERS
    summary_path = real_exports / FOLDER / USERS_SUMMARY
    ((w_header, *w_rows),) = csv_tables(weekly_path).values()
    ((s_header, *s_rows),) = csv_tables(summary_path).values()

    weekly = ingest_file(db, weekly_path)
    summary = ingest_file(db, summary_path)

    weekly_rows = import_rows(db, weekly)
    assert {(r["grain"], r["dimensions"]) for r in weekly_rows} == {("week", "first_user_channel")}
    users = w_header.index("Total users")
    expected: dict[str, float] = defaultdict(float)
    for row in w_rows:
        expected[row[0]] += float(row[users])
    got: dict[str, float] = defaultdict(float)
    for row in weekly_rows:
        got[row["first_user_channel"]] += row["visitors"]
    assert got == expected
    assert any("counts a person seen in several rows" in note for note in weekly.notes)

    summary_rows = import_rows(db, summary)
    assert {(r["grain"], r["period_start"], r["period_end"]) for r in summary_rows} == {
        ("total", date(2024, 1, 1), date(2024, 12, 31))
    }
    totals = {r[0]: (float(r[s_header.index("Total users")]), float(r[2])) for r in s_rows}
    assert {
        r["first_user_channel"]: (r["visitors"], r["new_visitors"]) for r in summary_rows
    } == totals


def test_all_four_downloads_together(db: Database, real_exports: Path):
    for name in (OVERVIEW, TRAFFIC, USERS, USERS_SUMMARY):
        ingest_file(db, real_exports / FOLDER / name)
    # The overview and the summary both give new users per first-user channel for 2024:
    # the same key, so one row each, with users from the summary and no double counting.
    summary_new = {
        row[0]: float(row[2])
        for row in list(csv_tables(real_exports / FOLDER / USERS_SUMMARY).values())[0][1:]
    }
    rows = db.fetch_all(
        "SELECT first_user_channel, count(*), sum(new_visitors), sum(visitors) FROM traffic "
        "WHERE grain = 'total' AND dimensions = 'first_user_channel' GROUP BY 1"
    )
    assert {c: n for c, n, _, _ in rows} == dict.fromkeys(summary_new, 1)
    assert {c: v for c, _, v, _ in rows} == summary_new
    assert all(visitors is not None for *_, visitors in rows)


# --- synthetic files ------------------------------------------------------------------------
def test_single_table_with_dates_and_crlf(db: Database, tmp_path: Path):
    text = (
        PREAMBLE.format(start="20240301", end="20240303")
        + "Date,Sessions,Total users,Ecommerce purchases,Purchase revenue\n"
        + '20240302,120,100,3,150.50\n20240301,"1,010",900,10,1234.25\n'
        + "20240303,80,70,0,0"  # no final line break, as GA4 writes it
    )
    path = write(tmp_path / "daily.csv", text, newline="\r\n")
    report = ingest_file(db, path)
    assert report.counts == {"traffic": 3}
    assert db.fetch_all(
        "SELECT grain, period_start, period_end, sessions, visitors, orders, revenue "
        "FROM traffic ORDER BY 2"
    ) == [
        ("day", date(2024, 3, 1), date(2024, 3, 1), 1010.0, 900.0, 10.0, 1234.25),
        ("day", date(2024, 3, 2), date(2024, 3, 2), 120.0, 100.0, 3.0, 150.5),
        ("day", date(2024, 3, 3), date(2024, 3, 3), 80.0, 70.0, 0.0, 0.0),
    ]


def test_multi_table_download(db: Database, tmp_path: Path):
    text = (
        PREAMBLE.format(start="20240101", end="20240114")
        + "Nth week,Sessions\n0000,100\n0001,150\n\n"
        + "# Start date: 20240101\n# End date: 20240114\n"
        + "Device category,Sessions,Engaged sessions\ndesktop,120,90\nmobile,130,70\n"
        + "Grand total,250,160\n\n"
        + "# Start date: 20240101\n# End date: 20240114\n"
        + "Cohort,Average 120d value\n0000,0.5\n0001,0.6\n\n"
        + "# Start date: 20240101\n# End date: 20240114\n"
        + "Nth week,New users\n0000,40\n0001,55\n"
    )
    path = write(tmp_path / "overview.csv", text, newline="\r\n")
    report = ingest_file(db, path)

    assert report.format == "ga4_reports"
    assert [(s.lines, s.count) for s in report.skipped] == [([22], 2)]  # the Cohort table
    assert any("Cohort" in note and "skipped" in note for note in report.notes)
    assert any("totals row" in note for note in report.notes)
    assert db.fetch_all(
        "SELECT grain, dimensions, period_start, period_end, sessions, new_visitors "
        "FROM traffic WHERE dimensions = '' ORDER BY 3"
    ) == [
        ("week", "", date(2024, 1, 1), date(2024, 1, 7), 100.0, 40.0),
        ("week", "", date(2024, 1, 8), date(2024, 1, 14), 150.0, 55.0),
    ]
    assert db.fetch_all(
        "SELECT grain, device, period_start, period_end, sessions, engaged_sessions "
        "FROM traffic WHERE dimensions = 'device' ORDER BY 2"
    ) == [
        ("total", "desktop", date(2024, 1, 1), date(2024, 1, 14), 120.0, 90.0),
        ("total", "mobile", date(2024, 1, 1), date(2024, 1, 14), 130.0, 70.0),
    ]


def test_week_numbers_across_new_year(db: Database, tmp_path: Path):
    # 2023-01-01 was a Sunday (week 01 = 1-7 Jan 2023, week 52 = 24-30 Dec, week 53 = 31 Dec);
    # 2024-01-01 was a Monday (week 01 = 1-6 Jan 2024, week 02 starts Sunday 7 Jan).
    text = (
        PREAMBLE.format(start="20231225", end="20240107")
        + f"{SESSION_CHANNEL},Week,Sessions\n"
        + "Direct,52,10\nDirect,53,11\nDirect,01,12\nDirect,02,13\n"
    )
    ingest_file(db, write(tmp_path / "weeks.csv", text))
    assert db.fetch_all("SELECT period_start, period_end, sessions FROM traffic ORDER BY 1") == [
        (date(2023, 12, 25), date(2023, 12, 30), 10.0),
        (date(2023, 12, 31), date(2023, 12, 31), 11.0),
        (date(2024, 1, 1), date(2024, 1, 6), 12.0),
        (date(2024, 1, 7), date(2024, 1, 7), 13.0),
    ]


def test_week_numbers_of_a_report_longer_than_a_year_are_refused(db: Database, tmp_path: Path):
    text = PREAMBLE.format(start="20230101", end="20241231") + "Week,Sessions\n05,10\n06,11\n"
    with pytest.raises(ImportFileError, match="more than a year") as info:
        ingest_file(db, write(tmp_path / "long.csv", text))
    assert info.value.line == 10


def test_ga4_week_table_is_not_mistaken_for_shopify(db: Database, tmp_path: Path):
    # 'Week,Sessions' is also a Shopify header; the '#' lines say it is GA4.
    text = PREAMBLE.format(start="20240101", end="20240131") + "Week,Sessions\n01,5\n02,7\n"
    report = ingest_file(db, write(tmp_path / "ga4_weeks.csv", text))
    assert db.fetch_all(
        "SELECT traffic_source, period_start, period_end, sessions FROM traffic ORDER BY 2"
    ) == [
        ("ga4", date(2024, 1, 1), date(2024, 1, 6), 5.0),
        ("ga4", date(2024, 1, 7), date(2024, 1, 13), 7.0),
    ]
    assert any("Google Analytics 4" in note for note in report.notes)


def test_a_download_where_nothing_maps_is_refused(db: Database, tmp_path: Path):
    text = (
        PREAMBLE.format(start="20240101", end="20241231")
        + "Cohort,Average 120d value\n0000,0.5\n\n"
        + "# Start date: 20240101\n# End date: 20241231\n"
        + "Session Google Ads campaign,Sessions\nBrand,10\n"
    )
    path = write(tmp_path / "nothing.csv", text)
    with pytest.raises(UnknownFormatError):
        ingest_file(db, path)
    with pytest.raises(ImportFileError, match="no rows could be loaded.*Cohort"):
        ingest_file(db, path, format_name="ga4_reports")
    assert db.fetch_value("SELECT count(*) FROM imports") == 0


def test_bad_date_names_line_and_column(db: Database, tmp_path: Path):
    text = (
        PREAMBLE.format(start="20240101", end="20240131") + "Date,Sessions\n20240101,5\n2024x,6\n"
    )
    with pytest.raises(ImportFileError) as info:
        ingest_file(db, write(tmp_path / "bad.csv", text))
    assert info.value.line == 11 and info.value.column == "Date"
