"""The result JSON's issue-14 keys: sensitivity ranges, the stability report, the stages and
fallback in solver, the explanations' figures, each cut programme's viable_at_extra_usd and
each target's limited_by; existing keys keep their shape."""

from __future__ import annotations

import json

import pandas as pd

from appeal.pipeline import PlanRun
from appeal.report import RESULT_KEYS, result_json
from models.allocation import allocate
from models.plan import Plan
from models.scenario import Scenario


def test_result_json_has_the_new_keys_and_is_json_safe(sample_plan: Plan) -> None:
    sc = Scenario(stability="reference")
    first = allocate(sample_plan, Scenario())
    result = allocate(sample_plan, sc, reference=first.lines)
    data = result_json(PlanRun(sample_plan, sc, result, {}))
    assert set(data) == set(RESULT_KEYS)
    text = json.dumps(data, allow_nan=False)  # NaN would not be JSON
    assert "NaN" not in text
    # Sensitivity: one row per tier, the tranche weight and each target that is on.
    params = [r["parameter"] for r in data["sensitivity"]]
    assert params[:5] == [f"weights.tier.{t}" for t in (1, 2, 3, 4)] + ["weights.tranche_weight"]
    assert set(params[5:]) == {f"targets.{t['name']}" for t in data["targets"]}
    for row in data["sensitivity"]:
        assert row["lower"] is None or row["lower"] <= row["value"] <= row["upper"]
    # Stability against itself: nothing moves.
    stability = data["stability"]
    assert stability["applied"] and stability["moved_with_stability"] == 0
    assert stability["line_years"] == len(data["lines"])
    # The solver says which stages ran, and that no fallback was needed.
    names = [s["name"] for s in data["solver"]["stages"]]
    assert names == ["value", "earmarks", "targets", "early_years", "stability"]
    assert data["solver"]["fallback"] is None
    assert {"name", "status", "seconds", "mip_gap", "objective", "message"} <= set(data["solver"])
    # Explanations carry their figures; cut programmes their threshold; targets their limit.
    assert {"reason", "text", "value_per_usd", "best_use_per_usd"} <= set(data["explanations"][0])
    cut = [m for m in data["min_viable"] if m["status"] == "cut"]
    assert all("viable_at_extra_usd" in m for m in data["min_viable"])
    assert all(m["viable_at_extra_usd"] is None or m["viable_at_extra_usd"] > 0 for m in cut)
    assert all("limited_by" in t for t in data["targets"])
    # The contract's own keys are unchanged.
    assert list(pd.DataFrame(data["lines"]).columns[:6]) == [
        "line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd",
    ]  # fmt: skip
    assert set(data["totals"]) == {
        "requirement_usd",
        "funded_usd",
        "firm_usd",
        "gap_usd",
        "coverage",
    }
