"""Pandera schemas: lazy validation lists every broken rule with its row and column."""

from __future__ import annotations

import pandas as pd

from models.plan import make_plan
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


def test_plan_level_problem_names_table() -> None:
    plan = make_plan(
        [{"line_id": "L1", "requirements": {2027: -1.0}}], [{"donor": "A", "amount": 1}]
    )
    found = validate_plan(plan)
    assert [(p.table, p.column) for p in found] == [("requirements", "requirement_usd")]
    assert str(found[0]).startswith("requirements row 0, column requirement_usd")
