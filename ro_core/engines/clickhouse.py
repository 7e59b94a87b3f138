"""The clickhouse engine: chDB (ClickHouse in this process) on a warehouse folder, or a
ClickHouse server (clickhouse-connect) whose database holds tables named like the warehouse's.

A server is given as ``clickhouse://user:password@host:8123/database`` (``clickhouses://`` for
TLS). Its tables (or views over the Parquet layout in object storage, for example with the s3
table function) must carry the warehouse columns; its data version is the ``data_version`` of a
one-row table ``ro_manifest`` when there is one, else 0.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from ro_core.engines.base import EngineChoice, EngineError, StoreEngine
from ro_core.engines.dialects import CLICKHOUSE, CLICKHOUSE_SETTINGS
from ro_core.engines.layout import WAREHOUSE_TABLES, read_manifest, table_location

DATABASE = "ro"
SERVER_SCHEMES = ("clickhouse", "clickhouses")


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ChdbEngine(StoreEngine):
    """chDB with one view per warehouse table over its Parquet files."""

    dialect = CLICKHOUSE

    def __init__(self, choice: EngineChoice) -> None:
        super().__init__(choice)
        from chdb import session as chdb_session

        self.manifest = read_manifest(choice.warehouse, choice.store)
        self.session = chdb_session.Session()
        for key, value in {
            **CLICKHOUSE_SETTINGS,
            "output_format_arrow_string_as_string": 1,
        }.items():
            self.session.query(f"SET {key} = {_quoted(str(value))}")
        self.session.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        for table, (columns, _) in WAREHOUSE_TABLES.items():
            files = table_location(choice.warehouse, table, choice.store) + "/**/*.parquet"
            select = ", ".join(columns) if columns else "*"
            # the location is the user's own folder (a view takes no bound parameter): quoted
            self.session.query(
                f"CREATE VIEW {DATABASE}.{table} AS SELECT {select} "
                f"FROM file({_quoted(files)}, Parquet)"
            )
        self.session.query(f"USE {DATABASE}")

    def arrow(self, sql: str) -> Any:
        return self.session.query(sql, "ArrowTable")

    def data_version(self) -> int:
        return self.manifest.data_version

    def close(self) -> None:
        self.session.close()


class ClickHouseServerEngine(StoreEngine):
    """A ClickHouse server through clickhouse-connect (its HTTP interface)."""

    dialect = CLICKHOUSE

    def __init__(self, choice: EngineChoice) -> None:
        super().__init__(choice)
        import clickhouse_connect

        url = urlsplit(choice.warehouse)
        self.client = clickhouse_connect.get_client(
            host=url.hostname or "localhost",
            port=url.port or (8443 if url.scheme == "clickhouses" else 8123),
            username=unquote(url.username or "default"),
            password=unquote(url.password or ""),
            database=url.path.strip("/") or "default",
            secure=url.scheme == "clickhouses",
            settings=dict(CLICKHOUSE_SETTINGS),
        )

    def arrow(self, sql: str) -> Any:
        return self.client.query_arrow(sql)

    def data_version(self) -> int:
        try:
            return int(self.client.command("SELECT max(data_version) FROM ro_manifest") or 0)
        except Exception:  # no manifest table: the server's data has no version
            return 0

    def close(self) -> None:
        self.client.close()


def open_clickhouse(choice: EngineChoice) -> StoreEngine:
    """chDB for a warehouse folder, clickhouse-connect for a server URL."""
    scheme = urlsplit(choice.warehouse or "").scheme
    if scheme in SERVER_SCHEMES:
        return ClickHouseServerEngine(choice)
    if "://" in (choice.warehouse or ""):
        raise EngineError(
            f"{choice.warehouse}: give the clickhouse engine a warehouse folder (read with chDB) "
            "or a server URL clickhouse://user:password@host:8123/database."
        )
    return ChdbEngine(choice)
