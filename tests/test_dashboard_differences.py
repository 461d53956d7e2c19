"""Differences explained, filters in the address, table downloads and words for codes: the
pieces behind the comparison, the shared filters and every grid's CSV / Excel download."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal import service
from dashboards.downloads import table_bytes
from dashboards.logic import filters, words
from models import gaps
from models.plan import Plan
from models.scenario import Scenario


def _with(**changes: object) -> Scenario:
    data = Scenario().to_dict()
    for key, value in changes.items():
        node = data
        *parents, last = key.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    data["name"] = "b"
    return Scenario.from_dict(data)


def test_each_line_change_is_split_into_its_causes_exactly(sample_plan: Plan) -> None:
    b = _with(weights__tier__2=7.0, targets__human_rights_share=0.25)
    diff = service.explain_differences(sample_plan, Scenario(), b)
    assert set(diff.settings["key"]) == {"weights.tier.2", "targets.human_rights_share"}
    causes = [c for c in diff.causes["cause"]]
    assert causes[-1] == service.INTERACTION
    # Per line and in total, the causes (each setting on its own, plus the interaction) add up
    # to the change; money is neither made nor lost by the explanation.
    parts = diff.lines[causes].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(diff.lines["change"].to_numpy(), abs=1e-6)
    assert diff.causes["funded_change"].sum() == pytest.approx(diff.lines["change"].sum(), abs=1e-3)
    # Each setting's own column is what re-solving A with only that setting changed gives.
    alone = service.solve(sample_plan, _with(weights__tier__2=7.0))
    base = service.solve(sample_plan, Scenario())
    moved = (
        gaps.line_years(alone.plan, alone.result).groupby("line_id")["funded_usd"].sum()
        - gaps.line_years(base.plan, base.result).groupby("line_id")["funded_usd"].sum()
    )
    by_line = diff.lines.set_index("line_id")["weights.tier.2"]
    assert by_line.to_numpy() == pytest.approx(moved.reindex(by_line.index).to_numpy(), abs=1e-6)
    assert by_line.abs().max() > 1e5  # the tier weight really moves money


def test_one_setting_explains_everything_and_a_met_target_has_no_effect(
    sample_plan: Plan,
) -> None:
    base = service.solve(sample_plan, Scenario())
    achieved = float(base.result.targets.set_index("name").loc["gender_share", "achieved"])
    met = _with(targets__gender_share=round(achieved - 0.05, 4))  # below what is achieved
    diff = service.explain_differences(sample_plan, Scenario(), met)
    assert list(diff.targets["already_met"]) == [True]
    assert diff.lines["change"].abs().max() < 1.0
    unmet = _with(targets__human_rights_share=0.6)
    diff = service.explain_differences(sample_plan, Scenario(), unmet)
    assert list(diff.targets["already_met"]) == [False]
    assert diff.lines[service.INTERACTION].abs().max() < 1e-6  # one setting: no interaction


def test_settings_that_never_move_money_are_listed_but_not_re_solved(sample_plan: Plan) -> None:
    b = _with(risk__draws=17, time_limit_seconds=12.0)
    diff = service.explain_differences(sample_plan, Scenario(), b)
    assert set(diff.settings["key"]) == {"risk.draws", "time_limit_seconds"}
    assert not diff.settings["attributed"].any()
    assert list(diff.causes["cause"]) == [service.INTERACTION]


def test_criteria_weights_are_one_cause(sample_plan: Plan) -> None:
    b = service.load_scenario("sample_data/scenarios/criteria_scored.toml")
    diff = service.explain_differences(sample_plan, Scenario(), b)
    keys = list(diff.settings.loc[diff.settings["key"].str.startswith("weights.criteria."), "key"])
    assert len(keys) > 1
    assert [c for c in diff.causes["cause"] if c.startswith("weights.criteria")] == [
        "weights.criteria"
    ]


# -- filters in the address ------------------------------------------------------------------
def test_filters_round_trip_through_the_address_and_keep_other_parameters() -> None:
    values = {"pillar": "II", "theme": "gender", "donor_type": "member_state"}
    search = filters.query(values, "?donor=Anonymous donor 2&pillar=I")
    assert filters.parse(search) == values
    assert filters.param(search, "donor") == "Anonymous donor 2"
    assert filters.parse("?pillar=" + "x" * 200 + "&junk=1") == {}
    assert filters.query({}, None) == ""


def test_filters_narrow_lines_and_donors_but_never_change_a_lines_gap(sample_plan: Plan) -> None:
    run = service.solve(sample_plan, Scenario())
    narrowed = filters.apply(run, {"category": "flagship", "donor_type": "member_state"})
    assert set(narrowed.plan.programmes["category"]) == {"flagship"}
    kept = filters.donors(sample_plan, {"donor_type": "member_state"})
    assert set(narrowed.plan.pledges["donor"]) <= kept
    assert set(narrowed.result.allocations["donor"]) <= kept
    whole = gaps.line_years(run.plan, run.result).set_index(["line_id", "year"])
    part = gaps.line_years(narrowed.plan, narrowed.result).set_index(["line_id", "year"])
    assert part["gap_usd"].to_numpy() == pytest.approx(whole.loc[part.index, "gap_usd"].to_numpy())
    assert filters.apply(run, {}) is run


# -- downloads --------------------------------------------------------------------------------
COLUMNS = [{"field": "name", "headerName": "Name"}, {"field": "usd", "headerName": "USD"}]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20).filter(lambda t: t.strip() == t and t != ""),
            st.integers(-(10**9), 10**9),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_downloaded_cell_can_become_a_formula(rows: list[tuple[str, int]]) -> None:
    records = [{"name": "=" + n, "usd": v} for n, v in rows]
    text = table_bytes(records, COLUMNS, "csv").decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == ["Name", "USD"]
    assert all(r[0].startswith("'=") for r in read[1:])
    book = openpyxl.load_workbook(io.BytesIO(table_bytes(records, COLUMNS, "xlsx")))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[0].quotePrefix
        assert isinstance(row[1].value, int)
    assert sheet.max_row == len(records) + 1


# -- words ------------------------------------------------------------------------------------
def test_codes_become_words_and_unknown_codes_are_not_shown_raw() -> None:
    assert words.label("earmarking", "softly_earmarked") == "Softly earmarked"
    assert words.label("reason", "lower_tier") == "Higher priorities first"
    assert "_" not in words.sentence("unallocated", "eligible_lines_fully_funded")
    assert words.label("reason", "brand_new_reason") == "Brand new reason"
