"""The Notes sheet: the working group's comment threads on pledges and budget lines (who,
when, what), oldest first, as the register keeps them (:mod:`appeal.workspace`). Confidential
donors' names are scrubbed from the text like every other text cell."""

from __future__ import annotations

from appeal.workbook.book import Book
from appeal.workbook.layout import Column, Sheet, styles

__all__ = ["NAME", "write"]

NAME = "Notes"

COLUMNS = [
    Column("On", "#meta+kind", "text"),
    Column("Pledge or line", "#meta+id", "text"),
    Column("By", "#contact+name", "text"),
    Column("When (UTC)", "#date", "text"),
    Column("Note", "#description", "wrap"),
]
WIDTHS = [9, 22, 16, 22, 80]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.table_setup(list(WIDTHS), freeze_col="C")
    sh.title_rows(
        f"Notes — {m.plan.title}",
        "Comments of the working group on pledges and budget lines, oldest first.",
    )
    sh.table_header(COLUMNS)
    row_styles = styles(COLUMNS)
    notes = m.notes
    if notes is None or notes.empty:
        sh.note("No notes yet.")
        return
    for rec in notes.to_dict("records"):
        sh.append(
            [
                str(rec["kind"]),
                str(rec["target"]),
                str(rec["author"]),
                str(rec["at"]),
                m.scrub(str(rec["text"])),
            ],
            row_styles,
        )
