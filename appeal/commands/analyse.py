"""``appeal analyse``: gaps, donor-base breadth, donor-loss stress and pledge-risk simulation.

Reads the plan from files (``--programmes`` and ``--pledges``, as ``appeal plan``) or, when
those are omitted, from the pledge register (``--db``). Prints a readable summary (tables) and
with ``--json FILE`` writes every figure (confidential donors anonymised unless
``--reveal-confidential``). Exit codes: 0 success, 2 invalid input (clear message on stderr).

Examples::

    appeal analyse --programmes programmes.xlsx --pledges pledges.xlsx --fx fx.csv \\
        --stress-top 3 --draws 500 --seed 7 --json analysis.json
    appeal analyse --stress-donors "Saudi Arabia" Qatar --draws 0
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appeal.commands._options import (
    add_plan_file_options,
    add_reveal_option,
    open_register,
    plan_from_register,
    solve_run,
    wrote_json,
)
from appeal.terminal import pct, table, usd

if TYPE_CHECKING:
    from models.plan import Plan

HELP = "analyse gaps, donor-base breadth, donor-loss stress and pledge risk"


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_argument_group("plan source (default: the pledge register, see --db)")
    add_plan_file_options(src)
    parser.add_argument("--scenario", metavar="FILE", help="scenario TOML (default: baseline)")
    parser.add_argument(
        "--previous-donors",
        metavar="FILE",
        help="donors of the previous appeal cycle (csv with a 'donor' column, or one per line) "
        "to count new donors",
    )
    parser.add_argument(
        "--stress-top",
        metavar="K",
        type=_non_negative,
        default=3,
        help="stress cases without the top 1..K donors (default 3; 0: none)",
    )
    parser.add_argument(
        "--stress-donors",
        metavar="NAME",
        nargs="+",
        action="append",
        default=[],
        help="a stress case without these donors together (repeat for more cases)",
    )
    parser.add_argument(
        "--draws",
        metavar="N",
        type=_non_negative,
        default=None,
        help="pledge-risk simulation draws (default: the scenario's risk.draws; 0: skip)",
    )
    parser.add_argument("--seed", metavar="S", type=_non_negative, help="simulation seed")
    parser.add_argument(
        "--workers", metavar="W", type=_positive, default=2, help="simulation processes (2)"
    )
    parser.add_argument("--json", metavar="FILE", help="write every figure as JSON ('-': stdout)")
    add_reveal_option(parser)


# -- input --------------------------------------------------------------------------------------
def _load_plan(args: argparse.Namespace) -> tuple[Plan, dict[str, Any]]:
    if args.programmes or args.pledges:
        from appeal.commands._options import plan_from_files

        return plan_from_files(args)
    with open_register(args.db) as register:
        return plan_from_register(register), {}


def _previous_donors(path: str | None) -> list[str] | None:
    if not path:
        return None
    from appeal.service import InputError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{p}: cannot read previous donors: {exc.strerror}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return []
    header = [h.strip().casefold() for h in rows[0]]
    if "donor" in header:
        col = header.index("donor")
        return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]
    return [line.strip() for line in text.splitlines() if line.strip()]


# -- output -------------------------------------------------------------------------------------
def summary(data: dict[str, Any]) -> str:
    """The terminal summary of :meth:`models.analytics.PlanRun.to_dict` output."""
    out: list[str] = []
    head = str(data.get("title", "Appeal"))
    if data.get("illustrative"):
        head += " (ILLUSTRATIVE figures)"
    years = data.get("years") or []
    span = f"{years[0]}-{years[-1]}" if years else "no years"
    solver = data.get("solver", {})
    out.append(f"{head}\nscenario {data.get('scenario')}, {span}, solver {solver.get('status')}")
    for w in data.get("warnings", []):
        out.append(f"warning: {w}")

    t = data["totals"]
    out.append(
        table(
            ["requirement", "funded", "firm", "pledged only", "gap", "coverage", "firm cov."],
            [
                [
                    usd(t["requirement_usd"]),
                    usd(t["funded_usd"]),
                    usd(t["firm_usd"]),
                    usd(t["pledged_only_usd"]),
                    usd(t["gap_usd"]),
                    pct(t["coverage"]),
                    pct(t["firm_coverage"]),
                ]
            ],
            title="\nTotals (USD, programmable)",
        )
    )
    gap_headers = ["requirement", "funded", "firm", "pledged only", "gap", "coverage"]

    def gap_rows(rows: list[dict[str, Any]], key: str) -> list[list[Any]]:
        return [
            [
                r[key],
                usd(r["requirement_usd"]),
                usd(r["funded_usd"]),
                usd(r["firm_usd"]),
                usd(r["pledged_only_usd"]),
                usd(r["gap_usd"]),
                pct(r["coverage"]),
            ]
            for r in rows
        ]

    g = data["gaps"]
    out.append(
        table(
            ["category", *gap_headers],
            gap_rows(g["category"], "category"),
            title="\nGaps by category",
        )
    )
    out.append(table(["year", *gap_headers], gap_rows(g["year"], "year"), title="\nGaps by year"))
    if g.get("category_year"):
        cats = list(dict.fromkeys(r["category"] for r in g["category_year"]))
        yrs = sorted({int(r["year"]) for r in g["category_year"]})
        cell = {(r["category"], int(r["year"])): r for r in g["category_year"]}
        rows = []
        for c in cats:
            row: list[Any] = [c]
            for y in yrs:
                r = cell.get((c, y))
                row.append(f"{usd(r['gap_usd'])} ({pct(r['coverage'], 0)})" if r else "-")
            rows.append(row)
        out.append(
            table(
                ["category", *[str(y) for y in yrs]],
                rows,
                title="\nGap (coverage) by category and year",
            )
        )

    b = data["donor_base"]
    out.append(
        table(
            ["donors", "flexible donors", "HHI", "effective", "top 1", "top 3", "top 5", "Gini"],
            [
                [
                    b["donor_count"],
                    b["flexible_donor_count"],
                    f"{b['hhi']:.0f}",
                    f"{b['effective_donors']:.1f}",
                    pct(b["top1_share"]),
                    pct(b["top3_share"]),
                    pct(b["top5_share"]),
                    f"{b['gini']:.2f}",
                ]
            ],
            title="\nDonor base (programmable USD pledged in the horizon)",
        )
    )
    flex_line = (
        f"flexible (unearmarked + softly earmarked): {pct(b['flexible_share'])} "
        f"against the Grand Bargain aim of {pct(b['grand_bargain_target'], 0)}; "
        f"multi-year: {pct(b['multiyear_share'])}"
    )
    if b.get("new_donors") is not None:
        flex_line += f"; new donors: {b['new_donor_count']} ({pct(b['new_donor_share'])})"
    out.append(flex_line)
    out.append(
        table(
            ["earmarking", "share"],
            [[k.replace("_", " "), pct(v)] for k, v in b["by_earmarking"].items()],
        )
    )
    out.append(
        table(
            ["largest donors", "programmable", "share", "type", "region"],
            [
                [
                    d["donor"],
                    usd(d["programmable_usd"]),
                    pct(d["share"]),
                    d["donor_type"],
                    d["region"],
                ]
                for d in b["donors"][:5]
            ],
        )
    )

    s = data.get("stress")
    if s and s["cases"]:
        rows = []
        for case in s["cases"]:
            tot = case["totals"]
            label = case["label"]
            if label.startswith("top "):
                label += " (" + ", ".join(case["removed_donors"]) + ")"
            rows.append(
                [
                    label,
                    usd(case["removed_usd"]),
                    usd(tot["funded_after"]),
                    "+" + usd(tot["gap_change"]),
                    f"{case['breadth_after']['hhi']:.0f}",
                    ", ".join(case["below_min_viable"]) or "none",
                ]
            )
        out.append(
            table(
                [
                    "donor-loss case",
                    "removed",
                    "funded after",
                    "gap change",
                    "HHI after",
                    "below min. viable",
                ],
                rows,
                title="\nDonor-loss stress (re-solved without the donors)",
                max_width=60,
            )
        )

    r = data.get("risk")
    if r:
        tot = r["totals"]
        note = (
            f"{r['draws_done']} of {r['draws']} draws, seed {r['seed']}, "
            f"{r['workers']} worker(s), {r['seconds']:.1f}s"
        )
        if r["cancelled"]:
            note += " (cancelled)"
        if r["failed_draws"]:
            note += f", {r['failed_draws']} failed draws left out"
        out.append(
            table(
                ["", "P10", "P50", "P90"],
                [
                    [
                        "funded",
                        usd(tot["funded_p10"]),
                        usd(tot["funded_p50"]),
                        usd(tot["funded_p90"]),
                    ],
                    ["firm", usd(tot["firm_p10"]), usd(tot["firm_p50"]), usd(tot["firm_p90"])],
                    ["gap", usd(tot["gap_p10"]), usd(tot["gap_p50"]), usd(tot["gap_p90"])],
                ],
                title=f"\nPledge-risk simulation ({note})",
            )
        )
        if r["min_viable"]:
            mv = sorted(
                r["min_viable"], key=lambda x: (x["probability_funded"] or 0.0, x["line_id"])
            )
            out.append(
                table(
                    ["min-viable programme", "name", "min. share", "P(funded)"],
                    [
                        [
                            m["line_id"],
                            m["name"],
                            pct(m["min_viable_share"], 0),
                            pct(m["probability_funded"]),
                        ]
                        for m in mv[:10]
                    ],
                )
            )
    return "\n".join(out)


# -- command ------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    from appeal import service
    from appeal.report import for_outside_readers, json_safe, write_json
    from models.allocation import AllocationInputError
    from models.privacy import donor_aliases
    from models.risk import RiskError
    from models.scenario import ScenarioError
    from models.stress import UnknownDonor

    try:
        plan, import_report = _load_plan(args)
        scenario = service.load_scenario(args.scenario)
        previous = _previous_donors(args.previous_donors)
        draws = scenario.risk.draws if args.draws is None else int(args.draws)
        progress = _progress_printer() if draws > 0 and sys.stderr.isatty() else None
        # Solved as `appeal plan` solves it: with the stability reference from the register
        # when the scenario asks for one.
        solved = solve_run(args, plan, scenario, import_report)
        analysis = service.analyse(
            plan,
            scenario,
            solved.result,
            import_report=import_report,
            previous_donors=previous,
            stress_top=int(args.stress_top),
            stress_donors=[list(s) for s in args.stress_donors],
            draws=draws,
            seed=args.seed,
            workers=int(args.workers),
            progress=progress,
        )
    except (
        service.InputError,
        UnknownDonor,
        RiskError,
        ScenarioError,
        AllocationInputError,
    ) as exc:
        print(f"appeal analyse: error: {exc}", file=sys.stderr)
        return 2
    data = json_safe(analysis.to_dict(reveal=bool(args.reveal_confidential)))
    if import_report:
        data["import_report"] = json_safe(import_report)
    if not args.reveal_confidential:
        data = for_outside_readers(data, donor_aliases(plan))
    if args.json == "-":
        write_json(data, "-")
        print(summary(data), file=sys.stderr)
        return 0
    print(summary(data))
    if args.json:
        if not wrote_json("analyse", data, args.json):
            return 2
        print(f"\nwrote {args.json}")
    return 0


def _progress_printer() -> Any:
    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done >= total else ""
        print(
            f"\rsimulating [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run this command alone (tests): ``main(["--programmes", ...])``."""
    parser = argparse.ArgumentParser(prog="appeal analyse")
    parser.add_argument("--db", default=None)
    add_arguments(parser)
    return run(parser.parse_args(argv))
