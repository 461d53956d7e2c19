"""Donor-base breadth: hand-computed concentration figures and category shares."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.donor_base import anonymise_breadth, breadth, breadth_change, concentration
from models.plan import EARMARKING, Plan, make_plan
from models.privacy import donor_aliases

LINES = [
    {"line_id": "L1", "pillars": "I", "requirements": {2025: 1000, 2026: 1000}},
    {"line_id": "L2", "pillars": "II", "requirements": {2025: 1000, 2026: 1000}},
]


def four_donor_plan() -> Plan:
    # A=10 unearmarked, B=20 softly, C=30 earmarked, D=40 tightly earmarked (programmable USD).
    return make_plan(
        LINES,
        [
            {"donor": "A", "amount": 10},
            {
                "donor": "B",
                "amount": 20,
                "earmarking": "softly_earmarked",
                "earmark_to": "pillar:I",
            },
            {"donor": "C", "amount": 30, "earmarking": "earmarked", "earmark_to": "L1"},
            {
                "donor": "D",
                "amount": 50,
                "psc_rate": 0.25,  # 50 / 1.25 = 40 programmable
                "earmarking": "tightly_earmarked",
                "earmark_to": "L2",
                "years": 2,
                "confidential": True,
            },
        ],
        donors=[
            {"donor": "A", "donor_type": "member_state", "region": "WEOG", "iati_org_id": ""},
            {
                "donor": "B",
                "donor_type": "member_state",
                "region": "Asia-Pacific",
                "iati_org_id": "",
            },
            {"donor": "C", "donor_type": "private", "region": "n/a", "iati_org_id": ""},
        ],
    )


def test_hand_computed_concentration() -> None:
    fig = breadth(four_donor_plan())
    assert fig["donor_count"] == 4
    assert fig["total_usd"] == pytest.approx(100.0)
    # shares .1 .2 .3 .4: HHI = 100 + 400 + 900 + 1600
    assert fig["hhi"] == pytest.approx(3000.0)
    assert fig["effective_donors"] == pytest.approx(1 / 0.30)
    assert fig["top1_share"] == pytest.approx(0.4)
    assert fig["top3_share"] == pytest.approx(0.9)
    assert fig["top5_share"] == pytest.approx(1.0)
    # sum |xi - xj| over ordered pairs = 200; / (2 n^2 mean) = 200 / 800
    assert fig["gini"] == pytest.approx(0.25)
    expected: list[list[float]] = [[0, 0], [0.25, 0.1], [0.5, 0.3], [0.75, 0.6], [1, 1]]
    for (x, y), (ex, ey) in zip(fig["lorenz"], expected, strict=True):
        assert x == pytest.approx(ex)
        assert y == pytest.approx(ey)


def test_hand_computed_category_shares() -> None:
    fig = breadth(four_donor_plan())
    assert fig["by_earmarking"] == pytest.approx(
        {"unearmarked": 0.1, "softly_earmarked": 0.2, "earmarked": 0.3, "tightly_earmarked": 0.4}
    )
    assert list(fig["by_earmarking"]) == list(EARMARKING)  # the Grand Bargain spectrum order
    assert list(fig["by_status"]) == ["paid", "committed", "pledged"]
    assert fig["flexible_share"] == pytest.approx(0.3)
    assert fig["flexible_donor_count"] == 2
    assert fig["grand_bargain_target"] == 0.30
    assert fig["flexible_gap_to_target_usd"] == pytest.approx(0.0, abs=1e-9)
    assert fig["by_donor_type"] == pytest.approx(
        {"member_state": 0.3, "private": 0.3, "other": 0.4}
    )
    assert fig["by_region"] == pytest.approx({"WEOG": 0.1, "Asia-Pacific": 0.2, "n/a": 0.7})
    assert fig["multiyear_share"] == pytest.approx(0.4)  # only D spreads over two years
    assert fig["confidential_donor_count"] == 1
    assert [d["donor"] for d in fig["donors"]] == ["D", "C", "B", "A"]
    assert fig["donors"][0]["confidential"] is True
    assert fig["new_donors"] is None


def test_new_donors_against_previous_cycle() -> None:
    fig = breadth(four_donor_plan(), previous_donors=["A", "C", "Z"])
    assert fig["new_donors"] == ["B", "D"]
    assert fig["new_donor_count"] == 2
    assert fig["new_donor_share"] == pytest.approx(0.6)


def test_horizon_counts_early_money_and_drops_late_money() -> None:
    plan = make_plan(
        LINES,
        [
            {"donor": "Early", "amount": 100, "first_year": 2023},  # before the horizon: counts
            {"donor": "Late", "amount": 100, "first_year": 2027},  # after it: does not
            {"donor": "Split", "amount": 100, "first_year": 2026, "years": 2},  # half counts
        ],
    )
    fig = breadth(plan)
    assert fig["donor_count"] == 2
    assert fig["total_usd"] == pytest.approx(150.0)
    assert {d["donor"]: d["programmable_usd"] for d in fig["donors"]} == pytest.approx(
        {"Early": 100.0, "Split": 50.0}
    )


def test_empty_plan_gives_zeros_not_errors() -> None:
    fig = breadth(make_plan(LINES, []))
    assert fig["donor_count"] == 0
    assert fig["hhi"] == 0.0
    assert fig["flexible_share"] == 0.0
    assert fig["donors"] == []


def test_anonymised_figures_hide_confidential_names() -> None:
    plan = four_donor_plan()
    fig = anonymise_breadth(breadth(plan), donor_aliases(plan))
    names = [d["donor"] for d in fig["donors"]]
    assert "D" not in names
    assert "Anonymous donor 1" in names


def test_breadth_change_after_losing_top_donor() -> None:
    plan = four_donor_plan()
    before = breadth(plan)
    after = breadth(plan.without_donors(["D"]))
    change = breadth_change(before, after)
    assert change["donor_count"] == -1
    assert change["total_usd"] == pytest.approx(-40.0)
    assert change["flexible_share"] == pytest.approx(0.5 - 0.3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e9), min_size=1, max_size=30))
def test_concentration_invariants(amounts: list[float]) -> None:
    fig = concentration(amounts)
    n = len(amounts)
    assert 10_000 / n - 1e-6 <= fig["hhi"] <= 10_000 + 1e-6
    assert 1 - 1e-9 <= fig["effective_donors"] <= n + 1e-9
    assert 0 <= fig["gini"] < 1
    assert fig["top1_share"] <= fig["top3_share"] <= fig["top5_share"] <= 1 + 1e-12
    ys = [y for _, y in fig["lorenz"]]
    assert ys == sorted(ys)
    assert ys[-1] == 1.0
    # Lorenz curve lies on or below the diagonal.
    assert all(y <= x + 1e-9 for x, y in fig["lorenz"])
    assert math.isclose(fig["effective_donors"] * fig["hhi"], 10_000, rel_tol=1e-9)
