"""The Programmes sheet: each line's narrative — summary, case for support, expected results
and indicators with baseline and target (:mod:`models.narrative`) — wrapped, every row as
tall as its text needs."""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.layout import Column, Sheet, fit_width, styles

__all__ = ["NAME", "write"]

NAME = "Programmes"

COLUMNS = [
    columns.LINE_ID,
    columns.PROGRAMME,
    Column("Summary", "#description+summary", "wrap"),
    Column("Case for support", "#description+case", "wrap"),
    Column("Expected results", "#output", "wrap"),
    Column("Indicators (baseline -> target)", "#indicator", "wrap"),
]
WIDTHS = [12, 30, 48, 40, 40, 40]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    widths: list[float] = list(WIDTHS)
    widths[1] = fit_width(list(m.names.values()), minimum=24, maximum=30)
    sh.table_setup(widths, freeze_col="C")
    sh.title_rows(
        f"Programmes: the case for each line — {m.plan.title}",
        "From the programmes table's narrative columns: summary, case for support, expected "
        "results and indicators (each read 'name: baseline -> target').",
    )
    sh.table_header(COLUMNS)
    row_styles = styles(COLUMNS)
    described = 0
    for line_id, name in m.names.items():
        n = m.narratives.get(line_id)
        if n is None or n.empty:
            continue
        described += 1
        indicators = "\n".join(
            f"{i.name}: {i.baseline or '-'} -> {i.target or '-'}" for i in n.indicators
        )
        sh.append(
            [
                line_id,
                name,
                n.summary,
                n.case_for_support,
                "\n".join(n.expected_results),
                indicators,
            ],
            row_styles,
        )
    if not described:
        sh.note(
            "No programme has a narrative yet: the programmes table has no summary, case for "
            "support, expected results or indicators."
        )
