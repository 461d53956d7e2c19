"""The appeal workbook's named styles: one NamedStyle per kind of cell.

Sheets ask for a style by its key (:data:`StyleKey`: "usd", "pct", "header", ...); the engine
registers every style once per workbook (users see them in Excel's style gallery, too) and
cells refer to them by index, so no cell builds a style of its own.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

__all__ = [
    "FONT_NAME",
    "FONT_SIZE",
    "NUMBER",
    "PERCENT",
    "TEXT_FALLBACK",
    "TEXT_STYLES",
    "USD",
    "StyleKey",
    "default_font",
    "named_styles",
    "style_key",
]

StyleKey = Literal[
    "title",
    "block",
    "note",
    "header",
    "hxl",
    "text",
    "wrap",
    "label",
    "usd",
    "usd_exact",
    "usd_total",
    "pct",
    "pct_exact",
    "pct_total",
    "num",
    "int",
    "general",
]

USD = '"USD "#,##0'
USD_EXACT = '"USD "#,##0.00'
PERCENT = "0.0%"
NUMBER = "#,##0.00"

# Styles that may carry text; text asked for in any other style gets TEXT_FALLBACK.
TEXT_STYLES: frozenset[StyleKey] = frozenset(
    {"title", "block", "note", "header", "hxl", "text", "wrap", "label"}
)
TEXT_FALLBACK: StyleKey = "text"

_KEYS: frozenset[str] = frozenset(get_args(StyleKey))


def style_key(name: str) -> StyleKey:
    """``name`` as a style key (for keys kept as plain strings, e.g. the Pledges columns')."""
    if name not in _KEYS:
        raise ValueError(f"unknown workbook style {name!r}; known: {', '.join(sorted(_KEYS))}")
    return cast(StyleKey, name)


_THIN = Side(style="thin", color="8EA9C1")
_GREY = "595959"
# Arial: on every office computer, and LibreOffice on Linux prints it with Liberation Sans,
# which has the same widths, so wrapped lines and pages are the same wherever it is printed.
FONT_NAME = "Arial"
FONT_SIZE = 10.0


def _font(**kw: object) -> Font:
    return Font(name=FONT_NAME, **{"size": FONT_SIZE, **kw})


# Every cell aligns to the top: a row made taller by wrapped text keeps its cells level.
def _top() -> Alignment:
    return Alignment(vertical="top")


def default_font() -> Font:
    """The workbook's default font (its "Normal" style and every unstyled cell)."""
    return _font(family=2)


def named_styles() -> dict[StyleKey, NamedStyle]:
    """A fresh set of the workbook's NamedStyles (a NamedStyle binds to one workbook), in the
    order they are registered."""
    bold_total = {"font": _font(bold=True), "border": Border(top=_THIN), "alignment": _top()}
    return {
        "title": NamedStyle("Appeal title", font=_font(bold=True, size=14, color="1F3864")),
        "block": NamedStyle("Appeal block", font=_font(bold=True, size=12, color="1F3864")),
        "note": NamedStyle(
            "Appeal note",
            font=_font(italic=True, color=_GREY),
            alignment=Alignment(wrap_text=True, vertical="top"),
        ),
        "header": NamedStyle(
            "Appeal header",
            font=_font(bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="1F4E79"),
            alignment=Alignment(wrap_text=True, vertical="center"),
            border=Border(bottom=_THIN),
        ),
        "hxl": NamedStyle("Appeal HXL", font=_font(italic=True, size=9, color="7F7F7F")),
        # "@" (Text) so a value typed into the cell later stays text too.
        "text": NamedStyle("Appeal text", font=_font(), number_format="@", alignment=_top()),
        "wrap": NamedStyle(
            "Appeal wrap",
            font=_font(),
            number_format="@",
            alignment=Alignment(wrap_text=True, vertical="top"),
        ),
        "label": NamedStyle(
            "Appeal label", font=_font(bold=True), number_format="@", alignment=_top()
        ),
        "usd": NamedStyle("Appeal USD", font=_font(), number_format=USD, alignment=_top()),
        "usd_exact": NamedStyle(
            "Appeal USD exact",
            number_format=USD_EXACT,
            font=_font(color=_GREY),
            alignment=_top(),
        ),
        "usd_total": NamedStyle("Appeal USD total", number_format=USD, **bold_total),
        "pct": NamedStyle("Appeal percent", font=_font(), number_format=PERCENT, alignment=_top()),
        "pct_exact": NamedStyle(
            "Appeal percent exact",
            number_format="0.00%",
            font=_font(color=_GREY),
            alignment=_top(),
        ),
        "pct_total": NamedStyle("Appeal percent total", number_format=PERCENT, **bold_total),
        "num": NamedStyle("Appeal number", font=_font(), number_format=NUMBER, alignment=_top()),
        "int": NamedStyle("Appeal integer", font=_font(), number_format="0", alignment=_top()),
        # Key/value rows hold numbers of any size (1e-06, 20270101): General shows them as is.
        "general": NamedStyle(
            "Appeal general",
            font=_font(),
            number_format="General",
            alignment=Alignment(horizontal="left", vertical="top"),
        ),
    }
