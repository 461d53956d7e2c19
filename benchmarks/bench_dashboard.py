"""Dashboard interaction speed: server time of a scenario re-run and of the Overview's first load.

Usage::

    python -m benchmarks.bench_dashboard [--repeat 5] [--out benchmarks/results/dashboard.json]

What is measured (server time only: the Dash callbacks answered through Flask's test client,
including JSON encoding, excluding the network and the browser's drawing):

- ``scenario_rerun``: on the Scenarios page a user changes a tier weight and presses Run —
  the ``Run`` callback (validate the editor, solve the new scenario, explanations,
  next-million chart) plus the two requests the browser then makes for the editor's refill
  and the result panel (which decline). Each repeat uses a new weight, so every solve is a
  real one (no cache hit). Target: < 0.5 s.
- ``scenario_rerun_cached``: the same with a scenario solved before (result cache hit).
- ``overview_first_load``: the page-routing callback for ``/`` plus the Overview's body
  callback on an empty result cache (the first visit after start). Target: < 2 s.
- ``overview_warm_load``: the same once the baseline is cached.

Runs on the bundled illustrative sample data in a temporary register. Prints a table and writes
the figures (median and all samples, seconds) as JSON.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from appeal.importer import load_sample_plan
from appeal.register import Register
from benchmarks._medians import print_table, write_report
from dashboards import ids
from dashboards.app import create_app
from dashboards.client import CallbackClient
from dashboards.logic import editor
from dashboards.state import AppConfig

TARGETS = {"scenario_rerun": 0.5, "overview_first_load": 2.0}
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "dashboard.json"


def _app(url: str, cache: str) -> CallbackClient:
    app = create_app(AppConfig(db_url=url, cache_dir=cache))
    return CallbackClient.for_flask(app.server.test_client())


def bench(repeat: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = f"sqlite:///{root / 'register.sqlite'}"
    reg = Register(url)
    reg.import_plan(*load_sample_plan())
    reg.close()
    samples: dict[str, list[float]] = {k: [] for k in (
        "overview_first_load", "overview_warm_load", "scenario_rerun", "scenario_rerun_cached"
    )}  # fmt: skip

    for i in range(repeat):
        client = _app(url, str(root / f"cache-{i}"))  # empty result cache: a first load
        for key in ("overview_first_load", "overview_warm_load"):
            start = time.perf_counter()
            client.call(
                "_pages_content.children",
                {"_pages_location.pathname": "/", "_pages_location.search": ""},
            )
            client.call(f"{ids.OVERVIEW_BODY}.children", {})
            samples[key].append(time.perf_counter() - start)

    # Scenario re-runs on one app (warm process, as in real use).
    client = _app(url, str(root / "cache-scenarios"))
    fill = client.primary(f"{editor.IDS[0]}.value")  # fills the editor
    show = client.primary(f"{ids.SC_RESULT}.children")  # draws the working scenario's result
    run = client.started_by(f"{ids.SC_RUN}.n_clicks")
    filled = client.call(fill, {})
    client.call(show, {})  # the page opening: baseline solved once
    controls = {f"{c}.value": filled[f"{c}.value"] for c in editor.IDS}
    tier1 = f"{editor.BY_PATH['weights.tier.1'].id}.value"
    for i in range(repeat):
        for key, weight in (("scenario_rerun", 9.0 + i), ("scenario_rerun_cached", 9.0 + i)):
            values = {**controls, tier1: weight, f"{ids.SC_RUN}.n_clicks": 1}
            start = time.perf_counter()
            data = client.call(run, values)[f"{ids.WORKING_SCENARIO}.data"]
            for chained in (fill, show):  # the store changed: the browser asks both (declined)
                client.call(chained, {f"{ids.WORKING_SCENARIO}.data": data, tier1: weight})
            samples[key].append(time.perf_counter() - start)

    return {
        "what": "dashboard server time (Flask test client, sample data)",
        "repeat": repeat,
        "results": {
            k: {
                "median_s": statistics.median(v),
                "min_s": min(v),
                "max_s": max(v),
                "samples_s": v,
                "target_s": TARGETS.get(k),
            }
            for k, v in samples.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    report = bench(args.repeat)
    print_table(report["results"], label="measure")
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
