"""The pledge register and scenario store: a SQL database (SQLite by default, any SQLAlchemy URL).

It keeps the plan's reference tables (programmes, requirements, donors, exchange rates), the
pledges with the file, sheet and row they came from, their per-year tranches, an import log
and saved scenarios. Every write is one transaction (:meth:`Register._write`): if anything
fails, nothing is stored; and every write bumps the register's :class:`Revision` in the same
transaction, so a cache keyed on the revision (the service's plan cache) can never serve data
older than the last committed write — on SQLite and PostgreSQL alike.

The schema is versioned (:mod:`appeal.migrations`, Alembic): opening a register upgrades it to
the newest schema, a release-0.1 register included. Every write also records its audit row(s)
in the same transaction — who (:func:`appeal.actor.current`), when, what, before -> after — so
the trail can never miss a committed change nor show one that was rolled back.

The working group's tables live here too: users, sign-in failures (for rate limiting across
worker processes), scenario versions and the official appeal, editions and notes; the use
cases around them are in :mod:`appeal.accounts` and :mod:`appeal.workspace`.

Pledges are keyed by ``pledge_id`` (given in the file or a stable hash of the pledge's
content and source, see :func:`appeal.importer.pledge_hash`), so re-importing the same file
replaces the same rows instead of adding duplicates. A pledge id already stored from *another*
file is never silently replaced: the import is refused (:class:`PledgeIdConflict`) unless the
caller asks to replace such pledges, and then each replacement is reported. Every write that
stores pledges or reference tables checks, in its transaction, that the register still holds a
plan the model can use (:meth:`~models.plan.Plan.build`), so an invalid register cannot be made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from appeal import actor
from appeal.config import ensure_sqlite_dir
from appeal.importer import ImportReport, RowError
from models import contract
from models.plan import (
    DONOR_COLUMNS,
    FX_COLUMNS,
    INSTALMENT_COLUMNS,
    PLEDGE_COLUMNS,
    PROGRAMME_COLUMNS,
    REQUIREMENT_COLUMNS,
    STATUSES,
    TRANCHE_COLUMNS,
    Plan,
    PlanError,
    conform,
)
from models.scenario import Scenario

metadata = sa.MetaData()


def _sql_type(column: contract.Column) -> sa.types.TypeEngine[Any]:
    if column.kind in contract.INT_KINDS:
        return sa.Integer()
    if column.kind in contract.FLOAT_KINDS:
        return sa.Float()
    if column.kind == "bool":
        return sa.Boolean()
    return sa.String(column.max_length) if column.max_length else sa.Text()


def _server_default(value: Any) -> Any:
    """The database's own default for a column whose contract default is ``value``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    return sa.text(repr(value)) if isinstance(value, int | float) else str(value)


def sql_columns(table: contract.Table, *, indexed: tuple[str, ...] = ()) -> list[sa.Column[Any]]:
    """The register columns of a contract table: one per plan column, typed as the contract
    says, NOT NULL (blank text is stored as ""), the table's key as primary key. The contract's
    default is the database's default too, so a row written without a column added since
    (by an older release, or copied from an older register) reads as the contract's blank."""
    return [
        sa.Column(
            c.plan_name,
            _sql_type(c),
            primary_key=c.plan_name in table.key,
            nullable=False,
            default=None if c.plan_name in table.key else c.default,
            server_default=None if c.plan_name in table.key else _server_default(c.default),
            index=c.plan_name in indexed or None,
        )
        for c in table.plan_columns
    ]


programmes_t = sa.Table(
    "programmes",
    metadata,
    *sql_columns(contract.PROGRAMMES),
    sa.Column("extra", sa.Text, nullable=False, default="{}"),  # score_<criterion> columns
    sa.Column("position", sa.Integer, nullable=False, default=0),  # the file's order
)
requirements_t = sa.Table("requirements", metadata, *sql_columns(contract.REQUIREMENTS))
donors_t = sa.Table("donors", metadata, *sql_columns(contract.DONORS))
fx_t = sa.Table("fx", metadata, *sql_columns(contract.FX))
pledges_t = sa.Table(
    "pledges",
    metadata,
    *sql_columns(contract.PLEDGES, indexed=("donor",)),
    sa.Column("import_id", sa.Integer, nullable=True),
)
tranches_t = sa.Table("tranches", metadata, *sql_columns(contract.TRANCHES))
instalments_t = sa.Table("instalments", metadata, *sql_columns(contract.INSTALMENTS))
import_log_t = sa.Table(
    "import_log",
    metadata,
    sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("imported_at", sa.String(40), nullable=False),
    sa.Column("source_file", sa.String(400), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False, default=""),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("rows_imported", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("rows_new", sa.Integer, nullable=False),
    sa.Column("rows_updated", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("report", sa.Text, nullable=False, default="{}"),
)
scenarios_t = sa.Table(
    "scenarios",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("saved_at", sa.String(40), nullable=False),
    # The current version (scenario_versions keeps every one) and who saved it.
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("saved_by", sa.String(200), nullable=False, default=""),
)
# The tables below are created by migration 0002_workspace; these definitions are for queries.
scenario_versions_t = sa.Table(
    "scenario_versions",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("saved_at", sa.String(40), nullable=False),
    sa.Column("saved_by", sa.String(200), nullable=False, default=""),
    sa.Column("note", sa.String(400), nullable=False, default=""),
)
users_t = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(80), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False, default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("entities", sa.Text, nullable=False, default=""),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)
signin_failures_t = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
audit_t = sa.Table(
    "audit",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("target", sa.String(400), nullable=False, default=""),
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)
editions_t = sa.Table(
    "editions",
    metadata,
    sa.Column("edition_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("as_at", sa.String(10), nullable=False),
    sa.Column("published_at", sa.String(40), nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
    sa.Column("scenario_name", sa.String(200), nullable=False),
    sa.Column("scenario_version", sa.Integer, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
)
notes_t = sa.Table(
    "notes",
    metadata,
    sa.Column("note_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)
meta_t = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# One row: which register this is (a random id, so a database re-created at the same URL is never
# mistaken for the old one) and how many writes it has committed.
revision_t = sa.Table(
    "register_revision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("register_id", sa.String(32), nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
)
_REVISION_ROW = 1
# Attempts at a consistent read of the whole plan while writers keep committing.
_SNAPSHOT_ATTEMPTS = 5

IMPORT_LOG_COLUMNS = [c.name for c in import_log_t.columns if c.name != "report"]
AUDIT_COLUMNS = [c.name for c in audit_t.columns]
USER_COLUMNS = [c.name for c in users_t.columns if c.name != "password_hash"]
EDITION_COLUMNS = [c.name for c in editions_t.columns if c.name != "snapshot"]
VERSION_COLUMNS = ["name", "version", "description", "saved_at", "saved_by", "note", "summary"]
NOTE_KINDS = ("pledge", "line")
NOTE_LENGTH = 2_000
# The meta key of the official appeal: {"name", "version", "marked_by", "marked_at"}.
OFFICIAL_KEY = "official"
# An audit value longer than this is cut (a whole plan's before/after would not help anyone).
_AUDIT_VALUE_CHARS = 20_000
_AUDITED = "appeal_audited"
# SQLite limits bound parameters per statement; delete in chunks.
_CHUNK = 500


class RegisterError(ValueError):
    """A register operation was asked to do something invalid (message for people)."""


class PledgeIdConflict(RegisterError):
    """Incoming pledges carry ids the register holds from another file; nothing was stored.
    ``conflicts``: (pledge_id, incoming "file row N", stored "file row N")."""

    def __init__(self, conflicts: Sequence[tuple[str, str, str]]) -> None:
        self.conflicts = list(conflicts)
        shown = [
            f"pledge_id {pid!r} ({new}) is already in the register from {old}"
            for pid, new, old in self.conflicts[:10]
        ]
        more = len(self.conflicts) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        super().__init__(
            f"{len(self.conflicts)} pledge id(s) already used by pledges from other files: "
            + "; ".join(shown)
            + ". A pledge id must name one pledge: give these pledges their own ids, or "
            "replace the stored ones on purpose (appeal import --replace-existing)"
        )


class Revision(NamedTuple):
    """Where the register stands: equal revisions mean equal contents."""

    register_id: str
    number: int


@dataclass
class ImportLogEntry:
    import_id: int
    imported_at: str
    source_file: str
    rows_read: int
    rows_imported: int
    rows_rejected: int
    rows_new: int
    rows_updated: int
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as native Python scalars (which every DB driver accepts), a missing value
    (NaN, None, NaT) as None: stored as NULL, so a NOT NULL column refuses it on every
    backend — SQLite turns a float NaN into NULL by itself, PostgreSQL would store the text
    "NaN" in a text column (and NaN in a float one) and accept the row.

    Column-wise ``tolist()`` is several times faster than ``to_dict("records")`` on 10,000-row
    frames, which matters for the import benchmark."""
    values = frame[name].tolist()
    missing = frame[name].isna().to_numpy()
    if missing.any():
        values = [None if gap else v for v, gap in zip(values, missing, strict=True)]
    return values


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as dicts (see :func:`_column`)."""
    names = list(columns)
    data = [_column(frame, c) for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*data, strict=True)]


def _bulk_insert(
    conn: Connection, table: sa.Table, frame: pd.DataFrame, columns: Sequence[str]
) -> None:
    """Insert many rows. On SQLite the driver's executemany is used directly (SQLAlchemy's
    per-row parameter processing dominates a 10,000-pledge import); elsewhere Core inserts."""
    names = list(columns)
    data = [_column(frame, c) for c in names]
    if conn.dialect.name == "sqlite":
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        conn.exec_driver_sql(sql, list(zip(*data, strict=True)))
    else:
        conn.execute(
            table.insert(), [dict(zip(names, row, strict=True)) for row in zip(*data, strict=True)]
        )


def _replace_pledges(
    conn: Connection,
    ids: Sequence[str],
    pledges: pd.DataFrame,
    import_id: int | Sequence[int],
    tranches: pd.DataFrame,
    instalments: pd.DataFrame | None,
) -> None:
    """Put ``pledges`` (with their tranches and instalments) in place of whatever the
    register holds under ``ids`` (an id in ``ids`` but not in ``pledges`` is removed)."""
    for chunk in _chunks(ids):
        conn.execute(sa.delete(tranches_t).where(tranches_t.c.pledge_id.in_(chunk)))
        conn.execute(sa.delete(instalments_t).where(instalments_t.c.pledge_id.in_(chunk)))
        conn.execute(sa.delete(pledges_t).where(pledges_t.c.pledge_id.in_(chunk)))
    if len(pledges):
        frame = pledges.assign(import_id=import_id, earmark_to=pledges["earmark_to"].fillna(""))
        _bulk_insert(conn, pledges_t, frame, [*PLEDGE_COLUMNS, "import_id"])
    if len(tranches):
        _bulk_insert(conn, tranches_t, tranches, TRANCHE_COLUMNS)
    if instalments is not None and len(instalments):
        _bulk_insert(conn, instalments_t, instalments.fillna(""), INSTALMENT_COLUMNS)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Register:
    """The pledge register at one database URL (tables are created on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        ensure_sqlite_dir(url)
        try:
            self.engine: Engine = sa.create_engine(url)
            from appeal import migrations

            migrations.upgrade(self.engine)
            self._ensure_revision_row()
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
            raise RegisterError(f"invalid database URL {url!r}: {exc}") from None
        except sa.exc.OperationalError as exc:
            raise RegisterError(f"cannot open the register at {url}: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    # -- the write path and the revision ---------------------------------------------------
    def _ensure_revision_row(self) -> None:
        """Create the revision row of a new register (or of one made before it existed)."""
        revision_t.create(self.engine, checkfirst=True)
        with self.engine.connect() as conn:
            if conn.execute(sa.select(revision_t.c.id)).first() is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    revision_t.insert(),
                    {"id": _REVISION_ROW, "register_id": uuid.uuid4().hex, "revision": 0},
                )
        except sa.exc.IntegrityError:
            pass  # another process created it first: theirs is as good

    @contextlib.contextmanager
    def _write(self, action: str = "write", target: str = "") -> Iterator[Connection]:
        """The one way to change the register: a transaction that also bumps the revision and
        writes the audit trail.

        The bump comes first, so on PostgreSQL the revision row's lock orders concurrent
        writers; it commits or rolls back with the change itself. The caller records what it
        changed with :meth:`_audit` (before -> after); a write that recorded nothing gets one
        row naming ``action`` and ``target``, so no committed change is missing from the trail.
        """
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(revision_t)
                .where(revision_t.c.id == _REVISION_ROW)
                .values(revision=revision_t.c.revision + 1)
            )
            conn.info[_AUDITED] = 0
            try:
                yield conn
                if not conn.info[_AUDITED]:
                    self._audit(conn, action, target)
            finally:
                conn.info.pop(_AUDITED, None)

    def _audit(
        self,
        conn: Connection,
        action: str,
        target: str = "",
        summary: str = "",
        *,
        before: Any = None,
        after: Any = None,
        who: str | None = None,
    ) -> None:
        """One audit row in the write's transaction: who, when, what, before -> after."""
        number: int = conn.execute(
            sa.select(revision_t.c.revision).where(revision_t.c.id == _REVISION_ROW)
        ).scalar_one()
        conn.execute(
            audit_t.insert(),
            {
                "at": _now(),
                "actor": (who or actor.current())[:200],
                "action": action[:60],
                "target": str(target)[:400],
                "summary": summary,
                "before": _audit_value(before),
                "after": _audit_value(after),
                "revision": int(number),
            },
        )
        conn.info[_AUDITED] = conn.info.get(_AUDITED, 0) + 1

    def revision(self) -> Revision:
        """The register's identity and the number of writes committed so far."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(revision_t.c.register_id, revision_t.c.revision)).one()
        return Revision(str(row.register_id), int(row.revision))

    def snapshot(self) -> tuple[Revision, Plan]:
        """The stored plan and the revision it is the plan of.

        The plan is read in several statements; reading the revision before and after, and
        retrying when a write came in between, gives one consistent state on any database
        without holding a transaction open (readers never block writers).
        """
        for _ in range(_SNAPSHOT_ATTEMPTS):
            before = self.revision()
            tables = self.stored_tables()
            if self.revision() == before:
                # Validated outside the retry window: only the reads need to be consistent.
                return before, self.plan_of(tables)
        raise RegisterError(
            "the register kept changing while it was read; try again when the imports finish"
        )

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- imports --------------------------------------------------------------------------
    def import_plan(
        self, plan: Plan, report: ImportReport, *, replace_existing: bool = False
    ) -> None:
        """Store a whole plan: reference tables replaced, pledges upserted, one transaction.

        Raises :class:`PledgeIdConflict` (nothing stored) when a pledge id is stored from
        another file, unless ``replace_existing`` (each replacement is then a warning in
        ``report``), and :class:`RegisterError` when the register would not hold a valid plan.
        """
        with self._write("import") as conn:
            self._replace_reference(conn, plan)
            self._audit(
                conn,
                "import.plan",
                plan.title,
                f"{len(plan.programmes)} budget lines, {len(plan.requirements)} requirements, "
                f"{len(plan.donors)} donors, {len(plan.fx)} exchange rates",
            )
            own, own_tranches, own_instalments = self._adjust_stored(
                conn, plan.pledges, plan.tranches, plan.instalments, report
            )
            # One log entry per pledge file, including files whose every row was refused.
            files = [str(f["file"]) for f in report.files if f.get("kind") == "pledges"]
            for source_file in dict.fromkeys([*files, *map(str, own["source_file"])]):
                group = own.loc[own["source_file"] == source_file]
                tranches = own_tranches.loc[own_tranches["pledge_id"].isin(set(group["pledge_id"]))]
                file_report = _file_report(report, source_file)
                schedule = own_instalments.loc[
                    own_instalments["pledge_id"].isin(set(group["pledge_id"]))
                ]
                _, replaced = self._store_pledges(
                    conn,
                    group,
                    tranches,
                    file_report,
                    source_file,
                    None,
                    replace_existing,
                    instalments=schedule,
                )
                report.warnings.extend(replaced)
            # Only this plan's pledges stored: the register holds the plan itself (validated
            # when it was built) with donors and rates validated when they were stored.
            # Otherwise the pledges already there must still fit the new programmes.
            stored = conn.execute(sa.select(sa.func.count()).select_from(pledges_t)).scalar()
            if stored != len(plan.pledges):
                self._check_valid(conn)
            conn.execute(sa.delete(meta_t).where(meta_t.c.key.in_(["title", "illustrative"])))
            conn.execute(
                meta_t.insert(),
                [
                    {"key": "title", "value": plan.title},
                    {"key": "illustrative", "value": json.dumps(bool(plan.illustrative))},
                ],
            )

    def import_pledges(
        self,
        pledges: pd.DataFrame,
        tranches: pd.DataFrame,
        report: ImportReport,
        source_file: str,
        *,
        content: bytes | None = None,
        replace_existing: bool = False,
        instalments: pd.DataFrame | None = None,
    ) -> ImportLogEntry:
        """Upsert one file's pledges, tranches and instalments (idempotent by pledge_id) and
        log it.

        The same refusals as :meth:`import_plan`; the stored plan is validated with the new
        pledges before the transaction commits.
        """
        with self._write("import") as conn:
            pledges, tranches, instalments = self._adjust_stored(
                conn, pledges, tranches, instalments, report
            )
            entry, _ = self._store_pledges(
                conn,
                pledges,
                tranches,
                report,
                source_file,
                content,
                replace_existing,
                instalments=instalments,
            )
            self._check_valid(conn)
            return entry

    def _adjust_stored(
        self,
        conn: Connection,
        pledges: pd.DataFrame,
        tranches: pd.DataFrame,
        instalments: pd.DataFrame | None,
        report: ImportReport,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Store what an import's refunds and reversals did to pledges stored before
        (``report.adjusted_stored``: changed in ``pledges``, or brought to zero and removed),
        each audited, in the import's transaction; refused (nothing stored) when such a
        pledge changed since the file was checked. Returns the import's own pledges, tranches
        and instalments, without those."""
        schedule = (
            instalments if instalments is not None else pd.DataFrame(columns=INSTALMENT_COLUMNS)
        )
        ids = list(report.adjusted_stored)
        if not ids:
            return pledges, tranches, schedule
        c = pledges_t.c
        held: dict[str, Any] = {}
        for chunk in _chunks(ids):
            rows = conn.execute(
                sa.select(c.pledge_id, c.amount, c.adjustment, c.currency, c.import_id).where(
                    c.pledge_id.in_(chunk)
                )
            )
            held.update((str(r.pledge_id), r) for r in rows)
        for pid, amount in report.adjusted_stored.items():
            row = held.get(pid)
            if row is None or not math.isclose(float(row.amount), amount, abs_tol=1e-6):
                raise RegisterError(
                    f"nothing was stored: pledge {pid}, which a refund or reversal in this "
                    "import takes money back from, changed since the file was checked; "
                    "check the file again"
                )
        theirs = pledges["pledge_id"].astype(str).isin(ids)
        changed = pledges.loc[theirs]
        their_tranches = tranches["pledge_id"].astype(str).isin(ids)
        their_schedule = schedule["pledge_id"].astype(str).isin(ids)
        # Each keeps the import it came from: only its money changed.
        _replace_pledges(
            conn,
            ids,
            changed,
            [int(held[str(pid)].import_id) for pid in changed["pledge_id"]],
            tranches.loc[their_tranches],
            schedule.loc[their_schedule],
        )
        for rec in changed.to_dict("records"):
            was = held[str(rec["pledge_id"])]
            self._audit(
                conn,
                "pledge.adjust",
                str(rec["pledge_id"]),
                f"a refund or reversal took {rec['currency']} "
                f"{float(was.amount) - float(rec['amount']):,.2f} back",
                before={"amount": float(was.amount), "adjustment": float(was.adjustment or 0)},
                after={"amount": float(rec["amount"]), "adjustment": float(rec["adjustment"])},
            )
        for pid in report.removed_stored:
            was = held[pid]
            self._audit(
                conn,
                "pledge.remove",
                pid,
                f"a refund or reversal took all of its {was.currency} {float(was.amount):,.2f} "
                "back",
                before={"amount": float(was.amount), "adjustment": float(was.adjustment or 0)},
            )
        return (
            pledges.loc[~theirs],
            tranches.loc[~their_tranches],
            schedule.loc[~their_schedule],
        )

    def _check_valid(self, conn: Connection) -> None:
        """Refuse (roll back) a write that would leave a register the model cannot use: the
        plan's own rules (:meth:`Plan.build`) and every earmark matching a line."""
        from models.eligibility import EligibilityIndex, UnknownEarmarkTarget

        try:
            plan = Plan.build(**self.stored_tables(conn))
        except PlanError as exc:
            raise RegisterError(
                f"nothing was stored: the register would then hold an invalid plan: {exc}"
            ) from None
        index = EligibilityIndex(plan.programmes)
        pledges = plan.pledges
        for (earmarking, target), group in pledges.groupby(["earmarking", "earmark_to"]):
            try:
                index.lines_for(str(earmarking), str(target))
            except UnknownEarmarkTarget as exc:
                first = group.iloc[0]
                where = _at(str(first["source_file"]), int(first["source_row"]))
                raise RegisterError(
                    "nothing was stored: the register would then hold an invalid plan: pledge "
                    f"{first['pledge_id']} ({where}) is earmarked to what the programmes no "
                    f"longer have: {exc}"
                ) from None

    def _replace_reference(self, conn: Connection, plan: Plan) -> None:
        conn.execute(sa.delete(requirements_t))
        conn.execute(sa.delete(programmes_t))
        score_cols = [c for c in plan.programmes.columns if c not in PROGRAMME_COLUMNS]
        rows = []
        for position, rec in enumerate(plan.programmes.to_dict("records")):
            row = {c: rec[c] for c in PROGRAMME_COLUMNS}
            row["themes"] = row["themes"] or ""
            row["extra"] = json.dumps({c: rec[c] for c in score_cols})
            row["position"] = position
            rows.append(row)
        if rows:
            conn.execute(programmes_t.insert(), rows)
        if len(plan.requirements):
            conn.execute(requirements_t.insert(), _records(plan.requirements, REQUIREMENT_COLUMNS))
        # Donors and rates are only replaced when the plan brings them.
        if len(plan.donors):
            conn.execute(sa.delete(donors_t))
            conn.execute(donors_t.insert(), _records(plan.donors.fillna(""), DONOR_COLUMNS))
        if len(plan.fx):
            conn.execute(sa.delete(fx_t))
            conn.execute(fx_t.insert(), _records(plan.fx.fillna(""), FX_COLUMNS))

    def _store_pledges(
        self,
        conn: Connection,
        pledges: pd.DataFrame,
        tranches: pd.DataFrame,
        report: ImportReport,
        source_file: str,
        content: bytes | None = None,
        replace_existing: bool = False,
        *,
        instalments: pd.DataFrame | None = None,
    ) -> tuple[ImportLogEntry, list[RowError]]:
        """Upsert one file's pledges, tranches and instalments (see :meth:`import_plan` for the
        refusals); the log entry and a warning for each pledge of another file replaced."""
        ids = [str(x) for x in pledges["pledge_id"]]
        origin: dict[str, tuple[str, int]] = {}
        c = pledges_t.c
        for chunk in _chunks(ids):
            rows = conn.execute(
                sa.select(c.pledge_id, c.source_file, c.source_row).where(c.pledge_id.in_(chunk))
            )
            origin.update((str(r[0]), (str(r[1]), int(r[2]))) for r in rows)
        existing = set(origin)
        conflicts = [
            (pid, _at(str(src), int(row)), _at(*origin[pid]))
            for pid, src, row in zip(
                ids, pledges["source_file"], pledges["source_row"], strict=True
            )
            if pid in origin and origin[pid][0] != str(src)
        ]
        if conflicts and not replace_existing:
            raise PledgeIdConflict(conflicts)
        # Reported in the file's log entry and to the caller: never a silent replacement.
        replaced = [
            RowError(
                source_file,
                "",
                None,
                "pledge_id",
                f"pledge_id {pid!r} ({new}) replaced the pledge stored from {old}",
            )
            for pid, new, old in conflicts
        ]
        report.warnings.extend(replaced)
        at = _now()
        entry = ImportLogEntry(
            import_id=0,
            imported_at=at,
            source_file=source_file,
            rows_read=report.rows_read,
            rows_imported=report.rows_imported,
            rows_rejected=report.rows_rejected,
            rows_new=len(set(ids) - existing),
            rows_updated=len(set(ids) & existing),
            errors=len(report.errors),
            warnings=len(report.warnings),
        )
        values = entry.to_dict()
        values.pop("import_id")
        values["content_sha256"] = hashlib.sha256(content).hexdigest() if content else ""
        values["report"] = json.dumps(report.to_dict(), default=str)
        result = conn.execute(import_log_t.insert(), values)
        pk = result.inserted_primary_key
        entry.import_id = int(pk[0]) if pk is not None else 0
        _replace_pledges(conn, ids, pledges, entry.import_id, tranches, instalments)
        self._audit(
            conn,
            "import.pledges",
            source_file,
            f"rows read {entry.rows_read}, imported {entry.rows_imported}, rejected "
            f"{entry.rows_rejected} ({entry.rows_new} new, {entry.rows_updated} updated)",
            after={"import_id": entry.import_id, "pledge_ids": ids[:200]},
        )
        return entry, replaced

    # -- reading --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _reading(self, conn: Connection | None) -> Iterator[Connection]:
        """``conn`` (a write transaction reading what it wrote), else a new connection."""
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as fresh:
            yield fresh

    def _frame(
        self,
        table: sa.Table,
        columns: Sequence[str],
        order: Sequence[str],
        conn: Connection | None = None,
    ) -> pd.DataFrame:
        with self._reading(conn) as db:
            rows = db.execute(
                sa.select(*[table.c[c] for c in columns]).order_by(*[table.c[o] for o in order])
            ).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            n_prog = conn.execute(sa.select(sa.func.count()).select_from(programmes_t)).scalar()
            n_pledges = conn.execute(sa.select(sa.func.count()).select_from(pledges_t)).scalar()
        return not n_prog and not n_pledges

    def has_programmes(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.execute(sa.select(sa.func.count()).select_from(programmes_t)).scalar())

    def programmes(self, conn: Connection | None = None) -> pd.DataFrame:
        frame = self._frame(
            programmes_t, [*PROGRAMME_COLUMNS, "extra"], ["position", "line_id"], conn
        )
        extras = [json.loads(x or "{}") for x in frame.pop("extra")]
        if extras and any(extras):
            frame = pd.concat([frame, pd.DataFrame(extras, index=frame.index)], axis=1)
        return conform("programmes", frame)

    def fx(self, conn: Connection | None = None) -> pd.DataFrame:
        return conform("fx", self._frame(fx_t, FX_COLUMNS, ["currency"], conn))

    def pledges(self, conn: Connection | None = None) -> pd.DataFrame:
        order = ["source_file", "source_row", "pledge_id"]
        return conform("pledges", self._frame(pledges_t, PLEDGE_COLUMNS, order, conn))

    def tranches(self, conn: Connection | None = None) -> pd.DataFrame:
        frame = self._frame(tranches_t, TRANCHE_COLUMNS, contract.TRANCHES.key, conn)
        return conform("tranches", frame)

    def instalments(self, conn: Connection | None = None) -> pd.DataFrame:
        frame = self._frame(instalments_t, INSTALMENT_COLUMNS, contract.INSTALMENTS.key, conn)
        return conform("instalments", frame)

    def overdue_instalments(self, today: dt.date | None = None) -> pd.DataFrame:
        """The instalments overdue on ``today`` (default: today): due, not paid, of a pledge
        that is not paid — with their pledge's columns (its amount as ``amount_of_pledge``)."""
        from models.money import overdue

        instalments = self.instalments()
        pledges = self.pledges()
        flags = overdue(instalments, pledges, today or dt.date.today())
        late = instalments.loc[flags]
        return late.merge(
            pledges, on="pledge_id", how="left", suffixes=("", "_of_pledge")
        ).reset_index(drop=True)

    def set_fx_rate(self, currency: str, units_per_usd: float, as_of: str = "") -> None:
        """Add (or replace) one exchange rate, validated like a row of the rates file."""
        from models.schemas import problems

        code = str(currency).strip().upper()
        row = pd.DataFrame(
            [{"currency": code, "units_per_usd": float(units_per_usd), "as_of": str(as_of)}]
        )
        found = problems("fx", row)
        if found:
            raise RegisterError("; ".join(p.message for p in found))
        with self._write("fx.add", code) as conn:
            before = conn.execute(
                sa.select(fx_t.c.units_per_usd).where(fx_t.c.currency == code)
            ).scalar()
            conn.execute(sa.delete(fx_t).where(fx_t.c.currency == code))
            conn.execute(fx_t.insert(), _records(row, FX_COLUMNS))
            self._audit(
                conn,
                "fx.add",
                code,
                f"exchange rate {code} {float(units_per_usd):g} per USD",
                before=None if before is None else {"units_per_usd": before},
                after={"units_per_usd": float(units_per_usd), "as_of": str(as_of)},
            )

    def stored_tables(self, conn: Connection | None = None) -> dict[str, Any]:
        """The stored tables, title and flag as :meth:`Plan.build` takes them (read as they
        are: :meth:`load_plan` validates them), through ``conn`` when given."""
        with self._reading(conn) as db:
            rows = db.execute(sa.select(meta_t.c.key, meta_t.c.value))
            meta = {str(k): str(v) for k, v in rows}
        return {
            "programmes": self.programmes(conn),
            "requirements": self._frame(
                requirements_t, REQUIREMENT_COLUMNS, contract.REQUIREMENTS.key, conn
            ),
            "pledges": self.pledges(conn),
            "tranches": self.tranches(conn),
            "instalments": self.instalments(conn),
            "donors": self._frame(donors_t, DONOR_COLUMNS, contract.DONORS.key, conn),
            "fx": self.fx(conn),
            "title": meta.get("title", "Multi-Year Appeal"),
            "illustrative": bool(json.loads(meta.get("illustrative", "false"))),
        }

    def load_plan(self) -> Plan:
        """The stored plan (empty tables when nothing has been imported), validated like any
        plan; a register whose rows break the contract raises :class:`RegisterError`."""
        return self.plan_of(self.stored_tables())

    def plan_of(self, tables: dict[str, Any]) -> Plan:
        """The plan of tables read with :meth:`stored_tables` (one validation)."""
        try:
            return Plan.build(**tables)
        except PlanError as exc:
            raise RegisterError(
                f"the register at {self.url} holds an invalid plan: {exc}"
            ) from None

    def import_log(self) -> pd.DataFrame:
        return self._frame(import_log_t, IMPORT_LOG_COLUMNS, ["import_id"])

    # -- edits ----------------------------------------------------------------------------
    def update_pledge_status(self, pledge_id: str, status: str) -> None:
        """Change one pledge's status (pledged | committed | paid); validated."""
        value = str(status).strip().casefold()
        if value not in STATUSES:
            raise RegisterError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
        with self._write("pledge.status", pledge_id) as conn:
            before = conn.execute(
                sa.select(pledges_t.c.status).where(pledges_t.c.pledge_id == pledge_id)
            ).scalar()
            if before is None:
                raise RegisterError(f"no pledge with id {pledge_id!r} in the register")
            conn.execute(
                sa.update(pledges_t).where(pledges_t.c.pledge_id == pledge_id).values(status=value)
            )
            self._audit(
                conn,
                "pledge.status",
                pledge_id,
                f"status {before} -> {value}",
                before={"status": before},
                after={"status": value},
            )

    # -- reference tables edited in place (programmes, requirements, rates) ------------------
    def replace_programmes(
        self, programmes: pd.DataFrame, requirements: pd.DataFrame, summary: str
    ) -> None:
        """Replace the budget lines and their requirements (already validated as a whole
        plan by the caller); pledges, donors and rates are kept. Audited with the lines that
        changed, before -> after."""
        with self._write("programmes.edit") as conn:
            before = _rows_by_key(self._frame(programmes_t, PROGRAMME_COLUMNS, ["line_id"], conn))
            conn.execute(sa.delete(requirements_t))
            conn.execute(sa.delete(programmes_t))
            score_cols = [c for c in programmes.columns if c not in PROGRAMME_COLUMNS]
            rows = []
            for position, rec in enumerate(programmes.to_dict("records")):
                row = {c: rec[c] for c in PROGRAMME_COLUMNS}
                row["themes"] = row["themes"] or ""
                row["extra"] = json.dumps({c: rec[c] for c in score_cols}, default=str)
                row["position"] = position
                rows.append(row)
            if rows:
                conn.execute(programmes_t.insert(), rows)
            if len(requirements):
                conn.execute(requirements_t.insert(), _records(requirements, REQUIREMENT_COLUMNS))
            after = _rows_by_key(programmes[PROGRAMME_COLUMNS])
            changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
            self._audit(
                conn,
                "programmes.edit",
                ", ".join(changed)[:400],
                summary,
                before={k: before.get(k) for k in changed},
                after={k: after.get(k) for k in changed},
            )

    def replace_fx(self, fx: pd.DataFrame, tranches: pd.DataFrame) -> None:
        """Replace the exchange rates and the tranches converted at them (validated by the
        caller); audited before -> after."""
        with self._write("fx.edit") as conn:
            conn.execute(sa.delete(tranches_t))
            if len(tranches):
                _bulk_insert(conn, tranches_t, tranches, TRANCHE_COLUMNS)
            before = _rows_by_key(self._frame(fx_t, FX_COLUMNS, ["currency"], conn), "currency")
            conn.execute(sa.delete(fx_t))
            if len(fx):
                conn.execute(fx_t.insert(), _records(fx.fillna(""), FX_COLUMNS))
            after = _rows_by_key(fx[FX_COLUMNS], "currency")
            changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
            self._audit(
                conn,
                "fx.edit",
                ", ".join(changed),
                f"{len(changed)} exchange rate(s) changed",
                before={k: before.get(k) for k in changed},
                after={k: after.get(k) for k in changed},
            )

    # -- scenarios: every save a new version ------------------------------------------------
    def save_scenario(
        self,
        name: str,
        scenario: Scenario,
        summary: dict[str, Any] | None = None,
        *,
        replace: bool = True,
        expect_version: int | None = None,
        note: str = "",
    ) -> int:
        """Store ``scenario`` under ``name`` as a new version (earlier versions are kept);
        returns the version number.

        ``replace=False`` refuses a name already in use (Save as); ``expect_version`` refuses
        the save when the stored current version is another one (someone saved in between).
        """
        name = str(name).strip()
        if not name or len(name) > 200:
            raise RegisterError("a scenario name must be 1-200 characters")
        definition = json.dumps(scenario.validate().to_dict())
        summary_text = json.dumps(summary, default=str) if summary is not None else None
        with self._write("scenario.save", name) as conn:
            current = conn.execute(
                sa.select(scenarios_t.c.version, scenarios_t.c.definition).where(
                    scenarios_t.c.name == name
                )
            ).first()
            if current is not None and not replace:
                raise RegisterError(
                    f"a scenario named {name!r} exists already; choose another name"
                )
            if expect_version is not None and (current.version if current else 0) != expect_version:
                raise RegisterError(
                    f"scenario {name!r} was saved by someone else in the meantime (now version "
                    f"{current.version if current else 0}); load it again before saving"
                )
            latest = conn.execute(
                sa.select(sa.func.max(scenario_versions_t.c.version)).where(
                    scenario_versions_t.c.name == name
                )
            ).scalar()
            version = int(latest or 0) + 1
            row = {
                "name": name,
                "description": scenario.description,
                "definition": definition,
                "summary": summary_text,
                "saved_at": _now(),
                "saved_by": actor.current()[:200],
            }
            conn.execute(scenario_versions_t.insert(), {**row, "version": version, "note": note})
            conn.execute(sa.delete(scenarios_t).where(scenarios_t.c.name == name))
            conn.execute(scenarios_t.insert(), {**row, "version": version})
            self._audit(
                conn,
                "scenario.save",
                name,
                f"version {version}" + (f" ({note})" if note else ""),
                before=json.loads(current.definition) if current is not None else None,
                after=json.loads(definition),
            )
        return version

    def list_scenarios(self) -> pd.DataFrame:
        """name, description, saved_at, saved_by, version, summary (dict or None), one row per
        saved scenario (its current version)."""
        frame = self._frame(
            scenarios_t,
            ["name", "description", "saved_at", "saved_by", "version", "summary"],
            ["name"],
        )
        frame["summary"] = [json.loads(s) if s else None for s in frame["summary"]]
        return frame

    def scenario_versions(self, name: str) -> pd.DataFrame:
        """Every saved version of scenario ``name``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*[scenario_versions_t.c[c] for c in VERSION_COLUMNS])
                .where(scenario_versions_t.c.name == name)
                .order_by(scenario_versions_t.c.version)
            ).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=VERSION_COLUMNS)
        frame["summary"] = [json.loads(s) if s else None for s in frame["summary"]]
        return frame

    def get_scenario(self, name: str, version: int | None = None) -> Scenario:
        """The current version of scenario ``name`` (or version ``version``)."""
        with self.engine.connect() as conn:
            if version is None:
                text = conn.execute(
                    sa.select(scenarios_t.c.definition).where(scenarios_t.c.name == name)
                ).scalar()
            else:
                text = conn.execute(
                    sa.select(scenario_versions_t.c.definition).where(
                        scenario_versions_t.c.name == name,
                        scenario_versions_t.c.version == int(version),
                    )
                ).scalar()
        if text is None:
            which = f" version {version}" if version is not None else ""
            raise RegisterError(f"no saved scenario named {name!r}{which}")
        return Scenario.from_dict(json.loads(text))

    def scenario_summary(self, name: str, version: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(scenario_versions_t.c.summary).where(
                    scenario_versions_t.c.name == name,
                    scenario_versions_t.c.version == int(version),
                )
            ).scalar()
        return json.loads(text) if text else None

    def delete_scenario(self, name: str) -> None:
        """Remove a scenario from the list (its versions stay in the history); the official
        appeal cannot be deleted."""
        official = self.official()
        if official is not None and official["name"] == name:
            raise RegisterError(
                f"{name!r} is the official appeal; mark another scenario official first"
            )
        with self._write("scenario.delete", name) as conn:
            before = conn.execute(
                sa.select(scenarios_t.c.definition).where(scenarios_t.c.name == name)
            ).scalar()
            if before is None:
                raise RegisterError(f"no saved scenario named {name!r}")
            conn.execute(sa.delete(scenarios_t).where(scenarios_t.c.name == name))
            self._audit(conn, "scenario.delete", name, before=json.loads(before))

    # -- the official appeal -----------------------------------------------------------------
    def mark_official(self, name: str, version: int | None = None) -> dict[str, Any]:
        """Make version ``version`` (default: the current one) of ``name`` the official appeal."""
        with self._write("official.mark", name) as conn:
            if version is None:
                version = conn.execute(
                    sa.select(scenarios_t.c.version).where(scenarios_t.c.name == name)
                ).scalar()
            exists = (
                version is not None
                and conn.execute(
                    sa.select(scenario_versions_t.c.version).where(
                        scenario_versions_t.c.name == name,
                        scenario_versions_t.c.version == int(version),
                    )
                ).first()
            )
            if not exists:
                raise RegisterError(f"no saved scenario named {name!r} to mark official")
            before = conn.execute(
                sa.select(meta_t.c.value).where(meta_t.c.key == OFFICIAL_KEY)
            ).scalar()
            value = {
                "name": name,
                "version": int(version),  # type: ignore[arg-type]
                "marked_by": actor.current(),
                "marked_at": _now(),
            }
            conn.execute(sa.delete(meta_t).where(meta_t.c.key == OFFICIAL_KEY))
            conn.execute(meta_t.insert(), {"key": OFFICIAL_KEY, "value": json.dumps(value)})
            self._audit(
                conn,
                "official.mark",
                name,
                f"version {version} is the official appeal",
                before=json.loads(before) if before else None,
                after=value,
            )
        return value

    def official(self) -> dict[str, Any] | None:
        """The official appeal: {name, version, marked_by, marked_at}, or None."""
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(meta_t.c.value).where(meta_t.c.key == OFFICIAL_KEY)
            ).scalar()
        return json.loads(text) if text else None

    # -- editions --------------------------------------------------------------------------
    def publish_edition(
        self,
        *,
        title: str,
        as_at: str,
        scenario_name: str,
        scenario_version: int,
        summary: dict[str, Any],
        snapshot: dict[str, Any],
    ) -> int:
        """Store a frozen edition; returns its id."""
        with self._write("edition.publish", title) as conn:
            result = conn.execute(
                editions_t.insert(),
                {
                    "title": title,
                    "as_at": as_at,
                    "published_at": _now(),
                    "published_by": actor.current(),
                    "scenario_name": scenario_name,
                    "scenario_version": int(scenario_version),
                    "summary": json.dumps(summary, default=str),
                    "snapshot": json.dumps(snapshot, default=str),
                },
            )
            pk = result.inserted_primary_key
            edition_id = int(pk[0]) if pk is not None else 0
            self._audit(
                conn,
                "edition.publish",
                f"edition {edition_id}",
                f"“{title}” as at {as_at}, official appeal {scenario_name!r} v{scenario_version}",
                after={k: summary.get(k) for k in ("requirement_usd", "funded_usd", "gap_usd")},
            )
        return edition_id

    def editions(self) -> pd.DataFrame:
        """Every edition (without its snapshot), oldest first; summary as a dict."""
        frame = self._frame(editions_t, EDITION_COLUMNS, ["edition_id"])
        frame["summary"] = [json.loads(s) for s in frame["summary"]]
        return frame

    def edition(self, edition_id: int) -> dict[str, Any]:
        """One edition with its snapshot (dicts); :class:`RegisterError` when unknown."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(editions_t).where(editions_t.c.edition_id == int(edition_id))
            ).first()
        if row is None:
            raise RegisterError(f"no edition {edition_id}")
        record = dict(row._mapping)
        record["summary"] = json.loads(record["summary"])
        record["snapshot"] = json.loads(record["snapshot"])
        return record

    # -- notes -----------------------------------------------------------------------------
    def add_note(self, kind: str, target: str, text: str) -> None:
        """A comment on a pledge or a budget line, by the current actor."""
        if kind not in NOTE_KINDS:
            raise RegisterError(f"a note is on a {' or a '.join(NOTE_KINDS)}, not {kind!r}")
        clean = str(text).strip()
        if not clean:
            raise RegisterError("a note needs some text")
        if len(clean) > NOTE_LENGTH:
            raise RegisterError(f"a note is at most {NOTE_LENGTH:,} characters")
        table = pledges_t if kind == "pledge" else programmes_t
        key = table.c.pledge_id if kind == "pledge" else table.c.line_id
        with self._write("note.add", f"{kind} {target}") as conn:
            if conn.execute(sa.select(key).where(key == target)).first() is None:
                raise RegisterError(f"no {kind} {target!r} in the register")
            conn.execute(
                notes_t.insert(),
                {
                    "kind": kind,
                    "target": target,
                    "author": actor.current(),
                    "at": _now(),
                    "text": clean,
                },
            )
            self._audit(conn, "note.add", f"{kind} {target}", after={"text": clean})

    def notes(self, kind: str | None = None, target: str | None = None) -> pd.DataFrame:
        """Notes (kind, target, author, at, text), oldest first, optionally of one target."""
        columns = ["note_id", "kind", "target", "author", "at", "text"]
        query = sa.select(*[notes_t.c[c] for c in columns]).order_by(notes_t.c.note_id)
        if kind is not None:
            query = query.where(notes_t.c.kind == kind)
        if target is not None:
            query = query.where(notes_t.c.target == target)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    # -- users and sign-in failures ----------------------------------------------------------
    def user(self, username: str) -> dict[str, Any] | None:
        """A user's row (password hash included), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_t).where(users_t.c.username == username)).first()
        return dict(row._mapping) if row is not None else None

    def users(self) -> pd.DataFrame:
        """Every user, without password hashes."""
        return self._frame(users_t, USER_COLUMNS, ["username"])

    def put_user(self, username: str, action: str, **values: Any) -> None:
        """Create (``action`` "user.add") or change a user; audited without the hash."""
        with self._write(action, username) as conn:
            before = conn.execute(sa.select(users_t).where(users_t.c.username == username)).first()
            now = _now()
            if action == "user.add":
                if before is not None:
                    raise RegisterError(f"user {username!r} exists already")
                conn.execute(
                    users_t.insert(),
                    {"username": username, "created_at": now, "updated_at": now, **values},
                )
            else:
                if before is None:
                    raise RegisterError(f"no user {username!r}")
                conn.execute(
                    sa.update(users_t)
                    .where(users_t.c.username == username)
                    .values(updated_at=now, **values)
                )

            def shown(row: dict[str, Any]) -> dict[str, Any]:
                return {
                    k: ("(changed)" if k == "password_hash" else v)
                    for k, v in row.items()
                    if k not in ("created_at", "updated_at")
                    and (k != "password_hash" or "password_hash" in values)
                }

            old = shown(dict(before._mapping)) if before is not None else None
            new = shown({**(dict(before._mapping) if before is not None else {}), **values})
            if old is not None and "password_hash" in values:
                old["password_hash"] = "(old)"
            self._audit(conn, action, username, before=old, after=new)

    def record_signin_failure(self, username: str, address: str, reason: str) -> None:
        """A failed sign-in: kept for rate limiting and audited (attributed to the name tried)."""
        import time

        with self._write("signin.failed", username) as conn:
            conn.execute(
                signin_failures_t.insert(),
                {"username": username[:200], "address": address[:64], "at": time.time()},
            )
            self._audit(
                conn, "signin.failed", username[:200], f"{reason} from {address}", who=username
            )

    def signin_failures(self, username: str, address: str, since: float) -> tuple[int, int]:
        """(failures of this user name, failures from this address) since ``since`` (epoch)."""
        with self.engine.connect() as conn:
            recent = signin_failures_t.c.at >= since
            by_user = conn.execute(
                sa.select(sa.func.count())
                .select_from(signin_failures_t)
                .where(recent, signin_failures_t.c.username == username)
            ).scalar()
            by_address = conn.execute(
                sa.select(sa.func.count())
                .select_from(signin_failures_t)
                .where(recent, signin_failures_t.c.address == address)
            ).scalar()
        return int(by_user or 0), int(by_address or 0)

    def record_signin(self, username: str, address: str) -> None:
        """A successful sign-in (audited; the user's failures are forgotten)."""
        with self._write("signin", username) as conn:
            conn.execute(
                sa.delete(signin_failures_t).where(signin_failures_t.c.username == username)
            )
            self._audit(conn, "signin", username, f"from {address}", who=username)

    # -- the audit trail ---------------------------------------------------------------------
    def audit_log(
        self,
        *,
        actor_name: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Audit rows, newest first, filtered by actor, action (prefix, e.g. "scenario"),
        time range (ISO text, compared as stored: UTC) and count."""
        query = sa.select(*[audit_t.c[c] for c in AUDIT_COLUMNS]).order_by(
            audit_t.c.audit_id.desc()
        )
        if actor_name:
            query = query.where(audit_t.c.actor == actor_name)
        if action:
            query = query.where(
                sa.or_(audit_t.c.action == action, audit_t.c.action.like(f"{action}.%"))
            )
        if since:
            query = query.where(audit_t.c.at >= since)
        if until:
            query = query.where(audit_t.c.at <= until)
        if limit:
            query = query.limit(int(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=AUDIT_COLUMNS)


def _audit_value(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _AUDIT_VALUE_CHARS else text[:_AUDIT_VALUE_CHARS] + " …(cut)"


def _rows_by_key(frame: pd.DataFrame, key: str = "line_id") -> dict[str, dict[str, Any]]:
    """Rows of a small reference table as {key: {column: value}} (JSON-safe, for the audit)."""
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    return {str(r[key]): r for r in records}


def _at(file: str, row: int) -> str:
    """Where a pledge came from, for messages ("pledges.xlsx row 4")."""
    return f"{file or 'no file'}" + (f" row {row}" if row else "")


def _file_report(report: ImportReport, source_file: str) -> ImportReport:
    """The part of a multi-file report that concerns one file (for its log entry)."""
    sub = ImportReport(
        errors=[e for e in report.errors if e.file == source_file],
        warnings=[w for w in report.warnings if w.file == source_file],
        files=[f for f in report.files if f.get("file") == source_file],
    )
    for f in sub.files:
        sub.rows_read += int(f.get("rows_read", 0))
        sub.rows_imported += int(f.get("rows_imported", 0))
        sub.rows_rejected += int(f.get("rows_rejected", 0))
    return sub
