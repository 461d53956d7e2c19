"""The documented limits: appeal.limits and the README's "Limits" table say the same, and the
checks refuse exactly past each limit."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter

from appeal import limits
from models import contract

README = Path(__file__).resolve().parent.parent / "README.md"
_BYTES = {"FILE_BYTES", "PART_BYTES", "ARCHIVE_BYTES", "TREE_PART_BYTES", "RATIO_FROM_BYTES"}


def _limits_table() -> dict[str, str]:
    """README "Limits" table: constant name -> the value column."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    out: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2:
            for name in re.findall(r"`([A-Z_]+)`", cells[0]):
                out[name] = cells[1]
    return out


def test_every_limit_is_in_the_readme_with_its_value() -> None:
    table = _limits_table()
    names = [n for n in limits.__all__ if n.isupper()]
    for name in names:
        value = getattr(limits, name)
        assert name in table or name in README.read_text(), f"{name} is not documented"
        if name in table:
            if name == "RATIO_FROM_BYTES":
                continue  # documented inside the ratio row
            shown = (
                limits.size_text(value)
                if name in _BYTES
                else f"{value}x"
                if name == "COMPRESSION_RATIO"
                else f"{value:,}"
            )
            assert table[name] == shown, (name, table[name], shown)
    assert "1 MB (`RATIO_FROM_BYTES`)" in README.read_text()
    assert table["MAX_USD"] == f"USD {contract.MAX_USD:.0e}".replace("+", "")
    assert table["MIN_USD"] == f"USD {contract.MIN_USD:g}"
    assert table["MAX_YEARS"] == str(contract.MAX_YEARS)


def test_column_letters_match_excels() -> None:
    for index in (0, 25, 26, 701, 702, 1023, 16383):
        assert limits.column_letter(index) == get_column_letter(index + 1)


def test_the_sheet_budget_refuses_exactly_past_each_limit() -> None:
    budget = limits.SheetBudget()
    budget.row(1, limits.COLUMNS)  # as wide as allowed
    with pytest.raises(limits.LimitExceeded, match="column AMK") as info:
        budget.row(2, limits.COLUMNS + 1)
    assert (info.value.row, info.value.column) == (2, "AMK")
    rows = limits.SheetBudget()
    for n in range(limits.ROWS):
        rows.row(n + 1, 1)
    with pytest.raises(limits.LimitExceeded, match="100,000 rows"):
        rows.row(limits.ROWS + 1, 1)
    cells = limits.SheetBudget()
    for n in range(limits.CELLS // limits.COLUMNS):
        cells.row(n + 1, limits.COLUMNS)
    with pytest.raises(limits.LimitExceeded, match="5,000,000 cells"):
        cells.row(10_000, limits.COLUMNS)


def test_the_central_directory_is_checked_before_any_part_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("small.xml", b"<a/>" * 1000)
        z.writestr("bomb.xml", b"\0" * (2 * 1024 * 1024))  # 2 MB from about 2 KB
    infos = zipfile.ZipFile(buffer).infolist()
    with pytest.raises(limits.LimitExceeded, match=r"bomb\.xml records 2 MB") as info:
        limits.check_archive(infos)
    assert info.value.part == "bomb.xml"
    limits.check_archive(infos[:1])


def test_a_bounded_stream_counts_what_is_really_unpacked() -> None:
    data = b"\0" * (3 * 1024 * 1024)
    stream = limits.BoundedStream(io.BytesIO(data), "lying.xml", compressed=len(data) // 200)
    with pytest.raises(limits.LimitExceeded, match=r"lying\.xml unpacks to"):
        stream.read()
    honest = limits.BoundedStream(io.BytesIO(data), "honest.xml", compressed=len(data) // 50)
    assert honest.read() == data and honest.count == len(data)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (812, "812 bytes"),
        (1536, "1.5 KB"),
        (32 * 2**20, "32 MB"),
        (2**32, "4 GB"),
        (2**32 - 16, "4.0 GB"),
    ],
)
def test_sizes_read_well(size: int, text: str) -> None:
    assert limits.size_text(size) == text


def test_rows_of_a_file_that_is_not_a_table_are_read_within_the_limits(tmp_path: Path) -> None:
    from appeal import spreadsheet as ss
    from tests.hostile import files

    book = files.xlsx(tmp_path / "p.xlsx", files.pledge_sheet())
    assert ss.first_sheet_rows(book.read_bytes(), "p.xlsx") == [
        (1, tuple(files.PLEDGE_HEADER)),
        (2, tuple(files.GOOD_ROW)),
    ]
    bomb = files.xlsx(tmp_path / "b.xlsx", files.pledge_sheet(extra=['<row r="1000000"/>']))
    assert ss.first_sheet_rows(bomb.read_bytes(), "b.xlsx")[-1][0] == 2
    wide = files.xlsx(
        tmp_path / "w.xlsx", files.sheet(['<row r="1"><c r="ZZZ1"><v>1</v></c></row>'])
    )
    with pytest.raises(ss.SpreadsheetError, match="column ZZZ") as info:
        ss.first_sheet_rows(wide.read_bytes(), "w.xlsx")
    assert (info.value.file, info.value.row, info.value.column) == ("w.xlsx", 1, "ZZZ")
