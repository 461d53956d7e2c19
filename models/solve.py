"""Solver back ends for the allocation model: selection, in-place re-solves and status mapping.

Two back ends take a :class:`~models.matrix.LinearModel` (``make_backend`` picks one):

- :class:`HighsModel` hands the arrays straight to HiGHS (highspy). It keeps the solver model
  alive, so re-solves after changing right-hand sides (pool supplies, target constants),
  coefficients or the objective reuse it and warm-start from the previous basis. A MILP is
  solved by the engine's own branch and bound (:mod:`models.branch_and_bound`) over its LP
  relaxations, or by HiGHS's MIP solver. Used for "highs" and "auto".
- :class:`PulpModel` builds the same model as a PuLP problem (variables via
  ``add_variable_dicts``, every row one ``LpAffineExpression``) and solves it with CBC
  (``PULP_CBC_CMD``) or PuLP's own HiGHS interface. Re-solves change the constraints'
  constants and coefficients in place. "cbc", and the fallback when HiGHS fails under
  "auto" (:mod:`models.allocation`).

Both offer what the lexicographic solve (:mod:`models.stages`) needs: another objective
(``set_objective``), binaries fixed at a solution (``fix_binaries``), and "keep only
solutions as good as this one" (``hold_optimum``: HiGHS fixes the optimal face from the
duals, exactly; PuLP adds a constraint on the objective, within 1e-7 of it).

Both minimise ``-objective`` internally so dual signs follow the textbook minimisation
convention whatever the interface (PuLP's HiGHS interface returns maximisation duals with the
wrong sign); :meth:`HighsModel.duals` converts them back to "objective gained per extra unit".

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
        """New bounds (USD; infinite for none) for the given rows, in place."""
        ...

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """New matrix coefficients (USD per unit of the column), in place."""
        ...

    def set_objective(self, cost: np.ndarray) -> None:
        """Maximise ``cost @ x`` from now on (per unit of each column)."""
        ...

    def fix_binaries(self, values: np.ndarray | None) -> None:
        """Fix the binaries at ``values`` (every column's value, rounded); None frees them."""
        ...

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """Solve the model as it stands: a MILP while the binaries are free (they stay fixed
        at the solution afterwards), else an LP."""
        ...

    def solve_lp(self, time_limit: float, *, dual: bool = False) -> SolveOutcome:
        """Re-optimise the LP (binaries fixed) after an objective change (primal simplex),
        or after bound changes from a basis that is optimal for this objective (``dual``)."""
        ...

    def save_basis(self) -> object:
        """The current basis, to restart from later (None when the back end has none)."""
        ...

    def restore_basis(self, basis: object) -> None:
        """Restart the next solve from a basis :meth:`save_basis` gave."""
        ...

    def hold_optimum(self, objective: float | None = None) -> None:
        """From now on keep only solutions as good as the last one on its objective
        (``objective``: that optimum, USD units)."""
        ...

    def hold_columns(self, cols: np.ndarray, values: np.ndarray) -> None:
        """From now on keep these columns at these values (USD units)."""
        ...

    def release_holds(self) -> None:
        """Undo every :meth:`hold_optimum` and :meth:`hold_columns`."""
        ...

    def duals(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(row, column) marginal values of the last LP optimum, or None."""
        ...

    def reset_warm_start(self, start: object | None = None) -> None:
        """Forget warm-start state: the next solve starts as on a fresh model (from
        ``start``, a :meth:`warm_start` of an earlier solve, when given)."""
        ...

    def warm_start(self) -> object | None:
        """What the next MILP solve would start from (a basis), to hand to
        :meth:`reset_warm_start` later; None when the back end keeps none."""
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

    After a MILP solve the binaries stay fixed at the solution and the live model is the LP
    with them fixed, solved: its duals are available and the next lexicographic stage starts
    from its basis. ``fix_binaries(None)`` frees them. As a
    :class:`~models.branch_and_bound.Relaxation` it exposes the LP with the binaries'
    bounds changeable.

    Bounds are mirrored in ``col_lo`` / ``col_hi`` / ``row_lo`` / ``row_hi`` (solver units)
    so :meth:`hold_optimum` can fix bounds and :meth:`release_holds` put them back.
    """

    name = f"HiGHS {_version('highspy')}"

    def __init__(self, model: LinearModel, *, branching: str = "own") -> None:
        self.model = model
        self.branching = branching if model.is_mip else "lp"
        self.scaled = _scaled(model)
        self.z = np.nonzero(model.integer)[0].astype(np.int32)
        self.nodes = 0
        if branching == "own":
            self.name = f"HiGHS {_version('highspy')} (LP branch and bound)"
        self._load()

    def _load(self) -> None:
        """A fresh HiGHS instance holding the model as built."""
        model, sc = self.model, self.scaled
        h = _new_highs()
        self.col_lo, self.col_hi = sc.col_lo.copy(), sc.col_hi.copy()
        self.row_lo, self.row_hi = sc.row_lo.copy(), sc.row_hi.copy()
        empty = np.zeros(0, dtype=np.int32)
        h.addCols(model.n_cols, -sc.cost, self.col_lo, self.col_hi, 0, empty, empty, np.zeros(0))
        h.addRows(
            model.n_rows,
            self.row_lo,
            self.row_hi,
            len(sc.value),
            sc.starts,
            sc.index,
            sc.value,
        )
        self.h = h
        self._cost_now = -sc.cost.copy()
        self.binaries_fixed = False
        if self.branching == "highs":
            self._set_integrality(True)
        self._holds: list[_Hold] = []
        self._root_basis: highspy.HighsBasis | None = None
        self._in_search = False
        self._captured: _Captured | None = None  # the last optimum, when HiGHS forgot it

    def _solution(self) -> _Captured | None:
        """The last optimal LP solution: the live one, or the one kept when HiGHS forgot it
        (bounds of the binaries changed after an integral root)."""
        if self._captured is not None:
            return self._captured
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return _Captured.of(self.h.getSolution())

    # -- the back-end surface ---------------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """New bounds (USD) for the given rows."""
        rows = np.asarray(rows, dtype=np.int32)
        self.row_lo[rows] = np.asarray(lo, dtype=float) / MONEY
        self.row_hi[rows] = np.asarray(hi, dtype=float) / MONEY
        self.h.changeRowsBounds(  # type: ignore[attr-defined]
            len(rows), rows, self.row_lo[rows], self.row_hi[rows]
        )

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """New matrix coefficients (USD per unit of the column)."""
        scale = self.scaled.col_scale
        for i, j, v in zip(rows.tolist(), cols.tolist(), np.asarray(values).tolist(), strict=True):
            self.h.changeCoeff(int(i), int(j), v * scale[j] / MONEY)

    def set_objective(self, cost: np.ndarray) -> None:
        """A new objective (per unit of each column, maximised); only the costs that change
        are passed to HiGHS."""
        scaled = -cost * self.scaled.col_scale / MONEY
        changed = np.nonzero(scaled != self._cost_now)[0].astype(np.int32)
        if len(changed):
            self.h.changeColsCost(len(changed), changed, scaled[changed])
            self._cost_now = scaled

    def fix_binaries(self, values: np.ndarray | None) -> None:
        """Fix the binaries at ``values`` (all columns' values, rounded), or free them."""
        if not len(self.z):
            return
        if values is None:
            lo, hi = np.zeros(len(self.z)), np.ones(len(self.z))
        else:
            lo = hi = np.round(values[self.z])
        self.set_binary_bounds(lo, hi)
        self.binaries_fixed = values is not None
        if self.branching == "highs":
            self._set_integrality(values is None)

    def reset_warm_start(self, start: object | None = None) -> None:
        """Start again from a fresh HiGHS instance holding the model as built: a warm-started
        LP can land on a different one of several optima (lines of one tier are
        interchangeable), and HiGHS keeps more than a basis across coefficient changes (its
        scaling), so callers that need results independent of what was solved before start
        from scratch, or from the same ``start`` basis every time. Every solve sets the money
        it needs, so nothing else is lost."""
        self._load()
        if isinstance(start, highspy.HighsBasis):
            self._root_basis = start

    def warm_start(self) -> object | None:
        """The root relaxation's basis of the last MILP solve (the next one starts there)."""
        return self._root_basis

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """The model as it stands: a MILP while the binaries are free, else an LP."""
        if self.model.n_cols == 0:  # nothing to allocate (HiGHS calls this model "Empty")
            return _empty(self.model)
        if not len(self.z) or self.binaries_fixed:
            return self._run(time_limit, mip_gap)
        if self.branching == "own":
            return self._branch_and_bound(time_limit, mip_gap)
        return self._highs_mip(time.perf_counter(), time_limit, mip_gap, None)

    def solve_lp(self, time_limit: float, *, dual: bool = False) -> SolveOutcome:
        """Re-optimise the LP as it stands (binaries fixed). After an objective change, with
        primal simplex from the current basis: it stays primal feasible, so a lexicographic
        stage takes a few iterations (measured on the XL benchmark: ~20 ms, against ~0.4 s
        with dual simplex). With ``dual``, dual simplex: for bound changes from a basis
        optimal for the objective (see :meth:`restore_basis`)."""
        if self.model.n_cols == 0:
            return _empty(self.model)
        if dual:
            return self._run(time_limit, 0.0)
        self.h.setOptionValue("simplex_strategy", 4)
        try:
            return self._run(time_limit, 0.0)
        finally:
            self.h.setOptionValue("simplex_strategy", 1)

    def save_basis(self) -> object:
        return self.h.getBasis()

    def restore_basis(self, basis: object) -> None:
        if isinstance(basis, highspy.HighsBasis):
            self.h.setBasis(basis)

    def hold_optimum(self, objective: float | None = None) -> None:
        """Keep only solutions as good as the current one on the objective just solved: its
        optimal face (``objective``, the optimum, is not needed: the duals say it all).

        Every column with a non-zero reduced cost stays at its bound and every inequality row
        with a non-zero dual stays at its active bound (complementary slackness with the
        current dual solution: exactly the set of optimal solutions, no tolerance on the
        objective). :meth:`release_holds` undoes it."""
        sol = self._solution()
        if sol is None:
            raise RuntimeError("hold_optimum needs an optimal LP solution")
        x, d, y, act = sol.x, sol.d, sol.y, sol.act
        cols = np.nonzero((np.abs(d) > _DUAL_ZERO) & (self.col_lo < self.col_hi))[0]
        rows = np.nonzero((np.abs(y) > _DUAL_ZERO) & (self.row_lo < self.row_hi))[0]
        self._holds.append(_Hold.of(self, cols, rows))
        at_col = _nearer(x[cols], self.col_lo[cols], self.col_hi[cols])
        at_row = _nearer(act[rows], self.row_lo[rows], self.row_hi[rows])
        self._change_cols(cols, at_col, at_col)
        self.row_lo[rows] = self.row_hi[rows] = at_row
        self.h.changeRowsBounds(len(rows), rows.astype(np.int32), at_row, at_row)  # type: ignore[attr-defined]

    def hold_columns(self, cols: np.ndarray, values: np.ndarray) -> None:
        """Keep these columns at these values (USD units) until :meth:`release_holds`."""
        cols = np.asarray(cols, dtype=np.int64)
        self._holds.append(_Hold.of(self, cols, np.zeros(0, dtype=np.int64)))
        at = np.clip(values / self.scaled.col_scale[cols], self.col_lo[cols], self.col_hi[cols])
        self._change_cols(cols, at, at)

    def release_holds(self) -> None:
        """Undo every :meth:`hold_optimum` and :meth:`hold_columns`, latest first."""
        while self._holds:
            held = self._holds.pop()
            cols, rows, rlo, rhi = held.cols, held.rows, held.row_lo, held.row_hi
            self._change_cols(cols, held.col_lo, held.col_hi)
            self.row_lo[rows], self.row_hi[rows] = rlo, rhi
            self.h.changeRowsBounds(len(rows), rows.astype(np.int32), rlo, rhi)  # type: ignore[attr-defined]

    def duals(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, columns) of the current LP optimum: objective gained per extra unit (USD)
        of each row's right-hand side / each column's active bound, or None when the live
        model holds no optimal LP solution. HiGHS minimises -objective, so its duals are
        d(-obj)/d(rhs): negate them (money rows and columns' duals are unchanged by the
        USD-million scaling)."""
        if self.model.n_cols == 0:
            return np.zeros(self.model.n_rows), np.zeros(0)
        sol = self._solution()
        if sol is None or not sol.dual_valid:
            return None
        return -sol.y, -sol.d

    # -- as a relaxation for branch and bound -----------------------------------------------
    def set_binary_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        lo, hi = lo.astype(float), hi.astype(float)
        if np.array_equal(self.col_lo[self.z], lo) and np.array_equal(self.col_hi[self.z], hi):
            return  # as they are (each change costs HiGHS ~70 us at M, eight per re-solve)
        self._change_cols(self.z, lo, hi)

    def solve_relaxation(self, deadline: float) -> Relaxed:
        """Solve the current LP (warm-started); objective in USD, binaries' values."""
        h = self.h
        _time_limit(h, deadline - time.perf_counter())
        h.run()
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        if status == ms.kOptimal:
            if self._in_search and self._root_basis is None:
                # The root relaxation's basis: the next search starts from it (re-solves
                # with other money change right-hand sides only, so it stays dual feasible).
                self._root_basis = h.getBasis()
            values = np.asarray(h.getSolution().col_value, dtype=float)
            objective = -float(h.getInfo().objective_function_value) * MONEY
            return Relaxed("optimal", objective, values[self.z])
        label = {ms.kInfeasible: "infeasible", ms.kTimeLimit: "time_limit"}.get(status, "error")
        return Relaxed(label, -np.inf, None, h.modelStatusToString(status))

    def binary_reduced_costs(self) -> np.ndarray:
        return np.abs(np.asarray(self.h.getSolution().col_dual)[self.z]) * MONEY

    # -- solving ----------------------------------------------------------------------------
    def _change_cols(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.col_lo[cols], self.col_hi[cols] = lo, hi
        self.h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), lo, hi)

    def _run(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """One HiGHS run of the model as it stands (LP, or MIP with integrality on)."""
        h = self.h
        _time_limit(h, time_limit)
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        start = time.perf_counter()
        self._captured = None
        h.run()
        seconds = time.perf_counter() - start
        status = h.getModelStatus()
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        mip = self.branching == "highs" and not self.binaries_fixed and len(self.z) > 0
        gap = float(info.mip_gap) if mip else (0.0 if self.model.is_mip else None)
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
        (and the duals later stages and marginal values read). Starts from the previous
        search's root basis when there is one."""
        start = time.perf_counter()
        deadline = start + time_limit
        if self._root_basis is not None:
            self.h.setBasis(self._root_basis)
        self._root_basis = None
        self._in_search = True
        try:
            search = branch_and_bound(self, len(self.z), time_limit, mip_gap)
        finally:
            self._in_search = False
        self.nodes = search.nodes
        if search.status == "handover":
            return self._highs_mip(start, deadline - start, mip_gap, search.binaries)
        best_z = search.binaries
        if search.status == "optimal" and best_z is not None and search.nodes == 1:
            # The root relaxation was integral: it is the LP with the binaries fixed, solved.
            # Keep its solution (fixing bounds makes HiGHS forget it, though not the basis)
            # rather than re-run the same LP.
            sol = self.h.getSolution()
            self._captured = _Captured.of(sol)
            objective = -float(self.h.getInfo().objective_function_value) * MONEY
            self.set_binary_bounds(best_z, best_z)
            self.binaries_fixed = True
            values = self._captured.x * self.scaled.col_scale
            return SolveOutcome("optimal", objective, values, 0.0, time.perf_counter() - start)
        if search.status in ("optimal", "time_limit") and best_z is not None:
            self.set_binary_bounds(best_z, best_z)
            self.binaries_fixed = True
            final = self._run(max(deadline - time.perf_counter(), 1.0), 0.0)
            final.seconds = time.perf_counter() - start
            if final.values is None:
                self.fix_binaries(None)
                final.message = f"final relaxation failed: {final.message}"
                return final
            if search.status == "time_limit":
                final.status = "time_limit_feasible"
            final.mip_gap = search.gap
            return final
        self.fix_binaries(None)
        seconds = time.perf_counter() - start
        if search.status == "no_solution":
            return SolveOutcome("error", None, None, None, seconds, _no_solution(time_limit))
        if search.status == "infeasible":
            return SolveOutcome("infeasible", None, None, None, seconds, _INFEASIBLE)
        return SolveOutcome("error", None, None, None, seconds, search.message)

    def _highs_mip(
        self, start: float, time_limit: float, mip_gap: float, incumbent: np.ndarray | None
    ) -> SolveOutcome:
        """HiGHS's MIP solver (cuts, presolve), from our incumbent when there is one; then
        the LP with the binaries fixed at its solution, as after our own search."""
        n = len(self.z)
        self._set_integrality(True)
        self.set_binary_bounds(np.zeros(n), np.ones(n))
        if incumbent is not None:
            self.h.setSolution(n, self.z, incumbent.astype(float))
        outcome = self._run(max(start + time_limit - time.perf_counter(), 1e-3), mip_gap)
        self._set_integrality(False)
        if outcome.values is not None:
            gap = outcome.mip_gap
            self.fix_binaries(outcome.values)
            final = self._run(max(start + time_limit - time.perf_counter(), 1.0), 0.0)
            if final.values is not None:
                final.status, final.mip_gap = outcome.status, gap
                outcome = final
            else:
                self.fix_binaries(None)
                outcome = final
        elif self.branching == "highs":
            self._set_integrality(True)
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _set_integrality(self, integer: bool) -> None:
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(len(self.z), self.z, np.full(len(self.z), kind))


@dataclass(frozen=True)
class _Hold:
    """The bounds some columns and rows had before a hold fixed them (solver units)."""

    cols: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    rows: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray

    @classmethod
    def of(cls, model: HighsModel, cols: np.ndarray, rows: np.ndarray) -> _Hold:
        return cls(
            cols,
            model.col_lo[cols].copy(),
            model.col_hi[cols].copy(),
            rows,
            model.row_lo[rows].copy(),
            model.row_hi[rows].copy(),
        )


@dataclass(frozen=True)
class _Captured:
    """An LP solution read out of HiGHS (solver units)."""

    x: np.ndarray
    d: np.ndarray
    y: np.ndarray
    act: np.ndarray
    dual_valid: bool

    @classmethod
    def of(cls, sol: highspy.HighsSolution) -> _Captured:
        return cls(
            np.asarray(sol.col_value, dtype=float),
            np.asarray(sol.col_dual, dtype=float),
            np.asarray(sol.row_dual, dtype=float),
            np.asarray(sol.row_value, dtype=float),
            bool(sol.dual_valid),
        )


# Reduced costs and duals smaller than this (solver units: objective per USD million) count
# as zero when holding an optimal face. HiGHS's dual feasibility tolerance is 1e-7; on these
# models non-zero reduced costs are >= 1e-4 (criteria weights' tie-break term), most >= 0.1.
_DUAL_ZERO = 1e-6


# Bounds go to HiGHS as numpy infinities: highspy's kHighsInf is IEEE infinity.
assert highspy.kHighsInf == np.inf


def _nearer(value: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The bound nearer to each value (the bound a nonbasic column or active row sits at)."""
    return np.where(np.abs(value - lo) <= np.abs(hi - value), lo, hi)


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
    """The model as a PuLP problem, solved by CBC (or PuLP's HiGHS interface).

    Every solve hands the whole problem to a fresh solver (no warm start). A row with no
    finite bound (the earmark guard while it is off) stays in the problem as
    ``expr >= -1e30``, which CBC reads as free (PuLP has no way to take a constraint out).
    :meth:`hold_optimum` sets a constraint keeping the objective just solved within a
    tolerance of its optimum (no duals to fix a face with; released holds stay as free rows
    and are reused); duals are not read from CBC.
    """

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
        self.z = np.nonzero(model.integer)[0]
        self.binaries_fixed = False
        self.prob = prob
        self.set_objective(model.cost)
        starts, index, value = sc.starts, sc.index, sc.value
        ends = np.append(starts[1:], len(index))
        self.rows: list[Any] = []
        for i in range(model.n_rows):
            s, e = int(starts[i]), int(ends[i])
            expr = pulp.LpAffineExpression(
                [(self.vars[int(c)], float(v)) for c, v in zip(index[s:e], value[s:e], strict=True)]
            )
            con = pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", 0.0)
            _set_bounds(con, sc.row_lo[i], sc.row_hi[i])
            prob.addConstraint(con)
            self.rows.append(con)
        self._holds: list[Any] = []  # hold constraints, reused once released
        self._active_holds = 0
        self._held: list[tuple[Any, float | None, float | None]] = []
        self._objective = np.asarray(model.cost, dtype=float)

    def _bound_row(self, i: int, lo: float, hi: float) -> None:
        """Give row i its sense and constant for bounds (solver units)."""
        _set_bounds(self.rows[i], lo, hi)

    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        for i, rlo, rhi in zip(rows, lo, hi, strict=True):
            self._bound_row(int(i), float(rlo) / MONEY, float(rhi) / MONEY)

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        scale = self.scaled.col_scale
        for i, j, v in zip(rows.tolist(), cols.tolist(), np.asarray(values).tolist(), strict=True):
            self.rows[int(i)].expr[self.vars[int(j)]] = v * scale[j] / MONEY

    def set_objective(self, cost: np.ndarray) -> None:
        scaled = cost * self.scaled.col_scale / MONEY
        nz = np.nonzero(scaled)[0]
        self.prob.setObjective(
            pulp.LpAffineExpression([(self.vars[j], -float(scaled[j])) for j in nz])
        )
        self._objective = np.asarray(cost, dtype=float)

    def fix_binaries(self, values: np.ndarray | None) -> None:
        for j in self.z:
            v = self.vars[int(j)]
            if values is None:
                v.lowBound, v.upBound = 0, 1
            else:
                v.lowBound = v.upBound = round(float(values[int(j)]))
        self.binaries_fixed = values is not None

    def reset_warm_start(self, start: object | None = None) -> None:
        """Nothing to forget: every PuLP solve hands the whole problem to a fresh solver."""

    def warm_start(self) -> object | None:
        return None

    def solve(self, time_limit: float, mip_gap: float) -> SolveOutcome:
        """The model as it stands; after a MILP solve the binaries stay fixed at the
        solution (as :class:`HighsModel` does)."""
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
        if len(self.z) and not self.binaries_fixed:
            self.fix_binaries(values)
        objective = float(np.dot(self._objective, values))
        gap = None if not self.model.is_mip else 0.0
        return SolveOutcome(label, objective, values, gap, seconds)

    def solve_lp(self, time_limit: float, *, dual: bool = False) -> SolveOutcome:
        return self.solve(time_limit, 0.0)

    def save_basis(self) -> object:
        return None

    def restore_basis(self, basis: object) -> None:
        """Nothing to restore: every PuLP solve starts afresh."""

    def hold_optimum(self, objective: float | None = None) -> None:
        """Keep the objective just solved at least ``objective`` (its optimum, USD units)
        less a tolerance of 1e-7 of it (and a cent): CBC's solutions come back rounded to
        about its feasibility tolerance, so a tighter hold can be infeasible."""
        if objective is None:
            return
        scaled = self._objective * self.scaled.col_scale / MONEY
        nz = np.nonzero(scaled)[0]
        level = objective / MONEY
        expr = pulp.LpAffineExpression([(self.vars[j], float(scaled[j])) for j in nz])
        tol = 1e-7 * max(abs(level), 1.0) + 0.01 / MONEY
        if self._active_holds == len(self._holds):
            con = pulp.LpConstraint(expr, pulp.LpConstraintGE, f"hold{len(self._holds)}", 0.0)
            self.prob.addConstraint(con)
            self._holds.append(con)
        con = self._holds[self._active_holds]
        con.expr = expr
        _set_bounds(con, level - tol, np.inf)
        self._active_holds += 1

    def hold_columns(self, cols: np.ndarray, values: np.ndarray) -> None:
        for j, v in zip(np.asarray(cols).tolist(), np.asarray(values).tolist(), strict=True):
            var = self.vars[int(j)]
            self._held.append((var, var.lowBound, var.upBound))
            var.lowBound = var.upBound = float(v) / self.scaled.col_scale[j]

    def release_holds(self) -> None:
        for con in self._holds:
            _set_bounds(con, -np.inf, np.inf)
        self._active_holds = 0
        while self._held:
            var, lo, hi = self._held.pop()
            var.lowBound, var.upBound = lo, hi

    def duals(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Not read from CBC: callers take them from a HiGHS twin (or go without)."""
        return None


def _set_bounds(con: Any, lo: float, hi: float) -> None:
    """A PuLP constraint's sense and constant for bounds (solver units); free as
    ``expr >= -1e30``. A PuLP constraint is expr + constant (sense) 0: the constant is -rhs."""
    if np.isinf(lo) and np.isinf(hi):
        con.sense, rhs = pulp.LpConstraintGE, -1e30
    elif lo == hi:
        con.sense, rhs = pulp.LpConstraintEQ, hi
    elif np.isinf(lo):
        con.sense, rhs = pulp.LpConstraintLE, hi
    else:
        con.sense, rhs = pulp.LpConstraintGE, lo
    con.constant = -float(rhs)
