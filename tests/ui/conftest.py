"""AppTest fixtures: the real app.py on a database of our own (RO_DB), demo or empty."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ro_core import demo
from ro_core.store.db import Database, get_database, reset_databases
from ro_core.store.settings import DEMO_OFFERED, set_setting

APP = Path(__file__).resolve().parents[2] / "app.py"
RUN_TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the demo store loaded, built once per test session."""
    path = tmp_path_factory.mktemp("demo-template") / "ro.duckdb"
    database = Database(path)
    demo.load_demo(database)
    set_setting(database, DEMO_OFFERED, "yes")
    database.close()
    return path


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_template: Path) -> Database:
    """A copy of the demo database that the app (RO_DB) and the test both use."""
    path = tmp_path / "ro.duckdb"
    shutil.copyfile(demo_template, path)
    monkeypatch.setenv("RO_DB", str(path))
    yield get_database(path)
    reset_databases()


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """An empty database where the demo was already offered once (so it stays empty)."""
    path = tmp_path / "ro.duckdb"
    monkeypatch.setenv("RO_DB", str(path))
    database = get_database(path)
    set_setting(database, DEMO_OFFERED, "yes")
    yield database
    reset_databases()


@pytest.fixture
def new_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A path where no database exists yet: the very first run."""
    path = tmp_path / "ro.duckdb"
    monkeypatch.setenv("RO_DB", str(path))
    yield path
    reset_databases()


def run_app() -> AppTest:
    """Run app.py once (Overview) and return the AppTest."""
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()


def assert_clean(at: AppTest) -> None:
    """No uncaught exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def number(text: str) -> float:
    """The number in a displayed value: '$56,876.12' -> 56876.12, '2.41%' -> 2.41."""
    match = re.search(r"-?[\d,]*\.?\d+", text.replace("\u2212", "-"))
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def metric(at: AppTest, label: str):
    """The st.metric with this label."""
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def plain(text: str) -> str:
    """Markdown text without its backslash escapes (what the user reads)."""
    return re.sub(r"\\(.)", r"\1", text)
