"""Sensitivity ranges checked against re-solves: just inside each end the allocation stays (a
re-solve with it as the stability reference moves no line-year), just outside a bounded end it
must change. On random plans (hypothesis) and a hand-checkable case."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.allocation import AllocationModel
from models.plan import Plan, make_plan
from models.result import AllocationResult
from models.scenario import Scenario, Targets
from models.sensitivity import SENSITIVITY_COLUMNS

YEARS = [2027, 2028]
# How far inside / outside an end the re-solves probe (relative to the distance from the
# current value, and absolutely).
INSIDE = 1e-3
OUTSIDE = 1e-4


def with_setting(scenario: Scenario, parameter: str, value: float) -> Scenario:
    data = scenario.to_dict()
    section, *rest = parameter.split(".")
    if section == "weights" and rest[0] == "tier":
        data["weights"]["tier"] = {**data["weights"]["tier"], rest[1]: value}
    else:
        data[section] = {**data[section], rest[0]: value}
    data["stability"] = "reference"
    return Scenario.from_dict(data)


def decisions(r: AllocationResult) -> dict[str, bool]:
    mv = r.min_viable[r.min_viable["status"] != "not_applicable"]
    return {str(lid): st == "funded" for lid, st in zip(mv["line_id"], mv["status"], strict=True)}


# A line-year moved when its funding changes by more than this (finer than the engine's USD 1
# report: just outside a target share's end the allocation moves by cents per 1e-4 of share).
MOVED = 0.01


def moved(plan: Plan, scenario: Scenario, base: AllocationResult) -> int:
    """Line-years that move when re-solving with ``base`` as the reference and its
    minimum-viable decisions held."""
    model = AllocationModel.build(plan, scenario, reference=base.lines)
    again = model.solve(explain=False, min_viable=decisions(base))
    assert again.ok, again.solver.message
    assert again.stability is not None and again.stability["applied"]
    diff = again.lines["funded_usd"].to_numpy() - base.lines["funded_usd"].to_numpy()
    assert list(again.lines["line_id"]) == list(base.lines["line_id"])
    return int((abs(diff) > MOVED).sum())


def check_ranges(plan: Plan, scenario: Scenario) -> int:
    """Check every finite end of every range; returns how many ends were checked."""
    base = AllocationModel.build(plan, scenario).solve(explain=False, sensitivity=True)
    assert base.ok and base.sensitivity is not None
    ranges = base.sensitivity
    assert list(ranges.columns) == SENSITIVITY_COLUMNS
    checked = 0
    for row in ranges.itertuples():
        if pd.isna(row.lower) or pd.isna(row.upper):
            continue
        assert row.domain_lower <= row.lower <= row.value + 1e-12
        assert row.value - 1e-12 <= row.upper <= row.domain_upper
        for end, bounded, sign in (
            (row.lower, row.lower_bounded, -1.0),
            (row.upper, row.upper_bounded, 1.0),
        ):
            span = abs(end - row.value)
            if span > 1e-4:  # narrower ranges are within the solver tolerances
                inside = end - sign * max(INSIDE * span, 1e-7)
                assert moved(plan, with_setting(scenario, row.parameter, inside), base) == 0, (
                    row.parameter,
                    "inside",
                    inside,
                )
                checked += 1
            if bounded:
                outside = end + sign * max(OUTSIDE * max(abs(end), 1.0), 1e-6)
                assert row.domain_lower <= outside <= row.domain_upper
                assert moved(plan, with_setting(scenario, row.parameter, outside), base) > 0, (
                    row.parameter,
                    "outside",
                    outside,
                )
                checked += 1
    return checked


def test_ranges_on_a_hand_checkable_plan() -> None:
    """A (tier 1) and B (tier 3) share USD 150: A's first and second tranches (8, 4.8) and B's
    first (2) are funded, B's second (2 x 0.6 = 1.2) is not. Tier 1's weight can fall until
    A's second tranche stops beating B's second (0.6 w1 = 1.2: w1 = 2) and rise without
    limit; tier 3's can rise until B's second tranche beats A's (0.6 w3 = 4.8: w3 = 8) and
    fall to 0. The tranche weight scales both second tranches alike: no limit."""
    plan = make_plan(
        [
            {"line_id": "A", "requirements": {2027: 100}, "priority": 1},
            {"line_id": "B", "requirements": {2027: 100}, "priority": 3},
        ],
        [{"donor": "D", "amount": 150}],
    )
    sc = Scenario(targets=Targets(0.0, 0.0, 0.0, 0.0), min_viable=False)
    r = AllocationModel.build(plan, sc).solve(explain=False, sensitivity=True)
    assert r.sensitivity is not None
    ranges = r.sensitivity.set_index("parameter")
    tier1, tier3 = ranges.loc["weights.tier.1"], ranges.loc["weights.tier.3"]
    assert tier1["lower"] == pytest.approx(2.0, rel=1e-6) and tier1["lower_bounded"]
    assert tier1["upper"] == pytest.approx(tier1["domain_upper"]) and not tier1["upper_bounded"]
    assert tier3["upper"] == pytest.approx(8.0, rel=1e-6) and tier3["upper_bounded"]
    assert tier3["lower"] == 0.0 and not tier3["lower_bounded"]
    # No line has tier 2 or 4: their weights change nothing.
    assert not ranges.loc["weights.tier.2", "lower_bounded"]
    assert ranges.loc["weights.tier.2", "note"] == "no line-year has this weight"
    tw = ranges.loc["weights.tranche_weight"]
    assert (tw["lower"], tw["upper"]) == (0.0, 1.0)
    assert not tw["lower_bounded"] and not tw["upper_bounded"]
    assert check_ranges(plan, sc) >= 4


@st.composite
def plans(draw: st.DrawFn) -> tuple[Plan, Scenario]:
    n_lines = draw(st.integers(2, 4))
    lines: list[dict[str, Any]] = []
    for i in range(n_lines):
        lines.append(
            {
                "line_id": f"L{i}",
                "category": draw(st.sampled_from(["coordination", "flagship", "entity"])),
                "themes": draw(st.sampled_from(["", "gender", "human_rights"])),
                "priority": draw(st.integers(1, 4)),
                "min_viable_share": draw(st.sampled_from([0.0, 0.0, 0.5])),
                "requirements": {y: draw(st.integers(1, 100)) * 1000.0 for y in YEARS},
            }
        )
    pledges: list[dict[str, Any]] = []
    for j in range(draw(st.integers(1, 4))):
        earmarked = draw(st.booleans())
        pledges.append(
            {
                "pledge_id": f"P{j}",
                "donor": f"D{j}",
                "amount": draw(st.integers(1, 150)) * 1000.0,
                "first_year": draw(st.sampled_from(YEARS)),
                "earmarking": "earmarked" if earmarked else "unearmarked",
                "earmark_to": f"L{draw(st.integers(0, n_lines - 1))}" if earmarked else "",
            }
        )
    scenario = Scenario(
        targets=Targets(
            leadership_coordination_share_of_flexible=draw(st.sampled_from([0.0, 0.2])),
            gender_share=draw(st.sampled_from([0.0, 0.3])),
            human_rights_share=0.0,
            civil_society_share=0.0,
        ),
        min_viable=draw(st.booleans()),
        mip_gap=1e-9,
    )
    return make_plan(lines, pledges), scenario


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_ranges_hold_inside_and_break_outside_on_random_plans(case: tuple[Plan, Scenario]) -> None:
    plan, scenario = case
    check_ranges(plan, scenario)


@pytest.mark.parametrize("seed", range(4))
def test_ranges_on_synthetic_plans_with_targets_and_minimum_viable_lines(seed: int) -> None:
    from models.synthetic import synthetic_plan

    plan = synthetic_plan(8, 30, 6, 3, seed=seed)
    assert check_ranges(plan, Scenario(mip_gap=1e-9)) > 10
