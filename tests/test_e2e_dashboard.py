"""Real-browser end-to-end tests of the dashboard: headless Debian Chromium (Playwright, sync
API) against ``appeal --db <tmp> serve --demo`` started as a subprocess on a free port.

One server for the whole module (start-up loads the demo data once). Each page's screenshot
is written to ``screenshots/`` at the repository root (git-ignored) for reviewers.
"""

from __future__ import annotations

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

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
SAMPLE = ROOT / "sample_data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The machine may be shared and busy: generous waits for content, never timed assertions.
WAIT_MS = 120_000
expect.set_options(timeout=WAIT_MS)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e")
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
    try:
        yield p
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def shot(p: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    p.wait_for_timeout(500)  # let plots finish drawing
    p.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_failure(p: Page) -> None:
    """The page shows no failed-callback alert and no traceback."""
    expect(p.locator("#global-alert")).to_be_hidden()
    assert "Traceback" not in p.content()


def choose(p: Page, dropdown_id: str, value: str) -> None:
    """Pick ``value`` in a Dash 4 dcc.Dropdown."""
    p.locator(f"#{dropdown_id}").click()
    p.locator(f'[role="option"]:has(input[value="{value}"])').click()
    p.keyboard.press("Escape")


def test_every_page_opens(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#overview-cards")).to_contain_text("Requirement")
    expect(page.locator("#overview-heatmap .main-svg").first).to_be_visible()
    expect(page.locator("#overview-changes")).to_contain_text("saved")
    no_failure(page)
    shot(page, "overview")

    # Navigate like a user, through the navbar (client-side routing).
    page.get_by_role("link", name="Pledges", exact=True).click()
    expect(page.locator("#pledges-grid .ag-row").first).to_be_visible()
    no_failure(page)
    shot(page, "pledges")

    page.get_by_role("link", name="Scenarios", exact=True).click()
    expect(page.locator("#sc-result-card")).to_contain_text("Result of")
    expect(page.locator("#sc-explanations")).to_contain_text("LEAD-01")
    no_failure(page)
    shot(page, "scenarios")

    page.get_by_role("link", name="Donor base", exact=True).click()
    expect(page.locator("#donors-sankey .main-svg").first).to_be_visible()
    expect(page.locator("#donors-lorenz .main-svg").first).to_be_visible()
    no_failure(page)
    shot(page, "donors")

    page.get_by_role("link", name="Appeal", exact=True).click()
    expect(page.locator("#appeal-years")).to_contain_text("2027")
    no_failure(page)
    shot(page, "appeal")


def test_upload_sample_pledges_and_a_bad_file(page: Page, tmp_path: Path) -> None:
    page.goto("/pledges")
    expect(page.locator("#pledges-grid .ag-row").first).to_be_visible()
    upload = page.locator("#pledge-upload input[type=file]")

    upload.set_input_files(str(SAMPLE / "pledges_entities.csv"))
    expect(page.locator("#upload-summary")).to_contain_text("rows are valid")
    confirm = page.locator("#upload-confirm")
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(page.locator("#upload-stored")).to_contain_text("Stored")

    bad = tmp_path / "bad_pledges.csv"
    bad.write_text(
        "donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "Chile,1000,ZZZ,2027,1,unearmarked,,paid\n"
        "Peru,-5,USD,2027,1,unearmarked,,paid\n",
        encoding="utf-8",
    )
    upload.set_input_files(str(bad))
    expect(page.locator("#upload-summary")).to_contain_text("2 rejected")
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("bad_pledges.csv")
    expect(errors).to_contain_text("ZZZ")
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(confirm).to_contain_text("Store 1 valid row, skip 2 rejected")
    no_failure(page)
    shot(page, "pledges_rejected")

    # A file that is not a spreadsheet at all is refused whole; nothing can be stored.
    fake = tmp_path / "notes.xlsx"
    fake.write_text("these are meeting notes, not a workbook", encoding="utf-8")
    upload.set_input_files(str(fake))
    expect(page.locator("#upload-summary")).to_contain_text("cannot be imported")
    expect(page.locator("#upload-errors")).to_contain_text("notes.xlsx")
    expect(confirm).to_be_disabled()


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
    old = cell.inner_text().strip()
    new = "paid" if old != "paid" else "committed"
    cell.dblclick()
    page.locator("#pledges-grid .ag-cell-inline-editing .ag-picker-field-wrapper").click()
    page.locator(".ag-select-list .ag-list-item", has_text=new).first.click()
    expect(page.locator("#grid-status-alert")).to_contain_text(f"to {new}")
    expect(cell).to_have_text(new)


def test_change_weight_run_save_and_compare(page: Page) -> None:
    page.goto("/scenarios")
    tier1 = page.locator("#sc-tier-1")
    expect(tier1).to_have_value("8")
    expect(page.locator("#sc-result-card")).to_contain_text("baseline")

    page.locator("#sc-name").fill("e2e-tier1-heavy")
    tier1.fill("20")
    page.locator("#sc-run").click()
    expect(page.locator("#sc-result-card")).to_contain_text("e2e-tier1-heavy")
    page.locator("#sc-save").click()
    expect(page.locator("#sc-saved-alert")).to_contain_text("e2e-tier1-heavy")

    page.locator("#sc-name").fill("e2e-bottom-up")
    for tier, weight in ((1, "1"), (2, "2"), (3, "4"), (4, "8")):
        page.locator(f"#sc-tier-{tier}").fill(weight)
    page.locator("#sc-min-viable").uncheck()
    page.locator("#sc-save").click()
    expect(page.locator("#sc-saved-alert")).to_contain_text("e2e-bottom-up")
    expect(page.locator("#saved-list")).to_contain_text("e2e-bottom-up")

    choose(page, "compare-a", "e2e-tier1-heavy")
    choose(page, "compare-b", "e2e-bottom-up")
    page.locator("#compare-run").click()
    expect(page.locator("#compare-totals")).to_contain_text("Funded")
    expect(page.locator("#compare-lines")).to_contain_text("LEAD-01")
    expect(page.locator("#compare-chart .main-svg").first).to_be_visible()
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
            expect(p.locator("#sc-tier-1")).to_have_value("8")
        pa.locator("#sc-name").fill("alice-unsaved")
        pa.locator("#sc-tier-2").fill("7")
        pa.locator("#sc-run").click()
        expect(pa.locator("#sc-result-card")).to_contain_text("alice-unsaved")
        pb.reload()
        expect(pb.locator("#sc-result-card")).to_contain_text("Result of")
        expect(pb.locator("#sc-name")).to_have_value("baseline")
        expect(pb.locator("#sc-tier-2")).to_have_value("4")
        # Alice's work survives her own navigation (session storage of her tab).
        pa.get_by_role("link", name="Overview", exact=True).click()
        expect(pa.locator("#overview-cards")).to_be_visible()
        pa.get_by_role("link", name="Scenarios", exact=True).click()
        expect(pa.locator("#sc-name")).to_have_value("alice-unsaved")
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
