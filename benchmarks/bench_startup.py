"""Benchmark: how long whole ``appeal`` commands take, start to exit (hyperfine-like).

Usage::

    python -m benchmarks.bench_startup                       # this checkout, 15 runs each
    python -m benchmarks.bench_startup --runs 30 --warmup 2
    python -m benchmarks.bench_startup --root /path/to/other/checkout --out other.json

Each command runs as a fresh ``python -m appeal ...`` process (the interpreter's own start
included, as a user pays it), ``--warmup`` times unmeasured and then ``--runs`` times; the
figure is the median wall time, with min, max and the spread between the quartiles. ``--root``
times another checkout of the project (it is put first on PYTHONPATH and is the working
directory), so two versions can be compared in one session on one machine.

Commands timed (targets on this machine, medians):

- ``help``: ``appeal --help`` — target under 0.3 s: nothing heavy may be imported to parse
  arguments;
- ``plan_help``: ``appeal plan --help``;
- ``plan``: the README quickstart's ``appeal plan`` on the sample data (import, solve, JSON
  and workbook written to a temporary folder) — target under 1.2 s.

Prints a table and writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._medians import print_table, write_report

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "startup.json"
TARGETS = {"help": 0.3, "plan": 1.2}


def commands(out_dir: Path) -> dict[str, list[str]]:
    """The timed command lines (after ``python -m appeal``); sample paths are relative to the
    checkout, which is the working directory."""
    sample = Path("sample_data")
    return {
        "help": ["--help"],
        "plan_help": ["plan", "--help"],
        "plan": [
            "plan",
            "--programmes",
            str(sample / "programmes.xlsx"),
            "--pledges",
            str(sample / "pledges.xlsx"),
            "--pledges",
            str(sample / "pledges_entities.csv"),
            "--donors",
            str(sample / "donors.csv"),
            "--fx",
            str(sample / "fx_rates.csv"),
            "--scenario",
            str(sample / "scenarios" / "baseline.toml"),
            "--out",
            str(out_dir / "appeal.xlsx"),
            "--json",
            str(out_dir / "result.json"),
        ],
    }


def _once(argv: list[str], root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "appeal", *argv],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"appeal {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}"
        )
    return seconds


def time_command(
    argv: list[str], root: Path, env: dict[str, str], runs: int, warmup: int
) -> dict[str, Any]:
    for _ in range(warmup):
        _once(argv, root, env)
    samples = [_once(argv, root, env) for _ in range(runs)]
    quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
    return {
        "argv": argv,
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "iqr_s": quartiles[2] - quartiles[0],
        "samples_s": samples,
    }


def bench(root: Path, runs: int, warmup: int) -> dict[str, Any]:
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
            # Never touch the user's register, whatever a command does.
            "APPEAL_DATABASE_URL": f"sqlite:///{Path(tmp) / 'register.sqlite'}",
        }
        results = {
            name: {**time_command(argv, root, env, runs, warmup), "target_s": TARGETS.get(name)}
            for name, argv in commands(Path(tmp)).items()
        }
    return {
        "what": "whole `python -m appeal` processes, wall seconds",
        "root": str(root),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "runs": runs,
        "warmup": warmup,
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (15)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (1)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to time (this one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")
    report = bench(args.root, args.runs, args.warmup)
    print(f"{report['root']}: {args.runs} runs each after {args.warmup} warm-up")
    print_table(report["results"], label="command")
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
