"""Scenario: TOML round trip, validation that names the bad key, and the sample scenarios."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal.pipeline import load_scenario
from models.plan import STATUSES
from models.scenario import CRITERIA, Scenario, ScenarioError, Targets, Weights, field_spec

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
        ('stability = "closest"', "stability"),
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


# -- every key: wrong types and out-of-range values are refused, naming the key ---------------
# Written out independently of the model: what each key accepts, as the design says.
# path -> (kind, lowest allowed, highest allowed, whether the lowest is excluded).
KEYS: dict[str, tuple[str, float | None, float | None, bool]] = {
    "name": ("text", None, None, False),
    "description": ("text", None, None, False),
    "start_year": ("integer", 1900, 2200, False),
    "end_year": ("integer", 1900, 2200, False),
    **{f"weights.tier.{t}": ("number", 0, None, False) for t in (1, 2, 3, 4)},
    **{f"weights.criteria.{c}": ("number", 0, None, False) for c in CRITERIA},
    "weights.tranche_share": ("number", 0, 1, False),
    "weights.tranche_weight": ("number", 0, 1, False),
    "weights.early_year_preference": ("number", 0, 0.1, False),
    "targets.leadership_coordination_share_of_flexible": ("number", 0, 1, False),
    "targets.human_rights_share": ("number", 0, 1, False),
    "targets.gender_share": ("number", 0, 1, False),
    "targets.civil_society_share": ("number", 0, 1, False),
    "min_viable": ("bool", None, None, False),
    "excluded_donors": ("list", None, None, False),
    "donor_line_cap_share": ("number", 0, 1, True),
    "solver": ("choice", None, None, False),
    "time_limit_seconds": ("number", 0, 86_400, True),
    "mip_gap": ("number", 0, 1, False),
    "stability": ("choice", None, None, False),
    "stability_reference": ("text", None, None, False),
    **{f"risk.status_probability.{s}": ("number", 0, 1, False) for s in STATUSES},
    "risk.donor_probability.Norway": ("number", 0, 1, False),
    "risk.draws": ("integer", 1, 1_000_000, False),
    "risk.seed": ("integer", 0, 2**63 - 1, False),
}
NULLABLE = {"start_year", "end_year", "donor_line_cap_share"}
WRONG_TYPES: dict[str, list[Any]] = {
    "number": ["0.5", True, None, [1], {"a": 1}, float("inf"), float("-inf"), float("nan")],
    "integer": ["2028", 2028.0, 2028.5, True, None, [2028]],
    "bool": ["false", "true", 0, 1, None],
    "text": [3, 1.5, True, ["a"], None],
    "list": ["Qatar", 3, {"Qatar": 1}, [3], [None], None],
    "choice": [3, True, None, ["auto"]],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """The default scenario's dict with ``value`` at ``path``."""
    data = Scenario().to_dict()
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return data


def _at(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = (
            node[int(part) if part.isdigit() else part]
            if isinstance(node, dict)
            else (getattr(node, part))
        )
    return node


def _leaf_paths(data: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and key not in ("criteria", "donor_probability"):
            out |= _leaf_paths(value, f"{prefix}{key}.")
        else:
            out.add(prefix + key)
    return out


def _names_only(err: ScenarioError, path: str) -> bool:
    """Every problem is about ``path`` (or an entry of it), and there is one."""
    paths = [p.path for p in err.problems]
    return bool(paths) and all(p == path or p.startswith(path + ".") for p in paths)


def test_the_key_table_covers_every_key() -> None:
    full = Scenario(start_year=2027, end_year=2030, donor_line_cap_share=0.5).to_dict()
    listed = {k for k in KEYS if not k.startswith(("weights.criteria.", "risk.donor_probability."))}
    assert listed | {"weights.criteria", "risk.donor_probability"} == _leaf_paths(full)


@pytest.mark.parametrize("path", sorted(KEYS))
def test_field_spec_matches_the_design(path: str) -> None:
    kind, low, high, open_low = KEYS[path]
    spec = field_spec(path)
    assert (spec.kind, spec.lower, spec.upper, spec.lower_open) == (kind, low, high, open_low)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (p, v)
        for p, (kind, *_) in sorted(KEYS.items())
        for v in WRONG_TYPES[kind]
        if not (v is None and p in NULLABLE)
    ],
    ids=lambda x: repr(x)[:40],
)
def test_a_wrong_type_is_refused_naming_the_key(path: str, value: Any) -> None:
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(_with(path, value))
    assert path in str(err.value)
    assert _names_only(err.value, path), err.value.problems


def _out_of_range(path: str) -> list[Any]:
    kind, low, high, open_low = KEYS[path]
    if kind == "text":
        return ["x" * 4001] if path == "description" else ["x" * 201]
    if kind == "list":
        return [[""], ["x" * 201]]
    if kind == "choice":
        return ["gurobi", "HiGHS", ""]
    values: list[Any] = []
    if kind == "integer":
        values += [] if low is None else [int(low) - 1]
        values += [] if high is None else [int(high) + 1]
    elif kind == "number":
        values += [] if low is None else [low if open_low else low - 1e-6, low - 1.0]
        values += [] if high is None else [high * (1 + 1e-6), high + 1.0]
    return values


@pytest.mark.parametrize(
    ("path", "value"),
    [(p, v) for p in sorted(KEYS) for v in _out_of_range(p)],
    ids=lambda x: repr(x)[:40],
)
def test_an_out_of_range_value_is_refused_naming_the_key(path: str, value: Any) -> None:
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(_with(path, value))
    assert path in str(err.value)
    assert _names_only(err.value, path), err.value.problems


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (p, bound)
        for p, (kind, low, high, open_low) in sorted(KEYS.items())
        if kind in ("number", "integer")
        for bound in ((None if open_low else low), high)
        if bound is not None
    ],
)
def test_values_at_the_bounds_are_accepted(path: str, value: float) -> None:
    typed = int(value) if KEYS[path][0] == "integer" else float(value)
    assert _at(Scenario.from_dict(_with(path, typed)), path) == typed


def test_misreadings_of_the_hostile_campaign_are_refused() -> None:
    """Values the old loader misread silently: each is now an error naming its key."""
    cases = {
        'min_viable = "false"': "min_viable",
        'excluded_donors = "Qatar"': "excluded_donors",
        "mip_gap = -0.1": "mip_gap",
        "[weights]\nearly_year_preference = -1e-4": "weights.early_year_preference",
        'time_limit_seconds = "soon"': "time_limit_seconds",
        "time_limit_seconds = inf": "time_limit_seconds",
        "[targets]\ngender_share = nan": "targets.gender_share",
        '[weights]\ntier = { 1 = 8, 2 = "4", 3 = 2, 4 = 1 }': "weights.tier.2",
        "[weights.tier]\n1 = 8\n2 = 4\n3 = 2\n4 = { x = 1 }": "weights.tier.4",
        "[risk]\ndraws = 10.5": "risk.draws",
    }
    for text, key in cases.items():
        with pytest.raises(ScenarioError) as err:
            Scenario.from_toml(text)
        assert key in str(err.value), (text, str(err.value))


def test_every_problem_is_reported_at_once() -> None:
    text = 'min_viable = "no"\nmip_gap = -1\n[targets]\ngender_share = 2\n[risk]\ndraws = 0\n'
    with pytest.raises(ScenarioError) as err:
        Scenario.from_toml(text)
    assert {p.path for p in err.value.problems} == {
        "min_viable",
        "mip_gap",
        "targets.gender_share",
        "risk.draws",
    }


def test_assignment_is_validated_and_a_refused_value_is_not_kept() -> None:
    s = Scenario(start_year=2028)
    with pytest.raises(ScenarioError, match=r"targets\.gender_share"):
        s.targets.gender_share = 1.5
    assert s.targets.gender_share == 0.15
    with pytest.raises(ScenarioError, match="end_year"):
        s.end_year = 2027  # before start_year: a whole-scenario rule
    assert s.end_year is None
    with pytest.raises(ScenarioError, match="min_viable"):
        s.min_viable = "false"  # type: ignore[assignment]
    assert s.min_viable is True
    s.weights = Weights(tier={1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0})
    assert s.weights.tier[4] == 4.0
    with pytest.raises(ScenarioError, match=r"weights\.tier"):
        Weights(tier={1: 1.0})


def test_direct_construction_raises_scenario_error_and_keeps_positional_fields() -> None:
    with pytest.raises(ScenarioError, match="solver"):
        Scenario(solver="gurobi")  # type: ignore[arg-type]
    assert Targets(0.2, 0.1, 0.3, 0.0).human_rights_share == 0.1


def test_tier_keys_are_ints_in_python_and_strings_outside() -> None:
    s = Scenario.from_toml("[weights.tier]\n1 = 5\n2 = 4\n3 = 2\n4 = 1\n")
    assert s.weights.tier == {1: 5.0, 2: 4.0, 3: 2.0, 4: 1.0}
    assert s.to_dict()["weights"]["tier"] == {"1": 5.0, "2": 4.0, "3": 2.0, "4": 1.0}
    assert tomllib.loads(s.to_toml())["weights"]["tier"] == {"1": 5.0, "2": 4.0, "3": 2.0, "4": 1.0}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(sorted(KEYS)), value=JSONISH)
def test_any_value_at_any_key_is_kept_as_valid_or_refused_naming_the_key(
    path: str, value: Any
) -> None:
    """Never a raw TypeError, never a silent misreading: an accepted value reads back as what
    was given (a number may become a float), a refused one names its key."""
    try:
        s = Scenario.from_dict(_with(path, value))
    except ScenarioError as err:
        assert path in str(err)
        return
    got = _at(s, path)
    assert got == value and type(got) in (type(value), float)
    assert not isinstance(value, bool) or KEYS[path][0] == "bool"


@pytest.mark.parametrize(
    ("text", "key"),
    [('time_limit_seconds = "soon"', "time_limit_seconds"), ('min_viable = "false"', "min_viable")],
)
def test_appeal_plan_refuses_a_wrong_type_with_exit_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    from appeal.cli import main
    from appeal.importer import sample_paths

    paths = sample_paths()
    bad = tmp_path / "wrong_type.toml"
    bad.write_text(text + "\n", encoding="utf-8")
    args = ["plan", "--programmes", str(paths["programmes"]), "--fx", str(paths["fx"])]
    for pledges in paths["pledges"]:
        args += ["--pledges", str(pledges)]
    assert main([*args, "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "wrong_type.toml" in err and key in err and "Traceback" not in err


def test_stability_keys_round_trip_and_default_off() -> None:
    assert Scenario().stability == "none"
    sc = Scenario.from_toml('stability = "reference"\nstability_reference = "official 2027"\n')
    assert (sc.stability, sc.stability_reference) == ("reference", "official 2027")
    assert Scenario.from_toml(sc.to_toml()) == sc
