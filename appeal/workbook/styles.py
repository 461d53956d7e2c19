"""The appeal workbook's named styles: one NamedStyle per kind of cell.

Sheets ask for a style by its key (:data:`StyleKey`: "usd", "pct", "header", ...); the engine
registers every style once per workbook (users see them in Excel's style gallery, too) and
cells refer to them by index, so no cell builds a style of its own.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

__all__ = [
    "NUMBER",
    "PERCENT",
    "TEXT_FALLBACK",
    "TEXT_STYLES",
    "USD",
    "StyleKey",
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


def named_styles() -> dict[StyleKey, NamedStyle]:
    """A fresh set of the workbook's NamedStyles (a NamedStyle binds to one workbook), in the
    order they are registered."""
    bold_total = {"font": Font(bold=True), "border": Border(top=_THIN)}
    return {
        "title": NamedStyle("Appeal title", font=Font(bold=True, size=14, color="1F3864")),
        "block": NamedStyle("Appeal block", font=Font(bold=True, size=12, color="1F3864")),
        "note": NamedStyle("Appeal note", font=Font(italic=True, color=_GREY)),
        "header": NamedStyle(
            "Appeal header",
            font=Font(bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor="1F4E79"),
            alignment=Alignment(wrap_text=True, vertical="center"),
            border=Border(bottom=_THIN),
        ),
        "hxl": NamedStyle("Appeal HXL", font=Font(italic=True, size=9, color="7F7F7F")),
        # "@" (Text) so a value typed into the cell later stays text too.
        "text": NamedStyle("Appeal text", number_format="@"),
        "wrap": NamedStyle(
            "Appeal wrap", number_format="@", alignment=Alignment(wrap_text=True, vertical="top")
        ),
        "label": NamedStyle("Appeal label", font=Font(bold=True), number_format="@"),
        "usd": NamedStyle("Appeal USD", number_format=USD),
        "usd_exact": NamedStyle(
            "Appeal USD exact", number_format=USD_EXACT, font=Font(color=_GREY)
        ),
        "usd_total": NamedStyle("Appeal USD total", number_format=USD, **bold_total),
        "pct": NamedStyle("Appeal percent", number_format=PERCENT),
        "pct_exact": NamedStyle(
            "Appeal percent exact", number_format="0.00%", font=Font(color=_GREY)
        ),
        "pct_total": NamedStyle("Appeal percent total", number_format=PERCENT, **bold_total),
        "num": NamedStyle("Appeal number", number_format=NUMBER),
        "int": NamedStyle("Appeal integer", number_format="0"),
        # Key/value rows hold numbers of any size (1e-06, 20270101): General shows them as is.
        "general": NamedStyle(
            "Appeal general", number_format="General", alignment=Alignment(horizontal="left")
        ),
    }
