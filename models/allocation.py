"""The allocation engine: every pledge's money to budget lines and years, by priority.

Pipeline (each step a function named for it; timings land in
``AllocationResult.solver.phases``):

1. validate   - check the data: :func:`models.pooling.check_data` (a clear
                :class:`AllocationInputError` naming every problem)
2. pool       - :func:`models.pooling.pool_pledges` (interchangeable money grouped)
3. build      - create the model: :func:`models.formulation.build_formulation` (one
                ``define_*`` per variable and constraint family) and the solver back end
                (:func:`models.solve.make_backend`)
4. solve      - :mod:`models.solve` (HiGHS by default, with the engine's own branch and
                bound, :mod:`models.branch_and_bound`; CBC on request)
5. extract    - assign the solution: :class:`models.solution.SolutionReader` (each group's
                spending over its pools first in, first out, each pool's over its pledges pro
                rata; lines, targets, minimum viable status)
6. explain    - post-process: :mod:`models.explain` (reasons) and what-ifs on the solved
                model (marginal values from duals, the next USD 1 million)

Public surface::

    allocate(plan, scenario) -> AllocationResult
    AllocationModel.build(plan, scenario) -> AllocationModel
        .solve(explain=True) -> AllocationResult
        .solve_scaled({pledge_id: factor}) -> ScaledSolution   # in-place re-solve
        .reset_warm_start()                                      # next solve starts cold

Data problems raise :class:`AllocationInputError` (a ``ValueError``) naming them; solver
trouble (time limit without a solution, infeasibility) never raises: the result's
``solver.status`` / ``solver.message`` say what happened and all money is reported
unallocated with reason ``solver_error``.

Figures (``python -m benchmarks.bench_allocation``; results in benchmarks/results/): the
L plan (3,000 pledges, 100 lines, 6 years) allocates end to end in about 0.5 s as a MILP,
hundreds of times faster than the per-pledge reference LP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import explain as explain_mod
from models.formulation import Formulation, build_formulation
from models.plan import Plan
from models.pooling import AllocationInputError, Pooling, check_data, pool_pledges, sum_by
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario
from models.solution import Flows, SolutionReader, Tables
from models.solve import HighsModel, PulpModel, SolveOutcome, choose_solver, make_backend

__all__ = [
    "AllocationInputError",
    "AllocationModel",
    "ScaledSolution",
    "allocate",
]

NEXT_MILLION = 1_000_000.0


@dataclass
class ScaledSolution:
    """Result of :meth:`AllocationModel.solve_scaled`: line-year funding only (fast)."""

    status: str
    objective: float | None
    funded: pd.DataFrame  # line_id, year, funded_usd, firm_usd (line-years with a need)
    min_viable_funded: dict[str, bool]  # per line with a minimum viable share


def allocate(plan: Plan, scenario: Scenario) -> AllocationResult:
    """Allocate a plan under a scenario (build the model once and solve it)."""
    return AllocationModel.build(plan, scenario).solve()


class _Phases(dict[str, float]):
    """Seconds per pipeline phase."""

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[phase] = time.perf_counter() - start


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
    ) -> None:
        self.plan = plan
        self.scenario = scenario
        self.pools = pools
        self.form = form
        self.backend = backend
        self.phases = phases
        self.reader = SolutionReader(plan, scenario, pools, form)

    # -- check data, pool, create the model -------------------------------------------------
    @classmethod
    def build(
        cls, plan: Plan, scenario: Scenario, *, backend: str | None = None
    ) -> AllocationModel:
        """Validate, pool and build. ``backend`` overrides the scenario's solver choice
        (one of :data:`models.solve.BACKENDS`, for benchmarks and comparisons)."""
        phases = _Phases()
        with phases.timed("validate"):
            scenario.validate()
            check_data(plan, scenario)
        with phases.timed("pool"):
            pools = pool_pledges(plan, scenario)
        with phases.timed("build"):
            try:
                form = build_formulation(plan, scenario, pools)
                model = make_backend(form.matrix, backend or choose_solver(scenario.solver))
            except ValueError as exc:  # e.g. criteria weights without score columns
                raise AllocationInputError(str(exc)) from exc
        return cls(plan, scenario, pools, form, model, dict(phases))

    # -- solver state -----------------------------------------------------------------------
    def reset_warm_start(self) -> None:
        """Forget the solver's warm-start state, so the next solve depends only on the model
        and its right-hand sides, not on what was solved before (see
        :meth:`models.solve.SolverBackend.reset_warm_start`)."""
        self.backend.reset_warm_start()

    def _set_supply(
        self, supply: np.ndarray, backend: HighsModel | PulpModel | None = None
    ) -> None:
        """Pool supplies and the target constants that depend on them, in place (in
        ``backend``, by default the model's own)."""
        rows, lo, hi = self.form.money_bounds(self.pools, supply)
        (backend or self.backend).set_row_bounds(rows, lo, hi)

    def _run(self) -> SolveOutcome:
        sc = self.scenario
        try:
            return self.backend.solve(sc.time_limit_seconds, sc.mip_gap)
        except Exception as exc:  # a solver crash must not become a user-facing traceback
            return SolveOutcome("error", None, None, None, 0.0, f"solver failed: {exc}")

    # -- full solve -------------------------------------------------------------------------
    def solve(self, *, explain: bool = True) -> AllocationResult:
        """Solve with the plan's money and return every table of the result."""
        phases = _Phases(self.phases)
        supply = self.pools.pool_supply
        self._set_supply(supply)
        outcome = self._run()
        phases["solve"] = outcome.seconds
        with phases.timed("extract"):
            values = outcome.values
            flows = self.reader.flows(values, supply) if values is not None else Flows.none()
            cut = self.reader.cut_lines(values)
            tables = self.reader.tables(flows, supply, cut, solved=values is not None)
        extra: dict[str, object] = {}
        with phases.timed("explain"):
            if explain and values is not None:
                extra = self._explain(flows, values, cut, supply, tables)
                # _explain re-solves; put the model back on the plan's own money.
                self._set_supply(supply)
        info = SolverInfo(
            name=self.backend.name,
            status=outcome.status,
            seconds=sum(phases.values()),
            mip_gap=outcome.mip_gap,
            objective=outcome.objective,
            message=outcome.message or _status_message(outcome.status),
            is_mip=self.form.matrix.is_mip,
            phases=dict(phases),
        )
        return AllocationResult(
            allocations=tables.allocations,
            unallocated=tables.unallocated,
            lines=tables.lines,
            targets=tables.targets,
            solver=info,
            explanations=extra.get("explanations", _empty_explanations()),  # type: ignore[arg-type]
            flexible_marginal_value=extra.get("flexible_marginal_value"),  # type: ignore[arg-type]
            line_marginal_value=extra.get(  # type: ignore[arg-type]
                "line_marginal_value", pd.DataFrame(columns=["line_id", "year", "value_per_usd"])
            ),
            next_million=extra.get(  # type: ignore[arg-type]
                "next_million", pd.DataFrame(columns=["line_id", "year", "amount_usd"])
            ),
            min_viable=tables.min_viable,
            pools=int((self.pools.pool_supply > 0).sum()),
        )

    # -- post-process -----------------------------------------------------------------------
    def _explain(
        self,
        flows: Flows,
        values: np.ndarray,
        cut: np.ndarray,
        supply: np.ndarray,
        tables: Tables,
    ) -> dict[str, object]:
        form = self.form
        out: dict[str, object] = {}
        out["explanations"] = explain_mod.explain_lines(
            self.plan,
            self.pools,
            form,
            flows.pool,
            flows.ly,
            flows.amount,
            cut,
            supply,
            self.scenario,
        )
        # Marginal values are LP duals with the binaries fixed at the solution (HiGHS; a CBC
        # run gets a HiGHS twin of the model for them; the twin is built on the plan's own
        # money, which is what ``supply`` is here).
        if isinstance(self.backend, HighsModel):
            duals_model = self.backend
        else:
            duals_model = HighsModel(form.matrix)
            if not form.matrix.is_mip:
                duals_model.solve(self.scenario.time_limit_seconds, self.scenario.mip_gap)
        mv = duals_model.marginal_values(values)
        if mv is not None:
            row_mv, col_mv = mv
            # One more unearmarked USD arriving in the first year (the probe pool's balance
            # row), with the policy targets' USD bases held fixed.
            out["flexible_marginal_value"] = float(row_mv[form.arrival_rows[self.pools.probe]])
            out["line_marginal_value"] = explain_mod.line_marginal_frame(
                self.reader.ly_frame, form, col_mv, self.scenario.weights.tranche_share
            )
        # Where the next USD 1 million of unearmarked money would go: re-solve with it (as
        # for any new money, the policy targets' bases grow with it), holding today's
        # minimum-viable decisions and warm-starting from today's optimum. A cold re-solve
        # lands on any of many equally good allocations and shows a reshuffle of millions
        # between lines, which says nothing about what the new million buys.
        more = supply.copy()
        more[self.pools.probe] += NEXT_MILLION
        self._set_supply(more, duals_model)
        try:
            values2 = duals_model.solve_with_binaries_fixed(
                values, self.scenario.time_limit_seconds
            )
        finally:
            self._set_supply(supply, duals_model)
        if values2 is not None:
            x2 = self.reader.spend(values2)
            funded2 = sum_by(form.sets.col_ly, weights=x2, minlength=form.sets.n_ly)
            out["next_million"] = explain_mod.next_million_frame(
                self.reader.ly_frame, funded2 - tables.funded_ly
            )
        return out

    # -- fast re-solves ---------------------------------------------------------------------
    def solve_scaled(self, pledge_scale: Mapping[str, float]) -> ScaledSolution:
        """Re-solve with each listed pledge's money multiplied by its factor (missing = 1).

        Only right-hand sides change (pool supplies and target constants), in the live
        solver model; an LP warm-starts from the previous basis. A factor of 0 removes a
        pledge (use it for every pledge of a donor to remove the donor).
        """
        for pid, f in pledge_scale.items():
            if not 0.0 <= float(f) <= 1.0:
                raise AllocationInputError(f"scale for pledge {pid} must be in [0, 1], got {f}")
        supply, firm_supply = self.reader.scaled_supply(dict(pledge_scale))
        self._set_supply(supply)
        outcome = self._run()
        if outcome.values is None:
            funded = self.reader.ly_frame.assign(funded_usd=0.0, firm_usd=0.0)
            return ScaledSolution(outcome.status, None, funded, {})
        flows = self.reader.flows(outcome.values, supply)
        return ScaledSolution(
            outcome.status,
            outcome.objective,
            self.reader.line_year_funding(flows, supply, firm_supply),
            self.reader.min_viable_funded(outcome.values),
        )


def _status_message(status: str) -> str:
    return {
        "optimal": "optimal allocation found",
        "time_limit_feasible": "stopped on the time limit: the allocation is feasible but may "
        "not be optimal (see mip_gap)",
    }.get(status, status)


def _empty_explanations() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "line_id",
            "tier",
            "weight",
            "requirement_usd",
            "funded_usd",
            "coverage",
            "reason",
            "text",
        ]
    )
