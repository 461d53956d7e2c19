"""Shared fixtures: the bundled sample plan, a throwaway register URL, tiny file writers.

``sample_plan`` / ``sample_loaded`` are loaded once per session and shared: treat them as
read-only (derive changed plans with ``plan.replace(...)`` on copies of the tables).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from appeal.importer import ImportReport, load_sample_plan
from models.plan import Plan

Rows = Sequence[Sequence[Any]]


@pytest.fixture(scope="session")
def sample_loaded() -> tuple[Plan, ImportReport]:
    """The bundled illustrative sample plan and its import report (loaded once)."""
    return load_sample_plan()


@pytest.fixture(scope="session")
def sample_plan(sample_loaded: tuple[Plan, ImportReport]) -> Plan:
    return sample_loaded[0]


@pytest.fixture
def tmp_db_url(tmp_path: Path) -> str:
    """A SQLite URL for a fresh register file in the test's temp folder."""
    return f"sqlite:///{tmp_path / 'register.sqlite'}"


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
