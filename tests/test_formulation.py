"""The allocation model's structure: named families cover every row and column, money
right-hand sides have one source, and the labelled matrix builder refuses mistakes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.allocation import AllocationModel
from models.formulation import TARGET_SETTINGS, active_targets, build_formulation
from models.matrix import MatrixBuilder
from models.plan import Plan, make_plan
from models.pooling import pool_pledges
from models.scenario import Scenario, Targets


def line(line_id: str, req: dict[int, float], **kw: Any) -> dict[str, Any]:
    return {"line_id": line_id, "requirements": req, **kw}


def plan() -> Plan:
    return make_plan(
        [
            line("A", {2027: 100, 2028: 100}, priority=1, min_viable_share=0.5),
            line("B", {2027: 80, 2029: 120}, priority=2, themes="gender"),
            line("C", {2028: 200}, priority=3, category="leadership"),
            line("Z", {2027: 0}, priority=4),
        ],
        [
            {"pledge_id": "p1", "donor": "D", "amount": 150, "years": 2},
            {"pledge_id": "p2", "donor": "E", "amount": 90, "earmarking": "earmarked",
             "earmark_to": "B", "first_year": 2028},
            {"pledge_id": "p3", "donor": "F", "amount": 60, "first_year": 2029},
            {"pledge_id": "p4", "donor": "D", "amount": 70, "earmarking": "softly_earmarked",
             "earmark_to": "theme:gender"},
        ],
    )  # fmt: skip


SCENARIO = Scenario(targets=Targets(0.1, 0.0, 0.3, 0.0), donor_line_cap_share=0.6)


def test_families_cover_every_row_and_column_once() -> None:
    p = plan()
    pools = pool_pledges(p, SCENARIO)
    form = build_formulation(p, SCENARIO, pools)
    m, sets = form.matrix, form.sets
    for families, total in ((m.col_families, m.n_cols), (m.row_families, m.n_rows)):
        covered = np.concatenate([np.arange(r.start, r.stop) for r in families.values()])
        assert sorted(covered.tolist()) == list(range(total))  # no gaps, no overlaps
    # Line-years with a need: A 2, B 2, C 1 (Z needs nothing).
    assert sets.n_ly == 5
    assert len(m.rows("link")) == len(m.cols("first_tranche")) == len(m.cols("second_tranche"))
    assert len(m.rows("link")) == sets.n_ly
    assert len(m.rows("balance")) == len(m.cols("carry")) == sets.n_carry
    assert [pools.line_ids[i] for i in sets.mv_lines] == ["A"]
    assert len(m.cols("viable")) == 1 and m.integer[m.cols("viable")].all()
    assert len(m.rows("min_viable_floor")) == 1
    assert len(m.rows("min_viable_ceiling")) == 2 * 2  # A's two line-years, two tranches
    # Every target kind has its row (so stage 1 is the same with targets on or off); the
    # active ones are those with a share.
    assert [t.name for t in form.targets] == list(TARGET_SETTINGS)
    assert (
        [t.name for t in form.active_targets]
        == [t.name for t in active_targets(p.programmes, SCENARIO)]
        == ["leadership_coordination_share_of_flexible", "gender_share"]
    )
    assert len(m.rows("target")) == len(m.cols("shortfall")) == 4
    assert len(m.rows("donor_cap")) > 0
    # One min_viable_money row per (group, minimum-viable line) that a spend column links.
    col_line = sets.ly_line[sets.col_ly]
    pairs = {(g, ln) for g, ln in zip(sets.col_group, col_line, strict=True) if ln in sets.mv_lines}
    assert len(m.rows("min_viable_money")) == len(pairs) > 0
    assert len(m.rows("earmark_guard")) == 1
    assert not form.has_reference and len(m.cols("stability_up")) == len(m.rows("stability")) == 0
    # Line-year caps are the tranche bounds: half the requirement each (default share 0.5).
    np.testing.assert_allclose(m.col_hi[m.cols("first_tranche")], 0.5 * sets.ly_req)
    np.testing.assert_allclose(m.col_hi[m.cols("second_tranche")], 0.5 * sets.ly_req)


def test_money_bounds_are_the_built_right_hand_sides() -> None:
    """The build and every re-solve take money (right-hand sides, the minimum-viable money
    caps) from one place."""
    p = plan()
    pools = pool_pledges(p, SCENARIO)
    form = build_formulation(p, SCENARIO, pools)
    for rows, lo, hi in (
        form.money_bounds(pools, pools.pool_supply),
        form.target_bounds(pools, pools.pool_supply),
    ):
        np.testing.assert_array_equal(form.matrix.row_lo[rows], lo)
        np.testing.assert_array_equal(form.matrix.row_hi[rows], hi)
    rows, cols, vals = form.money_coefficients(pools, pools.pool_supply)
    built = dict(
        zip(zip(form.matrix.a_row.tolist(), form.matrix.a_col.tolist(), strict=True),
            form.matrix.a_val.tolist(), strict=True)
    )  # fmt: skip
    assert [built[(int(r), int(c))] for r, c in zip(rows, cols, strict=True)] == vals.tolist()
    # A cap is the group's money or the line's need, whichever is smaller (never below a cent).
    half = pools.pool_supply / 2
    _, _, halved = form.money_coefficients(pools, half)
    assert (np.abs(halved) <= np.abs(vals) + 1e-9).all() and (np.abs(halved) >= 0.01).all()
    # Each pool's money arrives on its own balance row, and nothing else arrives.
    arriving = form.matrix.row_lo[form.arrival_rows]
    np.testing.assert_allclose(arriving, pools.pool_supply)
    assert form.matrix.row_lo[form.matrix.rows("balance")].sum() == pytest.approx(
        pools.pool_supply.sum()
    )


def test_matrix_builder_refuses_mistakes() -> None:
    m = MatrixBuilder()
    m.add_variables("x", 3, upper=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="defined twice"):
        m.add_variables("x", 1)
    with pytest.raises(ValueError, match="expected 3 values"):
        m.set_cost("x", np.ones(2), "value")
    rows = m.add_constraints("sum", 1, upper=4.0)
    m.add_terms(np.zeros(3, dtype=np.int64), m.cols("x"), 1.0)
    built = m.build()
    with pytest.raises(KeyError):
        built.rows("typo")
    assert built.rows("sum").tolist() == rows.tolist() == [0]
    assert built.row_lo[0] == -np.inf and built.row_hi[0] == 4.0
    assert built.col_hi.tolist() == [1.0, 2.0, 3.0]
    assert not built.is_mip
    # Named objectives: the first defined is the primary one; unset families cost 0.
    m2 = MatrixBuilder()
    m2.add_variables("a", 2)
    m2.add_variables("b", 1)
    m2.set_cost("b", 5.0, "second")
    m2.set_cost("a", np.array([1.0, 2.0]), "first")
    two = m2.build()
    assert list(two.objectives) == ["second", "first"]
    assert two.cost.tolist() == [0.0, 0.0, 5.0] == two.objective("second").tolist()
    assert two.objective("first").tolist() == [1.0, 2.0, 0.0]


def test_reset_warm_start_gives_a_fresh_models_answer(sample_plan: Plan) -> None:
    """After other re-solves and a reset, a re-solve equals the same re-solve on a model
    built from scratch (the risk simulation's chunks rely on it)."""
    ids = sorted(map(str, sample_plan.pledges["pledge_id"]))
    first = {pid: 0.0 for pid in ids[::3]}
    second = {pid: 0.5 for pid in ids[1::4]}
    used = AllocationModel.build(sample_plan, Scenario())
    used.solve_scaled(first)
    used.reset_warm_start()
    after_reset = used.solve_scaled(second)
    fresh = AllocationModel.build(sample_plan, Scenario()).solve_scaled(second)
    assert after_reset.status == fresh.status == "optimal"
    pd.testing.assert_frame_equal(after_reset.funded, fresh.funded, check_exact=True)
    assert after_reset.min_viable_funded == fresh.min_viable_funded
