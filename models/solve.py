"""Solver back ends for the allocation model: selection, in-place re-solves and status mapping.

Two back ends take a :class:`~models.matrix.LinearModel` (``make_backend`` picks one):

- :class:`HighsModel` hands the arrays straight to HiGHS (highspy). It keeps the solver model
  alive, so re-solves after changing right-hand sides (pool supplies, target constants) reuse
  it and, for LPs, warm-start from the previous basis. A MILP is solved by the engine's own
  branch and bound (:mod:`models.branch_and_bound`) over its LP relaxations, or by HiGHS's MIP
  solver. Used for "highs" and "auto".
- :class:`PulpModel` builds the same model as a PuLP problem (variables via
  ``add_variable_dicts``, every row one ``LpAffineExpression``) and solves it with CBC
  (``PULP_CBC_CMD``) or PuLP's own HiGHS interface. Re-solves change the constraints'
  constants in place.

Both minimise ``-objective`` internally so dual signs follow the textbook minimisation
convention whatever the interface (PuLP's HiGHS interface returns maximisation duals with the
wrong sign); :meth:`HighsModel.marginal_values` converts them back to "objective gained per
extra unit".

Status strings: ``optimal`` | ``time_limit_feasible`` (stopped on the time limit with a
feasible allocation) | ``infeasible`` | ``error``. PuLP reports "Optimal" for a MILP stopped
on its time limit, so status comes from ``prob.sol_status`` / HiGHS's own model status.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version as _version
from typing import Any, Protocol

import highspy
import numpy as np
import pulp

from models.branch_and_bound import Relaxed, branch_and_bound
from models.matrix import LinearModel

__all__ = [
    "BACKENDS",
    "MONEY",
    "HighsModel",
    "PulpModel",
    "SolveOutcome",
    "SolverBackend",
    "choose_solver",
    "make_backend",
]

# Back ends by name: "highs" (HiGHS LPs + our branch and bound), "highs-mip" (HiGHS's own MIP
# solver), "cbc" (CBC through PuLP), "pulp-highs" (PuLP's HiGHS interface). The last two
# and "highs-mip" are for benchmarks and comparisons.
BACKENDS = ("highs", "highs-mip", "cbc", "pulp-highs")

_BANNER_LOCK = threading.Lock()
_BANNER_DONE = False


@dataclass
class SolveOutcome:
    """What one solve produced; ``values`` covers every column (None without a solution)."""

    status: str
    objective: float | None
    values: np.ndarray | None
    mip_gap: float | None
    seconds: float
    message: str = ""


class SolverBackend(Protocol):
    """What the allocation engine asks of a back end."""

    name: str

    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """New right-hand sides (USD) for the given rows, in place."""
        ...

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """Solve the model as it stands."""
        ...

    def reset_warm_start(self) -> None:
        """Forget warm-start state: the next solve starts cold, as on a fresh model."""
        ...


def choose_solver(requested: str) -> str:
    """Back end for a scenario's solver setting ("auto" | "highs" | "cbc").

    "auto" is HiGHS through highspy for LPs and MILPs. Measured on the synthetic benchmark
    plans (benchmarks/bench_allocation.py, median solve seconds, same run): LP at L 0.18
    HiGHS vs 0.44 CBC; MILP at M 0.10 (HiGHS LPs + our branch and bound) vs 0.55 CBC vs 1.13
    HiGHS MIP, at L 0.32 vs 2.2 vs 3.6. CBC does beat HiGHS's own MIP solver on M and L, as
    the brief expected, but branching on the few minimum-viable binaries over warm-started
    HiGHS LPs beats both; the widest trees (XL) are handed to HiGHS's MIP solver, which beat
    CBC there (2.3 s vs 4.8 s).
    """
    if requested == "cbc":
        return "cbc"
    return "highs"


def make_backend(model: LinearModel, kind: str) -> HighsModel | PulpModel:
    """The back end ``kind`` (one of :data:`BACKENDS`) holding ``model``."""
    if kind == "highs":
        return HighsModel(model)
    if kind == "highs-mip":
        return HighsModel(model, branching="highs")
    if kind in ("cbc", "pulp-highs"):
        return PulpModel(model, "cbc" if kind == "cbc" else "highs")
    raise ValueError(f"unknown solver back end {kind!r} (choose from {', '.join(BACKENDS)})")


def _new_highs() -> highspy.Highs:
    """A silent Highs instance. HiGHS prints a banner to stdout when the first instance in a
    process is created, which would corrupt JSON written to stdout: swallow it once."""
    global _BANNER_DONE
    with _BANNER_LOCK:
        if _BANNER_DONE:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_DONE = True
    h.setOptionValue("output_flag", False)
    # Money is in USD millions (see MONEY): HiGHS's default feasibility tolerance of 1e-7
    # would be 10 cents, enough to count a few cents of a line-year's second tranche at the
    # first tranche's weight. 1e-9 is a tenth of a cent.
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    return h


# Money enters the solvers in USD millions: coefficients, bounds and right-hand sides then
# sit in 1e-2..1e2 instead of 1e4..1e8, which HiGHS flagged as badly scaled (and which made
# its MIP heuristics crawl). Row duals and money columns' reduced costs are unchanged by this
# scaling (objective and right-hand sides shrink by the same factor).
MONEY = 1e6


@dataclass
class _Scaled:
    cost: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    col_scale: np.ndarray  # USD per solver unit, per column (1 for binaries)


def _scaled(model: LinearModel) -> _Scaled:
    """The model in solver units, its matrix row-wise (CSR)."""
    col_scale = np.where(model.integer, 1.0, MONEY)
    order = np.argsort(model.a_row, kind="stable")
    rows = model.a_row[order]
    cols = model.a_col[order]
    starts = np.searchsorted(rows, np.arange(model.n_rows), side="left")
    return _Scaled(
        cost=model.cost * col_scale / MONEY,
        col_lo=model.col_lo / col_scale,
        col_hi=model.col_hi / col_scale,
        row_lo=model.row_lo / MONEY,
        row_hi=model.row_hi / MONEY,
        starts=starts.astype(np.int32),
        index=cols.astype(np.int32),
        value=model.a_val[order] * col_scale[cols] / MONEY,
        col_scale=col_scale,
    )


class HighsModel:
    """The model held in a live HiGHS model.

    MILPs are solved one of two ways:

    - ``branching="own"`` (default): HiGHS solves LP relaxations and
      :func:`models.branch_and_bound.branch_and_bound` branches on the binaries; a tree that
      grows wide is handed to HiGHS's MIP solver with the incumbent.
    - ``branching="highs"``: HiGHS's own MIP solver.

    As a :class:`~models.branch_and_bound.Relaxation` it exposes the LP with the binaries'
    bounds changeable.
    """

    name = f"HiGHS {_version('highspy')}"

    def __init__(self, model: LinearModel, *, branching: str = "own") -> None:
        self.model = model
        self.branching = branching if model.is_mip else "lp"
        h = _new_highs()
        inf = highspy.kHighsInf
        sc = self.scaled = _scaled(model)
        lo = np.where(np.isinf(sc.col_lo), -inf, sc.col_lo)
        hi = np.where(np.isinf(sc.col_hi), inf, sc.col_hi)
        empty = np.zeros(0, dtype=np.int32)
        h.addCols(model.n_cols, -sc.cost, lo, hi, 0, empty, empty, np.zeros(0))
        h.addRows(
            model.n_rows,
            np.where(np.isinf(sc.row_lo), -inf, sc.row_lo),
            np.where(np.isinf(sc.row_hi), inf, sc.row_hi),
            len(sc.value),
            sc.starts,
            sc.index,
            sc.value,
        )
        self.h = h
        self.z = np.nonzero(model.integer)[0].astype(np.int32)
        if self.branching == "highs":
            self._set_integrality(True)
        self.nodes = 0
        if branching == "own":
            self.name = f"HiGHS {_version('highspy')} (LP branch and bound)"

    # -- the back-end surface ---------------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """New right-hand sides (USD) for the given rows."""
        inf = highspy.kHighsInf
        self.h.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows),
            np.asarray(rows, dtype=np.int32),
            np.where(np.isinf(lo), -inf, np.asarray(lo, dtype=float) / MONEY),
            np.where(np.isinf(hi), inf, np.asarray(hi, dtype=float) / MONEY),
        )

    def reset_warm_start(self) -> None:
        """Drop the basis and solution HiGHS keeps (the model stays): a warm-started LP can
        land on a different one of several optima (lines of one tier are interchangeable),
        so callers that need results independent of what was solved before start cold."""
        self.h.clearSolver()

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        if self.model.n_cols == 0:  # nothing to allocate (HiGHS calls this model "Empty")
            return _empty(self.model)
        if self.branching == "own":
            return self._branch_and_bound(time_limit, mip_gap)
        return self._run(time_limit, mip_gap)

    # -- as a relaxation for branch and bound -----------------------------------------------
    def set_binary_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.h.changeColsBounds(len(self.z), self.z, lo.astype(float), hi.astype(float))

    def solve_relaxation(self, deadline: float) -> Relaxed:
        """Solve the current LP (warm-started); objective in USD, binaries' values."""
        h = self.h
        _time_limit(h, deadline - time.perf_counter())
        h.run()
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status == ms.kOptimal:
            values = np.asarray(h.getSolution().col_value, dtype=float)
            objective = -float(h.getInfo().objective_function_value) * MONEY
            return Relaxed("optimal", objective, values[self.z])
        label = {ms.kInfeasible: "infeasible", ms.kTimeLimit: "time_limit"}.get(status, "error")
        return Relaxed(label, -np.inf, None, h.modelStatusToString(status))

    def binary_reduced_costs(self) -> np.ndarray:
        return np.abs(np.asarray(self.h.getSolution().col_dual)[self.z]) * MONEY

    # -- solving ----------------------------------------------------------------------------
    def _run(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """One HiGHS run of the model as it stands (LP, or MIP with integrality on)."""
        h = self.h
        _time_limit(h, time_limit)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        start = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - start
        status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        gap = float(info.mip_gap) if self.model.is_mip else None
        ms = highspy.HighsModelStatus
        if status == ms.kOptimal:
            label = "optimal"
        elif status in (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt) and has_solution:
            label = "time_limit_feasible"
        elif status == ms.kInfeasible:
            return SolveOutcome("infeasible", None, None, None, seconds, _INFEASIBLE)
        elif status == ms.kTimeLimit:
            return SolveOutcome("error", None, None, None, seconds, _no_solution(time_limit))
        else:
            msg = f"HiGHS stopped with status {h.modelStatusToString(status)!r}"
            return SolveOutcome("error", None, None, None, seconds, msg)
        values = np.asarray(h.getSolution().col_value, dtype=float) * self.scaled.col_scale
        objective = -float(info.objective_function_value) * MONEY
        return SolveOutcome(label, objective, values, gap, seconds)

    def _branch_and_bound(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """Our branch and bound; the final LP with the binaries fixed gives exact values
        (and the duals marginal values read)."""
        start = time.perf_counter()
        deadline = start + time_limit
        n = len(self.z)
        zero, one = np.zeros(n), np.ones(n)
        search = branch_and_bound(self, n, time_limit, mip_gap)
        self.nodes = search.nodes
        if search.status == "handover":
            return self._highs_mip(start, deadline, mip_gap, search.binaries)
        best_z = search.binaries
        if search.status in ("optimal", "time_limit") and best_z is not None:
            self.set_binary_bounds(best_z, best_z)
            final = self.solve_relaxation(time.perf_counter() + max(time_limit, 1.0))
            values = np.asarray(self.h.getSolution().col_value, dtype=float)
            self.set_binary_bounds(zero, one)
            seconds = time.perf_counter() - start
            if final.status != "optimal":
                return SolveOutcome("error", None, None, None, seconds, "final relaxation failed")
            label = "time_limit_feasible" if search.status == "time_limit" else "optimal"
            return SolveOutcome(
                label, final.objective, values * self.scaled.col_scale, search.gap, seconds
            )
        self.set_binary_bounds(zero, one)
        seconds = time.perf_counter() - start
        if search.status == "no_solution":
            return SolveOutcome("error", None, None, None, seconds, _no_solution(time_limit))
        if search.status == "infeasible":
            return SolveOutcome("infeasible", None, None, None, seconds, _INFEASIBLE)
        return SolveOutcome("error", None, None, None, seconds, search.message)

    def _highs_mip(
        self, start: float, deadline: float, mip_gap: float, incumbent: np.ndarray | None
    ) -> SolveOutcome:
        """Finish with HiGHS's MIP solver (cuts, presolve), starting from our incumbent."""
        n = len(self.z)
        self._set_integrality(True)
        self.set_binary_bounds(np.zeros(n), np.ones(n))
        if incumbent is not None:
            self.h.setSolution(n, self.z, incumbent.astype(float))
        try:
            outcome = self._run(max(deadline - time.perf_counter(), 1e-3), mip_gap)
        finally:
            self._set_integrality(False)
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _set_integrality(self, integer: bool) -> None:
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(len(self.z), self.z, np.full(len(self.z), kind))

    # -- what-ifs on the solved model -------------------------------------------------------
    def marginal_values(
        self, fixed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, columns): objective gained per extra unit (USD) of each row's right-hand
        side / each column's active bound, from the LP with the binaries fixed at ``fixed``
        (the solution's values). Leaves the model as it found it.

        HiGHS minimises -objective here, so its duals are d(-obj)/d(rhs): negate them.
        """
        h = self.h
        if self.model.n_cols == 0:
            return np.zeros(self.model.n_rows), np.zeros(0)
        with self._binaries_fixed(fixed) as fix:
            if fix:
                _time_limit(h, 60.0)
                h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            sol = h.getSolution()
            if not sol.dual_valid:
                return None
            return -np.asarray(sol.row_dual, dtype=float), -np.asarray(sol.col_dual, dtype=float)

    def solve_with_binaries_fixed(
        self, fixed: np.ndarray | None, time_limit: float
    ) -> np.ndarray | None:
        """Column values (USD) of the LP with the binaries fixed at ``fixed``, warm-started
        from the current basis, or None when it does not solve. Leaves the model as it found
        it. Used for what-ifs that keep today's minimum-viable decisions: a warm start from
        the current optimum moves only as far as the change requires, so the what-if shows
        the change itself rather than a reshuffle between equally good allocations."""
        if self.model.n_cols == 0:
            return np.zeros(0)
        with self._binaries_fixed(fixed):
            _time_limit(self.h, time_limit)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            return np.asarray(self.h.getSolution().col_value, dtype=float) * self.scaled.col_scale

    @contextmanager
    def _binaries_fixed(self, fixed: np.ndarray | None) -> Iterator[bool]:
        """Fix the binaries at ``fixed`` (rounded) for the duration; yields whether it did."""
        idx = self.z
        fix = len(idx) > 0 and fixed is not None
        if fix and fixed is not None:
            vals = np.round(fixed[idx])
            if self.branching == "highs":
                self._set_integrality(False)
            self.set_binary_bounds(vals, vals)
        try:
            yield fix
        finally:
            if fix:
                self.set_binary_bounds(np.zeros(len(idx)), np.ones(len(idx)))
                if self.branching == "highs":
                    self._set_integrality(True)


def _time_limit(h: highspy.Highs, seconds: float) -> None:
    """HiGHS compares its time_limit with the instance's cumulative run time, so a live model
    re-solved many times needs the limit moved on each time."""
    h.setOptionValue("time_limit", float(h.getRunTime()) + max(float(seconds), 1e-3))


def _empty(model: LinearModel) -> SolveOutcome:
    return SolveOutcome("optimal", 0.0, np.zeros(0), 0.0 if model.is_mip else None, 0.0)


def _no_solution(time_limit: float) -> str:
    return (
        f"the solver reached its time limit ({time_limit:g} s) before finding any "
        "allocation; raise time_limit_seconds in the scenario"
    )


_INFEASIBLE = (
    "the allocation model is infeasible; with soft targets this means the minimum-viable or "
    "donor-cap settings contradict the data"
)


class PulpModel:
    """The model as a PuLP problem, solved by CBC (or PuLP's HiGHS interface)."""

    def __init__(self, model: LinearModel, solver: str = "cbc") -> None:
        self.model = model
        self.solver = solver
        self.name = "CBC (PuLP)" if solver == "cbc" else "HiGHS (PuLP)"
        prob = pulp.LpProblem("allocation", pulp.LpMinimize)
        sc = self.scaled = _scaled(model)
        cols = range(model.n_cols)
        lo = [None if np.isinf(v) else float(v) for v in sc.col_lo]
        hi = [None if np.isinf(v) else float(v) for v in sc.col_hi]
        # Grouped by kind so each variable dict gets its bounds without per-variable calls.
        self.vars: list[Any] = [None] * model.n_cols
        groups: dict[tuple[float | None, float | None, str], list[int]] = {}
        for j in cols:
            cat = "Integer" if model.integer[j] else "Continuous"
            groups.setdefault((lo[j], hi[j], cat), []).append(j)
        for g, ((glo, ghi, cat), members) in enumerate(groups.items()):
            made = prob.add_variable_dicts(f"v{g}", members, lowBound=glo, upBound=ghi, cat=cat)
            for j in members:
                self.vars[j] = made[j]
        nz = np.nonzero(sc.cost)[0]
        prob.setObjective(pulp.LpAffineExpression([(self.vars[j], -float(sc.cost[j])) for j in nz]))
        starts, index, value = sc.starts, sc.index, sc.value
        ends = np.append(starts[1:], len(index))
        self.rows: list[Any] = []
        for i in range(model.n_rows):
            s, e = int(starts[i]), int(ends[i])
            expr = pulp.LpAffineExpression(
                [(self.vars[int(c)], float(v)) for c, v in zip(index[s:e], value[s:e], strict=True)]
            )
            rlo, rhi = sc.row_lo[i], sc.row_hi[i]
            if rlo == rhi:
                con = pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", float(rhi))
            elif np.isinf(rlo):
                con = pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}", float(rhi))
            else:
                con = pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}", float(rlo))
            prob.addConstraint(con)
            self.rows.append(con)
        self.prob = prob

    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        for i, rlo, rhi in zip(rows, lo, hi, strict=True):
            # A PuLP constraint is expr + constant (sense) 0: the constant is -rhs.
            rhs = rlo if np.isinf(rhi) else rhi
            self.rows[int(i)].constant = -float(rhs) / MONEY

    def reset_warm_start(self) -> None:
        """Nothing to forget: every PuLP solve hands the whole problem to a fresh solver."""

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        if self.model.n_cols == 0:
            return _empty(self.model)
        if self.solver == "cbc":
            with warnings.catch_warnings():
                # PuLP 3.x marks its bundled CBC as deprecated for 4.0; it is what we ship.
                warnings.simplefilter("ignore", DeprecationWarning)
                cmd: Any = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_gap)
        else:
            cmd = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=mip_gap)
        start = time.perf_counter()
        try:
            self.prob.solve(cmd)
        except pulp.PulpSolverError as exc:
            return SolveOutcome("error", None, None, None, time.perf_counter() - start, str(exc))
        seconds = time.perf_counter() - start
        sol = self.prob.sol_status
        if sol == pulp.LpSolutionOptimal:
            label = "optimal"
        elif sol == pulp.LpSolutionIntegerFeasible:
            label = "time_limit_feasible"
        elif sol == pulp.LpSolutionInfeasible:
            return SolveOutcome("infeasible", None, None, None, seconds, _INFEASIBLE)
        else:
            msg = (
                f"{self.name} found no allocation (status {pulp.LpStatus[self.prob.status]}); "
                f"the time limit of {time_limit:g} s may be too short"
            )
            return SolveOutcome("error", None, None, None, seconds, msg)
        values = np.array([v.varValue or 0.0 for v in self.vars], dtype=float)
        values *= self.scaled.col_scale
        objective = float(np.dot(self.model.cost, values))
        return SolveOutcome(label, objective, values, None, seconds)
