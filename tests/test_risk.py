"""Pledge-risk simulation: collapse to the plan when certain, seed reproducibility, quantile
order, probabilities, progress and cancel."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import allocation, risk
from models.allocation import AllocationInputError
from models.plan import Plan, make_plan
from models.scenario import Risk, Scenario


def small_plan() -> Plan:
    return make_plan(
        [
            {
                "line_id": "LEAD",
                "category": "leadership",
                "priority": 1,
                "requirements": {2025: 100, 2026: 100},
            },
            {
                "line_id": "FLAG",
                "category": "flagship",
                "priority": 2,
                "min_viable_share": 0.5,
                "requirements": {2025: 200, 2026: 200},
            },
            {"line_id": "ENT", "entity": "UNODC", "priority": 3, "requirements": {2025: 80}},
        ],
        [
            {"donor": "A", "amount": 150, "status": "paid", "years": 2},
            {"donor": "B", "amount": 120, "status": "pledged"},
            {"donor": "C", "amount": 90, "status": "committed", "first_year": 2026},
            {
                "donor": "D",
                "amount": 70,
                "status": "pledged",
                "earmarking": "earmarked",
                "earmark_to": "FLAG",
            },
            {
                "donor": "E",
                "amount": 40,
                "status": "pledged",
                "earmarking": "softly_earmarked",
                "earmark_to": "entity:UNODC",
            },
        ],
    )


def certain() -> Scenario:
    s = Scenario()
    s.risk = Risk(status_probability={"paid": 1.0, "committed": 1.0, "pledged": 1.0})
    return s


def test_all_pledges_certain_collapses_to_the_deterministic_plan() -> None:
    plan = small_plan()
    scenario = certain()
    result = risk.simulate(plan, scenario, draws=12, seed=3, workers=2)
    det = allocation.allocate(plan, scenario).lines.set_index(["line_id", "year"])
    sim = result.lines.set_index(["line_id", "year"])
    assert result.draws_done == 12
    assert result.failed_draws == 0
    for col in ("funded_p10", "funded_p50", "funded_p90", "funded_mean"):
        np.testing.assert_allclose(
            sim[col].to_numpy(), det.loc[sim.index, "funded_usd"].to_numpy(), atol=1e-6
        )
    np.testing.assert_allclose(
        sim["gap_p50"].to_numpy(), det.loc[sim.index, "gap_usd"].to_numpy(), atol=1e-6
    )
    total = float(det["funded_usd"].sum())
    assert result.totals["funded_p10"] == pytest.approx(total, abs=1e-6)
    assert result.totals["funded_p90"] == pytest.approx(total, abs=1e-6)
    assert all(abs(x - total) < 1e-6 for x in result.total_funded_draws)


def test_same_seed_identical_whatever_the_worker_count() -> None:
    plan = small_plan()
    runs = {
        (w, chunk): risk.simulate(plan, Scenario(), draws=40, seed=11, workers=w, chunk_size=chunk)
        for w in (1, 2, 3)
        for chunk in (3, None)
    }
    for chunk in (3, None):
        a = runs[(1, chunk)]
        for w in (2, 3):
            other = runs[(w, chunk)]
            assert other.workers == w
            pd.testing.assert_frame_equal(a.lines, other.lines, check_exact=True)
            pd.testing.assert_frame_equal(a.by_line, other.by_line, check_exact=True)
            pd.testing.assert_frame_equal(a.min_viable, other.min_viable, check_exact=True)
            assert a.totals == other.totals
            assert a.total_funded_draws == other.total_funded_draws
    again = risk.simulate(plan, Scenario(), draws=40, seed=11, workers=2)
    assert again.total_funded_draws == runs[(2, None)].total_funded_draws


def test_different_seeds_differ_and_risk_lowers_funding() -> None:
    plan = small_plan()
    a = risk.simulate(plan, Scenario(), draws=60, seed=1, workers=1)
    b = risk.simulate(plan, Scenario(), draws=60, seed=2, workers=1)
    assert a.total_funded_draws != b.total_funded_draws
    det = float(allocation.allocate(plan, Scenario()).lines["funded_usd"].sum())
    assert a.totals["funded_p10"] < det
    assert a.totals["funded_p90"] <= det + 1e-6


def test_each_draw_is_the_plan_without_the_pledges_that_did_not_materialise() -> None:
    """Replay the documented draws (one uniform per pledge, in pledge_id order, per draw, from
    default_rng(seed)) and solve each drawn plan from scratch: the simulation's per-draw total
    and its minimum-viable probability must be those of the rebuilt plans."""
    plan = small_plan()
    scenario = Scenario()
    draws, seed = 40, 7
    result = risk.simulate(plan, scenario, draws=draws, seed=seed, workers=2, chunk_size=7)
    probs = risk.pledge_probabilities(plan, scenario.risk)
    uniforms = np.random.default_rng(seed).random((draws, len(probs)))
    got = uniforms < probs["probability"].to_numpy()[None, :]
    donors = probs["donor"].to_numpy()  # one pledge per donor in this plan
    solved: dict[tuple[bool, ...], tuple[float, bool]] = {}
    totals, flag_viable = [], []
    for row in got:
        key = tuple(bool(x) for x in row)
        if key not in solved:
            r = allocation.allocate(plan.without_donors(list(donors[~row])), scenario)
            status = r.min_viable.set_index("line_id").loc["FLAG", "status"]
            solved[key] = (float(r.lines["funded_usd"].sum()), status == "funded")
        totals.append(solved[key][0])
        flag_viable.append(solved[key][1])
    assert len(solved) > 3  # the draws really vary
    np.testing.assert_allclose(result.total_funded_draws, totals, atol=1e-6)
    assert float(result.min_viable["probability_funded"].iloc[0]) == pytest.approx(
        float(np.mean(flag_viable))
    )


def test_nothing_materialises_means_nothing_funded() -> None:
    plan = small_plan()
    scenario = Scenario()
    scenario.risk = Risk(status_probability={"paid": 0.0, "committed": 0.0, "pledged": 0.0})
    result = risk.simulate(plan, scenario, draws=5, seed=0, workers=1)
    assert result.totals["funded_p90"] == 0.0
    assert result.totals["gap_p10"] == pytest.approx(result.totals["requirement_usd"])
    assert result.min_viable["probability_funded"].tolist() == [0.0]
    assert (result.by_line["probability_fully_funded"] == 0.0).all()


def test_probabilities_by_status_and_donor_override() -> None:
    plan = small_plan()
    probs = risk.pledge_probabilities(
        plan, Risk(status_probability={"pledged": 0.5}, donor_probability={"D": 0.2})
    )
    by_donor = dict(zip(probs["donor"], probs["probability"], strict=True))
    # Status defaults fill the statuses the scenario leaves out (paid 1.0, committed 0.95).
    assert by_donor == {"A": 1.0, "B": 0.5, "C": 0.95, "D": 0.2, "E": 0.5}
    assert probs["pledge_id"].tolist() == sorted(probs["pledge_id"])


def _binary_plan(probabilities: list[float]) -> tuple[Plan, Scenario]:
    """Pledge i (USD 1,000 x 2**i, no PSC) is the only money of line Li and exactly its
    need: Li is fully funded in a draw iff pledge i materialised, and the draw's total
    funded spells out, bit by bit, which pledges did."""
    lines = [
        {"line_id": f"L{i}", "priority": 1, "requirements": {2025: 1000.0 * 2**i}}
        for i in range(len(probabilities))
    ]
    pledges = [
        {
            "pledge_id": f"P{i}",
            "donor": f"D{i}",
            "amount": 1000.0 * 2**i,
            "psc_rate": 0.0,
            "status": "paid",  # status alone would say 1.0: the donor probability wins
            "earmarking": "earmarked",
            "earmark_to": f"L{i}",
        }
        for i in range(len(probabilities))
    ]
    scenario = Scenario()
    scenario.risk = Risk(donor_probability={f"D{i}": p for i, p in enumerate(probabilities)})
    return make_plan(lines, pledges), scenario


def test_draws_materialise_each_pledge_with_its_probability() -> None:
    probabilities = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    plan, scenario = _binary_plan(probabilities)
    n = 2000
    result = risk.simulate(plan, scenario, draws=n, seed=5, workers=2)
    assert result.draws_done == n and result.failed_draws == 0
    units = np.rint(np.asarray(result.total_funded_draws) / 1000.0).astype(np.int64)
    materialised = (units[:, None] >> np.arange(len(probabilities))[None, :]) & 1  # draws x pledges
    freq = materialised.mean(axis=0)
    for i, p in enumerate(probabilities):
        # Within 4.5 standard errors of a binomial(n, p) frequency; exact at p = 0 and 1.
        bound = 4.5 * math.sqrt(p * (1 - p) / n)
        assert abs(freq[i] - p) <= bound, (i, p, freq[i])
    assert freq[0] == 0.0  # a probability-0 donor never materialises
    assert freq[-1] == 1.0
    # Pledges are drawn independently: P(both) = P(one) * P(other).
    joint = float((materialised[:, 2] & materialised[:, 3]).mean())
    assert abs(joint - 0.25 * 0.5) <= 4.5 * math.sqrt(0.125 * 0.875 / n)
    # The per-line figures are the same draws: fully funded exactly when its pledge came.
    full = result.by_line.set_index("line_id")["probability_fully_funded"]
    for i in range(len(probabilities)):
        assert full[f"L{i}"] == pytest.approx(freq[i])
    assert result.to_dict()["expected_materialised_share"] == pytest.approx(
        sum(p * 2**i for i, p in enumerate(probabilities)) / sum(2**i for i in range(6))
    )


def test_progress_and_cancel() -> None:
    plan = small_plan()
    seen: list[tuple[int, int]] = []
    result = risk.simulate(
        plan,
        Scenario(),
        draws=30,
        seed=1,
        workers=1,
        chunk_size=5,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(5 * i, 30) for i in range(1, 7)]
    assert not result.cancelled

    def stop_after(n: int) -> risk.StopCheck:
        calls: list[int] = []

        def stop() -> bool:
            calls.append(1)
            return len(calls) > n  # the first check is before any chunk

        return stop

    cancelled = risk.simulate(
        plan, Scenario(), draws=30, seed=1, workers=1, chunk_size=5, should_stop=stop_after(2)
    )
    assert cancelled.cancelled
    assert cancelled.draws_done == 10
    assert cancelled.draws == 30
    json.dumps(cancelled.to_dict())  # still a usable, JSON-safe result

    pooled = risk.simulate(
        plan, Scenario(), draws=400, seed=1, workers=2, chunk_size=5, should_stop=stop_after(2)
    )
    assert pooled.cancelled
    assert pooled.workers == 2
    assert 5 <= pooled.draws_done < 400


def test_invalid_settings_are_clear_errors() -> None:
    with pytest.raises(risk.RiskError, match="draws"):
        risk.simulate(small_plan(), Scenario(), draws=0)
    with pytest.raises(risk.RiskError, match="workers"):
        risk.simulate(small_plan(), Scenario(), draws=1, workers=0)


def assert_ordered(frame: pd.DataFrame | dict[str, Any], prefix: str) -> None:
    p10, p50, p90 = (np.asarray(frame[f"{prefix}_p{q}"], dtype=float) for q in (10, 50, 90))
    assert np.all(p10 <= p50)
    assert np.all(p50 <= p90)


@settings(max_examples=12, deadline=None)
@given(
    amounts=st.lists(st.floats(min_value=1, max_value=500), min_size=1, max_size=6),
    statuses=st.lists(st.sampled_from(["paid", "committed", "pledged"]), min_size=6, max_size=6),
    p=st.floats(min_value=0, max_value=1),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_quantiles_are_ordered_everywhere(
    amounts: list[float], statuses: list[str], p: float, seed: int
) -> None:
    plan = make_plan(
        [
            {"line_id": "L1", "priority": 1, "requirements": {2025: 300, 2026: 300}},
            {"line_id": "L2", "priority": 3, "min_viable_share": 0.4, "requirements": {2025: 400}},
        ],
        [
            {"donor": f"D{i}", "amount": a, "status": statuses[i], "first_year": 2025 + i % 2}
            for i, a in enumerate(amounts)
        ],
    )
    scenario = Scenario()
    scenario.risk = Risk(status_probability={"paid": 1.0, "committed": 0.9, "pledged": p})
    result = risk.simulate(plan, scenario, draws=15, seed=seed, workers=1)
    for frame in (result.lines, result.by_line, result.totals):
        assert_ordered(frame, "funded")
        assert_ordered(frame, "gap")
    assert_ordered(result.totals, "firm")
    # A frequency over the draws, consistent with the funded quantiles.
    n = result.draws_done
    full = result.by_line["probability_fully_funded"].to_numpy(dtype=float)
    np.testing.assert_allclose(full * n, np.round(full * n), atol=1e-9)
    req = result.by_line["requirement_usd"].to_numpy(dtype=float)
    always = full == 1.0
    never = full == 0.0
    assert np.all(result.by_line["funded_p10"].to_numpy()[always] >= req[always] - 0.01)
    assert np.all(result.by_line["funded_p90"].to_numpy()[never] < req[never] - 0.01)


def test_all_paid_with_default_probabilities_is_the_plan() -> None:
    base = small_plan()
    plan = base.replace(pledges=base.pledges.assign(status="paid"))
    result = risk.simulate(plan, Scenario(), draws=6, seed=9, workers=1)
    det = allocation.allocate(plan, Scenario())
    total = float(det.lines["funded_usd"].sum())
    assert result.totals["funded_p10"] == pytest.approx(total, abs=1e-6)
    assert result.totals["funded_p90"] == pytest.approx(total, abs=1e-6)
    assert result.totals["firm_p50"] == pytest.approx(total, abs=1e-6)  # paid money is firm
    assert result.to_dict()["expected_materialised_share"] == 1.0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_model_that_cannot_be_built_raises_the_same_clear_error(workers: int) -> None:
    scenario = Scenario.from_dict({"weights": {"criteria": {"innovation": 1.0}}})
    with pytest.raises(AllocationInputError, match="score_innovation"):
        risk.simulate(small_plan(), scenario, draws=10, seed=1, workers=workers)
