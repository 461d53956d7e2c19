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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pandera.pandas as pa

from models import contract

if TYPE_CHECKING:
    from models.plan import Plan

# Cross-column checks report "column|message" so a failure can name its column.
_SEP = "|"


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def column_checks(column: contract.Column) -> list[pa.Check]:
    """The value rules of one column, each with the message users read (the column's own
    ``rule`` when it declares one)."""
    name = column.name
    lo, hi = column.minimum, column.maximum
    if column.vocabulary is not None and column.kind == "choice":
        values = column.vocabulary.values
        message = f"{name} must be one of {', '.join(values)}"
        return [pa.Check.isin(values, error=column.rule or message)]
    if column.kind in contract.TEXT_KINDS:
        if column.pattern is not None:
            return [pa.Check.str_matches(column.pattern, error=column.rule or name)]
        if column.max_length is None:
            return []
        shortest = 0 if column.nullable or not column.required else 1
        message = (
            f"{name} must be 1-{column.max_length} characters"
            if shortest
            else f"{name} must be at most {column.max_length} characters"
        )
        return [pa.Check.str_length(shortest, column.max_length, error=column.rule or message)]
    if lo is None and hi is None:
        return []
    if column.kind in contract.INT_KINDS and lo is not None and hi is not None:
        message = f"{name} must be {lo:g}-{hi:g}"
    elif lo is not None and hi is not None:
        message = f"{name} must be between {lo:g} and {hi:g}"
    elif lo is not None:
        message = (
            f"{name} must be greater than {_number(lo)}"
            if column.exclusive_minimum
            else f"{name} must not be negative"
            if lo == 0
            else f"{name} must be at least {_number(lo)}"
        )
    else:
        message = f"{name} must be at most {_number(hi)}"
    error = column.rule or message
    if lo is not None and hi is not None:
        return [
            pa.Check.in_range(
                lo,
                hi,
                include_min=not column.exclusive_minimum,
                include_max=not column.exclusive_maximum,
                error=error,
            )
        ]
    if lo is not None:
        check = pa.Check.gt if column.exclusive_minimum else pa.Check.ge
        return [check(lo, error=error)]
    assert hi is not None
    return [pa.Check.le(hi, error=error)]


# Rules across the columns of one row or table (the contract declares columns, these relate
# them).
_TABLE_RULES: dict[str, list[pa.Check]] = {
    "pledges": [
        pa.Check(
            lambda df: df["last_year"] >= df["first_year"],
            error=f"last_year{_SEP}last year is before the first year",
        )
    ],
    "fx": [
        pa.Check(
            lambda df: (df["currency"] != "USD") | (df["units_per_usd"] == 1.0),
            error=f"units_per_usd{_SEP}the USD rate must be 1",
        )
    ],
}


def _key_check(table: contract.Table) -> list[pa.Check]:
    """A composite key (line and year ...) appears once; one-column keys are ``unique``."""
    if len(table.key) < 2:
        return []
    key = list(table.key)
    return [
        pa.Check(
            lambda df: ~df.duplicated(key, keep="first"),
            error=f"{key[-1]}{_SEP}{table.key_rule}",
        )
    ]


def table_schema(table: contract.Table) -> pa.DataFrameSchema:
    """The pandera schema of one contract table. Plan-only columns (``in_files=False``) may be
    absent from a frame being checked row by row; :meth:`models.plan.Plan.build` makes sure
    every column is there."""
    return pa.DataFrameSchema(
        {
            c.plan_name: pa.Column(
                contract.python_type(c.kind),
                column_checks(c),
                nullable=c.nullable,
                unique=c.unique,
                # Frames arrive typed (the importer's parsers, Plan.build's conform): a value
                # of another type is a problem to report, not something to convert.
                coerce=False,
                required=c.in_files,
            )
            for c in table.plan_columns
        },
        checks=[*_key_check(table), *_TABLE_RULES.get(table.name, [])],
        strict=False,
        name=table.name,
    )


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    name: table_schema(table) for name, table in contract.TABLES.items()
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
        schema.validate(frame, lazy=True, inplace=True)  # nothing to convert: no copy
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


def _reference_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Values that must appear in another table (a requirement's line, a tranche's pledge)."""
    found: list[Problem] = []
    for name, frame in tables.items():
        for column in contract.TABLES[name].plan_columns:
            if column.references is None or not len(frame):
                continue
            other, _, field = column.references.partition(".")
            known = set(tables[other][field]) if other in tables else set()
            values = frame[column.plan_name]
            for index, value in values[~values.isin(known)].items():
                found.append(
                    Problem(
                        name,
                        index,
                        column.plan_name,
                        f"{value!r} is not a {field} of the {other}",
                        value,
                    )
                )
    return found


def plan_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Every rule the plan's tables break: each table's schema and the references between
    them (empty list when the tables make a valid plan)."""
    found: list[Problem] = []
    for name, frame in tables.items():
        if len(frame):
            found.extend(problems(name, frame))
    return found + _reference_problems(tables)


def validate_plan(plan: Plan) -> list[Problem]:
    """Every rule the plan's tables break (empty list when the plan is valid)."""
    from models.plan import TABLE_NAMES

    return plan_problems({name: getattr(plan, name) for name in TABLE_NAMES})
