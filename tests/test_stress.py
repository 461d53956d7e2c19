"""Donor-loss stress tests: exact removal of the named donors' money, top-k cases, min-viable."""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import pytest

from appeal.importer import load_sample_plan
from models import allocation, stress
from models.donor_base import breadth
from models.plan import Plan, make_plan
from models.privacy import donor_aliases
from models.scenario import Scenario


@cache
def sample() -> Plan:
    plan, _ = load_sample_plan()
    return plan


def horizon_money(plan: Plan) -> pd.Series:
    """Programmable USD per donor of tranches up to the last horizon year (independent calc)."""
    last = max(plan.years)
    t = plan.tranches[plan.tranches["year"] <= last].merge(
        plan.pledges[["pledge_id", "donor"]], on="pledge_id"
    )
    return t.groupby("donor")["programmable_usd"].sum()


def test_sample_removes_exactly_the_named_donors_money() -> None:
    plan = sample()
    money = horizon_money(plan)
    confidential = sorted(set(plan.pledges.loc[plan.pledges["confidential"], "donor"]))
    named = [str(money.idxmax()), confidential[0]]
    case = stress.donor_loss(plan, Scenario(), named)
    assert case.removed_donors == named
    assert case.removed_usd == pytest.approx(float(money[named].sum()), abs=0.005)
    assert case.breadth_before["total_usd"] - case.breadth_after["total_usd"] == pytest.approx(
        float(money[named].sum()), abs=0.005
    )
    assert case.breadth_change["donor_count"] == -2
    # The re-solved allocation uses no money of the removed donors, and nothing else is lost.
    after = case.result_after
    assert after is not None
    assert len(after.allocations) > 0  # the rest of the money still funds lines
    assert not after.allocations["donor"].isin(named).any()
    remaining_pledges = plan.without_donors(named).pledges
    assert set(remaining_pledges["donor"]).isdisjoint(named)
    assert len(remaining_pledges) == (~plan.pledges["donor"].isin(named)).sum()
    assert case.totals["funded_after"] <= float(money.drop(named).sum()) + 0.01
    # Line table is consistent.
    lines = case.lines
    assert (lines["gap_after"] - lines["gap_before"]).sum() == pytest.approx(
        case.totals["gap_change"], abs=0.01
    )


def test_top_k_cases_are_cumulative_largest_donors() -> None:
    plan = sample()
    report = stress.run(plan, Scenario(), top_k=3)
    order = [d["donor"] for d in breadth(plan)["donors"]]
    assert [c.removed_donors for c in report.cases] == [order[:1], order[:2], order[:3]]
    assert [c.label for c in report.cases] == ["top 1 donor", "top 2 donors", "top 3 donors"]
    counts = [c.breadth_after["donor_count"] for c in report.cases]
    assert counts == [len(order) - 1, len(order) - 2, len(order) - 3]
    removed = [c.removed_usd for c in report.cases]
    assert removed == sorted(removed)


def test_to_dict_never_names_confidential_donors() -> None:
    plan = sample()
    confidential = sorted(set(plan.pledges.loc[plan.pledges["confidential"], "donor"]))
    report = stress.run(plan, Scenario(), top_k=1, named=[confidential[:1]])
    text = json.dumps(report.to_dict(donor_aliases(plan)))
    for name in confidential:
        assert name not in text
    assert "Anonymous donor" in text
    revealed = json.dumps(report.to_dict(donor_aliases(plan, reveal=True)))
    assert confidential[0] in revealed


def test_unknown_donor_is_a_clear_error() -> None:
    plan = make_plan(
        [{"line_id": "L1", "requirements": {2025: 100}}], [{"donor": "A", "amount": 5}]
    )
    with pytest.raises(stress.UnknownDonor, match="'Nobody'"):
        stress.donor_loss(plan, Scenario(), ["A", "Nobody"])
    with pytest.raises(ValueError, match="top_k"):
        stress.run(plan, Scenario(), top_k=-1)


def test_min_viable_met_rule() -> None:
    plan = make_plan(
        [
            {"line_id": "MV", "min_viable_share": 0.5, "requirements": {2025: 100, 2026: 100}},
            {"line_id": "FREE", "requirements": {2025: 100}},
        ],
        [{"donor": "A", "amount": 1}],
    )
    result = allocation.allocate(plan, Scenario())
    lines = result.lines.copy()

    def fund(amounts: dict[tuple[str, int], float]) -> None:
        keys = list(zip(lines["line_id"], lines["year"], strict=True))
        lines["funded_usd"] = [amounts.get((str(lid), int(y)), 0.0) for lid, y in keys]
        result.lines = lines

    fund({("MV", 2025): 60.0, ("MV", 2026): 40.0})  # 100 of 200: exactly the minimum
    assert stress.min_viable_met(plan, result) == {"MV": True}
    fund({("MV", 2025): 60.0, ("MV", 2026): 39.0})
    assert stress.min_viable_met(plan, result) == {"MV": False}
    fund({("FREE", 2025): 100.0})
    assert stress.min_viable_met(plan, result) == {"MV": False}


def test_losing_the_big_donor_drops_a_programme_below_minimum_viable() -> None:
    plan = make_plan(
        [
            {"line_id": "MV", "priority": 1, "min_viable_share": 0.5, "requirements": {2025: 100}},
            {"line_id": "OTHER", "priority": 4, "requirements": {2025: 100}},
        ],
        [
            {"donor": "Big", "amount": 60},
            {"donor": "Small", "amount": 20},
        ],
    )
    case = stress.donor_loss(plan, Scenario(), ["Big"])
    assert case.below_min_viable == ["MV"]
    assert case.text() == (
        "If Big withdrew, the gap would grow by USD 0.00 million; these programmes would "
        "fall below minimum viable: MV."
    )
    funded_before = dict(zip(case.lines["line_id"], case.lines["funded_before"], strict=True))
    assert funded_before["MV"] >= 50 - 0.01
    assert case.totals["gap_change"] == pytest.approx(60.0, abs=0.01)
