"""The csv reader cannot corrupt: RFC 4180 quoting always honoured, encoding, delimiter and
decimal convention detected from the whole sample (or stated), a row with another field count
than its header refused by name — never shifted."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal.cli import main
from appeal.csv_reader import CsvOptions, read_csv
from appeal.formats import ReadOptions
from appeal.importer import ImportFailed, load_plan
from appeal.register import Register
from appeal.spreadsheet import SpreadsheetError

# -- property: whatever the first 8 KB hold, a table written by the csv module reads back ---
# Fields with every character that matters to csv: delimiters, quotes, line breaks, unicode.
_TEXT = st.text(
    alphabet=st.sampled_from([*list(",;\t|\"'\n\r x1.-éü€中"), "\xa0", "é"]),
    max_size=12,
)


def _table(width: int) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(_TEXT, min_size=width, max_size=width), min_size=1, max_size=25)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[str]], str]:
    """A table of 2-5 columns and the delimiter it is written with; its first 8 KB (or more)
    are plain rows, so nothing there shows how the rest is quoted."""
    width = draw(st.integers(min_value=2, max_value=5))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = [f"col{i}" for i in range(width)]
    plain = [[f"v{r}x{c}" for c in range(width)] for r in range(draw(st.integers(0, 1500)))]
    tail = draw(_table(width))
    return [header, *plain, *tail], delimiter


def _values(rows: Any) -> list[tuple[Any, ...]]:
    """The fields of a reader's (row number, fields) rows."""
    return [values for _, values in rows]


def _write(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_a_table_written_by_the_csv_module_reads_back_identical(
    table: tuple[list[list[str]], str], encoding: str
) -> None:
    rows, delimiter = table
    data = _write(rows, delimiter, encoding)
    got = read_csv(data, "t.csv")
    assert got.delimiter == delimiter
    read = list(got.rows)
    assert [list(r) for r in _values(read)] == rows
    # Each row keeps the number a spreadsheet program shows it under.
    assert [number for number, _ in read] == list(range(1, len(rows) + 1))


@settings(max_examples=30, deadline=None)
@given(table=tables())
def test_the_same_with_the_delimiter_and_encoding_stated(
    table: tuple[list[list[str]], str],
) -> None:
    rows, delimiter = table
    data = _write(rows, delimiter, "utf-16-le")  # no byte-order mark
    got = read_csv(data, "t.csv", CsvOptions(delimiter=delimiter, encoding="utf-16-le"))
    assert [list(r) for r in _values(got.rows)] == rows


# -- the bug of issue 12: doubled quotes only after the first 8 KB ------------------------------
def test_doubled_quotes_after_the_sniffers_8_kb_are_read_right(tmp_path: Path) -> None:
    header = ["donor", "amount", "currency", "year", "earmarking", "status", "note"]
    plain = [[f"Donor {i}", "1000", "USD", "2027", "unearmarked", "paid", "ok"] for i in range(300)]
    tricky = ["Norway", "2500", "USD", "2027", "unearmarked", "paid", 'the "flagship", phase 2']
    data = _write([header, *plain, tricky], ",", "utf-8")
    assert b'""' not in data[:8192] and b'""' in data[8192:]
    rows = _values(read_csv(data, "fts.csv").rows)
    assert rows[-1] == tuple(tricky)
    assert {len(r) for r in rows} == {len(header)}


# -- encodings -----------------------------------------------------------------------------------
TEXT = "donor,amount\nCôte d’Ivoire,5\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    got = read_csv(data, "e.csv")
    assert got.encoding == encoding
    assert _values(got.rows)[1] == ("Côte d’Ivoire", "5")


def test_undecodable_bytes_are_refused_not_guessed() -> None:
    with pytest.raises(SpreadsheetError, match="not UTF-8, UTF-16 or cp1252"):
        read_csv(b"donor,amount\nA\x81\x8d,5\n", "bad.csv")
    with pytest.raises(SpreadsheetError, match=r"not utf-8: byte 14 \(line 2\)"):
        read_csv(b"donor,amount\nC\xf4te,5\n", "bad.csv", CsvOptions(encoding="utf-8"))


def test_a_stated_delimiter_wins_and_sep_lines_are_obeyed() -> None:
    data = b"a;b,c\n1;2,3\n"
    assert _values(read_csv(data, "x.csv").rows)[1] == ("1;2", "3")
    assert _values(read_csv(data, "x.csv", CsvOptions(delimiter=";")).rows)[1] == ("1", "2,3")
    assert read_csv(b"sep=;\na,b;c\n1,2;3\n", "x.csv").delimiter == ";"
    assert CsvOptions(delimiter="tab").delimiter == "\t"
    with pytest.raises(ValueError, match="one character"):
        CsvOptions(delimiter=";;")


def test_a_malformed_quote_is_an_error_naming_the_line() -> None:
    data = b'donor,amount\nNorway,5\n"Japan"x,6\n'
    with pytest.raises(SpreadsheetError, match="malformed csv at line 3") as info:
        list(read_csv(data, "q.csv").rows)
    assert info.value.row == 3


# -- decimal convention --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("donor;amount\nA;606.796,00\nB;1.250\n", ","),
        ("donor;amount\nA;606 796,00\n", ","),
        ('donor,amount\nA,"1,250,000.50"\nB,0.824\n', "."),
        ('donor,amount\nA,1250\nB,"1,250"\n', "."),  # nothing proves either: point
    ],
)
def test_the_decimal_convention_is_detected_from_every_number(text: str, decimal: str) -> None:
    assert read_csv(text.encode(), "d.csv").decimal == decimal


def test_a_sample_with_both_conventions_is_refused_naming_both_cells() -> None:
    with pytest.raises(SpreadsheetError, match=r"'1,5' in record 2.*'2.5' in record 3"):
        read_csv(b"donor;amount\nA;1,5\nB;2.5\n", "m.csv")


def _pledge_csv(tmp: Path, rows: list[list[Any]], name: str = "p.csv", sep: str = ",") -> Path:
    path = tmp / name
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=sep).writerows(rows)
    return path


HEADER = ["donor", "amount", "currency", "year", "earmarking", "earmark_to", "status"]


def test_locale_numbers_are_read_in_the_files_convention(
    tmp_path: Path, small_programmes: Path, small_fx: Path
) -> None:
    path = _pledge_csv(
        tmp_path,
        [
            HEADER,
            ["A", "606.796,00", "USD", "2027", "unearmarked", "", "paid"],
            ["B", "606 796,50", "USD", "2027", "unearmarked", "", "paid"],
            ["C", "1.250", "USD", "2027", "unearmarked", "", "paid"],
        ],
        sep=";",
    )
    plan, _ = load_plan(small_programmes, [path], fx=small_fx)
    assert plan.pledges["amount"].tolist() == [606796.0, 606796.5, 1250.0]


def test_a_stated_convention_reads_an_xlsx_and_a_contrary_cell_is_refused(
    make_xlsx: Callable[..., Path], small_programmes: Path, small_fx: Path
) -> None:
    path = make_xlsx([HEADER, ["A", "606.796,00", "USD", 2027, "unearmarked", "", "paid"]])
    with pytest.raises(ImportFailed) as info:
        load_plan(small_programmes, [path], fx=small_fx)
    [error] = info.value.report.errors
    assert (error.row, error.column) == (2, "amount") and "--decimal ," in error.message
    plan, _ = load_plan(small_programmes, [path], fx=small_fx, options=ReadOptions.of(decimal=","))
    assert plan.pledges["amount"].tolist() == [606796.0]


# -- a row with another field count is refused, never shifted ------------------------------------
def test_a_row_with_an_extra_field_is_refused_by_name(
    tmp_path: Path, small_programmes: Path, small_fx: Path, tmp_db_url: str
) -> None:
    path = tmp_path / "shifted.csv"
    path.write_text(
        "donor,amount,currency,year,earmarking,earmark_to,status\n"
        "Norway,1000,USD,2027,unearmarked,,paid\n"
        "Japan, the government,2000,USD,2027,unearmarked,,paid\n"
        "Chile,3000,USD,2027,unearmarked,,paid\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as info:
        load_plan(small_programmes, [path], fx=small_fx)
    [error] = info.value.report.errors
    assert (error.file, error.sheet, error.row, error.column) == ("shifted.csv", "", 3, None)
    assert "8 fields but the header has 7" in error.message
    # Strict: nothing stored; --skip-invalid: exactly the two good rows.
    base = ["--db", tmp_db_url, "import", "--programmes", str(small_programmes)]
    assert main([*base, "--fx", str(small_fx), str(path)]) == 2
    with Register(tmp_db_url) as register:
        assert register.is_empty()
    assert main([*base, "--fx", str(small_fx), "--skip-invalid", str(path)]) == 0
    with Register(tmp_db_url) as register:
        assert sorted(register.pledges()["donor"]) == ["Chile", "Norway"]
        assert register.pledges()["amount"].tolist() == [1000.0, 3000.0]
