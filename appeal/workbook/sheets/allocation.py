"""The Allocation plan sheet: money from each pledge to a budget line in a year (programmable
USD), and beside it why each line got what it got and the money left unallocated.

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
from appeal.workbook.layout import Column, Sheet, labels, position, repeat, styles, tags
from appeal.workbook.model import BookModel
from appeal.workbook.styles import StyleKey
from appeal.workbook.values import as_float, number, strings

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
SIDE = 10  # first column of the explanations / unallocated side tables
EXPLANATION_COLUMNS = [
    columns.LINE_ID,
    columns.PROGRAMME,
    Column("Tier", "#priority", "int"),
    columns.REQUIREMENT,
    columns.FUNDED,
    columns.COVERAGE,
    Column("Reason", "#status+reason", "text"),
    Column("Explanation", "#description", "wrap"),
]
UNALLOCATED_COLUMNS = [
    Column("Pledge ID", style="text"),
    Column("Donor", style="text"),
    Column(""),
    Column("Amount (USD)", style="usd"),
    Column(""),
    Column(""),
    Column("Reason", style="text"),
]
WIDTHS = [14, 26, 14, 34, 8, 9, 11, 16, 3, 14, 34, 7, 16, 16, 10, 24, 70]

SideRow = tuple[list[CellValue], list[StyleKey | None]]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.table_setup(WIDTHS, freeze_col="A")
    sh.title_rows(
        f"Allocation plan — {m.plan.title}",
        "Each row: money from a pledge to a budget line in a year (programmable USD). "
        "Edit amounts here and Funding status and Summary follow. Right: why each line got "
        "what it got, and money left unallocated.",
    )
    gap: list[CellValue] = [""] * (SIDE - 1 - len(COLUMNS))
    no_style = repeat(None, len(gap))
    n_side = len(EXPLANATION_COLUMNS)
    sh.append(
        [*labels(COLUMNS), *gap, *labels(EXPLANATION_COLUMNS)],
        repeat("header", len(COLUMNS)) + no_style + repeat("header", n_side),
    )
    if m.hxl:
        sh.append(
            [*tags(COLUMNS), *gap, *tags(EXPLANATION_COLUMNS)],
            repeat("hxl", len(COLUMNS)) + no_style + repeat("hxl", n_side),
        )

    row_styles = styles(COLUMNS)
    side = iter(side_rows(m))
    for pid, donor, line_id, year, source, status, amount in _allocation_rows(m):
        row: list[CellValue] = [
            pid,
            donor,
            line_id,
            m.names.get(line_id, line_id),
            year,
            None if pd.isna(source) else int(source),
            str(status),
            amount,
        ]
        row_style = list(row_styles)
        extra = next(side, None)
        if extra is not None:
            row += [None] * len(gap) + extra[0]
            row_style += no_style + extra[1]
        sh.append(row, row_style)
    lead: list[CellValue] = [None] * (SIDE - 1)
    for values, value_styles in side:
        sh.append(lead + values, repeat(None, SIDE - 1) + value_styles)


def _allocation_rows(m: BookModel) -> Iterable[tuple[Any, ...]]:
    """(pledge_id, donor as shown, line_id, year, source year, status, amount) per allocation,
    column by column (pandas' row iteration is slow at L size)."""
    alloc = m.result.allocations
    if not len(alloc):
        return []
    alloc = alloc.sort_values(["pledge_id", "line_id", "year"], kind="stable")
    donors = {d: m.donor(d) for d in alloc["donor"].unique()}
    return zip(
        strings(alloc["pledge_id"]),
        [donors[d] for d in alloc["donor"].to_numpy(dtype=object)],
        strings(alloc["line_id"]),
        alloc["year"].astype(int).tolist(),
        (alloc["source_year"] if "source_year" in alloc else alloc["year"]).tolist(),
        strings(alloc["status"]) if "status" in alloc else [""] * len(alloc),
        alloc["amount_usd"].astype(float).tolist(),
        strict=True,
    )


def side_rows(m: BookModel) -> list[SideRow]:
    """Rows of the explanations and unallocated tables shown beside the allocations."""
    rows: list[SideRow] = []
    if len(m.explanations):
        explanation_styles = styles(EXPLANATION_COLUMNS)
        for e in m.explanations.itertuples(index=False):
            line_id = str(e.line_id)
            values: list[CellValue] = [
                line_id,
                m.names.get(line_id, line_id),
                number(e.tier),
                number(e.requirement_usd),
                number(e.funded_usd),
                number(e.coverage),
                str(e.reason),
                str(e.text),
            ]
            rows.append((values, explanation_styles))
    else:
        rows.append((["No explanations: the allocation engine gave none for this run."], ["note"]))
    rows.append(([], []))
    rows.append((["Unallocated money"], ["block"]))
    rows.append(([*labels(UNALLOCATED_COLUMNS)], repeat("header", len(UNALLOCATED_COLUMNS))))
    unallocated_styles = styles(UNALLOCATED_COLUMNS)
    unallocated = m.result.unallocated
    for u in unallocated.itertuples(index=False):
        values = [str(u.pledge_id), m.donor(u.donor), None, as_float(u.amount_usd), None, None]
        rows.append(([*values, str(u.reason)], unallocated_styles))
    if not len(unallocated):
        rows.append((["Every programmable dollar is allocated."], ["note"]))
    return rows
