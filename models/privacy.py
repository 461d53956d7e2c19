"""Confidential donors: the names outside readers see.

Every file meant for outside readers (JSON, workbook, dashboard) shows a confidential donor as
"Anonymous donor N". A donor is confidential when any of its pledges is marked confidential.
Numbering is by descending programmable USD, then name, so it is stable for a given plan and
never reveals alphabetical position. A scenario names donors too (excluded donors, per-donor
probabilities): :func:`rename_scenario_donors` maps them, out to readers and back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from models.plan import Plan
from models.scenario import Problem, ScenarioError


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


def rename_scenario_donors(
    data: Mapping[str, Any], names: Mapping[str, str], *, strict: bool = False
) -> dict[str, Any]:
    """A scenario dict (:meth:`Scenario.to_dict` form) with every donor it names —
    ``excluded_donors`` and the keys of ``risk.donor_probability`` — passed through ``names``.

    This is the one place a scenario's donors change names, both ways:

    - out to a reader (the browser, the JSON): ``names`` = :func:`donor_aliases`; a donor not
      in the map keeps its name;
    - back in from the browser: ``names`` = alias -> donor and ``strict=True``: a name that is
      not an alias of this plan raises :class:`ScenarioError` naming the key. A guessed real
      name of a confidential donor is not an alias, so it is refused exactly like a name with
      no pledge and never reaches the model.

    The input is not changed; sections it does not rename are shared with the result. Values
    of the wrong shape are passed through for the scenario's own validation to refuse.
    """
    out = dict(data)
    problems: list[Problem] = []

    def rename(name: Any, path: str) -> Any:
        if isinstance(name, str) and name in names:
            return names[name]
        if strict and isinstance(name, str):
            problems.append(Problem(path, f"no pledge from {name!r}"))
        return name

    excluded = data.get("excluded_donors")
    if isinstance(excluded, list):
        out["excluded_donors"] = [rename(d, "excluded_donors") for d in excluded]
    risk = data.get("risk")
    if isinstance(risk, Mapping) and isinstance(risk.get("donor_probability"), Mapping):
        out["risk"] = {
            **risk,
            "donor_probability": {
                rename(d, f"risk.donor_probability.{d}"): p
                for d, p in risk["donor_probability"].items()
            },
        }
    if problems:
        raise ScenarioError(problems)
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
