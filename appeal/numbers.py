"""Decimal conventions: numbers written ``1,234.56`` (point decimal) or ``1.234,56`` /
``606 796,00`` (comma decimal), told apart and turned into one canonical spelling.

A file has one convention. :func:`evidence` says what one cell shows about it (many cells say
nothing: ``1,250`` is a thousand and a quarter or a number with a thousands separator), the csv
reader collects that over the whole sample (:mod:`appeal.csv_reader`), and the user may state
it (``--decimal``). :func:`canonical` then rewrites the numbers inside a cell's text in the
point-decimal spelling the cell parsers read (``606.796,00`` -> ``606796.00``, ``EUR 1,5m``
-> ``EUR 1.5m``); under the point convention a cell that can only be comma-decimal is refused
with a hint, never read as a different number.

Standard library only.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["COMMA", "POINT", "Decimal", "DecimalConflict", "canonical", "evidence"]

Decimal = Literal[".", ","]
POINT: Decimal = "."
COMMA: Decimal = ","

# Thousands separators written between groups of three digits in either convention.
_GROUP_SPACE = "[ \u00a0\u202f\u2009']"
_SPACED = re.compile(rf"(?<=\d){_GROUP_SPACE}(?=\d{{3}}(?:\D|$))")
# A number inside a cell's text: digits with separators (the cell parsers do the rest).
_TOKEN = re.compile(r"\d[\d.,]*")
_PURE = re.compile(r"^[-+(]?\s*\d[\d.,]*\)?$")


class DecimalConflict(ValueError):
    """A cell's number cannot be read under the file's convention (message for people)."""


def _squeeze(text: str) -> str:
    """Thousands separators made of spaces removed ("606 796,00" -> "606796,00")."""
    return _SPACED.sub("", text.strip())


def evidence(text: str) -> Decimal | None:
    """The convention a cell's text proves, or None when it proves none (not a number, or a
    number both conventions read, such as ``1,250`` or ``2027``)."""
    if not text or len(text) > 40:
        return None
    squeezed = _squeeze(text)
    if not _PURE.match(squeezed):
        return None
    digits = squeezed.strip("-+() ")
    return _token_evidence(digits)


def _token_evidence(token: str) -> Decimal | None:
    has_point, has_comma = "." in token, "," in token
    if has_point and has_comma:
        last = max(token.rfind("."), token.rfind(","))
        decimal = token[last]
        other = "," if decimal == "." else "."
        head = token[:last]
        if decimal in head or not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(other)}\d{{3}})+", head):
            return None  # "1.2.3,4": not a number in either convention
        return POINT if decimal == "." else COMMA
    if not (has_point or has_comma):
        return None
    sep = "." if has_point else ","
    groups = token.split(sep)
    if len(groups) > 2:
        # Several separators: thousands groups, so the other character is the decimal one.
        if re.fullmatch(r"\d{1,3}", groups[0]) and all(len(g) == 3 for g in groups[1:]):
            return COMMA if sep == "." else POINT
        return None
    whole, part = groups
    if not whole or not part or not whole.isdigit() or not part.isdigit():
        return None
    if len(part) != 3 or whole == "0":
        # "1,5", "0,824", "2020.0": only a decimal separator is followed by other than three
        # digits, and no thousands group starts with 0.
        return POINT if sep == "." else COMMA
    return None  # "1,250" / "1.250": either convention


def canonical(text: str, decimal: Decimal) -> str:
    """``text`` with the numbers in it spelled point-decimal, as the cell parsers read them.

    Under :data:`COMMA`, ``.`` and spaces are thousands separators and ``,`` the decimal one;
    under :data:`POINT` the text is unchanged, except that a number only the comma convention
    can read raises :class:`DecimalConflict`.
    """
    if decimal == POINT:
        for match in _TOKEN.finditer(_squeeze(text)):
            if _token_evidence(match.group()) == COMMA:
                raise DecimalConflict(
                    f"{text.strip()!r} is written with a decimal comma, but this file's numbers "
                    "use a decimal point; state the file's convention with --decimal ,"
                )
        return text
    squeezed = _squeeze(text)

    def rewrite(match: re.Match[str]) -> str:
        token = match.group()
        if _token_evidence(token) == POINT:
            raise DecimalConflict(
                f"{text.strip()!r} is written with a decimal point, but this file's numbers "
                "use a decimal comma (--decimal ,)"
            )
        whole, _, part = token.rpartition(",") if "," in token else (token, "", "")
        whole = whole.replace(".", "")
        return f"{whole}.{part}" if part else whole

    return _TOKEN.sub(rewrite, squeezed)
