"""The book being written: its model, its sheets, and what one sheet publishes to others.

A sheet writer gets the :class:`Book` and its own :class:`~appeal.workbook.layout.Sheet`; it
reads the model, refers to other sheets by name (:meth:`Book.ref`) and records what other
sheets or the workbook need: requirement cells (Funding status refers to them), the Summary
totals (the defined names), and the checks — a live cell and the figure the planner computed
for it, which the hidden Checks sheet lists side by side (:meth:`Book.check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from appeal.workbook.layout import Sheet
from appeal.workbook.model import BookModel

__all__ = ["Book", "Check"]


class Check(NamedTuple):
    """A live formula cell and the planner's own figure for it at export."""

    table: str  # which table the cell belongs to ("Summary by year")
    key: str  # the row's key ("2027", "LEAD-01 2028", "Total")
    figure: str  # the column ("Funded (USD)")
    cell: str  # 'Sheet'!$C$5
    value: float  # the planner's figure (unrounded: equal to the JSON)


@dataclass
class Book:
    model: BookModel
    sheets: dict[str, Sheet]  # by the sheet's name in the code (its title may be made safe)
    # Requirements publishes (line_id, year) -> its cell; Funding status refers to them.
    requirement_cells: dict[tuple[str, int], str] = field(default_factory=dict)
    # Summary publishes defined name -> total cell ("TotalRequirement" ...).
    defined_names: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def ref(self, name: str) -> str:
        """Sheet ``name`` quoted for a formula ('Funding status')."""
        return self.sheets[name].ref

    def check(
        self, sheet: Sheet, table: str, key: object, figures: dict[str, tuple[str, float]]
    ) -> None:
        """Record the checks of one row of ``sheet``: figure -> (column letter, value)."""
        for figure, (column, value) in figures.items():
            cell = f"{sheet.ref}!${column}${sheet.row}"
            self.checks.append(Check(table, str(key), figure, cell, float(value)))
