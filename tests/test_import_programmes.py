"""Programmes, requirements, donors and exchange-rate files: parsing and rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PLEDGE_HEADER, SMALL_PROGRAMMES

from appeal.importer import ImportFailed, load_plan, read_donors, read_fx, read_programmes

Maker = Callable[..., Path]
HEADER = ["line_id", "name", "category", "entity", "pillar", "themes", "priority", "req_2027"]


def test_programmes_normalised(make_xlsx: Maker) -> None:
    path = make_xlsx(
        [
            ["Appeal 2027 budget lines"],
            [*HEADER, "min viable share", "score_track_record", "score_ctc_cted_alignment"],
            [
                "\u200bL1\u00a0",
                "Lead",
                "Leadership",
                "UNOCT",
                "Pillar I; 3",
                "Human Rights",
                "critical",
                "USD 1.5m",
                "40%",
                4,
                5,
            ],
            [
                "L2",
                "Travel",
                "FLAGSHIP",
                "UNOCT",
                "ii",
                "border, gender",
                2,
                2_000_000,
                None,
                None,
                1,
            ],
        ],
        name="programmes.xlsx",
        sheet="Programmes",
    )
    programmes, requirements, report = read_programmes(path)
    assert report.ok, report.errors
    assert programmes["line_id"].tolist() == ["L1", "L2"]
    assert programmes["pillars"].tolist() == ["I;III", "II"]
    assert programmes["themes"].tolist() == ["human_rights", "border;gender"]
    assert programmes["priority"].tolist() == [1, 2]
    assert programmes["category"].tolist() == ["leadership", "flagship"]
    assert programmes["min_viable_share"].tolist() == [0.4, 0.0]
    assert programmes["score_track_record"].tolist() == [4.0, 0.0]
    assert programmes["score_ctc_cted_alignment"].tolist() == [5.0, 1.0]
    assert requirements["requirement_usd"].tolist() == [1_500_000.0, 2_000_000.0]


def test_requirements_sheet(make_xlsx: Maker) -> None:
    path = make_xlsx(
        [
            ["line_id", "name", "category", "entity", "pillars"],
            ["L1", "Lead", "leadership", "UNOCT", "I"],
        ],
        name="programmes.xlsx",
        sheet="programmes",
        extra={
            "requirements": [
                ["line_id", "year", "requirement_usd"],
                ["L1", 2027, 100],
                ["L1", "2028", "1,000"],
            ]
        },
    )
    _, requirements, report = read_programmes(path)
    assert report.ok
    assert requirements.to_dict("list") == {
        "line_id": ["L1", "L1"],
        "year": [2027, 2028],
        "requirement_usd": [100.0, 1000.0],
    }


def test_requirements_sheet_unknown_line(make_xlsx: Maker) -> None:
    path = make_xlsx(
        [
            ["line_id", "name", "category", "entity", "pillars"],
            ["L1", "Lead", "leadership", "UNOCT", "I"],
        ],
        name="programmes.xlsx",
        extra={"Requirements": [["line_id", "year", "requirement_usd"], ["L7", 2027, 100]]},
    )
    _, _, report = read_programmes(path)
    err = report.errors[0]
    assert (err.sheet, err.row, err.column) == ("Requirements", 2, "line_id")


def test_no_requirements_at_all(make_csv: Maker) -> None:
    path = make_csv(
        [["line_id", "name", "category", "entity", "pillars"], ["L1", "x", "entity", "UNODC", "I"]]
    )
    _, _, report = read_programmes(path)
    assert "no requirements" in report.errors[0].message


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (["L9", "x", "other", "UNODC", "I", "", 2, 1], "category", "unknown category 'other'"),
        (["L9", "x", "entity", "UNODC", "V", "", 2, 1], "pillar", "not one of I, II, III, IV"),
        (["L9", "x", "entity", "UNODC", "I", "", 7, 1], "priority", "priority must be 1-4"),
        (["L9", "x", "entity", "UNODC", "I", "", "urgent", 1], "priority", "critical/high"),
        (["L9", "x", "entity", "UNODC", "I", "", 2, -1], "req_2027", "must not be negative"),
        (["L9", "x", "entity", "UNODC", "I", "", 2, "EUR 5"], "req_2027", "must be in USD"),
        (["L9", "", "entity", "UNODC", "I", "", 2, 1], "name", "name is required"),
        (["L1", "dup", "entity", "UNODC", "I", "", 2, 1], "line_id", "duplicate line_id"),
        (["L9", "x", "entity", "UNODC", "I", "a/b", 2, 1], "themes", "must be a word"),
    ],
)
def test_programme_row_errors(
    make_csv: Maker, row: list[object], column: str, fragment: str
) -> None:
    path = make_csv([HEADER, ["L1", "ok", "entity", "UNODC", "I", "", 2, 1], row])
    _, _, report = read_programmes(path)
    matching = [e for e in report.errors if (e.file, e.row, e.column) == ("pledges.csv", 3, column)]
    assert matching, report.errors
    assert fragment in matching[0].message


def test_min_viable_share_range(make_csv: Maker) -> None:
    path = make_csv(
        [[*HEADER, "min_viable_share"], ["L1", "ok", "entity", "UNODC", "I", "", 2, 1, 1.5]]
    )
    _, _, report = read_programmes(path)
    assert report.errors[0].column == "min_viable_share"


def test_programme_errors_refuse_the_plan(make_csv: Maker, small_fx: Path) -> None:
    programmes = make_csv([HEADER, ["L1", "ok", "nope", "UNODC", "I", "", 2, 1]], name="prog.csv")
    pledges = make_csv([PLEDGE_HEADER, ["A", 1, "USD", 2027, 1, "unearmarked", "", "paid"]])
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, [pledges], fx=small_fx)
    report = info.value.report
    assert report.errors[0].file == "prog.csv"
    # Programme rows count when the programmes file has errors.
    assert report.rows_read == 2
    assert report.rows_read == report.rows_imported + report.rows_rejected


def test_donors_file(make_csv: Maker) -> None:
    path = make_csv(
        [
            ["Donor", "Donor Type", "Regional group", "IATI ID"],
            ["Norway", "Member State", "WEOG", "XM-DAC-8"],
            ["EU", "IGO", "", ""],
            ["Bad", "alien", "", ""],
            ["Norway", "member_state", "WEOG", ""],
        ],
        name="donors.csv",
    )
    frame, report = read_donors(path)
    # Both copies of a duplicated donor are refused (which one is right is the user's call).
    assert frame.to_dict("records") == [
        {"donor": "EU", "donor_type": "intergovernmental", "region": "n/a", "iati_org_id": ""},
    ]
    located = {(e.row, e.column) for e in report.errors}
    assert (4, "Donor Type") in located
    assert any(e.row in (2, 5) and "duplicate donor" in e.message for e in report.errors)


def test_fx_file(make_csv: Maker) -> None:
    path = make_csv(
        [
            ["currency", "rate", "as_of"],
            ["eur", "0.92", "2026-11-01"],
            ["GBP", 0, ""],
            ["Euro", 1, ""],
            ["USD", 1.1, ""],
        ],
        name="fx.csv",
    )
    frame, report = read_fx(path)
    assert frame.to_dict("records") == [
        {"currency": "EUR", "units_per_usd": 0.92, "as_of": "2026-11-01"}
    ]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert "greater than 0" in messages[(3, "rate")]
    assert "3-letter" in messages[(4, "currency")]
    assert "USD rate must be 1" in messages[(5, "rate")]


def test_small_programmes_fixture_loads() -> None:
    assert SMALL_PROGRAMMES[0][0] == "line_id"
