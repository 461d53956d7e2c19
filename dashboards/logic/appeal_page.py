"""Appeal page logic: preview tables of the appeal and the workbook download."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from appeal.service import PlanRun
from appeal.workbook import write_appeal_workbook
from dashboards.state import write_temp_path
from models import gaps

TOP_ASKS = 10


def year_table(run: PlanRun) -> pd.DataFrame:
    """Requirement, funded, firm, gap and coverage by year."""
    return gaps.breakdown(run.plan, run.result, "year")[
        ["year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd", "coverage"]
    ]


def category_table(run: PlanRun) -> pd.DataFrame:
    return gaps.breakdown(run.plan, run.result, "category")[
        ["category", "requirement_usd", "funded_usd", "gap_usd", "coverage"]
    ]


def top_asks(run: PlanRun, n: int = TOP_ASKS) -> pd.DataFrame:
    """The largest unmet requirements, highest priority first (tier, then gap)."""
    lines = gaps.breakdown(run.plan, run.result, "line")
    tiers = dict(
        zip(
            run.plan.programmes["line_id"].astype(str),
            run.plan.programmes["priority"].astype(int),
            strict=True,
        )
    )
    lines["tier"] = lines["line_id"].astype(str).map(tiers)
    asks = lines[lines["gap_usd"] > 0.5].sort_values(["tier", "gap_usd"], ascending=[True, False])
    return asks[["line_id", "name", "tier", "requirement_usd", "gap_usd", "coverage"]].head(n)


def workbook_filename(run: PlanRun, *, draft: bool = False) -> str:
    """A download name from the scenario name (letters, digits, dashes only); a scenario with
    unsaved changes is named a draft."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in run.scenario.name)
    label = "-draft-unsaved-changes" if draft else ""
    return f"appeal-{safe.strip('-') or 'scenario'}{label}.xlsx"


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
