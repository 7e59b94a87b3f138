"""`ro` starts without the heavy modules: the light parser lists the same commands as the full
one, and `ro --help` / `ro ingest` load neither pandas nor scipy."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

cli_main = importlib.import_module("ro_core.cli.main")  # ro_core.cli.main is also a function

ROOT = Path(__file__).resolve().parents[2]


def _help(parser) -> str:
    return parser.format_help()


def test_light_parser_lists_the_same_commands_and_help() -> None:
    full = cli_main.build_parser()
    light = cli_main.build_parser(lazy=True)
    assert _help(light) == _help(full)


@pytest.mark.parametrize(
    ("argv", "light"),
    [
        ([], True),
        (["--help"], True),
        (["ingest", "x.csv"], True),
        (["--db", "kpis", "datasets"], True),  # a database file named like a command
        (["--json", "--db", "a.duckdb", "kpis"], False),
        (["funnel", "--events"], False),
        (["landing-pages"], False),
    ],
)
def test_light_command(argv: list[str], light: bool) -> None:
    assert cli_main._light_command(argv) is light


def _modules_loaded(args: list[str], tmp_path: Path) -> set[str]:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['ro', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('ro_core.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', ' '.join(m for m in sys.modules if m in ('pandas', 'scipy', 'numpy')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = [x for x in out.splitlines() if x.startswith("MODULES")][-1]
    return set(line.split()[1:])


def test_help_and_events_import_load_no_pandas_or_scipy(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
        "user_session\n"
        "2019-10-01 00:00:00 UTC,view,1,2,a.b,x,1.50,7,s1\n"
        "2019-10-01 00:01:00 UTC,purchase,1,2,a.b,x,1.50,7,s1\n"
    )
    db = str(tmp_path / "ro.duckdb")
    assert _modules_loaded(["--help"], tmp_path) == set()
    assert _modules_loaded(["--db", db, "ingest", str(events)], tmp_path) == set()
    # the events really arrived
    import duckdb

    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    con.close()
