"""Server-side plumbing of the dashboard: its configuration and the per-process handles on the
register and the result cache, through which callbacks call :mod:`appeal.service`.

Why this module exists: the app serves several people at once, so nothing a user edits may
live in module-level variables. What a user is working on (the scenario in the editor) lives
in their browser (``dcc.Store``, as :func:`scenario_to_browser` dicts) or, once saved, in the
scenario store of the register. The server only keeps:

- :class:`AppConfig`, immutable, on the Flask app (``server.config["APPEAL"]``), read with
  :func:`get_config` inside a request;
- one register handle (a connection pool) and one :class:`appeal.service.ResultCache` handle
  per process; the plan and solved runs are the service's to load, cache and invalidate.

Confidential donors never reach the browser under their real names: scenario dicts sent to
the browser carry aliases ("Anonymous donor N") and are mapped back on the server
(:func:`scenario_from_browser`).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from appeal import service
from appeal.service import NoPlan, PlanRun, ResultCache
from appeal.serving import AUTH_MODES, DEFAULT_AUTH_HEADER
from models.plan import Plan
from models.privacy import donor_aliases, rename_scenario_donors
from models.scenario import Problem, Scenario, ScenarioError

if TYPE_CHECKING:
    from appeal.register import Register

UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024
# Host headers answered when nothing else is configured (Flask's test client sends localhost).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class AppConfig:
    """What a running dashboard needs to know; frozen so no request can change it."""

    db_url: str
    cache_dir: str
    upload_limit_bytes: int = UPLOAD_LIMIT_BYTES
    risk_workers: int = 2
    auth_mode: str = "none"
    auth_header: str = DEFAULT_AUTH_HEADER
    # With --auth proxy, the addresses whose auth_header is believed (the reverse proxy's).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # The session cookie only over HTTPS (set when the app is served behind TLS).
    secure_cookies: bool = False
    # Every request's Host header must name one of these (port ignored); others get 400.
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    # Background jobs (the pledge-risk simulation) on Celery with this Redis as broker and
    # result store; None runs them in subprocesses with a diskcache store.
    redis_url: str | None = None

    def __post_init__(self) -> None:
        if self.auth_mode not in AUTH_MODES:
            raise ValueError(f"auth_mode must be one of {', '.join(AUTH_MODES)}")
        if not self.allowed_hosts:
            raise ValueError("allowed_hosts must name at least one host")

    @property
    def results_dir(self) -> str:
        return os.path.join(self.cache_dir, "results")

    @property
    def callbacks_dir(self) -> str:
        return os.path.join(self.cache_dir, "callbacks")


def default_cache_dir() -> str:
    """A per-process-tree cache folder under the system temp dir."""
    return tempfile.mkdtemp(prefix="appeal-dash-")


def get_config() -> AppConfig:
    """The running app's configuration (only inside a Flask request or a forked background
    job, which inherits the request's context)."""
    import flask

    config = flask.current_app.config.get("APPEAL")
    if not isinstance(config, AppConfig):
        raise RuntimeError("the dashboard was not created with dashboards.app.create_app")
    return config


def open_register(config: AppConfig) -> Register:
    """The register at ``config.db_url``, one handle (connection pool) per process."""
    from appeal.register import Register

    return _handles.get(("register", config.db_url), lambda: Register(config.db_url))


def load_plan(config: AppConfig) -> Plan:
    """The plan stored in the register (read again only after a write); :class:`NoPlan`
    when the register holds none."""
    try:
        return service.plan_from_register(open_register(config))
    except NoPlan as exc:
        raise NoPlan(
            f"{exc}: start the app with --demo to load the sample data, "
            "or import a plan with `appeal import`."
        ) from None


def result_cache(config: AppConfig) -> ResultCache:
    """The result cache of this app, one handle per process (opening one costs ~40 ms)."""
    return _handles.get(("results", config.results_dir), lambda: ResultCache(config.results_dir))


def release_handles() -> None:
    """Close this process's register pools and result-cache handles (they reopen on next use).

    Called before a server forks its workers: a SQLite connection, the register's or the
    cache's, must never be carried into a forked child; each worker opens its own.
    """
    _handles.release()


_H = TypeVar("_H")


class _Handles:
    """Connection pools and cache handles, not user state: shared by a process's requests and
    keyed by the process id, so a forked worker or background job never reuses its parent's
    connections. Bounded (tests make many apps in one process); an evicted handle is left to
    the garbage collector, as a request may still be using it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._open: OrderedDict[tuple[str, str, int], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], make: Callable[[], _H]) -> _H:
        full = (*key, os.getpid())
        with self._lock:
            handle = self._open.get(full)
            if handle is None:
                handle = self._open[full] = make()
            self._open.move_to_end(full)
            while len(self._open) > self._size:
                self._open.popitem(last=False)
            return cast(_H, handle)

    def release(self) -> None:
        with self._lock:
            handles, self._open = list(self._open.values()), OrderedDict()
        for handle in handles:
            handle.close()


_handles = _Handles(size=16)


# -- scenarios in the browser ------------------------------------------------------------------
# Marks a browser scenario the editor itself produced (Run / Save), so the editor does not
# refill its own controls from it while the user may already be typing the next change.
ORIGIN_KEY = "_origin"
FROM_EDITOR = "editor"


def scenario_to_browser(
    scenario: Scenario, aliases: dict[str, str], *, from_editor: bool = False
) -> dict[str, Any]:
    """The scenario as a JSON-safe dict for a dcc.Store, donors replaced by their aliases."""
    data = rename_scenario_donors(scenario.to_dict(), aliases)
    if from_editor:
        data[ORIGIN_KEY] = FROM_EDITOR
    return data


def scenario_from_browser(data: dict[str, Any] | None, aliases: dict[str, str]) -> Scenario:
    """Inverse of :func:`scenario_to_browser` — the one validation of a scenario that comes
    from the browser; ``None`` gives the default scenario.

    Raises :class:`ScenarioError` naming every invalid value and any donor name that is not an
    alias of this plan (a confidential donor's real name included).
    """
    if not data:
        return Scenario()
    if not isinstance(data, dict):
        raise ScenarioError("the browser sent a scenario that is not a table of settings")
    back = {alias: donor for donor, alias in aliases.items()}
    fields = {k: v for k, v in data.items() if k != ORIGIN_KEY}
    return Scenario.from_dict(rename_scenario_donors(fields, back, strict=True))


def aliases_for(plan: Plan) -> dict[str, str]:
    """Donor -> the name shown in the dashboard (confidential donors anonymised)."""
    return donor_aliases(plan)


def write_temp_path(suffix: str) -> Path:
    """A fresh path in the temp dir (caller deletes it)."""
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="appeal-")
    os.close(fd)
    return Path(name)


@dataclass
class Context:
    """What most callbacks need: the plan, the alias map and the run of the user's scenario."""

    plan: Plan
    aliases: dict[str, str]
    scenario: Scenario
    run: PlanRun


def solve(config: AppConfig, scenario_data: dict[str, Any] | None) -> Context:
    """Load the plan and solve the user's scenario (browser form) through the result cache.

    Raises :class:`NoPlan` (empty store) or :class:`ScenarioError` (invalid scenario).
    """
    plan = load_plan(config)
    aliases = aliases_for(plan)
    scenario = shown_scenario(config, scenario_data, aliases)
    run = solve_scenario(config, plan, scenario)
    return Context(plan=plan, aliases=aliases, scenario=scenario, run=run)


def shown_scenario(
    config: AppConfig, scenario_data: dict[str, Any] | None, aliases: dict[str, str]
) -> Scenario:
    """The scenario a page shows: an analyst's working scenario when they are editing one,
    else the official appeal (always, for viewers and focal points: whatever their browser
    sends), else the defaults while no scenario is official."""
    from appeal import workspace
    from dashboards.roles import current_user

    if scenario_data and current_user().can("analyst"):
        return scenario_from_browser(scenario_data, aliases)
    return workspace.official_scenario(open_register(config)) or Scenario()


def solve_scenario(config: AppConfig, plan: Plan, scenario: Scenario) -> PlanRun:
    """One more solve on an already loaded plan, through the result cache; a scenario with
    ``stability = "reference"`` stays closest to the reference the register holds."""
    try:
        return service.solve(
            plan, scenario, cache=result_cache(config), register=open_register(config)
        )
    except service.InputError as exc:
        # A stability reference that does not resolve is a setting to fix, shown like any
        # other invalid setting of the scenario.
        raise ScenarioError([Problem("stability_reference", str(exc))]) from None
