"""Input limits: the documented bounds on what the readers accept, and the checks that hold them.

Every file a user gives (programmes, pledges, donors, exchange rates — from the command line or
the dashboard's upload) is read within these bounds, so no input can take more than a bounded
time and memory: each limit is checked *before* the expensive step it protects, and breaking
one is a :class:`LimitExceeded` with a message for people (the readers add the file's name).
The README's "Limits" section lists them; change them here only.

What is checked, and where:

- a file's size, before its bytes are read (:func:`check_file_bytes`);
- an xlsx (a zip of XML parts) is opened only when its central directory is within the limits
  (:func:`check_archive`: number of parts, each part's uncompressed size and compression ratio,
  all parts together), and every part is read through a :class:`BoundedStream`, which counts
  the bytes really decompressed — a zip's recorded sizes can lie;
- rows, columns and cells, one counter per sheet (:class:`SheetBudget`, called once per row: the
  readers do no per-cell work for the limits beyond building the row they build anyway);
- a cell's text (:data:`FIELD_CHARS`): csv readers pass it to ``csv.field_size_limit``
  (:func:`csv_field_limit`), the xlsx reader turns a longer cell into a row error.

The xlsx reader also refuses any XML part with a document type declaration (``<!DOCTYPE``),
checked with the XML parser itself before the part is parsed: SpreadsheetML never has one, and
entity declarations are how "billion laughs" and external-entity attacks work.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable
from typing import IO

__all__ = [
    "ARCHIVE_BYTES",
    "CELLS",
    "COLUMNS",
    "COMPRESSION_RATIO",
    "FIELD_CHARS",
    "FILE_BYTES",
    "PARTS",
    "PART_BYTES",
    "RATIO_FROM_BYTES",
    "ROWS",
    "ROW_NUMBER",
    "TREE_PART_BYTES",
    "BoundedStream",
    "LimitExceeded",
    "SheetBudget",
    "check_archive",
    "check_file_bytes",
    "column_letter",
    "csv_field_limit",
    "size_text",
]

_MIB = 1024 * 1024

#: Largest file accepted (xlsx or csv), in bytes.
FILE_BYTES = 32 * _MIB
#: Largest uncompressed size of one part (one XML file) of an xlsx.
PART_BYTES = 64 * _MIB
#: Largest uncompressed size of all the parts of an xlsx together.
ARCHIVE_BYTES = 128 * _MIB
#: Most parts (files inside the zip) an xlsx may have.
PARTS = 10_000
#: Largest structural part of an xlsx (the workbook, relationships, styles), which is parsed as
#: a whole tree (about 17 times its size in memory); sheets and shared strings above this size
#: are streamed instead, within PART_BYTES.
TREE_PART_BYTES = 8 * _MIB
#: Highest compression ratio (uncompressed / compressed) of a part ...
COMPRESSION_RATIO = 100
#: ... once it is this large uncompressed (small parts may compress any amount, harmlessly).
RATIO_FROM_BYTES = 1 * _MIB
#: Most rows holding data in one sheet (or csv file); blank rows are not counted.
ROWS = 100_000
#: Highest row number a sheet may use: Excel's last row.
ROW_NUMBER = 1_048_576
#: Most columns a row may span (column AMJ).
COLUMNS = 1_024
#: Most cells one sheet's rows may span together (each row counts its width).
CELLS = 5_000_000
#: Longest text of one cell: Excel's own limit.
FIELD_CHARS = 32_767


class LimitExceeded(Exception):
    """An input breaks one of the limits; the message says which and by how much.

    ``part`` is the xlsx part, ``row`` the spreadsheet row and ``column`` its letter (or csv
    column number), where known; the readers add the file and sheet.
    """

    def __init__(
        self,
        message: str,
        *,
        part: str = "",
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.part = part
        self.row = row
        self.column = column


def size_text(n: int) -> str:
    """A byte count for people: "64 MB", "1.5 GB", "812 bytes"."""
    if n < 1024:
        return f"{n} bytes"
    for unit, scale in (("GB", 1024**3), ("MB", _MIB), ("KB", 1024)):
        if n >= scale:
            value = n / scale
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value.is_integer()
                else f"{value:.1f} {unit}"
            )
    raise AssertionError("unreachable")


def column_letter(index: int) -> str:
    """Excel's letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_file_bytes(size: int) -> None:
    """Refuse a file larger than :data:`FILE_BYTES` (call before reading it)."""
    if size > FILE_BYTES:
        raise LimitExceeded(
            f"the file is {size_text(size)}; the limit is {size_text(FILE_BYTES)} "
            "(split it into smaller files)"
        )


def check_archive(parts: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse an xlsx whose central directory breaks a limit: too many parts, a part too large
    or too compressed, all parts together too large (call before reading any part)."""
    total = 0
    for count, info in enumerate(parts, 1):
        if count > PARTS:
            raise LimitExceeded(f"the workbook has more than {PARTS:,} parts (a zip bomb?)")
        _check_part(info.filename, info.file_size, info.compress_size, recorded=True)
        total += info.file_size
        if total > ARCHIVE_BYTES:
            raise LimitExceeded(
                f"the workbook's parts add up to more than {size_text(ARCHIVE_BYTES)} "
                "uncompressed (a zip bomb?)"
            )


def _check_part(name: str, size: int, compressed: int, *, recorded: bool) -> None:
    how = "records" if recorded else "unpacks to"
    if size > PART_BYTES:
        raise LimitExceeded(
            f"part {name} {how} {size_text(size)} uncompressed; the limit is "
            f"{size_text(PART_BYTES)} per part (a zip bomb?)",
            part=name,
        )
    if size > RATIO_FROM_BYTES and size > COMPRESSION_RATIO * max(compressed, 1):
        raise LimitExceeded(
            f"part {name} {how} {size_text(size)} from {size_text(compressed)} compressed, "
            f"more than {COMPRESSION_RATIO}x; a workbook never compresses that much "
            "(a zip bomb?)",
            part=name,
        )


class BoundedStream:
    """A part of a zip, read with the bytes really decompressed counted against the limits
    (the recorded sizes were checked by :func:`check_archive`, but they can lie)."""

    _CHUNK = 1024 * 1024

    def __init__(self, raw: IO[bytes], name: str, compressed: int) -> None:
        self._raw = raw
        self.name = name
        self._compressed = compressed
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            chunks = []
            while chunk := self.read(self._CHUNK):
                chunks.append(chunk)
            return b"".join(chunks)
        data = self._raw.read(n)
        self.count += len(data)
        if self.count > RATIO_FROM_BYTES:
            _check_part(self.name, self.count, self._compressed, recorded=False)
        return data


class SheetBudget:
    """The rows and cells read so far from one sheet or csv file, checked once per row.

    Readers call :meth:`row` for every row that holds data, *before* building it, with the
    width the row will have (one past its rightmost cell): a row claiming column ZZZ or the
    millionth row is refused without allocating anything.
    """

    __slots__ = ("cells", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0

    def row(self, number: int, width: int) -> None:
        self.rows += 1
        self.cells += width
        if width > COLUMNS or self.rows > ROWS or self.cells > CELLS:
            self._refuse(number, width)

    def _refuse(self, number: int, width: int) -> None:
        if width > COLUMNS:
            letter = column_letter(width - 1)
            raise LimitExceeded(
                f"row {number} has a cell in column {letter}, beyond the {COLUMNS:,} columns "
                f"accepted (the last is {column_letter(COLUMNS - 1)})",
                row=number,
                column=letter,
            )
        if self.rows > ROWS:
            raise LimitExceeded(
                f"more than {ROWS:,} rows with data (row {number} is one too many); split the file",
                row=number,
            )
        raise LimitExceeded(
            f"the rows span more than {CELLS:,} cells (at row {number}); split the file",
            row=number,
        )


def csv_field_limit() -> None:
    """Make the csv module refuse fields longer than :data:`FIELD_CHARS` (process-wide; every
    csv reader of the product calls this before reading)."""
    csv.field_size_limit(FIELD_CHARS)
