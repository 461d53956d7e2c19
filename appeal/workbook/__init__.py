"""The multiyear appeal workbook: the document that goes to member states and donors.

:func:`write_appeal_workbook` turns one :class:`appeal.pipeline.PlanRun` into an ``.xlsx``
workbook (openpyxl) with these sheets:

Summary                   title, horizon, requirement / funded / gap / coverage by year,
                          donor-base figures against targets, policy targets, top asks, and two
                          native charts (requirements vs funding by year; gap by category)
Requirements              every line by year with its attributes; subtotals by category
                          (SUMIFS) and by pillar (SUMPRODUCT over live pillar-share formulas,
                          the even split of :mod:`models.gaps`) as live formulas
Funding status            per line and year: requirement (a reference to Requirements), funded
                          and firm (SUMIFS over Allocation plan), pledged-only, gap, coverage —
                          all formulas, so edits flow through
Allocation plan           pledge -> line -> year amounts; each line's explanation; unallocated
                          money with its reason
Priorities and asks       unmet requirement by priority tier and ranked line by line, where
                          the next USD 1 million of unearmarked money would go, programmes
                          below minimum viable
Donor base                breadth figures, shares by donor type / region / earmarking /
                          status, multi-year share, every donor
Pledges                   the pledges in the input contract's columns (DESIGN.md), so the sheet
                          can be imported again
Scenario and assumptions  every scenario parameter, exchange rates, solver, import report,
                          generation time, software version, illustrative-figures note

Why the workbook is built the way it is:

- *Edits flow through.* Totals and gaps are formulas. openpyxl cannot compute formula results,
  so every formula block has "at export" columns beside it holding the numbers the planner
  computed (unrounded; equal to the JSON result). The defined names TotalRequirement,
  TotalFunded, TotalFirm, TotalGap and Coverage point at the Summary totals.
- *User text is never a formula.* Every string is written as an inline string (never an
  ``<f>``), with the quote-prefix format when it starts with ``= + - @``, tab, CR or LF
  (:mod:`appeal.workbook.xlsx_safety`). Formulas never embed user text: they refer to cells, and
  SUMIFS criteria escape ids holding wildcards or operators (``X*``, ``>5``).
- *Confidential donors stay confidential.* Unless ``reveal_confidential``, every text cell is
  scrubbed so a confidential donor's name appears nowhere (not in explanations or import
  messages either); :func:`models.privacy.donor_aliases` gives the "Anonymous donor N" names.
- *Speed.* openpyxl's write-only mode streams each sheet to disk; styles are NamedStyles
  registered once; rows are rendered straight to sheet XML (repeated texts rendered once)
  because openpyxl's pure-Python cell serialiser took ~20 s for the L-size plan (now ~2 s,
  ``python -m benchmarks.bench_export``).
- *Atomic.* The workbook is saved to a temporary file in the target folder and renamed, so a
  failure never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.metadata
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from appeal.workbook.sheets import pledge_table as _workbook_pledges
from appeal.workbook.xlsx_safety import (
    clean_text,
    inline_string_xml,
    needs_quote_prefix,
    quoted_style,
    safe_sheet_name,
    sheet_ref,
    text_cell,
    xml_escape,
)
from models import donor_base, gaps
from models.plan import CATEGORIES, PILLARS, Plan, split_list
from models.privacy import donor_aliases

if TYPE_CHECKING:
    from appeal.pipeline import PlanRun
    from models.analytics import Analysis

SOFTWARE = "appeal-planner"

# Sheet names, in workbook order (all already valid; safe_sheet_name guards future edits).
SUMMARY = "Summary"
REQUIREMENTS = "Requirements"
FUNDING = "Funding status"
ALLOCATION = "Allocation plan"
PRIORITIES = "Priorities and asks"
DONORS = "Donor base"
PLEDGES = "Pledges"
ASSUMPTIONS = "Scenario and assumptions"
SHEETS = (SUMMARY, REQUIREMENTS, FUNDING, ALLOCATION, PRIORITIES, DONORS, PLEDGES, ASSUMPTIONS)

# Render rows straight to sheet XML (tests switch it off to compare with openpyxl's cells).
_FAST = True

# Workbook-level names for the key totals (cells on the Summary sheet).
DEFINED_NAMES = ("TotalRequirement", "TotalFunded", "TotalFirm", "TotalGap", "Coverage")

USD = '"USD "#,##0'
USD_EXACT = '"USD "#,##0.00'
PERCENT = "0.0%"
NUMBER = "#,##0.00"
TOP_ASKS = 10

# Every table starts with the title in row 1 and a note in row 2; headers are in row 3.
TITLE_ROW = 1
NOTE_ROW = 2
HEADER_ROW = 3


class WorkbookError(ValueError):
    """The workbook cannot be written (bad target path, unusable run); the message says why."""


# --------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------
_THIN = Side(style="thin", color="8EA9C1")


def _named_styles() -> list[NamedStyle]:
    """The workbook's NamedStyles (users see them in the style gallery, too)."""
    header_fill = PatternFill("solid", fgColor="1F4E79")
    return [
        NamedStyle("Appeal title", font=Font(bold=True, size=14, color="1F3864")),
        NamedStyle("Appeal block", font=Font(bold=True, size=12, color="1F3864")),
        NamedStyle("Appeal note", font=Font(italic=True, color="595959")),
        NamedStyle(
            "Appeal header",
            font=Font(bold=True, color="FFFFFF"),
            fill=header_fill,
            alignment=Alignment(wrap_text=True, vertical="center"),
            border=Border(bottom=_THIN),
        ),
        NamedStyle("Appeal HXL", font=Font(italic=True, size=9, color="7F7F7F")),
        # "@" (Text) so a value typed into the cell later stays text too.
        NamedStyle("Appeal text", number_format="@"),
        NamedStyle(
            "Appeal wrap", number_format="@", alignment=Alignment(wrap_text=True, vertical="top")
        ),
        NamedStyle("Appeal label", font=Font(bold=True), number_format="@"),
        NamedStyle("Appeal USD", number_format=USD),
        NamedStyle("Appeal USD exact", number_format=USD_EXACT, font=Font(color="595959")),
        NamedStyle(
            "Appeal USD total", number_format=USD, font=Font(bold=True), border=Border(top=_THIN)
        ),
        NamedStyle("Appeal percent", number_format=PERCENT),
        NamedStyle("Appeal percent exact", number_format="0.00%", font=Font(color="595959")),
        NamedStyle(
            "Appeal percent total",
            number_format=PERCENT,
            font=Font(bold=True),
            border=Border(top=_THIN),
        ),
        NamedStyle("Appeal number", number_format=NUMBER),
        NamedStyle("Appeal integer", number_format="0"),
        # Key/value rows hold numbers of any size (1e-06, 20270101): General shows them as is.
        NamedStyle(
            "Appeal general", number_format="General", alignment=Alignment(horizontal="left")
        ),
    ]


STYLE_KEYS = {
    "title": "Appeal title",
    "block": "Appeal block",
    "note": "Appeal note",
    "header": "Appeal header",
    "hxl": "Appeal HXL",
    "text": "Appeal text",
    "wrap": "Appeal wrap",
    "label": "Appeal label",
    "usd": "Appeal USD",
    "usd_exact": "Appeal USD exact",
    "usd_total": "Appeal USD total",
    "pct": "Appeal percent",
    "pct_exact": "Appeal percent exact",
    "pct_total": "Appeal percent total",
    "num": "Appeal number",
    "int": "Appeal integer",
    "general": "Appeal general",
}


# Styles that may carry text; any other style asked for a string falls back to "text".
TEXT_STYLES = frozenset({"title", "block", "note", "header", "hxl", "text", "wrap", "label"})


def _style_templates(wb: Workbook) -> dict[str, StyleArray]:
    """Register the NamedStyles and return one StyleArray template per style key."""
    for style in _named_styles():
        wb.add_named_style(style)
    probe_ws = wb.create_sheet("_probe")
    templates: dict[str, StyleArray] = {}
    for key, name in STYLE_KEYS.items():
        cell = WriteOnlyCell(probe_ws)
        cell.style = name
        templates[key] = StyleArray(cell._style)
    wb.remove(probe_ws)
    return templates


# --------------------------------------------------------------------------------------------
# Cells and sheets
# --------------------------------------------------------------------------------------------
class Formula(str):
    """A formula the workbook writer built itself (never user text)."""


CellValue = Any  # number | None | str (written as safe text) | Formula | WriteOnlyCell


class _Sheet:
    """A write-only worksheet plus the row counter formulas need.

    Rows are rendered straight to sheet XML (:meth:`_render`) and written into openpyxl's
    streamed worksheet file: openpyxl's own per-cell serialiser (pure Python without lxml)
    was ~20x slower, too slow for the L-size plan. When the stream is not the pure-Python
    writer (lxml installed) or ``book.fast`` is off, cells go through openpyxl as usual; a
    test checks both paths give the same workbook.
    """

    def __init__(self, book: _Book, title: str) -> None:
        self.book = book
        self.title = title
        self.ws = book.wb.create_sheet(title)
        self.ref = sheet_ref(title)
        self.row = 0
        self.header_rows: list[int] = []
        self._raw: Callable[[str], object] | None = None
        self._started = False

    # -- streaming ----------------------------------------------------------------------------
    def _start(self) -> None:
        """Open the sheet's XML stream; use raw writes when the stream allows them."""
        self._started = True
        if not self.book.fast:
            return
        ws = self.ws
        ws._get_writer()  # writes the sheet's top: properties, views, columns
        xf = ws._writer.xf.send(True)
        raw = getattr(xf, "_file", None)
        if raw is None:  # not et_xmlfile's writer: hand control back, use openpyxl cells
            ws._writer.xf.send(None)
            return
        raw("<sheetData>")
        self._raw = raw
        # ws.close() closes ws._rows: ours ends sheetData and hands the stream back.
        ws._rows = _raw_rows_tail(ws, raw)
        next(ws._rows)

    def _render(self, values: Sequence[CellValue], styles: Sequence[str | None]) -> str:
        """One row of sheet XML."""
        book = self.book
        cache = book.text_xml
        s_attr = book.style_attrs
        r = self.row
        n_styles = len(styles)
        parts = [f'<row r="{r}">']
        for i, value in enumerate(values):
            if value is None:
                continue
            style = styles[i] if i < n_styles else None
            if isinstance(value, str):
                if isinstance(value, Formula):
                    parts.append(
                        f'<c r="{_LETTERS[i]}{r}"{s_attr[style]}><f>{xml_escape(value[1:])}</f></c>'
                    )
                    continue
                key = style if style in TEXT_STYLES else "text"
                # Names, ids and statuses repeat on thousands of rows: render each once.
                tail = cache.get((value, key))
                if tail is None:
                    text = clean_text(book.scrub(value))
                    ids = book.quoted_ids if needs_quote_prefix(text) else book.style_ids
                    tail = inline_string_xml("", text, ids[key])[len('<c r=""') :]
                    cache[(value, key)] = tail
                parts.append(f'<c r="{_LETTERS[i]}{r}"{tail}')
            else:
                number = _number(value)
                if number is not None:
                    parts.append(
                        f'<c r="{_LETTERS[i]}{r}"{s_attr[style]} t="n"><v>{number}</v></c>'
                    )
        parts.append("</row>")
        return "".join(parts)

    # -- cells (openpyxl path) ----------------------------------------------------------------
    def cell(self, value: CellValue, style: str | None = None) -> CellValue:
        """A cell for ``value``: strings become safe text, :class:`Formula` a formula."""
        if value is None:
            return None
        if isinstance(value, Formula):
            c = WriteOnlyCell(self.ws, str(value))
        elif isinstance(value, str):
            # Text always gets a text style ("@"), even in a column styled for numbers.
            key = style if style in TEXT_STYLES else "text"
            return text_cell(self.ws, self.book.scrub(value), self.book.styles[key])
        else:
            number = _number(value)
            if number is None:
                return None
            c = WriteOnlyCell(
                self.ws, float(number) if "." in number or "e" in number else int(number)
            )
        if style is not None:
            c._style = StyleArray(self.book.styles[style])
        return c

    def append(self, values: Sequence[CellValue], styles: Sequence[str | None] = ()) -> int:
        """Write one row; ``styles`` gives a style key per column (None: default)."""
        if not self._started:
            self._start()
        self.row += 1
        if self._raw is not None:
            self._raw(self._render(values, styles))
        else:
            self.ws.append(
                [self.cell(v, styles[i] if i < len(styles) else None) for i, v in enumerate(values)]
            )
        return self.row

    def blank(self) -> int:
        return self.append([])

    # -- structure ----------------------------------------------------------------------------
    def title_rows(self, title: str, note: str) -> None:
        """Rows 1-2: the sheet title and a one-line note."""
        self.append([title], ["title"])
        self.append([note], ["note"])

    def header(self, labels: Sequence[str], tags: Sequence[str] = ()) -> int:
        """A header row (and the HXL hashtag row under it when the workbook asks for one).

        Returns the row number of the last header row (data starts on the next row).
        """
        self.append(list(labels), ["header"] * len(labels))
        self.header_rows.append(self.row)
        if self.book.hxl:
            self.append(list(tags) + [""] * (len(labels) - len(tags)), ["hxl"] * len(labels))
        return self.row

    def block(self, title: str) -> None:
        self.blank()
        self.append([title], ["block"])

    def setup(
        self,
        widths: Mapping[str, float] | Sequence[float],
        *,
        freeze: str | None,
        print_rows: str | None = None,
    ) -> None:
        """Column widths, frozen panes, landscape fit-to-width page setup, print title rows.

        Must run before the first row is written (write-only sheets stream their header).
        """
        ws = self.ws
        items = widths.items() if isinstance(widths, Mapping) else enumerate(widths, start=1)
        for col, width in items:
            letter = col if isinstance(col, str) else get_column_letter(int(col))
            ws.column_dimensions[letter].width = width
        if freeze:
            ws.freeze_panes = freeze
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        if print_rows:
            ws.print_title_rows = print_rows


_LETTERS = [get_column_letter(i) for i in range(1, 200)]


def _raw_rows_tail(ws: Any, raw: Callable[[str], object]) -> Any:
    """Stands in for openpyxl's row generator: on close, end sheetData, return the stream."""
    try:
        while True:
            yield
    except GeneratorExit:
        pass
    raw("</sheetData>")
    ws._writer.xf.send(None)


def _number(value: object) -> str | None:
    """A cell number as sheet XML text (shortest round-trip form); None for NaN/inf/non-numbers.

    bool is refused (callers write yes/no text): a True would otherwise become 1.
    """
    kind = type(value)
    if kind is int:  # the common cases first: this runs for every numeric cell
        return str(value)
    if kind is float:
        number = float(value)  # type: ignore[arg-type]
        if number - number != 0.0:  # NaN or infinity
            return None
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        if hasattr(value, "item") and not isinstance(value, bool):
            return _number(value.item())
        raise TypeError(f"cannot write {type(value).__name__} {value!r} to a cell")
    if isinstance(value, int | np.integer):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return None
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _col(index: int) -> str:
    return get_column_letter(index)


def _crit(ref: str, raw: object) -> str:
    """A SUMIFS criterion that matches the text in ``ref`` exactly.

    SUMIFS reads a leading < > = as an operator and * ? ~ as wildcards; ids containing them
    are escaped so a line id like "A*" or ">5" cannot match other lines.
    """
    text = str(raw)
    if not re.search(r"[*?~]|^[<>=]", text):
        return ref
    escaped = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({ref},"~","~~"),"*","~*"),"?","~?")'
    return f'"="&{escaped}'


# --------------------------------------------------------------------------------------------
# The data the sheets show
# --------------------------------------------------------------------------------------------
@dataclass
class _Book:
    """Everything the sheet writers share: the workbook, styles, run data, privacy scrubbing."""

    wb: Workbook
    run: PlanRun
    hxl: bool
    reveal: bool
    aliases: dict[str, str]
    analysis: Any = None
    styles: dict[str, StyleArray] = field(default_factory=dict)
    style_ids: dict[str | None, int] = field(default_factory=dict)  # cell-format index per key
    quoted_ids: dict[str | None, int] = field(default_factory=dict)  # ... with quote prefix
    fast: bool = True  # render rows straight to XML (see _Sheet)
    text_xml: dict[tuple[str, str], str] = field(default_factory=dict)  # rendered text cells
    style_attrs: dict[str | None, str] = field(default_factory=dict)  # ' s="N"' per style key
    scrub: Callable[[str], str] = lambda s: s
    breadth: dict[str, Any] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    programmes: pd.DataFrame = field(default_factory=pd.DataFrame)
    lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated: str = ""
    version: str = ""
    # Cell addresses other sheets refer to.
    req_cells: dict[tuple[str, int], str] = field(default_factory=dict)
    summary_totals: dict[str, str] = field(default_factory=dict)

    @property
    def plan(self) -> Plan:
        return self.run.plan

    def donor(self, name: object) -> str:
        return self.aliases.get(str(name), str(name))


def _scrubber(aliases: Mapping[str, str]) -> Callable[[str], str]:
    """Replace every confidential donor name (one whose alias differs) inside any text.

    Longest names first, so a name containing another is replaced whole. Plain substring
    matching on purpose: privacy wins over the rare mangled word.
    """
    hidden = {name: alias for name, alias in aliases.items() if name != alias and name}
    if not hidden:
        return lambda s: s
    pattern = re.compile(
        "|".join(re.escape(n) for n in sorted(hidden, key=lambda n: (-len(n), n))),
        flags=re.IGNORECASE,
    )
    folded = {n.casefold(): a for n, a in hidden.items()}

    def scrub(text: str) -> str:
        return pattern.sub(lambda m: folded.get(m.group(0).casefold(), "Anonymous donor"), text)

    return scrub


def _software_version() -> str:
    try:
        return importlib.metadata.version(SOFTWARE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _breadth(run: PlanRun, analysis: Any | None) -> dict[str, Any]:
    """Donor-base figures: the analysis' own when given, else :func:`donor_base.breadth`."""
    for attr in ("breadth", "donor_base"):
        value = getattr(analysis, attr, None) if analysis is not None else None
        if isinstance(value, Mapping) and "donor_count" in value:
            return dict(value)
    return donor_base.breadth(run.plan)


def _line_frame(run: PlanRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(programmes indexed by line_id, line-years with programme attributes).

    The line-years are :func:`models.gaps.line_years` (the same table every other surface
    uses; it falls back to the requirements when the run has no line table); the result's own
    ``gap_usd`` is kept where it exists so the workbook shows exactly what the JSON holds.
    """
    programmes = run.plan.programmes.copy()
    programmes["line_id"] = programmes["line_id"].astype(str)
    programmes = programmes.drop_duplicates("line_id").set_index("line_id", drop=False)
    lines = gaps.line_years(run.plan, run.result)
    if len(run.result.lines) and "gap_usd" in run.result.lines:
        own = run.result.lines[["line_id", "year", "gap_usd"]].copy()
        own["line_id"] = own["line_id"].astype(str)
        own["year"] = own["year"].astype(int)
        lines = lines.drop(columns="gap_usd").merge(own, on=["line_id", "year"], how="left")
        lines["gap_usd"] = lines["gap_usd"].astype(float)
    lines["name"] = lines["name"].fillna(lines["line_id"]).astype(str)
    lines["category"] = lines["category"].fillna("").astype(str)
    lines["entity"] = lines["entity"].fillna("").astype(str)
    lines["priority"] = lines["priority"].fillna(0).astype(int)
    return programmes, lines


def _breakdown(book: _Book, by: str) -> pd.DataFrame:
    """A :func:`models.gaps.breakdown` (the analysis' own copy when one was passed in)."""
    if book.analysis is not None:
        frames = getattr(book.analysis, "breakdowns", None)
        if isinstance(frames, Mapping) and isinstance(frames.get(by), pd.DataFrame):
            return frames[by]
    return gaps.breakdown(book.plan, book.run.result, by)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------
def check_target(path: str | Path) -> Path:
    """The workbook path, or :class:`WorkbookError` when it cannot be one (missing folder, not
    .xlsx). Commands call it before the long work, so a typo fails at once."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise WorkbookError(f"{target}: folder {folder} does not exist")
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WorkbookError(f"{target}: the appeal workbook must be an .xlsx file")
    if target.is_dir():
        raise WorkbookError(f"{target}: is a folder, not a file")
    return target


def write_appeal_workbook(
    path: str | Path,
    run: PlanRun,
    *,
    reveal_confidential: bool = False,
    hxl: bool = False,
    analysis: Analysis | None = None,
) -> Path:
    """Write the multiyear appeal workbook for ``run`` to ``path`` and return the path.

    ``reveal_confidential`` shows confidential donors' names (internal use only); ``hxl`` adds
    an HXL hashtag row under every table header; ``analysis`` (a
    :class:`models.analytics.Analysis`) supplies precomputed donor-base figures. The file
    appears complete or not at all. Raises :class:`WorkbookError` when the folder is missing
    or not writable.
    """
    target = check_target(path)
    wb = Workbook(write_only=True)
    aliases = donor_aliases(run.plan, reveal=reveal_confidential)
    programmes, lines = _line_frame(run)
    years = sorted(set(run.plan.years) | {int(y) for y in lines["year"]})
    book = _Book(
        wb=wb,
        run=run,
        hxl=hxl,
        reveal=reveal_confidential,
        aliases=aliases,
        analysis=analysis,
        scrub=_scrubber(aliases),
        breadth=donor_base.anonymise_breadth(_breadth(run, analysis), aliases),
        years=years,
        programmes=programmes,
        lines=lines,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=_software_version(),
    )
    book.styles = _style_templates(wb)
    # Register every format (and its quote-prefixed twin) so raw XML can refer to its index.
    book.style_ids = {k: wb._cell_styles.add(v) for k, v in book.styles.items()}
    book.quoted_ids = {k: wb._cell_styles.add(quoted_style(v)) for k, v in book.styles.items()}
    book.style_attrs = {k: f' s="{i}"' if i else "" for k, i in book.style_ids.items()}
    book.style_attrs[None] = ""
    book.fast = _FAST
    wb.calculation.fullCalcOnLoad = True  # Excel recomputes every formula when it opens

    taken: list[str] = []
    sheets: dict[str, _Sheet] = {}
    for name in SHEETS:
        safe = safe_sheet_name(name, taken)
        taken.append(safe)
        sheets[name] = _Sheet(book, safe)

    try:
        # Requirements first: Funding status refers to its cells; Summary to Funding status.
        _write_requirements(sheets[REQUIREMENTS])
        _write_funding(sheets[FUNDING], sheets[REQUIREMENTS], sheets[ALLOCATION])
        _write_allocation(sheets[ALLOCATION])
        _write_summary(sheets[SUMMARY], sheets[FUNDING])
        _write_priorities(sheets[PRIORITIES], sheets[FUNDING])
        _write_donors(sheets[DONORS])
        _write_pledges(sheets[PLEDGES])
        _write_assumptions(sheets[ASSUMPTIONS])
        for name, ref in book.summary_totals.items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        return _save_atomically(wb, target)
    except BaseException:
        _discard(wb)
        raise


def _discard(wb: Workbook) -> None:
    """Close and delete the streamed sheets' temporary files after a failure."""
    for ws in wb.worksheets:
        try:
            if not ws.closed:
                ws.close()
        except Exception:  # already failing: cleanup must not mask the original error
            pass
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.cleanup()


def _save_atomically(wb: Workbook, target: Path) -> Path:
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else "."
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        # mkstemp makes the file private (0600); give it the permissions a plainly created
        # file would have, so the appeal can be shared like any other document.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WorkbookError(f"{target}: cannot write the workbook: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------------------------------
# Requirements
# --------------------------------------------------------------------------------------------
REQ_FIXED = [
    ("Line ID", "#activity+code", 14),
    ("Programme", "#activity+name", 40),
    ("Category", "#activity+category", 13),
    ("Entity", "#org+impl", 12),
    ("Pillars", "#sector+pillar", 9),
    ("Themes", "#sector+theme", 26),
    ("Priority", "#priority", 9),
    ("Min viable share", "#indicator+minviable+pct", 10),
]


def _pillar_share_formula(pillar: str, cell: str) -> Formula:
    """Share of a line in ``pillar``: 1/k when its Pillars cell lists k pillars including it.

    The same even split as :func:`models.gaps.breakdown` ("pillar"), so the pillar subtotals
    add up to the total. Live: editing the Pillars cell moves the line between pillars.
    """
    packed = f'SUBSTITUTE({cell}," ","")'
    count = f'(LEN({packed})-LEN(SUBSTITUTE({packed},";",""))+1)'
    return Formula(f'=IF(ISNUMBER(SEARCH(";{pillar};",";"&{packed}&";")),1/{count},0)')


def _write_requirements(sh: _Sheet) -> None:
    book = sh.book
    plan = book.plan
    years = book.years
    n_fixed = len(REQ_FIXED)
    n_lead = n_fixed + len(PILLARS)  # columns before the first year column
    share_cols = list(range(n_fixed + 1, n_lead + 1))
    year_cols = list(range(n_lead + 1, n_lead + 1 + len(years)))
    total_col = n_lead + len(years) + 1
    widths = [w for _, _, w in REQ_FIXED] + [8.0] * len(PILLARS) + [15.0] * len(years) + [16, 18]
    first_data = HEADER_ROW + (2 if book.hxl else 1)
    sh.setup(widths, freeze=f"C{first_data}", print_rows=f"{HEADER_ROW}:{first_data - 1}")

    sh.title_rows(
        f"Requirements by budget line and year (USD) — {plan.title}",
        "Requirements are data; pillar shares, totals and subtotals are live formulas. "
        "A line in k pillars counts 1/k in each, so pillar subtotals add up to the total.",
    )
    labels = [lab for lab, _, _ in REQ_FIXED] + [f"Share in pillar {p}" for p in PILLARS]
    labels += [f"{y} (USD)" for y in years] + ["Total (USD)"]
    tags = [t for _, t, _ in REQ_FIXED] + [f"#indicator+pillar{p.lower()}+pct" for p in PILLARS]
    tags += [f"#value+required+usd+y{y}" for y in years] + ["#value+required+total+usd"]
    sh.header(labels, tags)

    req = plan.requirements.copy()
    req["line_id"] = req["line_id"].astype(str)
    req["year"] = req["year"].astype(int)
    req_map = req.groupby(["line_id", "year"])["requirement_usd"].sum().to_dict()
    pillar_col = _col(5)
    row_styles = ["text", "text", "text", "text", "text", "text", "int", "pct"]
    row_styles += ["pct"] * len(PILLARS) + ["usd"] * len(years) + ["usd"]
    data_rows: list[int] = []
    for prog in book.programmes.itertuples(index=False):
        r = sh.row + 1
        line_id = str(prog.line_id)
        values: list[CellValue] = [
            line_id,
            str(prog.name),
            str(prog.category),
            str(prog.entity),
            ";".join(split_list(prog.pillars)),
            "; ".join(split_list(prog.themes)),
            _i(prog.priority),
            _f(prog.min_viable_share or 0.0),
        ]
        values += [_pillar_share_formula(p, f"{pillar_col}{r}") for p in PILLARS]
        for y, col in zip(years, year_cols, strict=True):
            amount = req_map.get((line_id, y))
            values.append(None if amount is None else float(amount))
            book.req_cells[(line_id, y)] = f"{sh.ref}!${_col(col)}${r}"
        values.append(
            Formula(f"=SUM({_col(year_cols[0])}{r}:{_col(year_cols[-1])}{r})") if years else 0.0
        )
        sh.append(values, row_styles)
        data_rows.append(r)
    if not data_rows or not years:
        sh.append(["No budget lines with requirements in this plan."], ["note"])
        return

    first, last = data_rows[0], data_rows[-1]
    lead_blank: list[CellValue] = [None] * (n_lead - 1)
    lead_styles: list[str | None] = [None] * (n_lead - 1)
    total_values: list[CellValue] = ["Total", *lead_blank]
    total_values += [Formula(f"=SUM({_col(c)}{first}:{_col(c)}{last})") for c in year_cols]
    total_values.append(Formula(f"=SUM({_col(total_col)}{first}:{_col(total_col)}{last})"))
    total_values.append(float(req["requirement_usd"].sum()))
    sh.append(
        total_values,
        ["label", *lead_styles, *["usd_total"] * (len(years) + 1), "usd_exact"],
    )
    subtotal_styles = ["text", *lead_styles, *["usd"] * (len(years) + 1), "usd_exact"]
    head_tail = [*labels[n_lead:], "Total at export (USD)"]

    # Category subtotals: SUMIFS on the Category column (criterion: the label cell).
    sh.block("Subtotals by category")
    sh.header(["Category", *[""] * (n_lead - 1), *head_tail], ["#activity+category"])
    by_cat = _breakdown(book, "category").set_index("category")["requirement_usd"]
    cat_col = _col(3)
    categories = list(CATEGORIES) + sorted(set(map(str, by_cat.index)) - set(CATEGORIES))
    for cat in categories:
        r = sh.row + 1
        values = [cat, *lead_blank]
        for col in year_cols:
            c = _col(col)
            values.append(
                Formula(f"=SUMIFS({c}${first}:{c}${last},{cat_col}${first}:{cat_col}${last},$A{r})")
            )
        values.append(Formula(f"=SUM({_col(year_cols[0])}{r}:{_col(year_cols[-1])}{r})"))
        values.append(float(by_cat.get(cat, 0.0)))
        sh.append(values, subtotal_styles)

    # Pillar subtotals: requirement x share in the pillar (SUMPRODUCT over the share column).
    sh.block("Subtotals by pillar")
    sh.header(["Pillar", *[""] * (n_lead - 1), *head_tail], ["#sector+pillar"])
    by_pillar = _breakdown(book, "pillar").set_index("pillar")["requirement_usd"]
    for pillar, share_col in zip(PILLARS, share_cols, strict=True):
        r = sh.row + 1
        values = [pillar, *lead_blank]
        sc = _col(share_col)
        for col in year_cols:
            c = _col(col)
            values.append(Formula(f"=SUMPRODUCT({c}${first}:{c}${last},{sc}${first}:{sc}${last})"))
        values.append(Formula(f"=SUM({_col(year_cols[0])}{r}:{_col(year_cols[-1])}{r})"))
        values.append(float(by_pillar.get(pillar, 0.0)))
        sh.append(values, subtotal_styles)


# --------------------------------------------------------------------------------------------
# Funding status
# --------------------------------------------------------------------------------------------
# Columns of the Funding status sheet (1-based), shared with Summary/Priorities formulas.
F_LINE, F_NAME, F_CAT, F_PRIO, F_YEAR = 1, 2, 3, 4, 5
F_REQ, F_FUNDED, F_FIRM, F_PLEDGED, F_GAP, F_COV = 6, 7, 8, 9, 10, 11
F_X_REQ, F_X_FUNDED, F_X_FIRM, F_X_GAP, F_X_COV = 13, 14, 15, 16, 17
# Columns of the Allocation plan sheet.
A_PLEDGE, A_DONOR, A_LINE, A_NAME, A_YEAR, A_SOURCE, A_STATUS, A_AMOUNT = 1, 2, 3, 4, 5, 6, 7, 8
A_SIDE = 10  # first column of the explanations / unallocated side tables


def _write_funding(sh: _Sheet, req_sheet: _Sheet, alloc: _Sheet) -> None:
    book = sh.book
    first_data = HEADER_ROW + (2 if book.hxl else 1)
    widths = [14, 36, 13, 9, 8, 16, 16, 16, 16, 16, 11, 3, 18, 18, 18, 18, 12]
    sh.setup(widths, freeze=f"C{first_data}", print_rows=f"{HEADER_ROW}:{first_data - 1}")
    sh.title_rows(
        f"Funding status by line and year — {book.plan.title}",
        "Requirement refers to Requirements; funded and firm are SUMIFS over Allocation plan; "
        "gap and coverage follow. 'At export' columns hold the planner's figures when written.",
    )
    sh.header(
        [
            "Line ID",
            "Programme",
            "Category",
            "Priority",
            "Year",
            "Requirement (USD)",
            "Funded (USD)",
            "Firm: committed + paid (USD)",
            "Pledged only (USD)",
            "Gap (USD)",
            "Coverage",
            "",
            "Requirement at export",
            "Funded at export",
            "Firm at export",
            "Gap at export",
            "Coverage at export",
        ],
        [
            "#activity+code",
            "#activity+name",
            "#activity+category",
            "#priority",
            "#date+year",
            "#value+required+usd",
            "#value+funding+usd",
            "#value+funding+firm+usd",
            "#value+funding+pledged+usd",
            "#value+gap+usd",
            "#indicator+coverage+pct",
            "",
            "#value+required+usd+export",
            "#value+funding+usd+export",
            "#value+funding+firm+usd+export",
            "#value+gap+usd+export",
            "#indicator+coverage+pct+export",
        ],
    )
    a = alloc.ref
    amount = f"{a}!${_col(A_AMOUNT)}:${_col(A_AMOUNT)}"
    line_c = f"{a}!${_col(A_LINE)}:${_col(A_LINE)}"
    year_c = f"{a}!${_col(A_YEAR)}:${_col(A_YEAR)}"
    status_c = f"{a}!${_col(A_STATUS)}:${_col(A_STATUS)}"
    styles: list[str | None] = [
        "text",
        "text",
        "text",
        "int",
        "int",
        "usd",
        "usd",
        "usd",
        "usd",
        "usd",
        "pct",
    ]
    styles += [None, "usd_exact", "usd_exact", "usd_exact", "usd_exact", "pct_exact"]
    lines = book.lines.sort_values(["line_id", "year"], kind="stable")
    first = sh.row + 1
    for ln in lines.itertuples(index=False):
        r = sh.row + 1
        line_id = str(ln.line_id)
        crit = _crit(f"$A{r}", line_id)
        match = f"{line_c},{crit},{year_c},$E{r}"
        req_ref = book.req_cells.get((line_id, _i(ln.year)))
        req_value: CellValue = Formula(f"={req_ref}") if req_ref else _f(ln.requirement_usd)
        req_x = _f(ln.requirement_usd)
        funded_x = _f(ln.funded_usd)
        sh.append(
            [
                line_id,
                str(ln.name),
                str(ln.category),
                _i(ln.priority),
                _i(ln.year),
                req_value,
                Formula(f"=SUMIFS({amount},{match})"),
                Formula(
                    f'=SUMIFS({amount},{match},{status_c},"committed")'
                    f'+SUMIFS({amount},{match},{status_c},"paid")'
                ),
                Formula(f"=G{r}-H{r}"),
                Formula(f"=F{r}-G{r}"),
                Formula(f"=IF(F{r}>0,G{r}/F{r},0)"),
                None,
                req_x,
                funded_x,
                _f(ln.firm_usd),
                _f(ln.gap_usd),
                funded_x / req_x if req_x > 0 else 0.0,
            ],
            styles,
        )
    last = max(sh.row, first)
    r = sh.row + 1
    totals = book.run.result.totals()
    sh.append(
        [
            "Total",
            None,
            None,
            None,
            None,
            *[Formula(f"=SUM({c}{first}:{c}{last})") for c in "FGHIJ"],
            Formula(f"=IF(F{r}>0,G{r}/F{r},0)"),
            None,
            totals["requirement_usd"],
            totals["funded_usd"],
            totals["firm_usd"],
            totals["gap_usd"],
            totals["coverage"],
        ],
        [
            "label",
            None,
            None,
            None,
            None,
            *["usd_total"] * 5,
            "pct_total",
            None,
            *["usd_exact"] * 4,
            "pct_exact",
        ],
    )


# --------------------------------------------------------------------------------------------
# Allocation plan
# --------------------------------------------------------------------------------------------
def _write_allocation(sh: _Sheet) -> None:
    book = sh.book
    result = book.run.result
    first_data = HEADER_ROW + (2 if book.hxl else 1)
    widths = [14, 26, 14, 34, 8, 9, 11, 16, 3, 14, 34, 7, 16, 16, 10, 24, 70]
    sh.setup(widths, freeze=f"A{first_data}", print_rows=f"{HEADER_ROW}:{first_data - 1}")
    sh.title_rows(
        f"Allocation plan — {book.plan.title}",
        "Each row: money from a pledge to a budget line in a year (programmable USD). "
        "Edit amounts here and Funding status and Summary follow. Right: why each line got "
        "what it got, and money left unallocated.",
    )
    alloc_labels = [
        "Pledge ID",
        "Donor",
        "Line ID",
        "Programme",
        "Year",
        "Arrives",
        "Status",
        "Amount (USD)",
    ]
    alloc_tags = [
        "#contribution+id",
        "#org+funder",
        "#activity+code",
        "#activity+name",
        "#date+year",
        "#date+arrival",
        "#status",
        "#value+usd",
    ]
    side_labels = [
        "Line ID",
        "Programme",
        "Tier",
        "Requirement (USD)",
        "Funded (USD)",
        "Coverage",
        "Reason",
        "Explanation",
    ]
    side_tags = [
        "#activity+code",
        "#activity+name",
        "#priority",
        "#value+required+usd",
        "#value+funding+usd",
        "#indicator+coverage+pct",
        "#status+reason",
        "#description",
    ]
    pad = [""] * (A_SIDE - 1 - len(alloc_labels))
    sh.append(
        [*alloc_labels, *pad, *side_labels],
        ["header"] * len(alloc_labels) + [None] * len(pad) + ["header"] * len(side_labels),
    )
    sh.header_rows.append(sh.row)
    if book.hxl:
        sh.append(
            [*alloc_tags, *pad, *side_tags],
            ["hxl"] * len(alloc_tags) + [None] * len(pad) + ["hxl"] * len(side_tags),
        )

    side = _allocation_side_rows(book)
    alloc = result.allocations
    names = book.programmes["name"].astype(str).to_dict() if len(book.programmes) else {}
    if len(alloc):
        alloc = alloc.sort_values(["pledge_id", "line_id", "year"], kind="stable")
        donors = {d: book.donor(d) for d in alloc["donor"].unique()}
        cols = [
            _strings(alloc["pledge_id"]),
            [donors[d] for d in alloc["donor"].to_numpy(dtype=object)],
            _strings(alloc["line_id"]),
            alloc["year"].astype(int).tolist(),
            (alloc["source_year"] if "source_year" in alloc else alloc["year"]).tolist(),
            _strings(alloc["status"]) if "status" in alloc else [""] * len(alloc),
            alloc["amount_usd"].astype(float).tolist(),
        ]
        alloc_rows: Iterable[tuple[Any, ...]] = zip(*cols, strict=True)
    else:
        alloc_rows = []
    alloc_styles = ["text", "text", "text", "text", "int", "int", "text", "usd"]
    side_iter = iter(side)
    for pid, donor, line_id, year, source, status, amount in alloc_rows:
        row: list[CellValue] = [
            pid,
            donor,
            line_id,
            names.get(line_id, line_id),
            year,
            None if pd.isna(source) else int(source),
            str(status),
            amount,
        ]
        styles: list[str | None] = list(alloc_styles)
        extra = next(side_iter, None)
        if extra is not None:
            row += [None] * len(pad) + list(extra[0])
            styles += [None] * len(pad) + list(extra[1])
        sh.append(row, styles)
    for values, styles in side_iter:
        sh.append([None] * (A_SIDE - 1) + list(values), [None] * (A_SIDE - 1) + list(styles))


def _strings(series: pd.Series) -> list[str]:
    """A column as a list of str, without pandas' slow per-element iteration."""
    return [str(v) for v in series.to_numpy(dtype=object)]


def _allocation_side_rows(book: _Book) -> list[tuple[list[CellValue], list[str | None]]]:
    """Rows of the explanations and unallocated tables shown beside the allocations."""
    result = book.run.result
    rows: list[tuple[list[CellValue], list[str | None]]] = []
    expl = result.explanations
    if len(expl):
        for e in expl.itertuples(index=False):
            rows.append(
                (
                    [
                        str(e.line_id),
                        book.programmes["name"].get(str(e.line_id), str(e.line_id)),
                        _num(getattr(e, "tier", None)),
                        _num(getattr(e, "requirement_usd", None)),
                        _num(getattr(e, "funded_usd", None)),
                        _num(getattr(e, "coverage", None)),
                        str(getattr(e, "reason", "")),
                        str(getattr(e, "text", "")),
                    ],
                    ["text", "text", "int", "usd", "usd", "pct", "text", "wrap"],
                )
            )
    else:
        rows.append((["No explanations: the allocation engine gave none for this run."], ["note"]))
    rows.append(([], []))
    rows.append((["Unallocated money"], ["block"]))
    rows.append(
        (
            ["Pledge ID", "Donor", "", "Amount (USD)", "", "", "Reason"],
            ["header", "header", "header", "header", "header", "header", "header"],
        )
    )
    unalloc = result.unallocated
    for u in unalloc.itertuples(index=False):
        rows.append(
            (
                [
                    str(u.pledge_id),
                    book.donor(u.donor),
                    None,
                    _f(u.amount_usd),
                    None,
                    None,
                    str(u.reason),
                ],
                ["text", "text", None, "usd", None, None, "text"],
            )
        )
    if not len(unalloc):
        rows.append((["Every programmable dollar is allocated."], ["note"]))
    return rows


def _num(value: object) -> float | int | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------
def _horizon(years: Sequence[int]) -> str:
    if not years:
        return "no requirements"
    return f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0])


def _write_summary(sh: _Sheet, funding: _Sheet) -> None:
    book = sh.book
    plan = book.plan
    run = book.run
    years = book.years
    sh.setup([44, 18, 18, 18, 18, 12, 3, 20, 20, 20, 20, 14], freeze="A3", print_rows="1:2")
    sh.title_rows(
        plan.title,
        f"Multi-year appeal {_horizon(years)} · scenario {run.scenario.name!s} · "
        f"generated {book.generated}"
        + (" · ILLUSTRATIVE FIGURES, not actual pledges" if plan.illustrative else "")
        + (" · INTERNAL: confidential donors named" if book.reveal else ""),
    )
    f = funding.ref

    def fs(col: int) -> str:
        return f"{f}!${_col(col)}:${_col(col)}"

    # -- by year ----------------------------------------------------------------------------
    sh.block("Requirement and funding by year")
    labels = [
        "Year",
        "Requirement (USD)",
        "Funded (USD)",
        "Firm (USD)",
        "Gap (USD)",
        "Coverage",
        "",
        "Requirement at export",
        "Funded at export",
        "Firm at export",
        "Gap at export",
        "Coverage at export",
    ]
    tags = [
        "#date+year",
        "#value+required+usd",
        "#value+funding+usd",
        "#value+funding+firm+usd",
        "#value+gap+usd",
        "#indicator+coverage+pct",
    ]
    sh.header(labels, tags)
    by_year = book.lines.groupby("year")[["requirement_usd", "funded_usd", "firm_usd"]].sum()
    row_styles = ["int", "usd", "usd", "usd", "usd", "pct", None]
    row_styles += ["usd_exact"] * 4 + ["pct_exact"]
    first = sh.row + 1
    for y in years:
        r = sh.row + 1
        req = float(by_year["requirement_usd"].get(y, 0.0))
        funded = float(by_year["funded_usd"].get(y, 0.0))
        firm = float(by_year["firm_usd"].get(y, 0.0))
        sh.append(
            [
                y,
                Formula(f"=SUMIFS({fs(F_REQ)},{fs(F_YEAR)},$A{r})"),
                Formula(f"=SUMIFS({fs(F_FUNDED)},{fs(F_YEAR)},$A{r})"),
                Formula(f"=SUMIFS({fs(F_FIRM)},{fs(F_YEAR)},$A{r})"),
                Formula(f"=B{r}-C{r}"),
                Formula(f"=IF(B{r}>0,C{r}/B{r},0)"),
                None,
                req,
                funded,
                firm,
                req - funded,
                funded / req if req > 0 else 0.0,
            ],
            row_styles,
        )
    last_year_row = sh.row
    r = sh.row + 1
    totals = run.result.totals()
    end = max(last_year_row, first)
    sh.append(
        [
            "Total",
            *[Formula(f"=SUM({c}{first}:{c}{end})") for c in "BCDE"],
            Formula(f"=IF(B{r}>0,C{r}/B{r},0)"),
            None,
            totals["requirement_usd"],
            totals["funded_usd"],
            totals["firm_usd"],
            totals["gap_usd"],
            totals["coverage"],
        ],
        ["label", *["usd_total"] * 4, "pct_total", None, *["usd_exact"] * 4, "pct_exact"],
    )
    s = sh.ref
    book.summary_totals = {
        "TotalRequirement": f"{s}!$B${r}",
        "TotalFunded": f"{s}!$C${r}",
        "TotalFirm": f"{s}!$D${r}",
        "TotalGap": f"{s}!$E${r}",
        "Coverage": f"{s}!$F${r}",
    }
    if years:
        chart = BarChart()
        chart.type = "col"
        chart.title = "Requirements vs funding by year (USD)"
        chart.y_axis.title = "USD"
        chart.y_axis.numFmt = "#,##0"
        chart.x_axis.title = "Year"
        # Series titles are given, not read from the header: an HXL row may sit under it.
        chart.add_data(
            Reference(sh.ws, min_col=2, max_col=3, min_row=first, max_row=last_year_row),
            titles_from_data=False,
        )
        for series, title in zip(chart.series, ("Requirement", "Funded"), strict=True):
            series.tx = SeriesLabel(v=title)
        chart.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last_year_row))
        chart.height, chart.width = 7.5, 16
        sh.ws.add_chart(chart, "N3")

    # -- gap by category ----------------------------------------------------------------------
    sh.block("Gap by category")
    sh.header(
        [
            "Category",
            "Requirement (USD)",
            "Funded (USD)",
            "Gap (USD)",
            "Coverage",
            "",
            "",
            "Requirement at export",
            "Funded at export",
            "Gap at export",
            "Coverage at export",
        ],
        [
            "#activity+category",
            "#value+required+usd",
            "#value+funding+usd",
            "#value+gap+usd",
            "#indicator+coverage+pct",
        ],
    )
    by_cat = _breakdown(book, "category").set_index("category")
    categories = list(CATEGORIES) + sorted(set(map(str, by_cat.index)) - set(CATEGORIES) - {""})
    cat_first = sh.row + 1
    for cat in categories:
        r = sh.row + 1
        req = float(by_cat["requirement_usd"].get(cat, 0.0))
        funded = float(by_cat["funded_usd"].get(cat, 0.0))
        sh.append(
            [
                cat,
                Formula(f"=SUMIFS({fs(F_REQ)},{fs(F_CAT)},$A{r})"),
                Formula(f"=SUMIFS({fs(F_FUNDED)},{fs(F_CAT)},$A{r})"),
                Formula(f"=B{r}-C{r}"),
                Formula(f"=IF(B{r}>0,C{r}/B{r},0)"),
                None,
                None,
                req,
                funded,
                req - funded,
                funded / req if req > 0 else 0.0,
            ],
            [
                "text",
                "usd",
                "usd",
                "usd",
                "pct",
                None,
                None,
                "usd_exact",
                "usd_exact",
                "usd_exact",
                "pct_exact",
            ],
        )
    cat_last = sh.row
    gap_chart = BarChart()
    gap_chart.type = "bar"
    gap_chart.title = "Gap by category (USD)"
    gap_chart.legend = None
    gap_chart.x_axis.title = "Category"
    gap_chart.y_axis.numFmt = "#,##0"
    gap_chart.add_data(
        Reference(sh.ws, min_col=4, min_row=cat_first, max_row=cat_last), titles_from_data=False
    )
    gap_chart.set_categories(Reference(sh.ws, min_col=1, min_row=cat_first, max_row=cat_last))
    gap_chart.height, gap_chart.width = 7.5, 16
    sh.ws.add_chart(gap_chart, "N20")

    # -- donor base against targets -------------------------------------------------------
    b = book.breadth
    sh.block("Donor base against targets")
    sh.header(
        ["Figure", "Value", "Target", "Meets target", "Note"],
        ["#indicator+name", "#indicator+value", "#indicator+target", "#status", "#meta"],
    )
    target = float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    flex = float(b.get("flexible_share", 0.0))
    sh.append(
        [
            "Flexible share (unearmarked + softly earmarked)",
            flex,
            target,
            "yes" if flex >= target else "no",
            f"Grand Bargain / Funding Compact aim; gap to target USD "
            f"{float(b.get('flexible_gap_to_target_usd', 0.0)):,.0f}",
        ],
        ["text", "pct", "pct", "text", "note"],
    )
    for label, key, style, note in (
        ("Donors", "donor_count", "int", "with programmable money in the horizon"),
        ("Effective donors", "effective_donors", "num", "1 / sum of squared shares"),
        ("Concentration (HHI, 0-10,000)", "hhi", "num", "above 2,500: highly concentrated"),
        ("Largest donor's share", "top1_share", "pct", ""),
        ("Top 3 donors' share", "top3_share", "pct", ""),
        ("Multi-year share", "multiyear_share", "pct", "pledges spanning more than one year"),
    ):
        sh.append([label, _num(b.get(key)), None, None, note], ["text", style, None, None, "note"])
    targets = run.result.targets
    if len(targets):
        sh.block("Policy targets (soft constraints)")
        sh.header(
            ["Target", "Target share", "Achieved", "Shortfall (USD)"],
            ["#indicator+name", "#indicator+target", "#indicator+value", "#value+gap+usd"],
        )
        for t in targets.itertuples(index=False):
            sh.append(
                [
                    str(t.name).replace("_", " ").capitalize(),
                    _num(t.target),
                    _num(t.achieved),
                    _num(t.shortfall_usd),
                ],
                ["text", "pct", "pct", "usd"],
            )

    # -- top asks -----------------------------------------------------------------------------
    sh.block(f"Top asks: largest unmet requirements, highest priority first (top {TOP_ASKS})")
    sh.header(
        ["Rank", "Line ID", "Programme", "Priority", "Gap (USD)", "Coverage"],
        [
            "#rank",
            "#activity+code",
            "#activity+name",
            "#priority",
            "#value+gap+usd",
            "#indicator+coverage+pct",
        ],
    )
    asks = _ranked_gaps(book).head(TOP_ASKS)
    for rank, a in enumerate(asks.itertuples(index=False), start=1):
        sh.append(
            [
                rank,
                str(a.line_id),
                str(a.name),
                _i(a.priority),
                _f(a.gap_usd),
                _f(a.coverage),
            ],
            ["int", "text", "text", "int", "usd", "pct"],
        )
    if not len(asks):
        sh.append(["Every requirement is funded."], ["note"])


def _ranked_gaps(book: _Book) -> pd.DataFrame:
    """Lines with unmet requirement over the horizon, by priority tier then largest gap."""
    lines = book.lines
    if not len(lines):
        return pd.DataFrame(
            columns=[
                "line_id",
                "name",
                "category",
                "entity",
                "priority",
                "requirement_usd",
                "funded_usd",
                "gap_usd",
                "coverage",
            ]
        )
    grouped = lines.groupby("line_id", as_index=False).agg(
        name=("name", "first"),
        category=("category", "first"),
        entity=("entity", "first"),
        priority=("priority", "first"),
        requirement_usd=("requirement_usd", "sum"),
        funded_usd=("funded_usd", "sum"),
        gap_usd=("gap_usd", "sum"),
    )
    grouped["coverage"] = [
        f / r if r > 0 else 0.0
        for f, r in zip(grouped["funded_usd"], grouped["requirement_usd"], strict=True)
    ]
    grouped = grouped.loc[grouped["gap_usd"] > 0.005]
    return grouped.sort_values(
        ["priority", "gap_usd", "line_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Priorities and asks
# --------------------------------------------------------------------------------------------
def _write_priorities(sh: _Sheet, funding: _Sheet) -> None:
    book = sh.book
    result = book.run.result
    sh.setup([14, 16, 36, 14, 12, 16, 16, 16, 12, 3, 20, 20, 20], freeze="A3", print_rows="1:2")
    sh.title_rows(
        f"Priorities and asks — {book.plan.title}",
        "Unmet requirement by priority tier (live formulas over Funding status), every unmet "
        "line ranked, where the next USD 1 million of unearmarked money would go, and "
        "programmes below minimum viable funding.",
    )
    f = funding.ref

    def fs(col: int) -> str:
        return f"{f}!${_col(col)}:${_col(col)}"

    sh.block("Unmet requirement by priority tier (1 = critical)")
    sh.header(
        [
            "Tier",
            "Requirement (USD)",
            "Funded (USD)",
            "Gap (USD)",
            "Coverage",
            "",
            "",
            "",
            "",
            "",
            "Requirement at export",
            "Funded at export",
            "Gap at export",
        ],
        [
            "#priority",
            "#value+required+usd",
            "#value+funding+usd",
            "#value+gap+usd",
            "#indicator+coverage+pct",
        ],
    )
    by_tier = book.lines.groupby("priority")[["requirement_usd", "funded_usd"]].sum()
    tiers = sorted({1, 2, 3, 4} | {int(t) for t in by_tier.index if int(t) > 0})
    for tier in tiers:
        r = sh.row + 1
        req = float(by_tier["requirement_usd"].get(tier, 0.0))
        funded = float(by_tier["funded_usd"].get(tier, 0.0))
        sh.append(
            [
                tier,
                Formula(f"=SUMIFS({fs(F_REQ)},{fs(F_PRIO)},$A{r})"),
                Formula(f"=SUMIFS({fs(F_FUNDED)},{fs(F_PRIO)},$A{r})"),
                Formula(f"=B{r}-C{r}"),
                Formula(f"=IF(B{r}>0,C{r}/B{r},0)"),
                None,
                None,
                None,
                None,
                None,
                req,
                funded,
                req - funded,
            ],
            [
                "int",
                "usd",
                "usd",
                "usd",
                "pct",
                None,
                None,
                None,
                None,
                None,
                "usd_exact",
                "usd_exact",
                "usd_exact",
            ],
        )

    sh.block("Unmet requirement, ranked by priority tier then size of gap")
    sh.header(
        [
            "Rank",
            "Line ID",
            "Programme",
            "Category",
            "Priority",
            "Entity",
            "Requirement (USD)",
            "Gap (USD)",
            "Coverage",
        ],
        [
            "#rank",
            "#activity+code",
            "#activity+name",
            "#activity+category",
            "#priority",
            "#org+impl",
            "#value+required+usd",
            "#value+gap+usd",
            "#indicator+coverage+pct",
        ],
    )
    ranked = _ranked_gaps(book)
    for rank, g in enumerate(ranked.itertuples(index=False), start=1):
        sh.append(
            [
                rank,
                str(g.line_id),
                str(g.name),
                str(g.category),
                _i(g.priority),
                str(g.entity),
                _f(g.requirement_usd),
                _f(g.gap_usd),
                _f(g.coverage),
            ],
            ["int", "text", "text", "text", "int", "text", "usd", "usd", "pct"],
        )
    if not len(ranked):
        sh.append(["Every requirement is funded."], ["note"])

    sh.block("What USD 1 million of unearmarked money would fund")
    sh.header(
        ["Line ID", "Year", "Programme", "Priority", "Amount (USD)"],
        ["#activity+code", "#date+year", "#activity+name", "#priority", "#value+usd"],
    )
    nm = result.next_million
    names = book.programmes["name"].astype(str).to_dict() if len(book.programmes) else {}
    prios = book.programmes["priority"].to_dict() if len(book.programmes) else {}
    if len(nm):
        first = sh.row + 1
        for n in nm.itertuples(index=False):
            line_id = str(n.line_id)
            sh.append(
                [
                    line_id,
                    _num(n.year),
                    names.get(line_id, line_id),
                    _num(prios.get(line_id)),
                    _f(n.amount_usd),
                ],
                ["text", "int", "text", "int", "usd"],
            )
        last = sh.row
        sh.append(
            ["Total", None, None, None, Formula(f"=SUM(E{first}:E{last})")],
            ["label", None, None, None, "usd_total"],
        )
    else:
        sh.append(["The allocation engine reported no use for more unearmarked money."], ["note"])
    if result.flexible_marginal_value is not None:
        sh.append(
            [
                "Objective value of one more flexible dollar",
                None,
                None,
                None,
                _num(result.flexible_marginal_value),
            ],
            ["text", None, None, None, "num"],
        )

    sh.block("Programmes below minimum viable funding")
    sh.header(
        [
            "Line ID",
            "Status",
            "Programme",
            "Min viable share",
            "Requirement (USD)",
            "Funded (USD)",
            "Needed to reach minimum (USD)",
        ],
        [
            "#activity+code",
            "#status",
            "#activity+name",
            "#indicator+minviable+pct",
            "#value+required+usd",
            "#value+funding+usd",
            "#value+gap+minviable+usd",
        ],
    )
    below = _below_min_viable(book)
    for m in below:
        sh.append(
            [
                m["line_id"],
                m["status"],
                m["name"],
                m["share"],
                m["requirement"],
                m["funded"],
                m["needed"],
            ],
            ["text", "text", "text", "pct", "usd", "usd", "usd"],
        )
    if not below:
        sh.append(["No programme is below its minimum viable funding."], ["note"])


def _below_min_viable(book: _Book) -> list[dict[str, Any]]:
    """Lines with a minimum viable share whose multi-year funding is below it (or cut to 0)."""
    mv = book.run.result.min_viable
    names = book.programmes["name"].astype(str).to_dict() if len(book.programmes) else {}
    out: list[dict[str, Any]] = []
    if len(mv):
        rows = [
            (
                str(m.line_id),
                _f(m.min_viable_share),
                _f(m.requirement_usd),
                _f(m.funded_usd),
                str(m.status),
            )
            for m in mv.itertuples(index=False)
        ]
    else:
        sums = book.lines.groupby("line_id")[["requirement_usd", "funded_usd"]].sum()
        rows = []
        for p in book.programmes.itertuples(index=False):
            share = _f(p.min_viable_share or 0.0)
            line_id = str(p.line_id)
            if share > 0 and line_id in sums.index:
                req, funded = (_f(x) for x in sums.loc[line_id])
                rows.append((line_id, share, req, funded, "funded"))
    for line_id, share, req, funded, status in rows:
        if share <= 0 or status == "not_applicable":
            continue
        needed = max(0.0, share * req - funded)
        if status == "cut" or needed > 0.005:
            out.append(
                {
                    "line_id": line_id,
                    "status": status,
                    "name": names.get(line_id, line_id),
                    "share": share,
                    "requirement": req,
                    "funded": funded,
                    "needed": needed,
                }
            )
    return out


# --------------------------------------------------------------------------------------------
# Donor base
# --------------------------------------------------------------------------------------------
def _write_donors(sh: _Sheet) -> None:
    book = sh.book
    b = book.breadth
    sh.setup([46, 16, 16, 16, 16, 20, 14], freeze="A3", print_rows="1:2")
    sh.title_rows(
        f"Donor base — {book.plan.title}",
        "Programmable USD of pledges in the horizon. Confidential donors are shown as "
        "'Anonymous donor N'" + (" (names revealed: internal use only)." if book.reveal else "."),
    )
    sh.block("Breadth")
    sh.header(
        ["Figure", "Value", "Target"], ["#indicator+name", "#indicator+value", "#indicator+target"]
    )
    figures: list[tuple[str, str, str, float | None]] = [
        ("Donors", "donor_count", "int", None),
        ("Donors giving flexible money", "flexible_donor_count", "int", None),
        ("Confidential donors", "confidential_donor_count", "int", None),
        ("Programmable total (USD)", "total_usd", "usd", None),
        ("Flexible money (USD)", "flexible_usd", "usd", None),
        (
            "Flexible share",
            "flexible_share",
            "pct",
            float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET)),
        ),
        (
            "Flexible money still needed for the target (USD)",
            "flexible_gap_to_target_usd",
            "usd",
            None,
        ),
        ("Concentration (HHI, 0-10,000)", "hhi", "num", None),
        ("Effective donors", "effective_donors", "num", None),
        ("Largest donor's share", "top1_share", "pct", None),
        ("Top 3 donors' share", "top3_share", "pct", None),
        ("Top 5 donors' share", "top5_share", "pct", None),
        ("Gini coefficient", "gini", "num", None),
        ("Multi-year share", "multiyear_share", "pct", None),
    ]
    for label, key, style, target in figures:
        if key in b:
            sh.append([label, _num(b.get(key)), target], ["text", style, "pct"])
    if b.get("new_donor_count") is not None:
        sh.append(["New donors", _num(b["new_donor_count"])], ["text", "int"])
        sh.append(["New donors' share", _num(b.get("new_donor_share"))], ["text", "pct"])

    for title, key, label in (
        ("Shares by donor type", "by_donor_type", "Donor type"),
        ("Shares by region", "by_region", "Region"),
        ("Shares by earmarking (Grand Bargain categories)", "by_earmarking", "Earmarking"),
        ("Shares by pledge status", "by_status", "Status"),
    ):
        shares = b.get(key) or {}
        total = float(b.get("total_usd", 0.0))
        sh.block(title)
        sh.header(
            [label, "Share", "Programmable USD"], ["#group", "#indicator+share+pct", "#value+usd"]
        )
        for name, share in shares.items():
            sh.append(
                [str(name).replace("_", " "), float(share), float(share) * total],
                ["text", "pct", "usd"],
            )

    sh.block("Donors (largest first)")
    sh.header(
        [
            "Donor",
            "Donor type",
            "Region",
            "Programmable USD",
            "Share",
            "Flexible USD",
            "Confidential",
        ],
        [
            "#org+funder",
            "#org+type",
            "#region",
            "#value+usd",
            "#indicator+share+pct",
            "#value+flexible+usd",
            "#meta+confidential",
        ],
    )
    for d in b.get("donors", []):
        sh.append(
            [
                str(d["donor"]),
                str(d.get("donor_type", "")),
                str(d.get("region", "")),
                float(d.get("programmable_usd", 0.0)),
                float(d.get("share", 0.0)),
                float(d.get("flexible_usd", 0.0)),
                "yes" if d.get("confidential") else "no",
            ],
            ["text", "text", "text", "usd", "pct", "usd", "text"],
        )


# --------------------------------------------------------------------------------------------
# Pledges
# --------------------------------------------------------------------------------------------
def _write_pledges(sh: _Sheet) -> None:
    book = sh.book
    table = _workbook_pledges.pledge_table(book.plan, book.aliases)
    columns = list(table.columns)
    first_data = HEADER_ROW + (2 if book.hxl else 1)
    widths = [_workbook_pledges.column_width(c) for c in columns]
    sh.setup(widths, freeze=f"C{first_data}", print_rows=f"{HEADER_ROW}:{first_data - 1}")
    sh.title_rows(
        f"Pledges — {book.plan.title}",
        "The imported pledges in the input contract's columns (amounts in pledge currency, "
        "gross of programme support cost): this sheet can be imported again.",
    )
    sh.header(columns, [_workbook_pledges.column_hxl(c) for c in columns])
    styles = [_workbook_pledges.column_style(c) for c in columns]
    for row in table.itertuples(index=False, name=None):
        sh.append([_plain(v) for v in row], styles)


def _plain(value: object) -> CellValue:
    """A pandas/numpy scalar as a plain Python value (NaN -> empty cell)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if type(value) in (int, float):
        return value
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


# --------------------------------------------------------------------------------------------
# Scenario and assumptions
# --------------------------------------------------------------------------------------------
def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                out.extend(_flatten(value, name + "."))
            else:
                out.append((name, "(none)"))
        elif isinstance(value, list | tuple | set):
            out.append((name, "; ".join(str(v) for v in value) if value else "(none)"))
        else:
            out.append((name, value))
    return out


def _write_assumptions(sh: _Sheet) -> None:
    book = sh.book
    run = book.run
    plan = book.plan
    sh.setup([44, 30, 16, 10, 16, 60], freeze="A3", print_rows="1:2")
    sh.title_rows(
        f"Scenario and assumptions — {plan.title}",
        (
            "ILLUSTRATIVE FIGURES: the amounts in this workbook are illustrative sample data, "
            "not actual pledges or requirements."
            if plan.illustrative
            else "Figures as imported; money in programmable USD after programme support cost."
        ),
    )
    sh.block("About this workbook")
    sh.header(["Item", "Value"], ["#meta+item", "#meta+value"])
    about: list[tuple[str, CellValue]] = [
        ("Appeal", plan.title),
        ("Horizon", _horizon(book.years)),
        ("Generated", book.generated),
        ("Software", f"{SOFTWARE} {book.version}"),
        ("Illustrative figures", "yes" if plan.illustrative else "no"),
        ("Confidential donor names", "revealed (internal use)" if book.reveal else "anonymised"),
    ]
    for key, value in about:
        sh.append([key, value], ["text", "text"])

    sh.block("Scenario parameters")
    sh.header(["Parameter", "Value"], ["#meta+parameter", "#meta+value"])
    scenario = run.scenario.to_dict()
    scenario["excluded_donors"] = [book.donor(d) for d in scenario.get("excluded_donors", [])]
    risk = scenario.get("risk", {})
    if isinstance(risk, dict) and risk.get("donor_probability"):
        risk["donor_probability"] = {
            book.donor(d): p for d, p in dict(risk["donor_probability"]).items()
        }
    for key, value in _flatten(scenario):
        sh.append([key, _scalar(value)], ["text", "general"])

    sh.block("Exchange rates (UN operational rates of exchange convention)")
    sh.header(["Currency", "Units per USD", "As of"], ["#currency", "#value+rate", "#date"])
    fx = plan.fx
    if len(fx):
        for r in fx.itertuples(index=False):
            sh.append(
                [str(r.currency), _f(r.units_per_usd), str(r.as_of or "")],
                ["text", "num", "text"],
            )
    else:
        sh.append(["All pledges are in USD; no exchange rates were needed."], ["note"])

    sh.block("Solver")
    sh.header(["Item", "Value"], ["#meta+item", "#meta+value"])
    for key, value in _flatten(run.result.solver.to_dict(), "solver."):
        sh.append([key, _scalar(value)], ["text", "general"])
    sh.append(["solver.pools", int(run.result.pools)], ["text", "int"])

    sh.block("Import report")
    report = dict(run.import_report or {})
    problems = [("error", e) for e in report.pop("errors", None) or []]
    problems += [("warning", w) for w in report.pop("warnings", None) or []]
    files = [f for f in report.pop("files", None) or [] if isinstance(f, Mapping)]
    sh.header(["Item", "Value"], ["#meta+item", "#meta+value"])
    if not report and not problems and not files:
        sh.append(["No import report (plan built in memory)."], ["note"])
    for key, value in _flatten(report):
        sh.append([key, _scalar(value)], ["text", "general"])
    if files:
        keys = list(dict.fromkeys(k for f in files for k in f))
        sh.block("Files read")
        sh.header(keys, ["#meta+" + re.sub(r"[^a-z0-9]", "", k.lower()) for k in keys])
        for f in files:
            sh.append([_scalar(f.get(k)) for k in keys], ["text"] * len(keys))
    if problems:
        sh.block("Rows rejected or warned about at import")
        sh.header(
            ["Kind", "File", "Sheet", "Row", "Column", "Message"],
            ["#status", "#meta+file", "#meta+sheet", "#meta+row", "#meta+column", "#description"],
        )
        for kind, err in problems:
            if isinstance(err, Mapping):
                message = err.get("message", err.get("reason", ""))
                values = [err.get("file"), err.get("sheet"), err.get("row"), err.get("column")]
                sh.append(
                    [kind, *(_scalar(v) for v in values), _scalar(message)],
                    ["text", "text", "text", "int", "text", "wrap"],
                )
            else:
                sh.append(
                    [kind, None, None, None, None, str(err)], ["text"] + [None] * 4 + ["wrap"]
                )


def _scalar(value: object) -> CellValue:
    """A value for a key/value row: numbers stay numbers, everything else becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)
    return str(value)


def _f(value: Any) -> float:
    """float() of a pandas scalar (typed loosely by pandas-stubs)."""
    return float(value)


def _i(value: Any) -> int:
    """int() of a pandas scalar (typed loosely by pandas-stubs)."""
    return int(value)
