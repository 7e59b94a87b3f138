"""The one-pass import (ro_core.ingest.one_pass): a clean REES46 file, first of its kind, is
read once with pinned types and written straight into the resolved table; any file the text
path would treat differently (skipped rows, padding, quoted line breaks, other encodings, bad
values) gives way to the text path, which reports it as before.

Expected values come from the csv module over the same lines, and each file is also imported
with the one pass switched off: both paths must leave the same table and the same report.
"""

from __future__ import annotations

import csv
import shutil
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ro_core.errors import ImportFileError
from ro_core.ingest import one_pass
from ro_core.ingest.commit import FAULT_STEPS
from ro_core.ingest.pipeline import ImportReport, ingest_file
from ro_core.store import schema
from ro_core.store.db import Database
from tests.ingest.test_events import REES46_HEADER, _events_snapshot, _rees46_master, _write
from tests.ingest.test_fault_injection import _cli, _state


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records, per import, whether the one pass kept the file ('kept') or gave way."""
    outcomes: list[str] = []
    original = one_pass.try_one_pass

    def spy(*args, **kwargs):
        try:
            result = original(*args, **kwargs)
        except one_pass.GaveWay:
            outcomes.append("gave way")
            raise
        outcomes.append("kept")
        return result

    monkeypatch.setattr(one_pass, "try_one_pass", spy)
    return outcomes


def _text_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args, **kwargs):
        raise one_pass.GaveWay(None)

    monkeypatch.setattr(one_pass, "try_one_pass", never)


def _comparable(report: ImportReport) -> tuple:
    return (
        report.import_id,
        report.rows_read,
        report.rows_loaded,
        report.rows_skipped,
        [(s.reason, s.count, s.lines) for s in report.skipped],
        report.counts,
        report.first_date,
        report.last_date,
        report.notes,
        report.kinds,
    )


def _both_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: Path,
    options: dict[str, object] | None = None,
) -> tuple[tuple, list, tuple, list]:
    """Import `path` into two fresh stores, with and without the one pass."""
    results = []
    for name in ("one_pass", "text_path"):
        if name == "text_path":
            _text_path_only(monkeypatch)
        db = Database(tmp_path / name / "ro.duckdb")
        try:
            report = ingest_file(db, path, options=options)
            results += [_comparable(report), _events_snapshot(db)]
        finally:
            db.close()
    return results[0], results[1], results[2], results[3]


def test_a_clean_file_is_written_once_with_the_csv_modules_figures(
    db: Database, tmp_path: Path, passes: list[str]
) -> None:
    lines = _rees46_master(700)
    path = _write(tmp_path / "clean.csv", REES46_HEADER, lines)
    report = ingest_file(db, path)
    assert passes == ["kept"]
    rows = [next(csv.reader([line])) for line in lines]
    assert (report.rows_read, report.rows_loaded, report.rows_skipped) == (700, 700, 0)
    assert report.counts == {schema.KIND_EVENTS: 700}
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 0
    counts = dict(db.fetch_all(f"SELECT event_type, count(*) FROM {schema.EVENTS} GROUP BY 1"))
    assert counts == dict(Counter(r[1] for r in rows))
    revenue = db.fetch_value(f"SELECT sum(revenue) FROM {schema.EVENTS}")
    assert revenue == sum(Decimal(r[6]) for r in rows if r[1] == "purchase")
    sessions = db.fetch_value(f"SELECT count(DISTINCT session_id) FROM {schema.EVENTS}")
    assert sessions == len({r[8] for r in rows})
    # The import record holds the content span the text path would give.
    first, last = db.fetch_one(
        f"SELECT strftime(content_first, '%H:%M:%S'), strftime(content_last, '%H:%M:%S') "
        f"FROM {schema.IMPORTS} WHERE import_id = ?",
        [report.import_id],
    )
    assert (first, last) == (rows[0][0][11:19], rows[-1][0][11:19])
    again = ingest_file(db, path)
    assert again.already_imported and again.import_id == report.import_id


def test_both_paths_leave_the_same_table_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "clean.csv", REES46_HEADER, _rees46_master(300), newline="\r\n")
    fast_report, fast_rows, text_report, text_rows = _both_paths(tmp_path, monkeypatch, path)
    assert fast_rows == text_rows and len(fast_rows) == 300
    assert fast_report == text_report


@pytest.mark.parametrize(
    "options",
    [{}, {"utc_offset_minutes": -300}, {"utc_offset_minutes": 330}, {"timezone": "Asia/Tokyo"}],
)
def test_prices_and_days_are_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[str], options: dict
) -> None:
    # The one pass reads the price as DECIMAL(18,2) and the day from the UTC wall time; the
    # text path casts the trimmed text and converts the instant. Written prices a file may
    # hold, with what a cent-rounding hand calculation gives; times around midnight UTC.
    prices = ["5.005", " 5.00", "1e3", "+5", ".5", "5.", "", "-0.015", "00012.50"]
    lines = [
        f"2019-10-0{1 + i % 2} {('23:30:00', '00:10:00', '04:59:59', '15:00:00')[i % 4]} UTC,"
        f"purchase,{100 + i},1,a.b,brand,{price},{900 + i},sess-{i}"
        for i, price in enumerate(prices)
    ]
    path = _write(tmp_path / "prices.csv", REES46_HEADER, lines)
    fast_report, fast_rows, text_report, text_rows = _both_paths(
        tmp_path, monkeypatch, path, options
    )
    assert passes == ["kept"]
    assert fast_rows == text_rows and fast_report == text_report
    db = Database(tmp_path / "one_pass" / "ro.duckdb")
    try:
        stored = dict(db.fetch_all(f"SELECT product_id, price FROM {schema.EVENTS}"))
        days = dict(db.fetch_all(f"SELECT product_id, local_date FROM {schema.EVENTS}"))
    finally:
        db.close()
    for i, price in enumerate(prices):
        written = price.strip()
        expected = (
            None
            if not written
            else Decimal(written if written[-1] != "." else written + "0").quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        )
        assert stored[str(100 + i)] == expected, price
        utc = datetime.strptime(lines[i][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        if "timezone" in options:
            local = utc.astimezone(ZoneInfo(options["timezone"]))
        else:
            local = utc + timedelta(minutes=options.get("utc_offset_minutes", 0))
        assert days[str(100 + i)] == local.date(), lines[i]


@pytest.mark.parametrize(
    "case",
    [
        "blank session",
        "session of spaces",
        "spaces around a session",
        "spaces around an event type",
        "padding line",
        "quoted line break",
        "empty line",
        "no final line break",
        "windows-1252",
    ],
)
def test_unusual_files_give_way_or_match_the_text_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[str], case: str
) -> None:
    lines = _rees46_master(40)
    encoding = "utf-8"
    tail = "\n"
    if case == "blank session":
        lines[7] = lines[7].rsplit(",", 1)[0] + ","
    elif case == "session of spaces":
        lines[7] = lines[7].rsplit(",", 1)[0] + ",   "
    elif case == "spaces around a session":
        head, session = lines[7].rsplit(",", 1)
        lines[7] = f"{head}, {session} "
    elif case == "spaces around an event type":
        lines[5] = lines[5].replace(",purchase,", ", purchase ,")
    elif case == "padding line":
        lines.insert(20, ",,,,,,,,")
    elif case == "quoted line break":
        lines[5] = lines[5].replace(",apple,", ',"app\nle",')
    elif case == "empty line":
        lines.insert(12, "")
    elif case == "no final line break":
        tail = ""
    elif case == "windows-1252":
        lines[3] = lines[3].replace(",apple,", ",pomme-caramélisée,").replace(",500,", ",usér,")
        encoding = "cp1252"
    path = tmp_path / "file.csv"
    path.write_bytes(("\n".join([REES46_HEADER, *lines]) + tail).encode(encoding))
    rows = list(csv.reader(path.read_text(encoding=encoding).splitlines()[1:]))

    fast_report, fast_rows, text_report, text_rows = _both_paths(tmp_path, monkeypatch, path)
    assert fast_rows == text_rows
    assert fast_report == text_report
    # A quoted line break is one row and an empty line no row on both paths: the pass keeps them.
    kept = ("quoted line break", "empty line", "no final line break")
    expected_outcome = "kept" if case in kept else "gave way"
    assert passes == [expected_outcome]
    if case in ("blank session", "session of spaces"):
        # the ids stay consecutive: the text path uses the id the one pass drew
        assert fast_report[0] == 1
        assert fast_report[4] == [
            (
                "no user_session (an event outside any session cannot be placed in a funnel)",
                1,
                [9],  # header line 1, lines[7] is line 9
            )
        ]
        assert len(fast_rows) == 39
    elif case == "windows-1252":
        users = {row[3] for row in fast_rows}
        assert "usér" in users
    elif case != "padding line":
        assert len(fast_rows) == 40 == len([r for r in rows if r])


def test_a_bad_price_is_reported_with_its_line_by_the_text_path(
    db: Database, tmp_path: Path, passes: list[str]
) -> None:
    lines = _rees46_master(30)
    fields = next(csv.reader([lines[12]]))
    fields[6] = "12,5"
    lines[12] = ",".join(f'"{f}"' if "," in f else f for f in fields)
    path = _write(tmp_path / "bad.csv", REES46_HEADER, lines)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert passes == ["gave way"]
    assert caught.value.line == 14
    assert caught.value.column == "price"
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 0
    assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}") == 0


def test_a_second_file_of_the_kind_is_resolved_as_usual(
    db: Database, tmp_path: Path, passes: list[str]
) -> None:
    master = _rees46_master(300)
    first = _write(tmp_path / "a.csv", REES46_HEADER, master[:200])
    second = _write(tmp_path / "b.csv", REES46_HEADER, master[100:])
    ingest_file(db, first)
    report = ingest_file(db, second)
    assert passes == ["kept", "gave way"]
    assert report.counts == {schema.KIND_EVENTS: 200}
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 300
    # both imports' rows are kept apart now, for the next resolution or removal
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 400


def test_a_one_pass_killed_at_any_step_leaves_nothing_or_the_whole_file(tmp_path: Path) -> None:
    # The fault-injection plan of test_fault_injection, on a one-pass import into an empty
    # store: killed at each step at once, and from a timer inside the statements that follow.
    lines = _rees46_master(30_000)
    path = _write(tmp_path / "events.csv", REES46_HEADER, lines)
    expected = dict(Counter(next(csv.reader([line]))[1] for line in lines))
    empty = tmp_path / "empty" / "ro.duckdb"
    Database(empty).close()
    before = _state(empty)
    plan = [
        *FAULT_STEPS,
        *(f"{step}+{delay}" for step, delay in zip(FAULT_STEPS, range(3, 39, 6), strict=True)),
    ]
    outcomes = {}
    for pair in (plan[i : i + 2] for i in range(0, len(plan), 2)):  # two runs at a time: 2 cores
        runs = []
        for fault in pair:
            db_path = tmp_path / fault.replace("+", "_") / "ro.duckdb"
            db_path.parent.mkdir()
            shutil.copy(empty, db_path)
            runs.append((fault, db_path, _cli(db_path, "ingest", str(path), fault=fault)))
        for fault, db_path, proc in runs:
            code = proc.wait(timeout=120)
            assert code in (0, -signal.SIGKILL), (fault, proc.stderr.read())
            if _state(db_path) == before:
                outcomes[fault] = "nothing"
                continue
            db = Database(db_path)
            try:
                counts = dict(
                    db.fetch_all(f"SELECT event_type, count(*) FROM {schema.EVENTS} GROUP BY 1")
                )
                assert counts == expected, fault
                assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}") == 1
            finally:
                db.close()
            outcomes[fault] = "whole"
    for step in ("sniffed", "staged", "rows_written", "resolved", "commit"):
        assert outcomes[step] == "nothing", step
    assert outcomes["committed"] == "whole"
    assert set(outcomes.values()) == {"nothing", "whole"}
