"""What an import read, kept and refused: :class:`RowError` (one problem, located as precisely
as the file allows), :class:`RejectedRow`, :class:`ImportReport` (the counts, problems and what
the import did to stored pledges) and :class:`ImportFailed` (the import refused, with its
report). Re-exported by :mod:`appeal.importer`, where every caller finds them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["NO_RATE", "ImportFailed", "ImportReport", "RejectedRow", "RowError"]


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
class RejectedRow:
    """A refused row as the file has it (for the rejected-rows workbook): its cells under
    the file's headers and every reason it was refused."""

    file: str
    sheet: str
    row: int
    cells: dict[str, Any]
    reasons: list[str]


@dataclass
class ImportReport:
    """What an import read, kept and refused. Counts are of pledge rows (plus programme rows
    when the programmes file had errors); ``files`` has per-file counts.

    ``rows_read == rows_imported + rows_rejected + rows_set_aside`` always holds: a row set
    aside was read and deliberately not imported (a totals or note row, a carry-over or
    pass-through flow, a parked parent flow, money another row already counts), with its
    reason in ``set_aside``."""

    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    #: a file could not be read at all: the import is refused even with skip_invalid
    fatal: bool = False
    rows_set_aside: int = 0
    set_aside: list[RowError] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    #: stored pledges this import's refunds and reversals change: pledge_id -> the stored
    #: amount they were worked out from (the register refuses the import if it changed since)
    adjusted_stored: dict[str, float] = field(default_factory=dict)
    #: those of them brought to zero: the register removes them
    removed_stored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_counts(self, other: ImportReport) -> None:
        self.rows_read += other.rows_read
        self.rows_imported += other.rows_imported
        self.rows_rejected += other.rows_rejected
        self.rows_set_aside += other.rows_set_aside

    def extend(self, other: ImportReport, *, counts: bool) -> None:
        if counts:
            self.add_counts(other)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)
        self.set_aside.extend(other.set_aside)
        self.rejected.extend(other.rejected)
        self.fatal = self.fatal or other.fatal
        self.adjusted_stored.update(other.adjusted_stored)
        self.removed_stored.extend(other.removed_stored)

    def stored_changes(self) -> tuple[int, int]:
        """(stored pledges reduced, stored pledges removed) by this import's refunds and
        reversals."""
        removed = len(self.removed_stored)
        return len(self.adjusted_stored) - removed, removed

    def missing_rates(self) -> list[str]:
        """Currencies the import needed an exchange rate for and did not have."""
        found = []
        for error in self.errors:
            if error.message.startswith(NO_RATE):
                code = error.message.removeprefix(NO_RATE).split()[0]
                if code not in found:
                    found.append(code)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            "files": [dict(f) for f in self.files],
            "fatal": self.fatal,
            "rows_set_aside": self.rows_set_aside,
            "set_aside": [r.to_dict() for r in self.set_aside],
            "adjusted_stored": sorted(self.adjusted_stored),
            "removed_stored": list(self.removed_stored),
        }

    def summary(self) -> str:
        aside = f", {self.rows_set_aside} set aside" if self.rows_set_aside else ""
        return (
            f"{self.rows_read} rows read, {self.rows_imported} imported, "
            f"{self.rows_rejected} rejected{aside}, {len(self.warnings)} warnings"
        )

    def note_set_aside(self, entry: RowError) -> None:
        """One row read and deliberately not imported (counted; listed as a warning too)."""
        self.rows_read += 1
        self.rows_set_aside += 1
        self.set_aside.append(entry)
        self.warnings.append(
            RowError(
                entry.file, entry.sheet, entry.row, entry.column, f"set aside: {entry.message}"
            )
        )


#: How a missing exchange rate is worded (the report reads the currencies back from it).
NO_RATE = "no exchange rate for "


class ImportFailed(Exception):
    """Raised when an import is refused (strict mode, or an unreadable file)."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        lines = [str(e) for e in report.errors[:20]]
        more = len(report.errors) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__(f"import refused: {len(report.errors)} error(s)\n" + "\n".join(lines))
