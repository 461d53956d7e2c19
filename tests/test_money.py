"""The money rules (models/money.py), and that the importer and make_plan apply the same ones."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeal.importer import load_plan
from models import money
from models.plan import make_plan

amounts = st.floats(min_value=0.01, max_value=1e10, allow_nan=False)
rates = st.floats(min_value=0.001, max_value=1e4, allow_nan=False)
pscs = st.floats(min_value=0.0, max_value=0.99, allow_nan=False)
years = st.integers(min_value=2000, max_value=2090)


@given(amounts, pscs)
def test_programmable_is_gross_less_support_cost(gross: float, psc: float) -> None:
    net = money.programmable(gross, psc)
    assert math.isclose(net * (1 + psc), gross, rel_tol=1e-12)
    assert net <= gross


@given(amounts, years, st.integers(min_value=0, max_value=19))
def test_even_spread_conserves_the_amount_over_consecutive_years(
    amount: float, first: int, extra: int
) -> None:
    parts = money.even_spread(amount, first, first + extra)
    assert [y for y, _ in parts] == list(range(first, first + extra + 1))
    assert math.isclose(sum(a for _, a in parts), amount, rel_tol=1e-9)
    assert len({a for _, a in parts}) == 1
    assert money.is_even_spread(amount, parts)


def test_uneven_or_gapped_tranches_are_not_an_even_spread() -> None:
    assert not money.is_even_spread(30.0, [(2027, 10.0), (2028, 20.0)])
    assert not money.is_even_spread(20.0, [(2027, 10.0), (2029, 10.0)])
    assert not money.is_even_spread(10.0, [])


@given(amounts, rates, pscs, years, st.integers(min_value=0, max_value=4))
def test_tranches_convert_every_year_and_lose_nothing(
    amount: float, rate: float, psc: float, first: int, extra: int
) -> None:
    parts = money.even_spread(amount, first, first + extra)
    rows = money.tranches("P1", parts, rate, psc)
    assert [r[1] for r in rows] == [y for y, _ in parts]
    assert math.isclose(sum(r[3] for r in rows) * rate, amount, rel_tol=1e-9)
    for _, _, native, gross, net in rows:
        assert math.isclose(gross, native / rate, rel_tol=1e-12)
        assert math.isclose(net, gross / (1 + psc), rel_tol=1e-12)


def test_usd_rates_from_a_table_or_a_mapping_with_usd_always_one() -> None:
    frame = pd.DataFrame({"currency": ["eur", "NOK"], "units_per_usd": [0.9, 10.0]})
    assert money.usd_rates(frame) == {"USD": 1.0, "EUR": 0.9, "NOK": 10.0}
    assert money.usd_rates({"gbp": 0.8}) == {"USD": 1.0, "GBP": 0.8}
    assert money.usd_rates(None) == {"USD": 1.0}
    with pytest.raises(KeyError):
        money.usd_rates(frame)["JPY"]  # never a silent 1.0


@given(
    st.lists(years, min_size=1, max_size=8, unique=True),
    st.one_of(st.none(), years),
    st.one_of(st.none(), years),
)
def test_horizon_is_the_years_inside_the_bounds(
    plan_years: list[int], start: int | None, end: int | None
) -> None:
    got = money.horizon_years(plan_years, start, end)
    assert got == sorted(got) and set(got) <= set(plan_years)
    inside = {y for y in plan_years if (start is None or y >= start)}
    assert set(got) == {y for y in inside if end is None or y <= end}


def test_the_importer_and_make_plan_give_the_same_tranches(tmp_path: Path) -> None:
    """One rule, two ways in: a file and plain dicts describing the same pledges."""
    programmes = tmp_path / "programmes.csv"
    programmes.write_text(
        "line_id,name,category,entity,pillar,req_2027,req_2028,req_2029\n"
        "L1,Line,entity,UNODC,I,100,100,100\n"
    )
    fx = tmp_path / "fx.csv"
    fx.write_text("currency,units_per_usd,as_of\nEUR,0.92,2026-11-01\n")
    pledges = tmp_path / "pledges.csv"
    pledges.write_text(
        "pledge_id,donor,amount,currency,year,years,earmarking,status,psc_rate,"
        "amount_2028,amount_2029\n"
        "a,A,1000,EUR,2027,3,unearmarked,paid,0.13,,\n"
        "b,B,,USD,,,unearmarked,paid,0.07,300,700\n"
    )
    imported, _ = load_plan(programmes, [pledges], fx=fx)
    made = make_plan(
        [{"line_id": "L1", "requirements": {2027: 100, 2028: 100, 2029: 100}}],
        [
            {
                "pledge_id": "a",
                "donor": "A",
                "amount": 1000,
                "currency": "EUR",
                "first_year": 2027,
                "years": 3,
                "psc_rate": 0.13,
            },
            {
                "pledge_id": "b",
                "donor": "B",
                "amount": 0,
                "tranches": {2028: 300, 2029: 700},
                "psc_rate": 0.07,
            },
        ],
        fx={"EUR": 0.92},
    )
    pd.testing.assert_frame_equal(imported.tranches, made.tranches)
    assert imported.tranches["programmable_usd"].sum() == pytest.approx(
        1000 / 0.92 / 1.13 + 1000 / 1.07
    )
