"""Codes in words (models.labels), the HHI convention (models.concentration) and the line
narratives (models.narrative, appeal.document.narrative)."""

from __future__ import annotations

import re

import pytest

from models.concentration import HHI_HIGH, HHI_MODERATE, HHI_NOTE, HHI_SOURCE, hhi_band
from models.formulation import LC_TARGET, TARGET_THEMES
from models.labels import humanise, label, labels, parameter_label, sentence
from models.narrative import (
    NARRATIVE_COLUMNS,
    Indicator,
    indicator_problems,
    line_narratives,
    parse_indicators,
)
from models.plan import CATEGORIES, DONOR_TYPES, EARMARKING, STATUSES, Plan
from models.result import REASONS, UNALLOCATED_REASONS
from models.scenario import Scenario

CODE = re.compile(r"[a-z]+_[a-z]")

KINDS = [
    ("reason", REASONS),
    ("unallocated", UNALLOCATED_REASONS),
    ("category", CATEGORIES),
    ("earmarking", EARMARKING),
    ("status", STATUSES),
    ("donor_type", DONOR_TYPES),
    ("target", (LC_TARGET, *TARGET_THEMES)),
    ("theme", ("human_rights", "gender", "civil_society", "cft", "border", "victims", "pve")),
]


@pytest.mark.parametrize(("kind", "codes"), KINDS)
def test_every_code_the_product_uses_has_its_own_words(kind: str, codes: tuple[str, ...]) -> None:
    for code in codes:
        words, text = label(kind, code), sentence(kind, code)  # type: ignore[arg-type]
        assert words and not CODE.search(words), (kind, code, words)
        assert text.endswith(".") and not CODE.search(text), (kind, code, text)
        assert text != f"{humanise(code)}.", (kind, code)  # its own sentence, not the fallback
    shown = [label(kind, c) for c in codes]  # type: ignore[arg-type]
    assert len(set(shown)) == len(shown)  # two codes never read the same


def test_unknown_codes_become_plain_words_and_lists_read_as_words() -> None:
    assert label("reason", "brand_new_reason") == "Brand new reason"
    assert sentence("unallocated", "held_back") == "Held back."
    assert label("earmarking", "Softly Earmarked") == "Softly earmarked"  # as users type it
    assert labels("theme", ["human_rights;gender"]) == "Human rights; Gender"


def test_every_scenario_parameter_reads_as_words() -> None:
    from appeal.workbook.values import flatten

    scenario = Scenario(excluded_donors=["X"], donor_line_cap_share=0.5).to_dict()
    scenario["risk"]["donor_probability"] = {"X": 0.5}
    for key, _ in flatten(scenario):
        words = parameter_label(key)
        assert not CODE.search(words) and "." not in words, (key, words)


def test_hhi_bands_follow_the_2010_guidelines() -> None:
    assert (HHI_MODERATE, HHI_HIGH) == (1_500, 2_500)
    assert [hhi_band(h) for h in (0, 1_499.9, 1_500, 2_500, 2_500.1, 10_000)] == [
        "unconcentrated",
        "unconcentrated",
        "moderately concentrated",
        "moderately concentrated",
        "highly concentrated",
        "highly concentrated",
    ]
    assert "2010" in HHI_SOURCE and HHI_SOURCE in HHI_NOTE


def test_indicators_parse_in_the_documented_form() -> None:
    cell = "States with API/PNR: 9 -> 21; Officials trained: 0 → 400 a year; Reports: -> 2; Trust"
    assert parse_indicators(cell) == (
        Indicator("States with API/PNR", "9", "21"),
        Indicator("Officials trained", "0", "400 a year"),
        Indicator("Reports", "", "2"),
        Indicator("Trust"),  # not in the form: kept, never dropped
    )
    assert indicator_problems(cell) == ["indicator 'Trust' should read 'name: baseline -> target'"]
    assert indicator_problems("Rate: 5%") == [
        "indicator 'Rate: 5%' has no '->' between baseline and target"
    ]
    assert indicator_problems("A: 1 -> 2; B: x -> y") == []


def test_narratives_come_from_the_programmes_table(sample_plan: Plan) -> None:
    # Without narrative columns every line has an empty narrative ...
    bare_table = sample_plan.programmes.drop(columns=list(NARRATIVE_COLUMNS))
    bare = line_narratives(bare_table)
    assert set(bare) == set(sample_plan.programmes["line_id"]) and all(
        n.empty for n in bare.values()
    )
    # ... the sample's programmes (contract columns, illustrative) carry them, by line_id.
    told = line_narratives(sample_plan.programmes)
    assert all(not n.empty for n in told.values())
    lead = told["LEAD-01"]
    assert lead.summary.startswith("Illustrative: Executive direction and strategic leadership")
    assert len(lead.expected_results) == 3 and len(lead.indicators) == 2
    assert all(i.baseline and i.target for i in lead.indicators)
    # Every sample line's indicators are written in the documented form.
    assert all(not indicator_problems(cell) for cell in sample_plan.programmes["indicators"])
