"""The appeal workbook really computes in a spreadsheet program (LibreOffice, headless).

openpyxl writes formulas without results. LibreOffice opens the workbook, recalculates every
formula and saves it again; reading that copy with ``data_only=True`` gives the spreadsheet's
own results, which must equal the "at export" figures the planner wrote beside them (to the
cent). LibreOffice is a Debian package installed in the dev image and in CI (``.ci/run``).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import openpyxl
import pytest

from appeal.pipeline import PlanRun
from appeal.workbook import write_appeal_workbook
from models.plan import make_plan
from models.scenario import Scenario
from tests.test_workbook import EVIL_DONOR, column, data_rows, example_run, greedy_result, table

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
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Any, Any]]:
    """{name: (as written, as recalculated by LibreOffice (values), the same with formulas)}."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) must be installed: apt-get install libreoffice-calc"
    folder = tmp_path_factory.mktemp("lo")
    written = {
        "example": write_appeal_workbook(folder / "example.xlsx", example_run()),
        "tricky": write_appeal_workbook(folder / "tricky.xlsx", tricky_run(), hxl=True),
    }
    out = folder / "out"
    profile = folder / "profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *[str(p) for p in written.values()],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    books = {}
    for name, path in written.items():
        converted = out / path.name
        assert converted.exists(), f"LibreOffice did not convert {path.name}: {proc.stderr}"
        books[name] = (
            openpyxl.load_workbook(path),
            openpyxl.load_workbook(converted, data_only=True),
            openpyxl.load_workbook(converted),
        )
    return books


NAMES = ["example", "tricky"]


def close(a: Any, b: Any, tol: float = CENT) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and abs(a - b) <= tol


@pytest.mark.parametrize("name", NAMES)
def test_funding_status_recalculates_to_the_values_at_export(
    recalculated: dict[str, Any], name: str
) -> None:
    written, calc, _ = recalculated[name]
    ws, wc = written["Funding status"], calc["Funding status"]
    header, labels = table(ws, "Line ID")
    rows = data_rows(ws, header)
    assert rows
    pairs = [
        ("Requirement (USD)", "Requirement at export"),
        ("Funded (USD)", "Funded at export"),
        ("Firm: committed + paid (USD)", "Firm at export"),
        ("Gap (USD)", "Gap at export"),
        ("Coverage", "Coverage at export"),
    ]
    for r in [*rows, rows[-1] + 1]:  # every line-year and the total row
        for formula, value in pairs:
            assert str(ws.cell(r, column(labels, formula)).value).startswith("=")
            got = wc.cell(r, column(labels, formula)).value
            want = wc.cell(r, column(labels, value)).value
            assert close(got, want), (name, r, formula, got, want)
        funded = wc.cell(r, column(labels, "Funded (USD)")).value
        firm = wc.cell(r, column(labels, "Firm: committed + paid (USD)")).value
        assert close(wc.cell(r, column(labels, "Pledged only (USD)")).value, funded - firm)
    assert any(wc.cell(r, column(labels, "Funded (USD)")).value > 0 for r in rows)


@pytest.mark.parametrize("name", NAMES)
def test_summary_and_priorities_recalculate(recalculated: dict[str, Any], name: str) -> None:
    written, calc, _ = recalculated[name]
    ws, wc = written["Summary"], calc["Summary"]
    header, labels = table(ws, "Year")
    year_rows = data_rows(ws, header)  # HXL rows skipped
    assert len(year_rows) >= 2
    for r in [*year_rows, year_rows[-1] + 1]:  # each year and the total
        for formula in ("Requirement (USD)", "Funded (USD)", "Firm (USD)", "Gap (USD)"):
            at_export = formula.replace(" (USD)", "") + " at export"
            got = wc.cell(r, column(labels, formula)).value
            want = wc.cell(r, column(labels, at_export)).value
            assert close(got, want), (name, r, formula, got, want)
    header, labels = table(ws, "Category")
    for r in data_rows(ws, header, stop=""):
        for formula in ("Requirement (USD)", "Funded (USD)", "Gap (USD)", "Coverage"):
            at_export = formula.replace(" (USD)", "") + " at export"
            got = wc.cell(r, column(labels, formula)).value
            want = wc.cell(r, column(labels, at_export)).value
            assert close(got, want), (name, r, formula, got, want)
    pw, pc = written["Priorities and asks"], calc["Priorities and asks"]
    header, labels = table(pw, "Tier")
    for r in data_rows(pw, header, stop=""):
        for formula in ("Requirement (USD)", "Funded (USD)", "Gap (USD)"):
            at_export = formula.replace(" (USD)", "") + " at export"
            got = pc.cell(r, column(labels, formula)).value
            assert close(got, pc.cell(r, column(labels, at_export)).value), (name, r, formula)


@pytest.mark.parametrize("name", NAMES)
def test_requirement_subtotals_recalculate(recalculated: dict[str, Any], name: str) -> None:
    written, calc, _ = recalculated[name]
    ws, wc = written["Requirements"], calc["Requirements"]
    header, labels = table(ws, "Line ID")
    total_col = column(labels, "Total (USD)")
    total_row = next(r for r in range(header, ws.max_row + 1) if ws.cell(r, 1).value == "Total")
    assert close(wc.cell(total_row, total_col).value, wc.cell(total_row, total_col + 1).value)
    grand = wc.cell(total_row, total_col).value
    for block in ("Category", "Pillar"):
        head, block_labels = table(ws, block)
        t = column(block_labels, "Total (USD)")
        x = column(block_labels, "Total at export (USD)")
        rows = data_rows(ws, head, stop="")
        assert len(rows) >= 4
        for r in rows:
            assert close(wc.cell(r, t).value, wc.cell(r, x).value), (name, block, r)
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
