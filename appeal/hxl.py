"""HXL hashtags matched by meaning: which contract column a file's ``#tag +attributes`` is.

A hashtag row (``#org+name+funder``, ``#value+funding+total+usd``, ``#date+year+end+impl``)
says what each column holds. The contract declares each column's hashtags
(:attr:`models.contract.Column.hxl`, and an import profile's own in
:attr:`models.contract.ProfileTable.hxl`); a file's hashtag matches a declared one when

- the tag is the same and the file's hashtag has every declared attribute;
- it agrees on each question of :data:`models.contract.HXL_GROUPS` — ``+funder`` and ``+impl``
  answer "whose?", ``+start`` and ``+end`` "which end?": ``#org+impl`` is never a donor and
  ``#date+end`` is the last year, not the first;
- it asks for no other facet (:data:`models.contract.HXL_FACETS`): ``#org+type+funder`` is
  the donor's type, not the donor.

A currency attribute (``+usd``) never blocks a match: it says which currency the column's
amounts are in (:attr:`Match.unit`). Of the declared hashtags that match, the one with the most
attributes wins; two columns tied is an ambiguous hashtag. Two file columns claiming one
contract column: the one whose hashtag has fewer attributes beyond the declared ones wins;
tied, the row is refused naming both (:class:`Ambiguous`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models import contract

__all__ = ["Ambiguous", "HxlRow", "HxlTag", "Match", "map_row", "match", "unit_of"]


class Ambiguous(ValueError):
    """A hashtag (or two columns' hashtags) could mean two things; the message names both
    (``columns``: the contract columns in question)."""

    def __init__(self, message: str, columns: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.columns = columns


@dataclass(frozen=True)
class HxlTag:
    """A parsed hashtag: the tag and its attributes (lower case, without ``#`` and ``+``)."""

    tag: str
    attributes: frozenset[str]

    @classmethod
    def parse(cls, text: Any) -> HxlTag | None:
        if not isinstance(text, str):
            return None
        compact = text.strip().casefold().replace(" ", "")
        if not compact.startswith("#") or len(compact) < 2:
            return None
        tag, *attributes = compact[1:].split("+")
        if not tag:
            return None
        return cls(tag, frozenset(a for a in attributes if a))

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(a for a in self.attributes if a.upper() in contract.CURRENCY_CODES)

    def __str__(self) -> str:
        return "#" + "+".join([self.tag, *sorted(self.attributes)])


@dataclass(frozen=True)
class Match:
    """The column a file's hashtag is, how sure (``extras``: its attributes beyond the declared
    ones) and the currency its amounts are in, if it says."""

    column: str
    specificity: int
    extras: int
    unit: str | None


def _agrees(declared: HxlTag, found: HxlTag) -> bool:
    if declared.tag != found.tag or not declared.attributes <= found.attributes:
        return False
    for group in contract.HXL_GROUPS.values():
        if declared.attributes & group != found.attributes & group:
            return False
    return not (found.attributes & contract.HXL_FACETS) - declared.attributes


@functools.lru_cache(maxsize=64)
def _declared(kind: str, profile: str | None) -> tuple[tuple[str, HxlTag], ...]:
    """(column, hashtag) the contract and the import profile declare for one table."""
    table = contract.TABLES[kind]
    out: list[tuple[str, HxlTag]] = []
    for column in table.file_columns:
        for text in column.hxl:
            tag = HxlTag.parse(text)
            if tag is not None:
                out.append((column.name, tag))
    if profile is not None and profile in contract.PROFILES:
        for name, texts in contract.PROFILES[profile].table(kind).hxl.items():
            for text in texts:
                tag = HxlTag.parse(text)
                if tag is not None:
                    out.append((name, tag))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _families(kind: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(tag, attribute pattern, column template) of the table's column families with a
    hashtag (``#value+y2027`` -> ``amount_2027``)."""
    out = []
    for family in contract.TABLES[kind].patterns:
        if not family.hxl:
            continue
        tag, _, attribute = family.hxl.casefold().lstrip("#").partition("+")
        before, _, after = attribute.partition("{}")
        rx = re.compile("^" + re.escape(before) + r"(\d{4})" + re.escape(after) + "$")
        out.append((tag, rx, family.name))
    return tuple(out)


def unit_of(text: Any) -> str | None:
    """The currency a hashtag's attributes name (``#value+usd`` -> USD), if exactly one."""
    found = HxlTag.parse(text)
    units = found.currencies if found is not None else frozenset()
    return next(iter(units)).upper() if len(units) == 1 else None


def match(kind: str, text: Any, profile: str | None = None) -> Match | None:
    """The column of table ``kind`` a file's hashtag is (None when it is none of them)."""
    found = HxlTag.parse(text)
    if found is None:
        return None
    units = found.currencies
    unit = unit_of(text)
    for tag, rx, template in _families(kind):
        if tag == found.tag:
            for attribute in found.attributes:
                m = rx.match(attribute)
                if m:
                    column = template.format(m.group(1))
                    return Match(column, 2, len(found.attributes) - 1, unit)
    best: list[tuple[int, str]] = []
    for column, declared in _declared(kind, profile):
        if _agrees(declared, found):
            best.append((len(declared.attributes), column))
    if not best:
        return None
    top = max(score for score, _ in best)
    columns = sorted({column for score, column in best if score == top})
    if len(columns) > 1:
        raise Ambiguous(
            f"hashtag {text.strip()!r} could be column {columns[0]} or {columns[1]}; "
            "give the column a header the planner knows",
            tuple(columns),
        )
    extras = len(found.attributes - units) - top
    return Match(columns[0], top, extras, unit)


@dataclass
class HxlRow:
    """A hashtag row read: column -> index, column -> hashtag as written, column -> the
    currency its amounts are in, and the hashtags that could mean two things (left out)."""

    columns: dict[str, int]
    tags: dict[str, str]
    units: dict[str, str]
    ambiguous: list[Ambiguous]


def map_row(
    kind: str,
    cells: Sequence[Any],
    profile: str | None = None,
    *,
    skip: frozenset[int] = frozenset(),
    named: frozenset[str] = frozenset(),
) -> HxlRow:
    """A hashtag row's columns (:class:`HxlRow`).

    Cells at ``skip``, and claims on columns in ``named`` (a header row above already named
    them), are left out. A hashtag that could be two columns, and two cells claiming one column
    with equally good hashtags, are left out and listed (the caller refuses the row when it is
    the table's header: the messages name both)."""
    claims: dict[str, list[tuple[int, Match, str]]] = {}
    problems: list[Ambiguous] = []
    for index, cell in enumerate(cells):
        if index in skip:
            continue
        try:
            found = match(kind, cell, profile)
        except Ambiguous as exc:
            if not set(exc.columns) <= named:  # else a header above says which it is
                problems.append(exc)
            continue
        if found is not None and found.column not in named:
            claims.setdefault(found.column, []).append((index, found, str(cell).strip()))
    chosen: dict[str, tuple[int, Match, str]] = {}
    for column, options in claims.items():
        ranked = sorted(options, key=lambda o: (-o[1].specificity, o[1].extras, o[0]))
        first = ranked[0]
        if len(ranked) > 1 and (ranked[1][1].specificity, ranked[1][1].extras) == (
            first[1].specificity,
            first[1].extras,
        ):
            problems.append(
                Ambiguous(
                    f"two columns are tagged as {column}: {first[2]!r} and {ranked[1][2]!r} "
                    "(their hashtags say the same); give one of them a header the planner knows",
                    (column,),
                )
            )
            continue
        chosen[column] = first
    columns = {c: i for c, (i, _, _) in chosen.items()}
    written_tags = {c: w for c, (_, _, w) in chosen.items()}
    units = {c: m.unit for c, (_, m, _) in chosen.items() if m.unit}
    return HxlRow(columns, written_tags, units, problems)
