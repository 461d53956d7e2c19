"""The Allocation plan sheet: money from each pledge to a budget line in a year (programmable
USD). Why each line got what it got is on the Explanations sheet.

Funding status adds the allocation rows up by line, year and status (SUMIFS over the columns
declared here), so editing an amount here flows through to Funding status and Summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue
from appeal.workbook.layout import Column, Sheet, fit_width, position, styles
from appeal.workbook.model import BookModel
from appeal.workbook.values import strings
from models.labels import label

__all__ = ["AMOUNT", "LINE", "NAME", "STATUS", "YEAR", "write"]

NAME = "Allocation plan"

COLUMNS = [
    Column("Pledge ID", "#contribution+id", "text"),
    columns.DONOR,
    columns.LINE_ID,
    columns.PROGRAMME,
    columns.YEAR,
    Column("Arrives", "#date+arrival", "int"),
    columns.STATUS,
    columns.AMOUNT,
]
# 1-based columns Funding status refers to.
LINE = position(COLUMNS, columns.LINE_ID)
YEAR = position(COLUMNS, columns.YEAR)
STATUS = position(COLUMNS, columns.STATUS)
AMOUNT = position(COLUMNS, columns.AMOUNT)
WIDTHS = [16, 28, 12, 36, 7, 8, 11, 17]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    rows = list(_allocation_rows(m))
    widths: list[float] = list(WIDTHS)
    widths[0] = fit_width(sorted({str(r[0]) for r in rows}), minimum=12, maximum=24)
    widths[1] = fit_width(sorted({str(r[1]) for r in rows}), minimum=16, maximum=34)
    widths[3] = fit_width(list(m.names.values()), minimum=24, maximum=50)
    sh.table_setup(widths, freeze_col="A")
    sh.title_rows(
        f"Allocation plan — {m.plan.title}",
        "Each row: money from a pledge to a budget line in a year (programmable USD). Edit "
        "amounts here and Funding status and Summary follow. Why each line got what it got: "
        "the Explanations sheet.",
    )
    sh.table_header(COLUMNS)
    row_styles = styles(COLUMNS)
    for pid, donor, line_id, year, source, status, amount in rows:
        values: list[CellValue] = [
            pid,
            donor,
            line_id,
            m.names.get(line_id, line_id),
            year,
            None if pd.isna(source) else int(source),
            status,
            amount,
        ]
        sh.append(values, row_styles)
    if not rows:
        sh.note("Nothing is allocated in this plan.")


def _allocation_rows(m: BookModel) -> Iterable[tuple[Any, ...]]:
    """(pledge_id, donor as shown, line_id, year, source year, status, amount) per allocation,
    column by column (pandas' row iteration is slow at L size)."""
    alloc = m.result.allocations
    if not len(alloc):
        return []
    alloc = alloc.sort_values(["pledge_id", "line_id", "year"], kind="stable")
    donors = {d: m.donor(d) for d in alloc["donor"].unique()}
    statuses = strings(alloc["status"]) if "status" in alloc else [""] * len(alloc)
    shown = {s: label("status", s) if s else "" for s in set(statuses)}
    return zip(
        strings(alloc["pledge_id"]),
        [donors[d] for d in alloc["donor"].to_numpy(dtype=object)],
        strings(alloc["line_id"]),
        alloc["year"].astype(int).tolist(),
        (alloc["source_year"] if "source_year" in alloc else alloc["year"]).tolist(),
        [shown[s] for s in statuses],
        alloc["amount_usd"].astype(float).tolist(),
        strict=True,
    )
