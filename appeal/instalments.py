"""Pledges paid in instalments: each instalment's money is available in the year it is due.

Instalments come as an ``instalments`` sheet (pledge_id, due_date, amount, paid_date), as a
csv with those columns among the pledge files, or in long form (the pledges sheet has a
``due_date`` column and one row per instalment, the pledge's columns repeated). :func:`apply`
ties them to their pledges: every instalment must name a pledge of the import ("did you
mean"); a pledge's instalments must add up to its amount; the pledge's money per year (its
tranches, which the allocation uses) becomes its instalments summed by due year, and its first
and last year those of its first and last instalment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from appeal.suggest import did_you_mean
from models import money
from models.plan import INSTALMENT_COLUMNS

__all__ = ["SHEET_NAMES", "Outcome", "apply"]

#: Sheet names an instalments sheet may have (compared ignoring case).
SHEET_NAMES: tuple[str, ...] = ("instalments", "installments", "schedule")


@dataclass
class Outcome:
    """The pledges with their years from the instalments, their parts, the instalments kept,
    and (where, message, on a pledge row) of every problem: where is (file, sheet, row,
    column); a problem on a pledge row refuses that pledge (``bad_pledges``)."""

    pledges: pd.DataFrame
    parts: dict[str, list[tuple[int, float]]]
    instalments: pd.DataFrame
    errors: list[tuple[tuple[str, str, int | None, str | None], str, bool]]
    bad_pledges: set[str]


def apply(
    pledges: pd.DataFrame,
    parts: dict[str, list[tuple[int, float]]],
    instalments: pd.DataFrame,
    where: list[tuple[str, str, int]],
) -> Outcome:
    """Tie ``instalments`` (``where``: file, sheet, row of each) to ``pledges``."""
    frame = pledges.copy()
    parts = dict(parts)
    errors: list[tuple[tuple[str, str, int | None, str | None], str, bool]] = []
    known = {str(p): i for i, p in zip(frame.index, frame["pledge_id"], strict=True)}
    keep = []
    by_pledge: dict[str, list[tuple[str, float]]] = {}
    for (file, sheet, row), rec in zip(where, instalments.to_dict("records"), strict=True):
        pid = str(rec["pledge_id"])
        if pid not in known:
            hint = did_you_mean(pid, known)
            errors.append(
                ((file, sheet, row, "pledge_id"), f"no pledge {pid!r} in this import{hint}", False)
            )
            continue
        keep.append(rec)
        by_pledge.setdefault(pid, []).append((str(rec["due_date"]), float(rec["amount"])))
    bad: set[str] = set()
    for pid, items in by_pledge.items():
        i = known[pid]
        total = sum(a for _, a in items)
        amount = _num(frame.at[i, "amount"])
        if not math.isclose(total, amount, rel_tol=1e-9, abs_tol=0.01):
            bad.add(pid)
            errors.append(
                (
                    (
                        str(frame.at[i, "source_file"]),
                        str(frame.at[i, "source_sheet"]),
                        int(_num(frame.at[i, "source_row"])),
                        "amount",
                    ),
                    f"amount {amount:,.2f} does not equal the total of its {len(items)} "
                    f"instalment(s) ({total:,.2f})",
                    True,
                )
            )
            continue
        split = money.instalment_parts(items)
        parts[pid] = split
        frame.at[i, "first_year"] = split[0][0]
        frame.at[i, "last_year"] = split[-1][0]
    kept = pd.DataFrame(
        [r for r in keep if str(r["pledge_id"]) not in bad], columns=INSTALMENT_COLUMNS
    )
    return Outcome(frame, parts, kept, errors, bad)


def _num(value: Any) -> float:
    """float() of a pandas scalar (typed loosely by pandas-stubs)."""
    return float(value)
