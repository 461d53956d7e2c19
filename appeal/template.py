"""The blank pledge template workbook donors and entities fill in.

A ``Pledges`` sheet with the input contract's headers (and the HXL hashtag row, so the file is
also HXL-ready), drop-downs for the columns with allowed values and yes/no ones, number/year
validation, and an ``Instructions`` sheet explaining every column — all derived from the
table contract (:mod:`models.contract`). ``appeal template --out FILE`` writes it;
``sample_data/pledge_template.xlsx`` is a copy. The importer reads a filled template as is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from models import contract

# Fixed so the generated file is byte-for-byte reproducible.
_STAMP = dt.datetime(2026, 11, 1, 0, 0, 0)
ROWS = 500  # rows prepared with validation

#: The template's columns: the layout the contract writes for pledges.
COLUMNS: tuple[contract.Column, ...] = contract.PLEDGES.written


def validation(column: contract.Column, cells: str) -> DataValidation | None:
    """The drop-down or number check of one column over ``cells`` (None when it has none):
    a list for allowed values and yes/no, whole numbers for years and counts with bounds."""
    if column.vocabulary is not None and column.kind == "choice":
        labels = column.vocabulary.labels
        return DataValidation(
            type="list",
            formula1='"' + ",".join(labels) + '"',
            allow_blank=True,
            errorTitle=column.label,
            error=f"Choose {', '.join(labels[:-1])} or {labels[-1]}.",
            showErrorMessage=True,
            sqref=cells,
        )
    if column.kind == "bool":
        return DataValidation(type="list", formula1='"yes,no"', allow_blank=True, sqref=cells)
    if column.kind in ("year", "int") and column.minimum is not None and column.maximum is not None:
        low, high = int(column.minimum), int(column.maximum)
        return DataValidation(
            type="whole",
            operator="between",
            formula1=str(low),
            formula2=str(high),
            allow_blank=True,
            error=f"A year such as {column.example}."
            if column.kind == "year"
            else f"Number of {column.name}, {low}-{high}.",
            showErrorMessage=True,
            sqref=cells,
        )
    return None


def build_template() -> Workbook:
    """The template as an openpyxl workbook (not yet saved)."""
    wb = Workbook()
    wb.properties.creator = "appeal-planner"
    wb.properties.created = _STAMP
    wb.properties.modified = _STAMP
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=j, value=column.name)
        cell.font = bold
        cell.fill = fill
        ws.cell(row=2, column=j, value=column.hashtag).font = Font(italic=True, color="808080")
        ws.column_dimensions[cell.column_letter].width = column.width
    ws.freeze_panes = "A3"
    last = ROWS + 2

    checks = []
    for j, column in enumerate(COLUMNS, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        check = validation(column, f"{letter}3:{letter}{last}")
        if check is not None:
            checks.append(check)
    # Drop-downs first, then number checks (the order Excel lists them in).
    validations = sorted(checks, key=lambda dv: dv.type != "list")
    for dv in validations:
        ws.add_data_validation(dv)

    info = wb.create_sheet("Instructions")
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 100
    info.cell(row=1, column=1, value="How to fill in the pledge template").font = Font(
        bold=True, size=14
    )
    notes = [
        "One row per pledge on the Pledges sheet. Row 2 holds HXL hashtags; leave it in place.",
        "Type values, not formulas: cells starting with = are refused by the importer.",
        "Headers may be renamed within the documented aliases, but keep one header row.",
        "Import with: appeal import FILE.xlsx  (add --skip-invalid to keep the valid rows).",
        "Every rejected row is reported with its sheet, row number, column and the reason.",
    ]
    for i, note in enumerate(notes, start=2):
        info.cell(row=i, column=1, value="•")
        info.cell(row=i, column=2, value=note)
    start = len(notes) + 3
    info.cell(row=start, column=1, value="Column").font = bold
    info.cell(row=start, column=2, value="What to enter").font = bold
    for i, column in enumerate(COLUMNS, start=start + 1):
        info.cell(row=i, column=1, value=column.name)
        info.cell(row=i, column=2, value=column.help_text()).alignment = Alignment(wrap_text=True)
    return wb


def write_template(path: str | Path) -> Path:
    """Write the blank pledge template to ``path`` (an .xlsx file) and return the path."""
    out = Path(path)
    if out.suffix.casefold() != ".xlsx":
        raise ValueError(f"the template must be an .xlsx file, got {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(out)
    return out
