"""Every callback is wired to components that exist: each input, output and state of every
callback names an id in the app's validation layout (every page's layout plus the shell) and a
property that component has. With ``suppress_callback_exceptions`` off, a mistyped id is a
failing test here instead of a callback that silently never fires."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from dash import Dash, Input, Output, html

from appeal.importer import ImportReport
from appeal.register import Register
from dashboards import ids
from dashboards.app import create_app
from dashboards.client import CallbackClient
from dashboards.state import AppConfig
from models.plan import Plan

Layout = dict[str, set[str]]  # id -> the properties its component has


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sample_loaded: tuple[Plan, ImportReport]) -> Dash:
    root = tmp_path_factory.mktemp("dash-ids")
    url = f"sqlite:///{root / 'register.sqlite'}"
    reg = Register(url)
    reg.import_plan(*sample_loaded)
    reg.close()
    app = create_app(AppConfig(db_url=url, cache_dir=str(root / "cache"), risk_workers=1))
    app.server.test_client().get("/")  # Dash builds the validation layout on the first request
    return app


@pytest.fixture(scope="module")
def dependencies(app: Dash) -> list[dict[str, Any]]:
    """What the browser is told about the callbacks (/_dash-dependencies)."""
    return app.server.test_client().get("/_dash-dependencies").get_json()


def layout_of(app: Dash) -> Layout:
    assert app.validation_layout is not None, "no validation layout"
    found: Layout = {}
    for component in app.validation_layout._traverse():  # type: ignore[union-attr]
        ident = getattr(component, "id", None)
        if isinstance(ident, dict):  # a pattern-matching id: known by its type
            ident = _pattern(ident)
        if isinstance(ident, str):
            found.setdefault(ident, set()).update(component._prop_names)
    return found


def _pattern(ident: Mapping[str, Any]) -> str:
    return f"pattern:{ident.get('type')}"


def _pairs(dep: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(role, id, property) of every dependency of one callback, running outputs included."""
    output = str(dep["output"])
    parts = (
        [p for p in output.strip(".").split("...") if p] if output.startswith("..") else [output]
    )
    for part in parts:
        ident, prop = part.split("@")[0].rsplit(".", 1)
        yield "output", _named(ident), prop
    for role in ("inputs", "state"):
        for item in dep.get(role, []):
            yield role, _named(item["id"]), item["property"]
    running = dep.get("running") or {}
    for key in {**running.get("running", {}), **running.get("runningOff", {})}:
        ident, prop = key.rsplit(".", 1)
        yield "running", ident, prop


def _named(ident: str) -> str:
    """A dependency's id as :func:`layout_of` knows it (pattern-matching ids by their type)."""
    return _pattern(json.loads(ident)) if ident.startswith("{") else ident


def unknown_dependencies(dependencies: Sequence[Mapping[str, Any]], layout: Layout) -> list[str]:
    """Every dependency naming an id the layout lacks, or a property its component lacks."""
    problems = []
    for dep in dependencies:
        for role, ident, prop in _pairs(dep):
            if ident not in layout:
                problems.append(f"{dep['output']}: {role} {ident!r} is in no layout")
            elif prop not in layout[ident]:
                problems.append(f"{dep['output']}: {role} {ident}.{prop}: no such property")
    return problems


def test_suppress_callback_exceptions_is_off(app: Dash) -> None:
    assert app.config.suppress_callback_exceptions is False


def test_the_validation_layout_holds_every_page(app: Dash) -> None:
    layout = layout_of(app)
    for ident in (
        ids.OVERVIEW_BODY,
        ids.PLEDGES_GRID,
        ids.SC_RUN,
        ids.DONORS_BODY,
        ids.APPEAL_PREVIEW,
        ids.GLOBAL_ALERT,
        "_pages_content",
    ):
        assert ident in layout, ident


def test_every_callback_dependency_exists_in_the_validation_layout(
    app: Dash, dependencies: list[dict[str, Any]]
) -> None:
    assert len(dependencies) > 20  # the pages' callbacks are registered
    assert unknown_dependencies(dependencies, layout_of(app)) == []


def test_background_progress_and_cancel_exist_too(app: Dash) -> None:
    """The risk simulation's progress outputs and cancel input never reach the browser's
    dependency list; they are checked from the server's callback map."""
    layout = layout_of(app)
    checked = 0
    for cb in app.callback_map.values():
        background = cb.get("background") or {}
        for out in background.get("progress", []):
            assert out.component_id in layout and out.component_property in layout[out.component_id]
            checked += 1
        for item in background.get("cancel", []):
            assert item["id"] in layout and item["property"] in layout[item["id"]]
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("role", "typo"),
    [("inputs", "sc-rnu"), ("state", "working-scenaro"), ("output", "overview-bdy")],
)
def test_the_check_fails_on_a_mistyped_id(
    app: Dash, dependencies: list[dict[str, Any]], role: str, typo: str
) -> None:
    """The check above really catches a callback wired to a wrong id."""
    broken = copy.deepcopy(dependencies)
    if role == "output":
        dep = next(d for d in broken if d["output"] == f"{ids.OVERVIEW_BODY}.children")
        dep["output"] = f"{typo}.children"
    else:
        want = ids.SC_RUN if role == "inputs" else ids.WORKING_SCENARIO
        dep = next(d for d in broken if any(i["id"] == want for i in d[role]))
        next(i for i in dep[role] if i["id"] == want)["id"] = typo
    problems = unknown_dependencies(broken, layout_of(app))
    assert len(problems) == 1 and repr(typo) in problems[0]


def test_the_check_fails_on_a_mistyped_property(
    app: Dash, dependencies: list[dict[str, Any]]
) -> None:
    broken = copy.deepcopy(dependencies)
    dep = next(d for d in broken if d["output"] == f"{ids.OVERVIEW_BODY}.children")
    dep["inputs"][0]["property"] = "dta"
    problems = unknown_dependencies(broken, layout_of(app))
    assert problems == [
        f"{ids.OVERVIEW_BODY}.children: inputs {ids.WORKING_SCENARIO}.dta: no such property"
    ]


def test_a_broken_app_fails_the_check() -> None:
    """An app with a callback on a component no layout has, end to end."""
    broken = Dash(__name__, suppress_callback_exceptions=False)
    broken.layout = html.Div([html.Button(id="go"), html.Div(id="out")])

    @broken.callback(Output("out", "children"), Input("g0", "n_clicks"))
    def _never(n: int) -> int:  # pragma: no cover - never fires: that is the point
        return n

    broken.validation_layout = broken.layout
    deps = CallbackClient.for_flask(broken.server.test_client()).callbacks
    problems = unknown_dependencies([dict(cb.raw) for cb in deps], layout_of(broken))
    assert problems == ["out.children: inputs 'g0' is in no layout"]


def test_ids_are_unique() -> None:
    values = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)]
    assert len(values) == len(set(values))
