"""Earmark eligibility and the anonymisation of confidential donors."""

from __future__ import annotations

import pytest

from models.eligibility import EligibilityIndex, UnknownEarmarkTarget
from models.plan import make_plan
from models.privacy import anonymise, donor_aliases

LINES = [
    {"line_id": "LEAD-1", "requirements": {2027: 10}, "category": "leadership",
     "entity": "UNOCT", "pillars": "I;II", "themes": "human_rights"},
    {"line_id": "FLAG-1", "requirements": {2027: 10}, "category": "flagship",
     "entity": "UNOCT", "pillars": "II", "themes": "gender; Civil Society"},
    {"line_id": "ENT-1", "requirements": {2027: 10}, "category": "entity",
     "entity": "UNODC", "pillars": "IV", "themes": "cft"},
]  # fmt: skip


@pytest.fixture
def index() -> EligibilityIndex:
    return EligibilityIndex(make_plan(LINES, []).programmes)


@pytest.mark.parametrize(
    ("earmarking", "target", "lines"),
    [
        ("unearmarked", "", {"LEAD-1", "FLAG-1", "ENT-1"}),
        ("softly_earmarked", "pillar:II", {"LEAD-1", "FLAG-1"}),
        ("softly_earmarked", "pillar:iv", {"ENT-1"}),
        ("softly_earmarked", "theme:civil-society", {"FLAG-1"}),
        ("softly_earmarked", "category:Flagship", {"FLAG-1"}),
        ("softly_earmarked", "entity:unodc", {"ENT-1"}),
        ("softly_earmarked", "theme:gender; entity:UNODC", {"FLAG-1", "ENT-1"}),
        ("earmarked", "flag-1", {"FLAG-1"}),
        ("tightly_earmarked", "ENT-1", {"ENT-1"}),
    ],
)
def test_eligible_lines(
    index: EligibilityIndex, earmarking: str, target: str, lines: set[str]
) -> None:
    assert index.lines_for(earmarking, target) == lines


@pytest.mark.parametrize(
    ("earmarking", "target", "message"),
    [
        ("unearmarked", "pillar:II", "leave it empty"),
        ("softly_earmarked", "", "needs an earmark_to"),
        ("softly_earmarked", "pillar:III", "no programme matches"),
        ("softly_earmarked", "region:Africa", "not one of"),
        ("softly_earmarked", "gender", "must look like"),
        ("earmarked", "NOPE-9", "not a line_id"),
        ("earmarked", "pillar:II", "softly earmarked targets look like"),
    ],
)
def test_unknown_targets_are_errors_not_empty_sets(
    index: EligibilityIndex, earmarking: str, target: str, message: str
) -> None:
    with pytest.raises(UnknownEarmarkTarget, match=message):
        index.lines_for(earmarking, target)


def test_confidential_donors_are_numbered_by_size_and_others_keep_their_names() -> None:
    plan = make_plan(
        LINES,
        [
            {"donor": "Small Secret", "amount": 10, "confidential": True},
            {"donor": "Big Secret", "amount": 500, "confidential": True},
            {"donor": "Big Secret", "amount": 5},  # one confidential pledge is enough
            {"donor": "Norway", "amount": 100},
        ],
    )
    aliases = donor_aliases(plan)
    assert aliases == {
        "Big Secret": "Anonymous donor 1",
        "Small Secret": "Anonymous donor 2",
        "Norway": "Norway",
    }
    assert donor_aliases(plan, reveal=True)["Big Secret"] == "Big Secret"
    shown = anonymise(plan.pledges, aliases)
    assert "Big Secret" not in set(shown["donor"]) and "Norway" in set(shown["donor"])
    assert "Big Secret" in set(plan.pledges["donor"])  # the original is untouched
