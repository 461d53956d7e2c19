"""``appeal worker``: the Celery worker that runs the dashboard's background jobs (the
pledge-risk simulation) when ``APPEAL_REDIS_URL`` names a Redis.

Start it next to ``appeal serve`` with the same ``--db``, ``--cache-dir`` and
``APPEAL_REDIS_URL``: the server queues jobs in Redis, this worker runs them (each job reads
the register and writes the result cache as a request would) and stores progress and results
back in Redis for whichever web worker the browser polls. Stops on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import sys

from appeal import serving
from appeal.commands.serve import add_cache_dir_option, app_config, redacted

HELP = "run the dashboard's background jobs on Celery (needs APPEAL_REDIS_URL)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="jobs run at once, one process each (default 1: a simulation uses a whole core)",
    )
    add_cache_dir_option(parser)


def run(args: argparse.Namespace) -> int:
    from appeal.config import database_url

    if args.concurrency < 1:
        print(
            f"appeal worker: error: --concurrency must be at least 1, got {args.concurrency}",
            file=sys.stderr,
        )
        return 2
    config = app_config(args, database_url(args.db), risk_workers=1)
    if not config.redis_url:
        print(
            f"appeal worker: error: set {serving.REDIS_ENV} to the Redis the server uses "
            "(e.g. redis://127.0.0.1:6379/0); without it the server runs background jobs "
            "itself and needs no worker",
            file=sys.stderr,
        )
        return 2
    # Building the app registers its background callbacks as this Celery app's tasks.
    from dashboards.app import create_app
    from dashboards.jobs import run_worker

    app = create_app(config)
    print(
        f"appeal worker: background jobs from {redacted(config.redis_url)} "
        f"({args.concurrency} at a time) (Ctrl+C to stop)",
        flush=True,
    )
    run_worker(app, config, concurrency=args.concurrency)
    return 0
