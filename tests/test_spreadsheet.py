"""Reading spreadsheets: header detection, aliases, HXL, row numbers, cell parsers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from appeal import spreadsheet as ss
from appeal.spreadsheet import CellError, SpreadsheetError
from models import contract


def test_title_rows_above_header_are_skipped_and_rows_keep_excel_numbers(
    make_xlsx: Callable[..., Path],
) -> None:
    path = make_xlsx(
        [
            ["Pledges received in 2027"],
            [],
            ["Donor", "Amount", "Currency"],
            ["Norway", 100, "NOK"],
            [],
            ["Japan", 200, "JPY"],
        ]
    )
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.header_row == 3
    assert table.sheet == "Pledges"
    numbers = [n for n, values in table.rows if any(v is not None for v in values)]
    assert numbers == [4, 6]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("DONOR", "donor"),
        ("Funder", "donor"),
        ("pledge amount", "amount"),
        ("Earmarked To", "earmark_to"),
        ("earmark_to", "earmark_to"),
        ("EarmarkTo", "earmark_to"),
        ("PSC rate", "psc_rate"),
        ("psc_rate", "psc_rate"),
        ("First Year", "year"),
        ("end year", "last_year"),
        ("Amount 2028", "amount_2028"),
        ("amount_2029", "amount_2029"),
    ],
)
def test_headers_match_case_space_underscore_insensitively_and_by_alias(
    header: str, column: str
) -> None:
    assert ss.match_header("pledges", header) == column


def test_programme_year_and_score_columns() -> None:
    assert ss.match_header("programmes", "Req 2027") == "req_2027"
    assert ss.match_header("programmes", "req_2030") == "req_2030"
    assert ss.match_header("programmes", "score_track_record") == "score_trackrecord"
    assert ss.match_header("programmes", "nonsense") is None


def test_hxl_row_under_header_is_skipped_and_fills_unknown_headers(
    make_xlsx: Callable[..., Path],
) -> None:
    path = make_xlsx(
        [
            ["Who gives", "How much", "Currency"],
            ["#org+funder", "#value+usd", "#currency"],
            ["Norway", 100, "USD"],
        ]
    )
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.columns == {"donor": 0, "amount": 1, "currency": 2}
    assert [n for n, _ in table.rows] == [3]


def test_hxl_only_header(make_csv: Callable[..., Path]) -> None:
    path = make_csv([["#org+funder", "#value", "#currency"], ["Norway", "100", "USD"]])
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.sheet == ""
    assert table.columns["amount"] == 1
    assert table.rows == [(2, ("Norway", "100", "USD"))]


def test_header_naming_a_column_twice_is_a_file_error(make_xlsx: Callable[..., Path]) -> None:
    path = make_xlsx([["donor", "amount", "Funder"], ["A", 1, "B"]])
    with pytest.raises(SpreadsheetError, match="names the same column twice") as info:
        ss.read_table(path, "pledges")
    assert info.value.sheet == "Pledges"
    assert info.value.row == 1


def test_sheet_named_like_the_table_is_preferred(make_xlsx: Callable[..., Path]) -> None:
    path = make_xlsx(
        [["donor", "amount"], ["Wrong", 1]],
        sheet="Old",
        extra={"Pledges": [["donor", "amount"], ["Right", 2]]},
    )
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.sheet == "Pledges"


def test_named_sheet_missing_is_an_error(make_xlsx: Callable[..., Path]) -> None:
    path = make_xlsx([["x"]], sheet="Notes")
    with pytest.raises(SpreadsheetError, match="no sheet 'requirements'"):
        ss.read_table(path, "requirements", sheet="requirements")
    assert ss.read_table(path, "requirements", sheet="requirements", required=False) is None


def test_csv_semicolon_and_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("donor;amount;currency\nCôte d'Ivoire;1000;EUR\n".encode("cp1252"))
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.rows[0][1][0] == "Côte d'Ivoire"


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "p.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(SpreadsheetError, match="unsupported file type"):
        ss.read_table(path, "pledges")


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1,250,000", 1_250_000.0, None),
        ("USD 2m", 2_000_000.0, "USD"),
        ("EUR 1.5 million", 1_500_000.0, "EUR"),
        ("2.5k", 2_500.0, None),
        ("$300,000", 300_000.0, "USD"),
        ("1\u00a0250\u00a0000", 1_250_000.0, None),
        ("3 bn JPY", 3e9, "JPY"),
        ("(1,000)", -1000.0, None),
        (1234.5, 1234.5, None),
        (7, 7.0, None),
    ],
)
def test_parse_amount_accepts(text: object, amount: float, currency: str | None) -> None:
    assert ss.parse_amount(text) == (amount, currency)


@pytest.mark.parametrize(
    "text",
    ["abc", "1.2.3", "12e5", "USD 2m EUR", "one million", "=A1*2", True, float("nan"), "1,25,000"],
)
def test_parse_amount_rejects(text: object) -> None:
    with pytest.raises(CellError):
        ss.parse_amount(text)


def test_formula_message() -> None:
    with pytest.raises(CellError, match="formula not allowed; paste values"):
        ss.parse_amount("=SUM(B2:B9)")


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (2027, 2027),
        (2027.0, 2027),
        ("2027", 2027),
        ("FY2028", 2028),
        ("2029-03-31", 2029),
        ("31/12/2030", 2030),
        (dt.datetime(2027, 5, 1), 2027),
        (dt.date(2028, 1, 1), 2028),
    ],
)
def test_parse_year_accepts(value: object, year: int) -> None:
    assert ss.parse_year(value) == year


@pytest.mark.parametrize(
    "value", ["next year", "2027/28", 2027.5, "1999", "2027-02-30", 3000, True]
)
def test_parse_year_rejects(value: object) -> None:
    with pytest.raises(CellError):
        ss.parse_year(value)


def test_clean_text_strips_invisible_and_nbsp() -> None:
    assert ss.clean_text("\u200bL1\u00a0 ") == "L1"
    assert ss.clean_text("Saudi\u00a0\u00a0Arabia") == "Saudi Arabia"
    assert ss.header_key(" Line_ID ") == ss.header_key("line id") == "lineid"


def test_parse_bool_and_percent() -> None:
    assert ss.parse_bool("Yes", what="c") is True
    assert ss.parse_bool("n", what="c") is False
    with pytest.raises(CellError, match="yes or no"):
        ss.parse_bool("maybe", what="c")
    assert ss.parse_number("13%", what="psc") == pytest.approx(0.13)
    with pytest.raises(CellError, match="plain number"):
        ss.parse_number("USD 5", what="psc")


def test_long_text_rejected() -> None:
    with pytest.raises(CellError, match="limit is 200"):
        ss.parse_text("x" * 201, what="donor")
    assert ss.parse_text("x" * 200, what="donor") == "x" * 200


def _openpyxl_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    out = {}
    for ws in wb.worksheets:
        ws.reset_dimensions()
        out[ws.title] = [tuple(v for v in row) for row in ws.iter_rows(values_only=True)]
    wb.close()
    return out


def _strip(row: tuple[object, ...]) -> tuple[object, ...]:
    """A row without trailing empty cells (the two readers pad differently)."""
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def test_fast_reader_matches_openpyxl(make_xlsx: Callable[..., Path]) -> None:
    from appeal.importer import SAMPLE_DIR
    from appeal.xlsx_reader import workbook_sheets

    tricky = make_xlsx(
        [
            ["title"],
            [],
            ["donor", "amount", "when", "flag", "formula", "unicode"],
            ["A", 1.5, dt.datetime(2027, 3, 1), True, "=B4*2", "Côte d’Ivoire\u200b"],
            [None, None, dt.date(2028, 1, 1), False, "=SUM(B1:B3)", " x "],
            [],
            [],
            ["B", 10**12, None, None, None, "end"],
        ],
        extra={"Second": [["a", "b"], [1, 2]]},
    )
    for path in (
        tricky,
        SAMPLE_DIR / "pledges.xlsx",
        SAMPLE_DIR / "programmes.xlsx",
        SAMPLE_DIR / "pledge_template.xlsx",
    ):
        sheets = workbook_sheets(path.read_bytes())
        reference = _openpyxl_rows(path)
        assert [s.title for s in sheets] == list(reference)
        for sheet in sheets:
            # The fast reader numbers its rows and leaves blank ones out.
            got = [(n, _strip(values)) for n, values in sheet.rows()]
            want = [
                (i, _strip(values))
                for i, values in enumerate(reference[sheet.title], 1)
                if any(v is not None for v in values)
            ]
            assert got == want, (path.name, sheet.title)


def test_hxl_only_header_reads_per_year_amounts_as_the_workbook_writes_them(
    make_csv: Callable[..., Path],
) -> None:
    # The appeal workbook's Pledges sheet tags per-year amounts "#value+y2027".
    path = make_csv(
        [
            ["#org+funder", "#value", "#currency", "#value+y2027", "#value+y2028", "#date+start"],
            ["Norway", "300", "NOK", "100", "200", "2027"],
        ]
    )
    table = ss.read_table(path, "pledges")
    assert table is not None
    assert table.columns == {
        "donor": 0,
        "amount": 1,
        "currency": 2,
        "amount_2027": 3,
        "amount_2028": 4,
        "year": 5,
    }


def test_an_import_profile_adds_its_layouts_headers() -> None:
    fts = contract.ImportProfile(
        "fts", "OCHA Financial Tracking Service", {"pledges": {"donor": ("Source org",)}}
    )
    plain = ss.alias_lookup(contract.PLEDGES)
    profiled = ss.alias_lookup(contract.PLEDGES, fts)
    assert ss.header_key("Source org") not in plain
    assert profiled[ss.header_key("Source org")] == "donor"
    assert {k: v for k, v in profiled.items() if k in plain} == plain
    with pytest.raises(ValueError, match="unknown import profile 'nope'"):
        ss.match_header("pledges", "Donor", profile="nope")
