"""The allocation model in matrix form: variables, constraints and objective.

Built from a :class:`~models.pooling.Pooling` as plain numpy arrays, so the same model can be
handed to HiGHS directly (fast path, in-place re-solves) or to PuLP (CBC, and for reading).
Every function is named for what it defines. The model is a maximisation:

Pools that differ only by the year their money arrives form a *group* (same eligible set,
flexibility and donor key); the model spends a group's money year by year and carries the rest
forward, so one variable serves every arrival year (3-4x fewer columns than one per pool;
:mod:`models.allocation` splits a group's spending back over its pools first in, first out).

Variables (columns, in this order)
  ``x[g, l, t]``  USD of group g spent on line l in year t; only for lines eligible to the
                  group and years t >= its earliest money with a positive requirement.
  ``y1[l, t]``    the first tranche of line-year funding, 0 <= y1 <= tranche_share * R[l, t]
  ``y2[l, t]``    the rest, 0 <= y2 <= (1 - tranche_share) * R[l, t]
  ``s[g, t]``     group g's money carried from year t into t+1 (in the last year: unspent)
  ``z[l]``        binary, line l is funded at or above its minimum viable share (MILP only)
  ``short[h]``    shortfall of policy target h, USD >= 0

Constraints (rows, in this order)
  balance[g, t]   sum_l x[g,l,t] + s[g,t] - s[g,t-1] = money of group g arriving in year t
                  (no borrowing from the future: spending is covered by money arrived so far)
  link[l, t]      sum_g x[g,l,t] - y1[l,t] - y2[l,t] = 0   (so funding <= requirement)
  mv_lo[l]        sum_t (y1+y2)[l,t] - m_l * Rtot_l * z_l >= 0
  mv_hi[l]        sum_t (y1+y2)[l,t] - Rtot_l * z_l <= 0    (0 or >= m of the multi-year need)
  target[h]       achieved_h + short[h] >= target_h (USD)
  cap[d, l]       sum_{g of donor d, t} x[g,l,t] <= cap_share * Rtot_l

Objective
  maximise  sum_{l,t} w_l * c_t * (y1[l,t] + tranche_weight * y2[l,t]) - P * sum_h short[h]

``w_l`` is the line weight (:func:`line_weights`), ``c_t = 1 - early_year_preference * t``
(t = 0 in the first horizon year) and ``P = 100 * max(w)``, so one dollar of target
shortfall always outweighs any reallocation of that dollar between lines (targets are soft
but dominant). Funding the first tranche of any line in a tier beats topping up another line
of the same tier because ``tranche_weight < 1``; tiers are strict because topping up a tier
still beats the next tier's first tranche: ``w_tier * tranche_weight > w_next_tier`` for the
defaults (4.8 > 4, 2.4 > 2, 1.2 > 1).

Policy target bases (USD constants, so targets never reward leaving money unallocated):
the leadership + coordination target is a share of the flexible money the model can use
(pooled unearmarked + softly earmarked supply); the theme targets (human rights, gender, civil
society) are shares of all the money the model can use. Achievements count allocations to
lines tagged with the category / theme.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.eligibility import normalise_theme
from models.plan import Plan, split_list
from models.pooling import Pooling
from models.scenario import CRITERIA, Scenario

INF = float("inf")
TARGET_THEMES = {
    "human_rights_share": "human_rights",
    "gender_share": "gender",
    "civil_society_share": "civil_society",
}
LC_TARGET = "leadership_coordination_share_of_flexible"


@dataclass
class Formulation:
    """Column and row arrays of the model; ``a_*`` is the constraint matrix in COO form."""

    # x columns
    col_group: np.ndarray
    col_ly: np.ndarray  # line-year index of each x column
    # line-years with a positive requirement
    ly_line: np.ndarray
    ly_year: np.ndarray
    ly_req: np.ndarray
    weights: np.ndarray  # per line
    # columns
    cost: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool per column
    # rows
    row_lo: np.ndarray
    row_hi: np.ndarray
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    # bookkeeping
    n_x: int
    n_ly: int
    balance_rows: np.ndarray  # every balance row
    pool_rows: np.ndarray  # balance row where each pool's money arrives
    link_rows: np.ndarray  # row index per line-year
    # What each pool could fund (pool, line-year): for explanations, not in the model.
    link_pool: np.ndarray
    link_ly: np.ndarray
    mv_lines: np.ndarray  # line index per min-viable line
    z_cols: np.ndarray  # column per min-viable line
    targets: list[TargetRow] = field(default_factory=list)
    penalty: float = 0.0

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def y1(self) -> np.ndarray:
        return np.arange(self.n_x, self.n_x + self.n_ly)

    def y2(self) -> np.ndarray:
        return np.arange(self.n_x + self.n_ly, self.n_x + 2 * self.n_ly)


@dataclass
class TargetRow:
    """One soft policy target: its row, shortfall column and basis (USD the share is of)."""

    name: str
    share: float
    basis: str  # "flexible" or "all"
    row: int
    short_col: int
    flexible_only: bool


def line_weights(programmes: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Objective weight per USD for each line (programmes order).

    By tier: ``scenario.weights.tier[priority]`` (default 8/4/2/1).

    By criteria (when ``scenario.weights.criteria`` is non-empty): each line's score is the
    criteria-weighted mean of its ``score_<criterion>`` columns (0-5, missing cells count 0),
    and its weight is ``2 ** (score / 5 * 3)``, which maps scores 0-5 onto the same 1-8 range
    as the default tiers, so a full point of score matters about as much as half a tier.
    Lines with equal score are still ordered by tier through a small tie-breaking term,
    ``1e-3 * tier_weight / max(tier_weight)``.
    """
    tiers = programmes["priority"].astype(int).to_numpy()
    tier_w = np.array([float(scenario.weights.tier[int(t)]) for t in tiers])
    crit = {k: float(v) for k, v in scenario.weights.criteria.items() if v > 0}
    if not crit:
        return tier_w
    missing = [f"score_{c}" for c in crit if f"score_{c}" not in programmes.columns]
    if missing:
        raise ValueError(
            "scenario weights lines by criteria but the programmes lack column(s) "
            + ", ".join(missing)
            + f" (scores 0-5; criteria: {', '.join(CRITERIA)})"
        )
    total = sum(crit.values())
    score = np.zeros(len(programmes))
    for c, w in crit.items():
        col = pd.to_numeric(programmes[f"score_{c}"], errors="coerce").fillna(0.0)
        score += w / total * col.clip(0, 5).to_numpy(dtype=float)
    top = float(tier_w.max()) if tier_w.max() > 0 else 1.0
    return np.asarray(2.0 ** (score / 5.0 * 3.0) + 1e-3 * tier_w / top, dtype=float)


def define_variables(pools: Pooling) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The x columns: (group, line-year) pairs where money may go, plus the line-year index.

    Returns (col_group, col_ly, ly_index) where ``ly_index[l, t]`` is the line-year number or
    -1 when the line needs nothing that year.
    """
    has = pools.req > 0
    ly_index = np.full(has.shape, -1, dtype=np.int64)
    ly_index[has] = np.arange(int(has.sum()))
    per_set = _set_line_years(pools, ly_index)
    col_group, col_ly = _expand(per_set, pools.group_set, pools.group_first)
    return col_group, col_ly, ly_index


def pool_links(pools: Pooling, ly_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pool, line-year) pairs each pool's money could fund (eligible, not before arrival)."""
    per_set = _set_line_years(pools, ly_index)
    return _expand(per_set, pools.pool_set, pools.pool_year)


def _set_line_years(pools: Pooling, ly_index: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per eligible set, its line-years and their year index, sorted by year."""
    per_set: list[tuple[np.ndarray, np.ndarray]] = []
    for members in pools.elig_sets:
        sub = ly_index[members]  # lines x years
        t_idx = np.broadcast_to(np.arange(sub.shape[1]), sub.shape)
        order = np.argsort(t_idx, axis=None, kind="stable")
        flat_ly = sub.ravel()[order]
        flat_t = t_idx.ravel()[order]
        keep = flat_ly >= 0
        per_set.append((flat_ly[keep], flat_t[keep]))
    return per_set


def _expand(
    per_set: list[tuple[np.ndarray, np.ndarray]], owner_set: np.ndarray, owner_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    owners: list[np.ndarray] = []
    lys: list[np.ndarray] = []
    for k in range(len(owner_set)):
        ly, ts = per_set[int(owner_set[k])]
        chosen = ly[int(np.searchsorted(ts, owner_year[k], side="left")) :]
        lys.append(chosen)
        owners.append(np.full(len(chosen), k, dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(owners) if owners else empty, np.concatenate(lys) if lys else empty)


def build_formulation(plan: Plan, scenario: Scenario, pools: Pooling) -> Formulation:
    """Assemble variables, constraints and objective for one plan and scenario."""
    weights = line_weights(plan.programmes, scenario)
    col_group, col_ly, ly_index = define_variables(pools)
    link_pool, link_ly = pool_links(pools, ly_index)
    ly_line, ly_year = np.nonzero(ly_index >= 0)
    # np.nonzero walks row-major, matching the numbering in define_variables.
    ly_req = pools.req[ly_line, ly_year]
    n_x, n_ly = len(col_group), len(ly_line)
    share = scenario.weights.tranche_share

    # Columns: x, y1, y2 (then shortfalls and binaries appended below).
    cost = [np.zeros(n_x), *define_objective(scenario, weights, ly_line, ly_year)]
    col_lo = [np.zeros(n_x), np.zeros(n_ly), np.zeros(n_ly)]
    col_hi = [np.full(n_x, INF), share * ly_req, (1.0 - share) * ly_req]
    n_cols = n_x + 2 * n_ly

    # Carry-forward columns s[g, t] for t from the group's first year on.
    n_years = len(pools.years)
    carry = np.arange(n_years)[None, :] >= pools.group_first[:, None]  # groups x years
    n_s = int(carry.sum())
    stock_col = np.full(carry.shape, -1, dtype=np.int64)
    stock_col[carry] = n_cols + np.arange(n_s)
    n_cols += n_s
    cost.append(np.zeros(n_s))
    col_lo.append(np.zeros(n_s))
    col_hi.append(np.full(n_s, INF))

    rows = _Rows()
    # balance[g, t]: right-hand sides are the money arriving (set per solve).
    bal = np.full(carry.shape, -1, dtype=np.int64)
    balance_rows = rows.add(n_s, np.zeros(n_s), np.zeros(n_s))
    bal[carry] = balance_rows
    rows.coef(bal[col_group, ly_year[col_ly]], np.arange(n_x), np.ones(n_x))
    rows.coef(bal[carry], stock_col[carry], np.ones(n_s))
    g_idx, t_idx = np.nonzero(carry[:, 1:] & carry[:, :-1])  # s[g,t] feeds balance[g,t+1]
    rows.coef(bal[g_idx, t_idx + 1], stock_col[g_idx, t_idx], -np.ones(len(g_idx)))
    pool_rows = bal[pools.pool_group, pools.pool_year]
    arriving = np.zeros(rows.n)
    arriving[pool_rows] = pools.pool_supply
    rows.lo[0] = arriving[balance_rows].copy()
    rows.hi[0] = arriving[balance_rows].copy()
    # link[l, t]
    link_rows = rows.add(n_ly, np.zeros(n_ly), np.zeros(n_ly))
    rows.coef(link_rows[col_ly], np.arange(n_x), np.ones(n_x))
    rows.coef(link_rows, n_x + np.arange(n_ly), -np.ones(n_ly))
    rows.coef(link_rows, n_x + n_ly + np.arange(n_ly), -np.ones(n_ly))

    # Minimum viable funding: one binary per line with a share and a need.
    line_total = np.bincount(ly_line, weights=ly_req, minlength=len(pools.line_ids))
    mvs = plan.programmes["min_viable_share"].astype(float).fillna(0.0).to_numpy()
    mv_lines = np.nonzero((mvs > 0) & (line_total > 0))[0] if scenario.min_viable else np.array([])
    mv_lines = mv_lines.astype(np.int64)
    z_cols = n_cols + np.arange(len(mv_lines))
    if len(mv_lines):
        n_cols += len(mv_lines)
        cost.append(np.zeros(len(mv_lines)))
        col_lo.append(np.zeros(len(mv_lines)))
        col_hi.append(np.ones(len(mv_lines)))
        lo_rows = rows.add(len(mv_lines), np.zeros(len(mv_lines)), np.full(len(mv_lines), INF))
        pos = np.full(len(pools.line_ids), -1, dtype=np.int64)
        pos[mv_lines] = np.arange(len(mv_lines))
        sel = np.nonzero(pos[ly_line] >= 0)[0]
        for offset in (n_x, n_x + n_ly):
            rows.coef(lo_rows[pos[ly_line[sel]]], offset + sel, np.ones(len(sel)))
        rows.coef(lo_rows, z_cols, -mvs[mv_lines] * line_total[mv_lines])
        # Upper side per line-year and tranche (y <= bound * z) rather than one aggregate
        # row: the same integer solutions, a much tighter LP relaxation (measured: fewer
        # branch-and-bound nodes).
        for offset, part in ((n_x, share), (n_x + n_ly, 1.0 - share)):
            hi_rows = rows.add(len(sel), np.full(len(sel), -INF), np.zeros(len(sel)))
            rows.coef(hi_rows, offset + sel, np.ones(len(sel)))
            rows.coef(hi_rows, z_cols[pos[ly_line[sel]]], -part * ly_req[sel])

    # Soft policy targets.
    penalty = 100.0 * float(max(weights.max(initial=1.0), 1.0))
    targets: list[TargetRow] = []
    flex_supply = float(pools.pool_supply[pools.pool_flexible].sum())
    all_supply = float(pools.pool_supply.sum())
    for name, value in define_targets(scenario).items():
        short_col = n_cols
        n_cols += 1
        cost.append(np.array([-penalty]))
        col_lo.append(np.zeros(1))
        col_hi.append(np.full(1, INF))
        if name == LC_TARGET:
            basis_usd, flexible_only = flex_supply, True
            cat = plan.programmes["category"].astype(str).isin(["leadership", "coordination"])
            tagged = cat.to_numpy()
        else:
            basis_usd, flexible_only = all_supply, False
            theme = TARGET_THEMES[name]
            tagged = np.array(
                [
                    theme in {normalise_theme(x) for x in split_list(v)}
                    for v in plan.programmes["themes"]
                ],
                dtype=bool,
            )
        row = int(rows.add(1, np.array([value * basis_usd]), np.array([INF]))[0])
        if flexible_only:
            sel = np.nonzero(tagged[ly_line[col_ly]] & pools.group_flexible[col_group])[0]
            rows.coef(np.full(len(sel), row), sel, np.ones(len(sel)))
        else:
            sel = np.nonzero(tagged[ly_line])[0]
            for offset in (n_x, n_x + n_ly):
                rows.coef(np.full(len(sel), row), offset + sel, np.ones(len(sel)))
        rows.coef(np.array([row]), np.array([short_col]), np.ones(1))
        targets.append(
            TargetRow(
                name=name,
                share=value,
                basis="flexible" if flexible_only else "all",
                row=row,
                short_col=short_col,
                flexible_only=flexible_only,
            )
        )

    # Optional cap on one donor's share of a line's multi-year requirement.
    if scenario.donor_line_cap_share is not None and n_x:
        donor_codes = pd.factorize(pd.Series(pools.group_donor))[0]
        key = donor_codes[col_group] * len(pools.line_ids) + ly_line[col_ly]
        uniq, inv = np.unique(key, return_inverse=True)
        cap_line = uniq % len(pools.line_ids)
        cap_rows = rows.add(
            len(uniq),
            np.full(len(uniq), -INF),
            scenario.donor_line_cap_share * line_total[cap_line],
        )
        rows.coef(cap_rows[inv], np.arange(n_x), np.ones(n_x))

    integer = np.zeros(n_cols, dtype=bool)
    integer[z_cols] = True
    a_row, a_col, a_val = rows.matrix()
    return Formulation(
        col_group=col_group,
        col_ly=col_ly,
        ly_line=ly_line.astype(np.int64),
        ly_year=ly_year.astype(np.int64),
        ly_req=ly_req,
        weights=weights,
        cost=np.concatenate(cost),
        col_lo=np.concatenate(col_lo),
        col_hi=np.concatenate(col_hi),
        integer=integer,
        row_lo=np.concatenate(rows.lo) if rows.lo else np.zeros(0),
        row_hi=np.concatenate(rows.hi) if rows.hi else np.zeros(0),
        a_row=a_row,
        a_col=a_col,
        a_val=a_val,
        n_x=n_x,
        n_ly=n_ly,
        balance_rows=balance_rows,
        pool_rows=pool_rows,
        link_pool=link_pool,
        link_ly=link_ly,
        link_rows=link_rows,
        mv_lines=mv_lines,
        z_cols=z_cols.astype(np.int64),
        targets=targets,
        penalty=penalty,
    )


def define_objective(
    scenario: Scenario, weights: np.ndarray, ly_line: np.ndarray, ly_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Objective coefficients of y1 and y2 (per USD): tier/criteria weight, tranche weight
    and the small preference for earlier years."""
    early = 1.0 - scenario.weights.early_year_preference * ly_year
    base = weights[ly_line] * early
    return base, base * scenario.weights.tranche_weight


def define_targets(scenario: Scenario) -> dict[str, float]:
    """The active soft policy targets (share > 0), by name."""
    t = scenario.targets
    values = {
        LC_TARGET: t.leadership_coordination_share_of_flexible,
        "human_rights_share": t.human_rights_share,
        "gender_share": t.gender_share,
        "civil_society_share": t.civil_society_share,
    }
    return {k: float(v) for k, v in values.items() if v > 0}


def target_bases(pools: Pooling, supply: np.ndarray) -> dict[str, float]:
    """USD each target's share applies to, for the given pool supplies."""
    return {
        "flexible": float(supply[pools.pool_flexible].sum()),
        "all": float(supply.sum()),
    }


class _Rows:
    """Accumulates row bounds and COO coefficients without per-element Python work."""

    def __init__(self) -> None:
        self.n = 0
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []

    def add(self, count: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        idx = np.arange(self.n, self.n + count, dtype=np.int64)
        self.n += count
        self.lo.append(np.asarray(lo, dtype=float))
        self.hi.append(np.asarray(hi, dtype=float))
        return idx

    def coef(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self._r.append(np.asarray(rows, dtype=np.int64))
        self._c.append(np.asarray(cols, dtype=np.int64))
        self._v.append(np.asarray(vals, dtype=float))

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._r:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0)
        return np.concatenate(self._r), np.concatenate(self._c), np.concatenate(self._v)
