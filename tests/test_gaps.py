"""Gaps and coverage breakdowns: hand-built allocations, exact totals, overlapping themes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import gaps
from models.plan import CATEGORIES, Plan, make_plan
from models.result import AllocationResult, SolverInfo

LINES = [
    {
        "line_id": "LEAD",
        "category": "leadership",
        "entity": "UNOCT",
        "pillars": "I;III",
        "themes": "human_rights;gender",
        "requirements": {2025: 100.0, 2026: 100.0},
    },
    {
        "line_id": "FLAG",
        "category": "flagship",
        "entity": "UNOCT",
        "pillars": "II",
        "themes": "gender",
        "requirements": {2025: 300.0, 2026: 300.0},
    },
    {
        "line_id": "ENT",
        "category": "entity",
        "entity": "UNODC",
        "pillars": "I;II;IV",
        "themes": "",
        "requirements": {2025: 50.0, 2026: 50.0},
    },
]


def plan() -> Plan:
    return make_plan(LINES, [{"donor": "A", "amount": 1}])


def result_for(funded: dict[tuple[str, int], tuple[float, float]]) -> AllocationResult:
    """An allocation result with the given (funded, firm) per line-year."""
    rows = []
    for line in LINES:
        for year, req in line["requirements"].items():  # type: ignore[attr-defined]
            f, firm = funded.get((str(line["line_id"]), int(year)), (0.0, 0.0))
            rows.append((line["line_id"], year, req, f, firm, req - f))
    lines = pd.DataFrame(
        rows,
        columns=["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"],
    )
    return AllocationResult(
        allocations=pd.DataFrame(),
        unallocated=pd.DataFrame(),
        lines=lines,
        targets=pd.DataFrame(),
        solver=SolverInfo(name="hand", status="optimal", seconds=0.0),
    )


FUNDED = {
    ("LEAD", 2025): (100.0, 100.0),
    ("LEAD", 2026): (60.0, 20.0),
    ("FLAG", 2025): (150.0, 150.0),
    ("ENT", 2026): (30.0, 0.0),
}


def test_totals_hand_computed() -> None:
    t = gaps.totals(plan(), result_for(FUNDED))
    assert t["requirement_usd"] == 900.0
    assert t["funded_usd"] == 340.0
    assert t["firm_usd"] == 270.0
    assert t["pledged_only_usd"] == 70.0
    assert t["gap_usd"] == 560.0
    assert t["coverage"] == pytest.approx(340 / 900)
    assert t["firm_coverage"] == pytest.approx(270 / 900)


def test_by_category_and_line() -> None:
    by_cat = gaps.breakdown(plan(), result_for(FUNDED), "category").set_index("category")
    assert list(by_cat.index) == ["leadership", "flagship", "entity"]  # canonical order
    assert by_cat.loc["leadership", "funded_usd"] == 160.0
    assert by_cat.loc["leadership", "pledged_only_usd"] == 40.0
    assert by_cat.loc["flagship", "gap_usd"] == 450.0
    assert by_cat.loc["flagship", "coverage"] == pytest.approx(0.25)
    assert by_cat.loc["entity", "firm_coverage"] == 0.0
    by_line = gaps.breakdown(plan(), result_for(FUNDED), "line")
    assert list(by_line.columns[:2]) == ["line_id", "name"]
    assert list(by_line["line_id"]) == ["LEAD", "FLAG", "ENT"]


def test_pillars_split_evenly() -> None:
    by_pillar = gaps.breakdown(plan(), result_for(FUNDED), "pillar").set_index("pillar")
    # LEAD (I;III) requirement 200 -> 100 each; FLAG (II) 600; ENT (I;II;IV) 100 -> 1/3 each.
    assert by_pillar.loc["I", "requirement_usd"] == pytest.approx(100 + 100 / 3)
    assert by_pillar.loc["II", "requirement_usd"] == pytest.approx(600 + 100 / 3)
    assert by_pillar.loc["III", "requirement_usd"] == pytest.approx(100)
    assert by_pillar.loc["IV", "requirement_usd"] == pytest.approx(100 / 3)
    assert by_pillar.loc["III", "funded_usd"] == pytest.approx(80.0)
    assert by_pillar.attrs["overlapping"] is False


def test_theme_tagged_overlaps_and_says_so() -> None:
    tagged = gaps.breakdown(plan(), result_for(FUNDED), "theme_tagged").set_index("theme")
    assert tagged.attrs["overlapping"] is True
    # gender: LEAD and FLAG in full.
    assert tagged.loc["gender", "requirement_usd"] == 800.0
    assert tagged.loc["human_rights", "funded_usd"] == 160.0
    assert tagged.loc["(none)", "requirement_usd"] == 100.0
    assert tagged["requirement_usd"].sum() > 900.0  # overlapping: not to be summed
    split = gaps.breakdown(plan(), result_for(FUNDED), "theme").set_index("theme")
    assert split.loc["gender", "requirement_usd"] == pytest.approx(100.0 + 600.0)
    assert split.loc["human_rights", "requirement_usd"] == pytest.approx(100.0)


def test_category_year() -> None:
    frame = gaps.breakdown(plan(), result_for(FUNDED), ("category", "year"))
    assert list(frame.columns[:2]) == ["category", "year"]
    row = frame[(frame["category"] == "leadership") & (frame["year"] == 2026)].iloc[0]
    assert row["funded_usd"] == 60.0
    assert row["firm_usd"] == 20.0


def test_unknown_dimension_is_a_clear_error() -> None:
    with pytest.raises(gaps.UnknownDimension, match="donor"):
        gaps.breakdown(plan(), result_for(FUNDED), "donor")


def test_failed_solve_reports_full_gap() -> None:
    empty = result_for({})
    empty.lines = empty.lines.iloc[0:0]
    t = gaps.totals(plan(), empty)
    assert t["gap_usd"] == 900.0
    assert t["funded_usd"] == 0.0


money = st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(CATEGORIES),
            st.sampled_from(["UNOCT", "UNODC", "OHCHR"]),
            st.lists(
                st.sampled_from(["I", "II", "III", "IV"]), min_size=1, max_size=4, unique=True
            ),
            st.lists(
                st.sampled_from(["gender", "human_rights", "pve", "cft"]), max_size=3, unique=True
            ),
            st.lists(st.tuples(money, st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_breakdown_adds_up_to_the_total(spec: list[Any]) -> None:
    lines = []
    funded: dict[tuple[str, int], tuple[float, float]] = {}
    for i, (cat, ent, pillars, themes, years) in enumerate(spec):
        reqs = {}
        for j, (req, fshare, firmshare) in enumerate(years):
            reqs[2025 + j] = req
            f = round(req * fshare, 2)
            funded[(f"L{i}", 2025 + j)] = (f, round(f * firmshare, 2))
        lines.append(
            {
                "line_id": f"L{i}",
                "category": cat,
                "entity": ent,
                "pillars": ";".join(pillars),
                "themes": ";".join(themes),
                "requirements": reqs,
            }
        )
    p = make_plan(lines, [{"donor": "A", "amount": 1}])
    rows = [
        (lid, y, req, *funded[(lid, y)], req - funded[(lid, y)][0])
        for lid, reqs in ((ln["line_id"], ln["requirements"]) for ln in lines)
        for y, req in reqs.items()
    ]
    result = AllocationResult(
        allocations=pd.DataFrame(),
        unallocated=pd.DataFrame(),
        lines=pd.DataFrame(
            rows,
            columns=["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"],
        ),
        targets=pd.DataFrame(),
        solver=SolverInfo(name="hand", status="optimal", seconds=0.0),
    )
    total = gaps.totals(p, result)
    for name, frame in gaps.all_breakdowns(p, result).items():
        if frame.attrs["overlapping"]:
            assert name == "theme_tagged"
            continue
        for m in gaps.MONEY:
            assert abs(float(frame[m].sum()) - total[m]) < 0.005, (name, m)
    assert abs(total["funded_usd"] - result.totals()["funded_usd"]) < 0.005
