"""Pandera schemas for the plan's tables, and a lazy validator that lists every problem.

The importer parses cells into typed columns first (text to numbers, spellings to canonical
values); these schemas then check the rules on the typed tables — ranges, allowed values,
uniqueness, cross-column order — all at once (lazy validation), so a user sees every problem
in a file in one go, not the first one. :func:`problems` turns pandera's failure table into
plain :class:`Problem` records keyed by the frame's index (the importer indexes rows by their
spreadsheet row number, so each problem points at a row).

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa

from models.plan import CATEGORIES, DONOR_TYPES, EARMARKING, STATUSES, Plan

# Cross-column checks report "column|message" so a failure can name its column.
_SEP = "|"


def _text(
    *checks: pa.Check, nullable: bool = False, unique: bool = False, required: bool = True
) -> pa.Column:
    return pa.Column(
        str, list(checks), nullable=nullable, unique=unique, coerce=True, required=required
    )


PROGRAMMES = pa.DataFrameSchema(
    {
        "line_id": _text(
            pa.Check.str_length(1, 64, error="line_id must be 1-64 characters"),
            unique=True,
        ),
        "name": _text(pa.Check.str_length(1, 200, error="name must be 1-200 characters")),
        "category": _text(
            pa.Check.isin(CATEGORIES, error=f"category must be one of {', '.join(CATEGORIES)}")
        ),
        "entity": _text(pa.Check.str_length(1, 100, error="entity must be 1-100 characters")),
        "pillars": _text(
            pa.Check.str_length(1, None, error="at least one Strategy pillar (I-IV) is needed")
        ),
        "themes": _text(nullable=True),
        "priority": pa.Column(
            int, pa.Check.isin([1, 2, 3, 4], error="priority must be 1-4"), coerce=True
        ),
        "min_viable_share": pa.Column(
            float,
            pa.Check.in_range(0.0, 1.0, error="min_viable_share must be between 0 and 1"),
            coerce=True,
        ),
    },
    strict=False,
    name="programmes",
)

REQUIREMENTS = pa.DataFrameSchema(
    {
        "line_id": _text(),
        "year": pa.Column(
            int, pa.Check.in_range(2000, 2100, error="year must be 2000-2100"), coerce=True
        ),
        "requirement_usd": pa.Column(
            float,
            pa.Check.ge(0.0, error="requirement must not be negative"),
            coerce=True,
        ),
    },
    checks=[
        pa.Check(
            lambda df: ~df.duplicated(["line_id", "year"], keep="first"),
            error=f"year{_SEP}the same line and year has a requirement twice",
        )
    ],
    strict=False,
    name="requirements",
)

PLEDGES = pa.DataFrameSchema(
    {
        "pledge_id": _text(pa.Check.str_length(1, 64, error="pledge_id must be 1-64 characters")),
        "donor": _text(pa.Check.str_length(1, 200, error="donor must be 1-200 characters")),
        "amount": pa.Column(float, pa.Check.gt(0.0, error="amount must be greater than 0")),
        "currency": _text(
            pa.Check.str_matches(r"^[A-Z]{3}$", error="currency must be a 3-letter ISO code")
        ),
        "first_year": pa.Column(
            int, pa.Check.in_range(2000, 2100, error="year must be 2000-2100"), coerce=True
        ),
        "last_year": pa.Column(
            int, pa.Check.in_range(2000, 2100, error="last year must be 2000-2100"), coerce=True
        ),
        "earmarking": _text(
            pa.Check.isin(EARMARKING, error=f"earmarking must be one of {', '.join(EARMARKING)}")
        ),
        "earmark_to": _text(nullable=True),
        "status": _text(
            pa.Check.isin(STATUSES, error=f"status must be one of {', '.join(STATUSES)}")
        ),
        "psc_rate": pa.Column(
            float,
            pa.Check.in_range(
                0.0, 1.0, include_max=False, error="psc_rate must be a fraction from 0 to < 1"
            ),
        ),
        "confidential": pa.Column(bool, coerce=True),
    },
    checks=[
        pa.Check(
            lambda df: df["last_year"] >= df["first_year"],
            error=f"last_year{_SEP}last year is before the first year",
        )
    ],
    strict=False,
    name="pledges",
)

TRANCHES = pa.DataFrameSchema(
    {
        "pledge_id": _text(),
        "year": pa.Column(int, coerce=True),
        "amount": pa.Column(float, pa.Check.ge(0.0, error="tranche must not be negative")),
        "gross_usd": pa.Column(float, pa.Check.ge(0.0)),
        "programmable_usd": pa.Column(float, pa.Check.ge(0.0)),
    },
    strict=False,
    name="tranches",
)

DONORS = pa.DataFrameSchema(
    {
        "donor": _text(
            pa.Check.str_length(1, 200, error="donor must be 1-200 characters"), unique=True
        ),
        "donor_type": _text(
            pa.Check.isin(DONOR_TYPES, error=f"donor_type must be one of {', '.join(DONOR_TYPES)}")
        ),
        "region": _text(pa.Check.str_length(0, 100, error="region must be at most 100 characters")),
        "iati_org_id": _text(nullable=True),
    },
    strict=False,
    name="donors",
)

FX = pa.DataFrameSchema(
    {
        "currency": _text(
            pa.Check.str_matches(r"^[A-Z]{3}$", error="currency must be a 3-letter ISO code"),
            unique=True,
        ),
        "units_per_usd": pa.Column(
            float, pa.Check.gt(0.0, error="units_per_usd must be greater than 0"), coerce=True
        ),
        "as_of": _text(nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: (df["currency"] != "USD") | (df["units_per_usd"] == 1.0),
            error=f"units_per_usd{_SEP}the USD rate must be 1",
        )
    ],
    strict=False,
    name="fx",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "programmes": PROGRAMMES,
    "requirements": REQUIREMENTS,
    "pledges": PLEDGES,
    "tranches": TRANCHES,
    "donors": DONORS,
    "fx": FX,
}


@dataclass(frozen=True)
class Problem:
    """One rule broken by one row (``index`` is the frame's index label of that row)."""

    table: str
    index: Any
    column: str | None
    message: str
    value: Any = None

    def __str__(self) -> str:
        where = f"{self.table} row {self.index}" if self.index is not None else self.table
        col = f", column {self.column}" if self.column else ""
        return f"{where}{col}: {self.message}"


def problems(table: str, frame: pd.DataFrame) -> list[Problem]:
    """Every rule ``frame`` breaks, validated lazily against the ``table`` schema."""
    schema = SCHEMAS[table]
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _to_problems(table, exc.failure_cases)
    return []


def _to_problems(table: str, cases: pd.DataFrame) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[Any, str | None, str]] = set()
    for case in cases.to_dict("records"):
        check = str(case["check"])
        column = None if _missing(case["column"]) else str(case["column"])
        value = case["failure_case"]
        if _SEP in check:
            column, _, message = check.partition(_SEP)
        elif check == "not_nullable":
            message = "is blank"
        elif check == "field_uniqueness":
            message = f"duplicate {column} {value!r}"
        elif check.startswith("column_in_dataframe"):
            message = f"column {value} is missing"
            column = str(value)
        elif check.startswith("dtype(") or check.startswith("coerce_dtype"):
            message = f"wrong type: {value!r}"
        else:
            message = check
            if not _missing(value):
                message = f"{message} (got {value!r})"
        index = None if _missing(case["index"]) else case["index"]
        key = (index, column, message)
        if key in seen:
            continue
        seen.add(key)
        out.append(Problem(table=table, index=index, column=column, message=message, value=value))
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def validate_plan(plan: Plan) -> list[Problem]:
    """Every rule the plan's tables break (empty list when the plan is valid)."""
    found: list[Problem] = []
    for name in ("programmes", "requirements", "pledges", "tranches", "donors", "fx"):
        frame = getattr(plan, name)
        if len(frame):
            found.extend(problems(name, frame))
    return found
