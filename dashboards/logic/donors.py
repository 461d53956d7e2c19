"""Donor-base page logic: breadth figures, money flows, stress tests and the risk simulation,
always with confidential donors anonymised before anything leaves the server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from appeal.service import PlanRun
from models import donor_base, risk, stress
from models.plan import Plan
from models.privacy import anonymise
from models.scenario import Scenario


class StressChoiceError(ValueError):
    """The stress-test choice names nothing to remove; the message says what to pick."""


def breadth_view(plan: Plan, aliases: dict[str, str]) -> dict[str, Any]:
    """Donor-base breadth figures with donor names replaced by their aliases."""
    return donor_base.anonymise_breadth(donor_base.breadth(plan), aliases)


def flows(run: PlanRun, aliases: dict[str, str]) -> pd.DataFrame:
    """Allocations (donor alias, line_id, amount_usd) for the Sankey."""
    alloc = run.result.allocations
    if alloc is None or alloc.empty:
        return pd.DataFrame(columns=["donor", "line_id", "amount_usd"])
    out = anonymise(alloc[["donor", "line_id", "amount_usd"]], aliases)
    out["line_id"] = out["line_id"].astype(str)
    return out


def donor_options(plan: Plan, aliases: dict[str, str]) -> list[dict[str, str]]:
    """Dropdown options of every donor (label and value are the alias), largest first."""
    order = [d["donor"] for d in donor_base.breadth(plan)["donors"]]
    rest = sorted(set(map(str, plan.pledges["donor"])) - set(order))
    return [{"label": aliases.get(d, d), "value": aliases.get(d, d)} for d in [*order, *rest]]


def stress_donors(
    plan: Plan, aliases: dict[str, str], mode: str, top_k: int | None, picked: Sequence[str]
) -> tuple[list[str], str]:
    """The real donor names a stress choice removes, and a label for people."""
    if mode == "top":
        k = int(top_k or 0)
        if k < 1:
            raise StressChoiceError("choose how many of the largest donors to remove (1 or more)")
        donors = stress.top_donors(plan, k)
        return donors, f"without the top {k} donor" + ("s" if k > 1 else "")
    back = {alias: donor for donor, alias in aliases.items()}
    if not picked:
        raise StressChoiceError("pick at least one donor to remove")
    unknown = [p for p in picked if p not in back]
    if unknown:
        raise StressChoiceError("no pledge from " + ", ".join(repr(u) for u in unknown))
    return [back[p] for p in picked], "without " + ", ".join(picked)


def stress_case(
    run: PlanRun, donors: Sequence[str], label: str, aliases: dict[str, str]
) -> dict[str, Any]:
    """Re-solve without ``donors`` and return the case as an anonymised, JSON-safe dict plus
    the line table (``lines`` as a DataFrame under ``frame``)."""
    case = stress.donor_loss(run.plan, run.scenario, donors, baseline=run.result, label=label)
    out = case.to_dict(aliases)
    out["label"] = label
    out["frame"] = case.lines
    names = dict(
        zip(
            run.plan.programmes["line_id"].astype(str),
            run.plan.programmes["name"].astype(str),
            strict=True,
        )
    )
    out["below_min_viable_names"] = [f"{lid} {names.get(lid, '')}" for lid in case.below_min_viable]
    return out


def simulate(
    plan: Plan,
    scenario: Scenario,
    *,
    draws: int,
    seed: int | None,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> risk.RiskResult:
    """Run the pledge-risk simulation (thin wrapper so the page and tests share defaults)."""
    if draws < 1 or draws > 5000:
        raise risk.RiskError("draws must be between 1 and 5000")
    return risk.simulate(plan, scenario, draws=draws, seed=seed, workers=workers, progress=progress)


def risk_summary(result: risk.RiskResult) -> dict[str, Any]:
    """JSON-safe digest of a simulation for the page (no donor names)."""
    data = result.to_dict()
    return {
        "draws": result.draws,
        "draws_done": result.draws_done,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
        "failed_draws": result.failed_draws,
        "totals": data["totals"],
        "by_line": data["by_line"],
        "min_viable": data["min_viable"],
        "total_funded_draws": list(result.total_funded_draws),
    }
