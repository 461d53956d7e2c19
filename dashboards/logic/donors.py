"""Donor-base page logic: breadth figures, money flows, stress tests and the risk simulation,
always with confidential donors anonymised before anything leaves the server."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from appeal.service import PlanRun
from dashboards.logic import words
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
    amounts = {d["donor"]: d["programmable_usd"] for d in donor_base.breadth(run.plan)["donors"]}
    out["removed"] = [(aliases.get(d, d), float(amounts.get(d, 0.0))) for d in donors]
    out["breadth_before"] = {k: case.breadth_before[k] for k, _, _ in STRESS_FIGURES}
    return out


# (figure key, label, kind) of the donor-base figures a stress test reports, in that order.
STRESS_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("donor_count", "Donors", "count"),
    ("hhi", "HHI (0-10,000)", "number"),
    ("effective_donors", "Effective donors", "number"),
    ("top1_share", "Largest donor's share", "share"),
    ("flexible_share", "Flexible share", "share"),
)


def concentration_sentence(before: float, after: float) -> str:
    """What a change of HHI means, worded the right way round: a higher HHI is a more
    concentrated donor base (a smaller base usually is)."""
    if after > before + 0.5:
        return (
            f"HHI rises from {before:,.0f} to {after:,.0f}: the smaller donor base is more "
            "concentrated, so the appeal depends more on its largest donors."
        )
    if after < before - 0.5:
        return (
            f"HHI falls from {before:,.0f} to {after:,.0f}: the money left is spread more "
            "evenly, though there is less of it."
        )
    return f"HHI stays at {after:,.0f}: concentration does not change."


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


# -- one-sentence summaries of the charts (their text alternatives too) -----------------------
def sankey_summary(flows: pd.DataFrame, programmes: pd.DataFrame) -> str:
    if flows.empty:
        return "Nothing is allocated yet."
    by_donor = flows.groupby("donor")["amount_usd"].sum().sort_values(ascending=False)
    cats = (
        flows.merge(
            programmes[["line_id", "category"]].astype({"line_id": str}), on="line_id", how="left"
        )
        .groupby("category")["amount_usd"]
        .sum()
    )
    top_cat = str(cats.idxmax())
    total = float(by_donor.sum())
    largest = float(by_donor.iloc[0])
    return (
        f"{len(by_donor)} donors fund {words.usd_m(total)}; the largest, {by_donor.index[0]}, "
        f"gives {words.usd_m(largest)} ({largest / total:.0%}); "
        f"{words.label('category', top_cat)} receives the most "
        f"({words.usd_m(float(cats.max()))})."
    )


def lorenz_summary(b: dict[str, Any]) -> str:
    return (
        f"The largest donor gives {b['top1_share']:.0%} and the three largest "
        f"{b['top3_share']:.0%} of the money (Gini {b['gini']:.2f}; 0 would be equal giving)."
    )


def treemap_summary(b: dict[str, Any]) -> str:
    types = b.get("by_donor_type") or {}
    if not types:
        return "No pledges in the horizon."
    top, share = next(iter(types.items()))
    return (
        f"{words.label('donor_type', top)}s give {share:.0%} of the money; each box shows a "
        "donor type, region or donor with its amount."
    )


def earmarking_summary(b: dict[str, Any]) -> str:
    verdict = "meets" if b["flexible_share"] >= b["grand_bargain_target"] else "falls short of"
    return (
        f"Flexible money is {b['flexible_share']:.0%} of the total, which {verdict} the "
        f"{b['grand_bargain_target']:.0%} aim."
    )


def stress_summary(frame: pd.DataFrame) -> str:
    hit = frame[frame["gap_change"] > 0.5]
    if hit.empty:
        return "No line loses funding."
    worst = hit.sort_values("gap_change", ascending=False).iloc[0]
    return (
        f"{len(hit)} line(s) lose funding; the gap grows most for {worst['line_id']} "
        f"({words.usd_m(float(worst['gap_change']))})."
    )
