"""Confidential donors: the names outside readers see.

Every file meant for outside readers (JSON, workbook, dashboard) shows a confidential donor as
"Anonymous donor N". A donor is confidential when any of its pledges is marked confidential.
Numbering is by descending programmable USD, then name, so it is stable for a given plan and
never reveals alphabetical position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pandas as pd

from models.plan import Plan


def donor_aliases(plan: Plan, *, reveal: bool = False) -> dict[str, str]:
    """Map every donor name to the name shown to outside readers."""
    pledges = plan.pledges
    names = sorted(str(d) for d in pledges["donor"].unique())
    if reveal or pledges.empty:
        return {d: d for d in names}
    confidential = set(pledges.loc[pledges["confidential"].astype(bool), "donor"].astype(str))
    if not confidential:
        return {d: d for d in names}
    totals = (
        plan.tranches.merge(pledges[["pledge_id", "donor"]], on="pledge_id")
        .groupby("donor")["programmable_usd"]
        .sum()
    )
    order = sorted(confidential, key=lambda d: (-float(totals.get(d, 0.0)), d))
    alias = {d: f"Anonymous donor {i}" for i, d in enumerate(order, start=1)}
    return {d: alias.get(d, d) for d in names}


def anonymise(frame: pd.DataFrame, aliases: dict[str, str], column: str = "donor") -> pd.DataFrame:
    """A copy of ``frame`` with the donor column replaced by the aliases."""
    if column not in frame.columns:
        return frame
    out = frame.copy()
    out[column] = out[column].map(lambda d: aliases.get(d, d))
    return out


def name_scrubber(aliases: Mapping[str, str]) -> Callable[[str], str]:
    """A function that replaces every confidential donor's name (one whose alias differs)
    inside any text by its alias: for text that may quote a donor (explanations, import
    messages, notes). Longest names first, so a name containing another is replaced whole;
    case-insensitive plain substring matching on purpose: privacy wins over the rare mangled
    word."""
    hidden = {name: alias for name, alias in aliases.items() if name != alias and name}
    if not hidden:
        return lambda s: s
    pattern = re.compile(
        "|".join(re.escape(n) for n in sorted(hidden, key=lambda n: (-len(n), n))),
        flags=re.IGNORECASE,
    )
    folded = {n.casefold(): a for n, a in hidden.items()}

    def scrub(text: str) -> str:
        return pattern.sub(lambda m: folded.get(m.group(0).casefold(), "Anonymous donor"), text)

    return scrub
