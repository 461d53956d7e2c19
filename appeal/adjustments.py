"""Negative amounts: refunds and reversals of a donor's earlier money.

Funding data reports a refund or a reversed commitment as a flow with a negative amount. It is
neither a pledge nor an error: it takes money off *the same donor's* earlier pledges in the
import — never another donor's — and says so in the report. :func:`apply` matches each
adjustment to the donor's pledges, best first:

1. the same earmark (earmarking and target), then the same currency;
2. among those, pledges whose first year is not after the adjustment's (earlier money), the
   latest first;

and takes the adjustment's USD value off them in that order, each pledge's amount and tranches
scaled down together (so its money per year keeps its shape) and the amount taken recorded in
its ``adjustment`` column. A pledge brought to zero is removed (reported). An adjustment larger
than the donor's earlier money is an error on its row, and nothing of it is applied.

The donor's earlier money is first the pledges of the same import, then — when the import goes
into a register — the pledges the register already holds (``stored``): a refund file can come
on its own, months after the pledges it takes money back from. The register then stores the
changed pledges (and removes those brought to zero) in the import's transaction, audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Adjustment", "apply"]


@dataclass(frozen=True)
class Adjustment:
    """A negative-amount row: where it is, whose money it takes back and how much (``amount``
    positive, in ``currency``; ``usd`` its value in US dollars)."""

    file: str
    sheet: str
    row: int
    donor: str
    amount: float
    currency: str
    usd: float
    year: int
    earmarking: str
    earmark_to: str

    @property
    def where(self) -> str:
        return self.file + (f" [{self.sheet}]" if self.sheet else "") + f" row {self.row}"


@dataclass
class Outcome:
    """What :func:`apply` did: the changed pledges and parts, errors and notes by adjustment."""

    pledges: pd.DataFrame
    parts: dict[str, list[tuple[int, float]]]
    errors: list[tuple[Adjustment, str]]
    notes: list[tuple[Adjustment, str]]


def apply(
    adjustments: list[Adjustment],
    pledges: pd.DataFrame,
    parts: dict[str, list[tuple[int, float]]],
    usd_rate: dict[str, float],
    stored: frozenset[str] | None = None,
) -> Outcome:
    """Take each adjustment off its donor's earlier pledges (see the module docstring).

    ``parts``: pledge_id -> (year, amount in pledge currency); ``usd_rate``: pledge_id -> units
    of its currency per USD; ``stored``: the pledge ids in ``pledges`` that the register holds
    (used after the import's own; ``None`` when the import goes into no register). Returns new
    frames; the inputs are not changed."""
    frame = pledges.copy()
    parts = {k: list(v) for k, v in parts.items()}
    errors: list[tuple[Adjustment, str]] = []
    notes: list[tuple[Adjustment, str]] = []
    index = {str(pid): i for i, pid in zip(frame.index, frame["pledge_id"], strict=True)}
    removed: set[str] = set()
    for adj in adjustments:
        candidates = _candidates(adj, frame, removed, stored or frozenset())
        available = sum(_usd(frame, index[p], usd_rate[p]) for p in candidates)
        if available + 1e-6 < adj.usd:
            have = f"USD {available:,.2f}" if candidates else "none"
            where = "in this import is" if stored is None else "in this import and the register is"
            errors.append(
                (
                    adj,
                    f"a refund or reversal of {adj.currency} {adj.amount:,.2f} (USD "
                    f"{adj.usd:,.2f}) for {adj.donor}, but {adj.donor}'s earlier money {where} "
                    f"{have}; import the pledges it adjusts first, or in the same run "
                    "(another donor's money is never used)",
                )
            )
            continue
        left = adj.usd
        taken: list[str] = []
        for pid in candidates:
            if left <= 1e-9:
                break
            i = index[pid]
            usd = _usd(frame, i, usd_rate[pid])
            take = min(usd, left)
            share = take / usd if usd else 0.0
            amount = _num(frame.at[i, "amount"])
            frame.at[i, "adjustment"] = _num(frame.at[i, "adjustment"]) + amount * share
            frame.at[i, "amount"] = amount * (1.0 - share)
            parts[pid] = [(y, a * (1.0 - share)) for y, a in parts.get(pid, [])]
            left -= take
            if math.isclose(share, 1.0) or _num(frame.at[i, "amount"]) <= 1e-9:
                removed.add(pid)
                taken.append(f"{pid} (all of it: removed)")
            else:
                taken.append(f"{pid} (USD {take:,.2f})")
        notes.append(
            (
                adj,
                f"refund or reversal of {adj.currency} {adj.amount:,.2f} taken off "
                f"{adj.donor}'s earlier money: " + ", ".join(taken),
            )
        )
    frame = frame.loc[~frame["pledge_id"].astype(str).isin(removed)].reset_index(drop=True)
    for pid in removed:
        parts.pop(pid, None)
    return Outcome(frame, parts, errors, notes)


def _usd(frame: pd.DataFrame, i: Any, rate: float) -> float:
    return _num(frame.at[i, "amount"]) / rate


def _num(value: Any) -> float:
    """float() of a pandas scalar (typed loosely by pandas-stubs)."""
    return float(value)


def _candidates(
    adj: Adjustment, frame: pd.DataFrame, removed: set[str], stored: frozenset[str]
) -> list[str]:
    """The donor's earlier pledges, best match first: the import's own before the stored."""
    donor = adj.donor.casefold()
    mine = frame.loc[
        (frame["donor"].astype(str).str.casefold() == donor)
        & (frame["first_year"].astype(int) <= adj.year)
    ]
    ranked = sorted(
        (
            str(row.pledge_id) in stored,
            not (row.earmarking == adj.earmarking and str(row.earmark_to) == adj.earmark_to),
            row.currency != adj.currency,
            -int(_num(row.first_year)),
            str(row.pledge_id),
        )
        for row in mine.itertuples(index=False)
        if str(row.pledge_id) not in removed and _num(row.amount) > 0
    )
    return [key[-1] for key in ranked]
