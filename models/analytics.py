"""One plan solved under one scenario, and the analytics computed on it: :class:`PlanRun`.

The single result holder every surface reads (the command line, the JSON, the workbook and the
dashboard). Totals and gap breakdowns (:mod:`models.gaps`) and donor-base breadth
(:mod:`models.donor_base`) are computed on first use and kept; :func:`analyse` adds the
donor-loss stress cases (:mod:`models.stress`) and the pledge-risk simulation
(:mod:`models.risk`) when asked for. :meth:`PlanRun.to_dict` is JSON-safe and shows
confidential donors as "Anonymous donor N" (:mod:`models.privacy`) unless ``reveal=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from models import donor_base, gaps
from models.plan import Plan
from models.privacy import anonymise, donor_aliases
from models.result import AllocationResult
from models.scenario import Scenario

if TYPE_CHECKING:
    # Stress cases and the simulation are imported when asked for: most runs need neither.
    from models.risk import ProgressCallback, RiskResult, StopCheck
    from models.stress import StressReport

__all__ = ["GAP_VIEWS", "PlanRun", "analyse"]

GAP_VIEWS = ("line", "category", "entity", "pillar", "theme", "year", "category_year")


@dataclass(eq=False)
class PlanRun:
    """A plan, the scenario it was solved under, the allocation, the import report of the plan's
    files (empty for a plan from the register) and whatever analytics were computed on it.

    Frames hold real donor names; :meth:`to_dict` anonymises them. Treat the plan and the
    result as read-only: the cached figures are computed from them once.
    """

    plan: Plan
    scenario: Scenario
    result: AllocationResult
    import_report: dict[str, Any] = field(default_factory=dict)
    #: donors of the previous appeal cycle (counts new donors in :attr:`donor_base`)
    previous_donors: tuple[str, ...] | None = None
    stress: StressReport | None = None
    risk: RiskResult | None = None

    @cached_property
    def totals(self) -> dict[str, float]:
        """Requirement, funded, firm, pledged-only, gap and coverage over the whole plan."""
        return gaps.totals(self.plan, self.result)

    @cached_property
    def breakdowns(self) -> dict[str, pd.DataFrame]:
        """Gap tables by every view of :func:`models.gaps.all_breakdowns`."""
        return gaps.all_breakdowns(self.plan, self.result)

    @cached_property
    def donor_base(self) -> dict[str, Any]:
        """Donor-base breadth (:func:`models.donor_base.breadth`), real donor names."""
        return donor_base.breadth(self.plan, self.previous_donors)

    @property
    def warnings(self) -> list[str]:
        if self.result.ok:
            return []
        return [
            f"the allocation did not solve ({self.result.solver.status}): gaps show nothing funded"
        ]

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
            "warnings": self.warnings,
        }


def analyse(
    plan: Plan,
    scenario: Scenario,
    result: AllocationResult | None = None,
    *,
    import_report: dict[str, Any] | None = None,
    previous_donors: Iterable[str] | None = None,
    stress_top: int = 3,
    stress_donors: Sequence[Sequence[str]] = (),
    draws: int = 0,
    seed: int | None = None,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> PlanRun:
    """Compute every analysis of one plan under one scenario.

    ``result``: the allocation when already solved (solved here otherwise). ``stress_top``:
    stress cases without the top 1..k donors (0: none). ``stress_donors``: extra cases, one per
    named donor set (unknown names raise :class:`models.stress.UnknownDonor`). ``draws``: pledge
    -risk simulation draws (0: no simulation); ``seed`` defaults to ``scenario.risk.seed``.
    """
    if result is None:
        from models.allocation import allocate

        result = allocate(plan, scenario)
    run = PlanRun(
        plan=plan,
        scenario=scenario,
        result=result,
        import_report=dict(import_report or {}),
        previous_donors=None if previous_donors is None else tuple(previous_donors),
    )
    if stress_top > 0 or stress_donors:
        from models import stress

        run.stress = stress.run(
            plan, scenario, top_k=stress_top, named=stress_donors, baseline=result
        )
    if draws > 0:
        from models import risk

        run.risk = risk.simulate(
            plan,
            scenario,
            draws=draws,
            seed=seed,
            workers=workers,
            progress=progress,
            should_stop=should_stop,
        )
    return run
