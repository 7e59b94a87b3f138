"""The dashboard runs unchanged on a warehouse: the Overview on chDB and on Spark shows what it
shows on the DuckDB file (every card's value and change, the summary, the sidebar's dates)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ro_core.store.db import Database, reset_databases
from tests.engines.conftest import require_engine
from tests.ui.conftest import APP

TIMEOUT = 600  # Spark pays ~0.5 s per statement; the first Overview took 7 s on 2 cores


def overview(monkeypatch: pytest.MonkeyPatch, db_path, **env: str) -> AppTest:
    """A first session of the app on the Overview, with these environment variables."""
    monkeypatch.setenv("RO_DB", str(db_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_databases()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def shown(at: AppTest) -> dict[str, object]:
    """What the Overview shows: each card (label -> value, change), the first info (summary)."""
    return {
        "cards": {m.label: (m.value, m.delta) for m in at.metric},
        "summary": [i.value for i in at.info][:1],
        "dates": [c.value for c in at.sidebar.caption if c.value.startswith("Data from")],
    }


@pytest.mark.parametrize("engine", ["clickhouse", "spark"])
def test_overview_on_a_warehouse_shows_what_the_duckdb_file_shows(
    engine, demo_store, tmp_path, monkeypatch
):
    require_engine(engine)
    reference = shown(overview(monkeypatch, demo_store["db"]))
    assert reference["cards"]["Revenue"][0] not in ("", "–")

    # the dashboard's own file does not exist yet: a first run, when the demo loads on DuckDB
    local = tmp_path / "local.duckdb"
    try:
        at = overview(
            monkeypatch,
            local,
            RO_ENGINE=engine,
            RO_WAREHOUSE=str(demo_store["warehouse"]),
        )
        assert shown(at) == reference
        served = [c.value for c in at.sidebar.caption if c.value.startswith("Served by")]
        assert served and engine in served[0], [c.value for c in at.sidebar.caption]
        # the first run loaded no demo into the local file: the warehouse is the store
        assert not any("Demo store loaded" in m.value for m in at.markdown)
    finally:
        reset_databases()
    database = Database(local)
    try:
        assert database.fetch_value("SELECT count(*) FROM imports") == 0
    finally:
        database.close()


PAGES = sorted(p.name for p in (APP.parent / "pages").glob("*.py"))


def test_every_page_opens_on_a_warehouse(demo_store, tmp_path, monkeypatch):
    """Every page of the dashboard on chDB: no exception, no error box, the page's title."""
    require_engine("clickhouse")
    try:
        at = overview(
            monkeypatch,
            tmp_path / "local.duckdb",
            RO_ENGINE="clickhouse",
            RO_WAREHOUSE=str(demo_store["warehouse"]),
        )
        for page in PAGES:
            at.switch_page(f"pages/{page}").run()
            assert not at.exception, (page, [e.value for e in at.exception])
            assert not at.error, (page, [e.value for e in at.error])
            assert at.title, page
            if page == "data.py":  # no upload on a warehouse: it says where imports go
                assert "Imports go into the DuckDB file" in at.info[0].value
                assert not at.get("file_uploader")
    finally:
        reset_databases()
