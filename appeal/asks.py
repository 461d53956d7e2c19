"""Tailored asks per donor: the open gaps each donor could fund, best use of its money first.

Read top to bottom:

- :func:`donor_profiles` — every current donor's profile from its pledges
  (:func:`models.asks.profile_from_pledges`), confidential donors under their alias;
- :func:`read_prospects` — prospective donors the team describes in a small table (csv or
  xlsx, one row per prospect; columns below), checked against the programmes with errors
  naming file, sheet, row and column;
- :func:`line_values` — what a dollar earmarked to each line with a gap buys
  (:func:`models.line_value.earmarked_values`, computed once per run);
- :func:`asks_for` — one donor's ranked asks (:func:`models.asks.rank_asks`);
- :func:`write_asks` — the briefs, one page per donor (PDF) or one sheet per donor (xlsx).

Prospects table (headers matched ignoring case, spaces and underscores; lists ``;``-separated)::

    donor               required: the prospect's name
    donor_type          member_state | intergovernmental | private | un_fund | other
    pillars             I-IV, e.g. "II; IV"
    themes              e.g. "gender; human_rights"
    entities            e.g. "UNODC; UN Women"
    categories          leadership | coordination | flagship | entity
    lines               line_ids it would earmark to
    earmarking          the kinds it usually gives: unearmarked | softly earmarked | earmarked
    typical_amount_usd  a typical contribution (else the plan's median pledge of its type)

The dashboard will call :func:`asks_for` for the table and :func:`brief_pdf` for a one-page
download.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils.indexed_list import IndexedList

from appeal import spreadsheet as ss
from appeal.atomic import check_target as _check_target
from appeal.atomic import write_atomically
from models.analytics import PlanRun
from models.asks import (
    DonorProfile,
    line_gaps,
    profile_from_pledges,
    prospect_profile,
    rank_asks,
    typical_contribution,
    unknown_targets,
)
from models.eligibility import EligibilityIndex, normalise_theme
from models.gaps import line_years
from models.line_value import earmarked_values
from models.plan import CATEGORIES, DONOR_TYPES, PILLARS, Plan, split_list
from models.privacy import donor_aliases

__all__ = [
    "PROSPECT_COLUMNS",
    "AsksError",
    "asks_for",
    "brief_pdf",
    "check_target",
    "donor_profiles",
    "line_values",
    "read_prospects",
    "write_asks",
]

PROSPECT_COLUMNS = (
    "donor",
    "donor_type",
    "pillars",
    "themes",
    "entities",
    "categories",
    "lines",
    "earmarking",
    "typical_amount_usd",
)
FORMATS = (".pdf", ".xlsx")
_EARMARKING = {"unearmarked": "unearmarked", "softly earmarked": "softly_earmarked",
               "soft": "softly_earmarked", "earmarked": "earmarked",
               "tightly earmarked": "tightly_earmarked"}  # fmt: skip


class AsksError(ValueError):
    """Bad input for the asks (a prospects file, a donor name, a target path)."""


# ---------------------------------------------------------------------------------------------
# who is asked
# ---------------------------------------------------------------------------------------------
def donor_profiles(run: PlanRun, *, reveal: bool = False) -> list[DonorProfile]:
    """Every donor of the run's plan, largest first, confidential ones under their alias."""
    return plan_donor_profiles(run.plan, reveal=reveal)


def plan_donor_profiles(plan: Plan, *, reveal: bool = False) -> list[DonorProfile]:
    """Every donor of ``plan``, largest first, confidential ones under their alias (what a
    donor gave does not depend on any scenario, so no solve is needed)."""
    aliases = donor_aliases(plan, reveal=reveal)
    profiles = [profile_from_pledges(plan, d, aliases.get(d, d)) for d in aliases]
    return sorted(profiles, key=lambda p: (-p.given_usd, p.shown))


def find_donor(profiles: Sequence[DonorProfile], name: str) -> DonorProfile:
    """The profile named ``name`` (as shown, or the plan's own name; case-insensitive)."""
    key = name.strip().casefold()
    for p in profiles:
        if key in (p.shown.casefold(), p.donor.casefold()):
            return p
    shown = ", ".join(p.shown for p in profiles[:12])
    more = " ..." if len(profiles) > 12 else ""
    raise AsksError(f"no donor or prospect named {name!r}; known: {shown}{more}")


def read_prospects(path: str | Path, run: PlanRun) -> list[DonorProfile]:
    """The prospects described in a csv/xlsx file; every problem in one :class:`AsksError`."""
    data, name = _source(path)
    rows = _rows(data, name)
    header_at, columns = _header(rows, name)
    index = EligibilityIndex(run.plan.programmes)
    entities = {str(e).casefold(): str(e) for e in run.plan.programmes["entity"]}
    lines = {str(x).casefold(): str(x) for x in run.plan.programmes["line_id"]}
    problems: list[str] = []
    profiles: list[DonorProfile] = []
    seen: set[str] = set()
    for number, values in rows[header_at + 1 :]:
        cell = {c: values[i] if i < len(values) else None for c, i in columns.items()}
        if all(ss.is_blank(v) for v in cell.values()):
            continue
        where = f"{name}, row {number}"

        def bad(column: str, message: str, where: str = where) -> None:
            problems.append(f"{where}, column {column}: {message}")

        donor = ss.clean_text(cell.get("donor"))
        if not donor:
            bad("donor", "a prospect needs a name")
            continue
        if donor.casefold() in seen:
            bad("donor", f"{donor!r} is listed twice")
        seen.add(donor.casefold())
        pillars = []
        for p in _list(cell.get("pillars")):
            if p.upper() in PILLARS:
                pillars.append(p.upper())
            else:
                bad("pillars", f"{p!r} is not a pillar (I, II, III or IV)")
        themes = [normalise_theme(t) for t in _list(cell.get("themes"))]
        ents = []
        for e in _list(cell.get("entities")):
            if e.casefold() in entities:
                ents.append(entities[e.casefold()])
            else:
                bad("entities", f"no programme of entity {e!r}")
        cats = [c.casefold() for c in _list(cell.get("categories"))]
        for c in cats:
            if c not in CATEGORIES:
                bad("categories", f"{c!r} is not one of {', '.join(CATEGORIES)}")
        line_ids = []
        for x in _list(cell.get("lines")):
            if x.casefold() in lines:
                line_ids.append(lines[x.casefold()])
            else:
                bad("lines", f"{x!r} is not a line_id of the programmes")
        kinds = []
        for k in _list(cell.get("earmarking")):
            kind = _EARMARKING.get(" ".join(k.casefold().replace("_", " ").split()))
            if kind is None:
                bad("earmarking", f"{k!r} is not unearmarked, softly earmarked or earmarked")
            else:
                kinds.append(kind)
        donor_type = ss.clean_text(cell.get("donor_type")).casefold().replace(" ", "_")
        if donor_type and donor_type not in DONOR_TYPES:
            bad("donor_type", f"{donor_type!r} is not one of {', '.join(DONOR_TYPES)}")
        typical = None
        if not ss.is_blank(cell.get("typical_amount_usd")):
            try:
                typical = ss.parse_number(cell["typical_amount_usd"], what="typical_amount_usd")
            except ss.CellError as exc:
                bad("typical_amount_usd", str(exc))
            else:
                if typical <= 0:
                    bad("typical_amount_usd", "must be more than 0")
        profile = prospect_profile(
            donor,
            pillars=pillars,
            themes=themes,
            entities=ents,
            categories=[c for c in cats if c in CATEGORIES],
            lines=line_ids,
            earmarking=kinds,
            typical_usd=typical,
            donor_type=donor_type,
        )
        for message in unknown_targets(profile, index):
            bad("themes", message)  # entities, categories and lines are checked above
        profiles.append(profile)
    if problems:
        raise AsksError("\n".join(problems))
    if not profiles:
        raise AsksError(f"{name}: no prospects in the file")
    return profiles


def _source(path: str | Path) -> tuple[bytes, str]:
    try:
        return ss.source_bytes(path)
    except ss.SpreadsheetError as exc:
        raise AsksError(f"{exc.file}: {exc.message}") from None


def _rows(data: bytes, name: str) -> list[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of the csv or of the workbook's first sheet."""
    try:
        return [(number, tuple(values)) for number, values in ss.first_sheet_rows(data, name)]
    except ss.SpreadsheetError as exc:
        raise AsksError(f"{exc.file}: {exc.message}") from None


def _header(rows: list[tuple[int, tuple[Any, ...]]], name: str) -> tuple[int, dict[str, int]]:
    known = {ss.header_key(c): c for c in PROSPECT_COLUMNS}
    for i, (_number, values) in enumerate(rows[: ss.HEADER_SEARCH_ROWS]):
        columns = {known[k]: j for j, v in enumerate(values) if (k := ss.header_key(v)) in known}
        if "donor" in columns:
            return i, columns
    raise AsksError(f"{name}: no header row with a 'donor' column in the first rows")


def _list(value: object) -> list[str]:
    return list(split_list(ss.clean_text(value))) if not ss.is_blank(value) else []


# ---------------------------------------------------------------------------------------------
# what to ask for
# ---------------------------------------------------------------------------------------------
def _gaps(run: PlanRun) -> pd.DataFrame:
    return line_gaps(line_years(run.plan, run.result))


def line_values(run: PlanRun) -> pd.DataFrame:
    """Value per USD earmarked to each line with an open gap (re-solves the run's model)."""
    gaps = _gaps(run)
    return earmarked_values(
        run.plan, run.scenario, dict(zip(gaps["line_id"].astype(str), gaps["gap_usd"], strict=True))
    )


def asks_for(
    run: PlanRun, profile: DonorProfile, *, values: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``profile``'s asks for ``run``: columns :data:`models.asks.ASK_COLUMNS`, best first.
    Pass ``values`` (:func:`line_values`) when asking for several donors of one run."""
    if values is None:
        values = line_values(run)
    return rank_asks(
        profile,
        _gaps(run),
        values,
        EligibilityIndex(run.plan.programmes),
        fallback_typical_usd=typical_contribution(run.plan, profile.donor_type),
    )


# ---------------------------------------------------------------------------------------------
# the briefs
# ---------------------------------------------------------------------------------------------
def check_target(path: str | Path) -> Path:
    """The briefs' path, or :class:`AsksError` when it cannot be one."""
    return _check_target(path, FORMATS, AsksError, "the briefs must be a .pdf or .xlsx file")


def briefs(
    run: PlanRun, profiles: Sequence[DonorProfile], *, reveal: bool = False
) -> Iterator[tuple[DonorProfile, pd.DataFrame]]:
    """Each profile with its asks (line values computed once)."""
    values = line_values(run)
    for p in profiles:
        yield p, asks_for(run, p, values=values)


def brief_pdf(
    run: PlanRun,
    profile: DonorProfile,
    *,
    as_at: dt.date | None = None,
    draft: bool = False,
    reveal: bool = False,
    values: pd.DataFrame | None = None,
) -> bytes:
    """One donor's one-page brief as PDF bytes (the dashboard's download)."""
    from appeal.document import render
    from appeal.document.brief import brief_document

    asks = asks_for(run, profile, values=values)
    day = as_at or dt.date.today()
    return render(
        brief_document(run, [(profile, asks)], as_at=day, draft=draft, reveal=reveal), ".pdf"
    )


def write_asks(
    path: str | Path,
    run: PlanRun,
    profiles: Sequence[DonorProfile],
    *,
    as_at: dt.date | None = None,
    draft: bool = False,
    reveal: bool = False,
) -> Path:
    """Write the briefs of ``profiles``: one page each (.pdf) or one sheet each (.xlsx)."""
    from appeal.document import render
    from appeal.document.brief import brief_document, brief_rows

    target = check_target(path)
    asked = list(briefs(run, profiles, reveal=reveal))
    day = as_at or dt.date.today()
    if target.suffix.lower() == ".pdf":
        doc = brief_document(run, asked, as_at=day, draft=draft, reveal=reveal)
        data = render(doc, ".pdf")
        return write_atomically(target, lambda tmp: tmp.write_bytes(data), AsksError)
    return write_atomically(
        target,
        lambda tmp: _workbook(run, asked, day, draft, reveal, brief_rows).save(tmp),
        AsksError,
    )


def _workbook(
    run: PlanRun,
    asked: list[tuple[DonorProfile, pd.DataFrame]],
    day: dt.date,
    draft: bool,
    reveal: bool,
    brief_rows: Any,
) -> Workbook:
    """One sheet per donor, through the appeal workbook's engine (safe text, house styles,
    print set-up)."""
    from appeal.workbook.engine import CellStyles, Engine
    from appeal.workbook.layout import Sheet
    from appeal.workbook.styles import TEXT_FALLBACK, TEXT_STYLES, default_font, named_styles
    from appeal.workbook.xlsx_safety import safe_sheet_name
    from models.privacy import name_scrubber

    wb = Workbook(write_only=True)
    wb._fonts = IndexedList([default_font()])
    styles = CellStyles(
        wb, named_styles().items(), text_styles=TEXT_STYLES, text_fallback=TEXT_FALLBACK
    )
    scrub = name_scrubber(donor_aliases(run.plan, reveal=reveal))
    engine = Engine(wb, styles, scrub=scrub)
    taken: list[str] = []
    for profile, asks in asked:
        title = safe_sheet_name(profile.shown, taken)
        taken.append(title)
        sh = Sheet(engine, title, hxl=False)
        brief_rows(sh, run, profile, asks, as_at=day, draft=draft)
        sh.finish()
    return wb
