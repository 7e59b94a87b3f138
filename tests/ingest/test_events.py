"""Event-level importers: the REES46 event log and a flattened GA4 BigQuery export.

Expected figures are computed independently (csv module, or by hand on the small synthetic
fixtures), never by the code under test.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.errors import ImportFileError, InvalidInputError
from ro_core.ingest import layout
from ro_core.ingest.base import detect_format
from ro_core.ingest.pipeline import ingest_file, remove_import
from ro_core.store import schema
from ro_core.store.db import Database

REES46_SAMPLE = "rees46_events/rees46_2019-Oct_head17k_complete_lines.csv"
REES46_HEADER = (
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
)
EVENT_FORMATS = {"rees46_events", "ga4_bigquery_events"}


# --- helpers -----------------------------------------------------------------------------------
def _epoch_us(text: str, fmt: str = "%Y-%m-%d %H:%M:%S UTC") -> int:
    moment = datetime.strptime(text, fmt).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _type_counts(db: Database) -> dict[str, int]:
    rows = db.fetch_all(f"SELECT event_type, count(*) FROM {schema.EVENTS} GROUP BY 1")
    return {event_type: int(n) for event_type, n in rows}


def _events_snapshot(db: Database) -> list[tuple]:
    """Every resolved event (without import_id), as comparable text, sorted."""
    columns = ", ".join(
        f"CAST({name} AS VARCHAR)" if name != "event_time" else "epoch_us(event_time)"
        for name in schema.column_names(schema.KIND_EVENTS)
    )
    rows = db.fetch_all(f"SELECT {columns} FROM {schema.EVENTS}")
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


def _fresh_db(tmp_path: Path, name: str) -> Database:
    return Database(tmp_path / name / "ro.duckdb")


def _rees46_line(
    second: int, event_type: str, product: int, price: str, user: int, session: str
) -> str:
    minutes, seconds = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"2019-10-01 {hours:02d}:{minutes:02d}:{seconds:02d} UTC,{event_type},{product},"
        f"2053013555631882655,electronics.smartphone,apple,{price},{user},{session}"
    )


def _rees46_master(n: int) -> list[str]:
    """n synthetic REES46 data lines; lines 100/101, 250/251 and 500/501 repeat one event."""
    kinds = ["view", "view", "view", "cart", "view", "purchase", "remove_from_cart"]
    lines = []
    for i in range(n):
        session = f"s-{i // 6:04d}"
        lines.append(
            _rees46_line(
                i,
                kinds[i % len(kinds)],
                1000 + i % 37,
                f"{10 + i % 9}.{i % 100:02d}",
                500 + i // 6,
                session,
            )
        )
    for first in (100, 250, 500):
        if first + 1 < n:
            lines[first + 1] = lines[first]  # the same event logged twice in the same second
    return lines


def _write(path: Path, header: str, lines: list[str], newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join([header, *lines]) + newline).encode())
    return path


def _counter_of(lines: list[str]) -> dict[str, int]:
    return dict(Counter(next(csv.reader([line]))[1] for line in lines))


GA4_HEADER = [
    "event_date",
    "event_timestamp",
    "event_name",
    "user_pseudo_id",
    "ga_session_id",
    "ecommerce.transaction_id",
    "ecommerce.purchase_revenue",
    "device.category",
    "geo.country",
    "traffic_source.medium",
]


def _ga4_file(path: Path, rows: list[list[str]], header: list[str] = GA4_HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(",".join(cells) for cells in [header, *rows]) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


T0 = 1_696_118_400_000_000  # 2023-10-01 00:00:00 UTC in microseconds


# --- REES46: the real sample -----------------------------------------------------------------
def test_rees46_real_sample_matches_csv(db: Database, real_exports: Path) -> None:
    path = real_exports / REES46_SAMPLE
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected_types = Counter(r["event_type"] for r in rows)
    expected_sessions = len({r["user_session"] for r in rows})
    expected_users = len({r["user_id"] for r in rows})
    expected_revenue = sum(Decimal(r["price"]) for r in rows if r["event_type"] == "purchase")
    expected_purchase_sessions = len(
        {r["user_session"] for r in rows if r["event_type"] == "purchase"}
    )
    expected_first = min(_epoch_us(r["event_time"]) for r in rows)
    expected_last = max(_epoch_us(r["event_time"]) for r in rows)
    expected_dates = {r["event_time"][:10] for r in rows}
    assert len(rows) == 17_434

    report = ingest_file(db, path)

    assert report.format == "rees46_events"
    assert report.rows_read == len(rows)
    assert report.rows_skipped == 0
    assert report.counts == {schema.KIND_EVENTS: len(rows)}
    assert _type_counts(db) == dict(expected_types)
    sessions, users, revenue, purchase_sessions, first, last = db.fetch_one(
        f"""SELECT count(DISTINCT session_id), count(DISTINCT user_id),
            sum(revenue), count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase'),
            min(epoch_us(event_time)), max(epoch_us(event_time))
        FROM {schema.EVENTS}"""
    )
    assert sessions == expected_sessions
    assert users == expected_users
    assert revenue == expected_revenue
    assert purchase_sessions == expected_purchase_sessions
    assert (first, last) == (expected_first, expected_last)
    dates = {str(d) for (d,) in db.fetch_all(f"SELECT DISTINCT local_date FROM {schema.EVENTS}")}
    assert dates == expected_dates  # UTC days by default
    assert (
        db.fetch_value(
            f"SELECT count(*) FROM {schema.EVENTS} WHERE revenue IS NOT NULL "
            "AND event_type <> 'purchase'"
        )
        == 0
    )
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS} WHERE order_id IS NOT NULL") == 0
    assert any("session with a purchase" in note for note in report.notes)


def test_rees46_real_sample_reimport_is_a_no_op(db: Database, real_exports: Path) -> None:
    path = real_exports / REES46_SAMPLE
    first = ingest_file(db, path)
    before = _type_counts(db)
    again = ingest_file(db, path)
    assert again.already_imported
    assert again.import_id == first.import_id
    assert _type_counts(db) == before
    assert sum(before.values()) == 17_434
    assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}") == 1
    # The only import of its kind is written once, straight into the resolved table.
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 17_434
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 0


def test_rees46_real_sample_new_york_days(tmp_path: Path, real_exports: Path) -> None:
    # The sample spans 00:00-02:50 UTC on 1 October 2019: 20:00-22:50 on 30 September in New
    # York (EDT, UTC-4), 09:00-11:50 on 1 October at a fixed +09:00.
    path = real_exports / REES46_SAMPLE
    new_york = _fresh_db(tmp_path, "ny")
    try:
        ingest_file(new_york, path, options={"timezone": "America/New_York"})
        assert new_york.fetch_all(
            f"SELECT local_date, count(*) FROM {schema.EVENTS} GROUP BY 1"
        ) == [(date(2019, 9, 30), 17_434)]
    finally:
        new_york.close()
    tokyo = _fresh_db(tmp_path, "tokyo")
    try:
        ingest_file(tokyo, path, options={"utc_offset_minutes": 540})
        assert tokyo.fetch_all(f"SELECT local_date, count(*) FROM {schema.EVENTS} GROUP BY 1") == [
            (date(2019, 10, 1), 17_434)
        ]
    finally:
        tokyo.close()


# --- REES46: synthetic files -----------------------------------------------------------------
def test_overlapping_rees46_files_are_not_double_counted(db: Database, tmp_path: Path) -> None:
    master = _rees46_master(600)
    first_lines, second_lines = master[0:400], master[200:600]  # second shares half with first
    first = _write(tmp_path / "oct_a.csv", REES46_HEADER, first_lines, newline="\r\n")
    second = _write(tmp_path / "oct_b.csv", REES46_HEADER, second_lines)

    first_report = ingest_file(db, first)
    assert _type_counts(db) == _counter_of(first_lines)
    first_snapshot = _events_snapshot(db)
    assert len(first_snapshot) == 400

    second_report = ingest_file(db, second)
    assert second_report.counts == {schema.KIND_EVENTS: 400}
    assert _type_counts(db) == _counter_of(master)
    assert sum(_type_counts(db).values()) == 600  # 400 + 400 - the 200 shared
    revenue = db.fetch_value(f"SELECT sum(revenue) FROM {schema.EVENTS}")
    expected = sum(
        Decimal(next(csv.reader([line]))[6])
        for line in master
        if next(csv.reader([line]))[1] == "purchase"
    )
    assert revenue == expected

    assert remove_import(db, second_report.import_id)
    assert _events_snapshot(db) == first_snapshot
    assert first_report.import_id != second_report.import_id
    # With the second gone the first is again the only one: its rows are held once, in the
    # resolved table, as after its import; removing it empties both tables.
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 0
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 400
    assert remove_import(db, first_report.import_id)
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 0
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 0


def test_rees46_bad_time_fails_naming_line_and_column(db: Database, tmp_path: Path) -> None:
    lines = _rees46_master(10)
    lines[5] = lines[5].replace("2019-10-01 00:00:05 UTC", "2019-10-01T00:00:05Z")
    path = _write(tmp_path / "bad.csv", REES46_HEADER, lines)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.line == 7  # header is line 1, lines[5] is line 7
    assert caught.value.column == "event_time"
    assert "2019-10-01T00:00:05Z" in str(caught.value)
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENT_ROWS}") == 0


def test_rees46_time_without_utc_suffix_is_refused(db: Database, tmp_path: Path) -> None:
    lines = _rees46_master(4)
    lines[3] = lines[3].replace(" UTC,", ",")
    path = _write(tmp_path / "no_suffix.csv", REES46_HEADER, lines)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.line == 5


def test_rees46_rows_without_session_are_skipped(db: Database, tmp_path: Path) -> None:
    lines = _rees46_master(12)
    for index in (1, 3):  # lines 3 and 5 of the file
        cells = lines[index].split(",")
        cells[-1] = ""
        lines[index] = ",".join(cells)
    path = _write(tmp_path / "gaps.csv", REES46_HEADER, lines)
    report = ingest_file(db, path)
    assert report.rows_read == 12
    assert report.rows_skipped == 2
    (skipped,) = report.skipped
    assert "user_session" in skipped.reason
    assert skipped.lines == [3, 5]
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 10


def test_rees46_unknown_event_type_is_other(db: Database, tmp_path: Path) -> None:
    lines = _rees46_master(7)
    lines[2] = lines[2].replace(",view,", ",wishlist,")
    path = _write(tmp_path / "wish.csv", REES46_HEADER, lines)
    report = ingest_file(db, path)
    assert db.fetch_all(
        f"SELECT event_type, event_name FROM {schema.EVENTS} WHERE event_type = 'other'"
    ) == [("other", "wishlist")]
    assert any("wishlist 1" in note and "'other'" in note for note in report.notes)


def test_rees46_bad_time_zone_option_is_refused(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path / "tz.csv", REES46_HEADER, _rees46_master(3))
    with pytest.raises(InvalidInputError):
        ingest_file(db, path, options={"timezone": "Mars/Olympus_Mons"})
    with pytest.raises(InvalidInputError):
        ingest_file(db, path, options={"utc_offset_minutes": "five hours"})
    with pytest.raises(InvalidInputError):
        ingest_file(db, path, options={"utc_offset_minutes": 60, "timezone": "Europe/Paris"})


# --- GA4 BigQuery ------------------------------------------------------------------------------
def test_ga4_mapping_sessions_and_microseconds(db: Database, tmp_path: Path) -> None:
    # Two users whose ga_session_id happens to be the same number: two sessions.
    rows = [
        [
            "20231001",
            str(T0 + 1),
            "session_start",
            "u1",
            "777",
            "",
            "",
            "mobile",
            "Germany",
            "(none)",
        ],
        ["20231001", str(T0 + 2), "page_view", "u1", "777", "", "", "mobile", "Germany", "(none)"],
        ["20231001", str(T0 + 3), "view_item", "u1", "777", "", "", "mobile", "Germany", "(none)"],
        [
            "20231001",
            str(T0 + 4),
            "add_to_cart",
            "u1",
            "777",
            "",
            "",
            "mobile",
            "Germany",
            "(none)",
        ],
        [
            "20231001",
            str(T0 + 5),
            "remove_from_cart",
            "u1",
            "777",
            "",
            "",
            "Mobile",
            "Germany",
            "(none)",
        ],
        [
            "20231001",
            str(T0 + 6),
            "begin_checkout",
            "u2",
            "777",
            "",
            "",
            "desktop",
            "France",
            "organic",
        ],
        [
            "20231001",
            str(T0 + 7),
            "add_payment_info",
            "u2",
            "777",
            "",
            "",
            "desktop",
            "France",
            "organic",
        ],
        [
            "20231001",
            str(T0 + 999_999),
            "purchase",
            "u2",
            "777",
            "T-1",
            "59.90",
            "desktop",
            "France",
            "organic",
        ],
    ]
    path = _ga4_file(tmp_path / "ga4.csv", rows)
    report = ingest_file(db, path)
    assert report.format == "ga4_bigquery_events"
    got = db.fetch_all(
        f"""SELECT epoch_us(event_time), event_name, event_type, session_id, user_id, device,
            country, channel, order_id, CAST(revenue AS VARCHAR), local_date
        FROM {schema.EVENTS} ORDER BY event_time"""
    )
    expected_types = [
        "other",
        "other",
        "view",
        "cart",
        "remove_from_cart",
        "checkout",
        "other",
        "purchase",
    ]
    assert [r[0] for r in got] == [int(r[1]) for r in rows]
    assert [r[1] for r in got] == [r[2] for r in rows]
    assert [r[2] for r in got] == expected_types
    assert [r[3] for r in got] == ["u1.777"] * 5 + ["u2.777"] * 3
    assert [r[4] for r in got] == ["u1"] * 5 + ["u2"] * 3
    assert {r[5] for r in got} == {"mobile", "desktop"}
    assert [r[6] for r in got] == ["Germany"] * 5 + ["France"] * 3
    assert [r[7] for r in got] == ["direct"] * 5 + ["organic"] * 3
    assert [r[8] for r in got] == [None] * 7 + ["T-1"]
    assert [r[9] for r in got] == [None] * 7 + ["59.90"]
    assert {r[10] for r in got} == {date(2023, 10, 1)}
    assert db.fetch_value(f"SELECT count(DISTINCT session_id) FROM {schema.EVENTS}") == 2
    other_note = next(n for n in report.notes if "'other'" in n)
    assert "3 events" in other_note and "add_payment_info 1" in other_note
    assert any("first visit" in n for n in report.notes)  # traffic_source is first-user scoped


def test_ga4_duplicate_purchases_are_counted_once(db: Database, tmp_path: Path) -> None:
    def purchase(offset: int, transaction: str, revenue: str, user: str = "u1") -> list[str]:
        return [
            "20231001",
            str(T0 + offset),
            "purchase",
            user,
            "42",
            transaction,
            revenue,
            "desktop",
            "Spain",
            "cpc",
        ]

    rows = [
        purchase(5_000_000, "T-1", "100.00"),  # line 2: the first T-1, kept
        purchase(9_000_000, "T-2", "20.50"),  # line 3: kept
        purchase(7_000_000, "T-1", "100.00"),  # line 4: thank-you page reloaded
        purchase(5_000_000, "T-1", "100.00"),  # line 5: an exact repeat of line 2
        purchase(6_000_000, "T-1", "100.00", user="u9"),  # line 6: same order, other device
        purchase(8_000_000, "", "5.00"),  # line 7: no transaction id: cannot be checked
    ]
    path = _ga4_file(tmp_path / "dupes.csv", rows)
    report = ingest_file(db, path)
    kept = db.fetch_all(
        f"""SELECT coalesce(order_id, '-'), epoch_us(event_time), CAST(revenue AS VARCHAR)
        FROM {schema.EVENTS} WHERE event_type = 'purchase' ORDER BY 1"""
    )
    assert kept == [
        ("-", T0 + 8_000_000, "5.00"),
        ("T-1", T0 + 5_000_000, "100.00"),
        ("T-2", T0 + 9_000_000, "20.50"),
    ]
    assert db.fetch_value(f"SELECT sum(revenue) FROM {schema.EVENTS}") == Decimal("125.50")
    warning = next(w for w in report.warnings if "duplicated purchase" in w)
    assert warning.startswith("3 duplicated purchase events")
    assert "lines 4, 5, 6" in warning
    assert any("no transaction_id" in w for w in report.warnings)


def test_ga4_per_item_rows_with_underscore_names(db: Database, tmp_path: Path) -> None:
    header = [
        "event_timestamp",
        "event_name",
        "user_pseudo_id",
        "event_params_ga_session_id",
        "ecommerce_transaction_id",
        "ecommerce_purchase_revenue",
        "items_item_id",
        "items_price",
        "device_category",
        "geo_country",
        "session_medium",
    ]
    purchase_at = str(T0 + 50)
    repeat_at = str(T0 + 90)
    rows = [
        [
            str(T0 + 10),
            "view_item",
            "u1",
            "9",
            "",
            "",
            "SKU-A",
            "30.00",
            "tablet",
            "Italy",
            "email",
        ],
        [
            purchase_at,
            "purchase",
            "u1",
            "9",
            "T-7",
            "75.00",
            "SKU-A",
            "30.00",
            "tablet",
            "Italy",
            "email",
        ],
        [
            purchase_at,
            "purchase",
            "u1",
            "9",
            "T-7",
            "75.00",
            "SKU-B",
            "20.00",
            "tablet",
            "Italy",
            "email",
        ],
        [
            purchase_at,
            "purchase",
            "u1",
            "9",
            "T-7",
            "75.00",
            "SKU-C",
            "25.00",
            "tablet",
            "Italy",
            "email",
        ],
        [
            repeat_at,
            "purchase",
            "u1",
            "9",
            "T-7",
            "75.00",
            "SKU-A",
            "30.00",
            "tablet",
            "Italy",
            "email",
        ],
        [
            repeat_at,
            "purchase",
            "u1",
            "9",
            "T-7",
            "75.00",
            "SKU-B",
            "20.00",
            "tablet",
            "Italy",
            "email",
        ],
    ]
    path = _ga4_file(tmp_path / "items.csv", rows, header)
    report = ingest_file(db, path)
    purchases = db.fetch_all(
        f"""SELECT product_id, CAST(price AS VARCHAR), epoch_us(event_time), session_id
        FROM {schema.EVENTS} WHERE event_type = 'purchase' ORDER BY product_id"""
    )
    assert purchases == [
        ("SKU-A", "30.00", int(purchase_at), "u1.9"),
        ("SKU-B", "20.00", int(purchase_at), "u1.9"),
        ("SKU-C", "25.00", int(purchase_at), "u1.9"),
    ]
    assert db.fetch_value(f"SELECT sum(revenue) FROM {schema.EVENTS}") == Decimal("75.00")
    assert db.fetch_value(f"SELECT count(revenue) FROM {schema.EVENTS}") == 1
    assert db.fetch_all(f"SELECT DISTINCT channel, device FROM {schema.EVENTS}") == [
        ("email", "tablet")
    ]
    assert any(w.startswith("2 duplicated purchase item rows") for w in report.warnings)


def test_ga4_rows_without_session_id_are_skipped(db: Database, tmp_path: Path) -> None:
    rows = []
    for i in range(8):
        session = "" if i in (1, 4) else "5"
        user = "" if i == 6 else "u1"
        rows.append(["20231001", str(T0 + i), "page_view", user, session, "", "", "", "", ""])
    path = _ga4_file(tmp_path / "nosession.csv", rows)
    report = ingest_file(db, path)
    (skipped,) = report.skipped
    assert "session" in skipped.reason
    assert skipped.count == 3
    assert skipped.lines == [3, 6, 8]
    assert db.fetch_value(f"SELECT count(*) FROM {schema.EVENTS}") == 5


def test_ga4_bad_timestamp_far_down_fails_naming_its_line(db: Database, tmp_path: Path) -> None:
    bad_line = 25_000
    template = "20231001,{ts},page_view,u{user},{session},,,desktop,Chile,referral"
    body = [template.format(ts=T0 + i * 1_000, user=i % 97, session=i // 50) for i in range(30_000)]
    body[bad_line - 2] = template.format(ts="2023-10-01 10:00:00", user=1, session=1)
    path = tmp_path / "big.csv"
    path.write_text("\n".join([",".join(GA4_HEADER), *body]) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.line == bad_line
    assert caught.value.column == "event_timestamp"
    assert "line 25000" in str(caught.value)
    assert "2023-10-01 10:00:00" in str(caught.value)
    assert db.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}") == 0


def test_ga4_millisecond_timestamps_are_refused(db: Database, tmp_path: Path) -> None:
    rows = [
        ["20231001", str(T0 + 5), "page_view", "u1", "1", "", "", "", "", ""],
        ["20231001", str(T0 // 1000), "page_view", "u1", "1", "", "", "", "", ""],
    ]
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, _ga4_file(tmp_path / "ms.csv", rows))
    assert caught.value.line == 3
    assert "milliseconds" in str(caught.value)


def test_ga4_time_zone_options_move_days_across_midnight(tmp_path: Path) -> None:
    header = ["event_timestamp", "event_name", "user_pseudo_id", "ga_session_id"]
    early = T0 + (2 * 3600 + 30 * 60) * 1_000_000  # 2023-10-01 02:30 UTC
    late = T0 + (23 * 3600 + 30 * 60) * 1_000_000  # 2023-10-01 23:30 UTC
    rows = [[str(early), "view_item", "u1", "1"], [str(late), "view_item", "u1", "2"]]
    path = _ga4_file(tmp_path / "tz.csv", rows, header)
    # By hand: Los Angeles is UTC-7 in October (PDT); +02:00 moves 23:30 to 01:30 next day.
    cases = {
        "utc": ({}, [date(2023, 10, 1), date(2023, 10, 1)]),
        "la": ({"timezone": "America/Los_Angeles"}, [date(2023, 9, 30), date(2023, 10, 1)]),
        "plus2": ({"utc_offset_minutes": 120}, [date(2023, 10, 1), date(2023, 10, 2)]),
        "minus3": ({"utc_offset_minutes": "-180"}, [date(2023, 9, 30), date(2023, 10, 1)]),
    }
    for name, (options, expected) in cases.items():
        database = _fresh_db(tmp_path, name)
        try:
            report = ingest_file(database, path, options=options)
            got = [
                d
                for (d,) in database.fetch_all(
                    f"SELECT local_date FROM {schema.EVENTS} ORDER BY event_time"
                )
            ]
            assert got == expected, name
            assert report.first_date == min(expected) and report.last_date == max(expected)
            assert [
                t
                for (t,) in database.fetch_all(
                    f"SELECT epoch_us(event_time) FROM {schema.EVENTS} ORDER BY 1"
                )
            ] == [early, late]
        finally:
            database.close()


def test_ga4_event_date_is_the_default_local_day(tmp_path: Path) -> None:
    # event_date is in the property's time zone: 01:00 UTC on 1 October was still 30 September
    # for a property in New York. A time zone option overrides it.
    rows = [
        ["20230930", str(T0 + 3600 * 1_000_000), "page_view", "u1", "1", "", "", "", "", ""],
        ["", str(T0 + 7200 * 1_000_000), "page_view", "u1", "1", "", "", "", "", ""],
    ]
    path = _ga4_file(tmp_path / "dates.csv", rows)
    default_db = _fresh_db(tmp_path, "default")
    try:
        ingest_file(default_db, path)
        assert default_db.fetch_all(
            f"SELECT local_date FROM {schema.EVENTS} ORDER BY event_time"
        ) == [(date(2023, 9, 30),), (date(2023, 10, 1),)]  # the blank one: UTC date
    finally:
        default_db.close()
    tokyo = _fresh_db(tmp_path, "tokyo")
    try:
        ingest_file(tokyo, path, options={"timezone": "Asia/Tokyo"})
        assert tokyo.fetch_all(f"SELECT DISTINCT local_date FROM {schema.EVENTS}") == [
            (date(2023, 10, 1),)
        ]
    finally:
        tokyo.close()


def test_ga4_date_only_export_uses_midnight_utc(db: Database, tmp_path: Path) -> None:
    header = ["event_date", "event_name", "user_pseudo_id", "ga_session_id", "value"]
    rows = [
        ["20231002", "view_item", "u1", "1", ""],
        ["20231003", "purchase", "u1", "1", "12.5"],
    ]
    report = ingest_file(db, _ga4_file(tmp_path / "dateonly.csv", rows, header))
    got = db.fetch_all(
        f"""SELECT epoch_us(event_time), local_date, event_type, CAST(revenue AS VARCHAR)
        FROM {schema.EVENTS} ORDER BY 1"""
    )
    assert got == [
        (_epoch_us("20231002", "%Y%m%d"), date(2023, 10, 2), "view", None),
        (_epoch_us("20231003", "%Y%m%d"), date(2023, 10, 3), "purchase", "12.50"),
    ]
    assert any("midnight UTC" in note for note in report.notes)


def test_ga4_without_session_column_is_refused(db: Database, tmp_path: Path) -> None:
    header = ["event_timestamp", "event_name", "user_pseudo_id"]
    path = _ga4_file(tmp_path / "nosess.csv", [[str(T0), "page_view", "u1"]], header)
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, path)
    assert caught.value.line == 1
    assert "ga_session_id" in str(caught.value)


# --- detection -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (REES46_HEADER.split(","), "rees46_events"),
        (GA4_HEADER, "ga4_bigquery_events"),
        (["event_date", "event_name", "user_pseudo_id", "ga_session_id"], "ga4_bigquery_events"),
        (["Event_Timestamp", "Event Name", "User Pseudo ID"], "ga4_bigquery_events"),
    ],
)
def test_event_layouts_are_detected(header: list[str], expected: str) -> None:
    spec = detect_format(header)
    assert spec is not None and spec.name == expected


@pytest.mark.parametrize(
    "header",
    [
        # GA4 "Events" report download and a traffic report: aggregates, not events.
        [
            "Event name",
            "Event count",
            "Total users",
            "Event count per active user",
            "Total revenue",
        ],
        ["Date", "Session default channel group", "Sessions", "Engaged sessions", "Key events"],
        # Shopify orders export (abridged) and Olist orders.
        [
            "Name",
            "Email",
            "Financial Status",
            "Created at",
            "Lineitem name",
            "Lineitem quantity",
            "Total",
        ],
        ["order_id", "customer_id", "order_status", "order_purchase_timestamp"],
        # An event-ish file without the identifying columns.
        ["event_time", "event_type", "product_id", "price", "user_id"],
        ["event_timestamp", "event_name", "client_id"],
    ],
)
def test_other_layouts_are_not_taken_for_events(header: list[str]) -> None:
    spec = detect_format(header)
    assert spec is None or spec.name not in EVENT_FORMATS


def test_real_report_downloads_are_not_taken_for_events(real_exports: Path, tmp_path: Path) -> None:
    checked = 0
    for folder in ("ga4_exports", "shopify_analytics", "shopify_orders", "olist"):
        for path in sorted((real_exports / folder).glob("*.csv")):
            found = layout.sniff(path, path.name, tmp_path / "work")
            try:
                for part in found.parts:
                    spec = detect_format(part.header)
                    assert spec is None or spec.name not in EVENT_FORMATS, (path.name, part.title)
                    checked += 1
            finally:
                layout.cleanup(found, path)
    assert checked > 5
    rees46 = layout.sniff(real_exports / REES46_SAMPLE, "rees46.csv", tmp_path / "work")
    assert detect_format(rees46.parts[0].header).name == "rees46_events"


def test_ga4_revenue_that_is_not_a_number_fails(db: Database, tmp_path: Path) -> None:
    rows = [
        ["20231001", str(T0 + 1), "purchase", "u1", "1", "T-1", "12.50", "", "", ""],
        ["20231001", str(T0 + 2), "purchase", "u1", "1", "T-2", "12.50 EUR", "", "", ""],
    ]
    with pytest.raises(ImportFileError) as caught:
        ingest_file(db, _ga4_file(tmp_path / "money.csv", rows))
    assert caught.value.line == 3
    assert caught.value.column == "ecommerce.purchase_revenue"
