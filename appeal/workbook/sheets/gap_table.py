"""Gap tables: requirement, funded (firm), gap and coverage grouped by one column of Funding
status, as live SUMIFS formulas with the planner's figures "at export" beside them.

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
from appeal.workbook.formulas import column_range, coverage, sumifs
from appeal.workbook.layout import Column, Sheet
from appeal.workbook.sheets import funding
from appeal.workbook.styles import StyleKey

__all__ = ["GapRow", "gap_rows", "write_gap_table"]

FIRM = Column("Firm (USD)", "#value+funding+firm+usd", "usd")


@dataclass(frozen=True)
class GapRow:
    """One group's figures at export (``firm`` only where the table shows firm money)."""

    key: int | str
    requirement: float
    funded: float
    firm: float = 0.0


def gap_rows(figures: pd.DataFrame, keys: Iterable[int | str]) -> list[GapRow]:
    """One row per key from ``figures`` (indexed by key; requirement_usd, funded_usd and maybe
    firm_usd columns). A key without figures needs nothing and has nothing."""
    firm = figures.get("firm_usd")
    return [
        GapRow(
            key,
            float(figures["requirement_usd"].get(key, 0.0)),
            float(figures["funded_usd"].get(key, 0.0)),
            0.0 if firm is None else float(firm.get(key, 0.0)),
        )
        for key in keys
    ]


def write_gap_table(
    sh: Sheet,
    book: Book,
    key: Column,
    by: int,
    rows: Sequence[GapRow],
    *,
    firm: bool = False,
    export_column: int,
    export_coverage: bool = True,
) -> tuple[int, int]:
    """Write the header and one row per group; returns (first, last) data row.

    ``by`` is the Funding status column the groups are matched on (the key in column A);
    ``export_column`` is the 1-based column where the "at export" figures start.
    """
    f = book.ref(funding.NAME)
    live = [columns.REQUIREMENT, columns.FUNDED, *([FIRM] if firm else [])]
    live += [columns.GAP, columns.COVERAGE]
    exported = ["Requirement", "Funded", *(["Firm"] if firm else []), "Gap"]
    exported += ["Coverage"] if export_coverage else []
    pad = export_column - 2 - len(live)
    sh.header(
        [key.label, *(c.label for c in live), *[""] * pad, *(f"{x} at export" for x in exported)],
        [key.hxl, *(c.hxl for c in live)],
    )
    sums = [funding.REQUIREMENT, funding.FUNDED, *([funding.FIRM] if firm else [])]
    row_styles: list[StyleKey | None] = [key.style, *(c.style for c in live), *[None] * pad]
    row_styles += ["usd_exact"] * (len(exported) - 1 if export_coverage else len(exported))
    row_styles += ["pct_exact"] if export_coverage else []
    first = sh.row + 1
    for g in rows:
        r = sh.row + 1
        match = (column_range(f, by), f"$A{r}")
        values: list[CellValue] = [g.key]
        values += [Formula("=" + sumifs(column_range(f, c), match)) for c in sums]
        values += [Formula(f"=B{r}-C{r}"), coverage(f"C{r}", f"B{r}"), *[None] * pad]
        values += [g.requirement, g.funded, *([g.firm] if firm else []), g.requirement - g.funded]
        if export_coverage:
            values.append(g.funded / g.requirement if g.requirement > 0 else 0.0)
        sh.append(values, row_styles)
    return first, sh.row
