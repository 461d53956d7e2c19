"""Rows real spreadsheets have that are not data: totals, subtotals and notes.

A "Total" row read as a pledge makes "Total" a top donor; a note under the table ("Source:
OCHA FTS, 2021") becomes a row error. Such rows are recognised and set aside with a warning
(counted apart, never silently dropped):

- a **totals row**: a cell reads "Total", "Subtotal", "Grand total", "Sum", "Totals:" ... and
  no key column (donor, pledge_id, line_id, name) holds anything else;
- a **note row**: a single filled cell, starting with "Note", "NB", "Source", "*" ... or a
  sentence of six words or more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from appeal.spreadsheet import Table, clean_text, is_blank

__all__ = ["KEY_COLUMNS", "summary_kind"]

#: Columns that name what a row is about: a totals row leaves them blank or says "Total".
KEY_COLUMNS: tuple[str, ...] = ("donor", "pledge_id", "line_id", "name")

_TOTAL = re.compile(
    r"^(?:grand\s+|sub[\s-]?)?totals?\b|^sum(?:\s+of\b|\s*:|$)|^total\s+\w+", re.IGNORECASE
)
_NOTE = re.compile(
    r"^(?:notes?\b|n\.?\s?b\.?\b|sources?\b|remarks?\b|comments?\b|disclaimer\b|[*†‡¹²³])",
    re.IGNORECASE,
)
_SENTENCE_WORDS = 6


def _texts(values: Iterable[Any]) -> list[str]:
    return [clean_text(v) for v in values if not is_blank(v)]


def summary_kind(table: Table, values: tuple[Any, ...]) -> str:
    """ "totals row", "note row" or "" for one data row of ``table``."""
    filled = _texts(values)
    if not filled:
        return ""
    keys = [
        clean_text(values[i])
        for c in KEY_COLUMNS
        if (i := table.columns.get(c)) is not None and i < len(values) and not is_blank(values[i])
    ]
    if any(_TOTAL.match(t) for t in filled if not _looks_numeric(t)) and all(
        _TOTAL.match(k) for k in keys
    ):
        return "totals row"
    if len(filled) == 1:
        text = filled[0]
        if _NOTE.match(text) or (len(text.split()) >= _SENTENCE_WORDS and not _looks_numeric(text)):
            return "note row"
    return ""


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\d\s.,%$€£¥()+-]+", text))
