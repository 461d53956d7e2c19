"""Words for the product's codes: the one home of every code -> label / sentence mapping.

The plan, the result and the JSON keep their codes (``lower_tier``, ``softly_earmarked``,
``gender_share`` ...): they are the contract. Everything a person reads — the workbook, the
appeal document, the donor briefs and, later, the dashboard — shows the words from here, so a
reason reads the same everywhere and no reader sees a code.

Each kind of code is one table of :class:`Words` (a short label and a sentence). :func:`label`
and :func:`sentence` look a code up; a code no table knows (a future engine's new reason) is
turned into plain words ("new_reason" -> "New reason") rather than shown raw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

__all__ = [
    "KINDS",
    "Kind",
    "Words",
    "humanise",
    "label",
    "labels",
    "parameter_label",
    "sentence",
]


class Words(NamedTuple):
    label: str  # a few words, for table cells and chart labels
    sentence: str  # a full sentence, for explanations


Kind = Literal[
    "reason",
    "unallocated",
    "category",
    "theme",
    "earmarking",
    "status",
    "donor_type",
    "target",
    "min_viable",
    "priority",
]

# Why a line got what it got (models.result.REASONS).
_REASON: dict[str, Words] = {
    "fully_funded": Words("Fully funded", "Its requirement is fully met."),
    "eligible_money_exhausted": Words(
        "Eligible money used up",
        "All the money it may receive in time has been used.",
    ),
    "lower_tier": Words(
        "Higher priorities first",
        "Money it could receive went to higher-priority lines first.",
    ),
    "tranche_spread": Words(
        "First half of every line first",
        "It received the first half of its need; the rest of the flexible money went to other "
        "lines' first halves.",
    ),
    "cut_below_min_viable": Words(
        "Below minimum viable",
        "The money it could receive would not reach its minimum viable level, so it receives "
        "nothing and that money goes elsewhere.",
    ),
    "carry_forward_limited": Words(
        "Money arrives too late",
        "Money it could use arrives after its earlier needs; money can only be carried forward.",
    ),
    "excluded": Words("No requirement", "It has no requirement in the appeal's years."),
    "policy_target": Words(
        "Held by a policy target",
        "The flexible money it could receive is held by a policy target for other lines.",
    ),
    "donor_line_cap_reached": Words(
        "Donor caps reached",
        "Money it could receive is left, but donor caps keep more of any one donor's money off it.",
    ),
}

# Why money stayed unallocated (models.result.UNALLOCATED_REASONS).
_UNALLOCATED: dict[str, Words] = {
    "no_eligible_need_in_horizon": Words(
        "No eligible need",
        "The lines this money may fund need nothing in the appeal's years.",
    ),
    "stranded_by_min_viable_cut": Words(
        "Line below minimum viable",
        "It is earmarked to a line that does not reach its minimum viable funding.",
    ),
    "arrives_after_need": Words(
        "Arrives after the need",
        "It arrives after the years in which its lines need money.",
    ),
    "eligible_lines_fully_funded": Words(
        "Its lines are fully funded",
        "Every line this money may fund is already fully funded.",
    ),
    "arrives_after_horizon": Words(
        "Arrives after the appeal",
        "It arrives after the last year of the appeal.",
    ),
    "donor_excluded": Words(
        "Donor left out of this scenario",
        "The scenario leaves this donor's money out.",
    ),
    "donor_line_cap_reached": Words(
        "Donor's share capped",
        "The scenario caps one donor's share of a line, and the cap is reached.",
    ),
    "solver_error": Words(
        "Not allocated: the plan did not solve",
        "The allocation did not solve, so nothing was allocated.",
    ),
}

_CATEGORY: dict[str, Words] = {
    "leadership": Words("UNOCT leadership", "Leadership of the UN Office of Counter-Terrorism."),
    "coordination": Words(
        "Compact coordination",
        "Coordination of the Global Counter-Terrorism Coordination Compact.",
    ),
    "flagship": Words("Flagship programme", "A flagship programme of the appeal."),
    "entity": Words("Compact entity programme", "A programme of another Compact entity."),
}

_THEME: dict[str, Words] = {
    "human_rights": Words("Human rights", "Human rights are mainstreamed in this work."),
    "gender": Words("Gender", "Gender is mainstreamed in this work."),
    "civil_society": Words("Civil society", "It engages civil society."),
    "cft": Words("Countering the financing of terrorism", "It counters terrorist financing."),
    "border": Words("Border security", "It strengthens border security and management."),
    "victims": Words("Victims of terrorism", "It supports victims of terrorism."),
    "pve": Words("Preventing violent extremism", "It helps prevent violent extremism."),
}

_EARMARKING: dict[str, Words] = {
    "unearmarked": Words("Unearmarked", "May fund any line of the appeal."),
    "softly_earmarked": Words("Softly earmarked", "Given for a pillar, theme, category or entity."),
    "earmarked": Words("Earmarked", "Given for one programme."),
    "tightly_earmarked": Words("Tightly earmarked", "Given for one programme, with conditions."),
}

_STATUS: dict[str, Words] = {
    "pledged": Words("Pledged", "Announced but not yet committed in writing."),
    "committed": Words("Committed", "Committed in a signed agreement."),
    "paid": Words("Paid", "Received."),
}

_DONOR_TYPE: dict[str, Words] = {
    "member_state": Words("Member State", "A Member State of the United Nations."),
    "intergovernmental": Words("Intergovernmental organisation", "An intergovernmental body."),
    "private": Words("Private donor", "A foundation, company or person."),
    "un_fund": Words("UN fund", "A pooled fund of the United Nations."),
    "other": Words("Other donor", "Another kind of donor."),
}

# Policy targets (models.formulation: the scenario's soft targets).
_TARGET: dict[str, Words] = {
    "leadership_coordination_share_of_flexible": Words(
        "Leadership and coordination share of flexible money",
        "UNOCT leadership and Compact coordination receive at least this share of the "
        "flexible money.",
    ),
    "human_rights_share": Words(
        "Human-rights-tagged share of all money",
        "Lines tagged human rights receive at least this share of all the money.",
    ),
    "gender_share": Words(
        "Gender-tagged share of all money",
        "Lines tagged gender receive at least this share of all the money.",
    ),
    "civil_society_share": Words(
        "Civil-society-tagged share of all money",
        "Lines tagged civil society receive at least this share of all the money.",
    ),
}

_MIN_VIABLE: dict[str, Words] = {
    "funded": Words("Above its minimum", "It reaches its minimum viable funding."),
    "cut": Words(
        "Cut: below its minimum",
        "It would not reach its minimum viable funding, so it receives nothing.",
    ),
    "not_applicable": Words("No minimum set", "It has no minimum viable share."),
}

_PRIORITY: dict[str, Words] = {
    "1": Words("Critical", "Priority tier 1: critical."),
    "2": Words("High", "Priority tier 2: high."),
    "3": Words("Medium", "Priority tier 3: medium."),
    "4": Words("Low", "Priority tier 4: low."),
}

_TABLES: dict[Kind, Mapping[str, Words]] = {
    "reason": _REASON,
    "unallocated": _UNALLOCATED,
    "category": _CATEGORY,
    "theme": _THEME,
    "earmarking": _EARMARKING,
    "status": _STATUS,
    "donor_type": _DONOR_TYPE,
    "target": _TARGET,
    "min_viable": _MIN_VIABLE,
    "priority": _PRIORITY,
}
KINDS: tuple[Kind, ...] = tuple(_TABLES)

# Scenario parameters (dotted keys of models.scenario.Scenario.to_dict()) in words.
_PARAMETERS: dict[str, str] = {
    "name": "Scenario",
    "description": "Description",
    "weights.tranche_share": "Share of each line-year's need funded first",
    "weights.tranche_weight": "Weight of the rest of a line-year's need",
    "weights.early_year_preference": "Preference for earlier years (tie-breaker)",
    "min_viable": "Minimum viable funding rule",
    "excluded_donors": "Donors left out",
    "donor_line_cap_share": "Largest share of a line one donor may fund",
    "start_year": "First year",
    "end_year": "Last year",
    "solver": "Solver",
    "time_limit_seconds": "Solver time limit (seconds)",
    "mip_gap": "Solver optimality gap",
    "risk.draws": "Pledge-risk simulation draws",
    "risk.seed": "Pledge-risk simulation seed",
}


def humanise(code: str) -> str:
    """A code as plain words: "new_reason" -> "New reason" (for codes no table knows)."""
    words = str(code).replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else ""


def _words(kind: Kind, code: object) -> Words | None:
    return _TABLES[kind].get(str(code).strip().casefold().replace(" ", "_"))


def label(kind: Kind, code: object) -> str:
    """The short label of ``code`` (a plain-words fallback for unknown codes)."""
    words = _words(kind, code)
    return words.label if words else humanise(str(code))


def sentence(kind: Kind, code: object) -> str:
    """The sentence for ``code`` (its label as a sentence for unknown codes)."""
    words = _words(kind, code)
    if words:
        return words.sentence
    text = humanise(str(code))
    return f"{text}." if text else ""


def labels(kind: Kind, codes: Iterable[object], sep: str = "; ") -> str:
    """Several codes (a list, or one ``;``-joined cell) as labels joined with ``sep``."""
    parts: list[str] = []
    for code in codes:
        parts.extend(p.strip() for p in str(code).split(";") if p.strip())
    return sep.join(label(kind, p) for p in parts)


def parameter_label(key: str) -> str:
    """A scenario parameter's dotted key in words ("weights.tier.1" -> "Weight of priority
    tier 1 (critical)")."""
    if key in _PARAMETERS:
        return _PARAMETERS[key]
    parts = key.split(".")
    if parts[:2] == ["weights", "tier"] and len(parts) == 3:
        return f"Weight of priority tier {parts[2]} ({label('priority', parts[2]).lower()})"
    if parts[:2] == ["weights", "criteria"] and len(parts) == 3:
        return f"Weight of criterion: {humanise(parts[2]).lower()}"
    if parts[0] == "targets" and len(parts) == 2:
        return f"Target: {label('target', parts[1]).lower()}"
    if parts[:2] == ["risk", "status_probability"] and len(parts) == 3:
        return f"Chance a {label('status', parts[2]).lower()} pledge is honoured"
    if parts[:2] == ["risk", "donor_probability"] and len(parts) == 3:
        return f"Chance {parts[2]}'s pledges are honoured"
    return humanise(key)
