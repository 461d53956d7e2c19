"""``appeal serve``: start the dashboard on the pledge register chosen with ``--db``.

Under a production WSGI server by default (gunicorn on POSIX, waitress elsewhere; see
:mod:`appeal.serving`), the Dash development server only with ``--dev``. Binds 127.0.0.1
unless ``--host`` says otherwise; any other address needs sign-in (``--auth``) or an explicit
``--insecure-no-auth``. ``--demo`` loads the bundled illustrative sample plan (and its
scenario files) into the register when it is empty, so a first start shows something; a
register that already holds data is never touched. Background jobs run on Celery when
``APPEAL_REDIS_URL`` names a Redis (start ``appeal worker`` too), in subprocesses otherwise.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from appeal import serving

if TYPE_CHECKING:
    from appeal.register import Register
    from dashboards.state import AppConfig

HELP = "start the dashboard in the browser (http://127.0.0.1:8050 by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the illustrative sample data into the register first, if it is empty",
    )
    server = parser.add_argument_group("server")
    server.add_argument(
        "--server",
        choices=serving.SERVERS,
        default=None,
        help="WSGI server: gunicorn (default on Linux/macOS), waitress (portable) or dev "
        "(the Dash development server)",
    )
    server.add_argument("--dev", action="store_true", help="the development server (--server dev)")
    server.add_argument(
        "--debug",
        action="store_true",
        help="development server with Dash's dev tools and the interactive debugger "
        "(developers only; loopback only)",
    )
    server.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: one per core, 2-4)",
    )
    server.add_argument(
        "--threads", type=int, default=4, help="threads per worker process (default 4)"
    )
    access = parser.add_argument_group("access")
    access.add_argument(
        "--auth",
        choices=serving.AUTH_MODES,
        default="none",
        help="sign-in: none (loopback only), password (accounts in the register) or proxy "
        "(a reverse proxy signs users in and names them in --auth-header)",
    )
    access.add_argument(
        "--auth-header",
        default=serving.DEFAULT_AUTH_HEADER,
        metavar="NAME",
        help="with --auth proxy: the request header naming the signed-in user "
        f"(default {serving.DEFAULT_AUTH_HEADER})",
    )
    access.add_argument(
        "--trusted-proxy",
        action="append",
        default=None,
        metavar="ADDRESS",
        help="with --auth proxy: an address the reverse proxy connects from, whose "
        "--auth-header is believed (repeatable; default 127.0.0.1 and ::1)",
    )
    access.add_argument(
        "--secure-cookies",
        action="store_true",
        help="send the sign-in cookie over HTTPS only (set it when a TLS proxy is in front)",
    )
    access.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow --auth none on an address other machines can reach (NOT for real data)",
    )
    access.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="HOST",
        help="a host name browsers use to reach the app; requests naming any other Host get "
        "400 (repeatable; default: the --host address, localhost and 127.0.0.1)",
    )
    add_cache_dir_option(parser)


def add_cache_dir_option(parser: argparse.ArgumentParser) -> None:
    """--cache-dir, shared with ``appeal worker`` (both must name the same folder)."""
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="folder for solved-run and background-job caches (default: the user cache directory)",
    )


def app_config(args: argparse.Namespace, url: str, **fields: Any) -> AppConfig:
    """The dashboard's configuration from the options ``serve`` and ``worker`` share (the
    cache folder is created) and the environment (``APPEAL_REDIS_URL``)."""
    import platformdirs

    from dashboards.state import AppConfig

    cache_dir = args.cache_dir or str(Path(platformdirs.user_cache_dir("appeal-planner")) / "dash")
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    redis_url = os.environ.get(serving.REDIS_ENV, "").strip() or None
    return AppConfig(db_url=url, cache_dir=cache_dir, redis_url=redis_url, **fields)


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


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


def _server_options(args: argparse.Namespace) -> serving.ServeOptions:
    """The server to run and its size; :class:`appeal.serving.ServeError` when the options
    contradict each other."""
    chosen = args.server
    for flag, on in (("--dev", args.dev), ("--debug", args.debug)):
        if on and chosen not in (None, "dev"):
            raise serving.ServeError(f"{flag} runs the development server, not {chosen}")
    server = "dev" if args.dev or args.debug else chosen or serving.default_server()
    if server == "gunicorn" and serving.default_server() != "gunicorn":
        raise serving.ServeError("gunicorn cannot run here; use --server waitress")
    if args.threads < 1:
        raise serving.ServeError(f"--threads must be at least 1, got {args.threads}")
    if server == "gunicorn":
        workers = args.workers if args.workers is not None else serving.default_workers()
        if workers < 1:
            raise serving.ServeError(f"--workers must be at least 1, got {workers}")
    elif args.workers not in (None, 1):
        raise serving.ServeError(
            f"only gunicorn runs several worker processes; {server} serves from one"
        )
    else:
        workers = 1
    return serving.ServeOptions(
        server=server,
        host=args.host,
        port=args.port,
        workers=workers,
        threads=args.threads,
        debug=args.debug,
    )


def _allowed_hosts(args: argparse.Namespace) -> tuple[str, ...]:
    if args.allowed_host:
        hosts = [h.strip() for h in args.allowed_host if h.strip()]
    else:
        # A wildcard address is never the Host a browser sends.
        bound = [] if args.host in ("0.0.0.0", "::", "") else [args.host.strip("[]")]
        hosts = [*bound, "localhost", "127.0.0.1"]
    return tuple(dict.fromkeys(hosts))


def _prepared_app(config: AppConfig) -> Any:
    """The app, warmed up and with no connection open (gunicorn forks its workers next)."""
    # The one place appeal/ imports the dashboard: to start it.
    from dashboards.app import create_app, release_handles, warm_up

    app = create_app(config)
    warm_up(app)
    release_handles(app)
    return app


def run(args: argparse.Namespace) -> int:
    from appeal.config import database_url
    from appeal.register import Register, RegisterError

    if not 0 < args.port < 65536:
        print(f"appeal serve: error: --port must be 1-65535, got {args.port}", file=sys.stderr)
        return 2
    try:
        options = _server_options(args)
        warnings = serving.check_binding(
            args.host,
            auth_mode=args.auth,
            insecure_no_auth=args.insecure_no_auth,
            debug=args.debug,
        )
    except serving.ServeError as exc:
        print(f"appeal serve: error: {exc}", file=sys.stderr)
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
    config = app_config(
        args,
        url,
        # One process per simulation: the other cores stay with the web workers (the load
        # benchmark: two processes raised the other users' p95 by more than half).
        risk_workers=1,
        auth_mode=args.auth,
        auth_header=args.auth_header,
        allowed_hosts=_allowed_hosts(args),
        trusted_proxies=tuple(args.trusted_proxy or ("127.0.0.1", "::1")),
        secure_cookies=args.secure_cookies,
    )
    for warning in warnings:
        print(f"appeal serve: {warning}", file=sys.stderr, flush=True)
    size = (
        f"{options.workers} workers x {options.threads} threads"
        if options.server == "gunicorn"
        else f"{options.threads} threads"
        if options.server == "waitress"
        else "development server" + (", debug" if options.debug else "")
    )
    jobs = (
        f"Celery on {redacted(config.redis_url)} (run `appeal worker` too)"
        if config.redis_url
        else "subprocesses"
    )
    print(
        f"appeal serve: dashboard on http://{serving.bind_address(args.host, args.port)}/ "
        f"({options.server}, {size}; background jobs: {jobs}; "
        f"Host: {', '.join(config.allowed_hosts)}) (Ctrl+C to stop)",
        flush=True,
    )
    return serving.run(lambda: _prepared_app(config), options)
