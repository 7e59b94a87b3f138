"""Reads kept per data version: what does not change until the next import is read once.

Every committed import, removal, goal or setting bumps ``Database.data_version()`` (a store
engine's warehouse adds its own version), so a value computed from the data of one version is
valid until the version changes. :func:`remember` keeps such values (the traffic inventory, the
orders' per-day sums, the store's order span...) per database and version: the next call after
an import reads the new version and computes afresh.

Reading the version is itself a statement. :func:`pinned` reads it once for a whole
computation (the period overview, one page's figures) and every :func:`remember` inside it,
in this thread or in threads started with the context copied (see
``ro_core.overview._run``), uses that version: the computation sees one consistent snapshot.
Outside a pin each :func:`remember` reads the version itself. A computation that writes (and so
bumps the version) calls :func:`reread` to go on with the new one.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from ro_core.store.db import Database

MAX_ENTRIES = 512
"""Values kept per database and version (the oldest go first)."""
VERSIONS_KEPT = 2
"""Data versions kept per database (a computation pinned to the previous one may still run)."""

P = ParamSpec("P")
T = TypeVar("T")

_PINS: ContextVar[dict[int, int] | None] = ContextVar("ro_pinned_versions", default=None)
_lock = threading.Lock()


class _Values:
    """The values of one database at one data version, with one lock per key so that threads
    asking for the same value at once compute it once."""

    def __init__(self) -> None:
        self.values: OrderedDict[Hashable, Any] = OrderedDict()
        self.locks: dict[Hashable, threading.Lock] = {}


_cache: weakref.WeakKeyDictionary[Database, OrderedDict[int, _Values]] = weakref.WeakKeyDictionary()


def version(db: Database) -> int:
    """The data version: the pinned one inside :func:`pinned`, else read now."""
    pins = _PINS.get()
    if pins is not None and id(db) in pins:
        return pins[id(db)]
    return db.data_version()


@contextmanager
def pinned(db: Database) -> Iterator[int]:
    """Read the data version once; every :func:`remember` inside uses it (nested pins too)."""
    pins = _PINS.get() or {}
    if id(db) in pins:
        yield pins[id(db)]
        return
    current = db.data_version()
    token = _PINS.set({**pins, id(db): current})
    try:
        yield current
    finally:
        _PINS.reset(token)


def reread(db: Database) -> int:
    """Read the data version again: inside :func:`pinned`, the rest of the pin uses the new one
    (after a write the pinned computation made itself); outside a pin this only reads it."""
    current = db.data_version()
    pins = _PINS.get()
    if pins is not None and id(db) in pins:
        _PINS.set({**pins, id(db): current})
    return current


def pins_version(func: Callable[P, T]) -> Callable[P, T]:
    """Decorator for a function whose first argument is the Database: runs it pinned."""

    @wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> T:
        db = args[0]
        assert isinstance(db, Database)
        with pinned(db):
            return func(*args, **kwargs)

    return inner


def _values(db: Database, at: int) -> _Values:
    with _lock:
        versions = _cache.get(db)
        if versions is None:
            versions = _cache[db] = OrderedDict()
        found = versions.get(at)
        if found is None:
            found = versions[at] = _Values()
            while len(versions) > VERSIONS_KEPT:
                versions.popitem(last=False)
        return found


def remember(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """The value of `compute()` for `key` at the database's data version, computed once.

    `key` must name everything the value depends on besides the data (e.g. the filters);
    `compute` must read only data that bumps the version when it changes. An exception is not
    remembered.
    """
    entry = _values(db, version(db))
    with _lock:
        if key in entry.values:
            entry.values.move_to_end(key)
            return entry.values[key]
        key_lock = entry.locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:
            if key in entry.values:
                return entry.values[key]
        value = compute()
        with _lock:
            entry.values[key] = value
            entry.locks.pop(key, None)
            while len(entry.values) > MAX_ENTRIES:
                entry.values.popitem(last=False)
        return value


def is_remembered(db: Database, key: Hashable) -> bool:
    """Whether the value of `key` at the database's data version is already kept."""
    entry = _values(db, version(db))
    with _lock:
        return key in entry.values


def remember_many(
    db: Database,
    keys: list[Hashable],
    compute: Callable[[list[Hashable]], dict[Hashable, T]],
) -> list[T]:
    """The values of `keys` at the database's data version; those not yet known are computed
    together, by one call of `compute(missing keys)` (one statement for many values)."""
    entry = _values(db, version(db))
    with _lock:
        missing = [k for k in dict.fromkeys(keys) if k not in entry.values]
    if missing:
        computed = compute(missing)
        with _lock:
            for k in missing:
                entry.values[k] = computed[k]
            while len(entry.values) > MAX_ENTRIES:
                entry.values.popitem(last=False)
    with _lock:
        found = {k: entry.values[k] for k in keys if k in entry.values}
    # a value pushed out meanwhile (more keys than MAX_ENTRIES) is computed again on its own
    return [found[k] if k in found else compute([k])[k] for k in keys]
