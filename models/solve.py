"""Solvers for the allocation model: selection, in-place re-solves and status mapping.

Two back ends take a :class:`~models.formulation.Formulation`:

- :class:`HighsModel` hands the arrays straight to HiGHS (highspy). It keeps the solver model
  alive, so re-solves after changing right-hand sides (pool supplies, target constants) reuse
  it and, for LPs, warm-start from the previous basis. Used for "highs" and, for LPs, "auto".
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

import heapq
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version as _version
from typing import Any

import highspy
import numpy as np
import pulp

from models.formulation import Formulation

# Our branch and bound settles S-L plans in a few dozen nodes; when a tree grows past this
# many nodes or seconds (or 4x the root's time) HiGHS's MIP solver, with its cutting planes,
# finishes faster (measured on the XL benchmark plan: 0.7% root gap that branching alone
# could not close in a minute; HiGHS closes it in ~2.5 s).
HANDOVER_NODES = 60
HANDOVER_SECONDS = 1.0
# ... or straight away when more binaries than this are fractional at the root (S-L synthetic
# plans: 1-6; XL: 16).
HANDOVER_FRACTIONAL = 10

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


def choose_solver(requested: str, is_mip: bool) -> str:
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


def _scaled(form: Formulation) -> _Scaled:
    col_scale = np.where(form.integer, 1.0, MONEY)
    order = np.argsort(form.a_row, kind="stable")
    rows = form.a_row[order]
    cols = form.a_col[order]
    starts = np.searchsorted(rows, np.arange(form.n_rows), side="left")
    return _Scaled(
        cost=form.cost * col_scale / MONEY,
        col_lo=form.col_lo / col_scale,
        col_hi=form.col_hi / col_scale,
        row_lo=form.row_lo / MONEY,
        row_hi=form.row_hi / MONEY,
        starts=starts.astype(np.int32),
        index=cols.astype(np.int32),
        value=form.a_val[order] * col_scale[cols] / MONEY,
        col_scale=col_scale,
    )


class HighsModel:
    """The formulation held in a live HiGHS model.

    MILPs are solved one of two ways:

    - ``branching="own"`` (default): HiGHS solves LP relaxations and a small best-first
      branch and bound here branches on the minimum-viable binaries. The model only has one
      binary per line with a minimum viable share and the relaxation is tight, so a handful
      of warm-started LPs usually settle it; HiGHS's MIP solver spent most of its time in
      presolve restarts and sub-MIP heuristics on these models (benchmarks/ has figures).
    - ``branching="highs"``: HiGHS's own MIP solver.
    """

    name = f"HiGHS {_version('highspy')}"

    def __init__(self, form: Formulation, *, branching: str = "own") -> None:
        self.form = form
        self.branching = branching if form.is_mip else "lp"
        h = _new_highs()
        inf = highspy.kHighsInf
        sc = self.scaled = _scaled(form)
        lo = np.where(np.isinf(sc.col_lo), -inf, sc.col_lo)
        hi = np.where(np.isinf(sc.col_hi), inf, sc.col_hi)
        empty = np.zeros(0, dtype=np.int32)
        h.addCols(form.n_cols, -sc.cost, lo, hi, 0, empty, empty, np.zeros(0))
        h.addRows(
            form.n_rows,
            np.where(np.isinf(sc.row_lo), -inf, sc.row_lo),
            np.where(np.isinf(sc.row_hi), inf, sc.row_hi),
            len(sc.value),
            sc.starts,
            sc.index,
            sc.value,
        )
        self.z = np.nonzero(form.integer)[0].astype(np.int32)
        if self.branching == "highs":
            kinds = np.full(len(self.z), highspy.HighsVarType.kInteger)
            h.changeColsIntegrality(len(self.z), self.z, kinds)
        self.h = h
        self.nodes = 0
        if branching == "own":
            self.name = f"HiGHS {_version('highspy')} (LP branch and bound)"

    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """New right-hand sides (USD) for the given rows."""
        inf = highspy.kHighsInf
        self.h.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows),
            np.asarray(rows, dtype=np.int32),
            np.where(np.isinf(lo), -inf, np.asarray(lo, dtype=float) / MONEY),
            np.where(np.isinf(hi), inf, np.asarray(hi, dtype=float) / MONEY),
        )

    def _set_z(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.h.changeColsBounds(len(self.z), self.z, lo.astype(float), hi.astype(float))

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        if self.form.n_cols == 0:  # nothing to allocate (HiGHS calls this model "Empty")
            return _empty(self.form)
        if self.branching == "own":
            return self._branch_and_bound(time_limit, mip_gap)
        h = self.h
        _time_limit(h, time_limit)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        start = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - start
        status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        gap = float(info.mip_gap) if self.form.is_mip else None
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

    def _lp(self, deadline: float) -> tuple[str, float, np.ndarray | None]:
        """Solve the current LP (warm-started); (status, max-objective USD, values)."""
        h = self.h
        _time_limit(h, deadline - time.perf_counter())
        h.run()
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status == ms.kOptimal:
            values = np.asarray(h.getSolution().col_value, dtype=float)
            return "optimal", -float(h.getInfo().objective_function_value) * MONEY, values
        if status == ms.kInfeasible:
            return "infeasible", -np.inf, None
        if status == ms.kTimeLimit:
            return "time_limit", -np.inf, None
        return "error", -np.inf, None

    def _dive(
        self, lo: np.ndarray, hi: np.ndarray, z: np.ndarray, deadline: float
    ) -> tuple[float, np.ndarray | None]:
        """Primal heuristic: repeatedly fix the fractional binary nearest 1 to 1 (to 0 when
        that is infeasible) and re-solve, until the LP solution is integral."""
        lo, hi = lo.copy(), hi.copy()
        for _ in range(len(z) + 1):
            frac = np.nonzero(np.abs(z - np.round(z)) > 1e-6)[0]
            if not len(frac):
                break
            j = int(frac[np.argmax(z[frac])])
            for value in (1.0, 0.0):
                lo[j] = hi[j] = value
                self._set_z(lo, hi)
                status, obj, vals = self._lp(deadline)
                if status == "optimal" and vals is not None:
                    z = vals[self.z]
                    break
            else:
                return -np.inf, None
            if time.perf_counter() > deadline:
                return -np.inf, None
        else:
            return -np.inf, None
        return obj, np.round(z)

    def _highs_mip(
        self, start: float, deadline: float, mip_gap: float, best_z: np.ndarray | None
    ) -> SolveOutcome:
        """Finish with HiGHS's MIP solver (cuts, presolve), starting from our incumbent."""
        h = self.h
        n = len(self.z)
        h.changeColsIntegrality(n, self.z, np.full(n, highspy.HighsVarType.kInteger))
        self._set_z(np.zeros(n), np.ones(n))
        if best_z is not None:
            h.setSolution(n, self.z, best_z.astype(float))
        self.branching = "highs"
        try:
            outcome = self.solve(max(deadline - time.perf_counter(), 1e-3), mip_gap)
        finally:
            self.branching = "own"
            h.changeColsIntegrality(n, self.z, np.full(n, highspy.HighsVarType.kContinuous))
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _branch_and_bound(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """Best-first branch and bound on the binaries over warm-started LP relaxations.

        At the root: a diving heuristic finds a good first allocation, then reduced-cost
        fixing removes binaries that cannot flip without losing more than the gap. Every
        binary at 0 (all minimum-viable lines cut) is feasible, so a solution always exists.
        """
        start = time.perf_counter()
        deadline = start + time_limit
        n = len(self.z)
        zero, one = np.zeros(n), np.ones(n)
        best_obj, best_z = -np.inf, None
        heap: list[tuple[float, int, np.ndarray, np.ndarray]] = [(-np.inf, 0, zero, one)]
        counter = 1
        timed_out = False
        root = True
        nodes = 0
        budget = deadline
        while heap:
            neg_bound, _, lo, hi = heapq.heappop(heap)
            if -neg_bound <= best_obj + _tolerance(best_obj, mip_gap):
                continue
            if time.perf_counter() > deadline:
                heapq.heappush(heap, (neg_bound, 0, lo, hi))
                timed_out = True
                break
            self._set_z(lo, hi)
            status, obj, vals = self._lp(deadline)
            nodes += 1
            if status == "time_limit":
                heapq.heappush(heap, (neg_bound, 0, lo, hi))
                timed_out = True
                break
            if status != "optimal" or vals is None:
                if status == "error":
                    self._set_z(zero, one)
                    why = self.h.modelStatusToString(self.h.getModelStatus())
                    msg = f"HiGHS failed on a relaxation ({why})"
                    return SolveOutcome("error", None, None, None, time.perf_counter() - start, msg)
                continue
            if obj <= best_obj + _tolerance(best_obj, mip_gap):
                continue
            z = vals[self.z]
            frac = np.abs(z - np.round(z)) > 1e-6
            if not frac.any():
                best_obj, best_z = obj, np.round(z)
                continue
            if root:
                root = False
                if frac.sum() > HANDOVER_FRACTIONAL:
                    # Many lines undecided at the root: a wide tree; cutting planes pay off.
                    return self._highs_mip(start, deadline, mip_gap, None)
                # Reduced costs of the binaries at the root, objective USD per unit.
                dj = np.abs(np.asarray(self.h.getSolution().col_dual)[self.z]) * MONEY
                d_obj, d_z = self._dive(lo, hi, z, deadline)
                if d_z is not None and d_obj > best_obj:
                    best_obj, best_z = d_obj, d_z
                # A binary at a bound whose reduced cost exceeds the root's lead over the
                # incumbent cannot change in any better solution: fix it.
                fixable = ~frac & (obj - dj < best_obj + _tolerance(best_obj, mip_gap))
                lo, hi = lo.copy(), hi.copy()
                lo[fixable] = hi[fixable] = np.round(z[fixable])
                budget = time.perf_counter() + max(
                    HANDOVER_SECONDS, 4 * (time.perf_counter() - start)
                )
            elif nodes > HANDOVER_NODES or time.perf_counter() > budget:
                # A tree this wide needs cutting planes, not just branching: hand over.
                return self._highs_mip(start, deadline, mip_gap, best_z)
            # Branch on the most fractional binary.
            j = int(np.argmin(np.abs(z - 0.5)))
            for value in (1.0, 0.0):
                c_lo, c_hi = lo.copy(), hi.copy()
                c_lo[j] = c_hi[j] = value
                heapq.heappush(heap, (-obj, counter, c_lo, c_hi))
                counter += 1
        self.nodes = nodes
        if best_z is None:
            self._set_z(zero, one)
            seconds = time.perf_counter() - start
            if timed_out:
                return SolveOutcome("error", None, None, None, seconds, _no_solution(time_limit))
            return SolveOutcome("infeasible", None, None, None, seconds, _INFEASIBLE)
        # Final LP with the binaries fixed: exact values, and duals for marginal values.
        self._set_z(best_z, best_z)
        status, obj, vals = self._lp(time.perf_counter() + max(time_limit, 1.0))
        open_bound = max((-b for b, *_ in heap), default=best_obj)
        gap = max(0.0, open_bound - best_obj) / max(abs(best_obj), 1e-9) if heap else 0.0
        self._set_z(zero, one)
        seconds = time.perf_counter() - start
        if vals is None:
            return SolveOutcome("error", None, None, None, seconds, "final relaxation failed")
        label = "time_limit_feasible" if timed_out else "optimal"
        return SolveOutcome(label, obj, vals * self.scaled.col_scale, gap, seconds)

    def marginal_values(
        self, fixed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, columns): objective gained per extra unit (USD) of each row's right-hand
        side / each column's active bound, from the LP with the binaries fixed at ``fixed``
        (the solution's values). Leaves the model as it found it.

        HiGHS minimises -objective here, so its duals are d(-obj)/d(rhs): negate them.
        """
        h = self.h
        if self.form.n_cols == 0:
            return np.zeros(self.form.n_rows), np.zeros(0)
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
        if self.form.n_cols == 0:
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
        h = self.h
        idx = self.z
        fix = len(idx) > 0 and fixed is not None
        if fix and fixed is not None:
            vals = np.round(fixed[idx])
            if self.branching == "highs":
                kinds = np.full(len(idx), highspy.HighsVarType.kContinuous)
                h.changeColsIntegrality(len(idx), idx, kinds)
            self._set_z(vals, vals)
        try:
            yield fix
        finally:
            if fix:
                self._set_z(np.zeros(len(idx)), np.ones(len(idx)))
                if self.branching == "highs":
                    kinds = np.full(len(idx), highspy.HighsVarType.kInteger)
                    h.changeColsIntegrality(len(idx), idx, kinds)


def _time_limit(h: highspy.Highs, seconds: float) -> None:
    """HiGHS compares its time_limit with the instance's cumulative run time, so a live model
    re-solved many times needs the limit moved on each time."""
    h.setOptionValue("time_limit", float(h.getRunTime()) + max(float(seconds), 1e-3))


def _empty(form: Formulation) -> SolveOutcome:
    return SolveOutcome("optimal", 0.0, np.zeros(0), 0.0 if form.is_mip else None, 0.0)


def _tolerance(best: float, mip_gap: float) -> float:
    """Absolute pruning tolerance for a relative gap (a node must beat best by more)."""
    return mip_gap * max(abs(best), 1.0) if np.isfinite(best) else 0.0


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
    """The formulation as a PuLP problem, solved by CBC (or PuLP's HiGHS interface)."""

    def __init__(self, form: Formulation, solver: str = "cbc") -> None:
        self.form = form
        self.solver = solver
        self.name = "CBC (PuLP)" if solver == "cbc" else "HiGHS (PuLP)"
        prob = pulp.LpProblem("allocation", pulp.LpMinimize)
        sc = self.scaled = _scaled(form)
        cols = range(form.n_cols)
        lo = [None if np.isinf(v) else float(v) for v in sc.col_lo]
        hi = [None if np.isinf(v) else float(v) for v in sc.col_hi]
        # Grouped by kind so each variable dict gets its bounds without per-variable calls.
        self.vars: list[Any] = [None] * form.n_cols
        groups: dict[tuple[float | None, float | None, str], list[int]] = {}
        for j in cols:
            cat = "Integer" if form.integer[j] else "Continuous"
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
        for i in range(form.n_rows):
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

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        if self.form.n_cols == 0:
            return _empty(self.form)
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
        objective = float(np.dot(self.form.cost, values))
        return SolveOutcome(label, objective, values, None, seconds)
