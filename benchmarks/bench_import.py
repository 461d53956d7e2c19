"""Benchmark: importing a 10,000-row pledge workbook (target: under 3 s on this machine).

Usage::

    python benchmarks/bench_import.py            # 10,000 rows, 5 runs
    python benchmarks/bench_import.py --rows 2000 --runs 3

Generates a pledge workbook against the sample programmes (title row, header, HXL row, mixed
currencies, every earmarking category, some amounts as text and some explicit amount_YYYY
tranches), then times, as the median of several runs:

- ``load_plan``: read + parse + validate programmes, rates and the 10,000 pledges into a Plan;
- ``register``: storing that plan in a fresh SQLite register (one transaction);
- ``total``: both, i.e. what ``appeal import`` does.

Prints a table and writes benchmarks/results/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appeal.importer import SAMPLE_DIR, load_plan  # noqa: E402
from appeal.register import Register  # noqa: E402

TARGET_SECONDS = 3.0
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "SAR", "QAR", "NOK"]
SOFT = ["pillar:I", "pillar:II", "theme:gender", "theme:human_rights", "category:flagship"]
LINES = ["FLAG-01", "FLAG-02", "ENT-01", "ENT-07", "ENT-13", "LEAD-01", "COORD-04"]


def write_workbook(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    # A normal (not write-only) workbook records the sheet size like Excel does.
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    ws.append(["Benchmark pledges (synthetic)"])
    header = [
        "pledge_id",
        "donor",
        "amount",
        "currency",
        "year",
        "years",
        "earmarking",
        "earmark_to",
        "status",
        "psc_rate",
        "confidential",
        "amount_2027",
        "amount_2028",
    ]
    ws.append(header)
    ws.append(
        [
            "#meta+id",
            "#org+funder",
            "#value",
            "#currency",
            "#date+start",
            "#meta+years",
            "#meta+earmarking",
            "#meta+earmark",
            "#status",
            "#meta+psc",
            "#meta+confidential",
            "#value+y2027",
            "#value+y2028",
        ]
    )
    for i in range(rows):
        earmarking = rng.choice(
            ["unearmarked", "softly earmarked", "earmarked", "tightly earmarked"]
        )
        target = (
            ""
            if earmarking == "unearmarked"
            else (rng.choice(SOFT) if earmarking == "softly earmarked" else rng.choice(LINES))
        )
        amount = rng.randint(10, 5000) * 1000
        explicit = i % 10 == 0
        shown: object = f"{amount:,}" if i % 3 == 0 else amount
        ws.append(
            [
                f"B{i:06d}",
                f"Donor {rng.randint(1, 400)}",
                shown,
                rng.choice(CURRENCIES),
                2027 if explicit else rng.choice([2027, 2028, 2029]),
                None if explicit else rng.randint(1, 3),
                earmarking,
                target or None,
                rng.choice(["pledged", "committed", "paid"]),
                0.13,
                "no",
                amount // 2 if explicit else None,
                amount - amount // 2 if explicit else None,
            ]
        )
    wb.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = folder / "pledges.xlsx"
        write_workbook(book, args.rows)
        timings: dict[str, list[float]] = {"load_plan": [], "register": [], "total": []}
        cpu: list[float] = []
        for run in range(args.runs):
            c0 = time.process_time()
            t0 = time.perf_counter()
            plan, report = load_plan(
                SAMPLE_DIR / "programmes.xlsx", [book], fx=SAMPLE_DIR / "fx_rates.csv"
            )
            t1 = time.perf_counter()
            with Register(f"sqlite:///{folder / f'r{run}.sqlite'}") as register:
                register.import_plan(plan, report)
            t2 = time.perf_counter()
            cpu.append(time.process_time() - c0)
            timings["load_plan"].append(t1 - t0)
            timings["register"].append(t2 - t1)
            timings["total"].append(t2 - t0)
        assert report.rows_imported == args.rows, report.summary()
    medians = {k: statistics.median(v) for k, v in timings.items()}
    print(f"Import of a {args.rows:,}-row pledge workbook (median of {args.runs} runs)")
    print(f"{'phase':<12}{'median s':>10}{'min s':>10}{'max s':>10}")
    for phase, values in timings.items():
        print(f"{phase:<12}{medians[phase]:>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    print(f"{'total (CPU)':<12}{statistics.median(cpu):>10.3f}{min(cpu):>10.3f}{max(cpu):>10.3f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine load average (1 min): {load:.2f} on {os.cpu_count()} CPUs")
    verdict = "PASS" if medians["total"] < TARGET_SECONDS else "FAIL"
    print(f"target < {TARGET_SECONDS:.1f} s for the total: {verdict}")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "import.json").write_text(
        json.dumps(
            {
                "benchmark": "import",
                "rows": args.rows,
                "runs": args.runs,
                "median_seconds": medians,
                "all_seconds": timings,
                "median_cpu_seconds_total": statistics.median(cpu),
                "load_average_1min": load,
                "target_seconds": TARGET_SECONDS,
                "meets_target": medians["total"] < TARGET_SECONDS,
                "python": platform.python_version(),
                "machine": platform.machine(),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
