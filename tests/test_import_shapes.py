"""Shapes real spreadsheets have (issue 12, items 5-7): totals and note rows set aside, several
donors in one cell, locale numbers, ``2020.0`` and year ranges, long-form requirements in csv,
instalments (a sheet or long form) and overdue ones, refunds against the donor's own money,
file-level problems once, "did you mean", the headers seen, duplicate warnings only where ids
are absent, the rejected rows as a workbook.

Every hostile case names file, sheet, row and column, stores nothing when strict and exactly
the valid rows with ``--skip-invalid``. Expected figures are written out from the rows the
tests write, never read back from the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from appeal.cli import main
from appeal.formats import ReadOptions
from appeal.importer import ImportFailed, ImportReport, RowError, load_plan
from appeal.register import Register

HEADER = ["donor", "amount", "currency", "year", "earmarking", "earmark_to", "status"]


def _csv(path: Path, rows: list[Any], sep: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=sep).writerows(rows)
    return path


@pytest.fixture
def programmes(tmp_path: Path) -> Path:
    return _csv(
        tmp_path / "programmes.csv",
        [
            ["line_id", "name", "category", "entity", "pillar", "req_2027", "req_2028"],
            ["FLAG-01", "Border security", "flagship", "UNOCT", "I", 5_000_000, 5_000_000],
            ["FLAG-09", "Victims support", "flagship", "UNOCT", "IV", 2_000_000, 2_000_000],
            ["ENT-01", "Legal aid", "entity", "UNODC", "II", 1_000_000, 1_000_000],
        ],
    )


@pytest.fixture
def fx(tmp_path: Path) -> Path:
    return _csv(
        tmp_path / "fx.csv",
        [["currency", "units_per_usd"], ["USD", 1], ["EUR", 0.8], ["NOK", 10]],
    )


def _errors(report: ImportReport) -> list[RowError]:
    return list(report.errors)


def _refused(
    programmes: Path, pledges: list[Path], fx: Path, **kw: Any
) -> tuple[ImportReport, Any]:
    """The strict import's report (it must refuse) and the --skip-invalid plan."""
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, pledges, fx=fx, **kw)
    plan, _ = load_plan(programmes, pledges, fx=fx, skip_invalid=True, **kw)
    return info.value.report, plan


# -- item 5: totals, notes, several donors ----------------------------------------------------
def test_totals_and_note_rows_are_set_aside_with_a_warning_never_a_donor(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["Japan", 2500, "USD", 2027, "earmarked", "FLAG-01", "pledged"],
        ["Total", 3500, "", "", "", "", ""],
        ["Source: the working group's pledge tracker, as at 1 November"],
    ]
    plan, report = load_plan(programmes, [_csv(tmp_path / "p.csv", rows)], fx=fx)
    assert sorted(plan.pledges["donor"]) == ["Japan", "Norway"]
    assert plan.pledges["amount"].sum() == 3500
    aside = {(e.row, e.message.split(" (")[0]) for e in report.set_aside}
    assert aside == {(4, "a totals row, not a pledge"), (5, "a note row, not a pledge")}
    assert report.rows_set_aside == 2 and report.ok


def test_several_donors_in_one_cell_are_flagged_naming_the_cell(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["Germany; Norway", 2000, "USD", 2027, "unearmarked", "", "paid"],
        ["Sweden / Finland", 3000, "USD", 2027, "unearmarked", "", "paid"],
    ]
    path = _csv(tmp_path / "several.csv", rows)
    report, plan = _refused(programmes, [path], fx)
    found = {(e.file, e.sheet, e.row, e.column) for e in _errors(report)}
    assert found == {("several.csv", "", 3, "donor"), ("several.csv", "", 4, "donor")}
    assert all("names several donors" in e.message for e in _errors(report))
    assert list(plan.pledges["donor"]) == ["Norway"]


# -- item 5: locale numbers, 2020.0, year ranges ---------------------------------------------
@pytest.mark.parametrize(
    ("sep", "amount", "stated"),
    [
        (";", "606.796,00", None),
        (";", "606 796,00", None),
        (",", "606.796,00", ","),  # a comma file cannot prove it alone: stated
    ],
)
def test_locale_numbers_are_read_in_the_files_convention(
    tmp_path: Path, programmes: Path, fx: Path, sep: str, amount: str, stated: str | None
) -> None:
    rows = [HEADER, ["Norway", amount, "EUR", 2027, "unearmarked", "", "paid"]]
    path = _csv(tmp_path / "eu.csv", rows, sep=sep)
    plan, _ = load_plan(programmes, [path], fx=fx, options=ReadOptions.of(decimal=stated))
    assert plan.pledges["amount"].tolist() == [606_796.0]
    assert plan.tranches["gross_usd"].sum() == pytest.approx(606_796.0 / 0.8)


def test_year_written_as_a_number_and_year_ranges(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 3000, "USD", "2027.0", "unearmarked", "", "paid"],
        ["Japan", 3000, "USD", "2027-2029", "unearmarked", "", "pledged"],
        ["Qatar", 2000, "USD", "2027–28", "unearmarked", "", "pledged"],
    ]
    plan, _ = load_plan(programmes, [_csv(tmp_path / "y.csv", rows)], fx=fx)
    years = {r.donor: (r.first_year, r.last_year) for r in plan.pledges.itertuples(index=False)}
    assert years == {"Norway": (2027, 2027), "Japan": (2027, 2029), "Qatar": (2027, 2028)}
    japan = plan.tranches.merge(plan.pledges[["pledge_id", "donor"]], on="pledge_id")
    japan = japan.loc[japan["donor"] == "Japan"].sort_values("year")
    assert japan["year"].tolist() == [2027, 2028, 2029]
    assert japan["gross_usd"].tolist() == pytest.approx([1000.0, 1000.0, 1000.0])


@pytest.mark.parametrize("year", ["2029-2027", "2027.5", "20270", "2027-2", "FY"])
def test_bad_years_are_refused_naming_the_cell(
    tmp_path: Path, programmes: Path, fx: Path, year: str
) -> None:
    rows = [
        HEADER,
        ["Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["Japan", 1000, "USD", year, "unearmarked", "", "paid"],
    ]
    report, plan = _refused(programmes, [_csv(tmp_path / "bad.csv", rows)], fx)
    assert {(e.file, e.row, e.column) for e in _errors(report)} == {("bad.csv", 3, "year")}
    assert list(plan.pledges["donor"]) == ["Norway"]


# -- item 5: long-form requirements in csv ---------------------------------------------------
def test_long_form_requirements_from_csv(tmp_path: Path, fx: Path) -> None:
    long = _csv(
        tmp_path / "long.csv",
        [
            ["line_id", "name", "category", "entity", "pillar", "year", "requirement_usd"],
            ["FLAG-01", "Border security", "flagship", "UNOCT", "I", 2027, 5_000_000],
            ["FLAG-01", "Border security", "flagship", "UNOCT", "I", 2028, 4_000_000],
            ["ENT-01", "Legal aid", "entity", "UNODC", "II", 2027, 1_000_000],
        ],
    )
    pledges = _csv(
        tmp_path / "p.csv", [HEADER, ["Norway", 1000, "USD", 2027, "earmarked", "ENT-01", "paid"]]
    )
    plan, _ = load_plan(long, [pledges], fx=fx)
    assert plan.programmes["line_id"].tolist() == ["FLAG-01", "ENT-01"]
    got = {(r.line_id, int(r.year)): r.requirement_usd for r in plan.requirements.itertuples()}
    assert got == {
        ("FLAG-01", 2027): 5_000_000,
        ("FLAG-01", 2028): 4_000_000,
        ("ENT-01", 2027): 1_000_000,
    }


def test_long_form_rows_of_one_line_that_disagree_are_refused(tmp_path: Path, fx: Path) -> None:
    long = _csv(
        tmp_path / "long.csv",
        [
            ["line_id", "name", "category", "entity", "pillar", "year", "requirement_usd"],
            ["FLAG-01", "Border security", "flagship", "UNOCT", "I", 2027, 5_000_000],
            ["FLAG-01", "Border security", "flagship", "UNODC", "I", 2028, 4_000_000],
        ],
    )
    pledges = _csv(
        tmp_path / "p.csv", [HEADER, ["Norway", 1, "USD", 2027, "unearmarked", "", "paid"]]
    )
    with pytest.raises(ImportFailed) as info:
        load_plan(long, [pledges], fx=fx)
    errors = info.value.report.errors
    assert errors and all(e.file == "long.csv" for e in errors)
    assert any(e.row == 3 and e.column == "entity" for e in errors), errors


# -- item 7: file-level problems once; did you mean; what was seen ---------------------------
def test_a_missing_exchange_rate_is_reported_once_for_the_file(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [HEADER] + [
        [f"Donor {i}", 1000, "CHF", 2027, "unearmarked", "", "paid"] for i in range(50)
    ]
    rows.append(["Norway", 1000, "USD", 2027, "unearmarked", "", "paid"])
    path = _csv(tmp_path / "chf.csv", rows)
    report, plan = _refused(programmes, [path], fx)
    _, skipped = load_plan(programmes, [path], fx=fx, skip_invalid=True)
    for got in (report, skipped):
        (rate,) = got.errors
        assert "no exchange rate for CHF" in rate.message
        assert (rate.file, rate.column) == ("chf.csv", "currency")
        assert got.missing_rates() == ["CHF"]
    assert skipped.rows_rejected == 50 and list(plan.pledges["donor"]) == ["Norway"]


def test_an_unknown_line_id_suggests_the_closest(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 1000, "USD", 2027, "earmarked", "FLAG-9", "paid"],
        ["Japan", 1000, "USD", 2027, "earmarked", "FLAG-01", "paid"],
    ]
    report, plan = _refused(programmes, [_csv(tmp_path / "ids.csv", rows)], fx)
    (error,) = report.errors
    assert (error.file, error.row, error.column) == ("ids.csv", 2, "earmark_to")
    assert "(did you mean FLAG-09" in error.message
    assert list(plan.pledges["donor"]) == ["Japan"]


def test_an_unknown_code_or_header_suggests_the_closest(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    header = [*HEADER[:5], "earmark_too", "status"]
    rows = [header, ["Norway", 1000, "USD", 2027, "unearmarked", "", "commited"]]
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, [_csv(tmp_path / "s.csv", rows)], fx=fx)
    (error,) = info.value.report.errors
    assert (error.file, error.row, error.column) == ("s.csv", 2, "status")
    assert error.message.endswith("(did you mean committed?)")
    # An unknown header of a header row that was found: a warning with the closest column.
    (warning,) = info.value.report.warnings
    assert (warning.row, warning.column) == (1, "earmark_too")
    assert warning.message.endswith("(did you mean earmark_to?)")


def test_no_header_row_lists_what_was_seen_and_the_closest_headers(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [["Doner", "Amout", "Curency"], ["Norway", 1000, "USD"]]
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, [_csv(tmp_path / "nohead.csv", rows)], fx=fx)
    (error,) = info.value.report.errors
    assert error.file == "nohead.csv"
    assert "row 1: 'Doner', 'Amout', 'Curency'" in error.message
    assert "did you mean donor?" in error.message and "did you mean amount?" in error.message


def test_duplicate_warnings_only_where_ids_are_absent(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    header = ["pledge_id", *HEADER]
    rows = [
        header,
        ["A-1", "Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["A-2", "Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["", "Japan", 500, "USD", 2027, "unearmarked", "", "paid"],
        ["", "Japan", 500, "USD", 2027, "unearmarked", "", "paid"],
    ]
    plan, report = load_plan(programmes, [_csv(tmp_path / "d.csv", rows)], fx=fx)
    assert len(plan.pledges) == 4  # nothing merged
    duplicates = [w for w in report.warnings if "possible duplicate" in w.message]
    assert [(w.row, w.file) for w in duplicates] == [(5, "d.csv")]


# -- item 3: refunds and reversals against the donor's own money ----------------------------
def test_a_refund_comes_off_the_same_donors_earlier_money(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 10_000, "USD", 2027, "unearmarked", "", "paid"],
        ["Japan", 10_000, "USD", 2027, "unearmarked", "", "paid"],
        ["Norway", -4_000, "USD", 2028, "unearmarked", "", "paid"],
    ]
    plan, report = load_plan(programmes, [_csv(tmp_path / "r.csv", rows)], fx=fx)
    by_donor = plan.pledges.groupby("donor")["amount"].sum().to_dict()
    assert by_donor == {"Norway": 6_000, "Japan": 10_000}
    usd = plan.tranches.merge(plan.pledges[["pledge_id", "donor"]], on="pledge_id")
    assert usd.groupby("donor")["gross_usd"].sum().to_dict() == pytest.approx(
        {"Norway": 6_000.0, "Japan": 10_000.0}
    )
    norway = plan.pledges.loc[plan.pledges["donor"] == "Norway"].iloc[0]
    assert norway["adjustment"] == 4_000
    assert any(n.row == 4 and "Norway" in n.message for n in [*report.warnings, *report.set_aside])


def test_a_refund_larger_than_the_donors_money_is_refused_not_netted(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        HEADER,
        ["Norway", 1_000, "USD", 2027, "unearmarked", "", "paid"],
        ["Japan", 10_000, "USD", 2027, "unearmarked", "", "paid"],
        ["Norway", -4_000, "USD", 2028, "unearmarked", "", "paid"],
    ]
    report, plan = _refused(programmes, [_csv(tmp_path / "big.csv", rows)], fx)
    (error,) = report.errors
    assert (error.file, error.row, error.column) == ("big.csv", 4, "amount")
    # Japan's money is never touched; the refund is not applied.
    assert plan.pledges.groupby("donor")["amount"].sum().to_dict() == {
        "Norway": 1_000,
        "Japan": 10_000,
    }


# -- item 6: instalments ---------------------------------------------------------------------
def _workbook(path: Path, sheets: dict[str, list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = title
        for row in rows:
            ws.append(row)
        first = False
    wb.save(path)
    return path


PLEDGE_SHEET = [
    ["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status", "pledge_date"],
    ["NO-1", "Norway", 9_000, "USD", 2027, "unearmarked", "pledged", "2026-10-01"],
    ["JP-1", "Japan", 1_000, "USD", 2027, "unearmarked", "paid", "2026-09-15"],
]


def test_an_instalments_sheet_gives_each_years_money(
    tmp_path: Path, programmes: Path, fx: Path, tmp_db_url: str
) -> None:
    book = _workbook(
        tmp_path / "book.xlsx",
        {
            "Pledges": PLEDGE_SHEET,
            "Instalments": [
                ["pledge_id", "due_date", "amount", "paid_date"],
                ["NO-1", "2027-03-31", 3_000, "2027-03-20"],
                ["NO-1", "2028-03-31", 3_000, ""],
                ["NO-1", "2029-03-31", 3_000, ""],
            ],
        },
    )
    plan, _ = load_plan(programmes, [book], fx=fx)
    norway = plan.tranches.loc[plan.tranches["pledge_id"] == "NO-1"].sort_values("year")
    assert norway["year"].tolist() == [2027, 2028, 2029]
    assert norway["gross_usd"].tolist() == pytest.approx([3_000.0, 3_000.0, 3_000.0])
    row = plan.pledges.set_index("pledge_id").loc["NO-1"]
    assert (row["first_year"], row["last_year"], row["pledge_date"]) == (2027, 2029, "2026-10-01")
    assert len(plan.instalments) == 3
    # The allocation takes each instalment's money from its due year on, never before.
    from appeal import service
    from models.scenario import Scenario

    result = service.solve(plan, Scenario(), {}).result
    used = result.allocations.loc[result.allocations["pledge_id"] == "NO-1"]
    assert not used.empty and set(used["source_year"]) <= {2027, 2028, 2029}
    assert (used["year"] >= used["source_year"]).all()
    per_source = used.groupby("source_year")["amount_usd"].sum()
    assert (per_source <= 3_000 / 1.13 + 0.01).all()
    # Stored and flagged overdue by date: due before today, not paid, pledge not paid.
    with Register(tmp_db_url) as register:
        register.import_plan(plan, ImportReport())
        late = register.overdue_instalments(dt.date(2028, 6, 1))
        assert late[["pledge_id", "due_date"]].values.tolist() == [["NO-1", "2028-03-31"]]
        assert register.overdue_instalments(dt.date(2027, 1, 1)).empty
        assert len(register.overdue_instalments(dt.date(2030, 1, 1))) == 2


def test_instalments_that_do_not_add_up_or_name_no_pledge_are_refused(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    book = _workbook(
        tmp_path / "book.xlsx",
        {
            "Pledges": PLEDGE_SHEET,
            "Instalments": [
                ["pledge_id", "due_date", "amount"],
                ["NO-1", "2027-03-31", 3_000],
                ["NO-1", "2028-03-31", 3_000],
                ["N0-1", "2029-03-31", 3_000],
            ],
        },
    )
    report, plan = _refused(programmes, [book], fx)
    where = {(e.file, e.sheet, e.row, e.column) for e in report.errors}
    assert where == {
        ("book.xlsx", "Instalments", 4, "pledge_id"),
        ("book.xlsx", "Pledges", 2, "amount"),
    }
    unknown = next(e for e in report.errors if e.sheet == "Instalments")
    assert "did you mean NO-1?" in unknown.message
    assert plan.pledges["pledge_id"].tolist() == ["JP-1"] and plan.instalments.empty


def test_long_form_instalments_one_row_each(tmp_path: Path, programmes: Path, fx: Path) -> None:
    # One row per instalment: its due date and amount, the pledge's columns repeated.
    rows = [
        ["pledge_id", *HEADER, "due_date", "paid_date"],
        ["NO-1", "Norway", 2_000, "USD", "", "unearmarked", "", "pledged", "2027-06-30", ""],
        ["NO-1", "Norway", 4_000, "USD", "", "unearmarked", "", "pledged", "2028-06-30", ""],
        ["JP-1", "Japan", 1_000, "USD", 2027, "unearmarked", "", "paid", "", ""],
    ]
    plan, report = load_plan(programmes, [_csv(tmp_path / "long.csv", rows)], fx=fx)
    assert report.rows_read == 3 and report.rows_imported == 3
    assert sorted(plan.pledges["pledge_id"]) == ["JP-1", "NO-1"]
    norway = plan.tranches.loc[plan.tranches["pledge_id"] == "NO-1"].sort_values("year")
    assert norway["gross_usd"].tolist() == pytest.approx([2_000.0, 4_000.0])
    assert sorted(plan.instalments["due_date"]) == ["2027-06-30", "2028-06-30"]
    norway = plan.pledges.set_index("pledge_id").loc["NO-1"]
    assert (norway["amount"], norway["first_year"], norway["last_year"]) == (6_000, 2027, 2028)


def test_a_long_form_instalment_row_that_changes_its_pledge_is_refused(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    rows = [
        ["pledge_id", *HEADER, "due_date"],
        ["NO-1", "Norway", 2_000, "USD", "", "unearmarked", "", "pledged", "2027-06-30"],
        ["NO-1", "Norway", 4_000, "EUR", "", "unearmarked", "", "pledged", "2028-06-30"],
        ["JP-1", "Japan", 1_000, "USD", 2027, "unearmarked", "", "paid", ""],
    ]
    report, plan = _refused(programmes, [_csv(tmp_path / "lf.csv", rows)], fx)
    assert {(e.file, e.row, e.column) for e in report.errors} == {("lf.csv", 3, "currency")}
    assert "differs from row 2" in report.errors[0].message
    # --skip-invalid: the changed instalment row is left out, the rest kept.
    assert plan.pledges.set_index("pledge_id")["amount"].to_dict() == {"NO-1": 2_000, "JP-1": 1_000}


# -- item 7: the rejected rows as a workbook ------------------------------------------------
def test_rejected_rows_are_written_as_a_workbook_with_a_reason_column(
    tmp_path: Path, programmes: Path, fx: Path, tmp_db_url: str
) -> None:
    rows = [
        HEADER,
        ["Norway", 1000, "USD", 2027, "unearmarked", "", "paid"],
        ['=HYPERLINK("http://x")', 1000, "USD", 2027, "unearmarked", "", "paid"],
        ["Japan", "lots", "USD", 2027, "unearmarked", "", "paid"],
    ]
    path = _csv(tmp_path / "bad.csv", rows)
    out = tmp_path / "rejected.xlsx"
    code = main(
        [
            "--db",
            tmp_db_url,
            "import",
            "--programmes",
            str(programmes),
            "--fx",
            str(fx),
            "--rejected-out",
            str(out),
            str(path),
        ]
    )
    assert code == 2
    with Register(tmp_db_url) as register:
        assert register.pledges().empty  # strict: nothing stored
    ws = openpyxl.load_workbook(out)["Rejected rows"]
    got = [[c.value for c in row] for row in ws.iter_rows()]
    assert got[0][:4] == ["file", "sheet", "row", "reason"]
    assert got[0][4:] == HEADER
    assert [r[2] for r in got[1:]] == [3, 4]
    assert "formula" in got[1][3] and "amount" in got[2][3]
    # The formula comes back as text, never as a formula.
    assert got[1][4] == '=HYPERLINK("http://x")'
    assert ws.cell(2, 5).data_type == "s"


def test_overdue_instalments_in_the_workbook_and_on_the_overview(
    tmp_path: Path, programmes: Path, fx: Path
) -> None:
    """Due before today and not paid: on the workbook's Pledges sheet (pledge currency) and on
    the Overview (USD, with how many donors); a paid instalment or a paid pledge is not."""
    from appeal import service
    from dashboards.logic.overview import overdue_text
    from models.scenario import Scenario

    today = dt.date.today()
    past, later = (today - dt.timedelta(days=40)).isoformat(), f"{today.year + 2}-06-30"
    book = _workbook(
        tmp_path / "book.xlsx",
        {
            "Pledges": [
                ["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status"],
                ["NO-1", "Norway", 9_000, "EUR", today.year, "unearmarked", "pledged"],
                ["SE-1", "Sweden", 2_000, "USD", today.year, "unearmarked", "committed"],
                ["JP-1", "Japan", 1_000, "USD", today.year, "unearmarked", "paid"],
            ],
            "Instalments": [
                ["pledge_id", "due_date", "amount", "paid_date"],
                ["NO-1", past, 4_000, ""],
                ["NO-1", later, 5_000, ""],
                ["SE-1", past, 1_000, past],  # paid on time
                ["SE-1", later, 1_000, ""],
                ["JP-1", past, 1_000, ""],  # the pledge is paid
            ],
        },
    )
    plan, _ = load_plan(programmes, [book], fx=fx)
    assert overdue_text(plan, today) == "1 instalment overdue (USD 5,000, 1 donor(s))"
    assert overdue_text(plan, dt.date(today.year + 3, 1, 1)).startswith("3 instalments overdue")
    assert overdue_text(plan, today - dt.timedelta(days=41)) == ""
    out = service.export_workbook(tmp_path / "appeal.xlsx", service.solve(plan, Scenario(), {}))
    ws = openpyxl.load_workbook(out)["Pledges"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if "Overdue" in r)
    body = {r[header.index("Pledge ID")]: r for r in rows[rows.index(header) + 1 :] if r[0]}
    assert {pid: body[pid][header.index("Overdue")] for pid in body} == {
        "NO-1": 4_000,
        "SE-1": 0,
        "JP-1": 0,
    }
