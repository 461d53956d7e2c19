"""The book being written: its model, its sheets, and the cells one sheet publishes to others.

A sheet writer gets the :class:`Book` and its own :class:`~appeal.workbook.layout.Sheet`; it
reads the model, refers to other sheets by name (:meth:`Book.ref`) and records the addresses
other sheets or the workbook's defined names need (requirement cells, Summary totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appeal.workbook.layout import Sheet
from appeal.workbook.model import BookModel

__all__ = ["Book"]


@dataclass
class Book:
    model: BookModel
    sheets: dict[str, Sheet]  # by the sheet's name in the code (its title may be made safe)
    # Requirements publishes (line_id, year) -> its cell; Funding status refers to them.
    requirement_cells: dict[tuple[str, int], str] = field(default_factory=dict)
    # Summary publishes defined name -> total cell ("TotalRequirement" ...).
    defined_names: dict[str, str] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        """Sheet ``name`` quoted for a formula ('Funding status')."""
        return self.sheets[name].ref
