"""Confidential donors: the names outside readers see.

Every file meant for outside readers (JSON, workbook, dashboard) shows a confidential donor as
"Anonymous donor N". A donor is confidential when any of its pledges is marked confidential —
matched on the *normalised* name (:func:`name_key`: letter case, spacing and unicode forms do
not count), so "Qatar" marked confidential on one row makes "QATAR " on another confidential
too. Numbering is by descending programmable USD, then name, so it is stable for a given plan
and never reveals alphabetical position. A scenario names donors too (excluded donors, per-donor
probabilities): :func:`rename_scenario_donors` maps them, out to readers and back. Free text
(scenario names and descriptions, notes, messages) goes through :func:`name_scrubber`, the one
function that removes confidential names from text before it leaves the server.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from models.plan import Plan
from models.scenario import Problem, ScenarioError

# Invisible formatting characters (zero-width space and joiners, direction marks and
# controls, word joiner, byte-order mark, soft hyphen) never make two names different.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def name_key(name: str) -> str:
    """A donor name as compared for confidentiality: unicode compatibility forms folded
    (NFKC), invisible characters dropped, case folded, runs of spaces as one."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    return " ".join(text.casefold().split())


class DonorAliases(dict[str, str]):
    """Donor name -> the name readers see. A spelling that is not a key (another letter case,
    extra spaces) is looked up by its :func:`name_key`, so it can never slip through as itself
    when the donor is confidential."""

    def __init__(self, names: Mapping[str, str]) -> None:
        super().__init__(names)
        self._by_key: dict[str, str] = {}
        for name, alias in names.items():
            # A confidential spelling wins over a public one with the same key.
            if alias != name or name_key(name) not in self._by_key:
                self._by_key[name_key(name)] = alias

    def __missing__(self, name: str) -> str:
        return self._by_key[name_key(name)]

    def get(self, name: Any, default: Any = None) -> Any:
        if name in self:
            return self[name]
        if isinstance(name, str):
            return self._by_key.get(name_key(name), default)
        return default


def donor_aliases(plan: Plan, *, reveal: bool = False) -> DonorAliases:
    """Map every donor name to the name shown to outside readers."""
    pledges = plan.pledges
    names = sorted(str(d) for d in pledges["donor"].unique())
    if reveal or pledges.empty:
        return DonorAliases({d: d for d in names})
    marked = {
        name_key(d) for d in pledges.loc[pledges["confidential"].astype(bool), "donor"].astype(str)
    }
    confidential = {d for d in names if name_key(d) in marked}
    if not confidential:
        return DonorAliases({d: d for d in names})
    totals = (
        plan.tranches.merge(pledges[["pledge_id", "donor"]], on="pledge_id")
        .groupby("donor")["programmable_usd"]
        .sum()
    )
    order = sorted(confidential, key=lambda d: (-float(totals.get(d, 0.0)), d))
    alias = {d: f"Anonymous donor {i}" for i, d in enumerate(order, start=1)}
    return DonorAliases({d: alias.get(d, d) for d in names})


def name_scrubber(aliases: Mapping[str, str]) -> Callable[[str], str]:
    """A function replacing every confidential donor's name (one whose alias differs) inside
    any text by its alias: the one scrub of free text for the JSON, the workbook and the
    dashboard.

    Matching ignores letter case, invisible characters (dropped from the text) and how many
    spaces separate words, on NFC-normalised text; longest names first so a name containing
    another is replaced whole. Plain substring matching on purpose: privacy wins over the rare
    mangled word.
    """
    hidden = {name: alias for name, alias in aliases.items() if name != alias and name.strip()}
    if not hidden:
        return lambda text: text
    keys: dict[str, str] = {}
    spellings: set[str] = set()
    for name, alias in hidden.items():
        keys.setdefault(name_key(name), alias)
        spellings.add(_INVISIBLE.sub("", unicodedata.normalize("NFC", name)).strip())
    # In a name, any run of spaces matches any run of spaces.
    pattern = re.compile(
        "|".join(
            r"\s+".join(re.escape(word) for word in spelling.split())
            for spelling in sorted(spellings, key=lambda n: (-len(n), n))
        ),
        flags=re.IGNORECASE,
    )

    def scrub(text: str) -> str:
        if not text:
            return text
        clean = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
        if pattern.search(clean) is None:
            return text  # untouched: text without a confidential name stays as written
        return pattern.sub(lambda m: keys.get(name_key(m.group(0)), "Anonymous donor"), clean)

    return scrub


#: Free text of a scenario, scrubbed when the scenario goes out to readers.
_SCENARIO_TEXT = ("name", "description")


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
      in the map keeps its name, and the scenario's free text (name, description) is passed
      through :func:`name_scrubber`, so a description naming a confidential donor says its alias;
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
    if not strict:
        scrub = name_scrubber(names)
        for key in _SCENARIO_TEXT:
            if isinstance(out.get(key), str):
                out[key] = scrub(out[key])
    return out
