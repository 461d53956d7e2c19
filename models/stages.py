"""The lexicographic solve: the allocation's objectives in order of priority, each optimised
among the allocations the earlier ones leave equally good.

The stages (objectives of :mod:`models.formulation`), in order:

1. ``value``        maximise the value (tier weights, tranches) with every target off. The
                    minimum-viable binaries are decided here (a MILP) and stay fixed after:
                    a soft target never cuts a programme (stranding its earmarks) nor
                    rescues one. Which programmes are cut is the same with targets on or off.
2. ``earmarks``     (only with a target on) among the best-value allocations, the most
                    earmarked money used: E.
3. ``targets``      (only with a target on) maximise value - P x shortfall (P dominant: a USD
                    of shortfall outweighs any reallocation of a USD) over the allocations
                    that use at least E of earmarked money: a target steers
                    flexible money, and never leaves more earmarked money unallocated than
                    the best allocation without targets.
4. ``early_years``  (``early_year_preference > 0``) among the allocations of equal value (the
                    last of stages 1 and 3), the most USD-years of funding: earlier years
                    first. A true stage, so it never gives up value.
5. ``stability``    (``stability = "reference"`` with a reference) among the allocations equal
                    on every earlier stage, the one closest to the reference (USD of line-year
                    funding that differs).

"Equally good" is exact on HiGHS (the optimal face, from the duals: see
:meth:`models.solve.HighsModel.hold_optimum`) and within 1e-7 of the optimum on CBC. Each
stage re-optimises the live model warm-started from the previous stage's basis.

Public: :class:`StagePlan` (which stages run), :class:`Money` (everything in the model that is
money, for one set of pool supplies), :func:`solve_lexicographic` -> :class:`LexOutcome`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from models.formulation import Formulation
from models.matrix import INF
from models.pooling import Pooling
from models.scenario import Scenario
from models.solve import SolveOutcome, SolverBackend

__all__ = [
    "EARMARK_TOLERANCE_USD",
    "STAGE_NAMES",
    "LexOutcome",
    "Money",
    "StagePlan",
    "StageReport",
    "solve_lexicographic",
    "value_duals",
]

STAGE_NAMES = ("value", "earmarks", "targets", "early_years", "stability")
# The targets stage may use this much less earmarked money than stage 2 found (so that stage
# 2's own allocation satisfies the guard whatever the rounding).
EARMARK_TOLERANCE_USD = 1e-6

RowBounds = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class StagePlan:
    """Which optional stages run."""

    targets: bool
    early_years: bool
    stability: bool

    @classmethod
    def for_scenario(cls, form: Formulation, scenario: Scenario) -> StagePlan:
        return cls(
            targets=bool(form.active_targets),
            early_years=scenario.weights.early_year_preference > 0,
            stability=scenario.stability == "reference" and form.has_reference,
        )

    @property
    def names(self) -> list[str]:
        on = {"earmarks": self.targets, "targets": self.targets}
        on |= {"early_years": self.early_years, "stability": self.stability}
        return [s for s in STAGE_NAMES if on.get(s, True)]


@dataclass(frozen=True)
class Money:
    """Everything in the model that is money for one set of pool supplies: the balance rows'
    arriving money, the target rows' USD (when targets count) and the ``min_viable_money``
    caps."""

    supply: np.ndarray
    balance: RowBounds
    targets: RowBounds
    coefficients: RowBounds

    @classmethod
    def of(cls, form: Formulation, pools: Pooling, supply: np.ndarray) -> Money:
        return cls(
            supply=supply,
            balance=form.money_bounds(pools, supply),
            targets=form.target_bounds(pools, supply),
            coefficients=form.money_coefficients(pools, supply),
        )

    def apply(self, backend: SolverBackend) -> None:
        backend.set_row_bounds(*self.balance)
        backend.set_coefficients(*self.coefficients)


@dataclass
class StageReport:
    """One stage: its status, the optimum of its objective (USD units) and seconds."""

    name: str
    status: str
    objective: float | None
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "objective": self.objective,
            "seconds": self.seconds,
        }


@dataclass
class LexOutcome:
    """What the stages produced. ``values``: every column at the end (None on failure);
    ``before_stability``: the values before the stability stage (the same when it did not
    run); ``earmark_floor``: E of stage 2 (None when it did not run)."""

    status: str
    values: np.ndarray | None
    before_stability: np.ndarray | None
    stages: list[StageReport]
    mip_gap: float | None
    seconds: float
    message: str = ""
    earmark_floor: float | None = None
    objective: float | None = None  # the value objective at ``values``
    stage_values: dict[str, np.ndarray] = field(default_factory=dict)


def solve_lexicographic(
    backend: SolverBackend,
    form: Formulation,
    plan: StagePlan,
    money: Money,
    *,
    time_limit: float,
    mip_gap: float,
    binaries: np.ndarray | None = None,
    keep_stage_values: bool = False,
) -> LexOutcome:
    """Run the stages of ``plan`` on ``backend`` with ``money`` in the model.

    ``binaries``: hold the minimum-viable decisions at these values (every column's values)
    instead of deciding them; stage 1 is then an LP. The back end is left with its holds
    released, the earmark guard off and the binaries free, its last basis kept for the next
    solve."""
    start = time.perf_counter()
    deadline = start + time_limit
    m = form.matrix
    target_rows = m.rows("target")
    guard_row = m.rows("earmark_guard")
    off = np.full(len(target_rows), -INF), np.full(len(target_rows), INF)
    reports: list[StageReport] = []
    outcome = LexOutcome("error", None, None, reports, None, 0.0)

    def left() -> float:
        return max(deadline - time.perf_counter(), 1e-3)

    def run(name: str, solve: SolveOutcome) -> bool:
        reports.append(StageReport(name, solve.status, solve.objective, solve.seconds))
        if solve.values is None:
            outcome.status = solve.status
            where = "" if name == "value" else f"the {name} stage: "
            outcome.message = where + solve.message
            return False
        outcome.values = solve.values
        if keep_stage_values:
            outcome.stage_values[name] = solve.values
        return True

    backend.release_holds()
    backend.fix_binaries(binaries)
    money.apply(backend)
    backend.set_row_bounds(target_rows, *off)
    backend.set_row_bounds(guard_row, np.array([-INF]), np.array([INF]))
    backend.set_objective(m.objective("value"))
    face_held = False  # the feasible set already is the value-defining stage's optimal face
    try:
        first = backend.solve(time_limit, mip_gap)
        outcome.mip_gap = first.mip_gap
        if not run("value", first):
            return _finish(outcome, start)
        if plan.targets:
            # Stage 3 restarts from stage 1's basis: optimal for the same objective, so dual
            # simplex only has the targets' and the guard's new bounds to repair (measured:
            # 5-10x fewer iterations than primal simplex from stage 2's basis).
            value_basis = backend.save_basis()
            backend.hold_optimum(first.objective)
            backend.set_objective(m.objective("earmarks"))
            if not run("earmarks", backend.solve_lp(left())):
                return _finish(outcome, start)
            floor = float(reports[-1].objective or 0.0)
            outcome.earmark_floor = floor
            guard = np.array([floor - EARMARK_TOLERANCE_USD]), np.array([INF])
            x2 = outcome.values
            assert x2 is not None
            if _meets_targets(form, money, x2):
                # Stage 2's allocation is worth the most any allocation can be (stage 1's
                # value) and meets every target: it is optimal for stage 3, whose optimal
                # face is stage 1's (still held) with the targets met and the guard on. No
                # LP to solve (in risk draws, where targets are usually met: 15% of a draw).
                backend.set_row_bounds(guard_row, *guard)
                backend.set_row_bounds(*money.targets)
                run("targets", SolveOutcome("optimal", first.objective, x2, 0.0, 0.0))
                face_held = True
            else:
                backend.release_holds()
                backend.set_row_bounds(guard_row, *guard)
                backend.set_row_bounds(*money.targets)
                backend.set_objective(m.objective("value"))
                backend.restore_basis(value_basis)
                if not run("targets", backend.solve_lp(left(), dual=True)):
                    return _finish(outcome, start)
        value_optimum = reports[-1].objective
        if plan.early_years:
            if not face_held:
                backend.hold_optimum(value_optimum)
            backend.set_objective(m.objective("early_years"))
            if not run("early_years", backend.solve_lp(left())):
                return _finish(outcome, start)
            face_held = False  # the last stage solved is this one
        outcome.before_stability = outcome.values
        if plan.stability:
            if not face_held:
                backend.hold_optimum(reports[-1].objective)
            backend.set_objective(m.objective("stability"))
            if not run("stability", backend.solve_lp(left())):
                return _finish(outcome, start)
        outcome.status = _worst([r.status for r in reports])
    finally:
        backend.release_holds()
        backend.set_row_bounds(guard_row, np.array([-INF]), np.array([INF]))
        backend.fix_binaries(None)
        backend.set_objective(m.objective("value"))
    if outcome.values is not None:
        outcome.objective = float(m.objective("value") @ outcome.values)
    return _finish(outcome, start)


def value_duals(
    backend: SolverBackend,
    form: Formulation,
    plan: StagePlan,
    money: Money,
    values: np.ndarray,
    *,
    time_limit: float,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Duals of the value-defining LP (stage 3 with a target on, else stage 1) at the
    allocation ``values``, with its minimum-viable decisions held; None when the back end has
    none. With a target on, the earmark guard binds wherever a target would displace
    earmarked money, and its dual prices every earmarked dollar at the target penalty one way
    only (degenerate: one more USD of a line's requirement would read as worth the penalty).
    So the duals are read with the earmarked money held where it is and the guard off: the
    same optimum, marginal values that say what one more USD would do with the earmarks in
    place. The back end is left as :func:`solve_lexicographic` leaves it."""
    m = form.matrix
    target_rows, guard_row = m.rows("target"), m.rows("earmark_guard")
    backend.release_holds()
    backend.fix_binaries(values)
    money.apply(backend)
    backend.set_row_bounds(guard_row, np.array([-INF]), np.array([INF]))
    if plan.targets:
        backend.set_row_bounds(*money.targets)
        spend = m.cols("spend")
        earmarked = spend[m.objective("earmarks")[spend] > 0]
        backend.hold_columns(earmarked, values[earmarked])
    else:
        off = np.full(len(target_rows), INF)
        backend.set_row_bounds(target_rows, -off, off)
    backend.set_objective(m.objective("value"))
    try:
        solved = backend.solve_lp(time_limit)
        return backend.duals() if solved.values is not None else None
    finally:
        backend.release_holds()
        backend.fix_binaries(None)


def _meets_targets(form: Formulation, money: Money, x: np.ndarray) -> bool:
    """Does the allocation ``x`` (shortfalls at 0) reach every target's USD?"""
    m = form.matrix
    rows, lo, _ = money.targets
    is_row = np.zeros(m.n_rows, dtype=bool)
    is_row[rows] = True
    sel = is_row[m.a_row]
    activity = np.bincount(m.a_row[sel], weights=m.a_val[sel] * x[m.a_col[sel]], minlength=m.n_rows)
    achieved = activity[rows] - x[m.cols("shortfall")]
    return bool(np.all(achieved >= lo - 1e-6 - 1e-9 * np.abs(lo)))


def _worst(statuses: list[str]) -> str:
    return "time_limit_feasible" if "time_limit_feasible" in statuses else "optimal"


def _finish(outcome: LexOutcome, start: float) -> LexOutcome:
    if outcome.status not in ("optimal", "time_limit_feasible"):
        outcome.values = outcome.before_stability = None
    elif outcome.before_stability is None:
        outcome.before_stability = outcome.values
    outcome.seconds = time.perf_counter() - start
    return outcome
