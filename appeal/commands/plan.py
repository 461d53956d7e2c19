"""``appeal plan``: the main job — import the plan's files, allocate, write JSON and workbook.

Exit codes: 0 success; 2 invalid input (every error on stderr with file, sheet, row, column and
reason; nothing is produced unless ``--skip-invalid``, which keeps the valid rows and lists the
rejected ones); 1 anything else (a clear message from appeal.cli).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from appeal import pipeline
from appeal.commands._options import add_plan_file_options, add_reveal_option
from appeal.importer import ImportFailed, ImportReport, load_plan
from appeal.report import result_json, summary_lines
from models.scenario import ScenarioError

HELP = "import programmes and pledges, allocate, and write the appeal (JSON / workbook)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_file_options(parser, required_note=" (required)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario TOML (default: baseline)")
    parser.add_argument("--out", metavar="FILE", help="write the appeal workbook (.xlsx)")
    parser.add_argument("--json", metavar="FILE", help="write result JSON ('-' for stdout)")
    add_reveal_option(parser)
    parser.add_argument("--hxl", action="store_true", help="add HXL hashtag rows to the workbook")


def print_report_errors(report: ImportReport, *, prefix: str = "error") -> None:
    """Every error (and warning) of an import on stderr, one per line."""
    for error in report.errors:
        print(f"{prefix}: {error}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if not args.programmes or not args.pledges:
        print(
            "appeal plan: error: --programmes FILE and at least one --pledges FILE are required\n"
            "example: appeal plan --programmes sample_data/programmes.xlsx "
            "--pledges sample_data/pledges.xlsx --fx sample_data/fx_rates.csv --json result.json",
            file=sys.stderr,
        )
        return 2
    if args.out:
        from appeal.workbook import WorkbookError, check_target

        try:
            check_target(args.out)
        except WorkbookError as exc:
            print(f"appeal plan: error: --out {args.out}: {exc}", file=sys.stderr)
            return 2
    try:
        scenario = pipeline.load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"appeal plan: error: scenario: {exc}", file=sys.stderr)
        return 2
    try:
        plan, report = load_plan(
            args.programmes,
            args.pledges,
            donors=args.donors,
            fx=args.fx,
            skip_invalid=args.skip_invalid,
        )
    except ImportFailed as exc:
        print_report_errors(exc.report)
        print(
            f"appeal plan: import refused: {len(exc.report.errors)} error(s); nothing was "
            "imported (fix the rows, or use --skip-invalid to keep the valid ones)",
            file=sys.stderr,
        )
        return 2
    print_report_errors(report, prefix="rejected")
    result = pipeline.run(plan, scenario, report.to_dict())
    data = result_json(result, reveal_confidential=args.reveal_confidential)
    out = sys.stdout
    if args.json == "-":
        json.dump(data, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
        out = sys.stderr  # keep stdout pure JSON
    elif args.json:
        path = Path(args.json)
        try:
            path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"appeal plan: error: cannot write {path}: {exc.strerror}", file=sys.stderr)
            return 1
    if args.out:
        from appeal.workbook import WorkbookError, write_appeal_workbook

        try:
            write_appeal_workbook(
                Path(args.out), result, reveal_confidential=args.reveal_confidential, hxl=args.hxl
            )
        except WorkbookError as exc:
            print(f"appeal plan: error: --out {args.out}: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(data):
        print(line, file=out)
    if not result.result.ok:
        # The JSON (if asked for) still records the solver's status and message.
        solver = result.result.solver
        print(
            f"appeal plan: error: the allocation failed ({solver.status}): {solver.message}",
            file=sys.stderr,
        )
        return 1
    if args.json and args.json != "-":
        print(f"  result JSON: {args.json}", file=out)
    if args.out:
        print(f"  appeal workbook: {args.out}", file=out)
    return 0
