"""Appeal page logic: preview tables of the appeal and its downloads (the workbook, the
narrative document, a donor's one-page brief), confidential donors always anonymised."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from appeal.service import PlanRun
from appeal.workbook import write_appeal_workbook
from dashboards.logic import words
from dashboards.state import write_temp_path
from models import gaps
from models.plan import Plan

TOP_ASKS = 10


def year_table(run: PlanRun) -> pd.DataFrame:
    """Requirement, funded, firm, gap and coverage by year."""
    return gaps.breakdown(run.plan, run.result, "year")[
        ["year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd", "coverage"]
    ]


def category_table(run: PlanRun) -> pd.DataFrame:
    """Requirement, funded, gap and coverage by category (categories in words)."""
    out = gaps.breakdown(run.plan, run.result, "category")[
        ["category", "requirement_usd", "funded_usd", "gap_usd", "coverage"]
    ].copy()
    out["category"] = [words.label("category", c) for c in out["category"]]
    return out


def top_asks(run: PlanRun, n: int = TOP_ASKS) -> pd.DataFrame:
    """The asks worth most: lines with a gap ranked by what the next dollar buys there (the
    objective value of one more USD in its unmet years, from the solved model), then by the
    size of the gap — not by priority tier alone, since a half-funded tier-1 line's next
    dollar can be worth less than an unfunded tier-2 line's."""
    lines = gaps.breakdown(run.plan, run.result, "line")
    tiers = dict(
        zip(
            run.plan.programmes["line_id"].astype(str),
            run.plan.programmes["priority"].astype(int),
            strict=True,
        )
    )
    lines["tier"] = lines["line_id"].astype(str).map(tiers)
    ly = gaps.line_years(run.plan, run.result)
    open_years = ly[ly["gap_usd"] > 0.5][["line_id", "year"]]
    mv = run.result.line_marginal_value
    if mv is not None and len(mv):
        value = (
            open_years.merge(mv.astype({"line_id": str}), on=["line_id", "year"], how="left")
            .groupby("line_id")["value_per_usd"]
            .max()
        )
    else:  # no duals (a failed solve): the tier's weight
        weights = run.scenario.weights.tier
        value = lines.set_index("line_id")["tier"].map(lambda t: float(weights.get(int(t), 1.0)))
    lines["value_per_usd"] = lines["line_id"].astype(str).map(value).fillna(0.0)
    asks = lines[lines["gap_usd"] > 0.5].sort_values(
        ["value_per_usd", "gap_usd"], ascending=[False, False]
    )
    columns = ["line_id", "name", "tier", "value_per_usd", "requirement_usd", "gap_usd", "coverage"]
    return asks[columns].head(n).reset_index(drop=True)


def workbook_filename(run: PlanRun, *, draft: bool = False, suffix: str = ".xlsx") -> str:
    """A download name from the scenario name (letters, digits, dashes only); a scenario with
    unsaved changes is named a draft."""
    label = "-draft-unsaved-changes" if draft else ""
    return f"appeal-{_safe(run.scenario.name)}{label}{suffix}"


def _safe(name: str) -> str:
    """``name`` with letters, digits, dashes and underscores only (a file name part)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-") or "x"


def document_bytes(run: PlanRun, suffix: str, *, draft: bool = False) -> bytes:
    """The narrative appeal document of ``run`` as a ``.pdf`` or ``.docx`` file's bytes."""
    from appeal.document import appeal_document, render

    return render(appeal_document(run, draft=draft, reveal=False), suffix)


def brief_choices(plan: Plan) -> list[str]:
    """The donors a brief can be made for, largest first, as shown (confidential ones by
    alias): the plan's donors, whatever the scenario, so no solve is needed for the list."""
    from appeal.asks import plan_donor_profiles

    return [p.shown for p in plan_donor_profiles(plan, reveal=False)]


def brief_bytes(run: PlanRun, shown: str, *, draft: bool = False) -> tuple[str, bytes]:
    """The one-page brief (PDF) for the donor shown as ``shown``, and its download name.

    Matched on the shown names only, so a confidential donor's real name finds no one, exactly
    like an unknown name (:class:`appeal.asks.AsksError`): the browser cannot confirm a guess.
    """
    from appeal.asks import AsksError, brief_pdf, donor_profiles

    profile = next((p for p in donor_profiles(run, reveal=False) if p.shown == shown), None)
    if profile is None:
        raise AsksError("choose a donor from the list")
    data = brief_pdf(run, profile, draft=draft, reveal=False)
    return f"brief-{_safe(profile.shown)}-{_safe(run.scenario.name)}.pdf", data


def workbook_bytes(
    run: PlanRun, *, draft: tuple[str, ...] | list[str] = (), notes: Any = None
) -> bytes:
    """The appeal workbook of ``run`` (confidential donors anonymised) as bytes; ``draft``
    lists the unsaved settings (the Summary then says so), ``notes`` fills the Notes sheet."""
    path = write_temp_path(".xlsx")
    try:
        write_appeal_workbook(path, run, reveal_confidential=False, draft=draft, notes=notes)
        return path.read_bytes()
    finally:
        os.unlink(path)
