"""Cell parsers: one spreadsheet cell -> a typed value, by the contract's column kinds
(:mod:`models.contract`), or :class:`appeal.spreadsheet.CellError` saying what is wrong with it.

:func:`parser` gives the parser of a contract column (in a decimal convention); the others
are the rules several columns share: currency codes, years and year spans (``2024-2026``,
``2020.0``), calendar dates, pillars, themes, priorities and the accepted spellings of each
vocabulary (:func:`vocabulary_choices`). No rows, files or reports here:
:mod:`appeal.importer` applies these to rows and collects the errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from appeal import numbers
from appeal import spreadsheet as ss
from appeal.numbers import COMMA, POINT, Decimal
from appeal.spreadsheet import CellError
from appeal.suggest import did_you_mean
from models import contract
from models.contract import Column
from models.eligibility import normalise_theme

__all__ = [
    "PILLAR_WORDS",
    "PRIORITY_WORDS",
    "YearSpan",
    "currency_code",
    "parse_year",
    "parser",
    "pattern_parser",
    "vocabulary_choices",
]


def vocabulary_choices(vocabulary: contract.Vocabulary) -> dict[str, str]:
    """header_key of each accepted spelling -> canonical value (values first, in order)."""
    out: dict[str, str] = {}
    for spelling, value in vocabulary.spellings():
        out.setdefault(ss.header_key(spelling), value)
    return out


# Accepted spellings (compared via spreadsheet.header_key) -> canonical values.
PILLAR_WORDS = vocabulary_choices(contract.PILLAR)
PRIORITY_WORDS = dict(contract.PRIORITY_WORDS)


def currency_code(v: Any) -> str:
    text = ss.parse_code(v, what="currency").upper()
    text = ss.CURRENCY_SYMBOLS.get(text, text)
    if not (len(text) == 3 and text.isascii() and text.isalpha()):
        raise CellError(f"currency {text!r} is not a 3-letter ISO 4217 code like USD or EUR")
    return text


def _as_of(what: str, max_length: int) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        return ss.parse_text(v, what=what, max_length=max_length)

    return parse


_PILLAR_HINT = ", ".join(contract.PILLAR.values)
_PRIORITY_HINT = (
    f"{contract.PROGRAMMES.column('priority').minimum:g}-"
    f"{contract.PROGRAMMES.column('priority').maximum:g} or {'/'.join(PRIORITY_WORDS)}"
)


def _priority(v: Any) -> int:
    text = ss.clean_text(v).casefold()
    if text in PRIORITY_WORDS:
        return PRIORITY_WORDS[text]
    try:
        value = ss.parse_int(v, what="priority")
    except CellError:
        raise CellError(f"priority must be {_PRIORITY_HINT}, got {ss.clean_text(v)!r}") from None
    return value


def _pillars(what: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        parts = [p for p in ss.parse_text(v, what=what).replace(",", ";").split(";") if p.strip()]
        out: list[str] = []
        for part in parts:
            key = ss.header_key(part).removeprefix("pillar")  # "Pillar II" is pillar II
            if key not in PILLAR_WORDS:
                raise CellError(f"pillar {part.strip()!r} is not one of {_PILLAR_HINT}")
            if PILLAR_WORDS[key] not in out:
                out.append(PILLAR_WORDS[key])
        return ";".join(out)

    return parse


def _themes(what: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        parts = [p for p in ss.parse_text(v, what=what).replace(",", ";").split(";") if p.strip()]
        out: list[str] = []
        for part in parts:
            theme = normalise_theme(part)
            if not theme.replace("_", "").isalnum():
                raise CellError(
                    f"theme {part.strip()!r} must be a word like gender or human_rights"
                )
            if theme not in out:
                out.append(theme)
        return ";".join(out)

    return parse


def _usd(what: str) -> Callable[[Any], float]:
    def parse(v: Any) -> float:
        amount, currency = ss.parse_amount(v, what=what)
        if currency not in (None, "USD"):
            raise CellError(f"{what} must be in USD, got {currency}")
        return amount

    return parse


def _score(what: str, low: float, high: float) -> Callable[[Any], float]:
    def parse(v: Any) -> float:
        value = ss.parse_number(v, what=what)
        if not low <= value <= high:
            raise CellError(f"{what} must be between {low:g} and {high:g}, got {value:g}")
        return value

    return parse


def parser(column: Column, decimal: Decimal = POINT) -> Callable[[Any], Any]:
    """The cell parser of a contract column (by its kind): one cell -> a value, or
    :class:`CellError` with a message naming the column. Numbers are read in the file's
    ``decimal`` convention (:mod:`appeal.numbers`)."""
    base = _kind_parser(column)
    return _in_convention(base, decimal) if column.kind in _NUMERIC_KINDS else base


def _kind_parser(column: Column) -> Callable[[Any], Any]:
    what = column.name
    kind = column.kind
    if kind == "code":
        return functools.partial(ss.parse_code, what=what)
    if kind == "text":
        return functools.partial(
            ss.parse_text, what=what, max_length=column.max_length or ss.MAX_NAME_LENGTH
        )
    if kind == "choice":
        assert column.vocabulary is not None, f"{what}: a choice needs a vocabulary"
        return _choice_parser(what, column.vocabulary)
    if kind == "pillars":
        return _pillars(what)
    if kind == "themes":
        return _themes(what)
    if kind == "currency":
        return currency_code
    if kind == "date":
        if column.pattern is not None:
            return functools.partial(_calendar_date, what=what)
        return _as_of(what, column.max_length or ss.MAX_NAME_LENGTH)
    if kind == "year":
        return functools.partial(parse_year, what=what)
    if kind == "int":
        return functools.partial(ss.parse_int, what=what)
    if kind == "priority":
        return _priority
    if kind in ("number", "share"):
        return functools.partial(ss.parse_number, what=what)
    if kind == "usd":
        return _usd(what)
    if kind == "money":
        return functools.partial(ss.parse_amount, what=what)
    if kind == "bool":
        return functools.partial(ss.parse_bool, what=what)
    raise AssertionError(f"no parser for column kind {kind!r}")


_NUMERIC_KINDS = contract.FLOAT_KINDS | {"int"}


def _in_convention(parse: Callable[[Any], Any], decimal: Decimal) -> Callable[[Any], Any]:
    """``parse`` reading text numbers in the ``decimal`` convention (``606.796,00`` under the
    comma convention; refused with a hint under the point one)."""

    def read(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = numbers.canonical(value, decimal)
            except numbers.DecimalConflict as exc:
                raise CellError(str(exc)) from None
        return parse(value)

    return read


def _choice_parser(what: str, vocabulary: contract.Vocabulary) -> Callable[[Any], str]:
    """One of a vocabulary's values; an unknown word says which value it is closest to."""
    choices = vocabulary_choices(vocabulary)
    spellings = [spelling for spelling, _ in vocabulary.spellings()]

    def parse(value: Any) -> str:
        try:
            return ss.parse_choice(value, what=what, choices=choices)
        except CellError as exc:
            hint = did_you_mean(ss.clean_text(value), spellings, limit=1)
            raise CellError(f"{exc}{hint}") from None

    return parse


class YearSpan(tuple[int, int]):
    """A year cell written as a range ("2024-2026"): its first and last year."""

    __slots__ = ()

    def __new__(cls, first: int, last: int) -> YearSpan:
        return super().__new__(cls, (first, last))


_YEAR_DECIMAL = re.compile(r"^(\d{4})\.0+$")  # 2020.0: a year a spreadsheet wrote as a number
_YEAR_RANGE = re.compile(r"^(\d{4})\s*(?:-|–|—|to|/)\s*(\d{2}|\d{4})$", re.IGNORECASE)


def parse_year(value: Any, *, what: str, spans: bool = False) -> int | YearSpan:
    """A calendar year as :func:`appeal.spreadsheet.parse_year` reads it, and also ``2020.0``;
    with ``spans``, a range ``2024-2026`` (or ``2024-26``) gives its first and last year."""
    if isinstance(value, str):
        text = ss.clean_text(value)
        m = _YEAR_DECIMAL.match(text)
        if m:
            value = m.group(1)
        elif (r := _YEAR_RANGE.match(text)) is not None:
            if not spans:
                raise CellError(f"{what} must be one year, got the range {text!r}")
            first = int(r.group(1))
            last = int(r.group(2)) if len(r.group(2)) == 4 else first // 100 * 100 + int(r.group(2))
            if last < first:
                raise CellError(f"{what} range {text!r} ends before it starts")
            ss.parse_year(first, what=what)
            ss.parse_year(last, what=what)
            return YearSpan(first, last) if last > first else first
    return ss.parse_year(value, what=what)


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


def _calendar_date(value: Any, *, what: str) -> str:
    """A calendar date as ISO text: a spreadsheet date, ``2027-06-30`` (a time after it is
    dropped) or day-first ``30/06/2027``; ``03/04/2027`` (either day first or month first) is
    refused rather than guessed."""
    ss.check_formula(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = ss.clean_text(value)
    m = _ISO_DATE.match(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
    elif (m := _DAY_FIRST.match(text)) is not None:
        day, month, year = (int(g) for g in m.groups())
        if day <= 12 and month <= 12 and day != month:
            raise CellError(
                f"{what} {text!r} could be day/month or month/day; write it as "
                f"{year:04d}-{month:02d}-{day:02d} or {year:04d}-{day:02d}-{month:02d}"
            )
    else:
        raise CellError(f"{what} must be a date like 2027-06-30, got {text!r}")
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise CellError(f"{what} {text!r} is not a valid date") from None


def pattern_parser(
    family: contract.ColumnPattern, name: str, decimal: str = POINT
) -> Callable[[Any], Any]:
    """The cell parser of one column of a family (amount_2027, req_2028, score_innovation)."""
    if family.kind == "number" and family.minimum is not None and family.maximum is not None:
        return _in_convention(_score(name, family.minimum, family.maximum), _decimal(decimal))
    return parser(Column(name, family.kind, family.help), _decimal(decimal))


def _decimal(text: str) -> Decimal:
    return COMMA if text == COMMA else POINT
