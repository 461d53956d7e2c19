"""Suggestions that help fix a file: "did you mean FLAG-09?" and what the reader saw.

Every unknown code, choice or header is compared with the known ones (:mod:`difflib`, after
the same normalisation the reader matches with), and a header row that is not found is
explained by the rows that were there.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["did_you_mean", "rows_seen"]

#: How close a suggestion must be (difflib ratio).
CUTOFF = 0.6


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def did_you_mean(text: str, known: Iterable[str], *, limit: int = 2) -> str:
    """ " (did you mean X?)" naming the closest known values, or "" when none is close."""
    candidates: dict[str, str] = {}
    for value in known:
        candidates.setdefault(_key(value), value)
    candidates.pop("", None)
    close = difflib.get_close_matches(_key(text), list(candidates), n=limit, cutoff=CUTOFF)
    if not close:
        return ""
    names = " or ".join(candidates[k] for k in close)
    return f" (did you mean {names}?)"


def rows_seen(head: Sequence[tuple[int, Sequence[Any]]], *, rows: int = 3, cells: int = 12) -> str:
    """The first non-blank rows as the reader saw them, by their row numbers: "row 1: 'date',
    'budgetYear', ..."."""
    shown = []
    for number, row in head:
        values = [str(v).strip() for v in row if v is not None and str(v).strip()]
        if not values:
            continue
        text = ", ".join(repr(v[:40]) for v in values[:cells])
        if len(values) > cells:
            text += f", ... ({len(values)} cells)"
        shown.append(f"row {number}: {text}")
        if len(shown) == rows:
            break
    return "; ".join(shown) if shown else "the rows are blank"
