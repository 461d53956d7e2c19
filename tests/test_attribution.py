"""Change attribution: which setting or data change moved which line. The diffs find every
change, each change's effect is measured alone, and effects plus the interaction remainder add
up to the total difference to the cent, on random plans; a single change is its own total."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.allocation import allocate
from models.attribution import DATA_CHANGES, attribute, plan_diff, scenario_diff
from models.plan import Plan, make_plan
from models.scenario import Scenario, Targets, Weights

YEARS = [2027, 2028]


def base_lines() -> list[dict[str, Any]]:
    return [
        {"line_id": "LEAD", "category": "leadership", "priority": 1, "requirements": {2027: 100}},
        {"line_id": "FLAG", "category": "flagship", "priority": 2, "themes": "gender",
         "requirements": {2027: 200, 2028: 100}},
        {"line_id": "ENT", "priority": 3, "min_viable_share": 0.5, "requirements": {2028: 300}},
    ]  # fmt: skip


def base_pledges() -> list[dict[str, Any]]:
    return [
        {"pledge_id": "U1", "donor": "Norway", "amount": 250},
        {"pledge_id": "E1", "donor": "Japan", "amount": 80, "earmarking": "earmarked",
         "earmark_to": "ENT", "first_year": 2028},
        {"pledge_id": "S1", "donor": "Qatar", "amount": 60, "earmarking": "softly_earmarked",
         "earmark_to": "theme:gender"},
    ]  # fmt: skip


def test_scenario_diff_lists_settings_in_order_and_says_which_can_matter() -> None:
    a = Scenario()
    b = Scenario(
        name="what if",
        weights=Weights(tier={1: 8.0, 2: 3.0, 3: 2.0, 4: 1.0}),
        targets=Targets(gender_share=0.3),
        excluded_donors=["Norway"],
        time_limit_seconds=5.0,
    )
    diff = scenario_diff(a, b)
    keys = [c.key for c in diff]
    assert keys == [
        "name",
        "weights.tier.2",
        "targets.gender_share",
        "excluded_donors",
        "time_limit_seconds",
    ]
    affects = {c.key: c.affects for c in diff}
    assert not affects["name"] and not affects["time_limit_seconds"]
    assert affects["weights.tier.2"] and affects["excluded_donors"]
    assert diff[1].before == 4.0 and diff[1].after == 3.0
    assert scenario_diff(a, Scenario()) == []


def test_plan_diff_groups_every_kind_of_data_change() -> None:
    a = make_plan(base_lines(), base_pledges())
    lines = base_lines()
    lines[1]["priority"] = 1  # FLAG changed
    lines[2]["requirements"] = {2028: 250}  # ENT's requirement changed
    lines.append({"line_id": "NEW", "requirements": {2027: 50}})
    lines.pop(0)  # LEAD removed
    pledges = base_pledges()
    pledges[0]["amount"] = 300  # U1 changed
    pledges.pop(2)  # S1 removed
    pledges.append({"pledge_id": "U2", "donor": "Saudi Arabia", "amount": 40})
    b = make_plan(lines, pledges)
    diff = {c.key: c for c in plan_diff(a, b)}
    assert list(diff) == list(DATA_CHANGES)
    assert diff["programmes_added"].after == ["NEW"]
    assert diff["programmes_removed"].before == ["LEAD"]
    assert diff["programmes_changed"].before == ["FLAG"]
    assert diff["requirements_changed"].before == ["ENT"]
    assert diff["pledges_added"].after == ["U2"] and diff["pledges_added"].usd == 40
    assert diff["pledges_removed"].before == ["S1"] and diff["pledges_removed"].usd == -60
    assert diff["pledges_changed"].before == ["U1"] and diff["pledges_changed"].usd == 50
    assert plan_diff(a, make_plan(base_lines(), base_pledges())) == []


def check_adds_up(before: tuple[Plan, Scenario], after: tuple[Plan, Scenario]) -> Any:
    att = attribute(before, after)
    lines = att.lines
    parts = lines[[*att.order, "interaction"]].sum(axis=1)
    np.testing.assert_allclose(parts, lines["total_change"], atol=0.005)
    # The total is the two solves' difference, each solved on its own here.
    plan_a, sc_a = before
    plan_b, sc_b = after
    first = allocate(plan_a, sc_a)
    ref = first.lines[["line_id", "year", "funded_usd"]]
    stable = Scenario.from_dict({**sc_b.to_dict(), "stability": "reference"})
    second = allocate(plan_b, stable, reference=ref)
    fa = first.lines.groupby("line_id")["funded_usd"].sum()
    fb = second.lines.groupby("line_id")["funded_usd"].sum()
    total = fb.reindex(lines["line_id"], fill_value=0.0) - fa.reindex(
        lines["line_id"], fill_value=0.0
    )
    np.testing.assert_allclose(lines["total_change"], total.to_numpy(), atol=0.005)
    json.dumps(att.to_dict())  # JSON-safe
    return att


def test_one_change_is_its_own_total_and_names_no_donor() -> None:
    plan = make_plan(base_lines(), base_pledges())
    sc = Scenario(mip_gap=1e-9)
    b = Scenario(mip_gap=1e-9, excluded_donors=["Norway"])
    att = check_adds_up((plan, sc), (plan, b))
    assert att.order == ["excluded_donors"]
    np.testing.assert_allclose(att.lines["excluded_donors"], att.lines["total_change"], atol=0.005)
    np.testing.assert_allclose(att.lines["interaction"], 0.0, atol=0.005)
    assert att.totals["total_change"] < -200  # Norway's USD 250 is gone
    text = json.dumps(att.to_dict({"Norway": "Anonymous donor 1"}))
    assert "Norway" not in text and "Anonymous donor 1" in text


def test_two_changes_that_interact_show_the_remainder() -> None:
    """Two cuts each halve the money; alone each costs a little (the rest refills), together
    they cost more than the sum: the interaction says so."""
    lines = [{"line_id": "A", "priority": 1, "requirements": {2027: 100}}]
    plan = make_plan(lines, [{"pledge_id": "P", "donor": "D", "amount": 80},
                             {"pledge_id": "Q", "donor": "E", "amount": 80}])  # fmt: skip
    fewer = make_plan(lines, [{"pledge_id": "P", "donor": "D", "amount": 30}])
    att = check_adds_up((plan, Scenario()), (fewer, Scenario()))
    assert att.order == ["pledges_removed", "pledges_changed"]
    row = att.lines.set_index("line_id").loc["A"]
    assert row["total_change"] == pytest.approx(-70)
    assert row["pledges_removed"] == pytest.approx(-20)  # 80 alone still covers 80 of 100
    assert row["pledges_changed"] == pytest.approx(0)  # 30 + 80 still covers 100
    assert row["interaction"] == pytest.approx(-50)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[tuple[Plan, Scenario], tuple[Plan, Scenario], int]:
    n_lines = draw(st.integers(2, 4))
    lines = [
        {
            "line_id": f"L{i}",
            "category": draw(st.sampled_from(["coordination", "flagship", "entity"])),
            "themes": draw(st.sampled_from(["", "gender"])),
            "priority": draw(st.integers(1, 4)),
            "min_viable_share": draw(st.sampled_from([0.0, 0.0, 0.4])),
            "requirements": {y: draw(st.integers(1, 100)) * 1000.0 for y in YEARS},
        }
        for i in range(n_lines)
    ]
    pledges = []
    for j in range(draw(st.integers(1, 4))):
        earmarked = draw(st.booleans())
        pledges.append(
            {
                "pledge_id": f"P{j}",
                "donor": f"D{j % 2}",
                "amount": draw(st.integers(1, 150)) * 1000.0,
                "first_year": draw(st.sampled_from(YEARS)),
                "earmarking": "earmarked" if earmarked else "unearmarked",
                "earmark_to": f"L{draw(st.integers(0, n_lines - 1))}" if earmarked else "",
            }
        )
    sc_a = Scenario(targets=Targets(draw(st.sampled_from([0.0, 0.2])), 0.0, 0.0, 0.0))
    # The after pair: some of these changes, each drawn on or off.
    lines_b = [dict(x, requirements=dict(x["requirements"])) for x in lines]
    pledges_b = [dict(p) for p in pledges]
    data = sc_a.to_dict()
    n = 0
    if draw(st.booleans()):
        data["weights"]["tier"]["2"] = draw(st.sampled_from([1.0, 3.0, 9.0]))
        n += 1
    if draw(st.booleans()):
        data["targets"]["gender_share"] = 0.3
        n += 1
    if draw(st.booleans()):
        lines_b[0]["priority"] = 5 - int(lines_b[0]["priority"])
        n += 1
    if draw(st.booleans()):
        lines_b[-1]["requirements"][2028] = lines_b[-1]["requirements"][2028] / 2
        n += 1
    if draw(st.booleans()):
        at = draw(st.integers(0, len(pledges_b)))
        pledges_b.insert(at, {"pledge_id": "NEW", "donor": "D9", "amount": 50_000.0})
        n += 1
    if draw(st.booleans()) and len(pledges_b) > 1:
        pledges_b.pop(0)
        n += 1
    if draw(st.booleans()):
        pledges_b[-1]["amount"] = float(pledges_b[-1]["amount"]) * 2
        n += 1
    before = (make_plan(lines, pledges), sc_a)
    after = (make_plan(lines_b, pledges_b), Scenario.from_dict(data))
    return before, after, n


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs())
def test_parts_add_up_to_the_total_to_the_cent_on_random_plans(
    case: tuple[tuple[Plan, Scenario], tuple[Plan, Scenario], int],
) -> None:
    before, after, drawn = case
    att = check_adds_up(before, after)
    assert len(att.order) <= drawn  # nothing invented (changes can cancel or coincide)
    if len(att.order) == 1:
        key = att.order[0]
        np.testing.assert_allclose(att.lines[key], att.lines["total_change"], atol=0.005)
    frame = pd.DataFrame(att.to_dict()["lines"])
    assert set(att.order) <= set(frame.columns)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs())
def test_solving_the_changes_two_at_a_time_gives_the_same_attribution(
    case: tuple[tuple[Plan, Scenario], tuple[Plan, Scenario], int],
) -> None:
    """The one-change solves run in threads (two cores): the same figures, columns, order
    and statuses as one after the other."""
    before, after, _ = case
    alone = attribute(before, after, workers=1)
    threaded = attribute(before, after, workers=2)
    assert threaded.order == alone.order
    assert threaded.statuses == alone.statuses
    pd.testing.assert_frame_equal(threaded.lines, alone.lines, check_exact=False, atol=1e-6)


def test_allocation_without_explanations_is_the_same_allocation() -> None:
    """``explain=False`` (the attribution's solves) leaves out the explanations and nothing
    else: the same allocation, lines and unallocated money."""
    plan = make_plan(base_lines(), base_pledges())
    scenario = Scenario(donor_line_cap_share=0.6, targets=Targets(0.1, 0.0, 0.2, 0.0))
    full = allocate(plan, scenario, sensitivity=False)
    bare = allocate(plan, scenario, sensitivity=False, explain=False)
    assert len(full.explanations) > 0 and len(bare.explanations) == 0
    for table in ("allocations", "lines", "unallocated"):
        pd.testing.assert_frame_equal(getattr(bare, table), getattr(full, table))
    assert bare.solver.objective == pytest.approx(full.solver.objective)
