"""Where ``appeal document`` and ``appeal asks`` get their run: the plan from files (the
plan-file options of the other commands) or from the register, the scenario from a file or a
saved name, solved once. A scenario that is not a saved one makes the output a draft.

The use cases themselves (plan from files or register, scenarios, solve) are
:mod:`appeal.service`'s; this module only maps the command's options onto them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from appeal.commands._options import (
    add_plan_file_options,
    add_reveal_option,
    open_register,
    plan_from_files,
    plan_from_register,
    solve_run,
)

if TYPE_CHECKING:
    from appeal.register import Register
    from models.analytics import PlanRun
    from models.scenario import Scenario

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
    from appeal import service

    name = str(args.scenario or "")
    is_file = bool(name) and (name.lower().endswith(".toml") or Path(name).is_file())
    if args.programmes or args.pledges:
        plan, report = plan_from_files(args)
        if name and not is_file:
            with open_register(args.db) as register:
                scenario, saved = _saved_scenario(register, name)
        else:
            scenario, saved = service.load_scenario(name or None), False
    else:
        with open_register(args.db) as register:
            plan, report = plan_from_register(register), {}
            if name and not is_file:
                scenario, saved = _saved_scenario(register, name)
            else:
                scenario, saved = service.load_scenario(name or None), False
    if args.title:
        plan = plan.replace(title=args.title)
    run = solve_run(args, plan, scenario, report)
    if not run.result.ok:
        solver = run.result.solver
        raise service.InputError(
            f"the allocation did not solve ({solver.status}): {solver.message}"
        )
    return run, not saved


def _saved_scenario(register: Register, name: str) -> tuple[Scenario, bool]:
    """The scenario called ``name`` and whether the register holds it (the default baseline
    needs no stored copy, but then the output is a draft)."""
    from appeal import service
    from appeal.register import RegisterError

    scenario = service.stored_scenario(register, name)
    try:
        register.get_scenario(name)
    except RegisterError:
        return scenario, False
    return scenario, True
