"""Hand-checkable allocation cases: each one small enough to verify with pencil and paper."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from models.allocation import AllocationInputError, AllocationModel, allocate
from models.plan import make_plan
from models.result import REASONS, UNALLOCATED_REASONS
from models.scenario import Scenario, Targets, Weights

NO_TARGETS = Targets(
    leadership_coordination_share_of_flexible=0.0,
    human_rights_share=0.0,
    gender_share=0.0,
    civil_society_share=0.0,
)


def scenario(**kw: Any) -> Scenario:
    kw.setdefault("targets", NO_TARGETS)
    kw.setdefault("mip_gap", 1e-9)
    return Scenario(**kw)


def funded(result: Any, line: str, year: int | None = None) -> float:
    lines = result.lines
    sel = lines["line_id"] == line
    if year is not None:
        sel &= lines["year"] == year
    return float(lines.loc[sel, "funded_usd"].sum())


def unallocated(result: Any, reason: str) -> float:
    un = result.unallocated
    return float(un.loc[un["reason"] == reason, "amount_usd"].sum())


def line(line_id: str, req: dict[int, float], **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "requirements": req, **kw}


def test_strict_tier_order() -> None:
    plan = make_plan(
        [line("A", {2027: 100}, priority=2), line("B", {2027: 100}, priority=1)],
        [{"donor": "D", "amount": 150}],
    )
    r = allocate(plan, scenario())
    assert r.ok
    assert funded(r, "B") == pytest.approx(100)
    assert funded(r, "A") == pytest.approx(50)


def test_lower_tier_gets_nothing_until_higher_tier_is_full() -> None:
    plan = make_plan(
        [line("T1", {2027: 100}, priority=1), line("T4", {2027: 100}, priority=4)],
        [{"donor": "D", "amount": 99}],
    )
    r = allocate(plan, scenario())
    assert funded(r, "T1") == pytest.approx(99)
    assert funded(r, "T4") == pytest.approx(0, abs=0.01)
    assert set(r.explanations.set_index("line_id").loc[["T4"], "reason"]) == {"lower_tier"}


def test_within_tier_every_line_reaches_its_first_tranche_before_top_ups() -> None:
    plan = make_plan(
        [line("A", {2027: 100}), line("B", {2027: 300}), line("C", {2027: 60})],
        [{"donor": "D", "amount": 230}],
    )
    r = allocate(plan, scenario())
    # First tranches: 50 + 150 + 30 = 230 exactly.
    assert funded(r, "A") == pytest.approx(50)
    assert funded(r, "B") == pytest.approx(150)
    assert funded(r, "C") == pytest.approx(30)
    assert set(r.explanations["reason"]) == {"tranche_spread"}


def test_earmarked_money_cannot_move() -> None:
    plan = make_plan(
        [line("A", {2027: 100}, priority=1), line("B", {2027: 100}, priority=4)],
        [
            {"donor": "D", "amount": 150, "earmarking": "earmarked", "earmark_to": "B"},
            {"donor": "E", "amount": 30, "earmarking": "tightly_earmarked", "earmark_to": "B"},
        ],
    )
    r = allocate(plan, scenario())
    assert funded(r, "A") == 0
    assert funded(r, "B") == pytest.approx(100)
    assert unallocated(r, "eligible_lines_fully_funded") == pytest.approx(80)
    assert set(r.allocations["line_id"]) == {"B"}


def test_money_arriving_after_the_need_stays_unallocated_with_its_reason() -> None:
    plan = make_plan(
        [line("A", {2027: 100}), line("B", {2028: 100})],
        [
            {
                "donor": "D",
                "amount": 70,
                "earmarking": "earmarked",
                "earmark_to": "A",
                "first_year": 2028,
            }
        ],
    )
    r = allocate(plan, scenario())
    assert funded(r, "A") == 0
    assert unallocated(r, "arrives_after_need") == pytest.approx(70)


def test_money_arriving_after_the_horizon_is_reported() -> None:
    plan = make_plan(
        [line("A", {2027: 100, 2028: 100})],
        [{"donor": "D", "amount": 40, "first_year": 2029}, {"donor": "D", "amount": 10}],
    )
    r = allocate(plan, scenario())
    assert unallocated(r, "arrives_after_horizon") == pytest.approx(40)
    assert funded(r, "A") == pytest.approx(10)


def test_money_from_before_the_horizon_funds_the_first_year() -> None:
    plan = make_plan([line("A", {2027: 100})], [{"donor": "D", "amount": 40, "first_year": 2025}])
    r = allocate(plan, scenario())
    assert funded(r, "A", 2027) == pytest.approx(40)
    assert set(r.allocations["source_year"]) == {2025}


def test_carry_forward_funds_a_later_year_never_an_earlier_one() -> None:
    plan = make_plan(
        [line("A", {2027: 100, 2028: 100, 2029: 100})],
        [
            {"donor": "D", "amount": 250, "first_year": 2027},
            {"donor": "E", "amount": 100, "first_year": 2029},
        ],
    )
    r = allocate(plan, scenario())
    assert funded(r, "A") == pytest.approx(300)
    alloc = r.allocations
    assert (alloc["year"] >= alloc["source_year"]).all()
    # D's money carried into 2028 (and the gap left for E's 2029 money).
    d = alloc[alloc["donor"] == "D"]
    assert d.loc[d["year"] == 2028, "amount_usd"].sum() == pytest.approx(100)
    assert unallocated(r, "eligible_lines_fully_funded") == pytest.approx(50)


def test_psc_and_fx_are_applied() -> None:
    # 56.5 EUR at 0.5 EUR per USD = USD 113 gross; 13% PSC leaves USD 100 programmable.
    plan = make_plan(
        [line("A", {2027: 1000})],
        [{"donor": "D", "amount": 56.5, "currency": "EUR", "psc_rate": 0.13}],
        fx={"EUR": 0.5},
    )
    r = allocate(plan, scenario())
    assert funded(r, "A") == pytest.approx(100)
    assert r.allocations["amount_usd"].sum() == pytest.approx(100)


def test_soft_earmark_to_a_pillar_reaches_only_that_pillar() -> None:
    plan = make_plan(
        [
            line("P1", {2027: 100}, pillars="I", priority=1),
            line("P2", {2027: 100}, pillars="II;III", priority=4),
            line("P3", {2027: 100}, pillars="IV", priority=1),
        ],
        [
            {
                "donor": "D",
                "amount": 150,
                "earmarking": "softly_earmarked",
                "earmark_to": "pillar:II",
            }
        ],
    )
    r = allocate(plan, scenario())
    assert funded(r, "P2") == pytest.approx(100)
    assert funded(r, "P1") == funded(r, "P3") == 0
    assert unallocated(r, "eligible_lines_fully_funded") == pytest.approx(50)


def test_min_viable_cut_redirects_flexible_money_and_strands_earmarks() -> None:
    lines = [
        line("A", {2027: 100}, priority=1, min_viable_share=0.6),
        line("B", {2027: 100}, priority=2),
    ]
    pledges = [
        {"donor": "E", "amount": 10, "earmarking": "earmarked", "earmark_to": "A"},
        {"donor": "F", "amount": 40},
    ]
    plan = make_plan(lines, pledges)
    without = allocate(plan, scenario(min_viable=False))
    assert funded(without, "A") == pytest.approx(50)
    r = allocate(plan, scenario(min_viable=True))
    assert r.solver.is_mip
    assert funded(r, "A") == 0
    assert funded(r, "B") == pytest.approx(40)
    assert unallocated(r, "stranded_by_min_viable_cut") == pytest.approx(10)
    mv = r.min_viable.set_index("line_id")
    assert mv.loc["A", "status"] == "cut"
    assert mv.loc["B", "status"] == "not_applicable"
    assert r.explanations.set_index("line_id").loc["A", "reason"] == "cut_below_min_viable"


def test_min_viable_line_funded_when_it_can_reach_its_share() -> None:
    plan = make_plan(
        [
            line("A", {2027: 100, 2028: 100}, priority=1, min_viable_share=0.6),
            line("B", {2027: 50}),
        ],
        [{"donor": "F", "amount": 130}],
    )
    r = allocate(plan, scenario())
    assert funded(r, "A") == pytest.approx(130)
    assert r.min_viable.set_index("line_id").loc["A", "status"] == "funded"


def test_unmeetable_policy_target_is_reported_with_its_shortfall() -> None:
    plan = make_plan(
        [line("A", {2027: 100}, themes="cft"), line("B", {2027: 100}, themes="border")],
        [{"donor": "D", "amount": 80}],
    )
    sc = scenario(targets=Targets(0.0, 0.0, 0.5, 0.0))
    r = allocate(plan, sc)
    assert r.solver.status == "optimal"
    t = r.targets.set_index("name").loc["gender_share"]
    assert t["target"] == 0.5
    assert t["achieved"] == 0
    assert t["shortfall_usd"] == pytest.approx(40)
    assert funded(r, "A") + funded(r, "B") == pytest.approx(80)


def test_policy_target_moves_flexible_money_to_tagged_lines() -> None:
    plan = make_plan(
        [
            line("LEAD", {2027: 100}, category="leadership", priority=4),
            line("X", {2027: 1000}, priority=1),
        ],
        [{"donor": "D", "amount": 200}],
    )
    r = allocate(plan, scenario(targets=Targets(0.10, 0.0, 0.0, 0.0)))
    assert funded(r, "LEAD") == pytest.approx(20)
    t = r.targets.set_index("name").loc["leadership_coordination_share_of_flexible"]
    assert t["achieved"] == pytest.approx(0.10)
    assert t["shortfall_usd"] == pytest.approx(0, abs=0.01)


def test_excluded_donor_money_is_unallocated_with_its_reason() -> None:
    plan = make_plan(
        [line("A", {2027: 100})], [{"donor": "D", "amount": 60}, {"donor": "E", "amount": 10}]
    )
    r = allocate(plan, scenario(excluded_donors=["D"]))
    assert unallocated(r, "donor_excluded") == pytest.approx(60)
    assert funded(r, "A") == pytest.approx(10)


def test_donor_line_cap_limits_one_donor() -> None:
    plan = make_plan(
        [line("A", {2027: 100}), line("B", {2027: 100}, priority=4)],
        [{"donor": "D", "amount": 100}, {"donor": "E", "amount": 30}],
    )
    r = allocate(plan, scenario(donor_line_cap_share=0.5))
    by = r.allocations.groupby(["donor", "line_id"])["amount_usd"].sum()
    assert by[("D", "A")] <= 50 + 1e-6
    assert funded(r, "A") == pytest.approx(80)


def test_criteria_weights_order_lines_by_score() -> None:
    plan = make_plan(
        [line("A", {2027: 100}), line("B", {2027: 100})], [{"donor": "D", "amount": 100}]
    )
    programmes = plan.programmes.assign(score_innovation=[1.0, 5.0])
    plan = plan.replace(programmes=programmes)
    r = allocate(plan, scenario(weights=Weights(criteria={"innovation": 1.0})))
    assert funded(r, "B") == pytest.approx(100)
    with pytest.raises(AllocationInputError, match="score_track_record"):
        allocate(plan, scenario(weights=Weights(criteria={"track_record": 1.0})))


def test_every_result_table_follows_its_contract() -> None:
    plan = make_plan(
        [
            line("A", {2027: 100, 2028: 80}, themes="gender"),
            line("B", {2028: 50}, category="coordination"),
        ],
        [
            {"donor": "D", "amount": 90, "status": "pledged"},
            {"donor": "E", "amount": 60, "status": "paid"},
        ],
    )
    r = allocate(plan, Scenario())
    assert list(r.allocations.columns) == [
        "pledge_id", "donor", "line_id", "year", "amount_usd", "source_year", "status",
    ]  # fmt: skip
    assert list(r.unallocated.columns) == ["pledge_id", "donor", "amount_usd", "reason"]
    assert list(r.lines.columns) == [
        "line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd",
    ]  # fmt: skip
    assert set(r.unallocated["reason"]) <= set(UNALLOCATED_REASONS)
    assert set(r.explanations["reason"]) <= set(REASONS)
    assert r.explanations["text"].str.len().min() > 10
    assert set(r.solver.phases) == {
        "validate", "pool", "build", "solve", "extract", "explain", "sensitivity",
    }  # fmt: skip
    # Firm money is the committed + paid part of what was funded.
    firm = r.allocations.loc[r.allocations["status"] != "pledged", "amount_usd"].sum()
    assert r.lines["firm_usd"].sum() == pytest.approx(firm)
    # Every line has a gap, so one more flexible dollar is worth something.
    assert r.flexible_marginal_value is not None and r.flexible_marginal_value > 0
    assert list(r.next_million.columns) == ["line_id", "year", "amount_usd"]


def test_unknown_earmark_target_is_a_clear_error() -> None:
    plan = make_plan([line("A", {2027: 100})], [{"donor": "D", "amount": 10}])
    pledges = plan.pledges.assign(earmarking="earmarked", earmark_to="NOPE")
    with pytest.raises(AllocationInputError, match="NOPE"):
        allocate(plan.replace(pledges=pledges), scenario())


def test_solve_scaled_equals_a_rebuild_of_the_scaled_plan() -> None:
    lines = [
        line("A", {2027: 100, 2028: 100}, priority=1, min_viable_share=0.5),
        line("B", {2027: 80, 2028: 120}, priority=2, themes="gender"),
        line("C", {2028: 200}, priority=3, category="leadership"),
    ]
    pledges = [
        {"pledge_id": "p1", "donor": "D", "amount": 150, "years": 2},
        {"pledge_id": "p2", "donor": "E", "amount": 90, "earmarking": "earmarked",
         "earmark_to": "B"},
        {"pledge_id": "p3", "donor": "F", "amount": 60, "first_year": 2028, "status": "pledged"},
        {"pledge_id": "p4", "donor": "G", "amount": 70, "earmarking": "softly_earmarked",
         "earmark_to": "theme:gender"},
    ]  # fmt: skip
    plan = make_plan(lines, pledges)
    sc = scenario(targets=Targets(0.10, 0.0, 0.3, 0.0))
    model = AllocationModel.build(plan, sc)
    base = model.solve()
    scale = {"p1": 0.5, "p3": 0.0, "p4": 0.25}
    scaled = model.solve_scaled(scale)
    tr = plan.tranches.copy()
    tr["programmable_usd"] = tr["programmable_usd"] * tr["pledge_id"].map(scale).fillna(1.0)
    rebuilt = allocate(plan.replace(tranches=tr), sc)
    assert scaled.status == "optimal"
    assert scaled.objective == pytest.approx(rebuilt.solver.objective, rel=1e-9)
    merged = scaled.funded.merge(rebuilt.lines, on=["line_id", "year"])
    assert merged["funded_usd_x"].sum() == pytest.approx(merged["funded_usd_y"].sum())
    assert set(scaled.min_viable_funded) == {"A"}
    # Removing a donor = factor 0 on its pledges; and the model returns to the base case.
    no_d = model.solve_scaled({"p1": 0.0})
    assert no_d.objective == pytest.approx(
        allocate(plan.without_donors(["D"]), sc).solver.objective, rel=1e-9
    )
    again = model.solve()
    assert again.solver.objective == pytest.approx(base.solver.objective, rel=1e-12)
    with pytest.raises(AllocationInputError, match="p1"):
        model.solve_scaled({"p1": 1.5})


def test_solve_scaled_reports_firm_money() -> None:
    plan = make_plan(
        [line("A", {2027: 100})],
        [
            {"pledge_id": "p1", "donor": "D", "amount": 40, "status": "paid"},
            {"pledge_id": "p2", "donor": "E", "amount": 40, "status": "pledged"},
        ],
    )
    s = AllocationModel.build(plan, scenario()).solve_scaled({"p2": 0.5})
    row = s.funded.iloc[0]
    assert row["funded_usd"] == pytest.approx(60)
    assert row["firm_usd"] == pytest.approx(40)


def test_cbc_gives_the_same_optimum_as_highs() -> None:
    plan = make_plan(
        [
            line("A", {2027: 100, 2028: 100}, priority=1, min_viable_share=0.7),
            line("B", {2027: 100}, priority=3, themes="gender"),
        ],
        [
            {"donor": "D", "amount": 120},
            {"donor": "E", "amount": 20, "earmarking": "earmarked", "earmark_to": "A"},
        ],
    )
    sc = scenario(targets=Targets(0.0, 0.0, 0.2, 0.0))
    highs = allocate(plan, sc)
    cbc = allocate(plan, scenario(targets=Targets(0.0, 0.0, 0.2, 0.0), solver="cbc"))
    assert "CBC" in cbc.solver.name
    # CBC's feasibility tolerance is 1e-7 of a USD million: a tenth of a (weighted) dollar.
    assert cbc.solver.objective == pytest.approx(highs.solver.objective, rel=1e-6, abs=1.0)
    pd.testing.assert_frame_equal(
        cbc.lines.round(2), highs.lines.round(2), check_exact=False, atol=0.05
    )


def test_time_limit_without_a_solution_is_a_clear_status_not_a_traceback() -> None:
    plan = make_plan(
        [line("A", {2027: 100}, min_viable_share=0.5), line("B", {2027: 100})],
        [{"donor": "D", "amount": 60}],
    )
    r = allocate(plan, scenario(time_limit_seconds=1e-9, solver="highs"))
    assert not r.ok
    assert r.solver.status == "error"
    assert "time limit" in r.solver.message
    assert r.allocations.empty
    assert set(r.unallocated["reason"]) == {"solver_error"}
    assert r.unallocated["amount_usd"].sum() == pytest.approx(60)


def test_branch_and_bound_and_its_handover_to_highs_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import branch_and_bound
    from models.synthetic import SIZES, synthetic_plan

    plan = synthetic_plan(*SIZES["S"], seed=2)
    sc = scenario()
    own = AllocationModel.build(plan, sc)
    own_result = own.solve(explain=False)
    assert own.backend.name.endswith("(LP branch and bound)")
    # Hand every tree to HiGHS's MIP solver.
    monkeypatch.setattr(branch_and_bound, "HANDOVER_FRACTIONAL", 0)
    handed = allocate(plan, sc)
    mip = AllocationModel.build(plan, sc, backend="highs-mip").solve(explain=False)
    assert own_result.solver.objective == pytest.approx(mip.solver.objective, rel=1e-7)
    assert handed.solver.objective == pytest.approx(mip.solver.objective, rel=1e-7)
    assert handed.solver.status == "optimal"


def test_cents_over_the_first_tranche_count_at_the_second_tranche_weight() -> None:
    """Found by hypothesis: USD 1,000.01 for a USD 2,000 need. The first USD 1,000 counts at
    weight 8 and the last cent at 8 x 0.6; with HiGHS's default tolerance on a model in USD
    millions the cent slipped into the first tranche and the optimum differed from the
    per-pledge reference."""
    from benchmarks.reference_model import solve_reference

    plan = make_plan(
        [
            {
                "line_id": "L0",
                "requirements": {2027: 2000.0},
                "category": "leadership",
                "priority": 1,
            }
        ],
        [{"donor": "D1", "amount": 1000.01, "tranches": {2026: 1000.01}}],
    )
    sc = Scenario(targets=Targets(0.1, 0.0, 0.0, 0.0), min_viable=False)
    r = AllocationModel.build(plan, sc).solve(explain=False)
    assert r.solver.objective == pytest.approx(1000 * 8 + 0.01 * 8 * 0.6, abs=1e-4)
    assert r.solver.objective == pytest.approx(solve_reference(plan, sc).objective, abs=1e-4)


def fallback_plan() -> Any:
    return make_plan(
        [
            line("A", {2027: 100, 2028: 100}, priority=1, min_viable_share=0.7),
            line("B", {2027: 100}, priority=3, themes="gender"),
        ],
        [
            {"donor": "D", "amount": 120},
            {"donor": "E", "amount": 20, "earmarking": "earmarked", "earmark_to": "A"},
        ],
    )


def test_when_highs_fails_under_auto_cbc_solves_the_same_model_and_the_result_says_so() -> None:
    """HiGHS made to fail for real (an iteration limit of 0: every LP stops at once); under
    solver = "auto" the same model goes to CBC, stage by stage, and the result names CBC and
    why. With solver = "highs" the failure is reported instead."""
    plan = fallback_plan()
    sc = scenario(targets=Targets(0.0, 0.0, 0.2, 0.0))
    expected = allocate(plan, sc)
    model = AllocationModel.build(plan, sc)
    model.backend.h.setOptionValue("simplex_iteration_limit", 0)  # type: ignore[union-attr]
    r = model.solve()
    assert r.ok, r.solver.message
    assert r.solver.name == "CBC (PuLP)"
    assert r.solver.fallback is not None and "HiGHS" in r.solver.fallback
    assert [s["name"] for s in r.solver.stages] == [s["name"] for s in expected.solver.stages]
    assert r.solver.objective == pytest.approx(expected.solver.objective, rel=1e-6, abs=1.0)
    pd.testing.assert_frame_equal(
        r.lines.round(2), expected.lines.round(2), check_exact=False, atol=0.05
    )
    assert not r.explanations.empty  # from a HiGHS twin of the model
    # Re-solves fall back too.
    again = model.solve_scaled({})
    assert again.status == "optimal"

    strict = AllocationModel.build(
        plan, scenario(targets=Targets(0.0, 0.0, 0.2, 0.0), solver="highs")
    )
    strict.backend.h.setOptionValue("simplex_iteration_limit", 0)  # type: ignore[union-attr]
    failed = strict.solve()
    assert failed.solver.status == "error" and failed.solver.fallback is None
    assert "HiGHS" in failed.solver.message or "iteration" in failed.solver.message.lower()
    assert failed.allocations.empty
