"""The Dash app factory and the page callbacks, driven through Flask's test client and called
directly inside a request context (the real browser runs are in test_e2e_dashboard.py)."""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
import pytest
from dash import Dash

from appeal.importer import SAMPLE_DIR, ImportReport
from appeal.register import Register
from dashboards.app import create_app
from dashboards.state import AppConfig
from models.plan import Plan
from models.privacy import donor_aliases


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]
) -> Iterator[Dash]:
    root = tmp_path_factory.mktemp("dash-app")
    url = f"sqlite:///{root / 'register.sqlite'}"
    reg = Register(url)
    reg.import_plan(*sample_loaded)
    reg.close()
    yield create_app(AppConfig(db_url=url, cache_dir=str(root / "cache"), risk_workers=1))


def page(name: str) -> ModuleType:
    """The page module Dash imported for ``name`` (Dash executes pages itself)."""
    for mod_name, module in list(sys.modules.items()):
        if mod_name.endswith(f"pages.{name}") and hasattr(module, "layout"):
            return module
    raise LookupError(name)


def text_of(component: Any) -> str:
    """All text in a Dash component tree (for assertions on what the user reads)."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children)


def test_index_serves_local_assets_only(app: Dash) -> None:
    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "/assets/00_bootstrap.min.css" in html
    assert "cdn." not in html and "https://" not in html.split("<body>")[0]
    css = client.get("/assets/00_bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.get_data()[:200]
    assert client.get("/assets/upload_limit.js").status_code == 200


def test_server_refuses_oversized_uploads_with_a_message(app: Dash) -> None:
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    assert limit >= 10 * 1024 * 1024
    client = app.server.test_client()
    response = client.post(
        "/_dash-update-component",
        data=b"x" * (limit + 1),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "10 MB" in response.get_json()["error"]


def test_every_page_layout_renders(app: Dash) -> None:
    with app.server.test_request_context():
        for name in ("overview", "pledges", "scenarios", "donors", "appeal"):
            layout = page(name).layout()
            assert layout is not None and text_of(layout)


def test_overview_render_shows_headlines_without_confidential_names(
    app: Dash, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    plan = sample_loaded[0]
    hidden = [d for d, a in donor_aliases(plan).items() if d != a]
    with app.server.test_request_context():
        body = page("overview").render(None)
    text = text_of(body)
    for label in ("Requirement", "Funded", "Gap", "Coverage", "Donors", "HHI", "Flexible share"):
        assert label in text
    assert "What changed since the last saved scenario" in text
    assert not any(h in str(body) for h in hidden)


def test_invalid_scenario_in_the_browser_gives_an_alert(app: Dash) -> None:
    with app.server.test_request_context():
        body = page("overview").render({"weights": {"tranche_share": 3}})
    assert "The scenario is invalid" in text_of(body)
    assert "tranche_share" in text_of(body)


def test_upload_check_then_confirm(app: Dash) -> None:
    pledges = page("pledges")
    bad = (
        b"donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        b"Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        b"Chile,1000,ZZZ,2027,1,unearmarked,,paid\n"
    )
    contents = "data:text/csv;base64," + base64.b64encode(bad).decode()
    with app.server.test_request_context():
        before = len(Register(app.server.config["APPEAL"].db_url).pledges())
        report, disabled, label, _ = pledges.check(contents, "bad.csv")
        assert "ZZZ" in str(report) and "row" in text_of(report).lower()
        assert not disabled and label == "Store 1 valid row, skip 1 rejected"
        # Nothing is stored by the check.
        assert len(Register(app.server.config["APPEAL"].db_url).pledges()) == before
        result, _, version, cleared = pledges.confirm(1, contents, "bad.csv", 0)
        assert "Stored 1 pledge rows" in text_of(result) and version == 1 and cleared is None
        assert len(Register(app.server.config["APPEAL"].db_url).pledges()) == before + 1
        refused = pledges.check("data:x;base64,AAAA", "notes.txt")
        assert "only .xlsx and .csv" in text_of(refused[0]) and refused[1] is True


def test_scenario_run_save_and_compare(app: Dash) -> None:
    sc = page("scenarios")
    with app.server.test_request_context():
        values = sc.populate(None)
        controls = values[: len(sc.logic.CONTROLS)]
        named = dict(zip(sc.logic.CONTROLS, controls, strict=True))
        assert named["sc-tier-1"] == 8.0
        named["sc-tier-1"] = 20
        named["sc-name"] = "heavy-tier-1"
        data, message = sc.run(1, *[named[c] for c in sc.logic.CONTROLS], None)
        assert message is None and data["weights"]["tier"]["1"] == 20
        # The editor is not refilled from its own Run (the user may be typing), but a fresh
        # page (empty controls) is filled from the tab's working scenario.
        assert all(v is dash.no_update for v in sc.populate(data, 20))
        refilled = dict(zip(sc.logic.CONTROLS, sc.populate(data, None), strict=False))
        assert refilled["sc-tier-1"] == 20 and refilled["sc-name"] == "heavy-tier-1"
        result = sc.render_result(data)
        assert "heavy-tier-1" in text_of(result)
        version, saved, working = sc.save(1, *[named[c] for c in sc.logic.CONTROLS], data, 0)
        assert version == 1 and "Saved scenario" in text_of(saved)
        table, options, a_opts, _ = sc.list_saved(version)
        assert "heavy-tier-1" in [o["value"] for o in options]
        assert a_opts[0]["value"] == sc.WORKING and "heavy-tier-1" in str(table)
        assert working["name"] == "heavy-tier-1"
        compared = sc.compare(1, sc.WORKING, "heavy-tier-1", None)
        assert "Per-line deltas" in text_of(compared)
        named["sc-tier-2"] = None
        _, problem = sc.run(1, *[named[c] for c in sc.logic.CONTROLS], None)
        assert "Tier 2 weight is required" in text_of(problem)


def test_appeal_download_is_a_workbook(app: Dash) -> None:
    ap = page("appeal")
    with app.server.test_request_context():
        data, message = ap.download(1, ap.WORKING, None)
    assert data["filename"] == "appeal-baseline.xlsx"
    raw = base64.b64decode(data["content"])
    assert raw[:2] == b"PK"
    assert "Downloaded" in text_of(message)


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


def test_blank_template_download_opens(app: Dash) -> None:
    import io

    import openpyxl

    data = page("pledges").download_template(1)
    assert data["filename"] == "pledge_template.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    assert "Pledges" in wb.sheetnames
    headers = [c.value for c in next(wb["Pledges"].iter_rows(max_row=1))]
    assert "donor" in headers and "amount" in headers
