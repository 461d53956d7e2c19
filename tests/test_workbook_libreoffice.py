"""The appeal workbook in a real spreadsheet program (LibreOffice, headless): it computes, and
it prints.

Computes: openpyxl writes formulas without results. LibreOffice opens the workbook,
recalculates every formula and saves it again; reading that copy with ``data_only=True``
gives the spreadsheet's own results, which must equal the planner's figures at export that
the hidden Checks sheet lists beside every live cell (to the cent).

Prints: LibreOffice converts the workbook to PDF, as a donor's office would print it; pypdf
reads the pages back. Each page's footer names its sheet, so pages are counted per sheet and
compared with the pages the workbook planned (and recorded on the Checks sheet); the Summary
must be one landscape page, hidden sheets must not print, no page may show a code, every
programme name must print whole, and every wrapped explanation row must be tall enough for
its text, measured here with the font LibreOffice really uses (fontconfig's match for Arial)
through Pillow, independently of the writer's own estimate.

LibreOffice is a Debian package installed in the dev image and in CI (``.ci/run``).
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from PIL import ImageFont

from appeal import pipeline
from appeal.importer import load_sample_plan
from appeal.pipeline import PlanRun
from appeal.workbook import write_appeal_workbook
from models.plan import make_plan
from models.result import REASONS, UNALLOCATED_REASONS
from models.scenario import Scenario
from tests.libreoffice import convert
from tests.test_workbook import (
    EVIL_DONOR,
    HIDDEN_SHEETS,
    checks,
    column,
    data_rows,
    example_run,
    greedy_result,
    table,
)

CENT = 0.005
pytestmark = pytest.mark.slow


def tricky_run() -> PlanRun:
    """Line ids SUMIFS would misread (wildcards, operators) next to ids they would match."""
    lines = [
        {"line_id": "X*", "category": "flagship", "pillars": "I", "priority": 1,
         "requirements": {2027: 100.0, 2028: 100.0}},
        {"line_id": "XY", "category": "flagship", "pillars": "II", "priority": 1,
         "requirements": {2027: 300.0}},
        {"line_id": ">5", "category": "entity", "pillars": "III;IV", "priority": 2,
         "requirements": {2027: 50.0, 2028: 70.0}},
        {"line_id": "5", "category": "entity", "pillars": "IV", "priority": 3,
         "requirements": {2028: 40.0}},
        {"line_id": "A?C", "category": "leadership", "pillars": "II", "priority": 4,
         "requirements": {2027: 25.0}},
        {"line_id": "ABC", "category": "leadership", "pillars": "II", "priority": 4,
         "requirements": {2027: 35.0}},
    ]  # fmt: skip
    pledges = [
        {"donor": "A", "amount": 180.0, "earmarking": "earmarked", "earmark_to": "X*"},
        {"donor": "B", "amount": 120.0, "earmarking": "earmarked", "earmark_to": "XY"},
        {"donor": "C", "amount": 400.0, "first_year": 2027, "years": 2, "status": "pledged"},
        {"donor": "D", "amount": 30.0, "earmarking": "earmarked", "earmark_to": "ABC"},
    ]
    plan = make_plan(lines, pledges, title="Tricky ids")
    return PlanRun(plan, Scenario(), greedy_result(plan), {})


@pytest.fixture(scope="module")
def sample_run() -> PlanRun:
    """The sample appeal with its (illustrative) narratives, so the Programmes sheet has
    long wrapped text to print."""
    plan, report = load_sample_plan()
    return pipeline.run(plan, Scenario(), report.to_dict())


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Any, Any]]:
    """{name: (as written, as recalculated by LibreOffice (values), the same with formulas)}."""
    folder = tmp_path_factory.mktemp("lo")
    written = {
        "example": write_appeal_workbook(folder / "example.xlsx", example_run()),
        "tricky": write_appeal_workbook(folder / "tricky.xlsx", tricky_run(), hxl=True),
    }
    converted = convert(list(written.values()), "xlsx", folder / "out")
    return {
        name: (
            openpyxl.load_workbook(path),
            openpyxl.load_workbook(out, data_only=True),
            openpyxl.load_workbook(out),
        )
        for (name, path), out in zip(written.items(), converted, strict=True)
    }


NAMES = ["example", "tricky"]


def close(a: Any, b: Any, tol: float = CENT) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and abs(a - b) <= tol


@pytest.mark.parametrize("name", NAMES)
def test_every_live_figure_recalculates_to_the_planners(
    recalculated: dict[str, Any], name: str
) -> None:
    written, calc, _ = recalculated[name]
    listed = checks(written)
    recalculated_checks = checks(calc)
    tables = {t for t, _, _ in listed}
    assert {"Summary by year", "Summary by category", "Funding status"} <= tables
    assert {"Priorities by tier", "Requirements by category", "Requirements by pillar"} <= tables
    for key, (cell, live, value) in listed.items():
        sheet, ref = cell.rsplit("!", 1)
        target = written[sheet.strip("'")][ref.replace("$", "")].value
        assert str(target).startswith("="), (name, key, target)  # the checked cell is live
        assert live == f"={cell}"
        got = recalculated_checks[key][1]
        assert close(got, value), (name, key, got, value)


@pytest.mark.parametrize("name", NAMES)
def test_pledged_only_is_funded_less_firm(recalculated: dict[str, Any], name: str) -> None:
    written, calc, _ = recalculated[name]
    ws, wc = written["Funding status"], calc["Funding status"]
    header, labels = table(ws, "Line ID")
    rows = data_rows(ws, header)
    for r in [*rows, rows[-1] + 1]:
        funded = wc.cell(r, column(labels, "Funded (USD)")).value
        firm = wc.cell(r, column(labels, "Firm: committed + paid (USD)")).value
        assert close(wc.cell(r, column(labels, "Pledged only (USD)")).value, funded - firm)
    assert any(wc.cell(r, column(labels, "Funded (USD)")).value > 0 for r in rows)


@pytest.mark.parametrize("name", NAMES)
def test_requirement_subtotals_add_up(recalculated: dict[str, Any], name: str) -> None:
    written, calc, _ = recalculated[name]
    ws, wc = written["Requirements"], calc["Requirements"]
    header, labels = table(ws, "Line ID")
    total_col = column(labels, "Total (USD)")
    total_row = next(r for r in range(header, ws.max_row + 1) if ws.cell(r, 1).value == "Total")
    grand = wc.cell(total_row, total_col).value
    for block in ("Category", "Pillar"):
        head, block_labels = table(ws, block)
        t = column(block_labels, "Total (USD)")
        rows = data_rows(ws, head, stop="")
        assert len(rows) >= 4
        # Categories partition the lines; pillar shares split each line: both add up.
        assert close(sum(wc.cell(r, t).value for r in rows), grand)


def test_user_text_is_still_text_after_libreoffice(recalculated: dict[str, Any]) -> None:
    _, calc, formulas = recalculated["example"]
    ws = formulas["Allocation plan"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == EVIL_DONOR]
    assert cells and all(c.data_type == "s" for c in cells)
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert "HYPERLINK" not in str(c.value) and "cmd|" not in str(c.value)
    # The defined names survive and point at the recalculated totals.
    assert set(calc.defined_names) >= {"TotalRequirement", "TotalFunded", "TotalGap", "Coverage"}


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------
class Printed:
    """The sample workbook as written, and as LibreOffice printed it."""

    def __init__(self, path: Path, pdf: Path) -> None:
        self.path = path
        self.wb = openpyxl.load_workbook(path)
        self.reader = pypdf.PdfReader(pdf)
        self.visible = [ws.title for ws in self.wb.worksheets if ws.sheet_state == "visible"]
        self.pages: list[tuple[str, Any]] = []  # (sheet, page) in print order
        for page in self.reader.pages:
            text = page.extract_text()
            names = [n for n in self.wb.sheetnames if footer(n).search(text)]
            assert len(names) == 1, f"page without one sheet footer: {names} {text[-200:]!r}"
            self.pages.append((names[0], page))

    def text(self, sheet: str) -> str:
        return "\n".join(p.extract_text() for s, p in self.pages if s == sheet)

    def planned(self) -> dict[str, int]:
        ws = self.wb["Checks"]
        header, _ = table(ws, "Sheet")
        return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in data_rows(ws, header, stop="")}


def footer(sheet: str) -> re.Pattern[str]:
    return re.compile(r"^\s*" + re.escape(sheet) + r"\s+Page \d+ of \d+", re.MULTILINE)


@pytest.fixture(scope="module")
def printed(sample_run: PlanRun, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    folder = tmp_path_factory.mktemp("print")
    path = write_appeal_workbook(folder / "sample.xlsx", sample_run)
    (pdf,) = convert([path], "pdf", folder / "out")
    return Printed(path, pdf)


def test_each_sheet_prints_on_the_pages_it_planned(printed: Printed) -> None:
    counted = Counter(sheet for sheet, _ in printed.pages)
    planned = printed.planned()
    assert set(counted) == set(printed.visible) == set(planned)
    assert not set(counted) & set(HIDDEN_SHEETS)  # hidden sheets do not print
    for sheet, pages in planned.items():
        # The workbook's page plan errs on the safe side (a table moved to a fresh page a
        # little early), never by more than a tenth.
        assert pages * 0.9 - 1 <= counted[sheet] <= pages, (sheet, counted[sheet], pages)
    assert counted["Summary"] == 1
    for sheet, page in printed.pages:
        box = page.mediabox
        assert float(box.width) > float(box.height), f"{sheet} is not landscape"


def test_print_areas_cover_exactly_what_each_sheet_holds(printed: Printed) -> None:
    for ws in printed.wb.worksheets:
        if ws.title in HIDDEN_SHEETS:
            assert not ws.print_area, ws.title  # LibreOffice prints a hidden sheet with one
            continue
        # Every column the sheet lays out (the Summary's include those under its charts).
        laid_out = [
            openpyxl.utils.column_index_from_string(k)
            for k, d in ws.column_dimensions.items()
            if d.width
        ]
        last = openpyxl.utils.get_column_letter(max([ws.max_column, *laid_out]))
        assert ws.print_area == f"'{ws.title}'!$A$1:${last}${ws.max_row}", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows, ws.title
    assert printed.wb["Summary"].page_setup.fitToHeight == 1
    # A table that would start at the foot of a page starts on the next one.
    assert any(ws.row_breaks.brk for ws in printed.wb.worksheets)


CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # snake_case: lower_tier, member_state ...


def test_no_page_shows_a_code(printed: Printed) -> None:
    codes = set(REASONS) | set(UNALLOCATED_REASONS) | {"softly_earmarked", "member_state"}
    for sheet in printed.visible:
        if sheet == "Pledges":
            continue  # the input contract's own values, so the sheet can be imported again
        text = printed.text(sheet)
        assert not CODE.findall(text), (sheet, CODE.findall(text)[:5])
        assert not [c for c in codes if c in text], sheet
        assert "solver." not in text, sheet  # solver internals are on the Technical sheet
    for ws in printed.wb.worksheets:
        if ws.title in ("Pledges", *HIDDEN_SHEETS):
            continue
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and not c.value.startswith("="):
                    assert not CODE.findall(c.value), (ws.title, c.coordinate, c.value)


def test_programme_names_print_whole(printed: Printed, sample_run: PlanRun) -> None:
    text = " ".join(printed.text("Requirements").split())
    for name in sample_run.plan.programmes["name"]:
        assert " ".join(str(name).split()) in text, name
    # The Summary's top asks, too.
    summary = " ".join(printed.text("Summary").split())
    assert "Executive direction and strategic leadership" in summary


def arial() -> Any:
    """The font LibreOffice prints Arial with (fontconfig's match), at 10 pt and 96 dpi."""
    path = subprocess.run(
        ["fc-match", "-f", "%{file}", "Arial"], capture_output=True, text=True, check=True
    ).stdout
    return ImageFont.truetype(path, size=round(10 * 96 / 72))


def lines_needed(font: Any, text: str, width_chars: float) -> int:
    """Greedy word wrap of ``text`` (line breaks kept) in a column ``width_chars`` wide (the
    spreadsheet convention: 7-pixel digits plus 5 pixels, minus 2 pixels of padding a side)."""
    room = math.trunc(width_chars * 7 + 5) - 4
    total = 0
    for paragraph in text.split("\n"):
        lines, line = 1, ""
        for word in paragraph.split():
            trial = f"{line} {word}" if line else word
            if font.getlength(trial) <= room:
                line = trial
            else:
                lines, line = lines + 1, word
        total += lines
    return total


WRAPPED = {
    "Explanations": ("Programme", "Why", "Explanation"),
    "Programmes": (
        "Programme",
        "Summary",
        "Case for support",
        "Expected results",
        "Indicators (baseline -> target)",
    ),
}


@pytest.mark.parametrize("sheet", sorted(WRAPPED))
def test_no_wrapped_text_outgrows_its_row(
    printed: Printed, sample_run: PlanRun, sheet: str
) -> None:
    ws = printed.wb[sheet]
    font = arial()
    header, labels = table(ws, "Line ID")
    wrapped = [i for i, name in enumerate(labels, start=1) if name in WRAPPED[sheet]]
    assert len(wrapped) == len(WRAPPED[sheet])
    line_height = 10 * 1.15  # points per line of 10 pt text
    checked = 0
    for r in data_rows(ws, header, stop=""):
        height = ws.row_dimensions[r].height or 12.75
        for i in wrapped:
            text = ws.cell(r, i).value
            if not text:
                continue
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
            needed = lines_needed(font, str(text), width) * line_height
            assert needed <= height, (r, text, needed, height)
            checked += 1
    assert checked >= len(sample_run.plan.programmes) * 2


def test_every_explanation_prints_whole(printed: Printed, sample_run: PlanRun) -> None:
    page_text = " ".join(printed.text("Explanations").split())
    for text in sample_run.result.explanations["text"]:
        assert " ".join(str(text).split()) in page_text, text


def test_no_confidential_donor_prints(printed: Printed, sample_run: PlanRun) -> None:
    pledges = sample_run.plan.pledges
    secret = set(pledges.loc[pledges["confidential"], "donor"])
    assert secret
    text = "\n".join(p.extract_text() for _, p in printed.pages)
    assert not [name for name in secret if name in text]
    assert "Anonymous donor 1" in text
