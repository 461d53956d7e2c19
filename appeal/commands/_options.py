"""Options shared by the commands that read a plan from files (plan, analyse, export), and
the reading of the plan those options name."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from models.plan import Plan


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
    target.add_argument("--donors", metavar="FILE", help="donor types and regions (optional)")
    target.add_argument("--fx", metavar="FILE", help="exchange rates, units per USD")
    target.add_argument(
        "--skip-invalid",
        action="store_true",
        help="keep the valid rows and report the rejected ones (default: refuse the import)",
    )


def add_reveal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reveal-confidential",
        action="store_true",
        help="show confidential donors' names (internal use only)",
    )


class InputError(Exception):
    """User input is invalid; the message says what and where (the command exits 2)."""


def plan_from_files(args: argparse.Namespace) -> tuple[Plan, dict[str, Any]]:
    """The plan named by --programmes/--pledges/--donors/--fx, and its import report.
    Rows skipped under --skip-invalid are reported on stderr."""
    if not (args.programmes and args.pledges):
        raise InputError("--programmes and --pledges go together (or omit both for the register)")
    from appeal.importer import ImportFailed, load_plan

    try:
        plan, report = load_plan(
            args.programmes,
            args.pledges,
            donors=args.donors,
            fx=args.fx,
            skip_invalid=args.skip_invalid,
        )
    except ImportFailed as exc:
        raise InputError(str(exc)) from None
    for err in report.errors:
        print(f"skipped: {err}", file=sys.stderr)
    return plan, report.to_dict()
