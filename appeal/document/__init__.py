"""The narrative appeal document: PDF to send, Word (.docx) to edit — the same content in both.

:func:`write_document` turns one :class:`appeal.pipeline.PlanRun` into ``appeal.pdf`` or
``appeal.docx`` (by the file's suffix). The package, read top to bottom:

content     the document's content, built once from the run: sections, tables, figures
            (:func:`appeal.document.content.appeal_document`; the section list is there)
blocks      the vocabulary content is made of and renderers lay out (paragraphs, bullets,
            key figures, tables, figures, sections, cover, properties)
charts      the static charts (matplotlib, Agg back end), rendered once to PNG
pdf         the PDF renderer (ReportLab)
docx        the Word renderer (python-docx)
narrative   the programmes' narrative columns read from a programmes file, until the
            programmes contract carries them

Why these libraries: ReportLab is pure Python (no system libraries, no browser at run time),
fast, long maintained, and writes PDF properties, bookmarks and embedded fonts; python-docx
is the maintained library for writing editable Word files; matplotlib's Agg back end draws
charts without a screen or a browser, so both renderers embed the very same images.

Confidential donors are anonymised everywhere: the content uses the aliases and scrubs every
string, charts are drawn from the anonymised figures, alternative text is the anonymised
description and the document properties name no donor. ``draft`` marks a scenario that is
not a saved one ("DRAFT" on the cover and every page); an edition or the official appeal will
be passed the same way once they exist (a run plus its label).

Public surface: the names in ``__all__``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from appeal.atomic import check_target as _check_target
from appeal.atomic import write_atomically
from appeal.document.content import SECTION_TITLES, appeal_document

if TYPE_CHECKING:
    from appeal.document.blocks import Document
    from appeal.pipeline import PlanRun

__all__ = [
    "FORMATS",
    "SECTION_TITLES",
    "DocumentError",
    "appeal_document",
    "check_target",
    "render",
    "write_bytes",
    "write_document",
]

FORMATS = (".pdf", ".docx")


class DocumentError(ValueError):
    """The document cannot be written (bad target path); the message says why."""


def check_target(path: str | Path) -> Path:
    """The document's path, or :class:`DocumentError` when it cannot be one."""
    return _check_target(
        path, FORMATS, DocumentError, "the appeal document must be a .pdf or .docx file"
    )


def render(doc: Document, suffix: str) -> bytes:
    """The document as the bytes of a ``.pdf`` or ``.docx`` file."""
    if suffix.lower() == ".pdf":
        from appeal.document.pdf import render_pdf

        return render_pdf(doc)
    from appeal.document.docx import render_docx

    return render_docx(doc)


def write_document(
    path: str | Path,
    run: PlanRun,
    *,
    as_at: dt.date | None = None,
    draft: bool = False,
    reveal_confidential: bool = False,
) -> Path:
    """Write the appeal document for ``run`` to ``path`` (.pdf or .docx) and return the path.
    The file appears complete or not at all."""
    target = check_target(path)
    doc = appeal_document(run, as_at=as_at, draft=draft, reveal=reveal_confidential)
    return write_bytes(target, render(doc, target.suffix))


def write_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` so the file appears complete or not at all."""
    return write_atomically(target, lambda tmp: tmp.write_bytes(data), DocumentError)
