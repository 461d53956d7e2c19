"""Reading users' spreadsheets (xlsx and csv) into rows with canonical column names.

Users' files arrive in many shapes, so this module is forgiving about layout and strict about
content:

- the header row is found by looking for known column names in the first rows, so title rows
  above it ("Pledges received — Q3", blank lines, merged banners) are skipped;
- headers match case-insensitively, ignoring spaces, underscores and hyphens, and through the
  documented aliases in :data:`ALIASES` (``Funder`` -> ``donor``);
- an optional HXL hashtag row (``#org+funder``, ``#value+usd``) directly under the header, or in
  place of it, maps columns too;
- every data row keeps its spreadsheet row number as Excel shows it, so errors can point at it;
- every file is read within the documented limits of :mod:`appeal.limits` (size, rows, columns,
  cells, field length; for xlsx, the zip's parts: see :mod:`appeal.xlsx_reader`), checked before
  the expensive step, so no file takes unbounded time or memory. Hidden sheets are never read
  unless a caller names them.

Cell parsers (:func:`parse_amount`, :func:`parse_year`, ...) turn one cell into a value or raise
:class:`CellError` with a message for people. Nothing here knows about pledges' business rules;
:mod:`appeal.importer` applies those.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import itertools
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appeal import limits, xlsx_reader
from appeal.xlsx_reader import ERROR_VALUES, BadCell
from models import contract

#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30
#: Longest accepted text for names (donor, programme name); longer is a row error.
MAX_NAME_LENGTH = contract.NAME_LENGTH
#: Longest accepted code (line_id, pledge_id, currency ...).
MAX_CODE_LENGTH = contract.CODE_LENGTH

# The maps below are derived once, at import, from the table contract (models.contract): the
# reader holds no column list of its own.
_FILE_TABLES = {t.name: t for t in contract.TABLES.values() if t.in_files}

#: Canonical column -> accepted header spellings (compared after :func:`header_key`).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    t.name: {c.name: c.aliases for c in t.file_columns} for t in _FILE_TABLES.values()
}
#: Columns a header row must contain for each kind of table.
REQUIRED: dict[str, tuple[str, ...]] = {t.name: t.anchors for t in _FILE_TABLES.values()}
#: Columns whose name carries a year (amount_2027, req_2028) or a criterion (score_innovation):
#: (pattern on the header key, canonical name template).
PATTERNS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    t.name: tuple((re.compile(rx), p.name) for p in t.patterns for rx in p.regexes)
    for t in _FILE_TABLES.values()
    if t.patterns
}
# Zero-width and other invisible formatting characters that sneak in through copy-paste
# (soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width space / joiners,
# left-to-right and right-to-left marks, word joiner and invisible operators, byte-order mark,
# tag characters): removed from text.
_INVISIBLE = dict.fromkeys(
    [
        *map(ord, "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\ufeff"),
        *range(0x2060, 0x2065),
        *range(0xE0000, 0xE0080),
    ],
    None,
)
# Bidirectional embeddings, overrides and isolates can make a name display as another
# ("Nor\u202eyaw" shows as "Norway"): refused in text, never silently kept.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


class SpreadsheetError(Exception):
    """A whole file or sheet cannot be read (not a row problem)."""

    def __init__(
        self,
        file: str,
        sheet: str,
        message: str,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.message = message


class CellError(ValueError):
    """One cell's value is not acceptable; the message is for people."""


@dataclass
class Table:
    """Rows of one sheet, with canonical column names and Excel row numbers."""

    file: str
    sheet: str
    header_row: int
    columns: dict[str, int]  # canonical name -> 0-based column index
    headers: dict[str, str]  # canonical name -> header text as written (for messages)
    rows: list[tuple[int, tuple[Any, ...]]]  # (excel row, cell values)
    ignored: list[str] = field(default_factory=list)  # headers that matched nothing
    header_values: tuple[str, ...] = ()  # normalised header keys, to spot repeated headers
    # (column, type, value) -> (ok, parsed value or error message): parse each value once
    cache: dict[tuple[str, type, Any], tuple[bool, Any]] = field(default_factory=dict)

    def get(self, values: tuple[Any, ...], column: str) -> Any:
        i = self.columns.get(column)
        if i is None or i >= len(values):
            return None
        return values[i]

    @functools.cached_property
    def first_column(self) -> int:
        """Index of the leftmost known column."""
        return min(self.columns.values())

    def is_repeated_header(self, values: tuple[Any, ...]) -> bool:
        if not self.header_values:
            return False
        # Cheap first test on one known column before comparing the whole row.
        first = self.first_column
        if first >= len(values) or not isinstance(values[first], str):
            return False
        if header_key(values[first]) != self.header_values[first]:
            return False
        keys = tuple(header_key(v) for v in values)
        return keys[: len(self.header_values)] == self.header_values


# -- text helpers ---------------------------------------------------------------------------
def clean_text(value: Any) -> str:
    """Text of a cell with invisible characters removed and whitespace collapsed."""
    if value is None:
        return ""
    if type(value) is str and value.isascii():
        # Fast path (most cells): plain ASCII needs only trimming and space collapsing.
        text = value.strip()
        if "  " in text or "\t" in text or "\n" in text or "\r" in text:
            text = _SPACES.sub(" ", text)
        return text
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


_KEY_STRIP = re.compile(r"[\s_\-./()]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def header_key(value: Any) -> str:
    """Header spelling used for matching: case-folded, without spaces, underscores, hyphens."""
    if type(value) is str and len(value) <= 64:
        return _header_key_cached(value)  # the same few spellings repeat on every row
    return _KEY_STRIP.sub("", clean_text(value).casefold())


@functools.lru_cache(maxsize=4096)
def _header_key_cached(value: str) -> str:
    return _KEY_STRIP.sub("", clean_text(value).casefold())


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        text = value.strip()
        if not text:
            return True
        # Only non-ASCII text can consist of invisible characters alone.
        return not text.isascii() and not text.translate(_INVISIBLE).strip()
    return isinstance(value, float) and math.isnan(value)


def check_formula(value: Any) -> None:
    """Formulas (and CSV injection) are refused: the register stores values, not code. So are
    cells that hold no value (Excel error values such as ``#N/A``, typed or computed, and the
    reader's :class:`~appeal.xlsx_reader.BadCell`). Every cell parser calls this first."""
    if isinstance(value, str):
        text = value.lstrip()
        if text.startswith("="):
            raise CellError("formula not allowed; paste values")
        if text.startswith("#") and text.rstrip().upper() in ERROR_VALUES:
            raise CellError(
                f"Excel error value {text.rstrip()}; fix what the formula refers to, or clear "
                "the cell"
            )
    elif type(value) is BadCell:
        raise CellError(value.reason)


def parse_text(value: Any, *, what: str, max_length: int = MAX_NAME_LENGTH) -> str:
    check_formula(value)
    if isinstance(value, bool):
        raise CellError(f"{what} must be text, got {value}")
    if isinstance(value, dt.datetime | dt.date):
        raise CellError(f"{what} must be text, got a date")
    text = clean_text(value)
    if len(text) > max_length:
        raise CellError(f"{what} is {len(text)} characters long; the limit is {max_length}")
    if _CONTROL.search(text):
        raise CellError(f"{what} contains control characters")
    if not text.isascii() and _BIDI.search(text):
        raise CellError(
            f"{what} contains bidirectional control characters (U+202A-U+202E, U+2066-U+2069), "
            "which can make text display as something else; remove them"
        )
    return text


def parse_code(value: Any, *, what: str) -> str:
    """A code (line_id, pledge_id): text without inner spaces trimmed of stray unicode."""
    return parse_text(value, what=what, max_length=MAX_CODE_LENGTH)


_MULTIPLIERS = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
#: Currency symbols written in amounts, and the ISO code each stands for.
CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_NUMBER = r"(?:\d{1,3}(?:[,\u00a0 ]\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_AMOUNT = re.compile(
    rf"^(?P<neg>-)?\s*(?P<pre>[A-Za-z]{{3}}|US\$|[$€£¥])?\s*(?P<neg2>-)?\s*(?P<num>{_NUMBER})\s*"
    rf"(?P<mult>k|thousand|m|mn|mio|millions?|b|bn|billion)?\s*(?P<post>[A-Za-z]{{3}})?$",
    re.IGNORECASE,
)


def _finite(value: int | float) -> bool:
    """True for a number that is finite as a float (an int too large for one is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def parse_amount(value: Any, *, what: str = "amount") -> tuple[float, str | None]:
    """A money amount and the currency written inside it, if any.

    Accepts numbers and text such as ``1,250,000``, ``USD 2m``, ``EUR 1.5 million``, ``2.5k``,
    ``$300,000``. Rejects anything else with a message naming the text.
    """
    check_formula(value)
    if isinstance(value, bool):
        raise CellError(f"{what} must be a number, got {value}")
    if isinstance(value, int | float):
        if not _finite(value):
            raise CellError(f"{what} must be a finite number")
        return float(value), None
    if isinstance(value, dt.datetime | dt.date):
        raise CellError(f"{what} must be a number, got a date")
    text = clean_text(value)
    if not text:
        raise CellError(f"{what} is blank")
    if text.startswith("(") and text.endswith(")"):  # accounting negative: (1,000)
        text = "-" + text[1:-1].strip()
    m = _AMOUNT.match(text)
    if m is None:
        raise CellError(
            f"{what} {text!r} is not a number (examples: 1250000, 1,250,000, USD 2m, 2.5k)"
        )
    pre, post = m.group("pre"), m.group("post")
    if pre and post:
        raise CellError(f"{what} {text!r} names a currency twice")
    code = pre or post
    currency = (CURRENCY_SYMBOLS.get(code.upper()) or code.upper()) if code else None
    number = float(re.sub(r"[,\u00a0 ]", "", m.group("num")))
    mult = _MULTIPLIERS[(m.group("mult") or "").lower()]
    sign = -1.0 if (m.group("neg") or m.group("neg2")) else 1.0
    if not math.isfinite(number * mult):
        raise CellError(f"{what} {text[:40]!r} is too large to be a number")
    return sign * number * mult, currency


def parse_number(value: Any, *, what: str) -> float:
    """A plain number (no currency); percentages like ``13%`` become fractions."""
    check_formula(value)
    if isinstance(value, str) and clean_text(value).endswith("%"):
        try:
            return float(clean_text(value)[:-1].replace(",", "")) / 100.0
        except ValueError:
            raise CellError(f"{what} {clean_text(value)!r} is not a percentage") from None
    amount, currency = parse_amount(value, what=what)
    if currency is not None:
        raise CellError(f"{what} must be a plain number, got {clean_text(value)!r}")
    return amount


_YEAR_TEXT = re.compile(r"^(?:FY|CY)?\s*(\d{4})$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
MIN_YEAR, MAX_YEAR = contract.FIRST_YEAR, contract.LAST_YEAR


def parse_year(value: Any, *, what: str = "year") -> int:
    """A calendar year: 2027, "2027", "FY2027", or a date (its year).

    Dates written as text are accepted only when unambiguous about the year (ISO ``2027-01-15``
    or ``15/01/2027``); other text is refused rather than guessed.
    """
    check_formula(value)
    if isinstance(value, bool):
        raise CellError(f"{what} must be a year like 2027, got {value}")
    if isinstance(value, dt.datetime | dt.date):
        year = value.year
    elif isinstance(value, int | float):
        if not _finite(value) or not float(value).is_integer():
            raise CellError(f"{what} must be a whole year like 2027, got {value}")
        year = int(value)
    else:
        text = clean_text(value)
        if not text:
            raise CellError(f"{what} is blank")
        m = _YEAR_TEXT.match(text) or _ISO_DATE.match(text) or _DMY_DATE.match(text)
        if m is None:
            raise CellError(f"{what} must be a year like 2027, got {text!r}")
        if m.re is _DMY_DATE:
            year = int(m.group(3))
            if not (1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 31):
                raise CellError(f"{what} {text!r} is not a valid date")
        else:
            year = int(m.group(1))
            if m.re is _ISO_DATE:
                try:
                    dt.date(year, int(m.group(2)), int(m.group(3)))
                except ValueError:
                    raise CellError(f"{what} {text!r} is not a valid date") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"{what} {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return year


def parse_int(value: Any, *, what: str) -> int:
    number = parse_number(value, what=what)
    if not float(number).is_integer():
        raise CellError(f"{what} must be a whole number, got {number:g}")
    return int(number)


_TRUE = {"yes", "y", "true", "1", "x", "confidential", "anonymous"}
_FALSE = {"no", "n", "false", "0", "", "public"}


def parse_bool(value: Any, *, what: str) -> bool:
    check_formula(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = clean_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{what} must be yes or no, got {clean_text(value)!r}")


def parse_choice(value: Any, *, what: str, choices: dict[str, str]) -> str:
    """One of a fixed set of values, case/space/underscore-insensitive (``choices`` maps the
    :func:`header_key` of each accepted spelling to the canonical value)."""
    check_formula(value)
    text = clean_text(value)
    key = header_key(text)
    if key in choices:
        return choices[key]
    shown = sorted(set(choices.values()), key=list(choices.values()).index)
    if not text:
        raise CellError(f"{what} is blank; expected one of {', '.join(shown)}")
    raise CellError(f"unknown {what} {text!r}; expected one of {', '.join(shown)}")


# -- reading files ---------------------------------------------------------------------------
def _hxl_key(value: Any) -> str | None:
    text = clean_text(value).casefold().replace(" ", "")
    if not text.startswith("#"):
        return None
    tag, *attrs = text.split("+")
    return "+".join([tag, *sorted(a for a in attrs if a)])


def alias_lookup(
    table: contract.Table, profile: contract.ImportProfile | None = None
) -> dict[str, str]:
    """Header key -> canonical column of one table: each column's name, then its aliases (a
    spelling two columns claim belongs to the first), then an import profile's headers (which
    win: the profile says what its layout means)."""
    lookup: dict[str, str] = {}
    for column in table.file_columns:
        lookup[header_key(column.name)] = column.name
        for spelling in column.aliases:
            lookup.setdefault(header_key(spelling), column.name)
    if profile is not None:
        for name, spellings in profile.headers.get(table.name, {}).items():
            for spelling in spellings:
                lookup[header_key(spelling)] = name
    return lookup


def hxl_lookup(table: contract.Table) -> dict[str, str]:
    """Normalised HXL hashtag -> canonical column of one table (a column's first hashtag is
    the one the tool writes; the others are accepted too)."""
    return {
        key: column.name
        for column in table.file_columns
        for tag in column.hxl
        if (key := _hxl_key(tag)) is not None
    }


def hxl_patterns(table: contract.Table) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(tag, attribute pattern, canonical name template) of the table's column families that
    carry a hashtag ("#value+y2027" -> amount_2027)."""
    out = []
    for family in table.patterns:
        if not family.hxl:
            continue
        tag, _, attribute = family.hxl.casefold().partition("+")
        before, _, after = attribute.partition("{}")
        rx = re.compile("^" + re.escape(before) + r"(\d{4})" + re.escape(after) + "$")
        out.append((tag, rx, family.name))
    return tuple(out)


# Derived once from the contract (models.contract); per kind of table, and per import profile.
_LOOKUPS: dict[tuple[str, str | None], dict[str, str]] = {
    (name, None): alias_lookup(t) for name, t in _FILE_TABLES.items()
} | {
    (name, p.name): alias_lookup(t, p)
    for name, t in _FILE_TABLES.items()
    for p in contract.PROFILES.values()
}
#: HXL hashtags (tag and attributes, normalised: lower case, attributes sorted) -> column.
HXL: dict[str, dict[str, str]] = {name: hxl_lookup(t) for name, t in _FILE_TABLES.items()}
_HXL_PATTERNS = {name: hxl_patterns(t) for name, t in _FILE_TABLES.items()}


def _match_hxl(kind: str, value: Any) -> str | None:
    key = _hxl_key(value)
    if key is None:
        return None
    table = HXL.get(kind, {})
    if key in table:
        return table[key]
    tag, *attrs = key.split("+")
    for ptag, rx, template in _HXL_PATTERNS.get(kind, ()):
        if ptag == tag:
            for attr in attrs:
                m = rx.match(attr)
                if m:
                    return template.format(m.group(1))
    # Most specific known hashtag whose attributes are all present.
    best: tuple[int, str] | None = None
    for known, column in table.items():
        ktag, *kattrs = known.split("+")
        if ktag == tag and set(kattrs) <= set(attrs) and (best is None or len(kattrs) > best[0]):
            best = (len(kattrs), column)
    return best[1] if best else None


def match_header(kind: str, value: Any, profile: str | None = None) -> str | None:
    """Canonical column for one header cell (read with import ``profile``), or None."""
    key = header_key(value)
    if not key:
        return None
    lookup = _LOOKUPS.get((kind, profile))
    if lookup is None:
        raise ValueError(f"unknown import profile {profile!r} for {kind}")
    column = lookup.get(key)
    if column is not None:
        return column
    for pattern, template in PATTERNS.get(kind, ()):
        m = pattern.match(key)
        if m:
            return template.format(m.group(1))
    return None


def _is_hxl_row(values: tuple[Any, ...]) -> bool:
    cells = [v for v in values if not is_blank(v)]
    return bool(cells) and all(isinstance(v, str) and clean_text(v).startswith("#") for v in cells)


def _decode_csv(data: bytes, file: str) -> str:
    if not data.strip():
        raise SpreadsheetError(file, "", "the file is empty")
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(file, "", "not a text csv file (binary content)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(file, "", "cannot decode the csv file (save it as UTF-8)")


#: One row of a sheet as the readers give it: (spreadsheet row number, cell values).
NumberedRow = tuple[int, tuple[Any, ...]]


def iter_csv_rows(data: bytes, file: str) -> Iterator[tuple[Any, ...]]:
    """The records of a csv file, as tuples of text (blank lines as empty tuples)."""
    text = _decode_csv(data, file)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    limits.csv_field_limit()
    done = 0  # records read so far
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            done += 1
            yield tuple(row)
    except csv.Error as exc:
        row_number = done + 1
        if "field limit" in str(exc):
            raise SpreadsheetError(
                file,
                "",
                f"row {row_number} has a field longer than {limits.FIELD_CHARS:,} characters "
                "(the most one cell may hold)",
                row=row_number,
            ) from None
        raise SpreadsheetError(
            file, "", f"malformed csv at row {row_number}: {exc}", row=row_number
        ) from None


def numbered_rows(records: Iterable[tuple[Any, ...]]) -> Iterator[NumberedRow]:
    """A csv reader's records as (row number, values): numbered from 1, blank records left
    out, each counted against the limits (:class:`appeal.limits.SheetBudget`) first."""
    budget = limits.SheetBudget()
    for number, values in enumerate(records, 1):
        if values:
            budget.row(number, len(values))
            yield number, values


def source_bytes(source: str | Path | bytes, filename: str | None = None) -> tuple[bytes, str]:
    """The file's bytes and the name used in messages; a file over
    :data:`appeal.limits.FILE_BYTES` is refused before it is read."""
    if isinstance(source, bytes | bytearray):
        name = filename or "upload"
        _check_size(len(source), name)
        return bytes(source), name
    path = Path(source)
    name = filename or path.name
    try:
        with path.open("rb") as f:
            _check_size(os.fstat(f.fileno()).st_size, name)
            # One byte more than the limit tells a file that grew while it was read.
            data = f.read(limits.FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpreadsheetError(name, "", f"file not found: {path}") from None
    except IsADirectoryError:
        raise SpreadsheetError(name, "", f"is a directory, not a file: {path}") from None
    except OSError as exc:
        raise SpreadsheetError(name, "", f"cannot read {path}: {exc.strerror}") from None
    _check_size(len(data), name)
    return data, name


def _check_size(size: int, name: str) -> None:
    try:
        limits.check_file_bytes(size)
    except limits.LimitExceeded as exc:
        raise SpreadsheetError(name, "", exc.message) from None


def file_format(filename: str, data: bytes) -> str:
    suffix = Path(filename).suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix == ".xls":
        raise SpreadsheetError(filename, "", "old .xls workbooks are not supported; save as .xlsx")
    if data[:2] == b"PK":
        return "xlsx"
    raise SpreadsheetError(
        filename, "", f"unsupported file type {suffix or '(none)'}; use .xlsx or .csv"
    )


def find_header(
    kind: str,
    rows: Iterable[NumberedRow],
    file: str,
    sheet: str,
    profile: str | None = None,
) -> Table | None:
    """Locate the header among rows 1 to :data:`HEADER_SEARCH_ROWS`; None when this sheet has
    no such header. ``rows`` are (row number, values), blank rows left out."""
    iterator = iter(rows)
    head: list[NumberedRow] = []
    # The header's row and the (HXL) row under it.
    for number, values in iterator:
        if number > HEADER_SEARCH_ROWS + 1:
            iterator = itertools.chain([(number, values)], iterator)
            break
        head.append((number, values))
    required = REQUIRED[kind]
    for i, (number, values) in enumerate(head):
        if number > HEADER_SEARCH_ROWS:
            break
        hxl_row = _is_hxl_row(values)
        columns: dict[str, int] = {}
        headers: dict[str, str] = {}
        ignored: list[str] = []
        duplicates: list[str] = []
        for j, cell in enumerate(values):
            column = _match_hxl(kind, cell) if hxl_row else match_header(kind, cell, profile)
            if column is None:
                if not is_blank(cell):
                    ignored.append(clean_text(cell))
                continue
            if column in columns:
                duplicates.append(f"{headers[column]!r} and {clean_text(cell)!r}")
                continue
            columns[column] = j
            headers[column] = clean_text(cell)
        # A hashtag row right under the header fills columns the header did not name.
        data_start = i + 1
        below = head[i + 1] if i + 1 < len(head) else None
        if not hxl_row and below is not None and below[0] == number + 1 and _is_hxl_row(below[1]):
            for j, cell in enumerate(below[1]):
                column = _match_hxl(kind, cell)
                if column is not None and column not in columns and j not in columns.values():
                    columns[column] = j
                    headers[column] = clean_text(cell)
            data_start = i + 2
        # At least two known columns, so a stray word in a title or note is not a header.
        if not all(c in columns for c in required) or len(columns) < 2:
            continue
        if duplicates:
            raise SpreadsheetError(
                file,
                sheet,
                f"header row {number} names the same column twice: {'; '.join(duplicates)}",
                row=number,
            )
        table_rows = head[data_start:]
        table_rows.extend(iterator)
        return Table(
            file=file,
            sheet=sheet,
            header_row=number,
            columns=columns,
            headers=headers,
            rows=table_rows,
            ignored=ignored,
            header_values=tuple(header_key(v) for v in values),
        )
    return None


def read_table(
    source: str | Path | bytes,
    kind: str,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    required: bool = True,
    profile: str | None = None,
    hidden: bool = False,
) -> Table | None:
    """Read the first sheet holding a ``kind`` table (or the named ``sheet``).

    For workbooks, a sheet named like the kind ("Pledges") is tried first; hidden sheets are
    never read unless ``hidden`` (for a sheet the user names). Headers are matched against the
    contract's spellings and, with ``profile``, that import profile's. Raises
    :class:`SpreadsheetError` when the file cannot be read, breaks a limit of
    :mod:`appeal.limits`, or (``required``) has no header.
    """
    data, name = source_bytes(source, filename)
    fmt = file_format(name, data)
    expected = ", ".join(REQUIRED[kind])
    current = [""]  # the sheet being read, for messages
    with _read_errors(name, current):
        if fmt == "csv":
            if sheet is not None:
                return None  # a csv holds a single table
            rows = numbered_rows(iter_csv_rows(data, name))
            table = find_header(kind, rows, name, "", profile)
            if table is None and required:
                raise SpreadsheetError(
                    name,
                    "",
                    f"no header row with the {kind} columns ({expected}) in the first "
                    f"{HEADER_SEARCH_ROWS} rows",
                )
            return table
        sheets = xlsx_reader.workbook_sheets(data)
        readable = [s for s in sheets if hidden or not s.hidden]
        skipped = [s.title for s in sheets if s not in readable]
        names = [s.title for s in readable]
        if sheet is not None:
            ordered = [s for s in readable if header_key(s.title) == header_key(sheet)]
            if not ordered:
                if required:
                    raise SpreadsheetError(
                        name,
                        sheet,
                        f"the workbook has no sheet {sheet!r} (sheets: {', '.join(names)}"
                        f"{_hidden_note(skipped)})",
                    )
                return None
        else:
            preferred = {header_key(kind), header_key(kind.rstrip("s"))}
            ordered = sorted(readable, key=lambda s: header_key(s.title) not in preferred)
        for candidate in ordered:
            current[0] = candidate.title
            table = find_header(kind, candidate.rows(), name, current[0], profile)
            if table is not None:
                return table
        if required:
            raise SpreadsheetError(
                name,
                "",
                f"no sheet has a header row with the {kind} columns ({expected}) "
                f"(sheets: {', '.join(names) or 'none'}{_hidden_note(skipped)})",
            )
        return None


def first_sheet_rows(data: bytes, file: str) -> list[NumberedRow]:
    """(row number, values) of a csv, or of a workbook's first visible sheet, read within the
    limits like every table: for files that are not a contract table (such as the tailored
    asks' prospects). Raises :class:`SpreadsheetError`."""
    with _read_errors(file, [""]):
        if file_format(file, data) == "csv":
            return list(numbered_rows(iter_csv_rows(data, file)))
        sheets = [s for s in xlsx_reader.workbook_sheets(data) if not s.hidden]
        return list(sheets[0].rows()) if sheets else []


@contextlib.contextmanager
def _read_errors(name: str, sheet: list[str]) -> Iterator[None]:
    """A limit broken or a damaged workbook as a :class:`SpreadsheetError` naming the file
    (and ``sheet[0]``, the sheet being read)."""
    try:
        yield
    except limits.LimitExceeded as exc:
        raise SpreadsheetError(
            name, sheet[0], _with_part(exc.message, exc.part), row=exc.row, column=exc.column
        ) from None
    except xlsx_reader.XlsxError as exc:
        raise SpreadsheetError(name, sheet[0], exc.message, row=exc.row) from None


def _with_part(message: str, part: str) -> str:
    return message if not part or part in message else f"part {part}: {message}"


def _hidden_note(titles: list[str]) -> str:
    if not titles:
        return ""
    return f"; hidden sheets are not read: {', '.join(titles)}"
