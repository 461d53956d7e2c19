"""Run hostile cases, each bounded: a forked child per case, its address space limited with
``resource.setrlimit(RLIMIT_AS)`` and a wall-clock timeout, its peak memory read from
``os.wait4``.

Usage (what :mod:`tests.test_hostile_corpus` does)::

    python -m tests.hostile.runner JOBS.json RESULTS.json

``JOBS.json`` is a list of jobs: ``{"name", "argv"}`` (an ``appeal`` command line, run with
:func:`appeal.cli.main` in the child) or ``{"name", "upload": {"file", "programmes", "fx"}}``
(the dashboard's Pledges page check of an uploaded file); optional ``"setup"`` (command lines
run first in the same child, each must succeed), ``"db"`` and ``"before"`` (after the setup,
the register's pledges are written there as JSON, for "nothing changed" checks). Each job's
stderr goes to ``<stderr>``. ``RESULTS.json`` gets, per job: exit code (None when killed),
seconds, peak resident bytes and whether it was killed for time.

The process imports the product once, then forks per case, so each case pays for its own work
only; numeric libraries run one thread (set by the caller's environment) so forking is safe.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import signal
import sys
import time
import traceback
from typing import Any

#: No case may use more memory than this (peak resident set of the child, which includes the
#: product already imported) ...
MEMORY_BYTES = 1024**3
#: ... nor take longer than this.
SECONDS = 30.0
#: Address space the child may add to what it inherits: past it, allocations fail (a runaway
#: case ends in MemoryError instead of taking the machine).
EXTRA_ADDRESS_SPACE = 1024**3


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def _upload(job: dict[str, Any]) -> int:
    """The Pledges page's check of an upload (decode the data URL, then validate)."""
    import base64
    from pathlib import Path

    import pandas as pd

    from appeal.importer import read_fx, read_programmes
    from dashboards.logic import pledges as logic
    from dashboards.state import UPLOAD_LIMIT_BYTES
    from models.plan import PLEDGE_COLUMNS, TRANCHE_COLUMNS, Plan

    spec = job["upload"]
    programmes, requirements, _ = read_programmes(spec["programmes"])
    fx, _ = read_fx(spec["fx"])
    plan = Plan.build(
        programmes=programmes,
        requirements=requirements,
        pledges=pd.DataFrame(columns=PLEDGE_COLUMNS),
        tranches=pd.DataFrame(columns=TRANCHE_COLUMNS),
        fx=fx,
    )
    path = Path(spec["file"])
    contents = "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode(
        "ascii"
    )
    try:
        data = logic.decode_upload(contents, path.name, UPLOAD_LIMIT_BYTES)
    except logic.UploadError as exc:
        print(f"upload refused: {exc}", file=sys.stderr)
        return 2
    check = logic.check_upload(data, path.name, plan)
    for error in check.report.errors:
        print(f"error: {error}", file=sys.stderr)
    # The page shows every problem before anything can be stored: any is a refusal here.
    return 2 if check.report.errors or not check.can_store else 0


def _case(job: dict[str, Any]) -> int:
    from appeal.cli import main

    for argv in job.get("setup", []):
        rc = main(argv)
        if rc != 0:
            print(f"setup {argv} failed with {rc}", file=sys.stderr)
            return 97
    if job.get("before"):
        from appeal.register import Register

        with Register(job["db"]) as register:
            frame = register.pledges()
        with open(job["before"], "w", encoding="utf-8") as f:
            json.dump(frame.astype(str).to_dict("records"), f)
    if "upload" in job:
        return _upload(job)
    return int(main(job["argv"]))


def _child(job: dict[str, Any]) -> None:
    rc = 98
    try:
        err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        out = os.open(os.devnull, os.O_WRONLY)
        os.dup2(err, 2)
        os.dup2(out, 1)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        limit = _address_space() + EXTRA_ADDRESS_SPACE
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        rc = _case(job)
    except BaseException:  # the test reads what went wrong from stderr
        traceback.print_exc()
        rc = 99
    finally:
        sys.stderr.flush()
        os._exit(rc)


def run_all(jobs: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    """Run ``jobs``, ``workers`` children at a time; results in job order."""
    pending = list(enumerate(jobs))
    running: dict[int, tuple[int, float]] = {}  # pid -> (job index, start)
    results: list[dict[str, Any]] = [{} for _ in jobs]
    while pending or running:
        while pending and len(running) < workers:
            index, job = pending.pop(0)
            start = time.monotonic()
            pid = os.fork()
            if pid == 0:
                _child(job)
            running[pid] = (index, start)
        for pid, (index, start) in list(running.items()):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            killed = False
            if not done and time.monotonic() - start > SECONDS:
                os.kill(pid, signal.SIGKILL)
                done, status, usage = os.wait4(pid, 0)
                killed = True
            if done:
                del running[pid]
                results[index] = {
                    "name": jobs[index]["name"],
                    "rc": None if killed else os.waitstatus_to_exitcode(status),
                    "seconds": time.monotonic() - start,
                    "max_rss": usage.ru_maxrss * 1024,  # kilobytes on Linux
                    "killed": killed,
                }
        time.sleep(0.005)
    return results


_PRELOAD = (
    "appeal.cli",
    "appeal.commands.import_",
    "appeal.commands.plan",
    "appeal.importer",
    "appeal.register",
    "appeal.service",
    "dashboards.logic.pledges",
    "models.allocation",
)


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        jobs = json.load(f)
    # Import what the cases use once, before forking.
    for module in _PRELOAD:
        importlib.import_module(module)

    # Two at a time: the machine's two cores (each child's time and memory are its own).
    results = run_all(jobs, workers=2)
    with open(argv[1], "w", encoding="utf-8") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
