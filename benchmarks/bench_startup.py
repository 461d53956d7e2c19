"""Benchmark: how long whole ``appeal`` commands take, start to exit (hyperfine-like).

Usage::

    python -m benchmarks.bench_startup                        # this checkout, 15 runs each
    python -m benchmarks.bench_startup --runs 30 --warmup 2
    python -m benchmarks.bench_startup --compare /path/to/main  # two checkouts, interleaved

Each command runs as a fresh ``python -m appeal ...`` process (the interpreter's own start
included, as a user pays it), ``--warmup`` times unmeasured and then ``--runs`` times; the
figures are the median wall time, with min, max and the spread between the quartiles, and the
median CPU time of the process (user + system, less disturbed by other work on the machine).
``--compare DIR`` times another checkout of the project too (put first on PYTHONPATH and made
the working directory), alternating run by run with this one so both see the same machine,
and prints the ratios.

Commands timed (targets on this machine, medians):

- ``help``: ``appeal --help`` — target under 0.3 s: nothing heavy may be imported to parse
  arguments;
- ``plan_help``: ``appeal plan --help``;
- ``plan``: the README quickstart's ``appeal plan`` on the sample data (import, solve, JSON
  and workbook written to a temporary folder) — target under 1.2 s;
- ``plan_user``: the same as installed without the test extra: hypothesis (which pandera
  imports for its data-synthesis strategies whenever it is installed) is made unimportable.

Prints a table and writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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
# Commands run with test-only packages hidden (see the module docstring).
WITHOUT_TEST_EXTRA = {"plan_user"}


def commands(out_dir: Path) -> dict[str, list[str]]:
    """The timed command lines (after ``python -m appeal``); sample paths are relative to the
    checkout, which is the working directory."""
    sample = Path("sample_data")
    plan = [
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
    ]
    return {"help": ["--help"], "plan_help": ["plan", "--help"], "plan": plan, "plan_user": plan}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(argv: list[str], root: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one ``python -m appeal`` process."""
    cpu = _children_cpu()
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
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{root}: appeal {' '.join(argv)} exited {proc.returncode}: "
            f"{proc.stderr.decode()[-2000:]}"
        )
    return wall, _children_cpu() - cpu


def _stats(wall: list[float], cpu: list[float]) -> dict[str, Any]:
    quartiles = statistics.quantiles(wall, n=4) if len(wall) > 1 else wall * 3
    return {
        "median_s": statistics.median(wall),
        "min_s": min(wall),
        "max_s": max(wall),
        "iqr_s": quartiles[2] - quartiles[0],
        "cpu_median_s": statistics.median(cpu),
        "samples_s": wall,
        "cpu_samples_s": cpu,
    }


def _env(root: Path, tmp: Path, hide_test_extra: bool) -> dict[str, str]:
    paths = [str(root), os.environ.get("PYTHONPATH", "")]
    if hide_test_extra:
        paths.insert(0, str(tmp / "hide-test-extra"))
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        # Never touch the user's register, whatever a command does.
        "APPEAL_DATABASE_URL": f"sqlite:///{tmp / 'register.sqlite'}",
    }


def bench(roots: list[Path], runs: int, warmup: int) -> dict[str, Any]:
    roots = [r.resolve() for r in roots]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        tmp = Path(name)
        hidden = tmp / "hide-test-extra"
        hidden.mkdir()
        (hidden / "hypothesis.py").write_text(
            'raise ImportError("hidden by bench_startup: a test-only package")\n', "utf-8"
        )
        results: dict[str, dict[str, Any]] = {str(r): {} for r in roots}
        for command, argv in commands(tmp).items():
            envs = {r: _env(r, tmp, command in WITHOUT_TEST_EXTRA) for r in roots}
            samples: dict[Path, list[tuple[float, float]]] = {r: [] for r in roots}
            for i in range(warmup + runs):
                for root in roots:  # alternate, so every checkout sees the same machine
                    sample = _once(argv, root, envs[root])
                    if i >= warmup:
                        samples[root].append(sample)
            for root in roots:
                wall, cpu = zip(*samples[root], strict=True)
                results[str(root)][command] = {
                    "argv": argv,
                    **_stats(list(wall), list(cpu)),
                    "target_s": TARGETS.get(command),
                }
    return {
        "what": "whole `python -m appeal` processes: wall and CPU seconds",
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "runs": runs,
        "warmup": warmup,
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (15)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (1)")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="another checkout to time")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")
    roots = [ROOT] + ([args.compare] if args.compare else [])
    report = bench(roots, args.runs, args.warmup)
    print(f"{args.runs} runs of each command after {args.warmup} warm-up, alternating checkouts")
    for root, results in report["results"].items():
        print(f"\n{root}")
        print_table(results, label="command")
    if args.compare:
        this, other = (report["results"][str(r.resolve())] for r in roots)
        print(f"\nmedian wall time, this checkout / {args.compare}")
        for command in this:
            ratio = this[command]["median_s"] / other[command]["median_s"]
            print(f"{command:<10} {ratio:>6.2f}")
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
