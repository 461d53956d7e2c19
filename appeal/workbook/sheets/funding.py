"""The Funding status sheet: per line and year, requirement, funded, firm, pledged-only, gap and
coverage, all formulas (so edits on Requirements and Allocation plan flow through); the
planner's own figures for them are on the Checks sheet.

Summary and Priorities and asks add this sheet up by its columns (:data:`YEAR`,
:data:`CATEGORY`, :data:`PRIORITY` ...); the column numbers are declared here, once.
"""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue, Formula
from appeal.workbook.formulas import col, column_range, coverage, exact, sumifs
from appeal.workbook.layout import Column, Sheet, fit_width, position, styles
from appeal.workbook.sheets import allocation
from appeal.workbook.sheets.totals import write_total_row
from appeal.workbook.values import as_float, as_int
from models.labels import label

__all__ = ["CATEGORY", "FIRM", "FUNDED", "NAME", "PRIORITY", "REQUIREMENT", "YEAR", "write"]

NAME = "Funding status"
TABLE = "Funding status"

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
]
# 1-based columns other sheets' formulas refer to.
CATEGORY = position(COLUMNS, columns.CATEGORY)
PRIORITY = position(COLUMNS, columns.PRIORITY)
YEAR = position(COLUMNS, columns.YEAR)
REQUIREMENT = position(COLUMNS, columns.REQUIREMENT)
FUNDED = position(COLUMNS, columns.FUNDED)
FIRM = position(COLUMNS, FIRM_COLUMN)
WIDTHS = [12, 36, 24, 9, 7, 17, 17, 17, 17, 17, 10]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    widths: list[float] = list(WIDTHS)
    widths[1] = fit_width(list(m.names.values()), minimum=24, maximum=50)
    sh.table_setup(widths, freeze_col="C")
    sh.title_rows(
        f"Funding status by line and year — {m.plan.title}",
        "Requirement refers to Requirements; funded and firm add up Allocation plan; gap and "
        "coverage follow, so edits there flow through. Firm money is committed or paid; "
        "pledged-only money is shown apart.",
    )
    sh.table_header(COLUMNS)
    a = book.ref(allocation.NAME)
    amount = column_range(a, allocation.AMOUNT)
    line_c = column_range(a, allocation.LINE)
    year_c = column_range(a, allocation.YEAR)
    status_c = column_range(a, allocation.STATUS)
    row_styles = styles(COLUMNS)
    letter = {c.label: col(i) for i, c in enumerate(COLUMNS, start=1)}
    req_l, funded_l = letter[columns.REQUIREMENT.label], letter[columns.FUNDED.label]
    firm_l, gap_l = letter[FIRM_COLUMN.label], letter[columns.GAP.label]
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
        firm = [
            sumifs(amount, *match, (status_c, f'"{label("status", s)}"'))
            for s in ("committed", "paid")
        ]
        sh.append(
            [
                line_id,
                str(ln.name),
                label("category", ln.category),
                as_int(ln.priority),
                as_int(ln.year),
                req_value,
                Formula("=" + sumifs(amount, *match)),
                Formula("=" + "+".join(firm)),
                Formula(f"={funded_l}{r}-{firm_l}{r}"),
                Formula(f"={req_l}{r}-{funded_l}{r}"),
                coverage(f"{funded_l}{r}", f"{req_l}{r}"),
            ],
            row_styles,
        )
        book.check(
            sh,
            TABLE,
            f"{line_id} {as_int(ln.year)}",
            {
                columns.REQUIREMENT.label: (req_l, req_x),
                columns.FUNDED.label: (funded_l, funded_x),
                "Firm (USD)": (firm_l, as_float(ln.firm_usd)),
                columns.GAP.label: (gap_l, as_float(ln.gap_usd)),
                columns.COVERAGE.label: (
                    letter[columns.COVERAGE.label],
                    funded_x / req_x if req_x > 0 else 0.0,
                ),
            },
        )
    last = max(sh.row, first)
    sums = {"F": "requirement_usd", "G": "funded_usd", "H": "firm_usd", "I": None, "J": "gap_usd"}
    write_total_row(sh, book, TABLE, first, last, lead=4, sums=sums, requirement="F", funded="G")
