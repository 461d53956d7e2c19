"""Dashboard callback logic as plain functions: scenarios editor, pledges upload and status
edits, overview summaries, donor base, appeal download, and the server-side state helpers."""

from __future__ import annotations

import base64
import io

import openpyxl
import pandas as pd
import pytest

from appeal import service
from appeal.importer import SAMPLE_DIR, ImportReport
from appeal.register import Register
from appeal.service import PlanRun
from dashboards import state
from dashboards.logic import appeal_page, donors, overview, pledges, scenarios
from models.plan import Plan
from models.privacy import donor_aliases
from models.scenario import Scenario, ScenarioError


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("dash-cache"))


@pytest.fixture(scope="module")
def base_run(sample_plan: Plan, cache_dir: str) -> PlanRun:
    cache = service.ResultCache(cache_dir)
    try:
        return cache.run(sample_plan, Scenario())
    finally:
        cache.close()


@pytest.fixture(scope="module")
def aliases(sample_plan: Plan) -> dict[str, str]:
    return donor_aliases(sample_plan)


@pytest.fixture(scope="module")
def confidential(aliases: dict[str, str]) -> str:
    names = [d for d, a in aliases.items() if a != d]
    assert names, "the sample data has confidential donors"
    return names[0]


def _data_url(data: bytes, mime: str = "application/octet-stream") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


# -- state: scenarios in the browser, the result cache ---------------------------------------
def test_browser_scenario_hides_confidential_names_and_round_trips(
    aliases: dict[str, str], confidential: str
) -> None:
    s = Scenario(excluded_donors=[confidential, "Japan"])
    s.risk.donor_probability = {confidential: 0.5}
    data = state.scenario_to_browser(s, aliases)
    assert confidential not in repr(data)
    assert aliases[confidential] in data["excluded_donors"]
    back = state.scenario_from_browser(data, aliases)
    assert back.excluded_donors == [confidential, "Japan"]
    assert back.risk.donor_probability == {confidential: 0.5}
    assert back.to_dict() == s.validate().to_dict()


def test_browser_scenario_unknown_donor_is_a_clear_error(aliases: dict[str, str]) -> None:
    data = state.scenario_to_browser(Scenario(), aliases)
    data["excluded_donors"] = ["Atlantis"]
    with pytest.raises(ScenarioError, match="Atlantis"):
        state.scenario_from_browser(data, aliases)
    assert state.scenario_from_browser(None, aliases).to_dict() == Scenario().to_dict()


def test_result_cache_returns_the_same_allocation(
    sample_plan: Plan, base_run: PlanRun, cache_dir: str
) -> None:
    cache = service.ResultCache(cache_dir)
    try:
        key = cache.key(sample_plan, Scenario(name="renamed"))
        assert key == cache.key(sample_plan, Scenario())
        assert cache._cache.get(key) is not None  # stored by the fixture's solve
        again = cache.run(sample_plan, Scenario(name="renamed"))
    finally:
        cache.close()
    pd.testing.assert_frame_equal(again.result.lines, base_run.result.lines)
    assert again.scenario.name == "renamed"


# -- scenarios editor ------------------------------------------------------------------------
def test_controls_round_trip_every_parameter(aliases: dict[str, str], confidential: str) -> None:
    s = Scenario(
        name="custom",
        description="d",
        start_year=2028,
        end_year=2030,
        min_viable=False,
        excluded_donors=[confidential],
        donor_line_cap_share=0.4,
        solver="cbc",
        time_limit_seconds=12.0,
        mip_gap=0.001,
    )
    s.weights.tier = {1: 10.0, 2: 5.0, 3: 2.0, 4: 0.5}
    s.weights.criteria = {"innovation": 2.0}
    s.weights.tranche_share = 0.4
    s.weights.tranche_weight = 0.3
    s.targets.gender_share = 0.2
    s.targets.human_rights_share = 0.05
    s.risk.status_probability = {"paid": 1.0, "committed": 0.9, "pledged": 0.5}
    s.risk.draws = 77
    s.risk.seed = 3
    values = scenarios.controls_from_scenario(s.validate(), aliases)
    assert set(values) == set(scenarios.CONTROLS)
    assert values["sc-target-gender_share"] == pytest.approx(20.0)
    assert values["sc-excluded"] == [aliases[confidential]]
    back = scenarios.scenario_from_controls(values, aliases)
    assert back.to_dict() == s.to_dict()


def test_invalid_controls_name_every_problem(aliases: dict[str, str]) -> None:
    values = scenarios.controls_from_scenario(Scenario(), aliases)
    values["sc-tier-1"] = None
    values["sc-time-limit"] = "soon"
    values["sc-excluded"] = ["Nobody"]
    with pytest.raises(ScenarioError) as err:
        scenarios.scenario_from_controls(values, aliases)
    text = str(err.value)
    assert "Tier 1 weight is required" in text
    assert "Time limit" in text
    assert "Nobody" in text
    values = scenarios.controls_from_scenario(Scenario(), aliases)
    values["sc-target-gender_share"] = 150
    with pytest.raises(ScenarioError, match="gender_share"):
        scenarios.scenario_from_controls(values, aliases)


def test_compare_same_run_has_no_deltas_and_changed_weights_add_up(
    sample_plan: Plan, base_run: PlanRun, cache_dir: str
) -> None:
    totals, lines = scenarios.compare(base_run, base_run)
    assert (lines["funded_delta"].abs() < 1e-6).all()
    assert len(lines) == len(sample_plan.programmes)
    other = Scenario(name="other", min_viable=False)
    other.weights.tier = {1: 1.0, 2: 2.0, 3: 4.0, 4: 8.0}  # priorities reversed
    run_b = service.ResultCache(cache_dir).run(sample_plan, other)
    totals, lines = scenarios.compare(base_run, run_b)
    funded = totals.set_index("figure").loc["Funded"]
    assert lines["funded_delta"].sum() == pytest.approx(funded["change"], abs=1.0)
    assert (lines["funded_delta"].abs() > 1.0).any()


def test_explanations_and_next_million(base_run: PlanRun, sample_plan: Plan) -> None:
    exp = scenarios.explanations(base_run)
    assert set(exp["line_id"]) == set(sample_plan.line_ids)
    assert exp["text"].str.len().min() > 0
    nm = scenarios.next_million_table(base_run)
    assert list(nm.columns) == ["line_id", "name", "year", "amount_usd"]
    assert len(nm) and (nm["amount_usd"] > 0).all()
    assert set(nm["line_id"]) <= set(sample_plan.line_ids)


def test_check_name() -> None:
    assert scenarios.check_name("  mine ") == "mine"
    with pytest.raises(ScenarioError):
        scenarios.check_name("   ")
    with pytest.raises(ScenarioError):
        scenarios.check_name("x" * 81)


# -- pledges ---------------------------------------------------------------------------------
def test_decode_upload_refuses_clearly() -> None:
    data = b"donor,amount\nX,1\n"
    assert pledges.decode_upload(_data_url(data), "p.csv", 1000) == data
    with pytest.raises(pledges.UploadError, match=r"only \.xlsx and \.csv"):
        pledges.decode_upload(_data_url(data), "p.pdf", 1000)
    with pytest.raises(pledges.UploadError, match="larger than"):
        pledges.decode_upload(_data_url(b"x" * 5000), "p.csv", 1000)
    with pytest.raises(pledges.UploadError, match="corrupted"):
        pledges.decode_upload("data:text/csv;base64,@@@@", "p.csv", 1000)
    with pytest.raises(pledges.UploadError, match="no file"):
        pledges.decode_upload(None, None, 1000)


def test_check_upload_lists_every_rejected_row(sample_plan: Plan) -> None:
    text = (
        "donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "Chile,-5,USD,2027,1,unearmarked,,paid\n"
        "Peru,1000,XXX,2027,1,unearmarked,,paid\n"
        "Fiji,1000,USD,2027,1,earmarked,NO-SUCH-LINE,paid\n"
    )
    check = pledges.check_upload(text.encode(), "bad.csv", sample_plan)
    assert not check.fatal
    assert check.valid_rows == 1
    assert check.rejected_rows == 3
    errors = pledges.error_frame(check.report)
    assert list(errors.columns) == pledges.ERROR_COLUMNS
    assert set(errors["row"]) == {3, 4, 5}
    assert (errors["file"] == "bad.csv").all()
    colour, sentence = pledges.check_message(check)
    assert colour == "warning" and "3 rejected" in sentence and "Nothing is stored" in sentence


def test_check_upload_unreadable_file_is_fatal(sample_plan: Plan) -> None:
    check = pledges.check_upload(b"PK\x03\x04 not really a zip", "fake.xlsx", sample_plan)
    assert check.fatal and not check.can_store
    assert len(pledges.error_frame(check.report)) >= 1
    assert pledges.check_message(check)[0] == "danger"


def test_store_upload_and_status_edits(
    sample_plan: Plan, tmp_db_url: str, aliases: dict[str, str]
) -> None:
    reg = Register(tmp_db_url)
    reg.import_plan(sample_plan.replace(pledges=sample_plan.pledges.iloc[:0]), _empty_report())
    data = (SAMPLE_DIR / "pledges_entities.csv").read_bytes()
    message = pledges.store_upload(reg, data, "pledges_entities.csv", sample_plan)
    stored = reg.pledges()
    assert len(stored) > 0 and message.startswith(f"Stored {len(stored)} pledge rows")
    # Re-importing the same file replaces rather than duplicates.
    pledges.store_upload(reg, data, "pledges_entities.csv", sample_plan)
    assert len(reg.pledges()) == len(stored)

    pid = str(stored.loc[0, "pledge_id"])
    old = str(stored.loc[0, "status"])
    new = "paid" if old != "paid" else "committed"
    ok, msg = pledges.apply_status_edit(
        reg, {"colId": "status", "oldValue": old, "value": new, "data": {"pledge_id": pid}}
    )
    assert ok and new in msg
    assert reg.pledges().set_index("pledge_id").loc[pid, "status"] == new
    ok, msg = pledges.apply_status_edit(
        reg, {"colId": "status", "oldValue": new, "newValue": "maybe", "data": {"pledge_id": pid}}
    )
    assert not ok and "not a status" in msg
    assert reg.pledges().set_index("pledge_id").loc[pid, "status"] == new
    ok, msg = pledges.apply_status_edit(
        reg, {"colId": "status", "newValue": "paid", "data": {"pledge_id": "NOPE"}}
    )
    assert not ok and "NOPE" in msg
    reg.close()


def _empty_report() -> ImportReport:
    return ImportReport()


def test_grid_rows_anonymise_confidential_donors(
    sample_plan: Plan, aliases: dict[str, str], confidential: str
) -> None:
    rows = pledges.grid_rows(sample_plan.pledges, aliases)
    assert len(rows) == len(sample_plan.pledges)
    assert confidential not in {r["donor"] for r in rows}
    assert aliases[confidential] in {r["donor"] for r in rows}
    assert set(rows[0]) == set(pledges.GRID_COLUMNS)


# -- overview --------------------------------------------------------------------------------
def test_headline_and_summary(base_run: PlanRun) -> None:
    h = overview.headline(base_run)
    assert h.gap_usd == pytest.approx(h.requirement_usd - h.funded_usd)
    assert 0 <= h.coverage <= 1 and h.donor_count > 10
    assert h.flexible_meets_aim == (h.flexible_share >= 0.30)
    summary = service.run_summary(base_run)
    assert sum(summary["lines"].values()) == pytest.approx(summary["funded_usd"], abs=1.0)
    assert overview.parse_summary(summary) == summary
    assert overview.parse_summary('{"a": 1}') == {"a": 1}
    assert overview.parse_summary("not json") is None


def test_changes_since_reports_moves() -> None:
    saved = {"funded_usd": 100.0, "gap_usd": 50.0, "coverage": 0.5, "lines": {"A": 60.0, "B": 40.0}}
    now = {"funded_usd": 120.0, "gap_usd": 30.0, "coverage": 0.6, "lines": {"A": 60.0, "B": 60.0}}
    head, lines = overview.changes_since(saved, now, {"B": "Line B"})
    assert head.set_index("figure").loc["Funded", "change"] == 20.0
    assert list(lines["line_id"]) == ["B"]
    assert lines.loc[0, "name"] == "Line B" and lines.loc[0, "funded_delta"] == 20.0


def test_last_saved_picks_the_newest() -> None:
    frame = pd.DataFrame(
        {
            "name": ["old", "new", "mid"],
            "saved_at": ["2026-01-01T00:00:00", "2026-03-01T00:00:00", "2026-02-01T00:00:00"],
        }
    )
    row = overview.last_saved(frame)
    assert row is not None and row["name"] == "new"
    assert overview.saved_at_text(row).startswith("2026-03-01")
    assert overview.saved_at_text(row, short=True) == "01 Mar 00:00"
    assert overview.last_saved(pd.DataFrame(columns=["name"])) is None


def test_line_year_table_follows_programme_order(base_run: PlanRun, sample_plan: Plan) -> None:
    frame = overview.line_year_table(base_run)
    assert list(dict.fromkeys(frame["line_id"])) == sample_plan.line_ids


# -- donor base ------------------------------------------------------------------------------
def test_breadth_and_flows_never_name_confidential_donors(
    base_run: PlanRun, sample_plan: Plan, aliases: dict[str, str], confidential: str
) -> None:
    b = donors.breadth_view(sample_plan, aliases)
    assert confidential not in repr(b)
    f = donors.flows(base_run, aliases)
    assert confidential not in set(f["donor"])
    opts = donors.donor_options(sample_plan, aliases)
    assert confidential not in repr(opts)
    assert len(opts) == sample_plan.pledges["donor"].nunique()


def test_stress_choices(sample_plan: Plan, aliases: dict[str, str], base_run: PlanRun) -> None:
    top, label = donors.stress_donors(sample_plan, aliases, "top", 2, [])
    assert len(top) == 2 and label == "without the top 2 donors"
    with pytest.raises(donors.StressChoiceError):
        donors.stress_donors(sample_plan, aliases, "top", 0, [])
    with pytest.raises(donors.StressChoiceError):
        donors.stress_donors(sample_plan, aliases, "pick", None, [])
    with pytest.raises(donors.StressChoiceError, match="Atlantis"):
        donors.stress_donors(sample_plan, aliases, "pick", None, ["Atlantis"])
    case = donors.stress_case(base_run, top[:1], "without the top 1 donor", aliases)
    assert case["removed_usd"] > 0
    assert case["totals"]["funded_after"] <= case["totals"]["funded_before"] + 1.0


def test_risk_simulation_summary(sample_plan: Plan) -> None:
    seen: list[tuple[int, int]] = []
    result = donors.simulate(
        sample_plan,
        Scenario(),
        draws=4,
        seed=1,
        workers=1,
        progress=lambda d, t: seen.append((d, t)),
    )
    summary = donors.risk_summary(result)
    assert summary["draws_done"] == 4 and len(summary["total_funded_draws"]) == 4
    assert seen and seen[-1] == (4, 4)
    t = summary["totals"]
    assert t["funded_p10"] <= t["funded_p50"] <= t["funded_p90"]
    from models.risk import RiskError

    with pytest.raises(RiskError):
        donors.simulate(sample_plan, Scenario(), draws=0, seed=1, workers=1)


# -- appeal ----------------------------------------------------------------------------------
def test_workbook_bytes_open_and_hide_confidential(base_run: PlanRun, confidential: str) -> None:
    data = appeal_page.workbook_bytes(base_run)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert "Summary" in wb.sheetnames and "Pledges" in wb.sheetnames
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert all(confidential != v for v in row)
    assert appeal_page.workbook_filename(base_run) == "appeal-baseline.xlsx"


def test_preview_tables(base_run: PlanRun) -> None:
    years = appeal_page.year_table(base_run)
    assert list(years["year"]) == base_run.plan.years
    asks = appeal_page.top_asks(base_run)
    assert len(asks) <= appeal_page.TOP_ASKS
    assert list(asks["tier"]) == sorted(asks["tier"])
    cats = appeal_page.category_table(base_run)
    assert cats["gap_usd"].sum() == pytest.approx(years["gap_usd"].sum(), abs=1.0)


def test_workbook_filename_is_safe(base_run: PlanRun) -> None:
    run = PlanRun(
        plan=base_run.plan,
        scenario=Scenario(name="../x y"),
        result=base_run.result,
        import_report={},
    )
    assert appeal_page.workbook_filename(run) == "appeal-x-y.xlsx"
