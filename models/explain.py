"""Explanations of an allocation: why each line got what it got, and why money stayed put.

- :func:`pool_leftover_reasons`: the reason (one of ``UNALLOCATED_REASONS``) for money a pool
  did not spend.
- :func:`explain_lines`: per line a reason (one of ``REASONS``) and a sentence for people.
- :func:`line_marginal_frame`: objective value of one more USD of requirement per line-year,
  from the LP duals (reduced costs of the tranche columns at their bounds).
- :func:`next_million_frame`: where an extra USD 1 million of unearmarked money would go.

Line reasons are decided in this order (the first that applies):
``excluded`` (no requirement in the horizon), ``cut_below_min_viable``, ``fully_funded``,
``carry_forward_limited`` (money it could use is left over but arrived after its unmet
years), ``lower_tier`` (money it could receive went to lines weighted higher),
``tranche_spread`` (it reached its first tranche everywhere; the rest went to other lines'
first tranches), ``eligible_money_exhausted``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.formulation import Formulation
from models.plan import Plan
from models.pooling import Pooling, sum_by
from models.scenario import Scenario


def _tol(req: np.ndarray) -> np.ndarray:
    """Funding within a cent (or 1e-9 relative) of the requirement counts as full."""
    return 0.01 + 1e-9 * req


def _membership(pools: Pooling) -> np.ndarray:
    """Bool (n_pools, n_lines): pool k may fund line l (any year)."""
    n_lines = len(pools.line_ids)
    sets = np.zeros((len(pools.elig_sets), n_lines), dtype=bool)
    for s, members in enumerate(pools.elig_sets):
        sets[s, members] = True
    return sets[pools.pool_set]


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
    flow_pool: np.ndarray,
    flow_ly: np.ndarray,
    flow_amount: np.ndarray,
    cut: np.ndarray,
    supply: np.ndarray,
    scenario: Scenario,
) -> pd.DataFrame:
    """One row per line: tier, weight, requirement, funding, coverage, reason and sentence.

    ``flow_*``: the solution as money moved from pools to line-years."""
    sets = form.sets
    funded_ly = sum_by(flow_ly, weights=flow_amount, minlength=sets.n_ly)
    n_lines = len(pools.line_ids)
    req_l = pools.req.sum(axis=1)
    funded_l = sum_by(sets.ly_line, weights=funded_ly, minlength=n_lines)
    funded_lt = np.zeros_like(pools.req)
    funded_lt[sets.ly_line, sets.ly_year] = funded_ly
    share = scenario.weights.tranche_share
    weights = sets.weights
    tiers = plan.programmes["priority"].astype(int).to_numpy()
    mvs = sets.mv_share

    used = sum_by(flow_pool, weights=flow_amount, minlength=pools.n_pools)
    left = supply - used
    member = _membership(pools)
    # Highest weight each pool funded.
    moved = flow_amount > 0
    maxw = np.full(pools.n_pools, -np.inf)
    np.maximum.at(maxw, flow_pool[moved], weights[sets.ly_line[flow_ly[moved]]])

    unmet = pools.req - funded_lt > _tol(pools.req)
    first_unmet = np.where(unmet.any(axis=1), np.argmax(unmet, axis=1), -1)
    is_cut = np.zeros(n_lines, dtype=bool)
    is_cut[cut] = True
    years = pools.years

    rows = []
    for line in range(n_lines):
        r, f = float(req_l[line]), float(funded_l[line])
        eligible = member[:, line]
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
        elif not unmet[line].any():
            reason = "fully_funded"
            text = f"Fully funded: {_usd(f)} meets its {_usd(r)} requirement."
        else:
            t0 = int(first_unmet[line])
            late = eligible & (left > 0.01) & (pools.pool_year > t0)
            higher = eligible & (maxw > weights[line] * (1 + 1e-9))
            first_tranche = bool(
                np.all(funded_lt[line] >= share * pools.req[line] - _tol(pools.req[line]))
            )
            gap = _usd(r - f)
            if late.any():
                reason = "carry_forward_limited"
                text = (
                    f"Gap of {gap}: money it could use arrives after {years[t0]}, too late for "
                    "its earlier needs (money can only be carried forward)."
                )
            elif higher.any():
                reason = "lower_tier"
                text = (
                    f"Gap of {gap}: money it could receive went to higher-priority lines "
                    f"(tier {tiers[line]})."
                )
            elif first_tranche and f > 0:
                reason = "tranche_spread"
                text = (
                    f"Gap of {gap}: it reached its first {share:.0%} tranche each year; the "
                    "rest of the flexible money went to other lines' first tranches."
                )
            else:
                reason = "eligible_money_exhausted"
                text = f"Gap of {gap}: all the money it may receive in time is used up."
        rows.append(
            {
                "line_id": pools.line_ids[line],
                "tier": int(tiers[line]),
                "weight": float(weights[line]),
                "requirement_usd": r,
                "funded_usd": f,
                "coverage": f / r if r > 0 else 0.0,
                "reason": reason,
                "text": text,
            }
        )
    return pd.DataFrame(rows)


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


def _usd(v: float) -> str:
    if abs(v) >= 1e6:
        return f"USD {v / 1e6:,.2f}m"
    if abs(v) >= 1e3:
        return f"USD {v / 1e3:,.0f}k"
    return f"USD {v:,.0f}"
