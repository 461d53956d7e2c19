"""All the analytics of one plan run, gathered in one object for the CLI, JSON, workbook and app.

:func:`analyse` takes the plan, its scenario and (optionally) an allocation already solved, and
computes: overall totals and gap breakdowns (:mod:`models.gaps`), donor-base breadth
(:mod:`models.donor_base`), donor-loss stress cases (:mod:`models.stress`) and, when asked, the
pledge-risk simulation (:mod:`models.risk`). :meth:`Analysis.to_dict` is JSON-safe and shows
confidential donors as "Anonymous donor N" (:mod:`models.privacy`) unless ``reveal=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models import allocation, donor_base, gaps, risk, stress
from models.plan import Plan
from models.privacy import anonymise, donor_aliases
from models.result import AllocationResult
from models.scenario import Scenario

GAP_VIEWS = ("line", "category", "entity", "pillar", "theme", "year", "category_year")


@dataclass
class Analysis:
    """Everything :func:`analyse` computed. DataFrames hold real donor names; ``to_dict``
    anonymises them."""

    plan: Plan
    scenario: Scenario
    result: AllocationResult
    totals: dict[str, float]
    breakdowns: dict[str, pd.DataFrame]
    donor_base: dict[str, Any]
    stress: stress.StressReport | None = None
    risk: risk.RiskResult | None = None
    warnings: list[str] = field(default_factory=list)

    def aliases(self, *, reveal: bool = False) -> dict[str, str]:
        return donor_aliases(self.plan, reveal=reveal)

    def to_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """JSON-safe dict: totals, lines, gaps {view: rows}, gaps_overlapping (views whose rows
        must not be summed), donor_base, stress, risk, targets, solver, unallocated_by_reason,
        warnings. Confidential donors anonymised unless ``reveal``."""
        names = self.aliases(reveal=reveal)
        lines = gaps.line_years(self.plan, self.result)[
            [
                "line_id",
                "year",
                "requirement_usd",
                "funded_usd",
                "firm_usd",
                "pledged_only_usd",
                "gap_usd",
            ]
        ]
        unallocated: dict[str, float] = {}
        if len(self.result.unallocated):
            by_reason = self.result.unallocated.groupby("reason")["amount_usd"].sum()
            unallocated = {str(k): float(v) for k, v in by_reason.items()}
        targets = self.result.targets if len(self.result.targets) else pd.DataFrame()
        return {
            "title": self.plan.title,
            "illustrative": bool(self.plan.illustrative),
            "scenario": self.scenario.name,
            "years": self.plan.years,
            "totals": dict(self.totals),
            "lines": gaps.to_records(lines),
            "gaps": {k: gaps.to_records(v) for k, v in self.breakdowns.items()},
            "gaps_overlapping": [
                k for k, v in self.breakdowns.items() if v.attrs.get("overlapping")
            ],
            "donor_base": donor_base.anonymise_breadth(self.donor_base, names),
            "stress": self.stress.to_dict(names) if self.stress is not None else None,
            "risk": self.risk.to_dict(names) if self.risk is not None else None,
            "targets": gaps.to_records(targets),
            "solver": self.result.solver.to_dict(),
            "unallocated_by_reason": unallocated,
            "allocations": gaps.to_records(anonymise(self.result.allocations, names))
            if len(self.result.allocations)
            else [],
            "warnings": list(self.warnings),
        }


def analyse(
    plan: Plan,
    scenario: Scenario,
    result: AllocationResult | None = None,
    *,
    previous_donors: Iterable[str] | None = None,
    stress_top: int = 3,
    stress_donors: Sequence[Sequence[str]] = (),
    draws: int = 0,
    seed: int | None = None,
    workers: int = 2,
    progress: risk.ProgressCallback | None = None,
    should_stop: risk.StopCheck | None = None,
) -> Analysis:
    """Compute every analysis of one plan under one scenario.

    ``result``: the allocation when already solved (solved here otherwise). ``stress_top``:
    stress cases without the top 1..k donors (0: none). ``stress_donors``: extra cases, one per
    named donor set (unknown names raise :class:`models.stress.UnknownDonor`). ``draws``: pledge
    -risk simulation draws (0: no simulation); ``seed`` defaults to ``scenario.risk.seed``.
    """
    if result is None:
        result = allocation.allocate(plan, scenario)
    warnings: list[str] = []
    if not result.ok:
        warnings.append(
            f"the allocation did not solve ({result.solver.status}): gaps show nothing funded"
        )
    breakdowns = gaps.all_breakdowns(plan, result)
    report = None
    if stress_top > 0 or stress_donors:
        report = stress.run(plan, scenario, top_k=stress_top, named=stress_donors, baseline=result)
    simulation = None
    if draws > 0:
        simulation = risk.simulate(
            plan,
            scenario,
            draws=draws,
            seed=seed,
            workers=workers,
            progress=progress,
            should_stop=should_stop,
        )
    return Analysis(
        plan=plan,
        scenario=scenario,
        result=result,
        totals=gaps.totals(plan, result),
        breakdowns=breakdowns,
        donor_base=donor_base.breadth(plan, previous_donors),
        stress=report,
        risk=simulation,
        warnings=warnings,
    )
