"""The money rules, each written once: programmable amount, exchange to USD, spreading a pledge
over its years, and which years make up the appeal horizon.

- programmable amount = gross / (1 + psc_rate) (programme support cost comes off the top);
- an amount in a currency is converted with the UN operational rate, units per USD
  (USD needs no rate; any other currency without one is a ``KeyError``, never a silent 1.0);
- a pledge given as a total over ``first_year..last_year`` is spread evenly, each year
  ``amount / number of years`` (explicit per-year amounts are kept as given);
- a pledge paid in instalments has each instalment's money in the year it is due (its
  tranches are the instalments summed by due year);
- an instalment is overdue when its due date has passed, it has no paid date and its pledge
  is not paid;
- the horizon is the plan's requirement years inside a scenario's optional start/end year.

Amounts are never rounded here (rounding is for display only). Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.contract import DEFAULT_PSC_RATE

__all__ = [
    "DEFAULT_PSC_RATE",
    "Tranche",
    "even_spread",
    "horizon_years",
    "instalment_parts",
    "is_even_spread",
    "overdue",
    "programmable",
    "tranches",
    "usd_rates",
]

#: One year of a pledge: (pledge_id, year, amount in pledge currency, gross USD, programmable
#: USD) — a row of the plan's tranches table.
Tranche = tuple[str, int, float, float, float]


def programmable(gross: float, psc_rate: float) -> float:
    """Programmable amount of a gross contribution after programme support cost."""
    return gross / (1.0 + psc_rate)


def usd_rates(fx: Any = None) -> dict[str, float]:
    """Currency -> units per USD from an fx table (``currency``, ``units_per_usd`` columns) or a
    mapping; USD is always 1. Codes are upper-cased."""
    rates = {"USD": 1.0}
    if fx is None:
        return rates
    if isinstance(fx, Mapping):
        rates.update({str(k).upper(): float(v) for k, v in fx.items()})
    elif len(fx):
        rates.update(
            {
                str(c).upper(): float(r)
                for c, r in zip(fx["currency"], fx["units_per_usd"], strict=True)
            }
        )
    return rates


def even_spread(amount: float, first_year: int, last_year: int) -> list[tuple[int, float]]:
    """(year, amount) for each year of ``first_year..last_year``, the amount split evenly."""
    first, last = int(first_year), int(last_year)
    share = float(amount) / (last - first + 1)
    return [(year, share) for year in range(first, last + 1)]


def is_even_spread(amount: float, parts: Sequence[tuple[int, float]]) -> bool:
    """True when ``parts`` are what :func:`even_spread` gives for ``amount`` over their years
    (consecutive years, each ``amount / n``), so a total and a year range describe them."""
    years = [y for y, _ in parts]
    if not years or years != list(range(years[0], years[0] + len(years))):
        return False
    share = amount / len(years)
    return all(math.isclose(a, share, rel_tol=1e-12, abs_tol=1e-9) for _, a in parts)


def tranches(
    pledge_id: str, parts: Iterable[tuple[int, float]], units_per_usd: float, psc_rate: float
) -> list[Tranche]:
    """The tranche rows of one pledge: each (year, amount in pledge currency) converted to
    gross USD and to programmable USD."""
    out: list[Tranche] = []
    for year, amount in parts:
        gross = amount / units_per_usd
        out.append((pledge_id, int(year), amount, gross, programmable(gross, psc_rate)))
    return out


def horizon_years(
    years: Iterable[int], start_year: int | None = None, end_year: int | None = None
) -> list[int]:
    """The years of ``years`` inside the optional ``start_year``/``end_year`` (unset or 0: no
    bound), ascending: the horizon an allocation and its analytics cover."""
    return sorted(
        int(y)
        for y in years
        if (not start_year or int(y) >= start_year) and (not end_year or int(y) <= end_year)
    )


def instalment_parts(instalments: Iterable[tuple[str, float]]) -> list[tuple[int, float]]:
    """(year, amount) of a pledge paid in instalments: each instalment (ISO due date, amount in
    pledge currency) counts in the year it is due, years ascending."""
    by_year: dict[int, float] = {}
    for due, amount in instalments:
        year = int(str(due)[:4])
        by_year[year] = by_year.get(year, 0.0) + float(amount)
    return sorted(by_year.items())


def overdue(instalments: pd.DataFrame, pledges: pd.DataFrame, today: dt.date) -> np.ndarray:
    """True for each instalment (row of the plan's instalments table) that is overdue on
    ``today``: due before it, not paid, of a pledge that is not paid."""
    if instalments.empty:
        return np.zeros(0, dtype=bool)
    paid_pledges = set(pledges.loc[pledges["status"] == "paid", "pledge_id"].astype(str))
    due = instalments["due_date"].astype(str).to_numpy()
    unpaid = instalments["paid_date"].fillna("").astype(str).str.strip().eq("").to_numpy()
    open_pledge = ~instalments["pledge_id"].astype(str).isin(paid_pledges).to_numpy()
    return np.asarray((due < today.isoformat()) & unpaid & open_pledge, dtype=bool)
