"""The allocation engine: every pledge's money to budget lines and years, by priority.

Pipeline (each step a function or method named for it; timings land in
``AllocationResult.solver.phases``):

1. validate   - :func:`models.pooling.check_data` (clear :class:`AllocationInputError`)
2. pool       - :func:`models.pooling.pool_pledges` (interchangeable money grouped)
3. build      - :func:`models.formulation.build_formulation` + the solver model
4. solve      - :mod:`models.solve` (HiGHS by default, CBC on request)
5. extract    - assign the solution: each group's yearly spending split over its pools
                first in, first out (:meth:`AllocationModel._flows`), each pool's share over
                its pledges' tranches pro rata; lines, targets, minimum viable status
6. explain    - :mod:`models.explain` (reasons, marginal values, the next USD 1 million)

Public surface::

    allocate(plan, scenario) -> AllocationResult
    AllocationModel.build(plan, scenario) -> AllocationModel
        .solve(explain=True) -> AllocationResult
        .solve_scaled({pledge_id: factor}) -> ScaledSolution   # in-place re-solve

Data problems raise :class:`AllocationInputError` (a ``ValueError``) naming them; solver
trouble (time limit without a solution, infeasibility) never raises: the result's
``solver.status`` / ``solver.message`` say what happened and all money is reported
unallocated with reason ``solver_error``.

Figures (``python -m benchmarks.bench_allocation``; results in benchmarks/results/): the
L plan (3,000 pledges, 100 lines, 6 years) allocates end to end in about 0.5 s as a MILP,
hundreds of times faster than the per-pledge reference LP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import explain as explain_mod
from models.formulation import Formulation, build_formulation, target_bases
from models.plan import Plan
from models.pooling import (
    AllocationInputError,
    Pooling,
    check_data,
    firm_mask,
    pool_pledges,
    sum_by,
)
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario
from models.solve import HighsModel, PulpModel, SolveOutcome, choose_solver

__all__ = [
    "AllocationInputError",
    "AllocationModel",
    "ScaledSolution",
    "allocate",
]

NEXT_MILLION = 1_000_000.0
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


@dataclass
class Flows:
    """Money moved by the solution, per pool: ``amount[i]`` USD from pool ``pool[i]`` to
    line-year ``ly[i]``. The model spends groups of pools; :meth:`AllocationModel._flows`
    splits each group's spending over its pools first in, first out."""

    pool: np.ndarray
    ly: np.ndarray
    amount: np.ndarray


@dataclass
class ScaledSolution:
    """Result of :meth:`AllocationModel.solve_scaled`: line-year funding only (fast)."""

    status: str
    objective: float | None
    funded: pd.DataFrame  # line_id, year, funded_usd, firm_usd (line-years with a need)
    min_viable_funded: dict[str, bool]  # per line with a minimum viable share


def allocate(plan: Plan, scenario: Scenario) -> AllocationResult:
    """Allocate a plan under a scenario (build the model once and solve it)."""
    return AllocationModel.build(plan, scenario).solve()


class AllocationModel:
    """A built allocation model that can be solved, and re-solved with scaled pledges."""

    def __init__(
        self,
        plan: Plan,
        scenario: Scenario,
        pools: Pooling,
        form: Formulation,
        backend: HighsModel | PulpModel,
        phases: dict[str, float],
    ) -> None:
        self.plan = plan
        self.scenario = scenario
        self.pools = pools
        self.form = form
        self.backend = backend
        self.phases = phases
        firm = firm_mask(pools.tranches)
        pooled = pools.tranches["pool"].to_numpy() >= 0
        self._tr_pool = pools.tranches["pool"].to_numpy()[pooled]
        self._tr_amount = pools.tranches["amount_usd"].to_numpy(dtype=float)[pooled]
        self._tr_pledge = pools.tranches["pledge_id"].to_numpy()[pooled]
        self._tr_firm = firm[pooled]
        self._lines_template: tuple[pd.DataFrame, np.ndarray] | None = None
        self._ly_frame = pd.DataFrame(
            {
                "line_id": np.asarray(pools.line_ids, dtype=object)[form.ly_line],
                "year": np.asarray(pools.years, dtype=np.int64)[form.ly_year],
            }
        )

    # -- build ------------------------------------------------------------------------------
    @classmethod
    def build(
        cls, plan: Plan, scenario: Scenario, *, backend: str | None = None
    ) -> AllocationModel:
        """Validate, pool and build. ``backend`` overrides the scenario's solver choice
        ("highs", "cbc", or for benchmarks "highs-mip": HiGHS's own MIP solver, "pulp-highs":
        PuLP's HiGHS interface)."""
        phases: dict[str, float] = {}
        t = time.perf_counter()
        scenario.validate()
        check_data(plan, scenario)
        phases["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        pools = pool_pledges(plan, scenario)
        phases["pool"] = time.perf_counter() - t
        t = time.perf_counter()
        try:
            form = build_formulation(plan, scenario, pools)
        except ValueError as exc:  # e.g. criteria weights without score columns
            raise AllocationInputError(str(exc)) from exc
        kind = backend or choose_solver(scenario.solver, form.is_mip)
        model: HighsModel | PulpModel
        if kind == "highs":
            model = HighsModel(form)
        elif kind == "highs-mip":
            model = HighsModel(form, branching="highs")
        elif kind in ("cbc", "pulp-highs"):
            model = PulpModel(form, "cbc" if kind == "cbc" else "highs")
        else:
            raise AllocationInputError(f"unknown solver back end {kind!r}")
        phases["build"] = time.perf_counter() - t
        return cls(plan, scenario, pools, form, model, phases)

    # -- right-hand sides -------------------------------------------------------------------
    def _set_supply(
        self, supply: np.ndarray, backend: HighsModel | PulpModel | None = None
    ) -> None:
        """Pool supplies and the target constants that depend on them, in place (in
        ``backend``, by default the model's own)."""
        form = self.form
        arriving = np.zeros(form.n_rows)
        arriving[form.pool_rows] = supply
        rows = [form.balance_rows]
        lo = [arriving[form.balance_rows]]
        hi = [arriving[form.balance_rows]]
        bases = target_bases(self.pools, supply)
        for tg in form.targets:
            rows.append(np.array([tg.row]))
            lo.append(np.array([tg.share * bases[tg.basis]]))
            hi.append(np.array([np.inf]))
        (backend or self.backend).set_row_bounds(
            np.concatenate(rows), np.concatenate(lo), np.concatenate(hi)
        )

    def _run(self) -> SolveOutcome:
        sc = self.scenario
        try:
            return self.backend.solve(sc.time_limit_seconds, sc.mip_gap)
        except Exception as exc:  # a solver crash must not become a user-facing traceback
            return SolveOutcome("error", None, None, None, 0.0, f"solver failed: {exc}")

    def _clean(self, values: np.ndarray) -> np.ndarray:
        """x values without solver noise and never over a line-year's requirement (solver
        tolerances allow ~1e-7 violations)."""
        form = self.form
        x = np.maximum(values[: form.n_x], 0.0)
        x[x < NOISE_USD] = 0.0
        funded = sum_by(form.col_ly, weights=x, minlength=form.n_ly)
        over = funded > form.ly_req
        if over.any():
            scale = np.ones(form.n_ly)
            scale[over] = form.ly_req[over] / funded[over]
            x *= scale[form.col_ly]
        return x

    def _flows(self, values: np.ndarray, supply: np.ndarray) -> Flows:
        """Split each group's spending per year over its pools, first in, first out.

        Lay a group's pools (arrival years ascending) end to end on a money axis, and its
        spending (years ascending) on the same axis: the overlap of pool a's interval with
        year t's interval is what pool a paid in year t. The model's balance rows keep
        cumulative spending within cumulative arrivals, so no pool pays before it arrives;
        overlaps from tolerance-sized overdrafts (pool after year) are dropped, so no pool
        ever pays more than it has.
        """
        form, pools = self.form, self.pools
        x = self._clean(values)
        n_g, n_y = pools.n_groups, len(pools.years)
        col_t = form.ly_year[form.col_ly]
        spent = np.zeros((n_g, n_y))
        np.add.at(spent, (form.col_group, col_t), x)
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
        col_share = share[form.col_group[nz], :, col_t[nz]]  # (n_nz, arrival years)
        i, a = np.nonzero(col_share > 0)
        cols = nz[i]
        return Flows(
            pool=pool_at[form.col_group[cols], a],
            ly=form.col_ly[cols],
            amount=x[cols] * col_share[i, a],
        )

    def _z_cut(self, values: np.ndarray | None) -> np.ndarray:
        """Line indices cut by the minimum-viable rule."""
        if values is None or not len(self.form.mv_lines):
            return np.zeros(0, dtype=np.int64)
        z = values[self.form.z_cols]
        return self.form.mv_lines[z < 0.5]

    # -- full solve -------------------------------------------------------------------------
    def solve(self, *, explain: bool = True) -> AllocationResult:
        """Solve with the plan's money and return every table of the result."""
        phases = dict(self.phases)
        supply = self.pools.pool_supply
        self._set_supply(supply)
        outcome = self._run()
        phases["solve"] = outcome.seconds
        t = time.perf_counter()
        ok = outcome.values is not None
        if outcome.values is not None:
            flows = self._flows(outcome.values, supply)
        else:
            empty = np.zeros(0, dtype=np.int64)
            flows = Flows(empty, empty, np.zeros(0))
        cut = self._z_cut(outcome.values)
        frames = self._extract(flows, supply, cut, solved=ok)
        phases["extract"] = time.perf_counter() - t
        t = time.perf_counter()
        extra: dict[str, object] = {}
        if explain and ok and outcome.values is not None:
            extra = self._explain(flows, outcome, cut, supply, frames["funded_ly"])
            # _explain re-solves; put the model back on the plan's own money.
            self._set_supply(supply)
        phases["explain"] = time.perf_counter() - t
        info = SolverInfo(
            name=self.backend.name,
            status=outcome.status,
            seconds=sum(phases.values()),
            mip_gap=outcome.mip_gap,
            objective=outcome.objective,
            message=outcome.message or _status_message(outcome.status),
            is_mip=self.form.is_mip,
            phases=phases,
        )
        return AllocationResult(
            allocations=frames["allocations"],
            unallocated=frames["unallocated"],
            lines=frames["lines"],
            targets=frames["targets"],
            solver=info,
            explanations=extra.get("explanations", _empty_explanations()),  # type: ignore[arg-type]
            flexible_marginal_value=extra.get("flexible_marginal_value"),  # type: ignore[arg-type]
            line_marginal_value=extra.get(  # type: ignore[arg-type]
                "line_marginal_value", pd.DataFrame(columns=["line_id", "year", "value_per_usd"])
            ),
            next_million=extra.get(  # type: ignore[arg-type]
                "next_million", pd.DataFrame(columns=["line_id", "year", "amount_usd"])
            ),
            min_viable=frames["min_viable"],
            pools=int((self.pools.pool_supply > 0).sum()),
        )

    def _extract(
        self, flows: Flows, supply: np.ndarray, cut: np.ndarray, *, solved: bool = True
    ) -> dict[str, pd.DataFrame]:
        """Assign the solution: pools -> pledges pro rata, lines, targets, min viable."""
        pools, form = self.pools, self.form
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
                "line_id": np.asarray(pools.line_ids, dtype=object)[form.ly_line[ly]],
                "year": np.asarray(pools.years, dtype=np.int64)[form.ly_year[ly]],
                "amount_usd": alloc_amount,
                "source_year": tr["source_year"].to_numpy()[tr_rep],
                "status": tr["status"].to_numpy()[tr_rep],
            },
            columns=ALLOCATION_COLUMNS,
        )

        # Unallocated: reasons decided before the model, plus each pool's leftover.
        funded_ly = sum_by(flows.ly, weights=flows.amount, minlength=form.n_ly)
        pool_reason = explain_mod.pool_leftover_reasons(
            pools, form, funded_ly, cut, cap=self.scenario.donor_line_cap_share is not None
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

        # Lines: requirement rows in the horizon with funded / firm money.
        firm_supply = sum_by(
            self._tr_pool, weights=self._tr_amount * self._tr_firm, minlength=pools.n_pools
        )
        firm_frac = np.divide(firm_supply, supply, out=np.zeros_like(firm_supply), where=supply > 0)
        firm_ly = sum_by(
            flows.ly, weights=flows.amount * firm_frac[flows.pool], minlength=form.n_ly
        )
        lines = self._lines_frame(funded_ly, firm_ly)

        return {
            "allocations": allocations,
            "unallocated": un,
            "lines": lines,
            "targets": self._targets_frame(flows, supply),
            "min_viable": self._min_viable_frame(funded_ly, cut),
            "funded_ly": pd.DataFrame({"funded": funded_ly, "firm": firm_ly}),
        }

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
            line_pos = {lid: i for i, lid in enumerate(self.pools.line_ids)}
            year_pos = {y: t for t, y in enumerate(self.pools.years)}
            ly_index = np.full(self.pools.req.shape, -1, dtype=np.int64)
            ly_index[self.form.ly_line, self.form.ly_year] = np.arange(self.form.n_ly)
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

    def _targets_frame(self, flows: Flows, supply: np.ndarray) -> pd.DataFrame:
        form, pools = self.form, self.pools
        bases = target_bases(pools, supply)
        rows = []
        for tg in form.targets:
            if tg.flexible_only:
                tagged = explain_mod.lc_lines(self.plan)[form.ly_line[flows.ly]]
                achieved = float(flows.amount[tagged & pools.pool_flexible[flows.pool]].sum())
            else:
                tagged = explain_mod.theme_lines(self.plan, tg.name)[form.ly_line[flows.ly]]
                achieved = float(flows.amount[tagged].sum())
            basis = bases[tg.basis]
            rows.append(
                {
                    "name": tg.name,
                    "target": tg.share,
                    "achieved": achieved / basis if basis > 0 else 0.0,
                    "shortfall_usd": max(0.0, tg.share * basis - achieved),
                }
            )
        return pd.DataFrame(rows, columns=["name", "target", "achieved", "shortfall_usd"])

    def _min_viable_frame(self, funded_ly: np.ndarray, cut: np.ndarray) -> pd.DataFrame:
        form, pools = self.form, self.pools
        n = len(pools.line_ids)
        req = pools.req.sum(axis=1)
        funded = sum_by(form.ly_line, weights=funded_ly, minlength=n)
        mvs = self.plan.programmes["min_viable_share"].astype(float).fillna(0.0).to_numpy()
        status = np.full(n, "not_applicable", dtype=object)
        status[form.mv_lines] = "funded"
        status[cut] = "cut"
        return pd.DataFrame(
            {
                "line_id": pools.line_ids,
                "min_viable_share": mvs,
                "requirement_usd": req,
                "funded_usd": funded,
                "status": status,
            }
        )

    def _explain(
        self,
        flows: Flows,
        outcome: SolveOutcome,
        cut: np.ndarray,
        supply: np.ndarray,
        funded: pd.DataFrame,
    ) -> dict[str, object]:
        form = self.form
        out: dict[str, object] = {}
        funded_ly = funded["funded"].to_numpy()
        out["explanations"] = explain_mod.explain_lines(
            self.plan,
            self.pools,
            form,
            flows.pool,
            flows.ly,
            flows.amount,
            cut,
            supply,
            self.scenario,
        )
        # Marginal values are LP duals with the binaries fixed at the solution (HiGHS; a CBC
        # run gets a HiGHS twin of the model for them; the twin is built on the plan's own
        # money, which is what ``supply`` is here).
        duals_model = self.backend if isinstance(self.backend, HighsModel) else HighsModel(form)
        if duals_model is not self.backend and not form.is_mip:
            duals_model.solve(self.scenario.time_limit_seconds, self.scenario.mip_gap)
        mv = duals_model.marginal_values(outcome.values)
        if mv is not None:
            row_mv, col_mv = mv
            # One more unearmarked USD arriving in the first year (the probe pool's balance
            # row), with the policy targets' USD bases held fixed.
            out["flexible_marginal_value"] = float(row_mv[form.pool_rows[self.pools.probe]])
            out["line_marginal_value"] = explain_mod.line_marginal_frame(
                self._ly_frame, form, col_mv, self.scenario.weights.tranche_share
            )
        # Where the next USD 1 million of unearmarked money would go: re-solve with it (as
        # for any new money, the policy targets' bases grow with it), holding today's
        # minimum-viable decisions and warm-starting from today's optimum. A cold re-solve
        # lands on any of many equally good allocations and shows a reshuffle of millions
        # between lines, which says nothing about what the new million buys.
        more = supply.copy()
        more[self.pools.probe] += NEXT_MILLION
        self._set_supply(more, duals_model)
        try:
            values2 = duals_model.solve_with_binaries_fixed(
                outcome.values, self.scenario.time_limit_seconds
            )
        finally:
            self._set_supply(supply, duals_model)
        if values2 is not None:
            x2 = self._clean(values2)
            funded2 = sum_by(form.col_ly, weights=x2, minlength=form.n_ly)
            out["next_million"] = explain_mod.next_million_frame(
                self._ly_frame, funded2 - funded_ly
            )
        return out

    # -- fast re-solves ---------------------------------------------------------------------
    def solve_scaled(self, pledge_scale: Mapping[str, float]) -> ScaledSolution:
        """Re-solve with each listed pledge's money multiplied by its factor (missing = 1).

        Only right-hand sides change (pool supplies and target constants), in the live
        solver model; an LP warm-starts from the previous basis. A factor of 0 removes a
        pledge (use it for every pledge of a donor to remove the donor).
        """
        for pid, f in pledge_scale.items():
            if not 0.0 <= float(f) <= 1.0:
                raise AllocationInputError(f"scale for pledge {pid} must be in [0, 1], got {f}")
        factors = (
            pd.Series(self._tr_pledge).map(dict(pledge_scale)).fillna(1.0).to_numpy(dtype=float)
            if pledge_scale
            else np.ones(len(self._tr_pledge))
        )
        n_pools = self.pools.n_pools
        scaled = self._tr_amount * factors
        supply = sum_by(self._tr_pool, weights=scaled, minlength=n_pools).astype(float)
        firm_supply = sum_by(self._tr_pool, weights=scaled * self._tr_firm, minlength=n_pools)
        self._set_supply(supply)
        outcome = self._run()
        form = self.form
        if outcome.values is None:
            funded = self._ly_frame.assign(funded_usd=0.0, firm_usd=0.0)
            return ScaledSolution(outcome.status, None, funded, {})
        flows = self._flows(outcome.values, supply)
        firm_frac = np.divide(firm_supply, supply, out=np.zeros_like(supply), where=supply > 0)
        funded = self._ly_frame.assign(
            funded_usd=sum_by(flows.ly, weights=flows.amount, minlength=form.n_ly),
            firm_usd=sum_by(
                flows.ly, weights=flows.amount * firm_frac[flows.pool], minlength=form.n_ly
            ),
        )
        z = outcome.values[form.z_cols]
        mv = {
            self.pools.line_ids[int(line)]: bool(v > 0.5)
            for line, v in zip(form.mv_lines, z, strict=True)
        }
        return ScaledSolution(outcome.status, outcome.objective, funded, mv)


def _status_message(status: str) -> str:
    return {
        "optimal": "optimal allocation found",
        "time_limit_feasible": "stopped on the time limit: the allocation is feasible but may "
        "not be optimal (see mip_gap)",
    }.get(status, status)


def _empty_explanations() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "line_id",
            "tier",
            "weight",
            "requirement_usd",
            "funded_usd",
            "coverage",
            "reason",
            "text",
        ]
    )
