"""The PDF renderer: a :class:`~appeal.document.blocks.Document` laid out with ReportLab.

ReportLab is pure Python (no system libraries, no browser): A4 portrait pages with a cover,
chapters starting on a new page, one page per programme, tables that repeat their header row
across pages, charts as embedded PNGs with their description as the caption, a bookmark per
section, and a footer (title, as-at date, DRAFT when it is one, page number) on every page
after the cover. Text is set in DejaVu Sans, which matplotlib ships (so every name prints,
accents and all, with nothing to install) and is embedded, subset, in the file. The document
properties (title, subject, author, keywords) are the content's own.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from appeal.document import blocks as b

__all__ = ["render_pdf"]

NAVY = colors.HexColor("#1F3864")
HEADER = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#EEF3F8")
RED = colors.HexColor("#B00020")
_MARGIN = 2 * cm
_WIDTH = A4[0] - 2 * _MARGIN

_FONTS = {"": "DejaVuSans", "-Bold": "DejaVuSans-Bold", "-Oblique": "DejaVuSans-Oblique"}


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's own data folder (registered once per process)."""
    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for suffix, name in _FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / f"DejaVuSans{suffix}.ttf")))
    pdfmetrics.registerFontFamily(
        "DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold", italic="DejaVuSans-Oblique"
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="DejaVuSans", fontSize=9.5, leading=13, spaceAfter=5)
    return {
        "body": base,
        "lead": ParagraphStyle("lead", base, fontName="DejaVuSans-Bold", fontSize=10.5, leading=14),
        "note": ParagraphStyle("note", base, fontName="DejaVuSans-Oblique", textColor=colors.grey),
        "h1": ParagraphStyle(
            "h1", base, fontName="DejaVuSans-Bold", fontSize=18, leading=22, textColor=NAVY,
            spaceAfter=10,
        ),
        "h2": ParagraphStyle(
            "h2", base, fontName="DejaVuSans-Bold", fontSize=13.5, leading=17, textColor=NAVY,
            spaceAfter=6,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10, spaceAfter=0),
        "cell_r": ParagraphStyle("cell_r", base, fontSize=8, leading=10, spaceAfter=0,
                                 alignment=TA_RIGHT),
        "cell_b": ParagraphStyle("cell_b", base, fontName="DejaVuSans-Bold", fontSize=8,
                                 leading=10, spaceAfter=0),
        "cell_r_b": ParagraphStyle("cell_r_b", base, fontName="DejaVuSans-Bold", fontSize=8,
                                   leading=10, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", base, fontName="DejaVuSans-Bold", fontSize=8, leading=10,
                               textColor=colors.white, spaceAfter=0),
        "caption": ParagraphStyle("caption", base, fontName="DejaVuSans-Oblique", fontSize=8,
                                  leading=10, textColor=colors.grey),
        "figure_label": ParagraphStyle("figure_label", base, fontSize=8.5, textColor=colors.grey,
                                       spaceAfter=0),
        "figure_value": ParagraphStyle("figure_value", base, fontName="DejaVuSans-Bold",
                                       fontSize=13, leading=16, textColor=NAVY),
        "cover_title": ParagraphStyle("cover_title", base, fontName="DejaVuSans-Bold",
                                      fontSize=28, leading=34, textColor=NAVY, spaceAfter=14),
        "cover_sub": ParagraphStyle("cover_sub", base, fontSize=15, leading=20, spaceAfter=24),
        "cover_draft": ParagraphStyle("cover_draft", base, fontName="DejaVuSans-Bold",
                                      fontSize=22, leading=28, textColor=RED, spaceAfter=18),
    }  # fmt: skip


def _text(value: str) -> str:
    """Plain text for a Paragraph (which reads a little XML)."""
    return escape(value)


class _Heading(Paragraph):
    """A section title that leaves a bookmark."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(_text(text), style)
        self.level = level
        self.title = text


class _Template(BaseDocTemplate):
    def __init__(self, target: Any, doc: b.Document, *, cover: bool) -> None:
        super().__init__(
            target,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
            title=doc.meta.title,
            author=doc.meta.author,
            subject=doc.meta.subject,
            keywords=doc.meta.keywords,
            creator=doc.meta.author,
            producer=doc.meta.author,
        )
        self.document = doc
        self._bookmarks = 0
        frame = Frame(_MARGIN, _MARGIN, _WIDTH, A4[1] - 2 * _MARGIN, id="body")
        pages = [PageTemplate("page", [frame], onPage=self._page)]
        if cover:  # the first template is the first page's
            pages.insert(0, PageTemplate("cover", [frame], onPage=self._cover_page))
        self.addPageTemplates(pages)

    def _cover_page(self, canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(HEADER)
        canvas.rect(0, A4[1] - 1.2 * cm, A4[0], 1.2 * cm, stroke=0, fill=1)
        canvas.restoreState()

    def _page(self, canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(_MARGIN, 1.1 * cm, self.document.footer)
        canvas.drawRightString(A4[0] - _MARGIN, 1.1 * cm, f"Page {canvas.getPageNumber()}")
        if self.document.cover is not None and self.document.cover.draft:
            canvas.setFillColor(RED)
            canvas.setFont("DejaVuSans-Bold", 9)
            canvas.drawRightString(A4[0] - _MARGIN, A4[1] - 1.2 * cm, "DRAFT")
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            key = f"s{self._bookmarks}"
            self._bookmarks += 1
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.title, key, level=flowable.level - 1)


def render_pdf(doc: b.Document) -> bytes:
    """The document as PDF bytes."""
    _register_fonts()
    styles = _styles()
    out = io.BytesIO()
    template = _Template(out, doc, cover=doc.cover is not None)
    story: list[Flowable] = []
    if doc.cover is not None:
        story += [*_cover(doc.cover, styles), NextPageTemplate("page"), PageBreak()]
    for i, section in enumerate(doc.sections):
        if section.new_page and i > 0:
            story.append(PageBreak())
        style = styles["h1" if section.level == 1 else "h2"]
        story.append(_Heading(section.title, style, section.level))
        for block in section.blocks:
            story.extend(_block(block, styles))
    template.build(story)
    return out.getvalue()


def _cover(cover: b.Cover, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [Spacer(1, 4 * cm)]
    if cover.draft:
        story.append(Paragraph("DRAFT — not a saved scenario", styles["cover_draft"]))
    story += [
        Paragraph(_text(cover.title), styles["cover_title"]),
        Paragraph(_text(cover.subtitle), styles["cover_sub"]),
        Paragraph(_text(cover.as_at), styles["lead"]),
        Spacer(1, 1 * cm),
    ]
    story += [Paragraph(_text(line), styles["body"]) for line in cover.lines]
    return story


def _block(block: b.Block, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if isinstance(block, b.Paragraph):
        return [Paragraph(_text(block.text), styles[block.style])]
    if isinstance(block, b.Bullets):
        items = [ListItem(Paragraph(_text(i), styles["body"]), leftIndent=12) for i in block.items]
        return [ListFlowable(items, bulletType="bullet", start="•", leftIndent=12)]
    if isinstance(block, b.KeyFigures):
        return [_key_figures(block, styles)]
    if isinstance(block, b.Table):
        return _table(block, styles)
    return _figure(block, styles)


def _key_figures(block: b.KeyFigures, styles: dict[str, ParagraphStyle]) -> Table:
    cells = [
        [
            Paragraph(_text(name), styles["figure_label"]),
            Paragraph(_text(v), styles["figure_value"]),
        ]
        for name, v in block.items
    ]
    table = Table(cells, colWidths=[_WIDTH * 0.35, _WIDTH * 0.65], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LIGHT),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _table(block: b.Table, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    total = sum(block.widths)
    widths = [_WIDTH * w / total for w in block.widths]
    head = [Paragraph(_text(c), styles["head"]) for c in block.columns]
    n = len(block.rows)
    body = [
        [
            Paragraph(
                _text(v),
                styles[
                    ("cell_r" if a == "right" else "cell")
                    + ("_b" if block.total and i == n - 1 else "")
                ],
            )
            for v, a in zip(row, block.align, strict=True)
        ]
        for i, row in enumerate(block.rows)
    ]
    table = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[Any] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LIGHT),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if block.total and block.rows:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY))
    table.setStyle(TableStyle(commands))
    out: list[Flowable] = []
    if block.caption:
        out.append(Paragraph(_text(block.caption), styles["caption"]))
    out += [table, Spacer(1, 8)]
    return out


def _figure(block: b.Figure, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    image = Image(io.BytesIO(block.png))
    ratio = image.imageHeight / image.imageWidth
    width = min(block.width_cm * cm, _WIDTH)
    image.drawWidth, image.drawHeight = width, width * ratio
    return [KeepTogether([image, Paragraph(_text(block.alt), styles["caption"])]), Spacer(1, 8)]
