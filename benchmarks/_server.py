"""A real ``appeal serve`` (or ``appeal worker``) process for the load benchmark and the serving
tests: started on a free loopback port in its own process group, waited for until it answers,
and stopped — with every process it started (gunicorn's workers, background jobs) — when done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 180
STOP_SECONDS = 20


@dataclass(frozen=True)
class Process:
    """A started ``appeal`` process and the file its output goes to."""

    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class Server(Process):
    url: str = ""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def started(
    args: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> Iterator[Process]:
    """``python -m appeal ARGS`` in its own session, from checkout ``cwd``, stopped on exit
    (SIGTERM, then SIGKILL for the whole process group it made)."""
    out = log.open("wb")
    popen = subprocess.Popen(
        [sys.executable, "-m", "appeal", *args],
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        start_new_session=True,
    )
    try:
        yield Process(popen, log)
    finally:
        _stop(popen)
        out.close()


@contextlib.contextmanager
def served(
    serve_args: Sequence[str],
    *,
    db: str,
    cache_dir: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    ready: str = "/",
) -> Iterator[Server]:
    """``appeal --db DB serve --port FREE --cache-dir DIR SERVE_ARGS`` on 127.0.0.1 from
    checkout ``cwd``, yielded once ``ready`` (a path) answers 200."""
    port = free_port()
    args = ["--db", db, "serve", "--port", str(port), "--cache-dir", str(cache_dir), *serve_args]
    url = f"http://127.0.0.1:{port}"
    with started(args, log=log, env=env, cwd=cwd) as process:
        _wait_until_up(process, url, ready)
        yield Server(process.popen, process.log, url)


def _wait_until_up(process: Process, url: str, ready: str = "/") -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.popen.poll() is not None:
            raise RuntimeError(f"appeal serve exited early:\n{process.output()}")
        try:
            with urllib.request.urlopen(url + ready, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"appeal serve did not answer within {START_SECONDS} s")
        time.sleep(0.3)


def _stop(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        popen.terminate()  # gunicorn and Celery stop their workers gracefully on SIGTERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=STOP_SECONDS)
    # Whatever is left of the group this process made (its own session): a worker or a
    # background job that outlived its parent.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=STOP_SECONDS)
