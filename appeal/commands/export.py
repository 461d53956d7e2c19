"""``appeal export``: write the multiyear appeal workbook (Excel) for one scenario.

The plan comes from the pledge register (``--db``, see :mod:`appeal.config`) or, with
``--programmes`` and ``--pledges``, straight from files (as ``appeal plan``). The scenario is
``--scenario-file FILE`` (TOML), else ``--scenario NAME`` from the register, else the defaults.
The workbook is :func:`appeal.workbook.write_appeal_workbook`'s: confidential donors appear as
"Anonymous donor N" unless ``--reveal-confidential``; ``--hxl`` adds HXL hashtag rows.

Exit codes: 0 written, 2 invalid input (message on stderr, nothing written).

Examples::

    appeal export --scenario baseline --out appeal.xlsx
    appeal export --programmes programmes.xlsx --pledges pledges.xlsx --fx fx.csv \\
        --scenario-file sample_data/scenarios/baseline.toml --out appeal.xlsx --hxl
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from appeal.commands._options import InputError, add_plan_file_options, plan_from_files
from appeal.terminal import pct, usd
from models.plan import Plan
from models.scenario import Scenario, ScenarioError

HELP = "write the multiyear appeal workbook (xlsx) for a scenario"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", required=True, help="workbook to write (.xlsx)")
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="a scenario stored in the register (default: baseline)",
    )
    parser.add_argument(
        "--scenario-file", metavar="FILE", help="a scenario TOML file (instead of --scenario)"
    )
    parser.add_argument("--hxl", action="store_true", help="add HXL hashtag rows under headers")
    parser.add_argument(
        "--reveal-confidential",
        action="store_true",
        help="show confidential donors' names (internal use only)",
    )
    src = parser.add_argument_group("plan from files (default: the pledge register, see --db)")
    add_plan_file_options(src)
    src.add_argument("--title", metavar="TEXT", help="appeal title (default: from the plan)")


def run(args: argparse.Namespace) -> int:
    from appeal import pipeline
    from appeal.workbook import WorkbookError, check_target, write_appeal_workbook

    try:
        out = check_target(args.out)
        if args.scenario and args.scenario_file:
            raise InputError("give --scenario NAME or --scenario-file FILE, not both")
        if args.programmes or args.pledges:
            plan, report = plan_from_files(args)
            register = None
        else:
            register = _register(args.db)
            plan, report = _plan_from_register(register), {}
        if args.title:
            plan = plan.replace(title=args.title)
        scenario = _scenario(args, register)
        planned = pipeline.run(plan, scenario, report)
        path = write_appeal_workbook(
            out,
            planned,
            reveal_confidential=args.reveal_confidential,
            hxl=args.hxl,
        )
    except (InputError, WorkbookError, ScenarioError) as exc:
        print(f"appeal export: {exc}", file=sys.stderr)
        return 2
    totals = planned.result.totals()
    print(
        f"wrote {path}: scenario {scenario.name}, "
        f"requirement USD {usd(totals['requirement_usd'])}, "
        f"funded USD {usd(totals['funded_usd'])}, gap USD {usd(totals['gap_usd'])}, "
        f"coverage {pct(totals['coverage'])} (solver {planned.result.solver.status})"
    )
    if not planned.result.ok:
        print(
            f"appeal export: warning: the solver did not find a plan "
            f"({planned.result.solver.status}: {planned.result.solver.message}); "
            "the workbook shows requirements with nothing allocated",
            file=sys.stderr,
        )
    return 0


def _register(db: str | None) -> Any:
    from appeal import config
    from appeal.register import Register

    url = config.database_url(db)
    try:
        return Register(url)
    except (ValueError, LookupError, OSError) as exc:
        raise InputError(f"cannot open the pledge register {url}: {exc}") from None


def _plan_from_register(register: Any) -> Plan:
    try:
        plan = register.load_plan()
    except (ValueError, LookupError) as exc:
        raise InputError(f"cannot load the plan from the register: {exc}") from None
    if plan is None or not len(plan.programmes):
        raise InputError(
            "the register holds no programmes; import some with `appeal import` "
            "or give --programmes and --pledges"
        )
    return plan


def _scenario(args: argparse.Namespace, register: Any | None) -> Scenario:
    from appeal.pipeline import load_scenario

    if args.scenario_file:
        return load_scenario(args.scenario_file)
    if not args.scenario:
        return Scenario().validate()
    if register is None:
        register = _register(args.db)
    try:
        scenario = register.get_scenario(args.scenario)
    except (KeyError, LookupError, ValueError):  # RegisterError: no such scenario
        scenario = None
    if scenario is None:
        if args.scenario == "baseline":
            return Scenario().validate()  # the default scenario needs no stored copy
        names = _scenario_names(register)
        known = f" (stored: {', '.join(names)})" if names else " (none stored)"
        raise InputError(f"no scenario named {args.scenario!r} in the register{known}")
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    if not isinstance(scenario, Scenario):
        raise InputError(f"the register returned an unusable scenario for {args.scenario!r}")
    return scenario


def _scenario_names(register: Any) -> list[str]:
    """Names of the stored scenarios, for the error message (empty when they cannot be read)."""
    try:
        frame = register.list_scenarios()
    except Exception:  # naming stored scenarios is a courtesy, never a failure
        return []
    if isinstance(frame, pd.DataFrame) and "name" in frame:
        return sorted(str(n) for n in frame["name"])
    return []
