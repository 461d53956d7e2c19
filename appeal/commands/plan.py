"""``appeal plan``: the main job — import the plan's files, allocate, write JSON and workbook.

The files are the plan; the register (``--db``) is opened only when the scenario asks for
``stability = "reference"``, to load the reference it names (:mod:`appeal.stability`).

Exit codes: 0 success; 2 invalid input (every error on stderr with file, sheet, row, column and
reason; nothing is produced unless ``--skip-invalid``, which keeps the valid rows and lists the
rejected ones); 1 anything else (a clear message from appeal.cli).
"""

from __future__ import annotations

import argparse
import sys

from appeal.commands._options import add_plan_file_options, add_reveal_option, solve_run

HELP = "import programmes and pledges, allocate, and write the appeal (JSON / workbook)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_file_options(parser, required_note=" (required)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario TOML (default: baseline)")
    parser.add_argument("--out", metavar="FILE", help="write the appeal workbook (.xlsx)")
    parser.add_argument("--json", metavar="FILE", help="write result JSON ('-' for stdout)")
    add_reveal_option(parser)
    parser.add_argument("--hxl", action="store_true", help="add HXL hashtag rows to the workbook")


def run(args: argparse.Namespace) -> int:
    if not args.programmes or not args.pledges:
        print(
            "appeal plan: error: --programmes FILE and at least one --pledges FILE are required\n"
            "example: appeal plan --programmes sample_data/programmes.xlsx "
            "--pledges sample_data/pledges.xlsx --fx sample_data/fx_rates.csv --json result.json",
            file=sys.stderr,
        )
        return 2
    from appeal import service
    from appeal.commands._options import plan_from_files
    from appeal.report import result_json, summary_lines, write_json
    from models.scenario import ScenarioError

    try:
        if args.out:
            try:
                service.check_export_target(args.out)
            except service.InputError as exc:
                raise service.InputError(f"--out {args.out}: {exc}") from None
        try:
            scenario = service.load_scenario(args.scenario)
        except ScenarioError as exc:
            raise service.InputError(f"scenario: {exc}") from None
        plan, report = plan_from_files(args)
        service.check_scenario_donors(plan, scenario, args.scenario)
        run = solve_run(args, plan, scenario, report)
    except service.InputError as exc:
        print(f"appeal plan: error: {exc}", file=sys.stderr)
        return 2
    data = result_json(run, reveal_confidential=args.reveal_confidential)
    out = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON
    if args.json:
        try:
            write_json(data, args.json)
        except OSError as exc:
            print(f"appeal plan: error: cannot write {args.json}: {exc.strerror}", file=sys.stderr)
            return 1
    if args.out:
        try:
            service.export_workbook(
                args.out, run, reveal_confidential=args.reveal_confidential, hxl=args.hxl
            )
        except service.InputError as exc:
            print(f"appeal plan: error: --out {args.out}: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(data):
        print(line, file=out)
    if not run.result.ok:
        # The JSON (if asked for) still records the solver's status and message.
        solver = run.result.solver
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
