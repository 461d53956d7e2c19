"""Background jobs on Celery with a real Redis (``APPEAL_TEST_REDIS_URL``; ``.ci/run`` starts
one): ``appeal serve`` under gunicorn queues the pledge-risk simulation, an ``appeal worker``
subprocess runs it, and the browser's polls — to either web worker — collect its result.

Runs on each register backend (SQLite, PostgreSQL); the Redis is conftest.py's ``redis_url``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appeal.register import Register
from benchmarks._server import Process, served, started
from dashboards import ids
from dashboards.client import CallbackClient, component, text
from dashboards.components import usd
from dashboards.logic import donors as logic
from models.scenario import Scenario

READY_SECONDS = 120


def _wait_ready(worker: Process) -> None:
    """Until the Celery worker says it is ready (it then takes jobs from Redis)."""
    deadline = time.monotonic() + READY_SECONDS
    while "ready." not in worker.output():
        if worker.popen.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"appeal worker did not start:\n{worker.output()}")
        time.sleep(0.2)


def test_the_risk_simulation_runs_on_the_celery_worker(
    redis_url: str, register_url: str, tmp_path: Path
) -> None:
    env = {"APPEAL_REDIS_URL": redis_url}
    cache = tmp_path / "cache"
    worker_args = ["--db", register_url, "worker", "--cache-dir", str(cache)]
    with (
        served(
            ["--demo", "--workers", "2"],
            db=register_url,
            cache_dir=cache,
            log=tmp_path / "server.log",
            env=env,
        ) as server,
        started(worker_args, log=tmp_path / "worker.log", env=env) as worker,
    ):
        assert "background jobs: Celery on" in server.output()
        _wait_ready(worker)
        client = CallbackClient.for_url(server.url)
        reply = client.call_background(
            f"{ids.RISK_RESULT}.children",
            {
                f"{ids.RISK_RUN}.n_clicks": 1,
                f"{ids.RISK_DRAWS}.value": 20,
                f"{ids.RISK_SEED}.value": 7,
            },
            deadline=240,
        )
        ran = worker.output()
    summary = text(component(reply[f"{ids.RISK_RESULT}.children"], ids.RISK_SUMMARY))
    # The same draws computed here: the worker simulated the plan in the register.
    with Register(register_url) as register:
        plan = register.load_plan()
    expected = logic.risk_summary(logic.simulate(plan, Scenario(), draws=20, seed=7, workers=1))[
        "totals"
    ]
    assert summary.startswith("20 draws")
    for key in ("funded_p10", "funded_p50", "funded_p90"):
        assert usd(expected[key]) in summary, key
    # It ran in the Celery worker's pool, not in a web worker.
    assert "Task background_callback_" in ran and "succeeded" in ran


def test_without_redis_the_worker_command_explains_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from appeal.cli import main

    monkeypatch.delenv("APPEAL_REDIS_URL", raising=False)
    assert main(["--db", str(tmp_path / "r.sqlite"), "worker"]) == 2
    assert "set APPEAL_REDIS_URL" in capsys.readouterr().err
