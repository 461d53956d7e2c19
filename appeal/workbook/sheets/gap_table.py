"""Gap tables: requirement, funded (firm), gap and coverage grouped by one column of Funding
status, as live SUMIFS formulas; the planner's own figures go to the Checks sheet.

Summary (by year, by category) and Priorities and asks (by priority tier) show this table;
:func:`write_gap_table` is its one writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue, Formula
from appeal.workbook.formulas import col, column_range, coverage, sumifs
from appeal.workbook.layout import Column, Sheet
from appeal.workbook.sheets import funding
from appeal.workbook.styles import StyleKey

__all__ = ["FIRM", "GapRow", "gap_rows", "write_gap_table"]

FIRM = Column("Firm (USD)", "#value+funding+firm+usd", "usd")


@dataclass(frozen=True)
class GapRow:
    """One group's figures at export (``firm`` only where the table shows firm money).
    ``key`` is what column A shows and Funding status is matched on."""

    key: int | str
    requirement: float
    funded: float
    firm: float = 0.0


def gap_rows(
    figures: pd.DataFrame, keys: Iterable[int | str], shown: dict[str, str] | None = None
) -> list[GapRow]:
    """One row per key from ``figures`` (indexed by key; requirement_usd, funded_usd and maybe
    firm_usd columns). A key without figures needs nothing and has nothing. ``shown`` maps a
    key to what column A shows (a category's label)."""
    firm = figures.get("firm_usd")
    return [
        GapRow(
            (shown or {}).get(str(key), key),
            float(figures["requirement_usd"].get(key, 0.0)),
            float(figures["funded_usd"].get(key, 0.0)),
            0.0 if firm is None else float(firm.get(key, 0.0)),
        )
        for key in keys
    ]


def write_gap_table(
    sh: Sheet,
    book: Book,
    table: str,
    key: Column,
    by: int,
    rows: Sequence[GapRow],
    *,
    firm: bool = False,
) -> tuple[int, int]:
    """Write the header and one row per group; returns (first, last) data row.

    ``by`` is the Funding status column the groups are matched on (the key in column A);
    ``table`` names the table on the Checks sheet.
    """
    f = book.ref(funding.NAME)
    live = [columns.REQUIREMENT, columns.FUNDED, *([FIRM] if firm else [])]
    live += [columns.GAP, columns.COVERAGE]
    sh.header([key.label, *(c.label for c in live)], [key.hxl, *(c.hxl for c in live)])
    sums = [funding.REQUIREMENT, funding.FUNDED, *([funding.FIRM] if firm else [])]
    row_styles: list[StyleKey | None] = [key.style, *(c.style for c in live)]
    letters = {c.label: col(i) for i, c in enumerate(live, start=2)}
    first = sh.row + 1
    for g in rows:
        r = sh.row + 1
        match = (column_range(f, by), f"$A{r}")
        values: list[CellValue] = [g.key]
        values += [Formula("=" + sumifs(column_range(f, c), match)) for c in sums]
        gap, cov = letters[columns.GAP.label], letters[columns.COVERAGE.label]
        req, funded = letters[columns.REQUIREMENT.label], letters[columns.FUNDED.label]
        values += [Formula(f"={req}{r}-{funded}{r}"), coverage(f"{funded}{r}", f"{req}{r}")]
        sh.append(values, row_styles)
        figures = {
            columns.REQUIREMENT.label: (req, g.requirement),
            columns.FUNDED.label: (funded, g.funded),
            columns.GAP.label: (gap, g.requirement - g.funded),
            columns.COVERAGE.label: (cov, g.funded / g.requirement if g.requirement > 0 else 0.0),
        }
        if firm:
            figures[FIRM.label] = (letters[FIRM.label], g.firm)
        book.check(sh, table, g.key, figures)
    return first, sh.row
