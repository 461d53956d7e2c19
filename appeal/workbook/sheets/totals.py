"""The Total row under a money table (Funding status, Summary by year): SUMs of its live
columns, its coverage formula, and the plan's own totals at export (the JSON's figures)."""

from __future__ import annotations

from appeal.workbook.book import Book
from appeal.workbook.formulas import coverage, sum_of
from appeal.workbook.layout import Sheet, repeat

__all__ = ["write_total_row"]

# The plan's totals shown at export, in column order.
EXPORTED = ("requirement_usd", "funded_usd", "firm_usd", "gap_usd", "coverage")


def write_total_row(
    sh: Sheet,
    book: Book,
    first: int,
    last: int,
    *,
    lead: int,
    sums: str,
    requirement: str,
    funded: str,
) -> int:
    """Write "Total", ``lead`` empty cells, a SUM over rows ``first``..``last`` for each column
    letter in ``sums``, coverage (``funded`` / ``requirement`` of this row), a blank column and
    the totals at export. Returns the row number."""
    r = sh.row + 1
    totals = book.model.result.totals()
    sh.append(
        [
            "Total",
            *[None] * lead,
            *[sum_of(f"{c}{first}", f"{c}{last}") for c in sums],
            coverage(f"{funded}{r}", f"{requirement}{r}"),
            None,
            *[totals[k] for k in EXPORTED],
        ],
        [
            "label",
            *repeat(None, lead),
            *repeat("usd_total", len(sums)),
            "pct_total",
            None,
            *repeat("usd_exact", len(EXPORTED) - 1),
            "pct_exact",
        ],
    )
    return r
