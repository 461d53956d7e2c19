"""The rejected rows of an import as a workbook a person can fix and import again.

One sheet, "Rejected rows": for every refused row, where it was (file, sheet, row), why (every
reason, one per line) and its cells as the file had them, under the file's own headers — so
the person who sent the file can correct the rows in place and send them back. A second
sheet, "Problems", lists every error of the import (file-level ones too: a file that could not
be read has no rows to show). Text from the file is written as text, never a formula
(:func:`appeal.workbook.xlsx_safety.text_cell`).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from appeal.importer import ImportReport
from appeal.workbook.xlsx_safety import text_cell

__all__ = ["FIXED_COLUMNS", "rejected_rows_xlsx", "write_rejected_rows"]

#: The columns before the file's own: where the row is and why it was refused.
FIXED_COLUMNS: tuple[str, ...] = ("file", "sheet", "row", "reason")


def rejected_rows_xlsx(report: ImportReport) -> bytes:
    """The workbook's bytes (see the module docstring)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    rows = wb.create_sheet("Rejected rows")
    headers: list[str] = []
    for rejected in report.rejected:
        for header in rejected.cells:
            if header not in headers:
                headers.append(header)
    rows.append([text_cell(rows, h) for h in (*FIXED_COLUMNS, *headers)])
    for rejected in report.rejected:
        fixed = [rejected.file, rejected.sheet, rejected.row, "\n".join(rejected.reasons)]
        cells = [rejected.cells.get(h) for h in headers]
        rows.append([_cell(rows, v) for v in (*fixed, *cells)])
    problems = wb.create_sheet("Problems")
    problems.append([text_cell(problems, h) for h in ("file", "sheet", "row", "column", "problem")])
    for error in report.errors:
        values = [error.file, error.sheet, error.row, error.column or "", error.message]
        problems.append([_cell(problems, v) for v in values])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_rejected_rows(report: ImportReport, path: str | Path) -> Path:
    """Write :func:`rejected_rows_xlsx` to ``path`` (an .xlsx)."""
    target = Path(path)
    target.write_bytes(rejected_rows_xlsx(report))
    return target


def _cell(ws: Any, value: Any) -> Any:
    """Numbers, booleans and dates as themselves; anything else as plain text."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | dt.date | dt.datetime):
        return value
    return text_cell(ws, value)
