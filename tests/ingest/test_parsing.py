"""Property tests for the parsing macros, run through DuckDB: ro_money on amounts written the US,
European, Swiss, accounting and plain ways; ro_percent on '2.4%' and fractions; and pinned date
format detection, including the ambiguous all-days-12-or-less case that needs a date order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ro_core.errors import ImportFileError
from ro_core.ingest.sqlfuncs import detect_date_format, detect_decimal_comma, install_macros

CONN = duckdb.connect()
install_macros(CONN)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.decimals(
    min_value=Decimal("-99999999.99"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def grouped(amount: Decimal, thousands: str, decimal: str) -> str:
    """|amount| with a thousands separator every three digits and two decimals."""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return thousands.join(groups) + decimal + cents


def indian(amount: Decimal) -> str:
    """|amount| grouped the Indian way: 12,34,567.89 (last three digits, then pairs)."""
    whole, cents = f"{abs(amount):.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join([*pairs, tail]) + "." + cents


def money(text: str, decimal_comma: bool) -> Decimal | None:
    return CONN.execute("SELECT ro_money(?, ?)", [text, decimal_comma]).fetchone()[0]


# --- ro_money ---------------------------------------------------------------------------------
US_STYLES = {
    "us": lambda a: ("-" if a < 0 else "") + "$" + grouped(a, ",", "."),
    "us_sign_inside": lambda a: "$" + ("-" if a < 0 else "") + grouped(a, ",", "."),
    "accounting": lambda a: f"(${grouped(a, ',', '.')})" if a < 0 else "$" + grouped(a, ",", "."),
    "plain": lambda a: f"{a:.2f}",
    "swiss": lambda a: ("-" if a < 0 else "") + "CHF " + grouped(a, "'", "."),
    "code_suffix": lambda a: ("-" if a < 0 else "") + grouped(a, ",", ".") + " USD",
    "indian": lambda a: ("-" if a < 0 else "") + "₹" + indian(a),
}
EU_STYLES = {
    "euro_suffix": lambda a: ("-" if a < 0 else "") + grouped(a, ".", ",") + " €",
    "euro_prefix": lambda a: ("-" if a < 0 else "") + "€" + grouped(a, ".", ","),
    "french": lambda a: ("-" if a < 0 else "") + grouped(a, "\u202f", ",") + " €",
    "plain_comma": lambda a: ("-" if a < 0 else "") + f"{abs(a):.2f}".replace(".", ","),
}


@SETTINGS
@given(amount=amounts, style=st.sampled_from(sorted(US_STYLES)))
def test_ro_money_reads_dot_decimal_amounts(amount: Decimal, style: str):
    text = US_STYLES[style](amount)
    assert money(text, False) == amount, text


@SETTINGS
@given(amount=amounts, style=st.sampled_from(sorted(EU_STYLES)))
def test_ro_money_reads_comma_decimal_amounts(amount: Decimal, style: str):
    text = EU_STYLES[style](amount)
    assert money(text, True) == amount, text


@SETTINGS
@given(text=st.sampled_from(["", "   ", "n/a", "—", "#VALUE!", "1.2.3", "1.234.567,8.9"]))
def test_ro_money_gives_null_for_text_that_is_not_one_amount(text: str):
    assert money(text, False) is None


@SETTINGS
@given(values=st.lists(amounts, min_size=1, max_size=30), european=st.booleans())
def test_detect_decimal_comma_follows_the_column(values: list[Decimal], european: bool):
    style = EU_STYLES["euro_suffix"] if european else US_STYLES["us"]
    CONN.execute("CREATE OR REPLACE TEMP TABLE amounts (v VARCHAR)")
    CONN.executemany("INSERT INTO amounts VALUES (?)", [[style(v)] for v in values])
    comma = detect_decimal_comma(CONN, "amounts", "v")
    assert comma is european
    total = CONN.execute(f"SELECT sum(ro_money(v, {str(comma).lower()})) FROM amounts").fetchone()
    assert total[0] == sum(values)


# --- ro_percent -------------------------------------------------------------------------------
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@SETTINGS
@given(p=percents, style=st.sampled_from(["{p}%", "{p} %", "{c}%", "{f}"]))
def test_ro_percent_reads_percent_signs_and_fractions_alike(p: Decimal, style: str):
    text = style.format(p=p, c=str(p).replace(".", ","), f=p / 100)
    value = CONN.execute("SELECT ro_percent(?)", [text]).fetchone()[0]
    assert value == pytest.approx(float(p) / 100, abs=1e-12), text


# --- detect_date_format -----------------------------------------------------------------------
WRITERS = {
    "iso_date": lambda d: d.strftime("%Y-%m-%d"),
    "iso_seconds": lambda d: d.strftime("%Y-%m-%d %H:%M:%S"),
    "iso_t": lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"),
    "us_date": lambda d: d.strftime("%m/%d/%Y"),
    "us_excel": lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}",  # Olist
    "eu_minutes": lambda d: d.strftime("%d/%m/%Y %H:%M"),
    "german": lambda d: d.strftime("%d.%m.%Y"),
    "long": lambda d: d.strftime("%B %d, %Y"),
}
MONTH_FIRST = {"us_date", "us_excel"}
DAY_FIRST = {"eu_minutes"}
HAS_TIME = {"iso_seconds", "iso_t", "us_excel", "eu_minutes"}

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


def load_dates(texts: list[str]) -> None:
    CONN.execute("CREATE OR REPLACE TEMP TABLE dates (d VARCHAR)")
    CONN.executemany("INSERT INTO dates VALUES (?)", [[t] for t in texts])


def parsed_back(fmt: str) -> list[datetime]:
    rows = CONN.execute("SELECT strptime(trim(d), ?) FROM dates", [fmt]).fetchall()
    return [r[0] for r in rows]


@SETTINGS
@given(
    values=st.lists(moments, min_size=1, max_size=15),
    writer=st.sampled_from(sorted(WRITERS)),
)
def test_detected_format_reads_every_value_back(values: list[datetime], writer: str):
    ambiguous = writer in MONTH_FIRST | DAY_FIRST and all(v.day <= 12 for v in values)
    assume(not ambiguous)
    load_dates([WRITERS[writer](v) for v in values])
    fmt = detect_date_format(CONN, "dates", "d", file_name="f.csv", column_label="Date")
    expected = values if writer in HAS_TIME else [datetime(v.year, v.month, v.day) for v in values]
    assert parsed_back(fmt) == expected


@SETTINGS
@given(
    values=st.lists(moments.filter(lambda d: d.day <= 12), min_size=1, max_size=15),
    writer=st.sampled_from(sorted(MONTH_FIRST | DAY_FIRST)),
)
def test_all_days_twelve_or_less_need_a_date_order(values: list[datetime], writer: str):
    load_dates([WRITERS[writer](v) for v in values])
    with pytest.raises(ImportFileError) as caught:
        detect_date_format(CONN, "dates", "d", file_name="f.csv", column_label="Date")
    assert caught.value.column == "Date" and "--date-order" in str(caught.value)
    order = "mdy" if writer in MONTH_FIRST else "dmy"
    fmt = detect_date_format(
        CONN, "dates", "d", file_name="f.csv", column_label="Date", date_order=order
    )
    expected = values if writer in HAS_TIME else [datetime(v.year, v.month, v.day) for v in values]
    assert parsed_back(fmt) == expected


@SETTINGS
@given(texts=st.lists(st.sampled_from(["yesterday", "2024-13-45", "31/31/2024", "soon"]),
                      min_size=1, max_size=5))  # fmt: skip
def test_unreadable_dates_are_refused_with_an_example(texts: list[str]):
    load_dates(texts)
    with pytest.raises(ImportFileError) as caught:
        detect_date_format(CONN, "dates", "d", file_name="f.csv", column_label="When")
    assert caught.value.column == "When" and texts[0][:10] in str(caught.value)


# Every character Python or Unicode calls a space, plus tabs and line breaks, at either end.
SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()] + ["\u200b", "\ufeff"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.sampled_from([*SPACES, "a", "Z", "0", "é", "€", "-", ".", "x"]), max_size=6)
)
def test_ro_trim_is_trim_and_ro_blank_is_a_trimmed_empty_cell(text: str):
    trimmed, blank = CONN.execute("SELECT trim(?), trim(?) = ''", [text, text]).fetchone()
    assert CONN.execute(
        "SELECT ro_trim(?), ro_blank(?), ro_untrimmed(?)", [text] * 3
    ).fetchone() == (
        trimmed,
        blank,
        trimmed != text,
    )


@pytest.mark.parametrize("space", SPACES)
def test_ro_trim_strips_what_trim_strips_at_each_end(space: str):
    for text in (f"{space}id-42", f"id-42{space}", f"{space}{space}", space):
        assert CONN.execute(
            "SELECT ro_trim(?) IS NOT DISTINCT FROM trim(?)", [text, text]
        ).fetchone()[0]
    assert CONN.execute("SELECT ro_trim(NULL), ro_blank(NULL)").fetchone() == (None, True)


@SETTINGS
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
    st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]),
)
def test_utc_instant_and_utc_wall_are_python_s_utc_conversions(wall: datetime, session_zone: str):
    # The instant of a UTC wall time, and back, whatever the session's time zone is (Python's
    # own UTC arithmetic is the truth).
    con = duckdb.connect()
    install_macros(con)
    con.execute(f"SET TimeZone = '{session_zone}'")
    instant, back = con.execute(
        "SELECT epoch_us(ro_utc_instant(?::TIMESTAMP)), ro_utc_wall(ro_utc_instant(?::TIMESTAMP))",
        [wall, wall],
    ).fetchone()
    expected_us = (wall.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    assert (instant, back) == (expected_us, wall)
    con.close()
