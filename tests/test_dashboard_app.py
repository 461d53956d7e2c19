"""The dashboard's callbacks driven over HTTP as the browser drives them (Flask test client).

Every callback is found in the app's own ``/_dash-dependencies`` by the ids it writes and
called with the values a browser would send (:class:`dashboards.client.CallbackClient`), so a
callback wired to a wrong id is not found and a test fails. Figures are checked against the
model's own numbers, computed here independently of the dashboard code. The real-browser runs
are in test_e2e_dashboard.py.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from dash import Dash

from appeal import service
from appeal.importer import SAMPLE_DIR, ImportReport, sample_paths
from appeal.register import Register
from appeal.service import run_summary
from dashboards import client as wire
from dashboards import ids, uploads
from dashboards.app import create_app
from dashboards.components import usd
from dashboards.logic import editor
from dashboards.logic import pledges as pledges_logic
from dashboards.state import AppConfig
from models import gaps, stress
from models.analytics import PlanRun
from models.attribution import attribute
from models.plan import Plan
from models.privacy import donor_aliases
from models.scenario import Scenario

EDITOR_VALUES = [f"{c}.value" for c in editor.IDS]
EDITOR_OPTIONS = [f"{c.id}.options" for c in editor.CONTROLS if c.widget in ("donors", "year")]
SHOW_WORKING = (*EDITOR_VALUES, *EDITOR_OPTIONS)
SHOW_RESULT = f"{ids.SC_RESULT}.children"
FEEDBACK = tuple(f"{ids.editor_feedback(c)}.children" for c in editor.IDS)
RUN = (
    f"{ids.WORKING_SCENARIO}.data",
    f"{ids.SC_MESSAGE}.children",
    f"{ids.SC_RESULT}.children",
    f"{ids.SC_RESULT_VALUES}.data",
    *FEEDBACK,
)
CHECK = (
    f"{ids.UPLOAD_CHECK}.children",
    f"{ids.UPLOAD_CONFIRM}.disabled",
    f"{ids.UPLOAD_CONFIRM}.children",
    f"{ids.UPLOAD_RESULT}.children",
    f"{ids.UPLOAD_TOKEN}.data",
    f"{ids.PLEDGE_UPLOAD}.contents",
)
CONFIRM = (
    f"{ids.UPLOAD_RESULT}.children",
    f"{ids.UPLOAD_CONFIRM}.disabled",
    f"{ids.PLEDGES_VERSION}.data",
    f"{ids.UPLOAD_TOKEN}.data",
    f"{ids.UPLOAD_CHECK}.children",
    f"{ids.GRID_MESSAGE}.children",
)


def _app(root: Path, sample: tuple[Plan, ImportReport]) -> Dash:
    url = f"sqlite:///{root / 'register.sqlite'}"
    reg = Register(url)
    reg.import_plan(*sample)
    for path in sample_paths()["scenarios"]:  # as ``appeal serve --demo`` does
        scenario = service.load_scenario(path)
        summary = run_summary(service.solve(sample[0], scenario))
        reg.save_scenario(scenario.name, scenario, summary)
    reg.close()
    return create_app(AppConfig(db_url=url, cache_dir=str(root / "cache"), risk_workers=1))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]) -> Dash:
    return _app(tmp_path_factory.mktemp("dash-app"), sample_loaded)


@pytest.fixture
def client(app: Dash) -> wire.CallbackClient:
    return wire.CallbackClient.for_flask(app.server.test_client())


def _register(app: Dash) -> Register:
    return Register(app.server.config["APPEAL"].db_url)


@pytest.fixture(scope="module")
def stored_plan(app: Dash) -> Plan:
    """The plan as the app reads it from its register."""
    reg = _register(app)
    try:
        return reg.load_plan()
    finally:
        reg.close()


@pytest.fixture(scope="module")
def baseline(stored_plan: Plan) -> PlanRun:
    """The default scenario solved directly, without the dashboard."""
    return service.solve(stored_plan, Scenario())


@pytest.fixture(scope="module")
def hidden(stored_plan: Plan) -> list[str]:
    names = [d for d, a in donor_aliases(stored_plan).items() if d != a]
    assert names, "the sample data has confidential donors"
    return names


def _traces(tree: Any, graph_id: str) -> list[dict[str, Any]]:
    figure = wire.component(tree, graph_id)["props"]["figure"]
    traces = list(figure["data"])
    assert traces, f"{graph_id} has no traces"
    return traces


def _figure(tree: Any, graph_id: str) -> dict[str, Any]:
    return dict(wire.component(tree, graph_id)["props"]["figure"])


def _alt_text(tree: Any, graph_id: str) -> str:
    """The text alternative of a chart: the aria-label of the image holding the graph."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "props" in node:
                yield node
                yield from walk(node["props"].get("children"))
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for node in walk(tree):
        props = node["props"]
        if props.get("role") == "img" and any(
            n["props"].get("id") == graph_id for n in walk(props.get("children"))
        ):
            return str(props["aria-label"])
    raise AssertionError(f"{graph_id} has no text alternative")


@contextlib.contextmanager
def counting_validations() -> Iterator[list[str]]:
    """Every validation of a whole Scenario (construction, from_dict, assignment) while active."""
    original = Scenario.__pydantic_validator__
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            attr = getattr(original, name)
            if name.startswith("validate_"):

                def counted(*args: Any, **kwargs: Any) -> Any:
                    calls.append(name)
                    return attr(*args, **kwargs)

                return counted
            return attr

    Scenario.__pydantic_validator__ = Counting()  # type: ignore[assignment]
    try:
        yield calls
    finally:
        Scenario.__pydantic_validator__ = original


# -- the app -------------------------------------------------------------------------------------
def test_index_serves_local_assets_only(app: Dash) -> None:
    http = app.server.test_client()
    page = http.get("/").get_data(as_text=True)
    assert "/assets/00_bootstrap.min.css" in page
    assert "cdn." not in page and "https://" not in page.split("<body>")[0]
    css = http.get("/assets/00_bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.get_data()[:200]
    assert http.get("/assets/upload_limit.js").status_code == 200


def test_server_refuses_oversized_uploads_with_a_message(app: Dash) -> None:
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    assert limit >= 10 * 1024 * 1024
    response = app.server.test_client().post(
        "/_dash-update-component", data=b"x" * (limit + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert "10 MB" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("/", [ids.OVERVIEW_BODY, ids.WORKING_SCENARIO]),
        ("/pledges", [ids.PLEDGE_UPLOAD, ids.UPLOAD_CONFIRM, ids.UPLOAD_TOKEN, ids.PLEDGES_GRID]),
        ("/scenarios", [*editor.IDS, ids.SC_RUN, ids.SC_RESULT, ids.COMPARE_RUN]),
        ("/donors", [ids.DONORS_BODY, ids.STRESS_RUN, ids.RISK_RUN, ids.RISK_CANCEL]),
        ("/appeal", [ids.APPEAL_SCENARIO, ids.APPEAL_DOWNLOAD_BUTTON, ids.APPEAL_PREVIEW]),
    ],
)
def test_each_path_is_routed_to_its_page(
    client: wire.CallbackClient, path: str, parts: list[str]
) -> None:
    reply = client.call(
        "_pages_content.children",
        {"_pages_location.pathname": path, "_pages_location.search": ""},
    )
    for ident in parts:
        wire.component(reply["_pages_content.children"], ident)


# -- Overview --------------------------------------------------------------------------------
def test_overview_shows_the_models_figures_and_no_confidential_name(
    client: wire.CallbackClient, baseline: PlanRun, stored_plan: Plan, hidden: list[str]
) -> None:
    reply = client.call(f"{ids.OVERVIEW_BODY}.children", {f"{ids.WORKING_SCENARIO}.data": None})
    body = reply[f"{ids.OVERVIEW_BODY}.children"]
    totals = gaps.totals(stored_plan, baseline.result)
    cards = wire.text(wire.component(body, ids.OVERVIEW_CARDS))
    for label, key in (("Requirement", "requirement_usd"), ("Funded", "funded_usd")):
        assert f"{label} {usd(totals[key])}" in cards
    assert f"Gap {usd(totals['gap_usd'])}" in cards and totals["gap_usd"] > 0

    # The gap chart stacks every category's gap per year: it adds up to the total gap.
    gap_traces = _traces(body, ids.OVERVIEW_GAP_CHART)
    # Axes are in USD millions.
    shown_gap = 1e6 * sum(float(wire.trace_values(t, "y").astype(float).sum()) for t in gap_traces)
    assert shown_gap == pytest.approx(totals["gap_usd"], rel=1e-9)
    by_year = gaps.breakdown(stored_plan, baseline.result, "year")
    year_traces = {t["name"]: t for t in _traces(body, ids.OVERVIEW_YEAR_CHART)}
    np.testing.assert_allclose(
        1e6 * wire.trace_values(year_traces["Gap"], "y").astype(float), by_year["gap_usd"]
    )
    assert _figure(body, ids.OVERVIEW_YEAR_CHART)["layout"]["yaxis"]["title"]["text"] == "USD m"
    # Each chart has a title and a one-sentence summary, which is also its text alternative.
    for graph in (ids.OVERVIEW_GAP_CHART, ids.OVERVIEW_YEAR_CHART, ids.OVERVIEW_HEATMAP):
        assert _alt_text(body, graph).endswith(".")

    # One heat-map cell per line and year, each the line-year's coverage.
    heat = _traces(body, ids.OVERVIEW_HEATMAP)[0]
    assert heat["texttemplate"] == "%{z:.0%}" and heat["colorscale"][0][1] != "#c73e1d"
    z = wire.trace_values(heat, "z").astype(float)
    assert z.shape == (len(stored_plan.line_ids), len(stored_plan.years))
    lines = baseline.result.lines
    first = lines[lines["line_id"] == stored_plan.line_ids[0]].sort_values("year")
    np.testing.assert_allclose(z[0], first["funded_usd"] / first["requirement_usd"], rtol=1e-9)

    raw = json.dumps(reply.raw)
    assert not any(name in raw for name in hidden)


def test_invalid_scenario_in_the_browser_gives_an_alert_naming_the_key(
    client: wire.CallbackClient,
) -> None:
    reply = client.call(
        f"{ids.OVERVIEW_BODY}.children",
        {f"{ids.WORKING_SCENARIO}.data": {"weights": {"tranche_share": 3}}},
    )
    text = wire.text(reply[f"{ids.OVERVIEW_BODY}.children"])
    assert "The scenario is invalid" in text and "weights.tranche_share" in text


# -- Pledges: check, then confirm by token -------------------------------------------------------
@pytest.fixture(scope="module")
def upload_app(
    tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]
) -> Dash:
    """An app of its own: these tests store pledges, which would move every other figure."""
    return _app(tmp_path_factory.mktemp("dash-uploads"), sample_loaded)


@pytest.fixture
def upload_client(upload_app: Dash) -> wire.CallbackClient:
    return wire.CallbackClient.for_flask(upload_app.server.test_client())


BAD_CSV = (
    b"donor,amount,currency,year,years,earmarking,earmark_to,status\n"
    b"Norway,1000000,USD,2027,1,unearmarked,,paid\n"
    b"Chile,1000,ZZZ,2027,1,unearmarked,,paid\n"
)


def _upload(data: bytes, name: str) -> dict[str, Any]:
    contents = "data:text/csv;base64," + base64.b64encode(data).decode()
    return {f"{ids.PLEDGE_UPLOAD}.contents": contents, f"{ids.PLEDGE_UPLOAD}.filename": name}


def test_upload_is_checked_once_and_stored_from_its_token(
    upload_app: Dash, upload_client: wire.CallbackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = pledges_logic.read_pledge_file

    def counting(*args: Any, **kwargs: Any) -> Any:
        parsed.append(str(kwargs.get("filename")))
        return real(*args, **kwargs)

    monkeypatch.setattr(pledges_logic, "read_pledge_file", counting)
    reg = _register(upload_app)
    before = len(reg.pledges())

    checked = upload_client.call(CHECK[0], _upload(BAD_CSV, "bad.csv"))
    report = checked[f"{ids.UPLOAD_CHECK}.children"]
    assert "ZZZ" in json.dumps(report) and "bad.csv" in wire.text(report)
    assert checked[f"{ids.UPLOAD_CONFIRM}.children"] == "Store 1 valid row, skip 1 rejected"
    assert checked[f"{ids.UPLOAD_CONFIRM}.disabled"] is False
    token = checked[f"{ids.UPLOAD_TOKEN}.data"]
    assert isinstance(token, str) and len(token) == 64
    assert checked[f"{ids.PLEDGE_UPLOAD}.contents"] is None  # the browser drops its copy
    assert len(reg.pledges()) == before  # nothing stored by the check

    confirm = upload_client.find(*CONFIRM)
    sent = (*confirm.inputs, *confirm.state)
    assert (ids.PLEDGE_UPLOAD, "contents") not in sent
    request = confirm.request(
        {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token}
    )
    body = json.dumps(request)
    assert base64.b64encode(BAD_CSV).decode()[:40] not in body and "Norway" not in body
    stored = upload_client.call(
        confirm, {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token}
    )
    # The stored message replaces the check's "nothing is stored yet" (no stale message).
    result = wire.text(stored[f"{ids.UPLOAD_CHECK}.children"])
    assert "Stored 1 pledge rows from bad.csv" in result and "Nothing is stored" not in result
    assert stored[f"{ids.UPLOAD_RESULT}.children"] is None
    assert stored[f"{ids.PLEDGES_VERSION}.data"] == 1 and stored[f"{ids.UPLOAD_TOKEN}.data"] is None
    assert len(reg.pledges()) == before + 1
    assert parsed == ["bad.csv"]  # parsed once, by the check

    # The token is spent: a second confirmation stores nothing and says why.
    again = upload_client.call(
        confirm, {f"{ids.UPLOAD_CONFIRM}.n_clicks": 2, f"{ids.UPLOAD_TOKEN}.data": token}
    )
    assert "no longer on the server" in wire.text(again[f"{ids.UPLOAD_RESULT}.children"])
    assert len(reg.pledges()) == before + 1
    reg.close()


@pytest.mark.parametrize("token", ["0" * 64, "not a token", None, 12, ["x"]])
def test_an_unknown_token_stores_nothing_with_a_clear_message(
    upload_app: Dash, upload_client: wire.CallbackClient, token: Any
) -> None:
    reg = _register(upload_app)
    before = len(reg.pledges())
    reply = upload_client.call(
        upload_client.find(*CONFIRM),
        {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token},
    )
    text = wire.text(reply[f"{ids.UPLOAD_RESULT}.children"])
    assert "Nothing was stored" in text and "drop the file again" in text
    assert len(reg.pledges()) == before
    reg.close()


def test_another_users_token_is_refused(
    upload_app: Dash, upload_client: wire.CallbackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (SAMPLE_DIR / "pledges_entities.csv").read_bytes()
    monkeypatch.setattr(uploads, "owner", lambda: "alice")
    token = upload_client.call(CHECK[0], _upload(data, "alice.csv"))[f"{ids.UPLOAD_TOKEN}.data"]
    monkeypatch.setattr(uploads, "owner", lambda: "bob")
    refused = upload_client.call(
        upload_client.find(*CONFIRM),
        {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token},
    )
    assert "no longer on the server" in wire.text(refused[f"{ids.UPLOAD_RESULT}.children"])
    # Bob checking the same bytes gets a token of his own, not Alice's.
    bobs = upload_client.call(CHECK[0], _upload(data, "bob.csv"))[f"{ids.UPLOAD_TOKEN}.data"]
    assert bobs != token


def test_an_expired_check_is_refused(
    upload_app: Dash, upload_client: wire.CallbackClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "KEEP_SECONDS", 1)
    token = upload_client.call(CHECK[0], _upload(BAD_CSV, "late.csv"))[f"{ids.UPLOAD_TOKEN}.data"]
    time.sleep(1.5)
    reply = upload_client.call(
        upload_client.find(*CONFIRM),
        {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token},
    )
    assert "no longer on the server" in wire.text(reply[f"{ids.UPLOAD_RESULT}.children"])


def test_a_check_made_against_other_exchange_rates_is_not_stored(
    tmp_path: Path, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    app = _app(tmp_path, sample_loaded)
    client = wire.CallbackClient.for_flask(app.server.test_client())
    data = (SAMPLE_DIR / "pledges_entities.csv").read_bytes()
    token = client.call(CHECK[0], _upload(data, "p.csv"))[f"{ids.UPLOAD_TOKEN}.data"]
    plan, report = sample_loaded
    fx = plan.fx.copy()
    eur = fx.index[fx["currency"] == "EUR"][0]  # not USD: its rate must stay 1
    fx.loc[eur, "units_per_usd"] = float(fx.loc[eur, "units_per_usd"]) * 2
    reg = _register(app)
    before = len(reg.pledges())
    reg.import_plan(
        plan.replace(fx=fx, pledges=plan.pledges.iloc[:0], tranches=plan.tranches.iloc[:0]), report
    )
    reply = client.call(
        client.find(*CONFIRM),
        {f"{ids.UPLOAD_CONFIRM}.n_clicks": 1, f"{ids.UPLOAD_TOKEN}.data": token},
    )
    assert "exchange rates changed" in wire.text(reply[f"{ids.UPLOAD_RESULT}.children"])
    assert len(reg.pledges()) == before
    reg.close()


def test_a_refused_file_type_is_refused_whole(upload_client: wire.CallbackClient) -> None:
    reply = upload_client.call(
        CHECK[0],
        {
            f"{ids.PLEDGE_UPLOAD}.contents": "data:x;base64,AAAA",
            f"{ids.PLEDGE_UPLOAD}.filename": "notes.txt",
        },
    )
    assert "only .xlsx and .csv" in wire.text(reply[f"{ids.UPLOAD_CHECK}.children"])
    assert reply[f"{ids.UPLOAD_CONFIRM}.disabled"] is True
    assert reply[f"{ids.UPLOAD_TOKEN}.data"] is None


# -- Scenarios -------------------------------------------------------------------------------
def _open_editor(client: wire.CallbackClient) -> tuple[dict[str, Any], Any]:
    """The editor's control values and result panel of a fresh Scenarios page."""
    fresh = {f"{ids.WORKING_SCENARIO}.data": None, f"{editor.FILLED_MARK}.value": None}
    reply = client.call(client.find(*SHOW_WORKING), fresh)
    values = {c: reply[f"{c}.value"] for c in editor.IDS}
    return values, client.call(SHOW_RESULT, fresh)[SHOW_RESULT]


def _run(client: wire.CallbackClient, values: dict[str, Any], current: Any = None) -> wire.Reply:
    return client.call(
        client.find(*RUN),
        {
            f"{ids.SC_RUN}.n_clicks": 1,
            **{f"{c}.value": v for c, v in values.items()},
            f"{ids.WORKING_SCENARIO}.data": current,
        },
        triggered=[f"{ids.SC_RUN}.n_clicks"],
    )


def test_a_fresh_editor_shows_the_default_scenario_and_its_result(
    client: wire.CallbackClient, baseline: PlanRun, stored_plan: Plan
) -> None:
    values, panel = _open_editor(client)
    assert values[editor.BY_PATH["weights.tier.1"].id] == 8.0
    assert values[editor.BY_PATH["targets.gender_share"].id] == pytest.approx(15.0)
    assert values[editor.BY_PATH["name"].id] == "baseline"
    card = wire.text(wire.component(panel, ids.SC_RESULT_CARD))
    assert "Result of “baseline”" in card
    assert f"Funded {usd(gaps.totals(stored_plan, baseline.result)['funded_usd'])}" in card
    explained = wire.component(panel, ids.SC_EXPLANATIONS)["props"]["rowData"]
    assert [r["line_id"] for r in explained] == stored_plan.line_ids
    assert not any("_" in r["reason"] for r in explained)  # reasons in words, not codes
    bars = _traces(panel, ids.SC_NEXT_MILLION)[0]
    moved = 1e6 * wire.trace_values(bars, "x").astype(float)
    expected = baseline.result.next_million
    assert moved.sum() == pytest.approx(
        expected.loc[expected["amount_usd"] > 0.5, "amount_usd"].sum()
    )
    assert 0 < moved.sum() <= 1e6 + 1


def test_an_invalid_working_scenario_fills_defaults_and_says_why(
    client: wire.CallbackClient,
) -> None:
    bad = {f"{ids.WORKING_SCENARIO}.data": {"mip_gap": -1}, f"{editor.FILLED_MARK}.value": None}
    filled = client.call(client.find(*SHOW_WORKING), bad)
    assert filled[f"{editor.BY_PATH['mip_gap'].id}.value"] == Scenario().mip_gap
    text = wire.text(client.call(SHOW_RESULT, bad)[SHOW_RESULT])
    assert "The scenario is invalid" in text and "mip_gap" in text


def test_one_click_that_changes_one_number_validates_once(
    client: wire.CallbackClient, stored_plan: Plan
) -> None:
    values, _ = _open_editor(client)
    tier1 = editor.BY_PATH["weights.tier.1"].id
    values[tier1] = 11.5
    with counting_validations() as calls:
        reply = _run(client, values)
        data = reply[f"{ids.WORKING_SCENARIO}.data"]
        # The store changed, so the browser also asks the editor to refill and the result
        # panel to redraw: both decline.
        changed = {f"{ids.WORKING_SCENARIO}.data": data, f"{editor.FILLED_MARK}.value": 11.5}
        chained = [
            client.call(client.find(*SHOW_WORKING), changed),
            client.call(SHOW_RESULT, changed),
        ]
    assert [c.status for c in chained] == [204, 204]
    assert len(calls) == 1, calls
    assert data["weights"]["tier"]["1"] == 11.5
    expected = service.solve(
        stored_plan, Scenario.from_dict({"weights": {"tier": data["weights"]["tier"]}})
    )
    card = wire.text(wire.component(reply[f"{ids.SC_RESULT}.children"], ids.SC_RESULT_CARD))
    assert f"Funded {usd(gaps.totals(stored_plan, expected.result)['funded_usd'])}" in card


def test_run_save_load_and_compare(
    app: Dash, client: wire.CallbackClient, stored_plan: Plan, hidden: list[str]
) -> None:
    values, _ = _open_editor(client)
    values[editor.BY_PATH["weights.tier.1"].id] = 20
    values[editor.BY_PATH["name"].id] = "heavy-tier-1"
    alias = donor_aliases(stored_plan)[hidden[0]]
    values[editor.BY_PATH["excluded_donors"].id] = [alias]
    ran = _run(client, values)
    data = ran[f"{ids.WORKING_SCENARIO}.data"]
    assert ran[f"{ids.SC_MESSAGE}.children"] is None
    assert data["weights"]["tier"]["1"] == 20 and data["excluded_donors"] == [alias]
    assert "heavy-tier-1" in wire.text(ran[f"{ids.SC_RESULT}.children"])
    assert not any(name in json.dumps(ran.raw) for name in hidden)

    # A fresh page (empty controls) is filled from the tab's working scenario.
    refilled = client.call(
        client.find(*SHOW_WORKING),
        {f"{ids.WORKING_SCENARIO}.data": data, f"{editor.FILLED_MARK}.value": None},
    )
    assert refilled[f"{editor.BY_PATH['weights.tier.1'].id}.value"] == 20
    assert refilled[f"{editor.BY_PATH['excluded_donors'].id}.value"] == [alias]

    # Save (its outputs are shared with Replace and Save as: found by its button).
    save = next(cb for cb in client.callbacks if (ids.SC_SAVE, "n_clicks") in cb.inputs)
    saved = client.call(
        save,
        {
            f"{ids.SC_SAVE}.n_clicks": 1,
            **{f"{c}.value": v for c, v in values.items()},
            f"{ids.WORKING_SCENARIO}.data": data,
            f"{ids.SAVED_VERSION}.data": 0,
        },
    )
    assert saved[f"{ids.SAVED_VERSION}.data"] == 1
    assert "Saved scenario “heavy-tier-1”" in wire.text(saved[f"{ids.SC_MESSAGE}.children"])
    reg = _register(app)
    stored = reg.get_scenario("heavy-tier-1")
    reg.close()
    assert stored.weights.tier[1] == 20 and stored.excluded_donors == [hidden[0]]

    listed = client.call(f"{ids.SAVED_TABLE}.children", {f"{ids.SAVED_VERSION}.data": 1})
    assert "heavy-tier-1" in [o["value"] for o in listed[f"{ids.SAVED_SELECT}.options"]]

    compare = client.call(
        f"{ids.COMPARE_RESULT}.children",
        {
            f"{ids.COMPARE_RUN}.n_clicks": 1,
            f"{ids.COMPARE_A}.value": "baseline",
            f"{ids.COMPARE_B}.value": "heavy-tier-1",
            f"{ids.WORKING_SCENARIO}.data": data,
        },
    )
    tree = compare[f"{ids.COMPARE_RESULT}.children"]
    assert "Funded" in wire.text(wire.component(tree, ids.COMPARE_TOTALS))
    bars = _traces(tree, ids.COMPARE_CHART)[0]
    reg = _register(app)
    a, b = reg.get_scenario("baseline"), reg.get_scenario("heavy-tier-1")
    reg.close()
    # B held closest to A among its best allocations (the engine's attribution), so only the
    # lines the change needs to move move.
    change = attribute((stored_plan, a), (stored_plan, b)).lines.set_index("line_id")
    moved = change["total_change"][change["total_change"].abs() > 0.5]
    shown = dict(
        zip(
            (str(label).split(" · ")[0] for label in wire.trace_values(bars, "y")),
            1e6 * wire.trace_values(bars, "x").astype(float),
            strict=True,
        )
    )
    assert len(shown) == min(25, len(moved)) > 0  # the chart shows the 25 largest moves
    for line_id, delta in shown.items():
        assert delta == pytest.approx(moved[line_id], abs=1.0)

    loaded = client.call(
        client.find(f"{ids.WORKING_SCENARIO}.data", f"{ids.SAVED_MESSAGE}.children"),
        {f"{ids.SAVED_LOAD}.n_clicks": 1, f"{ids.SAVED_SELECT}.value": "heavy-tier-1"},
    )
    assert loaded[f"{ids.WORKING_SCENARIO}.data"]["excluded_donors"] == [alias]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("weights.tier.2", None, "Tier 2 (weights.tier.2) is required"),
        ("time_limit_seconds", "soon", "'soon' is not a number"),
        ("targets.gender_share", 150, "must be between 0 and 100 %, got 150 %"),
        ("risk.draws", 2.5, "is not a whole number"),
        ("excluded_donors", ["Nobody"], "no pledge from 'Nobody'"),
        ("mip_gap", -1, "MIP gap (mip_gap): must be between 0 and 1, got -1"),
    ],
)
def test_an_invalid_control_is_named_and_nothing_changes(
    client: wire.CallbackClient, path: str, value: Any, expected: str
) -> None:
    values, _ = _open_editor(client)
    values[editor.BY_PATH[path].id] = value
    reply = _run(client, values)
    assert f"{ids.WORKING_SCENARIO}.data" not in reply  # the working scenario is kept
    assert f"{ids.SC_RESULT}.children" not in reply  # and so is the result shown
    message = wire.text(reply[f"{ids.SC_MESSAGE}.children"])
    assert "Not run" in message and expected in message
    # ... and said beside the control itself, and beside no other.
    beside = {c: reply[f"{ids.editor_feedback(c)}.children"] for c in editor.IDS}
    assert expected in wire.text(beside[editor.BY_PATH[path].id])
    assert [c for c, v in beside.items() if v] == [editor.BY_PATH[path].id]


def test_a_confidential_donors_real_name_from_the_browser_is_refused_like_an_unknown(
    client: wire.CallbackClient, hidden: list[str]
) -> None:
    """A guessed real name must not change anything a browser can see (issue: guessing)."""
    texts = []
    for name in (hidden[0], "Atlantis"):
        for data in (
            {"excluded_donors": [name]},
            {"risk": {"donor_probability": {name: 0.0}}},
        ):
            reply = client.call(
                f"{ids.OVERVIEW_BODY}.children", {f"{ids.WORKING_SCENARIO}.data": data}
            )
            text = wire.text(reply[f"{ids.OVERVIEW_BODY}.children"])
            assert "The scenario is invalid" in text and f"no pledge from {name!r}" in text
            texts.append(text.replace(name, "NAME"))
    assert texts[0] == texts[2] and texts[1] == texts[3]


# -- Donor base and Appeal -------------------------------------------------------------------
def test_donor_base_figures_follow_the_allocation(
    client: wire.CallbackClient, baseline: PlanRun, hidden: list[str]
) -> None:
    reply = client.call(f"{ids.DONORS_BODY}.children", {f"{ids.WORKING_SCENARIO}.data": None})
    body = reply[f"{ids.DONORS_MORE}.children"]
    allocated = float(baseline.result.allocations["amount_usd"].sum())
    for lines, hops in ((False, 1), (True, 2)):
        drawn = client.call(
            f"{ids.DONORS_SANKEY}.figure",
            {f"{ids.WORKING_SCENARIO}.data": None, f"{ids.DONORS_SANKEY_LINES}.value": lines},
        )[f"{ids.DONORS_SANKEY}.figure"]
        flows = wire.trace_values(drawn["data"][0]["link"], "value").astype(float)
        # Donor -> category links (and category -> line links) each carry every dollar.
        assert flows.sum() == pytest.approx(hops * allocated, rel=1e-9)
        labels = drawn["data"][0]["node"]["label"]
        assert all("USD" in label for label in labels)  # every node says its amount
        assert len(labels) <= 8 + 1 + 4 + (13 + 4 if lines else 0)  # grouped, never 40 lines
    lorenz = _traces(body, ids.DONORS_LORENZ)[1]
    assert wire.trace_values(lorenz, "y").astype(float)[-1] == pytest.approx(1.0)
    options = reply[f"{ids.STRESS_DONORS}.options"]
    assert len(options) == baseline.plan.pledges["donor"].nunique()
    assert not any(name in json.dumps(reply.raw) for name in hidden)


def test_stress_test_removes_the_largest_donor(
    client: wire.CallbackClient, stored_plan: Plan
) -> None:
    reply = client.call(
        f"{ids.STRESS_RESULT}.children",
        {
            f"{ids.STRESS_RUN}.n_clicks": 1,
            f"{ids.STRESS_MODE}.value": "top",
            f"{ids.STRESS_TOP}.value": "1",
            f"{ids.STRESS_DONORS}.value": [],
            f"{ids.WORKING_SCENARIO}.data": None,
        },
    )
    summary = wire.text(wire.component(reply[f"{ids.STRESS_RESULT}.children"], ids.STRESS_SUMMARY))
    assert summary.startswith("Without the top 1 donor") and "of pledges lost" in summary
    largest = stress.top_donors(stored_plan, 1)[0]
    assert f"{donor_aliases(stored_plan)[largest]}: USD" in summary  # who, and how much
    case = stress.donor_loss(stored_plan, Scenario(), [largest])
    rises = case.breadth_after["hhi"] > case.breadth_before["hhi"]
    assert ("is more concentrated" if rises else "spread more evenly") in summary


def test_appeal_download_is_the_workbook_of_the_chosen_scenario(
    client: wire.CallbackClient, hidden: list[str]
) -> None:
    reply = client.call(
        f"{ids.APPEAL_DOWNLOAD}.data",
        {
            f"{ids.APPEAL_DOWNLOAD_BUTTON}.n_clicks": 1,
            f"{ids.APPEAL_SCENARIO}.value": "flexible_first",
            f"{ids.WORKING_SCENARIO}.data": None,
        },
    )
    data = reply[f"{ids.APPEAL_DOWNLOAD}.data"]
    assert data["filename"] == "appeal-flexible_first.xlsx"
    raw = base64.b64decode(data["content"])
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    assert {"Summary", "Allocation plan", "Pledges"} <= set(wb.sheetnames)
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert not any(name in cells for name in hidden)
    assert "Downloaded appeal-flexible_first.xlsx." in wire.text(
        reply[f"{ids.APPEAL_DOWNLOAD_MESSAGE}.children"]
    )


def test_blank_template_download_opens(client: wire.CallbackClient) -> None:
    reply = client.call(
        f"{ids.TEMPLATE_DOWNLOAD}.data", {f"{ids.TEMPLATE_DOWNLOAD_BUTTON}.n_clicks": 1}
    )
    data = reply[f"{ids.TEMPLATE_DOWNLOAD}.data"]
    assert data["filename"] == "pledge_template.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    headers = [c.value for c in next(wb["Pledges"].iter_rows(max_row=1))]
    assert "donor" in headers and "amount" in headers


# -- appeal serve ----------------------------------------------------------------------------
def test_serve_demo_loads_only_an_empty_register(tmp_path: Path) -> None:
    from appeal.commands.serve import load_demo

    reg = Register(f"sqlite:///{tmp_path / 'r.sqlite'}")
    first = load_demo(reg)
    assert "loaded the illustrative sample plan" in first
    assert len(reg.list_scenarios()) == len(list((SAMPLE_DIR / "scenarios").glob("*.toml")))
    n = len(reg.pledges())
    assert "left it unchanged" in load_demo(reg)
    assert len(reg.pledges()) == n
    reg.close()


def test_serve_reports_a_busy_port_before_starting() -> None:
    import socket

    from appeal.commands.serve import _port_problem

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert "in use" in _port_problem("127.0.0.1", port)
    assert _port_problem("127.0.0.1", port) == ""
