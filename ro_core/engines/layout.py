"""The warehouse layout: the store's canonical tables as Parquet, partitioned by month.

::

    LOCATION/
      manifest.json                      schema version, data version, row counts per table
                                         (manifests/NAME.json for a store exported with --store)
      orders/month=2025-01/*.parquet     store-local month of the order (local_date)
      order_lines/month=2025-01/...      the month of the line's order
      traffic/month=2025-01/...          the month of the period's start
      events/month=2025-01/...           the store-local month of the event
      abandoned_checkouts/month=.../...
      imports/imports.parquet            the import list (sources, spans), small

With ``--store NAME`` each table holds one more level, ``store=NAME/month=.../``, so several
stores share a location and an engine reads one of them. A table with no rows holds one empty
file (``month=none``) that carries its columns, so every engine can read it. Rows without a month
(no date) are in ``month=none`` too. Each file holds exactly the canonical columns of
``ro_core.store.schema``; readers take those columns by name and ignore the partition folders.

Any pipeline that writes this layout (the columns and types of the schema, the manifest) can be
served by ``ro --engine spark|clickhouse --warehouse LOCATION``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ro_core.errors import RoError
from ro_core.store import schema

MANIFEST = "manifest.json"
LAYOUT_VERSION = 1
NO_MONTH = "none"

# Tables an engine serves from the warehouse, with their columns and the SQL (over the table,
# aliased t) that gives each row's month. Everything else (goals, hypotheses, the experiment
# log, settings, notes) stays in the local database the dashboard writes to.
WAREHOUSE_TABLES: dict[str, tuple[tuple[str, ...], str | None]] = {
    schema.ORDERS: (("import_id", *schema.column_names(schema.KIND_ORDERS)), "t.local_date"),
    schema.ORDER_LINES: (
        ("import_id", *schema.column_names(schema.KIND_ORDER_LINES)),
        f"(SELECT o.local_date FROM {schema.ORDERS} o WHERE o.order_id = t.order_id)",
    ),
    schema.TRAFFIC: (("import_id", *schema.column_names(schema.KIND_TRAFFIC)), "t.period_start"),
    schema.EVENTS: (("import_id", *schema.column_names(schema.KIND_EVENTS)), "t.local_date"),
    schema.ABANDONED_CHECKOUTS: (
        ("import_id", *schema.column_names(schema.KIND_ABANDONED_CHECKOUTS)),
        "t.local_date",
    ),
    schema.IMPORTS: ((), None),  # all columns, one file
}

# SQL types of every column (for engines that must declare an empty table).
COLUMN_TYPES: dict[str, dict[str, str]] = {
    schema.RESOLVED_TABLE[kind]: {
        "import_id": "INTEGER",
        **{name: sql_type.replace(" NOT NULL", "") for name, sql_type in schema.COLUMNS[kind]},
    }
    for kind in schema.COLUMNS
}


class WarehouseError(RoError):
    """The warehouse location cannot be read or written."""

    title = "Warehouse problem"


@dataclass(frozen=True)
class Manifest:
    """What an export wrote: versions, and per table its rows and months."""

    layout_version: int
    schema_version: int
    data_version: int
    exported_at: str
    store: str | None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as written to manifest.json."""
        return {
            "layout_version": self.layout_version,
            "schema_version": self.schema_version,
            "data_version": self.data_version,
            "exported_at": self.exported_at,
            "store": self.store,
            "tables": self.tables,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """A manifest read back; a clear error when it is not ours or too new."""
        try:
            manifest = cls(
                layout_version=int(data["layout_version"]),
                schema_version=int(data["schema_version"]),
                data_version=int(data["data_version"]),
                exported_at=str(data["exported_at"]),
                store=data.get("store"),
                tables=dict(data["tables"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WarehouseError(f"{MANIFEST} is not a ro warehouse manifest ({error}).") from error
        if manifest.layout_version > LAYOUT_VERSION:
            raise WarehouseError(
                f"The warehouse was written by a newer ro (layout {manifest.layout_version}); "
                "update ro to read it."
            )
        return manifest


def table_location(location: str, table: str, store: str | None = None) -> str:
    """The folder (path or URI) of one table, for one store when the layout has several."""
    base = f"{location.rstrip('/')}/{table}"
    return f"{base}/store={store}" if store else base


def manifest_location(location: str, store: str | None = None) -> str:
    """Where the manifest of a warehouse (of one store in it) is."""
    base = location.rstrip("/")
    return f"{base}/manifests/{store}.json" if store else f"{base}/{MANIFEST}"


def read_manifest(location: str, store: str | None = None) -> Manifest:
    """The manifest of a warehouse in a local folder."""
    path = Path(manifest_location(location, store))
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise WarehouseError(
            f"No manifest at {path}: write the warehouse with `ro warehouse export {location}`"
            + (f" --store {store}" if store else "")
            + "."
        ) from error
    except json.JSONDecodeError as error:
        raise WarehouseError(f"{path} is not valid JSON (line {error.lineno}).") from error
