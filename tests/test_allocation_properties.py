"""Invariants of the allocation over hundreds of random small plans (hypothesis).

Every plan: conservation per pledge to the cent, eligibility never violated, no line-year
over its requirement, no money used before it arrives, and the pooled optimum equals the
straightforward per-pledge reference model's optimum.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.reference_model import solve_reference
from models.allocation import AllocationModel
from models.eligibility import eligible_lines
from models.plan import Plan, make_plan
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_pooled_optimum_equals_per_pledge_reference(case: tuple[Plan, Scenario]) -> None:
    plan, scenario = case
    r = AllocationModel.build(plan, scenario).solve(explain=False)
    ref = solve_reference(plan, scenario)
    assert ref.status == "Optimal"
    assert r.solver.objective is not None and ref.objective is not None
    assert r.solver.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-3)
