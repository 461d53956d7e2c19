"""Explanations: marginal values (LP duals) checked against finite differences, the next
USD 1 million, and the reason given for each line."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from models.allocation import AllocationModel, allocate
from models.plan import make_plan
from models.scenario import Scenario, Targets

NO_TARGETS = Targets(0.0, 0.0, 0.0, 0.0)


def line(line_id: str, req: dict[int, float], **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "requirements": req, **kw}


def objective(lines: list[dict[str, Any]], pledges: list[dict[str, Any]], sc: Scenario) -> float:
    r = allocate(make_plan(lines, pledges), sc)
    assert r.solver.objective is not None
    return r.solver.objective


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("min_viable", [False, True])
def test_flexible_marginal_value_matches_a_finite_difference(solver: str, min_viable: bool) -> None:
    lines = [
        line("A", {2027: 100_000, 2028: 50_000}, priority=1),
        line("B", {2027: 100_000}, priority=2, min_viable_share=0.1),
        line("C", {2028: 400_000}, priority=3, min_viable_share=0.9),
    ]
    pledges = [{"donor": "D", "amount": 170_000}]
    sc = Scenario(targets=NO_TARGETS, solver=solver, min_viable=min_viable)
    r = allocate(make_plan(lines, pledges), sc)
    delta = 1_000.0
    more = objective(lines, [*pledges, {"donor": "N", "amount": delta}], sc)
    assert r.solver.objective is not None
    fd = (more - r.solver.objective) / delta
    assert r.flexible_marginal_value is not None
    assert r.flexible_marginal_value > 0  # the sign: more money never hurts
    assert r.flexible_marginal_value == pytest.approx(fd, rel=1e-6)
    # Next dollar tops up B's first tranche at tier weight 4 (first year).
    assert r.flexible_marginal_value == pytest.approx(4.0, rel=1e-3)


def test_flexible_marginal_value_is_zero_when_every_need_is_met() -> None:
    r = allocate(
        make_plan([line("A", {2027: 100})], [{"donor": "D", "amount": 500}]),
        Scenario(targets=NO_TARGETS),
    )
    assert r.flexible_marginal_value == pytest.approx(0.0, abs=1e-9)
    assert r.next_million.empty


def test_line_marginal_value_matches_a_finite_difference() -> None:
    def lines(extra: float) -> list[dict[str, Any]]:
        return [
            line("A", {2027: 100_000 + extra}, priority=1),
            line("B", {2027: 100_000}, priority=4),
        ]

    # B gets 40k, strictly inside its first tranche (at exactly 50k the dual is degenerate).
    pledges = [{"donor": "D", "amount": 140_000}]
    sc = Scenario(targets=NO_TARGETS)
    r = allocate(make_plan(lines(0.0), pledges), sc)
    mv = r.line_marginal_value.set_index(["line_id", "year"])["value_per_usd"]
    delta = 1_000.0
    assert r.solver.objective is not None
    fd = (objective(lines(delta), pledges, sc) - r.solver.objective) / delta
    # Half the extra need at weight 8, half at 8 * 0.6, minus B's first-tranche dollar (1).
    assert fd == pytest.approx(5.4, rel=1e-6)
    assert mv[("A", 2027)] == pytest.approx(fd, rel=1e-6)
    # B is not full: more requirement there is worth nothing.
    assert mv[("B", 2027)] == pytest.approx(0.0, abs=1e-9)


def test_next_million_goes_to_the_highest_priority_gaps_first() -> None:
    lines = [
        line("A", {2027: 300_000}, priority=1),
        line("B", {2027: 2_000_000}, priority=2),
        line("E", {2027: 500_000}, priority=1),
    ]
    pledges = [
        {"donor": "D", "amount": 100_000},
        {"donor": "X", "amount": 500_000, "earmarking": "earmarked", "earmark_to": "E"},
    ]
    r = allocate(make_plan(lines, pledges), Scenario(targets=NO_TARGETS))
    nm = r.next_million.set_index("line_id")["amount_usd"]
    assert nm.sum() == pytest.approx(1_000_000)
    assert nm["A"] == pytest.approx(200_000)  # A's gap first (tier 1)
    assert nm["B"] == pytest.approx(800_000)
    assert "E" not in nm.index  # already fully funded by its earmark
    # The result itself is not changed by the what-if re-solve.
    assert r.lines.set_index("line_id").loc["A", "funded_usd"] == pytest.approx(100_000)


def test_line_reasons() -> None:
    lines = [
        line("FULL", {2027: 50}, priority=1),
        line("LATE", {2027: 100, 2028: 100}, priority=1, entity="UNODC"),
        line("EARM", {2027: 100}, priority=1),
        line("NONE", {2027: 0}, priority=1),
        line("LOW", {2027: 100}, priority=4),
    ]
    pledges = [
        {"donor": "D", "amount": 50, "earmarking": "earmarked", "earmark_to": "FULL"},
        {"donor": "E", "amount": 300, "first_year": 2028, "earmarking": "softly_earmarked",
         "earmark_to": "entity:UNODC"},
        {"donor": "F", "amount": 30, "earmarking": "earmarked", "earmark_to": "EARM"},
    ]  # fmt: skip
    r = allocate(make_plan(lines, pledges), Scenario(targets=NO_TARGETS))
    reasons = r.explanations.set_index("line_id")["reason"]
    assert reasons["FULL"] == "fully_funded"
    assert reasons["LATE"] == "carry_forward_limited"
    assert reasons["EARM"] == "eligible_money_exhausted"
    assert reasons["NONE"] == "excluded"
    assert reasons["LOW"] == "eligible_money_exhausted"
    un = r.unallocated.groupby("reason")["amount_usd"].sum()
    assert un["arrives_after_need"] == pytest.approx(200)
    texts = r.explanations.set_index("line_id")["text"]
    assert "2027" in texts["LATE"]


def test_explain_false_skips_the_what_ifs_but_not_the_allocation() -> None:
    plan = make_plan([line("A", {2027: 100})], [{"donor": "D", "amount": 60}])
    model = AllocationModel.build(plan, Scenario(targets=NO_TARGETS))
    quick = model.solve(explain=False)
    assert quick.explanations.empty and quick.flexible_marginal_value is None
    assert quick.lines["funded_usd"].sum() == pytest.approx(60)


def test_next_million_on_the_sample_is_the_change_itself_not_a_reshuffle(sample_plan: Any) -> None:
    """With gaps everywhere, USD 1m more unearmarked money adds exactly USD 1m of funding and
    takes nothing from any line: the what-if keeps today's minimum-viable decisions and starts
    from today's optimum, so it does not wander to another equally good allocation."""
    r = allocate(sample_plan, Scenario())
    assert r.solver.is_mip
    nm = r.next_million
    assert nm["amount_usd"].sum() == pytest.approx(1_000_000, rel=1e-9)
    assert (nm["amount_usd"] > 0).all()
    # It goes to tier-1 gaps first.
    tiers = sample_plan.programmes.set_index("line_id")["priority"]
    assert set(tiers[nm["line_id"]]) == {1}


def test_a_line_short_because_a_target_holds_the_money_says_so() -> None:
    """X (tier 1) and the coordination line C (tier 4) share USD 100 of flexible money; the
    target takes 30 for C, so X's gap is the target's doing, not C's tier."""
    lines = [
        line("X", {2027: 100}, priority=1),
        line("C", {2027: 100}, priority=4, category="coordination"),
    ]
    r = allocate(
        make_plan(lines, [{"donor": "D", "amount": 100}]), Scenario(targets=Targets(0.3, 0, 0, 0))
    )
    ex = r.explanations.set_index("line_id")
    assert ex.loc["X", "funded_usd"] == pytest.approx(70)
    assert ex.loc["X", "reason"] == "policy_target"
    assert ex.loc["X", "value_per_usd"] == pytest.approx(8 * 0.6)
    assert ex.loc["X", "best_use_per_usd"] > 100  # the target's penalty per USD
    assert "policy target" in ex.loc["X", "text"]


def test_a_donor_cap_keeping_money_off_a_line_is_named() -> None:
    lines = [line("A", {2027: 100}, priority=1), line("B", {2027: 1000}, priority=4)]
    r = allocate(
        make_plan(lines, [{"donor": "D", "amount": 200}]),
        Scenario(targets=NO_TARGETS, donor_line_cap_share=0.5),
    )
    ex = r.explanations.set_index("line_id")
    assert ex.loc["A", "funded_usd"] == pytest.approx(50)
    assert ex.loc["A", "reason"] == "donor_line_cap_reached"


def test_the_extra_amount_at_which_a_cut_programme_becomes_viable() -> None:
    """M (tier 2, viable at 50% of 10m) has 2m earmarked; T (tier 1) needs 10m; 3m of
    flexible money. Cut, T takes it (8 per USD); viable, M would need all 3m at 4 per USD.
    With X more: value cut = 8 x 5m + 4.8 x (X - 2m), value viable = 4 x 5m + 8 x X (X in
    2m..5m): equal at X = 3.25m."""
    m = 1e6
    lines = [
        line("M", {2027: 10 * m}, priority=2, min_viable_share=0.5),
        line("T", {2027: 10 * m}, priority=1),
    ]
    pledges = [
        {"donor": "E", "amount": 2 * m, "earmarking": "earmarked", "earmark_to": "M"},
        {"donor": "F", "amount": 3 * m},
    ]
    sc = Scenario(targets=NO_TARGETS, mip_gap=1e-9)
    r = allocate(make_plan(lines, pledges), sc)
    mv = r.min_viable.set_index("line_id")
    assert mv.loc["M", "status"] == "cut"
    at = mv.loc["M", "viable_at_extra_usd"]
    assert 3.25 * m <= at <= 3.25 * m * 1.01 + 1_000
    assert mv.loc["T", "status"] == "not_applicable" and pd.isna(mv.loc["T", "viable_at_extra_usd"])
    assert "becomes viable with USD 3.2" in r.explanations.set_index("line_id").loc["M", "text"]
    # Re-solving with that much more unearmarked money (binaries decided afresh) makes it
    # viable; a little less does not.
    for extra, status in ((at, "funded"), (3.2 * m, "cut")):
        more = make_plan(lines, [*pledges, {"donor": "N", "amount": extra}])
        assert allocate(more, sc).min_viable.set_index("line_id").loc["M", "status"] == status
