"""``appeal import``: validate pledge files and store them in the pledge register.

With ``--programmes`` the plan's reference tables (programmes, requirements, and ``--donors`` /
``--fx`` when given) are stored too; without it, pledges are checked against the programmes
already in the register. Strict by default (one invalid row refuses the whole import, nothing is
stored); ``--skip-invalid`` stores the valid rows and lists the rejected ones. Re-importing the
same file changes nothing (pledges are keyed by their id).
"""

from __future__ import annotations

import argparse
import sys

from appeal.commands.plan import print_report_errors
from appeal.config import database_url
from appeal.importer import ImportFailed, load_plan, load_pledges
from appeal.register import Register, RegisterError

HELP = "validate pledge files and store them in the pledge register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pledges", nargs="+", metavar="PLEDGES", help="pledge files (xlsx/csv)")
    parser.add_argument("--programmes", metavar="FILE", help="budget lines (stored too)")
    parser.add_argument("--donors", metavar="FILE", help="donor types and regions")
    parser.add_argument("--fx", metavar="FILE", help="exchange rates, units per USD")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="store the valid rows and report the rejected ones (default: refuse the import)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        register = Register(database_url(args.db))
    except RegisterError as exc:
        print(f"appeal import: error: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            if args.programmes:
                plan, report = load_plan(
                    args.programmes,
                    args.pledges,
                    donors=args.donors,
                    fx=args.fx,
                    skip_invalid=args.skip_invalid,
                )
            else:
                base = register.load_plan()
                if base.programmes.empty:
                    print(
                        "appeal import: error: the register has no programmes yet; "
                        "pass --programmes FILE (and --fx FILE for non-USD pledges)",
                        file=sys.stderr,
                    )
                    return 2
                plan, report = load_pledges(
                    base,
                    args.pledges,
                    donors=args.donors,
                    fx=args.fx,
                    skip_invalid=args.skip_invalid,
                )
        except ImportFailed as exc:
            print_report_errors(exc.report)
            print(
                f"appeal import: refused: {len(exc.report.errors)} error(s); nothing was stored",
                file=sys.stderr,
            )
            return 2
        print_report_errors(report, prefix="rejected")
        before = len(register.pledges())
        register.import_plan(plan, report)
        after = len(register.pledges())
        print(
            f"imported into {register.url}: {report.summary()}; "
            f"register now holds {after} pledges ({after - before:+d})"
        )
        return 0
    finally:
        register.close()
