"""The working group in a real browser: ``appeal serve --auth password --demo`` (gunicorn,
two workers) driven by headless Debian Chromium, each user in their own browser context.

In order, as a working group would: users sign in and out; a viewer finds no import, edit or
save control, and their direct posts to ``/_dash-update-component`` are refused with nothing
changed; the admin marks the official appeal and publishes an edition; the analyst imports new
pledges and the comparison with the edition shows exactly them; the analyst's unsaved change
is labelled, never shown to another user nor in the official export; the UNODC focal point
edits its own line and sees no other; the Activity page names who did each thing.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from appeal.register import Register
from benchmarks._server import ROOT, served
from dashboards import ids
from tests.test_e2e_dashboard import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, choose, control, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PASSWORD = "working group password"
USERS = {
    "admin1": ["--role", "admin"],
    "analyst1": ["--role", "analyst"],
    "viewer1": ["--role", "viewer"],
    "unodc1": ["--role", "focal_point", "--entity", "UNODC"],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-workspace")


def register(root: Path) -> Register:
    return Register(f"sqlite:///{root / 'register.sqlite'}")


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[str]:
    db = str(root / "register.sqlite")
    for name, args in USERS.items():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "appeal",
                "--db",
                db,
                "--as",
                "setup",
                "users",
                "add",
                name,
                *args,
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    with served(
        ["--demo", "--auth", "password", "--workers", "2"],
        db=db,
        cache_dir=root / "cache",
        log=root / "server.log",
    ) as s:
        yield s.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def contexts(browser: Browser, server: str) -> Iterator[dict[str, BrowserContext]]:
    """One browser context (its own cookies and storage) per user, kept for the module."""
    made = {
        name: browser.new_context(
            viewport={"width": 1440, "height": 900}, base_url=server, accept_downloads=True
        )
        for name in USERS
    }
    try:
        yield made
    finally:
        for c in made.values():
            c.close()


def signed_in(contexts: dict[str, BrowserContext], name: str, path: str = "/") -> Page:
    """A page of ``name``'s context at ``path``, signing in through the form when needed."""
    page = contexts[name].new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(path)
    if "/signin" in page.url:
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        page.click("#signin-submit")
        page.wait_for_url(lambda url: "/signin" not in url)
    expect(page.locator(f"#{ids.USER_AREA}")).to_contain_text(name)
    return page


def test_sign_in_and_out(contexts: dict[str, BrowserContext]) -> None:
    page = contexts["viewer1"].new_page()
    page.goto("/scenarios")
    assert "/signin" in page.url
    page.fill("#username", "viewer1")
    page.fill("#password", "not the password")
    page.click("#signin-submit")
    expect(page.locator(".alert-danger")).to_contain_text("wrong user name or password")
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url("**/scenarios")
    expect(page.locator(f"#{ids.USER_AREA}")).to_contain_text("viewer1 (viewer)")
    nav = page.locator(".app-navbar .nav-link")
    expect(nav).to_have_text(
        ["Overview", "Donor base", "Donor profile", "Entities", "Appeal", "Editions"]
    )
    shot(page, "workspace-viewer-not-available")
    page.click(f"#{ids.SIGNOUT_BUTTON}")
    page.wait_for_url("**/signin")
    page.goto("/")
    assert "/signin" in page.url
    page.close()


def test_nothing_a_viewers_browser_receives_names_a_confidential_donor(
    contexts: dict[str, BrowserContext], root: Path
) -> None:
    """Every response of every page a viewer opens (the pages, their layouts and every callback
    they make, the downloads too), read raw."""
    with register(root) as reg:
        plan = reg.load_plan()
    from models.privacy import donor_aliases

    aliases = {d: a for d, a in donor_aliases(plan).items() if d != a}
    hidden = list(aliases)
    assert hidden
    page = signed_in(contexts, "viewer1")
    bodies: list[bytes] = []

    def keep(response: Any) -> None:
        with contextlib.suppress(Exception):  # a redirect or an aborted request has no body
            bodies.append(response.body())

    page.on("response", keep)
    # A confidential donor's profile (by its alias), and filtered views from the address.
    profile = "/donor?" + urlencode({"donor": aliases[hidden[0]]})
    for path in ("/", "/donors", "/appeal", "/editions", "/entities?category=flagship", profile):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    expect(page.locator(f"#{ids.PROFILE_BODY}")).to_contain_text(aliases[hidden[0]])
    with page.expect_download() as table:
        page.click(f"#{ids.download(ids.PROFILE_PLEDGES, 'csv')}")
    csv_bytes = Path(table.value.path()).read_bytes()
    assert len(csv_bytes.splitlines()) > 1  # the donor's pledges, under their headers
    page.goto("/donors")
    page.click(f"#{ids.STRESS_RUN}")
    expect(page.locator(f"#{ids.STRESS_RESULT}")).not_to_be_empty()
    page.goto("/appeal")
    with page.expect_download() as download:
        page.click(f"#{ids.APPEAL_DOWNLOAD_BUTTON}")
    workbook = Path(download.value.path()).read_bytes()
    page.wait_for_load_state("networkidle")
    raw = b"\n".join(bodies)
    assert len(bodies) > 20
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    texts = [str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value]
    for name in hidden:
        assert name.encode() not in raw, name
        assert name.encode() not in csv_bytes, name
        assert not any(name in t for t in texts), name
    page.close()


def _post(page: Page, output: str, inputs: list[dict[str, object]]) -> int:
    response = page.request.post(
        "/_dash-update-component",
        data={
            "output": output,
            "outputs": [],
            "inputs": inputs,
            "state": [],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else [],
        },
    )
    return response.status


def test_a_viewer_cannot_import_edit_or_save(
    contexts: dict[str, BrowserContext], root: Path
) -> None:
    page = signed_in(contexts, "viewer1", "/pledges")
    expect(page.locator("main")).to_contain_text("Not available")
    expect(page.locator(f"#{ids.PLEDGE_UPLOAD}")).to_have_count(0)
    page.goto("/scenarios")
    expect(page.locator("body")).to_contain_text("Not available")
    expect(page.locator(f"#{ids.SC_SAVE}")).to_have_count(0)
    page.goto("/editions")
    expect(page.locator(f"#{ids.EDITIONS_TABLE}")).to_be_visible()
    expect(page.locator(f"#{ids.EDITION_PUBLISH}")).to_have_count(0)
    with register(root) as reg:
        before = reg.revision()
    # Direct posts, with the viewer's own session cookie, as a script in their browser would.
    deps = page.request.get("/_dash-dependencies").json()

    def output_of(button: str) -> str:
        return next(d["output"] for d in deps if any(i["id"] == button for i in d["inputs"]))

    for button in (
        ids.SC_SAVE,
        ids.UPLOAD_CONFIRM,
        ids.EDITION_PUBLISH,
        ids.FX_SAVE,
        ids.ACTIVITY_DOWNLOAD_BUTTON,
        ids.MARK_OFFICIAL,
    ):
        status = _post(
            page, output_of(button), [{"id": button, "property": "n_clicks", "value": 1}]
        )
        assert status == 403, button
    with register(root) as reg:
        assert reg.revision() == before
    page.close()


def test_the_admin_marks_the_official_appeal_and_publishes_an_edition(
    contexts: dict[str, BrowserContext], root: Path
) -> None:
    page = signed_in(contexts, "admin1", "/scenarios")
    choose(page, ids.SAVED_SELECT, "baseline")
    expect(page.locator(f"#{ids.VERSIONS_TABLE}")).to_contain_text("1")
    choose(page, ids.VERSION_SELECT, "1")
    page.click(f"#{ids.MARK_OFFICIAL}")
    expect(page.locator(f"#{ids.VERSION_MESSAGE}")).to_contain_text("is the official appeal")
    expect(page.locator(f"#{ids.SC_OFFICIAL}")).to_contain_text("“baseline” version 1")
    page.goto("/editions")
    page.fill(f"#{ids.EDITION_TITLE}", "March edition")
    page.fill(f"#{ids.EDITION_AS_AT}", "2027-03-31")
    page.click(f"#{ids.EDITION_PUBLISH}")
    expect(page.locator(f"#{ids.EDITION_MESSAGE}")).to_contain_text("Published edition 1")
    expect(page.locator(f"#{ids.EDITIONS_TABLE}")).to_contain_text("admin1")
    shot(page, "workspace-editions")
    with register(root) as reg:
        assert reg.official()["name"] == "baseline"  # type: ignore[index]
        assert len(reg.editions()) == 1
    page.close()


def test_new_pledges_are_exactly_what_the_edition_comparison_shows(
    contexts: dict[str, BrowserContext], tmp_path: Path
) -> None:
    page = signed_in(contexts, "analyst1", "/pledges")
    new = tmp_path / "after_march.csv"
    new.write_text(
        "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        "WG-1,Norway,1000000,USD,2027,1,unearmarked,,paid\n"
        "WG-2,Chile,250000,USD,2028,2,unearmarked,,pledged\n",
        encoding="utf-8",
    )
    page.locator(f"#{ids.PLEDGE_UPLOAD} input[type=file]").set_input_files(str(new))
    expect(page.locator(f"#{ids.UPLOAD_SUMMARY}")).to_contain_text("rows are valid")
    page.click(f"#{ids.UPLOAD_CONFIRM}")
    expect(page.locator(f"#{ids.UPLOAD_STORED}")).to_contain_text("Stored 2 pledge rows")
    page.goto("/editions")
    expect(page.locator(f"#{ids.EDITIONS_TABLE}")).to_contain_text("March edition")
    page.click(f"#{ids.EDITION_COMPARE}")
    expect(page.locator(f"#{ids.EDITION_RESULT}")).to_contain_text(
        "Today compared with the 31 March 2027 edition “March edition”."
    )
    pledges = page.locator(f"#{ids.EDITION_PLEDGES} tbody tr")
    expect(pledges).to_have_count(2)
    expect(pledges.nth(0)).to_contain_text("new")
    shown = sorted(pledges.nth(i).locator("td").first.inner_text() for i in range(2))
    assert shown == ["WG-1", "WG-2"]
    shot(page, "workspace-compare")
    page.close()


def test_an_unsaved_change_is_labelled_and_stays_with_its_user(
    contexts: dict[str, BrowserContext], root: Path
) -> None:
    page = signed_in(contexts, "analyst1", "/scenarios")
    choose(page, ids.SAVED_SELECT, "baseline")
    page.click(f"#{ids.SAVED_LOAD}")
    # Loaded (the tier weight is the default's too: the description tells the load is in).
    expect(page.locator(control("description"))).to_have_value(re.compile("^Default priorities"))
    expect(page.locator(control("weights.tier.1"))).to_have_value("8")
    page.locator(control("weights.tier.1")).fill("20")
    page.click(f"#{ids.SC_RUN}")
    banner = page.locator(f"#{ids.UNSAVED_BANNER}")
    expect(banner).to_contain_text("“baseline” (modified, not saved)")
    expect(page.locator(f"#{ids.UNSAVED_TEXT}")).to_have_text(
        "“baseline” (modified, not saved) — weights.tier.1: 8.0 -> 20.0"
    )
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(banner).to_be_visible()  # on every page
    page.get_by_role("link", name="Appeal", exact=True).click()
    choose(page, ids.APPEAL_SCENARIO, "__working__")
    with page.expect_download() as draft_download:
        page.click(f"#{ids.APPEAL_DOWNLOAD_BUTTON}")
    draft = draft_download.value
    assert draft.suggested_filename == "appeal-baseline-draft-unsaved-changes.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(Path(draft.path()).read_bytes()))
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    assert "DRAFT — UNSAVED CHANGES" in summary and "weights.tier.1: 8.0 -> 20.0" in summary
    shot(page, "workspace-unsaved-banner")

    # Another user sees the saved appeal, no banner, and the official export is undrafted.
    other = signed_in(contexts, "admin1", "/appeal")
    expect(other.locator(f"#{ids.APPEAL_PREVIEW}")).to_contain_text("scenario “baseline”")
    expect(other.locator(f"#{ids.UNSAVED_BANNER}")).to_be_hidden()
    with other.expect_download() as official_download:
        other.click(f"#{ids.APPEAL_DOWNLOAD_BUTTON}")
    official = official_download.value
    assert official.suggested_filename == "appeal-baseline.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(Path(official.path()).read_bytes()))
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    assert "DRAFT" not in summary
    with register(root) as reg:
        assert reg.get_scenario("baseline").weights.tier[1] == 8.0
    # Discard brings back the saved version.
    page.click(f"#{ids.UNSAVED_DISCARD}")
    expect(banner).to_be_hidden()
    other.close()
    page.close()


def test_a_focal_point_edits_only_its_own_lines(
    contexts: dict[str, BrowserContext], root: Path
) -> None:
    page = signed_in(contexts, "unodc1", "/programmes")
    rows = page.locator(f"#{ids.PROGRAMMES_GRID} .ag-center-cols-container .ag-row")
    expect(rows).to_have_count(3)
    with register(root) as reg:
        plan = reg.load_plan()
    own = plan.programmes.loc[plan.programmes["entity"] == "UNODC", "line_id"].tolist()
    grid = page.locator(f"#{ids.PROGRAMMES_GRID}")
    for line_id in own:
        expect(grid).to_contain_text(line_id)
    expect(grid).not_to_contain_text("LEAD-01")
    cell = page.locator(f"#{ids.PROGRAMMES_GRID} .ag-row[row-index='0'] [col-id='name']").first
    cell.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("UNODC line, edited by its focal point")
    page.keyboard.press("Enter")
    page.click(f"#{ids.PROGRAMMES_SAVE}")
    expect(page.locator(f"#{ids.PROGRAMMES_MESSAGE}")).to_contain_text("Saved: changed")
    expect(page.locator(f"#{ids.PROGRAMMES_FUNDING}")).to_contain_text(own[0])
    expect(page.locator(f"#{ids.FX_SAVE}")).to_have_count(0)  # rates are the analysts'
    shot(page, "workspace-programmes")
    with register(root) as reg:
        names = reg.load_plan().programmes.set_index("line_id")["name"]
    assert "UNODC line, edited by its focal point" in set(names)
    page.close()


def test_the_activity_page_names_who_did_what(contexts: dict[str, BrowserContext]) -> None:
    page = signed_in(contexts, "admin1", "/activity")
    rows = page.locator(f"#{ids.ACTIVITY_ROWS} tbody")
    expected = [
        ("admin1", "official.mark"),
        ("admin1", "edition.publish"),
        ("analyst1", "import.pledges"),
        ("unodc1", "programmes.edit"),
        ("viewer1", "signin.failed"),
        ("setup", "user.add"),
    ]
    for who, action in expected:
        expect(rows.locator("tr", has_text=action).filter(has_text=who).first).to_be_visible()
    choose(page, ids.ACTIVITY_USER, "unodc1")
    expect(rows.locator("tr", has_text="programmes.edit")).to_have_count(1)
    with page.expect_download() as download:
        page.click(f"#{ids.ACTIVITY_DOWNLOAD_BUTTON}")
    wb = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    actors = {r[1] for r in wb["Activity"].iter_rows(min_row=2, values_only=True)}
    assert actors == {"unodc1"}
    shot(page, "workspace-activity")
    page.close()
