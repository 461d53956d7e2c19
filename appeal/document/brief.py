"""A donor brief: one page for one donor or prospect — where its money would matter most.

:func:`brief_section` builds the page's content once (blocks, as the appeal document's):
what the donor gives and usually funds, where its first (or next) contribution would matter
most, and its ranked asks with a suggested size. :func:`brief_document` puts several on one
PDF, a page each; :func:`brief_rows` writes the same blocks onto a worksheet (the .xlsx of
``appeal asks``). Confidential donors appear only under their alias: the profile carries the
name to show, and every string is scrubbed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from appeal.document.blocks import (
    Block,
    Document,
    KeyFigures,
    Meta,
    Paragraph,
    Section,
    Table,
    map_text,
)
from appeal.document.content import long_date, usd
from appeal.workbook.values import as_float, as_int
from models.asks import DonorProfile
from models.labels import label
from models.privacy import donor_aliases, name_scrubber

if TYPE_CHECKING:
    from appeal.pipeline import PlanRun
    from appeal.workbook.layout import Sheet

__all__ = ["TOP_ASKS", "VALUE_NOTE", "brief_document", "brief_rows", "brief_section"]

TOP_ASKS = 8
VALUE_NOTE = (
    "Value per dollar: how much one more dollar earmarked to the programme adds to the plan's "
    "priority-weighted score (priority tiers weigh 8, 4, 2 and 1; the second half of a "
    "year's need counts 0.6 of that), from the allocation model itself. Suggested ask: the "
    "donor's typical contribution (its median pledge; for a prospect, the value given or the "
    "median pledge of donors of its type), capped at the gap."
)


def _scope(profile: DonorProfile, names: dict[str, str]) -> str:
    """What the donor usually funds, in words."""
    if profile.any_line:
        return "any programme of the appeal (it gives unearmarked money)"
    parts = []
    for target in profile.targets:
        kind, _, value = target.partition(":")
        if not value:
            parts.append(f"{names.get(kind, kind)} ({kind})")
        elif kind == "pillar":
            parts.append(f"pillar {value} of the Strategy")
        elif kind == "theme":
            parts.append(f"{label('theme', value).lower()} work")
        elif kind == "category":
            parts.append(f"{label('category', value)} lines")
        else:
            parts.append(f"{value}'s programmes")
    return "; ".join(parts)


def brief_section(
    run: PlanRun, profile: DonorProfile, asks: pd.DataFrame, *, as_at: dt.date, draft: bool
) -> Section:
    """One donor's brief."""
    plan = run.plan
    names = dict(zip(plan.programmes["line_id"].astype(str), plan.programmes["name"], strict=True))
    who = profile.shown
    blocks: list[Block] = [
        Paragraph(
            f"{plan.title} · as at {long_date(as_at)}"
            + (" · DRAFT: not a saved scenario" if draft else "")
            + (" · illustrative figures" if plan.illustrative else ""),
            "note",
        )
    ]
    if profile.prospect:
        blocks.append(
            Paragraph(
                f"{who} is a prospective donor to the appeal; it usually funds "
                f"{_scope(profile, names)}."
            )
        )
    else:
        kinds = ", ".join(label("earmarking", k).lower() for k in profile.earmarking)
        blocks.append(
            Paragraph(
                f"{who} has pledged {usd(profile.given_usd)} (programmable) to the appeal in "
                f"{profile.pledges} pledge{'s' if profile.pledges != 1 else ''} ({kinds}); "
                f"it funds {_scope(profile, names)}."
            )
        )
    top = asks.head(TOP_ASKS)
    if not len(top):
        blocks.append(
            Paragraph(
                "Every programme it could fund is fully funded under this scenario: the best "
                "way to help is flexible (unearmarked) money.",
                "lead",
            )
        )
        return Section(f"{who}: where its money would matter most", tuple(blocks))
    best = top.iloc[0]
    which = "first" if profile.prospect else "next"
    blocks.append(
        Paragraph(
            f"Its {which} contribution would matter most to {best['name']} "
            f"({best['line_id']}): each dollar there adds {as_float(best['value_per_usd']):.1f} "
            f"to the plan's priority score, and {usd(as_float(best['suggested_ask_usd']))} would "
            f"close {as_float(best['share_of_gap']):.0%} of its {usd(as_float(best['gap_usd']))} "
            "gap.",
            "lead",
        )
    )
    blocks.append(
        KeyFigures(
            (
                ("Open gaps it could fund", f"{len(asks)}"),
                ("Their total gap", usd(as_float(asks["gap_usd"].sum()))),
                (f"Suggested asks (top {len(top)})", usd(as_float(top["suggested_ask_usd"].sum()))),
            )
        )
    )
    blocks.append(
        Table(
            ("#", "Programme", "Entity", "Priority", "Gap", "Value per dollar", "Suggested ask"),
            tuple(
                (
                    str(as_int(a.rank)),
                    f"{a.name} ({a.line_id})",
                    str(a.entity),
                    label("priority", as_int(a.priority)),
                    usd(as_float(a.gap_usd)),
                    _value(a.value_per_usd),
                    usd(as_float(a.suggested_ask_usd)),
                )
                for a in top.itertuples(index=False)
            ),
            ("right", "left", "left", "left", "right", "right", "right"),
            (0.3, 3.2, 1.0, 1.0, 1.4, 1.0, 1.4),
            "Its asks, where a dollar does most first",
        )
    )
    blocks.append(Paragraph(VALUE_NOTE, "note"))
    return Section(f"{who}: where its money would matter most", tuple(blocks))


def _value(value: object) -> str:
    number = as_float(value)
    return "-" if number != number else f"{number:.2f}"  # NaN: the re-solve failed


def brief_document(
    run: PlanRun,
    asked: Sequence[tuple[DonorProfile, pd.DataFrame]],
    *,
    as_at: dt.date,
    draft: bool,
    reveal: bool = False,
) -> Document:
    """The briefs of several donors, a page each, as one document (no cover)."""
    sections = tuple(brief_section(run, p, asks, as_at=as_at, draft=draft) for p, asks in asked)
    doc = Document(
        meta=Meta(
            title=f"Donor briefs — {run.plan.title}",
            subject="Tailored asks: where each donor's money would matter most",
            author="UNOCT resource mobilization (appeal-planner)",
            keywords="UNOCT; multi-year appeal; donor briefs",
        ),
        cover=None,
        sections=sections,
        footer=f"Donor briefs — {run.plan.title} · as at {long_date(as_at)}"
        + (" · DRAFT" if draft else ""),
    )
    scrubbed: Document = map_text(doc, name_scrubber(donor_aliases(run.plan, reveal=reveal)))
    return scrubbed


def brief_rows(
    sh: Sheet,
    run: PlanRun,
    profile: DonorProfile,
    asks: pd.DataFrame,
    *,
    as_at: dt.date,
    draft: bool,
) -> None:
    """One donor's brief on its own worksheet (the same blocks as the PDF page)."""
    section = brief_section(run, profile, asks, as_at=as_at, draft=draft)
    sh.summary_setup([6, 46, 12, 10, 17, 12, 17])
    sh.title_rows(section.title, "")
    for block in section.blocks:
        if isinstance(block, Paragraph):
            sh.note(block.text)
        elif isinstance(block, KeyFigures):
            for name, value in block.items:
                sh.append(["", name, value], [None, "label", "text"])
        elif isinstance(block, Table):
            sh.block(block.caption or "Asks", rows=len(block.rows) + 1)
            sh.header(list(block.columns))
            for row in block.rows:
                sh.append(list(row), ["text", "wrap", "text", "text", "text", "text", "text"])
