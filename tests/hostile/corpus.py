"""Every hostile case: the file (or scenario) it is, how it is given to the tool, and what the
clear error must say.

A :class:`Case` builds its hostile file in a folder and names its ``role`` — which input of
which command it is (the pledge file of ``appeal import``, the programmes, the exchange rates,
the donors, a pledge file of ``appeal plan``, the scenario of ``appeal plan``, a second import
after a good one, an upload through the dashboard's Pledges page). The test runs each through
:mod:`tests.hostile.runner` and asserts exit 2, a message naming the file with every
``fragment``, no raw exception, bounded time and memory, and nothing stored or written.

``kind`` groups cases by what they attack (the issue's list: truncated and lying zips, zip
bombs, entity expansion, huge and tiny numbers, NaN/inf, dates out of range, duplicate ids
across files, hidden sheets, error values, control characters, injection text, wrong types for
every scenario key, and each finding of the issue); ``tests/test_hostile_corpus.py`` checks
each kind is there.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.hostile import files as f
from tests.hostile.files import GOOD_ROW, PLEDGE_HEADER

_MIB = 1024 * 1024
_PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    role: str  # pledges | programmes | fx | donors | plan | scenario | second | upload
    build: Callable[[Path], Path]
    fragments: tuple[str, ...]
    key: str = ""  # scenario cases: the key path they get wrong
    what: str = ""  # scenario cases: "type", "range" or "key"


CASES: list[Case] = []


def case(name: str, kind: str, role: str, fragments: tuple[str, ...] | str, **kw: Any) -> Any:
    """Decorator: the function builds the file; registers a :class:`Case`."""
    frags = (fragments,) if isinstance(fragments, str) else fragments

    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES.append(Case(name, kind, role, build, frags, **kw))
        return build

    return register


def _xlsx(name: str, sheet_xml: f.Content, **kw: Any) -> Callable[[Path], Path]:
    return lambda folder: f.xlsx(folder / name, sheet_xml, **kw)


def _csv(name: str, rows: list[list[Any]]) -> Callable[[Path], Path]:
    return lambda folder: f.write_csv(folder / name, rows)


def _add(
    name: str,
    kind: str,
    role: str,
    fragments: tuple[str, ...] | str,
    build: Callable[[Path], Path],
) -> None:
    case(name, kind, role, fragments)(build)


def _raw(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad_pledge(**changes: Any) -> list[Any]:
    row = dict(zip(PLEDGE_HEADER, GOOD_ROW, strict=True))
    row.update(changes)
    return [row[h] for h in PLEDGE_HEADER]


_PROGRAMME = {"line_id": "L1", "name": "x", "category": "entity", "entity": "UNOCT"}


def _programme_csv(file: str, /, **changes: Any) -> Callable[[Path], Path]:
    """A one-line programmes csv (pillar I, req_2027 of 5) with ``changes`` (new columns too)."""
    row = {**_PROGRAMME, "pillar": "I", "req_2027": 5, **changes}
    return _csv(file, [list(row), list(row.values())])


def _pledge_csv(name: str, *bad: list[Any], header: list[str] = PLEDGE_HEADER) -> Any:
    return _csv(name, [header, GOOD_ROW, *bad])


# -- denial of service: rows, columns, cells, sizes -------------------------------------------
_add(
    "row_number_1e9",
    "finding: row 1000000000",
    "pledges",
    ("row 1000000000", "1,048,576"),
    _xlsx("row1e9.xlsx", f.pledge_sheet(extra=[f.row(1_000_000_000, GOOD_ROW)])),
)
_add(
    "row_number_1e9_in_programmes",
    "finding: row 1000000000",
    "programmes",
    "row 1000000000",
    _xlsx("prog1e9.xlsx", f.sheet([f.row(1, ["line_id", "name"]), f.row(10**9, ["L1", "x"])])),
)
_add(
    "row_number_zero",
    "malformed part",
    "pledges",
    "rows are numbered 1 to",
    _xlsx("row0.xlsx", f.pledge_sheet(extra=['<row r="0"><c r="A0"><v>1</v></c></row>'])),
)
_add(
    "row_number_not_a_number",
    "malformed part",
    "pledges",
    "cannot be read",
    _xlsx("rowabc.xlsx", f.pledge_sheet(extra=['<row r="abc"><c r="A9"><v>1</v></c></row>'])),
)
_add(
    "row_number_10000_digits",
    "malformed part",
    "pledges",
    "cannot be read",
    _xlsx(
        "rowdigits.xlsx", f.pledge_sheet(extra=[f'<row r="{"9" * 10000}"><c><v>1</v></c></row>'])
    ),
)
_add(
    "column_zzzzzz",
    "finding: column ZZZZZZ",
    "pledges",
    ("column ZZZZZZ", "1,024 columns"),
    _xlsx("zzzzzz.xlsx", f.pledge_sheet(extra=['<row r="3"><c r="ZZZZZZ3"><v>1</v></c></row>'])),
)
_add(
    "column_xfd",
    "finding: column ZZZZZZ",
    "pledges",
    "column XFD",
    _xlsx("xfd.xlsx", f.pledge_sheet(extra=['<row r="3"><c r="XFD3"><v>1</v></c></row>'])),
)
_add(
    "column_letters_100k_long",
    "finding: column ZZZZZZ",
    "pledges",
    "1,024 columns",
    _xlsx(
        "longref.xlsx",
        f.pledge_sheet(extra=[f'<row r="3"><c r="{"Z" * 100_000}3"><v>1</v></c></row>']),
    ),
)
_add(
    "cell_reference_without_letters",
    "malformed part",
    "pledges",
    "not a column",
    _xlsx("noletters.xlsx", f.pledge_sheet(extra=['<row r="3"><c r="3"><v>1</v></c></row>'])),
)
_add(
    "sparse_wide_rows_past_the_cell_limit",
    "limits",
    "pledges",
    "5,000,000 cells",
    _xlsx(
        "wide.xlsx",
        f.sheet(
            [f.row(1, PLEDGE_HEADER)]
            + [f'<row r="{n}"><c r="AMJ{n}"><v>1</v></c></row>' for n in range(2, 5100)]
        ),
    ),
)
_add(
    "xlsx_100001_rows",
    "limits",
    "pledges",
    "100,000 rows",
    lambda folder: f.write_zip(
        folder / "rows.xlsx",
        f.workbook_parts(
            [
                (
                    "Pledges",
                    f.numbered_rows(
                        f'<worksheet xmlns="{f.NS}"><sheetData>' + f.row(1, ["donor", "amount"]),
                        100_001,
                        "</sheetData></worksheet>",
                    ),
                    None,
                )
            ]
        ),
    ),
)
_add(
    "csv_million_rows",
    "finding: 10^6-row csv",
    "pledges",
    "100,000 rows",
    lambda folder: f.write_lines(
        folder / "million.csv",
        ",".join(PLEDGE_HEADER) + "\n",
        "N,1,USD,2027,unearmarked,paid\n",
        1_000_000,
    ),
)
_add(
    "csv_over_the_file_limit",
    "limits",
    "pledges",
    ("the file is 33 MB", "limit is 32 MB"),
    lambda folder: f.write_lines(
        folder / "big.csv", ",".join(PLEDGE_HEADER) + "\n", "N" * 1023 + "\n", 33 * 1024
    ),
)
_add(
    "xlsx_over_the_file_limit",
    "limits",
    "pledges",
    "limit is 32 MB",
    lambda folder: _raw(folder / "big.xlsx", b"PK\x03\x04" + b"\x00" * (33 * _MIB)),
)


def _blank_then_rows(folder: Path) -> Path:
    path = folder / "blank.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(PLEDGE_HEADER) + "\n")
        out.write("\n" * 2_000_000)
        out.write(",,,\n" * 100_001)
    return path


_add("csv_blank_lines_then_rows", "limits", "pledges", "100,000 rows", _blank_then_rows)
_add(
    "csv_row_of_2000_fields",
    "limits",
    "pledges",
    ("row 3", "beyond the 1,024 columns"),
    _csv("fields.csv", [PLEDGE_HEADER, GOOD_ROW, ["x"] * 2000]),
)
_add(
    "csv_rows_past_the_cell_limit",
    "limits",
    "pledges",
    "5,000,000 cells",
    lambda folder: f.write_lines(
        folder / "cells.csv", ",".join(PLEDGE_HEADER) + "\n", "," * 1000 + "\n", 5100
    ),
)
_add(
    "csv_field_of_200kb",
    "finding: field over 128 KB",
    "pledges",
    ("row 3", "longer than 32,767 characters"),
    _csv("field.csv", [PLEDGE_HEADER, GOOD_ROW, ["N" * 200_000, 1, "USD", 2027, "paid"]]),
)
_add(
    "csv_field_of_40k_in_programmes",
    "finding: field over 128 KB",
    "programmes",
    ("row 2", "longer than 32,767 characters"),
    _csv("prog_field.csv", [["line_id", "name", "req_2027"], ["L1", "N" * 40_000, 1]]),
)
_add(
    "xlsx_inline_text_of_40k",
    "finding: field over 128 KB",
    "pledges",
    ("row 3, column donor", "40,000 characters"),
    _xlsx("inline.xlsx", f.pledge_sheet(_bad_pledge(donor="N" * 40_000))),
)
_add(
    "xlsx_shared_string_of_40k",
    "finding: field over 128 KB",
    "pledges",
    ("row 2, column donor", "40,000 characters"),
    _xlsx(
        "sst.xlsx",
        f.sheet(
            [
                f.row(1, PLEDGE_HEADER),
                f.row(2, [None, *GOOD_ROW[1:]], cells=[f.cell("A2", 0, kind="s")]),
            ]
        ),
        shared=f'<sst xmlns="{f.NS}"><si><t>{"N" * 40_000}</t></si></sst>',
    ),
)

# -- zip bombs --------------------------------------------------------------------------------
_HEAD = f'<worksheet xmlns="{f.NS}"><sheetData>'
_TAIL = "</sheetData></worksheet>"


def _bomb_sheet(folder: Path, name: str, mib: int) -> Path:
    """A sheet of ~``mib`` MB of identical cells (compresses about 1000x)."""
    return f.write_zip(
        folder / name,
        f.workbook_parts(
            [
                (
                    "Pledges",
                    f.repeated(
                        _HEAD + f.row(1, PLEDGE_HEADER),
                        "<row>" + "<c><v>1</v></c>" * 64 + "</row>",
                        mib * 1024,
                        _TAIL,
                    ),
                    None,
                )
            ]
        ),
        level=9,
    )


_add(
    "bomb_sheet_rows_1gb",
    "zip bomb",
    "pledges",
    ("xl/worksheets/sheet1.xml", "uncompressed", "zip bomb"),
    lambda folder: _bomb_sheet(folder, "bomb_rows.xlsx", 1024),
)
_add(
    "bomb_sheet_rows_80mb",
    "zip bomb",
    "pledges",
    ("xl/worksheets/sheet1.xml", "limit is 64 MB per part"),
    lambda folder: _bomb_sheet(folder, "bomb_rows80.xlsx", 80),
)
_add(
    "bomb_shared_strings_1gb",
    "zip bomb",
    "pledges",
    ("xl/sharedStrings.xml", "zip bomb"),
    lambda folder: f.write_zip(
        folder / "bomb_sst.xlsx",
        f.workbook_parts(
            [("Pledges", f.pledge_sheet(), None)],
            shared=f.repeated(
                f'<sst xmlns="{f.NS}">', "<si><t>x</t></si>", 64 * 1024 * 1024, "</sst>"
            ),
        ),
        level=9,
    ),
)
_add(
    "bomb_single_cell_1gb",
    "zip bomb",
    "pledges",
    ("xl/worksheets/sheet1.xml", "zip bomb"),
    lambda folder: f.write_zip(
        folder / "bomb_cell.xlsx",
        f.workbook_parts(
            [
                (
                    "Pledges",
                    f.repeated(
                        _HEAD
                        + f.row(1, PLEDGE_HEADER)
                        + '<row r="2"><c r="A2" t="inlineStr"><is><t>',
                        "A" * 1024,
                        1024 * 1024,
                        "</t></is></c></row>" + _TAIL,
                    ),
                    None,
                )
            ]
        ),
        level=9,
    ),
)
_add(
    "bomb_ratio_under_the_part_limit",
    "zip bomb",
    "pledges",
    ("more than 100x", "zip bomb"),
    lambda folder: _bomb_sheet(folder, "bomb_ratio.xlsx", 40),
)
_add(
    "bomb_many_parts_past_the_total",
    "zip bomb",
    "pledges",
    ("add up to more than 128 MB",),
    lambda folder: f.write_zip(
        folder / "bomb_total.xlsx",
        {
            **f.workbook_parts([("Pledges", f.pledge_sheet(), None)]),
            **{f"xl/media/pad{i}.bin": _about_15x(50) for i in range(3)},
        },
        level=1,
    ),
)
_add(
    "bomb_10001_parts",
    "zip bomb",
    "pledges",
    "more than 10,000 parts",
    lambda folder: f.write_zip(
        folder / "parts.xlsx",
        {
            **f.workbook_parts([("Pledges", f.pledge_sheet(), None)]),
            **{f"xl/media/p{i}.bin": b"" for i in range(10_001)},
        },
    ),
)


# -- lying and truncated zips -----------------------------------------------------------------
def _lying(folder: Path, name: str, *, mib: int = 72, **patch: int) -> Path:
    """A valid workbook (its sheet ~``mib`` MB) whose sheet part's recorded sizes, compression
    method or flags are then changed."""
    rows = "<row/>" * (mib * 1024 * 1024 // 6)
    big = _HEAD + f.row(1, PLEDGE_HEADER) + f.row(2, GOOD_ROW) + rows + _TAIL
    path = f.write_zip(folder / name, f.workbook_parts([("Pledges", big, None)]), level=9)
    path.write_bytes(f.patch_entry(path.read_bytes(), "xl/worksheets/sheet1.xml", **patch))
    return path


_add(
    "lying_size_small_real_70mb",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "checksum does not match"),
    lambda folder: _lying(folder, "lie_small.xlsx", file_size=2000),
)
_add(
    "lying_size_1kb_under_ratio_floor",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "checksum does not match"),
    lambda folder: _lying(folder, "lie_1k.xlsx", file_size=1024),
)
_add(
    "lying_size_huge",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "records 4.0 GB"),
    lambda folder: _lying(folder, "lie_huge.xlsx", file_size=0xFFFFFFF0),
)
_add(
    "lying_compressed_size",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "cannot be unpacked"),
    lambda folder: _lying(folder, "lie_csize.xlsx", mib=0, compress_size=100),
)
_add(
    "unknown_compression_method",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "compression method"),
    lambda folder: _lying(folder, "method.xlsx", mib=0, method=99),
)
_add(
    "encrypted_flag",
    "lying zip",
    "pledges",
    ("xl/worksheets/sheet1.xml", "encrypted"),
    lambda folder: _lying(folder, "encrypted.xlsx", mib=0, flags=1),
)


def _about_15x(mib: int) -> f.Streamer:
    """``mib`` MB that compress about 15x: within the ratio limit, so only the total stops it."""
    import random

    rng = random.Random(mib)
    block = bytearray(1 << 20)
    block[::32] = rng.randbytes(len(block[::32]))

    def write(put: Callable[[bytes], Any]) -> None:
        for _ in range(mib):
            put(block)

    return write


def _truncated(folder: Path, name: str, keep: float) -> Path:
    whole = f.write_zip(
        folder / ("whole_" + name), f.workbook_parts([("Pledges", f.pledge_sheet(), None)])
    )
    data = whole.read_bytes()
    whole.unlink()
    path = folder / name
    path.write_bytes(data[: int(len(data) * keep)] if keep < 1 else data[:-1])
    return path


for _keep in (0.1, 0.5, 0.9, 1.0):
    _add(
        f"truncated_zip_{int(_keep * 100)}",
        "truncated zip",
        "pledges",
        "not a readable zip archive",
        lambda folder, k=_keep: _truncated(folder, f"cut{int(k * 100)}.xlsx", k),
    )


def _damaged_data(folder: Path) -> Path:
    """The central directory intact, the sheet's compressed bytes overwritten."""
    path = f.write_zip(
        folder / "damaged.xlsx", f.workbook_parts([("Pledges", f.pledge_sheet() * 20, None)])
    )
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start : start + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    return path


_add("damaged_compressed_data", "truncated zip", "pledges", "cannot be unpacked", _damaged_data)
_add(
    "not_a_zip_at_all",
    "truncated zip",
    "pledges",
    "not a readable zip archive",
    lambda folder: _raw(folder / "text.xlsx", b"donor,amount\nN,1\n"),
)

# -- entity expansion and DTDs ----------------------------------------------------------------
_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
_XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
_PARAM = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'

_add(
    "billion_laughs_in_sheet",
    "entity expansion",
    "pledges",
    ("xl/worksheets/sheet1.xml", "declares a DTD"),
    _xlsx(
        "laughs.xlsx",
        f.sheet(
            [
                f.row(1, PLEDGE_HEADER),
                f.row(2, ["&lol9;", 1, "USD", 2027, "unearmarked", "paid"]).replace(
                    "&amp;lol9;", "&lol9;"
                ),
            ],
            prolog=_LAUGHS,
        ),
    ),
)
_add(
    "billion_laughs_in_shared_strings",
    "entity expansion",
    "pledges",
    ("xl/sharedStrings.xml", "declares a DTD"),
    _xlsx(
        "laughs_sst.xlsx",
        f.pledge_sheet(),
        shared=_LAUGHS + f'<sst xmlns="{f.NS}"><si><t>&lol9;</t></si></sst>',
    ),
)
_add(
    "billion_laughs_in_workbook",
    "entity expansion",
    "pledges",
    ("xl/workbook.xml", "declares a DTD"),
    lambda folder: f.write_zip(
        folder / "laughs_book.xlsx",
        f.workbook_parts([("Pledges", f.pledge_sheet(), None)], book_prolog=_LAUGHS),
    ),
)
_add(
    "billion_laughs_in_styles",
    "entity expansion",
    "pledges",
    ("xl/styles.xml", "declares a DTD"),
    _xlsx("laughs_styles.xlsx", f.pledge_sheet(), styles=_LAUGHS + f'<styleSheet xmlns="{f.NS}"/>'),
)
_add(
    "external_entity_in_sheet",
    "entity expansion",
    "pledges",
    ("xl/worksheets/sheet1.xml", "declares a DTD"),
    _xlsx(
        "xxe.xlsx",
        f.sheet(
            [
                f.row(1, PLEDGE_HEADER),
                '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>',
            ],
            prolog=_XXE,
        ),
    ),
)
_add(
    "external_entity_in_shared_strings",
    "entity expansion",
    "pledges",
    ("xl/sharedStrings.xml", "declares a DTD"),
    _xlsx(
        "xxe_sst.xlsx",
        f.pledge_sheet(),
        shared=_XXE + f'<sst xmlns="{f.NS}"><si><t>&xxe;</t></si></sst>',
    ),
)
_add(
    "parameter_entity_in_rels",
    "entity expansion",
    "pledges",
    ("xl/_rels/workbook.xml.rels", "declares a DTD"),
    lambda folder: f.write_zip(
        folder / "param.xlsx",
        {
            **f.workbook_parts([("Pledges", f.pledge_sheet(), None)]),
            "xl/_rels/workbook.xml.rels": _PARAM + f'<Relationships xmlns="{_PKG_NS}"/>',
        },
    ),
)
_add(
    "dtd_after_a_long_comment",
    "entity expansion",
    "pledges",
    ("xl/worksheets/sheet1.xml", "declares a DTD"),
    _xlsx(
        "comment.xlsx",
        f.sheet(
            [f.row(1, PLEDGE_HEADER)],
            prolog='<?xml version="1.0"?><!--'
            + "x" * 200_000
            + "-->"
            + _XXE[len('<?xml version="1.0"?>') :],
        ),
    ),
)
_add(
    "dtd_in_a_utf16_part",
    "entity expansion",
    "pledges",
    ("xl/worksheets/sheet1.xml", "declares a DTD"),
    _xlsx(
        "utf16.xlsx",
        (
            '<?xml version="1.0" encoding="UTF-16"?>'
            + _XXE[len('<?xml version="1.0"?>') :]
            + f.sheet([f.row(1, PLEDGE_HEADER)])
        ).encode("utf-16"),
    ),
)

# -- malformed parts --------------------------------------------------------------------------
_add(
    "bad_styles_number_format",
    "finding: malformed parts",
    "pledges",
    ("xl/styles.xml", "number format"),
    _xlsx(
        "styles.xlsx",
        f.pledge_sheet(),
        styles=f'<styleSheet xmlns="{f.NS}"><cellXfs><xf numFmtId="abc"/></cellXfs></styleSheet>',
    ),
)
_add(
    "styles_not_xml",
    "finding: malformed parts",
    "pledges",
    ("xl/styles.xml", "not well-formed XML"),
    _xlsx("styles2.xlsx", f.pledge_sheet(), styles="<styleSheet><cellXfs>"),
)
_add(
    "missing_sheet_part",
    "finding: malformed parts",
    "pledges",
    ("sheet 'Pledges'", "no such part"),
    lambda folder: f.write_zip(
        folder / "nosheet.xlsx",
        {
            k: v
            for k, v in f.workbook_parts([("Pledges", f.pledge_sheet(), None)]).items()
            if "worksheets" not in k
        },
    ),
)
_add(
    "missing_workbook_rels",
    "finding: malformed parts",
    "pledges",
    "xl/_rels/workbook.xml.rels is missing",
    lambda folder: f.write_zip(
        folder / "norels.xlsx",
        {
            k: v
            for k, v in f.workbook_parts([("Pledges", f.pledge_sheet(), None)]).items()
            if k != "xl/_rels/workbook.xml.rels"
        },
    ),
)
_add(
    "no_workbook_part",
    "finding: malformed parts",
    "pledges",
    "no workbook part",
    lambda folder: f.write_zip(
        folder / "nobook.xlsx", {"[Content_Types].xml": "<Types/>", "readme.txt": "hello"}
    ),
)
_add(
    "workbook_not_xml",
    "finding: malformed parts",
    "pledges",
    ("xl/workbook.xml", "not well-formed XML"),
    lambda folder: f.write_zip(
        folder / "book.xlsx",
        {**f.workbook_parts([("Pledges", f.pledge_sheet(), None)]), "xl/workbook.xml": "<workbook"},
    ),
)
_add(
    "sheet_not_well_formed",
    "finding: malformed parts",
    "pledges",
    ("xl/worksheets/sheet1.xml", "not well-formed XML"),
    _xlsx("unclosed.xlsx", f.pledge_sheet().replace("</sheetData>", "<row>")),
)
_add(
    "sheet_is_binary_garbage",
    "finding: malformed parts",
    "pledges",
    ("xl/worksheets/sheet1.xml", "not well-formed XML"),
    _xlsx("garbage.xlsx", bytes(range(256)) * 10),
)
_add(
    "shared_string_index_out_of_range",
    "finding: malformed parts",
    "pledges",
    ("row 2", "shared string that does not exist"),
    _xlsx(
        "sstidx.xlsx",
        f.sheet([f.row(1, PLEDGE_HEADER), '<row r="2"><c r="A2" t="s"><v>99</v></c></row>']),
        shared=f'<sst xmlns="{f.NS}"><si><t>x</t></si></sst>',
    ),
)
_add(
    "shared_string_index_negative",
    "finding: malformed parts",
    "pledges",
    ("row 2", "shared string that does not exist"),
    _xlsx(
        "sstneg.xlsx",
        f.sheet([f.row(1, PLEDGE_HEADER), '<row r="2"><c r="A2" t="s"><v>-1</v></c></row>']),
        shared=f'<sst xmlns="{f.NS}"><si><t>x</t></si></sst>',
    ),
)
_add(
    "cell_style_not_a_number",
    "finding: malformed parts",
    "pledges",
    ("row 2", "cannot be read"),
    _xlsx(
        "style.xlsx",
        f.sheet([f.row(1, PLEDGE_HEADER), '<row r="2"><c r="B2" s="x"><v>1</v></c></row>']),
    ),
)
_add(
    "strict_open_xml",
    "finding: malformed parts",
    "pledges",
    "Strict Open XML",
    lambda folder: f.write_zip(
        folder / "strict.xlsx",
        f.workbook_parts([("Pledges", f.pledge_sheet(), None)], book_ns=f.STRICT_NS),
    ),
)
_add(
    "chart_sheets_only",
    "finding: malformed parts",
    "pledges",
    "no sheet has a header row",
    lambda folder: f.write_zip(
        folder / "charts.xlsx",
        {
            **f.workbook_parts([("Pledges", f.pledge_sheet(), None)]),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PKG_NS}"><Relationship Id="rId1" '
                f'Type="{_REL_NS}/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>'
            ),
        },
    ),
)

# -- hidden sheets ----------------------------------------------------------------------------
for _state in ("hidden", "veryHidden"):
    _add(
        f"pledges_only_in_a_{_state}_sheet",
        "hidden sheets",
        "pledges",
        ("hidden sheets are not read", "Pledges"),
        lambda folder, s=_state: f.write_zip(
            folder / f"{s}.xlsx",
            f.workbook_parts(
                [
                    ("Read me", f.sheet([f.row(1, ["Fill in the sheet"])]), None),
                    ("Pledges", f.pledge_sheet(), s),
                ]
            ),
        ),
    )
_add(
    "hidden_good_sheet_visible_bad_sheet",
    "hidden sheets",
    "pledges",
    ("[Sheet1] row 3, column amount", "not a number"),
    lambda folder: f.write_zip(
        folder / "hidden_good.xlsx",
        f.workbook_parts(
            [
                ("Pledges", f.pledge_sheet(), "hidden"),
                ("Sheet1", f.pledge_sheet(_bad_pledge(amount="lots")), None),
            ]
        ),
    ),
)

# -- error values -----------------------------------------------------------------------------
for _code in (
    "#N/A",
    "#REF!",
    "#DIV/0!",
    "#VALUE!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
):
    _slug = "".join(ch for ch in _code if ch.isalnum()).lower()
    _add(
        f"error_value_{_slug}_as_donor",
        "error values",
        "pledges",
        ("row 3, column donor", f"Excel error value {_code}"),
        _xlsx(
            f"err_{_slug}.xlsx",
            f.pledge_sheet(
                extra=[f.row(3, [None, *GOOD_ROW[1:]], cells=[f.cell("A3", _code, kind="e")])]
            ),
        ),
    )
_add(
    "error_value_as_amount",
    "error values",
    "pledges",
    ("row 3, column amount", "Excel error value #DIV/0!"),
    _xlsx(
        "err_amount.xlsx",
        f.pledge_sheet(
            extra=[
                '<row r="3"><c r="A3" t="inlineStr"><is><t>X</t></is></c>'
                '<c r="B3" t="e"><v>#DIV/0!</v></c></row>'
            ]
        ),
    ),
)
_add(
    "error_value_as_cached_string",
    "error values",
    "pledges",
    ("row 3, column donor", "Excel error value #N/A"),
    _xlsx(
        "err_str.xlsx",
        f.pledge_sheet(
            extra=[f.row(3, [None, *GOOD_ROW[1:]], cells=[f.cell("A3", "#N/A", kind="str")])]
        ),
    ),
)
for _code in ("#N/A", "#REF!"):
    _slug = "".join(ch for ch in _code if ch.isalnum()).lower()
    _add(
        f"error_value_text_{_slug}_in_csv",
        "error values",
        "pledges",
        ("row 3, column donor", f"Excel error value {_code}"),
        _pledge_csv(f"err_{_slug}.csv", _bad_pledge(donor=_code)),
    )
_add(
    "error_value_in_donors_file",
    "error values",
    "donors",
    ("row 2, column donor", "Excel error value #N/A"),
    _csv("donors_err.csv", [["donor", "donor_type"], ["#N/A", "other"]]),
)


# -- huge, tiny and non-finite numbers ----------------------------------------------------------
def _number_cell(name: str, column: str, text: str, header: list[str] = PLEDGE_HEADER) -> Any:
    col = f.letters(header.index(column))
    values = [None if h == column else v for h, v in zip(header, GOOD_ROW, strict=False)]
    return _xlsx(
        name,
        f.sheet(
            [
                f.row(1, header),
                f.row(2, GOOD_ROW),
                f.row(3, values, cells=[f'<c r="{col}3"><v>{text}</v></c>']),
            ]
        ),
    )


for _name, _text, _frag in (
    ("amount_1e308", "1e308", "one pledge may hold at most USD 1e+12"),
    ("amount_1e13", "1e13", "one pledge may hold at most USD 1e+12"),
    ("amount_1e400_is_inf", "1e400", "not a finite number"),
    ("amount_nan", "NaN", "not a finite number"),
    ("amount_inf", "INF", "not a finite number"),
    ("amount_minus_inf", "-inf", "not a finite number"),
    ("amount_tiny_1e_320", "1e-320", "smallest"),
    ("amount_not_a_number_in_v", "12abc", "not a number"),
    ("amount_5000_digits", "9" * 5000, "not a finite number"),
):
    _add(
        _name,
        "huge and tiny numbers" if "nan" not in _name and "inf" not in _name else "NaN/inf",
        "pledges",
        ("row 3, column amount", _frag),
        _number_cell(f"{_name}.xlsx", "amount", _text),
    )

_add(
    "amount_30_digits_csv",
    "finding: huge amounts",
    "pledges",
    ("row 3, column amount", "at most USD 1e+12"),
    _pledge_csv("digits.csv", _bad_pledge(amount="1" + "0" * 29)),
)
_add(
    "amount_1e308_text_csv",
    "huge and tiny numbers",
    "pledges",
    ("row 3, column amount", "not a number"),
    _pledge_csv("e308.csv", _bad_pledge(amount="1e308")),
)
_add(
    "amount_huge_with_multiplier",
    "huge and tiny numbers",
    "pledges",
    ("row 3, column amount", "at most USD 1e+12"),
    _pledge_csv("mult.csv", _bad_pledge(amount="999999999 billion")),
)
_add(
    "amount_nan_text_csv",
    "NaN/inf",
    "pledges",
    ("row 3, column amount", "not a number"),
    _pledge_csv("nan.csv", _bad_pledge(amount="nan")),
)
_add(
    "amount_tiny_text_csv",
    "huge and tiny numbers",
    "pledges",
    ("row 3, column amount", "smallest"),
    _pledge_csv("tiny.csv", _bad_pledge(amount="0.000001")),
)
_add(
    "per_year_amount_huge",
    "huge and tiny numbers",
    "pledges",
    ("row 3, column amount", "at most USD 1e+12"),
    _csv(
        "peryear.csv",
        [
            ["donor", "currency", "earmarking", "status", "amount_2027", "amount_2028"],
            ["A", "USD", "unearmarked", "paid", 1, 1],
            ["B", "USD", "unearmarked", "paid", "900000000000", "900000000000"],
        ],
    ),
)
_add(
    "psc_rate_nan",
    "NaN/inf",
    "pledges",
    ("row 3, column psc_rate", "not a finite number"),
    _number_cell("psc_nan.xlsx", "psc_rate", "NaN", [*PLEDGE_HEADER, "psc_rate"]),
)
_add(
    "year_inf",
    "NaN/inf",
    "pledges",
    ("row 3, column year", "not a finite number"),
    _number_cell("year_inf.xlsx", "year", "inf"),
)
_add(
    "requirement_1e13",
    "huge and tiny numbers",
    "programmes",
    ("row 2, column req_2027", "USD 1e+12"),
    _programme_csv("req_huge.csv", req_2027="10000000000000"),
)


def _long_requirements(path: Path, year: int, usd: float) -> Path:
    """A programmes workbook whose requirements are a long "requirements" sheet of one row."""
    programmes = [
        ["line_id", "name", "category", "entity", "pillar"],
        ["L1", "x", "entity", "UNOCT", "I"],
    ]
    requirements = [["line_id", "year", "requirement_usd"], ["L1", year, usd]]
    return f.write_zip(
        path,
        f.workbook_parts(
            [
                ("Programmes", f.sheet([f.row(i + 1, r) for i, r in enumerate(programmes)]), None),
                (
                    "requirements",
                    f.sheet([f.row(i + 1, r) for i, r in enumerate(requirements)]),
                    None,
                ),
            ]
        ),
    )


_add(
    "requirement_in_long_sheet_1e13",
    "huge and tiny numbers",
    "programmes",
    ("[requirements] row 2, column requirement_usd", "above 1e+12"),
    lambda folder: _long_requirements(folder / "req_long.xlsx", 2027, 1e13),
)
for _name, _text, _frag in (
    ("rate_1e_320", "1e-320", "from 1e-06 to 1e+06"),
    ("rate_1e7", "1e7", "from 1e-06 to 1e+06"),
    ("rate_zero", "0", "greater than 0"),
    ("rate_nan", "NaN", "not a finite number"),
):
    _add(
        _name,
        "finding: exchange rate 1e-320" if "320" in _name else "huge and tiny numbers",
        "fx",
        ("row 2, column units_per_usd", _frag),
        _xlsx(
            f"{_name}.xlsx",
            f.sheet(
                [
                    f.row(1, ["currency", "units_per_usd"]),
                    f.row(2, ["EUR"], cells=[f'<c r="B2"><v>{_text}</v></c>']),
                ]
            ),
        ),
    )

# -- dates out of range -----------------------------------------------------------------------
_DATE_STYLE = (
    f'<styleSheet xmlns="{f.NS}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
    "</cellXfs></styleSheet>"
)
for _name, _value, _frag in (
    ("date_serial_1e10", "1e10", "date serial number 1e10 is out of range"),
    ("date_serial_huge_int", "999999999999999", "out of range"),
    ("date_serial_negative", "-800000", "out of range"),
):
    _add(
        _name,
        "dates out of range",
        "pledges",
        ("row 3, column year", _frag),
        _xlsx(
            f"{_name}.xlsx",
            f.pledge_sheet(
                extra=[
                    f.row(
                        3,
                        [*GOOD_ROW[:3]],
                        cells=[
                            f'<c r="D3" s="1"><v>{_value}</v></c>',
                            f.cell("E3", "unearmarked"),
                            f.cell("F3", "paid"),
                        ],
                    )
                ]
            ),
            styles=_DATE_STYLE,
        ),
    )
_add(
    "date_cell_iso_invalid",
    "dates out of range",
    "pledges",
    ("row 3, column year", "not a valid date"),
    _xlsx(
        "d_bad.xlsx",
        f.pledge_sheet(
            extra=[
                f.row(
                    3,
                    GOOD_ROW[:3],
                    cells=[
                        f.cell("D3", "99999-99-99", kind="d"),
                        f.cell("E3", "unearmarked"),
                        f.cell("F3", "paid"),
                    ],
                )
            ]
        ),
    ),
)
for _name, _year, _frag in (
    ("year_1899", 1899, "outside 2000-2100"),
    ("year_2101", 2101, "outside 2000-2100"),
    ("year_text_date_impossible", "2027-02-30", "not a valid date"),
    ("year_text_9999", "9999", "outside 2000-2100"),
):
    _add(
        _name,
        "dates out of range",
        "pledges",
        ("row 3, column year", _frag),
        _pledge_csv(f"{_name}.csv", _bad_pledge(year=_year)),
    )
_add(
    "last_year_3000",
    "dates out of range",
    "pledges",
    ("row 3, column last_year", "outside 2000-2100"),
    _pledge_csv("last.csv", [*_bad_pledge(), 3000], header=[*PLEDGE_HEADER, "last_year"]),
)
_add(
    "years_spread_over_21",
    "dates out of range",
    "pledges",
    ("row 3, column years", "years must be 1-20"),
    _pledge_csv("years.csv", [*_bad_pledge(), 21], header=[*PLEDGE_HEADER, "years"]),
)
_add(
    "amount_column_for_1900",
    "dates out of range",
    "pledges",
    ("column amount_1900", "outside 2000-2100"),
    _csv(
        "amt1900.csv",
        [
            ["donor", "currency", "earmarking", "status", "amount_1900"],
            ["A", "USD", "unearmarked", "paid", 5],
        ],
    ),
)
for _year in (1900, 2999):
    _add(
        f"requirement_column_for_{_year}",
        "finding: requirement years 1900 and 2999",
        "programmes",
        (f"column req_{_year}", "outside 2000-2100"),
        _programme_csv(f"req{_year}.csv", **{f"req_{_year}": 5}),
    )
_add(
    "requirement_long_sheet_year_2999",
    "finding: requirement years 1900 and 2999",
    "programmes",
    ("[requirements] row 2, column year", "2000-2100"),
    lambda folder: _long_requirements(folder / "req2999.xlsx", 2999, 5),
)

# -- duplicate ids across files ---------------------------------------------------------------
_add(
    "pledge_id_stored_from_another_file",
    "finding: pledge id from another file",
    "second",
    ("pledge_id 'P1'", "already in the register from first.csv row 2", "--replace-existing"),
    _csv(
        "second.csv",
        [
            ["pledge_id", *PLEDGE_HEADER],
            ["P1", "Other donor", 5, "USD", 2027, "unearmarked", "paid"],
        ],
    ),
)
_add(
    "pledge_id_twice_in_one_import",
    "duplicate ids across files",
    "pledges_pair",
    ("pledge_id 'P1' is already used in another file",),
    _csv(
        "pair_b.csv",
        [["pledge_id", *PLEDGE_HEADER], ["P1", "Other", 5, "USD", 2027, "unearmarked", "paid"]],
    ),
)

# -- control characters -----------------------------------------------------------------------
for _name, _text, _frag in (
    ("bidi_override_rlo", "Nor\u202eyaw", "bidirectional control characters"),
    ("bidi_isolate_lri", "Nor\u2066way", "bidirectional control characters"),
    ("bidi_embedding_lre", "\u202aNorway", "bidirectional control characters"),
    ("control_bell", "Nor\x07way", "control characters"),
    ("control_escape", "\x1b[31mNorway", "control characters"),
    ("control_c1_csi", "Nor\x9bway", "control characters"),
):
    _add(
        f"donor_{_name}",
        "control characters",
        "pledges",
        ("row 3, column donor", _frag),
        _pledge_csv(f"{_name}.csv", _bad_pledge(donor=_text)),
    )
_add(
    "bidi_in_pledge_id",
    "control characters",
    "pledges",
    ("row 3, column pledge_id", "bidirectional"),
    _csv(
        "bidi_id.csv",
        [
            ["pledge_id", *PLEDGE_HEADER],
            ["P0", *GOOD_ROW],
            ["P\u202e1", *GOOD_ROW[:1], 2, *GOOD_ROW[2:]],
        ],
    ),
)
_add(
    "bidi_in_line_id",
    "control characters",
    "programmes",
    ("row 2, column line_id", "bidirectional"),
    _programme_csv("bidi_line.csv", line_id="L\u202e1"),
)
_add(
    "control_in_xlsx_donor",
    "control characters",
    "pledges",
    ("xl/worksheets/sheet1.xml", "not well-formed XML"),  # XML cannot carry one at all
    _xlsx("ctrl.xlsx", f.pledge_sheet(_bad_pledge(donor="Nor\x0bway"))),
)
_add(
    "nul_bytes_in_csv",
    "control characters",
    "pledges",
    "binary content",
    lambda folder: _raw(folder / "nul.csv", b"donor,amount\x00\x00\nN,1\n"),
)

# -- injection text ---------------------------------------------------------------------------
_add(
    "formula_donor_csv",
    "injection text",
    "pledges",
    ("row 3, column donor", "formula not allowed"),
    _pledge_csv("f1.csv", _bad_pledge(donor="=cmd|' /C calc'!A0")),
)
_add(
    "formula_hyperlink_xlsx",
    "injection text",
    "pledges",
    ("row 3, column donor", "formula not allowed"),
    _xlsx(
        "f2.xlsx",
        f.pledge_sheet(
            extra=[
                f.row(
                    3,
                    [None, *GOOD_ROW[1:]],
                    cells=['<c r="A3"><f>HYPERLINK("http://x","y")</f><v>y</v></c>'],
                )
            ]
        ),
    ),
)
_add(
    "formula_in_programme_name",
    "injection text",
    "programmes",
    ("row 2, column name", "formula not allowed"),
    _programme_csv("f3.csv", name="=1+1"),
)
_add(
    "formula_in_rate",
    "injection text",
    "fx",
    ("row 2, column units_per_usd", "formula not allowed"),
    _csv("f4.csv", [["currency", "units_per_usd"], ["EUR", "=1/0"]]),
)
_add(
    "formula_in_donors_file",
    "injection text",
    "donors",
    ("row 2, column donor", "formula not allowed"),
    _csv("f5.csv", [["donor", "donor_type"], ['=WEBSERVICE("x")', "other"]]),
)
_add(
    "formula_leading_space",
    "injection text",
    "pledges",
    ("row 3, column status", "formula not allowed"),
    _pledge_csv("f6.csv", _bad_pledge(status="  =SUM(A1)")),
)


# -- the same through appeal plan, and through the dashboard's Pledges page ------------------
def _shared(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """``build``, run once: later folders get a hard link to the first file (same name)."""
    made: list[Path] = []

    def once(folder: Path) -> Path:
        if not made:
            made.append(build(folder))
            return made[0]
        target = folder / made[0].name
        target.hardlink_to(made[0])
        return target

    return once


def _shared_case(name: str) -> Case:
    """The case ``name``, its file now built once for every case that reuses it."""
    index = next(i for i, c in enumerate(CASES) if c.name == name)
    if not getattr(CASES[index].build, "shared", False):
        once = _shared(CASES[index].build)
        once.shared = True  # type: ignore[attr-defined]
        CASES[index] = replace(CASES[index], build=once)
    return CASES[index]


for _base in (
    "row_number_1e9",
    "column_zzzzzz",
    "bomb_sheet_rows_1gb",
    "billion_laughs_in_sheet",
    "truncated_zip_50",
    "error_value_na_as_donor",
):
    _found = _shared_case(_base)
    CASES.append(Case(f"plan_{_base}", _found.kind, "plan", _found.build, _found.fragments))
    CASES.append(
        Case(
            f"upload_{_base}",
            "finding: uploads through the Pledges page",
            "upload",
            _found.build,
            _found.fragments,
        )
    )
CASES.append(
    Case(
        "upload_csv_over_the_upload_limit",
        "finding: uploads through the Pledges page",
        "upload",
        _shared_case("csv_million_rows").build,
        ("larger than the 10 MB upload limit",),
    )
)
_add(
    "upload_csv_past_the_row_limit",
    "finding: uploads through the Pledges page",
    "upload",
    "100,000 rows",
    lambda folder: f.write_lines(folder / "rows.csv", "donor,amount\n", "N,1\n", 120_000),
)


# -- wrong types and values for every scenario key (TOML through appeal plan --scenario) -----
def _toml(section: str, line: str) -> str:
    return f"[{section}]\n{line}\n" if section else f"{line}\n"


#: (key path, TOML section, TOML line, "type" | "range" | "key", what the message says)
_SCENARIO: list[tuple[str, str, str, str, str]] = []
_NUMBERS = {
    # key: (section, name, a value below the range, a value above it)
    "weights.tranche_share": ("weights", "tranche_share", "-0.1", "1.5"),
    "weights.tranche_weight": ("weights", "tranche_weight", "-1.0", "2.0"),
    "weights.early_year_preference": ("weights", "early_year_preference", "-0.1", "0.5"),
    "targets.leadership_coordination_share_of_flexible": (
        "targets",
        "leadership_coordination_share_of_flexible",
        "-0.5",
        "1.01",
    ),
    "targets.human_rights_share": ("targets", "human_rights_share", "-1.0", "7.0"),
    "targets.gender_share": ("targets", "gender_share", "-0.15", "15.0"),
    "targets.civil_society_share": ("targets", "civil_society_share", "-0.2", "100.0"),
    "donor_line_cap_share": ("", "donor_line_cap_share", "0.0", "1.5"),
    "time_limit_seconds": ("", "time_limit_seconds", "-30.0", "1e9"),
    "mip_gap": ("", "mip_gap", "-1.0", "2.0"),
}
for _key, (_section, _name, _low, _high) in _NUMBERS.items():
    for _value, _what, _says in (
        ('"0.5"', "type", "must be a number"),
        ("true", "type", "must be a number"),
        ("[0.5]", "type", "must be a number"),
        ("{ a = 1 }", "type", "must be a number"),
        ("inf", "type", "must be a finite number"),
        ("nan", "type", "must be a finite number"),
        (_low, "range", "must be"),
        (_high, "range", "must be"),
    ):
        _SCENARIO.append((_key, _section, f"{_name} = {_value}", _what, _says))
_INTEGERS = {
    "start_year": ("", "start_year", "1800", "3000"),
    "end_year": ("", "end_year", "1899", "2201"),
    "risk.draws": ("risk", "draws", "0", "1000001"),
    "risk.seed": ("risk", "seed", "-1", "9223372036854775807"),
}
for _key, (_section, _name, _low, _high) in _INTEGERS.items():
    for _value, _what, _says in (
        ("2027.5", "type", "must be a whole number"),
        ('"2027"', "type", "must be a whole number"),
        ("true", "type", "must be a whole number"),
        (_low, "range", "must be at least"),
        (_high, "range", "must be at most"),
    ):
        if _key == "risk.seed" and _value == _high:
            continue  # TOML cannot write an integer beyond 2**63 - 1: the bound is the format's
        _SCENARIO.append((_key, _section, f"{_name} = {_value}", _what, _says))
_SCENARIO += [
    ("end_year", "", "start_year = 2030\nend_year = 2028", "range", "before start_year"),
    ("min_viable", "", 'min_viable = "false"', "type", "must be true or false"),
    ("min_viable", "", "min_viable = 0", "type", "must be true or false"),
    ("min_viable", "", "min_viable = [true]", "type", "must be true or false"),
    ("name", "", "name = 5", "type", "must be text"),
    ("name", "", 'name = ["a"]', "type", "must be text"),
    ("name", "", f'name = "{"n" * 201}"', "range", "at most 200 characters"),
    ("description", "", "description = 1.5", "type", "must be text"),
    ("description", "", "description = { a = 1 }", "type", "must be text"),
    ("description", "", f'description = "{"d" * 4001}"', "range", "at most 4000 characters"),
    ("excluded_donors", "", 'excluded_donors = "Qatar"', "type", "must be a list"),
    ("excluded_donors", "", "excluded_donors = [1]", "type", "must be text"),
    ("excluded_donors", "", 'excluded_donors = [""]', "range", "must not be empty"),
    ("excluded_donors", "", 'excluded_donors = ["Nobody"]', "range", "no pledge from 'Nobody'"),
    ("solver", "", 'solver = "gurobi"', "range", "must be one of"),
    ("solver", "", "solver = 1", "type", "must be one of"),
    ("stability", "", 'stability = "closest"', "range", "must be one of"),
    ("stability", "", "stability = true", "type", "must be one of"),
    ("stability_reference", "", "stability_reference = 3", "type", "must be text"),
    (
        "stability_reference",
        "",
        f'stability_reference = "{"r" * 201}"',
        "range",
        "at most 200 characters",
    ),
    ("weights", "", "weights = 5", "type", "must be a table of settings"),
    ("targets", "", 'targets = "x"', "type", "must be a table of settings"),
    ("risk", "", "risk = [1]", "type", "must be a table of settings"),
    ("bogus", "", "bogus = 1", "key", "unknown scenario key"),
    ("weights.bogus", "weights", "bogus = 1", "key", "unknown scenario key"),
    ("targets.bogus", "targets", "bogus = 0.1", "key", "unknown scenario key"),
    ("risk.bogus", "risk", "bogus = 1", "key", "unknown scenario key"),
    ("weights.tier", "weights", "tier = 5", "type", "must be a table of settings"),
    (
        "weights.tier",
        "weights.tier",
        "1 = 8.0\n2 = 4.0\n3 = 2.0\n4 = 1.0\n5 = 1.0",
        "key",
        "unknown tier 5",
    ),
    ("weights.tier", "weights.tier", "1 = 8.0\n2 = 4.0", "key", "missing tier 3"),
    (
        "weights.tier.2",
        "weights.tier",
        '1 = 8.0\n2 = "x"\n3 = 2.0\n4 = 1.0',
        "type",
        "must be a number",
    ),
    (
        "weights.tier.2",
        "weights.tier",
        "1 = 8.0\n2 = -4.0\n3 = 2.0\n4 = 1.0",
        "range",
        "at least 0",
    ),
    ("weights.tier.2", "weights.tier", "1 = 8.0\n2 = inf\n3 = 2.0\n4 = 1.0", "type", "finite"),
    ("weights.tier.one", "weights.tier", "one = 8.0", "key", "key must be a whole number"),
    ("weights.criteria", "weights", "criteria = [1]", "type", "must be a table of settings"),
    ("weights.criteria.looks", "weights.criteria", "looks = 1.0", "key", "not a criterion"),
    (
        "weights.criteria.innovation",
        "weights.criteria",
        'innovation = "high"',
        "type",
        "must be a number",
    ),
    ("weights.criteria.innovation", "weights.criteria", "innovation = -2.0", "range", "at least 0"),
    ("risk.status_probability", "risk", "status_probability = 0.5", "type", "must be a table"),
    (
        "risk.status_probability.promised",
        "risk.status_probability",
        "promised = 0.5",
        "key",
        "not a pledge status",
    ),
    ("risk.status_probability.paid", "risk.status_probability", "paid = 1.5", "range", "at most 1"),
    (
        "risk.status_probability.paid",
        "risk.status_probability",
        'paid = "sure"',
        "type",
        "must be a number",
    ),
    ("risk.donor_probability", "risk", 'donor_probability = "Qatar"', "type", "must be a table"),
    (
        "risk.donor_probability.Norway",
        "risk.donor_probability",
        "Norway = 2.0",
        "range",
        "at most 1",
    ),
    ("risk.donor_probability.Norway", "risk.donor_probability", "Norway = nan", "type", "finite"),
    (
        "risk.donor_probability.Nobody",
        "risk.donor_probability",
        "Nobody = 0.0",
        "range",
        "no pledge from 'Nobody'",
    ),
    ("(toml)", "", "mip_gap = = 1", "type", "not valid TOML"),
]

for _i, (_key, _section, _line, _what, _says) in enumerate(_SCENARIO):
    _text = _toml(_section, _line) if "\n" not in _line or _section else _line + "\n"
    CASES.append(
        Case(
            f"scenario_{_i:03d}_{_key.replace('.', '_')}_{_what}",
            "wrong types for every scenario key",
            "scenario",
            lambda folder, text=_text, i=_i: _scenario_file(folder / f"scenario{i:03d}.toml", text),
            (_key, _says) if not _key.startswith("(") else (_says,),
            key=_key,
            what=_what,
        )
    )


def _scenario_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
