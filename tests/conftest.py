"""Shared fixtures: the bundled sample plan, a fresh register on each database backend, tiny
file writers.

``sample_plan`` / ``sample_loaded`` are loaded once per session and shared: treat them as
read-only (derive changed plans with ``plan.replace(...)`` on copies of the tables).

Registers (``register_url``, ``tmp_db_url``, ``register``): every test that uses one runs on
SQLite and on PostgreSQL. The PostgreSQL database is the one ``APPEAL_TEST_POSTGRES_URL``
names (``postgresql+psycopg://user:password@127.0.0.1:5432/db``; ``.ci/run`` starts one); the
tests may empty it: every table in it is dropped before and after each test. Without that
variable the PostgreSQL cases are skipped on a developer's machine and FAIL in CI (``CI`` set),
so CI can never pass without testing the register on PostgreSQL.

``redis_url``: the Redis ``APPEAL_TEST_REDIS_URL`` names (``redis://127.0.0.1:6379/0``), its
database emptied before each test; skipped or failed like PostgreSQL when unset.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from appeal.importer import ImportReport, load_sample_plan
from appeal.register import Register
from models.plan import Plan

POSTGRES_ENV = "APPEAL_TEST_POSTGRES_URL"
REDIS_ENV = "APPEAL_TEST_REDIS_URL"
BACKENDS = ("sqlite", "postgresql")

Rows = Sequence[Sequence[Any]]


@pytest.fixture(scope="session")
def sample_loaded() -> tuple[Plan, ImportReport]:
    """The bundled illustrative sample plan and its import report (loaded once)."""
    return load_sample_plan()


@pytest.fixture(scope="session")
def sample_plan(sample_loaded: tuple[Plan, ImportReport]) -> Plan:
    return sample_loaded[0]


def service_url(env: str, what: str) -> str:
    """The URL of a test service named by the environment variable ``env``: skipped when
    unset on a developer's machine, a failure in CI (which must run every test)."""
    url = os.environ.get(env, "").strip()
    if url:
        return url
    message = f"{env} is not set: the {what} tests need it ({what} started by .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def empty_database(url: str) -> None:
    """Drop every table in the database at ``url`` (the register's and any other)."""
    engine = sa.create_engine(url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty register: a SQLite file, then the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return
    yield from _empty_postgres()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The PostgreSQL test database, emptied: for a test that is about PostgreSQL alone."""
    yield from _empty_postgres()


def _empty_postgres() -> Iterator[str]:
    url = service_url(POSTGRES_ENV, "PostgreSQL")
    empty_database(url)
    yield url
    empty_database(url)


@pytest.fixture
def redis_url() -> str:
    """The test Redis, its database emptied (see the module docstring)."""
    import redis

    url = service_url(REDIS_ENV, "Redis")
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def empty_register(register_url: str) -> Callable[[], None]:
    """Empties the test's register database (every table dropped), as a new one would be."""
    return lambda: empty_database(register_url)


@pytest.fixture
def tmp_db_url(register_url: str) -> str:
    """A fresh register's URL, on each backend (see :func:`register_url`)."""
    return register_url


@pytest.fixture
def register(register_url: str) -> Iterator[Register]:
    """A fresh register, on each backend."""
    with Register(register_url) as reg:
        yield reg


@pytest.fixture
def make_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """``make_xlsx(rows, name="x.xlsx", sheet="Pledges", extra={sheet: rows})`` -> path."""

    def make(
        rows: Rows,
        name: str = "pledges.xlsx",
        sheet: str = "Pledges",
        extra: dict[str, Rows] | None = None,
    ) -> Path:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet
        for row in rows:
            ws.append(list(row))
        for title, more in (extra or {}).items():
            other = wb.create_sheet(title)
            for row in more:
                other.append(list(row))
        path = tmp_path / name
        wb.save(path)
        return path

    return make


@pytest.fixture
def make_csv(tmp_path: Path) -> Callable[..., Path]:
    """``make_csv(rows, name="x.csv")`` -> path (UTF-8, comma separated)."""

    def make(rows: Rows, name: str = "pledges.csv") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([list(r) for r in rows])
        return path

    return make


SMALL_PROGRAMMES: list[list[Any]] = [
    [
        "line_id",
        "name",
        "category",
        "entity",
        "pillars",
        "themes",
        "priority",
        "req_2027",
        "req_2028",
    ],
    ["L1", "Leadership", "leadership", "UNOCT", "I;II", "human_rights", 1, 1_000_000, 1_000_000],
    ["L2", "Travel", "flagship", "UNOCT", "II", "border", 2, 2_000_000, 2_000_000],
    ["L3", "Gender", "entity", "UN Women", "IV", "gender;civil_society", 3, 500_000, 500_000],
]
SMALL_FX: list[list[Any]] = [
    ["currency", "units_per_usd", "as_of"],
    ["EUR", 0.8, "2026-11-01"],
    ["JPY", 150, "2026-11-01"],
]
PLEDGE_HEADER = [
    "donor",
    "amount",
    "currency",
    "year",
    "years",
    "earmarking",
    "earmark_to",
    "status",
]


@pytest.fixture
def small_programmes(make_csv: Callable[..., Path]) -> Path:
    """Three budget lines (L1 leadership, L2 flagship, L3 entity) over 2027-2028."""
    return make_csv(SMALL_PROGRAMMES, name="programmes.csv")


@pytest.fixture
def small_fx(make_csv: Callable[..., Path]) -> Path:
    """EUR at 0.8 and JPY at 150 units per USD."""
    return make_csv(SMALL_FX, name="fx.csv")
