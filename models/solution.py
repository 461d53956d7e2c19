"""Assigning the solution: solver values back to money per pool, per pledge and per line.

The model spends *groups* of pools (:mod:`models.formulation`); :meth:`SolutionReader.flows`
splits each group's spending per year over its pools first in, first out, and
:meth:`SolutionReader.tables` splits each pool's flows over its pledges' tranches pro rata and
derives the result's tables (see :mod:`models.result` for their columns): allocations,
unallocated money with its reason, lines with funded and firm money, targets, minimum-viable
status. :meth:`SolutionReader.line_year_funding` is the fast path for re-solves that only need
line-year funding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import explain as explain_mod
from models.formulation import Formulation, target_bases
from models.plan import Plan
from models.pooling import Pooling, firm_mask, sum_by
from models.scenario import Scenario

__all__ = [
    "ALLOCATION_COLUMNS",
    "LINE_COLUMNS",
    "NOISE_USD",
    "TARGET_COLUMNS",
    "UNALLOCATED_COLUMNS",
    "Flows",
    "SolutionReader",
    "Tables",
]

# Pool-level allocations below a cent are solver noise: dropped before attribution, so the
# money shows as unallocated and conservation stays exact.
NOISE_USD = 0.01

ALLOCATION_COLUMNS = [
    "pledge_id",
    "donor",
    "line_id",
    "year",
    "amount_usd",
    "source_year",
    "status",
]
UNALLOCATED_COLUMNS = ["pledge_id", "donor", "amount_usd", "reason"]
LINE_COLUMNS = ["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"]
TARGET_COLUMNS = ["name", "target", "achieved", "shortfall_usd", "limited_by"]


@dataclass
class Flows:
    """Money moved by the solution, per pool: ``amount[i]`` USD from pool ``pool[i]`` to
    line-year ``ly[i]``."""

    pool: np.ndarray
    ly: np.ndarray
    amount: np.ndarray

    @classmethod
    def none(cls) -> Flows:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0))


@dataclass
class Tables:
    """The result's tables for one solution, plus funded and firm USD per line-year."""

    allocations: pd.DataFrame
    unallocated: pd.DataFrame
    lines: pd.DataFrame
    targets: pd.DataFrame
    min_viable: pd.DataFrame
    funded_ly: np.ndarray
    firm_ly: np.ndarray


class SolutionReader:
    """Reads solver values of one built model; the per-model lookups are made once."""

    def __init__(self, plan: Plan, scenario: Scenario, pools: Pooling, form: Formulation) -> None:
        self.plan = plan
        self.scenario = scenario
        self.pools = pools
        self.form = form
        firm = firm_mask(pools.tranches)
        pooled = pools.tranches["pool"].to_numpy() >= 0
        self._tr_pool = pools.tranches["pool"].to_numpy()[pooled]
        self._tr_amount = pools.tranches["amount_usd"].to_numpy(dtype=float)[pooled]
        self._tr_pledge = pools.tranches["pledge_id"].to_numpy()[pooled]
        self._tr_firm = firm[pooled]
        codes, uniques = pd.factorize(pd.Series(self._tr_pledge, dtype=object).astype(str))
        self._tr_code = codes.astype(np.int64)
        self._pledge_code = {str(p): i for i, p in enumerate(uniques)}
        self._lines_template: tuple[pd.DataFrame, np.ndarray] | None = None
        sets = form.sets
        self.ly_frame = pd.DataFrame(
            {
                "line_id": np.asarray(pools.line_ids, dtype=object)[sets.ly_line],
                "year": np.asarray(pools.years, dtype=np.int64)[sets.ly_year],
            }
        )

    # -- money per pool ---------------------------------------------------------------------
    def pledge_codes(self, pledge_ids: list[str]) -> np.ndarray:
        """Position of each pledge id in :meth:`supply_for`'s factor vector (-1: the pledge
        has no pooled money)."""
        return np.array([self._pledge_code.get(str(p), -1) for p in pledge_ids], dtype=np.int64)

    @property
    def n_pledge_codes(self) -> int:
        """Length of :meth:`supply_for`'s factor vector, less its last entry (a slot for
        pledges without pooled money)."""
        return len(self._pledge_code)

    def supply_for(self, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(supply, firm supply) per pool with each pledge's money multiplied by its factor
        (``factor`` indexed by :meth:`pledge_codes`)."""
        n_pools = self.pools.n_pools
        scaled = self._tr_amount * factor[self._tr_code]
        supply = sum_by(self._tr_pool, weights=scaled, minlength=n_pools)
        firm_supply = sum_by(self._tr_pool, weights=scaled * self._tr_firm, minlength=n_pools)
        return supply, firm_supply

    def scaled_supply(self, factors: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(supply, firm supply) per pool with each listed pledge's money multiplied by its
        factor (missing = 1)."""
        factor = np.ones(self.n_pledge_codes + 1)  # the last entry: pledges not pooled
        ids = list(factors)
        codes = self.pledge_codes(ids)
        factor[codes] = np.array([float(factors[p]) for p in ids])
        factor[-1] = 1.0
        return self.supply_for(factor)

    def firm_supply(self) -> np.ndarray:
        """Firm (committed + paid) USD per pool at the plan's own money."""
        return sum_by(
            self._tr_pool, weights=self._tr_amount * self._tr_firm, minlength=self.pools.n_pools
        )

    # -- solver values -> flows -------------------------------------------------------------
    def spend(self, values: np.ndarray) -> np.ndarray:
        """Spend values without solver noise and never over a line-year's requirement
        (solver tolerances allow ~1e-7 violations)."""
        sets = self.form.sets
        x = np.maximum(values[self.form.matrix.cols("spend")], 0.0)
        x[x < NOISE_USD] = 0.0
        funded = sum_by(sets.col_ly, weights=x, minlength=sets.n_ly)
        over = funded > sets.ly_req
        if over.any():
            scale = np.ones(sets.n_ly)
            scale[over] = sets.ly_req[over] / funded[over]
            x *= scale[sets.col_ly]
        return x

    def flows(self, values: np.ndarray, supply: np.ndarray) -> Flows:
        """Split each group's spending per year over its pools, first in, first out.

        Lay a group's pools (arrival years ascending) end to end on a money axis, and its
        spending (years ascending) on the same axis: the overlap of pool a's interval with
        year t's interval is what pool a paid in year t. The model's balance rows keep
        cumulative spending within cumulative arrivals, so no pool pays before it arrives;
        overlaps from tolerance-sized overdrafts (pool after year) are dropped, so no pool
        ever pays more than it has.
        """
        sets, pools = self.form.sets, self.pools
        x = self.spend(values)
        n_g, n_y = pools.n_groups, len(pools.years)
        col_t = sets.ly_year[sets.col_ly]
        spent = np.zeros((n_g, n_y))
        np.add.at(spent, (sets.col_group, col_t), x)
        arrive = np.zeros((n_g, n_y))
        arrive[pools.pool_group, pools.pool_year] = supply
        pool_at = np.full((n_g, n_y), -1, dtype=np.int64)
        pool_at[pools.pool_group, pools.pool_year] = np.arange(pools.n_pools)
        hi_a = np.cumsum(arrive, axis=1)
        lo_a = hi_a - arrive
        hi_s = np.cumsum(spent, axis=1)
        lo_s = hi_s - spent
        # take[g, a, t]: money of pool (g, a) spent in year t.
        take = np.minimum(hi_a[:, :, None], hi_s[:, None, :]) - np.maximum(
            lo_a[:, :, None], lo_s[:, None, :]
        )
        take = np.clip(take, 0.0, None)
        take *= np.arange(n_y)[:, None] <= np.arange(n_y)[None, :]
        share = np.divide(
            take, spent[:, None, :], out=np.zeros_like(take), where=spent[:, None, :] > 0
        )
        nz = np.nonzero(x > 0)[0]
        col_share = share[sets.col_group[nz], :, col_t[nz]]  # (n_nz, arrival years)
        i, a = np.nonzero(col_share > 0)
        cols = nz[i]
        return Flows(
            pool=pool_at[sets.col_group[cols], a],
            ly=sets.col_ly[cols],
            amount=x[cols] * col_share[i, a],
        )

    def cut_lines(self, values: np.ndarray | None) -> np.ndarray:
        """Line indices cut by the minimum-viable rule."""
        sets = self.form.sets
        if values is None or not len(sets.mv_lines):
            return np.zeros(0, dtype=np.int64)
        z = values[self.form.matrix.cols("viable")]
        return sets.mv_lines[z < 0.5]

    def min_viable_funded(self, values: np.ndarray) -> dict[str, bool]:
        """Per line with a minimum-viable binary: is it funded (at or above its minimum)?"""
        z = values[self.form.matrix.cols("viable")]
        return {
            self.pools.line_ids[int(line)]: bool(v > 0.5)
            for line, v in zip(self.form.sets.mv_lines, z, strict=True)
        }

    # -- flows -> tables --------------------------------------------------------------------
    def line_year_funding(
        self, flows: Flows, supply: np.ndarray, firm_supply: np.ndarray
    ) -> pd.DataFrame:
        """line_id, year, funded_usd, firm_usd per line-year with a need."""
        funded_ly, firm_ly = self.funded_and_firm(flows, supply, firm_supply)
        return self.ly_frame.assign(funded_usd=funded_ly, firm_usd=firm_ly)

    def funded_and_firm(
        self, flows: Flows, supply: np.ndarray, firm_supply: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """USD per line-year: funded, and its firm part (each pool's flows are firm in the
        proportion of its supply that is firm)."""
        n_ly = self.form.sets.n_ly
        firm_frac = np.divide(firm_supply, supply, out=np.zeros_like(supply), where=supply > 0)
        funded_ly = sum_by(flows.ly, weights=flows.amount, minlength=n_ly)
        firm_ly = sum_by(flows.ly, weights=flows.amount * firm_frac[flows.pool], minlength=n_ly)
        return funded_ly, firm_ly

    def tables(self, flows: Flows, supply: np.ndarray, cut: np.ndarray, *, solved: bool) -> Tables:
        """Pools -> pledges pro rata, lines, targets, minimum viable."""
        pools, sets = self.pools, self.form.sets
        tr = pools.tranches
        used = sum_by(flows.pool, weights=flows.amount, minlength=pools.n_pools)
        frac = np.divide(used, supply, out=np.zeros_like(used), where=supply > 0)

        # Allocations: each flow split over its pool's tranches by amount.
        pooled_idx = np.nonzero(tr["pool"].to_numpy() >= 0)[0]
        tr_pool = tr["pool"].to_numpy()[pooled_idx]
        order = np.argsort(tr_pool, kind="stable")
        sorted_tr = pooled_idx[order]
        counts = np.bincount(tr_pool, minlength=pools.n_pools)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        nz = np.nonzero(flows.amount > 0)[0]
        reps = counts[flows.pool[nz]]
        col_rep = np.repeat(nz, reps)
        offsets = np.arange(len(col_rep)) - np.repeat(np.cumsum(reps) - reps, reps)
        tr_rep = sorted_tr[starts[flows.pool[col_rep]] + offsets]
        amount = tr["amount_usd"].to_numpy(dtype=float)
        k_rep = flows.pool[col_rep]
        alloc_amount = flows.amount[col_rep] * amount[tr_rep] / supply[k_rep]
        ly = flows.ly[col_rep]
        allocations = pd.DataFrame(
            {
                "pledge_id": tr["pledge_id"].to_numpy()[tr_rep],
                "donor": tr["donor"].to_numpy()[tr_rep],
                "line_id": np.asarray(pools.line_ids, dtype=object)[sets.ly_line[ly]],
                "year": np.asarray(pools.years, dtype=np.int64)[sets.ly_year[ly]],
                "amount_usd": alloc_amount,
                "source_year": tr["source_year"].to_numpy()[tr_rep],
                "status": tr["status"].to_numpy()[tr_rep],
            },
            columns=ALLOCATION_COLUMNS,
        )

        # Unallocated: reasons decided before the model, plus each pool's leftover.
        funded_ly, firm_ly = self.funded_and_firm(flows, supply, self.firm_supply())
        pool_reason = explain_mod.pool_leftover_reasons(
            pools, self.form, funded_ly, cut, cap=self.scenario.donor_line_cap_share is not None
        )
        if not solved:
            pool_reason[:] = "solver_error"
        tr_pool_all = tr["pool"].to_numpy()
        left = np.where(tr_pool_all >= 0, amount * (1.0 - frac[np.maximum(tr_pool_all, 0)]), amount)
        reasons = np.where(
            tr_pool_all >= 0, pool_reason[np.maximum(tr_pool_all, 0)], tr["reason"].to_numpy()
        )
        un = pd.DataFrame(
            {
                "pledge_id": tr["pledge_id"].to_numpy(),
                "donor": tr["donor"].to_numpy(),
                "amount_usd": left,
                "reason": reasons,
            }
        )
        un = un[un["amount_usd"] > 0]
        grouped = un.groupby(["pledge_id", "donor", "reason"], as_index=False, sort=True).agg(
            amount_usd=("amount_usd", "sum")
        )
        un = grouped.loc[grouped["amount_usd"] >= 0.005, UNALLOCATED_COLUMNS].reset_index(drop=True)

        return Tables(
            allocations=allocations,
            unallocated=un,
            lines=self._lines_frame(funded_ly, firm_ly),
            targets=self._targets_frame(flows, supply, funded_ly, cut),
            min_viable=self._min_viable_frame(funded_ly, cut),
            funded_ly=funded_ly,
            firm_ly=firm_ly,
        )

    def _lines_frame(self, funded_ly: np.ndarray, firm_ly: np.ndarray) -> pd.DataFrame:
        """Requirement rows in the horizon (one per line-year, sorted) with their funding."""
        if self._lines_template is None:
            req = self.plan.requirements
            req = req[req["year"].astype(int).isin(self.pools.years)]
            lines: pd.DataFrame = req.groupby(["line_id", "year"], as_index=False, sort=True).agg(
                requirement_usd=("requirement_usd", "sum")
            )
            lines["line_id"] = lines["line_id"].astype(str)
            lines["year"] = lines["year"].astype(np.int64)
            # Line-year number of each row (-1 for rows with a zero requirement).
            sets = self.form.sets
            line_pos = {lid: i for i, lid in enumerate(self.pools.line_ids)}
            year_pos = {y: t for t, y in enumerate(self.pools.years)}
            ly_index = np.full(self.pools.req.shape, -1, dtype=np.int64)
            ly_index[sets.ly_line, sets.ly_year] = np.arange(sets.n_ly)
            li = lines["line_id"].map(line_pos).to_numpy(dtype=np.int64)
            ti = lines["year"].map(year_pos).to_numpy(dtype=np.int64)
            self._lines_template = (lines, ly_index[li, ti])
        template, ly = self._lines_template
        has = ly >= 0
        funded = np.where(has, funded_ly[np.maximum(ly, 0)] if len(funded_ly) else 0.0, 0.0)
        firm = np.where(has, firm_ly[np.maximum(ly, 0)] if len(firm_ly) else 0.0, 0.0)
        out = template.assign(funded_usd=funded, firm_usd=firm)
        out["gap_usd"] = (out["requirement_usd"] - out["funded_usd"]).clip(lower=0.0)
        return out[LINE_COLUMNS]

    def _targets_frame(
        self, flows: Flows, supply: np.ndarray, funded_ly: np.ndarray, cut: np.ndarray
    ) -> pd.DataFrame:
        """The targets that are on: share asked, share achieved, shortfall and what limits
        a short one (see :data:`models.result.TARGET_LIMITS`)."""
        form, pools, sets = self.form, self.pools, self.form.sets
        bases = target_bases(pools, supply)
        room = np.maximum(sets.ly_req - funded_ly, 0.0)
        is_cut = np.zeros(len(pools.line_ids), dtype=bool)
        is_cut[cut] = True
        earmarked_ly = sum_by(
            flows.ly, weights=flows.amount * ~pools.pool_flexible[flows.pool], minlength=sets.n_ly
        )
        rows = []
        for tg in form.active_targets:
            tagged = tg.lines[sets.ly_line[flows.ly]]
            if tg.flexible_only:
                tagged = tagged & pools.pool_flexible[flows.pool]
            achieved = float(flows.amount[tagged].sum())
            basis = bases[tg.basis]
            shortfall = max(0.0, tg.share * basis - achieved)
            limited_by = ""
            if shortfall > 0.5:
                tag_ly = tg.lines[sets.ly_line]
                open_room = float(room[tag_ly & ~is_cut[sets.ly_line]].sum())
                if open_room > 0.5:
                    limited_by = "flexible_money_exhausted"
                elif float(room[tag_ly].sum()) > 0.5:
                    limited_by = "tagged_lines_cut"
                elif tg.flexible_only and float(earmarked_ly[tag_ly].sum()) > 0.5:
                    limited_by = "earmarked_money_kept"
                else:
                    limited_by = "tagged_lines_fully_funded"
            rows.append(
                {
                    "name": tg.name,
                    "target": tg.share,
                    "achieved": achieved / basis if basis > 0 else 0.0,
                    "shortfall_usd": shortfall,
                    "limited_by": limited_by,
                }
            )
        return pd.DataFrame(rows, columns=TARGET_COLUMNS)

    def _min_viable_frame(self, funded_ly: np.ndarray, cut: np.ndarray) -> pd.DataFrame:
        sets, pools = self.form.sets, self.pools
        n = len(pools.line_ids)
        funded = sum_by(sets.ly_line, weights=funded_ly, minlength=n)
        status = np.full(n, "not_applicable", dtype=object)
        status[sets.mv_lines] = "funded"
        status[cut] = "cut"
        return pd.DataFrame(
            {
                "line_id": pools.line_ids,
                "min_viable_share": sets.mv_share,
                "requirement_usd": pools.req.sum(axis=1),
                "funded_usd": funded,
                "status": status,
            }
        )
