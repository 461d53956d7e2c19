"""Pledges page logic: check an uploaded file, store it on confirmation, edit pledge status.

The upload is validated in full *before* anything is stored (:func:`check_upload`); the page
shows every rejected row (file, sheet, row, column, reason) and only the Confirm button stores
(:func:`store_checked`) the rows that check produced, kept on the server meanwhile
(:mod:`dashboards.uploads`) — nothing the browser sends back is trusted, and the file is
parsed once. :func:`reference_digest` tells whether the plan tables a check was made against
are still the stored ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from appeal.formats import ReadOptions
from appeal.importer import ImportFailed, ImportReport, read_pledge_file
from dashboards.logic import words
from models.plan import INSTALMENT_COLUMNS, PLEDGE_COLUMNS, STATUSES, Plan

if TYPE_CHECKING:
    from appeal.register import Register

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".xml")
ERROR_COLUMNS = ["file", "sheet", "row", "column", "reason"]
# The register's pledge columns, less the confidential flag and source sheet, which the grid
# does not show.
GRID_COLUMNS = [c for c in PLEDGE_COLUMNS if c not in ("confidential", "source_sheet")]


class UploadError(ValueError):
    """The upload cannot be read at all (size, type, encoding); the message says why."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def decode_upload(contents: str | None, filename: str | None, limit: int) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, checked for type and size."""
    if not contents or not filename:
        raise UploadError("no file received; drop an .xlsx or .csv file on the upload area")
    name = os.path.basename(filename)
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadError(
            f"{name}: only .xlsx and .csv files can be uploaded as pledges (this one is "
            f"{os.path.splitext(name)[1] or 'no extension'})"
        )
    header, sep, payload = contents.partition(",")
    if not sep or ";base64" not in header:
        raise UploadError(f"{name}: the browser sent the file in an unexpected form")
    # Check the size from the encoded length first so a huge upload is never decoded.
    if len(payload) * 3 // 4 > limit + 3:
        raise UploadError(f"{name} is larger than the {_mb(limit)} upload limit")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UploadError(f"{name}: the upload is corrupted ({exc})") from exc
    if len(data) > limit:
        raise UploadError(f"{name} is larger than the {_mb(limit)} upload limit")
    if not data:
        raise UploadError(f"{name} is empty")
    return data


@dataclass
class UploadCheck:
    """Outcome of validating an upload without storing it."""

    filename: str
    pledges: pd.DataFrame
    tranches: pd.DataFrame
    report: ImportReport
    fatal: bool  # the file could not be read at all: nothing can be stored
    warnings: list[str] = field(default_factory=list)
    instalments: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=INSTALMENT_COLUMNS)
    )
    fmt: str = "contract"

    @property
    def valid_rows(self) -> int:
        """The file's own valid pledges (not the stored ones its refunds change)."""
        if self.fatal:
            return 0
        return int((~self.pledges["pledge_id"].astype(str).isin(self.adjusted)).sum())

    @property
    def adjusted(self) -> list[str]:
        """Stored pledges this file's refunds and reversals take money back from."""
        return [] if self.fatal else list(self.report.adjusted_stored)

    @property
    def rejected_rows(self) -> int:
        return self.report.rows_rejected

    @property
    def can_store(self) -> bool:
        return not self.fatal and (self.valid_rows > 0 or bool(self.adjusted))


def check_upload(data: bytes, filename: str, plan: Plan, fmt: str = "contract") -> UploadCheck:
    """Validate a pledge file (in layout ``fmt``: contract, fts, iati) against the stored
    plan's programmes and exchange rates.

    Invalid rows are collected (never raised); a file that cannot be read at all gives
    ``fatal=True`` with the reason in the report.
    """
    name = os.path.basename(filename)
    try:
        got = read_pledge_file(
            data,
            filename=name,
            programmes=plan.programmes,
            fx=plan.fx,
            skip_invalid=True,
            options=ReadOptions(format=fmt),
            stored=plan,
        )
    except ImportFailed as exc:
        return UploadCheck(
            filename=name,
            pledges=pd.DataFrame(),
            tranches=pd.DataFrame(),
            report=exc.report,
            fatal=True,
            fmt=fmt,
        )
    return UploadCheck(
        filename=name,
        pledges=got.pledges,
        tranches=got.tranches,
        report=got.report,
        fatal=False,
        warnings=[str(w) for w in got.report.warnings],
        instalments=got.instalments,
        fmt=fmt,
    )


def rejected_workbook(check: UploadCheck) -> bytes:
    """The rejected rows of a check as a workbook with a reason column."""
    from appeal.rejected import rejected_rows_xlsx

    return rejected_rows_xlsx(check.report)


def add_rate(register: Register, currency: str, units_per_usd: Any) -> str:
    """Store one missing exchange rate from the upload report; a sentence for the page.
    Raises :class:`UploadError` for a rate that is not a positive number."""
    from appeal.register import RegisterError

    currency = str(currency).strip().upper()
    try:
        value = float(units_per_usd)
    except (TypeError, ValueError):
        raise UploadError(f"the rate for {currency} must be a number of units per USD") from None
    try:
        register.set_fx_rate(currency, value)
    except RegisterError as exc:
        raise UploadError(f"{currency}: {exc}") from None
    return f"Stored the rate {currency} {value:g} per USD."


def error_frame(report: ImportReport) -> pd.DataFrame:
    """Every rejected row / problem of a report as a table (file, sheet, row, column, reason)."""
    rows = [
        {
            "file": e.file,
            "sheet": e.sheet or "",
            "row": "" if e.row is None else int(e.row),
            "column": e.column or "",
            "reason": e.message,
        }
        for e in report.errors
    ]
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def check_message(check: UploadCheck) -> tuple[str, str]:
    """(Bootstrap colour, sentence) summing up a check for the page."""
    r = check.report
    if check.fatal:
        return "danger", f"{check.filename} cannot be imported: see the problems below."
    if r.rows_rejected and check.valid_rows:
        return "warning", (
            f"{check.filename}: {r.rows_read} rows read, {check.valid_rows} valid, "
            f"{r.rows_rejected} rejected (listed below). Nothing is stored yet: confirm to store "
            f"the {check.valid_rows} valid rows and skip the rejected ones."
        )
    if r.rows_rejected:
        return "danger", (
            f"{check.filename}: all {r.rows_read} rows were rejected (listed below). "
            "Nothing can be stored."
        )
    return "success", (
        f"{check.filename}: all {r.rows_read} rows are valid. Nothing is stored yet: "
        "confirm to store them."
    )


def reference_digest(plan: Plan) -> str:
    """A hash of the plan tables an upload is checked against (budget lines and exchange
    rates): a check stays valid while this does not change."""
    digest = hashlib.sha256()
    for frame in (plan.programmes, plan.fx):
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def store_checked(register: Register, check: UploadCheck, data: bytes) -> str:
    """Store the valid rows of a check (no second parse); returns a sentence for the page.

    Raises :class:`UploadError` when the check found nothing to store.
    """
    if not check.can_store:
        raise UploadError(f"{check.filename}: no valid pledge rows to store")
    entry = register.import_pledges(
        check.pledges,
        check.tranches,
        check.report,
        check.filename,
        content=data,
        instalments=check.instalments,
    )
    text = (
        f"Stored {check.valid_rows} pledge rows from {check.filename} "
        f"({entry.rows_new} new, {entry.rows_updated} updated)"
    )
    if check.adjusted:
        text += "; " + adjusted_sentence(check)
    if check.rejected_rows:
        text += f"; skipped {check.rejected_rows} rejected rows"
    return text + "."


def adjusted_sentence(check: UploadCheck) -> str:
    """What the file's refunds and reversals do to stored pledges, in words."""
    changed, removed = check.report.stored_changes()
    parts = []
    if changed:
        parts.append(f"{changed} stored pledge{'s' if changed != 1 else ''} reduced")
    if removed:
        parts.append(f"{removed} stored pledge{'s' if removed != 1 else ''} removed")
    return "refunds and reversals: " + ", ".join(parts) + " (see the warnings)"


def new_and_updated(check: UploadCheck, stored: pd.DataFrame) -> tuple[int, int, int]:
    """Before anything is stored: how many of the checked rows would be new pledges, how many
    would update a stored pledge of the same file (the same pledge id), and how many reuse the
    id of a pledge stored from another file (the register refuses those)."""
    if check.fatal or check.pledges.empty:
        return 0, 0, 0
    origin = (
        dict(zip(stored["pledge_id"].astype(str), stored["source_file"].astype(str), strict=True))
        if len(stored)
        else {}
    )
    rows = zip(
        check.pledges["pledge_id"].astype(str),
        check.pledges["source_file"].astype(str),
        strict=True,
    )
    new = updated = taken = 0
    adjusted = set(check.adjusted)  # counted apart: see adjusted_sentence
    for pid, source in rows:
        if pid in adjusted:
            continue
        if pid not in origin:
            new += 1
        elif origin[pid] == source:
            updated += 1
        else:
            taken += 1
    return new, updated, taken


# Money columns the grid adds to the stored pledges: in USD, from the plan's tranches.
USD_COLUMNS = ("gross_usd", "programmable_usd")


def grid_rows(
    pledges: pd.DataFrame, aliases: dict[str, str], tranches: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """Stored pledges as AG Grid rows, donors anonymised, JSON-safe; with ``tranches`` (the
    plan's), each pledge's gross and programmable USD."""
    if pledges.empty:
        return []
    frame = pledges.copy()
    for col in GRID_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame[GRID_COLUMNS]
    if tranches is not None and len(tranches):
        usd = tranches.groupby(tranches["pledge_id"].astype(str))[list(USD_COLUMNS)].sum()
        for col in USD_COLUMNS:
            frame[col] = frame["pledge_id"].astype(str).map(usd[col]).round(0)
    frame["donor"] = frame["donor"].astype(str).map(lambda d: aliases.get(d, d))
    # Words, not codes (the status stays a code: it is edited in place, shown in words).
    frame["earmarking"] = [words.label("earmarking", e) for e in frame["earmarking"]]
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or (isinstance(v, float) and pd.isna(v)):
                clean[str(k)] = None
            elif hasattr(v, "item"):
                clean[str(k)] = v.item()  # numpy scalar -> Python
            else:
                clean[str(k)] = v
        rows.append(clean)
    return rows


def apply_status_edit(register: Register, change: dict[str, Any]) -> tuple[bool, str]:
    """Validate and store one status edit from the grid; (ok, message for the page)."""
    data = change.get("data") or {}
    pledge_id = str(data.get("pledge_id") or change.get("rowId") or "")
    # dash-ag-grid 35 sends the new value as "value" (its docs say "newValue"): accept both.
    new = change["value"] if "value" in change else change.get("newValue")
    old = change.get("oldValue")
    if change.get("colId") not in (None, "status"):
        return False, "Only the status column can be edited here."
    if not pledge_id:
        return False, "The edited row has no pledge id; nothing was changed."
    status = str(new or "").strip().lower()
    if status not in STATUSES:
        return False, (
            f"Pledge {pledge_id}: {new!r} is not a status; choose one of {', '.join(STATUSES)}. "
            f"It stays {old!r}."
        )
    try:
        register.update_pledge_status(pledge_id, status)
    except (KeyError, LookupError, ValueError) as exc:
        return False, f"Pledge {pledge_id}: {exc}"
    return True, f"Pledge {pledge_id}: status changed from {old} to {status}."
