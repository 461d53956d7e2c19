"""Benchmark: how long writing the multiyear appeal workbook takes (target: L-size < 5 s).

For each synthetic plan size (:data:`models.synthetic.SIZES`) the script allocates the plan
twice and times :func:`appeal.workbook.write_appeal_workbook` on both:

``engine``  the allocation :func:`appeal.pipeline.run` gives (whatever engine is installed);
``dense``   a deliberately large allocation: every tranche spread over up to 12 eligible
            line-years (capped at their need), so the Allocation plan sheet holds tens of
            thousands of rows at L size — the worst case the export must handle.

Only the export is timed (not the import or the allocation). Each case is written ``--repeat``
times; the table shows the best and median seconds, allocation rows, and the file size. The
XML library openpyxl runs on (lxml when installed, else et_xmlfile) is printed and recorded:
the workbook engine must be as fast on both; compare with ``OPENPYXL_LXML=False``.

Usage::

    python -m benchmarks.bench_export                 # sizes S M L, 3 repeats
    python -m benchmarks.bench_export --sizes L --repeat 5
    python -m benchmarks.bench_export --sizes S --out /tmp/export.json

Results go to benchmarks/results/export.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from appeal import pipeline
from appeal.pipeline import PlanRun
from appeal.workbook import write_appeal_workbook
from benchmarks._results import write_results
from models.eligibility import EligibilityIndex
from models.plan import FIRM_STATUSES, Plan
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario
from models.synthetic import SIZES, synthetic_plan

TARGET_SECONDS = {"L": 5.0}
RESULTS = Path(__file__).resolve().parent / "results" / "export.json"
SPREAD = 12


def dense_result(plan: Plan) -> AllocationResult:
    """A consistent allocation with many rows: each tranche spread evenly over up to SPREAD
    eligible line-years in or after its year (capped at their remaining need)."""
    index = EligibilityIndex(plan.programmes)
    need: dict[tuple[str, int], float] = {
        (str(r["line_id"]), int(r["year"])): float(r["requirement_usd"])
        for r in plan.requirements.to_dict("records")
    }
    by_line: dict[str, list[tuple[str, int]]] = {}
    for key in sorted(need):
        by_line.setdefault(key[0], []).append(key)
    pledges: dict[str, dict[Any, Any]] = {
        str(p["pledge_id"]): p for p in plan.pledges.to_dict("records")
    }
    eligible_cache: dict[tuple[str, str], list[str]] = {}
    rows: list[tuple[Any, ...]] = []
    left: list[tuple[Any, ...]] = []
    for t in plan.tranches.to_dict("records"):
        p = pledges[str(t["pledge_id"])]
        ek = (str(p["earmarking"]), str(p["earmark_to"] or ""))
        if ek not in eligible_cache:
            eligible_cache[ek] = sorted(index.lines_for(*ek))
        year = int(t["year"])
        slots = [
            k
            for line in eligible_cache[ek]
            for k in by_line.get(line, [])
            if k[1] >= year and need[k] > 0
        ][:SPREAD]
        money = float(t["programmable_usd"])
        for key in slots:
            give = min(money / len(slots), need[key])
            need[key] -= give
            money -= give
            rows.append((t["pledge_id"], p["donor"], key[0], key[1], give, year, str(p["status"])))
        if money > 1e-9:
            left.append((t["pledge_id"], p["donor"], money, "eligible_lines_fully_funded"))
    alloc = pd.DataFrame(
        rows,
        columns=["pledge_id", "donor", "line_id", "year", "amount_usd", "source_year", "status"],
    )
    funded = alloc.groupby(["line_id", "year"])["amount_usd"].sum()
    firm = alloc.loc[alloc["status"].isin(FIRM_STATUSES)].groupby(["line_id", "year"])
    firm_sum = firm["amount_usd"].sum()
    lines = plan.requirements.copy()
    keys = list(zip(lines["line_id"].astype(str), lines["year"].astype(int), strict=True))
    lines["funded_usd"] = [float(funded.get(k, 0.0)) for k in keys]
    lines["firm_usd"] = [float(firm_sum.get(k, 0.0)) for k in keys]
    lines["gap_usd"] = lines["requirement_usd"] - lines["funded_usd"]
    return AllocationResult(
        allocations=alloc,
        unallocated=pd.DataFrame(left, columns=["pledge_id", "donor", "amount_usd", "reason"]),
        lines=lines,
        targets=pd.DataFrame(columns=["name", "target", "achieved", "shortfall_usd"]),
        solver=SolverInfo(name="dense-benchmark", status="optimal", seconds=0.0),
    )


def time_export(run: PlanRun, repeat: int) -> dict[str, Any]:
    seconds: list[float] = []
    size = 0
    with tempfile.TemporaryDirectory(prefix="bench_export_") as folder:
        path = Path(folder) / "appeal.xlsx"
        for _ in range(repeat):
            start = time.perf_counter()
            write_appeal_workbook(path, run)
            seconds.append(time.perf_counter() - start)
            size = path.stat().st_size
    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "runs_s": seconds,
        "file_bytes": size,
    }


def bench(sizes: list[str], repeat: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for size in sizes:
        n_donors, n_pledges, n_lines, n_years = SIZES[size]
        plan = synthetic_plan(n_donors, n_pledges, n_lines, n_years, seed=1)
        engine_run = pipeline.run(plan, Scenario())
        dense_run = PlanRun(plan, Scenario(), dense_result(plan), {})
        for case, run in (("engine", engine_run), ("dense", dense_run)):
            figures = time_export(run, repeat)
            target = TARGET_SECONDS.get(size)
            out.append(
                {
                    "size": size,
                    "case": case,
                    "pledges": len(plan.pledges),
                    "lines": len(plan.programmes),
                    "years": n_years,
                    "allocation_rows": len(run.result.allocations),
                    "solver": run.result.solver.name,
                    **figures,
                    "target_s": target,
                    "meets_target": None if target is None else figures["median_s"] < target,
                }
            )
            row = out[-1]
            print(
                f"{size:>4} {case:<7} {row['pledges']:>7} {row['allocation_rows']:>9} "
                f"{row['best_s']:>8.2f} {row['median_s']:>8.2f} {row['file_bytes'] / 1e6:>8.2f}"
                f" {'' if target is None else ('ok' if row['meets_target'] else 'SLOW'):>6}",
                flush=True,
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"], choices=sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="writes per case (default 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON file ({RESULTS})")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    xml_library = "lxml" if openpyxl.LXML else "et_xmlfile"
    print(f"openpyxl {openpyxl.__version__} writing XML with {xml_library}")
    print(f"{'size':>4} {'case':<7} {'pledges':>7} {'alloc rows':>9} {'best s':>8} "
          f"{'median s':>8} {'MB':>8} {'target':>6}")  # fmt: skip
    results = bench(args.sizes, args.repeat)
    write_results(
        args.out, "export", results, openpyxl=openpyxl.__version__, xml_library=xml_library
    )
    slow = [r for r in results if r["meets_target"] is False]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
