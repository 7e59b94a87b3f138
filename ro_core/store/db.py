"""The one owner of the DuckDB file: connect, migrate, cursor per query, serialised writes.

DuckDB refuses concurrent calls on one connection, and Streamlit runs every browser session in
its own thread, so every query takes its own ``conn.cursor()``. Writes are serialised by a
process-wide lock and run in one transaction that is rolled back on *any* exception, including
the BaseException Streamlit raises to stop or rerun a script.
"""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ro_core.errors import DatabaseBusyError, DatabaseError, ImportFileError, RoError
from ro_core.ingest.sqlfuncs import install_macros
from ro_core.store import schema

if TYPE_CHECKING:  # pandas loads only when a query asks for a DataFrame (fast `ro` start-up)
    import pandas as pd

    from ro_core.engines.base import StoreEngine

# the repository (this file is ro_core/store/db.py)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "ro.duckdb"
DB_ENV_VAR = "RO_DB"
LOCK_WAIT_SECONDS = 3.0
MEMORY_LIMIT_ENV_VAR = "RO_MEMORY_LIMIT"
# DuckDB spills to disk past this, which keeps an import's peak memory near 1 GB whatever the
# file size (measured: 1M-row Shopify export, 343 MB: 2.1 GB peak unbounded, 0.7 GB at 512 MB).
DEFAULT_MEMORY_LIMIT = "1GB"
IMPORT_MEMORY_LIMIT_ENV_VAR = "RO_IMPORT_MEMORY_LIMIT"
# While a file loads, DuckDB spills sooner: 512 MB plus a quarter of the file, at most 1 GB. A
# big file's raw rows then spill less, while the import's peak stays within 1.5x DuckDB's own
# read of the file. Measured on generated Shopify exports, peak with the process (DuckDB's read):
# 1M orders (686 MB) 631 MB at a 512 MB limit, 899 MB at 800 MB (554-652 MB); 2.5M orders
# (1.7 GB) 674 MB and 933 MB (770-940 MB), where 800 MB took 25-30% off the import. 256 MB ran
# out of memory on wide rows.
IMPORT_MEMORY_BASE_MB = 512
IMPORT_MEMORY_MAX_MB = 1024


def import_memory_limit_mb(file_bytes: int) -> int:
    """The DuckDB memory limit (MB) for importing a file of this size."""
    return min(IMPORT_MEMORY_MAX_MB, IMPORT_MEMORY_BASE_MB + file_bytes // (4 << 20))


_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")


def default_db_path() -> Path:
    """The database path: ``$RO_DB`` if set, else ``data/ro.duckdb`` in the project."""
    env = os.environ.get(DB_ENV_VAR)
    return Path(env).expanduser() if env else DEFAULT_DB_PATH


def _describe_lock_holder(message: str) -> str:
    match = _LOCK_PID.search(message)
    if not match:
        return "another program"
    pid = match.group("pid")
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        cmdline = " ".join(raw.decode(errors="replace").split())  # one line, whatever the args
    except OSError:
        cmdline = match.group("prog")
    if "streamlit" in cmdline:
        what = "the dashboard"
    elif " ro " in f" {cmdline} " or cmdline.endswith("/ro") or "ro_core" in cmdline:
        what = "another ro command"
    else:
        what = "another program"
    return f"{what} (PID {pid}: {cmdline[:120]})"


class Database:
    """Owns one DuckDB file. Create once per process via :func:`get_database`."""

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        lock_wait_seconds: float = LOCK_WAIT_SECONDS,
        allowed_directories: Sequence[Path | str] | None = None,
        store_engine: StoreEngine | None = None,
    ) -> None:
        """Args:
        path: the database file (":memory:" for tests).
        read_only: open without writing (no migration).
        lock_wait_seconds: how long to wait for another process's lock before giving up.
        allowed_directories: when given, DuckDB may read and write files only under these
            folders once the database is open (the configuration is then locked, so no query
            can widen it). The database's own folder is always allowed.
        store_engine: when given, queries of the store's tables (orders, traffic, events...)
            run on that engine (Spark, ClickHouse, Parquet); this file keeps the local tables
            (goals, hypotheses, the experiment log, settings, notes). See ro_core.engines.
        """
        self.path = Path(path)
        self.read_only = read_only
        self.allowed_directories = (
            None
            if allowed_directories is None
            else sorted(
                {str(Path(d).resolve()) + "/" for d in [*allowed_directories, self.path.parent]}
            )
        )
        self.lock_wait_seconds = lock_wait_seconds
        self.store_engine = store_engine
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._connect_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._import_lock = threading.Lock()
        self._imports_running = 0
        self._memory_limit_before: str | None = None

    # --- connection ---------------------------------------------------------------------
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The shared connection, opened (and migrated) on first use."""
        if self._conn is None:
            with self._connect_lock:
                if self._conn is None:
                    self._conn = self._open()
        return self._conn

    def _open(self) -> duckdb.DuckDBPyConnection:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.05
        while True:
            try:
                conn = duckdb.connect(
                    str(self.path),
                    read_only=self.read_only,
                    config={
                        "memory_limit": os.environ.get(MEMORY_LIMIT_ENV_VAR, DEFAULT_MEMORY_LIMIT),
                        # Hand freed memory back to the system: after a 200 MB import the
                        # server otherwise kept ~450 MB it no longer used.
                        "allocator_background_threads": True,
                    },
                )
                break
            except duckdb.IOException as e:
                text = str(e)
                if "lock" not in text.lower():
                    raise DatabaseError(f"Could not open the database {self.path}: {text}") from e
                if time.monotonic() >= deadline:
                    raise DatabaseBusyError(
                        f"The database {self.path} is busy: in use by {_describe_lock_holder(text)}. "
                        "Close it or wait for it to finish, then try again "
                        "(or use --db to work on another database file)."
                    ) from e
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        if not self.read_only:
            try:
                migrate(conn)
                install_macros(conn)
                if self.allowed_directories is not None:
                    restrict_file_access(conn, self.allowed_directories)
            except BaseException:
                conn.close()
                raise
        return conn

    def close(self) -> None:
        """Close the connection (the next use reopens it)."""
        with self._connect_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def close_engine(self) -> None:
        """Stop the store engine, if any (the process is done with this database)."""
        if self.store_engine is not None:
            self.store_engine.close()
            self.store_engine = None

    # --- reads --------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for one query or a short sequence of them."""
        cur = self.connection.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _on_engine(self, sql: str, params: Sequence[Any] | dict[str, Any] | None) -> Any:
        """The Arrow result of a query of the store's tables on the store engine, or None when
        this file answers it (no engine, or a query of the local tables only)."""
        if self.store_engine is None:
            return None
        from ro_core.engines.routing import engine_serves

        if not engine_serves(sql):
            return None
        if isinstance(params, dict):
            raise DatabaseError("Named parameters are not supported on a store engine.")
        return self.store_engine.run(sql, params)

    def fetch_df(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Run a query with bound parameters and return a (small) DataFrame."""
        result = self._on_engine(sql, params)
        with self.cursor() as cur:
            if result is not None:
                return cur.from_arrow(result).df()
            return cur.execute(sql, params or []).df()

    def fetch_all(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> list[tuple]:
        """Run a query with bound parameters and return all rows as tuples."""
        result = self._on_engine(sql, params)
        with self.cursor() as cur:
            if result is not None:
                return cur.from_arrow(result).fetchall()
            return cur.execute(sql, params or []).fetchall()

    def fetch_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> tuple | None:
        """Run a query with bound parameters and return the first row (or None)."""
        result = self._on_engine(sql, params)
        with self.cursor() as cur:
            if result is not None:
                rows = cur.from_arrow(result).limit(1).fetchall()
                return rows[0] if rows else None
            return cur.execute(sql, params or []).fetchone()

    def fetch_value(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.fetch_one(sql, params)
        return None if row is None else row[0]

    # --- writes -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction, serialised within the process, rolled back on any exception.

        Bumps the data version on commit so caches keyed on it refresh.
        """
        with self.cursor() as cur, self.transaction_on(cur):
            yield cur

    @contextmanager
    def transaction_on(self, cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """A write transaction on a cursor the caller holds (an import's staging tables live in
        its cursor); serialised, rolled back on any exception, data version bumped on commit."""
        with self._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield
                bump_data_version(cur)
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise

    @contextmanager
    def import_memory_limit(self, file_bytes: int = 0) -> Iterator[None]:
        """Lower DuckDB's memory limit while a file of `file_bytes` loads, so big imports spill
        to disk (RO_IMPORT_MEMORY_LIMIT overrides; concurrent imports share the first's)."""
        limit = os.environ.get(
            IMPORT_MEMORY_LIMIT_ENV_VAR, f"{import_memory_limit_mb(file_bytes)}MB"
        )
        with self._import_lock:
            if self._imports_running == 0:
                # What the connection was opened with (reading the setting back rounds it).
                self._memory_limit_before = os.environ.get(
                    MEMORY_LIMIT_ENV_VAR, DEFAULT_MEMORY_LIMIT
                )
                with self.cursor() as cur:
                    cur.execute("SET memory_limit = ?", [limit])
            self._imports_running += 1
        try:
            yield
        finally:
            with self._import_lock:
                self._imports_running -= 1
                if self._imports_running == 0 and self._memory_limit_before:
                    with self.cursor() as cur:
                        cur.execute("SET memory_limit = ?", [self._memory_limit_before])

    def data_version(self) -> int:
        """A number every committed change increases: the key for UI caches (with a store
        engine, the warehouse's version is added: either one changing changes the sum)."""
        value = self.fetch_value(f"SELECT value FROM {schema.META} WHERE key = 'data_version'")
        local = int(value) if value is not None else 0
        return local + (self.store_engine.data_version() if self.store_engine else 0)

    def require_local_store(self, action: str) -> None:
        """Refuse `action` (an import, the demo store) when a store engine serves the data:
        imports go into the DuckDB file only, then `ro warehouse export` fills a warehouse."""
        if self.store_engine is not None:
            raise DatabaseError(
                f"{action.capitalize()} is not possible while the store is read from "
                f"{self.store_engine.choice.describe()}: imports go into the DuckDB file "
                "(run ro without --engine/--warehouse), then `ro warehouse export` writes the "
                "warehouse again."
            )

    def is_empty(self) -> bool:
        """True when nothing has been imported."""
        return not self.fetch_value(f"SELECT count(*) FROM {schema.IMPORTS}")


_DISK_FULL = ("no space left on device", "file too large", "disk full", "disk quota exceeded")


def translate_error(error: BaseException, *, file_name: str | None = None) -> RoError:
    """One of our errors (one line, for a store owner) for a DuckDB or operating-system error.

    A full disk, a value too large for its column and any other engine error each get a message
    saying what happened and that nothing was written (the write transaction rolled back).
    """
    if isinstance(error, RoError):
        return error
    text = " ".join(str(error).split())  # one line whatever the engine wrote
    lowered = text.lower()
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        lowered = "no space left on device"
    if any(marker in lowered for marker in _DISK_FULL):
        return DatabaseError(
            "The disk is full (or a file size limit was reached): nothing was written. "
            "Free some space, then try again.",
            title="Disk full",
        )
    if file_name is not None and isinstance(error, duckdb.ConversionException | ValueError):
        return ImportFileError(
            f"a value does not fit its column ({text[:160]}).",
            file_name=file_name,
            hint="Check the file's numbers and dates, or export it again.",
        )
    where = f" while importing {file_name}" if file_name else ""
    return DatabaseError(
        f"The database reported a problem{where}: {text[:200]}. Nothing was written.",
        title="Database problem",
    )


def restrict_file_access(conn: duckdb.DuckDBPyConnection, directories: Sequence[str]) -> None:
    """Limit DuckDB's file access to `directories` and lock the configuration."""
    conn.execute("SET allowed_directories = ?", [list(directories)])
    # Imports lower the memory limit while they run (see Database.import_memory_limit).
    conn.execute("SET allowed_configs = ['memory_limit']")
    conn.execute("SET enable_external_access = false")
    conn.execute("SET lock_configuration = true")


def bump_data_version(cur: duckdb.DuckDBPyConnection) -> None:
    """Increase the data version inside the current transaction."""
    cur.execute(
        f"""INSERT INTO {schema.META} VALUES ('data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST({schema.META}.value AS BIGINT) + 1 AS VARCHAR)"""
    )


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The schema version stored in the database (0 for a new file)."""
    exists = conn.execute(
        # duckdb_tables(), not information_schema: its first use costs 15-45 ms per process.
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
        [schema.META],
    ).fetchone()[0]
    if not exists:
        return 0
    row = conn.execute(f"SELECT value FROM {schema.META} WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Create or upgrade the schema to ``schema.SCHEMA_VERSION``; each step in a transaction."""
    current = schema_version(conn)
    if current > schema.SCHEMA_VERSION:
        raise DatabaseError(
            f"This database was written by a newer ro-dashboard (schema {current}, this version "
            f"knows {schema.SCHEMA_VERSION}). Upgrade ro-dashboard to open it."
        )
    for version in range(current + 1, schema.SCHEMA_VERSION + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            for statement in schema.MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(
                f"""INSERT INTO {schema.META} VALUES ('schema_version', ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                [str(version)],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema.SCHEMA_VERSION


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for work on files outside the store (a warehouse's Parquet)."""
    return duckdb.connect(":memory:", config={"allocator_background_threads": True})


_databases: dict[str, Database] = {}
_databases_lock = threading.Lock()


SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


def get_database(path: Path | str | None = None) -> Database:
    """The process-wide Database for a path (default: :func:`default_db_path`).

    The dashboard's database may only touch files in its own folder (uploads are copied to its
    tmp/ folder first) and the demo store's folder. With RO_ENGINE / RO_WAREHOUSE set, the
    store's tables are served by that engine (ro_core.engines) and the file keeps the rest.
    """
    resolved = str(Path(path).resolve()) if path not in (None, ":memory:") else None
    key = resolved or (":memory:" if path == ":memory:" else str(default_db_path().resolve()))
    with _databases_lock:
        db = _databases.get(key)
        if db is None:
            from ro_core.engines.base import engine_choice, open_store_engine

            db = Database(
                key,
                allowed_directories=[SAMPLE_DIR] if key != ":memory:" else None,
                store_engine=open_store_engine(engine_choice()),
            )
            _databases[key] = db
        return db


def reset_databases() -> None:
    """Close and forget every Database (tests)."""
    with _databases_lock:
        for db in _databases.values():
            db.close()
            db.close_engine()
        _databases.clear()
