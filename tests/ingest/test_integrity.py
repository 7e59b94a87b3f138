"""Issue 11: what a file holds arrives, once. One section per cause that was seen; each builds
its own files and checks the stored data against the csv module or a hand calculation."""

from __future__ import annotations

import csv
import gzip
import io
import threading
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.cli import main
from ro_core.ingest.pipeline import ingest_file, list_imports, remove_import
from ro_core.store.db import Database
from tests.ingest.builders import SHOPIFY_HEADER, shopify_order_rows, write_shopify_export
from tests.ingest.test_events import REES46_HEADER, _rees46_line


# --- helpers -----------------------------------------------------------------------------------
def csv_orders(path: Path, encoding: str) -> dict[str, Decimal]:
    """Order Name -> Total, read with the csv module (the order's first row carries it)."""
    totals: dict[str, Decimal] = {}
    with path.open(encoding=encoding, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Total"]:
                totals[row["Name"]] = Decimal(row["Total"])
    return totals


def shopify_text(orders: list[list[dict[str, str]]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHOPIFY_HEADER, lineterminator="\n")
    writer.writeheader()
    for order in orders:
        writer.writerows(order)
    return buffer.getvalue()


def many_orders(n: int, *, day: str = "2024-02-01") -> list[list[dict[str, str]]]:
    return [
        shopify_order_rows(k, f"{day} 10:{k % 60:02d}:00 -0500", f"{10 + k % 7}.{k % 100:02d}")
        for k in range(1, n + 1)
    ]


# --- 1. encoding decided for the whole file ----------------------------------------------------
ACCENTED = {
    "cp1252": "Café “Pepe” – 5 €",
    "latin-1": "Grüße aus Köln, señor",
}


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
@pytest.mark.parametrize("where", ["Billing Name", "Lineitem name"])
def test_shopify_export_with_a_late_accent_on_an_order_row_loses_nothing(
    db: Database, tmp_path: Path, encoding: str, where: str
):
    orders = many_orders(6000)
    orders[5500][0][where] = ACCENTED[encoding]  # the order's first row, past the first MB
    path = tmp_path / "orders_export.csv"
    path.write_bytes(shopify_text(orders).encode(encoding))
    assert path.read_bytes().find(ACCENTED[encoding].encode(encoding)) > 1 << 20
    truth = csv_orders(path, encoding)
    report = ingest_file(db, path)
    assert report.rows_skipped == 0
    count, revenue = db.fetch_one("SELECT count(*), sum(total) FROM orders")
    assert count == len(truth) == 6000
    assert revenue == sum(truth.values())  # so AOV = revenue / orders is right too
    assert db.fetch_value("SELECT count(*) FROM orders WHERE total IS NULL") == 0
    if where == "Lineitem name":
        assert (
            db.fetch_value(
                "SELECT count(*) FROM order_lines WHERE product = ?", [ACCENTED[encoding]]
            )
            == 1
        )


def test_compressed_windows_1252_file_is_decided_whole_too(db: Database, tmp_path: Path):
    orders = many_orders(6000)
    orders[5999][1]["Lineitem name"] = ACCENTED["cp1252"]
    raw = shopify_text(orders).encode("cp1252")
    path = tmp_path / "orders_export.csv.gz"
    path.write_bytes(gzip.compress(raw))
    report = ingest_file(db, path)
    assert report.rows_skipped == 0 and report.counts["order_lines"] == 12_000
    assert (
        db.fetch_value("SELECT product FROM order_lines WHERE product LIKE 'Caf%'")
        == (ACCENTED["cp1252"])
    )
    assert not list((tmp_path / "tmp").glob("*"))  # decompressed and transcoded copies gone


def test_mapped_file_and_analytics_report_in_windows_1252(db: Database, tmp_path: Path):
    lines = [f"A{i},2024-03-{1 + i % 28:02d},{i}.50,Client {i}" for i in range(40_000)]
    lines[39_990] = "A39990,2024-03-05,7.25,Zoë “Ltd”"
    mapped_path = tmp_path / "olist_like.csv"
    mapped_path.write_bytes(("ref,when,amount,who\n" + "\n".join(lines) + "\n").encode("cp1252"))
    mapping = {"ref": "order_id", "when": "created_at", "amount": "total"}
    report = ingest_file(db, mapped_path, mapping=mapping)
    assert report.rows_skipped == 0 and report.counts["orders"] == 40_000
    expected = sum(Decimal(line.split(",")[2]) for line in lines)
    assert db.fetch_value("SELECT sum(total) FROM orders") == expected

    referrers = tmp_path / "Sessions by referrer.csv"
    referrers.write_bytes(
        "Day,Referrer source,Referrer name,Sessions\n"
        "2024-03-01,search,Google,10\n2024-03-01,social,Señal €,4\n".encode("cp1252")
    )
    ingest_file(db, referrers)
    assert db.fetch_value("SELECT sessions FROM traffic WHERE referrer = 'Señal €'") == 4


def test_utf8_file_with_late_accents_stays_utf8(db: Database, tmp_path: Path):
    orders = many_orders(6000)
    orders[5900][1]["Lineitem name"] = "Crème brûlée ☕"
    path = write_shopify_export(tmp_path / "orders.csv", orders)
    ingest_file(db, path)
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE product = 'Crème brûlée ☕'") == 1


# --- 2. an order is whole or not in ------------------------------------------------------------
def _break_first_row(text: str, order: str, how: str) -> tuple[str, int]:
    """Break the first row of `order` (#n); returns the text and that row's line number."""
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{order},"))
    if how == "too many columns":
        lines[index] += ",extra,cells"
    elif how == "too few columns":
        lines[index] = ",".join(lines[index].split(",")[:12])
    elif how == "no name":
        lines[index] = lines[index][len(order) :]
    return "\n".join(lines), index + 1


@pytest.mark.parametrize("how", ["too many columns", "too few columns", "no name"])
def test_order_whose_first_row_is_unreadable_is_left_out_whole(
    db: Database, tmp_path: Path, how: str
):
    orders = many_orders(30)
    good = tmp_path / "good.csv"
    good.write_text(shopify_text(orders))
    text, bad_line = _break_first_row(good.read_text(), "#7", how)
    broken = tmp_path / "broken.csv"
    broken.write_text(text)
    truth = csv_orders(good, "utf-8")

    report = ingest_file(db, broken)
    assert db.fetch_value("SELECT count(*) FROM orders") == 29
    assert db.fetch_value("SELECT count(*) FROM orders WHERE order_name = '#7'") == 0
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE order_id = '#7'") == 0
    whole = next(s for s in report.skipped if "whole order" in s.reason)
    assert whole.lines == [bad_line + 1]  # the order's other row, reported with its line
    assert db.fetch_value("SELECT sum(total) FROM orders") == sum(truth.values()) - truth["#7"]

    ingest_file(db, good)  # the corrected export keys #7 by its Id, like the others
    assert db.fetch_one("SELECT count(*), count(DISTINCT order_name) FROM orders") == (30, 30)
    assert db.fetch_value("SELECT order_id FROM orders WHERE order_name = '#7'") == "9000007"
    assert db.fetch_value("SELECT sum(total) FROM orders") == sum(truth.values())


# --- 3. the newer export wins by its own content -----------------------------------------------
def _exports(tmp_path: Path) -> tuple[Path, Path]:
    """An older export (orders 1-4) and a newer one: order 2 refunded, 3 cancelled, 4 with a
    line added, 5 new. Named as a browser names two downloads of the same export."""
    old = [shopify_order_rows(n, f"2024-02-0{n} 10:00:00 -0500", "20.00") for n in range(1, 5)]
    new = [shopify_order_rows(n, f"2024-02-0{n} 10:00:00 -0500", "20.00") for n in range(1, 5)]
    new[1][0].update({"Refunded Amount": "20.00", "Financial Status": "refunded"})
    new[2][0]["Cancelled at"] = "2024-02-06 09:00:00 -0500"
    new[3] = shopify_order_rows(4, "2024-02-04 10:00:00 -0500", "20.00", lines=3)
    new.append(shopify_order_rows(5, "2024-02-05 10:00:00 -0500", "30.00"))
    older = write_shopify_export(tmp_path / "orders_export.csv", old)
    newer = write_shopify_export(tmp_path / "orders_export (1).csv", new)
    return older, newer


def _newer_values(db: Database) -> None:
    assert db.fetch_value("SELECT refunded FROM orders WHERE order_name = '#2'") == Decimal("20")
    assert db.fetch_value("SELECT cancelled FROM orders WHERE order_name = '#3'") is True
    assert db.fetch_value("SELECT line_count FROM orders WHERE order_name = '#4'") == 3
    assert db.fetch_value("SELECT count(*) FROM order_lines WHERE order_id = '9000004'") == 3
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (5, Decimal("110.00"))


@pytest.mark.parametrize("order", ["glob", "newer first", "older first"])
def test_overlapping_exports_resolve_by_their_content_not_import_order(
    capsys, tmp_path: Path, order: str
):
    older, newer = _exports(tmp_path)
    files = {
        "glob": sorted([older, newer]),  # 'orders_export (1).csv' sorts first: the newer one
        "newer first": [newer, older],
        "older first": [older, newer],
    }[order]
    if order == "glob":
        assert files[0] == newer
    db_path = tmp_path / "ro.duckdb"
    assert main(["--db", str(db_path), "ingest", *map(str, files)]) == 0
    out = capsys.readouterr().out
    db = Database(db_path)
    try:
        _newer_values(db)
        if order != "older first":
            assert "orders_export (1).csv's values were kept" in out
    finally:
        db.close()


def test_removing_the_newer_export_brings_the_older_values_back(db: Database, tmp_path: Path):
    older, newer = _exports(tmp_path)
    newer_id = ingest_file(db, newer).import_id
    report = ingest_file(db, older)
    assert any("4 orders are also in orders_export (1).csv" in n for n in report.notes)
    _newer_values(db)
    remove_import(db, newer_id)
    assert db.fetch_one(
        "SELECT count(*), sum(refunded), count(*) FILTER (cancelled) FROM orders"
    ) == (
        4,
        Decimal("0"),
        0,
    )
    assert db.fetch_value("SELECT count(*) FROM order_lines") == 8


# --- 4. events: splitting a log anywhere gives the same events ---------------------------------
def _event_log() -> list[str]:
    """A log of 20 seconds, 3 different events in each (users 1-3); second 5 also holds one
    event twice and second 12 one event three times (legitimate in REES46)."""
    kinds = ["view", "cart", "view", "purchase"]
    lines = []
    for second in range(20):
        for user in range(3):
            line = _rees46_line(
                second,
                kinds[(second + user) % 4],
                1000 + second % 5,
                "10.50",
                500 + user,
                f"s{user}-{second // 7}",
            )
            repeats = {(5, 1): 2, (12, 2): 3}.get((second, user), 1)
            lines += [line] * repeats
    return lines


LOG = _event_log()
REPEATS = [i for i in range(1, len(LOG)) if LOG[i] == LOG[i - 1]]  # cuts between identical events


def _truth(lines: list[str]) -> Counter:
    return Counter(tuple(next(csv.reader([line]))[i] for i in (0, 1, 2, 7, 8)) for line in lines)


def _stored(db: Database) -> Counter:
    rows = db.fetch_all(
        "SELECT strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC'), event_type, "
        "product_id, user_id, session_id FROM events"
    )
    return Counter(tuple(str(v) for v in row) for row in rows)


def _write_events(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([REES46_HEADER, *lines]) + "\n")
    return path


CUTS = [
    # consecutive files cut between identical events, inside a second, between seconds
    *(((0, k), (k, len(LOG))) for k in sorted({*REPEATS, 15, 16, 18, 30})),
    # overlapping files, one beginning or ending among the repeats, or inclusive time bounds
    ((0, REPEATS[0] + 3), (REPEATS[0], len(LOG))),
    ((0, REPEATS[-1] + 4), (REPEATS[1] - 6, len(LOG))),
    ((0, 19), (15, len(LOG))),  # both hold the whole of second 5 (inclusive time bounds)
    ((0, 21), (18, len(LOG))),
    ((0, len(LOG)), (REPEATS[1], REPEATS[-1])),
]


@pytest.mark.parametrize(("first", "second"), CUTS)
def test_a_log_cut_anywhere_loads_exactly_its_events(
    tmp_path: Path, first: tuple[int, int], second: tuple[int, int]
):
    db = Database(tmp_path / "ro.duckdb")
    try:
        a = _write_events(tmp_path / "a.csv", LOG[slice(*first)])
        b = _write_events(tmp_path / "b.csv", LOG[slice(*second)])
        for path in (b, a):  # the later part first: order of import must not matter
            ingest_file(db, path)
        assert _stored(db) == _truth(LOG[: max(first[1], second[1])])
        ingest_file(db, _write_events(tmp_path / "whole.csv", LOG))
        assert _stored(db) == _truth(LOG)  # the whole log on top changes nothing
    finally:
        db.close()


@pytest.mark.parametrize("order", ["abc", "cba", "bca"])
def test_a_log_cut_in_three_through_a_triple_event(db: Database, tmp_path: Path, order: str):
    triple = REPEATS[-1]  # the second and third copies of the triple
    parts = {"a": LOG[:triple], "b": LOG[triple : triple + 1], "c": LOG[triple + 1 :]}
    for name in order:
        ingest_file(db, _write_events(tmp_path / f"{name}.csv", parts[name]))
    assert _stored(db) == _truth(LOG)


def test_the_one_case_no_content_settles(db: Database, tmp_path: Path):
    """A second holding only two identical events, cut between them, reads like two exports
    that both hold that second whole: the events count once (README: events identity)."""
    lines = [_rees46_line(s, "view", 1, "1.00", 7, "s") for s in (1, 2, 2, 3)]
    ingest_file(db, _write_events(tmp_path / "a.csv", lines[:2]))
    ingest_file(db, _write_events(tmp_path / "b.csv", lines[2:]))
    assert db.fetch_value("SELECT count(*) FROM events") == 3  # 4 in the log


# --- 5. traffic: one period counts once across differently cut exports -------------------------
def _weeks(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.write_text("Week,Sessions\n" + "".join(f"{w},{n}\n" for w, n in rows))
    return path


def _sessions_between(db: Database, start: date, end: date) -> float:
    return db.fetch_value(
        "SELECT sum(sessions) FROM traffic WHERE grain = 'week' "
        "AND period_start <= ? AND period_end >= ?",
        [end, start],
    )


@pytest.mark.parametrize("year_file_first", [True, False])
def test_a_week_cut_by_the_file_names_year_and_held_whole_counts_once(
    db: Database, tmp_path: Path, year_file_first: bool
):
    cut = _weeks(
        tmp_path / "Shopify 2024 - Sessions over time.csv",
        [("2024-12-16", 1000), ("2024-12-23", 1100), ("2024-12-30", 2484)],
    )
    whole = _weeks(tmp_path / "Sessions over time.csv", [("2024-12-30", 3484), ("2025-01-06", 900)])
    for path in (cut, whole) if year_file_first else (whole, cut):
        ingest_file(db, path)
    assert _sessions_between(db, date(2024, 12, 30), date(2025, 1, 5)) == 3484
    assert db.fetch_value("SELECT sum(sessions) FROM traffic") == 1000 + 1100 + 3484 + 900
    assert db.fetch_value(
        "SELECT period_end FROM traffic WHERE period_start = DATE '2024-12-30'"
    ) == date(2025, 1, 5)


def test_two_year_pieces_of_a_week_add_up_until_the_whole_week_arrives(
    db: Database, tmp_path: Path
):
    end_2024 = _weeks(tmp_path / "Shopify 2024 - Sessions over time.csv", [("2024-12-30", 700)])
    start_2025 = _weeks(tmp_path / "Shopify 2025 - Sessions over time.csv", [("2024-12-30", 2784)])
    ingest_file(db, end_2024)
    ingest_file(db, start_2025)
    assert db.fetch_all("SELECT period_start, period_end, sessions FROM traffic ORDER BY 1") == [
        (date(2024, 12, 30), date(2024, 12, 31), 700.0),
        (date(2025, 1, 1), date(2025, 1, 5), 2784.0),
    ]
    whole_id = ingest_file(
        db, _weeks(tmp_path / "Sessions over time.csv", [("2024-12-30", 3484)])
    ).import_id
    assert _sessions_between(db, date(2024, 12, 30), date(2025, 1, 5)) == 3484
    remove_import(db, whole_id)  # the pieces come back
    assert _sessions_between(db, date(2024, 12, 30), date(2025, 1, 5)) == 700 + 2784


# --- 10. the same file from several sessions at once -------------------------------------------
def test_the_same_files_imported_by_four_sessions_at_once_make_one_import_each(
    db: Database, tmp_path: Path
):
    files = [
        write_shopify_export(tmp_path / f"orders_{i}.csv", many_orders(200, day=f"2024-0{i}-01"))
        for i in range(1, 4)
    ]
    for path in files:
        barrier = threading.Barrier(4)
        reports: list = []
        errors: list = []

        def run(
            path: Path = path,
            barrier: threading.Barrier = barrier,
            reports: list = reports,
            errors: list = errors,
        ) -> None:
            barrier.wait()
            try:
                reports.append(ingest_file(db, path))
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert sum(not r.already_imported for r in reports) == 1
        assert len({r.import_id for r in reports}) == 1
    assert len(list_imports(db)) == 3
    # the three files hold the same 200 orders (same names and Ids): counted once
    truth = csv_orders(files[-1], "utf-8")
    assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (200, sum(truth.values()))
