"""Pledge import rules: spreading, explicit tranches, currencies, earmarks, ids, duplicates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import PLEDGE_HEADER

from appeal.importer import (
    ImportFailed,
    ImportReport,
    load_plan,
    read_pledges,
    read_programmes,
)
from models.schemas import validate_plan

Maker = Callable[..., Path]


def _load(
    small_programmes: Path, small_fx: Path, path: Path, **kw: Any
) -> tuple[Any, ImportReport]:
    return load_plan(small_programmes, [path], fx=small_fx, **kw)


def test_even_spread_and_usd_conversion(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv(
        [
            [*PLEDGE_HEADER, "psc_rate"],
            ["EU", "EUR 1.6m", "EUR", 2027, 2, "unearmarked", "", "paid", 0.0],
        ]
    )
    plan, report = _load(small_programmes, small_fx, path)
    assert report.rows_read == report.rows_imported == 1
    t = plan.tranches
    assert list(t["year"]) == [2027, 2028]
    assert list(t["amount"]) == [800_000.0, 800_000.0]
    assert list(t["gross_usd"]) == pytest.approx([1_000_000.0, 1_000_000.0])
    assert list(t["programmable_usd"]) == pytest.approx([1_000_000.0, 1_000_000.0])
    p = plan.pledges.iloc[0]
    assert (p["first_year"], p["last_year"], p["currency"]) == (2027, 2028, "EUR")
    assert validate_plan(plan) == []


def test_default_psc_is_13_percent(make_csv: Maker, small_programmes: Path, small_fx: Path) -> None:
    path = make_csv([PLEDGE_HEADER, ["US", 1130, "USD", 2027, 1, "unearmarked", "", "paid"]])
    plan, _ = _load(small_programmes, small_fx, path)
    assert plan.pledges["psc_rate"].iloc[0] == 0.13
    assert plan.tranches["programmable_usd"].sum() == pytest.approx(1000.0)


def test_explicit_amount_year_columns(
    make_xlsx: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_xlsx(
        [
            [
                "donor",
                "currency",
                "earmarking",
                "earmark_to",
                "status",
                "amount_2027",
                "amount_2029",
            ],
            ["Japan", "JPY", "earmarked", "L2", "committed", 150_000_000, "300,000,000"],
        ]
    )
    plan, _ = _load(small_programmes, small_fx, path)
    p = plan.pledges.iloc[0]
    assert (p["first_year"], p["last_year"], p["amount"]) == (2027, 2029, 450_000_000.0)
    assert dict(zip(plan.tranches["year"], plan.tranches["gross_usd"], strict=True)) == {
        2027: pytest.approx(1e6),
        2029: pytest.approx(2e6),
    }


def test_explicit_columns_must_match_amount(
    make_xlsx: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_xlsx(
        [
            ["donor", "amount", "currency", "earmarking", "status", "amount_2027", "amount_2028"],
            ["Japan", 100, "USD", "unearmarked", "paid", 30, 30],
        ]
    )
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    assert "does not equal the sum" in str(info.value.report.errors[0])


def test_last_year_accepted_and_checked(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    header = ["donor", "amount", "currency", "year", "last_year", "earmarking", "status"]
    path = make_csv([header, ["A", 300, "USD", 2027, 2029, "unearmarked", "paid"]])
    plan, _ = _load(small_programmes, small_fx, path)
    assert list(plan.tranches["amount"]) == [100.0, 100.0, 100.0]
    bad = make_csv([header, ["A", 300, "USD", 2028, 2027, "unearmarked", "paid"]], name="bad.csv")
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, bad)
    err = info.value.report.errors[0]
    assert (err.row, err.column) == (2, "last_year")
    assert "before the first year" in err.message


def test_currency_in_amount_text_must_agree(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", "USD 2m", "EUR", 2027, 1, "unearmarked", "", "paid"]])
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert err.column == "amount"
    assert "USD" in err.message and "EUR" in err.message


def test_currency_taken_from_amount_text_when_column_blank(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", "EUR 2m", "", 2027, 1, "unearmarked", "", "paid"]])
    plan, _ = _load(small_programmes, small_fx, path)
    assert plan.pledges["currency"].iloc[0] == "EUR"


def test_currency_without_rate_is_named_never_one(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", 100, "GBP", 2027, 1, "unearmarked", "", "paid"]])
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert err.column == "currency" and "GBP" in err.message


@pytest.mark.parametrize(
    ("earmarking", "target", "normalised"),
    [
        ("Softly Earmarked", "Pillar: ii", "pillar:II"),
        ("softly_earmarked", "theme:Human Rights", "theme:human_rights"),
        ("soft", "category:FLAGSHIP", "category:flagship"),
        ("softly earmarked", "entity:un women", "entity:un women"),
        ("EARMARKED", "l2", "L2"),
        ("tightly earmarked", "L3", "L3"),
        ("unearmarked", "", ""),
    ],
)
def test_earmark_targets_normalised(
    make_csv: Maker,
    small_programmes: Path,
    small_fx: Path,
    earmarking: str,
    target: str,
    normalised: str,
) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", 100, "usd", 2027, 1, earmarking, target, "Paid"]])
    plan, _ = _load(small_programmes, small_fx, path)
    p = plan.pledges.iloc[0]
    assert p["earmark_to"] == normalised
    assert p["status"] == "paid" and p["currency"] == "USD"


@pytest.mark.parametrize(
    ("earmarking", "target", "fragment"),
    [
        ("earmarked", "L9", "not a line_id"),
        ("softly earmarked", "pillar:V", "no programme matches"),
        ("softly earmarked", "theme:space", "no programme matches"),
        ("softly earmarked", "entity:WHO", "no programme matches"),
        ("softly earmarked", "region:Africa", "not one of"),
        ("unearmarked", "L1", "leave it empty"),
        ("earmarked", "", "needs an earmark_to"),
    ],
)
def test_unknown_earmark_targets_are_row_errors(
    make_csv: Maker,
    small_programmes: Path,
    small_fx: Path,
    earmarking: str,
    target: str,
    fragment: str,
) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", 100, "USD", 2027, 1, earmarking, target, "paid"]])
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert (err.file, err.sheet, err.row, err.column) == ("pledges.csv", "", 2, "earmark_to")
    assert fragment in err.message


def test_generated_ids_are_stable_and_duplicates_flagged(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    row = ["A", 100, "USD", 2027, 1, "unearmarked", "", "paid"]
    path = make_csv(
        [PLEDGE_HEADER, row, row, ["B", 100, "USD", 2027, 1, "unearmarked", "", "paid"]]
    )
    plan1, report = _load(small_programmes, small_fx, path)
    plan2, _ = _load(small_programmes, small_fx, path)
    assert list(plan1.pledges["pledge_id"]) == list(plan2.pledges["pledge_id"])
    ids = list(plan1.pledges["pledge_id"])
    assert len(set(ids)) == 3
    assert ids[1] == ids[0] + "-2"
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert warning.row == 3 and "duplicate of pledges.csv row 2" in warning.message
    # Both kept: flagged, never silently merged.
    assert report.rows_imported == 3


def test_status_change_keeps_generated_id(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    # The same file, edited: the pledge moved from pledged to paid.
    a = make_csv(
        [PLEDGE_HEADER, ["A", 100, "USD", 2027, 1, "unearmarked", "", "pledged"]], name="a.csv"
    )
    pa, _ = _load(small_programmes, small_fx, a)
    b = make_csv(
        [PLEDGE_HEADER, ["A", 100, "USD", 2027, 1, "unearmarked", "", "paid"]], name="a.csv"
    )
    pb, _ = _load(small_programmes, small_fx, b)
    assert pa.pledges["pledge_id"].iloc[0] == pb.pledges["pledge_id"].iloc[0]


def test_duplicate_explicit_pledge_ids(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    header = ["pledge_id", *PLEDGE_HEADER]
    path = make_csv(
        [
            header,
            ["X1", "A", 100, "USD", 2027, 1, "unearmarked", "", "paid"],
            ["X1", "B", 200, "USD", 2027, 1, "unearmarked", "", "paid"],
        ]
    )
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert (err.row, err.column) == (3, "pledge_id") and "also row 2" in err.message


def test_same_pledge_id_in_two_files(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    header = ["pledge_id", *PLEDGE_HEADER]
    a = make_csv(
        [header, ["X1", "A", 100, "USD", 2027, 1, "unearmarked", "", "paid"]], name="a.csv"
    )
    b = make_csv(
        [header, ["X1", "B", 200, "USD", 2027, 1, "unearmarked", "", "paid"]], name="b.csv"
    )
    with pytest.raises(ImportFailed):
        load_plan(small_programmes, [a, b], fx=small_fx)
    plan, report = load_plan(small_programmes, [a, b], fx=small_fx, skip_invalid=True)
    assert list(plan.pledges["donor"]) == ["A"]
    assert plan.tranches["gross_usd"].sum() == 100.0
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (2, 1, 1)


def test_skip_invalid_keeps_valid_rows(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv(
        [
            PLEDGE_HEADER,
            ["A", 100, "USD", 2027, 1, "unearmarked", "", "paid"],
            ["B", -5, "USD", 2027, 1, "unearmarked", "", "paid"],
            ["C", 300, "USD", 2027, 1, "unearmarked", "", "promised"],
            ["D", 400, "EUR", 2028, 1, "earmarked", "L3", "committed"],
        ]
    )
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    strict = info.value.report
    assert (strict.rows_read, strict.rows_imported, strict.rows_rejected) == (4, 0, 4)
    plan, report = _load(small_programmes, small_fx, path, skip_invalid=True)
    assert list(plan.pledges["donor"]) == ["A", "D"]
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (4, 2, 2)
    located = {(e.row, e.column) for e in report.errors}
    assert located == {(3, "amount"), (4, "status")}
    assert any("greater than 0" in e.message for e in report.errors)
    assert any("unknown status 'promised'" in e.message for e in report.errors)


def test_every_error_in_a_row_is_reported(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv([PLEDGE_HEADER, ["", "abc", "ZZZ", "soon", 1, "nope", "", "maybe"]])
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    columns = {e.column for e in info.value.report.errors}
    assert {"donor", "amount", "currency", "year", "earmarking", "status"} <= columns


def test_read_pledges_from_bytes(small_programmes: Path, small_fx: Path) -> None:
    programmes, _, _ = read_programmes(small_programmes)
    data = b"donor,amount,currency,year,earmarking,status\nNorway,1000,USD,2027,unearmarked,paid\n"
    pledges, tranches, report = read_pledges(
        data, filename="upload.csv", programmes=programmes, fx={"EUR": 0.8}
    )
    assert pledges["source_file"].tolist() == ["upload.csv"]
    assert pledges["source_row"].tolist() == [2]
    assert tranches["gross_usd"].sum() == 1000.0
    assert report.ok


def test_read_pledges_strict_raises(small_programmes: Path) -> None:
    programmes, _, _ = read_programmes(small_programmes)
    data = b"donor,amount,currency,year,earmarking,status\nNorway,-1,USD,2027,unearmarked,paid\n"
    with pytest.raises(ImportFailed):
        read_pledges(data, filename="u.csv", programmes=programmes, fx=None)
    pledges, _, report = read_pledges(
        data, filename="u.csv", programmes=programmes, fx=None, skip_invalid=True
    )
    assert pledges.empty and report.rows_rejected == 1


def test_report_to_dict_and_str(make_csv: Maker, small_programmes: Path, small_fx: Path) -> None:
    path = make_csv([PLEDGE_HEADER, ["A", 0, "USD", 2027, 1, "unearmarked", "", "paid"]])
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert str(err) == "pledges.csv row 2, column amount: amount must be greater than 0 (got 0.0)"
    data = info.value.report.to_dict()
    assert data["errors"][0]["row"] == 2
    assert set(data) >= {"rows_read", "rows_imported", "rows_rejected", "errors", "warnings"}


def test_xlsx_error_names_sheet_and_excel_row(
    make_xlsx: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_xlsx(
        [
            ["Pledge tracker"],
            PLEDGE_HEADER,
            ["A", 100, "USD", 2027, 1, "unearmarked", "", "paid"],
            ["B", 100, "USD", 2027, 1, "unearmarked", "", "unknown"],
        ],
        sheet="Q3 pledges",
    )
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    assert str(info.value.report.errors[0]).startswith(
        "pledges.xlsx [Q3 pledges] row 4, column status:"
    )


def test_sample_plan_tables_valid_and_every_pledge_accounted_for(sample_plan: Any) -> None:
    assert validate_plan(sample_plan) == []
    rates = dict(zip(sample_plan.fx["currency"], sample_plan.fx["units_per_usd"], strict=True))
    money = sample_plan.tranches.merge(
        sample_plan.pledges[["pledge_id", "amount", "currency", "psc_rate"]], on="pledge_id"
    )
    # Each pledge's tranches add up to its amount, in its currency ...
    by_pledge = money.groupby("pledge_id").agg(
        total=("amount_x", "sum"), amount=("amount_y", "first")
    )
    assert set(by_pledge.index) == set(sample_plan.pledges["pledge_id"])
    assert np.allclose(by_pledge["total"], by_pledge["amount"], rtol=1e-9)
    # ... converted at the file's rate and net of programme support cost.
    rate = money["currency"].map(lambda c: rates.get(c, 1.0))
    assert np.allclose(money["gross_usd"], money["amount_x"] / rate, rtol=1e-12)
    assert np.allclose(
        money["programmable_usd"], money["gross_usd"] / (1 + money["psc_rate"]), rtol=1e-12
    )


def test_merged_header_cell_leaves_column_unnamed_with_a_warning(
    tmp_path: Path, small_programmes: Path, small_fx: Path
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["donor", "amount", None, "year", "earmarking", "status", "currency"])
    ws.merge_cells("B1:C1")  # "amount" spans the amount and a note column
    ws.append(["A", 100, "note", 2027, "unearmarked", "paid", "USD"])
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    plan, report = _load(small_programmes, small_fx, path)
    assert len(plan.pledges) == 1
    warning = report.warnings[0]
    assert (warning.row, warning.column) == (1, "C")
    assert "merged header cell" in warning.message


def test_filled_template_imports(tmp_path: Path, small_programmes: Path, small_fx: Path) -> None:
    from openpyxl import load_workbook

    from appeal.template import write_template

    path = write_template(tmp_path / "filled.xlsx")
    wb = load_workbook(path)
    ws = wb["Pledges"]
    ws.append(
        [
            "",
            "Norway",
            "1,000,000",
            "EUR",
            2027,
            2,
            "softly earmarked",
            "theme:gender",
            "committed",
            "13%",
            "no",
        ]
    )
    ws.append(
        [
            "REF-2",
            "Foundation X",
            50_000,
            "USD",
            2028,
            None,
            "earmarked",
            "L1",
            "pledged",
            None,
            "yes",
        ]
    )
    wb.save(path)
    plan, report = _load(small_programmes, small_fx, path)
    assert report.ok and report.rows_imported == 2
    p = plan.pledges.set_index("donor")
    assert p.loc["Norway", "earmark_to"] == "theme:gender"
    assert p.loc["Norway", "psc_rate"] == pytest.approx(0.13)
    assert bool(p.loc["Foundation X", "confidential"]) is True
    assert p.loc["Foundation X", "pledge_id"] == "REF-2"
    assert sorted(plan.pledges["source_row"]) == [3, 4]


def test_tranche_currencies_must_agree(
    make_xlsx: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_xlsx(
        [
            ["donor", "earmarking", "status", "amount_2027", "amount_2028"],
            ["A", "unearmarked", "paid", "EUR 1m", "USD 1m"],
        ]
    )
    with pytest.raises(ImportFailed) as info:
        _load(small_programmes, small_fx, path)
    err = info.value.report.errors[0]
    assert (err.row, err.column) == (2, "amount_2028")
    assert "written in USD but other amounts in EUR" in err.message
