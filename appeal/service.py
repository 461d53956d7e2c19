"""The application's use cases, in one place for the command line and the dashboard.

Read top to bottom, as a run goes:

1. a plan — :func:`plan_from_files` (the plan's spreadsheets, every rejected row reported) or
   :func:`plan_from_register` (the stored plan, cached per register :class:`Revision`);
2. a scenario — :func:`load_scenario` (a TOML file) or :func:`stored_scenario` (by name);
3. :func:`solve` — the allocation, through a :class:`ResultCache` when one is given, keyed on
   :func:`plan_fingerprint`, :func:`scenario_digest` and the stability reference's content
   (:mod:`appeal.stability`, loaded from the register when the scenario asks for one);
4. :func:`analyse` — gaps, donor base, stress and risk on top of a solved allocation;
5. out — :func:`check_export_target` and :func:`export_workbook` (the appeal workbook), the
   JSON of :mod:`appeal.report`, and :func:`run_summary` (the digest saved with a scenario,
   :func:`save_scenario`);

and :func:`import_files`, which stores validated files in the register.

Every result is a :class:`models.analytics.PlanRun`. Invalid input raises :class:`InputError`
(the command line exits 2, the dashboard shows the message); an import refused row by row
raises :class:`appeal.importer.ImportFailed`, whose report names every file, sheet, row and
column. Heavy parts (the importer, the register's SQL layer, the workbook writer) are imported
by the use case that needs them, so a command pays only for what it runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from models import gaps
from models.allocation import allocate
from models.analytics import PlanRun, analyse
from models.plan import Plan
from models.result import AllocationResult
from models.scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from appeal.formats import ReadOptions
    from appeal.importer import ImportReport
    from appeal.register import Register, Revision

__all__ = [
    "ImportOutcome",
    "InputError",
    "NoPlan",
    "PlanFiles",
    "PlanRun",
    "ResultCache",
    "analyse",
    "check_export_target",
    "check_scenario_donors",
    "export_workbook",
    "import_files",
    "load_scenario",
    "plan_fingerprint",
    "plan_from_files",
    "plan_from_register",
    "run_summary",
    "save_scenario",
    "scenario_digest",
    "solve",
    "stored_scenario",
]

RESULT_CACHE_BYTES = 256 * 1024 * 1024
T = TypeVar("T")
# Stored plans kept per process: one per register revision still being asked for.
PLAN_CACHE_SIZE = 4


class InputError(Exception):
    """Input the user must fix; the message says what and where (the command exits 2)."""


class NoPlan(InputError, LookupError):
    """The register holds no plan yet (nothing imported); each surface adds how to give one."""

    def __init__(self, message: str = "the pledge register has no programmes yet") -> None:
        super().__init__(message)


# -- 1. the plan --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanFiles:
    """The files of a plan: programmes (budget lines), pledge files, and the optional donor and
    exchange-rate tables. ``skip_invalid`` keeps the valid rows and reports the rejected ones
    (default: one invalid row refuses the whole import). ``read``: how they are written
    (:class:`appeal.formats.ReadOptions`; default the contract's layout, csv detected)."""

    programmes: str | Path | None
    pledges: tuple[str | Path, ...]
    donors: str | Path | None = None
    fx: str | Path | None = None
    skip_invalid: bool = False
    #: how the programmes and pledge files are written (layout, csv dialect, flows kept)
    read: ReadOptions | None = None


def plan_from_files(files: PlanFiles) -> tuple[Plan, ImportReport]:
    """The plan the files describe and the import report (rows read, kept, rejected).

    Raises :class:`appeal.importer.ImportFailed` (its report names every error) when the import
    is refused.
    """
    if not files.programmes:
        raise InputError("a plan from files needs its programmes file")
    from appeal.importer import load_plan

    return load_plan(
        files.programmes,
        list(files.pledges),
        donors=files.donors,
        fx=files.fx,
        skip_invalid=files.skip_invalid,
        options=files.read,
    )


class _PlanCache:
    """The stored plans this process has read, by register revision (bounded, thread-safe).

    Every register write bumps the revision in its own transaction, so a plan cached under a
    revision is exactly the register's content at that revision: a write can never be missed,
    on SQLite or on a server database shared by several processes.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._plans: OrderedDict[Revision, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, revision: Revision) -> Plan | None:
        with self._lock:
            plan = self._plans.get(revision)
            if plan is not None:
                self._plans.move_to_end(revision)
            return plan

    def put(self, revision: Revision, plan: Plan) -> None:
        with self._lock:
            self._plans[revision] = plan
            self._plans.move_to_end(revision)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()


_plans = _PlanCache(PLAN_CACHE_SIZE)


def plan_from_register(register: Register) -> Plan:
    """The plan stored in the register; :class:`NoPlan` when it holds no programmes.

    Read once per register revision and process (one small query tells whether it changed);
    callers treat the shared plan's frames as read-only.
    """
    plan = _plans.get(register.revision())
    if plan is None:
        revision, plan = register.snapshot()
        if plan.programmes.empty:
            raise NoPlan()
        _plans.put(revision, plan)
    return plan


# -- 2. the scenario ----------------------------------------------------------------------------
def load_scenario(path: str | Path | None) -> Scenario:
    """A scenario from a TOML file, or the defaults. Errors name the file."""
    if path is None:
        return Scenario().validate()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read scenario file: {exc.strerror}") from exc
    try:
        return Scenario.from_toml(text)
    except ScenarioError as exc:
        raise ScenarioError(f"{p}: {exc}") from exc


def check_scenario_donors(plan: Plan, scenario: Scenario, source: str | Path | None = None) -> None:
    """:class:`InputError` when the scenario names a donor (``excluded_donors``, the keys of
    ``risk.donor_probability``) with no pledge in the plan: a misspelt name would otherwise
    exclude nobody, silently. ``source``: the scenario's file, for the message."""
    from models.privacy import rename_scenario_donors

    donors = {str(d): str(d) for d in plan.pledges["donor"]}
    try:
        rename_scenario_donors(scenario.to_dict(), donors, strict=True)
    except ScenarioError as exc:
        where = f"{source}: " if source else ""
        raise InputError(f"scenario: {where}{exc}") from None


def stored_scenario(register: Register, name: str | None) -> Scenario:
    """The scenario saved under ``name``; the defaults when ``name`` is empty or is the
    default scenario's name and nothing is stored under it. :class:`InputError` otherwise."""
    from appeal.register import RegisterError

    default = Scenario().validate()
    if not name:
        return default
    try:
        return register.get_scenario(name)
    except RegisterError:
        if name == default.name:
            return default  # the default scenario needs no stored copy
    try:
        names = sorted(str(n) for n in register.list_scenarios()["name"])
    except Exception:  # naming the stored scenarios is a courtesy, never a failure
        names = []
    known = f" (stored: {', '.join(names)})" if names else " (none stored)"
    raise InputError(f"no scenario named {name!r} in the register{known}")


def scenario_digest(scenario: Scenario) -> str:
    """Canonical JSON of the scenario's allocation-relevant parameters (name and description
    do not change the allocation, so they are left out and renamed copies share a solve)."""
    data = scenario.to_dict()
    data.pop("name", None)
    data.pop("description", None)
    return json.dumps(data, sort_keys=True, default=str)


# -- 3. solve -----------------------------------------------------------------------------------
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
        plan.instalments,
        plan.donors,
        plan.fx,
    ):
        _frame_digest(frame, digest)
    digest.update(plan.title.encode())
    return digest.hexdigest()


class ResultCache:
    """Bounded, process-safe cache of solved allocations (diskcache: SQLite-backed, evicts the
    least recently stored entries past ``size_limit``), keyed by the plan's content and the
    scenario's parameters so two users' different scenarios never share an entry and a changed
    plan never serves a stale result."""

    def __init__(self, directory: str, size_limit: int = RESULT_CACHE_BYTES) -> None:
        import diskcache

        self._cache = diskcache.Cache(directory, size_limit=size_limit)

    def key(self, plan: Plan, scenario: Scenario, reference: pd.DataFrame | None = None) -> str:
        raw = plan_fingerprint(plan) + "|" + scenario_digest(scenario)
        if reference is not None:
            # The reference's content, not its name: a changed reference is another solve.
            from appeal.stability import reference_digest

            raw += "|reference:" + reference_digest(reference)
        return hashlib.sha256(raw.encode()).hexdigest()

    def result(
        self, plan: Plan, scenario: Scenario, reference: pd.DataFrame | None = None
    ) -> AllocationResult:
        """The allocation (with the stability ``reference`` when given), from the cache when
        it was solved before."""
        key = self.key(plan, scenario, reference)
        hit = self._cache.get(key)
        if isinstance(hit, AllocationResult):
            return hit
        result = allocate(plan, scenario, reference=reference)
        # Failed solves are not cached: a retry (e.g. with a longer time limit) must re-solve.
        if result.ok:
            self._cache.set(key, result)
        return result

    def remember(self, key: str, compute: Callable[[], T], keep: Callable[[T], bool]) -> T:
        """What ``compute()`` gives, stored under ``key`` (a digest of everything it depends
        on, e.g. made from :meth:`key`) when ``keep`` says it is worth keeping, and served
        from the cache the next time."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        value = compute()
        if keep(value):
            self._cache.set(key, value)
        return value

    def __len__(self) -> int:
        """How many entries the cache holds."""
        return len(self._cache)

    def run(self, plan: Plan, scenario: Scenario) -> PlanRun:
        """:func:`solve` through this cache."""
        return solve(plan, scenario, cache=self)

    def close(self) -> None:
        self._cache.close()


def solve(
    plan: Plan,
    scenario: Scenario,
    import_report: dict[str, Any] | None = None,
    *,
    cache: ResultCache | None = None,
    register: Register | None = None,
) -> PlanRun:
    """Allocate one plan under one scenario (through ``cache`` when given).

    With ``register`` and ``scenario.stability == "reference"``, the allocation stays closest
    to the reference ``scenario.stability_reference`` names (:mod:`appeal.stability`; an
    :class:`InputError` naming the key when it does not resolve). Without a register the
    stability stage has no reference and does not run."""
    reference = None
    if register is not None and scenario.stability == "reference":
        from appeal.stability import reference_table

        reference = reference_table(register, plan, scenario.stability_reference, cache=cache)
    if cache is not None:
        result = cache.result(plan, scenario, reference)
    else:
        result = allocate(plan, scenario, reference=reference)
    return PlanRun(plan=plan, scenario=scenario, result=result, import_report=import_report or {})


# -- 4. analyse ---------------------------------------------------------------------------------
# :func:`models.analytics.analyse` is the use case as it stands: a plan, its scenario and the
# allocation when already solved (``solve(...).result``) in, the run with gaps, donor base,
# stress cases and the pledge-risk simulation out.


# -- 5. out -------------------------------------------------------------------------------------
def check_export_target(path: str | Path) -> Path:
    """The workbook path, or :class:`InputError` when it cannot be one (missing folder, not
    .xlsx): checked before the long work, so a typo fails at once."""
    from appeal.workbook import WorkbookError, check_target

    try:
        return check_target(path)
    except WorkbookError as exc:
        raise InputError(str(exc)) from None


def export_workbook(
    path: str | Path,
    run: PlanRun,
    *,
    reveal_confidential: bool = False,
    hxl: bool = False,
    draft: tuple[str, ...] | list[str] = (),
    notes: pd.DataFrame | None = None,
) -> Path:
    """Write the appeal workbook of ``run``; :class:`InputError` when it cannot be written.

    ``draft``: the settings of an unsaved scenario that differ from its saved version
    (:func:`appeal.workspace.unsaved_changes`); ``notes``: the register's notes."""
    from appeal.workbook import WorkbookError, write_appeal_workbook

    try:
        return write_appeal_workbook(
            path,
            run,
            reveal_confidential=reveal_confidential,
            hxl=hxl,
            draft=draft,
            notes=notes,
        )
    except WorkbookError as exc:
        raise InputError(str(exc)) from None


def run_summary(run: PlanRun) -> dict[str, Any]:
    """The JSON-safe digest saved with a scenario: totals, donor-base figures, per-line funded,
    the number of pledges and the solver status (the Overview compares it with today's run)."""
    totals, breadth = run.totals, run.donor_base
    per_line = (
        gaps.line_years(run.plan, run.result).groupby("line_id")["funded_usd"].sum().to_dict()
    )
    return {
        "requirement_usd": float(totals["requirement_usd"]),
        "funded_usd": float(totals["funded_usd"]),
        "firm_usd": float(totals["firm_usd"]),
        "gap_usd": float(totals["gap_usd"]),
        "coverage": float(totals["coverage"]),
        "donor_count": int(breadth["donor_count"]),
        "hhi": float(breadth["hhi"]),
        "flexible_share": float(breadth["flexible_share"]),
        "pledge_count": len(run.plan.pledges),
        "solver_status": run.result.solver.status,
        "lines": {str(k): float(v) for k, v in per_line.items()},
    }


def save_scenario(register: Register, name: str, run: PlanRun) -> None:
    """Store the run's scenario under ``name`` with its :func:`run_summary` (none when the
    solve failed: a failed run is no reference to compare with)."""
    register.save_scenario(name, run.scenario, run_summary(run) if run.result.ok else None)


# -- into the register --------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOutcome:
    """What :func:`import_files` stored: the import report and the pledge counts around it."""

    report: ImportReport
    pledges_before: int
    pledges_after: int


def import_files(
    register: Register, files: PlanFiles, *, replace_existing: bool = False
) -> ImportOutcome:
    """Validate the files and store them in one transaction.

    With programmes, the plan's reference tables are stored too; without, the pledges are
    checked against the programmes (and rates) already in the register. Raises
    :class:`appeal.importer.ImportFailed` (nothing stored) or :class:`NoPlan`, and
    :class:`appeal.register.PledgeIdConflict` when a pledge id is stored from another file
    (unless ``replace_existing``: each replacement is then a warning in the report).
    """
    from appeal.importer import load_pledges

    if files.programmes:
        plan, report = plan_from_files(files)
    else:
        base = register.load_plan()
        if base.programmes.empty:
            raise NoPlan()
        plan, report = load_pledges(
            base,
            list(files.pledges),
            donors=files.donors,
            fx=files.fx,
            skip_invalid=files.skip_invalid,
            options=files.read,
        )
    before = len(register.pledges())
    register.import_plan(plan, report, replace_existing=replace_existing)
    return ImportOutcome(
        report=report, pledges_before=before, pledges_after=len(register.pledges())
    )
