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
from typing import TYPE_CHECKING

from appeal.commands._options import (
    add_plan_file_options,
    add_reveal_option,
    open_register,
    plan_from_files,
    plan_from_register,
    solve_run,
)
from appeal.terminal import pct, usd

if TYPE_CHECKING:
    from appeal.register import Register
    from models.scenario import Scenario

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
    add_reveal_option(parser)
    src = parser.add_argument_group("plan from files (default: the pledge register, see --db)")
    add_plan_file_options(src)
    src.add_argument("--title", metavar="TEXT", help="appeal title (default: from the plan)")


def run(args: argparse.Namespace) -> int:
    from appeal import service
    from models.scenario import ScenarioError

    try:
        out = service.check_export_target(args.out)
        if args.scenario and args.scenario_file:
            raise service.InputError("give --scenario NAME or --scenario-file FILE, not both")
        notes = None
        if args.programmes or args.pledges:
            plan, report = plan_from_files(args)
            scenario = _scenario(args)
        else:
            with open_register(args.db) as register:
                plan, report = plan_from_register(register), {}
                scenario = _scenario(args, register)
                notes = register.notes()
        if args.title:
            plan = plan.replace(title=args.title)
        service.check_scenario_donors(plan, scenario, args.scenario_file)
        planned = solve_run(args, plan, scenario, report)
        path = service.export_workbook(
            out, planned, reveal_confidential=args.reveal_confidential, hxl=args.hxl, notes=notes
        )
    except (service.InputError, ScenarioError) as exc:
        print(f"appeal export: error: {exc}", file=sys.stderr)
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


def _scenario(args: argparse.Namespace, register: Register | None = None) -> Scenario:
    """--scenario-file, else --scenario NAME from the register, else the defaults."""
    from appeal import service

    if args.scenario_file:
        return service.load_scenario(args.scenario_file)
    if not args.scenario:
        return service.load_scenario(None)
    if register is None:
        with open_register(args.db) as stored:
            return service.stored_scenario(stored, args.scenario)
    return service.stored_scenario(register, args.scenario)
