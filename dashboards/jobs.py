"""Background jobs of the dashboard (the pledge-risk simulation, a Dash background callback):
which manager runs them, and the Celery worker that serves them when Redis is configured.

- With ``AppConfig.redis_url`` (``APPEAL_REDIS_URL``): Celery, Redis as broker and result
  store (Dash's ``CeleryManager``). Jobs run in ``appeal worker`` processes, never in the web
  server's request workers; progress and results travel through Redis, so whichever web worker
  receives a browser's poll can answer it.
- Without: Dash's ``DiskcacheManager``. Each job runs in a subprocess forked from the web
  worker that received it, its progress and result in a diskcache folder that every web worker
  of the server shares; the subprocess first lets go of the worker's client connections
  (:func:`release_inherited_sockets`).

Either way a job runs at the lowest CPU priority (:func:`lower_priority`: Linux's idle
scheduling class, else nice :data:`JOB_NICENESS`), below the web workers, so one user's
simulation uses the CPU the other users leave idle and slows their page loads and re-runs as
little as possible.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import diskcache
from dash import CeleryManager, DiskcacheManager

from dashboards.state import AppConfig

if TYPE_CHECKING:
    from celery import Celery
    from dash import Dash

__all__ = ["JOB_NICENESS", "celery_app", "manager", "run_worker"]

# Added to a job's nice value: the request workers keep the CPU when both want it.
JOB_NICENESS = 10
# How long Redis keeps a job's result and progress that nobody collected.
RESULT_SECONDS = 3600


def manager(config: AppConfig) -> CeleryManager | DiskcacheManager:
    """The background-callback manager for ``config`` (Celery on Redis, or diskcache)."""
    if config.redis_url:
        # The worker lowers its own processes' priority (:func:`run_worker`).
        return CeleryManager(celery_app(config.redis_url))
    return _JobDiskcacheManager(diskcache.Cache(config.callbacks_dir))


@functools.lru_cache(maxsize=4)
def celery_app(redis_url: str) -> Celery:
    """The Celery application on ``redis_url`` (one per URL and process: the web server's
    manager and ``appeal worker`` must register the jobs on the same object)."""
    from celery import Celery

    app = Celery("appeal", broker=redis_url, backend=redis_url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=RESULT_SECONDS,
        # One job at a time per worker process: a simulation is long, and a prefetched job
        # would wait behind it while another worker process sits idle.
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


def lower_priority() -> None:
    """Run the rest of this process (and what it forks) below the web workers: in Linux's
    SCHED_IDLE class (it runs only when no normal process wants the core), else at nice
    :data:`JOB_NICENESS`; at normal priority where neither is possible."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    with contextlib.suppress(AttributeError, OSError):
        os.nice(JOB_NICENESS)


def release_inherited_sockets() -> None:
    """Let go of every socket this process inherited when it was forked from a web worker.

    A job subprocess is forked from the web worker that received its request, so it holds a
    copy of every connection that worker had open. When the worker then closes an idle
    keep-alive connection, the job's copy keeps it open: the browser is never told, sends its
    next request there, and gets a reset when the job ends. Each inherited socket is replaced
    by /dev/null under the same descriptor number (never closed outright: a stale socket object
    of the parent's would close whatever reused the number).
    """
    with contextlib.suppress(OSError):
        descriptors = [int(fd) for fd in os.listdir("/dev/fd")]
        null = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in descriptors:
                with contextlib.suppress(OSError):
                    if fd > 2 and fd != null and stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.dup2(null, fd)
        finally:
            os.close(null)


def _as_job(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def job(*args: Any, **kwargs: Any) -> Any:
        release_inherited_sockets()
        lower_priority()
        return fn(*args, **kwargs)

    return job


class _JobDiskcacheManager(DiskcacheManager):
    """Dash's diskcache manager; each job subprocess first lets go of the web worker's
    sockets and lowers its priority."""

    def make_job_fn(self, fn: Callable[..., Any], progress: Any, key: Any = None) -> Any:
        return super().make_job_fn(_as_job(fn), progress, key)


def run_worker(app: Dash, config: AppConfig, *, concurrency: int) -> None:
    """Serve the background jobs of ``app`` (made by ``create_app(config)``, which registered
    them as Celery tasks) until the worker is stopped."""
    if not config.redis_url:
        raise ValueError("a Celery worker needs a Redis URL")
    from celery.signals import worker_process_init

    def _init_process(**_: Any) -> None:
        # Each pool process runs jobs inside the app's context, as a request would
        # (``dashboards.state.get_config``), and below the web workers' priority.
        lower_priority()
        app.server.app_context().push()

    worker_process_init.connect(_init_process, weak=False)
    celery_app(config.redis_url).worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "--loglevel=INFO",
            "--hostname=appeal@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )
