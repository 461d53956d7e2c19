"""Where ``appeal document`` and ``appeal asks`` get their run: the plan from files (the
plan-file options of the other commands) or from the register, the scenario from a file or a
saved name, solved once. A scenario that is not a saved one makes the output a draft.

The application service layer will take this over (plan from files or register, solve with
the result cache, editions, the official appeal); the helpers here reuse ``appeal export``'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from appeal.commands import export
from appeal.commands._options import (
    InputError,
    add_plan_file_options,
    add_reveal_option,
    plan_from_files,
)
from appeal.pipeline import PlanRun

__all__ = ["add_source_options", "as_at", "load_run"]


def add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="a scenario saved in the register, or a scenario TOML file (default: baseline); "
        "anything but a saved scenario is marked DRAFT",
    )
    parser.add_argument(
        "--as-at", metavar="YYYY-MM-DD", type=_date, help="the as-at date (default: today)"
    )
    add_reveal_option(parser)
    src = parser.add_argument_group("plan from files (default: the pledge register, see --db)")
    add_plan_file_options(src)
    src.add_argument("--title", metavar="TEXT", help="appeal title (default: from the plan)")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def as_at(args: argparse.Namespace) -> dt.date:
    return args.as_at or dt.date.today()


def load_run(args: argparse.Namespace) -> tuple[PlanRun, bool]:
    """(the solved run, whether it is a draft). Raises InputError / ScenarioError."""
    from appeal import pipeline
    from appeal.document.narrative import with_narratives

    register = None
    if args.programmes or args.pledges:
        plan, report = plan_from_files(args)
        plan = with_narratives(plan, args.programmes)
    else:
        register = export._register(args.db)
        plan, report = export._plan_from_register(register), {}
    if args.title:
        plan = plan.replace(title=args.title)
    name = args.scenario
    is_file = bool(name) and (str(name).lower().endswith(".toml") or Path(str(name)).is_file())
    scenario_args = argparse.Namespace(
        db=args.db,
        scenario=None if is_file else name,
        scenario_file=name if is_file else None,
    )
    scenario = export._scenario(scenario_args, register)
    saved = bool(name) and not is_file and _is_saved(register, args.db, str(name))
    run = pipeline.run(plan, scenario, report)
    if not run.result.ok:
        solver = run.result.solver
        raise InputError(f"the allocation did not solve ({solver.status}): {solver.message}")
    return run, not saved


def _is_saved(register: object, db: str | None, name: str) -> bool:
    """Whether ``name`` is a scenario stored in the register (the default baseline may not
    be: then it is a draft)."""
    if register is None:
        register = export._register(db)
    try:
        return register.get_scenario(name) is not None  # type: ignore[attr-defined]
    except (KeyError, LookupError, ValueError):
        return False
