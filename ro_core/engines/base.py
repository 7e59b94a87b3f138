"""A store engine: the warehouse tables served by an engine other than the local DuckDB file.

The metrics run their queries through ``Database.fetch_*`` as always. When the Database has a
store engine, a query that reads the warehouse tables (``layout.WAREHOUSE_TABLES``) is transpiled
(``dialects.to_dialect``) and run on the engine, which returns an Arrow table of the (small)
aggregates; the Database turns it into rows or a DataFrame with DuckDB's own conversion, so every
engine's results have exactly the Python types of the embedded database's. Queries of the local
tables (goals, hypotheses, the experiment log, settings, notes) stay on the local DuckDB file.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ro_core.errors import RoError

ENGINE_ENV = "RO_ENGINE"
WAREHOUSE_ENV = "RO_WAREHOUSE"
STORE_ENV = "RO_STORE"
DUCKDB_ENGINE = "duckdb"
SPARK_ENGINE = "spark"
CLICKHOUSE_ENGINE = "clickhouse"
ENGINES = (DUCKDB_ENGINE, SPARK_ENGINE, CLICKHOUSE_ENGINE)
SCALE_EXTRA = "pip install -e '.[scale]'"


class EngineError(RoError):
    """An engine could not be started or could not run a query."""

    title = "Engine problem"


@dataclass(frozen=True)
class EngineChoice:
    """Which engine serves the store's tables, and from where.

    engine: duckdb (default), spark or clickhouse. warehouse: the location of the warehouse
    layout (a folder or URI; for clickhouse also a server URL); None with duckdb means the local
    DuckDB file itself. store: one store of a warehouse exported with several.
    """

    engine: str = DUCKDB_ENGINE
    warehouse: str | None = None
    store: str | None = None

    @property
    def is_local(self) -> bool:
        """True for today's embedded database (the DuckDB file serves everything)."""
        return self.engine == DUCKDB_ENGINE and self.warehouse is None

    def describe(self) -> str:
        """One line for the sidebar and the CLI: which engine reads which location."""
        if self.is_local:
            return "DuckDB (this computer)"
        store = f", store {self.store}" if self.store else ""
        return f"{self.engine} on {self.warehouse}{store}"


def engine_choice(
    engine: str | None = None, warehouse: str | None = None, store: str | None = None
) -> EngineChoice:
    """The engine from the arguments, else RO_ENGINE / RO_WAREHOUSE / RO_STORE, else DuckDB."""
    name = (engine or os.environ.get(ENGINE_ENV) or DUCKDB_ENGINE).strip().lower()
    location = warehouse or os.environ.get(WAREHOUSE_ENV) or None
    store = store or os.environ.get(STORE_ENV) or None
    if name not in ENGINES:
        raise EngineError(f"Unknown engine {name!r}: use one of {', '.join(ENGINES)}.")
    if name != DUCKDB_ENGINE and not location:
        raise EngineError(
            f"The {name} engine needs a warehouse: pass --warehouse LOCATION (or set "
            f"{WAREHOUSE_ENV}), a folder written by `ro warehouse export`"
            + (" or a ClickHouse server URL." if name == CLICKHOUSE_ENGINE else ".")
        )
    return EngineChoice(name, location, store)


class StoreEngine(ABC):
    """Runs transpiled read queries over the warehouse tables and returns Arrow tables."""

    dialect: str

    def __init__(self, choice: EngineChoice) -> None:
        self.choice = choice

    @abstractmethod
    def arrow(self, sql: str) -> Any:
        """Run one query written in this engine's dialect; a pyarrow.Table."""

    @abstractmethod
    def data_version(self) -> int:
        """The warehouse's data version (from its manifest)."""

    def close(self) -> None:  # noqa: B027 (engines without resources need nothing)
        """Free the engine's resources."""

    def run(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """A DuckDB-dialect query with ? parameters, on this engine; a pyarrow.Table."""
        from ro_core.engines.dialects import to_dialect

        target = to_dialect(sql, params, self.dialect)
        try:
            return self.arrow(target)
        except RoError:
            raise
        except Exception as error:  # the engines' own exception types vary
            first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise EngineError(f"{self.choice.describe()} could not run a query: {first}") from error


def open_store_engine(choice: EngineChoice) -> StoreEngine | None:
    """The engine for a choice; None for the local DuckDB file."""
    if choice.is_local:
        return None
    try:
        if choice.engine == SPARK_ENGINE:
            from ro_core.engines.spark import SparkEngine

            return SparkEngine(choice)
        if choice.engine == CLICKHOUSE_ENGINE:
            from ro_core.engines.clickhouse import open_clickhouse

            return open_clickhouse(choice)
        from ro_core.engines.duckdb_parquet import DuckDBParquetEngine

        return DuckDBParquetEngine(choice)
    except ImportError as error:
        raise EngineError(
            f"The {choice.engine} engine needs packages that are not installed ({error.name}): "
            f"run {SCALE_EXTRA}."
        ) from error
    except RoError:
        raise
    except Exception as error:  # a JVM that does not start, a server that does not answer
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise EngineError(f"Could not start {choice.describe()}: {first}") from error
