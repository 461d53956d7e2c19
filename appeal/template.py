"""The blank pledge template workbook donors and entities fill in.

A ``Pledges`` sheet with the input contract's headers (and the HXL hashtag row, so the file is
also HXL-ready), drop-downs for earmarking, status and confidential, number/year validation,
and an ``Instructions`` sheet explaining every column. ``appeal template --out FILE`` writes it;
``sample_data/pledge_template.xlsx`` is a copy. The importer reads a filled template as is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from models.plan import DEFAULT_PSC_RATE

# Fixed so the generated file is byte-for-byte reproducible.
_STAMP = dt.datetime(2026, 11, 1, 0, 0, 0)
ROWS = 500  # rows prepared with validation

# (header, HXL hashtag, width, explanation)
COLUMNS: list[tuple[str, str, int, str]] = [
    (
        "pledge_id",
        "#meta+id",
        14,
        "Optional. Your own reference. Left blank, a stable id is made from the row's content.",
    ),
    ("donor", "#org+funder", 30, "Required. Donor name (member state, organisation, foundation)."),
    (
        "amount",
        "#value",
        16,
        "Required. Total gross amount in the pledge currency. Numbers or text such as "
        "1,250,000 / 2m / 2.5k. If text names a currency it must match the currency column.",
    ),
    ("currency", "#currency", 10, "Required. ISO 4217 code: USD, EUR, GBP, JPY, SAR, QAR, NOK ..."),
    ("year", "#date+start", 8, "Required. First year the money is available, e.g. 2027."),
    (
        "years",
        "#meta+years",
        8,
        "Optional (default 1). The amount is spread evenly over this many years. "
        "For uneven tranches add columns amount_2027, amount_2028 ... instead.",
    ),
    (
        "earmarking",
        "#meta+earmarking",
        18,
        "Required. unearmarked | softly earmarked | earmarked | tightly earmarked "
        "(Grand Bargain categories).",
    ),
    (
        "earmark_to",
        "#meta+earmark",
        22,
        "Empty for unearmarked. Softly earmarked: pillar:II, theme:gender, category:flagship or "
        "entity:UNODC (several separated by ;). Earmarked / tightly earmarked: a line_id.",
    ),
    ("status", "#status", 12, "Required. pledged | committed | paid."),
    (
        "psc_rate",
        "#meta+psc",
        10,
        f"Optional (default {DEFAULT_PSC_RATE}). Programme support cost as a fraction (0.13) or "
        "percentage (13%).",
    ),
    (
        "confidential",
        "#meta+confidential",
        12,
        "Optional (default no). yes = the donor appears as 'Anonymous donor N' in shared outputs.",
    ),
]

EARMARKING_LIST = "unearmarked,softly earmarked,earmarked,tightly earmarked"
STATUS_LIST = "pledged,committed,paid"


def build_template() -> Workbook:
    """The template as an openpyxl workbook (not yet saved)."""
    wb = Workbook()
    wb.properties.creator = "appeal-planner"
    wb.properties.created = _STAMP
    wb.properties.modified = _STAMP
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, (header, hashtag, width, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = bold
        cell.fill = fill
        ws.cell(row=2, column=j, value=hashtag).font = Font(italic=True, color="808080")
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A3"
    last = ROWS + 2

    def col(name: str) -> str:
        index = [c[0] for c in COLUMNS].index(name)
        return ws.cell(row=1, column=index + 1).column_letter

    validations = [
        DataValidation(
            type="list",
            formula1=f'"{EARMARKING_LIST}"',
            allow_blank=True,
            errorTitle="Earmarking",
            error="Choose unearmarked, softly earmarked, earmarked or tightly earmarked.",
            showErrorMessage=True,
            sqref=f"{col('earmarking')}3:{col('earmarking')}{last}",
        ),
        DataValidation(
            type="list",
            formula1=f'"{STATUS_LIST}"',
            allow_blank=True,
            errorTitle="Status",
            error="Choose pledged, committed or paid.",
            showErrorMessage=True,
            sqref=f"{col('status')}3:{col('status')}{last}",
        ),
        DataValidation(
            type="list",
            formula1='"yes,no"',
            allow_blank=True,
            sqref=f"{col('confidential')}3:{col('confidential')}{last}",
        ),
        DataValidation(
            type="whole",
            operator="between",
            formula1="2000",
            formula2="2100",
            allow_blank=True,
            error="A year such as 2027.",
            showErrorMessage=True,
            sqref=f"{col('year')}3:{col('year')}{last}",
        ),
        DataValidation(
            type="whole",
            operator="between",
            formula1="1",
            formula2="20",
            allow_blank=True,
            error="Number of years, 1-20.",
            showErrorMessage=True,
            sqref=f"{col('years')}3:{col('years')}{last}",
        ),
    ]
    for dv in validations:
        ws.add_data_validation(dv)

    info = wb.create_sheet("Instructions")
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 100
    info.cell(row=1, column=1, value="How to fill in the pledge template").font = Font(
        bold=True, size=14
    )
    notes = [
        "One row per pledge on the Pledges sheet. Row 2 holds HXL hashtags; leave it in place.",
        "Type values, not formulas: cells starting with = are refused by the importer.",
        "Headers may be renamed within the documented aliases, but keep one header row.",
        "Import with: appeal import FILE.xlsx  (add --skip-invalid to keep the valid rows).",
        "Every rejected row is reported with its sheet, row number, column and the reason.",
    ]
    for i, note in enumerate(notes, start=2):
        info.cell(row=i, column=1, value="•")
        info.cell(row=i, column=2, value=note)
    start = len(notes) + 3
    info.cell(row=start, column=1, value="Column").font = bold
    info.cell(row=start, column=2, value="What to enter").font = bold
    for i, (header, _, _, text) in enumerate(COLUMNS, start=start + 1):
        info.cell(row=i, column=1, value=header)
        info.cell(row=i, column=2, value=text).alignment = Alignment(wrap_text=True)
    return wb


def write_template(path: str | Path) -> Path:
    """Write the blank pledge template to ``path`` (an .xlsx file) and return the path."""
    out = Path(path)
    if out.suffix.casefold() != ".xlsx":
        raise ValueError(f"the template must be an .xlsx file, got {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    build_template().save(out)
    return out
