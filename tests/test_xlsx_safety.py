"""Cell and sheet-name safety (appeal.workbook.xlsx_safety): user text never becomes a formula.

Cells are written with openpyxl's write-only mode (as the appeal workbook is), saved, and the
saved XML is inspected: the proof is an inline string and a quote-prefixed style, not an <f>.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from appeal.workbook.xlsx_safety import (
    FORMULA_TRIGGERS,
    MAX_SHEET_NAME,
    clean_text,
    needs_quote_prefix,
    safe_sheet_name,
    sheet_ref,
    text_cell,
)

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",  # openpyxl would store this as an error value
    "=cmd|' /C calc'!A0",
]


def write_cells(path: Path, values: list[str]) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("S")
    for value in values:
        ws.append([text_cell(ws, value)])
    wb.save(path)
    return path


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode()


def test_dangerous_text_is_saved_as_inline_strings_not_formulas(tmp_path: Path) -> None:
    path = write_cells(tmp_path / "s.xlsx", DANGEROUS)
    xml = sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml
    assert xml.count('t="inlineStr"') == len(DANGEROUS)
    ws = openpyxl.load_workbook(path)["S"]
    for i, value in enumerate(DANGEROUS, start=1):
        cell = ws.cell(i, 1)
        assert cell.data_type == "s"
        assert cell.value == clean_text(value)
        assert cell.hyperlink is None
        # quote prefix: Excel and LibreOffice keep the text as text when the cell is edited
        assert cell.quotePrefix == needs_quote_prefix(value), value


def test_quote_prefix_reaches_the_style_table(tmp_path: Path) -> None:
    path = write_cells(tmp_path / "q.xlsx", ["=1+1", "plain"])
    with zipfile.ZipFile(path) as zf:
        styles = zf.read("xl/styles.xml").decode()
    assert re.search(r'<xf [^>]*quotePrefix="1"', styles)
    ws = openpyxl.load_workbook(path)["S"]
    assert ws["A1"].quotePrefix and not ws["A2"].quotePrefix


def test_every_trigger_character_gets_a_quote_prefix() -> None:
    for ch in FORMULA_TRIGGERS:
        assert needs_quote_prefix(ch + "x")
    assert not needs_quote_prefix("Norway")
    assert not needs_quote_prefix("")


def test_control_characters_are_dropped_and_long_text_capped() -> None:
    assert clean_text("Nor\x00way\x07") == "Norway"
    assert clean_text("line\nbreak\ttab") == "line\nbreak\ttab"  # legal in xlsx
    assert len(clean_text("x" * 40_000)) == 32_767
    assert clean_text(12.5) == "12.5"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_round_trips_as_text(value: str) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("S")
    cell = text_cell(ws, value)
    assert cell.data_type == "s"
    assert cell.value == clean_text(value)
    assert bool(cell.quotePrefix) == needs_quote_prefix(clean_text(value))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Summary", "Summary"),
        ("Q1/Q2 [draft]: *final*?", "Q1_Q2 _draft__ _final__"),
        ("a" * 40, "a" * 31),
        ("'quoted'", "quoted"),
        ("", "Sheet"),
        ("back\\slash", "back_slash"),
    ],
)
def test_safe_sheet_name_examples(name: str, expected: str) -> None:
    assert safe_sheet_name(name) == expected


def test_safe_sheet_names_are_unique_case_insensitively() -> None:
    taken: list[str] = []
    for _ in range(4):
        taken.append(safe_sheet_name("Pledges" + "x" * 30, taken))
    assert len({t.casefold() for t in taken}) == 4
    assert all(len(t) <= MAX_SHEET_NAME for t in taken)
    assert taken[1].endswith(" (2)") and taken[3].endswith(" (4)")
    assert safe_sheet_name("summary", ["Summary"]) == "summary (2)"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50), st.lists(st.text(max_size=35), max_size=5))
def test_any_name_becomes_a_sheet_name_openpyxl_and_excel_accept(
    name: str, existing: list[str]
) -> None:
    safe = safe_sheet_name(name, existing)
    assert 1 <= len(safe) <= MAX_SHEET_NAME
    assert not set(safe) & set("[]:*?/\\")
    assert not safe.startswith("'") and not safe.endswith("'")
    assert safe.casefold() not in {e.casefold() for e in existing}
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # its default "Sheet" is not among ``existing``
    wb.create_sheet(safe)  # openpyxl validates titles
    assert safe in wb.sheetnames


def test_sheet_ref_quotes_for_formulas() -> None:
    assert sheet_ref("Funding status") == "'Funding status'"
    assert sheet_ref("Bob's plan") == "'Bob''s plan'"
