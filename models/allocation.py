"""The allocation engine: every pledge's money to budget lines and years, by priority.

Pipeline (each step a function named for it; timings land in
``AllocationResult.solver.phases``):

1. validate    - check the data: :func:`models.pooling.check_data` (a clear
                 :class:`AllocationInputError` naming every problem)
2. pool        - :func:`models.pooling.pool_pledges` (interchangeable money grouped)
3. build       - create the model: :func:`models.formulation.build_formulation` (one
                 ``define_*`` per variable and constraint family) and the solver back end
                 (:func:`models.solve.make_backend`)
4. solve       - the lexicographic stages, :func:`models.stages.solve_lexicographic` (value
                 deciding the minimum-viable binaries, targets, earlier years, stability) on
                 HiGHS with the engine's own branch and bound (:mod:`models.branch_and_bound`);
                 CBC on request, and instead of HiGHS when HiGHS fails under ``solver = "auto"``
5. extract     - assign the solution: :class:`models.solution.SolutionReader` (each group's
                 spending over its pools first in, first out, each pool's over its pledges pro
                 rata; lines, targets, minimum viable status)
6. explain     - post-process: :mod:`models.explain` (reasons from the duals of the
                 value-defining stage) and what-ifs on a twin of the model that stays closest to
                 today's allocation (the next USD 1 million; the extra money at which each cut
                 minimum-viable programme becomes viable)
7. sensitivity - :mod:`models.sensitivity`: the range of each weight and target share within
                 which the allocation does not change (optional)

Public surface::

    allocate(plan, scenario, reference=None, sensitivity=True) -> AllocationResult
    AllocationModel.build(plan, scenario, reference=None) -> AllocationModel
        .solve(explain=True, sensitivity=False) -> AllocationResult
        .solve_scaled({pledge_id: factor}) -> ScaledSolution   # in-place re-solve
        .reset_warm_start(start=None)                            # next solve starts afresh

``reference``: a table with ``line_id``, ``year``, ``funded_usd`` (e.g. the official appeal's
``lines``) that the stability stage stays close to when ``scenario.stability == "reference"``;
the result's ``stability`` says how many line-years moved with and without it. The model itself
carries no stability rows: the allocation without stability is the very one the scenario with
``stability = "none"`` gives; the stability stage then runs on a twin that has them, holding
its minimum-viable decisions.

Data problems raise :class:`AllocationInputError` (a ``ValueError``) naming them; solver
trouble (time limit without a solution, infeasibility) never raises: the result's
``solver.status`` / ``solver.message`` say what happened and all money is reported
unallocated with reason ``solver_error``.

Figures (``python -m benchmarks.bench_allocation``; results in benchmarks/results/): the
XL plan (10,000 pledges, 300 lines, 6 years) allocates end to end, every stage included, in
well under a second as a MILP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import explain as explain_mod
from models import sensitivity as sensitivity_mod
from models.formulation import Formulation, build_formulation
from models.plan import Plan
from models.pooling import AllocationInputError, Pooling, check_data, pool_pledges, sum_by
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario
from models.solution import Flows, SolutionReader, Tables
from models.solve import HighsModel, PulpModel, choose_solver, make_backend
from models.stages import LexOutcome, Money, StagePlan, solve_lexicographic, value_duals

__all__ = [
    "MOVED_USD",
    "REFERENCE_COLUMNS",
    "AllocationInputError",
    "AllocationModel",
    "ScaledSolution",
    "allocate",
]

NEXT_MILLION = 1_000_000.0
# A line-year "moved" when its funding differs from the reference by more than this.
MOVED_USD = 1.0
REFERENCE_COLUMNS = ("line_id", "year", "funded_usd")
# The funded table of a re-solve asked for arrays only (pandas per draw costs 0.3 ms at M).
_NO_FRAME = pd.DataFrame(columns=["line_id", "year", "funded_usd", "firm_usd"])


@dataclass
class ScaledSolution:
    """Result of :meth:`AllocationModel.solve_scaled`: line-year funding only (fast)."""

    status: str
    objective: float | None
    funded: pd.DataFrame  # line_id, year, funded_usd, firm_usd (line-years with a need)
    min_viable_funded: dict[str, bool]  # per line with a minimum viable share
    funded_ly: np.ndarray | None = None  # funded_usd as an array, in the frame's order
    firm_ly: np.ndarray | None = None


def allocate(
    plan: Plan,
    scenario: Scenario,
    reference: pd.DataFrame | None = None,
    *,
    sensitivity: bool = True,
    explain: bool = True,
) -> AllocationResult:
    """Allocate a plan under a scenario (build the model once and solve it), with the
    explanations unless ``explain=False`` (the allocation alone: several times faster where
    minimum-viable lines make the explanations re-solve) and, unless ``sensitivity=False``,
    the sensitivity ranges."""
    model = AllocationModel.build(plan, scenario, reference=reference)
    return model.solve(explain=explain, sensitivity=sensitivity)


class _Phases(dict[str, float]):
    """Seconds per pipeline phase."""

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[phase] = time.perf_counter() - start


@dataclass
class _Solved:
    """One run of the stages: which back end did it and what it found."""

    outcome: LexOutcome
    backend: HighsModel | PulpModel
    fallback: str | None = None  # why CBC replaced HiGHS


class AllocationModel:
    """A built allocation model that can be solved, and re-solved with scaled pledges."""

    def __init__(
        self,
        plan: Plan,
        scenario: Scenario,
        pools: Pooling,
        form: Formulation,
        backend: HighsModel | PulpModel,
        phases: dict[str, float],
        reference: pd.DataFrame | None = None,
    ) -> None:
        self.plan = plan
        self.scenario = scenario
        self.pools = pools
        self.form = form
        self.backend = backend
        self.phases = phases
        self.reference = reference
        self.reference_usd = _reference_vector(pools, reference) if reference is not None else None
        self.reader = SolutionReader(plan, scenario, pools, form)
        self.stage_plan = StagePlan.for_scenario(form, scenario)
        self._fallback: PulpModel | None = None
        self._stability_twin: AllocationModel | None = None

    # -- check data, pool, create the model -------------------------------------------------
    @classmethod
    def build(
        cls,
        plan: Plan,
        scenario: Scenario,
        *,
        backend: str | None = None,
        reference: pd.DataFrame | None = None,
        pools: Pooling | None = None,
        stability_rows: bool = False,
    ) -> AllocationModel:
        """Validate, pool and build. ``backend`` overrides the scenario's solver choice
        (one of :data:`models.solve.BACKENDS`, for benchmarks and comparisons);
        ``reference`` is the allocation the stability stage stays close to (line_id, year,
        funded_usd); ``pools``: the plan already pooled under this scenario;
        ``stability_rows``: build the stability families into this model (the twins do)."""
        phases = _Phases()
        with phases.timed("validate"):
            scenario.validate()
            check_data(plan, scenario)
        with phases.timed("pool"):
            pools = pools if pools is not None else pool_pledges(plan, scenario)
        with phases.timed("build"):
            try:
                ref = None
                if stability_rows and reference is not None:
                    ref = _reference_vector(pools, reference)
                form = build_formulation(plan, scenario, pools, ref)
                model = make_backend(form.matrix, backend or choose_solver(scenario.solver))
            except ValueError as exc:  # e.g. criteria weights without score columns
                raise AllocationInputError(str(exc)) from exc
        return cls(plan, scenario, pools, form, model, dict(phases), reference)

    # -- solver state -----------------------------------------------------------------------
    def reset_warm_start(self, start: object | None = None) -> None:
        """Forget the solver's warm-start state, so the next solve depends only on the model
        and its money (and ``start``, a :meth:`warm_start` kept from an earlier solve), not
        on what was solved in between (see
        :meth:`models.solve.SolverBackend.reset_warm_start`)."""
        self.backend.reset_warm_start(start)

    def warm_start(self) -> object | None:
        """Where the next solve would start (see :meth:`reset_warm_start`)."""
        return self.backend.warm_start()

    def money(self, supply: np.ndarray) -> Money:
        """Everything in the model that is money, for these pool supplies."""
        return Money.of(self.form, self.pools, supply)

    def run_stages(
        self,
        money: Money,
        *,
        binaries: np.ndarray | None = None,
        plan: StagePlan | None = None,
        keep_stage_values: bool = False,
    ) -> _Solved:
        """The lexicographic stages on the model's back end, with ``money`` in it; under
        ``solver = "auto"`` a HiGHS failure is solved again with CBC, and the result says
        so."""
        sc = self.scenario

        def attempt(backend: HighsModel | PulpModel) -> LexOutcome:
            try:
                return solve_lexicographic(
                    backend,
                    self.form,
                    plan or self.stage_plan,
                    money,
                    time_limit=sc.time_limit_seconds,
                    mip_gap=sc.mip_gap,
                    binaries=binaries,
                    keep_stage_values=keep_stage_values,
                )
            except Exception as exc:  # a solver crash must not become a user-facing traceback
                failed = LexOutcome("error", None, None, [], None, 0.0)
                failed.message = f"solver failed: {exc}"
                return failed

        outcome = attempt(self.backend)
        if outcome.status != "error" or sc.solver != "auto":
            solved = _Solved(outcome, self.backend)
        else:
            if self._fallback is None:
                self._fallback = PulpModel(self.form.matrix, "cbc")
            reason = f"{self.backend.name} failed ({outcome.message}); solved with CBC instead"
            retry = attempt(self._fallback)
            if retry.status == "error":
                retry.message = f"{reason}, which failed too: {retry.message}"
            solved = _Solved(retry, self._fallback, reason)
        if self.wants_stability and (plan is None or plan.stability):
            self._add_stability(solved, money)
        return solved

    @property
    def wants_stability(self) -> bool:
        """The scenario asks for the stability stage, a reference was given and this model
        carries no stability rows of its own (the twin that has them runs the stage)."""
        return (
            self.scenario.stability == "reference"
            and self.reference is not None
            and not self.form.has_reference
        )

    def stability_twin(self) -> AllocationModel:
        """This model with the stability rows (same plan, scenario, reference, back end
        kind), built on first use."""
        if self._stability_twin is None:
            self._stability_twin = AllocationModel.build(
                self.plan,
                self.scenario,
                backend=_backend_kind(self.backend),
                reference=self.reference,
                pools=self.pools,
                stability_rows=True,
            )
        return self._stability_twin

    def _add_stability(self, solved: _Solved, money: Money) -> None:
        """Run the stages again on the stability twin holding this solve's minimum-viable
        decisions; its allocation becomes the outcome's, this one the one before stability."""
        outcome = solved.outcome
        if outcome.values is None:
            return
        twin = self.stability_twin()
        again = twin.run_stages(
            twin.money(money.supply), binaries=twin.transfer_binaries(outcome.values)
        ).outcome
        report = next((r for r in again.stages if r.name == "stability"), None)
        if again.values is None or report is None:
            outcome.message = f"the stability stage failed: {again.message}"
            return
        outcome.before_stability = outcome.values
        outcome.values = again.values[: self.form.matrix.n_cols]
        outcome.stages.append(report)
        outcome.seconds += again.seconds

    # -- full solve -------------------------------------------------------------------------
    def solve(
        self,
        *,
        explain: bool = True,
        sensitivity: bool = False,
        min_viable: Mapping[str, bool] | None = None,
    ) -> AllocationResult:
        """Solve with the plan's money and return every table of the result.

        ``sensitivity``: also the ranges of :mod:`models.sensitivity`. ``min_viable``: hold
        these minimum-viable decisions (line_id -> funded at its minimum or not, for every
        line with a minimum-viable share) instead of deciding them."""
        phases = _Phases(self.phases)
        supply = self.pools.pool_supply
        money = self.money(supply)
        held = self._held_binaries(min_viable) if min_viable is not None else None
        solved = self.run_stages(money, binaries=held, keep_stage_values=sensitivity)
        outcome = solved.outcome
        phases["solve"] = outcome.seconds
        with phases.timed("extract"):
            values = outcome.values
            flows = self.reader.flows(values, supply) if values is not None else Flows.none()
            cut = self.reader.cut_lines(values)
            tables = self.reader.tables(flows, supply, cut, solved=values is not None)
        extra: dict[str, object] = {}
        if explain and values is not None:
            with phases.timed("explain"):
                extra = self._explain(solved, flows, cut, supply, tables)
        ranges = None
        if sensitivity and values is not None:
            with phases.timed("sensitivity"):
                ranges = sensitivity_mod.sensitivity_ranges(self, solved.outcome)
        info = SolverInfo(
            name=solved.backend.name,
            status=outcome.status,
            seconds=sum(phases.values()),
            mip_gap=outcome.mip_gap,
            objective=outcome.objective,
            message=outcome.message or _status_message(outcome.status),
            is_mip=self.form.matrix.is_mip,
            phases=dict(phases),
            stages=[r.to_dict() for r in outcome.stages],
            fallback=solved.fallback,
        )
        return AllocationResult(
            allocations=tables.allocations,
            unallocated=tables.unallocated,
            lines=tables.lines,
            targets=tables.targets,
            solver=info,
            explanations=extra.get("explanations", explain_mod.empty_explanations()),  # type: ignore[arg-type]
            flexible_marginal_value=extra.get("flexible_marginal_value"),  # type: ignore[arg-type]
            line_marginal_value=extra.get(  # type: ignore[arg-type]
                "line_marginal_value", pd.DataFrame(columns=["line_id", "year", "value_per_usd"])
            ),
            next_million=extra.get(  # type: ignore[arg-type]
                "next_million", pd.DataFrame(columns=["line_id", "year", "amount_usd"])
            ),
            min_viable=extra.get("min_viable", tables.min_viable),  # type: ignore[arg-type]
            pools=int((self.pools.pool_supply > 0).sum()),
            stability=self._stability_report(outcome),
            sensitivity=ranges,
        )

    # -- post-process -----------------------------------------------------------------------
    def _explain(
        self,
        solved: _Solved,
        flows: Flows,
        cut: np.ndarray,
        supply: np.ndarray,
        tables: Tables,
    ) -> dict[str, object]:
        form, values = self.form, solved.outcome.values
        assert values is not None
        twin = self.what_if_model(tables)
        duals = self.duals(solved, values, supply)
        if duals is None:
            # No duals from CBC: the twin (HiGHS) solves the same LPs, holding these
            # minimum-viable decisions, and gives the duals at its own optimum (valid for every
            # optimum of the LP; CBC's rounded values would not even be feasible for HiGHS).
            own = twin.run_stages(twin.money(supply), binaries=twin.transfer_binaries(values))
            if own.outcome.values is not None:
                duals = _restrict_duals(twin.duals(None, own.outcome.values, supply), form)
        out: dict[str, object] = {}
        if duals is not None:
            row_mv, col_mv = duals
            # One more unearmarked USD arriving in the first year (the probe pool's balance
            # row), with the policy targets' USD bases held fixed.
            out["flexible_marginal_value"] = float(row_mv[form.arrival_rows[self.pools.probe]])
            out["line_marginal_value"] = explain_mod.line_marginal_frame(
                self.reader.ly_frame, form, col_mv, self.scenario.weights.tranche_share
            )
        # Where the next USD 1 million of unearmarked money would go, and at what extra amount
        # each cut minimum-viable programme becomes viable: what-ifs on the twin, holding
        # today's minimum-viable decisions and staying as close to today's allocation as the
        # earlier stages allow (a re-solve could otherwise land on another of many equally
        # good allocations and show a reshuffle between lines, which says nothing about what
        # the new money buys).
        viable_at = twin.viable_at_extra(values, cut, supply)
        more = supply.copy()
        more[self.pools.probe] += explain_mod.NEXT_MILLION
        extra = twin.run_stages(twin.money(more), binaries=twin.transfer_binaries(values))
        if extra.outcome.values is not None:
            x2 = twin.reader.spend(extra.outcome.values)
            funded2 = sum_by(form.sets.col_ly, weights=x2, minlength=form.sets.n_ly)
            out["next_million"] = explain_mod.next_million_frame(
                self.reader.ly_frame, funded2 - tables.funded_ly
            )
        out["min_viable"] = tables.min_viable.assign(
            viable_at_extra_usd=tables.min_viable["line_id"].map(viable_at)
        )
        out["explanations"] = explain_mod.explain_lines(
            self.plan,
            self.pools,
            form,
            flows,
            cut,
            supply,
            self.scenario,
            duals=duals,
            viable_at=viable_at,
        )
        return out

    def duals(
        self, solved: _Solved | None, values: np.ndarray, supply: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Duals of the value-defining LP at ``values`` (see :func:`models.stages.value_duals`)
        on the back end that solved (``solved``; None: the model's own)."""
        backend = solved.backend if solved is not None else self.backend
        return value_duals(
            backend,
            self.form,
            self.stage_plan,
            self.money(supply),
            values,
            time_limit=self.scenario.time_limit_seconds,
        )

    def what_if_model(self, tables: Tables) -> AllocationModel:
        """A twin of this model (HiGHS) whose stability stage stays closest to today's
        allocation (``tables``), for what-ifs; built once per model and solve."""
        reference = self.reader.ly_frame.assign(funded_usd=tables.funded_ly)
        # model_copy: both values are valid literals, so no second validation of the scenario
        # (a click that changes one number validates once).
        twin = self.scenario.model_copy(
            update={"stability": "reference", "solver": "highs"}, deep=True
        )
        return AllocationModel.build(
            self.plan,
            twin,
            reference=reference,
            pools=self.pools,
            stability_rows=True,
        )

    def _held_binaries(self, decisions: Mapping[str, bool]) -> np.ndarray:
        lines = [self.pools.line_ids[int(i)] for i in self.form.sets.mv_lines]
        missing = [lid for lid in lines if lid not in decisions]
        if missing:
            raise AllocationInputError(
                "min_viable decisions must cover every minimum-viable line; missing: "
                + ", ".join(missing)
            )
        out = np.zeros(self.form.matrix.n_cols)
        out[self.form.matrix.cols("viable")] = [float(bool(decisions[lid])) for lid in lines]
        return out

    def transfer_binaries(self, values: np.ndarray) -> np.ndarray:
        """Column values of this model with another model's minimum-viable decisions (same
        plan and scenario: the ``viable`` family is the same lines in the same order)."""
        out = np.zeros(self.form.matrix.n_cols)
        out[self.form.matrix.cols("viable")] = values[self.form.matrix.cols("viable")]
        return out

    def viable_at_extra(
        self, values: np.ndarray, cut: np.ndarray, supply: np.ndarray
    ) -> dict[str, float | None]:
        """Per cut minimum-viable line: the extra unearmarked money (arriving in the first
        year) at which the best allocation makes it viable, the other programmes'
        decisions held (None when even the whole requirement of the plan would not)."""
        return explain_mod.viable_thresholds(self, values, cut, supply)

    def _stability_report(self, outcome: LexOutcome) -> dict[str, object] | None:
        """How many line-years moved against the reference, with and without the stability
        stage (None without a reference)."""
        ref = self.reference_usd
        if ref is None:
            return None
        applied = self.wants_stability and any(r.name == "stability" for r in outcome.stages)
        report: dict[str, object] = {
            "requested": self.scenario.stability == "reference",
            "applied": applied,
            "line_years": int(self.form.sets.n_ly),
            "moved_usd_threshold": MOVED_USD,
        }
        for key, vals in (("without", outcome.before_stability), ("with", outcome.values)):
            if vals is None or (key == "with" and not applied):
                continue
            spend = self.reader.spend(vals)
            funded = sum_by(self.form.sets.col_ly, weights=spend, minlength=len(ref))
            diff = np.abs(funded - ref)
            report[f"moved_{key}_stability"] = int((diff > MOVED_USD).sum())
            report[f"distance_{key}_stability_usd"] = float(diff.sum())
        return report

    # -- fast re-solves ---------------------------------------------------------------------
    def solve_scaled(self, pledge_scale: Mapping[str, float]) -> ScaledSolution:
        """Re-solve with each listed pledge's money multiplied by its factor (missing = 1).

        Only money changes (pool supplies, target constants, the minimum-viable money caps),
        in the live solver model, which warm-starts from the previous solve. A factor of 0
        removes a pledge (use it for every pledge of a donor to remove the donor).
        """
        for pid, f in pledge_scale.items():
            if not 0.0 <= float(f) <= 1.0:
                raise AllocationInputError(f"scale for pledge {pid} must be in [0, 1], got {f}")
        supply, firm_supply = self.reader.scaled_supply(dict(pledge_scale))
        return self.solve_supply(supply, firm_supply)

    def solve_supply(
        self, supply: np.ndarray, firm_supply: np.ndarray, *, frame: bool = True
    ) -> ScaledSolution:
        """Re-solve with these pool supplies (see :meth:`solve_scaled`); ``frame=False``
        skips the ``funded`` table (the arrays are there either way)."""
        outcome = self.run_stages(self.money(supply)).outcome
        if outcome.values is None:
            funded = self.reader.ly_frame.assign(funded_usd=0.0, firm_usd=0.0)
            return ScaledSolution(outcome.status, None, funded if frame else _NO_FRAME, {})
        flows = self.reader.flows(outcome.values, supply)
        funded_ly, firm_ly = self.reader.funded_and_firm(flows, supply, firm_supply)
        table = (
            self.reader.ly_frame.assign(funded_usd=funded_ly, firm_usd=firm_ly)
            if frame
            else _NO_FRAME
        )
        return ScaledSolution(
            outcome.status,
            outcome.objective,
            table,
            self.reader.min_viable_funded(outcome.values),
            funded_ly,
            firm_ly,
        )


def _backend_kind(backend: HighsModel | PulpModel) -> str:
    """The :data:`models.solve.BACKENDS` name of a back end."""
    if isinstance(backend, PulpModel):
        return "cbc" if backend.solver == "cbc" else "pulp-highs"
    return "highs-mip" if backend.branching == "highs" else "highs"


def _reference_vector(pools: Pooling, reference: pd.DataFrame) -> np.ndarray:
    """Reference funding per line-year with a need (the model's line-year order); line-years
    the table does not list count 0. The table needs line_id, year and funded_usd."""
    missing = [c for c in REFERENCE_COLUMNS if c not in reference.columns]
    if missing:
        raise AllocationInputError("the reference allocation lacks column(s) " + ", ".join(missing))
    has = pools.req > 0
    ly_index = np.full(has.shape, -1, dtype=np.int64)
    ly_index[has] = np.arange(int(has.sum()))
    line_pos = {lid: i for i, lid in enumerate(pools.line_ids)}
    year_pos = {y: t for t, y in enumerate(pools.years)}
    out = np.zeros(int(has.sum()))
    for lid, year, usd in zip(
        reference["line_id"].astype(str),
        pd.to_numeric(reference["year"], errors="coerce"),
        pd.to_numeric(reference["funded_usd"], errors="coerce"),
        strict=True,
    ):
        if not np.isfinite(year) or not np.isfinite(usd):
            raise AllocationInputError(
                f"the reference allocation has a non-numeric year or funded_usd for line {lid}"
            )
        li, ti = line_pos.get(lid), year_pos.get(int(year))
        if li is not None and ti is not None and ly_index[li, ti] >= 0:
            out[ly_index[li, ti]] += max(float(usd), 0.0)
    return out


def _restrict_duals(
    duals: tuple[np.ndarray, np.ndarray] | None, form: Formulation
) -> tuple[np.ndarray, np.ndarray] | None:
    """The twin's duals on this model's rows and columns (the twin only adds stability
    families, after all of this model's)."""
    if duals is None:
        return None
    rows, cols = duals
    return rows[: form.matrix.n_rows], cols[: form.matrix.n_cols]


def _status_message(status: str) -> str:
    return {
        "optimal": "optimal allocation found",
        "time_limit_feasible": "stopped on the time limit: the allocation is feasible but may "
        "not be optimal (see mip_gap)",
    }.get(status, status)
