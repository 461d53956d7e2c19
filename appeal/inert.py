"""Inert text: the one rule for text a spreadsheet program would run as a formula.

Any file the tool writes (csv, xlsx, JSON) may be opened in Excel or LibreOffice, which treat a
cell starting with ``=``, ``+``, ``-`` or ``@`` — or a tab or carriage return before one, or
the full-width forms ``＝ ＋ － ＠`` some programs fold to them — as a formula (OWASP "CSV
injection"). Text from users (donor, programme, sheet and file names, notes) must never become
one, so every writer asks :func:`starts_formula`:

- csv and JSON writers prefix such text with a single quote, as OWASP recommends
  (:func:`inert_text`, :func:`inert_data`, :func:`inert_frame`), which spreadsheet programs show
  as text and strip when the cell is edited;
- the xlsx writer stores it as a string cell with Excel's quote-prefix style
  (:mod:`appeal.workbook.xlsx_safety`), the workbook's own way of saying the same.

Numbers stay numbers; only text is changed, and only text that starts with a trigger.
Standard library only: the command line imports this cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "QUOTE", "inert_data", "inert_frame", "inert_text", "starts_formula"]

#: First characters that make spreadsheet programs read a typed or pasted value as a formula:
#: OWASP's list (= + - @ tab CR), LF (XML turns a stored CR into one) and the full-width forms.
FORMULA_TRIGGERS: frozenset[str] = frozenset(
    {"=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"}
)
#: What csv and JSON writers put before such text.
QUOTE = "'"


def starts_formula(text: str) -> bool:
    """True when ``text`` starts with a character a spreadsheet would read as a formula."""
    return bool(text) and text[0] in FORMULA_TRIGGERS


def inert_text(text: str) -> str:
    """``text`` as a csv or JSON writer writes it: quote-prefixed when it starts a formula."""
    return QUOTE + text if text and text[0] in FORMULA_TRIGGERS else text


def inert_data(value: Any) -> Any:
    """JSON-like data (dicts, lists, scalars) with every string — keys too — made inert."""
    if isinstance(value, str):
        return inert_text(value)
    if isinstance(value, dict):
        return {inert_text(k) if isinstance(k, str) else k: inert_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [inert_data(v) for v in value]
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) made inert, for csv."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (is_numeric_dtype(values) or is_bool_dtype(values)):
            out[column] = values.map(lambda v: inert_text(v) if isinstance(v, str) else v)
    out.columns = [inert_text(c) if isinstance(c, str) else c for c in out.columns]
    return out
