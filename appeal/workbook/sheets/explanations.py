"""The Explanations sheet: why each line got what it got, and the money left unallocated and
why, in sentences (the codes behind them stay in the JSON).

The text wraps inside its cells and every row is as tall as its longest text needs
(:mod:`appeal.workbook.layout` measures it), so nothing is cut off or printed over.
"""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue
from appeal.workbook.layout import Column, Sheet, fit_width, styles
from appeal.workbook.values import as_float, number
from models.labels import label, sentence

__all__ = ["NAME", "write"]

NAME = "Explanations"

COLUMNS = [
    columns.LINE_ID,
    columns.PROGRAMME,
    Column("Tier", "#priority", "int"),
    columns.REQUIREMENT,
    columns.FUNDED,
    columns.COVERAGE,
    Column("Why", "#status+reason", "wrap"),
    Column("Explanation", "#description", "wrap"),
]
UNALLOCATED = [
    Column("Pledge ID", "#contribution+id", "text"),
    Column("Donor", "#org+funder", "wrap"),
    Column("", "", None),
    Column("Amount (USD)", "#value+usd", "usd"),
    Column("", "", None),
    Column("", "", None),
    Column("Why", "#status+reason", "wrap"),
    Column("What it means", "#description", "wrap"),
]
WIDTHS = [12, 36, 6, 17, 17, 10, 30, 70]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    widths: list[float] = list(WIDTHS)
    widths[1] = fit_width(list(m.names.values()), minimum=24, maximum=44)
    sh.table_setup(widths, freeze_col="C")
    sh.title_rows(
        f"Why each line got what it got — {m.plan.title}",
        "One row per budget line: its priority tier, what it needs and receives over the "
        "appeal, and the reason; below, the money left unallocated and why.",
    )
    sh.table_header(COLUMNS)
    row_styles = styles(COLUMNS)
    for e in m.explanations.itertuples(index=False):
        line_id = str(e.line_id)
        values: list[CellValue] = [
            line_id,
            m.names.get(line_id, line_id),
            number(e.tier),
            number(e.requirement_usd),
            number(e.funded_usd),
            number(e.coverage),
            label("reason", e.reason) if e.reason else "",
            str(e.text) or sentence("reason", e.reason),
        ]
        sh.append(values, row_styles)
    if not len(m.explanations):
        sh.note("No explanations: the allocation engine gave none for this run.")

    unallocated = m.result.unallocated
    sh.block("Money not allocated, and why", rows=min(len(unallocated), 5) + 1)
    sh.table_header(UNALLOCATED)
    unallocated_styles = styles(UNALLOCATED)
    for u in unallocated.itertuples(index=False):
        sh.append(
            [
                str(u.pledge_id),
                m.donor(u.donor),
                None,
                as_float(u.amount_usd),
                None,
                None,
                label("unallocated", u.reason),
                sentence("unallocated", u.reason),
            ],
            unallocated_styles,
        )
    if not len(unallocated):
        sh.note("Every programmable dollar is allocated.")
