"""What the commands that read a plan (plan, analyse, export, import) share: their file
options, reading the plan those options name with every problem reported on stderr, and the
solve (with the register's stability reference when the scenario asks for one).

Light on purpose: ``appeal --help`` imports every command module, so nothing here imports the
importer, pandas or the solver until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appeal.importer import ImportReport
    from appeal.register import Register
    from appeal.service import PlanFiles
    from models.analytics import PlanRun
    from models.plan import Plan
    from models.scenario import Scenario


def add_plan_file_options(target: Any, *, required_note: str = "") -> None:
    """--programmes, --pledges (repeatable, or several after one flag), --donors, --fx and
    --skip-invalid on a parser or argument group."""
    target.add_argument(
        "--programmes", metavar="FILE", help=f"budget lines (xlsx or csv){required_note}"
    )
    target.add_argument(
        "--pledges",
        metavar="FILE",
        nargs="+",
        action="extend",
        help=f"pledge files (xlsx or csv); repeat or list several{required_note}",
    )
    add_reference_options(target)
    add_skip_invalid_option(target, "keep")


def add_reference_options(target: Any) -> None:
    """--donors and --fx: the plan's optional reference tables."""
    target.add_argument("--donors", metavar="FILE", help="donor types and regions (optional)")
    target.add_argument("--fx", metavar="FILE", help="exchange rates, units per USD")


def add_skip_invalid_option(target: Any, verb: str) -> None:
    target.add_argument(
        "--skip-invalid",
        action="store_true",
        help=f"{verb} the valid rows and report the rejected ones (default: refuse the import)",
    )


def add_reveal_option(parser: Any) -> None:
    parser.add_argument(
        "--reveal-confidential",
        action="store_true",
        help="show confidential donors' names (internal use only)",
    )


def plan_files(args: argparse.Namespace) -> PlanFiles:
    """The files named by --programmes/--pledges/--donors/--fx/--skip-invalid."""
    from appeal.service import PlanFiles

    return PlanFiles(
        programmes=args.programmes,
        pledges=tuple(args.pledges),
        donors=args.donors,
        fx=args.fx,
        skip_invalid=args.skip_invalid,
    )


def print_import_problems(report: ImportReport, *, prefix: str = "error") -> None:
    """Every error (and warning) of an import on stderr, one per line, each naming its file,
    sheet, row and column."""
    for error in report.errors:
        print(f"{prefix}: {error}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def refused(report: ImportReport, what: str = "nothing was imported") -> str:
    """The closing line of a refused import, after :func:`print_import_problems`."""
    return (
        f"import refused: {len(report.errors)} error(s); {what} "
        "(fix the rows, or use --skip-invalid to keep the valid ones)"
    )


def plan_from_files(args: argparse.Namespace) -> tuple[Plan, dict[str, Any]]:
    """The plan named by the file options and its import report, as every command reads it:
    a refused import prints every error and raises InputError; rows rejected under
    --skip-invalid are printed as "rejected: ..." and the plan is returned."""
    from appeal import service
    from appeal.importer import ImportFailed

    if not (args.programmes and args.pledges):
        raise service.InputError(
            "--programmes and --pledges go together (or omit both for the register)"
        )
    try:
        plan, report = service.plan_from_files(plan_files(args))
    except ImportFailed as exc:
        print_import_problems(exc.report)
        raise service.InputError(refused(exc.report)) from None
    print_import_problems(report, prefix="rejected")
    return plan, report.to_dict()


def open_register(db: str | None) -> Register:
    """The register named by --db (else $APPEAL_DATABASE_URL, else the default file)."""
    from appeal.config import database_url
    from appeal.register import Register, RegisterError
    from appeal.service import InputError

    try:
        return Register(database_url(db))
    except RegisterError as exc:
        raise InputError(str(exc)) from None


def plan_from_register(register: Register) -> Plan:
    """The register's plan, or an InputError saying how to give one."""
    from appeal import service
    from appeal.register import RegisterError

    try:
        return service.plan_from_register(register)
    except service.NoPlan as exc:
        raise service.InputError(
            f"{exc} ({register.url}); import a plan with `appeal import` "
            "or give --programmes and --pledges"
        ) from None
    except RegisterError as exc:
        raise service.InputError(str(exc)) from None


def solve_run(
    args: argparse.Namespace,
    plan: Plan,
    scenario: Scenario,
    report: dict[str, Any] | None = None,
    register: Register | None = None,
) -> PlanRun:
    """The command's solve. A scenario with ``stability = "reference"`` needs the register
    for its reference (:mod:`appeal.stability`): ``register`` when the command has one open,
    else the one --db names, opened for the solve only."""
    from appeal import service

    if scenario.stability != "reference" or register is not None:
        return service.solve(plan, scenario, report, register=register)
    with open_register(args.db) as opened:
        return service.solve(plan, scenario, report, register=opened)


def wrote_json(command: str, data: Any, target: str) -> bool:
    """Write ``data`` as the command's JSON to ``target`` (a file, or "-" for stdout); False,
    with the reason on stderr, when the file cannot be written."""
    from appeal.report import write_json

    try:
        write_json(data, target)
    except OSError as exc:
        print(f"appeal {command}: error: cannot write {target}: {exc.strerror}", file=sys.stderr)
        return False
    return True
