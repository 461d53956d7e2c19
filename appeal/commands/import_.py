"""``appeal import``: validate pledge files and store them in the pledge register.

With ``--programmes`` the plan's reference tables (programmes, requirements, and ``--donors`` /
``--fx`` when given) are stored too; without it, pledges are checked against the programmes
already in the register. Strict by default (one invalid row refuses the whole import, nothing is
stored); ``--skip-invalid`` stores the valid rows and lists the rejected ones. Re-importing the
same file changes nothing (pledges are keyed by their id). A pledge id the register already
holds from another file refuses the import (exit 2, nothing stored) unless
``--replace-existing``, which replaces those pledges and lists each one.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from appeal.commands._options import (
    add_read_options,
    add_reference_options,
    add_skip_invalid_option,
    open_register,
    plan_files,
    print_import_problems,
    refused,
)

if TYPE_CHECKING:
    from appeal.importer import ImportReport

HELP = "validate pledge files and store them in the pledge register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pledges", nargs="+", metavar="PLEDGES", help="pledge files (xlsx/csv)")
    parser.add_argument("--programmes", metavar="FILE", help="budget lines (stored too)")
    add_reference_options(parser)
    add_skip_invalid_option(parser, "store")
    add_read_options(parser)
    parser.add_argument(
        "--rejected-out",
        metavar="FILE",
        help="write the rejected rows, with a reason column, to this workbook (.xlsx)",
    )
    parser.add_argument(
        "--replace-existing",
        action="store_true",
        help="replace stored pledges whose pledge_id comes again from another file (each "
        "replacement is listed; default: refuse the import)",
    )


def run(args: argparse.Namespace) -> int:
    from appeal import service
    from appeal.importer import ImportFailed
    from appeal.register import RegisterError

    if args.rejected_out and not str(args.rejected_out).lower().endswith(".xlsx"):
        print("appeal import: error: --rejected-out must name an .xlsx file", file=sys.stderr)
        return 2
    try:
        with open_register(args.db) as register:
            outcome = service.import_files(
                register, plan_files(args), replace_existing=args.replace_existing
            )
    except RegisterError as exc:
        print(f"appeal import: error: {exc}", file=sys.stderr)
        return 2
    except ImportFailed as exc:
        print_import_problems(exc.report)
        _write_rejected(args, exc.report)
        print(f"appeal import: error: {refused(exc.report, 'nothing was stored')}", file=sys.stderr)
        return 2
    except service.NoPlan as exc:
        print(
            f"appeal import: error: {exc}; pass --programmes FILE "
            "(and --fx FILE for non-USD pledges)",
            file=sys.stderr,
        )
        return 2
    except service.InputError as exc:
        print(f"appeal import: error: {exc}", file=sys.stderr)
        return 2
    report = outcome.report
    print_import_problems(report, prefix="rejected")
    _write_rejected(args, report)
    reduced, removed = report.stored_changes()
    refunds = (
        f"; refunds and reversals reduced {reduced} and removed {removed} stored pledges"
        if report.adjusted_stored
        else ""
    )
    print(
        f"imported into {register.url}: {report.summary()}{refunds}; register now holds "
        f"{outcome.pledges_after} pledges ({outcome.pledges_after - outcome.pledges_before:+d})"
    )
    return 0


def _write_rejected(args: argparse.Namespace, report: ImportReport) -> None:
    """--rejected-out: the refused rows as a workbook (when any row or file was refused)."""
    if not args.rejected_out or not report.errors:
        return
    from appeal.rejected import write_rejected_rows

    try:
        path = write_rejected_rows(report, args.rejected_out)
    except OSError as exc:
        print(
            f"appeal import: error: cannot write {args.rejected_out}: {exc.strerror}",
            file=sys.stderr,
        )
        return
    print(f"rejected rows written to {path} ({len(report.rejected)} rows)", file=sys.stderr)
