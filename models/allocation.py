"""PLACEHOLDER — replaced by the allocation engine (issue 3).

Public surface the rest of the product calls:

    allocate(plan: Plan, scenario: Scenario) -> AllocationResult
"""

from __future__ import annotations

import pandas as pd

from models.plan import Plan
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario


def allocate(plan: Plan, scenario: Scenario) -> AllocationResult:
    lines = plan.requirements.copy()
    lines["funded_usd"] = 0.0
    lines["firm_usd"] = 0.0
    lines["gap_usd"] = lines["requirement_usd"]
    unallocated = plan.tranches.groupby("pledge_id", as_index=False)["programmable_usd"].sum()
    unallocated = unallocated.merge(plan.pledges[["pledge_id", "donor"]], on="pledge_id")
    unallocated = unallocated.rename(columns={"programmable_usd": "amount_usd"})
    unallocated["reason"] = "allocation_engine_not_built"
    return AllocationResult(
        allocations=pd.DataFrame(
            columns=["pledge_id", "donor", "line_id", "year", "amount_usd", "source_year", "status"]
        ),
        unallocated=unallocated[["pledge_id", "donor", "amount_usd", "reason"]],
        lines=lines[["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"]],
        targets=pd.DataFrame(columns=["name", "target", "achieved", "shortfall_usd"]),
        solver=SolverInfo(name="none", status="optimal", seconds=0.0),
    )
