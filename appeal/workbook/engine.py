"""The streaming sheet engine: rows of plain values rendered straight to sheet XML.

openpyxl's write-only mode streams each sheet to a temporary file, but its per-cell serialiser
(one ``WriteOnlyCell`` and one XML element per value) is too slow for the L-size plan: about
20x slower than rendering a row as text. The engine renders each row itself
(:meth:`SheetStream.append`) and leaves openpyxl everything around the rows: the workbook, its
styles table, the sheet's top (properties, views, columns) and tail (page setup, drawings).

Why the engine owns the sheet's file: openpyxl streams sheets through
``openpyxl.xml.functions.xmlfile``, which is et_xmlfile's writer, or ``lxml.etree.xmlfile``
once lxml is installed. An earlier version wrote rows through et_xmlfile's private raw-write
hook; under lxml that hook did not exist and every row silently fell back to openpyxl's cells
(about 6x slower). Now each sheet gets :class:`_SheetFileWriter`: openpyxl's worksheet writer
with the XML stream replaced by a plain UTF-8 file. The top and tail elements are serialised
with openpyxl's own ``tostring`` (lxml's or ElementTree's, whichever built them); the rows go
to the file as text. Nothing depends on which XML library is installed (tests/test_workbook.py
checks that no row reaches openpyxl's cell writer, with and without lxml).

``FAST = False`` switches to openpyxl's own cells (a reference path: a test checks both paths
give the same workbook).

Cells: a :class:`Formula` becomes an ``<f>``; any other ``str`` is text, always an inline string
with the quote-prefix format when it starts like a formula (:mod:`appeal.workbook.xlsx_safety`),
after the book's ``scrub`` (privacy) and clean-up; numbers are written in shortest round-trip
form; ``None``, NaN and infinities leave the cell empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import IO, Generic, TypeVar

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import NamedStyle
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import tostring

from appeal.workbook.xlsx_safety import (
    clean_text,
    inline_string_xml,
    needs_quote_prefix,
    quoted_style,
    sheet_ref,
    text_cell,
    xml_escape,
)

__all__ = ["FAST", "CellStyles", "CellValue", "Engine", "Formula", "SheetStream", "number_xml"]

# Render rows straight to sheet XML (tests switch it off to compare with openpyxl's cells).
FAST = True


class Formula(str):
    """A formula the workbook writer built itself (never user text); starts with ``=``."""


CellValue = str | int | float | None  # str: safe text; Formula: a formula; None: empty

_LETTERS = [get_column_letter(i) for i in range(1, 200)]


class CellStyles:
    """The workbook's NamedStyles as cell formats, registered once per workbook.

    For every style key: the StyleArray (openpyxl path), the cell-format index the XML rows
    refer to (``s="N"``), and the index of its quote-prefixed twin for formula-like text.
    ``text_styles`` are the keys that may carry text; text asked for in any other style (a
    number column) gets ``text_fallback``, so text is always formatted as text ("@").
    """

    def __init__(
        self,
        wb: Workbook,
        named: Iterable[tuple[str, NamedStyle]],
        *,
        text_styles: Iterable[str],
        text_fallback: str,
    ) -> None:
        self.arrays: dict[str, StyleArray] = {}
        for key, style in named:
            wb.add_named_style(style)  # binds it: its StyleArray now holds the format ids
            self.arrays[key] = StyleArray(style.as_tuple())
        # Every format first, then every quote-prefixed twin (the order fixes the indexes).
        self.ids = {key: wb._cell_styles.add(a) for key, a in self.arrays.items()}
        self.quoted_ids = {
            key: wb._cell_styles.add(quoted_style(a)) for key, a in self.arrays.items()
        }
        self.attrs: dict[str | None, str] = {
            k: f' s="{i}"' if i else "" for k, i in self.ids.items()
        }
        self.attrs[None] = ""
        self.text_styles = frozenset(text_styles)
        self.text_fallback = text_fallback

    def text_key(self, key: str | None) -> str:
        """The style a text cell gets when its column asks for ``key``."""
        return key if key is not None and key in self.text_styles else self.text_fallback


class Engine:
    """One workbook's engine: its styles and the text rendering all its sheets share."""

    def __init__(
        self,
        wb: Workbook,
        styles: CellStyles,
        *,
        scrub: Callable[[str], str] = lambda s: s,
        fast: bool | None = None,
    ) -> None:
        self.wb = wb
        self.styles = styles
        self.scrub = scrub
        self.fast = FAST if fast is None else fast
        # Names, ids and statuses repeat on thousands of rows: each is rendered once.
        self.text_cache: dict[tuple[str, str], str] = {}

    def text_xml(self, value: str, key: str) -> str:
        """A text cell's XML after ``<c r="REF"`` in style ``key`` (a text style): safe,
        scrubbed, quote-prefixed if needed."""
        tail = self.text_cache.get((value, key))
        if tail is None:
            text = clean_text(self.scrub(value))
            ids = self.styles.quoted_ids if needs_quote_prefix(text) else self.styles.ids
            tail = inline_string_xml("", text, ids[key])[len('<c r=""') :]
            self.text_cache[(value, key)] = tail
        return tail


Key = TypeVar("Key", bound=str)  # the style keys a workbook's sheets use


class SheetStream(Generic[Key]):
    """A write-only worksheet whose rows the engine renders to XML.

    Set the sheet up (:attr:`ws`: widths, panes, page setup) before the first row: openpyxl
    writes the sheet's top when the stream opens. :attr:`row` is the last row written.
    """

    def __init__(self, engine: Engine, title: str) -> None:
        self.engine = engine
        self.title = title
        self.ws: WriteOnlyWorksheet = engine.wb.create_sheet(title)
        self.ref = sheet_ref(title)
        self.row = 0
        self._writer: _SheetFileWriter | None = None

    def append(
        self,
        values: Sequence[CellValue],
        styles: Sequence[Key | None] = (),
        height: float | None = None,
    ) -> int:
        """Write one row; ``styles`` gives a style key per column (None: default), ``height``
        the row's height in points (None: the sheet's default). Returns the row number.

        The reference path (openpyxl's cells) leaves heights out: write-only sheets cannot set
        them there."""
        if self.row == 0 and self.engine.fast:
            self._writer = _SheetFileWriter.install(self.ws)
        self.row += 1
        if self._writer is not None:
            self._writer.write_row(self._render(values, styles, height))
        else:
            n_styles = len(styles)
            self.ws.append(
                [self._cell(v, styles[i] if i < n_styles else None) for i, v in enumerate(values)]
            )
        return self.row

    def _render(
        self, values: Sequence[CellValue], styles: Sequence[Key | None], height: float | None
    ) -> str:
        """One row of sheet XML."""
        engine = self.engine
        s_attr = engine.styles.attrs
        text_styles = engine.styles.text_styles
        fallback = engine.styles.text_fallback
        cache = engine.text_cache
        r = self.row
        n_styles = len(styles)
        parts = [f'<row r="{r}" ht="{height:g}" customHeight="1">' if height else f'<row r="{r}">']
        for i, value in enumerate(values):
            if value is None:
                continue
            style = styles[i] if i < n_styles else None
            if isinstance(value, str):
                if isinstance(value, Formula):
                    formula = xml_escape(value[1:])
                    parts.append(f'<c r="{_LETTERS[i]}{r}"{s_attr[style]}><f>{formula}</f></c>')
                    continue
                # Inlined text_key and cache lookup: this runs for every text cell.
                key = style if style in text_styles else fallback
                tail = cache.get((value, key)) or engine.text_xml(value, key)
                parts.append(f'<c r="{_LETTERS[i]}{r}"{tail}')
            else:
                number = number_xml(value)
                if number is not None:
                    parts.append(
                        f'<c r="{_LETTERS[i]}{r}"{s_attr[style]} t="n"><v>{number}</v></c>'
                    )
        parts.append("</row>")
        return "".join(parts)

    def _cell(self, value: CellValue, style: str | None) -> WriteOnlyCell | None:
        """The same cell through openpyxl (the reference path)."""
        if value is None:
            return None
        styles = self.engine.styles
        if isinstance(value, Formula):
            c = WriteOnlyCell(self.ws, str(value))
        elif isinstance(value, str):
            key = styles.text_key(style)
            return text_cell(self.ws, self.engine.scrub(value), styles.arrays[key])
        else:
            number = number_xml(value)
            if number is None:
                return None
            c = WriteOnlyCell(
                self.ws, float(number) if "." in number or "e" in number else int(number)
            )
        if style is not None:
            c._style = StyleArray(styles.arrays[style])
        return c


class _SheetFileWriter(WorksheetWriter):
    """openpyxl's worksheet writer with its XML stream replaced by a plain UTF-8 file.

    openpyxl still sends the sheet's top and tail as elements (serialised here with its own
    ``tostring``); :meth:`write_row` adds the engine's rows as text. ``ws.close()`` (at save)
    calls :meth:`write_rows`, which closes ``<sheetData>``.
    """

    _file: IO[str]

    @classmethod
    def install(cls, ws: WriteOnlyWorksheet) -> _SheetFileWriter:
        """Give ``ws`` this writer (before openpyxl makes its own), write the top, open rows."""
        if ws._writer is not None:
            raise RuntimeError(f"sheet {ws.title!r} already has a writer")
        writer = cls(ws)
        ws._writer = writer
        writer.write_top()
        writer._file.write("<sheetData>")
        return writer

    def get_stream(self) -> Generator[IO[str] | None, object, None]:
        # newline="": text that holds a line break stays as it is on every platform.
        with open(self.out, "w", encoding="utf-8", newline="") as out:
            self._file = out
            out.write(f'<worksheet xmlns="{SHEET_MAIN_NS}">')
            try:
                while True:
                    el = yield None
                    if el is True:  # openpyxl asks for the stream (only to write rows)
                        yield out
                    elif el is not None:
                        out.write(tostring(el).decode("utf-8"))
            except GeneratorExit:
                pass
            out.write("</worksheet>")

    def write_row(self, xml: str) -> None:
        self._file.write(xml)

    def write_rows(self) -> None:
        """Called by ``ws.close()``: the rows are written, close ``<sheetData>``."""
        self._file.write("</sheetData>")


def number_xml(value: object) -> str | None:
    """A cell number as sheet XML text (shortest round-trip form); None for NaN/inf.

    bool is refused (callers write yes/no text): a True would otherwise become 1.
    """
    kind = type(value)
    if kind is int:  # the common cases first: this runs for every numeric cell
        return str(value)
    if kind is float:
        number = float(value)  # type: ignore[arg-type]
        if number - number != 0.0:  # NaN or infinity
            return None
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        if hasattr(value, "item") and not isinstance(value, bool):
            return number_xml(value.item())
        raise TypeError(f"cannot write {type(value).__name__} {value!r} to a cell")
    if isinstance(value, int | np.integer):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return None
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)
