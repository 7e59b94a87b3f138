"""Small remembered choices of the dashboard (key -> text), e.g. that the demo was offered."""

from __future__ import annotations

from ro_core.store import schema
from ro_core.store.db import Database

DEMO_OFFERED = "demo_offered"  # set once the first run loaded the demo store


def get_setting(db: Database, key: str, default: str | None = None) -> str | None:
    """The stored value of a setting, or ``default``."""
    value = db.fetch_value(f"SELECT value FROM {schema.SETTINGS} WHERE key = ?", [key])
    return default if value is None else str(value)


def set_setting(db: Database, key: str, value: str) -> None:
    """Store a setting (replacing any earlier value)."""
    with db.transaction() as cur:
        cur.execute(
            f"""INSERT INTO {schema.SETTINGS} (key, value) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
            [key, str(value)],
        )
