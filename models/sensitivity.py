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
  warm-started LPs. Checked in two LPs: the value stage (targets off) at the stage-2
  allocation, which pins the earmark floor targets must respect, and, with a target on, the
  targets stage at the final allocation. Inside both, every later stage sees the same optimal
  face, so the allocation stays.
- **Target shares** change a right-hand side of the targets stage. With the allocation held
  (its shortfall adjusting), the gap between the best objective and the allocation's is
  concave on each side of the share the allocation achieves (``r``): zero at the current share
  means zero on that whole side. So the range is ``[0 or r, r or 1]``, settled by re-solving at
  the share's limits 0 and 1 (two LPs).

Domains searched: tier weights 0..10x the largest weight, the tranche weight and shares 0..1.
With weights from criteria scores the tier weights only break ties and get no range.

Public: :func:`sensitivity_ranges` -> a DataFrame with :data:`SENSITIVITY_COLUMNS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.formulation import TARGET_SETTINGS
from models.matrix import INF
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

    # -- contexts ---------------------------------------------------------------------------
    def _context(self, *, targets: bool, target_lo: np.ndarray | None = None) -> None:
        b, m = self.backend, self.form.matrix
        b.release_holds()
        self.money.apply(b)
        b.fix_binaries(self.values)
        rows = m.rows("target")
        guard = m.rows("earmark_guard")
        if targets:
            lo = self.money.targets[1] if target_lo is None else target_lo
            b.set_row_bounds(rows, lo, np.full(len(rows), INF))
            floor = (self.floor or 0.0) - EARMARK_TOLERANCE_USD
            b.set_row_bounds(guard, np.array([floor]), np.array([INF]))
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
            ends = [self._cost_range(dc, p0, lo_dom, hi_dom, targets=False, x=self.value_point)]
            if self.targets_on:
                ends.append(self._cost_range(dc, p0, lo_dom, hi_dom, targets=True, x=self.values))
            if any(e is None for e in ends):
                rows.append(_row(name, p0, None, None, lo_dom, hi_dom, "a ranging LP failed"))
                continue
            lo = max(e[0] for e in ends if e is not None)
            hi = min(e[1] for e in ends if e is not None)
            rows.append(
                _row(name, p0, lo, hi, lo_dom, hi_dom, "", bounded=(lo > lo_dom, hi < hi_dom))
            )
        return rows

    def _cost_range(
        self,
        dc: np.ndarray,
        p0: float,
        lo_dom: float,
        hi_dom: float,
        *,
        targets: bool,
        x: np.ndarray,
    ) -> tuple[float, float] | None:
        """[lower, upper] of the parameter over which ``x`` stays optimal in the context."""
        self._context(targets=targets)
        hi = self._newton(dc, x, hi_dom - p0)
        lo = self._newton(dc, x, lo_dom - p0)
        if hi is None or lo is None:
            return None
        return p0 + lo, p0 + hi

    def _newton(self, dc: np.ndarray, x: np.ndarray, t_end: float) -> float | None:
        """The parameter offset, between 0 and ``t_end``, nearest ``t_end`` at which ``x``
        is still optimal (see the module docstring)."""
        t = t_end
        for _ in range(_NEWTON_STEPS):
            cost = self.cost + t * dc
            best = self._best(cost)
            if best is None:
                return None
            phi, v = best
            gap = phi - float(cost @ x)
            if gap <= _REL_TOL * abs(phi) + _ABS_TOL:
                return t
            slope = float(dc @ (v - x))
            if slope == 0.0 or np.sign(slope) != np.sign(t):
                return 0.0  # x optimal only at the current value on this side
            step = t - gap / slope
            if abs(step) >= abs(t) or (np.sign(step) != np.sign(t) and step != 0.0):
                return 0.0
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
            eps = 1e-9 + 1e-9 * s0
            # Short (s0 > r): optimal on all of [r, 1]; below r, on all of [0, r] or nowhere.
            # Over-met (s0 < r): optimal on all of [0, r]; above r, on all of [r, 1] or
            # nowhere. Met exactly: both questions.
            short, over = s0 > r + eps, s0 < r - eps
            lo_ok = True if over else self._holds_at(h, 0.0, basis, achieved)
            hi_ok = True if short else self._holds_at(h, 1.0, basis, achieved)
            if lo_ok is None or hi_ok is None:
                rows.append(_row(name, s0, None, None, 0.0, 1.0, "a ranging LP failed"))
                continue
            lo = 0.0 if lo_ok else r
            hi = 1.0 if hi_ok else r
            rows.append(_row(name, s0, lo, hi, 0.0, 1.0, "", bounded=(lo > 0.0, hi < 1.0)))
        return rows

    def _holds_at(self, h: int, share: float, basis: float, achieved: float) -> bool | None:
        """Is the allocation still optimal in the targets stage with target h at ``share``?"""
        lo = self.money.targets[1].copy()
        lo[h] = share * basis
        self._context(targets=True, target_lo=lo)
        best = self._best(self.cost)
        if best is None:
            return None
        x = self.values.copy()
        x[self.form.matrix.cols("shortfall")[h]] = max(0.0, share * basis - achieved)
        mine = float(self.cost @ x)
        return best[0] - mine <= _REL_TOL * abs(best[0]) + _ABS_TOL


def _activity(m: object, x: np.ndarray) -> np.ndarray:
    from models.matrix import LinearModel

    assert isinstance(m, LinearModel)
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
