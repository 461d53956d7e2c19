"""Writing the appeal workbook, top to bottom: check the target, build the book model, open a
streamed workbook with its font and named styles, write every sheet (and finish it for print:
print area, page breaks), name the key totals, save atomically."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.defined_name import DefinedName

from appeal.atomic import check_target as _check_target
from appeal.atomic import write_atomically
from appeal.workbook import sheets
from appeal.workbook.book import Book
from appeal.workbook.engine import CellStyles, Engine
from appeal.workbook.layout import Sheet
from appeal.workbook.model import book_model
from appeal.workbook.styles import TEXT_FALLBACK, TEXT_STYLES, default_font, named_styles
from appeal.workbook.xlsx_safety import safe_sheet_name

if TYPE_CHECKING:
    import pandas as pd

    from models.analytics import PlanRun

__all__ = ["WorkbookError", "check_target", "write_appeal_workbook"]


class WorkbookError(ValueError):
    """The workbook cannot be written (bad target path, unusable run); the message says why."""


def check_target(path: str | Path) -> Path:
    """The workbook path, or :class:`WorkbookError` when it cannot be one (missing folder, not
    .xlsx). Commands call it before the long work, so a typo fails at once."""
    return _check_target(
        path, (".xlsx", ".xlsm"), WorkbookError, "the appeal workbook must be an .xlsx file"
    )


def write_appeal_workbook(
    path: str | Path,
    run: PlanRun,
    *,
    reveal_confidential: bool = False,
    hxl: bool = False,
    analysis: PlanRun | None = None,
    draft: tuple[str, ...] | list[str] = (),
    notes: pd.DataFrame | None = None,
) -> Path:
    """Write the multiyear appeal workbook for ``run`` to ``path`` and return the path.

    ``reveal_confidential`` shows confidential donors' names (internal use only); ``hxl`` adds
    an HXL hashtag row under every table header; ``analysis`` (the same
    run with its analytics computed, :func:`models.analytics.analyse`) supplies precomputed
    donor-base figures and breakdowns; ``draft`` lists the settings of an unsaved scenario that
    differ from its saved version (the Summary then says "draft — unsaved changes" and lists them);
    ``notes`` are the working group's notes (the Notes sheet). The file appears complete or
    not at all. Raises
    :class:`WorkbookError` when the folder is missing or not writable.
    """
    target = check_target(path)
    model = book_model(
        run,
        analysis=analysis,
        reveal=reveal_confidential,
        hxl=hxl,
        draft=tuple(draft),
        notes=notes,
    )
    wb = Workbook(write_only=True)
    # The workbook's default font (its Normal style) is the house font too: column widths
    # and default row heights are measured in it (openpyxl keeps it as font 0).
    wb._fonts = IndexedList([default_font()])
    styles = CellStyles(
        wb, named_styles().items(), text_styles=TEXT_STYLES, text_fallback=TEXT_FALLBACK
    )
    engine = Engine(wb, styles, scrub=model.scrub)
    wb.calculation.fullCalcOnLoad = True  # Excel recomputes every formula when it opens
    book = Book(model, _open_sheets(engine, hxl))
    try:
        for spec in sheets.WRITE_ORDER:
            sheet = book.sheets[spec.name]
            spec.write(sheet, book)
            sheet.finish()
        for name, ref in book.defined_names.items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        return _save_atomically(wb, target)
    except BaseException:
        _discard(wb)
        raise


def _open_sheets(engine: Engine, hxl: bool) -> dict[str, Sheet]:
    """One sheet per :data:`sheets.ORDER` entry, in workbook order, each with a safe title."""
    taken: list[str] = []
    out: dict[str, Sheet] = {}
    for spec in sheets.ORDER:
        title = safe_sheet_name(spec.name, taken)
        taken.append(title)
        out[spec.name] = Sheet(engine, title, hxl=hxl)
    return out


def _discard(wb: Workbook) -> None:
    """Close and delete the streamed sheets' temporary files after a failure."""
    for ws in wb.worksheets:
        try:
            if not ws.closed:
                ws.close()
        except Exception:  # already failing: cleanup must not mask the original error
            pass
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.cleanup()


def _save_atomically(wb: Workbook, target: Path) -> Path:
    return write_atomically(target, wb.save, WorkbookError)
