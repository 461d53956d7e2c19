"""Benchmark: how long writing the narrative appeal document takes (target: under 10 s).

The sample appeal (the bundled illustrative plan with its narrative columns, baseline
scenario) is solved once; then :func:`appeal.document.write_document` is timed — the content
built from the run, its charts drawn, the file rendered and written — as PDF and as Word,
``--repeat`` times each. The briefs of every donor (``appeal asks --all``, PDF) are timed too,
for reference (they re-solve the model once per line with a gap). The table shows the best and
median seconds, pages or parts, and the file size.

Usage::

    python -m benchmarks.bench_document              # 5 repeats
    python -m benchmarks.bench_document --repeat 3 --out /tmp/document.json

Results go to benchmarks/results/document.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appeal import pipeline
from appeal.asks import donor_profiles, write_asks
from appeal.document import write_document
from appeal.importer import load_sample_plan, sample_paths
from appeal.pipeline import PlanRun
from benchmarks._results import write_results

TARGET_SECONDS = 10.0
RESULTS = Path(__file__).resolve().parent / "results" / "document.json"
AS_AT = dt.date(2027, 1, 15)


def sample_run() -> PlanRun:
    plan, report = load_sample_plan()
    scenario = pipeline.load_scenario(sample_paths()["scenarios"][0])
    return pipeline.run(plan, scenario, report.to_dict())


def timed(write: Callable[[Path], Path], suffix: str, repeat: int) -> dict[str, Any]:
    seconds: list[float] = []
    size = 0
    with tempfile.TemporaryDirectory(prefix="bench_document_") as folder:
        path = Path(folder) / f"out{suffix}"
        for _ in range(repeat):
            start = time.perf_counter()
            write(path)
            seconds.append(time.perf_counter() - start)
            size = path.stat().st_size
    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "runs_s": seconds,
        "file_bytes": size,
    }


def bench(repeat: int) -> list[dict[str, Any]]:
    run = sample_run()
    cases: list[tuple[str, str, Callable[[Path], Path], float | None]] = [
        ("document", ".pdf", lambda p: write_document(p, run, as_at=AS_AT), TARGET_SECONDS),
        ("document", ".docx", lambda p: write_document(p, run, as_at=AS_AT), TARGET_SECONDS),
        (
            "briefs, every donor",
            ".pdf",
            lambda p: write_asks(p, run, donor_profiles(run), as_at=AS_AT),
            None,
        ),
    ]
    out = []
    for case, suffix, write, target in cases:
        figures = timed(write, suffix, repeat)
        row = {
            "case": case,
            "format": suffix.lstrip("."),
            "lines": len(run.plan.programmes),
            "donors": int(run.plan.pledges["donor"].nunique()),
            **figures,
            "target_s": target,
            "meets_target": None if target is None else figures["median_s"] < target,
        }
        out.append(row)
        verdict = "" if target is None else ("ok" if row["meets_target"] else "SLOW")
        print(
            f"{case:<20} {row['format']:<5} {row['best_s']:>8.2f} {row['median_s']:>9.2f} "
            f"{row['file_bytes'] / 1e6:>7.2f} {verdict:>6}",
            flush=True,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="writes per case (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON file ({RESULTS})")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    print(f"{'case':<20} {'fmt':<5} {'best s':>8} {'median s':>9} {'MB':>7} {'target':>6}")
    results = bench(args.repeat)
    write_results(args.out, "document", results, target_s=TARGET_SECONDS)
    return 1 if any(r["meets_target"] is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
