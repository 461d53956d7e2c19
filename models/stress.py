"""Donor-loss stress tests: what happens to the appeal if its largest donors walk away.

A stress case removes every pledge of a set of donors (the top k by programmable USD in the
horizon, or any named set), re-solves the allocation under the same scenario and compares it
with the baseline:

- the change in funded and gap per line (and in total);
- the change in the donor-base breadth figures (:mod:`models.donor_base`);
- the minimum-viable programmes that were funded at or above their minimum before and fall
  below it after ("if the largest donor withdrew, these programmes would fall below minimum
  viable").

Public: :func:`donor_loss` (one case), :func:`run` (top 1..k plus named sets),
:class:`StressCase` and :class:`StressReport` with ``to_dict(aliases)``.
Pure: re-solving goes through :func:`models.allocation.allocate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models import allocation
from models.donor_base import breadth, breadth_change
from models.gaps import to_records
from models.plan import Plan
from models.result import AllocationResult
from models.scenario import Scenario

# Money within a cent counts as "at the minimum": LP solutions carry float noise.
TOLERANCE_USD = 0.01


class UnknownDonor(ValueError):
    """A stress test names a donor that has no pledge in the plan."""


@dataclass
class StressCase:
    """One donor-loss scenario compared with the baseline."""

    label: str
    removed_donors: list[str]
    removed_usd: float  # programmable USD of the removed donors' tranches in the horizon
    lines: pd.DataFrame  # line_id, name, requirement_usd, funded_before, funded_after,
    #                      gap_before, gap_after, gap_change
    totals: dict[str, float]  # funded_before/after, gap_before/after, gap_change
    breadth_before: dict[str, Any]
    breadth_after: dict[str, Any]
    breadth_change: dict[str, float]
    below_min_viable: list[str]  # min-viable lines funded before, below minimum after
    solver_status: str
    result_after: AllocationResult | None = None  # the re-solved allocation (not in to_dict)

    def to_dict(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
        """JSON-safe; donor names go through ``aliases`` (confidential -> anonymous)."""
        names = aliases or {}
        return {
            "label": _alias_label(self.label, self.removed_donors, names),
            "text": self.text(names),
            "removed_donors": [names.get(d, d) for d in self.removed_donors],
            "removed_usd": self.removed_usd,
            "totals": dict(self.totals),
            "breadth_change": dict(self.breadth_change),
            "breadth_after": {
                k: self.breadth_after[k]
                for k in (
                    "donor_count",
                    "hhi",
                    "effective_donors",
                    "top1_share",
                    "top3_share",
                    "flexible_share",
                    "gini",
                )
            },
            "below_min_viable": list(self.below_min_viable),
            "lines": to_records(self.lines),
            "solver_status": self.solver_status,
        }

    def text(self, aliases: Mapping[str, str] | None = None) -> str:
        """One sentence for people: what the loss costs and which programmes fall."""
        names = aliases or {}
        who = ", ".join(names.get(d, d) for d in self.removed_donors)
        gap = self.totals["gap_change"]
        sentence = f"If {who} withdrew, the gap would grow by USD {gap / 1e6:,.2f} million"
        if self.below_min_viable:
            sentence += "; these programmes would fall below minimum viable: " + ", ".join(
                self.below_min_viable
            )
        return sentence + "."


@dataclass
class StressReport:
    """All stress cases of one run, plus the baseline breadth they compare with."""

    cases: list[StressCase] = field(default_factory=list)

    def to_dict(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"cases": [c.to_dict(aliases) for c in self.cases]}


def _alias_label(label: str, donors: Sequence[str], aliases: Mapping[str, str]) -> str:
    # Labels of named sets carry donor names; rebuild them from aliases so none leaks.
    if label == "without " + ", ".join(donors):
        return "without " + ", ".join(aliases.get(d, d) for d in donors)
    return label


def top_donors(plan: Plan, k: int) -> list[str]:
    """The k largest donors by programmable USD in the horizon (ties by name)."""
    return [str(d["donor"]) for d in breadth(plan)["donors"][:k]]


def _line_totals(plan: Plan, result: AllocationResult) -> pd.DataFrame:
    """Requirement and funded per line over all years (from the result, else the plan)."""
    if len(result.lines):
        lines = result.lines[["line_id", "requirement_usd", "funded_usd"]].copy()
    else:
        lines = plan.requirements[["line_id", "requirement_usd"]].copy()
        lines["funded_usd"] = 0.0
    lines["line_id"] = lines["line_id"].astype(str)
    return lines.groupby("line_id", as_index=False, sort=False)[
        ["requirement_usd", "funded_usd"]
    ].sum()


def min_viable_met(plan: Plan, result: AllocationResult) -> dict[str, bool]:
    """For every line with a minimum viable share m > 0: is it funded at >= m of its
    multi-year requirement? (A line cut to zero is not met.)"""
    frame = _line_totals(plan, result)
    req_of = dict(zip(frame["line_id"], frame["requirement_usd"].astype(float), strict=True))
    funded_of = dict(zip(frame["line_id"], frame["funded_usd"].astype(float), strict=True))
    out: dict[str, bool] = {}
    for line_id, share in zip(
        plan.programmes["line_id"].astype(str), plan.programmes["min_viable_share"], strict=True
    ):
        m = float(share or 0.0)
        if m <= 0 or line_id not in req_of:
            continue
        req = req_of[line_id]
        funded = funded_of[line_id]
        out[line_id] = req > 0 and funded > 0 and funded >= m * req - TOLERANCE_USD
    return out


def donor_loss(
    plan: Plan,
    scenario: Scenario,
    donors: Iterable[str],
    *,
    baseline: AllocationResult | None = None,
    label: str | None = None,
) -> StressCase:
    """Remove every pledge of ``donors``, re-solve, and compare with ``baseline`` (solved here
    when not given). Unknown donor names raise :class:`UnknownDonor` naming them."""
    removed = list(dict.fromkeys(str(d) for d in donors))
    known = {str(d) for d in plan.pledges["donor"]}
    missing = [d for d in removed if d not in known]
    if missing:
        raise UnknownDonor(
            "no pledge from donor(s) " + ", ".join(repr(d) for d in missing) + " in the plan"
        )
    if baseline is None:
        baseline = allocation.allocate(plan, scenario, sensitivity=False)
    stressed_plan = plan.without_donors(removed)
    stressed = allocation.allocate(stressed_plan, scenario, sensitivity=False)

    before_b = breadth(plan)
    after_b = breadth(stressed_plan)
    removed_usd = sum(
        float(d["programmable_usd"]) for d in before_b["donors"] if d["donor"] in removed
    )

    before = _line_totals(plan, baseline).rename(columns={"funded_usd": "funded_before"})
    after = _line_totals(stressed_plan, stressed)[["line_id", "funded_usd"]].rename(
        columns={"funded_usd": "funded_after"}
    )
    lines = before.merge(after, on="line_id", how="left")
    lines["funded_after"] = lines["funded_after"].fillna(0.0)
    lines["gap_before"] = lines["requirement_usd"] - lines["funded_before"]
    lines["gap_after"] = lines["requirement_usd"] - lines["funded_after"]
    lines["gap_change"] = lines["gap_after"] - lines["gap_before"]
    names = dict(zip(plan.programmes["line_id"].astype(str), plan.programmes["name"], strict=True))
    lines.insert(1, "name", lines["line_id"].map(lambda x: str(names.get(x, x))))

    met_before = min_viable_met(plan, baseline)
    met_after = min_viable_met(stressed_plan, stressed)
    below = [line for line, ok in met_before.items() if ok and not met_after.get(line, False)]

    funded_before = float(lines["funded_before"].sum())
    funded_after = float(lines["funded_after"].sum())
    requirement = float(lines["requirement_usd"].sum())
    return StressCase(
        label=label or ("without " + ", ".join(removed)),
        removed_donors=removed,
        removed_usd=removed_usd,
        lines=lines,
        totals={
            "requirement_usd": requirement,
            "funded_before": funded_before,
            "funded_after": funded_after,
            "gap_before": requirement - funded_before,
            "gap_after": requirement - funded_after,
            "gap_change": funded_before - funded_after,
        },
        breadth_before=before_b,
        breadth_after=after_b,
        breadth_change=breadth_change(before_b, after_b),
        below_min_viable=below,
        solver_status=stressed.solver.status,
        result_after=stressed,
    )


def run(
    plan: Plan,
    scenario: Scenario,
    *,
    top_k: int = 3,
    named: Sequence[Sequence[str]] = (),
    baseline: AllocationResult | None = None,
) -> StressReport:
    """Stress cases "top 1" .. "top k" (cumulative: the k largest donors together) and one
    case per named donor set. ``top_k`` 0 skips the top-donor cases."""
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    if baseline is None:
        baseline = allocation.allocate(plan, scenario, sensitivity=False)
    cases: list[StressCase] = []
    ranked = top_donors(plan, top_k)
    for k in range(1, min(top_k, len(ranked)) + 1):
        cases.append(
            donor_loss(
                plan,
                scenario,
                ranked[:k],
                baseline=baseline,
                label=f"top {k} donor" + ("s" if k > 1 else ""),
            )
        )
    for donor_set in named:
        cases.append(donor_loss(plan, scenario, donor_set, baseline=baseline))
    return StressReport(cases=cases)
