"""The duckdb engine on a warehouse folder: DuckDB reading the Parquet layout (the reference the
other engines are compared with, and a way to serve an exported store without its DuckDB file)."""

from __future__ import annotations

from typing import Any

from ro_core.engines.base import EngineChoice, StoreEngine
from ro_core.engines.dialects import DUCKDB
from ro_core.engines.layout import WAREHOUSE_TABLES, read_manifest, table_location
from ro_core.store.db import scratch_connection


class DuckDBParquetEngine(StoreEngine):
    """An in-memory DuckDB with one view per warehouse table over its Parquet files."""

    dialect = DUCKDB

    def __init__(self, choice: EngineChoice) -> None:
        super().__init__(choice)
        self.manifest = read_manifest(choice.warehouse, choice.store)
        self.conn = scratch_connection()
        for table, (columns, _) in WAREHOUSE_TABLES.items():
            files = table_location(choice.warehouse, table, choice.store) + "/**/*.parquet"
            select = ", ".join(columns) if columns else "*"
            # the location is the user's own folder, given on the command line (a view's
            # definition takes no bound parameter); quotes are doubled
            quoted = "'" + files.replace("'", "''") + "'"
            self.conn.execute(f"CREATE VIEW {table} AS SELECT {select} FROM read_parquet({quoted})")

    def arrow(self, sql: str) -> Any:
        with self.conn.cursor() as cur:
            return cur.sql(sql).to_arrow_table()

    def data_version(self) -> int:
        return self.manifest.data_version

    def close(self) -> None:
        self.conn.close()
