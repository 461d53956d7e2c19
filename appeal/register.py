"""The pledge register and scenario store: a SQL database (SQLite by default, any SQLAlchemy URL).

It keeps the plan's reference tables (programmes, requirements, donors, exchange rates), the
pledges with the file, sheet and row they came from, their per-year tranches, an import log
and saved scenarios. Every write is one transaction (:meth:`Register._write`): if anything
fails, nothing is stored; and every write bumps the register's :class:`Revision` in the same
transaction, so a cache keyed on the revision (the service's plan cache) can never serve data
older than the last committed write — on SQLite and PostgreSQL alike.

Pledges are keyed by ``pledge_id`` (given in the file or a stable hash of the pledge's
content, see :func:`appeal.importer.pledge_hash`), so re-importing the same file replaces the
same rows instead of adding duplicates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from appeal.config import ensure_sqlite_dir
from appeal.importer import ImportReport
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


def sql_columns(table: contract.Table, *, indexed: tuple[str, ...] = ()) -> list[sa.Column[Any]]:
    """The register columns of a contract table: one per plan column, typed as the contract
    says, NOT NULL (blank text is stored as ""), the table's key as primary key."""
    return [
        sa.Column(
            c.plan_name,
            _sql_type(c),
            primary_key=c.plan_name in table.key,
            nullable=False,
            default=None if c.plan_name in table.key else c.default,
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
# SQLite limits bound parameters per statement; delete in chunks.
_CHUNK = 500


class RegisterError(ValueError):
    """A register operation was asked to do something invalid (message for people)."""


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


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as dicts of native Python scalars (which every DB driver accepts).

    Column-wise ``tolist()`` is several times faster than ``to_dict("records")`` on 10,000-row
    frames, which matters for the import benchmark."""
    names = list(columns)
    data = [frame[c].tolist() for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*data, strict=True)]


def _bulk_insert(
    conn: Connection, table: sa.Table, frame: pd.DataFrame, columns: Sequence[str]
) -> None:
    """Insert many rows. On SQLite the driver's executemany is used directly (SQLAlchemy's
    per-row parameter processing dominates a 10,000-pledge import); elsewhere Core inserts."""
    names = list(columns)
    data = [frame[c].tolist() for c in names]
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
            metadata.create_all(self.engine)
            self._add_missing_columns()
            self._ensure_revision_row()
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
            raise RegisterError(f"invalid database URL {url!r}: {exc}") from None
        except sa.exc.OperationalError as exc:
            raise RegisterError(f"cannot open the register at {url}: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def _add_missing_columns(self) -> None:
        """Add the contract's newer columns to a register made before them (each with its
        default, so old rows read as the contract says a blank cell does).

        A stopgap until the register's schema changes go through migrations: ``create_all``
        makes missing tables but never changes an existing one."""
        inspector = sa.inspect(self.engine)
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or column.primary_key:
                    continue
                default = getattr(column.default, "arg", None)
                if callable(default) or default is None:
                    default = "" if isinstance(column.type, sa.String | sa.Text) else 0
                literal = sa.literal(default).compile(
                    self.engine, compile_kwargs={"literal_binds": True}
                )
                ddl = column.type.compile(self.engine.dialect)
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table.name} ADD COLUMN {column.name} {ddl} "
                        f"NOT NULL DEFAULT {literal}"
                    )

    # -- the write path and the revision ---------------------------------------------------
    def _ensure_revision_row(self) -> None:
        """Create the revision row of a new register (or of one made before it existed)."""
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
    def _write(self) -> Iterator[Connection]:
        """The one way to change the register: a transaction that also bumps the revision.

        The bump comes first, so on PostgreSQL the revision row's lock orders concurrent
        writers; it commits or rolls back with the change itself. (The audit row of who changed
        what is to be written here too, in the same transaction.)
        """
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(revision_t)
                .where(revision_t.c.id == _REVISION_ROW)
                .values(revision=revision_t.c.revision + 1)
            )
            yield conn

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
    def import_plan(self, plan: Plan, report: ImportReport) -> None:
        """Store a whole plan: reference tables replaced, pledges upserted, one transaction."""
        with self._write() as conn:
            self._replace_reference(conn, plan)
            # One log entry per pledge file, including files whose every row was refused.
            files = [str(f["file"]) for f in report.files if f.get("kind") == "pledges"]
            for source_file in dict.fromkeys([*files, *map(str, plan.pledges["source_file"])]):
                group = plan.pledges.loc[plan.pledges["source_file"] == source_file]
                tranches = plan.tranches.loc[
                    plan.tranches["pledge_id"].isin(set(group["pledge_id"]))
                ]
                file_report = _file_report(report, source_file)
                schedule = plan.instalments.loc[
                    plan.instalments["pledge_id"].isin(set(group["pledge_id"]))
                ]
                self._store_pledges(
                    conn, group, tranches, file_report, source_file, instalments=schedule
                )
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
        instalments: pd.DataFrame | None = None,
    ) -> ImportLogEntry:
        """Upsert one file's pledges, tranches and instalments (idempotent by pledge_id) and
        log it."""
        with self._write() as conn:
            return self._store_pledges(
                conn, pledges, tranches, report, source_file, content, instalments
            )

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
        instalments: pd.DataFrame | None = None,
    ) -> ImportLogEntry:
        ids = [str(x) for x in pledges["pledge_id"]]
        existing: set[str] = set()
        for chunk in _chunks(ids):
            existing.update(
                conn.execute(
                    sa.select(pledges_t.c.pledge_id).where(pledges_t.c.pledge_id.in_(chunk))
                ).scalars()
            )
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
        for chunk in _chunks(ids):
            conn.execute(sa.delete(tranches_t).where(tranches_t.c.pledge_id.in_(chunk)))
            conn.execute(sa.delete(instalments_t).where(instalments_t.c.pledge_id.in_(chunk)))
            conn.execute(sa.delete(pledges_t).where(pledges_t.c.pledge_id.in_(chunk)))
        if ids:
            frame = pledges.assign(
                import_id=entry.import_id, earmark_to=pledges["earmark_to"].fillna("")
            )
            _bulk_insert(conn, pledges_t, frame, [*PLEDGE_COLUMNS, "import_id"])
        if len(tranches):
            _bulk_insert(conn, tranches_t, tranches, TRANCHE_COLUMNS)
        if instalments is not None and len(instalments):
            _bulk_insert(conn, instalments_t, instalments.fillna(""), INSTALMENT_COLUMNS)
        return entry

    # -- reading --------------------------------------------------------------------------
    def _frame(self, table: sa.Table, columns: Sequence[str], order: Sequence[str]) -> pd.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(
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

    def programmes(self) -> pd.DataFrame:
        frame = self._frame(programmes_t, [*PROGRAMME_COLUMNS, "extra"], ["position", "line_id"])
        extras = [json.loads(x or "{}") for x in frame.pop("extra")]
        if extras and any(extras):
            frame = pd.concat([frame, pd.DataFrame(extras, index=frame.index)], axis=1)
        return conform("programmes", frame)

    def fx(self) -> pd.DataFrame:
        return conform("fx", self._frame(fx_t, FX_COLUMNS, ["currency"]))

    def pledges(self) -> pd.DataFrame:
        frame = self._frame(pledges_t, PLEDGE_COLUMNS, ["source_file", "source_row", "pledge_id"])
        return conform("pledges", frame)

    def tranches(self) -> pd.DataFrame:
        return conform("tranches", self._frame(tranches_t, TRANCHE_COLUMNS, contract.TRANCHES.key))

    def instalments(self) -> pd.DataFrame:
        return conform(
            "instalments",
            self._frame(instalments_t, INSTALMENT_COLUMNS, contract.INSTALMENTS.key),
        )

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
        with self._write() as conn:
            conn.execute(sa.delete(fx_t).where(fx_t.c.currency == code))
            conn.execute(fx_t.insert(), _records(row, FX_COLUMNS))

    def stored_tables(self) -> dict[str, Any]:
        """The stored tables, title and flag as :meth:`Plan.build` takes them (read as they
        are: :meth:`load_plan` validates them)."""
        with self.engine.connect() as conn:
            meta = {
                str(k): str(v) for k, v in conn.execute(sa.select(meta_t.c.key, meta_t.c.value))
            }
        return {
            "programmes": self.programmes(),
            "requirements": self._frame(
                requirements_t, REQUIREMENT_COLUMNS, contract.REQUIREMENTS.key
            ),
            "pledges": self.pledges(),
            "tranches": self.tranches(),
            "instalments": self.instalments(),
            "donors": self._frame(donors_t, DONOR_COLUMNS, contract.DONORS.key),
            "fx": self.fx(),
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
        with self._write() as conn:
            result = conn.execute(
                sa.update(pledges_t).where(pledges_t.c.pledge_id == pledge_id).values(status=value)
            )
            if result.rowcount == 0:
                raise RegisterError(f"no pledge with id {pledge_id!r} in the register")

    # -- scenarios ------------------------------------------------------------------------
    def save_scenario(
        self, name: str, scenario: Scenario, summary: dict[str, Any] | None = None
    ) -> None:
        """Store (or replace) a scenario under ``name``, with an optional result summary."""
        name = str(name).strip()
        if not name or len(name) > 200:
            raise RegisterError("a scenario name must be 1-200 characters")
        definition = scenario.validate().to_dict()
        with self._write() as conn:
            conn.execute(sa.delete(scenarios_t).where(scenarios_t.c.name == name))
            conn.execute(
                scenarios_t.insert(),
                {
                    "name": name,
                    "description": scenario.description,
                    "definition": json.dumps(definition),
                    "summary": json.dumps(summary, default=str) if summary is not None else None,
                    "saved_at": _now(),
                },
            )

    def list_scenarios(self) -> pd.DataFrame:
        """name, description, saved_at, summary (dict or None), one row per saved scenario."""
        frame = self._frame(scenarios_t, ["name", "description", "saved_at", "summary"], ["name"])
        frame["summary"] = [json.loads(s) if s else None for s in frame["summary"]]
        return frame

    def get_scenario(self, name: str) -> Scenario:
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(scenarios_t.c.definition).where(scenarios_t.c.name == name)
            ).scalar()
        if text is None:
            raise RegisterError(f"no saved scenario named {name!r}")
        return Scenario.from_dict(json.loads(text))

    def delete_scenario(self, name: str) -> None:
        with self._write() as conn:
            result = conn.execute(sa.delete(scenarios_t).where(scenarios_t.c.name == name))
            if result.rowcount == 0:
                raise RegisterError(f"no saved scenario named {name!r}")


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
