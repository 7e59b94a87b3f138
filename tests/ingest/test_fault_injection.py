"""Fault injection: `ro ingest` killed (SIGKILL), interrupted (Ctrl-C) or starved of disk at
points the test controls, with the database checked after every run: it holds exactly what it
held before, or the whole new file. Never a fixed sleep that hopes: the importer signals itself
at a named step (RO_IMPORT_FAULT, see ro_core.ingest.commit), immediately or from a timer a
random number of milliseconds later, so the kill lands inside the statements that follow,
the commit included.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ro_core.ingest.commit import FAULT_ENV_VAR, FAULT_STEPS
from ro_core.store.db import Database
from tests.ingest.builders import shopify_order_rows, write_shopify_export
from tests.ingest.test_pipeline import snapshot

ORDERS = 1500
KILL_RUNS = 24


def _cli(db_path: Path, *args: str, fault: str | None = None, **popen) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop(FAULT_ENV_VAR, None)
    if fault:
        env[FAULT_ENV_VAR] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "ro_core.cli", "--db", str(db_path), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _state(db_path: Path) -> dict:
    db = Database(db_path)
    try:
        return snapshot(db)
    finally:
        db.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A database holding one import, the export to add, and both outcomes worked out."""
    root = tmp_path_factory.mktemp("faults")
    base_export = write_shopify_export(
        root / "base.csv",
        [shopify_order_rows(n, "2024-01-05 10:00:00 -0500", "5.00") for n in range(1, 11)],
    )
    orders = [
        shopify_order_rows(n, f"2024-02-{1 + n % 28:02d} 10:00:00 -0500", f"{n % 90 + 1}.25")
        for n in range(100, 100 + ORDERS)
    ]
    orders[0][0]["Lineitem name"] = "Café “Pepe”"  # a Windows-1252 file: a copy goes to tmp/
    export = root / "orders_export.csv"
    text = write_shopify_export(root / "utf8.csv", orders).read_text()
    export.write_bytes(text.encode("cp1252"))
    with export.open(encoding="cp1252", newline="") as fh:
        rows = list(csv.DictReader(fh))
    base_db = root / "base" / "ro.duckdb"
    proc = _cli(base_db, "ingest", str(base_export))
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    return {
        "base_db": base_db,
        "export": export,
        "before": _state(base_db),
        "orders_after": 10 + ORDERS,
        "lines_after": 20 + len(rows),
        "revenue_after": Decimal("50.00") + sum(Decimal(r["Total"]) for r in rows if r["Total"]),
    }


def _fresh_copy(store: dict, folder: Path) -> Path:
    folder.mkdir(parents=True)
    db_path = folder / "ro.duckdb"
    shutil.copy(store["base_db"], db_path)
    return db_path


def _whole_or_nothing(store: dict, db_path: Path) -> str:
    """'nothing' (exactly as before) or 'whole' (every row of the new file); fails otherwise."""
    state = _state(db_path)
    if state == store["before"]:
        return "nothing"
    db = Database(db_path)
    try:
        assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (
            store["orders_after"],
            store["revenue_after"],
        )
        assert db.fetch_value("SELECT count(*) FROM order_lines") == store["lines_after"]
        assert db.fetch_value("SELECT count(*) FROM imports") == 2
        assert db.fetch_value("SELECT count(*) FROM order_lines WHERE product = 'Café “Pepe”'") == 1
    finally:
        db.close()
    return "whole"


def _plan() -> list[str]:
    """24 kill points: every step at once and from a timer, plus random delays at the commit."""
    rng = random.Random(11)
    plan = [*FAULT_STEPS, *(f"{step}+{rng.randint(1, 40)}" for step in FAULT_STEPS)]
    while len(plan) < KILL_RUNS:
        plan.append(f"commit+{rng.randint(0, 30)}")
    return plan


def test_the_plan_has_the_runs_it_states():
    plan = _plan()
    assert len(plan) == KILL_RUNS >= 20
    assert sum(p.startswith("commit") for p in plan) >= 8


def test_sigkill_at_random_points_leaves_all_or_nothing(store: dict, tmp_path: Path):
    outcomes: list[tuple[str, str]] = []
    plan = list(enumerate(_plan()))
    for pair in (plan[i : i + 2] for i in range(0, len(plan), 2)):  # two runs at a time: 2 cores
        started = []
        for run, fault in pair:
            db_path = _fresh_copy(store, tmp_path / f"run{run}")
            started.append(
                (fault, db_path, _cli(db_path, "ingest", str(store["export"]), fault=fault))
            )
        for fault, db_path, proc in started:
            code = proc.wait(timeout=120)
            assert code in (0, -signal.SIGKILL), (fault, proc.stderr.read())
            outcome = _whole_or_nothing(store, db_path)
            outcomes.append((fault, outcome))
            if fault in ("sniffed", "staged", "rows_written", "resolved", "commit"):
                assert code == -signal.SIGKILL and outcome == "nothing", fault
            if fault.startswith("committed"):
                assert outcome == "whole", fault
    assert len(outcomes) == KILL_RUNS
    assert {outcome for _, outcome in outcomes} == {"nothing", "whole"}
    # a killed import can be run again and then loads whole
    lost = next(tmp_path / f"run{run}" for run, (_, o) in enumerate(outcomes) if o == "nothing")
    retry = _cli(lost / "ro.duckdb", "ingest", str(store["export"]))
    assert retry.wait(timeout=120) == 0, retry.stderr.read()
    assert _whole_or_nothing(store, lost / "ro.duckdb") == "whole"


def test_sigkill_during_a_first_import_leaves_an_empty_store_or_the_whole_file(
    store: dict, tmp_path: Path
):
    """A first import writes its rows straight into the store's tables inside its transaction
    (ro_core.ingest.direct; this file is Windows-1252, so it is staged twice): killed before
    the commit, the store is still empty, and the import can be run again."""
    empty = tmp_path / "empty" / "ro.duckdb"
    empty.parent.mkdir()
    Database(empty).close()
    empty_state = _state(empty)
    plan = ["sniffed+20", "sniffed+60", "staged", "rows_written", "resolved", "commit"]
    plan += ["commit+5", "committed"]
    outcomes = []
    for pair in (plan[i : i + 2] for i in range(0, len(plan), 2)):  # two runs at a time
        started = []
        for fault in pair:
            db_path = tmp_path / fault / "ro.duckdb"
            db_path.parent.mkdir()
            shutil.copy(empty, db_path)
            started.append(
                (fault, db_path, _cli(db_path, "ingest", str(store["export"]), fault=fault))
            )
        for fault, db_path, proc in started:
            code = proc.wait(timeout=120)
            assert code in (0, -signal.SIGKILL), (fault, proc.stderr.read())
            if _state(db_path) == empty_state:
                outcomes.append("nothing")
                continue
            db = Database(db_path)
            try:
                assert db.fetch_one("SELECT count(*), sum(total) FROM orders") == (
                    ORDERS,
                    store["revenue_after"] - Decimal("50.00"),
                )
                assert (
                    db.fetch_value("SELECT count(*) FROM order_lines") == store["lines_after"] - 20
                )
                assert db.fetch_value("SELECT count(*) FROM imports") == 1
            finally:
                db.close()
            outcomes.append("whole")
        for (fault, _, _), outcome in zip(started, outcomes[-len(pair) :], strict=True):
            if "+" not in fault and fault != "committed":
                assert outcome == "nothing", fault
            if fault.startswith("committed"):
                assert outcome == "whole", fault
    retry = _cli(tmp_path / "staged" / "ro.duckdb", "ingest", str(store["export"]))
    assert retry.wait(timeout=120) == 0, retry.stderr.read()
    db = Database(tmp_path / "staged" / "ro.duckdb")
    try:
        assert db.fetch_value("SELECT count(*) FROM orders") == ORDERS
    finally:
        db.close()


@pytest.mark.parametrize("fault", ["sniffed:INT", "rows_written:INT", "resolved+3:INT"])
def test_ctrl_c_rolls_back_and_exits_130(store: dict, tmp_path: Path, fault: str):
    db_path = _fresh_copy(store, tmp_path / "db")
    proc = _cli(db_path, "ingest", str(store["export"]), fault=fault)
    code = proc.wait(timeout=120)
    err = proc.stderr.read()
    outcome = _whole_or_nothing(store, db_path)
    if code == 0:  # the timer fired after the import had finished
        assert outcome == "whole"
    else:  # Ctrl-C before the commit rolls back; after it, the import is whole
        assert code == 130, err
        assert err.strip().splitlines() == [
            "interrupted: nothing was written by the unfinished step."
        ]
        if "+" not in fault:
            assert outcome == "nothing"
    assert not list((db_path.parent / "tmp").glob("*"))


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize(
    "command",
    [("ingest", "orders_export.csv"), ("ingest", "utf8.csv"), ("demo",), ("datasets",)],
)
def test_a_full_disk_is_one_line_and_exit_2(store: dict, tmp_path: Path, command: tuple):
    """Files may not grow past 64 KB (RLIMIT_FSIZE): the copy in tmp/, the WAL, a checkpoint."""
    db_path = _fresh_copy(store, tmp_path / "db")
    if command == ("datasets",):  # a command that only reads works, and writes nothing
        proc = _cli(db_path, "datasets", preexec_fn=_limit_file_size(64 << 10))
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        assert _state(db_path) == store["before"]  # it used to corrupt the file on close
        return
    args = [str(store["export"].parent / a) if a.endswith(".csv") else a for a in command]
    proc = _cli(db_path, *args, preexec_fn=_limit_file_size(64 << 10))
    code = proc.wait(timeout=120)
    err = proc.stderr.read()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    assert "disk is full" in lines[0]
    assert _state(db_path) == store["before"]
    assert not list((db_path.parent / "tmp").glob("*"))
