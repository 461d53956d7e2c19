"""Benchmark: pledge-risk simulation (N draws re-solving the allocation model).

Target (issue 14): 1,000 draws at size M (``models.synthetic.SIZES["M"]``) in under 3 s on
this machine (2 cores), every lexicographic stage of every draw included (the default
scenario has targets on: value, earmarks, targets, early years).

Usage::

    python -m benchmarks.bench_risk                      # M, 1000 draws, 2 workers
    python -m benchmarks.bench_risk --size S --draws 200 # quicker, while developing
    python -m benchmarks.bench_risk --workers 1 2        # compare worker counts

Prints a table, then where one draw's time goes (medians over ``--profile`` draws solved in
this process: money per pool from the draw, each stage's solve, reading the solution back),
and writes ``benchmarks/results/risk.json``. Each run also checks that the result does not
depend on the worker count (same seed -> identical totals).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from models import allocation, risk
from models.scenario import Scenario
from models.synthetic import SIZES, synthetic_plan

RESULTS = Path(__file__).resolve().parent / "results" / "risk.json"
TARGET_SECONDS = 3.0


def bench(size: str, draws: int, workers: int, seed: int) -> dict[str, Any]:
    n_donors, n_pledges, n_lines, n_years = SIZES[size]
    plan = synthetic_plan(n_donors, n_pledges, n_lines, n_years, seed=seed)
    scenario = Scenario()
    t0 = time.perf_counter()
    baseline = allocation.allocate(plan, scenario, sensitivity=False)
    solve_seconds = time.perf_counter() - t0
    result = risk.simulate(plan, scenario, draws=draws, seed=seed, workers=workers)
    risky = int((result.pledges["probability"] < 1.0).sum())
    unique = len({round(x, 2) for x in result.total_funded_draws})
    return {
        "size": size,
        "donors": n_donors,
        "pledges": n_pledges,
        "lines": n_lines,
        "years": n_years,
        "risky_pledges": risky,
        "draws": draws,
        "draws_done": result.draws_done,
        "failed_draws": result.failed_draws,
        "workers": result.workers,
        "single_solve_seconds": solve_seconds,
        "seconds": result.seconds,
        "draws_per_second": result.draws_done / result.seconds if result.seconds > 0 else None,
        "distinct_outcomes": unique,
        "baseline_funded_usd": float(baseline.lines["funded_usd"].sum()),
        "funded_p10": result.totals["funded_p10"],
        "funded_p50": result.totals["funded_p50"],
        "funded_p90": result.totals["funded_p90"],
        "target_seconds": TARGET_SECONDS if (size, draws) == ("M", 1000) else None,
        "meets_target": (result.seconds < TARGET_SECONDS) if (size, draws) == ("M", 1000) else None,
    }


def profile_draws(size: str, draws: int, seed: int) -> dict[str, float]:
    """Median seconds per draw of each part of a re-solve, over ``draws`` draws solved in
    this process as the simulation's workers solve them (warm-started, one model)."""
    n_donors, n_pledges, n_lines, n_years = SIZES[size]
    plan = synthetic_plan(n_donors, n_pledges, n_lines, n_years, seed=seed)
    scenario = Scenario()
    model = allocation.AllocationModel.build(plan, scenario)
    probs = risk.pledge_probabilities(plan, scenario.risk)
    risky = probs[probs["probability"] < 1.0]
    codes = model.reader.pledge_codes(risky["pledge_id"].tolist())
    rng = np.random.default_rng(seed)
    parts: dict[str, list[float]] = {}
    for _ in range(draws):
        factor = np.ones(model.reader.n_pledge_codes + 1)
        factor[codes] = (rng.random(len(codes)) < risky["probability"].to_numpy()).astype(float)
        factor[-1] = 1.0
        t0 = time.perf_counter()
        supply, firm = model.reader.supply_for(factor)
        t1 = time.perf_counter()
        outcome = model.run_stages(model.money(supply)).outcome
        t2 = time.perf_counter()
        if outcome.values is not None:
            flows = model.reader.flows(outcome.values, supply)
            model.reader.funded_and_firm(flows, supply, firm)
            model.reader.min_viable_funded(outcome.values)
        t3 = time.perf_counter()
        solver = sum(st.seconds for st in outcome.stages)
        for name, seconds in (
            ("supply", t1 - t0),
            ("stages (all)", t2 - t1),
            ("stages: python around the solver", t2 - t1 - solver),
            ("read solution", t3 - t2),
            ("total", t3 - t0),
        ):
            parts.setdefault(name, []).append(seconds)
        for st in outcome.stages:
            parts.setdefault(f"stage {st.name}", []).append(st.seconds)
    return {k: statistics.median(v) for k, v in parts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="M")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--profile", type=int, default=200, help="draws for the breakdown")
    args = parser.parse_args(argv)

    rows = [bench(args.size, args.draws, w, args.seed) for w in args.workers]
    if len(rows) > 1:
        same = len({(r["funded_p10"], r["funded_p50"], r["funded_p90"]) for r in rows}) == 1
        for r in rows:
            r["identical_across_workers"] = same

    cols = [
        ("size", "size"),
        ("pledges", "pledges"),
        ("risky_pledges", "risky"),
        ("draws_done", "draws"),
        ("workers", "workers"),
        ("single_solve_seconds", "1 solve s"),
        ("seconds", "total s"),
        ("draws_per_second", "draws/s"),
        ("distinct_outcomes", "distinct"),
        ("meets_target", "< 3 s"),
    ]
    cells = [[_fmt(r[k]) for k, _ in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h) in enumerate(cols)]
    print("  ".join(h.rjust(w) for (_, h), w in zip(cols, widths, strict=True)))
    for c in cells:
        print("  ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)))

    breakdown = profile_draws(args.size, args.profile, args.seed) if args.profile else {}
    if breakdown:
        print(f"one draw (median of {args.profile}, ms):")
        for name, seconds in breakdown.items():
            print(f"  {name:<36} {seconds * 1e3:7.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "risk",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": rows,
        "per_draw_seconds": breakdown,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return "-" if value is None else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
