"""Running the dashboard under a WSGI server, and the rules for where it may listen.

- **gunicorn** (POSIX, the default): a master process and ``workers`` worker processes of
  ``threads`` threads each (gthread). The app is built once in the master (``preload_app``),
  through the caller's factory, which warms it up and closes its connections, so each worker
  inherits a ready app, answers its first request quickly and opens its own connections.
- **waitress** (portable: where gunicorn cannot run): one process of ``threads`` threads.
- **dev**: the Dash development server (one process). ``debug`` adds Dash's dev tools and
  Werkzeug's interactive debugger — a Python console in the browser — so it is refused on any
  address but loopback (:func:`check_binding`).

Binding rules: loopback (127.0.0.0/8, ::1, localhost) may run without sign-in; any other
address needs ``--auth password|proxy``, or ``--insecure-no-auth``, which is served with a loud
warning.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "AUTH_MODES",
    "DEFAULT_AUTH_HEADER",
    "REDIS_ENV",
    "SERVERS",
    "ServeError",
    "ServeOptions",
    "bind_address",
    "check_binding",
    "default_server",
    "default_workers",
    "is_loopback",
    "run",
]

SERVERS = ("gunicorn", "waitress", "dev")
# Who may use the app (AppConfig.auth_mode): "none" (no sign-in; loopback only unless the
# operator insists), "password" (accounts in the register), "proxy" (a reverse proxy signs
# users in and names them in a request header, DEFAULT_AUTH_HEADER unless configured).
AUTH_MODES = ("none", "password", "proxy")
DEFAULT_AUTH_HEADER = "X-Forwarded-User"
# Background jobs on Celery with this Redis (broker and result store) when set.
REDIS_ENV = "APPEAL_REDIS_URL"
# Seconds a worker may spend on one request before gunicorn replaces it (a large solve).
REQUEST_TIMEOUT = 120
# Seconds an idle keep-alive connection stays open (a reverse proxy's upstream pool, browsers).
KEEPALIVE_SECONDS = 5


class ServeError(ValueError):
    """The server cannot be started as asked (a message for people; the command exits 2)."""


class Served(Protocol):
    """What the factory returns: a Dash app (its Flask ``server`` is the WSGI application)."""

    server: Any

    def run(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class ServeOptions:
    server: str
    host: str
    port: int
    workers: int = 1
    threads: int = 4
    debug: bool = False


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is reachable from this machine only."""
    if host.strip().casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:  # a name: loopback only when every address it resolves to is
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )


def default_server() -> str:
    """gunicorn where it runs (POSIX, installed), waitress otherwise."""
    if os.name == "posix" and importlib.util.find_spec("gunicorn") is not None:
        return "gunicorn"
    return "waitress"


def default_workers() -> int:
    """Worker processes for gunicorn: one per core, at least two (a slow solve in one never
    holds up every user) and at most four (each worker holds its own copy of the plan)."""
    return max(2, min(os.cpu_count() or 1, 4))


def check_binding(host: str, *, auth_mode: str, insecure_no_auth: bool, debug: bool) -> list[str]:
    """Refuse a binding that would expose the app unprotected (:class:`ServeError`); returns
    the warnings to print for one that is allowed but risky."""
    loopback = is_loopback(host)
    if debug and not loopback:
        raise ServeError(
            f"--debug serves an interactive Python debugger; it is allowed on loopback only "
            f"(127.0.0.1, ::1, localhost), not on {host}"
        )
    if auth_mode != "none" and importlib.util.find_spec("dashboards.auth") is None:
        raise ServeError(f"--auth {auth_mode} is not available in this version of the app")
    warnings: list[str] = []
    if auth_mode == "none" and not loopback:
        if not insecure_no_auth:
            raise ServeError(
                f"{host} can be reached from other machines, so the app needs sign-in: use "
                "--auth password or --auth proxy (behind a reverse proxy that signs users in), "
                "or --insecure-no-auth to serve without it"
            )
        warnings.append(
            "WARNING: serving WITHOUT AUTHENTICATION on "
            f"{host}: anyone who can reach this port can read every pledge (confidential "
            "donors included), import files, change statuses and overwrite scenarios. Use "
            "--auth password or --auth proxy for anything but a closed test network."
        )
    if auth_mode == "proxy" and not loopback:
        warnings.append(
            f"WARNING: --auth proxy trusts the sign-in header of every request that reaches "
            f"{host}; let only the reverse proxy reach this port (bind 127.0.0.1 behind a "
            "proxy on this machine, or firewall it)."
        )
    return warnings


def run(factory: Callable[[], Served], options: ServeOptions) -> int:
    """Serve the app that ``factory`` builds until stopped (Ctrl+C / SIGTERM); exit code."""
    if options.server == "gunicorn":
        return _run_gunicorn(factory, options)
    app = factory()
    try:
        if options.server == "waitress":
            import waitress

            waitress.serve(
                app.server, host=options.host, port=options.port, threads=options.threads
            )
        else:
            app.run(host=options.host, port=options.port, debug=options.debug, use_reloader=False)
    except KeyboardInterrupt:
        pass
    return 0


def bind_address(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets."""
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


def _run_gunicorn(factory: Callable[[], Served], options: ServeOptions) -> int:
    from gunicorn.app.base import BaseApplication

    settings: dict[str, Any] = {
        "bind": [bind_address(options.host, options.port)],
        "workers": options.workers,
        "threads": options.threads,
        "worker_class": "gthread",
        # Build (and warm up) the app once in the master; workers inherit it when they fork.
        "preload_app": True,
        "timeout": REQUEST_TIMEOUT,
        "keepalive": KEEPALIVE_SECONDS,
        "graceful_timeout": 10,
        "proc_name": "appeal-serve",
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn >= 25 opens a control socket in the user's home by default; not needed.
        "control_socket_disable": True,
    }

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return factory().server

    try:
        _Application().run()
    except SystemExit as stop:  # the arbiter ends with sys.exit, also on a clean stop
        return int(stop.code or 0)
    return 0
