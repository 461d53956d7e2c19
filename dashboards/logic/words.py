"""Words for codes on the dashboard's pages: the one place the dashboard turns a code
(``lower_tier``, ``softly_earmarked``, ``member_state``) into a label or a sentence.

The product's one home of these words is ``models/labels.py`` (issue 15); when it is present
this module only forwards to it. Until it lands, the few tables the pages need are kept here
(:data:`_FALLBACK`), with the same function names, so switching is deleting the fallback.
JSON and downloads keep the codes; only what a page shows goes through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["label", "labels", "parameter_label", "sentence", "usd_m"]


def _humanise(code: str) -> str:
    words = str(code).replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else ""


# kind -> code -> (label, sentence)
_FALLBACK: dict[str, dict[str, tuple[str, str]]] = {
    "reason": {
        "fully_funded": ("Fully funded", "Its requirement is fully met."),
        "eligible_money_exhausted": (
            "Eligible money used up",
            "All the money it may receive in time has been used.",
        ),
        "lower_tier": (
            "Higher priorities first",
            "Money it could receive went to higher-priority lines first.",
        ),
        "tranche_spread": (
            "First half of every line first",
            "It received the first half of its need; the rest of the flexible money went to "
            "other lines' first halves.",
        ),
        "cut_below_min_viable": (
            "Below minimum viable",
            "The money it could receive would not reach its minimum viable level, so it "
            "receives nothing and that money goes elsewhere.",
        ),
        "carry_forward_limited": (
            "Money arrives too late",
            "Money it could use arrives after its earlier needs; money can only be carried "
            "forward.",
        ),
        "excluded": ("No requirement", "It has no requirement in the appeal's years."),
    },
    "unallocated": {
        "no_eligible_need_in_horizon": (
            "No eligible need",
            "The lines this money may fund need nothing in the appeal's years.",
        ),
        "stranded_by_min_viable_cut": (
            "Line below minimum viable",
            "It is earmarked to a line that does not reach its minimum viable funding.",
        ),
        "arrives_after_need": (
            "Arrives after the need",
            "It arrives after the years in which its lines need money.",
        ),
        "eligible_lines_fully_funded": (
            "Its lines are fully funded",
            "Every line this money may fund is already fully funded.",
        ),
        "arrives_after_horizon": (
            "Arrives after the appeal",
            "It arrives after the last year of the appeal.",
        ),
        "donor_excluded": (
            "Donor left out of this scenario",
            "The scenario leaves this donor's money out.",
        ),
        "donor_line_cap_reached": (
            "Donor's share capped",
            "The scenario caps one donor's share of a line, and the cap is reached.",
        ),
        "solver_error": (
            "Not allocated: the plan did not solve",
            "The allocation did not solve, so nothing was allocated.",
        ),
    },
    "category": {
        "leadership": ("UNOCT leadership", ""),
        "coordination": ("Compact coordination", ""),
        "flagship": ("Flagship programme", ""),
        "entity": ("Compact entity programme", ""),
    },
    "earmarking": {
        "unearmarked": ("Unearmarked", ""),
        "softly_earmarked": ("Softly earmarked", ""),
        "earmarked": ("Earmarked", ""),
        "tightly_earmarked": ("Tightly earmarked", ""),
    },
    "status": {"pledged": ("Pledged", ""), "committed": ("Committed", ""), "paid": ("Paid", "")},
    "donor_type": {
        "member_state": ("Member State", ""),
        "intergovernmental": ("Intergovernmental organisation", ""),
        "private": ("Private donor", ""),
        "un_fund": ("UN fund", ""),
        "other": ("Other donor", ""),
    },
    "theme": {
        "human_rights": ("Human rights", ""),
        "gender": ("Gender", ""),
        "civil_society": ("Civil society", ""),
        "cft": ("Countering the financing of terrorism", ""),
        "border": ("Border security", ""),
        "victims": ("Victims of terrorism", ""),
        "pve": ("Preventing violent extremism", ""),
    },
    "target": {
        "leadership_coordination_share_of_flexible": (
            "Leadership and coordination share of flexible money",
            "",
        ),
        "human_rights_share": ("Human-rights-tagged share of all money", ""),
        "gender_share": ("Gender-tagged share of all money", ""),
        "civil_society_share": ("Civil-society-tagged share of all money", ""),
    },
}


def _fallback_label(kind: str, code: object) -> str:
    found = _FALLBACK.get(kind, {}).get(str(code).strip().casefold().replace(" ", "_"))
    return found[0] if found else _humanise(str(code))


def _fallback_sentence(kind: str, code: object) -> str:
    found = _FALLBACK.get(kind, {}).get(str(code).strip().casefold().replace(" ", "_"))
    if found and found[1]:
        return found[1]
    text = found[0] if found else _humanise(str(code))
    return f"{text}." if text else ""


def _fallback_parameter(key: str) -> str:
    parts = key.split(".")
    if parts[:2] == ["weights", "tier"] and len(parts) == 3:
        return f"Weight of priority tier {parts[2]}"
    if parts[0] == "targets" and len(parts) == 2:
        return "Target: " + _fallback_label("target", parts[1]).lower()
    if parts[:2] == ["weights", "criteria"] and len(parts) == 3:
        return "Weight of criterion: " + _humanise(parts[2]).lower()
    return _humanise(key)


def _pick() -> tuple[
    Callable[[str, object], str], Callable[[str, object], str], Callable[[str], str]
]:
    try:
        from models import labels as home  # type: ignore[attr-defined]
    except ImportError:
        return _fallback_label, _fallback_sentence, _fallback_parameter
    return home.label, home.sentence, home.parameter_label  # pragma: no cover


_label, _sentence, _parameter = _pick()


def label(kind: str, code: Any) -> str:
    """The short label of a code ("softly_earmarked" -> "Softly earmarked")."""
    if code is None or str(code) == "":
        return ""
    return _label(kind, code)


def sentence(kind: str, code: Any) -> str:
    """The sentence for a code (a reason as people read it)."""
    return _sentence(kind, code)


def labels(kind: str, codes: Iterable[Any], sep: str = "; ") -> str:
    """Several codes (a list, or ``;``-joined cells) as labels."""
    parts = [p.strip() for code in codes for p in str(code).split(";") if p.strip()]
    return sep.join(label(kind, p) for p in parts)


def usd_m(value: float) -> str:
    """Money in millions, as the sentences under the charts say it ("USD 12.3m")."""
    return f"USD {value / 1e6:,.1f}m"


def parameter_label(key: str) -> str:
    """A scenario setting's dotted key in words."""
    return _parameter(key)
