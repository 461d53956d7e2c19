"""Invariants of the allocation over hundreds of random small plans (hypothesis).

Every plan: conservation per pledge to the cent, eligibility never violated, no line-year
over its requirement, no money used before it arrives; the pooled optimum equals the
straightforward per-pledge reference model's at every lexicographic stage; switching targets
on never leaves more earmarked money unallocated; value is never given up for earlier years
or stability; with itself as the reference nothing moves.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.reference_model import solve_reference
from models.allocation import AllocationModel
from models.eligibility import eligible_lines
from models.formulation import TARGET_SETTINGS
from models.plan import Plan, make_plan
from models.result import AllocationResult
from models.scenario import Scenario, Targets

YEARS = [2027, 2028, 2029]
PILLARS = ["I", "II", "III", "IV"]
THEMES = ["gender", "human_rights", "civil_society", "cft"]
CATEGORIES = ["leadership", "coordination", "flagship", "entity"]
ENTITIES = ["UNOCT", "UNODC", "OHCHR"]


@st.composite
def plans(draw: st.DrawFn) -> tuple[Plan, Scenario]:
    n_lines = draw(st.integers(1, 4))
    lines: list[dict[str, Any]] = []
    for i in range(n_lines):
        years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=3, unique=True))
        lines.append(
            {
                "line_id": f"L{i}",
                "category": draw(st.sampled_from(CATEGORIES)),
                "entity": draw(st.sampled_from(ENTITIES)),
                "pillars": ";".join(
                    draw(st.lists(st.sampled_from(PILLARS), min_size=1, max_size=2, unique=True))
                ),
                "themes": ";".join(
                    draw(st.lists(st.sampled_from(THEMES), max_size=2, unique=True))
                ),
                "priority": draw(st.integers(1, 4)),
                "min_viable_share": draw(st.sampled_from([0.0, 0.0, 0.3, 0.6])),
                "requirements": {y: draw(st.integers(0, 200)) * 1000.0 for y in years},
            }
        )
    targets: list[str] = []
    for line in lines:
        targets += [f"pillar:{p}" for p in str(line["pillars"]).split(";")]
        targets += [f"theme:{t}" for t in str(line["themes"]).split(";") if t]
        targets += [f"category:{line['category']}", f"entity:{line['entity']}"]
    n_pledges = draw(st.integers(1, 6))
    pledges: list[dict[str, Any]] = []
    for j in range(n_pledges):
        kind = draw(
            st.sampled_from(["unearmarked", "softly_earmarked", "earmarked", "tightly_earmarked"])
        )
        target = ""
        if kind == "softly_earmarked":
            target = draw(st.sampled_from(targets))
        elif kind != "unearmarked":
            target = draw(st.sampled_from([str(line["line_id"]) for line in lines]))
        first = draw(st.integers(2026, 2030))
        pledges.append(
            {
                "pledge_id": f"P{j}",
                "donor": draw(st.sampled_from(["D1", "D2", "D3"])),
                "amount": draw(st.integers(1, 300)) * 1000.0 + draw(st.integers(0, 99)) / 100,
                "currency": draw(st.sampled_from(["USD", "EUR"])),
                "first_year": first,
                "years": draw(st.integers(1, 2)),
                "earmarking": kind,
                "earmark_to": target,
                "status": draw(st.sampled_from(["pledged", "committed", "paid"])),
                "psc_rate": draw(st.sampled_from([0.0, 0.13])),
            }
        )
    plan = make_plan(lines, pledges, fx={"EUR": 0.9})
    scenario = Scenario(
        targets=Targets(
            leadership_coordination_share_of_flexible=draw(st.sampled_from([0.0, 0.1, 0.5])),
            human_rights_share=draw(st.sampled_from([0.0, 0.2])),
            gender_share=draw(st.sampled_from([0.0, 0.15])),
            civil_society_share=draw(st.sampled_from([0.0, 0.1])),
        ),
        min_viable=draw(st.booleans()),
        excluded_donors=draw(st.sampled_from([[], ["D3"]])),
        donor_line_cap_share=draw(st.sampled_from([None, None, 0.5])),
        mip_gap=1e-9,
    )
    return plan, scenario


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_allocation_invariants(case: tuple[Plan, Scenario]) -> None:
    plan, scenario = case
    r = AllocationModel.build(plan, scenario).solve(explain=False)
    assert r.ok, r.solver.message
    alloc, un = r.allocations, r.unallocated

    # Conservation per pledge, to the cent.
    programmable = plan.tranches.groupby("pledge_id")["programmable_usd"].sum()
    got = alloc.groupby("pledge_id")["amount_usd"].sum().reindex(programmable.index, fill_value=0.0)
    left = un.groupby("pledge_id")["amount_usd"].sum().reindex(programmable.index, fill_value=0.0)
    assert ((got + left - programmable).abs() < 0.01).all()
    assert (alloc["amount_usd"] >= 0).all()

    # Eligibility.
    eligible = eligible_lines(plan.programmes, plan.pledges)
    for pid, line in zip(alloc["pledge_id"], alloc["line_id"], strict=True):
        assert line in eligible[pid]

    # No line-year over its requirement; lines table agrees with the allocations.
    by_ly = alloc.groupby(["line_id", "year"])["amount_usd"].sum()
    req = plan.requirements.groupby(["line_id", "year"])["requirement_usd"].sum()
    over = by_ly - req.reindex(by_ly.index)
    assert (over <= 1e-6 * req.reindex(by_ly.index).clip(lower=1.0)).all()
    assert r.lines["funded_usd"].sum() == pytest.approx(alloc["amount_usd"].sum(), abs=0.01)

    # No borrowing from the future; excluded donors never allocated.
    assert (alloc["year"] >= alloc["source_year"]).all()
    assert not set(alloc["donor"]) & set(scenario.excluded_donors)


def changed(scenario: Scenario, **settings: Any) -> Scenario:
    """The scenario with some settings replaced (through its public dict form, which any
    scenario implementation keeps)."""
    data = scenario.to_dict()
    for key, value in settings.items():
        data[key] = value
    return Scenario.from_dict(data)


def stage_objectives(r: AllocationResult) -> dict[str, float]:
    return {s["name"]: float(s["objective"]) for s in r.solver.stages}


def binaries(r: AllocationResult) -> dict[str, int]:
    mv = r.min_viable
    mv = mv[mv["status"] != "not_applicable"]
    return {
        str(lid): int(st == "funded") for lid, st in zip(mv["line_id"], mv["status"], strict=True)
    }


def earmarked_unallocated(plan: Plan, r: AllocationResult) -> float:
    kind = plan.pledges.set_index("pledge_id")["earmarking"]
    un = r.unallocated
    tight = un["pledge_id"].map(kind).isin(["earmarked", "tightly_earmarked"])
    return float(un.loc[tight, "amount_usd"].sum())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_pooled_stages_equal_the_per_pledge_reference(case: tuple[Plan, Scenario]) -> None:
    """Stage 1 (value, deciding the binaries) equals the reference's MILP; given the same
    minimum-viable decisions (ties between decisions are legitimate), every later stage's
    optimum equals the reference's."""
    plan, scenario = case
    r = AllocationModel.build(plan, scenario).solve(explain=False)
    ref = solve_reference(plan, scenario, binaries=binaries(r))
    assert ref.status == "Optimal"
    mine = stage_objectives(r)
    assert mine["value"] == pytest.approx(ref.stages["value_milp"], rel=1e-6, abs=1e-3)
    assert set(mine) == set(ref.stages) - {"value_milp"}
    for name, value in mine.items():
        assert value == pytest.approx(ref.stages[name], rel=1e-6, abs=1e-3), name
    assert r.solver.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.sampled_from(TARGET_SETTINGS))
def test_switching_a_target_on_never_strands_earmarked_money(
    case: tuple[Plan, Scenario], target: str
) -> None:
    plan, scenario = case
    no_targets = dict.fromkeys(TARGET_SETTINGS, 0.0)
    off = AllocationModel.build(plan, changed(scenario, targets=no_targets)).solve(explain=False)
    for targets in (scenario.to_dict()["targets"], {**no_targets, target: 0.5}):
        on = AllocationModel.build(plan, changed(scenario, targets=targets)).solve(explain=False)
        assert on.ok and off.ok
        assert earmarked_unallocated(plan, on) <= earmarked_unallocated(plan, off) + 0.01
        # Targets never change which programmes are cut.
        assert binaries(on) == binaries(off)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_value_is_never_given_up_for_earlier_years_or_stability(
    case: tuple[Plan, Scenario],
) -> None:
    """The final allocation is worth exactly the value stage's optimum (no target: stage 1;
    with targets: stage 3), whatever the tie-break stages chose; with itself as the
    reference, the stability stage moves nothing."""
    plan, scenario = case
    first = AllocationModel.build(plan, scenario).solve(explain=False)
    stages = stage_objectives(first)
    defining = stages.get("targets", stages["value"])
    assert first.solver.objective == pytest.approx(defining, rel=1e-9, abs=1e-6)
    stable = changed(scenario, stability="reference")
    again = AllocationModel.build(plan, stable, reference=first.lines).solve(explain=False)
    assert again.solver.objective == pytest.approx(first.solver.objective, rel=1e-9, abs=1e-6)
    assert again.stability is not None and again.stability["moved_with_stability"] == 0
    assert again.stability["moved_with_stability"] <= again.stability["moved_without_stability"]
