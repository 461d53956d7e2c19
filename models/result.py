"""The outcome of one allocation run, as plain tables the rest of the product reads.

Column contracts (all money programmable USD, unrounded):

``allocations``  pledge_id, donor, line_id, year, amount_usd, source_year, status
                 (source_year: the tranche year the money arrived in; status of the pledge)
``unallocated``  pledge_id, donor, amount_usd, reason
``lines``        line_id, year, requirement_usd, funded_usd, firm_usd, gap_usd
``explanations`` line_id, tier, weight, requirement_usd, funded_usd, coverage, reason, text,
                 value_per_usd, best_use_per_usd, viable_at_extra_usd (reason is one of
                 REASONS; text is a sentence for people; the figures: see models.explain)
``line_marginal_value``  line_id, year, value_per_usd (objective value of one more USD of
                 requirement on that line-year)
``next_million`` line_id, year, amount_usd (where the next USD 1m of unearmarked money goes)
``min_viable``   line_id, min_viable_share, requirement_usd, funded_usd, status,
                 viable_at_extra_usd (status: funded | cut | not_applicable; for a cut line,
                 the extra unearmarked money at which it becomes viable, else empty)
``targets``      name, target, achieved, shortfall_usd, limited_by (only targets that are
                 on; limited_by says what keeps a short target short, one of
                 TARGET_LIMITS, "" when it is met)
``sensitivity``  parameter, value, lower, upper, domain_lower, domain_upper, note: for each
                 tier weight, the tranche weight and each target share that is on, the range
                 within which the allocation does not change (models.sensitivity)

``stability`` (a dict, None without a reference): requested, applied, line_years,
moved_usd_threshold, moved_without_stability, distance_without_stability_usd and, when the
stage ran, moved_with_stability, distance_with_stability_usd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Why a line got what it got.
REASONS = (
    "fully_funded",  # capped at its requirement
    "eligible_money_exhausted",  # no more money it may receive in time
    "lower_tier",  # higher-priority lines took the flexible money
    "tranche_spread",  # flexible money spread to reach other lines' first tranche
    "cut_below_min_viable",  # minimum-viable rule: 0 rather than less than m
    "carry_forward_limited",  # money arrived too late for early years
    "excluded",  # line has no requirement in horizon
    "policy_target",  # the flexible money it could receive is held by a policy target
    "donor_line_cap_reached",  # money is left, but donor caps keep it off the line
)

# What keeps a short policy target short.
TARGET_LIMITS = (
    "tagged_lines_fully_funded",  # the lines it counts have no unmet need left
    "tagged_lines_cut",  # the unmet need left is on lines cut below minimum viable
    "earmarked_money_kept",  # more would displace the lines' own earmarked money
    "flexible_money_exhausted",  # no more money that counts for it reaches their needs
)

# Why money stayed unallocated.
UNALLOCATED_REASONS = (
    "no_eligible_need_in_horizon",
    "stranded_by_min_viable_cut",
    "arrives_after_need",
    "eligible_lines_fully_funded",
    "arrives_after_horizon",
    "donor_excluded",
    "donor_line_cap_reached",  # scenario caps the donor's share of the lines it could fund
    "solver_error",  # the solve failed (see solver.message): nothing was allocated
)


@dataclass
class SolverInfo:
    name: str
    status: str  # optimal | time_limit_feasible | infeasible | error
    seconds: float
    mip_gap: float | None = None
    objective: float | None = None
    message: str = ""
    is_mip: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds per pipeline phase
    # The lexicographic stages run (models.stages): name, status, objective, seconds.
    stages: list[dict[str, Any]] = field(default_factory=list)
    fallback: str | None = None  # why CBC solved instead of HiGHS, when it did

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": self.seconds,
            "mip_gap": self.mip_gap,
            "objective": self.objective,
            "message": self.message,
            "is_mip": self.is_mip,
            "phases": dict(self.phases),
            "stages": [dict(s) for s in self.stages],
            "fallback": self.fallback,
        }


@dataclass
class AllocationResult:
    allocations: pd.DataFrame
    unallocated: pd.DataFrame
    lines: pd.DataFrame
    targets: pd.DataFrame
    solver: SolverInfo
    explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    flexible_marginal_value: float | None = None  # objective value of one more flexible USD
    line_marginal_value: pd.DataFrame = field(default_factory=pd.DataFrame)
    next_million: pd.DataFrame = field(default_factory=pd.DataFrame)
    min_viable: pd.DataFrame = field(default_factory=pd.DataFrame)
    pools: int = 0  # number of pools the model allocated
    stability: dict[str, Any] | None = None  # line-years moved against the reference
    sensitivity: pd.DataFrame | None = None  # ranges (models.sensitivity), when computed

    @property
    def ok(self) -> bool:
        return self.solver.status in ("optimal", "time_limit_feasible")

    def totals(self) -> dict[str, float]:
        req = float(self.lines["requirement_usd"].sum()) if len(self.lines) else 0.0
        funded = float(self.lines["funded_usd"].sum()) if len(self.lines) else 0.0
        firm = float(self.lines["firm_usd"].sum()) if len(self.lines) else 0.0
        return {
            "requirement_usd": req,
            "funded_usd": funded,
            "firm_usd": firm,
            "gap_usd": req - funded,
            "coverage": funded / req if req > 0 else 0.0,
        }
