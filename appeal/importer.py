"""Import: users' spreadsheets -> a validated :class:`~models.plan.Plan`, every row accounted for.

Each file is read with :mod:`appeal.spreadsheet` (header detection, aliases, HXL), each cell is
parsed into a typed value here, and the typed tables are checked against the pandera schemas of
:mod:`models.schemas` (lazily: every problem at once). Every data row ends up imported or
rejected with :class:`RowError` records naming file, sheet, spreadsheet row, column and reason,
so ``rows_read == rows_imported + rows_rejected`` always holds.

Strict by default: any invalid row makes the whole import fail (:class:`ImportFailed`) and the
caller stores nothing. With ``skip_invalid=True`` the valid rows are kept and the rejected ones
reported. A file that cannot be read at all (missing, empty, not a spreadsheet, no header) is
always fatal.

Pledges without a ``pledge_id`` get a stable id hashed from their content (donor, amount,
currency, years, earmark) and their source (file and sheet), so importing the same file twice
gives the same ids and the register can stay idempotent, while the same pledge in two files
stays two pledges. Identical pledges are flagged as warnings, never silently merged or doubled.

Values are held to the contract's sane ranges (:mod:`models.contract`): years 2000-2100 (in
cells and in ``req_YYYY`` / ``amount_YYYY`` headers), at most USD 1e12 per pledge and
requirement and at least a cent per pledge, exchange rates 1e-6 to 1e6 units per USD.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from appeal import spreadsheet as ss
from appeal.spreadsheet import CellError, SpreadsheetError, Table
from models import contract, money, schemas
from models.contract import Column
from models.eligibility import EligibilityIndex, UnknownEarmarkTarget, normalise_theme
from models.plan import (
    DONOR_COLUMNS,
    FX_COLUMNS,
    PLEDGE_COLUMNS,
    PROGRAMME_COLUMNS,
    REQUIREMENT_COLUMNS,
    TRANCHE_COLUMNS,
    Plan,
    PlanError,
    conform,
)
from models.scenario import CRITERIA

#: The bundled illustrative sample data.
SAMPLE_DIR: Path = Path(__file__).resolve().parent.parent / "sample_data"

PathLike = str | Path


def _choices(vocabulary: contract.Vocabulary) -> dict[str, str]:
    """header_key of each accepted spelling -> canonical value (values first, in order)."""
    out: dict[str, str] = {}
    for spelling, value in vocabulary.spellings():
        out.setdefault(ss.header_key(spelling), value)
    return out


# Accepted spellings (compared via spreadsheet.header_key) -> canonical values, from the
# contract's vocabularies.
EARMARKING_CHOICES = _choices(contract.EARMARKING)
STATUS_CHOICES = _choices(contract.STATUS)
CATEGORY_CHOICES = _choices(contract.CATEGORY)
DONOR_TYPE_CHOICES = _choices(contract.DONOR_TYPE)
PILLAR_WORDS = _choices(contract.PILLAR)
PRIORITY_WORDS = dict(contract.PRIORITY_WORDS)
MAX_YEARS = contract.MAX_YEARS


# -- report ---------------------------------------------------------------------------------
@dataclass
class RowError:
    """One problem, located as precisely as the file allows."""

    file: str
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" [{self.sheet}]" if self.sheet else "")
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    """What an import read, kept and refused. Counts are of pledge rows (plus programme rows
    when the programmes file had errors); ``files`` has per-file counts."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    #: a file could not be read at all: the import is refused even with skip_invalid
    fatal: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_counts(self, other: ImportReport) -> None:
        self.rows_read += other.rows_read
        self.rows_imported += other.rows_imported
        self.rows_rejected += other.rows_rejected

    def extend(self, other: ImportReport, *, counts: bool) -> None:
        if counts:
            self.add_counts(other)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)
        self.fatal = self.fatal or other.fatal

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            "files": [dict(f) for f in self.files],
            "fatal": self.fatal,
        }

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read, {self.rows_imported} imported, "
            f"{self.rows_rejected} rejected, {len(self.warnings)} warnings"
        )


class ImportFailed(Exception):
    """Raised when an import is refused (strict mode, or an unreadable file)."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        lines = [str(e) for e in report.errors[:20]]
        more = len(report.errors) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__(f"import refused: {len(report.errors)} error(s)\n" + "\n".join(lines))


# -- row machinery --------------------------------------------------------------------------
_BLANK = object()  # what _Row.cell gives for a blank cell when asked to tell


class _Row:
    """Collects the parsed values and cell errors of one spreadsheet row."""

    __slots__ = ("errors", "number", "table", "values")

    def __init__(self, table: Table, number: int, values: tuple[Any, ...]) -> None:
        self.table = table
        self.number = number
        self.values = values
        self.errors: list[tuple[str | None, str]] = []

    def raw(self, column: str) -> Any:
        return self.table.get(self.values, column)

    def cell(self, column: str, parse: Callable[[Any], Any], *, default: Any = None) -> Any:
        """The parsed value of one cell; ``default`` when it is blank or the column absent.
        (The hot path of an import: one call per cell, so it is written out in one piece.)"""
        i = self.table.columns.get(column)
        values = self.values
        value: Any = values[i] if i is not None and i < len(values) else None
        if value is None:
            return default
        if type(value) is str:
            # Most cells are plain ASCII text: only other text can be invisible characters.
            text = value.strip()
            if not text or (not text.isascii() and ss.is_blank(value)):
                return default
        elif isinstance(value, float) and value != value:  # NaN from a csv-like source
            return default
        # Codes, years, statuses ... repeat on most rows: parse each distinct value once.
        cache = self.table.cache
        key = (column, type(value), value)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = (True, parse(value))
            except CellError as exc:
                hit = (False, str(exc))
            cache[key] = hit
        if hit[0]:
            return hit[1]
        self.error(column, hit[1])
        return None

    def required(self, column: str, parse: Callable[[Any], Any]) -> Any:
        value = self.cell(column, parse, default=_BLANK)
        if value is _BLANK:
            self.error(
                column,
                f"{column} is required"
                if column in self.table.columns
                else f"column {column} is missing",
            )
            return None
        return value

    def error(self, column: str | None, message: str) -> None:
        self.errors.append((column, message))

    def row_errors(self) -> list[RowError]:
        return [
            RowError(
                self.table.file,
                self.table.sheet,
                self.number,
                self.table.headers.get(c, c) if c else None,
                m,
            )
            for c, m in self.errors
        ]


def _data_rows(table: Table, report: ImportReport) -> list[_Row]:
    """Non-blank data rows; repeated header rows are rejected."""
    rows: list[_Row] = []
    used = sorted(set(table.columns.values()))
    is_blank = ss.is_blank
    first = used[0] if used else 0
    for number, values in table.rows:
        if not values:
            continue
        # Most rows have their first known column filled: then they are not blank.
        head = values[first] if first < len(values) else None
        if (head is None or is_blank(head)) and all(
            i >= len(values) or values[i] is None or is_blank(values[i]) for i in used
        ):
            continue
        row = _Row(table, number, values)
        if table.is_repeated_header(values):
            row.error(None, "repeated header row; delete it")
        rows.append(row)
    _unnamed_columns(table, rows, report)
    return rows


def _unnamed_columns(table: Table, rows: list[_Row], report: ImportReport) -> None:
    """Warn about data in columns without a header (often a merged header cell)."""
    from openpyxl.utils import get_column_letter

    width = max((len(r.values) for r in rows), default=0)
    named = set(table.columns.values())
    blank = [
        i
        for i in range(width)
        if i not in named and (i >= len(table.header_values) or not table.header_values[i])
    ]
    for i in blank:
        first = next(
            (r.number for r in rows if i < len(r.values) and not ss.is_blank(r.values[i])), None
        )
        if first is not None:
            report.warnings.append(
                RowError(
                    table.file,
                    table.sheet,
                    table.header_row,
                    get_column_letter(i + 1),
                    f"column {get_column_letter(i + 1)} has values (first in row {first}) but "
                    "no header, so it is ignored — a merged header cell? Give it its own header",
                )
            )


def _file_error(report: ImportReport, exc: SpreadsheetError, kind: str = "") -> None:
    report.errors.append(RowError(exc.file, exc.sheet, exc.row, None, exc.message))
    report.fatal = True
    report.files.append(
        {
            "file": exc.file,
            "sheet": exc.sheet,
            "kind": kind,
            "rows_read": 0,
            "rows_imported": 0,
            "rows_rejected": 0,
            "unreadable": True,
        }
    )


def _apply_problems(rows: dict[int, _Row], found: list[schemas.Problem]) -> None:
    """Attach schema problems to their rows, naming the column as files do (year, pillar)."""
    for p in found:
        row = rows.get(int(p.index)) if p.index is not None else None
        if row is not None:
            column = _FILE_NAMES.get(p.table, {}).get(p.column or "", p.column)
            row.error(column, p.message)


def _finish(
    rows: list[_Row], report: ImportReport, table: Table | None, kind: str = ""
) -> list[_Row]:
    """Count and report; return the valid rows."""
    good = [r for r in rows if not r.errors]
    report.rows_read += len(rows)
    report.rows_imported += len(good)
    report.rows_rejected += len(rows) - len(good)
    for r in rows:
        report.errors.extend(r.row_errors())
    if table is not None:
        report.files.append(
            {
                "file": table.file,
                "sheet": table.sheet,
                "kind": kind,
                "rows_read": len(rows),
                "rows_imported": len(good),
                "rows_rejected": len(rows) - len(good),
            }
        )
        for header in table.ignored:
            report.warnings.append(
                RowError(
                    table.file, table.sheet, table.header_row, header, "unknown column ignored"
                )
            )
    return good


# -- cell parsers, by the contract's column kinds -----------------------------------------
def _currency_code(v: Any) -> str:
    text = ss.parse_code(v, what="currency").upper()
    text = ss.CURRENCY_SYMBOLS.get(text, text)
    if not (len(text) == 3 and text.isascii() and text.isalpha()):
        raise CellError(f"currency {text!r} is not a 3-letter ISO 4217 code like USD or EUR")
    return text


def _as_of(what: str, max_length: int) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        return ss.parse_text(v, what=what, max_length=max_length)

    return parse


_PILLAR_HINT = ", ".join(contract.PILLAR.values)
_PRIORITY_HINT = (
    f"{contract.PROGRAMMES.column('priority').minimum:g}-"
    f"{contract.PROGRAMMES.column('priority').maximum:g} or {'/'.join(PRIORITY_WORDS)}"
)


def _priority(v: Any) -> int:
    text = ss.clean_text(v).casefold()
    if text in PRIORITY_WORDS:
        return PRIORITY_WORDS[text]
    try:
        value = ss.parse_int(v, what="priority")
    except CellError:
        raise CellError(f"priority must be {_PRIORITY_HINT}, got {ss.clean_text(v)!r}") from None
    return value


def _pillars(what: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        parts = [p for p in ss.parse_text(v, what=what).replace(",", ";").split(";") if p.strip()]
        out: list[str] = []
        for part in parts:
            key = ss.header_key(part).removeprefix("pillar")  # "Pillar II" is pillar II
            if key not in PILLAR_WORDS:
                raise CellError(f"pillar {part.strip()!r} is not one of {_PILLAR_HINT}")
            if PILLAR_WORDS[key] not in out:
                out.append(PILLAR_WORDS[key])
        return ";".join(out)

    return parse


def _themes(what: str) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        parts = [p for p in ss.parse_text(v, what=what).replace(",", ";").split(";") if p.strip()]
        out: list[str] = []
        for part in parts:
            theme = normalise_theme(part)
            if not theme.replace("_", "").isalnum():
                raise CellError(
                    f"theme {part.strip()!r} must be a word like gender or human_rights"
                )
            if theme not in out:
                out.append(theme)
        return ";".join(out)

    return parse


def _usd(what: str) -> Callable[[Any], float]:
    def parse(v: Any) -> float:
        amount, currency = ss.parse_amount(v, what=what)
        if currency not in (None, "USD"):
            raise CellError(f"{what} must be in USD, got {currency}")
        return amount

    return parse


def _score(what: str, low: float, high: float) -> Callable[[Any], float]:
    def parse(v: Any) -> float:
        value = ss.parse_number(v, what=what)
        if not low <= value <= high:
            raise CellError(f"{what} must be between {low:g} and {high:g}, got {value:g}")
        return value

    return parse


def parser(column: Column) -> Callable[[Any], Any]:
    """The cell parser of a contract column (by its kind): one cell -> a value, or
    :class:`CellError` with a message naming the column."""
    what = column.name
    kind = column.kind
    if kind == "code":
        return functools.partial(ss.parse_code, what=what)
    if kind == "text":
        return functools.partial(
            ss.parse_text, what=what, max_length=column.max_length or ss.MAX_NAME_LENGTH
        )
    if kind == "choice":
        assert column.vocabulary is not None, f"{what}: a choice needs a vocabulary"
        return functools.partial(ss.parse_choice, what=what, choices=_choices(column.vocabulary))
    if kind == "pillars":
        return _pillars(what)
    if kind == "themes":
        return _themes(what)
    if kind == "currency":
        return _currency_code
    if kind == "date":
        return _as_of(what, column.max_length or ss.MAX_NAME_LENGTH)
    if kind == "year":
        return functools.partial(ss.parse_year, what=what)
    if kind == "int":
        return functools.partial(ss.parse_int, what=what)
    if kind == "priority":
        return _priority
    if kind in ("number", "share"):
        return functools.partial(ss.parse_number, what=what)
    if kind == "usd":
        return _usd(what)
    if kind == "money":
        return functools.partial(ss.parse_amount, what=what)
    if kind == "bool":
        return functools.partial(ss.parse_bool, what=what)
    raise AssertionError(f"no parser for column kind {kind!r}")


def _pattern_parser(family: contract.ColumnPattern, name: str) -> Callable[[Any], Any]:
    """The cell parser of one column of a family (amount_2027, req_2028, score_innovation)."""
    if family.kind == "number" and family.minimum is not None and family.maximum is not None:
        return _score(name, family.minimum, family.maximum)
    return parser(Column(name, family.kind, family.help))


# Per table: file column -> (column, parser), built once from the contract.
_COLUMNS: dict[str, dict[str, tuple[Column, Callable[[Any], Any]]]] = {
    t.name: {c.name: (c, parser(c)) for c in t.file_columns}
    for t in contract.TABLES.values()
    if t.in_files
}
# Per table: plan column -> the name files give it (first_year -> year, pillars -> pillar).
_FILE_NAMES: dict[str, dict[str, str]] = {
    t.name: {c.plan_name: c.name for c in t.file_columns if c.stored and c.plan_name != c.name}
    for t in contract.TABLES.values()
}


_Reader = Callable[[_Row], Any]


def _reader(column: Column, parse: Callable[[Any], Any]) -> _Reader:
    """Reads one column of a row as the contract says: required (an error when blank) or
    optional (the contract's default when blank). A partial, not a closure: it runs per cell."""
    if column.required:
        return functools.partial(_Row.required, column=column.name, parse=parse)
    return functools.partial(_Row.cell, column=column.name, parse=parse, default=column.default)


# Per table: file column -> its reader.
_READ: dict[str, dict[str, _Reader]] = {
    table: {name: _reader(c, parse) for name, (c, parse) in columns.items()}
    for table, columns in _COLUMNS.items()
}


def _readers(table: str, names: Sequence[str] | None = None) -> list[tuple[str, _Reader]]:
    """(plan column, reader) of the named file columns (all stored ones by default)."""
    columns = _COLUMNS[table]
    chosen = names if names is not None else [n for n, (c, _) in columns.items() if c.stored]
    return [(columns[n][0].plan_name, _READ[table][n]) for n in chosen]


def _record(r: _Row, readers: Sequence[tuple[str, _Reader]]) -> dict[str, Any]:
    """Plan column -> value of one row, for the given readers."""
    return {field: read(r) for field, read in readers}


def _others(table: str, done: Iterable[str]) -> list[str]:
    """The table's stored file columns whose plan column is not among ``done``."""
    skip = set(done)
    return [n for n, (c, _) in _COLUMNS[table].items() if c.stored and c.plan_name not in skip]


def _parser(table: str, name: str) -> Callable[[Any], Any]:
    """The parser of one column, for cells whose rules depend on other cells."""
    return _COLUMNS[table][name][1]


# -- reference tables -----------------------------------------------------------------------
def _read_reference_table(
    source: PathLike | bytes, kind: str, columns: list[str], filename: str | None
) -> tuple[pd.DataFrame, ImportReport]:
    """Read a small reference table (fx, donors): parse each row's columns as the contract
    says, run the table's schema, keep the clean rows. Errors are in the report."""
    report = ImportReport()
    try:
        table = ss.read_table(source, kind, filename=filename)
    except SpreadsheetError as exc:
        _file_error(report, exc, kind)
        return pd.DataFrame(columns=columns), report
    assert table is not None
    rows = _data_rows(table, report)
    readers = _readers(kind)
    parsed = {r.number: _record(r, readers) for r in rows}
    _validate_table(kind, rows, parsed)
    good = _finish(rows, report, table, kind)
    return pd.DataFrame([parsed[r.number] for r in good], columns=columns), report


def read_fx(
    source: PathLike | bytes, *, filename: str | None = None
) -> tuple[pd.DataFrame, ImportReport]:
    """Exchange rates (currency, units_per_usd, as_of). Errors are in the report."""
    frame, report = _read_reference_table(source, "fx", FX_COLUMNS, filename)
    return conform("fx", frame), report


def _validate_table(name: str, rows: list[_Row], parsed: dict[int, dict[str, Any]]) -> None:
    """Run the pandera schema on the rows that parsed cleanly; attach problems to rows."""
    clean = [r.number for r in rows if not r.errors]
    if not clean:
        return
    frame = pd.DataFrame([parsed[n] for n in clean], index=clean)
    _apply_problems({r.number: r for r in rows}, schemas.problems(name, frame))


def read_donors(
    source: PathLike | bytes, *, filename: str | None = None
) -> tuple[pd.DataFrame, ImportReport]:
    """Donors (donor, donor_type, region, iati_org_id). Errors are in the report."""
    return _read_reference_table(source, "donors", DONOR_COLUMNS, filename)


# -- programmes -----------------------------------------------------------------------------
_CRITERIA_KEYS = {ss.header_key(c): c for c in CRITERIA}
_REQ = contract.PROGRAMMES.pattern("req_{}")
_SCORE = contract.PROGRAMMES.pattern("score_{}")


def read_programmes(
    source: PathLike | bytes, *, filename: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, ImportReport]:
    """Programmes and their requirements (``req_YYYY`` columns and/or a ``requirements``
    sheet). Returns (programmes, requirements, report); errors are in the report."""
    report = ImportReport()
    empty = (pd.DataFrame(columns=PROGRAMME_COLUMNS), pd.DataFrame(columns=REQUIREMENT_COLUMNS))
    try:
        table = ss.read_table(source, "programmes", filename=filename)
        long = ss.read_table(
            source, "requirements", filename=filename, sheet="requirements", required=False
        )
    except SpreadsheetError as exc:
        _file_error(report, exc, "programmes")
        return *empty, report
    assert table is not None
    req_columns = sorted(c for c in table.columns if c.startswith(_REQ.prefix))
    score_columns: dict[str, str] = {}
    for column in [c for c in table.columns if c.startswith(_SCORE.prefix)]:
        criterion = _CRITERIA_KEYS.get(column.removeprefix(_SCORE.prefix))
        if criterion is None:
            report.warnings.append(
                RowError(
                    table.file,
                    table.sheet,
                    table.header_row,
                    table.headers[column],
                    f"unknown criterion; known: {', '.join(CRITERIA)}",
                )
            )
        else:
            score_columns[column] = _SCORE.column_name(criterion)
    if not req_columns and long is None:
        report.errors.append(
            RowError(
                table.file,
                table.sheet,
                table.header_row,
                None,
                "no requirements: add req_YYYY columns (e.g. req_2027) or a 'requirements' sheet",
            )
        )
        report.fatal = True
        return *empty, report
    if not _header_years(table, req_columns, _REQ.prefix, report):
        return *empty, report
    rows = _data_rows(table, report)
    parsed: dict[int, dict[str, Any]] = {}
    req_rows: dict[int, list[tuple[int, float]]] = {}
    req_parsers = {c: _pattern_parser(_REQ, c) for c in req_columns}
    score_parsers = {c: _pattern_parser(_SCORE, name) for c, name in score_columns.items()}
    readers = _readers("programmes")
    for r in rows:
        record = _record(r, readers)
        for column, name in score_columns.items():
            record[name] = r.cell(column, score_parsers[column], default=0.0)
        reqs = []
        for column in req_columns:
            usd = r.cell(column, req_parsers[column])
            if usd is not None:
                reqs.append((int(column.removeprefix(_REQ.prefix)), usd))
                if usd < 0:
                    r.error(column, f"requirement must not be negative, got {usd:g}")
                elif usd > contract.MAX_USD:
                    r.error(
                        column,
                        f"requirement is USD {usd:.3g}; the most one line may need in a year "
                        f"is USD {contract.MAX_USD:.0e}",
                    )
        parsed[r.number] = record
        req_rows[r.number] = reqs
    _validate_table("programmes", rows, parsed)
    good = _finish(rows, report, table, "programmes")
    programmes = pd.DataFrame(
        [parsed[r.number] for r in good], columns=[*PROGRAMME_COLUMNS, *score_columns.values()]
    )
    programmes = conform("programmes", programmes)
    requirements = [
        {"line_id": parsed[r.number]["line_id"], "year": y, "requirement_usd": usd}
        for r in good
        for y, usd in req_rows[r.number]
    ]
    if long is not None:
        requirements.extend(_read_long_requirements(long, set(programmes["line_id"]), report))
    req = conform("requirements", pd.DataFrame(requirements, columns=REQUIREMENT_COLUMNS))
    dup = req.duplicated(["line_id", "year"], keep=False)
    if dup.any():
        for line_id, year in sorted(
            set(zip(req.loc[dup, "line_id"], req.loc[dup, "year"], strict=True))
        ):
            report.errors.append(
                RowError(
                    table.file,
                    "requirements",
                    None,
                    "year",
                    f"line {line_id} has a requirement for {year} twice "
                    "(req_YYYY column and requirements sheet)",
                )
            )
        req = req.drop_duplicates(["line_id", "year"])
    for line_id in programmes["line_id"]:
        if not (req["line_id"] == line_id).any():
            report.warnings.append(
                RowError(table.file, table.sheet, None, None, f"line {line_id} has no requirement")
            )
    return programmes, req.reset_index(drop=True), report


_REQUIREMENT_VALUES = _readers("requirements", _others("requirements", ("line_id",)))


def _read_long_requirements(
    table: Table, lines: set[str], report: ImportReport
) -> list[dict[str, Any]]:
    sub = ImportReport()
    rows = _data_rows(table, sub)
    parsed: dict[int, dict[str, Any]] = {}
    for r in rows:
        line = _READ["requirements"]["line_id"](r)
        if line is not None and line not in lines:
            r.error("line_id", f"line {line!r} is not in the programmes")
        parsed[r.number] = {"line_id": line, **_record(r, _REQUIREMENT_VALUES)}
    _validate_table("requirements", rows, parsed)
    good = _finish(rows, sub, table, "requirements")
    report.errors.extend(sub.errors)
    report.warnings.extend(sub.warnings)
    report.files.extend(sub.files)
    # Programme-file row counts include the requirement rows only when some are refused.
    if sub.rows_rejected:
        report.add_counts(sub)
    return [parsed[r.number] for r in good]


# -- pledges --------------------------------------------------------------------------------
_AMOUNT_YEAR = contract.PLEDGES.pattern("amount_{}")
# The pledge columns a row gives (the others say where the row came from).
_FROM_FILES = [c.plan_name for c in contract.PLEDGES.file_columns if c.stored]
_AMOUNT = _parser("pledges", "amount")


def _normalise_target(earmarking: str, target: str, index: EligibilityIndex) -> str:
    """Canonical spelling of an earmark target (already checked by the index)."""
    if earmarking in ("earmarked", "tightly_earmarked"):
        return next(iter(index.lines_for(earmarking, target)))
    parts = []
    for part in (p.strip() for p in target.split(";") if p.strip()):
        kind, sep, value = part.partition(":")
        if not sep:
            parts.append(next(iter(index.lines_for("earmarked", part))))
            continue
        kind = kind.strip().casefold()
        value = value.strip()
        if kind == "pillar":
            value = PILLAR_WORDS.get(ss.header_key(value).removeprefix("pillar"), value.upper())
        elif kind == "theme":
            value = normalise_theme(value)
        elif kind == "category":
            value = value.casefold()
        parts.append(f"{kind}:{value}")
    return ";".join(parts)


def content_key(
    donor: str, currency: str, tranches: Sequence[tuple[int, float]], earmarking: str, target: str
) -> tuple[Any, ...]:
    """What makes two pledges "the same": donor, amount, currency, years and earmark."""
    return (
        donor.casefold(),
        currency,
        tuple((int(y), round(float(a), 2)) for y, a in tranches),
        earmarking,
        target.casefold(),
    )


def pledge_hash(key: tuple[Any, ...], source: str = "") -> str:
    """Stable id from a pledge's content and its source (file and sheet): the same row of the
    same file gets the same id across runs and machines; the same content in another file
    another id, so two files never collapse into one pledge."""
    text = repr(key) if not source else repr((key, source))
    return "P-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _header_years(table: Table, columns: Iterable[str], prefix: str, report: ImportReport) -> bool:
    """Check the year in each ``prefix`` column's header (req_2027, amount_2028) is within the
    contract's years; each one that is not is a file error naming its column. True when all are.
    """
    ok = True
    for column in columns:
        year = int(column.removeprefix(prefix))
        if not contract.FIRST_YEAR <= year <= contract.LAST_YEAR:
            report.errors.append(
                RowError(
                    table.file,
                    table.sheet,
                    table.header_row,
                    table.headers.get(column, column),
                    f"the column's year {year} is outside {contract.FIRST_YEAR}-"
                    f"{contract.LAST_YEAR}",
                )
            )
            ok = False
    if not ok:
        report.fatal = True
    return ok


def _usd_range(r: _Row, column: str, amount: float, rate: float) -> None:
    """A row error when ``amount`` (in a currency at ``rate`` units per USD) is more US dollars
    than one pledge may hold, or a positive amount below a cent."""
    usd = amount / rate
    if usd > contract.MAX_USD:
        r.error(
            column,
            f"{column} is USD {usd:.3g}; one pledge may hold at most USD {contract.MAX_USD:.0e}",
        )
    elif 0 < usd < contract.MIN_USD:
        r.error(
            column, f"{column} is USD {usd:.3g}; the smallest pledge is USD {contract.MIN_USD:g}"
        )


def read_pledges(
    source: PathLike | bytes,
    *,
    filename: str | None = None,
    programmes: pd.DataFrame,
    fx: pd.DataFrame | dict[str, float] | None,
    skip_invalid: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, ImportReport]:
    """Read one pledge file (a path, or bytes with ``filename`` as the dashboard's upload does).

    Returns (pledges, tranches, report) with the plan's column contracts. Strict by default:
    raises :class:`ImportFailed` when any row is invalid; with ``skip_invalid`` the invalid
    rows are left out and listed in the report. An unreadable file always raises.
    """
    pledges, tranches, report = _read_pledges(source, filename, programmes, money.usd_rates(fx), {})
    _raise_if_refused(report, skip_invalid)
    return pledges, tranches, report


def _raise_if_refused(report: ImportReport, skip_invalid: bool) -> None:
    if report.errors and (report.fatal or not skip_invalid):
        # Nothing is stored: every read row counts as refused.
        report.rows_rejected = report.rows_read
        report.rows_imported = 0
        raise ImportFailed(report)


def _read_pledges(
    source: PathLike | bytes,
    filename: str | None,
    programmes: pd.DataFrame,
    rates: dict[str, float],
    seen: dict[tuple[Any, ...], tuple[str, int]],
) -> tuple[pd.DataFrame, pd.DataFrame, ImportReport]:
    """The work of :func:`read_pledges`, never raising ImportFailed. ``seen`` carries content
    keys across files (for duplicate warnings and distinct ids)."""
    report = ImportReport()
    empty = (pd.DataFrame(columns=PLEDGE_COLUMNS), pd.DataFrame(columns=TRANCHE_COLUMNS))
    try:
        table = ss.read_table(source, "pledges", filename=filename)
    except SpreadsheetError as exc:
        _file_error(report, exc, "pledges")
        return *empty, report
    assert table is not None
    index = EligibilityIndex(programmes)
    eligible_cache: dict[tuple[str, str], str | Exception] = {}
    prefix = _AMOUNT_YEAR.prefix
    year_columns = sorted(
        (int(c.removeprefix(prefix)), c)
        for c in table.columns
        if c.startswith(prefix) and c.removeprefix(prefix).isdigit()
    )
    if not _header_years(table, [c for _, c in year_columns], prefix, report):
        return *empty, report
    year_parsers = {c: _pattern_parser(_AMOUNT_YEAR, c) for _, c in year_columns}
    rows = _data_rows(table, report)
    parsed: dict[int, dict[str, Any]] = {}
    spread: dict[int, list[tuple[int, float]]] = {}
    explicit_ids: dict[str, int] = {}
    read = _READ["pledges"]
    others: list[tuple[str, _Reader]] | None = None
    for r in rows:
        pledge_id = read["pledge_id"](r)
        if pledge_id:
            if pledge_id in explicit_ids:
                r.error(
                    "pledge_id",
                    f"duplicate pledge_id {pledge_id!r} (also row {explicit_ids[pledge_id]})",
                )
            else:
                explicit_ids[pledge_id] = r.number
        donor = read["donor"](r)
        # Amount: a total, or explicit per-year columns.
        per_year: list[tuple[int, float]] = []
        text_currency: str | None = None
        for year, column in year_columns:
            got = r.cell(column, year_parsers[column])
            if got is None:
                continue
            value, cur = got
            if value < 0:
                r.error(column, f"{column} must not be negative, got {value:g}")
            elif value > 0:
                per_year.append((year, value))
            if cur and text_currency and cur != text_currency:
                r.error(
                    column, f"{column} is written in {cur} but other amounts in {text_currency}"
                )
            text_currency = text_currency or cur
        amount: float | None = None
        # Required, unless the per-year columns give the money.
        got = r.cell("amount", _AMOUNT) if per_year else r.required("amount", _AMOUNT)
        if got is not None:
            amount, cur = got
            if cur and text_currency and cur != text_currency:
                r.error("amount", f"amount is written in {cur} but amount_YYYY in {text_currency}")
            text_currency = text_currency or cur
        # Required, unless the amount's text names it ("EUR 1.5m").
        currency = r.cell("currency", _currency_code)
        if currency is None and "currency" not in [c for c, _ in r.errors]:
            if text_currency is None:
                r.error("currency", "currency is required")
            else:
                currency = text_currency
        elif currency is not None and text_currency is not None and text_currency != currency:
            r.error(
                "amount",
                f"the amount is written in {text_currency} but the currency column says {currency}",
            )
        if currency is not None and currency not in rates:
            r.error("currency", f"no exchange rate for {currency} in the exchange-rate table")
        # The years: year (+ years or last_year), or the span of the per-year columns.
        first = r.cell("year", _parser("pledges", "year"))
        n_years = r.cell("years", _parser("pledges", "years"))
        last = r.cell("last_year", _parser("pledges", "last_year"))
        if per_year:
            years_given = [y for y, _ in per_year]
            if amount is not None and not math.isclose(
                amount, sum(a for _, a in per_year), rel_tol=1e-6, abs_tol=0.01
            ):
                r.error(
                    "amount",
                    f"amount {amount:,.2f} does not equal the sum of the amount_YYYY columns "
                    f"({sum(a for _, a in per_year):,.2f})",
                )
            amount = sum(a for _, a in per_year)
            if first is not None and first > min(years_given):
                r.error(
                    "year", f"year {first} is after the first amount_YYYY year {min(years_given)}"
                )
            first = min(years_given) if first is None else first
            if last is not None and last < max(years_given):
                r.error("last_year", f"last_year {last} is before the last amount_YYYY year")
            last = max(years_given)
        elif amount is not None:
            if first is None and "year" not in [c for c, _ in r.errors]:
                r.error("year", "year is required (the first year the money is available)")
            if n_years is not None and not 1 <= n_years <= MAX_YEARS:
                r.error("years", f"years must be 1-{MAX_YEARS}, got {n_years}")
                n_years = None
            if first is not None:
                if last is None:
                    last = first + (n_years or 1) - 1
                elif last < first:
                    r.error("last_year", f"last year {last} is before the first year {first}")
                elif n_years is not None and last != first + n_years - 1:
                    r.error(
                        "last_year",
                        f"last_year {last} does not match year {first} + years {n_years}",
                    )
        if currency in rates and amount is not None:
            _usd_range(r, "amount", amount, rates[currency])
        earmarking = read["earmarking"](r)
        target = read["earmark_to"](r)
        if earmarking is not None and target is not None:
            key = (earmarking, target)
            if key not in eligible_cache:
                try:
                    index.lines_for(earmarking, target)
                    eligible_cache[key] = (
                        _normalise_target(earmarking, target, index) if target else ""
                    )
                except UnknownEarmarkTarget as exc:
                    eligible_cache[key] = exc
            outcome = eligible_cache[key]
            if isinstance(outcome, Exception):
                r.error("earmark_to", str(outcome))
            else:
                target = outcome
        status = read["status"](r)
        psc = read["psc_rate"](r)
        confidential = read["confidential"](r)
        parsed[r.number] = {
            "pledge_id": pledge_id,
            "donor": donor,
            "amount": amount,
            "currency": currency,
            "first_year": first,
            "last_year": last,
            "earmarking": earmarking,
            "earmark_to": target,
            "status": status,
            "psc_rate": psc,
            "confidential": bool(confidential),
        }
        # Any other column (one the contract has and this code does not name) as declared.
        if others is None:
            others = _readers("pledges", _others("pledges", parsed[r.number]))
        parsed[r.number].update(_record(r, others))
        if per_year:
            spread[r.number] = per_year
    # Value rules (amount > 0, year order, psc range ...) from the pandera schema, lazily.
    clean = [r.number for r in rows if not r.errors]
    frame = pd.DataFrame([parsed[n] for n in clean], index=clean, columns=_FROM_FILES)
    if clean:
        # Blank ids are made after the checks; a distinct stand-in keeps them unique meanwhile
        # (no typed id has a control character).
        ids = frame["pledge_id"]
        stand_in = [f"\x00{n}" for n in frame.index]
        checked = frame.assign(pledge_id=ids.where(ids != "", stand_in))
        _apply_problems({r.number: r for r in rows}, schemas.problems("pledges", checked))
    good = _finish(rows, report, table, "pledges")
    pledge_ids: list[str] = []
    tranche_rows: list[money.Tranche] = []
    in_file: dict[tuple[Any, ...], int] = {}
    for r in good:
        p = parsed[r.number]
        parts = spread.get(r.number) or money.even_spread(
            p["amount"], p["first_year"], p["last_year"]
        )
        key = content_key(p["donor"], p["currency"], parts, p["earmarking"], p["earmark_to"])
        # Copies within one file are numbered, so the id stays the same whatever other files
        # are imported with it.
        count = in_file[key] = in_file.get(key, 0) + 1
        previous = seen.get(key)
        if previous is not None:
            report.warnings.append(
                RowError(
                    table.file,
                    table.sheet,
                    r.number,
                    None,
                    f"possible duplicate of {previous[0]} row {previous[1]} (same donor, amount, "
                    "currency, years and earmark); both kept — delete one if it is a copy",
                )
            )
        else:
            seen[key] = (_where(table), r.number)
        if not p["pledge_id"]:
            p["pledge_id"] = pledge_hash(key, _where(table)) + (f"-{count}" if count > 1 else "")
        tranche_rows.extend(
            money.tranches(p["pledge_id"], parts, rates[p["currency"]], p["psc_rate"])
        )
        pledge_ids.append(p["pledge_id"])
    numbers = [r.number for r in good]
    pledges = frame.loc[numbers].assign(
        pledge_id=pledge_ids, source_file=table.file, source_sheet=table.sheet, source_row=numbers
    )
    pledges = conform("pledges", pledges)
    tranches = conform("tranches", pd.DataFrame(tranche_rows, columns=TRANCHE_COLUMNS))
    return pledges, tranches, report


def _where(table: Table) -> str:
    return table.file + (f" [{table.sheet}]" if table.sheet else "")


# -- the whole plan -------------------------------------------------------------------------
def load_plan(
    programmes: PathLike,
    pledges: Sequence[PathLike],
    donors: PathLike | None = None,
    fx: PathLike | None = None,
    *,
    skip_invalid: bool = False,
    title: str | None = None,
) -> tuple[Plan, ImportReport]:
    """Read programmes, pledge files, donors and exchange rates into a validated Plan.

    Every file is read and every error collected before deciding, so the user sees all of
    them at once. Strict: raises :class:`ImportFailed` (nothing returned) on any error; with
    ``skip_invalid`` invalid rows are left out and reported. Unreadable files always raise.
    """
    report = ImportReport()
    fx_frame = pd.DataFrame(columns=FX_COLUMNS)
    donor_frame = pd.DataFrame(columns=DONOR_COLUMNS)
    if fx is not None:
        fx_frame, sub = read_fx(fx)
        report.extend(sub, counts=bool(sub.errors))
    if donors is not None:
        donor_frame, sub = read_donors(donors)
        report.extend(sub, counts=bool(sub.errors))
    prog, req, sub = read_programmes(programmes)
    report.extend(sub, counts=bool(sub.errors))
    if report.fatal:
        raise ImportFailed(report)  # unusable reference data: pledges cannot be checked
    years = sorted(int(y) for y in req["year"].unique()) if len(req) else []
    default_title = f"Multi-Year Appeal {years[0]}-{years[-1]}" if years else "Multi-Year Appeal"
    if _is_sample(programmes):
        default_title = "Illustrative " + default_title
    reference = {
        "programmes": prog,
        "requirements": req,
        "donors": donor_frame,
        "fx": fx_frame,
        "title": title or default_title,
        "illustrative": _is_sample(programmes),
    }
    return _add_pledges(reference, pledges, report, skip_invalid)


def _is_sample(path: PathLike) -> bool:
    """True for the bundled sample programmes (their amounts are illustrative)."""
    try:
        return Path(path).resolve().parent == SAMPLE_DIR
    except OSError:
        return False


def load_pledges(
    base: Plan,
    pledges: Sequence[PathLike],
    *,
    donors: PathLike | None = None,
    fx: PathLike | None = None,
    skip_invalid: bool = False,
) -> tuple[Plan, ImportReport]:
    """Read pledge files against an existing plan's programmes (e.g. the register's).

    Returns a plan with ``base``'s programmes and requirements, the new pledges only, and the
    donors/rates from the given files (else ``base``'s). Same strictness as :func:`load_plan`.
    """
    report = ImportReport()
    reference: dict[str, Any] = {
        "programmes": base.programmes,
        "requirements": base.requirements,
        "donors": base.donors,
        "fx": base.fx,
        "title": base.title,
        "illustrative": base.illustrative,
    }
    if fx is not None:
        reference["fx"], sub = read_fx(fx)
        report.extend(sub, counts=bool(sub.errors))
    if donors is not None:
        reference["donors"], sub = read_donors(donors)
        report.extend(sub, counts=bool(sub.errors))
    if report.fatal:
        raise ImportFailed(report)
    return _add_pledges(reference, pledges, report, skip_invalid)


def _add_pledges(
    reference: dict[str, Any],
    pledges: Sequence[PathLike],
    report: ImportReport,
    skip_invalid: bool,
) -> tuple[Plan, ImportReport]:
    """Read the pledge files against the reference tables and build the plan from them all
    (``reference``: programmes, requirements, donors, fx, title, illustrative)."""
    rates = money.usd_rates(reference["fx"])
    seen: dict[tuple[Any, ...], tuple[str, int]] = {}
    frames: list[pd.DataFrame] = []
    tranche_frames: list[pd.DataFrame] = []
    if not pledges:
        report.errors.append(RowError("", "", None, None, "no pledge files given"))
    for source in pledges:
        p, t, sub = _read_pledges(source, None, reference["programmes"], rates, seen)
        report.extend(sub, counts=True)
        frames.append(p)
        tranche_frames.append(t)
    all_pledges = _concat(frames, PLEDGE_COLUMNS)
    all_tranches = _concat(tranche_frames, TRANCHE_COLUMNS)
    # The same explicit pledge_id in two files is an error: ids must identify one pledge.
    dup = all_pledges["pledge_id"].duplicated(keep="first")
    if dup.any():
        for again in all_pledges.loc[dup].to_dict("records"):
            report.errors.append(
                RowError(
                    str(again["source_file"]),
                    str(again["source_sheet"]),
                    int(again["source_row"]),
                    "pledge_id",
                    f"pledge_id {again['pledge_id']!r} is already used in another file",
                )
            )
            report.rows_imported -= 1
            report.rows_rejected += 1
        # Keep the first file's pledge and only its tranches.
        first_of = dict(
            zip(
                all_pledges.loc[~dup, "pledge_id"],
                all_pledges.loc[~dup, "source_file"],
                strict=True,
            )
        )
        all_pledges = all_pledges.loc[~dup].reset_index(drop=True)
        keep = [
            f.loc[f["pledge_id"].map(lambda i, src=src: first_of.get(i) == src)]
            for f, src in zip(
                tranche_frames,
                [str(fr["source_file"].iloc[0]) if len(fr) else "" for fr in frames],
                strict=True,
            )
        ]
        all_tranches = _concat(keep, TRANCHE_COLUMNS)
    _raise_if_refused(report, skip_invalid)
    try:
        plan = Plan.build(pledges=all_pledges, tranches=all_tranches, **reference)
    except PlanError as exc:
        # The row checks above hold every rule of the plan; should one slip through, the
        # import is refused with it rather than a plan that breaks the contract.
        report.errors.extend(RowError("", p.table, None, p.column, p.message) for p in exc.problems)
        report.fatal = True
        _raise_if_refused(report, skip_invalid)
        raise
    return plan, report


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    if len(frames) == 1:
        return frames[0][columns]
    return pd.concat(frames, ignore_index=True)[columns]


def sample_paths() -> dict[str, Any]:
    """Paths of the bundled sample files (programmes, pledges list, donors, fx, scenarios)."""
    return {
        "programmes": SAMPLE_DIR / "programmes.xlsx",
        "pledges": [SAMPLE_DIR / "pledges.xlsx", SAMPLE_DIR / "pledges_entities.csv"],
        "donors": SAMPLE_DIR / "donors.csv",
        "fx": SAMPLE_DIR / "fx_rates.csv",
        "scenarios": sorted((SAMPLE_DIR / "scenarios").glob("*.toml")),
    }


def load_sample_plan() -> tuple[Plan, ImportReport]:
    """The bundled illustrative sample plan (amounts are illustrative, not real figures)."""
    paths = sample_paths()
    plan, report = load_plan(
        paths["programmes"],
        paths["pledges"],
        donors=paths["donors"],
        fx=paths["fx"],
        title="Illustrative Multi-Year Appeal 2027-2030",
    )
    return plan.replace(illustrative=True), report


__all__ = [
    "SAMPLE_DIR",
    "ImportFailed",
    "ImportReport",
    "RowError",
    "content_key",
    "load_plan",
    "load_pledges",
    "load_sample_plan",
    "pledge_hash",
    "read_donors",
    "read_fx",
    "read_pledges",
    "read_programmes",
    "sample_paths",
]
