"""What an import did: the report the pipeline returns, the CLI prints and the Data page shows."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ro_core.ingest.base import SkippedRows
from ro_core.store import schema
from ro_core.store.db import Database


@dataclass(frozen=True)
class ImportReport:
    """What an import did. `already_imported` means the same bytes were loaded before."""

    import_id: int
    file_name: str
    format: str
    format_label: str
    kinds: tuple[str, ...]
    rows_read: int
    rows_loaded: int
    rows_skipped: int
    skipped: tuple[SkippedRows, ...]
    counts: dict[str, int]  # rows staged per kind, e.g. {"orders": 19, "order_lines": 40}
    first_date: date | None
    last_date: date | None
    currencies: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    already_imported: bool = False
    is_demo: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        data = asdict(self)
        data["first_date"] = self.first_date.isoformat() if self.first_date else None
        data["last_date"] = self.last_date.isoformat() if self.last_date else None
        return data

    def summary(self) -> str:
        """One line for people."""
        if self.already_imported:
            return (
                f"{self.file_name}: already imported (import #{self.import_id}); nothing changed."
            )
        counts = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in self.counts.items())
        span = f" from {self.first_date} to {self.last_date}" if self.first_date else ""
        skipped = f", {self.rows_skipped:,} rows skipped" if self.rows_skipped else ""
        return (
            f"{self.file_name}: {self.format_label}, {self.rows_read:,} rows read -> {counts}"
            f"{span}{skipped}."
        )


def already_imported_report(
    shown: str, import_id: int, db: Database, started: float
) -> ImportReport:
    """The report of a file whose bytes were imported before (as import `import_id`)."""
    row = db.fetch_one(
        f"SELECT format, kinds, is_demo FROM {schema.IMPORTS} WHERE import_id = ?", [import_id]
    )
    fmt, kinds, demo = row if row else ("", "", False)
    return ImportReport(
        import_id=import_id,
        file_name=shown,
        format=fmt,
        format_label=fmt,
        kinds=tuple(k for k in kinds.split(",") if k),
        rows_read=0,
        rows_loaded=0,
        rows_skipped=0,
        skipped=(),
        counts={},
        first_date=None,
        last_date=None,
        currencies=(),
        warnings=(),
        notes=(f"The same file was imported before as import #{import_id}.",),
        already_imported=True,
        is_demo=bool(demo),
        seconds=time.monotonic() - started,
    )
