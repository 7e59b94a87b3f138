"""Shared fixtures: a fresh database per test and the real export files when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from ro_core.store.db import Database

REAL_EXPORTS = Path(__file__).resolve().parent.parent.parent / "shared" / "real-exports"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """An empty, migrated database in a temporary folder."""
    database = Database(tmp_path / "ro.duckdb")
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the demo store loaded, built once per test session: copy it, or
    open it read-only, never write to it."""
    from ro_core import demo

    path = tmp_path_factory.mktemp("demo-store") / "ro.duckdb"
    database = Database(path)
    demo.load_demo(database)
    database.close()
    return path


@pytest.fixture
def real_exports() -> Path:
    """The folder of real export files (../shared/real-exports); skipped when it is absent."""
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"real export files not found at {REAL_EXPORTS} (they live beside the repo)")
    return REAL_EXPORTS


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a small CSV fixture (text is dedented by the caller)."""
    path.write_text(text, encoding=encoding)
    return path
