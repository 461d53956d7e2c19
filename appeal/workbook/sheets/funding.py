"""The Funding status sheet: per line and year, requirement, funded, firm, pledged-only, gap and
coverage, all formulas (so edits on Requirements and Allocation plan flow through), with the
planner's own figures "at export" beside them.

Summary and Priorities and asks add this sheet up by its columns (:data:`YEAR`,
:data:`CATEGORY`, :data:`PRIORITY` ...); the column numbers are declared here, once.
"""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue, Formula
from appeal.workbook.formulas import column_range, coverage, exact, sumifs
from appeal.workbook.layout import Column, Sheet, position, styles
from appeal.workbook.sheets import allocation
from appeal.workbook.sheets.totals import write_total_row
from appeal.workbook.values import as_float, as_int

__all__ = ["CATEGORY", "FIRM", "FUNDED", "NAME", "PRIORITY", "REQUIREMENT", "YEAR", "write"]

NAME = "Funding status"

FIRM_COLUMN = Column("Firm: committed + paid (USD)", "#value+funding+firm+usd", "usd")
COLUMNS = [
    columns.LINE_ID,
    columns.PROGRAMME,
    columns.CATEGORY,
    columns.PRIORITY,
    columns.YEAR,
    columns.REQUIREMENT,
    columns.FUNDED,
    FIRM_COLUMN,
    Column("Pledged only (USD)", "#value+funding+pledged+usd", "usd"),
    columns.GAP,
    columns.COVERAGE,
    Column(""),
    Column("Requirement at export", "#value+required+usd+export", "usd_exact"),
    Column("Funded at export", "#value+funding+usd+export", "usd_exact"),
    Column("Firm at export", "#value+funding+firm+usd+export", "usd_exact"),
    Column("Gap at export", "#value+gap+usd+export", "usd_exact"),
    Column("Coverage at export", "#indicator+coverage+pct+export", "pct_exact"),
]
# 1-based columns other sheets' formulas refer to.
CATEGORY = position(COLUMNS, columns.CATEGORY)
PRIORITY = position(COLUMNS, columns.PRIORITY)
YEAR = position(COLUMNS, columns.YEAR)
REQUIREMENT = position(COLUMNS, columns.REQUIREMENT)
FUNDED = position(COLUMNS, columns.FUNDED)
FIRM = position(COLUMNS, FIRM_COLUMN)
WIDTHS = [14, 36, 13, 9, 8, 16, 16, 16, 16, 16, 11, 3, 18, 18, 18, 18, 12]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.table_setup(WIDTHS, freeze_col="C")
    sh.title_rows(
        f"Funding status by line and year — {m.plan.title}",
        "Requirement refers to Requirements; funded and firm are SUMIFS over Allocation plan; "
        "gap and coverage follow. 'At export' columns hold the planner's figures when written.",
    )
    sh.table_header(COLUMNS)
    a = book.ref(allocation.NAME)
    amount = column_range(a, allocation.AMOUNT)
    line_c = column_range(a, allocation.LINE)
    year_c = column_range(a, allocation.YEAR)
    status_c = column_range(a, allocation.STATUS)
    row_styles = styles(COLUMNS)
    lines = m.lines.sort_values(["line_id", "year"], kind="stable")
    first = sh.row + 1
    for ln in lines.itertuples(index=False):
        r = sh.row + 1
        line_id = str(ln.line_id)
        match = ((line_c, exact(f"$A{r}", line_id)), (year_c, f"$E{r}"))
        req_ref = book.requirement_cells.get((line_id, as_int(ln.year)))
        req_value: CellValue = Formula(f"={req_ref}") if req_ref else as_float(ln.requirement_usd)
        req_x = as_float(ln.requirement_usd)
        funded_x = as_float(ln.funded_usd)
        firm = [sumifs(amount, *match, (status_c, f'"{s}"')) for s in ("committed", "paid")]
        sh.append(
            [
                line_id,
                str(ln.name),
                str(ln.category),
                as_int(ln.priority),
                as_int(ln.year),
                req_value,
                Formula("=" + sumifs(amount, *match)),
                Formula("=" + "+".join(firm)),
                Formula(f"=G{r}-H{r}"),
                Formula(f"=F{r}-G{r}"),
                coverage(f"G{r}", f"F{r}"),
                None,
                req_x,
                funded_x,
                as_float(ln.firm_usd),
                as_float(ln.gap_usd),
                funded_x / req_x if req_x > 0 else 0.0,
            ],
            row_styles,
        )
    last = max(sh.row, first)
    write_total_row(sh, book, first, last, lead=4, sums="FGHIJ", requirement="F", funded="G")
