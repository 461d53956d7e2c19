"""Real-browser end-to-end tests of the dashboard: headless Debian Chromium (Playwright, sync
API) against ``appeal --db <tmp> serve --demo`` started as a subprocess on a free port.

One server for the whole module (start-up loads the demo data once). What the browser draws is
checked against the model's own numbers, computed here from the server's register: the
figures' data as Plotly holds it in the page, the grid's rows as AG Grid counts them, the
cards' text. Each page's screenshot is written to ``screenshots/`` at the repository root
(git-ignored) for reviewers.
"""

from __future__ import annotations

import base64
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from appeal import service
from appeal.register import Register
from benchmarks.bench_browser import CHROMIUM, CHROMIUM_ARGS  # Debian's, headless flags
from dashboards import ids
from dashboards.components import usd
from dashboards.logic import editor
from models import gaps
from models.analytics import PlanRun
from models.attribution import attribute
from models.plan import Plan
from models.scenario import Scenario, Weights

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
SAMPLE = ROOT / "sample_data"
# The machine may be shared and busy: generous waits for content, never timed assertions.
WAIT_MS = 120_000
expect.set_options(timeout=WAIT_MS)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


def stored(root: Path) -> Plan:
    """The plan in the server's register right now."""
    reg = Register(f"sqlite:///{root / 'register.sqlite'}")
    try:
        return reg.load_plan()
    finally:
        reg.close()


def solved(root: Path, scenario: Scenario | None = None) -> PlanRun:
    """A scenario solved here, without the server, on the server's current plan."""
    return service.solve(stored(root), scenario or Scenario())


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[str]:
    port = _free_port()
    log = open(root / "server.log", "w+b")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appeal",
            "--db",
            str(root / "register.sqlite"),
            "serve",
            "--demo",
            "--port",
            str(port),
            "--cache-dir",
            str(root / "cache"),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"appeal serve exited early:\n{log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("appeal serve did not answer within 180 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, accept_downloads=True, base_url=server
    )
    p = context.new_page()
    p.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield p
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def plotted(p: Page, graph_id: str, expression: str) -> Any:
    """``expression`` evaluated on the traces Plotly drew in graph ``graph_id`` (``data``)."""
    return p.evaluate(
        f"() => {{ const data = document.querySelector('#{graph_id} .js-plotly-plot')._fullData;"
        f" return {expression}; }}"
    )


def grid_rows(p: Page, grid_id: str = ids.PLEDGES_GRID) -> int:
    """How many rows an AG Grid holds (every page of the grid, after its filters)."""
    return int(
        p.evaluate(
            "async (id) => (await dash_ag_grid.getApiAsync(id)).getDisplayedRowCount()",
            grid_id,
        )
    )


def shot(p: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    p.wait_for_timeout(500)  # let plots finish drawing
    p.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_failure(p: Page) -> None:
    """The page shows no failed-callback alert and no traceback."""
    expect(p.locator(f"#{ids.GLOBAL_ALERT}")).to_be_hidden()
    assert "Traceback" not in p.content()


def control(path: str) -> str:
    """The CSS selector of the Scenarios editor's control for scenario key ``path``."""
    return f"#{editor.BY_PATH[path].id}"


def choose(p: Page, dropdown_id: str, value: str) -> None:
    """Pick ``value`` in a Dash 4 dcc.Dropdown (scrolled into view first: the list opens
    below it, and near the foot of the page it would open outside the viewport)."""
    box = p.locator(f"#{dropdown_id}")
    box.scroll_into_view_if_needed()
    p.mouse.wheel(0, 400)
    box.click()
    option = p.locator(f'[role="option"]:has(input[value="{value}"])')
    option.scroll_into_view_if_needed()
    try:
        option.click(timeout=10_000)
    except PlaywrightTimeoutError:
        # The list can open past the foot of a long page, where no scroll reaches it: pick
        # the option as a keyboard or screen-reader user's click would, on the element itself.
        option.dispatch_event("click")
    p.keyboard.press("Escape")


def test_every_page_opens_and_shows_the_models_figures(page: Page, root: Path) -> None:
    run = solved(root)
    plan = run.plan
    totals = gaps.totals(plan, run.result)
    page.goto("/")
    cards = page.locator(f"#{ids.OVERVIEW_CARDS}")
    for label, key in (("Requirement", "requirement_usd"), ("Funded", "funded_usd")):
        expect(cards).to_contain_text(f"{label}{usd(totals[key])}")
    expect(cards).to_contain_text(f"Gap{usd(totals['gap_usd'])}")
    expect(page.locator(f"#{ids.OVERVIEW_HEATMAP} .main-svg").first).to_be_visible()
    rows, cols, first = plotted(
        page,
        ids.OVERVIEW_HEATMAP,
        "[data[0].z.length, data[0].z[0].length, Array.from(data[0].z[0])]",
    )
    assert (rows, cols) == (len(plan.line_ids), len(plan.years))
    line = run.result.lines[run.result.lines["line_id"] == plan.line_ids[0]].sort_values("year")
    assert first == pytest.approx(list(line["funded_usd"] / line["requirement_usd"]))
    gap_drawn = 1e6 * plotted(  # the axis is in USD m
        page,
        ids.OVERVIEW_GAP_CHART,
        "data.map(t => Array.from(t.y).reduce((a, b) => a + b, 0)).reduce((a, b) => a + b, 0)",
    )
    assert gap_drawn == pytest.approx(totals["gap_usd"])
    expect(page.locator(f"#{ids.OVERVIEW_CHANGES}")).to_contain_text("saved")
    no_failure(page)
    shot(page, "overview")

    # Navigate like a user, through the navbar (client-side routing).
    page.get_by_role("link", name="Pledges", exact=True).click()
    expect(page.locator(f"#{ids.PLEDGES_GRID} .ag-row").first).to_be_visible()
    assert grid_rows(page) == len(plan.pledges)
    no_failure(page)
    shot(page, "pledges")

    page.get_by_role("link", name="Scenarios", exact=True).click()
    result = page.locator(f"#{ids.SC_RESULT_CARD}")
    expect(result).to_contain_text("Result of “baseline”")
    expect(result).to_contain_text(f"Funded{usd(totals['funded_usd'])}")
    expect(page.locator(f"#{ids.SC_EXPLANATIONS} .ag-row").first).to_be_visible()
    assert grid_rows(page, ids.SC_EXPLANATIONS) == len(plan.line_ids)
    # Paged: the browser builds only the rows of the page shown.
    assert page.locator(f"#{ids.SC_EXPLANATIONS} .ag-center-cols-container .ag-row").count() <= 15
    no_failure(page)
    shot(page, "scenarios")

    page.get_by_role("link", name="Donor base", exact=True).click()
    expect(page.locator(f"#{ids.DONORS_SANKEY} .main-svg").first).to_be_visible()
    expect(page.locator(f"#{ids.DONORS_LORENZ} .main-svg").first).to_be_visible()
    labels, flow = plotted(
        page,
        ids.DONORS_SANKEY,
        "[data[0].node.label.length, Array.from(data[0].link.value).reduce((a, b) => a + b, 0)]",
    )
    # Donor -> category links carry every allocated dollar (lines only on demand).
    assert flow == pytest.approx(float(run.result.allocations["amount_usd"].sum()))
    expect(page.locator(f"#{ids.DONORS_SANKEY} .sankey-node")).to_have_count(labels)
    no_failure(page)
    shot(page, "donors")

    page.get_by_role("link", name="Appeal", exact=True).click()
    years = page.locator(f"#{ids.APPEAL_YEARS} tbody tr")
    expect(years).to_have_count(len(plan.years))
    by_year = gaps.breakdown(plan, run.result, "year")
    for i, rec in enumerate(by_year.to_dict("records")):
        expect(years.nth(i)).to_contain_text(str(rec["year"]))
        expect(years.nth(i)).to_contain_text(usd(rec["requirement_usd"]))
    no_failure(page)
    shot(page, "appeal")


def test_upload_is_confirmed_without_sending_the_file_again(
    page: Page, tmp_path: Path, root: Path
) -> None:
    page.goto("/pledges")
    expect(page.locator(f"#{ids.PLEDGES_GRID} .ag-row").first).to_be_visible()
    posts: list[str] = []

    def record(request: Request) -> None:
        if "_dash-update-component" in request.url:
            posts.append(request.post_data or "")

    page.on("request", record)
    upload = page.locator(f"#{ids.PLEDGE_UPLOAD} input[type=file]")
    before = len(stored(root).pledges)

    new = tmp_path / "new_pledges.csv"
    new.write_text(
        "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "E2E-1,Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "E2E-2,Chile,250000,USD,2028,2,unearmarked,,pledged\n",
        encoding="utf-8",
    )
    upload.set_input_files(str(new))
    expect(page.locator(f"#{ids.UPLOAD_SUMMARY}")).to_contain_text("rows are valid")
    confirm = page.locator(f"#{ids.UPLOAD_CONFIRM}")
    expect(confirm).to_be_enabled()
    assert any("E2E-1" in base64_decoded(body) for body in posts)  # the check got the file
    posts.clear()
    confirm.click()
    expect(page.locator(f"#{ids.UPLOAD_STORED}")).to_contain_text("Stored 2 pledge rows")
    sent = [b for b in posts if f"{ids.UPLOAD_CONFIRM}.n_clicks" in b]
    assert len(sent) == 1 and ids.UPLOAD_TOKEN in sent[0]
    assert not any("base64" in b or "E2E-1" in base64_decoded(b) for b in posts)
    assert len(stored(root).pledges) == before + 2
    expect(page.locator(f"#{ids.PLEDGES_GRID}")).to_contain_text("E2E-1")
    assert grid_rows(page) == before + 2

    bad = tmp_path / "bad_pledges.csv"
    bad.write_text(
        "donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "Chile,1000,ZZZ,2027,1,unearmarked,,paid\n"
        "Peru,-5,USD,2027,1,unearmarked,,paid\n",
        encoding="utf-8",
    )
    upload.set_input_files(str(bad))
    expect(page.locator(f"#{ids.UPLOAD_SUMMARY}")).to_contain_text("2 rejected")
    errors = page.locator(f"#{ids.UPLOAD_ERRORS}")
    expect(errors).to_contain_text("bad_pledges.csv")
    expect(errors).to_contain_text("ZZZ")
    expect(errors.locator(".ag-row").first).to_be_visible()
    assert grid_rows(page, ids.UPLOAD_ERRORS) == 2
    expect(confirm).to_contain_text("Store 1 valid row, skip 2 rejected")
    no_failure(page)
    shot(page, "pledges_rejected")

    # A file that is not a spreadsheet at all is refused whole; nothing can be stored.
    fake = tmp_path / "notes.xlsx"
    fake.write_text("these are meeting notes, not a workbook", encoding="utf-8")
    upload.set_input_files(str(fake))
    expect(page.locator(f"#{ids.UPLOAD_SUMMARY}")).to_contain_text("cannot be imported")
    expect(page.locator(f"#{ids.UPLOAD_ERRORS}")).to_contain_text("notes.xlsx")
    expect(confirm).to_be_disabled()
    assert len(stored(root).pledges) == before + 2


def base64_decoded(body: str) -> str:
    """A request body with any base64 data URL in it decoded (to look for a file's text)."""
    out = [body]
    for match in re.finditer(r"base64,([A-Za-z0-9+/=]+)", body):
        out.append(base64.b64decode(match.group(1)).decode("utf-8", errors="replace"))
    return "\n".join(out)


def test_oversized_upload_is_refused_in_the_browser(page: Page, tmp_path: Path) -> None:
    page.goto("/pledges")
    big = tmp_path / "huge.csv"
    big.write_bytes(b"donor,amount\n" + b"x" * (11 * 1024 * 1024))
    page.locator("#pledge-upload input[type=file]").set_input_files(str(big))
    message = page.locator("#upload-size-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("larger than the 10 MB upload limit")
    expect(page.locator("#upload-confirm")).to_be_disabled()


def test_status_edit_in_the_grid(page: Page) -> None:
    page.goto("/pledges")
    cell = page.locator('#pledges-grid .ag-row[row-index="0"] [col-id="status"]').first
    expect(cell).to_be_visible()
    old = cell.inner_text().strip().lower()
    new = "paid" if old != "paid" else "committed"
    cell.dblclick()
    page.locator("#pledges-grid .ag-cell-inline-editing .ag-picker-field-wrapper").click()
    page.locator(".ag-select-list .ag-list-item", has_text=new).first.click()
    expect(page.locator("#grid-status-alert")).to_contain_text(f"to {new}")
    expect(cell).to_have_text(new.capitalize())  # shown in words, stored as the code


def test_change_weight_run_save_and_compare(page: Page, root: Path) -> None:
    page.goto("/scenarios")
    tier1 = page.locator(control("weights.tier.1"))
    expect(tier1).to_have_value("8")
    expect(page.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("baseline")

    page.locator(control("name")).fill("e2e-tier1-heavy")
    tier1.fill("20")
    page.locator(f"#{ids.SC_RUN}").click()
    result = page.locator(f"#{ids.SC_RESULT_CARD}")
    expect(result).to_contain_text("e2e-tier1-heavy")
    heavy = Scenario(weights=Weights(tier={1: 20.0, 2: 4.0, 3: 2.0, 4: 1.0}))
    run_heavy = solved(root, heavy)
    funded = gaps.totals(run_heavy.plan, run_heavy.result)["funded_usd"]
    expect(result).to_contain_text(f"Funded{usd(funded)}")
    page.locator(f"#{ids.SC_SAVE}").click()
    expect(page.locator(f"#{ids.SC_SAVED_ALERT}")).to_contain_text("e2e-tier1-heavy")

    page.locator(control("name")).fill("e2e-bottom-up")
    for tier, weight in ((1, "1"), (2, "2"), (3, "4"), (4, "8")):
        page.locator(control(f"weights.tier.{tier}")).fill(weight)
    page.locator(control("min_viable")).uncheck()
    page.locator(f"#{ids.SC_SAVE}").click()
    expect(page.locator(f"#{ids.SC_SAVED_ALERT}")).to_contain_text("e2e-bottom-up")
    expect(page.locator(f"#{ids.SAVED_LIST}")).to_contain_text("e2e-bottom-up")
    expect(result).to_contain_text("e2e-bottom-up")  # Save shows what it saved

    # An invalid value is named in the editor's own words and changes nothing.
    page.locator(control("targets.gender_share")).fill("150")
    page.locator(f"#{ids.SC_RUN}").click()
    expect(page.locator(f"#{ids.SC_MESSAGE}")).to_contain_text(
        "must be between 0 and 100 %, got 150 %"
    )
    expect(result).to_contain_text("e2e-bottom-up")
    page.locator(control("targets.gender_share")).fill("15")

    choose(page, ids.COMPARE_A, "e2e-tier1-heavy")
    choose(page, ids.COMPARE_B, "e2e-bottom-up")
    page.locator(f"#{ids.COMPARE_RUN}").click()
    expect(page.locator(f"#{ids.COMPARE_TOTALS}")).to_contain_text("Funded")
    expect(page.locator(f"#{ids.COMPARE_LINES} .ag-row").first).to_be_visible()
    expect(page.locator(f"#{ids.COMPARE_CHART} .main-svg").first).to_be_visible()
    bottom_up = Scenario(min_viable=False, weights=Weights(tier={1: 1.0, 2: 2.0, 3: 4.0, 4: 8.0}))
    # B held closest to A among its best allocations (the engine's change attribution).
    plan = run_heavy.plan
    change = attribute((plan, run_heavy.scenario), (plan, bottom_up)).lines
    moved = change.set_index("line_id")["total_change"]
    moved = moved[moved.abs() > 0.5]
    bars = plotted(
        page,
        ids.COMPARE_CHART,
        "Array.from(data[0].y).map((label, i) => [label.split(' · ')[0], data[0].x[i]])",
    )
    assert len(bars) == min(25, len(moved)) > 0
    for line_id, delta in bars:
        assert 1e6 * delta == pytest.approx(moved[line_id], abs=1.0)  # the axis is in USD m
    no_failure(page)
    shot(page, "scenarios_compare")


def test_two_browsers_keep_unsaved_work_apart(browser: Browser, server: str) -> None:
    a = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    b = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    try:
        pa, pb = a.new_page(), b.new_page()
        for p in (pa, pb):
            p.set_default_timeout(WAIT_MS)
            p.goto("/scenarios")
            expect(p.locator(control("weights.tier.1"))).to_have_value("8")
        pa.locator(control("name")).fill("alice-unsaved")
        pa.locator(control("weights.tier.2")).fill("7")
        pa.locator(f"#{ids.SC_RUN}").click()
        expect(pa.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("alice-unsaved")
        pb.reload()
        expect(pb.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("Result of")
        expect(pb.locator(control("name"))).to_have_value("baseline")
        expect(pb.locator(control("weights.tier.2"))).to_have_value("4")
        # Alice's work survives her own navigation (session storage of her tab).
        pa.get_by_role("link", name="Overview", exact=True).click()
        expect(pa.locator("#overview-cards")).to_be_visible()
        pa.get_by_role("link", name="Scenarios", exact=True).click()
        expect(pa.locator(control("name"))).to_have_value("alice-unsaved")
    finally:
        a.close()
        b.close()


def test_risk_simulation_runs_with_progress(page: Page) -> None:
    page.goto("/donors")
    expect(page.locator("#donors-sankey .main-svg").first).to_be_visible()
    page.locator("#risk-draws").fill("12")
    page.locator("#risk-run").click()
    summary = page.locator("#risk-summary")
    expect(summary).to_contain_text("12 draws")
    expect(summary).to_contain_text("P50")
    expect(page.locator("#risk-run")).to_be_enabled()

    page.locator("#stress-run").click()
    expect(page.locator("#stress-summary")).to_contain_text(
        re.compile("without the top 1 donor", re.IGNORECASE)
    )
    no_failure(page)
    shot(page, "donors_simulation")


def test_risk_simulation_can_be_cancelled(page: Page) -> None:
    page.goto("/donors")
    expect(page.locator("#donors-sankey .main-svg").first).to_be_visible()
    page.locator("#risk-draws").fill("5000")
    page.locator("#risk-run").click()
    cancel = page.locator("#risk-cancel")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(page.locator("#risk-status")).to_contain_text("cancelled")
    expect(page.locator("#risk-run")).to_be_enabled()
    expect(page.locator("#risk-summary")).to_have_count(0)


def test_download_the_appeal_workbook(page: Page, tmp_path: Path) -> None:
    page.goto("/appeal")
    expect(page.locator("#appeal-years")).to_contain_text("2027")
    choose(page, "appeal-scenario", "baseline")  # saved by --demo
    with page.expect_download() as info:
        page.locator("#appeal-download-button").click()
    download = info.value
    assert download.suggested_filename == "appeal-baseline.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    wb = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    assert "Summary" in wb.sheetnames and "Allocation plan" in wb.sheetnames
    no_failure(page)
