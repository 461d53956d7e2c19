"""The appeal workbook's sheets, one module per sheet.

Each sheet module declares its ``NAME`` and a ``write(sheet, book)``; the columns other sheets'
formulas refer to are declared in the module of the sheet that holds them. :data:`ORDER` is
the order of the sheets in the workbook; :data:`WRITE_ORDER` the order they are written in (a
sheet after the ones whose cells it refers to; Checks last, once every other sheet has
registered its checks and counted its pages). Adding a sheet: a module here and one entry in
each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from appeal.workbook.book import Book
from appeal.workbook.layout import Sheet
from appeal.workbook.sheets import (
    allocation,
    assumptions,
    checks,
    donors,
    explanations,
    funding,
    narratives,
    notes,
    pledges,
    priorities,
    requirements,
    summary,
    technical,
)

__all__ = ["HIDDEN", "NAMES", "ORDER", "WRITE_ORDER", "SheetSpec"]


@dataclass(frozen=True)
class SheetSpec:
    name: str
    write: Callable[[Sheet, Book], None]


SUMMARY = SheetSpec(summary.NAME, summary.write)
REQUIREMENTS = SheetSpec(requirements.NAME, requirements.write)
FUNDING = SheetSpec(funding.NAME, funding.write)
ALLOCATION = SheetSpec(allocation.NAME, allocation.write)
EXPLANATIONS = SheetSpec(explanations.NAME, explanations.write)
PROGRAMMES = SheetSpec(narratives.NAME, narratives.write)
PRIORITIES = SheetSpec(priorities.NAME, priorities.write)
DONORS = SheetSpec(donors.NAME, donors.write)
PLEDGES = SheetSpec(pledges.NAME, pledges.write)
NOTES = SheetSpec(notes.NAME, notes.write)
ASSUMPTIONS = SheetSpec(assumptions.NAME, assumptions.write)
TECHNICAL = SheetSpec(technical.NAME, technical.write)
CHECKS = SheetSpec(checks.NAME, checks.write)

ORDER = (
    SUMMARY,
    REQUIREMENTS,
    FUNDING,
    ALLOCATION,
    EXPLANATIONS,
    PROGRAMMES,
    PRIORITIES,
    DONORS,
    PLEDGES,
    NOTES,
    ASSUMPTIONS,
    TECHNICAL,
    CHECKS,
)
NAMES: tuple[str, ...] = tuple(s.name for s in ORDER)
# Sheets for the working group, hidden from readers (and from print).
HIDDEN: tuple[str, ...] = (technical.NAME, checks.NAME)
# Funding status refers to the requirement cells Requirements publishes, the Summary to what
# Funding status and the Allocation plan publish; the rest follow in reading order, so Checks
# (last) lists what every other sheet registered.
_WRITTEN_FIRST = (REQUIREMENTS, FUNDING, ALLOCATION)
WRITE_ORDER = (*_WRITTEN_FIRST, *(s for s in ORDER if s not in _WRITTEN_FIRST))
