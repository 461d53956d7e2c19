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

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from models.plan import Plan

# Header label -> HXL hashtag (the importer's own tags, appeal.spreadsheet.HXL["pledges"]).
BASE_COLUMNS: dict[str, str] = {
    "Pledge ID": "#meta+id",
    "Donor": "#org+funder",
    "Amount": "#value",
    "Currency": "#currency",
    "Year": "#date+year",
    "Years": "#meta+years",
    "Earmarking": "#meta+earmarking",
    "Earmark to": "#meta+earmark",
    "Status": "#status",
    "PSC rate": "#meta+psc",
    "Confidential": "#meta+confidential",
}
HXL: dict[str, str] = dict(BASE_COLUMNS)
WIDTHS: dict[str, float] = {
    "Pledge ID": 18,
    "Donor": 30,
    "Amount": 16,
    "Currency": 9,
    "Year": 7,
    "Years": 7,
    "Earmarking": 18,
    "Earmark to": 20,
    "Status": 11,
    "PSC rate": 9,
    "Confidential": 12,
}
# Style keys of appeal.workbook (amounts in pledge currency: a plain number format, not USD).
STYLE: dict[str, str] = {
    "Amount": "num",
    "Year": "int",
    "Years": "int",
    "PSC rate": "num",
}


def _even_spread(amount: float, tranches: list[tuple[int, float]]) -> bool:
    """True when the tranches are what ``year`` + ``years`` would rebuild: consecutive years,
    each ``amount / n`` (the importer's own spread)."""
    years = [y for y, _ in tranches]
    if not years or years != list(range(years[0], years[0] + len(years))):
        return False
    share = amount / len(years)
    return all(math.isclose(a, share, rel_tol=1e-12, abs_tol=1e-9) for _, a in tranches)


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
            "Pledge ID": pid,
            "Donor": aliases.get(str(p.donor), str(p.donor)),
            "Amount": amount,
            "Currency": str(p.currency),
            "Year": _i(p.first_year),
            "Years": _i(p.last_year) - _i(p.first_year) + 1,
            "Earmarking": str(p.earmarking).replace("_", " "),
            "Earmark to": _text(p.earmark_to),
            "Status": str(p.status),
            "PSC rate": _f(p.psc_rate),
            "Confidential": "yes" if bool(p.confidential) else "no",
        }
        if parts and not _even_spread(amount, parts):
            # Uneven or gapped tranches: explicit per-year amounts rebuild them exactly.
            row["Years"] = None
            row["Amount"] = sum(a for _, a in parts)
            for year, value in parts:
                row[f"Amount {year}"] = value
                explicit_years.add(year)
        rows.append(row)
    columns = list(BASE_COLUMNS) + [f"Amount {y}" for y in sorted(explicit_years)]
    return pd.DataFrame(rows, columns=columns)


def column_width(name: str) -> float:
    return WIDTHS.get(name, 14.0)


def column_style(name: str) -> str:
    """Style key of a column (per-year amounts are numbers in pledge currency)."""
    return STYLE.get(name, "num" if name.startswith("Amount ") else "text")


def column_hxl(name: str) -> str:
    if name.startswith("Amount "):
        return "#value+y" + name.removeprefix("Amount ")
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
