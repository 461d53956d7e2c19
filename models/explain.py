"""Explanations of an allocation: why each line got what it got, and why money stayed put.

- :func:`pool_leftover_reasons`: the reason (one of ``UNALLOCATED_REASONS``) for money a pool
  did not spend.
- :func:`explain_lines`: per line a reason (one of ``REASONS``), the figures behind it and a
  sentence for people, derived from the solution and the duals of the value-defining LP
  (stage 3 of :mod:`models.stages` with a target on, else stage 1, binaries fixed).
- :func:`line_marginal_frame`: objective value of one more USD of requirement per line-year,
  from the LP duals (reduced costs of the tranche columns at their bounds).
- :func:`next_million_frame`: where an extra USD 1 million of unearmarked money would go.
- :func:`viable_thresholds`: at what extra amount of unearmarked money each cut
  minimum-viable programme becomes viable.

The figures (objective per USD, as the value stage counts it):

- ``value_per_usd``: what one more USD would earn on a line with a gap: its weight on the
  tranche it would fill next (the first while the first tranche of its earliest unmet year
  is open, else the second).
- ``best_use_per_usd``: what the money it could have received earns where it went: over the
  pools eligible to the line whose money arrives by its unmet years, the cheapest dollar they
  put on *other* lines (a line-year's weight on its last tranche, plus the target penalty
  where the dollar counts for a policy target that binds, i.e. whose row has a non-zero
  dual): what the line would have to beat to get any more; 0 when some of that money is
  idle, empty when that money went to this line only. By
  optimality it is at least ``value_per_usd`` unless something other than value (a donor cap,
  timing) stops the money. Read from the solution and the target duals rather than from the
  balance rows' duals: those are degenerate wherever the earmark guard binds (an extreme dual
  prices flexible money at the target penalty one way only) and would mislead.

Line reasons, the first that applies:
``excluded`` (no requirement in the horizon), ``cut_below_min_viable`` (the binary is 0),
``fully_funded`` (the requirement caps it), ``carry_forward_limited`` (no money it may
receive arrives by its unmet years, while some arrives later), ``eligible_money_exhausted``
(no money it may receive is left: none exists in time, or it is all used on lines worth as
much per USD), ``donor_line_cap_reached`` (money worth less than the line is left but donor
caps keep it off the line), ``policy_target`` (the money earns more than any line's weight:
a policy target holds it), ``tranche_spread`` (the line reached its first tranche in every
unmet year and the money went to other lines' first tranches), ``lower_tier`` (the money went
to lines worth more per USD). Without duals (CBC) the same reasons are read from the solution
alone (the figures are then left empty).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.formulation import Formulation
from models.matrix import INF
from models.plan import Plan
from models.pooling import Pooling, sum_by
from models.scenario import Scenario
from models.solve import HighsModel

if TYPE_CHECKING:  # the allocation engine calls in here; no import cycle at run time
    from models.allocation import AllocationModel
    from models.solution import Flows

__all__ = [
    "EXPLANATION_COLUMNS",
    "NEXT_MILLION",
    "empty_explanations",
    "explain_lines",
    "line_marginal_frame",
    "next_million_frame",
    "pool_leftover_reasons",
    "viable_thresholds",
]

NEXT_MILLION = 1_000_000.0
EXPLANATION_COLUMNS = [
    "line_id",
    "tier",
    "weight",
    "requirement_usd",
    "funded_usd",
    "coverage",
    "reason",
    "text",
    "value_per_usd",
    "best_use_per_usd",
    "viable_at_extra_usd",
]
# Relative margin for "worth more" comparisons of duals.
_REL = 1e-9
# Money left in a pool counts as idle above this (CBC's solutions come back rounded to about
# a tenth of a dollar per variable, which must not read as money left).
IDLE_USD = 1.0
# The extra money at which a cut programme becomes viable is found to within this (USD, or
# this share of it when larger).
VIABLE_AT_TOLERANCE_USD = 1_000.0
VIABLE_AT_TOLERANCE_SHARE = 1e-2


def _tol(req: np.ndarray) -> np.ndarray:
    """Funding within a cent (or 1e-9 relative) of the requirement counts as full."""
    return 0.01 + 1e-9 * req


def _membership(pools: Pooling) -> np.ndarray:
    """Bool (n_pools, n_lines): pool k may fund line l (any year)."""
    return _set_membership(pools)[pools.pool_set]


def _set_membership(pools: Pooling) -> np.ndarray:
    """Bool (n_sets, n_lines): eligible set s contains line l."""
    sets = np.zeros((len(pools.elig_sets), len(pools.line_ids)), dtype=bool)
    for s, members in enumerate(pools.elig_sets):
        sets[s, members] = True
    return sets


def empty_explanations() -> pd.DataFrame:
    return pd.DataFrame(columns=EXPLANATION_COLUMNS)


def pool_leftover_reasons(
    pools: Pooling, form: Formulation, funded_ly: np.ndarray, cut: np.ndarray, *, cap: bool
) -> np.ndarray:
    """Reason per pool for the money it did not spend (only read where something is left)."""
    n_pools = pools.n_pools
    sets = form.sets
    full_ly = funded_ly >= sets.ly_req - _tol(sets.ly_req)
    is_cut_line = np.zeros(len(pools.line_ids), dtype=bool)
    is_cut_line[cut] = True
    cut_ly = is_cut_line[sets.ly_line] & ~full_ly
    open_ly = ~full_ly & ~cut_ly
    n_open = sum_by(sets.link_pool, weights=open_ly[sets.link_ly], minlength=n_pools)
    n_cut = sum_by(sets.link_pool, weights=cut_ly[sets.link_ly], minlength=n_pools)
    # Unmet need of eligible lines in years before the pool's money arrives.
    unmet = np.zeros_like(pools.req, dtype=bool)
    unmet[sets.ly_line[~full_ly], sets.ly_year[~full_ly]] = True
    member = _membership(pools)
    early_unmet = np.zeros(n_pools, dtype=bool)
    for k in np.nonzero(pools.pool_year > 0)[0]:
        early_unmet[k] = bool(unmet[member[k]][:, : pools.pool_year[k]].any())
    reason = np.full(n_pools, "eligible_lines_fully_funded", dtype=object)
    reason[(n_open == 0) & early_unmet] = "arrives_after_need"
    reason[(n_open == 0) & (n_cut > 0)] = "stranded_by_min_viable_cut"
    if cap:
        # Open need it could fund but did not: only the donor cap stops it.
        reason[n_open > 0] = "donor_line_cap_reached"
    return reason


def explain_lines(
    plan: Plan,
    pools: Pooling,
    form: Formulation,
    flows: Flows,
    cut: np.ndarray,
    supply: np.ndarray,
    scenario: Scenario,
    *,
    duals: tuple[np.ndarray, np.ndarray] | None = None,
    viable_at: dict[str, float | None] | None = None,
) -> pd.DataFrame:
    """One row per line (columns :data:`EXPLANATION_COLUMNS`): tier, weight, requirement,
    funding, coverage, reason, sentence and the figures behind it (see the module
    docstring). ``flows``: the solution as money moved from pools to line-years;
    ``duals``: (rows, columns) marginal values of the value-defining LP, when available."""
    sets = form.sets
    funded_ly = sum_by(flows.ly, weights=flows.amount, minlength=sets.n_ly)
    n_lines = len(pools.line_ids)
    req_l = pools.req.sum(axis=1)
    funded_l = sum_by(sets.ly_line, weights=funded_ly, minlength=n_lines)
    funded_lt = np.zeros_like(pools.req)
    funded_lt[sets.ly_line, sets.ly_year] = funded_ly
    share, tw = scenario.weights.tranche_share, scenario.weights.tranche_weight
    weights = sets.weights
    tiers = plan.programmes["priority"].astype(int).to_numpy()
    mvs = sets.mv_share
    viable_at = viable_at or {}

    used = sum_by(flows.pool, weights=flows.amount, minlength=pools.n_pools)
    left = supply - used
    member = _membership(pools)
    # Highest weight each pool funded (the solution-only reading).
    moved = flows.amount > 0
    maxw = np.full(pools.n_pools, -np.inf)
    np.maximum.at(maxw, flows.pool[moved], weights[sets.ly_line[flows.ly[moved]]])

    unmet = pools.req - funded_lt > _tol(pools.req)
    first_unmet = np.where(unmet.any(axis=1), np.argmax(unmet, axis=1), -1)
    is_cut = np.zeros(n_lines, dtype=bool)
    is_cut[cut] = True
    years = pools.years
    best_use = (
        _best_use(pools, form, flows, funded_ly, unmet, left, share, tw, duals)
        if duals is not None
        else None
    )
    top_weight = float(weights.max(initial=0.0))
    earmarked = _own_earmarks(pools, n_lines)

    rows = []
    for line in range(n_lines):
        r, f = float(req_l[line]), float(funded_l[line])
        lid = pools.line_ids[line]
        eligible = member[:, line]
        value = np.nan
        best = np.nan
        if r <= 0:
            reason = "excluded"
            text = "No requirement in the appeal horizon."
        elif is_cut[line]:
            reason = "cut_below_min_viable"
            text = (
                f"Cut: the money it could receive would not reach its minimum viable "
                f"{mvs[line]:.0%} of {_usd(r)}, so it gets nothing and that money goes elsewhere "
                "(earmarked money for it stays unallocated)."
            )
            at = viable_at.get(lid)
            if at is not None:
                text += f" It becomes viable with {_usd(at)} more unearmarked money."
        elif not unmet[line].any():
            reason = "fully_funded"
            text = f"Fully funded: {_usd(f)} meets its {_usd(r)} requirement (its cap)."
        else:
            t0 = int(first_unmet[line])
            first_open = funded_lt[line, t0] < share * pools.req[line, t0] - _tol(
                pools.req[line, t0]
            )
            value = float(weights[line] * (1.0 if first_open else tw))
            first_everywhere = bool(
                np.all(funded_lt[line] >= share * pools.req[line] - _tol(pools.req[line]))
            )
            gap = _usd(r - f)
            late = eligible & (left > IDLE_USD) & (pools.pool_year > t0)
            if best_use is not None:
                best = float(best_use[line])
                reason = _reason_from_duals(
                    best,
                    value,
                    weights[line],
                    top_weight,
                    first_everywhere,
                    f,
                    late.any(),
                    scenario.donor_line_cap_share is not None,
                )
            else:
                higher = eligible & (maxw > weights[line] * (1 + 1e-9))
                reason = _reason_from_solution(late.any(), higher.any(), first_everywhere, f)
            text = _gap_sentence(reason, gap, years[t0], tiers[line], share, value, best)
            if reason in ("eligible_money_exhausted", "lower_tier", "tranche_spread"):
                own = earmarked[line]
                if own > 0.01:
                    text += f" Its own earmarked money ({_usd(own)}) is all used."
        rows.append(
            {
                "line_id": lid,
                "tier": int(tiers[line]),
                "weight": float(weights[line]),
                "requirement_usd": r,
                "funded_usd": f,
                "coverage": f / r if r > 0 else 0.0,
                "reason": reason,
                "text": text,
                "value_per_usd": value,
                "best_use_per_usd": best,
                "viable_at_extra_usd": viable_at.get(lid),
            }
        )
    return pd.DataFrame(rows, columns=EXPLANATION_COLUMNS)


def _best_use(
    pools: Pooling,
    form: Formulation,
    flows: Flows,
    funded_ly: np.ndarray,
    unmet: np.ndarray,
    left: np.ndarray,
    share: float,
    tw: float,
    duals: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Per line: what the money it could have received earns where it went (see the module
    docstring); NaN where no money it may receive reaches its unmet years."""
    sets = form.sets
    row_mv = duals[0]
    n_lines = len(pools.line_ids)
    w = sets.weights[sets.ly_line]
    # The tranche a line-year's last dollar sits in.
    last_in_first = funded_ly <= share * sets.ly_req + _tol(sets.ly_req)
    ly_value = np.where(last_in_first, w, w * tw)
    # The target penalty where money counts for a binding target.
    target_rows = form.matrix.rows("target")
    bonus_ly = np.zeros(sets.n_ly)
    bonus_flex_ly = np.zeros(sets.n_ly)
    for h, tg in enumerate(form.targets):
        if tg.active and abs(row_mv[target_rows[h]]) > 1e-9:
            tagged = tg.lines[sets.ly_line].astype(float) * form.penalty
            if tg.flexible_only:
                bonus_flex_ly += tagged
            else:
                bonus_ly += tagged
    moved = flows.amount > IDLE_USD
    f_pool, f_line = flows.pool[moved], sets.ly_line[flows.ly[moved]]
    use = ly_value[flows.ly[moved]] + bonus_ly[flows.ly[moved]]
    use += bonus_flex_ly[flows.ly[moved]] * pools.pool_flexible[f_pool]
    member = _membership(pools)
    out = np.full(n_lines, np.nan)
    for line in range(n_lines):
        years = np.nonzero(unmet[line])[0]
        if not len(years):
            continue
        # Pools eligible to the line whose money arrives by one of its unmet years.
        reach = member[:, line] & (pools.pool_year <= years.max()) & (pools.pool_supply > 0)
        if not reach.any():
            continue
        if (left[reach] > IDLE_USD).any():
            out[line] = 0.0  # money it could use is idle
            continue
        # Their cheapest dollar on another line: what this line would have to beat.
        elsewhere = reach[f_pool] & (f_line != line)
        if elsewhere.any():
            out[line] = float(use[elsewhere].min())
    return out


def _own_earmarks(pools: Pooling, n_lines: int) -> np.ndarray:
    """Per line: the money of earmarked pools that may fund that line only."""
    out = np.zeros(n_lines)
    for k in range(pools.n_pools):
        members = pools.elig_sets[int(pools.pool_set[k])]
        if not pools.pool_flexible[k] and len(members) == 1:
            out[int(members[0])] += float(pools.pool_supply[k])
    return out


def _reason_from_duals(
    best: float,
    value: float,
    weight: float,
    top_weight: float,
    first_everywhere: bool,
    funded: float,
    late: bool,
    capped: bool,
) -> str:
    if not np.isfinite(best):  # no money it may receive reaches its unmet years
        return "carry_forward_limited" if late else "eligible_money_exhausted"
    if best < value * (1 - _REL) - 1e-12:
        # Money worth less than this line is idle or elsewhere: something other than value
        # stops it.
        if capped:
            return "donor_line_cap_reached"
        return "carry_forward_limited" if late else "eligible_money_exhausted"
    if best <= value * (1 + _REL) + 1e-12:
        return "eligible_money_exhausted"  # used on lines worth as much per USD
    if best > top_weight * (1 + _REL):
        return "policy_target"
    if first_everywhere and funded > 0 and best <= weight * (1 + _REL):
        return "tranche_spread"
    return "lower_tier"


def _reason_from_solution(late: bool, higher: bool, first_everywhere: bool, funded: float) -> str:
    if late:
        return "carry_forward_limited"
    if higher:
        return "lower_tier"
    if first_everywhere and funded > 0:
        return "tranche_spread"
    return "eligible_money_exhausted"


def _gap_sentence(
    reason: str, gap: str, year: int, tier: int, share: float, value: float, best: float
) -> str:
    here = f"{value:.2f}" if np.isfinite(value) else ""
    there = f"{best:.2f}" if np.isfinite(best) else ""
    worth = f" (it earns {there} per USD where it went; {here} here)" if there and here else ""
    if reason == "carry_forward_limited":
        return (
            f"Gap of {gap}: money it could use arrives after {year}, too late for its earlier "
            "needs (money can only be carried forward)."
        )
    if reason == "donor_line_cap_reached":
        return (
            f"Gap of {gap}: money it could receive is left, but donor caps keep more of any "
            "one donor's money off it."
        )
    if reason == "policy_target":
        return (
            f"Gap of {gap}: the flexible money it could receive is held by a policy target{worth}."
        )
    if reason == "lower_tier":
        return (
            f"Gap of {gap}: money it could receive went to higher-priority lines "
            f"(tier {tier}){worth}."
        )
    if reason == "tranche_spread":
        return (
            f"Gap of {gap}: it reached its first {share:.0%} tranche each year; the rest of "
            f"the flexible money went to other lines' first tranches{worth}."
        )
    if np.isfinite(best):
        return (
            f"Gap of {gap}: all the money it may receive in time is used, on lines worth as "
            f"much per USD ({there})."
        )
    return f"Gap of {gap}: all the money it may receive in time is used up."


def line_marginal_frame(
    ly_frame: pd.DataFrame, form: Formulation, col_mv: np.ndarray, tranche_share: float
) -> pd.DataFrame:
    """Objective value of one more USD of requirement per line-year.

    One more USD of requirement raises the first-tranche bound by ``tranche_share`` and the
    second by the rest; the value is those bounds' marginal values (reduced costs) combined.
    The line's minimum-viable threshold and donor caps are held fixed.
    """
    first = col_mv[form.matrix.cols("first_tranche")]
    second = col_mv[form.matrix.cols("second_tranche")]
    value = tranche_share * first + (1.0 - tranche_share) * second
    return ly_frame.assign(value_per_usd=np.maximum(value, 0.0))


def next_million_frame(ly_frame: pd.DataFrame, delta: np.ndarray) -> pd.DataFrame:
    """Net change in funding per line-year when USD 1 million more unearmarked money arrives.

    Both gains and losses are listed (largest gain first): the new money can displace other
    flexible money to lines it could not reach before, so listing gains alone would overstate
    what USD 1m buys. The changes add up to the net increase in funding, which can exceed
    USD 1m when the new money lifts a line over its minimum viable share and so unlocks
    earmarked money that the cut had stranded.
    """
    out = ly_frame.assign(amount_usd=delta)
    out = out[out["amount_usd"].abs() > 0.5].sort_values("amount_usd", ascending=False)
    return out.reset_index(drop=True)


def viable_thresholds(
    model: AllocationModel, values: np.ndarray, cut: np.ndarray, supply: np.ndarray
) -> dict[str, float | None]:
    """Per cut minimum-viable line: the smallest extra unearmarked money (arriving in the
    first year, the probe pool) at which the best allocation by value (stage 1: targets off,
    as for every minimum-viable decision) funds it at its minimum, every other programme's
    decision held. Found by bisection on value(viable) - value(cut), each an LP on a HiGHS
    model of its own (only the money changes between evaluations, so each warm-starts), to
    within USD 1,000 or 1% of the amount (the figure reported is a sufficient amount); None
    when not even an extra amount equal to the whole horizon's requirement would make it
    viable.

    ``model`` must be on HiGHS (the what-if twin is)."""
    out: dict[str, float | None] = {}
    if not len(cut):
        return out
    pools, form = model.pools, model.form
    base = model.transfer_binaries(values)
    z_cols = form.matrix.cols("viable")
    pos = {int(line): k for k, line in enumerate(form.sets.mv_lines)}
    ceiling = float(pools.req.sum())
    if not isinstance(model.backend, HighsModel):
        raise TypeError("viable_thresholds needs a model on HiGHS")
    as_cut = _ValueAt(model, model.backend, base, supply)
    as_viable = _ValueAt(model, HighsModel(form.matrix), base, supply)
    try:
        for line in cut:
            viable_b = base.copy()
            viable_b[z_cols[pos[int(line)]]] = 1.0
            as_viable.binaries = viable_b

            def gain(extra: float) -> float:
                v0 = as_cut(extra)
                if v0 is None:
                    return 0.0
                v1 = as_viable(extra)
                return -np.inf if v1 is None else v1 - v0

            start = float(form.sets.mv_share[int(line)] * form.sets.line_total[int(line)])
            out[pools.line_ids[int(line)]] = _first_root(gain, ceiling, start)
    finally:
        as_cut.done()
    return out


class _ValueAt:
    """The stage-1 value (targets off) with given binaries and extra probe money, on one
    HiGHS back end that keeps its basis between calls."""

    def __init__(
        self,
        model: AllocationModel,
        backend: HighsModel,
        binaries: np.ndarray,
        supply: np.ndarray,
    ) -> None:
        self.model, self.backend, self.supply = model, backend, supply
        self.binaries = binaries
        self._fixed: np.ndarray | None = None
        m = model.form.matrix
        backend.release_holds()
        off = np.full(len(m.rows("target")), INF)
        backend.set_row_bounds(m.rows("target"), -off, off)
        backend.set_row_bounds(m.rows("earmark_guard"), np.array([-INF]), np.array([INF]))
        backend.set_objective(m.objective("value"))

    def __call__(self, extra: float) -> float | None:
        b = self.backend
        if self._fixed is None or not np.array_equal(self._fixed, self.binaries):
            b.fix_binaries(self.binaries)
            self._fixed = self.binaries
        more = self.supply.copy()
        more[self.model.pools.probe] += extra
        self.model.money(more).apply(b)
        solved = b.solve(self.model.scenario.time_limit_seconds, 0.0)
        return solved.objective if solved.values is not None else None

    def done(self) -> None:
        self.backend.fix_binaries(None)


def _first_root(f: Callable[[float], float], ceiling: float, start: float) -> float | None:
    """Smallest x in [0, ceiling] with f(x) >= 0 (f increasing), to within the tolerance:
    bracketed by doubling from ``start`` (small steps keep each warm-started LP short), then
    bisected (the gain is piecewise linear with many kinks, where regula falsi crawls)."""
    lo = 0.0
    if f(0.0) >= 0:
        return 0.0
    hi = min(max(start, VIABLE_AT_TOLERANCE_USD), ceiling)
    while f(hi) < 0:
        if hi >= ceiling:
            return None
        lo, hi = hi, min(2.0 * hi, ceiling)
    while hi - lo > max(VIABLE_AT_TOLERANCE_USD, VIABLE_AT_TOLERANCE_SHARE * hi):
        mid = 0.5 * (lo + hi)
        if f(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return float(hi)


def _usd(v: float) -> str:
    if abs(v) >= 1e6:
        return f"USD {v / 1e6:,.2f}m"
    if abs(v) >= 1e3:
        return f"USD {v / 1e3:,.0f}k"
    return f"USD {v:,.0f}"
