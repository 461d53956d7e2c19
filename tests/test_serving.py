"""Production serving: where ``appeal serve`` may listen, the Host check and security headers on
every response, and the real servers — gunicorn with two workers sharing one result cache and
warmed up before the first request, waitress, the development server only on request — plus a
real-browser check that every page works under the Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import diskcache
import psutil
import pytest
import requests
from dash import Dash

from appeal import serving
from appeal.cli import main
from appeal.importer import load_sample_plan
from appeal.register import Register
from benchmarks._server import Server, served
from dashboards import ids
from dashboards.app import create_app
from dashboards.client import CallbackClient
from dashboards.logic import editor
from dashboards.security import STATIC_PREFIXES
from dashboards.state import AppConfig
from tests.test_e2e_dashboard import CHROMIUM, CHROMIUM_ARGS

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
FOREIGN = "evil.example"


# -- where the server may listen ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("203.0.113.7", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert serving.is_loopback(host) is loopback


def test_only_loopback_may_run_without_sign_in() -> None:
    assert (
        serving.check_binding("127.0.0.1", auth_mode="none", insecure_no_auth=False, debug=False)
        == []
    )
    with pytest.raises(serving.ServeError, match=r"--auth password.*--insecure-no-auth"):
        serving.check_binding("0.0.0.0", auth_mode="none", insecure_no_auth=False, debug=False)
    warnings = serving.check_binding(
        "0.0.0.0", auth_mode="none", insecure_no_auth=True, debug=False
    )
    assert len(warnings) == 1 and "WITHOUT AUTHENTICATION" in warnings[0]


def test_the_debugger_is_never_reachable_from_another_host() -> None:
    assert serving.check_binding("::1", auth_mode="none", insecure_no_auth=False, debug=True) == []
    for host in ("0.0.0.0", "10.1.2.3"):
        with pytest.raises(serving.ServeError, match="loopback only"):
            # Not even when the operator accepts serving without sign-in.
            serving.check_binding(host, auth_mode="none", insecure_no_auth=True, debug=True)


def test_a_sign_in_mode_without_its_implementation_is_refused() -> None:
    """Asking for sign-in never serves without it: while dashboards/auth.py is missing, every
    mode but none is refused; once it exists, the modes are accepted."""
    available = importlib.util.find_spec("dashboards.auth") is not None
    for mode in ("password", "proxy"):
        if available:
            serving.check_binding("127.0.0.1", auth_mode=mode, insecure_no_auth=False, debug=False)
        else:
            with pytest.raises(serving.ServeError, match=f"--auth {mode} is not available"):
                serving.check_binding(
                    "127.0.0.1", auth_mode=mode, insecure_no_auth=False, debug=False
                )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "needs sign-in"),
        (["--host", "0.0.0.0", "--debug", "--insecure-no-auth"], "loopback only"),
        (["--debug", "--server", "gunicorn"], "--debug runs the development server"),
        (["--dev", "--server", "waitress"], "--dev runs the development server"),
        (["--server", "waitress", "--workers", "3"], "only gunicorn runs several"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
    ],
)
def test_serve_refuses_unsafe_or_contradictory_options_before_starting(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "register.sqlite"
    assert main(["--db", str(db), "serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("appeal serve: error:")
    assert not db.exists()  # refused before anything was opened


# -- the app: Host check and headers ------------------------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Dash:
    root = tmp_path_factory.mktemp("serving-app")
    url = f"sqlite:///{root / 'register.sqlite'}"
    with Register(url) as register:
        register.import_plan(*load_sample_plan())
    return create_app(AppConfig(db_url=url, cache_dir=str(root / "cache"), risk_workers=1))


def _asset_urls(index: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:assets|_dash-component-suites)/[^"]+)"', index)


def test_a_foreign_host_is_refused_before_anything_runs(app: Dash) -> None:
    client = app.server.test_client()
    for host in ("localhost", "localhost:8050", "127.0.0.1:8050"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    assert client.get("/", headers={"Host": FOREIGN}).status_code == 400
    assert client.get("/", headers={"Host": f"{FOREIGN}:8050"}).status_code == 400
    callbacks = CallbackClient.for_flask(client)
    body = callbacks.primary(f"{ids.OVERVIEW_BODY}.children").request({})
    refused = client.post("/_dash-update-component", json=body, headers={"Host": FOREIGN})
    assert refused.status_code == 400
    assert b"overview" not in refused.get_data().lower()  # no callback ran for it


def test_every_response_carries_the_security_headers(app: Dash) -> None:
    client = app.server.test_client()
    index = client.get("/")
    callbacks = CallbackClient.for_flask(client)
    body = callbacks.primary(f"{ids.OVERVIEW_BODY}.children").request({})
    responses: dict[str, Any] = {
        "page": index,
        "layout": client.get("/_dash-layout"),
        "dependencies": client.get("/_dash-dependencies"),
        "callback": client.post("/_dash-update-component", json=body),
        "not found": client.get("/no-such-page/at/all.txt"),
        "foreign host": client.get("/", headers={"Host": FOREIGN}),
    }
    assets = _asset_urls(index.get_data(as_text=True))
    assert any(a.startswith("/assets/") for a in assets)
    assert any(a.startswith("/_dash-component-suites/") for a in assets)
    for asset in assets:
        responses[asset] = client.get(asset)
    for name, response in responses.items():
        for header, value in HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, name
        cached = response.headers.get("Cache-Control", "")
        if name.startswith(STATIC_PREFIXES):
            assert "no-store" not in cached, name  # versioned static files may be cached
        else:
            assert cached == "no-store", name
    assert responses["callback"].status_code == 200


def _inline_script_hashes(index: str) -> set[str]:
    """SHA-256 (CSP form) of each script the page runs inline (not those in comments)."""
    live = re.sub(r"<!--.*?-->", "", index, flags=re.S)
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", live, flags=re.S)
    hashes = set()
    for attrs, body in scripts:
        if "src=" in attrs or "application/json" in attrs:
            continue  # loaded from the origin, or data the browser does not run
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes.add(f"'sha256-{digest}'")
    return hashes


def test_the_policy_allows_the_pages_own_inline_scripts_and_nothing_else(app: Dash) -> None:
    response = app.server.test_client().get("/")
    directives = dict(
        part.partition(" ")[::2] for part in response.headers["Content-Security-Policy"].split("; ")
    )
    script_src = directives["script-src"].split()
    inline = _inline_script_hashes(response.get_data(as_text=True))
    assert inline  # Dash's renderer start-up at least
    assert set(script_src) == {"'self'", *inline}
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    for directive in ("connect-src", "img-src", "font-src"):
        assert all(v in ("'self'", "data:") for v in directives[directive].split()), directive
    assert directives["object-src"] == "'none'"


# -- real servers -------------------------------------------------------------------------------
def _demo(root: Path, *args: str) -> Any:
    """``appeal serve --demo ARGS`` on a new SQLite register in ``root`` (a context manager)."""
    return served(
        ["--demo", *args],
        db=str(root / "register.sqlite"),
        cache_dir=root / "cache",
        log=root / "server.log",
    )


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``appeal serve --demo`` under gunicorn with two workers; the result cache counts its
    hits and misses (diskcache statistics, kept in the cache's own database)."""
    root = tmp_path_factory.mktemp("gunicorn")
    diskcache.Cache(str(root / "cache" / "results"), statistics=True).close()
    with _demo(root, "--server", "gunicorn", "--workers", "2", "--threads", "4") as server:
        yield server


def _stats(server: Server) -> tuple[int, int]:
    """(hits, misses) of the server's result cache so far."""
    results = Path(_cache_dir(server)) / "results"
    with diskcache.Cache(str(results)) as cache:
        hits, misses = cache.stats()
    return int(hits), int(misses)


def _cache_dir(server: Server) -> str:
    args = psutil.Process(server.popen.pid).cmdline()
    return args[args.index("--cache-dir") + 1]


def _workers(server: Server) -> list[psutil.Process]:
    return psutil.Process(server.popen.pid).children()


def _forked_workers(server: Server, count: int) -> list[psutil.Process]:
    """The server's workers once ``count`` of them exist (waited for, 60 s at most): gunicorn
    forks them one after the other, and on a loaded machine the first may answer before the
    next exists."""
    deadline = time.monotonic() + 60
    while len(_workers(server)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return _workers(server)


def _opened_results_cache(worker: psutil.Process, cache_dir: str) -> bool:
    target = str(Path(cache_dir) / "results" / "cache.db")
    return any(f.path == target for f in worker.open_files())


def _run_request(client: CallbackClient, weight: float) -> tuple[Any, dict[str, Any]]:
    """The Scenarios page's Run callback with tier 1 weighted ``weight``."""
    filled = client.call(client.primary(f"{editor.IDS[0]}.value"), {})
    values = {f"{c}.value": filled[f"{c}.value"] for c in editor.IDS}
    values[f"{editor.BY_PATH['weights.tier.1'].id}.value"] = weight
    values[f"{ids.SC_RUN}.n_clicks"] = 1
    run = client.started_by(f"{ids.SC_RUN}.n_clicks")
    return run, values


def test_gunicorn_serves_from_two_workers_with_the_protections(gunicorn: Server) -> None:
    page = requests.get(gunicorn.url + "/", timeout=60)
    assert page.status_code == 200 and page.headers["Server"].startswith("gunicorn")
    for header, value in HEADERS.items():
        assert page.headers[header] == value
    assert "script-src 'self' 'sha256-" in page.headers["Content-Security-Policy"]
    foreign = requests.get(gunicorn.url + "/", headers={"Host": FOREIGN}, timeout=60)
    assert foreign.status_code == 400
    assert len(_forked_workers(gunicorn, 2)) == 2


def test_the_first_page_is_answered_from_the_warmed_up_result_cache(gunicorn: Server) -> None:
    """The master answered a first Overview before forking (the default scenario and the saved
    one it is compared with, solved): a first visitor's Overview is answered from the result
    cache by whichever worker takes it, without a solve."""
    client = CallbackClient.for_url(gunicorn.url)
    hits, misses = _stats(gunicorn)
    assert misses >= 1  # the master's warm-up solves
    client.call(f"{ids.OVERVIEW_BODY}.children", {})
    after_hits, after_misses = _stats(gunicorn)
    assert after_misses == misses and after_hits > hits


def test_two_workers_share_a_solved_result(gunicorn: Server) -> None:
    """One solve for a new scenario, however many workers are asked for it: each request comes
    on a new connection (a new browser), until both workers have answered one; every answer but
    the first is a hit in the result cache the workers share on disk."""
    cache_dir = _cache_dir(gunicorn)
    workers = _forked_workers(gunicorn, 2)
    hits, misses = _stats(gunicorn)
    requests_made = 0
    answered: set[int] = set()
    for _ in range(60):
        client = CallbackClient.for_url(gunicorn.url, session=requests.Session())
        run, values = _run_request(client, weight=9.25)
        reply = client.call(run, values)
        assert reply[f"{ids.SC_RESULT}.children"]  # the solved scenario's result panel
        requests_made += 1
        answered = {w.pid for w in workers if _opened_results_cache(w, cache_dir)}
        if len(answered) == 2 and requests_made >= 2:
            break
    assert len(answered) == 2, "both workers must have answered a Run request"
    assert _stats(gunicorn) == (hits + requests_made - 1, misses + 1)


def test_gunicorn_stops_with_every_process_it_started(tmp_path: Path) -> None:
    with _demo(tmp_path, "--workers", "2") as server:
        family = [psutil.Process(server.popen.pid), *_forked_workers(server, 2)]
        assert len(family) == 3
        server.popen.terminate()
        server.popen.wait(timeout=30)
        _, alive = psutil.wait_procs(family, timeout=30)
    assert not alive and server.popen.returncode == 0
    # No worker died of a signal (a solver thread pool inherited from the master would crash
    # it on exit) and nothing failed.
    assert "was sent SIG" not in server.output() and "Traceback" not in server.output()


@pytest.mark.parametrize(("server_name", "banner"), [("waitress", "waitress"), ("dev", "Werkzeug")])
def test_the_other_servers_serve_with_the_same_protections(
    server_name: str, banner: str, tmp_path: Path
) -> None:
    with _demo(tmp_path, "--server", server_name) as server:
        page = requests.get(server.url + "/", timeout=60)
        assert banner in page.headers["Server"]
        for header, value in HEADERS.items():
            assert page.headers[header] == value
        assert requests.get(server.url, headers={"Host": FOREIGN}, timeout=60).status_code == 400
        client = CallbackClient.for_url(server.url)
        reply = client.call(f"{ids.OVERVIEW_BODY}.children", {})
        assert reply.status == 200
        assert len(_workers(server)) == 0  # one process, threads only


# -- the pages in a real browser under the policy ----------------------------------------------
# Records every policy violation the page reports (the event fires for each blocked script,
# style, image, connection or eval), before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sample);
});
"""


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_every_page_works_under_the_content_security_policy(gunicorn: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    wait_ms = 120_000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=gunicorn.url)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            page.set_default_timeout(wait_ms)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            violations: list[str] = []

            def visit(path: str, ready: str) -> None:
                page.goto(path)
                expect(page.locator(ready).first).to_be_visible(timeout=wait_ms)
                violations.extend(page.evaluate("window.__csp"))

            visit("/", "#overview-cards")
            visit("/pledges", f"#{ids.PLEDGES_GRID} .ag-row")
            visit("/scenarios", f"#{ids.SC_RESULT_CARD}")
            page.fill(f"#{editor.BY_PATH['name'].id}", "csp-check")
            page.fill(f"#{editor.BY_PATH['weights.tier.1'].id}", "12")
            page.click(f"#{ids.SC_RUN}")
            expect(page.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("csp-check")
            visit("/donors", "#donors-sankey .main-svg")
            page.fill(f"#{ids.RISK_DRAWS}", "10")
            page.click(f"#{ids.RISK_RUN}")  # a background callback: job, polls, progress
            expect(page.locator(f"#{ids.RISK_SUMMARY}")).to_contain_text("10 draws")
            visit("/appeal", "#appeal-years")
            time.sleep(0.5)  # a late report from the last page's drawing
            violations.extend(page.evaluate("window.__csp"))
            context.close()
        finally:
            browser.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
    assert not errors, f"errors in the page: {errors}"


def _first_child(process: psutil.Process, wait: float = 60) -> psutil.Process:
    deadline = time.monotonic() + wait
    while not process.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    children = process.children()
    assert children, "no background job process was started"
    job = children[0]
    # The job lowers its priority first thing; give it the moment it needs to get there.
    while os.sched_getscheduler(job.pid) != os.SCHED_IDLE and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_a_background_job_never_holds_another_browsers_connection(tmp_path: Path) -> None:
    """A job subprocess is forked from the web worker holding every browser's connections.
    When the worker closes an idle keep-alive connection during the job, the browser must be
    told (and reconnect), not left talking to the job's copy of the socket until it ends."""
    with _demo(tmp_path, "--workers", "1") as server:
        idle = requests.Session()
        assert idle.get(server.url + "/_dash-layout", timeout=60).status_code == 200
        runner = CallbackClient.for_url(server.url)
        risk = runner.primary(f"{ids.RISK_RESULT}.children")
        values = {
            f"{ids.RISK_RUN}.n_clicks": 1,
            f"{ids.RISK_DRAWS}.value": 5000,  # long enough to outlast what follows
            f"{ids.RISK_SEED}.value": 1,
        }
        started = runner.call(risk, values)  # the job's subprocess is forked now
        assert started.status == 200 and "cacheKey" in started.raw
        (worker,) = _workers(server)
        job = _first_child(worker)
        # The job lets go of the worker's connections and runs below the web workers.
        assert os.sched_getscheduler(job.pid) == os.SCHED_IDLE
        assert not [c for c in job.net_connections(kind="tcp") if c.laddr.port == _port(server)]
        time.sleep(serving.KEEPALIVE_SECONDS + 2)  # the worker closes the idle connection
        again = idle.get(server.url + "/_dash-layout", timeout=20)
        assert again.status_code == 200
        assert "Traceback" not in server.output()
