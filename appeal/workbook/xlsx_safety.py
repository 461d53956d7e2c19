"""Cell and sheet-name safety for the workbooks the product writes.

Text that came from users (donor and programme names, notes, import messages) must never become
a formula or a hyperlink in a spreadsheet. openpyxl turns any string starting with ``=`` into a
formula and strings such as ``#N/A`` into error values, so every user string goes through
:func:`text_cell`, which forces the cell's data type to a plain string and, when the text starts
with a character a spreadsheet program would read as the start of a formula (``= + - @``, tab,
carriage return and their full-width forms: the one rule of :mod:`appeal.inert`), also sets the
cell's *quote prefix* so the text stays text when someone edits the cell later. Control
characters a workbook cannot hold are dropped rather than failing the export.

Sheet names: :func:`safe_sheet_name` makes any text a valid, unique sheet name (at most 31
characters, none of ``[]:*?/\\``, no leading/trailing apostrophe); :func:`sheet_ref` quotes a
sheet name for use inside a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.cell_style import StyleArray

# The one rule for formula-trigger text (OWASP "CSV injection"), shared with the csv and JSON
# writers; FORMULA_TRIGGERS is re-exported for the workbook's readers.
from appeal.inert import FORMULA_TRIGGERS as FORMULA_TRIGGERS
from appeal.inert import starts_formula

MAX_CELL_TEXT = 32_767  # Excel's limit on characters in one cell
# Characters XML 1.0 cannot carry at all (lone surrogates would not even encode as UTF-8).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
MAX_SHEET_NAME = 31
_FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# Index of ``quotePrefix`` in openpyxl's StyleArray (see openpyxl.styles.cell_style).
_QUOTE_PREFIX_INDEX = 7


def needs_quote_prefix(text: str) -> bool:
    """True when ``text`` starts with a character a spreadsheet would read as a formula."""
    return starts_formula(text)


def clean_text(value: object) -> str:
    """``value`` as text a workbook can hold: illegal control characters removed, line ends
    as LF (XML readers turn a stored CR into LF anyway), length capped."""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def quoted_style(style: StyleArray | None) -> StyleArray:
    """A copy of ``style`` (or the default style) with the quote prefix set."""
    out = StyleArray(style) if style is not None else StyleArray()
    out[_QUOTE_PREFIX_INDEX] = 1
    return out


def text_cell(ws: Any, value: object, style: StyleArray | None = None) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as plain text, never a formula, error or link.

    ``style`` is a StyleArray template (copied, so callers may share one template).
    """
    text = clean_text(value)
    cell = WriteOnlyCell(ws)
    cell.value = text
    # openpyxl has already guessed a type from the text ("f" for "=...", "e" for "#N/A");
    # force a string so the saved XML holds an inline string, never an <f> element.
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell._style = quoted_style(style)
    elif style is not None:
        cell._style = StyleArray(style)
    return cell


def xml_escape(text: str) -> str:
    """Escape text for an XML text node (the three characters that matter there)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def inline_string_xml(ref: str, text: str, style_id: int) -> str:
    """The sheet XML of a text cell: an inline string (``t="inlineStr"``), never a formula.

    ``text`` must already be :func:`clean_text`-ed; ``style_id`` is the cell-format index
    (callers pass the quote-prefixed format when :func:`needs_quote_prefix` says so).
    """
    style = f' s="{style_id}"' if style_id else ""
    if not text:
        return f'<c r="{ref}"{style}/>'  # formatted but empty, as openpyxl writes ""
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{xml_escape(text)}</t></is></c>'


def safe_sheet_name(name: str, existing: Iterable[str] = ()) -> str:
    """A valid sheet name close to ``name`` and unique (case-insensitively) among ``existing``.

    Forbidden characters become ``_``; the name is cut to 31 characters; an empty name becomes
    "Sheet"; clashes get " (2)", " (3)", ... within the length limit.
    """
    base = _FORBIDDEN_SHEET_CHARS.sub("_", clean_text(name)).replace("\n", " ").strip()
    base = base.strip("'").strip() or "Sheet"
    base = base[:MAX_SHEET_NAME].rstrip("'").rstrip() or "Sheet"
    taken = {n.casefold() for n in existing}
    if base.casefold() not in taken:
        return base
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip("'").rstrip() + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def sheet_ref(name: str) -> str:
    """``name`` quoted for a formula reference: 'Funding status' (apostrophes doubled)."""
    return "'" + name.replace("'", "''") + "'"
