"""Every metrics command prints the same JSON on every engine (issue: beyond one machine).

The reference is the DuckDB file itself (`ro --json CMD`); the same command runs on the
warehouse export read by DuckDB, by chDB (ClickHouse in-process) and by Spark in local mode with
two workers. Counts must be equal, money and rates within 1e-9 relative (compare.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ro_core.cli.main import main
from tests.engines.compare import differences
from tests.engines.conftest import require, require_engine

COMMANDS = {
    "kpis": ["kpis"],
    "kpis vs last year, 90 days": ["kpis", "--preset", "last_90_days", "--compare", "year"],
    "trend revenue": ["trend", "--metric", "revenue"],
    "trend CR by week": ["trend", "--metric", "conversion_rate", "--grain", "week"],
    "funnel": ["funnel"],
    "event funnel": ["funnel", "--events"],
    "segments by device": ["segments", "--by", "device"],
    "segments by order channel": ["segments", "--by", "channel", "--side", "orders"],
    "decompose": ["decompose"],
    "opportunities": ["opportunities"],
    "overview": ["overview"],
    "store health": ["check"],
    "products": ["products"],
    "landing pages": ["landing-pages"],
    "landing pages from events": ["landing-pages", "--events"],
}
ENGINES = ["duckdb", "clickhouse", "spark"]


def run(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    """`ro --json ARGV` in this process; its JSON (`ro check` exits 1 when it has alerts)."""
    capsys.readouterr()
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    assert code in ((0, 1) if "check" in argv else (0,)), out
    return json.loads(out)


@pytest.fixture(scope="module")
def reference(demo_store) -> dict[str, dict]:
    """Each command's JSON on the DuckDB file."""
    return {}


def assert_engine_agrees(capsys, store: dict, reference: dict, command: list, engine: str):
    """`ro --json COMMAND` on the engine (warehouse, empty local file) prints what it prints on
    the store's DuckDB file (reference: that JSON per command, filled on first use)."""
    require_engine(engine)
    key = " ".join(command)
    if key not in reference:
        reference[key] = run(capsys, "--db", str(store["db"]), *command)
    on_engine = run(
        capsys,
        "--db",
        str(store["local"]),
        "--engine",
        engine,
        "--warehouse",
        str(store["warehouse"]),
        *command,
    )
    found = differences(reference[key], on_engine)
    assert not found, f"{engine} differs from the DuckDB file on `ro {key}`:\n" + (
        "\n".join(found[:20])
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_prints_the_same_on_every_engine(engine, name, demo_store, reference, capsys):
    assert_engine_agrees(capsys, demo_store, reference, COMMANDS[name], engine)


YEAR = ["--start", "2025-01-01", "--end", "2025-12-31"]
GENERATED_COMMANDS = {
    "kpis over the year": ["kpis", *YEAR],
    "event funnel over the year": ["funnel", "--events", *YEAR],
    "event funnel, 30 days": ["funnel", "--events", "--start", "2025-06-01", "--end", "2025-06-30"],
    "trend revenue by month": ["trend", "--metric", "revenue", "--grain", "month", *YEAR],
    "segments by country": ["segments", "--by", "country", "--side", "orders", *YEAR],
    "decompose H2 against H1": ["decompose", "--start", "2025-07-01", "--end", "2025-12-31"],
    "opportunities": ["opportunities", *YEAR],
}


@pytest.fixture(scope="module")
def generated_reference(generated_store) -> dict[str, dict]:
    """Each command's JSON on the generated store's DuckDB file."""
    return {}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(GENERATED_COMMANDS))
def test_a_million_events_give_the_same_figures_on_every_engine(
    engine, name, generated_store, generated_reference, capsys
):
    assert_engine_agrees(
        capsys, generated_store, generated_reference, GENERATED_COMMANDS[name], engine
    )


def test_spark_connect_serves_what_the_duckdb_file_serves(demo_store, capsys):
    """SPARK_REMOTE: the Spark Connect client path (here a local Connect server that pyspark
    starts, `local[2]`, in a process of its own) prints the DuckDB file's figures too."""
    require_engine("spark")
    require("grpc", "Spark Connect")
    expected = run(capsys, "--db", str(demo_store["db"]), "kpis")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ro_core.cli.main",
            "--json",
            "--db",
            str(demo_store["local"]),
            "--engine",
            "spark",
            "--warehouse",
            str(demo_store["warehouse"]),
            "kpis",
        ],
        env=dict(os.environ, SPARK_REMOTE="local[2]"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    found = differences(expected, json.loads(done.stdout))
    assert not found, "Spark Connect differs from the DuckDB file:\n" + "\n".join(found[:20])
