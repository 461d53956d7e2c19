"""The lexicographic objective, case by case: targets never strand earmarked money, a tie-break
never costs value, minimum-viable decisions come before targets, and stability keeps lines
that need not move where a reference put them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from benchmarks.reference_model import solve_reference
from models.allocation import AllocationModel, allocate
from models.plan import Plan, make_plan
from models.result import AllocationResult
from models.scenario import Scenario, Targets, Weights

M = 1_000_000.0
NO_TARGETS = Targets(0.0, 0.0, 0.0, 0.0)


def line(line_id: str, req: dict[int, float], **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "requirements": req, **kw}


def funded(result: AllocationResult, line_id: str, year: int | None = None) -> float:
    lines = result.lines
    sel = lines["line_id"] == line_id
    if year is not None:
        sel &= lines["year"] == year
    return float(lines.loc[sel, "funded_usd"].sum())


def stage(result: AllocationResult, name: str) -> float:
    return next(float(s["objective"]) for s in result.solver.stages if s["name"] == name)


def afghanistan_like() -> Plan:
    """The reported case in miniature (FTS, Afghanistan 2020): the coordination line's need is
    covered by flows earmarked to it, and there is plenty of flexible money."""
    return make_plan(
        [
            line("COORD", {2020: 8.8 * M}, category="coordination", priority=2),
            line("HEALTH", {2020: 50 * M}, priority=1),
            line("SHELTER", {2020: 100 * M}, priority=3),
        ],
        [
            {"pledge_id": "E1", "donor": "ECHO", "amount": 5.0 * M, "earmarking": "earmarked",
             "earmark_to": "COORD"},
            {"pledge_id": "E2", "donor": "Pooled fund", "amount": 3.8 * M,
             "earmarking": "earmarked", "earmark_to": "COORD"},
            {"pledge_id": "U1", "donor": "Flexible donor", "amount": 88.0 * M},
        ],
    )  # fmt: skip


def test_a_target_never_strands_the_earmarked_money_covering_its_lines() -> None:
    """With the leadership + coordination >= 10% of flexible money target, the engine used to
    put USD 8.8m of flexible money on the coordination line and leave the USD 8.8m earmarked
    to it unallocated ("eligible lines fully funded"); with the target off it funded exactly
    that much more. Now the target is reported short instead, and says why."""
    plan = afghanistan_like()
    on = allocate(plan, Scenario(targets=Targets(0.10, 0.0, 0.0, 0.0)))
    off = allocate(plan, Scenario(targets=NO_TARGETS))
    for r in (on, off):
        assert r.unallocated["amount_usd"].sum() == pytest.approx(0.0, abs=0.01)
        assert funded(r, "COORD") == pytest.approx(8.8 * M, abs=0.01)
        assert funded(r, "SHELTER") == pytest.approx(38 * M, abs=0.01)
    coord = on.allocations[on.allocations["line_id"] == "COORD"]
    assert set(coord.loc[coord["amount_usd"] > 0.01, "pledge_id"]) == {"E1", "E2"}
    target = on.targets.set_index("name").loc["leadership_coordination_share_of_flexible"]
    assert target["shortfall_usd"] == pytest.approx(8.8 * M, rel=1e-9)
    assert target["limited_by"] == "earmarked_money_kept"


def test_a_target_still_moves_flexible_money_where_the_need_is_open() -> None:
    """The guard does not weaken a target where flexible money serves it: an open
    coordination need takes the flexible money the target asks for."""
    plan = make_plan(
        [
            line("COORD", {2020: 20 * M}, category="coordination", priority=4),
            line("HEALTH", {2020: 100 * M}, priority=1),
        ],
        [
            {"donor": "ECHO", "amount": 5 * M, "earmarking": "earmarked", "earmark_to": "COORD"},
            {"donor": "Flexible donor", "amount": 80 * M},
        ],
    )
    r = allocate(plan, Scenario(targets=Targets(0.10, 0.0, 0.0, 0.0)))
    assert funded(r, "COORD") == pytest.approx(5 * M + 8 * M, rel=1e-9)
    target = r.targets.set_index("name").loc["leadership_coordination_share_of_flexible"]
    assert target["shortfall_usd"] == pytest.approx(0.0, abs=0.01)
    assert target["limited_by"] == ""


def test_an_allocation_worth_more_is_never_given_up_for_an_earlier_year() -> None:
    """USD 1m arriving in 2027 fills the first tranche of line A (tier 1, weight 8) in 2028 or
    of line B (weight 7.9995) in 2027. A is worth USD 500 of weighted value more; the old
    1 - 1e-4 x year multiplier made B (earlier) win. The early-years stage only breaks ties."""
    plan = make_plan(
        [line("A", {2028: 2 * M}, priority=1), line("B", {2027: 2 * M}, priority=2)],
        [{"donor": "D", "amount": M, "first_year": 2027}],
    )
    weights = Weights(tier={1: 8.0, 2: 7.9995, 3: 2.0, 4: 1.0})
    r = allocate(plan, Scenario(weights=weights, targets=NO_TARGETS, min_viable=False))
    assert funded(r, "A", 2028) == pytest.approx(M)
    assert funded(r, "B") == pytest.approx(0.0, abs=0.01)
    assert r.solver.objective == pytest.approx(8.0 * M, rel=1e-12)
    assert stage(r, "value") == pytest.approx(8.0 * M, rel=1e-12)
    # What the multiplier chose instead was worth this much less.
    assert r.solver.objective - 7.9995 * M == pytest.approx(500, rel=1e-6)


def test_among_allocations_of_equal_value_the_earlier_year_wins() -> None:
    """USD 50 can fund X (2027) or Y (2028), same tier, both a first tranche: equal value;
    the earlier year is preferred, and only when the stage is on."""
    plan = make_plan(
        [line("X", {2027: 100}), line("Y", {2028: 100})],
        [{"donor": "D", "amount": 50, "first_year": 2027}],
    )
    r = allocate(plan, Scenario(targets=NO_TARGETS))
    assert funded(r, "X", 2027) == pytest.approx(50)
    assert [s["name"] for s in r.solver.stages] == ["value", "early_years"]
    assert stage(r, "early_years") == pytest.approx(50 * 2)  # two years left from 2027
    off = allocate(plan, Scenario(targets=NO_TARGETS, weights=Weights(early_year_preference=0)))
    assert [s["name"] for s in off.solver.stages] == ["value"]
    assert off.solver.objective == pytest.approx(r.solver.objective)


def test_minimum_viable_decisions_come_before_targets() -> None:
    """M (tier 1, minimum viable 60% of 100) reaches its minimum with its USD 50 of earmarks
    and USD 10 of the flexible money. The coordination target asks for half the flexible
    money. Value decides M is viable; the target may not cut it (which would strand its
    earmarks), so the target is reported short instead."""
    plan = make_plan(
        [
            line("M", {2027: 100}, priority=1, min_viable_share=0.6),
            line("C", {2027: 100}, category="coordination", priority=4),
        ],
        [
            {"donor": "E", "amount": 50, "earmarking": "earmarked", "earmark_to": "M"},
            {"donor": "F", "amount": 10},
        ],
    )
    sc = Scenario(targets=Targets(0.5, 0.0, 0.0, 0.0), mip_gap=1e-9)
    r = allocate(plan, sc)
    assert r.min_viable.set_index("line_id").loc["M", "status"] == "funded"
    assert funded(r, "M") == pytest.approx(60)
    assert r.unallocated["amount_usd"].sum() == pytest.approx(0.0, abs=0.01)
    target = r.targets.set_index("name").loc["leadership_coordination_share_of_flexible"]
    assert target["shortfall_usd"] == pytest.approx(5.0)
    # The per-pledge reference, stage by stage, agrees.
    ref = solve_reference(plan, sc)
    assert ref.binaries == {"M": 1}
    assert stage(r, "targets") == pytest.approx(ref.stages["targets"], rel=1e-9)


def two_equal_lines() -> Plan:
    """X and Y: same tier, same year; USD 50 funds either's first tranche equally well."""
    return make_plan(
        [line("X", {2027: 100}), line("Y", {2027: 100})],
        [{"donor": "D", "amount": 50}],
    )


def test_stability_keeps_the_reference_allocation_among_equally_good_ones() -> None:
    """Whichever of two equally good lines the reference funded, stability funds it too;
    without stability the earlier stages cannot match both references."""
    plan = two_equal_lines()
    free = allocate(plan, Scenario(targets=NO_TARGETS))
    sc = Scenario(targets=NO_TARGETS, stability="reference")
    moved_without = []
    for chosen in ("X", "Y"):
        reference = pd.DataFrame({"line_id": [chosen], "year": [2027], "funded_usd": [50.0]})
        stable = allocate(plan, sc, reference=reference)
        assert funded(stable, chosen) == pytest.approx(50)
        assert stable.solver.objective == pytest.approx(free.solver.objective)
        report = stable.stability
        assert report is not None and report["applied"] and report["line_years"] == 2
        assert report["moved_with_stability"] == 0
        assert report["distance_with_stability_usd"] == pytest.approx(0.0, abs=0.01)
        moved_without.append(report["moved_without_stability"])
    # 50 on the other line moves two line-years; at least one reference was missed.
    assert set(moved_without) <= {0, 2} and 2 in moved_without


def test_stability_never_gives_up_value_to_stay_close() -> None:
    """A reference that put money on a worse line is not followed."""
    plan = make_plan(
        [line("HI", {2027: 100}, priority=1), line("LO", {2027: 100}, priority=4)],
        [{"donor": "D", "amount": 50}],
    )
    reference = pd.DataFrame({"line_id": ["LO"], "year": [2027], "funded_usd": [50.0]})
    sc = Scenario(targets=NO_TARGETS, stability="reference")
    r = allocate(plan, sc, reference=reference)
    assert funded(r, "HI") == pytest.approx(50)
    assert r.stability is not None and r.stability["moved_with_stability"] == 2


def test_without_a_reference_stability_is_reported_not_applied() -> None:
    plan = two_equal_lines()
    r = allocate(plan, Scenario(targets=NO_TARGETS, stability="reference"))
    assert r.ok and r.stability is None
    assert "stability" not in [s["name"] for s in r.solver.stages]
    reference = pd.DataFrame({"line_id": ["X"], "year": [2027], "funded_usd": [50.0]})
    shown = allocate(plan, Scenario(targets=NO_TARGETS), reference=reference)
    assert shown.stability is not None and not shown.stability["applied"]
    assert "moved_with_stability" not in shown.stability
    with pytest.raises(ValueError, match="funded_usd"):
        AllocationModel.build(plan, Scenario(), reference=reference.drop(columns="funded_usd"))


def test_stability_after_targets_without_the_early_years_stage() -> None:
    """With the early-years stage off, stability follows the targets stage directly (also
    when the targets stage needed no LP of its own): it keeps the reference's line among
    equally good ones, and never gives up the target."""
    plan = make_plan(
        [
            line("X", {2027: 100}),
            line("Y", {2027: 100}),
            line("C", {2027: 100}, category="coordination", priority=4),
        ],
        [{"donor": "D", "amount": 60}],
    )
    weights = Weights(early_year_preference=0.0)
    sc = Scenario(targets=Targets(0.1, 0.0, 0.0, 0.0), weights=weights, stability="reference")
    for chosen in ("X", "Y"):
        reference = pd.DataFrame({"line_id": [chosen], "year": [2027], "funded_usd": [54.0]})
        r = allocate(plan, sc, reference=reference)
        assert [s["name"] for s in r.solver.stages] == ["value", "earmarks", "targets", "stability"]
        # 50 (its first tranche) is as close to 54 as value allows; the other line's first
        # tranche takes the 4 left after the target's 6.
        assert funded(r, chosen) == pytest.approx(50)
        assert funded(r, "C") == pytest.approx(6)
        assert r.stability is not None and r.stability["distance_with_stability_usd"] == (
            pytest.approx(4 + 4 + 6)
        )
