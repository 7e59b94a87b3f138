"""RO-loop subcommands of the `ro` command: `report` (the shareable HTML report), `goals` and
`hypotheses` (list them). Each prints text for people, or JSON with --json.

The main CLI calls :func:`add_loop_commands` on its subparsers; every subcommand sets
``handler=fn`` with ``fn(args, db) -> int``. The one entry point is
ro_core.cli.main (tests call it too).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ro_core.cli.json_out import print_json
from ro_core.cli.metrics import (
    add_filter_options,
    add_period_options,
    filters_from_args,
    scope_from_args,
)
from ro_core.loop import goals, hypotheses
from ro_core.metrics.coverage import coverage
from ro_core.present.report import write_report
from ro_core.store.db import Database


def cmd_report(args: argparse.Namespace, db: Database) -> int:
    """ro report: write the HTML report of a period."""
    scope = scope_from_args(args, db)
    period = scope.period
    path = write_report(db, scope, Path(args.out))
    size = path.stat().st_size
    if args.json:
        print_json({"path": str(path), "bytes": size, "period": period.to_dict()})
    else:
        print(f"Wrote the report of {period.label()} to {path} ({size / 1e6:.1f} MB).")
    return 0


def cmd_goals(args: argparse.Namespace, db: Database) -> int:
    """ro goals: every goal with its progress to the latest day with data.

    Goals measure the whole store in their own currency (ro_core.loop.goals.goals_progress): a
    --segment is left out, and the output says so.
    """
    filters = filters_from_args(args, db)
    latest = coverage(db).latest_date
    progress = goals.goals_progress(db, latest, filters) if latest else []
    if not latest:
        progress = [goals.goal_progress(g, None, g.period.start) for g in goals.list_goals(db)]
    note = goals.goals_scope_note(filters)
    if args.json:
        print_json({"as_of": latest, "note": note, "goals": [p.to_dict() for p in progress]})
        return 0
    if not progress:
        print("No goals set yet: add them on the Goals page of the dashboard.")
        return 0
    if note:
        print(note)
    for item in progress:
        print(
            f"#{item.goal.goal_id:<4} {item.goal.label:<32} {item.status_label:<12} {item.summary()}"
        )
    return 0


def cmd_hypotheses(args: argparse.Namespace, db: Database) -> int:
    """ro hypotheses: the backlog, best score first."""
    statuses = [s.strip() for s in args.status.split(",")] if args.status else None
    items = hypotheses.list_hypotheses(db, statuses=statuses, sort_by=args.sort)
    if args.json:
        print_json({"hypotheses": [h.to_dict() for h in items]})
        return 0
    if not items:
        print("The hypothesis backlog is empty: add ideas on the Hypotheses page.")
        return 0
    for h in items:
        score = f"{h.score:4.1f} {h.scoring.upper()}" if h.score is not None else "   unscored"
        print(f"#{h.hypothesis_id:<4} {h.status_label:<13} {score:>9}  {h.title}")
    return 0


def add_loop_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `report`, `goals` and `hypotheses` (handler(args, db) -> int)."""
    report = subparsers.add_parser(
        "report", help="write a self-contained HTML report of a period (opens offline)"
    )
    add_period_options(report)
    report.add_argument("--out", required=True, help="the .html file to write")
    report.add_argument(
        "--compare", choices=("previous", "year", "none"), default="previous", help="comparison"
    )
    report.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
    add_filter_options(report)
    report.set_defaults(handler=cmd_report)

    goal = subparsers.add_parser("goals", help="goals and their progress")
    goal.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
    add_filter_options(goal)
    goal.set_defaults(handler=cmd_goals)

    backlog = subparsers.add_parser("hypotheses", help="the hypothesis backlog")
    backlog.add_argument(
        "--status", help="only these statuses, comma separated (e.g. idea,planned)"
    )
    backlog.add_argument(
        "--sort", choices=tuple(hypotheses.SORT_KEYS), default="score", help="sort order"
    )
    backlog.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
    backlog.set_defaults(handler=cmd_hypotheses)
