"""The allocation model: its sets, variables, constraints and objectives, family by family.

Built from a :class:`~models.pooling.Pooling` into a :class:`~models.matrix.LinearModel` of
plain numpy arrays, so the same model can be handed to HiGHS directly (fast path, in-place
re-solves) or to PuLP (CBC). :func:`build_formulation` reads top to bottom: the model's sets,
then one ``define_*`` function per variable family and per constraint family, then the
objectives. Every family is addressed by its name (``form.matrix.rows("balance")``), never by
position. The model is a maximisation.

Pools that differ only by the year their money arrives form a *group* (same eligible set,
flexibility and donor key); the model spends a group's money year by year and carries the rest
forward, so one variable serves every arrival year (3-4x fewer columns than one per pool;
:mod:`models.solution` splits a group's spending back over its pools first in, first out).

Variable families (columns, in this order)
  ``spend[g, l, t]``     USD of group g spent on line l in year t; only for lines eligible to
                         the group and years t >= its earliest money with a positive
                         requirement.
  ``first_tranche[l, t]``   the first tranche of line-year funding (y1)
  ``second_tranche[l, t]``  the rest (y2)
  ``carry[g, t]``        group g's money carried from year t into t+1 (last year: unspent)
  ``viable[l]``          binary, line l is funded at or above its minimum viable share (MILP)
  ``shortfall[h]``       shortfall of policy target h, USD >= 0 (one per target kind, active
                         or not: see "Targets" below)
  ``stability_up[l, t]``, ``stability_down[l, t]``  funding above / below the reference
                         allocation (only with ``stability = "reference"`` and a reference)

Constraint families (rows, in this order; line-year caps are column bounds)
  ``balance[g, t]``   sum_l spend[g,l,t] + carry[g,t] - carry[g,t-1] = money of group g
                      arriving in year t (no borrowing from the future: spending is covered by
                      money arrived so far; the rest is carried forward)
  ``link[l, t]``      sum_g spend[g,l,t] - y1[l,t] - y2[l,t] = 0
  line-year caps      0 <= y1 <= tranche_share * R[l,t], 0 <= y2 <= (1 - tranche_share) *
                      R[l,t]: no line-year receives more than its requirement
  ``min_viable_floor[l]``       sum_t (y1+y2)[l,t] - m_l * Rtot_l * viable_l >= 0
  ``min_viable_ceiling[l,t,k]`` y_k[l,t] - bound_k[l,t] * viable_l <= 0  (0 or >= m of the
                                multi-year need)
  ``min_viable_money[g, l]``    sum_t spend[g,l,t] - min(S_g, Rtot_l) * viable_l <= 0: a
                                group's money reaches a minimum-viable line only if it is
                                viable, and then at most all of it (S_g: the group's money).
                                Redundant for integer solutions; it makes the LP relaxation
                                see that a cut line's earmarks are lost (measured: the XL
                                benchmark's root relaxation becomes integral, 15x faster).
  ``target[h]``       achieved_h + shortfall[h] >= target_h (USD)
  ``earmark_guard``   sum of earmarked groups' spending >= the most earmarked money a best
                      allocation without targets uses (set by the targets stage; free
                      otherwise), so targets never strand earmarked money
  ``donor_cap[d, l]`` sum_{g of donor d, t} spend[g,l,t] <= cap_share * Rtot_l
  ``stability[l, t]`` y1 + y2 - stability_up + stability_down = reference funding

Objectives (named cost vectors, maximised in stages by :mod:`models.stages`)
  ``value``        sum_{l,t} w_l * (y1[l,t] + tranche_weight * y2[l,t]) - P * sum_h shortfall[h]
  ``earmarks``     sum of earmarked (and tightly earmarked) groups' spending
  ``early_years``  sum_{l,t} (n_years - t) * (y1 + y2)[l,t]: USD-years, earlier years first
  ``stability``    - sum (stability_up + stability_down): distance to the reference

``w_l`` is the line weight (:func:`line_weights`) and ``P = 100 * max(w)``, so one dollar of
target shortfall outweighs any reallocation of that dollar between lines (targets are soft but
dominant; closing a dollar of shortfall moves at most a dollar between lines). Funding the first
tranche of any line in a tier beats topping up another line of the same tier because
``tranche_weight < 1``; tiers are strict because topping up a tier still beats the next tier's
first tranche: ``w_tier * tranche_weight > w_next_tier`` for the defaults (4.8 > 4, 2.4 > 2,
1.2 > 1).

Targets. Rows and shortfall columns exist for every target kind; a target with share 0 asks for
USD 0. The first stage (value, deciding the minimum-viable binaries) runs with every target
row free, so that stage, and with it which programmes are cut, is the same whether targets are
on or off. Bases are USD constants, so targets never reward leaving money unallocated: the
leadership + coordination target is a share of the flexible money the model can use (pooled
unearmarked + softly earmarked supply); the theme targets (human rights, gender, civil
society) are shares of all the money the model can use. Achievements count allocations to
lines tagged with the category / theme (:func:`target_lines`); only flexible money counts for
the leadership + coordination target, and the earmark guard keeps it from counting flexible
money that merely replaced a line's own earmarked money.

Money in the model (each balance row's arriving money, each target's USD, each
``min_viable_money`` row's cap) comes from :meth:`Formulation.money_bounds`,
:meth:`Formulation.target_bounds` and :meth:`Formulation.money_coefficients`, both when the
model is built and when it is re-solved with other pool supplies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.eligibility import normalise_theme
from models.matrix import INF, LinearModel, MatrixBuilder
from models.plan import Plan, split_list
from models.pooling import Pooling, sum_by
from models.scenario import CRITERIA, Scenario

__all__ = [
    "LC_TARGET",
    "OBJECTIVES",
    "TARGET_SETTINGS",
    "TARGET_THEMES",
    "Formulation",
    "ModelSets",
    "Target",
    "active_targets",
    "all_targets",
    "build_formulation",
    "line_weights",
    "target_bases",
    "target_lines",
    "target_penalty",
]

TARGET_THEMES = {
    "human_rights_share": "human_rights",
    "gender_share": "gender",
    "civil_society_share": "civil_society",
}
LC_TARGET = "leadership_coordination_share_of_flexible"
LC_CATEGORIES = ("leadership", "coordination")
# Every target kind, in the order of the ``target`` / ``shortfall`` families (the scenario's
# ``targets.<name>`` settings).
TARGET_SETTINGS = (LC_TARGET, "human_rights_share", "gender_share", "civil_society_share")
# The named objectives, in the order they are defined (the first is the model's primary one).
OBJECTIVES = ("value", "earmarks", "early_years", "stability")


# --------------------------------------------------------------------------------------------
# what the model is made of
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSets:
    """The index sets of the model, derived from the pools before any variable exists.

    Line-years are the (line, year) pairs with a positive requirement, numbered row-major
    (line, then year). ``carry_pos[g, t]`` numbers the (group, year) pairs from each group's
    first year on: the position of ``carry[g, t]`` and ``balance[g, t]`` in their families
    (-1 before the group's first money).
    """

    weights: np.ndarray  # objective weight per USD, per line
    ly_line: np.ndarray  # line of each line-year
    ly_year: np.ndarray  # year index of each line-year
    ly_req: np.ndarray  # requirement (USD) of each line-year
    line_total: np.ndarray  # requirement in the horizon, per line
    col_group: np.ndarray  # group of each spend column
    col_ly: np.ndarray  # line-year of each spend column
    # What each pool could fund (pool, line-year): for explanations, not in the model.
    link_pool: np.ndarray
    link_ly: np.ndarray
    carry_pos: np.ndarray  # (groups, years)
    mv_lines: np.ndarray  # lines with a minimum-viable binary
    mv_share: np.ndarray  # min_viable_share per line (0 where none)

    @property
    def n_x(self) -> int:
        return len(self.col_group)

    @property
    def n_ly(self) -> int:
        return len(self.ly_line)

    @property
    def n_carry(self) -> int:
        return int((self.carry_pos >= 0).sum())


@dataclass(frozen=True)
class Target:
    """One soft policy target: a share of ``basis`` USD ("flexible" or "all") to be reached
    by allocations to the tagged ``lines`` (bool per line); with the "flexible" basis only
    flexible money counts."""

    name: str
    share: float
    basis: str
    lines: np.ndarray

    @property
    def flexible_only(self) -> bool:
        return self.basis == "flexible"

    @property
    def active(self) -> bool:
        return self.share > 0


@dataclass(frozen=True)
class MoneyCuts:
    """The ``min_viable_money`` rows: row i caps group ``group[i]``'s spending on
    minimum-viable line ``line[i]`` at ``min(group money, line need) * viable``."""

    group: np.ndarray
    line: np.ndarray
    viable_pos: np.ndarray  # position of the line's column in the ``viable`` family

    def caps(self, sets: ModelSets, pools: Pooling, supply: np.ndarray) -> np.ndarray:
        """Each row's cap per unit of ``viable`` (USD) for these pool supplies. Never below
        a cent: a group without money spends nothing anyway (its balance rows), and a zero
        would drop the coefficient from the solver's matrix and put it back elsewhere on the
        next re-solve, changing the solver's path through ties."""
        money = sum_by(pools.pool_group, weights=supply, minlength=pools.n_groups)
        return np.maximum(np.minimum(money[self.group], sets.line_total[self.line]), 0.01)


@dataclass(frozen=True)
class Formulation:
    """The built model, its sets and what reading a solution needs."""

    matrix: LinearModel
    sets: ModelSets
    targets: list[Target]  # every kind, in the order of the ``target`` / ``shortfall`` families
    penalty: float  # objective cost of one USD of target shortfall
    pool_balance: np.ndarray  # position in the balance family of each pool's arrival row
    cuts: MoneyCuts  # the ``min_viable_money`` rows' (group, line) pairs
    has_reference: bool = False  # stability columns and rows were built

    @property
    def arrival_rows(self) -> np.ndarray:
        """Row index of each pool's arrival (its balance row)."""
        return self.matrix.rows("balance")[self.pool_balance]

    @property
    def active_targets(self) -> list[Target]:
        return [t for t in self.targets if t.active]

    def money_bounds(
        self, pools: Pooling, supply: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, lower, upper) of the balance rows for these pool supplies (USD per pool):
        the money arriving in each (group, year)."""
        arriving = arriving_money(self.pool_balance, len(self.matrix.rows("balance")), supply)
        return self.matrix.rows("balance"), arriving, arriving

    def target_bounds(
        self, pools: Pooling, supply: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, lower, upper) of the target rows when the targets count: each target's USD
        for these pool supplies (0 for a target that is off)."""
        usd = target_amounts(self.targets, pools, supply)
        return self.matrix.rows("target"), usd, np.full(len(usd), INF)

    def money_coefficients(
        self, pools: Pooling, supply: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, columns, values) of the coefficients that are money: each
        ``min_viable_money`` row's cap on its line's ``viable`` column."""
        rows = self.matrix.rows("min_viable_money")
        cols = self.matrix.cols("viable")[self.cuts.viable_pos]
        return rows, cols, -self.cuts.caps(self.sets, pools, supply)


# --------------------------------------------------------------------------------------------
# the pipeline
# --------------------------------------------------------------------------------------------
def build_formulation(
    plan: Plan, scenario: Scenario, pools: Pooling, reference: np.ndarray | None = None
) -> Formulation:
    """Create the model for one plan and scenario, family by family. ``reference``: USD per
    line-year (the sets' line-year order) of the allocation the stability stage stays close
    to; the stability families exist only when it is given."""
    sets = model_sets(plan, scenario, pools)
    targets = all_targets(plan.programmes, scenario)
    m = MatrixBuilder()

    define_spend_variables(m, sets)
    define_tranche_variables(m, sets)
    define_carry_variables(m, sets)
    define_viable_variables(m, sets)
    define_shortfall_variables(m, targets)
    define_stability_variables(m, sets, reference)

    pool_balance = define_balance_constraints(m, sets, pools)
    define_link_constraints(m, sets)
    define_line_year_caps(m, sets, scenario)
    define_min_viable_constraints(m, sets, scenario)
    cuts = define_min_viable_money(m, sets, pools)
    define_target_constraints(m, sets, pools, targets)
    define_earmark_guard(m, sets, pools)
    define_donor_caps(m, sets, pools, scenario)
    define_stability_constraints(m, sets, reference)

    penalty = target_penalty(sets.weights)
    define_value_objective(m, sets, scenario, penalty)
    define_earmark_objective(m, sets, pools)
    define_early_year_objective(m, sets, len(pools.years))
    define_stability_objective(m, reference)
    return Formulation(
        matrix=m.build(),
        sets=sets,
        targets=targets,
        penalty=penalty,
        pool_balance=pool_balance,
        cuts=cuts,
        has_reference=reference is not None,
    )


# --------------------------------------------------------------------------------------------
# sets
# --------------------------------------------------------------------------------------------
def model_sets(plan: Plan, scenario: Scenario, pools: Pooling) -> ModelSets:
    """Line-years, spend columns, carry positions, weights and minimum-viable lines."""
    has = pools.req > 0
    ly_index = np.full(has.shape, -1, dtype=np.int64)
    ly_index[has] = np.arange(int(has.sum()))
    # np.nonzero walks row-major, matching the numbering of ly_index.
    ly_line, ly_year = np.nonzero(has)
    ly_req = pools.req[ly_line, ly_year]
    per_set = _set_line_years(pools, ly_index)
    col_group, col_ly = _expand(per_set, pools.group_set, pools.group_first)
    link_pool, link_ly = _expand(per_set, pools.pool_set, pools.pool_year)
    line_total = np.bincount(ly_line, weights=ly_req, minlength=len(pools.line_ids))

    carry = np.arange(len(pools.years))[None, :] >= pools.group_first[:, None]
    carry_pos = np.full(carry.shape, -1, dtype=np.int64)
    carry_pos[carry] = np.arange(int(carry.sum()))

    mv_share = plan.programmes["min_viable_share"].astype(float).fillna(0.0).to_numpy()
    if scenario.min_viable:
        mv_lines = np.nonzero((mv_share > 0) & (line_total > 0))[0].astype(np.int64)
    else:
        mv_lines = np.zeros(0, dtype=np.int64)
    return ModelSets(
        weights=line_weights(plan.programmes, scenario),
        ly_line=ly_line.astype(np.int64),
        ly_year=ly_year.astype(np.int64),
        ly_req=ly_req,
        line_total=line_total,
        col_group=col_group,
        col_ly=col_ly,
        link_pool=link_pool,
        link_ly=link_ly,
        carry_pos=carry_pos,
        mv_lines=mv_lines,
        mv_share=mv_share,
    )


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


def all_targets(programmes: pd.DataFrame, scenario: Scenario) -> list[Target]:
    """Every soft policy target kind (share 0 when off), each with the lines it counts."""
    return [
        Target(
            name=name,
            share=float(getattr(scenario.targets, name)),
            basis="flexible" if name == LC_TARGET else "all",
            lines=target_lines(programmes, name),
        )
        for name in TARGET_SETTINGS
    ]


def active_targets(programmes: pd.DataFrame, scenario: Scenario) -> list[Target]:
    """The soft policy targets with a share > 0."""
    return [t for t in all_targets(programmes, scenario) if t.active]


def target_lines(programmes: pd.DataFrame, name: str) -> np.ndarray:
    """Bool per line: the lines a target counts (leadership and coordination lines for the
    share-of-flexible target; lines tagged with the theme for a theme target)."""
    if name == LC_TARGET:
        return programmes["category"].astype(str).isin(LC_CATEGORIES).to_numpy()
    theme = TARGET_THEMES[name]
    return np.array(
        [theme in {normalise_theme(x) for x in split_list(v)} for v in programmes["themes"]],
        dtype=bool,
    )


def target_bases(pools: Pooling, supply: np.ndarray) -> dict[str, float]:
    """USD each target basis amounts to, for the given pool supplies."""
    return {
        "flexible": float(supply[pools.pool_flexible].sum()),
        "all": float(supply.sum()),
    }


def target_amounts(targets: list[Target], pools: Pooling, supply: np.ndarray) -> np.ndarray:
    """USD each target asks for, for the given pool supplies."""
    bases = target_bases(pools, supply)
    return np.array([tg.share * bases[tg.basis] for tg in targets], dtype=float)


def arriving_money(pool_balance: np.ndarray, n_balance: int, supply: np.ndarray) -> np.ndarray:
    """Right-hand side of each balance row: the money of the pool arriving there (each
    (group, year) holds at most one pool)."""
    arriving = np.zeros(n_balance)
    arriving[pool_balance] = supply
    return arriving


def target_penalty(weights: np.ndarray) -> float:
    """Objective cost of one USD of target shortfall: dominant over any line's weight."""
    return 100.0 * float(max(weights.max(initial=1.0), 1.0))


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
    """(owner, line-year) pairs: each owner's eligible line-years from its year on."""
    owners: list[np.ndarray] = []
    lys: list[np.ndarray] = []
    for k in range(len(owner_set)):
        ly, ts = per_set[int(owner_set[k])]
        chosen = ly[int(np.searchsorted(ts, owner_year[k], side="left")) :]
        lys.append(chosen)
        owners.append(np.full(len(chosen), k, dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(owners) if owners else empty, np.concatenate(lys) if lys else empty)


# --------------------------------------------------------------------------------------------
# variables
# --------------------------------------------------------------------------------------------
def define_spend_variables(m: MatrixBuilder, sets: ModelSets) -> None:
    """``spend[g, l, t]`` >= 0: where each group's money may go."""
    m.add_variables("spend", sets.n_x)


def define_tranche_variables(m: MatrixBuilder, sets: ModelSets) -> None:
    """``first_tranche[l, t]``, ``second_tranche[l, t]`` >= 0 (capped by
    :func:`define_line_year_caps`)."""
    m.add_variables("first_tranche", sets.n_ly)
    m.add_variables("second_tranche", sets.n_ly)


def define_carry_variables(m: MatrixBuilder, sets: ModelSets) -> None:
    """``carry[g, t]`` >= 0 from each group's first year on."""
    m.add_variables("carry", sets.n_carry)


def define_viable_variables(m: MatrixBuilder, sets: ModelSets) -> None:
    """``viable[l]`` binary, one per line with a minimum viable share and a need."""
    m.add_variables("viable", len(sets.mv_lines), upper=1.0, integer=True)


def define_shortfall_variables(m: MatrixBuilder, targets: list[Target]) -> None:
    """``shortfall[h]`` >= 0 USD, one per target kind."""
    m.add_variables("shortfall", len(targets))


def define_stability_variables(
    m: MatrixBuilder, sets: ModelSets, reference: np.ndarray | None
) -> None:
    """``stability_up[l, t]``, ``stability_down[l, t]`` >= 0: funding above and below the
    reference (none without a reference)."""
    n = sets.n_ly if reference is not None else 0
    m.add_variables("stability_up", n)
    m.add_variables("stability_down", n)


# --------------------------------------------------------------------------------------------
# constraints
# --------------------------------------------------------------------------------------------
def define_balance_constraints(m: MatrixBuilder, sets: ModelSets, pools: Pooling) -> np.ndarray:
    """``balance[g, t]``: spending plus what is carried on equals what arrives plus what was
    carried in. Returns the position of each pool's arrival row in the family."""
    pos = sets.carry_pos
    pool_balance = pos[pools.pool_group, pools.pool_year]
    arriving = arriving_money(pool_balance, sets.n_carry, pools.pool_supply)
    rows = m.add_constraints("balance", sets.n_carry, lower=arriving, upper=arriving)
    spend, carry = m.cols("spend"), m.cols("carry")
    m.add_terms(rows[pos[sets.col_group, sets.ly_year[sets.col_ly]]], spend, 1.0)
    m.add_terms(rows, carry, 1.0)
    # carry[g, t] feeds balance[g, t + 1].
    g_idx, t_idx = np.nonzero((pos[:, 1:] >= 0) & (pos[:, :-1] >= 0))
    m.add_terms(rows[pos[g_idx, t_idx + 1]], carry[pos[g_idx, t_idx]], -1.0)
    return pool_balance


def define_link_constraints(m: MatrixBuilder, sets: ModelSets) -> None:
    """``link[l, t]``: what the groups spend on a line-year is its two tranches."""
    rows = m.add_constraints("link", sets.n_ly, lower=0.0, upper=0.0)
    m.add_terms(rows[sets.col_ly], m.cols("spend"), 1.0)
    m.add_terms(rows, m.cols("first_tranche"), -1.0)
    m.add_terms(rows, m.cols("second_tranche"), -1.0)


def define_line_year_caps(m: MatrixBuilder, sets: ModelSets, scenario: Scenario) -> None:
    """No line-year receives more than its requirement: the tranches' upper bounds (bounds,
    not rows: cheaper for the solver and ranged like any bound)."""
    share = scenario.weights.tranche_share
    m.set_upper("first_tranche", share * sets.ly_req)
    m.set_upper("second_tranche", (1.0 - share) * sets.ly_req)


def define_min_viable_constraints(m: MatrixBuilder, sets: ModelSets, scenario: Scenario) -> None:
    """A line with a minimum viable share m gets 0 or at least m of its multi-year need.

    ``min_viable_floor[l]``: funding >= m * need * viable. ``min_viable_ceiling``: each
    line-year's tranche <= its bound * viable (first all first tranches, then all second
    ones). Per line-year and tranche rather than one aggregate row: the same integer
    solutions, a much tighter LP relaxation (measured: fewer branch-and-bound nodes)."""
    mv = sets.mv_lines
    pos = np.full(len(sets.line_total), -1, dtype=np.int64)
    pos[mv] = np.arange(len(mv))
    sel = np.nonzero(pos[sets.ly_line] >= 0)[0]  # line-years of minimum-viable lines
    viable = m.cols("viable")
    first, second = m.cols("first_tranche"), m.cols("second_tranche")

    floor = m.add_constraints("min_viable_floor", len(mv), lower=0.0, upper=INF)
    for tranche in (first, second):
        m.add_terms(floor[pos[sets.ly_line[sel]]], tranche[sel], 1.0)
    m.add_terms(floor, viable, -sets.mv_share[mv] * sets.line_total[mv])

    share = scenario.weights.tranche_share
    ceiling = m.add_constraints("min_viable_ceiling", 2 * len(sel), lower=-INF, upper=0.0)
    for rows, tranche, part in (
        (ceiling[: len(sel)], first, share),
        (ceiling[len(sel) :], second, 1.0 - share),
    ):
        m.add_terms(rows, tranche[sel], 1.0)
        m.add_terms(rows, viable[pos[sets.ly_line[sel]]], -part * sets.ly_req[sel])


def define_min_viable_money(m: MatrixBuilder, sets: ModelSets, pools: Pooling) -> MoneyCuts:
    """``min_viable_money[g, l]``: a group's spending on a minimum-viable line is at most
    ``min(S_g, Rtot_l) * viable_l`` (one row per group and minimum-viable line it may fund).
    Valid for every integer solution (a cut line gets nothing; a viable one at most the
    group's money and its own need), and much tighter than the ceiling rows when a group has
    less money than the line needs: the relaxation can no longer keep a line's earmarked
    money at a fractional ``viable``."""
    mv = sets.mv_lines
    pos = np.full(len(sets.line_total), -1, dtype=np.int64)
    pos[mv] = np.arange(len(mv))
    col_line = sets.ly_line[sets.col_ly]
    sel = np.nonzero(pos[col_line] >= 0)[0]
    n_lines = len(sets.line_total)
    key = sets.col_group[sel] * n_lines + col_line[sel]
    pairs, inv = np.unique(key, return_inverse=True)
    cuts = MoneyCuts(
        group=(pairs // n_lines).astype(np.int64),
        line=(pairs % n_lines).astype(np.int64),
        viable_pos=pos[pairs % n_lines],
    )
    rows = m.add_constraints("min_viable_money", len(pairs), lower=-INF, upper=0.0)
    m.add_terms(rows[inv], m.cols("spend")[sel], 1.0)
    m.add_terms(rows, m.cols("viable")[cuts.viable_pos], -cuts.caps(sets, pools, pools.pool_supply))
    return cuts


def define_target_constraints(
    m: MatrixBuilder, sets: ModelSets, pools: Pooling, targets: list[Target]
) -> None:
    """``target[h]``: what the tagged lines receive plus the shortfall reaches the target's
    USD (flexible money only for the share-of-flexible target)."""
    lower = target_amounts(targets, pools, pools.pool_supply)
    rows = m.add_constraints("target", len(targets), lower=lower, upper=INF)
    spend, shortfall = m.cols("spend"), m.cols("shortfall")
    for h, tg in enumerate(targets):
        if tg.flexible_only:
            sel = np.nonzero(
                tg.lines[sets.ly_line[sets.col_ly]] & pools.group_flexible[sets.col_group]
            )[0]
            m.add_terms(np.full(len(sel), rows[h]), spend[sel], 1.0)
        else:
            sel = np.nonzero(tg.lines[sets.ly_line])[0]
            for tranche in (m.cols("first_tranche"), m.cols("second_tranche")):
                m.add_terms(np.full(len(sel), rows[h]), tranche[sel], 1.0)
        m.add_terms(rows[h : h + 1], shortfall[h : h + 1], 1.0)


def define_earmark_guard(m: MatrixBuilder, sets: ModelSets, pools: Pooling) -> None:
    """``earmark_guard``: the earmarked groups' spending, one free row; the targets stage
    gives it a lower bound (see :mod:`models.stages`)."""
    row = m.add_constraints("earmark_guard", 1)
    sel = np.nonzero(~pools.group_flexible[sets.col_group])[0]
    m.add_terms(np.full(len(sel), row[0]), m.cols("spend")[sel], 1.0)


def define_donor_caps(
    m: MatrixBuilder, sets: ModelSets, pools: Pooling, scenario: Scenario
) -> None:
    """``donor_cap[d, l]``: one donor's money on a line stays within the scenario's share of
    the line's multi-year requirement (no rows without the setting)."""
    cap = scenario.donor_line_cap_share
    if cap is None or not sets.n_x:
        m.add_constraints("donor_cap", 0)
        return
    n_lines = len(sets.line_total)
    donor_codes = pd.factorize(pd.Series(pools.group_donor))[0]
    key = donor_codes[sets.col_group] * n_lines + sets.ly_line[sets.col_ly]
    uniq, inv = np.unique(key, return_inverse=True)
    cap_line = uniq % n_lines
    rows = m.add_constraints(
        "donor_cap", len(uniq), lower=-INF, upper=cap * sets.line_total[cap_line]
    )
    m.add_terms(rows[inv], m.cols("spend"), 1.0)


# --------------------------------------------------------------------------------------------
# objective
# --------------------------------------------------------------------------------------------
def define_stability_constraints(
    m: MatrixBuilder, sets: ModelSets, reference: np.ndarray | None
) -> None:
    """``stability[l, t]``: funding minus the reference is ``up - down``."""
    if reference is None:
        m.add_constraints("stability", 0)
        return
    rows = m.add_constraints("stability", sets.n_ly, lower=reference, upper=reference)
    m.add_terms(rows, m.cols("first_tranche"), 1.0)
    m.add_terms(rows, m.cols("second_tranche"), 1.0)
    m.add_terms(rows, m.cols("stability_up"), -1.0)
    m.add_terms(rows, m.cols("stability_down"), 1.0)


# --------------------------------------------------------------------------------------------
# objectives
# --------------------------------------------------------------------------------------------
def define_value_objective(
    m: MatrixBuilder, sets: ModelSets, scenario: Scenario, penalty: float
) -> None:
    """``value``, per USD: the line weight on the first tranche, times the tranche weight on
    the second; minus the penalty per USD of target shortfall."""
    base = sets.weights[sets.ly_line]
    m.set_cost("first_tranche", base, "value")
    m.set_cost("second_tranche", base * scenario.weights.tranche_weight, "value")
    m.set_cost("shortfall", -penalty, "value")


def define_earmark_objective(m: MatrixBuilder, sets: ModelSets, pools: Pooling) -> None:
    """``earmarks``: USD of earmarked money used (the earmark guard's row, as an objective)."""
    m.set_cost("spend", (~pools.group_flexible[sets.col_group]).astype(float), "earmarks")


def define_early_year_objective(m: MatrixBuilder, sets: ModelSets, n_years: int) -> None:
    """``early_years``: each USD of line-year funding counts the years left in the horizon
    from its year on (first year: all of them), so earlier years come first."""
    years_left = (n_years - sets.ly_year).astype(float)
    m.set_cost("first_tranche", years_left, "early_years")
    m.set_cost("second_tranche", years_left, "early_years")


def define_stability_objective(m: MatrixBuilder, reference: np.ndarray | None) -> None:
    """``stability``: minus the USD by which line-year funding differs from the reference."""
    if reference is not None:
        m.set_cost("stability_up", -1.0, "stability")
        m.set_cost("stability_down", -1.0, "stability")
