"""The `ro` command: import exports, list and remove imports, load the demo store, metrics and
experiment calculations. Every command takes --json. Every failure is one line and exit status 2,
never a traceback: our own errors, DuckDB's and the operating system's (a full disk) alike;
Ctrl-C exits 130 after the running import rolled back. `ro ingest` goes on with the next file
when one is refused and exits 2 if any was."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ro_core import __version__
from ro_core.cli.json_out import print_json
from ro_core.engines.base import ENGINES, engine_choice, open_store_engine
from ro_core.errors import ImportFileError, RoError
from ro_core.store.db import SAMPLE_DIR, Database, default_db_path, translate_error

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def _parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column or not field:
            raise RoError(
                f"--map expects COLUMN=FIELD (for example order_purchase_timestamp=created_at), "
                f"got '{pair}'."
            )
        mapping[column] = field.strip()
    return mapping


def cmd_ingest(args: argparse.Namespace, db: Database) -> int:
    """Import one or more files; one report per file."""
    from ro_core.ingest.pipeline import ingest_file

    mapping = _parse_mapping(args.map or [])
    options: dict[str, Any] = {}
    if args.date_order:
        options["date_order"] = args.date_order
    if args.utc_offset is not None:
        options["utc_offset_minutes"] = args.utc_offset
    if args.timezone:
        options["timezone"] = args.timezone
    if args.period:
        start, _, end = args.period.partition(":")
        options["period_start"], options["period_end"] = start, end or start
    reports, failures = [], []
    for file in args.files:
        path = Path(file)
        try:
            report = ingest_file(
                db,
                path,
                file_name=path.name,
                format_name=args.format,
                mapping=mapping or None,
                options=options,
            )
            reports.append(report)
            if not args.json:
                print(report.summary())
                for skipped in report.skipped:
                    lines = ", ".join(str(n) for n in skipped.lines)
                    print(f"  skipped {skipped.count:,} rows: {skipped.reason} (lines {lines})")
                for warning in report.warnings:
                    print(f"  warning: {warning}")
                for note in report.notes:
                    print(f"  note: {note}")
        except ImportFileError as e:
            # one bad file is reported and the others still load
            failures.append({"file_name": path.name, "error": str(e)})
            if not args.json:
                print(f"error: {e}", file=sys.stderr)
                header = getattr(e, "header", None)
                if header:
                    shown = ", ".join(header[:30])
                    print(f"  columns in the file: {shown}", file=sys.stderr)
    if args.json:
        print_json({"imports": [r.to_dict() for r in reports], "errors": failures})
    return EXIT_USER_ERROR if failures else EXIT_OK


def cmd_datasets(args: argparse.Namespace, db: Database) -> int:
    """List imports."""
    from ro_core.ingest.pipeline import list_imports

    imports = list_imports(db)
    if args.json:
        print_json({"imports": imports})
        return EXIT_OK
    if not imports:
        print("No data imported yet. Run `ro demo` or `ro ingest FILE...`.")
        return EXIT_OK
    print(f"{'id':>4}  {'format':<22} {'rows':>10}  {'from':<10}  {'to':<10}  file")
    for item in imports:
        demo = " (demo)" if item["is_demo"] else ""
        print(
            f"{item['import_id']:>4}  {item['format']:<22} {item['rows_loaded']:>10,}  "
            f"{(item['first_date'] or '')[:10]:<10}  {(item['last_date'] or '')[:10]:<10}  "
            f"{item['file_name']}{demo}"
        )
    return EXIT_OK


def cmd_datasets_rm(args: argparse.Namespace, db: Database) -> int:
    """Remove imports by id."""
    from ro_core.ingest.pipeline import remove_import

    removed, missing = [], []
    for import_id in args.ids:
        (removed if remove_import(db, import_id) else missing).append(import_id)
    if args.json:
        print_json({"removed": removed, "not_found": missing})
    else:
        for import_id in removed:
            print(f"Removed import #{import_id} and exactly its rows.")
        for import_id in missing:
            print(f"error: there is no import #{import_id} (see `ro datasets`).", file=sys.stderr)
    return EXIT_USER_ERROR if missing else EXIT_OK


def cmd_demo(args: argparse.Namespace, db: Database) -> int:
    """Load (or with --remove, remove) the demo store."""
    from ro_core import demo
    from ro_core.ingest.pipeline import remove_demo_data

    if args.remove:
        count = remove_demo_data(db)
        if args.json:
            print_json({"removed_imports": count})
        else:
            print(f"Removed {count} demo imports." if count else "No demo data was loaded.")
        return EXIT_OK
    reports = demo.load_demo(db)
    if args.json:
        print_json({"imports": [r.to_dict() for r in reports]})
    else:
        for report in reports:
            print(report.summary())
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, db: Database) -> int:
    """Start the dashboard (streamlit run app.py)."""
    import os
    import subprocess

    app = Path(__file__).resolve().parent.parent / "app.py"
    env = dict(os.environ, RO_DB=str(db.path))
    db.close()
    command = [sys.executable, "-m", "streamlit", "run", str(app), *args.streamlit_args]
    return subprocess.call(command, env=env)


# The commands whose modules bring pandas, scipy and the metrics package, with their help
# lines. `ro --help` and the import commands list them from here and load none of those
# modules (start-up in about 0.2 s instead of 1.7 s); any other command builds the full parser.
# tests/ingest/test_startup.py checks that this table matches the commands' own registration.
LAZY_COMMANDS: dict[str, str] = {
    "overview": "the period overview: KPIs, summary, decomposition, opportunities, goals",
    "kpis": "headline KPIs with the previous period or last year",
    "trend": "a metric by day, week or month",
    "funnel": "sessions -> product view -> cart -> checkout -> purchase",
    "segments": "CR, AOV, RPV per segment with 95%% intervals",
    "decompose": "revenue change into traffic, CR and AOV",
    "opportunities": "funnel steps x segments ranked by revenue gain",
    "sample-size": "visitors and weeks an A/B test needs",
    "analyze": "read the results of an A/B test",
    "report": "write a self-contained HTML report of a period (opens offline)",
    "goals": "goals and their progress",
    "hypotheses": "the hypothesis backlog",
    "check": "store health: days unlike their weekday, and tracking problems",
    "products": "revenue, units and rates per product",
    "landing-pages": "sessions, bounce rate, CR, RPV and revenue at stake per landing page",
}


def build_parser(*, lazy: bool = False) -> argparse.ArgumentParser:
    """The full `ro` argument parser.

    With `lazy`, the commands of LAZY_COMMANDS are listed (same help) without their options or
    modules: enough for `ro --help` and the import commands, which is all it is used for.
    """
    parser = argparse.ArgumentParser(
        prog="ro", description="ro-dashboard: revenue optimization from your store's exports."
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"database file (default: $RO_DB or {default_db_path()})",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="the engine that serves the store's tables (default: $RO_ENGINE or duckdb)",
    )
    parser.add_argument(
        "--warehouse",
        metavar="LOCATION",
        default=None,
        help="a warehouse written by `ro warehouse export` (folder or URI), or a ClickHouse "
        "server URL (default: $RO_WAREHOUSE; none: the DuckDB file)",
    )
    parser.add_argument(
        "--store", metavar="NAME", default=None, help="one store of a shared warehouse"
    )
    parser.add_argument("--version", action="version", version=f"ro-dashboard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="import CSV exports")
    ingest.add_argument("files", nargs="+", help="CSV files (Shopify, WooCommerce, GA4, events...)")
    ingest.add_argument("--format", help="force a format instead of detecting it from the header")
    ingest.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=FIELD",
        help="map a column of an unknown layout to a field (repeat; see `ro fields`)",
    )
    ingest.add_argument(
        "--date-order", choices=["mdy", "dmy"], help="settle 01/02/2024-style dates"
    )
    ingest.add_argument("--utc-offset", type=int, help="store UTC offset in minutes (event files)")
    ingest.add_argument("--timezone", help="store time zone, e.g. America/New_York (event files)")
    ingest.add_argument("--period", help="START:END dates for reports that carry none")
    ingest.set_defaults(handler=cmd_ingest)

    datasets = sub.add_parser("datasets", help="list imports; `ro datasets rm ID` removes one")
    datasets_sub = datasets.add_subparsers(dest="datasets_command", metavar="ACTION")
    rm = datasets_sub.add_parser("rm", help="remove imports and exactly their rows")
    rm.add_argument("ids", nargs="+", type=int)
    rm.set_defaults(handler=cmd_datasets_rm)
    datasets.set_defaults(handler=cmd_datasets)

    demo = sub.add_parser("demo", help="load the demo store (or --remove it)")
    demo.add_argument("--remove", action="store_true", help="remove the demo data")
    demo.set_defaults(handler=cmd_demo)

    fields = sub.add_parser("fields", help="fields a column mapping can use")
    fields.set_defaults(handler=cmd_fields)

    warehouse = sub.add_parser("warehouse", help="write the store as Parquet for Spark/ClickHouse")
    warehouse_sub = warehouse.add_subparsers(dest="warehouse_command", metavar="ACTION")
    export = warehouse_sub.add_parser(
        "export", help="write the canonical tables as Parquet by month, with a manifest"
    )
    export.add_argument("directory", type=Path, help="the warehouse folder (created if missing)")
    export.add_argument(
        "--store",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="write this store's folders beside other stores' in the same location",
    )
    export.set_defaults(handler=cmd_warehouse_export)
    warehouse.set_defaults(handler=lambda args: warehouse.print_help())

    serve = sub.add_parser("serve", help="start the dashboard in the browser")
    serve.add_argument("streamlit_args", nargs=argparse.REMAINDER)
    serve.set_defaults(handler=cmd_serve)

    if lazy:
        for name, help_text in LAZY_COMMANDS.items():
            sub.add_parser(name, help=help_text)
    else:
        _add_optional_commands(sub)
    for action in sub.choices.values():
        _add_json_flag(action)
    _add_json_flag(rm)
    _add_json_flag(export)
    return parser


def cmd_warehouse_export(args: argparse.Namespace, db: Database) -> int:
    """Write the DuckDB file's store tables in the warehouse layout (ro_core.engines.layout)."""
    from ro_core.engines.export import export_warehouse

    db.require_local_store("exporting a warehouse")
    manifest = export_warehouse(db, args.directory, store=args.store)
    if args.json:
        print_json(manifest.to_dict())
        return EXIT_OK
    where = f"{args.directory}" + (f" (store {args.store})" if args.store else "")
    print(f"Wrote the warehouse to {where}, data version {manifest.data_version}:")
    for table, info in manifest.tables.items():
        months = info["months"]
        span = f", {months[0]} to {months[-1]}" if months else ""
        print(f"  {table:<20} {info['rows']:>12,} rows{span}")
    return EXIT_OK


def cmd_fields(args: argparse.Namespace, db: Database) -> int:
    """List the fields available to --map."""
    from ro_core.ingest.formats import mapped_fields

    if args.json:
        print_json({kind: list(fields) for kind, fields in mapped_fields.MAPPABLE_FIELDS.items()})
        return EXIT_OK
    for kind, names in mapped_fields.MAPPABLE_FIELDS.items():
        print(f"{kind}:")
        for name in names:
            print(f"  {name:<22} {mapped_fields.FIELD_HELP.get(name, '')}")
    return EXIT_OK


def _add_json_flag(subparser: argparse.ArgumentParser) -> None:
    try:
        subparser.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    except argparse.ArgumentError:
        pass  # the subcommand defines it already


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:
    from ro_core.cli import experiment as cli_experiment
    from ro_core.cli import health as cli_health
    from ro_core.cli import landing_pages as cli_landing_pages
    from ro_core.cli import loop as cli_loop
    from ro_core.cli import metrics as cli_metrics
    from ro_core.cli import products as cli_products

    cli_metrics.add_metrics_commands(sub)
    cli_experiment.add_experiment_commands(sub)
    cli_loop.add_loop_commands(sub)
    cli_health.add_health_commands(sub)
    cli_products.add_products_commands(sub)
    cli_landing_pages.add_landing_pages_commands(sub)


def _light_command(argv: Sequence[str]) -> bool:
    """True when `argv` names no command of LAZY_COMMANDS (so the light parser serves it).

    Global options come before the command: ``--db PATH`` (or ``--db=PATH``), ``--json``.
    """
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--db", "--engine", "--warehouse", "--store"):
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return word not in LAZY_COMMANDS
    return True


def _needs_db(handler: Any) -> bool:
    import inspect

    return len(inspect.signature(handler).parameters) >= 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ro` console script."""
    parser = build_parser(lazy=_light_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if not hasattr(args, "json"):
        args.json = False
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    db: Database | None = None
    try:
        if _needs_db(handler):
            # DuckDB may touch only the database's folder, the demo store and the files named
            # on the command line.
            inputs = [Path(f).resolve().parent for f in getattr(args, "files", None) or []]
            if getattr(args, "directory", None) is not None:  # ro warehouse export DIR
                inputs.append(Path(args.directory).resolve())
            engine = open_store_engine(engine_choice(args.engine, args.warehouse, args.store))
            db = Database(
                args.db or default_db_path(),
                allowed_directories=[SAMPLE_DIR, *inputs],
                store_engine=engine,
            )
            return int(handler(args, db) or 0)
        return int(handler(args) or 0)
    except BrokenPipeError:
        # the reader stopped early (`ro ... | head`): nothing more to say, and no traceback
        # when Python flushes stdout on the way out
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (RoError, duckdb.Error, OSError) as e:
        error = translate_error(e)
        if args.json:
            print_json({"error": str(error), "title": error.title})
        else:
            print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted: nothing was written by the unfinished step.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if db is not None:
            with contextlib.suppress(duckdb.Error, OSError):
                db.close()
            with contextlib.suppress(Exception):  # the engine's own errors on the way out
                db.close_engine()


if __name__ == "__main__":
    sys.exit(main())
