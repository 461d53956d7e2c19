"""Differences explained (the engine's attribution in words), sensitivity ranges and the
stability report, filters in the address, table downloads and words for codes: the
pieces behind the comparison, the shared filters and every grid's CSV / Excel download."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal import service
from dashboards.downloads import table_bytes
from dashboards.logic import filters, words
from dashboards.logic import scenarios as logic
from models import gaps
from models.allocation import allocate
from models.analytics import PlanRun
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


def _diff(plan: Plan, b: Scenario) -> logic.Differences:
    """B against the defaults, as the Scenarios page compares them."""
    return logic.explain(plan, Scenario(), b, ("A", "B"), service.solve)


def _funded(run: service.PlanRun) -> pd.Series:
    return gaps.line_years(run.plan, run.result).groupby("line_id")["funded_usd"].sum()


def test_each_line_change_is_split_into_its_causes_to_the_cent(sample_plan: Plan) -> None:
    b = _with(weights__tier__2=7.0, targets__human_rights_share=0.25)
    diff = _diff(sample_plan, b)
    settings = logic.settings_table(diff)
    assert len(settings) == 2 and "Name" not in set(settings["setting"])  # labels are no setting
    causes = logic.causes(diff)
    assert [c for c, _ in causes] == ["weights.tier.2", "targets.human_rights_share", "interaction"]
    lines, columns = logic.attributed_lines(diff)
    assert len(columns) == len(causes)
    # Per line and in total, the parts (each setting on its own, plus the interaction) add up
    # to the change to the cent: money is neither made nor lost by the explanation.
    assert lines[columns].sum(axis=1).to_numpy() == pytest.approx(
        lines["change"].to_numpy(), abs=0.01
    )
    assert sum(v for _, v in causes) == pytest.approx(lines["change"].sum(), abs=0.01)
    # B's side is B's allocation held closest to A among B's best ones: the same total.
    assert lines["funded_b"].sum() - lines["funded_a"].sum() == pytest.approx(
        _funded(diff.run_b).sum() - _funded(diff.run_a).sum(), abs=0.01
    )
    # The tier weight's column is what re-solving A with only that setting changed gives
    # (held closest to A among its best allocations).
    reference = diff.run_a.result.lines[["line_id", "year", "funded_usd"]]
    one = _with(weights__tier__2=7.0, stability="reference")
    held = allocate(sample_plan, one, reference=reference, sensitivity=False)
    alone = _funded(PlanRun(plan=sample_plan, scenario=one, result=held))
    base = _funded(diff.run_a)
    tier = lines.set_index("line_id")[columns[0]]
    assert tier.to_numpy() == pytest.approx((alone - base).reindex(tier.index).to_numpy(), abs=1.0)
    assert tier.abs().max() > 1e5  # the tier weight really moves money
    assert "tier 2" in lines.loc[0, "moved_by"]


def test_one_setting_explains_everything_and_a_met_target_has_no_effect(
    sample_plan: Plan,
) -> None:
    base = service.solve(sample_plan, Scenario())
    achieved = float(base.result.targets.set_index("name").loc["gender_share", "achieved"])
    met = _with(targets__gender_share=round(achieved - 0.05, 4))  # below what is achieved
    diff = _diff(sample_plan, met)
    assert list(diff.targets["already_met"]) == [True]
    assert list(logic.settings_table(diff)["note"]) == ["already met — no effect"]
    assert diff.attribution.lines["total_change"].abs().max() < 1.0
    unmet = _with(targets__human_rights_share=0.6)
    diff = _diff(sample_plan, unmet)
    assert list(diff.targets["already_met"]) == [False]
    assert logic.settings_table(diff)["note"].tolist() == [""]
    assert diff.attribution.lines["interaction"].abs().max() < 0.01  # one setting: none


def test_settings_that_never_move_money_are_listed_but_not_re_solved(sample_plan: Plan) -> None:
    b = _with(risk__draws=17, time_limit_seconds=12.0)
    diff = _diff(sample_plan, b)
    settings = logic.settings_table(diff)
    assert len(settings) == 2
    assert set(settings["note"]) == {"does not change the allocation"}
    assert settings["effect_usd"].isna().all()
    assert [c for c, _ in logic.causes(diff)] == ["interaction"]


def test_sensitivity_ranges_and_the_stability_report_in_words(sample_plan: Plan) -> None:
    run = service.solve(sample_plan, Scenario())
    table = logic.sensitivity_table(run)
    ranges = run.result.sensitivity
    assert len(table) == len(ranges) and len(table) >= 5  # four tiers, the tranche, targets
    tier2 = table.loc[table["setting"].str.contains("tier 2")].iloc[0]
    row = ranges.set_index("parameter").loc["weights.tier.2"]
    assert tier2["lower"] == f"{row['lower']:,.3g}" and tier2["upper"] == f"{row['upper']:,.3g}"
    open_end = ranges.loc[~ranges["upper_bounded"]]
    assert len(open_end) and all(
        "end of the searched range" in u
        for u in table.loc[open_end.index, "upper"]  # an end the allocation never changes at
    )
    assert logic.stability_text(run) is None  # stability not asked for: no report
    stable = _with(stability="reference")
    no_reference = service.solve(sample_plan, stable)
    assert "no reference" in str(logic.stability_text(no_reference))
    reference = run.result.lines[["line_id", "year", "funded_usd"]]
    held = allocate(sample_plan, stable, reference=reference, sensitivity=False)
    text = logic.stability_text(PlanRun(plan=sample_plan, scenario=stable, result=held))
    report = held.stability or {}
    assert f"Of {report['line_years']:,} line-years" in str(text)
    assert f"with it {report['moved_with_stability']:,} move" in str(text)


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
