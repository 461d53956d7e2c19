"""``appeal serve``: start the dashboard (Dash) on the pledge register chosen with ``--db``.

``--demo`` loads the bundled illustrative sample plan (and its scenario files) into the
register when it is empty, so a first start shows something; a register that already holds
data is never touched. Binds 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appeal.register import Register

HELP = "start the dashboard in the browser (http://127.0.0.1:8050 by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the illustrative sample data into the register first, if it is empty",
    )
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (developers only)")
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="folder for solved-run and background-job caches (default: the user cache directory)",
    )


def load_demo(register: Register) -> str:
    """Load the sample plan and scenarios into an empty register; returns what was done."""
    from appeal import service
    from appeal.importer import load_sample_plan, sample_paths

    if not register.is_empty():
        return "the register already holds data; --demo left it unchanged"
    plan, report = load_sample_plan()
    register.import_plan(plan, report)
    saved = []
    for path in sample_paths()["scenarios"]:
        scenario = service.load_scenario(path)
        try:
            run = service.solve(plan, scenario)
        except Exception as exc:  # a failed solve must not stop the app from starting
            print(f"appeal serve: scenario {scenario.name}: not solved ({exc})", file=sys.stderr)
            register.save_scenario(scenario.name, scenario, None)
        else:
            service.save_scenario(register, scenario.name, run)
        saved.append(scenario.name)
    return (
        f"loaded the illustrative sample plan ({len(plan.pledges)} pledges, "
        f"{len(plan.programmes)} budget lines)"
        + (f" and scenarios {', '.join(saved)}" if saved else "")
    )


def _port_problem(host: str, port: int) -> str:
    """Why ``host:port`` cannot be listened on ("" when it can), checked before start-up so
    the message comes before any output about the dashboard."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            # As the server will: a port left in TIME_WAIT by a previous run is fine.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return "the port is in use by another program; choose another with --port"
        return exc.strerror or str(exc)
    return ""


def run(args: argparse.Namespace) -> int:
    from appeal.config import database_url
    from appeal.register import Register, RegisterError

    if not 0 < args.port < 65536:
        print(f"appeal serve: error: --port must be 1-65535, got {args.port}", file=sys.stderr)
        return 2
    busy = _port_problem(args.host, args.port)
    if busy:
        print(
            f"appeal serve: error: cannot listen on {args.host}:{args.port}: {busy}",
            file=sys.stderr,
        )
        return 1
    url = database_url(args.db)
    try:
        register = Register(url)
    except RegisterError as exc:
        print(f"appeal serve: error: {exc}", file=sys.stderr)
        return 2
    if args.demo:
        print(f"appeal serve: {load_demo(register)}", flush=True)
    elif register.is_empty():
        print(
            "appeal serve: the register is empty; import a plan with `appeal import` "
            "or start with --demo to load the sample data",
            flush=True,
        )
    register.close()
    import platformdirs

    cache_dir = args.cache_dir or str(Path(platformdirs.user_cache_dir("appeal-planner")) / "dash")
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    # The one place appeal/ imports the dashboard: to start it.
    from dashboards.app import create_app
    from dashboards.state import AppConfig

    app = create_app(AppConfig(db_url=url, cache_dir=cache_dir))
    print(
        f"appeal serve: dashboard on http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True
    )
    try:
        app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False)
    except OSError as exc:
        print(
            f"appeal serve: error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    return 0
