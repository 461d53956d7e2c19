"""Hostile input: bad files and bad rows each give a located, clear error.

Every case is run three ways: through the import API (the error names file, sheet, row and
column), through ``appeal import`` in strict mode (exit 2, the register stays empty) and with
``--skip-invalid`` (exactly the valid rows are stored; unreadable files are still refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from appeal.cli import main
from appeal.importer import ImportFailed, load_plan
from appeal.register import Register

HEADER = ["donor", "amount", "currency", "year", "years", "earmarking", "earmark_to", "status"]
V1 = ["Norway", 1000, "USD", 2027, 1, "unearmarked", "", "paid"]
V2 = ["Japan", "JPY 1.5m", "JPY", 2028, 2, "earmarked", "L2", "committed"]


def bad(**changes: Any) -> list[Any]:
    row = dict(zip(HEADER, V1, strict=True))
    row.update(changes)
    return [row.get(h) for h in HEADER] + [row[k] for k in changes if k not in HEADER]


@dataclass
class Case:
    name: str
    row: list[Any] | None = None  # a bad row placed after two valid rows (spreadsheet row 4)
    raw: bytes | None = None  # or the whole file's bytes
    rows: list[list[Any]] | None = None  # or the whole sheet
    header: list[str] = field(default_factory=lambda: list(HEADER))
    fmt: str = "xlsx"
    sheet: str = "Pledges"
    where: tuple[int | None, str | None] = (4, None)  # expected (row, column)
    fragment: str = ""
    valid: int | None = 2  # rows stored with --skip-invalid; None = file refused whole

    def write(self, folder: Path) -> Path:
        path = folder / f"hostile.{self.fmt}"
        if self.raw is not None:
            path.write_bytes(self.raw)
            return path
        rows: list[list[Any]] = (
            self.rows if self.rows is not None else [self.header, V1, V2, self.row or []]
        )
        if self.fmt == "csv":
            import csv

            with path.open("w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(rows)
            return path
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = self.sheet
        for r in rows:
            ws.append(list(r) if r is not None else [])
        wb.save(path)
        return path


def _xlsx_bytes(rows: list[list[Any]], title: str) -> bytes:
    import io

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CASES = [
    # -- wrong types and blanks ---------------------------------------------------------------
    Case("amount_text_garbage", bad(amount="lots"), where=(4, "amount"), fragment="not a number"),
    Case(
        "amount_dotted_garbage", bad(amount="1.2.3"), where=(4, "amount"), fragment="not a number"
    ),
    Case("amount_boolean", bad(amount=True), where=(4, "amount"), fragment="must be a number"),
    Case(
        "amount_is_a_date",
        bad(amount=dt.datetime(2027, 1, 1)),
        where=(4, "amount"),
        fragment="got a date",
    ),
    Case("amount_blank", bad(amount=None), where=(4, "amount"), fragment="amount is required"),
    # A negative amount is a refund of the donor's earlier money (appeal.adjustments): one
    # from a donor with none in the import is refused.
    Case(
        "amount_negative",
        bad(donor="Nowhere", amount=-500),
        where=(4, "amount"),
        fragment="earlier money in this import is none",
    ),
    Case("amount_zero", bad(amount=0), where=(4, "amount"), fragment="greater than 0"),
    Case("amount_infinite_text", bad(amount="inf"), where=(4, "amount"), fragment="not a number"),
    Case("donor_blank", bad(donor=None), where=(4, "donor"), fragment="donor is required"),
    Case(
        "donor_whitespace_only",
        bad(donor="\u00a0 \u200b"),
        where=(4, "donor"),
        fragment="donor is required",
    ),
    Case("donor_too_long", bad(donor="A" * 300), where=(4, "donor"), fragment="limit is 200"),
    Case(
        "donor_control_chars",
        bad(donor="Nor\x07way"),
        fmt="csv",
        sheet="",
        where=(4, "donor"),
        fragment="control characters",
    ),
    # -- formulas ---------------------------------------------------------------------------
    Case(
        "formula_in_amount",
        bad(amount="=B2*2"),
        where=(4, "amount"),
        fragment="formula not allowed; paste values",
    ),
    Case(
        "formula_in_donor",
        bad(donor='=HYPERLINK("http://x","y")'),
        where=(4, "donor"),
        fragment="formula not allowed",
    ),
    Case(
        "formula_in_csv",
        bad(status="=cmd|' /C calc'!A0"),
        fmt="csv",
        sheet="",
        where=(4, "status"),
        fragment="formula not allowed",
    ),
    # -- years and dates --------------------------------------------------------------------
    Case(
        "year_text_not_a_date",
        bad(year="next spring"),
        where=(4, "year"),
        fragment="must be a year like 2027",
    ),
    Case(
        "year_impossible_date",
        bad(year="2027-02-30"),
        where=(4, "year"),
        fragment="not a valid date",
    ),
    Case("year_out_of_range", bad(year=1999), where=(4, "year"), fragment="outside 2000-2100"),
    Case("year_fractional", bad(year=2027.5), where=(4, "year"), fragment="whole year"),
    Case("years_zero", bad(years=0), where=(4, "years"), fragment="years must be 1-20"),
    Case("years_text", bad(years="three"), where=(4, "years"), fragment="not a number"),
    Case(
        "last_year_before_first",
        [*bad(year=2029), 2027],
        header=[*HEADER, "last_year"],
        where=(4, "last_year"),
        fragment="before the first year",
    ),
    # -- codes and categories ---------------------------------------------------------------
    Case(
        "currency_without_rate",
        bad(currency="XXX"),
        where=(4, "currency"),
        fragment="no exchange rate for XXX",
    ),
    Case(
        "currency_not_iso",
        bad(currency="Euro"),
        where=(4, "currency"),
        fragment="not a 3-letter ISO 4217 code",
    ),
    Case(
        "currency_mismatch_in_amount",
        bad(amount="EUR 5m"),
        where=(4, "amount"),
        fragment="written in EUR but the currency column says USD",
    ),
    Case(
        "earmarking_unknown",
        bad(earmarking="partially"),
        where=(4, "earmarking"),
        fragment="unknown earmarking 'partially'",
    ),
    Case(
        "status_unknown",
        bad(status="promised"),
        where=(4, "status"),
        fragment="unknown status 'promised'",
    ),
    Case(
        "earmark_unknown_line",
        bad(earmarking="earmarked", earmark_to="L99"),
        where=(4, "earmark_to"),
        fragment="'L99' is not a line_id",
    ),
    Case(
        "earmark_unknown_theme",
        bad(earmarking="softly earmarked", earmark_to="theme:space"),
        where=(4, "earmark_to"),
        fragment="no programme matches earmark target theme:space",
    ),
    Case(
        "unearmarked_with_target",
        bad(earmark_to="L1"),
        where=(4, "earmark_to"),
        fragment="leave it empty",
    ),
    Case(
        "psc_rate_too_high",
        [*bad(), 1.5],
        header=[*HEADER, "psc_rate"],
        where=(4, "psc_rate"),
        fragment="psc_rate must be a fraction",
    ),
    Case(
        "confidential_unclear",
        [*bad(), "perhaps"],
        header=[*HEADER, "confidential"],
        where=(4, "confidential"),
        fragment="yes or no",
    ),
    Case(
        "tranche_negative",
        [*bad(amount=None), 100, -50],
        header=[*HEADER, "amount_2027", "amount_2028"],
        where=(4, "amount_2028"),
        fragment="must not be negative",
    ),
    Case(
        "pledge_id_duplicate",
        None,
        rows=[["pledge_id", *HEADER], ["P1", *V1], ["P2", *V2], ["P1", *bad(donor="Other")]],
        where=(4, "pledge_id"),
        fragment="duplicate pledge_id 'P1'",
    ),
    Case(
        "pledge_id_too_long",
        None,
        rows=[["pledge_id", *HEADER], ["P1", *V1], ["P2", *V2], ["X" * 80, *V1]],
        where=(4, "pledge_id"),
        fragment="limit is 64",
    ),
    # -- structure --------------------------------------------------------------------------
    Case("repeated_header_row", list(HEADER), where=(4, None), fragment="repeated header row"),
    Case(
        "missing_amount_column",
        None,
        rows=[
            ["donor", "currency", "year", "earmarking", "status"],
            ["Norway", "USD", 2027, "unearmarked", "paid"],
        ],
        where=(2, "amount"),
        fragment="column amount is missing",
        valid=0,
    ),
    Case(
        "header_names_column_twice",
        None,
        rows=[["Donor", "Funder", "amount"], ["A", "B", 1]],
        where=(1, None),
        fragment="names the same column twice",
        valid=None,
    ),
    Case(
        "empty_xlsx",
        sheet="",
        raw=b"",
        where=(None, None),
        fragment="the file is empty",
        valid=None,
    ),
    Case(
        "empty_csv",
        raw=b"",
        fmt="csv",
        sheet="",
        where=(None, None),
        fragment="the file is empty",
        valid=None,
    ),
    Case(
        "text_renamed_xlsx",
        sheet="",
        raw=b"donor,amount\nNorway,1\n",
        where=(None, None),
        fragment="not an xlsx workbook",
        valid=None,
    ),
    Case(
        "corrupt_zip_xlsx",
        sheet="",
        raw=b"PK\x03\x04" + b"\x00" * 64,
        where=(None, None),
        fragment="not an xlsx workbook",
        valid=None,
    ),
    Case(
        "old_xls_renamed",
        sheet="",
        raw=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
        where=(None, None),
        fragment="old .xls workbook",
        valid=None,
    ),
    Case(
        "binary_csv",
        raw=b"\x00\x01\x02donor",
        fmt="csv",
        sheet="",
        where=(None, None),
        fragment="not a text csv",
        valid=None,
    ),
    Case(
        "missing_pledge_sheet",
        raw=_xlsx_bytes([["Read me first"], ["Fill in the sheet"]], "Instructions"),
        sheet="",
        where=(None, None),
        fragment="no sheet has a header row",
        valid=None,
    ),
]


def test_case_count() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture
def hostile_env(tmp_path: Path, small_programmes: Path, small_fx: Path) -> dict[str, Path]:
    return {"programmes": small_programmes, "fx": small_fx, "folder": tmp_path}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_error_is_located(case: Case, hostile_env: dict[str, Path]) -> None:
    path = case.write(hostile_env["folder"])
    with pytest.raises(ImportFailed) as info:
        load_plan(hostile_env["programmes"], [path], fx=hostile_env["fx"])
    report = info.value.report
    matching = [e for e in report.errors if case.fragment in e.message]
    assert matching, [str(e) for e in report.errors]
    err = matching[0]
    assert err.file == path.name
    assert err.sheet == case.sheet
    assert (err.row, err.column) == case.where
    assert report.rows_read == report.rows_imported + report.rows_rejected
    assert report.rows_imported == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_strict_import_stores_nothing(
    case: Case, hostile_env: dict[str, Path], tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = case.write(hostile_env["folder"])
    args = ["--db", tmp_db_url, "import", "--programmes", str(hostile_env["programmes"])]
    rc = main([*args, "--fx", str(hostile_env["fx"]), str(path)])
    assert rc == 2
    err = capsys.readouterr().err
    assert case.fragment in err
    assert path.name in err
    with Register(tmp_db_url) as register:
        assert register.is_empty()
        assert register.import_log().empty


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_skip_invalid_stores_exactly_the_valid_rows(
    case: Case, hostile_env: dict[str, Path], tmp_db_url: str
) -> None:
    path = case.write(hostile_env["folder"])
    args = ["--db", tmp_db_url, "import", "--skip-invalid", "--programmes"]
    rc = main([*args, str(hostile_env["programmes"]), "--fx", str(hostile_env["fx"]), str(path)])
    with Register(tmp_db_url) as register:
        stored = register.pledges()
        if case.valid is None:
            assert rc == 2
            assert register.is_empty()
            return
        assert rc == 0
        assert len(stored) == case.valid
        if case.valid:
            assert sorted(stored["source_row"]) == [2, 3]
            assert sorted(stored["donor"]) == ["Japan", "Norway"]
        log = register.import_log()
        assert int(log["rows_rejected"].sum()) >= 1


def test_stray_unicode_in_codes_is_cleaned(hostile_env: dict[str, Path], tmp_path: Path) -> None:
    case = Case(
        "unicode_ok",
        rows=[
            HEADER,
            ["Nor\u00a0way ", "1\u00a0000", "U\u200bSD", 2027, 1, "Un\u00adearmarked", "", "PAID"],
            ["Japan", 1, "usd", 2027, 1, "earmarked", "\ufeffL2\u200b", "paid"],
        ],
    )
    path = case.write(tmp_path)
    plan, report = load_plan(hostile_env["programmes"], [path], fx=hostile_env["fx"])
    assert report.ok
    assert plan.pledges["donor"].tolist() == ["Nor way", "Japan"]
    assert plan.pledges["currency"].tolist() == ["USD", "USD"]
    assert plan.pledges["earmark_to"].tolist() == ["", "L2"]
    assert plan.pledges["amount"].tolist() == [1000.0, 1.0]


def test_header_only_file_imports_nothing(hostile_env: dict[str, Path], tmp_path: Path) -> None:
    path = Case("header_only", rows=[HEADER]).write(tmp_path)
    plan, report = load_plan(hostile_env["programmes"], [path], fx=hostile_env["fx"])
    assert plan.pledges.empty
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (0, 0, 0)
