"""Import: users' spreadsheets -> a validated :class:`~models.plan.Plan`, every row accounted for.

Each file is read with :mod:`appeal.spreadsheet` (header detection, aliases, HXL), each cell is
parsed into a typed value by :mod:`appeal.cells`, and the typed tables are checked against the
pandera schemas of :mod:`models.schemas` (lazily: every problem at once). The report is
:mod:`appeal.import_report`'s (re-exported here). Every data row ends up imported or
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

import functools
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from appeal import adjustments as adjustment_rules
from appeal import instalments as instalment_rules
from appeal import spreadsheet as ss
from appeal.adjustments import Adjustment
from appeal.cells import (
    PILLAR_WORDS,
    YearSpan,
    currency_code,
    parse_year,
    parser,
    pattern_parser,
    vocabulary_choices,
)
from appeal.formats import ReadOptions
from appeal.import_report import NO_RATE, ImportFailed, ImportReport, RejectedRow, RowError
from appeal.instalments import SHEET_NAMES
from appeal.numbers import COMMA, POINT
from appeal.profiles.engine import SetAside
from appeal.spreadsheet import CellError, SpreadsheetError, Table
from appeal.suggest import did_you_mean
from appeal.summary_rows import summary_kind
from models import contract, money, schemas
from models.contract import Column
from models.eligibility import EligibilityIndex, UnknownEarmarkTarget, normalise_theme
from models.plan import (
    DONOR_COLUMNS,
    FX_COLUMNS,
    INSTALMENT_COLUMNS,
    PLEDGE_COLUMNS,
    PROGRAMME_COLUMNS,
    REQUIREMENT_COLUMNS,
    TRANCHE_COLUMNS,
    Plan,
    PlanError,
    conform,
    split_list,
)
from models.scenario import CRITERIA

#: The bundled illustrative sample data.
SAMPLE_DIR: Path = Path(__file__).resolve().parent.parent / "sample_data"

PathLike = str | Path


MAX_YEARS = contract.MAX_YEARS


# -- row machinery --------------------------------------------------------------------------
_BLANK = object()  # what _Row.cell gives for a blank cell when asked to tell


class _Row:
    """Collects the parsed values and cell errors of one spreadsheet row."""

    __slots__ = ("errors", "number", "table", "values")

    def __init__(self, table: Table, number: int, values: tuple[Any, ...]) -> None:
        self.table = table
        self.number = number
        self.values = values
        self.errors: list[tuple[str | None, str, bool]] = []

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
            if column in self.table.columns:
                self.error(column, f"{column} is required")
            else:
                self.error(column, f"column {column} is missing", file_level=True)
            return None
        return value

    def error(self, column: str | None, message: str, *, file_level: bool = False) -> None:
        """A problem of this row; ``file_level``: a problem of the whole file showing in this
        row (a missing column, a currency without a rate), reported once for all its rows."""
        self.errors.append((column, message, file_level))

    def row_errors(self) -> list[RowError]:
        return [
            RowError(
                self.table.file,
                self.table.sheet,
                self.number,
                self.table.headers.get(c, c) if c else None,
                m,
            )
            for c, m, file_level in self.errors
            if not file_level
        ]

    def file_errors(self) -> list[tuple[str | None, str]]:
        return [(self.table.headers.get(c, c) if c else None, m) for c, m, f in self.errors if f]

    def cells(self) -> dict[str, Any]:
        """The row's cells under the file's headers (for the rejected-rows workbook)."""
        out: dict[str, Any] = {}
        for column, i in self.table.columns.items():
            if i < len(self.values):
                out[self.table.headers.get(column, column)] = self.values[i]
        return out


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
        problem = table.row_errors.get(number) or row_problem(table, values)
        if problem:
            row.error(None, problem)
        rows.append(row)
    _unnamed_columns(table, rows, report)
    return rows


def row_problem(table: Table, values: tuple[Any, ...]) -> str:
    """What is wrong with a data row as a whole ("" when nothing): a repeated header, or a csv
    row with another field count than its header."""
    if table.is_repeated_header(values):
        return "repeated header row; delete it"
    if table.exact_width and len(values) != len(table.header_values):
        return _width_message(len(values), len(table.header_values))
    return ""


def _width_message(found: int, header: int) -> str:
    """Why a csv row with another field count than its header is refused (not shifted)."""
    return (
        f"this row has {found} fields but the header has {header}: a value holds an unquoted "
        "delimiter or a stray quote, so its cells cannot be matched to the columns; quote the "
        'value ("...", a quote inside doubled: "") — nothing of the row was read'
    )


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
    """Count and report; return the valid rows. A problem of the whole file (a missing
    column, a currency without a rate) is reported once, with the rows it refuses."""
    good = [r for r in rows if not r.errors]
    report.rows_read += len(rows)
    report.rows_imported += len(good)
    report.rows_rejected += len(rows) - len(good)
    file_level: dict[tuple[str | None, str], list[int]] = {}
    for r in rows:
        report.errors.extend(r.row_errors())
        for key in r.file_errors():
            file_level.setdefault(key, []).append(r.number)
        if r.errors:
            report.rejected.append(
                RejectedRow(
                    r.table.file,
                    r.table.sheet,
                    r.number,
                    r.cells(),
                    [m for _, m, _ in r.errors],
                )
            )
    if table is not None:
        for (column, message), numbers in file_level.items():
            # Once for the file, at its first row, listing every row it refuses.
            report.errors.append(
                RowError(
                    table.file,
                    table.sheet,
                    numbers[0],
                    column,
                    f"{message} ({_row_list(numbers)})" if len(numbers) > 1 else message,
                )
            )
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
        known = list(ss.alias_lookup(contract.TABLES[kind])) if kind in contract.TABLES else []
        names = [c.name for c in contract.TABLES[kind].file_columns] if known else []
        for header in table.ignored:
            hint = did_you_mean(header, names, limit=1) if names else ""
            report.warnings.append(
                RowError(
                    table.file,
                    table.sheet,
                    table.header_row,
                    header,
                    f"unknown column ignored{hint}",
                )
            )
    return good


def _row_list(numbers: list[int]) -> str:
    """ "rows 2-329 (328 rows)", "rows 4, 7 and 9" or "row 5"."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"rows {numbers[0]}-{numbers[-1]} ({len(numbers)} rows)"
    shown = ", ".join(str(n) for n in numbers[:8])
    more = f" and {len(numbers) - 8} more" if len(numbers) > 8 else ""
    return f"rows {shown}{more}"


# Per decimal convention and table: file column -> (column, parser), built once from the
# contract.
_BY_DECIMAL: dict[str, dict[str, dict[str, tuple[Column, Callable[[Any], Any]]]]] = {
    decimal: {
        t.name: {c.name: (c, parser(c, decimal)) for c in t.file_columns}
        for t in contract.TABLES.values()
        if t.in_files
    }
    for decimal in (POINT, COMMA)
}
_COLUMNS = _BY_DECIMAL[POINT]
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


# Per decimal convention and table: file column -> its reader.
_READS: dict[str, dict[str, dict[str, _Reader]]] = {
    decimal: {
        table: {name: _reader(c, parse) for name, (c, parse) in columns.items()}
        for table, columns in tables.items()
    }
    for decimal, tables in _BY_DECIMAL.items()
}
_READ = _READS[POINT]


def _readers(
    table: str, names: Sequence[str] | None = None, decimal: str = POINT
) -> list[tuple[str, _Reader]]:
    """(plan column, reader) of the named file columns (all stored ones by default)."""
    columns = _COLUMNS[table]
    chosen = names if names is not None else [n for n, (c, _) in columns.items() if c.stored]
    return [(columns[n][0].plan_name, _READS[decimal][table][n]) for n in chosen]


def _record(r: _Row, readers: Sequence[tuple[str, _Reader]]) -> dict[str, Any]:
    """Plan column -> value of one row, for the given readers."""
    return {field: read(r) for field, read in readers}


def _others(table: str, done: Iterable[str]) -> list[str]:
    """The table's stored file columns whose plan column is not among ``done``."""
    skip = set(done)
    return [n for n, (c, _) in _COLUMNS[table].items() if c.stored and c.plan_name not in skip]


def _parser(table: str, name: str, decimal: str = POINT) -> Callable[[Any], Any]:
    """The parser of one column, for cells whose rules depend on other cells."""
    return _BY_DECIMAL[decimal][table][name][1]


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
    source: PathLike | bytes,
    *,
    filename: str | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, ImportReport]:
    """Programmes and their requirements: ``req_YYYY`` columns, a ``requirements`` sheet, or
    the long form (a ``year`` and a ``requirement_usd`` column, one row per line and year, as
    a csv or an FTS requirements file has them). Returns (programmes, requirements, report);
    errors are in the report."""
    options = options or ReadOptions()
    report = ImportReport()
    empty = (pd.DataFrame(columns=PROGRAMME_COLUMNS), pd.DataFrame(columns=REQUIREMENT_COLUMNS))
    try:
        table = ss.read_table(
            source,
            "programmes",
            filename=filename,
            profile=options.profile_name,
            csv=options.csv,
        )
        long = ss.read_table(
            source, "requirements", filename=filename, sheet="requirements", required=False
        )
    except SpreadsheetError as exc:
        _file_error(report, exc, "programmes")
        return *empty, report
    assert table is not None
    profile = options.profile
    if profile is not None and "programmes" in profile.tables:
        from appeal.profiles import engine

        layout = profile.table("programmes")
        table, aside = engine.apply(table, layout, row_problem=row_problem)
        for entry in aside:
            report.note_set_aside(
                RowError(table.file, table.sheet, entry.row, entry.column, entry.reason)
            )
        given = [c for c in layout.defaults if c not in table.headers]
        if given:
            report.warnings.append(
                RowError(
                    table.file,
                    table.sheet,
                    table.header_row,
                    None,
                    f"{profile.looks_like} has no {', '.join(given)}: every line gets "
                    + ", ".join(f"{c} {layout.defaults[c]}" for c in given)
                    + " (edit the programmes to correct them)",
                )
            )
    by_year = "year" in table.columns and "requirement_usd" in table.columns
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
    if not req_columns and long is None and not by_year:
        report.errors.append(
            RowError(
                table.file,
                table.sheet,
                table.header_row,
                None,
                "no requirements: add req_YYYY columns (e.g. req_2027), a 'requirements' sheet, "
                "or year and requirement_usd columns (one row per line and year)",
            )
        )
        report.fatal = True
        return *empty, report
    if not _header_years(table, req_columns, _REQ.prefix, report):
        return *empty, report
    rows = _data_rows(table, report)
    parsed: dict[int, dict[str, Any]] = {}
    req_rows: dict[int, list[tuple[int, float]]] = {}
    decimal = table.decimal
    req_parsers = {c: pattern_parser(_REQ, c, decimal) for c in req_columns}
    score_parsers = {c: pattern_parser(_SCORE, name, decimal) for c, name in score_columns.items()}
    readers = _readers("programmes", decimal=decimal)
    for r in rows:
        if r.errors:  # the row as a whole is wrong: its cells are not read
            parsed[r.number], req_rows[r.number] = {}, []
            continue
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
        if by_year:
            reqs.extend(_long_form_requirement(r, decimal))
        parsed[r.number] = record
        req_rows[r.number] = reqs
    lines = _one_row_per_line(rows, parsed, req_rows) if by_year else rows
    _validate_table("programmes", lines, parsed)
    if by_year:
        _spread_line_errors(rows, parsed)
    good = _finish(rows, report, table, "programmes")
    firsts = {r.number for r in lines}
    programmes = pd.DataFrame(
        [parsed[r.number] for r in good if r.number in firsts],
        columns=[*PROGRAMME_COLUMNS, *score_columns.values()],
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
                    "(req_YYYY column, requirements sheet or another row of the line)",
                )
            )
        req = req.drop_duplicates(["line_id", "year"])
    for line_id in programmes["line_id"]:
        if not (req["line_id"] == line_id).any():
            report.warnings.append(
                RowError(table.file, table.sheet, None, None, f"line {line_id} has no requirement")
            )
    return programmes, req.reset_index(drop=True), report


_LONG_YEAR = functools.partial(parse_year, what="year")


def _long_form_requirement(r: _Row, decimal: str) -> list[tuple[int, float]]:
    """The (year, requirement) a long-form programme row gives (none when its requirement is
    blank: the line is there, with no need that year — FTS lists clusters funded without
    one)."""
    usd = r.cell("requirement_usd", _parser("programmes", "requirement_usd", decimal))
    if usd is None:
        return []
    year = r.required("year", _LONG_YEAR)
    if usd is not None and usd < 0:
        r.error("requirement_usd", f"requirement must not be negative, got {usd:g}")
    if year is None or usd is None:
        return []
    return [(int(year), float(usd))]


def _one_row_per_line(
    rows: list[_Row], parsed: dict[int, dict[str, Any]], reqs: dict[int, list[Any]]
) -> list[_Row]:
    """Long form: the first row of each line (its programme); the line's later rows must
    repeat its columns and give only more requirements."""
    first: dict[str, _Row] = {}
    for r in rows:
        line = parsed[r.number].get("line_id")
        if not line:
            continue
        head = first.setdefault(str(line), r)
        if head is r:
            continue
        for column, value in parsed[r.number].items():
            if value != parsed[head.number].get(column):
                name = _FILE_NAMES["programmes"].get(column, column)
                r.error(
                    name,
                    f"{name} {value!r} differs from row {head.number} of the same line "
                    f"({parsed[head.number].get(column)!r}); a line's rows repeat its columns",
                )
    return [r for r in rows if first.get(str(parsed[r.number].get("line_id"))) is r]


def _spread_line_errors(rows: list[_Row], parsed: dict[int, dict[str, Any]]) -> None:
    """A line refused on its first row refuses its other rows (their requirements belong to
    it), each naming that row."""
    bad: dict[str, int] = {}
    for r in rows:
        line = str(parsed[r.number].get("line_id"))
        if line in bad:
            r.error(None, f"line {line} is refused (row {bad[line]})")
        elif r.errors:
            bad.setdefault(line, r.number)


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
# A donor cell naming several donors: these separate names (a comma does not: "Korea,
# Republic of" is one donor, as FTS writes it).
_SEVERAL_DONORS = re.compile(r"\s*(?:;|\||\n|\s/\s)\s*")


def _normalise_target(earmarking: str, target: str, index: EligibilityIndex) -> str:
    """Canonical spelling of an earmark target (already checked by the index)."""
    if earmarking in ("earmarked", "tightly_earmarked"):
        lines = [next(iter(index.lines_for(earmarking, part))) for part in split_list(target)]
        return contract.LIST_SEPARATOR.join(dict.fromkeys(lines))
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


def _earmark_error(exc: UnknownEarmarkTarget) -> str:
    """The eligibility error with the closest known value ("did you mean FLAG-09?")."""
    hint = did_you_mean(exc.unknown, exc.known) if exc.unknown else ""
    return f"{exc}{hint}"


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


@dataclass
class PledgeImport:
    """What pledge files give a plan: pledges, their tranches (money per year) and
    instalments, the donors the files describe (FTS organisation types, IATI organisation
    ids) and the report."""

    pledges: pd.DataFrame
    tranches: pd.DataFrame
    instalments: pd.DataFrame
    donors: pd.DataFrame
    report: ImportReport


def read_pledges(
    source: PathLike | bytes,
    *,
    filename: str | None = None,
    programmes: pd.DataFrame,
    fx: pd.DataFrame | dict[str, float] | None,
    skip_invalid: bool = False,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, ImportReport]:
    """Read one pledge file (a path, or bytes with ``filename`` as the dashboard's upload does).

    Returns (pledges, tranches, report) with the plan's column contracts. Strict by default:
    raises :class:`ImportFailed` when any row is invalid; with ``skip_invalid`` the invalid
    rows are left out and listed in the report. An unreadable file always raises.
    (:func:`read_pledge_file` also gives the instalments and donors.)
    """
    got = read_pledge_file(
        source,
        filename=filename,
        programmes=programmes,
        fx=fx,
        skip_invalid=skip_invalid,
        options=options,
    )
    return got.pledges, got.tranches, got.report


def read_pledge_file(
    source: PathLike | bytes,
    *,
    filename: str | None = None,
    programmes: pd.DataFrame,
    fx: pd.DataFrame | dict[str, float] | None,
    skip_invalid: bool = False,
    options: ReadOptions | None = None,
    stored: Plan | None = None,
) -> PledgeImport:
    """:func:`read_pledges`, with everything the file gives (:class:`PledgeImport`).

    ``stored``: the register's plan the file goes into; its refunds and reversals may then
    take money back from pledges stored before (changed pledges are in the result, see
    :attr:`ImportReport.adjusted_stored`)."""
    options = options or ReadOptions()
    parsed = _read_pledges(source, filename, programmes, money.usd_rates(fx), {}, options)
    report = ImportReport()
    got = _assemble([parsed], report, money.usd_rates(fx), stored)
    _raise_if_refused(report, skip_invalid)
    return got


def _raise_if_refused(report: ImportReport, skip_invalid: bool) -> None:
    if report.errors and (report.fatal or not skip_invalid):
        # Nothing is stored: every read row counts as refused (set-aside rows stay so).
        report.rows_rejected = report.rows_read - report.rows_set_aside
        report.rows_imported = 0
        raise ImportFailed(report)


@dataclass
class _Parsed:
    """One pledge file read: its valid pledges with their money per year (``parts``, in
    pledge currency, before instalments and adjustments), instalments, adjustments, donors."""

    pledges: pd.DataFrame
    parts: dict[str, list[tuple[int, float]]]
    instalments: pd.DataFrame
    instalment_rows: list[tuple[str, str, int]]
    adjustments: list[Adjustment]
    donors: pd.DataFrame
    report: ImportReport
    adjustment_rows: dict[tuple[str, str, int], int] = field(default_factory=dict)


def _empty_parsed(report: ImportReport) -> _Parsed:
    return _Parsed(
        pd.DataFrame(columns=PLEDGE_COLUMNS),
        {},
        pd.DataFrame(columns=INSTALMENT_COLUMNS),
        [],
        [],
        pd.DataFrame(columns=DONOR_COLUMNS),
        report,
    )


def _pledge_table(
    source: PathLike | bytes,
    filename: str | None,
    programmes: pd.DataFrame,
    options: ReadOptions,
    report: ImportReport,
) -> tuple[Table | None, list[SetAside]]:
    """The file's pledge table in the contract's columns (a layout's rules applied) and the
    rows its layout sets aside. None: the file holds instalments only (or could not be read:
    the error is in the report)."""
    profile = options.profile
    if profile is not None and profile.name == contract.IATI.name:
        from appeal.profiles import fts, iati

        data, name = ss.source_bytes(source, filename)
        table, aside, notes = iati.read_activities(data, name, fts.line_names(programmes))
        report.warnings.extend(RowError(name, "", line, None, text) for line, text in notes)
        return table, aside
    found = ss.read_table(
        source,
        "pledges",
        filename=filename,
        profile=options.profile_name,
        csv=options.csv,
        required=False,
    )
    if found is None:
        return None, []
    table = found
    if profile is None:
        return table, []
    from appeal.profiles import engine, fts

    table, aside = engine.apply(table, profile.table("pledges"), row_problem=row_problem)
    if profile.name == contract.FTS.name:
        table, more = fts.apply_flows(table, programmes)
        aside = aside + more
    return table, aside


def _read_pledges(
    source: PathLike | bytes,
    filename: str | None,
    programmes: pd.DataFrame,
    rates: dict[str, float],
    seen: dict[tuple[Any, ...], tuple[str, int]],
    options: ReadOptions | None = None,
) -> _Parsed:
    """One pledge file read, never raising ImportFailed. ``seen`` carries content keys across
    files (for duplicate warnings and distinct ids)."""
    options = options or ReadOptions()
    report = ImportReport()
    try:
        table, aside = _pledge_table(source, filename, programmes, options, report)
        if table is None:
            return _instalments_only(source, filename, options, report)
    except SpreadsheetError as exc:
        _file_error(report, exc, "pledges")
        return _empty_parsed(report)
    for entry in aside:
        report.note_set_aside(
            RowError(table.file, table.sheet, entry.row, entry.column, entry.reason)
        )
    index = EligibilityIndex(programmes)
    eligible_cache: dict[tuple[str, str], str | Exception] = {}
    decimal = table.decimal
    prefix = _AMOUNT_YEAR.prefix
    year_columns = sorted(
        (int(c.removeprefix(prefix)), c)
        for c in table.columns
        if c.startswith(prefix) and c.removeprefix(prefix).isdigit()
    )
    if not _header_years(table, [c for _, c in year_columns], prefix, report):
        return _empty_parsed(report)
    year_parsers = {c: pattern_parser(_AMOUNT_YEAR, c, decimal) for _, c in year_columns}
    amount_parser = _parser("pledges", "amount", decimal)
    rows = _set_aside_summary_rows(_data_rows(table, report), report)
    long_form = "due_date" in table.columns
    parsed: dict[int, dict[str, Any]] = {}
    spread: dict[int, list[tuple[int, float]]] = {}
    due: dict[int, tuple[str, str]] = {}  # long form: row -> (due date, paid date)
    negative: dict[int, float] = {}  # rows with a negative amount: adjustments
    explicit_ids: dict[str, int] = {}
    read = _READS[decimal]["pledges"]
    others: list[tuple[str, _Reader]] | None = None
    kept_rows: list[_Row] = []
    for r in rows:
        if r.errors:  # the row as a whole is wrong (its cells cannot be matched): not read
            kept_rows.append(r)
            continue
        flow = read["flow_type"](r)
        if flow is not None and flow not in options.new_money:
            report.note_set_aside(
                RowError(
                    table.file,
                    table.sheet,
                    r.number,
                    table.headers.get("flow_type", "flow_type"),
                    f"{contract.FLOW_TYPE.label(flow)} flow: its money was counted where it "
                    f"first arrived, so it is not new money (--keep-flows {flow} counts it)",
                )
            )
            continue
        kept_rows.append(r)
        pledge_id = read["pledge_id"](r)
        due_date = _parser("pledges", "due_date")
        instalment = r.cell("due_date", due_date) if long_form else None
        if long_form and instalment is not None:
            due[r.number] = (instalment, read["paid_date"](r) or "")
            if not pledge_id:
                r.error("pledge_id", "an instalment row (with a due_date) needs its pledge_id")
        elif pledge_id:
            if pledge_id in explicit_ids:
                r.error(
                    "pledge_id",
                    f"duplicate pledge_id {pledge_id!r} (also row {explicit_ids[pledge_id]})",
                )
            else:
                explicit_ids[pledge_id] = r.number
        donor = read["donor"](r)
        if donor and _SEVERAL_DONORS.search(donor):
            r.error(
                "donor",
                f"donor {donor!r} names several donors; give each its own row (or name the "
                "joint arrangement as one donor)",
            )
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
        got = r.cell("amount", amount_parser) if per_year else r.required("amount", amount_parser)
        if got is not None:
            amount, cur = got
            if cur and text_currency and cur != text_currency:
                r.error("amount", f"amount is written in {cur} but amount_YYYY in {text_currency}")
            text_currency = text_currency or cur
        if amount is not None and amount < 0 and not per_year:
            negative[r.number] = -amount
            amount = -amount  # checked as money; applied as an adjustment
        # Required, unless the amount's text (or the column's hashtag, +usd) names it.
        text_currency = text_currency or table.units.get("amount")
        currency = r.cell("currency", currency_code)
        if currency is None and "currency" not in [c for c, _, _ in r.errors]:
            if text_currency is None:
                r.error("currency", "currency is required")
            else:
                currency = text_currency
        elif currency is not None and text_currency is not None and text_currency != currency:
            r.error(
                "amount",
                f"the amount is written in {text_currency} but the currency column says {currency}",
            )
        own_rate = read["exchange_rate"](r) or 0.0
        if currency == "USD" and own_rate and not math.isclose(own_rate, 1.0):
            r.error("exchange_rate", f"a USD pledge's exchange rate must be 1, got {own_rate:g}")
        if currency is not None and currency not in rates and not own_rate:
            r.error(
                "currency",
                f"{NO_RATE}{currency} in the exchange-rate table (add it, or give the "
                "pledge's own exchange_rate)",
                file_level=True,
            )
        # The years: year (+ years or last_year), or the span of the per-year columns.
        first = r.cell("year", _YEAR_SPANS)
        n_years = r.cell("years", _parser("pledges", "years", decimal))
        last = r.cell("last_year", _parser("pledges", "last_year"))
        if isinstance(first, YearSpan):
            first, span_last = first
            if last is not None and last != span_last:
                r.error(
                    "last_year", f"last_year {last} does not match the year range's {span_last}"
                )
            last = span_last
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
            if r.number in due:
                first = int(due[r.number][0][:4]) if first is None else first
            if first is None and "year" not in [c for c, _, _ in r.errors]:
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
        rate = own_rate or (rates.get(currency) if currency is not None else None)
        if rate and amount is not None:
            _usd_range(r, "amount", amount, rate)
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
                    eligible_cache[key] = ValueError(_earmark_error(exc))
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
            "exchange_rate": own_rate,
            "flow_type": flow or contract.PLEDGES.column("flow_type").default,
        }
        # Any other column (one the contract has and this code does not name) as declared.
        if others is None:
            others = _readers("pledges", _others("pledges", parsed[r.number]), decimal)
        parsed[r.number].update(_record(r, others))
        if per_year:
            spread[r.number] = per_year
    rows = kept_rows
    if due:
        _merge_long_form(rows, parsed, due)
    # Value rules (amount > 0, year order, psc range ...) from the pandera schema, lazily;
    # long-form instalment rows merged into their pledge's first row are checked with it.
    clean = [r.number for r in rows if not r.errors and not parsed[r.number].get("_merged")]
    frame = pd.DataFrame([parsed[n] for n in clean], index=clean, columns=_FROM_FILES)
    if clean:
        # Blank ids are made after the checks; a distinct stand-in keeps them unique meanwhile
        # (no typed id has a control character). Long-form repeats are merged already.
        ids = frame["pledge_id"]
        stand_in = [f"\x00{n}" for n in frame.index]
        checked = frame.assign(pledge_id=ids.where(ids != "", stand_in))
        _apply_problems({r.number: r for r in rows}, schemas.problems("pledges", checked))
    merged_away = {n for n in parsed if parsed[n].get("_merged")}
    counted = [r for r in rows if r.number not in merged_away]
    good = _finish(counted, report, table, "pledges")
    # Rows merged into their first instalment row count as read and imported with it.
    report.rows_read += len(merged_away)
    report.rows_imported += len(merged_away)
    pledge_ids: list[str] = []
    parts_by_id: dict[str, list[tuple[int, float]]] = {}
    adjustments: list[Adjustment] = []
    pledge_rows: list[int] = []
    adjustment_rows: dict[tuple[str, str, int], int] = {}
    in_file: dict[tuple[Any, ...], int] = {}
    for r in good:
        p = parsed[r.number]
        parts = spread.get(r.number) or money.even_spread(
            p["amount"], p["first_year"], p["last_year"]
        )
        if r.number in negative:
            rate = p["exchange_rate"] or rates[p["currency"]]
            adjustments.append(
                Adjustment(
                    table.file,
                    table.sheet,
                    r.number,
                    p["donor"],
                    negative[r.number],
                    p["currency"],
                    negative[r.number] / rate,
                    int(p["first_year"]),
                    p["earmarking"],
                    p["earmark_to"],
                )
            )
            adjustment_rows[(table.file, table.sheet, r.number)] = 1
            continue
        key = content_key(p["donor"], p["currency"], parts, p["earmarking"], p["earmark_to"])
        # Copies within one file are numbered, so the id stays the same whatever other files
        # are imported with it.
        count = in_file[key] = in_file.get(key, 0) + 1
        previous = seen.get(key)
        if previous is not None:
            if not p["pledge_id"]:
                # Identical rows without ids may be one pledge typed twice; rows with ids
                # are distinct pledges that happen to be alike (FTS flows often are).
                report.warnings.append(
                    RowError(
                        table.file,
                        table.sheet,
                        r.number,
                        None,
                        f"possible duplicate of {previous[0]} row {previous[1]} (same donor, "
                        "amount, currency, years and earmark, and no pledge_id); both kept — "
                        "delete one if it is a copy",
                    )
                )
        else:
            seen[key] = (_where(table), r.number)
        if not p["pledge_id"]:
            p["pledge_id"] = pledge_hash(key, _where(table)) + (f"-{count}" if count > 1 else "")
        parts_by_id[p["pledge_id"]] = parts
        pledge_ids.append(p["pledge_id"])
        pledge_rows.append(r.number)
    pledges = frame.loc[pledge_rows].assign(
        pledge_id=pledge_ids,
        source_file=table.file,
        source_sheet=table.sheet,
        source_row=pledge_rows,
    )
    pledges = conform("pledges", pledges)
    schedule, schedule_rows = _long_form_instalments(good, parsed, due, table)
    sheet, sheet_rows = _instalment_sheet(source, filename, options, report)
    instalments = _concat([schedule, sheet], INSTALMENT_COLUMNS)
    return _Parsed(
        pledges,
        parts_by_id,
        instalments,
        schedule_rows + sheet_rows,
        adjustments,
        _described_donors(table, rows),
        report,
        adjustment_rows,
    )


_YEAR_SPANS = functools.partial(parse_year, what="year", spans=True)


def _set_aside_summary_rows(rows: list[_Row], report: ImportReport) -> list[_Row]:
    """The rows without totals and note rows, which are set aside with a warning. Such a row
    is set aside even when its field count differs from the header's (a note written in one
    cell under a csv table): nothing of it is read, so nothing can be misread."""
    kept = []
    for r in rows:
        kind = summary_kind(r.table, r.values)
        if kind and all(column is None for column, _, _ in r.errors):
            report.note_set_aside(
                RowError(
                    r.table.file,
                    r.table.sheet,
                    r.number,
                    None,
                    f"a {kind}, not a pledge ({_first_text(r.values)!r})",
                )
            )
            continue
        kept.append(r)
    return kept


def _first_text(values: tuple[Any, ...]) -> str:
    return next((ss.clean_text(v)[:60] for v in values if not ss.is_blank(v)), "")


#: Pledge columns an instalment row of the long form must repeat as its first row has them:
#: what the pledge is (its words and flags), not its money or dates.
_SAME_IN_EVERY_INSTALMENT = tuple(
    c.plan_name
    for c in contract.PLEDGES.file_columns
    if c.stored and c.kind in ("text", "choice", "currency", "bool")
)


def _merge_long_form(
    rows: list[_Row], parsed: dict[int, dict[str, Any]], due: dict[int, tuple[str, str]]
) -> None:
    """Long form: rows sharing a pledge_id are one pledge's instalments. The first row becomes
    the pledge (amount: the instalments' total); the others must repeat its columns."""
    first_of: dict[str, _Row] = {}
    for r in rows:
        if r.number not in due or r.errors:
            continue
        p = parsed[r.number]
        pid = p["pledge_id"]
        head = first_of.get(pid)
        if head is None:
            first_of[pid] = r
            p["_instalments"] = [(*due[r.number], p["amount"])]
            continue
        q = parsed[head.number]
        for column in _SAME_IN_EVERY_INSTALMENT:
            if p[column] != q[column]:
                r.error(
                    column,
                    f"{column} {p[column]!r} differs from row {head.number} of the same pledge "
                    f"({q[column]!r}); an instalment row repeats its pledge's columns",
                )
        if r.errors:
            continue
        q["_instalments"].append((*due[r.number], p["amount"]))
        q["amount"] = sum(a for _, _, a in q["_instalments"])
        years = [int(d[:4]) for d, _, _ in q["_instalments"]]
        q["first_year"], q["last_year"] = min(years), max(years)
        p["_merged"] = True


def _long_form_instalments(
    good: list[_Row],
    parsed: dict[int, dict[str, Any]],
    due: dict[int, tuple[str, str]],
    table: Table,
) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    records, where = [], []
    for r in good:
        for due_date, paid, amount in parsed[r.number].get("_instalments", []):
            records.append(
                {
                    "pledge_id": parsed[r.number]["pledge_id"],
                    "due_date": due_date,
                    "amount": amount,
                    "paid_date": paid,
                }
            )
            where.append((table.file, table.sheet, r.number))
    return pd.DataFrame(records, columns=INSTALMENT_COLUMNS), where


def _instalment_sheet(
    source: PathLike | bytes,
    filename: str | None,
    options: ReadOptions,
    report: ImportReport,
) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    """A workbook's instalments sheet, if it has one (pledge_id, due_date, amount, paid_date)."""
    if options.profile_name == contract.IATI.name:
        return pd.DataFrame(columns=INSTALMENT_COLUMNS), []
    for sheet in SHEET_NAMES:
        try:
            table = ss.read_table(
                source, "instalments", filename=filename, sheet=sheet, required=False
            )
        except SpreadsheetError as exc:
            _file_error(report, exc, "instalments")
            return pd.DataFrame(columns=INSTALMENT_COLUMNS), []
        if table is not None:
            return _instalment_rows(table, report)
    return pd.DataFrame(columns=INSTALMENT_COLUMNS), []


def _instalment_rows(
    table: Table, report: ImportReport
) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    """The valid rows of an instalments table, and where each is."""
    sub = ImportReport()
    rows = _data_rows(table, sub)
    readers = _readers("instalments", decimal=table.decimal)
    parsed = {r.number: _record(r, readers) for r in rows}
    _validate_table("instalments", rows, parsed)
    good = _finish(rows, sub, table, "instalments")
    report.extend(sub, counts=bool(sub.errors))
    frame = pd.DataFrame([parsed[r.number] for r in good], columns=INSTALMENT_COLUMNS)
    return frame, [(table.file, table.sheet, r.number) for r in good]


def _instalments_only(
    source: PathLike | bytes, filename: str | None, options: ReadOptions, report: ImportReport
) -> _Parsed:
    """A file without a pledges header: an instalments csv (or sheet), else the pledges
    header error."""
    try:
        table = ss.read_table(
            source, "instalments", filename=filename, csv=options.csv, required=False
        )
        if table is None:
            ss.read_table(source, "pledges", filename=filename, csv=options.csv)
            raise AssertionError("read_table returned no table without raising")
    except SpreadsheetError as exc:
        _file_error(report, exc, "pledges")
        return _empty_parsed(report)
    frame, where = _instalment_rows(table, report)
    parsed = _empty_parsed(report)
    parsed.instalments = frame
    parsed.instalment_rows = where
    return parsed


def _described_donors(table: Table, rows: list[_Row]) -> pd.DataFrame:
    """Donors as the file describes them (a layout's organisation type, IATI organisation id):
    each donor's first valid description."""
    if "donor_type" not in table.columns and "iati_org_id" not in table.columns:
        return pd.DataFrame(columns=DONOR_COLUMNS)
    types = vocabulary_choices(contract.DONOR_TYPE)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.errors:
            continue
        donor = ss.clean_text(r.raw("donor"))
        if not donor or donor in out:
            continue
        kind = types.get(ss.header_key(ss.clean_text(r.raw("donor_type"))), "other")
        org = ss.clean_text(r.raw("iati_org_id"))[: contract.CODE_LENGTH]
        out[donor] = {"donor": donor, "donor_type": kind, "region": "n/a", "iati_org_id": org}
    return pd.DataFrame(list(out.values()), columns=DONOR_COLUMNS)


def _assemble(
    files: list[_Parsed],
    report: ImportReport,
    rates: dict[str, float],
    stored: Plan | None = None,
) -> PledgeImport:
    """The files' pledges put together: long-form and sheet instalments tied to their
    pledges, refunds and reversals taken off their donors' earlier money (the files', then
    the ``stored`` plan's), then the tranches. Every problem goes to ``report`` (its counts
    move a row from imported to rejected)."""
    for parsed in files:
        report.extend(parsed.report, counts=True)
    pledges = _concat([p.pledges for p in files], PLEDGE_COLUMNS)
    parts: dict[str, list[tuple[int, float]]] = {}
    for p in files:
        parts.update(p.parts)
    # The same explicit pledge_id in two files is an error: ids must identify one pledge.
    dup = pledges["pledge_id"].duplicated(keep="first")
    if dup.any():
        for again in pledges.loc[dup].to_dict("records"):
            _reject(
                report,
                (
                    str(again["source_file"]),
                    str(again["source_sheet"]),
                    int(again["source_row"]),
                    "pledge_id",
                ),
                f"pledge_id {again['pledge_id']!r} is already used in another file",
            )
        first_row = {
            pid: (f, r)
            for pid, f, r in zip(
                pledges.loc[~dup, "pledge_id"],
                pledges.loc[~dup, "source_file"],
                pledges.loc[~dup, "source_row"],
                strict=True,
            )
        }
        pledges = pledges.loc[~dup].reset_index(drop=True)
        for p in files:
            for pid in list(p.parts):
                if pid in first_row and first_row[pid][0] != _file_of(p):
                    p.parts.pop(pid)
        parts = {k: v for p in files for k, v in p.parts.items()}
    # Instalments.
    instalments = _concat([p.instalments for p in files], INSTALMENT_COLUMNS)
    where = [w for p in files for w in p.instalment_rows]
    tied = instalment_rules.apply(pledges, parts, instalments, where)
    for place, message, counted in tied.errors:
        _reject(report, place, message, counted=counted)
    pledges = tied.pledges.loc[~tied.pledges["pledge_id"].isin(tied.bad_pledges)]
    parts = tied.parts
    # Refunds and reversals: the donors' money in these files first, then the register's.
    changes = [a for p in files for a in p.adjustments]
    earlier = _stored_money(stored, changes, set(pledges["pledge_id"].astype(str)))
    if earlier is not None:
        pledges = _concat([pledges, earlier.pledges], PLEDGE_COLUMNS)
        parts = {**parts, **earlier.parts}
    usd_rate = {
        str(pid): (float(own) if own else rates[str(cur)])
        for pid, cur, own in zip(
            pledges["pledge_id"], pledges["currency"], pledges["exchange_rate"], strict=True
        )
    }
    adjusted = adjustment_rules.apply(
        changes, pledges, parts, usd_rate, None if earlier is None else earlier.ids
    )
    for adj, message in adjusted.errors:
        _reject(report, (adj.file, adj.sheet, adj.row, "amount"), message)
    for adj, message in adjusted.notes:
        report.warnings.append(RowError(adj.file, adj.sheet, adj.row, "amount", message))
    out = adjusted.pledges
    schedule = tied.instalments
    if earlier is not None:
        # Only the stored pledges a refund changed go on; the others stay as stored.
        after = dict(zip(out["pledge_id"].astype(str), out["amount"].astype(float), strict=True))
        changed = {pid for pid in earlier.ids if pid in after and after[pid] != earlier.amount[pid]}
        removed = sorted(pid for pid in earlier.ids if pid not in after)
        report.adjusted_stored.update({p: earlier.amount[p] for p in [*changed, *removed]})
        report.removed_stored.extend(removed)
        out = out.loc[~out["pledge_id"].astype(str).isin(earlier.ids - changed)]
        held = earlier.instalments["pledge_id"].astype(str).isin(changed)
        schedule = _concat([schedule, earlier.instalments.loc[held]], INSTALMENT_COLUMNS)
    pledges = conform("pledges", out.reset_index(drop=True))
    tranche_rows: list[money.Tranche] = []
    for pid, psc in zip(pledges["pledge_id"], pledges["psc_rate"], strict=True):
        tranche_rows.extend(money.tranches(pid, adjusted.parts[pid], usd_rate[pid], psc))
    kept = set(pledges["pledge_id"])
    instalments = schedule.loc[schedule["pledge_id"].isin(kept)]
    return PledgeImport(
        pledges=pledges,
        tranches=conform("tranches", pd.DataFrame(tranche_rows, columns=TRANCHE_COLUMNS)),
        instalments=conform("instalments", instalments.reset_index(drop=True)),
        donors=_concat([p.donors for p in files], DONOR_COLUMNS).drop_duplicates("donor"),
        report=report,
    )


@dataclass(frozen=True)
class _StoredMoney:
    """The register's pledges a refund may take money back from: their rows, money per year
    (in pledge currency, from the stored tranches), stored amounts and instalments."""

    pledges: pd.DataFrame
    parts: dict[str, list[tuple[int, float]]]
    amount: dict[str, float]
    instalments: pd.DataFrame

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.amount)


def _stored_money(
    stored: Plan | None, changes: list[Adjustment], imported: set[str]
) -> _StoredMoney | None:
    """The stored pledges of the donors the refunds name (None without a register, or without
    refunds: then there is nothing to look up); a pledge the files give again is the files'
    version, not the stored one."""
    if stored is None or not changes:
        return None
    frame = stored.pledges
    donors = {c.donor.casefold() for c in changes}
    ids = frame["pledge_id"].astype(str)
    mine = frame.loc[frame["donor"].astype(str).str.casefold().isin(donors) & ~ids.isin(imported)]
    mine = mine[PLEDGE_COLUMNS].reset_index(drop=True)
    wanted = set(mine["pledge_id"].astype(str))
    parts: dict[str, list[tuple[int, float]]] = {pid: [] for pid in wanted}
    tranches = stored.tranches.loc[stored.tranches["pledge_id"].astype(str).isin(wanted)]
    for pid, year, amount in zip(
        tranches["pledge_id"].astype(str), tranches["year"], tranches["amount"], strict=True
    ):
        parts[pid].append((int(year), float(amount)))
    schedule = stored.instalments
    return _StoredMoney(
        pledges=mine,
        parts={pid: sorted(v) for pid, v in parts.items()},
        amount=dict(zip(mine["pledge_id"].astype(str), mine["amount"].astype(float), strict=True)),
        instalments=schedule.loc[schedule["pledge_id"].astype(str).isin(wanted)][
            INSTALMENT_COLUMNS
        ],
    )


def _file_of(parsed: _Parsed) -> str:
    return str(parsed.pledges["source_file"].iloc[0]) if len(parsed.pledges) else ""


def _reject(
    report: ImportReport,
    place: tuple[str, str, int | None, str | None],
    message: str,
    *,
    counted: bool = True,
) -> None:
    """A row found invalid after it was read (``counted``: it was counted as an imported
    pledge row, and is moved to rejected)."""
    file, sheet, row, column = place
    report.errors.append(RowError(file, sheet, row, column, message))
    if row is not None and counted:
        report.rows_imported -= 1
        report.rows_rejected += 1
        for entry in report.files:
            if (entry["file"], entry["sheet"], entry.get("kind")) == (file, sheet, "pledges"):
                entry["rows_imported"] -= 1
                entry["rows_rejected"] += 1
                break


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
    options: ReadOptions | None = None,
) -> tuple[Plan, ImportReport]:
    """Read programmes, pledge files, donors and exchange rates into a validated Plan.

    ``options`` says how the programmes and pledge files are written (``--format``, csv
    delimiter, encoding, decimal convention) and which flows count as new money; donors and
    exchange rates are always the contract's layout.

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
    prog, req, sub = read_programmes(programmes, options=options)
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
    return _add_pledges(reference, pledges, report, skip_invalid, options)


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
    options: ReadOptions | None = None,
) -> tuple[Plan, ImportReport]:
    """Read pledge files against an existing plan's programmes (e.g. the register's).

    Returns a plan with ``base``'s programmes and requirements, the new pledges only (and
    ``base``'s pledges that the files' refunds and reversals change, listed in the report's
    ``adjusted_stored``), and the donors/rates from the given files (else ``base``'s). Same
    strictness as :func:`load_plan`.
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
    return _add_pledges(reference, pledges, report, skip_invalid, options, stored=base)


def _add_pledges(
    reference: dict[str, Any],
    pledges: Sequence[PathLike],
    report: ImportReport,
    skip_invalid: bool,
    options: ReadOptions | None = None,
    *,
    stored: Plan | None = None,
) -> tuple[Plan, ImportReport]:
    """Read the pledge files against the reference tables and build the plan from them all
    (``reference``: programmes, requirements, donors, fx, title, illustrative)."""
    rates = money.usd_rates(reference["fx"])
    seen: dict[tuple[Any, ...], tuple[str, int]] = {}
    if not pledges:
        report.errors.append(RowError("", "", None, None, "no pledge files given"))
    files = [
        _read_pledges(source, None, reference["programmes"], rates, seen, options)
        for source in pledges
    ]
    got = _assemble(files, report, rates, stored)
    _raise_if_refused(report, skip_invalid)
    reference = {**reference, "donors": _with_described(reference["donors"], got.donors)}
    try:
        plan = Plan.build(
            pledges=got.pledges, tranches=got.tranches, instalments=got.instalments, **reference
        )
    except PlanError as exc:
        # The row checks above hold every rule of the plan; should one slip through, the
        # import is refused with it rather than a plan that breaks the contract.
        report.errors.extend(RowError("", p.table, None, p.column, p.message) for p in exc.problems)
        report.fatal = True
        _raise_if_refused(report, skip_invalid)
        raise
    return plan, report


def _with_described(donors: pd.DataFrame, described: pd.DataFrame) -> pd.DataFrame:
    """The donors table with the donors the pledge files describe added (a donors file's own
    rows win: it is the working group's word)."""
    if described.empty:
        return donors
    known = set(donors["donor"].astype(str)) if len(donors) else set()
    extra = described.loc[~described["donor"].astype(str).isin(known)]
    return _concat([donors, extra], DONOR_COLUMNS).reset_index(drop=True)


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
    "PledgeImport",
    "RejectedRow",
    "RowError",
    "content_key",
    "load_plan",
    "load_pledges",
    "load_sample_plan",
    "pledge_hash",
    "read_donors",
    "read_fx",
    "read_pledge_file",
    "read_pledges",
    "read_programmes",
    "sample_paths",
]
