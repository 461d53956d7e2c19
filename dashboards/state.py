"""Server-side state of the dashboard: configuration, the register, the plan and solved runs.

Why this module exists: the app serves several people at once, so nothing a user edits may
live in module-level variables. What a user is working on (the scenario in the editor) lives
in their browser (``dcc.Store``, as :func:`scenario_to_browser` dicts) or, once saved, in the
scenario store of the register. The server only keeps:

- :class:`AppConfig`, immutable, on the Flask app (``server.config["APPEAL"]``), read with
  :func:`get_config` inside a request;
- a bounded on-disk cache of solved allocations (:class:`ResultCache`, diskcache: safe
  across threads and processes, evicts by size) keyed by the plan's content fingerprint and the
  scenario's canonical JSON, so two users' different scenarios never share an entry and a
  changed plan never serves a stale result.

Confidential donors never reach the browser under their real names: scenario dicts sent to
the browser carry aliases ("Anonymous donor N") and are mapped back on the server
(:func:`scenario_from_browser`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import diskcache
import pandas as pd

from appeal import pipeline
from models.plan import Plan
from models.privacy import donor_aliases, rename_scenario_donors
from models.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from appeal.register import Register

UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024
RESULT_CACHE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class AppConfig:
    """What a running dashboard needs to know; frozen so no request can change it."""

    db_url: str
    cache_dir: str
    upload_limit_bytes: int = UPLOAD_LIMIT_BYTES
    risk_workers: int = 2

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
    return _register(config.db_url, os.getpid())


@functools.lru_cache(maxsize=8)
def _register(url: str, pid: int) -> Register:
    # A connection pool, not user state: shared by requests, and keyed by the process id so a
    # forked background job never reuses its parent's SQLite connections.
    from appeal.register import Register

    del pid
    return Register(url)


class NoPlan(LookupError):
    """The store holds no plan yet (nothing imported)."""


def load_plan(config: AppConfig) -> Plan:
    """The plan stored in the register; :class:`NoPlan` when the store is empty.

    For a SQLite register whose file has not changed for a while, the plan read last time is
    reused (see :func:`_settled_stamp`); every other case reads the register.
    """
    stamp = _settled_stamp(config.db_url)
    if stamp is not None:
        return _load_plan_at(config.db_url, stamp)
    return _read_plan(config.db_url)


def _read_plan(url: str) -> Plan:
    reg = _register(url, os.getpid())
    if reg.is_empty():
        raise NoPlan(
            "The pledge register is empty. Start the app with --demo to load the sample data, "
            "or import a plan with `appeal import`."
        )
    return reg.load_plan()


SETTLE_SECONDS = 2.0


def _settled_stamp(url: str) -> tuple[int, int, int] | None:
    """(inode, size, mtime_ns) of a SQLite register file that was last written more than
    SETTLE_SECONDS ago, else ``None``.

    Any later write changes the mtime to a later clock tick, so a plan cached under a settled
    stamp can never be served after the register changed; a file written moments ago (same
    clock tick as a possible next write) is always read afresh.
    """
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    path = url.removeprefix("sqlite:///")
    try:
        st = os.stat(path)
        journal = os.path.exists(path + "-journal") or os.path.exists(path + "-wal")
    except OSError:
        return None
    if journal or time.time() - st.st_mtime < SETTLE_SECONDS:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load_plan_at(url: str, stamp: tuple[int, int, int]) -> Plan:
    # Shared, read-only data of the register (the same for every user), never user state.
    # Callers treat the Plan's frames as read-only.
    del stamp  # part of the cache key only
    return _read_plan(url)


# -- fingerprints and the result cache ---------------------------------------------------------
def _frame_digest(frame: pd.DataFrame, digest: Any) -> None:
    digest.update(",".join(map(str, frame.columns)).encode())
    if len(frame):
        hashed = pd.util.hash_pandas_object(frame, index=False)
        digest.update(hashed.to_numpy().tobytes())


def plan_fingerprint(plan: Plan) -> str:
    """A content hash of the plan's tables: equal plans give equal fingerprints."""
    digest = hashlib.sha256()
    for frame in (
        plan.programmes,
        plan.requirements,
        plan.pledges,
        plan.tranches,
        plan.donors,
        plan.fx,
    ):
        _frame_digest(frame, digest)
    digest.update(plan.title.encode())
    return digest.hexdigest()


def scenario_key(scenario: Scenario) -> str:
    """Canonical JSON of the scenario's allocation-relevant parameters (name and description
    do not change the allocation, so they are left out and renamed copies share a solve)."""
    data = scenario.to_dict()
    data.pop("name", None)
    data.pop("description", None)
    return json.dumps(data, sort_keys=True, default=str)


class ResultCache:
    """Bounded, process-safe cache of solved runs (diskcache: SQLite-backed, evicts the
    least recently stored entries past ``size_limit``)."""

    def __init__(self, directory: str, size_limit: int = RESULT_CACHE_BYTES) -> None:
        self._cache = diskcache.Cache(directory, size_limit=size_limit)

    def key(self, plan: Plan, scenario: Scenario) -> str:
        raw = plan_fingerprint(plan) + "|" + scenario_key(scenario)
        return hashlib.sha256(raw.encode()).hexdigest()

    def run(self, plan: Plan, scenario: Scenario) -> pipeline.PlanRun:
        """The plan solved under the scenario, from the cache when it was solved before."""
        key = self.key(plan, scenario)
        hit = self._cache.get(key)
        if hit is not None:
            result = hit
        else:
            result = pipeline.run(plan, scenario).result
            # Failed solves are not cached: a retry (e.g. with a longer time limit) must re-solve.
            if result.ok:
                self._cache.set(key, result)
        return pipeline.PlanRun(plan=plan, scenario=scenario, result=result, import_report={})

    def close(self) -> None:
        self._cache.close()


def result_cache(config: AppConfig) -> ResultCache:
    """The result cache of this app, one handle per process (opening one costs ~40 ms)."""
    return _result_cache(config.results_dir, os.getpid())


@functools.lru_cache(maxsize=8)
def _result_cache(directory: str, pid: int) -> ResultCache:
    # diskcache handles are thread-safe; keyed by pid so a forked job opens its own.
    del pid
    return ResultCache(directory)


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
    run: pipeline.PlanRun


def solve(config: AppConfig, scenario_data: dict[str, Any] | None) -> Context:
    """Load the plan and solve the user's scenario (browser form) through the result cache.

    Raises :class:`NoPlan` (empty store) or :class:`ScenarioError` (invalid scenario).
    """
    plan = load_plan(config)
    aliases = aliases_for(plan)
    scenario = scenario_from_browser(scenario_data, aliases)
    run = result_cache(config).run(plan, scenario)
    return Context(plan=plan, aliases=aliases, scenario=scenario, run=run)


def solve_scenario(config: AppConfig, plan: Plan, scenario: Scenario) -> pipeline.PlanRun:
    """One more solve on an already loaded plan, through the result cache."""
    return result_cache(config).run(plan, scenario)
