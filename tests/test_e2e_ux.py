"""Real-browser tests of what a working group needs to adopt the app (issue 13): accessibility
checked with axe-core on every page, differences explained, donor profile and entity view,
filters kept in the address, downloads of the tables shown, charts people read, words instead
of codes, phones, and messages that tell the truth.

Same set-up as tests/test_e2e_dashboard.py (its fixtures: one ``appeal serve --demo`` for the
module, Debian's Chromium headless through Playwright). axe-core comes with the test extra
(the axe-playwright-python wheel bundles axe.min.js) and is injected into each page.
"""

# ruff: noqa: F811 - pytest fixtures imported from the other e2e module are parameters here
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import axe_playwright_python
import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from dashboards import ids
from dashboards.logic import editor
from models import stress
from models.privacy import donor_aliases
from tests.test_e2e_dashboard import (  # noqa: F401 - fixtures shared with the other e2e module
    WAIT_MS,
    browser,
    choose,
    grid_rows,
    no_failure,
    page,
    plotted,
    root,
    server,
    shot,
    solved,
    stored,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
# axe-core as the axe-playwright-python wheel bundles it (the test extra): no npm step.
AXE = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
# Every page and what shows it has been drawn.
PAGES = {
    "/": f"#{ids.OVERVIEW_HEATMAP} .main-svg",
    "/pledges": f"#{ids.PLEDGES_GRID} .ag-row",
    "/scenarios": f"#{ids.SC_EXPLANATIONS} .ag-row",
    "/donors": f"#{ids.DONORS_SANKEY} .main-svg",
    "/donor": f"#{ids.PROFILE_PLEDGES} .ag-row",
    "/entities": f"#{ids.ENTITY_CHART} .main-svg",
    "/appeal": f"#{ids.APPEAL_ASKS} .ag-row",
    "/programmes": f"#{ids.PROGRAMMES_GRID} .ag-row",
    "/editions": f"#{ids.EDITIONS_TABLE} > *",
    "/activity": f"#{ids.ACTIVITY_TABLE} > *",
}


def drawn(p: Page, path: str) -> None:
    p.goto(path)
    p.locator(PAGES[path.split("?")[0]]).first.wait_for(state="visible", timeout=WAIT_MS)
    p.wait_for_timeout(300)  # let the ARIA names of Dash's widgets be set (assets/a11y.js)


def axe_violations(p: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations of the page as it is."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE}): pip install -e '.[test]'")
    # The app's CSP allows same-origin scripts only (no inline ones): serve axe-core from the
    # page's own origin, so the policy stays on while axe runs.
    origin = re.match(r"https?://[^/]+", p.url)
    assert origin is not None
    url = origin.group(0) + "/__e2e_axe.js"
    p.route(url, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    p.add_script_tag(url=url)
    found = p.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


# -- 6. accessibility ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_has_no_serious_accessibility_violation(page: Page, path: str) -> None:
    drawn(page, path)
    found = axe_violations(page)
    assert found == [], "\n".join(map(str, found))
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)
    expect(page.locator("header nav")).to_have_count(1)
    # Every chart has a title, a one-sentence summary and a text alternative.
    for figure in page.locator("figure.chart").all():
        assert figure.locator(".chart-title").inner_text().strip()
        assert figure.locator(".chart-summary").inner_text().strip().endswith(".")
        label = figure.locator('[role="img"]').first
        assert (label.get_attribute("aria-label") or "").strip()
    no_failure(page)


def test_skip_link_and_visible_focus_on_the_navbar(page: Page) -> None:
    drawn(page, "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box() is not None and skip.bounding_box()["y"] >= 0  # type: ignore[index]
    for _ in range(8):  # brand, menu button, then the navbar's links
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('nav') !== null && "
                         "document.activeElement.classList.contains('nav-link')"):  # fmt: skip
            break
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2
    page.locator("a.skip-link").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_every_editor_control_has_an_accessible_name(page: Page) -> None:
    drawn(page, "/scenarios")
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                '#main input:not([type=hidden]):not([tabindex="-1"]), #main select, '
                + '#main button.dash-dropdown, #main [role=slider]'))
            .filter(el => el.offsetParent !== null || el.getAttribute('role') === 'slider')
            .filter(el => {
                const by = (el.getAttribute('aria-labelledby') || '').split(' ')
                    .map(i => document.getElementById(i)).filter(Boolean)
                    .map(e => e.textContent.trim()).join(' ');
                const lab = el.id && document.querySelector(`label[for="${el.id}"]`);
                return !(by || el.getAttribute('aria-label') || (lab && lab.textContent.trim())
                    || el.closest('label'));
            }).map(el => el.outerHTML.slice(0, 120))"""
    )
    assert unnamed == []


# -- 2. differences explained -----------------------------------------------------------------
def test_the_comparison_lists_every_setting_and_attributes_each_line(page: Page) -> None:
    drawn(page, "/scenarios")
    page.locator(f"#{editor.BY_PATH['name'].id}").fill("e2e-explained")
    page.locator(f"#{editor.BY_PATH['weights.tier.2'].id}").fill("7")
    page.locator(f"#{editor.BY_PATH['targets.human_rights_share'].id}").fill("25")
    page.locator(f"#{editor.BY_PATH['targets.gender_share'].id}").fill("20")  # already met
    page.locator(f"#{ids.SC_RUN}").click()
    expect(page.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("e2e-explained")
    choose(page, ids.COMPARE_A, "baseline")
    choose(page, ids.COMPARE_B, "__working__")
    page.locator(f"#{ids.COMPARE_RUN}").click()
    settings = page.locator(f"#{ids.COMPARE_SETTINGS}")
    expect(settings).to_contain_text("tier 2")
    expect(settings).to_contain_text(re.compile("human-rights", re.IGNORECASE))
    expect(settings).to_contain_text("already met — no effect")
    expect(settings.locator("tbody tr")).to_have_count(3)
    causes = page.locator(f"#{ids.COMPARE_CAUSES}")
    # A tier weight moves money between lines; the total stays and the page says so.
    expect(causes).to_contain_text(re.compile("Total funded does not change|tier 2"))
    expect(page.locator(f"#{ids.COMPARE_LINES} .ag-row").first).to_be_visible()
    moved_by = page.locator(f'#{ids.COMPARE_LINES} .ag-row [col-id="moved_by"]').first
    expect(moved_by).to_contain_text("tier 2")
    # The interaction remainder has its own column, after one column per setting.
    headers = page.evaluate(
        "async (id) => (await dash_ag_grid.getApiAsync(id)).getColumnDefs().map(c => c.headerName)",
        ids.COMPARE_LINES,
    )
    assert "Settings acting together (USD)" in headers
    assert any("tier 2" in h for h in headers[headers.index("Change (USD)") + 1 :])
    # Every line's change is split exactly into its causes (the grid's own numbers).
    rows = page.evaluate(
        "async (id) => { const api = await dash_ag_grid.getApiAsync(id); const out = [];"
        " api.forEachNode(n => out.push(n.data)); return out; }",
        ids.COMPARE_LINES,
    )
    for row in rows:
        parts = sum(v for k, v in row.items() if k.startswith("cause_") and v is not None)
        assert parts == pytest.approx(row["change"], abs=len(row))  # rounded to the dollar
    no_failure(page)
    shot(page, "scenarios_differences")


def test_the_scenarios_page_shows_sensitivity_ranges_and_the_stability_report(
    page: Page, root: Path
) -> None:
    drawn(page, "/scenarios")
    ranges = solved(root).result.sensitivity
    table = page.locator(f"#{ids.SC_SENSITIVITY}")
    expect(table.locator("tbody tr")).to_have_count(len(ranges))
    tier2 = ranges.set_index("parameter").loc["weights.tier.2"]
    row = table.locator("tbody tr", has_text="tier 2")
    expect(row).to_contain_text(f"{tier2['lower']:,.3g}")
    expect(row).to_contain_text(f"{tier2['upper']:,.3g}")
    expect(page.locator(f"#{ids.SC_STABILITY_REPORT}")).to_have_count(0)  # stability is off
    page.locator(f"#{editor.BY_PATH['name'].id}").fill("e2e-stable")
    page.get_by_role("button", name="Solver and horizon").click()  # a folded group
    page.select_option(f"#{editor.BY_PATH['stability'].id}", "reference")
    page.locator(f"#{editor.BY_PATH['stability_reference'].id}").fill("baseline")  # saved
    page.locator(f"#{ids.SC_RUN}").click()
    expect(page.locator(f"#{ids.SC_RESULT_CARD}")).to_contain_text("e2e-stable")
    # The reference is the saved baseline, which this scenario equals: nothing moves.
    report = page.locator(f"#{ids.SC_STABILITY_REPORT}")
    expect(report).to_contain_text(re.compile(r"Of [\d,]+ line-years, 0 would move"))
    expect(report).to_contain_text("with it 0 move")
    no_failure(page)


def test_unallocated_money_is_shown_by_reason_and_donor(page: Page, root: Path) -> None:
    drawn(page, "/scenarios")
    card = page.locator(f"#{ids.SC_UNALLOCATED_CARD}")
    expect(card).to_contain_text("Its lines are fully funded")
    assert "eligible_lines_fully_funded" not in card.inner_text()
    assert grid_rows(page, ids.SC_UNALLOCATED) > 0


# -- 3. donor profile, entity view, filters in the address, downloads ---------------------------
def test_a_confidential_donors_profile_is_reached_by_its_alias_only(page: Page, root: Path) -> None:
    plan = stored(root)
    aliases = donor_aliases(plan)
    hidden = sorted(d for d, a in aliases.items() if a != d)
    assert hidden
    alias = aliases[hidden[0]]
    bodies: list[str] = []
    page.on("response", lambda r: bodies.append(r.text()) if "_dash" in r.url else None)
    page.goto(f"/donor?donor={quote(alias)}")
    pledges = plan.pledges[plan.pledges["donor"] == hidden[0]]
    expect(page.locator(f"#{ids.PROFILE_PLEDGES} .ag-row").first).to_be_visible()
    assert grid_rows(page, ids.PROFILE_PLEDGES) == len(pledges)
    expect(page.locator(f"#{ids.PROFILE_BODY}")).to_contain_text("Earmarking habits")
    expect(page.locator(f"#{ids.PROFILE_YEARS} .main-svg").first).to_be_visible()
    page.wait_for_timeout(500)
    html_text = page.content()
    for name in hidden:
        assert name not in html_text
        assert not any(name in b for b in bodies)
    # Choosing another donor puts its alias in the address.
    other = aliases[stress.top_donors(plan, 1)[0]]
    choose(page, ids.PROFILE_DONOR, other)
    expect(page).to_have_url(re.compile(r"donor=" + re.escape(quote(other).replace("%20", "+"))))
    shot(page, "donor_profile")


def test_filters_are_kept_in_the_address_and_shared_by_every_page(page: Page, root: Path) -> None:
    plan = stored(root)
    flagship = plan.programmes[plan.programmes["category"] == "flagship"]
    drawn(page, "/?category=flagship")
    expect(page.locator(f"#{ids.FILTER_NOTE}")).to_contain_text(
        f"{len(flagship)} of {len(plan.programmes)} budget lines"
    )
    rows = plotted(page, ids.OVERVIEW_HEATMAP, "data[0].z.length")
    assert rows == len(flagship)
    # The navbar carries the filters to the next page.
    page.get_by_role("link", name="Entities", exact=True).click()
    expect(page).to_have_url(re.compile(r"/entities\?category=flagship"))
    expect(page.locator(f"#{ids.FILTER_NOTE}")).to_contain_text("Flagship")
    # Choosing a filter writes the address, and the page follows.
    choose(page, ids.filter("entity"), "UNOCT")
    expect(page).to_have_url(re.compile(r"entity=UNOCT"))
    expect(page.locator(f"#{ids.FILTER_NOTE}")).to_contain_text("Entity: UNOCT")
    page.locator(f"#{ids.FILTER_CLEAR}").click()
    expect(page.locator(f"#{ids.FILTER_NOTE}")).to_have_count(0)
    no_failure(page)


def test_every_grid_downloads_what_it_shows_as_csv_and_excel(page: Page, tmp_path: Path) -> None:
    drawn(page, "/entities")
    shown = grid_rows(page, ids.ENTITY_YEARS)
    with page.expect_download() as info:
        page.locator(f"#{ids.download(ids.ENTITY_YEARS, 'csv')}").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".csv"
    read = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert read[0][:3] == ["Entity", "Year", "Requirement (USD)"]
    assert len(read) == shown + 1
    with page.expect_download() as info:
        page.locator(f"#{ids.download(ids.ENTITY_YEARS, 'xlsx')}").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_row == shown + 1 and sheet.cell(1, 1).value == "Entity"


def test_the_entity_view_splits_firm_and_pledged_only_money(page: Page, root: Path) -> None:
    drawn(page, "/entities")
    names = plotted(page, ids.ENTITY_CHART, "data.map(t => t.name)")
    assert names == ["Firm (committed + paid)", "Pledged only", "Gap"]
    entities = stored(root).programmes["entity"].nunique()
    assert plotted(page, ids.ENTITY_CHART, "data[0].y.length") == entities


# -- 4. charts people read, 5. words --------------------------------------------------------------
def test_charts_show_amounts_percentages_and_one_gap_colour(page: Page) -> None:
    drawn(page, "/")
    text = plotted(page, ids.OVERVIEW_HEATMAP, "data[0].texttemplate")
    assert text == "%{z:.0%}"
    expect(
        page.locator(f"#{ids.OVERVIEW_HEATMAP} .main-svg text", has_text="%").first
    ).to_be_visible()
    gap_colour = plotted(
        page, ids.OVERVIEW_YEAR_CHART, "data.filter(t => t.name === 'Gap')[0].marker.color"
    )
    assert plotted(page, ids.OVERVIEW_YEAR_CHART, "data.map(t => t.name)") == [
        "Firm (committed + paid)", "Pledged only", "Gap"
    ]  # fmt: skip
    drawn(page, "/donors")
    labels = plotted(page, ids.DONORS_SANKEY, "Array.from(data[0].node.label)")
    assert len(labels) <= 14 and all("USD" in label for label in labels)
    page.locator(f"#{ids.DONORS_SANKEY_LINES}").check()
    page.wait_for_function(
        "(n) => document.querySelector('#donors-sankey .js-plotly-plot')._fullData[0]"
        ".node.label.length > n",
        arg=len(labels),
    )
    treemap = plotted(page, ids.DONORS_TREEMAP, "Array.from(data[0].labels)")
    assert "n/a" not in treemap
    assert plotted(page, ids.DONORS_TREEMAP, "data[0].texttemplate") == "%{label}<br>%{text}"
    page.locator(f"#{ids.STRESS_RUN}").click()
    expect(page.locator(f"#{ids.STRESS_CHART} .main-svg").first).to_be_visible()
    chart_gap = plotted(
        page, ids.STRESS_CHART, "data.filter(t => t.name === 'Gap after')[0].marker.color"
    )
    assert chart_gap == gap_colour
    body = page.locator("#main").inner_text()
    for code in ("tightly_earmarked", "softly_earmarked", "lower_tier", "member_state"):
        assert code not in body


def test_the_stress_test_names_the_donors_and_counts_are_whole(page: Page, root: Path) -> None:
    plan = stored(root)
    drawn(page, "/donors")
    page.locator(f"#{ids.STRESS_TOP}").select_option("2")
    page.locator(f"#{ids.STRESS_RUN}").click()
    removed = page.locator(f"#{ids.STRESS_REMOVED}")
    aliases = donor_aliases(plan)
    for donor in stress.top_donors(plan, 2):
        expect(removed).to_contain_text(f"{aliases[donor]}: USD")
    expect(page.locator(f"#{ids.STRESS_SUMMARY}")).to_contain_text(
        re.compile("more concentrated|spread more evenly")
    )
    figures = page.locator(f"#{ids.STRESS_FIGURES}").inner_text()
    donors_row = next(line for line in figures.splitlines() if line.startswith("Donors"))
    assert not re.search(r"\d\.\d", donors_row)  # "38", never "38.0"


def test_top_asks_are_ranked_by_the_value_of_the_next_dollar(page: Page) -> None:
    drawn(page, "/appeal")
    values = page.evaluate(
        "async (id) => { const api = await dash_ag_grid.getApiAsync(id); const out = [];"
        " api.forEachNodeAfterFilterAndSort(n => out.push([n.data.value_per_usd, n.data.gap_usd]));"
        " return out; }",
        ids.APPEAL_ASKS,
    )
    assert values == sorted(values, key=lambda v: (-v[0], -v[1]))


def test_the_pledge_grid_is_in_usd_with_a_totals_row_that_follows_its_filters(
    page: Page, root: Path
) -> None:
    plan = stored(root)
    drawn(page, "/pledges")
    total = page.locator(f'#{ids.PLEDGES_GRID} .ag-row-pinned [col-id="gross_usd"]')
    # The grid holds each pledge to the dollar; the total adds those.
    per_pledge = plan.tranches.groupby("pledge_id")["gross_usd"].sum().round()
    expected = int(per_pledge.sum())
    expect(total).to_have_text(f"{expected:,}")
    page.evaluate(
        "async (id) => { const api = await dash_ag_grid.getApiAsync(id);"
        " await api.setColumnFilterModel('currency', {filterType: 'text', type: 'equals',"
        " filter: 'EUR'}); api.onFilterChanged(); }",
        ids.PLEDGES_GRID,
    )
    eur = plan.pledges.loc[plan.pledges["currency"] == "EUR", "pledge_id"]
    eur_usd = int(per_pledge[per_pledge.index.isin(eur)].sum())
    expect(total).to_have_text(f"{eur_usd:,}")
    expect(
        page.locator(f'#{ids.PLEDGES_GRID} .ag-row-pinned [col-id="pledge_id"]')
    ).to_contain_text(f"Total ({len(eur)} pledges)")


# -- 7. phones ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/donors", "/appeal"])
def test_pages_are_readable_on_a_phone(browser: Browser, server: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server)
    try:
        p = context.new_page()
        p.set_default_timeout(WAIT_MS)
        drawn(p, path)
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
        # Wide tables scroll inside their card, not the page.
        assert p.evaluate(
            "Array.from(document.querySelectorAll('.card-body')).every(b => "
            "b.getBoundingClientRect().right <= 391)"
        )
        toggler = p.locator(f"#{ids.NAVBAR_TOGGLER}")
        expect(toggler).to_be_visible()
        toggler.click()
        menu = p.locator(f"#{ids.NAVBAR_COLLAPSE}")
        expect(menu).to_be_visible()
        p.get_by_role("link", name="Scenarios", exact=True).click()
        expect(p.locator(f"#{ids.SC_RESULT_CARD}")).to_be_visible()
        expect(menu).to_be_hidden()  # the menu closes on navigation
        p.screenshot(path=str(Path(__file__).resolve().parents[1] / "screenshots"
                              / f"phone{path.replace('/', '_') or '_home'}.png"))  # fmt: skip
    finally:
        context.close()


# -- 8. messages that tell the truth ------------------------------------------------------------
def test_upload_messages_tell_the_truth(page: Page, tmp_path: Path, root: Path) -> None:
    drawn(page, "/pledges")
    upload = page.locator(f"#{ids.PLEDGE_UPLOAD} input[type=file]")
    notes = tmp_path / "minutes.docx"
    notes.write_bytes(b"PK\x03\x04 not a pledge file")
    upload.set_input_files(str(notes))
    expect(page.locator(f"#{ids.UPLOAD_CHECK}")).to_contain_text("only .xlsx and .csv files")
    expect(page.locator(f"#{ids.UPLOAD_CONFIRM}")).to_be_disabled()

    header = "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
    existing = stored(root).pledges.iloc[0]
    # One file name (pledges are updated only from the file they came from), a new copy of it
    # for each upload (a browser sends no new file when the same one is chosen again).
    copies = iter(range(3))

    def version_of_mixed(text: str) -> Path:
        folder = tmp_path / f"v{next(copies)}"
        folder.mkdir()
        path = folder / "ux-mixed.csv"
        path.write_text(header + text, encoding="utf-8")
        return path

    # A stored pledge's id from another file: said before anything is stored.
    mixed = version_of_mixed(
        f"{existing['pledge_id']},{existing['donor']},{existing['amount']},"
        f"{existing['currency']},{existing['first_year']},1,unearmarked,,paid\n"
    )
    upload.set_input_files(str(mixed))
    plan_line = page.locator(f"#{ids.UPLOAD_PLAN}")
    expect(plan_line).to_contain_text("1 row reuses the pledge id of a pledge stored from another")
    upload.set_input_files(
        str(version_of_mixed("UX-OLD-1,Chile,100000,USD,2028,1,unearmarked,,pledged\n"))
    )
    expect(plan_line).to_contain_text("1 new pledge and updates 0 stored pledges")
    page.locator(f"#{ids.UPLOAD_CONFIRM}").click()
    expect(page.locator(f"#{ids.UPLOAD_STORED}")).to_contain_text("1 new")
    # The same file again: one pledge updated, two new.
    mixed = version_of_mixed(
        "UX-OLD-1,Chile,100000,USD,2028,1,unearmarked,,paid\n"
        "UX-NEW-1,Chile,250000,USD,2028,1,unearmarked,,pledged\n"
        "UX-NEW-2,Peru,150000,USD,2028,1,unearmarked,,pledged\n"
    )
    upload.set_input_files(str(mixed))
    expect(plan_line).to_contain_text("2 new pledges")
    expect(plan_line).to_contain_text("updates 1 stored pledge")
    page.locator(f"#{ids.UPLOAD_CONFIRM}").click()
    expect(page.locator(f"#{ids.UPLOAD_STORED}")).to_contain_text("2 new, 1 updated")
    expect(page.locator(f"#{ids.UPLOAD_CHECK}")).not_to_contain_text("Nothing is stored yet")
    expect(page.locator(f"#{ids.UPLOAD_SUMMARY}")).to_have_count(0)


def test_every_invalid_control_is_reported_beside_it_and_the_old_result_greyed(
    page: Page,
) -> None:
    drawn(page, "/scenarios")
    wrap = page.locator(f"#{ids.SC_RESULT_WRAP}")
    expect(wrap).not_to_have_class(re.compile("result-stale-wrap"))
    tier2 = editor.BY_PATH["weights.tier.2"].id
    gender = editor.BY_PATH["targets.gender_share"].id
    page.locator(f"#{tier2}").fill("")
    page.locator(f"#{gender}").fill("150")
    expect(wrap).to_have_class(re.compile("result-stale-wrap"))  # greyed before any click
    expect(wrap).to_contain_text("Not re-run")
    page.locator(f"#{ids.SC_RUN}").click()
    # Both problems at once, each beside its own control.
    expect(page.locator(f"#{ids.editor_feedback(tier2)}")).to_contain_text("is required")
    expect(page.locator(f"#{ids.editor_feedback(gender)}")).to_contain_text("between 0 and 100")
    expect(page.locator(f"#{ids.SC_MESSAGE}")).to_contain_text("2 settings to fix")
    expect(wrap).to_have_class(re.compile("result-stale-wrap"))
    page.locator(f"#{tier2}").fill("4")
    page.locator(f"#{gender}").fill("15")
    expect(wrap).not_to_have_class(re.compile("result-stale-wrap"))  # back to what it shows
    page.locator(f"#{editor.BY_PATH['targets.civil_society_share'].id}").fill("-5")
    lc = "targets.leadership_coordination_share_of_flexible"
    page.locator(f"#{editor.BY_PATH[lc].id}").fill("120")
    page.locator(f"#{ids.SC_RUN}").click()
    for path in ("targets.civil_society_share", lc):
        expect(page.locator(f"#{ids.editor_feedback(editor.BY_PATH[path].id)}")).not_to_be_empty()
    expect(page.locator(f"#{ids.SC_MESSAGE}")).to_contain_text("2 settings to fix")


def test_a_refund_file_on_its_own_says_what_it_takes_back_then_does(
    page: Page, tmp_path: Path, root: Path
) -> None:
    """A refund of a donor's stored money, uploaded alone: before anything is stored the page
    says which stored pledges it reduces; confirming takes exactly that much off the donor's
    stored pledges and nobody else's. (Last in the module: it changes the stored money.)"""
    before = stored(root).pledges
    public = ~before["confidential"].astype(bool)
    pledge = before.loc[(before["earmarking"] == "unearmarked") & public].iloc[0]
    donor, refund = str(pledge["donor"]), round(float(pledge["amount"]) / 4, 2)
    path = tmp_path / "ux-refund.csv"
    path.write_text(
        "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        f"UX-REFUND-1,{donor},{-refund},{pledge['currency']},{pledge['first_year']},1,"
        "unearmarked,,paid\n",
        encoding="utf-8",
    )
    drawn(page, "/pledges")
    page.locator(f"#{ids.PLEDGE_UPLOAD} input[type=file]").set_input_files(str(path))
    plan_line = page.locator(f"#{ids.UPLOAD_PLAN}")
    expect(plan_line).to_contain_text("Its refunds and reversals: 1 stored pledge reduced")
    assert stored(root).pledges["amount"].sum() == before["amount"].sum()  # nothing stored yet
    page.locator(f"#{ids.UPLOAD_CONFIRM}").click()
    expect(page.locator(f"#{ids.UPLOAD_STORED}")).to_contain_text("1 stored pledge reduced")
    after = stored(root).pledges
    mine = before["donor"] == donor
    assert after.loc[after["donor"] == donor, "amount"].sum() == pytest.approx(
        before.loc[mine, "amount"].sum() - refund
    )
    others = after.loc[after["donor"] != donor].set_index("pledge_id")["amount"].sort_index()
    assert others.equals(before.loc[~mine].set_index("pledge_id")["amount"].sort_index())
