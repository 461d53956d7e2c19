"""Dashboard speed as a person sees it: from the click to the result painted in a real browser.

Usage::

    python -m benchmarks.bench_browser [--repeat 5] [--before DIR] [--out FILE]

Starts ``appeal serve --demo`` (loopback, a free port, a fresh register and cache) and drives
Debian's Chromium headless through Playwright. Each figure is the median of ``--repeat``
samples, from the click (or ``goto``) until the page shows the result (checked in the page on
every animation frame) and the browser has painted twice since (two animation frames: the main
thread is free again, so a page that freezes while it builds thousands of elements is measured
frozen). The clock starts when the button can be clicked (visible, enabled, not moving), as a
person's would:

- ``first_load``: the Overview in a new browser profile, the first request after the server
  started (a new server and an empty result cache for each sample). Target: < 3 s.
- ``load:<page>``: the page opened by its address (warm browser cache).
- ``nav:<page>``: the page reached through the navbar from another page (client-side routing).
- ``scenario_run``, ``compare``, ``stress_test``, ``simulation_200``, ``upload_check``,
  ``upload_confirm``, ``workbook_download``: the interactions, each from its button.

Every target but the first load is 1 s. For each figure the bytes the server sent to Dash
callbacks during it (``payload_kb``: all callback answers; ``largest_kb``: the largest one) are
recorded too, so a slow page can be told apart from a heavy answer, and so is the server's
part (``server_s``: the longest wait of one callback request for its answer's first byte):
what is left of the figure is the network, the browser's work and Dash's chained callbacks.

``--only NAME[,NAME...]`` measures only the named figures (e.g. ``compare,simulation_200``;
``first_load`` and the ``load:/path`` / ``nav:/path`` names as in the table).

``--before DIR`` measures a second checkout (e.g. ``git worktree add /tmp/before main``) in the
same run, first, and prints both columns: a before/after comparison on one machine at one time.
Pages or controls a checkout lacks are reported as "n/a". Prints a table and writes JSON to
``benchmarks/results/browser.json``.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response, sync_playwright

from benchmarks._medians import write_report
from benchmarks._server import served
from dashboards import ids

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "browser.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TARGET_S = 1.0
FIRST_LOAD_TARGET_S = 3.0
WAIT_MS = 120_000
UPDATE = "_dash-update-component"


@dataclass(frozen=True)
class PageSpec:
    """A page of the app: its navbar name, address and what shows it has been drawn."""

    name: str
    path: str
    ready: str  # a CSS selector visible once the page's content is painted


# What "painted" means on each page: its main content, not the frame around it.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("Overview", "/", f"#{ids.OVERVIEW_HEATMAP} .main-svg"),
    PageSpec("Pledges", "/pledges", f"#{ids.PLEDGES_GRID} .ag-row"),
    PageSpec(
        "Scenarios",
        "/scenarios",
        f"#{ids.SC_EXPLANATIONS} tbody tr, #{ids.SC_EXPLANATIONS} .ag-row",
    ),
    # The Sankey's nodes: an empty graph already has an svg.
    PageSpec("Donor base", "/donors", f"#{ids.DONORS_SANKEY} .sankey-node"),
    PageSpec("Donor profile", "/donor", f"#{getattr(ids, 'PROFILE_PLEDGES', 'none')} .ag-row"),
    PageSpec("Entities", "/entities", f"#{getattr(ids, 'ENTITY_CHART', 'none')} .main-svg"),
    PageSpec("Appeal", "/appeal", f"#{ids.APPEAL_YEARS}"),
)
SAVED = ("baseline", "flexible_first", "criteria_scored")  # saved by --demo


class Missing(Exception):
    """The checkout has no such page or control: the figure is "n/a" for it."""


# -- the server ---------------------------------------------------------------------------------
@contextmanager
def serving(checkout: Path, db: Path, cache: Path, log: Path) -> Iterator[str]:
    """``appeal serve --demo`` of ``checkout`` on a free loopback port, stopped on exit; ready
    once a static asset answers (no page is built before the first measured visit)."""
    with served(
        ["--demo"],
        db=str(db),
        cache_dir=cache,
        log=log,
        env={"PYTHONPATH": str(checkout)},
        cwd=checkout,
        ready="/assets/app.css",
    ) as server:
        yield server.url


# -- one measured step --------------------------------------------------------------------------
@dataclass
class Sample:
    seconds: float
    payload_bytes: int
    largest_bytes: int
    server_seconds: float = 0.0


@dataclass
class Recorder:
    """The Dash callback answers a page received (to weigh the payload of each step)."""

    responses: list[Response] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("response", lambda r: self.responses.append(r) if UPDATE in r.url else None)

    def weigh(self) -> tuple[int, int, float]:
        """(bytes of all answers, bytes of the largest, longest server wait in s) since the
        last call."""
        sizes, waits = [], []
        for response in self.responses:
            try:
                sizes.append(len(response.body()))
            except Exception:  # a background job's poll may have no body kept
                sizes.append(0)
            timing = response.request.timing
            if timing.get("responseStart", -1) >= 0 and timing.get("requestStart", -1) >= 0:
                waits.append((timing["responseStart"] - timing["requestStart"]) / 1000)
        self.responses.clear()
        return sum(sizes), max(sizes, default=0), max(waits, default=0.0)


def painted(page: Page) -> None:
    """Return once the browser has painted twice more (its main thread is free again)."""
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))"
    )


# Checked in the page on every animation frame (``polling="raf"``): a locator's wait backs off
# to checking every 500 ms, which would add up to half a second to anything slower than a few
# hundred milliseconds and make the figures jump between two values.
_SHOWN = """([selector, text]) => {
  const el = document.querySelector(selector);
  if (!el || el.getClientRects().length === 0) return false;
  if (getComputedStyle(el).visibility === "hidden") return false;
  return text === null || el.textContent.includes(text);
}"""


def visible(page: Page, selector: str, text: str | None = None) -> None:
    """Wait until the first element matching ``selector`` is shown (and holds ``text``)."""
    page.wait_for_function(_SHOWN, arg=[selector, text], polling="raf", timeout=WAIT_MS)


def timed(
    page: Page, recorder: Recorder, act: Callable[[], None], done: Callable[[], None]
) -> Sample:
    recorder.weigh()  # forget what came before
    start = time.perf_counter()
    act()
    done()
    painted(page)
    seconds = time.perf_counter() - start
    page.wait_for_timeout(300)  # late answers of the same step still count to its payload
    total, largest, server = recorder.weigh()
    return Sample(seconds, total, largest, server)


def ready_to_click(page: Page, selector: str) -> Callable[[], None]:
    """Wait (untimed) until ``selector`` can be clicked — visible, enabled and no longer
    moving: filling a field lower down starts the page's smooth scroll, and a person clicks
    once the button has stopped — and return the click itself, to be timed."""
    button = page.locator(selector)
    button.click(trial=True)
    return button.click


def has(page: Page, selector: str) -> bool:
    return page.locator(selector).count() > 0


def require(page: Page, selector: str) -> None:
    if not has(page, selector):
        raise Missing(selector)


# -- the steps ----------------------------------------------------------------------------------
def open_page(page: Page, spec: PageSpec) -> None:
    """Open a page by its address and wait until it is drawn and quiet (untimed set-up: the
    step that follows is timed from its own click, not from the rest of the page loading)."""
    page.goto(spec.path)
    visible(page, spec.ready)
    page.wait_for_load_state("networkidle")
    painted(page)


def nav_link(page: Page, name: str) -> Any:
    link = page.locator(f"nav a:text-is('{name}')")
    if link.count() == 0:
        raise Missing(f"navbar link {name}")
    return link.first


def step_load(page: Page, rec: Recorder, spec: PageSpec, i: int) -> Sample:
    def go() -> None:
        page.goto(spec.path)

    return timed(page, rec, go, lambda: visible(page, spec.ready))


def step_nav(page: Page, rec: Recorder, spec: PageSpec, i: int) -> Sample:
    origin = PAGES[1] if spec.path == "/" else PAGES[0]
    open_page(page, origin)
    link = nav_link(page, spec.name)
    return timed(page, rec, link.click, lambda: visible(page, spec.ready))


def step_run(page: Page, rec: Recorder, i: int) -> Sample:
    open_page(page, PAGES[2])
    name = f"bench-run-{i}"
    page.locator(f"#{ids.editor('name')}").fill(name)
    page.locator(f"#{ids.editor('tier-1')}").fill(str(9 + i))  # a new solve every time
    card = f"#{ids.SC_RESULT_CARD}"
    return timed(
        page,
        rec,
        ready_to_click(page, f"#{ids.SC_RUN}"),
        lambda: visible(page, card, f"“{name}”"),
    )


def choose(page: Page, dropdown_id: str, value: str) -> None:
    box = page.locator(f"#{dropdown_id}")
    box.scroll_into_view_if_needed()
    box.click()
    option = page.locator(f'[role="option"]:has(input[value="{value}"])')
    option.scroll_into_view_if_needed()
    option.click()
    page.keyboard.press("Escape")


# Five different ordered pairs of saved scenarios: each comparison is solved afresh.
PAIRS = [(a, b) for a in SAVED for b in SAVED if a != b]


def step_compare(page: Page, rec: Recorder, i: int) -> Sample:
    open_page(page, PAGES[2])
    a, b = PAIRS[i % len(PAIRS)]
    choose(page, ids.COMPARE_A, a)
    choose(page, ids.COMPARE_B, b)
    result = f"#{ids.COMPARE_TOTALS}"
    return timed(
        page,
        rec,
        ready_to_click(page, f"#{ids.COMPARE_RUN}"),
        lambda: visible(page, result),
    )


def step_stress(page: Page, rec: Recorder, i: int) -> Sample:
    open_page(page, PAGES[3])
    return timed(
        page,
        rec,
        ready_to_click(page, f"#{ids.STRESS_RUN}"),
        lambda: visible(page, f"#{ids.STRESS_SUMMARY}"),
    )


def step_simulation(page: Page, rec: Recorder, i: int) -> Sample:
    open_page(page, PAGES[3])
    page.locator(f"#{ids.RISK_DRAWS}").fill("200")
    page.locator(f"#{ids.RISK_SEED}").fill(str(1000 + i))  # a new simulation every time
    return timed(
        page,
        rec,
        ready_to_click(page, f"#{ids.RISK_RUN}"),
        lambda: visible(page, f"#{ids.RISK_SUMMARY}", "200 draws"),
    )


def _pledge_file(folder: Path, i: int) -> Path:
    path = folder / f"bench_pledges_{i}.csv"
    path.write_text(
        "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
        + "".join(
            f"BENCH-{i}-{k},Norway,{100000 + k},USD,2027,1,unearmarked,,pledged\n"
            for k in range(20)
        ),
        encoding="utf-8",
    )
    return path


def step_upload(page: Page, rec: Recorder, i: int, folder: Path) -> tuple[Sample, Sample]:
    open_page(page, PAGES[1])
    path = _pledge_file(folder, i)
    upload = page.locator(f"#{ids.PLEDGE_UPLOAD} input[type=file]")
    check = timed(
        page,
        rec,
        lambda: upload.set_input_files(str(path)),
        lambda: visible(page, f"#{ids.UPLOAD_SUMMARY}"),
    )
    confirm = timed(
        page,
        rec,
        ready_to_click(page, f"#{ids.UPLOAD_CONFIRM}"),
        lambda: visible(page, f"#{ids.UPLOAD_STORED}"),
    )
    return check, confirm


def step_download(page: Page, rec: Recorder, i: int) -> Sample:
    open_page(page, PAGES[-1])
    holder: dict[str, Any] = {}
    click = ready_to_click(page, f"#{ids.APPEAL_DOWNLOAD_BUTTON}")

    def act() -> None:
        with page.expect_download(timeout=WAIT_MS) as info:
            click()
        holder["download"] = info.value

    sample = timed(page, rec, act, lambda: None)
    holder["download"].cancel()
    return sample


def first_visit(page: Page, rec: Recorder) -> Sample:
    def go() -> None:
        page.goto("/")

    return timed(page, rec, go, lambda: visible(page, PAGES[0].ready))


# -- a whole measurement of one checkout --------------------------------------------------------
def _summary(samples: list[Sample], target: float) -> dict[str, Any]:
    secs = [s.seconds for s in samples]
    return {
        "median_s": statistics.median(secs),
        "min_s": min(secs),
        "max_s": max(secs),
        "samples_s": secs,
        "target_s": target,
        "payload_kb": statistics.median(s.payload_bytes for s in samples) / 1024,
        "largest_kb": max(s.largest_bytes for s in samples) / 1024,
        "server_s": statistics.median(s.server_seconds for s in samples),
    }


def measure(
    checkout: Path, repeat: int, browser: Browser, only: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Every figure (or those in ``only``) for one checkout (its own register, cache and
    server)."""

    def wanted(name: str) -> bool:
        return not only or name in only

    work = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    db = work / "register.sqlite"
    log = work / "server.log"
    results: dict[str, Any] = {}

    first: list[Sample] = []
    for i in range(repeat if wanted("first_load") else 0):  # a new server, cache, profile each
        with serving(checkout, db, work / f"cache-first-{i}", log) as url:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=url)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            rec = Recorder()
            rec.attach(page)
            first.append(first_visit(page, rec))
            context.close()
    if first:
        results["first_load"] = _summary(first, FIRST_LOAD_TARGET_S)

    with serving(checkout, db, work / "cache", log) as url:
        context = browser.new_context(
            viewport={"width": 1440, "height": 900}, base_url=url, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        rec = Recorder()
        rec.attach(page)
        open_page(page, PAGES[0])  # the baseline solved once, as after any first visit
        steps: dict[str, Callable[[int], Sample]] = {}
        links = set(page.locator("nav a").all_inner_texts())
        for spec in PAGES:
            if spec.name not in links:
                results[f"load:{spec.path}"] = results[f"nav:{spec.path}"] = {"missing": spec.name}
                continue
            steps[f"load:{spec.path}"] = functools.partial(step_load, page, rec, spec)
            steps[f"nav:{spec.path}"] = functools.partial(step_nav, page, rec, spec)
        steps["scenario_run"] = lambda i: step_run(page, rec, i)
        steps["compare"] = lambda i: step_compare(page, rec, i)
        steps["stress_test"] = lambda i: step_stress(page, rec, i)
        steps["simulation_200"] = lambda i: step_simulation(page, rec, i)
        steps["workbook_download"] = lambda i: step_download(page, rec, i)
        for name, step in steps.items():
            if not wanted(name):
                continue
            try:
                results[name] = _summary([step(i) for i in range(repeat)], TARGET_S)
            except Missing as exc:
                results[name] = {"missing": str(exc)}
            server = results[name].get("server_s")
            wait = f" (server {server:.2f}s)" if server is not None else ""
            print(f"  {name}: {_cell(results[name])}{wait}", flush=True)
        checks, confirms = [], []
        for i in range(repeat if wanted("upload_check") or wanted("upload_confirm") else 0):
            check, confirm = step_upload(page, rec, i, work)
            checks.append(check)
            confirms.append(confirm)
        if checks:
            results["upload_check"] = _summary(checks, TARGET_S)
            results["upload_confirm"] = _summary(confirms, TARGET_S)
        context.close()
    return results


def _cell(r: dict[str, Any] | None) -> str:
    if not r or "median_s" not in r:
        return "n/a"
    ok = "" if r["median_s"] < r["target_s"] else " !"
    return f"{r['median_s']:.2f}s {r['payload_kb']:.0f}kB{ok}"


def print_table(runs: dict[str, dict[str, Any]]) -> None:
    """One line per figure, one column per checkout: median s, payload kB; "!" misses the
    target."""
    # In the order of the last checkout's figures: the pages an older one lacks keep their place.
    names = list(dict.fromkeys(k for r in reversed(list(runs.values())) for k in r))
    width = max(len(n) for n in names)
    print(f"{'figure':<{width}} " + " ".join(f"{label:>20}" for label in runs) + "  target s")
    for name in names:
        cells = [_cell(r.get(name)) for r in runs.values()]
        target = next(
            (r[name]["target_s"] for r in runs.values() if "target_s" in r.get(name, {})), ""
        )
        print(f"{name:<{width}} " + " ".join(f"{c:>20}" for c in cells) + f"  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout to measure first")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default="", help="comma-separated figures to measure")
    args = parser.parse_args(argv)
    only = frozenset(name.strip() for name in args.only.split(",") if name.strip())
    checkouts = {"after": ROOT}
    if args.before:
        checkouts = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, checkout in checkouts.items():
                print(f"measuring {label}: {checkout}", flush=True)
                runs[label] = measure(checkout, args.repeat, browser, only)
        finally:
            browser.close()
    print_table(runs)
    write_report(
        {
            "what": "dashboard in headless Chromium: click to result painted (median of repeat)",
            "repeat": args.repeat,
            "checkouts": {k: str(v) for k, v in checkouts.items()},
            "load_average": os.getloadavg(),
            "results": runs,
        },
        args.out,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
