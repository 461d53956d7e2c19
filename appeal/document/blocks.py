"""The vocabulary of a document, shared by its content and its renderers.

A :class:`Document` is a cover and sections; a section holds blocks — paragraphs, bullet
lists, key figures, tables and figures — in reading order. The content (the appeal document,
a donor brief) is built once as these plain values; the PDF and Word renderers each lay the
same blocks out, so both files carry the same words, figures and images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

__all__ = [
    "Block",
    "Bullets",
    "Cover",
    "Document",
    "Figure",
    "KeyFigures",
    "Meta",
    "Paragraph",
    "Section",
    "Table",
    "map_text",
]

Align = Literal["left", "right"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["body", "lead", "note"] = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class KeyFigures:
    """Headline figures shown large: (label, value) pairs."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Align, ...]  # per column
    widths: tuple[float, ...]  # relative column widths
    caption: str = ""
    total: bool = False  # the last row is a total (bold)


@dataclass(frozen=True)
class Figure:
    """A chart: its title, the text that describes it (alt text, and the caption in print),
    and the image, rendered once (PNG)."""

    title: str
    alt: str
    png: bytes = field(repr=False)
    words: tuple[str, ...] = ()  # every word drawn in the image
    width_cm: float = 16.0


Block = Paragraph | Bullets | KeyFigures | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    level: int = 1  # 1: a chapter; 2: a page within one (a programme)
    new_page: bool = True


@dataclass(frozen=True)
class Cover:
    title: str
    subtitle: str
    as_at: str  # "1 December 2026"
    lines: tuple[str, ...]  # scenario, generated, illustrative note ...
    draft: bool  # a scenario that is not a saved one: "DRAFT" on the cover and every page


@dataclass(frozen=True)
class Meta:
    """Document properties (PDF info, Word core properties)."""

    title: str
    subject: str
    author: str
    keywords: str


@dataclass(frozen=True)
class Document:
    meta: Meta
    cover: Cover | None  # None: no cover page (the donor briefs)
    sections: tuple[Section, ...]
    footer: str  # on every page after the cover

    def texts(self) -> list[str]:
        """Every string the document holds (for checks: nothing confidential in any)."""
        out: list[str] = []

        def keep(text: str) -> str:
            out.append(text)
            return text

        map_text(self, keep)
        return out


def map_text(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string inside it (dataclasses, tuples)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(map_text(v, fn) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: map_text(getattr(value, f.name), fn) for f in fields(value)}
        return replace(value, **changes)
    return value
