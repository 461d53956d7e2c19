"""Reading csv files into rows of text cells, without ever shifting or garbling a field.

Why a reader of its own: ``csv.Sniffer`` guesses the dialect from the first 8 KB, and when no
doubled quote (``""``) appears there it may decide quotes are not doubled — then a real FTS
flow description later in the file gets one field too many and its amount becomes text. Here:

- RFC 4180 quoting is always honoured: ``"`` quotes a field, ``""`` inside it is one quote,
  quoted fields may hold the delimiter and line breaks; a malformed quote is an error naming
  the line (the csv module in strict mode), never a guess;
- the encoding is stated (``--encoding``) or detected: a byte-order mark (UTF-8, UTF-16,
  UTF-32), UTF-16 without one (every other byte zero), else UTF-8, else cp1252 — a file that is
  none of them is refused, not decoded into mojibake;
- the delimiter is stated (``--delimiter``) or detected from the whole sample (up to
  :data:`SAMPLE_CHARS`): each candidate (``, ; tab |``) splits the sample with the quoting
  rules above, and the one that gives the most records the same number (2 or more) of fields
  wins, ties going to the order above; an Excel ``sep=;`` first line is obeyed;
- the decimal convention is stated (``--decimal``) or detected from every number in the sample
  (:mod:`appeal.numbers`); a sample that proves both conventions is refused with the two cells
  named.

The field count of each row is kept as read: :mod:`appeal.importer` refuses a data row whose
count differs from its header's (``Table.exact_width``), naming the row.

Every csv is read within the documented limits (:mod:`appeal.limits`): file size, field length
(the csv module's own limit), rows and columns.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from appeal import limits
from appeal.numbers import COMMA, POINT, Decimal, evidence
from appeal.spreadsheet import NumberedRow, SpreadsheetError

__all__ = ["DELIMITERS", "SAMPLE_CHARS", "CsvFile", "CsvOptions", "read_csv"]

#: Delimiters tried when none is stated, in order of preference for ties.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: How much of the file (characters) the delimiter and decimal detection look at.
SAMPLE_CHARS = 1024 * 1024
#: Names users may give for the delimiter on the command line.
DELIMITER_NAMES: dict[str, str] = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class CsvOptions:
    """What the user stated about a csv file (None: detect it)."""

    delimiter: str | None = None
    encoding: str | None = None
    decimal: Decimal | None = None

    def __post_init__(self) -> None:
        if self.delimiter is not None:
            named = DELIMITER_NAMES.get(self.delimiter.casefold(), self.delimiter)
            named = "\t" if named == "\\t" else named
            if len(named) != 1 or named in '"\r\n':
                raise ValueError(
                    f"delimiter {self.delimiter!r} must be one character (or comma, semicolon, "
                    "tab, pipe)"
                )
            object.__setattr__(self, "delimiter", named)
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"unknown encoding {self.encoding!r}") from None
        if self.decimal not in (None, POINT, COMMA):
            raise ValueError(f"decimal must be . or , (got {self.decimal!r})")


@dataclass
class CsvFile:
    """A csv file's rows and how they were read (each detected or as stated)."""

    rows: Iterator[NumberedRow]  # (record number, fields), blank lines left out
    delimiter: str
    encoding: str
    decimal: Decimal


def read_csv(data: bytes, file: str, options: CsvOptions | None = None) -> CsvFile:
    """Decode ``data`` and return its rows (lazily) with the delimiter, encoding and decimal
    convention used. Raises :class:`SpreadsheetError` naming the file (and line) when the file
    cannot be read as csv."""
    options = options or CsvOptions()
    try:
        limits.check_file_bytes(len(data))
    except limits.LimitExceeded as exc:
        raise SpreadsheetError(file, "", exc.message) from None
    text, encoding = _decode(data, file, options.encoding)
    sample = text[:SAMPLE_CHARS]
    truncated = len(text) > SAMPLE_CHARS
    limits.csv_field_limit()
    delimiter = options.delimiter or _sep_line(sample) or _detect_delimiter(sample, truncated)
    decimal = options.decimal or _detect_decimal(sample, truncated, delimiter, file)
    return CsvFile(_rows(text, delimiter, file), delimiter, encoding, decimal)


def _decode(data: bytes, file: str, encoding: str | None) -> tuple[str, str]:
    if not data.strip():
        raise SpreadsheetError(file, "", "the file is empty")
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SpreadsheetError(
                file,
                "",
                f"the file is not {encoding}: byte {exc.start} (line {line}) cannot be decoded",
                row=line,
            ) from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                raise SpreadsheetError(
                    file, "", f"the file starts like {name} but is not valid {name}"
                ) from None
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without a byte-order mark: text whose every other byte is zero.
        even, odd = head[0::2], head[1::2]
        for name, zeros in (("utf-16-le", odd), ("utf-16-be", even)):
            if zeros.count(0) >= 0.9 * len(zeros):
                try:
                    return data.decode(name), name
                except UnicodeDecodeError:
                    break
        raise SpreadsheetError(file, "", "not a text csv file (binary content)")
    for name in ("utf-8", "cp1252"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(
        file,
        "",
        "cannot decode the csv file: it is not UTF-8, UTF-16 or cp1252 "
        "(save it as UTF-8, or state its encoding with --encoding)",
    )


def _reader(text: str, delimiter: str, *, strict: bool) -> Any:
    return csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=strict,
    )


def _sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    """The sample's records as ``delimiter`` splits them (the last, cut-off one dropped)."""
    records: list[list[str]] = []
    try:
        for record in _reader(sample, delimiter, strict=False):
            records.append(record)
    except csv.Error:
        pass  # e.g. a field longer than the limit: the full read reports it
    if truncated and records:
        records.pop()
    return [r for r in records if any(cell.strip() for cell in r)]


def _sep_line(sample: str) -> str | None:
    """The delimiter an Excel ``sep=;`` first line names, if there is one."""
    first = sample.lstrip("\ufeff").split("\n", 1)[0].strip().strip('"')
    if first.casefold().startswith("sep=") and len(first) == 5:
        return first[4]
    return None


def _detect_delimiter(sample: str, truncated: bool) -> str:
    best: tuple[int, int] | None = None
    chosen = DELIMITERS[0]
    for rank, delimiter in enumerate(DELIMITERS):
        if delimiter not in sample:
            continue
        counts = Counter(len(r) for r in _sample_records(sample, delimiter, truncated))
        if not counts:
            continue
        width, consistent = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if width < 2:
            continue
        score = (consistent, -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


def _detect_decimal(sample: str, truncated: bool, delimiter: str, file: str) -> Decimal:
    """The convention the sample's numbers prove (point when they prove none)."""
    first: dict[Decimal, tuple[int, str]] = {}
    for number, record in enumerate(_sample_records(sample, delimiter, truncated), start=1):
        for cell in record:
            found = evidence(cell)
            if found is not None and found not in first:
                first[found] = (number, cell.strip())
        if len(first) == 2:
            (_, (r1, c1)), (_, (r2, c2)) = sorted(first.items(), key=lambda kv: kv[1][0])
            raise SpreadsheetError(
                file,
                "",
                f"the file writes numbers with both decimal conventions ({c1!r} in record {r1}, "
                f"{c2!r} in record {r2}); state the convention with --decimal . or --decimal ,",
            )
    return next(iter(first), POINT)


def _rows(text: str, delimiter: str, file: str) -> Iterator[NumberedRow]:
    reader = _reader(text, delimiter, strict=True)
    budget = limits.SheetBudget()
    number = 0  # the record's number: the row a spreadsheet program shows it in
    try:
        for record in reader:
            number += 1
            if record:  # a blank line holds no record
                budget.row(number, len(record))
                yield number, tuple(record)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise SpreadsheetError(
                file,
                "",
                f"row {number + 1} has a field longer than {limits.FIELD_CHARS:,} characters "
                "(the most one cell may hold)",
                row=number + 1,
            ) from None
        raise SpreadsheetError(
            file,
            "",
            f"malformed csv at line {reader.line_num}: {exc} (a quote inside a quoted field "
            'must be doubled: "")',
            row=reader.line_num,
        ) from None
    except limits.LimitExceeded as exc:
        raise SpreadsheetError(file, "", exc.message, row=exc.row, column=exc.column) from None
