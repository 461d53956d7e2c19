"""Dashboard callback logic as plain functions: scenarios editor, pledges upload and status
edits, overview summaries, donor base, appeal download, and the server-side state helpers."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal import service
from appeal.importer import SAMPLE_DIR, ImportReport
from appeal.register import Register
from appeal.service import PlanRun
from dashboards import ids, secret, state, uploads
from dashboards.logic import appeal_page, donors, editor, overview, pledges, scenarios
from models.plan import Plan
from models.privacy import donor_aliases, rename_scenario_donors
from models.scenario import CRITERIA, Scenario, ScenarioError, Weights


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


@pytest.mark.parametrize("where", ["excluded_donors", "risk.donor_probability"])
def test_a_confidential_donors_real_name_is_not_accepted_from_the_browser(
    aliases: dict[str, str], confidential: str, where: str
) -> None:
    """Only aliases come back from the browser: the real name of a confidential donor is
    refused in the same words as a name nobody pledged under, so guessing reveals nothing."""
    messages = []
    for name in (confidential, "Atlantis"):
        data = state.scenario_to_browser(Scenario(), aliases)
        if where == "excluded_donors":
            data["excluded_donors"] = [name]
        else:
            data["risk"]["donor_probability"] = {name: 0.0}
        with pytest.raises(ScenarioError) as err:
            state.scenario_from_browser(data, aliases)
        messages.append(str(err.value).replace(name, "NAME"))
    assert messages[0] == messages[1]


def test_rename_scenario_donors_maps_both_ways_and_changes_nothing_it_is_given(
    aliases: dict[str, str], confidential: str
) -> None:
    s = Scenario(excluded_donors=[confidential, "Japan"])
    s.risk.donor_probability = {confidential: 0.5, "Japan": 0.9}
    data = s.to_dict()
    before = json.dumps(data, sort_keys=True)
    shown = rename_scenario_donors(data, aliases)
    assert json.dumps(data, sort_keys=True) == before  # the input is untouched
    assert shown["excluded_donors"] == [aliases[confidential], "Japan"]
    assert set(shown["risk"]["donor_probability"]) == {aliases[confidential], "Japan"}
    assert confidential not in json.dumps(shown)
    back = {a: d for d, a in aliases.items()}
    assert rename_scenario_donors(shown, back, strict=True) == data
    # Wrong shapes are left for the scenario's own validation to refuse.
    odd = {"excluded_donors": "Qatar", "risk": {"donor_probability": [1]}}
    assert rename_scenario_donors(odd, back, strict=True) == odd


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
NOT_IN_EDITOR = {"weights.early_year_preference", "risk.donor_probability"}


def _leaf_paths(data: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and key != "donor_probability":
            out |= _leaf_paths(value, f"{prefix}{key}.")
        else:
            out.add(prefix + key)
    return out


def test_every_scenario_key_has_one_control() -> None:
    full = Scenario(start_year=2027, end_year=2030, donor_line_cap_share=0.5)
    full.weights.criteria = dict.fromkeys(CRITERIA, 1.0)
    keys = _leaf_paths(full.to_dict()) - NOT_IN_EDITOR
    paths = [c.path for c in editor.CONTROLS]
    assert sorted(paths) == sorted(keys)
    assert len(set(editor.IDS)) == len(editor.IDS)
    assert all(i.startswith(ids.EDITOR_PREFIX) for i in editor.IDS)


def test_control_bounds_are_the_models_bounds_in_shown_units() -> None:
    by_path = editor.BY_PATH
    assert (by_path["targets.gender_share"].low, by_path["targets.gender_share"].high) == (0, 100)
    assert by_path["donor_line_cap_share"].high == 100
    assert (by_path["weights.tier.1"].low, by_path["weights.tier.1"].high) == (0, 1000)
    assert (by_path["risk.draws"].low, by_path["risk.draws"].high) == (1, 1_000_000)
    assert by_path["solver"].spec.choices == ("auto", "highs", "cbc")


EDITABLE = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=80).map(str.strip).filter(bool),
        "description": st.text(max_size=40),
        "tier": st.lists(st.floats(0, 50), min_size=4, max_size=4),
        "criteria": st.dictionaries(st.sampled_from(CRITERIA), st.floats(0.01, 5)),
        "tranche_share": st.floats(0, 1),
        "gender_share": st.floats(0, 1),
        "min_viable": st.booleans(),
        "excluded": st.integers(0, 2),
        "cap": st.one_of(st.none(), st.floats(0.01, 1)),
        "years": st.sampled_from([(None, None), (2028, None), (2027, 2029)]),
        "solver": st.sampled_from(["auto", "highs", "cbc"]),
        "mip_gap": st.floats(0, 0.5),
        "pledged": st.floats(0, 1),
        "draws": st.integers(1, 5000),
    }
)


@settings(max_examples=60, deadline=None)
@given(values=EDITABLE)
def test_the_editor_round_trips_every_parameter(
    aliases: dict[str, str], confidential: str, values: dict[str, Any]
) -> None:
    """scenario -> controls -> scenario loses nothing, with percentages shown 0-100 and donors
    as their aliases."""
    s = Scenario(
        name=values["name"],
        description=values["description"],
        min_viable=values["min_viable"],
        excluded_donors=[confidential, "Japan"][: values["excluded"]],
        donor_line_cap_share=values["cap"],
        start_year=values["years"][0],
        end_year=values["years"][1],
        solver=values["solver"],
        mip_gap=values["mip_gap"],
    )
    s.weights = Weights(
        tier=dict(zip((1, 2, 3, 4), values["tier"], strict=True)),
        criteria=values["criteria"],
        tranche_share=values["tranche_share"],
    )
    s.targets.gender_share = values["gender_share"]
    s.risk.status_probability = {"paid": 1.0, "committed": 0.9, "pledged": values["pledged"]}
    s.risk.draws = values["draws"]
    s.risk.donor_probability = {confidential: 0.4}  # not in the editor: kept from the base
    shown = state.scenario_to_browser(s, aliases)
    controls = editor.control_values(shown)
    assert confidential not in json.dumps(controls, default=str)
    assert controls[editor.BY_PATH["targets.gender_share"].id] == pytest.approx(
        100 * values["gender_share"], abs=1e-6
    )
    back = state.scenario_from_browser(editor.apply_controls(controls, shown), aliases)
    assert _approx_equal(back.to_dict(), s.to_dict()), (back.to_dict(), s.to_dict())


def _approx_equal(a: Any, b: Any) -> bool:
    """Equal, up to the rounding of percentages to 6 decimals in the editor."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_approx_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_approx_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, abs=1e-8)
    return bool(a == b)


def test_apply_controls_does_not_change_the_base(aliases: dict[str, str]) -> None:
    base = state.scenario_to_browser(Scenario(), aliases)
    before = json.dumps(base, sort_keys=True)
    controls = editor.control_values(base)
    controls[editor.BY_PATH["weights.tier.2"].id] = 9
    controls[editor.BY_PATH["weights.criteria.innovation"].id] = 2
    out = editor.apply_controls(controls, base)
    assert json.dumps(base, sort_keys=True) == before
    assert out["weights"]["tier"]["2"] == 9 and out["weights"]["criteria"] == {"innovation": 2.0}


def test_blank_controls_mean_what_the_table_says(aliases: dict[str, str]) -> None:
    base = Scenario(donor_line_cap_share=0.5, start_year=2028, mip_gap=0.01)
    shown = state.scenario_to_browser(base, aliases)
    controls = editor.control_values(shown)
    for path in ("donor_line_cap_share", "start_year", "mip_gap", "targets.gender_share", "name"):
        controls[editor.BY_PATH[path].id] = None
    s = state.scenario_from_browser(editor.apply_controls(controls, shown), aliases)
    assert s.donor_line_cap_share is None and s.start_year is None  # unset
    assert s.mip_gap == 0.01 and s.name == "baseline"  # kept
    assert s.targets.gender_share == 0.0  # blank target: off
    controls[editor.BY_PATH["donor_line_cap_share"].id] = 0  # 0 = no cap too
    assert "donor_line_cap_share" not in editor.apply_controls(controls, shown)


def test_invalid_controls_name_every_problem(aliases: dict[str, str]) -> None:
    values = editor.control_values(state.scenario_to_browser(Scenario(), aliases))
    values[editor.BY_PATH["weights.tier.1"].id] = None
    values[editor.BY_PATH["time_limit_seconds"].id] = "soon"
    values[editor.BY_PATH["risk.seed"].id] = 1.5
    values[editor.BY_PATH["min_viable"].id] = "yes"
    with pytest.raises(ScenarioError) as err:
        editor.apply_controls(values, None)
    assert {p.path for p in err.value.problems} == {
        "weights.tier.1",
        "time_limit_seconds",
        "risk.seed",
        "min_viable",
    }
    text = str(err.value)
    assert "Tier 1 (weights.tier.1) is required" in text and "'soon' is not a number" in text
    # Out-of-range values pass the editor and are refused by the one validation, reworded.
    values = editor.control_values(state.scenario_to_browser(Scenario(), aliases))
    values[editor.BY_PATH["targets.gender_share"].id] = 150
    values[editor.BY_PATH["excluded_donors"].id] = ["Nobody"]
    data = editor.apply_controls(values, None)
    with pytest.raises(ScenarioError) as raw:
        state.scenario_from_browser(data, aliases)
    worded = str(editor.in_editor_terms(raw.value, values))
    assert "Excluded donors (excluded_donors): no pledge from 'Nobody'" in worded
    values[editor.BY_PATH["excluded_donors"].id] = []
    with pytest.raises(ScenarioError) as raw:
        state.scenario_from_browser(editor.apply_controls(values, None), aliases)
    worded = str(editor.in_editor_terms(raw.value, values))
    assert worded == (
        "Gender-tagged lines, of all (targets.gender_share): must be between 0 and 100 %, got 150 %"
    )


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


def test_the_upload_check_tells_new_updated_and_refused_ids_apart(sample_plan: Plan) -> None:
    text = (
        "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "P-SAME,Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "P-OTHER,Chile,1000,USD,2027,1,unearmarked,,paid\n"
        "P-NEW,Peru,1000,USD,2027,1,unearmarked,,paid\n"
    )
    check = pledges.check_upload(text.encode(), "mine.csv", sample_plan)
    stored = pd.DataFrame(
        {
            "pledge_id": ["P-SAME", "P-OTHER", "P-ELSE"],
            "source_file": ["mine.csv", "theirs.xlsx", "x"],
        }
    )
    # Same id from the same file: an update; from another file: refused by the register.
    assert pledges.new_and_updated(check, stored) == (1, 1, 1)
    assert pledges.new_and_updated(check, stored.iloc[0:0]) == (3, 0, 0)


def test_check_upload_unreadable_file_is_fatal(sample_plan: Plan) -> None:
    check = pledges.check_upload(b"PK\x03\x04 not really a zip", "fake.xlsx", sample_plan)
    assert check.fatal and not check.can_store
    assert len(pledges.error_frame(check.report)) >= 1
    assert pledges.check_message(check)[0] == "danger"


def test_store_checked_and_status_edits(
    sample_plan: Plan, tmp_db_url: str, aliases: dict[str, str]
) -> None:
    reg = Register(tmp_db_url)
    reg.import_plan(sample_plan.replace(pledges=sample_plan.pledges.iloc[:0]), _empty_report())
    data = (SAMPLE_DIR / "pledges_entities.csv").read_bytes()
    check = pledges.check_upload(data, "pledges_entities.csv", sample_plan)
    message = pledges.store_checked(reg, check, data)
    stored = reg.pledges()
    assert len(stored) == check.valid_rows > 0
    assert (
        message.startswith(f"Stored {len(stored)} pledge rows") and f"{len(stored)} new" in message
    )
    # Storing the same check again replaces rather than duplicates.
    again = pledges.store_checked(reg, check, data)
    assert len(reg.pledges()) == len(stored) and f"{len(stored)} updated" in again
    nothing = pledges.check_upload(b"donor,amount\n", "empty.csv", sample_plan)
    with pytest.raises(pledges.UploadError, match="no valid pledge rows"):
        pledges.store_checked(reg, nothing, b"donor,amount\n")

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


def test_reference_digest_follows_programmes_and_rates_only(sample_plan: Plan) -> None:
    digest = pledges.reference_digest(sample_plan)
    assert (
        pledges.reference_digest(sample_plan.replace(pledges=sample_plan.pledges.copy())) == digest
    )
    fx = sample_plan.fx.copy()
    fx.loc[0, "units_per_usd"] = float(fx.loc[0, "units_per_usd"]) * 1.01
    assert pledges.reference_digest(sample_plan.replace(fx=fx)) != digest
    programmes = sample_plan.programmes.copy()
    programmes.loc[0, "name"] = "Renamed"
    assert pledges.reference_digest(sample_plan.replace(programmes=programmes)) != digest


# -- uploads kept between check and confirm ----------------------------------------------------
def test_kept_uploads_are_bound_to_their_owner(tmp_path: Any) -> None:
    config = state.AppConfig(db_url="sqlite://", cache_dir=str(tmp_path / "cache"))
    data = b"donor,amount\nNorway,1\n"
    token = uploads.keep(
        config, who="alice", filename="a.csv", data=data, check=None, reference="r"
    )
    assert uploads.take(config, token, who="alice").data == data
    with pytest.raises(uploads.UploadExpired):
        uploads.take(config, token, who="bob")
    bobs = uploads.keep(config, who="bob", filename="a.csv", data=data, check=None, reference="r")
    assert bobs != token and uploads.take(config, bobs, who="bob").owner == "bob"
    # The token is keyed: knowing the bytes and the user is not enough to make it.
    unkeyed = hashlib.sha256(b"alice\0" + hashlib.sha256(data).hexdigest().encode()).hexdigest()
    assert unkeyed != token
    for bad in (token.upper(), token[:-1], "", None, 3):
        with pytest.raises(uploads.UploadExpired):
            uploads.take(config, bad, who="alice")
    uploads.discard(config, token)
    with pytest.raises(uploads.UploadExpired, match="drop the file again"):
        uploads.take(config, token, who="alice")
    key = tmp_path / "cache" / secret.KEY_FILE  # the server's one secret, shared with sign-in
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32


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
    assert h.coverage == pytest.approx(h.funded_usd / h.requirement_usd)
    assert h.funded_usd == pytest.approx(float(base_run.result.lines["funded_usd"].sum()))
    plan = base_run.plan
    in_horizon = plan.tranches[plan.tranches["year"].isin(plan.years)]
    money = in_horizon.merge(plan.pledges[["pledge_id", "donor"]], on="pledge_id")
    assert h.donor_count == money.groupby("donor")["programmable_usd"].sum().gt(0).sum()
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
