"""The Total row under a money table (Funding status, Summary by year): SUMs of its live
columns and its coverage formula, checked against the plan's own totals (the JSON's)."""

from __future__ import annotations

from collections.abc import Mapping

from appeal.workbook.book import Book
from appeal.workbook.formulas import col, coverage, sum_of
from appeal.workbook.layout import Sheet, repeat

__all__ = ["write_total_row"]

# The plan's totals (AllocationResult.totals) as the Checks sheet names them.
FIGURES = {
    "requirement_usd": "Requirement (USD)",
    "funded_usd": "Funded (USD)",
    "firm_usd": "Firm (USD)",
    "gap_usd": "Gap (USD)",
    "coverage": "Coverage",
}


def write_total_row(
    sh: Sheet,
    book: Book,
    table: str,
    first: int,
    last: int,
    *,
    lead: int,
    sums: Mapping[str, str | None],
    requirement: str,
    funded: str,
) -> int:
    """Write "Total", ``lead`` empty cells, a SUM over rows ``first``..``last`` for each column
    letter of ``sums`` (in order; each mapped to the plan total it is checked against, or
    None), then coverage (``funded`` / ``requirement`` of this row). Returns the row."""
    r = sh.row + 1
    totals = book.model.result.totals()
    letters = list(sums)
    cov = col(2 + lead + len(letters))
    sh.append(
        [
            "Total",
            *[None] * lead,
            *[sum_of(f"{c}{first}", f"{c}{last}") for c in letters],
            coverage(f"{funded}{r}", f"{requirement}{r}"),
        ],
        ["label", *repeat(None, lead), *repeat("usd_total", len(letters)), "pct_total"],
    )
    checked = {c: k for c, k in sums.items() if k is not None} | {cov: "coverage"}
    book.check(sh, table, "Total", {FIGURES[k]: (c, totals[k]) for c, k in checked.items()})
    return r
