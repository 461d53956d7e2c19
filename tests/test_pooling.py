"""Pooling: interchangeable money shares a pool; money that cannot be used is set aside with
its reason before the model is built."""

from __future__ import annotations

from typing import Any

import pytest

from models.plan import make_plan
from models.pooling import AllocationInputError, check_data, pool_pledges
from models.scenario import Scenario


def line(line_id: str, req: dict[int, float], **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "requirements": req, **kw}


LINES = [
    line("A", {2027: 100, 2028: 100}, pillars="I", themes="gender"),
    line("B", {2027: 100, 2028: 100}, pillars="II", themes="gender"),
    line("C", {2028: 100}, pillars="II"),
]


def test_interchangeable_pledges_share_a_pool() -> None:
    pledges = [
        {"pledge_id": "u1", "donor": "D", "amount": 10},
        {"pledge_id": "u2", "donor": "E", "amount": 20},  # same: unearmarked, 2027
        {"pledge_id": "u3", "donor": "E", "amount": 20, "first_year": 2028},  # later year
        # theme:gender is {A, B}; pillar:I;pillar:II is {A, B, C} = all lines but flexible
        # too, so it joins the unearmarked pool.
        {"pledge_id": "s1", "donor": "F", "amount": 5, "earmarking": "softly_earmarked",
         "earmark_to": "theme:gender"},
        {"pledge_id": "s2", "donor": "F", "amount": 5, "earmarking": "softly_earmarked",
         "earmark_to": "pillar:I;pillar:II"},
        {"pledge_id": "e1", "donor": "G", "amount": 7, "earmarking": "earmarked",
         "earmark_to": "A"},
        {"pledge_id": "e2", "donor": "H", "amount": 3, "earmarking": "tightly_earmarked",
         "earmark_to": "A"},
    ]  # fmt: skip
    pools = pool_pledges(make_plan(LINES, pledges), Scenario())
    pool_of = dict(zip(pools.tranches["pledge_id"], pools.tranches["pool"], strict=True))
    assert pool_of["u1"] == pool_of["u2"] == pool_of["s2"] == pools.probe
    assert pool_of["u3"] != pool_of["u1"]
    assert pool_of["s1"] not in (pool_of["u1"], pool_of["e1"])
    assert pool_of["e1"] == pool_of["e2"]
    assert pools.n_pools == 4
    assert pools.pool_supply[pools.probe] == pytest.approx(35)
    assert pools.pool_supply.sum() == pytest.approx(70)


def test_probe_pool_exists_without_unearmarked_money() -> None:
    pledges = [{"donor": "G", "amount": 7, "earmarking": "earmarked", "earmark_to": "A"}]
    pools = pool_pledges(make_plan(LINES, pledges), Scenario())
    assert pools.pool_supply[pools.probe] == 0
    assert pools.pool_flexible[pools.probe]
    assert len(pools.elig_sets[pools.pool_set[pools.probe]]) == 3


def test_money_set_aside_before_the_model_has_its_reason() -> None:
    pledges = [
        {"pledge_id": "late", "donor": "D", "amount": 10, "first_year": 2030},
        {"pledge_id": "after", "donor": "D", "amount": 10, "first_year": 2028,
         "earmarking": "earmarked", "earmark_to": "NEEDS_2027"},
        {"pledge_id": "none", "donor": "D", "amount": 10, "earmarking": "earmarked",
         "earmark_to": "ZERO"},
        {"pledge_id": "excl", "donor": "X", "amount": 10},
        {"pledge_id": "ok", "donor": "D", "amount": 10, "first_year": 2026},
    ]  # fmt: skip
    lines = [*LINES, line("NEEDS_2027", {2027: 50}), line("ZERO", {2027: 0})]
    pools = pool_pledges(make_plan(lines, pledges), Scenario(excluded_donors=["X"]))
    reason = dict(zip(pools.tranches["pledge_id"], pools.tranches["reason"], strict=True))
    assert reason == {
        "late": "arrives_after_horizon",
        "after": "arrives_after_need",
        "none": "no_eligible_need_in_horizon",
        "excl": "donor_excluded",
        "ok": "",
    }
    # Money from before the horizon is available from its first year.
    ok = pools.tranches.set_index("pledge_id").loc["ok"]
    assert ok["pool"] == pools.probe and ok["avail"] == 0


def test_pools_split_by_donor_only_when_a_donor_cap_applies() -> None:
    pledges = [{"donor": "D", "amount": 10}, {"donor": "E", "amount": 10}]
    plan = make_plan(LINES, pledges)
    assert pool_pledges(plan, Scenario()).n_pools == 1
    split = pool_pledges(plan, Scenario(donor_line_cap_share=0.5))
    assert split.n_pools == 3  # D, E and the probe ("the next donor")
    assert set(split.pool_donor) >= {"D", "E"}


def test_scenario_horizon_limits_the_years() -> None:
    pledges = [{"donor": "D", "amount": 10, "first_year": 2028}]
    pools = pool_pledges(make_plan(LINES, pledges), Scenario(end_year=2027))
    assert pools.years == [2027]
    assert list(pools.tranches["reason"]) == ["arrives_after_horizon"]


def test_check_data_refuses_a_horizon_without_requirement_years() -> None:
    # The plan's own rules are checked where plans are made (tests/test_schemas.py); what the
    # model checks is what depends on the run: the scenario's horizon.
    plan = make_plan(LINES, [{"donor": "D", "amount": 10}])
    check_data(plan, Scenario(start_year=2027, end_year=2027))
    with pytest.raises(AllocationInputError, match="start_year/end_year"):
        check_data(plan, Scenario(start_year=2040))
    with pytest.raises(AllocationInputError, match="start_year/end_year"):
        check_data(plan, Scenario(end_year=2020))
