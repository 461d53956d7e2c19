"""Donor-base breadth: how many donors carry the appeal, and how concentrated they are.

The review behind the product asks the Compact to widen its donor base and move towards mostly
unearmarked money. :func:`breadth` measures both on the pledges themselves (not on the
allocation), so the figures do not change with the allocation scenario:

- every figure is on **programmable USD of the pledges' tranches in the horizon**: a tranche
  counts when its year is <= the last year of the appeal horizon (money that arrived before the
  horizon starts counts too — it can be carried forward; money arriving after it cannot be used);
- shares are fractions 0-1; HHI is on the 0-10,000 scale (sum of squared percentage shares);
  effective donors = 1 / sum of squared fractional shares;
- Gini and the Lorenz curve are over donors' totals sorted ascending (0 = all give equally);
- flexible money = unearmarked + softly earmarked (Grand Bargain / Funding Compact aim: 30%);
- multi-year money = pledges whose tranches span more than one year.

The function is pure and returns real donor names; callers that write for outside readers
anonymise them with :func:`models.privacy.donor_aliases` (see :func:`anonymise_breadth`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from models.plan import EARMARKING, FLEXIBLE_EARMARKING, Plan

GRAND_BARGAIN_TARGET = 0.30


def horizon_tranches(plan: Plan) -> pd.DataFrame:
    """Tranches usable in the horizon, joined with their pledge's donor and attributes.

    Columns: pledge_id, year, programmable_usd, donor, earmarking, status, confidential,
    multiyear (the pledge's tranches span more than one year).
    """
    tranches = plan.tranches
    pledges = plan.pledges
    years = plan.years
    # Multi-year is a property of the whole pledge, so count years before the horizon cut.
    span = tranches.groupby("pledge_id")["year"].nunique()
    if years:
        tranches = tranches.loc[tranches["year"].astype(int) <= years[-1]]
    merged = tranches[["pledge_id", "year", "programmable_usd"]].merge(
        pledges[["pledge_id", "donor", "earmarking", "status", "confidential"]],
        on="pledge_id",
        how="inner",
    )
    merged["programmable_usd"] = merged["programmable_usd"].astype(float)
    merged["donor"] = merged["donor"].astype(str)
    merged["multiyear"] = merged["pledge_id"].map(span).fillna(1).astype(int) > 1
    return merged


def donor_attributes(plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    """({donor: donor_type}, {donor: region}) from the donors table; donors it does not list
    are "other" / "n/a" (as in :meth:`Plan.donor_table`, which fails on an empty plan)."""
    types: dict[str, str] = {}
    regions: dict[str, str] = {}
    donors = plan.donors
    for name, kind, group in zip(
        donors["donor"].tolist(),
        donors["donor_type"].tolist(),
        donors["region"].tolist(),
        strict=True,
    ):
        # Blank or missing cells fall back to the defaults rather than becoming "nan".
        if isinstance(kind, str) and kind.strip():
            types[str(name)] = kind.strip()
        if isinstance(group, str) and group.strip():
            regions[str(name)] = group.strip()
    return types, regions


def concentration(amounts: Iterable[float]) -> dict[str, Any]:
    """HHI, effective donors, top-N shares, Gini and Lorenz points of a set of totals.

    Zero and negative totals are ignored (a donor with nothing in the horizon is no donor).
    """
    values = np.array(sorted(float(a) for a in amounts if float(a) > 0.0), dtype=float)
    total = float(values.sum())
    if total <= 0.0:
        return {
            "hhi": 0.0,
            "effective_donors": 0.0,
            "top1_share": 0.0,
            "top3_share": 0.0,
            "top5_share": 0.0,
            "gini": 0.0,
            "lorenz": [[0.0, 0.0], [1.0, 1.0]],
        }
    shares = values / total
    sum_sq = float(np.sum(shares**2))
    descending = shares[::-1]
    n = len(values)
    # Lorenz curve: cumulative share of donors (ascending by amount) vs cumulative share of money.
    cum = np.concatenate([[0.0], np.cumsum(shares)])
    cum[-1] = 1.0  # guard against float drift so the curve ends exactly at (1, 1)
    xs = np.arange(n + 1, dtype=float) / n
    # Gini = 1 - 2 * area under the Lorenz curve (trapezoids); equals sum|xi-xj| / (2 n^2 mean).
    area = float(np.sum((xs[1:] - xs[:-1]) * (cum[1:] + cum[:-1]) / 2.0))
    gini = max(0.0, 1.0 - 2.0 * area)
    return {
        "hhi": sum_sq * 10_000.0,
        "effective_donors": 1.0 / sum_sq,
        "top1_share": float(descending[:1].sum()),
        "top3_share": float(descending[:3].sum()),
        "top5_share": float(descending[:5].sum()),
        "gini": gini,
        "lorenz": [[float(x), float(y)] for x, y in zip(xs, cum, strict=True)],
    }


def _shares(amounts: pd.Series, keys: Iterable[str] = ()) -> dict[str, float]:
    """{key: share of the total}. With ``keys`` (a canonical order, e.g. the Grand Bargain
    earmarking spectrum) every key is listed in that order, even at zero; otherwise largest
    first."""
    total = float(amounts.sum())
    found = {str(k): float(v) / total if total > 0 else 0.0 for k, v in amounts.items()}
    order = [str(k) for k in keys]
    if order:
        extra = sorted(k for k in found if k not in order)
        return {k: found.get(k, 0.0) for k in [*order, *extra]}
    return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def breadth(plan: Plan, previous_donors: Iterable[str] | None = None) -> dict[str, Any]:
    """Donor-base breadth figures of a plan (see the module docstring for definitions).

    ``previous_donors``: the donors of a previous appeal cycle; when given, ``new_donors``
    lists this plan's donors that are not among them (else it is ``None``).

    Returns a JSON-safe dict: donor_count, flexible_donor_count, confidential_donor_count,
    total_usd, flexible_usd, hhi, effective_donors, top1_share, top3_share, top5_share, gini,
    lorenz [[x, y], ...], flexible_share, grand_bargain_target, flexible_gap_to_target_usd,
    by_donor_type, by_region, by_earmarking, by_status, multiyear_share, new_donors,
    new_donor_count, new_donor_share, donors [{donor, programmable_usd, share, flexible_usd,
    donor_type, region, confidential}] (largest first).
    """
    money = horizon_tranches(plan)
    by_donor = money.groupby("donor")["programmable_usd"].sum()
    by_donor = by_donor[by_donor > 0.0]
    total = float(by_donor.sum())
    flexible_mask = money["earmarking"].isin(FLEXIBLE_EARMARKING)
    flexible_by_donor = money.loc[flexible_mask].groupby("donor")["programmable_usd"].sum()
    flexible_usd = float(flexible_by_donor.sum())

    confidential = set(money.loc[money["confidential"].astype(bool), "donor"])
    types, regions = donor_attributes(plan)
    donor_type = {d: types.get(d, "other") for d in by_donor.index}
    region = {d: regions.get(d, "n/a") for d in by_donor.index}

    donors = [
        {
            "donor": str(d),
            "programmable_usd": float(v),
            "share": float(v) / total if total > 0 else 0.0,
            "flexible_usd": float(flexible_by_donor.get(d, 0.0)),
            "donor_type": donor_type[d],
            "region": region[d],
            "confidential": d in confidential,
        }
        for d, v in sorted(by_donor.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    type_money = by_donor.groupby(by_donor.index.map(donor_type)).sum()
    region_money = by_donor.groupby(by_donor.index.map(region)).sum()
    positive = money.loc[money["programmable_usd"] > 0]
    earmark_money = positive.groupby("earmarking")["programmable_usd"].sum()
    status_money = positive.groupby("status")["programmable_usd"].sum()
    multiyear_usd = float(positive.loc[positive["multiyear"], "programmable_usd"].sum())

    new_donors: list[str] | None = None
    new_share = 0.0
    if previous_donors is not None:
        before = {str(d) for d in previous_donors}
        new_donors = sorted(str(d) for d in by_donor.index if d not in before)
        new_share = float(by_donor[new_donors].sum()) / total if total > 0 and new_donors else 0.0

    flexible_share = flexible_usd / total if total > 0 else 0.0
    return {
        "donor_count": len(by_donor),
        "flexible_donor_count": int((flexible_by_donor > 0).sum()),
        "confidential_donor_count": sum(1 for d in by_donor.index if d in confidential),
        "total_usd": total,
        "flexible_usd": flexible_usd,
        **concentration(by_donor.to_numpy()),
        "flexible_share": flexible_share,
        "grand_bargain_target": GRAND_BARGAIN_TARGET,
        "flexible_gap_to_target_usd": max(0.0, GRAND_BARGAIN_TARGET * total - flexible_usd),
        "by_donor_type": _shares(type_money),
        "by_region": _shares(region_money),
        "by_earmarking": _shares(earmark_money, EARMARKING),
        "by_status": _shares(status_money, ("paid", "committed", "pledged")),
        "multiyear_share": multiyear_usd / total if total > 0 else 0.0,
        "new_donors": new_donors,
        "new_donor_count": None if new_donors is None else len(new_donors),
        "new_donor_share": None if new_donors is None else new_share,
        "donors": donors,
    }


def anonymise_breadth(figures: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """A copy of :func:`breadth`'s dict with donor names replaced by ``aliases``
    (from :func:`models.privacy.donor_aliases`); confidential donors become "Anonymous donor N"."""
    out = dict(figures)
    out["donors"] = [
        {**row, "donor": aliases.get(str(row["donor"]), str(row["donor"]))}
        for row in figures.get("donors", [])
    ]
    if figures.get("new_donors") is not None:
        out["new_donors"] = sorted(aliases.get(str(d), str(d)) for d in figures["new_donors"])
    return out


def breadth_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, float]:
    """Change (after - before) of the scalar breadth figures, for stress tests."""
    keys = (
        "donor_count",
        "flexible_donor_count",
        "total_usd",
        "flexible_usd",
        "hhi",
        "effective_donors",
        "top1_share",
        "top3_share",
        "top5_share",
        "gini",
        "flexible_share",
        "multiyear_share",
    )
    return {k: float(after[k]) - float(before[k]) for k in keys}
