"""The Word renderer: a :class:`~appeal.document.blocks.Document` as an editable .docx, with
python-docx.

The same blocks as the PDF, in Word's own styles so the team can edit and restyle it: a cover,
chapters as Heading 1 starting on a new page, programme pages as Heading 2, bullet lists,
tables with a repeated header row, charts as pictures whose alternative text is the chart's
description, and a footer (title, as-at date, DRAFT when it is one, page number). The core
properties (title, subject, author, keywords) are the content's own; nothing of the machine
that wrote it (user name, template author) is left in them.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from appeal.document import blocks as b

__all__ = ["render_docx"]

NAVY = RGBColor(0x1F, 0x38, 0x64)
RED = RGBColor(0xB0, 0x00, 0x20)
GREY = RGBColor(0x59, 0x59, 0x59)
_HEADER_FILL = "1F4E79"


def render_docx(doc: b.Document, *, now: dt.datetime | None = None) -> bytes:
    """The document as .docx bytes."""
    word = new_document()
    _properties(word, doc.meta, now or dt.datetime.now(dt.UTC))
    section = word.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    word.styles["Normal"].font.name = "Arial"
    word.styles["Normal"].font.size = Pt(10)
    if doc.cover is not None:
        _cover(word, doc.cover)
    _footer(word, doc)
    for i, s in enumerate(doc.sections):
        if s.new_page and (i > 0 or doc.cover is not None):
            _page_break(word)
        word.add_heading(s.title, level=s.level)
        for block in s.blocks:
            _block(word, block)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _properties(word: WordDocument, meta: b.Meta, now: dt.datetime) -> None:
    props = word.core_properties
    props.title = meta.title
    props.subject = meta.subject
    props.author = meta.author
    props.keywords = meta.keywords
    props.last_modified_by = meta.author
    props.comments = ""
    props.category = "Multi-Year Appeal"
    props.created = props.modified = now.replace(tzinfo=None)
    props.revision = 1


def _page_break(word: WordDocument) -> None:
    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _cover(word: WordDocument, cover: b.Cover) -> None:
    for _ in range(4):
        word.add_paragraph()
    if cover.draft:
        run = word.add_paragraph().add_run("DRAFT — not a saved scenario")
        run.bold, run.font.size, run.font.color.rgb = True, Pt(22), RED
    word.add_paragraph(cover.title, style="Title")
    sub = word.add_paragraph().add_run(cover.subtitle)
    sub.font.size = Pt(15)
    word.add_paragraph().add_run(cover.as_at).bold = True
    word.add_paragraph()
    for line in cover.lines:
        word.add_paragraph(line)


def _footer(word: WordDocument, doc: b.Document) -> None:
    section = word.sections[0]
    section.different_first_page_header_footer = doc.cover is not None  # no footer on a cover
    p = section.footer.paragraphs[0]
    p.text = f"{doc.footer} · page "
    _page_field(p)
    for run in p.runs:
        run.font.size = Pt(8)
        run.font.color.rgb = GREY


def _page_field(p: WordParagraph) -> None:
    """A PAGE field (Word fills in the page number)."""
    run = p.add_run()
    begin, text, end = (
        OxmlElement("w:fldChar"),
        OxmlElement("w:instrText"),
        OxmlElement("w:fldChar"),
    )
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = "PAGE"
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _block(word: WordDocument, block: b.Block) -> None:
    if isinstance(block, b.Paragraph):
        p = word.add_paragraph()
        run = p.add_run(block.text)
        if block.style == "lead":
            run.bold = True
        elif block.style == "note":
            run.italic = True
            run.font.color.rgb = GREY
    elif isinstance(block, b.Bullets):
        for item in block.items:
            word.add_paragraph(item, style="List Bullet")
    elif isinstance(block, b.KeyFigures):
        table = word.add_table(rows=0, cols=2)
        for name, value in block.items:
            cells = table.add_row().cells
            cells[0].text = name
            run = cells[1].paragraphs[0].add_run(value)
            run.bold, run.font.size, run.font.color.rgb = True, Pt(13), NAVY
    elif isinstance(block, b.Table):
        _table(word, block)
    else:
        _figure(word, block)


def _table(word: WordDocument, block: b.Table) -> WordTable:
    if block.caption:
        caption = word.add_paragraph().add_run(block.caption)
        caption.italic, caption.font.size, caption.font.color.rgb = True, Pt(8), GREY
    table = word.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = table.rows[0]
    _repeat_header(header)
    for cell, name in zip(header.cells, block.columns, strict=True):
        run = cell.paragraphs[0].add_run(name)
        run.bold, run.font.size, run.font.color.rgb = True, Pt(8), RGBColor(0xFF, 0xFF, 0xFF)
        _shade(cell, _HEADER_FILL)
    n = len(block.rows)
    for i, row in enumerate(block.rows):
        cells = table.add_row().cells
        for cell, value, align in zip(cells, row, block.align, strict=True):
            p = cell.paragraphs[0]
            run = p.add_run(value)
            run.font.size = Pt(8)
            run.bold = block.total and i == n - 1
            if align == "right":
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    total = sum(block.widths)
    for column, w in zip(table.columns, block.widths, strict=True):
        for cell in column.cells:
            cell.width = Cm(17 * w / total)
    word.add_paragraph()
    return table


def _repeat_header(row: object) -> None:
    """Mark a table's first row to repeat on every page (w:tblHeader)."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _shade(cell: object, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _figure(word: WordDocument, block: b.Figure) -> None:
    word.add_picture(io.BytesIO(block.png), width=Cm(min(block.width_cm, 17)))
    # The picture's alternative text (read aloud by screen readers, shown by Word).
    inline = word.inline_shapes[-1]._inline
    inline.docPr.set("descr", block.alt)
    inline.docPr.set("title", block.title)
    caption = word.add_paragraph().add_run(block.title)
    caption.italic, caption.font.size, caption.font.color.rgb = True, Pt(8), GREY
