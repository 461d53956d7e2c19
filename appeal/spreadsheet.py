"""Reading users' spreadsheets (xlsx and csv) into rows with canonical column names.

Users' files arrive in many shapes, so this module is forgiving about layout and strict about
content:

- the header row is found by looking for known column names in the first rows, so title rows
  above it ("Pledges received — Q3", blank lines, merged banners) are skipped;
- headers match case-insensitively, ignoring spaces, underscores and hyphens, and through the
  documented aliases in :data:`ALIASES` (``Funder`` -> ``donor``);
- an optional HXL hashtag row (``#org+funder``, ``#value+usd``) directly under the header, or in
  place of it, maps columns too;
- every data row keeps its spreadsheet row number as Excel shows it, so errors can point at it.

Cell parsers (:func:`parse_amount`, :func:`parse_year`, ...) turn one cell into a value or raise
:class:`CellError` with a message for people. Nothing here knows about pledges' business rules;
:mod:`appeal.importer` applies those.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models import contract

if TYPE_CHECKING:
    from appeal.csv_reader import CsvOptions

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
# Zero-width and other invisible characters that sneak in through copy-paste.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


class SpreadsheetError(Exception):
    """A whole file or sheet cannot be read (not a row problem)."""

    def __init__(self, file: str, sheet: str, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.sheet = sheet
        self.row = row
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
    # csv: every data row must have the header's field count (a different count means a field
    # was split or merged; appeal.importer refuses the row rather than shift its cells)
    exact_width: bool = False
    decimal: str = "."  # the file's decimal convention (appeal.numbers)
    # column -> currency its amounts are in, from the header or an HXL attribute (+usd)
    units: dict[str, str] = field(default_factory=dict)
    # row -> what is wrong with it as a whole, found before its cells are read (a layout's
    # rules ran first: appeal.profiles)
    row_errors: dict[int, str] = field(default_factory=dict)
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
    """Formulas (and CSV injection) are refused: the register stores values, not code."""
    if isinstance(value, str) and value.lstrip().startswith("="):
        raise CellError("formula not allowed; paste values")


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


def parse_amount(value: Any, *, what: str = "amount") -> tuple[float, str | None]:
    """A money amount and the currency written inside it, if any.

    Accepts numbers and text such as ``1,250,000``, ``USD 2m``, ``EUR 1.5 million``, ``2.5k``,
    ``$300,000``. Rejects anything else with a message naming the text.
    """
    check_formula(value)
    if isinstance(value, bool):
        raise CellError(f"{what} must be a number, got {value}")
    if isinstance(value, int | float):
        if not math.isfinite(float(value)):
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
        if not math.isfinite(float(value)) or not float(value).is_integer():
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


# Derived once from the contract (models.contract); per kind of table, and per import profile.
_LOOKUPS: dict[tuple[str, str | None], dict[str, str]] = {
    (name, None): alias_lookup(t) for name, t in _FILE_TABLES.items()
} | {
    (name, p.name): alias_lookup(t, p)
    for name, t in _FILE_TABLES.items()
    for p in contract.PROFILES.values()
}
#: Header keys an import profile's layout has and the planner does not use (not warned about).
_PROFILE_IGNORED: dict[tuple[str, str | None], frozenset[str]] = {
    (name, p.name): frozenset(header_key(h) for h in p.table(name).ignored)
    for name in _FILE_TABLES
    for p in contract.PROFILES.values()
}
#: HXL hashtags (tag and attributes, normalised: lower case, attributes sorted) -> column.
HXL: dict[str, dict[str, str]] = {name: hxl_lookup(t) for name, t in _FILE_TABLES.items()}


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


def open_workbook(data: bytes, file: str) -> Any:
    """An openpyxl read-only workbook; the caller closes it."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not data:
        raise SpreadsheetError(file, "", "the file is empty")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise SpreadsheetError(file, "", "this is an old .xls workbook; save it as .xlsx")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SpreadsheetError(file, "", "not an xlsx workbook (the file is not a zip archive)")
    try:
        # data_only=False so formula cells come back as "=..." text and can be refused.
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(file, "", f"not a readable xlsx workbook ({exc})") from None


def sheet_rows(ws: Any) -> Iterator[tuple[Any, ...]]:
    """Cell values of a read-only worksheet, row by row (blank rows included)."""
    # Some writers record a wrong sheet size; read what is really there.
    ws.reset_dimensions()
    return ws.iter_rows(values_only=True)  # type: ignore[no-any-return,unused-ignore]


def source_bytes(source: str | Path | bytes, filename: str | None = None) -> tuple[bytes, str]:
    """The file's bytes and the name used in messages."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), filename or "upload"
    path = Path(source)
    name = filename or path.name
    try:
        return path.read_bytes(), name
    except FileNotFoundError:
        raise SpreadsheetError(name, "", f"file not found: {path}") from None
    except IsADirectoryError:
        raise SpreadsheetError(name, "", f"is a directory, not a file: {path}") from None
    except OSError as exc:
        raise SpreadsheetError(name, "", f"cannot read {path}: {exc.strerror}") from None


def file_format(filename: str, data: bytes) -> str:
    suffix = Path(filename).suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix == ".xml" or data[:256].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        from appeal.profiles.detect import check_xml

        check_xml(data, filename, None)
    if suffix == ".xls":
        raise SpreadsheetError(filename, "", "old .xls workbooks are not supported; save as .xlsx")
    if data[:2] == b"PK":
        return "xlsx"
    raise SpreadsheetError(
        filename, "", f"unsupported file type {suffix or '(none)'}; use .xlsx or .csv"
    )


def find_header(
    kind: str,
    rows: Iterable[tuple[Any, ...]],
    file: str,
    sheet: str,
    profile: str | None = None,
    seen: list[tuple[str, list[tuple[Any, ...]]]] | None = None,
) -> Table | None:
    """Locate the header in the first rows; None when this sheet has no such header (the
    rows looked at are then added to ``seen``, for the message that says what was found)."""
    from appeal import hxl
    from appeal.profiles.detect import check_layout

    iterator = iter(rows)
    head: list[tuple[Any, ...]] = []
    for _ in range(HEADER_SEARCH_ROWS + 1):
        try:
            head.append(tuple(next(iterator)))
        except StopIteration:
            break
    check_layout(kind, head, file, sheet, profile)
    required = REQUIRED[kind]
    for i, values in enumerate(head[:HEADER_SEARCH_ROWS]):
        hxl_row = _is_hxl_row(values)
        columns: dict[str, int] = {}
        headers: dict[str, str] = {}
        units: dict[str, str] = {}
        duplicates: list[str] = []
        unclear: list[hxl.Ambiguous] = []
        if hxl_row:
            found = hxl.map_row(kind, values, profile)
            columns, headers, units = found.columns, found.tags, found.units
            unclear = found.ambiguous
        else:
            for j, cell in enumerate(values):
                column = match_header(kind, cell, profile)
                if column is None:
                    continue
                if column in columns:
                    duplicates.append(f"{headers[column]!r} and {clean_text(cell)!r}")
                    continue
                columns[column] = j
                headers[column] = clean_text(cell)
        # A hashtag row under the header fills columns the header did not name, and says
        # which currency a column's amounts are in (+usd).
        data_start = i + 1
        if not hxl_row and i + 1 < len(head) and _is_hxl_row(head[i + 1]):
            below = head[i + 1]
            extra = hxl.map_row(
                kind, below, profile, skip=frozenset(columns.values()), named=frozenset(columns)
            )
            unclear = extra.ambiguous
            for column, j in extra.columns.items():
                if column not in columns:
                    columns[column] = j
                    headers[column] = extra.tags[column]
            for column, j in columns.items():
                unit = hxl.unit_of(below[j]) if j < len(below) else None
                if unit:
                    units[column] = unit
            data_start = i + 2
        # At least two known columns, so a stray word in a title or note is not a header.
        if not all(c in columns for c in required) or len(columns) < 2:
            continue
        if unclear:
            row = i + 1 if hxl_row else i + 2
            raise SpreadsheetError(file, sheet, f"hashtag row {row}: {unclear[0]}", row=row)
        if duplicates:
            raise SpreadsheetError(
                file,
                sheet,
                f"header row {i + 1} names the same column twice: {'; '.join(duplicates)}",
                row=i + 1,
            )
        named = set(columns.values())
        known = _PROFILE_IGNORED.get((kind, profile), frozenset())
        ignored = [
            clean_text(cell)
            for j, cell in enumerate(values)
            if j not in named and not is_blank(cell) and header_key(cell) not in known
        ]
        table_rows = [(n + 1, head[n]) for n in range(data_start, len(head))]
        start = len(head) + 1
        table_rows.extend((start + k, tuple(r)) for k, r in enumerate(iterator))
        return Table(
            file=file,
            sheet=sheet,
            header_row=i + 1,
            columns=columns,
            headers=headers,
            rows=table_rows,
            ignored=ignored,
            header_values=tuple(header_key(v) for v in values),
            units=units,
        )
    if seen is not None:
        seen.append((sheet, head))
    return None


def read_table(
    source: str | Path | bytes,
    kind: str,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    required: bool = True,
    profile: str | None = None,
    csv: CsvOptions | None = None,
) -> Table | None:
    """Read the first sheet holding a ``kind`` table (or the named ``sheet``).

    For workbooks, a sheet named like the kind ("Pledges") is tried first. Headers are matched
    against the contract's spellings and, with ``profile``, that import profile's. Raises
    :class:`SpreadsheetError` when the file cannot be read or (``required``) no header is found.
    """
    data, name = source_bytes(source, filename)
    fmt = file_format(name, data)
    expected = ", ".join(REQUIRED[kind])
    if fmt == "csv":
        if sheet is not None:
            return None  # a csv holds a single table
        from appeal.csv_reader import read_csv

        text = read_csv(data, name, csv)
        seen: list[tuple[str, list[tuple[Any, ...]]]] = []
        table = find_header(kind, text.rows, name, "", profile, seen)
        if table is not None:
            table.exact_width = True
            table.decimal = text.decimal
        if table is None and required:
            raise SpreadsheetError(
                name,
                "",
                f"no header row with the {kind} columns ({expected}) in the first "
                f"{HEADER_SEARCH_ROWS} rows{_what_was_seen(kind, seen, profile)}",
            )
        return table
    table = _read_workbook(data, name, kind, sheet, required, profile)
    if table is not None and csv is not None and csv.decimal:
        table.decimal = csv.decimal  # text numbers in a workbook: as the user states
    return table


def _read_workbook(
    data: bytes, name: str, kind: str, sheet: str | None, required: bool, profile: str | None
) -> Table | None:
    fast = _fast_sheets(data)
    if fast is not None:
        try:
            return _pick_sheet(kind, fast, name, sheet, required, profile)
        except _FastReadFailed:
            pass  # unusual workbook structure: let openpyxl read it (and explain failures)
    wb = open_workbook(data, name)
    try:
        sheets: list[tuple[str, Callable[[], Iterator[tuple[Any, ...]]]]] = [
            (ws.title, functools.partial(sheet_rows, ws))
            for ws in wb.worksheets
            if hasattr(ws, "iter_rows")
        ]
        return _pick_sheet(kind, sheets, name, sheet, required, profile)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise SpreadsheetError(name, "", f"cannot read the workbook ({exc})") from None
    finally:
        wb.close()


def _pick_sheet(
    kind: str,
    sheets: list[tuple[str, Callable[[], Iterator[tuple[Any, ...]]]]],
    name: str,
    sheet: str | None,
    required: bool,
    profile: str | None,
) -> Table | None:
    """Find the ``kind`` table among the workbook's sheets (named one first)."""
    names = [title for title, _ in sheets]
    if sheet is not None:
        ordered = [s for s in sheets if header_key(s[0]) == header_key(sheet)]
        if not ordered:
            if required:
                raise SpreadsheetError(
                    name, sheet, f"the workbook has no sheet {sheet!r} (sheets: {', '.join(names)})"
                )
            return None
    else:
        preferred = {header_key(kind), header_key(kind.rstrip("s"))}
        ordered = sorted(sheets, key=lambda s: header_key(s[0]) not in preferred)
    seen: list[tuple[str, list[tuple[Any, ...]]]] = []
    for title, rows in ordered:
        table = find_header(kind, rows(), name, title, profile, seen)
        if table is not None:
            return table
    if required:
        expected = ", ".join(REQUIRED[kind])
        raise SpreadsheetError(
            name,
            "",
            f"no sheet has a header row with the {kind} columns ({expected}) "
            f"(sheets: {', '.join(names) or 'none'}){_what_was_seen(kind, seen[:1], profile)}",
        )
    return None


def _what_was_seen(
    kind: str, seen: list[tuple[str, list[tuple[Any, ...]]]], profile: str | None
) -> str:
    """What the reader found instead of a header: the first rows, and for the first row's cells
    the closest known headers ("did you mean donor?")."""
    from appeal.suggest import did_you_mean, rows_seen

    if not seen:
        return ""
    sheet, head = seen[0]
    where = f" of sheet {sheet!r}" if sheet else ""
    hints = []
    known = list(_LOOKUPS[(kind, profile)].values())
    spellings = [c.name for c in _FILE_TABLES[kind].file_columns] + list(known)
    for row in head:
        cells = [clean_text(v) for v in row if not is_blank(v)]
        if len(cells) >= 2:
            for cell in cells:
                hint = did_you_mean(cell, spellings, limit=1)
                if hint:
                    hints.append(f"{cell!r}{hint}")
            break
    text = f"; the first rows{where} are {rows_seen(head)}"
    if hints:
        text += "; " + ", ".join(hints[:6])
    return text


# -- fast xlsx reader -------------------------------------------------------------------------
# openpyxl builds an object per cell and per rich-text run, which is too slow for 10,000-row
# pledge files. This reader streams the sheet XML with the C expat parser and returns the same
# values openpyxl's read-only, data_only=False mode does (formulas as "=..." text, dates as
# datetimes via the cell's number format). Anything unexpected makes it give up
# (_FastReadFailed) and openpyxl reads the file instead.
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


#: Sheets up to this size (uncompressed XML) are parsed as a whole tree; larger ones streamed.
_TREE_LIMIT = 64 * 1024 * 1024


class _FastReadFailed(Exception):
    pass


@functools.lru_cache(maxsize=1024)
def _letters_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_index(ref: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    return _letters_index(ref.rstrip("0123456789"))


def _text_of(elem: Any) -> str:
    """Concatenated text of the <t> runs of a shared or inline string (phonetic runs skipped)."""
    parts = []
    for child in elem:
        tag = child.tag
        if tag == _MAIN + "t":
            parts.append(child.text or "")
        elif tag == _MAIN + "r":
            for t in child.iter(_MAIN + "t"):
                parts.append(t.text or "")
    return "".join(parts)


def _fast_sheets(data: bytes) -> list[tuple[str, Callable[[], Iterator[tuple[Any, ...]]]]] | None:
    import posixpath
    import xml.etree.ElementTree as ET

    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        pr = book.find(_MAIN + "workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            sst = ET.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = [_text_of(si) for si in sst.iter(_MAIN + "si")]
        date_styles: set[int] = set()
        if "xl/styles.xml" in archive.namelist():
            styles = ET.fromstring(archive.read("xl/styles.xml"))
            custom = {
                int(f.get("numFmtId", "0")): f.get("formatCode", "")
                for f in styles.iter(_MAIN + "numFmt")
            }
            xfs = styles.find(_MAIN + "cellXfs")
            for i, xf in enumerate(xfs if xfs is not None else []):
                fid = int(xf.get("numFmtId", "0"))
                code = custom.get(fid, BUILTIN_FORMATS.get(fid, ""))
                if code and is_date_format(code):
                    date_styles.add(i)
        sheets = []
        for sh in book.iter(_MAIN + "sheet"):
            target = targets.get(sh.get(_REL_ID), "")
            if "worksheets/" not in target:
                continue  # chart sheets and the like hold no rows
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            path = posixpath.normpath(path)
            if path not in archive.namelist():
                return None
            sheets.append((sh.get("name", ""), path))
    except (KeyError, ValueError, ET.ParseError, zipfile.BadZipFile, OSError):
        return None
    if not sheets:
        return None  # nothing recognisable: openpyxl reads it (or explains why it cannot)

    def rows_of(path: str) -> Iterator[tuple[Any, ...]]:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

        base = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH

        c_tag, row_tag = _MAIN + "c", _MAIN + "row"
        v_tag, f_tag, is_tag = _MAIN + "v", _MAIN + "f", _MAIN + "is"
        try:
            if archive.getinfo(path).file_size <= _TREE_LIMIT:
                # Building the tree in C and walking it is faster than iterparse events.
                root = ET.fromstring(archive.read(path))
                if not root.tag.startswith(_MAIN):
                    raise ValueError("not a transitional SpreadsheetML sheet")
                data = root.find(_MAIN + "sheetData")
                row_elems: Iterable[Any] = data if data is not None else ()
            else:
                row_elems = (
                    e
                    for _, e in ET.iterparse(archive.open(path), events=("end",))
                    if e.tag == row_tag
                )
            expected = 1
            for elem in row_elems:
                if elem.tag != row_tag:
                    continue
                number = int(elem.get("r", expected))
                while expected < number:  # missing (blank) rows keep Excel numbering
                    expected += 1
                    yield ()
                cells: dict[int, Any] = {}
                position = 0
                for c in elem.iter(c_tag):
                    ref = c.get("r")
                    # _col_index, written out: this runs once per cell.
                    col = _letters_index(ref.rstrip("0123456789")) if ref else position
                    position = col + 1
                    kind = c.get("t", "n")
                    f = c.find(f_tag)
                    if f is not None:
                        cells[col] = "=" + (f.text or "")
                        continue
                    if kind == "inlineStr":
                        inline = c.find(is_tag)
                        cells[col] = _text_of(inline) if inline is not None else None
                        continue
                    v = c.find(v_tag)
                    text = v.text if v is not None else None
                    if text is None:
                        continue
                    if kind == "s":
                        cells[col] = shared[int(text)]
                    elif kind == "b":
                        cells[col] = text.strip() in ("1", "true")
                    elif kind in ("str", "e"):
                        cells[col] = text
                    elif kind == "d":
                        cells[col] = dt.datetime.fromisoformat(text)
                    else:
                        try:
                            num: float | int = int(text)
                        except ValueError:
                            num = float(text)
                        style = c.get("s")
                        if style is not None and int(style) in date_styles:
                            cells[col] = from_excel(num, base)
                        else:
                            cells[col] = num
                elem.clear()
                expected = number + 1
                if not cells:
                    yield ()
                    continue
                row: list[Any] = [None] * (max(cells) + 1)
                for col, value in cells.items():
                    row[col] = value
                yield tuple(row)
        except (KeyError, ValueError, IndexError, ET.ParseError, zipfile.BadZipFile, OSError):
            raise _FastReadFailed from None

    return [(title, functools.partial(rows_of, path)) for title, path in sheets]
