"""ro_ui.heap: objects alive at a freeze leave the collector's generations, garbage made later is
still collected, and a freeze happens again only once more modules are loaded."""

from __future__ import annotations

import gc
import sys
import types
import weakref

import pytest

from ro_ui import heap


class _Node:
    """Something with a reference cycle (only the cyclic collector can free it)."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen():
    """Every test starts and ends with nothing frozen (the rest of the session is unaffected)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_freeze_moves_live_objects_out_and_later_garbage_is_still_collected(
    unfrozen, monkeypatch
) -> None:
    monkeypatch.setattr(heap, "_modules_frozen", 0)
    kept = _Node()
    assert gc.is_tracked(kept) and gc.get_freeze_count() == 0
    assert heap.freeze_loaded()
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects()), "a frozen object is still scanned"

    later = _Node()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None, "a cycle made after the freeze was not collected"


def test_it_freezes_again_only_when_modules_were_loaded(unfrozen, monkeypatch) -> None:
    monkeypatch.setattr(heap, "_modules_frozen", 0)
    assert heap.freeze_loaded()
    frozen = gc.get_freeze_count()
    _Node()  # garbage made between runs stays with the collector
    assert not heap.freeze_loaded()
    # No second freeze: it would have added the node above and everything made since. (The
    # count may drop: a frozen object is still freed when its last reference goes, as one was
    # in a CI run, 511,796 -> 511,795.)
    assert gc.get_freeze_count() <= frozen

    monkeypatch.setitem(sys.modules, "ro_test_new_module", types.ModuleType("ro_test_new_module"))
    assert heap.freeze_loaded()
    assert gc.get_freeze_count() > frozen
