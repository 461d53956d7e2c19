"""Scenario: TOML round trip, validation that names the bad key, and the sample scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal.pipeline import load_scenario
from models.scenario import Scenario, ScenarioError, Targets, Weights

SCENARIOS = sorted((Path(__file__).parents[1] / "sample_data" / "scenarios").glob("*.toml"))


def test_defaults_follow_the_design() -> None:
    sc = Scenario().validate()
    assert sc.weights.tier == {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0}
    assert (sc.weights.tranche_share, sc.weights.tranche_weight) == (0.5, 0.6)
    assert sc.targets.leadership_coordination_share_of_flexible == 0.10
    assert sc.targets.gender_share == 0.15
    assert sc.risk.status_probability == {"paid": 1.0, "committed": 0.95, "pledged": 0.7}


@settings(max_examples=60, deadline=None)
@given(
    tiers=st.lists(st.floats(0, 100, allow_nan=False), min_size=4, max_size=4),
    share=st.floats(0, 1),
    gender=st.floats(0, 1),
    excluded=st.lists(st.text(min_size=1, max_size=20), max_size=3),
    cap=st.one_of(st.none(), st.floats(0.01, 1)),
    min_viable=st.booleans(),
)
def test_toml_round_trip(
    tiers: list[float],
    share: float,
    gender: float,
    excluded: list[str],
    cap: float | None,
    min_viable: bool,
) -> None:
    sc = Scenario(
        name="what if",
        weights=Weights(tier=dict(zip((1, 2, 3, 4), tiers, strict=True)), tranche_share=share),
        targets=Targets(gender_share=gender),
        excluded_donors=excluded,
        donor_line_cap_share=cap,
        min_viable=min_viable,
    )
    assert Scenario.from_toml(sc.to_toml()) == sc
    assert Scenario.from_dict(sc.to_dict()) == sc


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('nmae = "typo"', "nmae"),
        ("[weights]\ntranche_shar = 0.5", "tranche_shar"),
        ("[targets]\ngender_share = 1.5", "targets.gender_share"),
        ("[weights.tier]\n1 = 8\n2 = 4\n3 = 2", "missing tier 4"),
        ("[weights.tier]\n1 = 8\n2 = 4\n3 = 2\n4 = 1\n5 = 1", "unknown tier 5"),
        ('solver = "gurobi"', "solver"),
        ("time_limit_seconds = 0", "time_limit_seconds"),
        ("start_year = 2030\nend_year = 2027", "end_year"),
        ("[weights.criteria]\nbeauty = 1", "weights.criteria.beauty"),
        ("[risk.status_probability]\npledged = 2", "risk.status_probability.pledged"),
        ("donor_line_cap_share = 0", "donor_line_cap_share"),
        ('stability = "closest"', "stability must be one of none, reference"),
        ("[weights]\nearly_year_preference = -1", "weights.early_year_preference"),
        ("name = ", "not valid TOML"),
    ],
)
def test_invalid_scenarios_name_the_key(text: str, names: str) -> None:
    with pytest.raises(ScenarioError, match=names):
        Scenario.from_toml(text)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_sample_scenarios_load(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert Scenario.from_toml(sc.to_toml()) == sc


def test_scenario_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets]\ngender_share = -1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.toml: .*gender_share"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match=r"missing\.toml"):
        load_scenario(tmp_path / "missing.toml")
    assert load_scenario(None) == Scenario()


def test_stability_keys_round_trip_and_default_off() -> None:
    assert Scenario().stability == "none"
    sc = Scenario.from_toml('stability = "reference"\nstability_reference = "official 2027"\n')
    assert (sc.stability, sc.stability_reference) == ("reference", "official 2027")
    assert Scenario.from_toml(sc.to_toml()) == sc
