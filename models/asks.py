"""Tailored asks: the open gaps one donor could fund, best use of its money first.

A donor's :class:`DonorProfile` says what it usually funds, in the pledges' own earmark
vocabulary (``pillar:II``, ``theme:gender``, ``category:flagship``, ``entity:UNODC``, a
``line_id``, or any line for a donor that gives unearmarked money), so "could fund" means
exactly what eligibility means for a pledge (:mod:`models.eligibility`). For a current donor
the profile comes from its pledges (:func:`profile_from_pledges`); a line it earmarked to also
opens the other lines of that line's entity. A prospect's profile is entered by the team
(:func:`prospect_profile`).

:func:`rank_asks` lists the eligible lines with an open gap, ranked by what a dollar there
buys (the line's marginal value, :func:`models.line_value.earmarked_values`), then by the size
of the gap, with a suggested ask: the donor's typical contribution (the median of its pledges,
programmable USD) capped at the gap, rounded to a figure people write in letters. The top row
is where its first contribution would matter most.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from models.eligibility import EligibilityIndex, UnknownEarmarkTarget
from models.plan import Plan

__all__ = [
    "ASK_COLUMNS",
    "GAP_COLUMNS",
    "DonorProfile",
    "eligible_lines",
    "line_gaps",
    "profile_from_pledges",
    "prospect_profile",
    "rank_asks",
    "round_ask",
    "typical_contribution",
    "unknown_targets",
]

# One row per line over the horizon (line_gaps).
GAP_COLUMNS = [
    "line_id",
    "name",
    "category",
    "entity",
    "priority",
    "requirement_usd",
    "funded_usd",
    "gap_usd",
]
ASK_COLUMNS = ["rank", *GAP_COLUMNS, "value_per_usd", "suggested_ask_usd", "share_of_gap"]


@dataclass(frozen=True)
class DonorProfile:
    """What a donor usually funds and how much it usually gives."""

    donor: str  # the name as the plan holds it (never shown when confidential)
    shown: str  # the name briefs show ("Anonymous donor N" for a confidential donor)
    any_line: bool  # gives unearmarked money: may fund any line
    targets: tuple[str, ...] = ()  # earmark targets it funds: "theme:gender", "LEAD-01" ...
    earmarking: tuple[str, ...] = ()  # the earmarking kinds it uses, most used first
    typical_usd: float | None = None  # a typical contribution (programmable USD)
    given_usd: float = 0.0  # programmable USD it pledged to this plan
    pledges: int = 0
    prospect: bool = False
    donor_type: str = ""


def profile_from_pledges(plan: Plan, donor: str, shown: str | None = None) -> DonorProfile:
    """The profile of a current donor from its pledges in ``plan``."""
    pledges = plan.pledges.loc[plan.pledges["donor"].astype(str) == donor]
    if not len(pledges):
        raise KeyError(f"no pledges from {shown or donor!r} in the plan")
    money = (
        plan.tranches.loc[plan.tranches["pledge_id"].isin(pledges["pledge_id"])]
        .groupby("pledge_id")["programmable_usd"]
        .sum()
    )
    entity = dict(
        zip(plan.programmes["line_id"].astype(str), plan.programmes["entity"], strict=True)
    )
    targets: list[str] = []
    for kind, target in zip(pledges["earmarking"], pledges["earmark_to"], strict=True):
        if kind == "unearmarked":
            continue
        for part in str(target or "").split(";"):
            part = part.strip()
            if not part:
                continue
            targets.append(part)
            if ":" not in part and part in entity:
                targets.append(f"entity:{entity[part]}")
    kinds = pledges["earmarking"].astype(str).value_counts()
    types = plan.donors.loc[plan.donors["donor"].astype(str) == donor, "donor_type"]
    return DonorProfile(
        donor=donor,
        shown=shown or donor,
        any_line=bool((pledges["earmarking"] == "unearmarked").any()),
        targets=tuple(dict.fromkeys(targets)),
        earmarking=tuple(sorted(kinds.index, key=lambda k: (-int(kinds[k]), k))),
        typical_usd=float(money.median()) if len(money) else None,
        given_usd=float(money.sum()),
        pledges=len(pledges),
        donor_type=str(types.iloc[0]) if len(types) else "",
    )


def prospect_profile(
    name: str,
    *,
    pillars: Iterable[str] = (),
    themes: Iterable[str] = (),
    entities: Iterable[str] = (),
    categories: Iterable[str] = (),
    lines: Iterable[str] = (),
    earmarking: Sequence[str] = (),
    typical_usd: float | None = None,
    donor_type: str = "",
) -> DonorProfile:
    """The profile of a prospective donor the team describes. With no pillar, theme, entity,
    category or line, or with "unearmarked" among its earmarking, it may fund any line."""
    targets = [f"pillar:{p}" for p in pillars] + [f"theme:{t}" for t in themes]
    targets += [f"entity:{e}" for e in entities] + [f"category:{c}" for c in categories]
    targets += list(lines)
    return DonorProfile(
        donor=name,
        shown=name,
        any_line="unearmarked" in earmarking or not targets,
        targets=tuple(dict.fromkeys(targets)),
        earmarking=tuple(earmarking),
        typical_usd=typical_usd,
        prospect=True,
        donor_type=donor_type,
    )


def eligible_lines(profile: DonorProfile, index: EligibilityIndex) -> frozenset[str]:
    """The lines ``profile``'s donor could fund (every line for a donor of unearmarked money).

    Raises :class:`models.eligibility.UnknownEarmarkTarget` for a target no line matches."""
    if profile.any_line:
        return index.all_lines
    lines: set[str] = set()
    for target in profile.targets:
        kind = "softly_earmarked" if ":" in target else "earmarked"
        lines |= index.lines_for(kind, target)
    return frozenset(lines)


def unknown_targets(profile: DonorProfile, index: EligibilityIndex) -> list[str]:
    """The profile's targets that match no line, each with the reason."""
    problems = []
    for target in profile.targets:
        try:
            eligible_lines(DonorProfile(profile.donor, profile.shown, False, (target,)), index)
        except UnknownEarmarkTarget as exc:
            problems.append(str(exc))
    return problems


def round_ask(amount: float) -> float:
    """A suggested amount as people write it: two significant figures, rounded down (never
    above the gap it is capped at); at least USD 1,000 unless the amount is smaller."""
    if amount <= 0:
        return 0.0
    if amount < 1_000:
        return float(math.floor(amount))
    step = 10 ** max(3, math.floor(math.log10(amount)) - 1)
    return float(math.floor(amount / step) * step)


def rank_asks(
    profile: DonorProfile,
    gaps: pd.DataFrame,
    values: pd.DataFrame,
    index: EligibilityIndex,
    *,
    fallback_typical_usd: float | None = None,
) -> pd.DataFrame:
    """The asks for one donor: columns :data:`ASK_COLUMNS`, best first.

    ``gaps``: one row per line with line_id, name, category, entity, priority,
    requirement_usd, funded_usd, gap_usd (over the horizon). ``values``: line_id,
    value_per_usd. ``fallback_typical_usd`` sizes the asks of a donor with no typical
    contribution of its own (a prospect that gave none)."""
    eligible = eligible_lines(profile, index)
    open_gaps = gaps.loc[gaps["line_id"].astype(str).isin(eligible) & (gaps["gap_usd"] > 0.5)]
    value = dict(zip(values["line_id"].astype(str), values["value_per_usd"], strict=True))
    table = open_gaps.assign(
        line_id=open_gaps["line_id"].astype(str),
        value_per_usd=[float(value.get(str(x), float("nan"))) for x in open_gaps["line_id"]],
    )
    table = table.sort_values(
        ["value_per_usd", "gap_usd", "line_id"],
        ascending=[False, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    typical = profile.typical_usd if profile.typical_usd else fallback_typical_usd
    asks = [
        round_ask(min(float(g), typical)) if typical else round_ask(float(g))
        for g in table["gap_usd"]
    ]
    table["suggested_ask_usd"] = asks
    table["share_of_gap"] = [
        a / float(g) if float(g) > 0 else 0.0 for a, g in zip(asks, table["gap_usd"], strict=True)
    ]
    table.insert(0, "rank", range(1, len(table) + 1))
    return table[ASK_COLUMNS]


def line_gaps(lines: pd.DataFrame) -> pd.DataFrame:
    """Per line over the horizon: requirement, funded and gap, with the line's attributes
    (``lines``: line-years with name, category, entity, priority, requirement_usd,
    funded_usd, gap_usd — :func:`models.gaps.line_years`)."""
    return lines.groupby("line_id", as_index=False, sort=False).agg(
        name=("name", "first"),
        category=("category", "first"),
        entity=("entity", "first"),
        priority=("priority", "first"),
        requirement_usd=("requirement_usd", "sum"),
        funded_usd=("funded_usd", "sum"),
        gap_usd=("gap_usd", "sum"),
    )


def typical_contribution(plan: Plan, donor_type: str = "") -> float | None:
    """The median pledge (programmable USD) of the plan's donors of ``donor_type`` (all
    donors when empty or when none is of that type): the yardstick for a prospect's asks."""
    money = plan.tranches.groupby("pledge_id")["programmable_usd"].sum()
    if donor_type:
        types = dict(zip(plan.donors["donor"].astype(str), plan.donors["donor_type"], strict=True))
        of_type = [
            pid
            for pid, d in zip(plan.pledges["pledge_id"], plan.pledges["donor"], strict=True)
            if types.get(str(d)) == donor_type
        ]
        if of_type:
            money = money.loc[money.index.isin(of_type)]
    return float(money.median()) if len(money) else None
