"""The book model: everything the appeal workbook's sheets show, computed once and typed.

:func:`book_model` reads one :class:`appeal.pipeline.PlanRun` (and, when given, the
:class:`models.analytics.Analysis` of the same run, whose donor-base figures and breakdowns are
then used as they are) and returns a :class:`BookModel`. The sheets read only the model, so
what they show and where it comes from are in one place; the privacy rule (confidential donors
as "Anonymous donor N", names scrubbed from any text) is applied here too.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from models import donor_base, gaps
from models.asks import GAP_COLUMNS, line_gaps
from models.narrative import Narrative, line_narratives
from models.plan import Plan
from models.privacy import donor_aliases, name_scrubber
from models.result import AllocationResult
from models.scenario import Scenario

if TYPE_CHECKING:
    from appeal.pipeline import PlanRun
    from models.analytics import Analysis

__all__ = ["SOFTWARE", "BookModel", "book_model"]

SOFTWARE = "appeal-planner"

# Columns of the ranked gaps (one row per line with unmet requirement over the horizon).
_RANKED_COLUMNS = [*GAP_COLUMNS, "coverage"]
# Explanation columns an engine may leave out, with the value a missing one shows.
_EXPLANATION_DEFAULTS: dict[str, str | None] = {
    "tier": None,
    "requirement_usd": None,
    "funded_usd": None,
    "coverage": None,
    "reason": "",
    "text": "",
}


@dataclass(frozen=True)
class BookModel:
    """What the workbook shows. Money in programmable USD, unrounded (equal to the JSON)."""

    plan: Plan
    scenario: Scenario
    result: AllocationResult
    import_report: Mapping[str, Any]
    hxl: bool  # an HXL hashtag row under every table header
    reveal: bool  # confidential donors named (internal use only)
    aliases: Mapping[str, str]  # donor -> the name the workbook shows
    scrub: Callable[[str], str]  # removes confidential donors' names from any text
    breadth: Mapping[str, Any]  # donor-base figures (models.donor_base.breadth), anonymised
    by_category: pd.DataFrame  # models.gaps.breakdown by category
    by_pillar: pd.DataFrame  # ... by pillar (the even split of multi-pillar lines)
    years: tuple[int, ...]  # the horizon, sorted
    programmes: pd.DataFrame  # indexed by line_id (str)
    names: Mapping[str, str]  # line_id -> programme name
    lines: pd.DataFrame  # models.gaps.line_years with the result's own gap_usd
    ranked_gaps: pd.DataFrame  # lines with unmet need, by priority tier then largest gap
    explanations: pd.DataFrame  # result.explanations with every column the sheet shows
    narratives: Mapping[str, Narrative]  # line_id -> its narrative (models.narrative)
    generated: str  # "YYYY-MM-DD HH:MM:SS UTC"
    version: str  # the software's version
    # The settings an unsaved scenario changes against its saved version ("draft" when any).
    draft: tuple[str, ...] = ()
    notes: pd.DataFrame | None = None  # the working group's notes (kind, target, author, at, text)

    def donor(self, name: object) -> str:
        """The name the workbook shows for donor ``name``."""
        return self.aliases.get(str(name), str(name))


def book_model(
    run: PlanRun,
    *,
    analysis: Analysis | None = None,
    reveal: bool = False,
    hxl: bool = False,
    draft: tuple[str, ...] = (),
    notes: pd.DataFrame | None = None,
) -> BookModel:
    """The model of the workbook for ``run``."""
    plan = run.plan
    aliases = donor_aliases(plan, reveal=reveal)
    programmes, lines = _line_frame(run)
    if analysis is not None and "donor_count" in analysis.donor_base:
        breadth = dict(analysis.donor_base)
    else:
        breadth = donor_base.breadth(plan)
    return BookModel(
        plan=plan,
        scenario=run.scenario,
        result=run.result,
        import_report=run.import_report or {},
        hxl=hxl,
        reveal=reveal,
        aliases=aliases,
        scrub=name_scrubber(aliases),
        breadth=donor_base.anonymise_breadth(breadth, aliases),
        by_category=_breakdown(run, analysis, "category"),
        by_pillar=_breakdown(run, analysis, "pillar"),
        years=tuple(sorted(set(plan.years) | {int(y) for y in lines["year"]})),
        programmes=programmes,
        names={str(k): str(v) for k, v in programmes["name"].items()},
        lines=lines,
        ranked_gaps=_ranked_gaps(lines),
        explanations=_explanations(run.result.explanations),
        narratives=line_narratives(programmes),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=_software_version(),
        draft=tuple(draft),
        notes=notes,
    )


def _software_version() -> str:
    try:
        return importlib.metadata.version(SOFTWARE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _breakdown(run: PlanRun, analysis: Analysis | None, by: str) -> pd.DataFrame:
    """A :func:`models.gaps.breakdown` (the analysis' own copy when one was passed in)."""
    if analysis is not None and isinstance(analysis.breakdowns.get(by), pd.DataFrame):
        return analysis.breakdowns[by]
    return gaps.breakdown(run.plan, run.result, by)


def _line_frame(run: PlanRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(programmes indexed by line_id, line-years with programme attributes).

    The line-years are :func:`models.gaps.line_years` (the same table every other surface
    uses; it falls back to the requirements when the run has no line table); the result's own
    ``gap_usd`` is kept where it exists so the workbook shows exactly what the JSON holds.
    """
    programmes = run.plan.programmes.copy()
    programmes["line_id"] = programmes["line_id"].astype(str)
    programmes = programmes.drop_duplicates("line_id").set_index("line_id", drop=False)
    lines = gaps.line_years(run.plan, run.result)
    if len(run.result.lines) and "gap_usd" in run.result.lines:
        own = run.result.lines[["line_id", "year", "gap_usd"]].copy()
        own["line_id"] = own["line_id"].astype(str)
        own["year"] = own["year"].astype(int)
        lines = lines.drop(columns="gap_usd").merge(own, on=["line_id", "year"], how="left")
        lines["gap_usd"] = lines["gap_usd"].astype(float)
    lines["name"] = lines["name"].fillna(lines["line_id"]).astype(str)
    lines["category"] = lines["category"].fillna("").astype(str)
    lines["entity"] = lines["entity"].fillna("").astype(str)
    lines["priority"] = lines["priority"].fillna(0).astype(int)
    return programmes, lines


def _ranked_gaps(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines with unmet requirement over the horizon, by priority tier then largest gap."""
    if not len(lines):
        return pd.DataFrame(columns=_RANKED_COLUMNS)
    grouped = line_gaps(lines)
    grouped["coverage"] = [
        f / r if r > 0 else 0.0
        for f, r in zip(grouped["funded_usd"], grouped["requirement_usd"], strict=True)
    ]
    grouped = grouped.loc[grouped["gap_usd"] > 0.005]
    return grouped.sort_values(
        ["priority", "gap_usd", "line_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)[_RANKED_COLUMNS]


def _explanations(frame: pd.DataFrame) -> pd.DataFrame:
    """The result's explanations with every column the Allocation plan sheet shows."""
    missing = [c for c in _EXPLANATION_DEFAULTS if c not in frame]
    if not missing or not len(frame):
        return frame
    frame = frame.copy()
    for c in missing:
        frame[c] = _EXPLANATION_DEFAULTS[c]
    return frame
