"""Which database answers a query when a store engine is set: the engine for the store's
tables, the local DuckDB file for the rest. A query must not mix the two."""

from __future__ import annotations

from functools import lru_cache

from ro_core.engines.dialects import tables_read
from ro_core.engines.layout import WAREHOUSE_TABLES
from ro_core.errors import DatabaseError


@lru_cache(maxsize=4096)
def engine_serves(sql: str) -> bool:
    """True when the query reads the warehouse tables (and only them)."""
    tables = tables_read(sql)
    served = tables & WAREHOUSE_TABLES.keys()
    if served and tables - WAREHOUSE_TABLES.keys():
        raise DatabaseError(
            "A query reads the store's tables ("
            + ", ".join(sorted(served))
            + ") together with local ones ("
            + ", ".join(sorted(tables - WAREHOUSE_TABLES.keys()))
            + "): it cannot run on a store engine."
        )
    return bool(served)
