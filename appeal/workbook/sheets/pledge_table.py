"""The appeal workbook's Pledges sheet: the plan's pledges in the input contract's columns.

The sheet must import again with :func:`appeal.importer.read_pledges` / ``load_plan`` and give
back the same pledges (DESIGN.md "Input contract"), so this module writes exactly what the
importer reads:

- headers are the contract's column names in readable spelling ("Pledge ID", "Earmark to",
  "Amount 2027" ...), which the importer matches case- and space-insensitively;
- a pledge spread evenly over consecutive years is written as ``amount`` + ``year`` + ``years``
  (the importer rebuilds the same tranches); any other pledge gets explicit ``amount_YYYY``
  columns, and ``amount`` is their sum;
- amounts are in the pledge's currency, gross of programme support cost, unrounded;
- confidential donors appear under their alias ("Anonymous donor N") unless names are revealed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from models import contract
from models.money import is_even_spread as _even_spread
from models.money import overdue
from models.plan import Plan

# The sheet's columns: the pledge layout of the table contract, under readable labels.
_COLUMNS: dict[str, contract.Column] = {c.label: c for c in contract.PLEDGES.written}
_LABEL: dict[str, str] = {c.name: label for label, c in _COLUMNS.items()}
_PER_YEAR = contract.PLEDGES.pattern("amount_{}")
_PER_YEAR_LABEL = _PER_YEAR.column_label("")  # "Amount " + the year
# Header label -> HXL hashtag (the importer reads the same tags: appeal.spreadsheet.HXL).
BASE_COLUMNS: dict[str, str] = {label: c.hashtag for label, c in _COLUMNS.items()}
HXL: dict[str, str] = dict(BASE_COLUMNS)
WIDTHS: dict[str, float] = {label: c.width for label, c in _COLUMNS.items()}
# Style keys of appeal.workbook (amounts in pledge currency: a plain number format, not USD).
STYLE: dict[str, str] = {
    label: "int" if c.kind in contract.INT_KINDS else "num"
    for label, c in _COLUMNS.items()
    if c.kind in contract.INT_KINDS or c.kind in contract.FLOAT_KINDS
}


def _cell(column: contract.Column, value: Any) -> object:
    """A plan value as the input contract writes it (labels for allowed values, yes/no)."""
    if column.kind == "bool":
        return "yes" if bool(value) else "no"
    if column.kind in contract.INT_KINDS:
        return _i(value)
    if column.kind in contract.FLOAT_KINDS:
        return _f(value)
    if column.vocabulary is not None and column.kind == "choice":
        return column.vocabulary.label(str(value))
    return _text(value)


def pledge_table(plan: Plan, aliases: Mapping[str, str]) -> pd.DataFrame:
    """The Pledges sheet as a frame whose columns are the sheet's headers, in order."""
    pledges = plan.pledges
    by_pledge: dict[str, list[tuple[int, float]]] = {}
    for pid, year, amount in zip(
        plan.tranches["pledge_id"].astype(str),
        plan.tranches["year"].astype(int),
        plan.tranches["amount"].astype(float),
        strict=True,
    ):
        by_pledge.setdefault(pid, []).append((year, amount))
    for parts in by_pledge.values():
        parts.sort()

    explicit_years: set[int] = set()
    rows: list[dict[str, object]] = []
    for p in pledges.itertuples(index=False):
        pid = str(p.pledge_id)
        parts = by_pledge.get(pid, [])
        amount = _f(p.amount)
        row: dict[str, object] = {
            label: _cell(c, getattr(p, c.plan_name)) for label, c in _COLUMNS.items() if c.stored
        }
        row[_LABEL["donor"]] = aliases.get(str(p.donor), str(p.donor))
        row[_LABEL["years"]] = _i(p.last_year) - _i(p.first_year) + 1
        row = {label: row[label] for label in _COLUMNS}  # in the sheet's order
        if parts and not _even_spread(amount, parts):
            # Uneven or gapped tranches: explicit per-year amounts rebuild them exactly.
            row[_LABEL["years"]] = None
            row[_LABEL["amount"]] = sum(a for _, a in parts)
            for year, value in parts:
                row[_PER_YEAR.column_label(year)] = value
                explicit_years.add(year)
        rows.append(row)
    columns = list(BASE_COLUMNS) + [_PER_YEAR.column_label(y) for y in sorted(explicit_years)]
    table = pd.DataFrame(rows, columns=columns)
    if len(plan.instalments):
        table[OVERDUE.label] = (
            overdue_amounts(plan, dt.date.today())
            .reindex(plan.pledges["pledge_id"].astype(str), fill_value=0.0)
            .to_numpy()
        )
    return table


#: The column a plan with instalments adds: what is overdue today (read back: ignored).
OVERDUE = contract.PLEDGES.column("overdue")
WIDTHS[OVERDUE.label] = OVERDUE.width
STYLE[OVERDUE.label] = "num"


def overdue_amounts(plan: Plan, today: dt.date) -> pd.Series:
    """Per pledge_id, the amount of its instalments overdue on ``today`` (pledge currency)."""
    flags = overdue(plan.instalments, plan.pledges, today)
    late = plan.instalments.loc[flags]
    return late.groupby(late["pledge_id"].astype(str))["amount"].sum()


def column_width(name: str) -> float:
    return WIDTHS.get(name, 14.0)


def column_style(name: str) -> str:
    """Style key of a column (per-year amounts are numbers in pledge currency)."""
    return STYLE.get(name, "num" if name.startswith(_PER_YEAR_LABEL) else "text")


def column_hxl(name: str) -> str:
    if name.startswith(_PER_YEAR_LABEL):
        return _PER_YEAR.hashtag(name.removeprefix(_PER_YEAR_LABEL))
    return HXL.get(name, "")


def _f(value: Any) -> float:
    """float() of a pandas scalar (typed loosely by pandas-stubs)."""
    return float(value)


def _i(value: Any) -> int:
    """int() of a pandas scalar (typed loosely by pandas-stubs)."""
    return int(value)


def _text(value: Any) -> str:
    """Text of an optional cell: missing (None / NaN) is empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
