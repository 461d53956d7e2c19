"""The dashboard's solves honour ``stability = "reference"`` (issue 14 item 2): the reference a
scenario names is loaded from the app's register, and one that does not exist is shown beside
the scenario like any other invalid setting."""

from __future__ import annotations

import pytest
from dash import Dash

from appeal.importer import ImportReport
from dashboards import client as wire
from dashboards import ids
from dashboards.state import get_config, load_plan, solve_scenario
from models.plan import Plan
from models.scenario import Scenario
from tests.test_dashboard_app import _app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]) -> Dash:
    return _app(tmp_path_factory.mktemp("dash-stability"), sample_loaded)


def test_a_saved_scenario_as_reference_moves_fewer_line_years(app: Dash) -> None:
    with app.server.test_request_context("/"):
        config = get_config()
        plan = load_plan(config)
        changed = {"weights": {"tier": {1: 8.0, 2: 4.4, 3: 2.0, 4: 1.0}}}
        plain = Scenario.from_dict({**changed, "name": "plain"})
        stable = Scenario.from_dict(
            {
                **changed,
                "name": "stable",
                "stability": "reference",
                "stability_reference": "baseline",
            }
        )
        assert solve_scenario(config, plan, plain).result.stability is None
        report = solve_scenario(config, plan, stable).result.stability
    assert report is not None and report["applied"]
    assert report["moved_with_stability"] <= report["moved_without_stability"]


def test_an_unknown_reference_is_reported_beside_the_scenario(app: Dash) -> None:
    client = wire.CallbackClient.for_flask(app.server.test_client())
    data = {"stability": "reference", "stability_reference": "ghost"}
    reply = client.call(f"{ids.OVERVIEW_BODY}.children", {f"{ids.WORKING_SCENARIO}.data": data})
    text = wire.text(reply[f"{ids.OVERVIEW_BODY}.children"])
    assert "stability_reference" in text and "ghost" in text
