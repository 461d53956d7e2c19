"""Hostile cases of issue 12's new rules, through ``appeal import`` into a register: each is
refused with a message naming file, sheet (where the file has sheets), row and column; strict,
nothing is stored; with ``--skip-invalid``, exactly the valid rows are.

Each case is a pledge file holding two good pledges (G-1, G-2) and the bad row(s); the
register must then hold nothing, or exactly G-1 and G-2 (plus what the case says is valid).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from appeal.cli import main
from appeal.register import Register

HEADER = [
    "pledge_id",
    "donor",
    "amount",
    "currency",
    "year",
    "earmarking",
    "earmark_to",
    "status",
]
GOOD = [
    ["G-1", "Norway", 10_000, "USD", 2027, "unearmarked", "", "paid"],
    ["G-2", "Japan", 5_000, "EUR", "2027-2028", "earmarked", "FLAG-01;ENT-01", "pledged"],
]


def _row(**changes: Any) -> list[Any]:
    base = dict(
        zip(HEADER, ["B-1", "Sweden", 1_000, "USD", 2027, "unearmarked", "", "paid"], strict=True)
    )
    base.update(changes)
    return [base[c] for c in HEADER] + [changes[c] for c in changes if c not in HEADER]


# name -> (extra header columns, bad rows, (row, column) expected, message part)
CASES: dict[str, tuple[list[str], list[list[Any]], tuple[int, str], str]] = {
    "several donors in one cell": ([], [_row(donor="Sweden; Finland")], (4, "donor"), "several"),
    "year range backwards": ([], [_row(year="2029-2027")], (4, "year"), "2029"),
    "year with a fraction": ([], [_row(year="2027.5")], (4, "year"), "2027.5"),
    "list earmark naming no line": (
        [],
        [_row(earmarking="earmarked", earmark_to="FLAG-01;FLAG-77")],
        (4, "earmark_to"),
        "FLAG-77",
    ),
    "refund without earlier money": ([], [_row(amount=-500)], (4, "amount"), "Sweden"),
    "refund larger than the donor's money": (
        [],
        [_row(donor="Norway", amount=-20_000, year=2028)],
        (4, "amount"),
        "Norway",
    ),
    "usd with another rate": (
        ["exchange_rate"],
        [_row(exchange_rate=1.2)],
        (4, "exchange_rate"),
        "must be 1",
    ),
    "negative own rate": (
        ["exchange_rate"],
        [_row(currency="EUR", exchange_rate=-0.9)],
        (4, "exchange_rate"),
        "exchange_rate",
    ),
    "unknown flow type": (["flow_type"], [_row(flow_type="loan")], (4, "flow_type"), "loan"),
    "in kind not yes or no": (["in_kind"], [_row(in_kind="maybe")], (4, "in_kind"), "maybe"),
    "impossible pledge date": (
        ["pledge_date"],
        [_row(pledge_date="2027-02-31")],
        (4, "pledge_date"),
        "2027-02-31",
    ),
    "a row with a field too many": ([], [[*_row(), "spill"]], (4, ""), "fields"),
}


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    width = len(HEADER) + len(header)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*HEADER, *header])
        for row in [*GOOD, *rows]:
            w.writerow(row if len(row) != len(HEADER) else [*row, *[""] * (width - len(row))])
    return path


@pytest.fixture
def reference(tmp_path: Path) -> list[str]:
    programmes = tmp_path / "programmes.csv"
    with programmes.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line_id", "name", "category", "entity", "pillar", "req_2027", "req_2028"])
        w.writerow(["FLAG-01", "Border security", "flagship", "UNOCT", "I", 5e6, 5e6])
        w.writerow(["ENT-01", "Legal aid", "entity", "UNODC", "II", 1e6, 1e6])
    fx = tmp_path / "fx.csv"
    fx.write_text("currency,units_per_usd\nUSD,1\nEUR,0.8\n", encoding="utf-8")
    return ["--programmes", str(programmes), "--fx", str(fx)]


def _import(db: str, reference: list[str], path: Path, *extra: str) -> int:
    return main(["--db", db, "import", *reference, *extra, str(path)])


def _stored(db: str) -> list[str]:
    with Register(db) as register:
        return sorted(register.pledges()["pledge_id"])


@pytest.mark.parametrize("case", list(CASES))
def test_a_new_rule_refuses_naming_the_cell_and_stores_nothing_or_the_valid_rows(
    case: str,
    reference: list[str],
    tmp_path: Path,
    tmp_db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra, rows, (row, column), part = CASES[case]
    path = _write(tmp_path / "hostile.csv", extra, rows)
    assert _import(tmp_db_url, reference, path) == 2
    err = capsys.readouterr().err
    where = f"hostile.csv row {row}" + (f", column {column}" if column else "")
    line = next((x for x in err.splitlines() if where in x), "")
    assert line.startswith("error: ") and part in line, err
    assert _stored(tmp_db_url) == []
    assert _import(tmp_db_url, reference, path, "--skip-invalid") == 0
    assert _stored(tmp_db_url) == ["G-1", "G-2"]


def test_an_instalments_sheet_problem_names_its_sheet(
    reference: list[str], tmp_path: Path, tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    for row in [HEADER, *GOOD, _row(pledge_id="S-1", amount=3_000)]:
        ws.append(row)
    sheet = wb.create_sheet("Instalments")
    for row in [
        ["pledge_id", "due_date", "amount"],
        ["S-1", "2027-03-31", 1_000],
        ["S-1", "31/02/2028", 2_000],
    ]:
        sheet.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert _import(tmp_db_url, reference, path) == 2
    err = capsys.readouterr().err
    assert "book.xlsx [Instalments] row 3, column due_date" in err, err
    assert _stored(tmp_db_url) == []
    assert _import(tmp_db_url, reference, path, "--skip-invalid") == 0
    # The pledge's instalments no longer add up without the bad one: the pledge is refused too.
    assert _stored(tmp_db_url) == ["G-1", "G-2"]
