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

from appeal.commands._options import (
    add_reference_options,
    add_skip_invalid_option,
    open_register,
    plan_files,
    print_import_problems,
    refused,
)

HELP = "validate pledge files and store them in the pledge register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pledges", nargs="+", metavar="PLEDGES", help="pledge files (xlsx/csv)")
    parser.add_argument("--programmes", metavar="FILE", help="budget lines (stored too)")
    add_reference_options(parser)
    add_skip_invalid_option(parser, "store")
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
    print(
        f"imported into {register.url}: {report.summary()}; register now holds "
        f"{outcome.pledges_after} pledges ({outcome.pledges_after - outcome.pledges_before:+d})"
    )
    return 0
