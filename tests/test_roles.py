"""Sign-in and roles on the server, over HTTP as a browser sends it (Flask test client).

- every callback of the app is declared in the role table, and an undeclared one is refused;
- without a session nothing but the sign-in page and static files is served; the sign-in
  form needs its session-bound anti-forgery token; the session cookie is HttpOnly and
  SameSite=Lax; failed sign-ins are rate-limited (HTTP 429) and audited;
- a viewer's direct posts to the writing callbacks are refused (403) with nothing changed,
  and no response to any callback a viewer may call carries a confidential donor's name (the
  raw bytes are searched); a viewer's browser cannot make the pages show anything but the
  official appeal;
- a focal point edits only its own entity's lines;
- the proxy mode believes its header only from the proxy's address;
- every response carries the security headers.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from dash import Dash
from flask.testing import FlaskClient

from appeal import accounts, service
from appeal.importer import ImportReport, sample_paths
from appeal.register import Register
from dashboards import client as wire
from dashboards import ids, roles
from dashboards.app import create_app
from dashboards.state import AppConfig
from models.plan import Plan
from models.privacy import donor_aliases

PASSWORD = "a long enough password"
USERS = {
    "admin1": ("admin", ()),
    "analyst1": ("analyst", ()),
    "viewer1": ("viewer", ()),
    "unodc1": ("focal_point", ("UNODC",)),
}
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)


def _load(url: str, sample: tuple[Plan, ImportReport]) -> None:
    with Register(url) as reg:
        reg.import_plan(*sample)
        for path in sample_paths()["scenarios"]:
            scenario = service.load_scenario(path)
            service.save_scenario(reg, scenario.name, service.solve(sample[0], scenario))
        reg.mark_official("baseline")
        for name, (role, entities) in USERS.items():
            accounts.add_user(reg, name, role, password=PASSWORD, entities=entities)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]) -> Dash:
    root = tmp_path_factory.mktemp("roles")
    url = f"sqlite:///{root / 'register.sqlite'}"
    _load(url, sample_loaded)
    config = AppConfig(
        db_url=url, cache_dir=str(root / "cache"), risk_workers=1, auth_mode="password"
    )
    return create_app(config)


def _register(app: Dash) -> Register:
    return Register(app.server.config["APPEAL"].db_url)


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the sign-in form has its anti-forgery token"
    return found.group(1).decode()


def sign_in(app: Dash, name: str, password: str = PASSWORD) -> FlaskClient:
    client = app.server.test_client()
    token = _csrf(client.get("/signin").get_data())
    response = client.post(
        "/signin?next=/", data={"username": name, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def hidden(app: Dash) -> list[str]:
    with _register(app) as reg:
        plan = reg.load_plan()
    names = [d for d, a in donor_aliases(plan).items() if d != a]
    assert names
    return names


class Recorder:
    """A callback client that keeps every raw response body."""

    def __init__(self, client: FlaskClient) -> None:
        self.bodies: list[bytes] = []
        client.get("/")

        def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
            response = client.post(path, json=body)
            data = response.get_data()
            self.bodies.append(data)
            try:
                return response.status_code, json.loads(data) if data else None
            except ValueError:
                return response.status_code, data.decode(errors="replace")

        self.wire = wire.CallbackClient(post, client.get("/_dash-dependencies").get_json())


# -- the role table -----------------------------------------------------------------------------
def test_every_callback_is_declared_in_the_role_table(app: Dash) -> None:
    app.server.test_client().get("/signin")  # Dash sets up its callbacks on the first request
    sign_in(app, "admin1").get("/")
    undeclared = [
        roles.callback_name(entry["callback"])
        for output, entry in app.callback_map.items()
        if "callback" in entry and roles.required_role(app, output) is None
    ]
    assert undeclared == []
    declared = {
        roles.callback_name(e["callback"]) for e in app.callback_map.values() if "callback" in e
    }
    assert len(declared) > 40
    # ... and the table names no callback the app does not have (a stale entry hides nothing).
    assert set(roles.CALLBACK_ROLES) - declared == set()
    assert set(roles.CALLBACK_ROLES.values()) <= set(accounts.ROLES)


def test_an_undeclared_callback_is_refused(app: Dash, monkeypatch: pytest.MonkeyPatch) -> None:
    client = Recorder(sign_in(app, "admin1"))
    key = "pages.overview:render"
    monkeypatch.delitem(roles.CALLBACK_ROLES, key)
    with pytest.raises(wire.CallbackFailed, match=r"HTTP 403.*not declared"):
        client.wire.call(f"{ids.OVERVIEW_BODY}.children", {})
    status, _ = client.wire._post(wire.UPDATE, {"output": "made-up.children", "inputs": []})
    assert status == 403


# -- signing in ---------------------------------------------------------------------------------
def test_nothing_is_served_without_signing_in(app: Dash) -> None:
    anonymous = app.server.test_client()
    page = anonymous.get("/scenarios")
    assert page.status_code == 302 and page.headers["Location"].startswith("/signin?next=")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert anonymous.get(path).status_code == 401
    refused = anonymous.post(wire.UPDATE, json={"output": f"{ids.OVERVIEW_BODY}.children"})
    assert refused.status_code == 401
    assert anonymous.get("/assets/00_bootstrap.min.css").status_code == 200


def test_the_sign_in_form_needs_its_session_token(app: Dash) -> None:
    client = app.server.test_client()
    client.get("/signin")
    forged = client.post(
        "/signin", data={"username": "admin1", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True)
    other = app.server.test_client()  # a token from another session is no good either
    token = _csrf(other.get("/signin").get_data())
    assert (
        client.post(
            "/signin", data={"username": "admin1", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 400
    )
    assert client.get("/_dash-layout").status_code == 401  # still not signed in


def test_the_session_cookie_and_sign_out(app: Dash) -> None:
    client = app.server.test_client()
    token = _csrf(client.get("/signin").get_data())
    response = client.post(
        "/signin?next=//evil.example/x",
        data={"username": "viewer1", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert PASSWORD not in cookie
    assert client.get("/_dash-layout").status_code == 200
    layout = client.get("/_dash-layout").get_json()
    form = wire.component(layout, ids.SIGNOUT_FORM)
    (hidden_input,) = [c for c in wire.walk(form) if c["props"].get("name") == "csrf_token"]
    token = hidden_input["props"]["value"]
    assert client.post("/signout", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_failed_sign_ins_are_limited_over_http(app: Dash) -> None:
    client = app.server.test_client()
    statuses = []
    for _ in range(accounts.MAX_FAILURES_PER_USER + 1):
        token = _csrf(client.get("/signin").get_data())
        statuses.append(
            client.post(
                "/signin", data={"username": "analyst1", "password": "nope", "csrf_token": token}
            ).status_code
        )
    assert statuses == [401] * accounts.MAX_FAILURES_PER_USER + [429]
    with _register(app) as reg:
        failed = reg.audit_log(action="signin.failed", actor_name="analyst1")
        assert len(failed) == accounts.MAX_FAILURES_PER_USER + 1
        # Let analyst1 sign in again in the other tests of this module.
        import sqlalchemy as sa

        from appeal.register import signin_failures_t

        with reg._write("test.reset") as conn:
            conn.execute(sa.delete(signin_failures_t))


def test_a_disabled_user_is_signed_out_at_the_next_request(app: Dash) -> None:
    with _register(app) as reg:
        accounts.add_user(reg, "temp1", "viewer", password=PASSWORD)
    client = sign_in(app, "temp1")
    assert client.get("/_dash-layout").status_code == 200
    with _register(app) as reg:
        accounts.disable_user(reg, "temp1")
    assert client.get("/_dash-layout").status_code == 401


# -- a viewer -----------------------------------------------------------------------------------
WRITES: dict[str, dict[str, Any]] = {
    # Save, Save as, confirm an upload, edit a status, save lines, rates, publish, mark official.
    ids.SC_SAVE: {},
    ids.SC_SAVE_AS: {f"{ids.SC_SAVE_AS_NAME}.value": "viewer-scenario"},
    ids.UPLOAD_CONFIRM: {f"{ids.UPLOAD_TOKEN}.data": "0" * 64},
    ids.PROGRAMMES_SAVE: {f"{ids.PROGRAMMES_GRID}.rowData": []},
    ids.FX_SAVE: {f"{ids.FX_GRID}.rowData": []},
    ids.EDITION_PUBLISH: {
        f"{ids.EDITION_TITLE}.value": "x",
        f"{ids.EDITION_AS_AT}.value": "2027-01-01",
    },
    ids.MARK_OFFICIAL: {f"{ids.SAVED_SELECT}.value": "flexible_first"},
    ids.PLEDGE_NOTE_ADD: {f"{ids.PLEDGE_NOTE_TEXT}.value": "x"},
    ids.SAVED_DELETE: {f"{ids.SAVED_SELECT}.value": "flexible_first"},
    ids.ACTIVITY_DOWNLOAD_BUTTON: {},
}


@pytest.mark.parametrize("who", ["viewer1", "unodc1"])
def test_a_viewer_cannot_write_and_nothing_changes(app: Dash, who: str) -> None:
    client = Recorder(sign_in(app, who))
    with _register(app) as reg:
        before = reg.revision()
    for button, values in WRITES.items():
        cb = next(c for c in client.wire.callbacks if (button, "n_clicks") in c.inputs)
        if who == "unodc1" and button == ids.PROGRAMMES_SAVE:
            continue  # focal points may save their own lines (next test)
        with pytest.raises(wire.CallbackFailed, match="HTTP 403"):
            client.wire.call(
                cb, {f"{button}.n_clicks": 1, **values}, triggered=[f"{button}.n_clicks"]
            )
    cell = next(
        c for c in client.wire.callbacks if (ids.PLEDGES_GRID, "cellValueChanged") in c.inputs
    )
    with pytest.raises(wire.CallbackFailed, match="HTTP 403"):
        client.wire.call(
            cell,
            {
                f"{ids.PLEDGES_GRID}.cellValueChanged": [
                    {"rowId": "x", "colId": "status", "value": "paid", "oldValue": "pledged"}
                ]
            },
        )
    with _register(app) as reg:
        assert reg.revision() == before  # nothing was written, not even an audit row


def _page_tree(client: Recorder, path: str) -> Any:
    reply = client.wire.call(
        "_pages_content.children",
        {"_pages_location.pathname": path, "_pages_location.search": ""},
    )
    return reply["_pages_content.children"]


def test_a_viewer_gets_no_confidential_name_and_only_the_official_appeal(
    app: Dash, hidden: list[str]
) -> None:
    client = Recorder(sign_in(app, "viewer1"))
    # The pages a viewer may open, and the notice for the others (no control of theirs).
    for path in ("/", "/donors", "/appeal", "/editions", "/donor", "/entities"):
        assert "Not available" not in wire.text(_page_tree(client, path))
    for path in ("/pledges", "/scenarios", "/activity", "/programmes"):
        tree = _page_tree(client, path)
        assert "Not available" in wire.text(tree)
        with pytest.raises(LookupError):
            wire.component(tree, ids.PLEDGE_UPLOAD if path == "/pledges" else ids.SC_SAVE)
    # A working scenario sent by a viewer's browser is ignored: the official appeal is shown.
    tampered = {"name": "viewer-made", "excluded_donors": ["Anonymous donor 1"]}
    body = client.wire.call(
        f"{ids.OVERVIEW_BODY}.children", {f"{ids.WORKING_SCENARIO}.data": tampered}
    )
    shown = wire.text(body[f"{ids.OVERVIEW_BODY}.children"])
    assert "baseline" in shown and "viewer-made" not in shown
    # Every callback a viewer may call, with the values its pages send.
    values = {
        f"{ids.WORKING_SCENARIO}.data": None,
        f"{ids.STRESS_MODE}.value": "top",
        f"{ids.STRESS_TOP}.value": "3",
        f"{ids.STRESS_RUN}.n_clicks": 1,
        f"{ids.APPEAL_SCENARIO}.value": "__official__",
        f"{ids.APPEAL_DOWNLOAD_BUTTON}.n_clicks": 1,
        f"{ids.EDITIONS_VERSION}.data": 0,
        # a confidential donor's profile (by alias, as the address carries it), filtered views
        f"{ids.PROFILE_DONOR}.value": "Anonymous donor 1",
        f"{ids.URL}.search": "?donor=Anonymous+donor+1&category=flagship",
        f"{ids.DONORS_SANKEY_LINES}.value": True,
    }
    reached = 0
    for cb in client.wire.callbacks:
        fn = app.callback_map.get(cb.output, {}).get("callback")
        if fn is None or roles.CALLBACK_ROLES.get(roles.callback_name(fn)) != "viewer":
            continue
        if cb.raw.get("long") or cb.raw.get("background"):
            continue  # the risk simulation runs in a job: its result is checked below
        try:
            client.wire.call(cb, values)
            reached += 1
        except wire.CallbackFailed:
            pass
    assert reached >= 12
    raw = b"\n".join(client.bodies)
    for name in hidden:
        assert name.encode() not in raw, f"{name} reached a viewer's browser"
    assert b"Anonymous donor" in raw  # the aliases did


def test_a_viewers_appeal_download_is_the_official_appeal(app: Dash, hidden: list[str]) -> None:
    client = Recorder(sign_in(app, "viewer1"))
    reply = client.wire.call(
        f"{ids.APPEAL_DOWNLOAD}.data",
        {
            f"{ids.APPEAL_DOWNLOAD_BUTTON}.n_clicks": 1,
            f"{ids.APPEAL_SCENARIO}.value": "flexible_first",
            f"{ids.WORKING_SCENARIO}.data": {"name": "mine"},
        },
    )
    download = reply[f"{ids.APPEAL_DOWNLOAD}.data"]
    assert download["filename"] == "appeal-baseline.xlsx"  # not the scenario it asked for


# -- a focal point ------------------------------------------------------------------------------
def test_a_focal_point_edits_only_its_own_lines(app: Dash) -> None:
    client = Recorder(sign_in(app, "unodc1"))
    loaded = client.wire.call(
        f"{ids.PROGRAMMES_GRID}.rowData", {f"{ids.PROGRAMMES_VERSION}.data": 0}
    )
    rows = loaded[f"{ids.PROGRAMMES_GRID}.rowData"]
    assert rows and {r["entity"] for r in rows} == {"UNODC"}
    save = next(c for c in client.wire.callbacks if (ids.PROGRAMMES_SAVE, "n_clicks") in c.inputs)
    # Its own line: stored.
    rows[0]["name"] = "UNODC line renamed by its focal point"
    ok = client.wire.call(
        save, {f"{ids.PROGRAMMES_SAVE}.n_clicks": 1, f"{ids.PROGRAMMES_GRID}.rowData": rows}
    )
    assert "Saved: changed" in wire.text(ok[f"{ids.PROGRAMMES_MESSAGE}.children"])
    # A line of another entity slipped into the post: refused, nothing stored.
    with _register(app) as reg:
        plan = reg.load_plan()
        before = reg.revision()
    other = plan.programmes.loc[plan.programmes["entity"] == "UNOCT"].iloc[0]
    forged = {**rows[0], "line_id": str(other["line_id"]), "entity": "UNOCT", "name": "hijacked"}
    refused = client.wire.call(
        save,
        {f"{ids.PROGRAMMES_SAVE}.n_clicks": 1, f"{ids.PROGRAMMES_GRID}.rowData": [*rows, forged]},
    )
    assert "only the lines of UNODC" in wire.text(refused[f"{ids.PROGRAMMES_MESSAGE}.children"])
    moved = {**rows[0], "entity": "UNOCT"}  # nor give its line away
    refused = client.wire.call(
        save,
        {
            f"{ids.PROGRAMMES_SAVE}.n_clicks": 1,
            f"{ids.PROGRAMMES_GRID}.rowData": [moved, *rows[1:]],
        },
    )
    assert "only the lines of UNODC" in wire.text(refused[f"{ids.PROGRAMMES_MESSAGE}.children"])
    with _register(app) as reg:
        assert reg.revision() == before
        log = reg.audit_log(action="programmes.edit")
        assert log["actor"].iloc[0] == "unodc1"


# -- proxy sign-in and headers ------------------------------------------------------------------
@pytest.fixture(scope="module")
def proxy_app(
    tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]
) -> Dash:
    root = tmp_path_factory.mktemp("proxy")
    url = f"sqlite:///{root / 'register.sqlite'}"
    _load(url, sample_loaded)
    return create_app(
        AppConfig(
            db_url=url,
            cache_dir=str(root / "cache"),
            auth_mode="proxy",
            auth_header="X-Remote-User",
        )
    )


def test_the_proxy_header_is_believed_only_from_the_proxy(proxy_app: Dash) -> None:
    client = proxy_app.server.test_client()
    assert client.get("/_dash-layout", headers={"X-Remote-User": "viewer1"}).status_code == 200
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout", headers={"X-Remote-User": "stranger"}).status_code == 403
    direct = proxy_app.server.test_client()
    direct.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # not the proxy
    assert direct.get("/_dash-layout", headers={"X-Remote-User": "admin1"}).status_code == 403
    # The header's user is who acts: a viewer is refused an analyst's callback.
    refused = client.post(
        wire.UPDATE,
        headers={"X-Remote-User": "viewer1"},
        json={"output": f"{ids.PLEDGES_GRID}.rowData", "inputs": []},
    )
    assert refused.status_code == 403


def test_every_response_carries_the_security_headers(app: Dash) -> None:
    anonymous = app.server.test_client()
    signed = sign_in(app, "viewer1")
    responses = [
        anonymous.get("/signin"),
        anonymous.get("/"),
        anonymous.get("/_dash-layout"),
        anonymous.post(wire.UPDATE, json={}),
        signed.get("/"),
        signed.get("/_dash-layout"),
        signed.post(wire.UPDATE, json={"output": "made-up.children"}),
    ]
    for response in responses:
        for header in SECURITY_HEADERS:
            assert header in response.headers, (response.status_code, header)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
