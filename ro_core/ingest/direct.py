"""Staged rows written once: a first import's rows go straight into the store's tables.

When the store holds no rows of a kind, its first import needs no merging, and its staged rows
would only be copied as they are into the kind's resolved table at the commit (see
``ro_core.store.resolve.write_first_import``). :class:`DirectWrites` saves that copy of every
row: the first time a format stages rows of such a kind, it begins the import's write
transaction, and the rows go into the resolved table under the import's id. The kind's staging
table becomes a view of them, so the checks, the report and the commit read them as before.
Anything that fails before the commit rolls the transaction back: nothing is kept.

The transaction begins after the file has been read (the rows as read live in an in-memory
database of their own, and a transaction writes to one database only), so the write lock is
held while the rows are staged and checked, not while the file is read. Staging the file again
(it turned out not to be UTF-8) rolls back first with :meth:`DirectWrites.roll_back`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType

import duckdb

from ro_core.store import resolve, schema
from ro_core.store.db import Database

# Kinds whose first import keeps its staged rows as they are (orders are made unique by the
# checks before the commit). Abandoned checkouts are merged per checkout even within one file.
KINDS = (schema.KIND_ORDERS, schema.KIND_ORDER_LINES, schema.KIND_EVENTS)


def store_is_empty_of(db: Database, kinds: tuple[str, ...] = KINDS) -> frozenset[str]:
    """Which of `kinds` the store holds no rows of now (checked again inside the transaction)."""
    with db.cursor() as cur:
        return frozenset(kind for kind in kinds if not resolve.holds_rows(cur, kind))


class _RolledBack(Exception):
    """Thrown into the open transaction to roll it back."""


class DirectWrites:
    """Where a kind's staged rows go during one import: its staging table, or its resolved
    table inside the import's write transaction (see the module's docstring).

    Use as a context manager around staging and commit: leaving it rolls back a transaction
    that :meth:`transaction` did not commit. `import_id`: the import's id, drawn when the first
    rows are written (an id drawn earlier, by a one pass that gave way, is used as it is)."""

    def __init__(
        self,
        db: Database,
        cur: duckdb.DuckDBPyConnection,
        candidates: frozenset[str],
        import_id: int | None = None,
    ) -> None:
        self._db = db
        self._cur = cur
        self._candidates = set(candidates)
        self._stack = ExitStack()
        self.import_id = import_id
        self.kinds: set[str] = set()  # kinds whose rows are in their resolved table
        self.in_transaction = False

    def __enter__(self) -> DirectWrites:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.roll_back()

    def table_for(self, kind: str, staging_table: str) -> str | None:
        """The resolved table to write `kind`'s staged rows into (with the import's id), or
        None to write them into `staging_table` as usual."""
        if kind in self.kinds:
            return schema.RESOLVED_TABLE[kind]
        if kind not in self._candidates:
            return None
        if not self.in_transaction:
            self._stack.enter_context(self._db.transaction_on(self._cur))
            self.in_transaction = True
        self._candidates.discard(kind)
        if resolve.holds_rows(self._cur, kind):
            return None  # another import of this kind was committed meanwhile
        if self.import_id is None:
            self.import_id = int(self._cur.execute("SELECT nextval('import_id_seq')").fetchone()[0])
        columns = ", ".join(schema.column_names(kind))
        self._cur.execute(f"DROP TABLE IF EXISTS {staging_table}")
        self._cur.execute(
            f"CREATE TEMP VIEW {staging_table.removeprefix('temp.')} AS "
            f"SELECT {columns} FROM {schema.RESOLVED_TABLE[kind]}"
        )
        self.kinds.add(kind)
        return schema.RESOLVED_TABLE[kind]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The import's write transaction: the one begun by the rows written directly
        (committed when the block ends without an exception), else a new one."""
        if not self.in_transaction:
            with self._db.transaction_on(self._cur):
                yield
            return
        try:
            yield
        except BaseException:
            self.roll_back()
            raise
        self.in_transaction = False
        stack, self._stack = self._stack, ExitStack()
        stack.close()  # commits (a failing commit rolls back and raises)

    def roll_back(self) -> None:
        """Undo everything written since the transaction began (no-op without one); the
        import's id stays drawn, and the kinds written directly may be written directly again
        (the store still holds none of them)."""
        if not self.in_transaction:
            return
        self.in_transaction = False
        self._candidates |= self.kinds
        self.kinds.clear()
        stack, self._stack = self._stack, ExitStack()
        with contextlib.suppress(_RolledBack):
            stack.__exit__(_RolledBack, _RolledBack(), None)
