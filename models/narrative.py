"""A budget line's narrative: what the appeal document and the workbook say about it.

The programmes table may carry four text columns (all optional, per line):

``summary``            one paragraph: what the programme does
``case_for_support``   one paragraph: why a donor should fund it now
``expected_results``   the results it promises, ``;``-separated ("12 States trained; ...")
``indicators``         its performance indicators, ``;``-separated, each written
                       ``name: baseline -> target`` (``→`` works too), e.g.
                       ``States with API/PNR systems: 9 -> 21; Officials trained: 0 -> 400``;
                       an indicator without a baseline is ``name: -> target``, one without
                       either just ``name``

:func:`line_narratives` is the one reader: programmes table in, one :class:`Narrative` per
line out (lines without any narrative text get an empty one). :func:`indicator_problems`
says what is wrong with an indicators cell, for an importer to report per row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "NARRATIVE_COLUMNS",
    "Indicator",
    "Narrative",
    "indicator_problems",
    "line_narratives",
    "parse_indicators",
    "parse_results",
]

NARRATIVE_COLUMNS: tuple[str, ...] = (
    "summary",
    "case_for_support",
    "expected_results",
    "indicators",
)

_ARROW = re.compile(r"\s*(?:->|→)\s*")


@dataclass(frozen=True)
class Indicator:
    name: str
    baseline: str = ""
    target: str = ""


@dataclass(frozen=True)
class Narrative:
    summary: str = ""
    case_for_support: str = ""
    expected_results: tuple[str, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.summary or self.case_for_support or self.expected_results or self.indicators
        )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())


def _items(value: object) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


def parse_results(value: object) -> tuple[str, ...]:
    """An expected-results cell as its results."""
    return tuple(_items(value))


def parse_indicators(value: object) -> tuple[Indicator, ...]:
    """An indicators cell as indicators; an item that does not follow the form keeps its text
    as the name (nothing is dropped)."""
    out: list[Indicator] = []
    for item in _items(value):
        name, sep, rest = item.partition(":")
        if not sep:
            out.append(Indicator(item))
            continue
        parts = _ARROW.split(rest.strip(), maxsplit=1)
        if len(parts) == 2:
            out.append(Indicator(name.strip(), parts[0].strip(), parts[1].strip()))
        else:
            out.append(Indicator(name.strip(), "", rest.strip()))
    return tuple(out)


def indicator_problems(value: object) -> list[str]:
    """What is wrong with an indicators cell (empty when it follows the documented form)."""
    problems = []
    for item in _items(value):
        name, sep, rest = item.partition(":")
        if not sep or not name.strip():
            problems.append(f"indicator {item!r} should read 'name: baseline -> target'")
        elif not _ARROW.search(rest):
            problems.append(f"indicator {item!r} has no '->' between baseline and target")
    return problems


def line_narratives(programmes: pd.DataFrame) -> Mapping[str, Narrative]:
    """line_id -> its narrative, from the programmes table's narrative columns (those absent
    count as empty)."""
    present = [c for c in NARRATIVE_COLUMNS if c in programmes.columns]
    out: dict[str, Narrative] = {}
    for row in programmes[["line_id", *present]].to_dict("records"):
        out[str(row["line_id"])] = Narrative(
            summary=_text(row.get("summary")),
            case_for_support=_text(row.get("case_for_support")),
            expected_results=parse_results(row.get("expected_results")),
            indicators=parse_indicators(row.get("indicators")),
        )
    return out
