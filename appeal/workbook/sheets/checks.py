"""The Checks sheet (hidden): every live figure beside the planner's own, and the pages each
sheet prints on.

The appeal's tables are formulas, so they follow edits; openpyxl cannot compute them, so each
formula cell the other sheets register (:meth:`appeal.workbook.book.Book.check`) is listed
here with the planner's unrounded figure at export (equal to the JSON) and the difference. A
spreadsheet program that recalculates shows zero differences; the tests read this sheet after
LibreOffice has recalculated it. The second table records how many pages each printed sheet
takes (:class:`appeal.workbook.layout.Pager`).
"""

from __future__ import annotations

from appeal.workbook.book import Book
from appeal.workbook.engine import Formula
from appeal.workbook.layout import Sheet

__all__ = ["CHECK_COLUMNS", "NAME", "PAGE_COLUMNS", "write"]

NAME = "Checks"
CHECK_COLUMNS = ["Table", "Key", "Figure", "Cell", "Live", "At export", "Difference"]
PAGE_COLUMNS = ["Sheet", "Pages", "Print area"]
WIDTHS = [26, 18, 22, 34, 20, 20, 14]


def write(sh: Sheet, book: Book) -> None:
    sh.hidden = True
    sh.summary_setup(WIDTHS)
    sh.title_rows(
        "Checks: live figures against the planner's figures at export",
        "Live: the formula cell now; At export: the planner's figure when the workbook was "
        "written (the JSON's). After edits the two differ by design.",
    )
    sh.block("Figures")
    # No HXL row under these headers: the sheet is for checking, not for data exchange.
    sh.append(CHECK_COLUMNS, ["header"] * len(CHECK_COLUMNS))
    for c in book.checks:
        r = sh.row + 1
        sh.append(
            [
                c.table,
                c.key,
                c.figure,
                c.cell,
                Formula(f"={c.cell}"),
                c.value,
                Formula(f"=E{r}-F{r}"),
            ],
            ["text", "text", "text", "text", "num", "num", "num"],
        )
    sh.block("Pages when printed")
    sh.append(PAGE_COLUMNS, ["header"] * len(PAGE_COLUMNS))
    for sheet in book.sheets.values():
        if sheet.hidden or sheet is sh:
            continue
        sh.append([sheet.title, sheet.pages, sheet.ws.print_area or ""], ["text", "int", "text"])
