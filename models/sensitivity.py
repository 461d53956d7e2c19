"""Sensitivity ranges: for each tier weight, the tranche weight and each target share that is
on, the interval within which the allocation does not change.

"Does not change" means the current allocation stays a best allocation: at every value of the
setting inside the interval it is still optimal (so a re-solve holding it as the reference
returns it); just outside either end, unless the end is the setting's own limit, a strictly
better allocation exists, so the allocation must change. Ranges are LP ranging with the
minimum-viable decisions held (as for every marginal value): a change of weights can also
flip a programme's minimum-viable decision, which no LP range sees.

How, per setting (``models.stages`` names the stages):

- **Weights** change costs: a tier weight the first-tranche cost of its lines' line-years (and
  the second tranche's by ``tranche_weight`` times as much), the tranche weight every second
  tranche's cost by its line's weight. The target penalty is held. The set of weights at which
  a given allocation ``x`` stays optimal in an LP is an interval (the cone of costs it is
  optimal for, cut by a line). Its ends are found exactly by Newton steps on the convex,
  piecewise-linear gap ``g(t) = max_y c(t) y - c(t) x``: solve at a point where ``x`` is not
  optimal, take the vertex found, move to where that vertex stops beating ``x``; a handful of
  warm-started LPs. Without a target that LP is the value stage at the final allocation. With
  one it is the targets stage at the final allocation, whose earmark floor comes from stages 1
  and 2: so stage 1's optimal faces are walked too (each holds while its stage-2 allocation
  stays optimal; where one ends the floor is recomputed, and the allocation survives only if
  it meets the new floor and stays optimal with it). Inside the range every later stage sees
  the same optimal face, so the allocation stays.
- **Target shares** change a right-hand side of the targets stage, and with it the optimal
  face the early-years stage chooses from (a looser target can let an earlier allocation of
  equal value in). The allocation stays at a share if, its shortfall adjusted, it is still
  optimal in the targets stage and then in the early-years stage over that stage's optima (two
  or three LPs). Each end is the share's own limit (0 or 1) when the allocation stays there,
  else the share the allocation achieves (where the target row turns between slack and short)
  when it stays up to there and not just past it, else the current share when it does not
  stay just past it, else a bisection (to 1e-6).

Domains searched: tier weights 0..10x the largest weight, the tranche weight and shares 0..1.
With weights from criteria scores the tier weights only break ties and get no range.

Public: :func:`sensitivity_ranges` -> a DataFrame with :data:`SENSITIVITY_COLUMNS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.formulation import TARGET_SETTINGS
from models.matrix import INF, LinearModel
from models.solve import HighsModel
from models.stages import EARMARK_TOLERANCE_USD, LexOutcome, Money

if TYPE_CHECKING:  # the allocation engine calls in here
    from models.allocation import AllocationModel

__all__ = ["SENSITIVITY_COLUMNS", "sensitivity_ranges"]

SENSITIVITY_COLUMNS = [
    "parameter",
    "value",
    "lower",
    "upper",
    "lower_bounded",  # the allocation changes just below ``lower`` (else: the domain's end)
    "upper_bounded",
    "domain_lower",
    "domain_upper",
    "note",
]
# Weights are searched up to this multiple of the largest weight.
WEIGHT_DOMAIN_FACTOR = 10.0
# An allocation within this of the best objective (relative, plus this many weighted USD)
# is still optimal.
_REL_TOL = 1e-9
_ABS_TOL = 1e-3
_NEWTON_STEPS = 50
# Stage-1 faces walked per range end, and how far past a face's end the next is probed.
_WALK_STEPS = 20
_PROBE = 1e-7


def _gap_tol(best: float) -> float:
    return _REL_TOL * abs(best) + _ABS_TOL


def sensitivity_ranges(model: AllocationModel, outcome: LexOutcome) -> pd.DataFrame:
    """Ranges for the solved ``outcome`` of ``model`` (see the module docstring)."""
    values = outcome.values
    if values is None:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    backend = model.backend if isinstance(model.backend, HighsModel) else None
    if backend is None:
        backend = HighsModel(model.form.matrix)
    money = model.money(model.pools.pool_supply)
    ranger = _Ranger(model, backend, money, values, outcome)
    rows: list[dict[str, object]] = []
    try:
        rows += ranger.weight_rows()
        rows += ranger.target_rows()
    finally:
        ranger.restore()
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


class _Ranger:
    """The two LP contexts of the ranging, set up on a HiGHS back end in turn."""

    def __init__(
        self,
        model: AllocationModel,
        backend: HighsModel,
        money: Money,
        values: np.ndarray,
        outcome: LexOutcome,
    ) -> None:
        self.model = model
        self.backend = backend
        self.money = money
        self.values = values
        self.form = model.form
        self.targets_on = model.stage_plan.targets
        self.floor = outcome.earmark_floor
        self.value_point = outcome.stage_values.get("earmarks", values)
        self.cost = self.form.matrix.objective("value")
        self.time_limit = model.scenario.time_limit_seconds
        earmarks = self.form.matrix.objective("earmarks")
        self.has_earmarks = bool((earmarks > 0).any())
        self.earmarked_used = float(earmarks @ values)

    # -- contexts ---------------------------------------------------------------------------
    def _context(
        self, *, targets: bool, target_lo: np.ndarray | None = None, floor: float | None = None
    ) -> None:
        b, m = self.backend, self.form.matrix
        b.release_holds()
        self.money.apply(b)
        b.fix_binaries(self.values)
        rows = m.rows("target")
        guard = m.rows("earmark_guard")
        if targets:
            lo = self.money.targets[1] if target_lo is None else target_lo
            b.set_row_bounds(rows, lo, np.full(len(rows), INF))
            at = (self.floor or 0.0) if floor is None else floor
            b.set_row_bounds(guard, np.array([at - EARMARK_TOLERANCE_USD]), np.array([INF]))
        else:
            b.set_row_bounds(rows, np.full(len(rows), -INF), np.full(len(rows), INF))
            b.set_row_bounds(guard, np.array([-INF]), np.array([INF]))

    def restore(self) -> None:
        b = self.backend
        b.release_holds()
        b.fix_binaries(None)
        b.set_objective(self.cost)

    def _best(self, cost: np.ndarray) -> tuple[float, np.ndarray] | None:
        self.backend.set_objective(cost)
        out = self.backend.solve_lp(self.time_limit)
        if out.values is None or out.objective is None:
            return None
        return out.objective, out.values

    # -- weights ----------------------------------------------------------------------------
    def weight_rows(self) -> list[dict[str, object]]:
        sc = self.model.scenario
        form = self.form
        sets = form.sets
        m = form.matrix
        first, second = m.cols("first_tranche"), m.cols("second_tranche")
        tw = sc.weights.tranche_weight
        tiers = self.model.plan.programmes["priority"].astype(int).to_numpy()[sets.ly_line]
        params: list[tuple[str, float, np.ndarray, float, float]] = []
        top = max(float(v) for v in sc.weights.tier.values()) if sc.weights.tier else 1.0
        criteria = any(v > 0 for v in sc.weights.criteria.values())
        rows: list[dict[str, object]] = []
        for tier in (1, 2, 3, 4):
            name = f"weights.tier.{tier}"
            w0 = float(sc.weights.tier[tier])
            if criteria:
                why = "weights come from criteria scores; tiers only break ties"
                rows.append(_row(name, w0, None, None, 0.0, WEIGHT_DOMAIN_FACTOR * top, why))
                continue
            dc = np.zeros(m.n_cols)
            on = tiers == tier
            dc[first[on]] = 1.0
            dc[second[on]] = tw
            params.append((name, w0, dc, 0.0, WEIGHT_DOMAIN_FACTOR * max(top, 1e-9)))
        dc = np.zeros(m.n_cols)
        dc[second] = sets.weights[sets.ly_line]
        params.append(("weights.tranche_weight", tw, dc, 0.0, 1.0))
        for name, p0, dc, lo_dom, hi_dom in params:
            if not dc.any():
                why = "no line-year has this weight"
                rows.append(
                    _row(name, p0, lo_dom, hi_dom, lo_dom, hi_dom, why, bounded=(False, False))
                )
                continue
            hi = self._weight_end(dc, hi_dom - p0)
            lo = self._weight_end(dc, lo_dom - p0)
            if hi is None or lo is None:
                rows.append(_row(name, p0, None, None, lo_dom, hi_dom, "a ranging LP failed"))
                continue
            lo, hi = p0 + lo, p0 + hi
            rows.append(
                _row(name, p0, lo, hi, lo_dom, hi_dom, "", bounded=(lo > lo_dom, hi < hi_dom))
            )
        return rows

    def _weight_end(self, dc: np.ndarray, t_end: float) -> float | None:
        """How far (offset from the current value, towards ``t_end``) a weight can move with
        the allocation still the outcome.

        Without a target, that is where the allocation stops being a best-value allocation.
        With one, where it stops being optimal for the targets stage, whose earmark floor
        itself comes from stage 1: walk stage 1's optimal faces from the current value
        (each face holds until its stage-2 allocation stops being optimal) and, wherever the
        face changes, recompute the floor; the allocation survives a new floor only if it
        still meets it and stays optimal with it."""
        if not self.targets_on:
            self._context(targets=False)
            return self._newton(dc, self.values, 0.0, t_end)
        floor = self.floor or 0.0
        self._context(targets=True, floor=floor)
        end_b = self._newton(dc, self.values, 0.0, t_end)
        if end_b is None or not self.has_earmarks:
            return end_b
        t, x2 = 0.0, self.value_point
        for _ in range(_WALK_STEPS):
            self._context(targets=False)
            end_a = self._newton(dc, x2, t, end_b)
            if end_a is None:
                return None
            if abs(end_a) >= abs(end_b) * (1 - _REL_TOL) - 1e-12:
                return end_b
            probe = end_a + np.sign(t_end) * _PROBE * (1.0 + abs(end_a))
            found = self._earmark_floor(self.cost + probe * dc)
            if found is None:
                return None
            new_floor, x2 = found
            if abs(new_floor - floor) > EARMARK_TOLERANCE_USD + 1e-9 * abs(floor):
                if new_floor > self.earmarked_used + 1e-9 * abs(new_floor) + 1e-6:
                    return end_a  # the allocation no longer meets the floor
                self._context(targets=True, floor=new_floor)
                if not self._optimal_at(dc, probe):
                    return end_a
                rest = self._newton(dc, self.values, probe, end_b)
                if rest is None:
                    return None
                floor, end_b = new_floor, rest
            t = probe
        return t  # (bounded walk: a safe, possibly short, end)

    def _earmark_floor(self, cost: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Stage 1 and 2 at these costs (binaries held): the earmark floor and the stage-2
        allocation."""
        b = self.backend
        self._context(targets=False)
        first = self._best(cost)
        if first is None:
            return None
        b.hold_optimum(first[0])
        try:
            found = self._best(self.form.matrix.objective("earmarks"))
        finally:
            b.release_holds()
        if found is None:
            return None
        return found[0], found[1]

    def _optimal_at(self, dc: np.ndarray, t: float) -> bool:
        cost = self.cost + t * dc
        best = self._best(cost)
        return best is not None and best[0] - float(cost @ self.values) <= _gap_tol(best[0])

    def _newton(self, dc: np.ndarray, x: np.ndarray, t_from: float, t_end: float) -> float | None:
        """The parameter offset between ``t_from`` (where ``x`` is optimal) and ``t_end``
        nearest ``t_end`` at which ``x`` is still optimal (see the module docstring)."""
        t = t_end
        for _ in range(_NEWTON_STEPS):
            cost = self.cost + t * dc
            best = self._best(cost)
            if best is None:
                return None
            phi, v = best
            gap = phi - float(cost @ x)
            if gap <= _gap_tol(phi):
                return t
            slope = float(dc @ (v - x))
            direction = np.sign(t - t_from)
            if slope == 0.0 or np.sign(slope) != direction:
                return t_from  # x optimal only at t_from on this side
            step = t - gap / slope
            if (step - t_from) * direction <= 0.0 or abs(step - t_from) >= abs(t - t_from):
                return t_from
            t = step
        return t

    # -- target shares ----------------------------------------------------------------------
    def target_rows(self) -> list[dict[str, object]]:
        if not self.targets_on:
            return []
        form, m = self.form, self.form.matrix
        target_rows = m.rows("target")
        shortfall = m.cols("shortfall")
        base_lo = self.money.targets[1]
        bases = {
            tg.name: (base_lo[h] / tg.share if tg.share > 0 else 0.0)
            for h, tg in enumerate(form.targets)
        }
        activity = _activity(m, self.values)
        rows: list[dict[str, object]] = []
        for h, tg in enumerate(form.targets):
            if not tg.active:
                continue
            name = f"targets.{TARGET_SETTINGS[h]}"
            basis = bases[tg.name]
            if basis <= 0:
                why = "no money counts for it"
                rows.append(_row(name, tg.share, 0.0, 1.0, 0.0, 1.0, why, bounded=(False, False)))
                continue
            achieved = float(activity[target_rows[h]] - self.values[shortfall[h]])
            r = min(max(achieved / basis, 0.0), 1.0)
            s0 = tg.share
            ends = [self._share_end(h, s0, r, limit, basis, achieved) for limit in (0.0, 1.0)]
            if ends[0] is None or ends[1] is None:
                rows.append(_row(name, s0, None, None, 0.0, 1.0, "a ranging LP failed"))
                continue
            lo, hi = ends[0], ends[1]
            rows.append(_row(name, s0, lo, hi, 0.0, 1.0, "", bounded=(lo > 0.0, hi < 1.0)))
        return rows

    def _share_end(
        self, h: int, s0: float, r: float, limit: float, basis: float, achieved: float
    ) -> float | None:
        """How far target h's share can move from ``s0`` towards ``limit`` (0 or 1) with the
        allocation still the outcome: the limit itself, else the share the allocation
        achieves (``r``, where the target row turns from slack to short), else the boundary
        found by bisection (to 1e-6)."""
        stays = self._stays_at
        first = stays(h, limit, basis, achieved)
        if first is None or first:
            return None if first is None else limit
        side = np.sign(limit - s0)
        step = 1e-6
        if (r - s0) * side > step:  # r lies between s0 and the limit
            at_r, past_r = stays(h, r, basis, achieved), stays(h, r + side * step, basis, achieved)
            if at_r is None or past_r is None:
                return None
            if at_r and not past_r:
                return r
        near = stays(h, s0 + side * step, basis, achieved)
        if near is None:
            return None
        if not near:
            return s0
        inside, outside = s0 + side * step, limit
        while abs(outside - inside) > step:
            mid = 0.5 * (inside + outside)
            ok = stays(h, mid, basis, achieved)
            if ok is None:
                return None
            inside, outside = (mid, outside) if ok else (inside, mid)
        return inside

    def _stays_at(self, h: int, share: float, basis: float, achieved: float) -> bool | None:
        """Is the allocation still a lexicographically best one with target h at ``share``:
        optimal in the targets stage, and then (when that stage runs) in the early-years
        stage among the targets stage's optima?"""
        lo = self.money.targets[1].copy()
        lo[h] = share * basis
        self._context(targets=True, target_lo=lo)
        best = self._best(self.cost)
        if best is None:
            return None
        x = self.values.copy()
        x[self.form.matrix.cols("shortfall")[h]] = max(0.0, share * basis - achieved)
        if best[0] - float(self.cost @ x) > _gap_tol(best[0]):
            return False
        if not self.model.stage_plan.early_years:
            return True
        early = self.form.matrix.objective("early_years")
        self.backend.hold_optimum(best[0])
        try:
            later = self._best(early)
        finally:
            self.backend.release_holds()
        if later is None:
            return None
        return later[0] - float(early @ x) <= _gap_tol(later[0])


def _activity(m: LinearModel, x: np.ndarray) -> np.ndarray:
    """Each row's activity (A x) at ``x``."""
    return np.bincount(m.a_row, weights=m.a_val * x[m.a_col], minlength=m.n_rows)


def _row(
    name: str,
    value: float,
    lower: float | None,
    upper: float | None,
    domain_lower: float,
    domain_upper: float,
    note: str,
    *,
    bounded: tuple[bool, bool] | None = None,
) -> dict[str, object]:
    return {
        "parameter": name,
        "value": value,
        "lower": lower,
        "upper": upper,
        "lower_bounded": None if bounded is None else bounded[0],
        "upper_bounded": None if bounded is None else bounded[1],
        "domain_lower": domain_lower,
        "domain_upper": domain_upper,
        "note": note,
    }
