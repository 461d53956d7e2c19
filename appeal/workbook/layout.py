"""The workbook's house layout: how every sheet is set up and how its tables look.

Every sheet starts with its title in row 1 and a one-line note in row 2; tables are a bold
block title, a header row and, when the workbook asks for one, an HXL hashtag row under it.
Sheets are landscape A4, fit to one page wide, with frozen panes and repeated title rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from openpyxl.utils import get_column_letter

from appeal.workbook.engine import Engine, SheetStream
from appeal.workbook.styles import StyleKey

__all__ = [
    "HEADER_ROW",
    "Column",
    "Sheet",
    "labels",
    "position",
    "repeat",
    "styles",
    "tags",
]

# Every table sheet's first header row (title in row 1, note in row 2).
HEADER_ROW = 3


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


class Sheet(SheetStream[StyleKey]):
    """One sheet of the appeal workbook: the engine's row stream plus the house layout."""

    def __init__(self, engine: Engine, title: str, *, hxl: bool) -> None:
        super().__init__(engine, title)
        self.hxl = hxl

    @property
    def first_data_row(self) -> int:
        """The first data row of a table whose header is in :data:`HEADER_ROW`."""
        return HEADER_ROW + (2 if self.hxl else 1)

    def blank(self) -> int:
        return self.append([])

    def title_rows(self, title: str, note: str) -> None:
        """Rows 1-2: the sheet title and a one-line note."""
        self.append([title], ["title"])
        self.append([note], ["note"])

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

    def block(self, title: str) -> None:
        """A blank row, then a table's title."""
        self.blank()
        self.append([title], ["block"])

    def note(self, text: str) -> None:
        self.append([text], ["note"])

    def setup(
        self,
        widths: Mapping[str, float] | Sequence[float],
        *,
        freeze: str | None,
        print_rows: str | None = None,
    ) -> None:
        """Column widths, frozen panes, landscape fit-to-width page setup, print title rows.

        Must run before the first row is written (the stream writes the sheet's top then).
        """
        ws = self.ws
        items = widths.items() if isinstance(widths, Mapping) else enumerate(widths, start=1)
        for col, width in items:
            letter = col if isinstance(col, str) else get_column_letter(int(col))
            ws.column_dimensions[letter].width = width
        if freeze:
            ws.freeze_panes = freeze
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        if print_rows:
            ws.print_title_rows = print_rows

    def table_setup(self, widths: Sequence[float], *, freeze_col: str) -> None:
        """:meth:`setup` for a sheet that is one table under the title rows: panes frozen
        above its first data row (left of ``freeze_col``), the header rows printed on every
        page."""
        first = self.first_data_row
        self.setup(widths, freeze=f"{freeze_col}{first}", print_rows=f"{HEADER_ROW}:{first - 1}")

    def summary_setup(self, widths: Sequence[float]) -> None:
        """:meth:`setup` for a sheet of several tables: the title rows frozen and printed."""
        self.setup(widths, freeze="A3", print_rows="1:2")
