"""Pooling: group interchangeable pledge money so the model allocates pools, not pledges.

Two tranches of money are interchangeable when they may fund exactly the same budget lines
(same eligible set, from :mod:`models.eligibility`) from the same year on (same availability
year). The optimum over pools equals the optimum over individual pledges, because any
per-pledge allocation sums to a pool allocation with the same objective and any pool
allocation splits back pro rata into a feasible per-pledge one (all constraints on pledge
money are per-pool sums). Pools are additionally split by

- flexibility (unearmarked + softly earmarked vs earmarked), so the leadership + coordination
  share-of-flexible-money target can count flexible money apart;
- donor, only when the scenario caps a donor's share of a line.

Money that cannot enter the model is set aside here with its reason (see
:data:`models.result.UNALLOCATED_REASONS`): excluded donors, tranches arriving after the
horizon, eligible lines with no need in the horizon, or need only before the money arrives.

A tranche arriving before the horizon is available from the horizon's first year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import money
from models.eligibility import EligibilityIndex, UnknownEarmarkTarget
from models.plan import FIRM_STATUSES, FLEXIBLE_EARMARKING, Plan
from models.scenario import Scenario

# Donor key of the probe pool (extra unearmarked money "from the next donor") when pools are
# split by donor.
PROBE_DONOR = "\x00next donor"


class AllocationInputError(ValueError):
    """The plan or scenario cannot be allocated; the message names every problem."""


@dataclass
class Pooling:
    """The plan reduced to what the model needs.

    ``req[l, t]``: requirement of line l in horizon year t (0 where none).
    ``tranches``: one row per pledge tranche, with ``pool`` (-1 when set aside) and ``reason``
    (empty when pooled). Pool arrays are indexed by pool id. The probe pool (unearmarked,
    available from the first year) always exists, possibly with zero supply: its supply is
    what "one more flexible dollar" and "the next USD 1 million" change.
    """

    years: list[int]
    line_ids: list[str]
    req: np.ndarray
    elig_sets: list[np.ndarray]  # sorted line indices per eligible-set id
    tranches: pd.DataFrame
    pool_set: np.ndarray  # eligible-set id per pool
    pool_year: np.ndarray  # availability year index per pool
    pool_flexible: np.ndarray  # bool
    pool_donor: list[str]  # "" unless pools are split by donor
    pool_supply: np.ndarray  # programmable USD per pool
    probe: int  # pool id of the probe pool
    # Groups: pools that differ only by availability year (same eligible set, flexibility
    # and donor key). The model carries each group's money forward year to year.
    pool_group: np.ndarray  # group id per pool
    group_set: np.ndarray  # eligible-set id per group
    group_flexible: np.ndarray  # bool per group
    group_donor: list[str]
    group_first: np.ndarray  # earliest availability year index per group

    @property
    def n_pools(self) -> int:
        return len(self.pool_set)

    @property
    def n_groups(self) -> int:
        return len(self.group_set)


def horizon_years(plan: Plan, scenario: Scenario) -> list[int]:
    """Years of the plan inside the scenario's optional start/end years."""
    return money.horizon_years(plan.years, scenario.start_year, scenario.end_year)


def check_data(plan: Plan, scenario: Scenario) -> None:
    """Raise :class:`AllocationInputError` for what would break the model on a valid plan.

    The plan's own rules (columns, keys, ranges, references) hold already: every plan is
    validated where it is made (:meth:`models.plan.Plan.build`). What is left is specific to a
    run: the scenario's horizon must contain requirement years. (Earmarks that match no line
    and missing criterion scores are reported where the model meets them.)"""
    if not horizon_years(plan, scenario):
        raise AllocationInputError("no requirement years inside the scenario's start_year/end_year")


def pool_pledges(plan: Plan, scenario: Scenario) -> Pooling:
    """Group the plan's tranches into pools (see the module docstring)."""
    years = horizon_years(plan, scenario)
    y_last = years[-1]
    line_ids = [str(x) for x in plan.programmes["line_id"]]
    line_pos = {lid: i for i, lid in enumerate(line_ids)}
    year_pos = {y: t for t, y in enumerate(years)}

    req = np.zeros((len(line_ids), len(years)))
    r = plan.requirements
    in_h = r["year"].astype(int).isin(years).to_numpy()
    if in_h.any():
        li = r["line_id"].astype(str).map(line_pos).to_numpy()[in_h].astype(int)
        ti = r["year"].astype(int).map(year_pos).to_numpy()[in_h].astype(int)
        np.add.at(req, (li, ti), r["requirement_usd"].to_numpy(dtype=float)[in_h])
    has_need = req > 0

    # Eligible set per distinct (earmarking, earmark_to): many pledges share one.
    index = EligibilityIndex(plan.programmes)
    set_ids: dict[frozenset[str], int] = {}
    elig_sets: list[np.ndarray] = []
    key_set: dict[tuple[str, str], int] = {}
    errors: list[str] = []
    pledge_set: list[int] = []
    for pid, e, t in zip(
        plan.pledges["pledge_id"],
        plan.pledges["earmarking"],
        plan.pledges["earmark_to"],
        strict=True,
    ):
        target = "" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t)
        k = (str(e), target)
        if k not in key_set:
            try:
                lines = index.lines_for(str(e), target)
            except UnknownEarmarkTarget as exc:
                errors.append(f"pledge {pid}: {exc}")
                key_set[k] = -1
            else:
                if lines not in set_ids:
                    set_ids[lines] = len(elig_sets)
                    elig_sets.append(np.array(sorted(line_pos[x] for x in lines), dtype=np.int64))
                key_set[k] = set_ids[lines]
        elif key_set[k] == -1:
            errors.append(f"pledge {pid}: earmark target {target!r} matches no line")
        pledge_set.append(key_set[k])
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise AllocationInputError("; ".join(errors[:5]) + more)
    all_set = frozenset(line_ids)
    if all_set not in set_ids:
        set_ids[all_set] = len(elig_sets)
        elig_sets.append(np.arange(len(line_ids), dtype=np.int64))
    unearmarked_set = set_ids[all_set]

    # First and last year index with need, per eligible set (-1 / len(years) when none).
    n_sets = len(elig_sets)
    set_need = np.zeros((n_sets, len(years)), dtype=bool)
    for s, members in enumerate(elig_sets):
        set_need[s] = has_need[members].any(axis=0) if len(members) else False
    any_need: np.ndarray = np.asarray(set_need.any(axis=1), dtype=bool)
    last_need = np.where(any_need, len(years) - 1 - np.argmax(set_need[:, ::-1], axis=1), -1)

    pl = plan.pledges
    pinfo = pd.DataFrame(
        {
            "pledge_id": pl["pledge_id"].to_numpy(),
            "donor": pl["donor"].astype(str).to_numpy(),
            "status": pl["status"].astype(str).to_numpy(),
            "flexible": pl["earmarking"].isin(FLEXIBLE_EARMARKING).to_numpy(),
            "set": np.asarray(pledge_set, dtype=np.int64),
        }
    )
    tr = plan.tranches[["pledge_id", "year", "programmable_usd"]].merge(
        pinfo, on="pledge_id", how="left", validate="many_to_one"
    )
    tr = tr.rename(columns={"year": "source_year", "programmable_usd": "amount_usd"})
    tr["source_year"] = tr["source_year"].astype(int)
    src = tr["source_year"].to_numpy()
    avail = np.clip(np.searchsorted(np.asarray(years), src, side="left"), 0, len(years))
    tr["avail"] = avail
    sets = tr["set"].to_numpy()
    reason = np.full(len(tr), "", dtype=object)
    excluded = tr["donor"].isin(set(scenario.excluded_donors)).to_numpy()
    after = src > y_last
    no_need = ~any_need[sets]
    too_late = (~after) & any_need[sets] & (last_need[sets] < avail)
    # Order matters: the first reason that applies is the one reported.
    reason[too_late] = "arrives_after_need"
    reason[no_need] = "no_eligible_need_in_horizon"
    reason[after] = "arrives_after_horizon"
    reason[excluded] = "donor_excluded"
    reason[tr["amount_usd"].to_numpy() <= 0] = ""  # nothing to report for zero tranches
    tr["reason"] = reason

    pooled = (reason == "") & (tr["amount_usd"].to_numpy() > 0)
    split_donor = scenario.donor_line_cap_share is not None
    keys = tr.loc[pooled, ["set", "avail", "flexible"]].copy()
    keys["donor"] = tr.loc[pooled, "donor"] if split_donor else ""
    # The probe pool: unearmarked money from the first year (a new donor when split).
    probe_key = pd.DataFrame(
        {
            "set": [unearmarked_set],
            "avail": [0],
            "flexible": [True],
            "donor": [PROBE_DONOR if split_donor else ""],
        }
    )
    keys_all = pd.concat([probe_key, keys], ignore_index=True)
    # ngroup(sort=False) numbers keys by first appearance, like drop_duplicates keeps them.
    key_cols = ["set", "avail", "flexible", "donor"]
    codes = keys_all.groupby(key_cols, sort=False).ngroup().to_numpy()
    u = keys_all.drop_duplicates(key_cols).reset_index(drop=True)
    pool = np.full(len(tr), -1, dtype=np.int64)
    pool[pooled] = codes[1:]
    tr["pool"] = pool
    n_pools = len(u)
    supply = sum_by(pool[pooled], weights=tr.loc[pooled, "amount_usd"], minlength=n_pools)
    group_cols = ["set", "flexible", "donor"]
    pool_group = u.groupby(group_cols, sort=False).ngroup().to_numpy()
    g = u.assign(group=pool_group).groupby("group", sort=True)
    first = g.first()
    return Pooling(
        years=years,
        line_ids=line_ids,
        req=req,
        elig_sets=elig_sets,
        tranches=tr,
        pool_set=u["set"].to_numpy(dtype=np.int64),
        pool_year=u["avail"].to_numpy(dtype=np.int64),
        pool_flexible=u["flexible"].to_numpy(dtype=bool),
        pool_donor=[str(d) for d in u["donor"]],
        pool_supply=supply.astype(float),
        probe=int(codes[0]),
        pool_group=pool_group.astype(np.int64),
        group_set=first["set"].to_numpy(dtype=np.int64),
        group_flexible=first["flexible"].to_numpy(dtype=bool),
        group_donor=[str(d) for d in first["donor"]],
        group_first=g["avail"].min().to_numpy(dtype=np.int64),
    )


def firm_mask(tranches: pd.DataFrame) -> np.ndarray:
    """True for tranches of committed or paid pledges (what FTS would count)."""
    return tranches["status"].isin(FIRM_STATUSES).to_numpy()


def sum_by(index: np.ndarray, weights: Any, minlength: int) -> np.ndarray:
    """np.bincount that always returns floats (it returns ints for empty input)."""
    return np.bincount(index, weights=weights, minlength=minlength).astype(float)
