"""Dashboard interaction speed: server time of a scenario re-run and of the Overview's first load.

Usage::

    python -m benchmarks.bench_dashboard [--repeat 5] [--out benchmarks/results/dashboard.json]

What is measured (server time only: the Dash callbacks answered through Flask's test client,
including JSON encoding, excluding the network and the browser's drawing):

- ``scenario_rerun``: on the Scenarios page a user changes a tier weight and presses Run —
  the ``Run`` callback (validate the editor) plus the result panel's callback (solve the new
  scenario, explanations, next-million chart). Each repeat uses a new weight, so every solve is
  a real one (no cache hit). Target: < 0.5 s.
- ``scenario_rerun_cached``: the same with a scenario solved before (result cache hit).
- ``overview_first_load``: the page-routing callback for ``/`` plus the Overview's body
  callback on an empty result cache (the first visit after start). Target: < 2 s.
- ``overview_warm_load``: the same once the baseline is cached.

Runs on the bundled illustrative sample data in a temporary register. Prints a table and writes
the figures (median and all samples, seconds) as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from appeal.importer import load_sample_plan
from appeal.register import Register
from benchmarks._medians import print_table, write_report
from dashboards.app import create_app
from dashboards.state import AppConfig

TARGETS = {"scenario_rerun": 0.5, "overview_first_load": 2.0}
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "dashboard.json"


def _payload(dep: dict[str, Any], values: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """A /_dash-update-component request body for callback ``dep`` (as the browser sends it)."""

    def spec(item: dict[str, str]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "property": item["property"],
            "value": values.get((item["id"], item["property"])),
        }

    out = dep["output"]
    if out.startswith(".."):
        parts = [p for p in out.strip(".").split("...") if p]
        outputs: Any = []
        for part in parts:
            ident, prop = part.split("@")[0].rsplit(".", 1)
            outputs.append({"id": ident, "property": prop})
    else:
        ident, prop = out.split("@")[0].rsplit(".", 1)
        outputs = {"id": ident, "property": prop}
    return {
        "output": out,
        "outputs": outputs,
        "inputs": [spec(i) for i in dep["inputs"]],
        "state": [spec(s) for s in dep["state"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }


def _call(client: FlaskClient, dep: dict[str, Any], values: dict[tuple[str, str], Any]) -> Any:
    response = client.post("/_dash-update-component", json=_payload(dep, values))
    if response.status_code != 200:
        raise RuntimeError(f"{dep['output']}: HTTP {response.status_code}")
    body = response.get_json()
    if "global-alert" in json.dumps(body.get("sideUpdate", {})):
        raise RuntimeError(f"{dep['output']}: the callback failed: {body['sideUpdate']}")
    return body


def _find(deps: list[dict[str, Any]], needle: str) -> dict[str, Any]:
    for dep in deps:
        if needle in dep["output"]:
            return dep
    raise LookupError(needle)


def _app(url: str, cache: str) -> FlaskClient:
    app = create_app(AppConfig(db_url=url, cache_dir=cache))
    client = app.server.test_client()
    client.get("/")  # Dash sets up its routes on the first request
    return client


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
        deps = client.get("/_dash-dependencies").get_json()
        router = _find(deps, "_pages_content.children")
        body = _find(deps, "overview-body.children")
        for key in ("overview_first_load", "overview_warm_load"):
            start = time.perf_counter()
            _call(client, router, {("_pages_location", "pathname"): "/"})
            _call(client, body, {})
            samples[key].append(time.perf_counter() - start)

    # Scenario re-runs on one app (warm process, as in real use).
    client = _app(url, str(root / "cache-scenarios"))
    deps = client.get("/_dash-dependencies").get_json()
    populate = _find(deps, "sc-name.value")
    run = _find(deps, "..working-scenario.data...sc-message.children..")
    render = _find(deps, "sc-result.children")
    filled = _call(client, populate, {})["response"]
    controls = {(ident, "value"): props["value"] for ident, props in filled.items()}
    _call(client, render, {})  # baseline solved once, as the page does on opening
    for i in range(repeat):
        for key, weight in (("scenario_rerun", 9.0 + i), ("scenario_rerun_cached", 9.0 + i)):
            values = dict(controls)
            values[("sc-tier-1", "value")] = weight
            values[("sc-run", "n_clicks")] = 1
            start = time.perf_counter()
            result = _call(client, run, values)
            data = result["response"]["working-scenario"]["data"]
            _call(client, render, {("working-scenario", "data"): data})
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
