"""The Pledges sheet: the imported pledges in the input contract's columns, so the sheet can be
imported again (the table and its columns: :mod:`appeal.workbook.sheets.pledge_table`)."""

from __future__ import annotations

from appeal.workbook.book import Book
from appeal.workbook.layout import Sheet
from appeal.workbook.sheets import pledge_table
from appeal.workbook.styles import style_key
from appeal.workbook.values import plain

__all__ = ["NAME", "write"]

NAME = "Pledges"


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    table = pledge_table.pledge_table(m.plan, m.aliases)
    columns = [str(c) for c in table.columns]
    sh.table_setup([pledge_table.column_width(c) for c in columns], freeze_col="C")
    sh.title_rows(
        f"Pledges — {m.plan.title}",
        "The imported pledges in the input contract's columns (amounts in pledge currency, "
        "gross of programme support cost): this sheet can be imported again.",
    )
    sh.header(columns, [pledge_table.column_hxl(c) for c in columns])
    row_styles = [style_key(pledge_table.column_style(c)) for c in columns]
    for row in table.itertuples(index=False, name=None):
        sh.append([plain(v) for v in row], row_styles)
