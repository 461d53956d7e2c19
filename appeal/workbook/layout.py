"""The workbook's house layout: how every sheet is set up, printed and laid out in pages.

Every sheet starts with its title in row 1 and a note in row 2 (wrapped across the sheet's
width); tables are a bold block title, a header row and, when the workbook asks for one, an
HXL hashtag row under it.

Printing (what a donor's office gets from File > Print, or LibreOffice's PDF export):

- A4 landscape, fit to one page wide; the Summary also to one page high;
- a print area over exactly what the sheet wrote, a footer naming the sheet and the page;
- the header rows of a one-table sheet, the title rows of any other, repeated on every page;
- row heights set wherever text wraps (headers, notes, explanations, long programme names),
  so nothing is cut off or printed over the next row; and a page break before a table that
  would otherwise start at the foot of a page. :class:`Pager` counts the pages as the rows go
  by, so the workbook knows how many pages each sheet prints on (the Checks sheet records it).

Text is measured, not guessed: the workbook's font is Arial (on every office computer; on
Linux LibreOffice uses Liberation Sans, which has the same widths), and a cell's wrapped lines
are counted with Helvetica's metrics (the same widths, shipped with ReportLab), a little
narrower than the column so the estimate errs towards a taller row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.pagebreak import Break
from reportlab.pdfbase.pdfmetrics import stringWidth

from appeal.workbook.engine import CellValue, Engine, Formula, SheetStream
from appeal.workbook.styles import FONT_NAME, FONT_SIZE, StyleKey

__all__ = [
    "HEADER_ROW",
    "LINE_HEIGHT",
    "Column",
    "Pager",
    "Sheet",
    "column_points",
    "fit_width",
    "labels",
    "position",
    "repeat",
    "styles",
    "tags",
    "wrapped_lines",
]

# Every table sheet's first header row (title in row 1, note in row 2).
HEADER_ROW = 3

# Text metrics (points). Arial and Helvetica share their widths; 12.75 pt is the row height
# spreadsheet programs give one line of 10 pt Arial.
LINE_HEIGHT = 12.75
_METRIC_FONT = {False: "Helvetica", True: "Helvetica-Bold"}
# Of a column's width, what text may use: its cell padding and a margin of safety off.
_TEXT_SHARE = 0.97
_PADDING_PT = 3.0
# Row heights of the rows in larger type (points).
_HEIGHTS: dict[StyleKey, float] = {"title": 21.0, "block": 17.0}
# Styles whose text wraps inside its cell (the rows holding them get measured heights).
_WRAPPING: frozenset[StyleKey] = frozenset({"header", "wrap", "note"})
_BOLD: frozenset[StyleKey] = frozenset({"header", "title", "block", "label"})

# The page (A4 landscape) and its margins, in points.
_PAGE_WIDTH, _PAGE_HEIGHT = 842.0, 595.0
_SIDE_MARGIN_IN = 0.4
_TOP_MARGIN_IN = 0.75
_HEADER_MARGIN_IN = 0.3


class Column(NamedTuple):
    """One column of a table: header label, HXL hashtag, style of its data cells."""

    label: str
    hxl: str = ""
    style: StyleKey | None = None


def labels(columns: Sequence[Column]) -> list[str]:
    return [c.label for c in columns]


def tags(columns: Sequence[Column]) -> list[str]:
    return [c.hxl for c in columns]


def styles(columns: Sequence[Column]) -> list[StyleKey | None]:
    return [c.style for c in columns]


def position(columns: Sequence[Column], column: Column) -> int:
    """The 1-based column number of ``column`` in a table (formulas refer to it)."""
    return list(columns).index(column) + 1


def repeat(style: StyleKey | None, n: int) -> list[StyleKey | None]:
    """``n`` cells of one style."""
    return [style] * n


# ---------------------------------------------------------------------------------------------
# Measuring text
# ---------------------------------------------------------------------------------------------
def column_points(width: float) -> float:
    """A column's width in points, from its width in characters (the spreadsheet convention:
    7-pixel digits plus 5 pixels of padding, at 96 pixels to the inch)."""
    return math.trunc(width * 7 + 5) * 0.75


def text_points(text: str, *, bold: bool = False, size: float = FONT_SIZE) -> float:
    return float(stringWidth(text, _METRIC_FONT[bold], size))


def wrapped_lines(text: str, width: float, *, bold: bool = False, size: float = FONT_SIZE) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide when it wraps
    (greedy, breaking at spaces; a word longer than the line is split)."""
    room = max(column_points(width) * _TEXT_SHARE - _PADDING_PT, 10.0)
    space = text_points(" ", bold=bold, size=size)
    total = 0
    for paragraph in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            w = text_points(word, bold=bold, size=size)
            if used and used + space + w > room:
                lines, used = lines + 1, 0.0
            if w > room:  # a word wider than the line breaks where it must
                extra = math.ceil(w / room) - 1
                lines, used = lines + extra, w - extra * room
            else:
                used = used + space + w if used else w
        total += lines
    return total


def fit_width(texts: Sequence[str], *, minimum: float, maximum: float) -> float:
    """A column width (characters) that shows the longest of ``texts`` on one line, within
    ``minimum``..``maximum`` (longer texts then wrap)."""
    widest = max((text_points(str(t)) for t in texts), default=0.0)
    needed = (widest + _PADDING_PT) / _TEXT_SHARE / 0.75 / 7 + 1
    return float(min(maximum, max(minimum, math.ceil(needed))))


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------
@dataclass
class Pager:
    """Pages of one sheet as its rows are written: rows fill a page's printable height (at
    the fit-to-width scale) below the repeated rows; :meth:`keep` moves a table that would
    not fit whole to a new page."""

    scale: float  # fit-to-width scale: printed points per sheet point
    repeated: float = 0.0  # height of the rows repeated on every page
    used: float = 0.0  # height used on the current page (sheet points)
    pages: int = 1
    breaks: list[int] = field(default_factory=list)  # rows a manual page break follows

    @property
    def capacity(self) -> float:
        body = _PAGE_HEIGHT - 2 * _TOP_MARGIN_IN * 72
        return body / self.scale

    def add(self, height: float, row: int) -> None:
        """Row ``row`` of ``height`` points is written."""
        if self.used + height > self.capacity:
            self.pages += 1
            self.used = self.repeated
        self.used += height

    def keep(self, height: float, after_row: int) -> None:
        """The next ``height`` points of rows belong together: start a new page for them when
        they do not fit on this one but would on an empty one."""
        fits_empty = self.repeated + height <= self.capacity
        if fits_empty and self.used > self.repeated and self.used + height > self.capacity:
            self.breaks.append(after_row)
            self.pages += 1
            self.used = self.repeated


class Sheet(SheetStream[StyleKey]):
    """One sheet of the appeal workbook: the engine's row stream plus the house layout."""

    def __init__(self, engine: Engine, title: str, *, hxl: bool) -> None:
        super().__init__(engine, title)
        self.hxl = hxl
        self.widths: list[float] = []
        self.pager = Pager(scale=1.0)
        self.print_rows: tuple[int, int] | None = None
        self.hidden = False
        self.note_columns: int | None = None  # notes wrap across this many columns (all)
        self.hidden_columns: frozenset[int] = frozenset()  # 0-based; not shown, not printed
        self._heights: dict[tuple[str, int, str], float | None] = {}

    @property
    def first_data_row(self) -> int:
        """The first data row of a table whose header is in :data:`HEADER_ROW`."""
        return HEADER_ROW + (2 if self.hxl else 1)

    @property
    def n_columns(self) -> int:
        return len(self.widths)

    # -- rows --------------------------------------------------------------------------------
    def append(
        self,
        values: Sequence[CellValue],
        styles: Sequence[StyleKey | None] = (),
        height: float | None = None,
    ) -> int:
        """Write one row, measuring its height when text in it wraps (see the module
        docstring); the pager counts it."""
        if height is None:
            height = self.row_height(values, styles)
        row = super().append(values, styles, height)
        self.pager.add(height or LINE_HEIGHT, row)
        if self.print_rows and self.print_rows[0] <= row <= self.print_rows[1]:
            self.pager.repeated += height or LINE_HEIGHT
            self.pager.used = self.pager.repeated
        return row

    def row_height(
        self, values: Sequence[CellValue], styles: Sequence[StyleKey | None]
    ) -> float | None:
        """The height a row needs (None: one ordinary line)."""
        tallest: float | None = None
        for i, style in enumerate(styles):
            if style is None or i >= len(values):
                continue
            fixed = _HEIGHTS.get(style)
            if fixed is not None:
                tallest = max(tallest or 0.0, fixed)
            value = values[i]
            if style in _WRAPPING and isinstance(value, str) and not isinstance(value, Formula):
                key = (value, i, style)
                if key not in self._heights:
                    width = self._merged_width(i) if style == "note" else self._width(i)
                    n = wrapped_lines(self.engine.scrub(value), width, bold=style in _BOLD)
                    self._heights[key] = n * LINE_HEIGHT + 3.0 if n > 1 else None
                needed = self._heights[key]
                if needed is not None:
                    tallest = max(tallest or 0.0, needed)
        return tallest

    def _width(self, i: int) -> float:
        return self.widths[i] if i < len(self.widths) else 8.43

    @property
    def _note_span(self) -> int:
        return min(self.note_columns or self.n_columns, self.n_columns)

    def _merged_width(self, i: int) -> float:
        """A note spans the sheet's columns from its own to the last of its span."""
        shown = [
            w
            for j, w in enumerate(self.widths)
            if i <= j < self._note_span and j not in self.hidden_columns
        ]
        return sum(shown) if shown else 8.43

    def blank(self) -> int:
        return self.append([])

    def title_rows(self, title: str, note: str) -> None:
        """Rows 1-2: the sheet title and a note (wrapped across the sheet's columns)."""
        self.append([title], ["title"])
        self.note(note)

    def header(self, names: Sequence[str], hashtags: Sequence[str] = ()) -> int:
        """A header row (and the HXL hashtag row under it when the workbook asks for one).

        Returns the row number of the last header row (data starts on the next row).
        """
        self.append(list(names), ["header"] * len(names))
        if self.hxl:
            self.append(list(hashtags) + [""] * (len(names) - len(hashtags)), ["hxl"] * len(names))
        return self.row

    def table_header(self, columns: Sequence[Column]) -> int:
        """:meth:`header` for a table given as columns."""
        return self.header(labels(columns), tags(columns))

    def block(self, title: str, rows: int = 1) -> None:
        """A blank row, then a table's title; the title and the table's first ``rows`` rows
        (header included) start a new page when they would not fit on this one."""
        self.blank()
        self.pager.keep(_HEIGHTS["block"] + (rows + (1 if self.hxl else 0)) * LINE_HEIGHT, self.row)
        self.append([title], ["block"])

    def note(self, text: str) -> None:
        """A note, wrapped across the sheet's columns (cells merged to the last column)."""
        if self._note_span > 1:
            span = CellRange(
                min_col=1, max_col=self._note_span, min_row=self.row + 1, max_row=self.row + 1
            )
            self.ws.merged_cells.add(span)
        self.append([text], ["note"])

    # -- set-up and printing ------------------------------------------------------------------
    def setup(
        self,
        widths: Mapping[str, float] | Sequence[float],
        *,
        freeze: str | None,
        print_rows: tuple[int, int] | None = None,
        one_page: bool = False,
        hidden_columns: Sequence[int] = (),
    ) -> None:
        """Column widths, frozen panes, A4 landscape fit to width (and height, ``one_page``),
        rows repeated on every printed page, the footer; ``hidden_columns`` (1-based) neither
        show nor print. Before the first row is written (the stream writes the sheet's top
        then)."""
        ws = self.ws
        items = widths.items() if isinstance(widths, Mapping) else enumerate(widths, start=1)
        for col, width in items:
            index = col if isinstance(col, int) else _column_index(col)
            while len(self.widths) < index:
                self.widths.append(8.43)
            self.widths[index - 1] = float(width)
            ws.column_dimensions[get_column_letter(index)].width = width
        self.hidden_columns = frozenset(c - 1 for c in hidden_columns)
        for c in hidden_columns:
            ws.column_dimensions[get_column_letter(c)].hidden = True
        if freeze:
            ws.freeze_panes = freeze
        ws.sheet_format.defaultRowHeight = LINE_HEIGHT
        ws.sheet_format.customHeight = True
        ps = ws.page_setup
        ps.orientation = "landscape"
        ps.paperSize = "9"  # A4
        ps.fitToWidth = 1
        ps.fitToHeight = 1 if one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = _SIDE_MARGIN_IN
        ws.page_margins.top = ws.page_margins.bottom = _TOP_MARGIN_IN
        ws.page_margins.header = ws.page_margins.footer = _HEADER_MARGIN_IN
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "Page &P of &N"
        for part in (ws.oddFooter.left, ws.oddFooter.right):
            part.font = FONT_NAME
            part.size = 8
        if print_rows:
            self.print_rows = print_rows
            ws.print_title_rows = f"{print_rows[0]}:{print_rows[1]}"
        sheet_width = sum(
            column_points(w) for j, w in enumerate(self.widths) if j not in self.hidden_columns
        )
        printable = _PAGE_WIDTH - 2 * _SIDE_MARGIN_IN * 72
        self.pager = Pager(scale=min(1.0, printable / sheet_width) if sheet_width else 1.0)

    def table_setup(
        self, widths: Sequence[float], *, freeze_col: str, hidden_columns: Sequence[int] = ()
    ) -> None:
        """:meth:`setup` for a sheet that is one table under the title rows: panes frozen
        above its first data row (left of ``freeze_col``), the header rows printed on every
        page."""
        first = self.first_data_row
        self.setup(
            widths,
            freeze=f"{freeze_col}{first}",
            print_rows=(HEADER_ROW, first - 1),
            hidden_columns=hidden_columns,
        )

    def summary_setup(self, widths: Sequence[float], *, one_page: bool = False) -> None:
        """:meth:`setup` for a sheet of several tables: the title rows frozen and printed."""
        self.setup(widths, freeze="A3", print_rows=(1, 2), one_page=one_page)

    def finish(self) -> None:
        """After the last row: the print area over what was written, the page breaks. A
        hidden sheet gets no print area: LibreOffice prints a hidden sheet that has one."""
        if self.hidden:
            self.ws.sheet_state = "hidden"
            return
        if self.row and self.widths:
            self.ws.print_area = f"A1:{get_column_letter(self.n_columns)}{self.row}"
        for row in self.pager.breaks:
            self.ws.row_breaks.append(Break(id=row))

    @property
    def pages(self) -> int:
        """Pages the sheet prints on (1 for a sheet fitted to one page)."""
        return 1 if self.ws.page_setup.fitToHeight == 1 else self.pager.pages


def _column_index(letters: str) -> int:
    from openpyxl.utils import column_index_from_string

    return int(column_index_from_string(letters))
