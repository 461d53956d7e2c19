"""Pandera schemas: lazy validation lists every broken rule with its row and column."""

from __future__ import annotations

import pandas as pd
import pytest

from models import contract
from models.plan import PLEDGE_COLUMNS, Plan, PlanError, make_plan
from models.schemas import problems, validate_plan


def test_valid_plan_has_no_problems() -> None:
    plan = make_plan(
        [{"line_id": "L1", "requirements": {2027: 10.0}}],
        [{"donor": "A", "amount": 5.0}],
    )
    assert validate_plan(plan) == []


def test_lazy_validation_reports_every_problem() -> None:
    frame = pd.DataFrame(
        {
            "pledge_id": ["a", "b", "c"],
            "donor": ["A", "B", "C"],
            "amount": [1.0, -2.0, 0.0],
            "currency": ["USD", "eur", "EUR"],
            "first_year": [2027, 2027, 2029],
            "last_year": [2027, 2028, 2028],
            "earmarking": ["unearmarked", "loose", "earmarked"],
            "earmark_to": ["", "", "L1"],
            "status": ["paid", "paid", "lost"],
            "psc_rate": [0.13, 1.0, 0.0],
            "confidential": [False, False, True],
        },
        index=[2, 3, 4],
    )
    # The other optional columns at their defaults.
    for column in contract.PLEDGES.file_columns:
        if column.stored and column.plan_name not in frame.columns:
            frame[column.plan_name] = [column.default] * len(frame)
    found = {(p.index, p.column) for p in problems("pledges", frame)}
    assert found == {
        (3, "amount"),
        (4, "amount"),
        (3, "currency"),
        (3, "earmarking"),
        (4, "status"),
        (3, "psc_rate"),
        (4, "last_year"),
    }
    messages = {p.column: p.message for p in problems("pledges", frame) if p.index == 4}
    assert messages["last_year"] == "last year is before the first year"
    assert "amount must be greater than 0" in messages["amount"]


def test_uniqueness_and_ranges() -> None:
    programmes = pd.DataFrame(
        {
            "line_id": ["L1", "L1", "L2"],
            "name": ["a", "b", "c"],
            "category": ["entity", "flagship", "nope"],
            "entity": ["UNODC"] * 3,
            "pillars": ["I", "II", ""],
            "themes": ["", "", ""],
            "priority": [1, 2, 5],
            "min_viable_share": [0.0, 0.4, 1.5],
        }
    )
    found = {(p.index, p.column) for p in problems("programmes", programmes)}
    assert {(0, "line_id"), (1, "line_id")} <= found
    assert {(2, "category"), (2, "pillars"), (2, "priority"), (2, "min_viable_share")} <= found


def test_a_plan_breaking_the_contract_is_refused_where_it_is_made() -> None:
    with pytest.raises(PlanError) as info:
        make_plan([{"line_id": "L1", "requirements": {2027: -1.0}}], [{"donor": "A", "amount": 1}])
    found = info.value.problems
    assert [(p.table, p.column) for p in found] == [("requirements", "requirement_usd")]
    assert str(found[0]).startswith("requirements row 0, column requirement_usd")
    assert "requirement must not be negative" in str(info.value)


def _tables() -> dict[str, pd.DataFrame]:
    plan = make_plan(
        [
            {"line_id": "L1", "requirements": {2027: 10.0}},
            {"line_id": "L2", "requirements": {2027: 10.0}},
        ],
        [
            {"pledge_id": "a", "donor": "A", "amount": 5.0},
            {"pledge_id": "b", "donor": "B", "amount": 1},
        ],
    )
    return {
        n: getattr(plan, n).copy() for n in ("programmes", "requirements", "pledges", "tranches")
    }


def test_build_checks_every_table_and_the_references_between_them() -> None:
    # What the allocation model used to check on its own is now refused at the boundary.
    t = _tables()
    t["programmes"].loc[1, ["line_id", "priority", "min_viable_share"]] = ["L1", 7, 1.5]
    t["requirements"].loc[1, "line_id"] = "L9"  # a line the programmes do not have
    t["pledges"].loc[1, "pledge_id"] = "a"  # the same id twice
    t["tranches"].loc[1, "pledge_id"] = "zz"  # money of no pledge
    t["tranches"].loc[0, "programmable_usd"] = float("nan")
    with pytest.raises(PlanError) as info:
        Plan.build(**t)
    found = {(p.table, p.column) for p in info.value.problems}
    assert found == {
        ("programmes", "line_id"),
        ("programmes", "priority"),
        ("programmes", "min_viable_share"),
        ("requirements", "line_id"),
        ("pledges", "pledge_id"),
        ("tranches", "pledge_id"),
        ("tranches", "programmable_usd"),
    }
    text = str(info.value)
    assert "priority must be 1-4" in text and "'L9' is not a line_id of the programmes" in text
    assert "'zz' is not a pledge_id of the pledges" in text


def test_build_names_a_missing_column_and_types_the_rest() -> None:
    t = _tables()
    with pytest.raises(PlanError, match="column psc_rate is missing"):
        Plan.build(**{**t, "pledges": t["pledges"].drop(columns="psc_rate")})
    # Values of the right meaning but loose types (as a database driver returns them) are typed.
    loose = t["pledges"].astype({"confidential": int, "first_year": float, "last_year": object})
    plan = Plan.build(**{**t, "pledges": loose})
    assert plan.pledges["confidential"].dtype == bool
    assert plan.pledges["first_year"].dtype == int and plan.pledges["last_year"].dtype == int
    assert list(plan.pledges.columns) == PLEDGE_COLUMNS


def test_build_orders_tranches_by_pledge_and_year() -> None:
    t = _tables()
    shuffled = t["tranches"].iloc[::-1].reset_index(drop=True)
    plan = Plan.build(**{**t, "tranches": shuffled})
    pd.testing.assert_frame_equal(plan.tranches, t["tranches"])
