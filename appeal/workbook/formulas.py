"""The formulas the workbook writes, built in one place.

Formulas never embed user text: they refer to cells. The only user data that reaches a formula
is a line id used as a SUMIFS criterion, and :func:`exact` escapes it.
"""

from __future__ import annotations

import re

from openpyxl.utils import get_column_letter

from appeal.workbook.engine import Formula

__all__ = ["col", "column_range", "coverage", "exact", "pillar_share", "sum_of", "sumifs"]


def col(index: int) -> str:
    """The letter(s) of a 1-based column."""
    return get_column_letter(index)


def column_range(sheet: str, index: int) -> str:
    """A whole column of another sheet: ``'Funding status'!$F:$F``."""
    letter = col(index)
    return f"{sheet}!${letter}:${letter}"


def sumifs(total: str, *criteria: tuple[str, str]) -> str:
    """``SUMIFS(total, range1, criterion1, ...)`` (an expression, without the ``=``)."""
    pairs = "".join(f",{where},{what}" for where, what in criteria)
    return f"SUMIFS({total}{pairs})"


def sum_of(first: str, last: str) -> Formula:
    """``=SUM(first:last)``."""
    return Formula(f"=SUM({first}:{last})")


def coverage(funded: str, requirement: str) -> Formula:
    """Funded over requirement, 0 where there is no requirement."""
    return Formula(f"=IF({requirement}>0,{funded}/{requirement},0)")


def exact(ref: str, raw: object) -> str:
    """A SUMIFS criterion that matches the text in ``ref`` (whose value is ``raw``) exactly.

    SUMIFS reads a leading < > = as an operator and * ? ~ as wildcards; ids containing them
    are escaped so a line id like "A*" or ">5" cannot match other lines.
    """
    text = str(raw)
    if not re.search(r"[*?~]|^[<>=]", text):
        return ref
    escaped = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({ref},"~","~~"),"*","~*"),"?","~?")'
    return f'"="&{escaped}'


def pillar_share(pillar: str, cell: str) -> Formula:
    """Share of a line in ``pillar``: 1/k when its Pillars cell lists k pillars including it.

    The same even split as :func:`models.gaps.breakdown` ("pillar"), so the pillar subtotals
    add up to the total. Live: editing the Pillars cell moves the line between pillars.
    """
    packed = f'SUBSTITUTE({cell}," ","")'
    count = f'(LEN({packed})-LEN(SUBSTITUTE({packed},";",""))+1)'
    return Formula(f'=IF(ISNUMBER(SEARCH(";{pillar};",";"&{packed}&";")),1/{count},0)')
