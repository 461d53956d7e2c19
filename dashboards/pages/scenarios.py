"""Scenarios page: edit every scenario parameter, run, save, load, delete and compare
scenarios; per-line explanations and where the next USD 1m of unearmarked money would go.

The scenario being edited is the browser tab's ``working-scenario`` store (donor aliases, never
names), so two people editing different scenarios never see each other's unsaved work.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal import service
from appeal.service import NoPlan
from dashboards import figures
from dashboards.components import (
    card,
    error_alert,
    frame_table,
    info_alert,
    page_header,
    pct,
    section,
    usd,
    working_store,
)
from dashboards.logic import overview as overview_logic
from dashboards.logic import scenarios as logic
from dashboards.logic.donors import donor_options
from dashboards.state import (
    FROM_EDITOR,
    ORIGIN_KEY,
    aliases_for,
    get_config,
    load_plan,
    open_register,
    scenario_from_browser,
    scenario_to_browser,
    solve,
    solve_scenario,
)
from models import gaps
from models.scenario import CRITERIA, SOLVERS, ScenarioError

dash.register_page(
    __name__, path="/scenarios", name="Scenarios", title="Scenarios · Appeal planner", order=2
)
log = logging.getLogger(__name__)
WORKING = "__working__"


def _label(text: str, help_text: str = "") -> Any:
    parts: list[Any] = [html.Div(text, className="control-label")]
    if help_text:
        parts.append(html.Div(help_text, className="help"))
    return html.Div(parts)


def _number(
    id_: str, *, min_: float | None = 0, max_: float | None = None, step: float | str = "any"
) -> Any:
    return dbc.Input(id=id_, type="number", min=min_, max=max_, step=step, size="sm")


def _editor() -> Any:
    tiers = dbc.Row(
        [dbc.Col([_label(f"Tier {t}"), _number(f"sc-tier-{t}")], width=3) for t in logic.TIERS],
        className="g-2 mb-2",
    )
    targets = [
        dbc.Col([_label(label), _number(f"sc-target-{key}", max_=100)], md=6, className="mb-2")
        for key, label in logic.TARGETS
    ]
    criteria = [
        dbc.Col(
            [_label(c.replace("_", " ").capitalize()), _number(f"sc-crit-{c}")],
            md=6,
            className="mb-2",
        )
        for c in CRITERIA
    ]
    risk = [
        dbc.Col([_label(f"{s.capitalize()} pledges, %"), _number(f"sc-risk-{s}", max_=100)], md=4)
        for s in logic.STATUS_KEYS
    ]
    advanced = dbc.Accordion(
        [
            dbc.AccordionItem(
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    _label("Solver"),
                                    dbc.Select(
                                        id="sc-solver",
                                        options=[{"label": s, "value": s} for s in SOLVERS],
                                        size="sm",
                                    ),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                [_label("Time limit, s"), _number("sc-time-limit", min_=1)], md=4
                            ),
                            dbc.Col([_label("MIP gap"), _number("sc-mip-gap")], md=4),
                        ],
                        className="g-2 mb-2",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    _label("First year"),
                                    dcc.Dropdown(
                                        id="sc-start-year", clearable=True, placeholder="plan start"
                                    ),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                [
                                    _label("Last year"),
                                    dcc.Dropdown(
                                        id="sc-end-year", clearable=True, placeholder="plan end"
                                    ),
                                ],
                                md=4,
                            ),
                            dbc.Col(
                                [
                                    _label("Donor cap per line, %"),
                                    _number("sc-donor-cap", max_=100),
                                ],
                                md=4,
                            ),
                        ],
                        className="g-2",
                    ),
                    html.Div(
                        "Donor cap: no donor funds more than this share of a line (blank: no cap).",
                        className="help mt-1",
                    ),
                ],
                title="Solver and horizon",
            ),
            dbc.AccordionItem(
                [
                    html.Div(
                        "Score-based weights (CBPF-style scorecard): when any criterion has a "
                        "weight, lines are weighted by their scores instead of their tier. "
                        "Blank or 0: unused.",
                        className="help mb-2",
                    ),
                    dbc.Row(criteria, className="g-2"),
                ],
                title="Criteria weights",
            ),
            dbc.AccordionItem(
                [
                    html.Div(
                        "Probability that a pledge of each status materialises, for the "
                        "pledge-risk simulation on the Donor base page.",
                        className="help mb-2",
                    ),
                    dbc.Row(risk, className="g-2 mb-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                [_label("Draws"), _number("sc-risk-draws", min_=1, step=1)], md=6
                            ),
                            dbc.Col(
                                [_label("Seed"), _number("sc-risk-seed", min_=0, step=1)], md=6
                            ),
                        ],
                        className="g-2",
                    ),
                ],
                title="Pledge risk",
            ),
        ],
        start_collapsed=True,
        always_open=True,
        className="mb-3",
    )
    return section(
        "Scenario editor",
        [
            dbc.Row(
                [
                    dbc.Col(
                        [_label("Name"), dbc.Input(id="sc-name", size="sm", maxlength=80)], md=6
                    ),
                    dbc.Col(
                        [_label("Description"), dbc.Input(id="sc-description", size="sm")], md=6
                    ),
                ],
                className="g-2 mb-3",
            ),
            html.H6("Priority weights", className="mt-1"),
            html.Div("Weight per USD for each priority tier (1 = highest).", className="help mb-1"),
            tiers,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            _label(
                                "Tranche share", "First part of each need that counts full weight"
                            ),
                            dcc.Slider(
                                id="sc-tranche-share",
                                min=0,
                                max=1,
                                step=0.05,
                                marks={0: "0", 0.5: "0.5", 1: "1"},
                                tooltip={"placement": "bottom"},
                            ),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            _label("Tranche weight", "Weight of the rest, relative to full"),
                            dcc.Slider(
                                id="sc-tranche-weight",
                                min=0,
                                max=1,
                                step=0.05,
                                marks={0: "0", 0.6: "0.6", 1: "1"},
                                tooltip={"placement": "bottom"},
                            ),
                        ],
                        md=6,
                    ),
                ],
                className="g-2 mb-3",
            ),
            html.H6("Policy targets, %"),
            html.Div(
                "Soft targets: never infeasible, reported with their shortfall. 0: off.",
                className="help mb-1",
            ),
            dbc.Row(targets, className="g-2 mb-2"),
            dbc.Switch(
                id="sc-min-viable",
                label="Minimum viable funding (a line gets 0 or at least its minimum share)",
                className="mb-2",
            ),
            _label("Excluded donors", "Their pledges are left out of this scenario"),
            dcc.Dropdown(id="sc-excluded", multi=True, placeholder="none", className="mb-3"),
            advanced,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Button("Run", id="sc-run", color="primary", className="w-100"), width=4
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Save", id="sc-save", color="success", outline=True, className="w-100"
                        ),
                        width=4,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Defaults",
                            id="sc-reset",
                            color="secondary",
                            outline=True,
                            className="w-100",
                        ),
                        width=4,
                    ),
                ],
                className="g-2",
            ),
            html.Div(id="sc-message", className="mt-3"),
        ],
        subtitle="Change any parameter, then Run. Save stores it under its name.",
    )


def layout(**_: Any) -> Any:
    saved = section(
        "Saved scenarios",
        [
            html.Div(id="saved-table"),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Dropdown(id="saved-select", placeholder="Choose a saved scenario"), md=6
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Load into editor",
                            id="saved-load",
                            color="primary",
                            outline=True,
                            size="sm",
                        ),
                        width="auto",
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Delete", id="saved-delete", color="danger", outline=True, size="sm"
                        ),
                        width="auto",
                    ),
                ],
                className="g-2 mt-2 align-items-center",
            ),
            html.Div(id="saved-message", className="mt-2"),
        ],
    )
    compare = section(
        "Compare two scenarios",
        [
            dbc.Row(
                [
                    dbc.Col([_label("Scenario A"), dcc.Dropdown(id="compare-a")], md=5),
                    dbc.Col([_label("Scenario B"), dcc.Dropdown(id="compare-b")], md=5),
                    dbc.Col(
                        dbc.Button("Compare", id="compare-run", color="primary", className="w-100"),
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-3",
            ),
            dcc.Loading(html.Div(id="compare-result"), type="dot"),
        ],
        subtitle="Per-line funding of B minus A, on today's plan.",
    )
    return html.Div(
        [
            working_store(),
            page_header(
                "Scenarios",
                "Try different priorities and policy targets, see why each line gets what it "
                "gets, save scenarios and compare them.",
            ),
            dcc.Store(id="saved-version", data=0),
            dbc.Row(
                [
                    dbc.Col(_editor(), lg=4),
                    dbc.Col(
                        [
                            dcc.Loading(html.Div(id="sc-result"), type="dot"),
                        ],
                        lg=8,
                    ),
                ]
            ),
            dbc.Row([dbc.Col(saved, lg=4), dbc.Col(compare, lg=8)]),
        ]
    )


# -- editor <-> working scenario ------------------------------------------------------------
@callback(
    [Output(c, "value") for c in logic.CONTROLS]
    + [
        Output("sc-excluded", "options"),
        Output("sc-start-year", "options"),
        Output("sc-end-year", "options"),
    ],
    Input("working-scenario", "data"),
    State("sc-tier-1", "value"),
)
def populate(scenario_data: dict[str, Any] | None, shown: Any = None) -> list[Any]:
    """Fill the editor from the tab's working scenario (defaults when none)."""
    if (
        shown is not None
        and isinstance(scenario_data, dict)
        and scenario_data.get(ORIGIN_KEY) == FROM_EDITOR
    ):
        # The editor produced this scenario (Run / Save) and still shows it: refilling the
        # controls could undo what the user typed since.
        return [no_update] * (len(logic.CONTROLS) + 3)
    config = get_config()
    try:
        plan = load_plan(config)
    except NoPlan:
        return [no_update] * (len(logic.CONTROLS) + 3)
    aliases = aliases_for(plan)
    try:
        scenario = scenario_from_browser(scenario_data, aliases)
    except ScenarioError:
        scenario = scenario_from_browser(None, aliases)
    values = logic.controls_from_scenario(scenario, aliases)
    years = [{"label": str(y), "value": y} for y in plan.years]
    return [values[c] for c in logic.CONTROLS] + [donor_options(plan, aliases), years, years]


@callback(
    Output("working-scenario", "data"),
    Output("sc-message", "children"),
    Input("sc-run", "n_clicks"),
    [State(c, "value") for c in logic.CONTROLS],
    State("working-scenario", "data"),
    prevent_initial_call=True,
)
def run(n: int | None, *args: Any) -> tuple[Any, Any]:
    """Validate the editor into the working scenario (the result panel re-renders from it)."""
    *values, current = args
    if not n:
        return no_update, no_update
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        base = scenario_from_browser(current, aliases)
        scenario = logic.scenario_from_controls(
            dict(zip(logic.CONTROLS, values, strict=True)), aliases, base
        )
    except NoPlan as exc:
        return no_update, info_alert(str(exc), color="warning")
    except ScenarioError as exc:
        return no_update, error_alert(str(exc), title="Check the scenario")
    return scenario_to_browser(scenario, aliases, from_editor=True), None


@callback(
    Output("working-scenario", "data", allow_duplicate=True),
    Output("sc-message", "children", allow_duplicate=True),
    Input("sc-reset", "n_clicks"),
    prevent_initial_call=True,
)
def reset(n: int | None) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    return None, info_alert("Editor reset to the default scenario.", color="light")


def _mini_cards(run: Any) -> Any:
    h = gaps.totals(run.plan, run.result)
    cards = [
        card("Funded", usd(h["funded_usd"]), f"of {usd(h['requirement_usd'])}", tone="info"),
        card("Gap", usd(h["gap_usd"]), "unmet requirement", tone="danger"),
        card("Coverage", pct(h["coverage"]), f"firm {usd(h['firm_usd'])}", tone="info"),
        card(
            "Unallocated",
            usd(
                float(run.result.unallocated["amount_usd"].sum())
                if len(run.result.unallocated)
                else 0.0
            ),
            "money no line could use in time",
            tone="secondary",
        ),
    ]
    return dbc.Row([dbc.Col(c, md=3, className="mb-3") for c in cards], className="g-3")


@callback(Output("sc-result", "children"), Input("working-scenario", "data"))
def render_result(scenario_data: dict[str, Any] | None) -> Any:
    """Solve the working scenario (cached) and show its results."""
    try:
        ctx = solve(get_config(), scenario_data)
    except NoPlan as exc:
        return info_alert(str(exc), color="warning")
    except ScenarioError as exc:
        return error_alert(str(exc), title="The scenario is invalid")
    run_ = ctx.run
    status = logic.solver_text(run_)
    if not run_.result.ok:
        return error_alert(
            status + ". Try a longer time limit or another solver.",
            title="The allocation did not solve",
        )
    nm = logic.next_million_table(run_)
    targets = logic.targets_table(run_)
    exp = logic.explanations(run_)
    return html.Div(
        [
            section(
                f"Result of “{ctx.scenario.name}”",
                [
                    html.Div(status, className="text-muted small mb-3", id="sc-solver-status"),
                    _mini_cards(run_),
                    html.H6("Policy targets"),
                    frame_table(targets, percent=("target", "achieved"), money=("shortfall_usd",))
                    if len(targets)
                    else html.Div(
                        "No policy targets in this scenario.", className="text-muted small"
                    ),
                ],
                id_="sc-result-card",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Where the next USD 1m goes",
                            [
                                dcc.Graph(
                                    figure=figures.next_million(nm), config={"displaylogo": False}
                                ),
                            ],
                            subtitle="If one more million of unearmarked money arrived",
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        section(
                            "Gap by line",
                            html.Div(
                                frame_table(
                                    logic.per_line(run_).sort_values("gap_usd", ascending=False)[
                                        ["line_id", "name", "gap_usd", "coverage"]
                                    ],
                                    money=("gap_usd",),
                                    headers={"gap_usd": "gap"},
                                    percent=("coverage",),
                                ),
                                style={"maxHeight": "420px", "overflowY": "auto"},
                            ),
                        ),
                        md=6,
                    ),
                ]
            ),
            section(
                "Why each line got what it got",
                html.Div(
                    frame_table(
                        exp,
                        money=("requirement_usd", "funded_usd"),
                        percent=("coverage",),
                        headers={"text": "explanation"},
                        id_="sc-explanations",
                    ),
                    style={"maxHeight": "520px", "overflowY": "auto"},
                    className="explain-text",
                ),
            ),
        ]
    )


# -- store: save, list, load, delete --------------------------------------------------------
@callback(
    Output("saved-version", "data"),
    Output("sc-message", "children", allow_duplicate=True),
    Output("working-scenario", "data", allow_duplicate=True),
    Input("sc-save", "n_clicks"),
    [State(c, "value") for c in logic.CONTROLS],
    State("working-scenario", "data"),
    State("saved-version", "data"),
    prevent_initial_call=True,
)
def save(n: int | None, *args: Any) -> tuple[Any, Any, Any]:
    *values, current, version = args
    if not n:
        return no_update, no_update, no_update
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        base = scenario_from_browser(current, aliases)
        scenario = logic.scenario_from_controls(
            dict(zip(logic.CONTROLS, values, strict=True)), aliases, base
        )
        name = logic.check_name(scenario.name)
    except NoPlan as exc:
        return no_update, info_alert(str(exc), color="warning"), no_update
    except ScenarioError as exc:
        return no_update, error_alert(str(exc), title="Not saved"), no_update
    run_ = solve_scenario(config, plan, scenario)
    if not run_.result.ok:
        return (
            no_update,
            error_alert(logic.solver_text(run_), title="Not saved: the allocation did not solve"),
            no_update,
        )
    try:
        service.save_scenario(open_register(config), name, run_)
    except ValueError as exc:
        return no_update, error_alert(str(exc), title="Not saved"), no_update
    message = dbc.Alert(
        f"Saved scenario “{name}”.", color="success", id="sc-saved-alert", dismissable=True
    )
    return int(version or 0) + 1, message, scenario_to_browser(scenario, aliases, from_editor=True)


@callback(
    Output("saved-table", "children"),
    Output("saved-select", "options"),
    Output("compare-a", "options"),
    Output("compare-b", "options"),
    Input("saved-version", "data"),
)
def list_saved(_: int) -> tuple[Any, Any, Any, Any]:
    config = get_config()
    frame = open_register(config).list_scenarios()
    names = [str(n) for n in frame["name"]] if len(frame) else []
    options = [{"label": n, "value": n} for n in names]
    compare_options = [{"label": "Working scenario (unsaved edits)", "value": WORKING}, *options]
    if not names:
        return (
            html.Div("No saved scenarios yet.", className="text-muted small"),
            options,
            compare_options,
            compare_options,
        )
    rows = []
    for rec in frame.to_dict("records"):
        summary = overview_logic.parse_summary(rec.get("summary")) or {}
        rows.append(
            {
                "name": rec["name"],
                "saved": overview_logic.saved_at_text(
                    {str(k): v for k, v in rec.items()}, short=True
                ),
                "funded_usd": summary.get("funded_usd"),
                "coverage": summary.get("coverage"),
            }
        )
    import pandas as pd

    table = frame_table(
        pd.DataFrame(rows),
        money=("funded_usd",),
        percent=("coverage",),
        headers={"funded_usd": "funded when saved", "coverage": "coverage"},
        id_="saved-list",
    )
    return table, options, compare_options, compare_options


@callback(
    Output("working-scenario", "data", allow_duplicate=True),
    Output("saved-message", "children"),
    Input("saved-load", "n_clicks"),
    State("saved-select", "value"),
    prevent_initial_call=True,
)
def load_saved(n: int | None, name: str | None) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    if not name:
        return no_update, error_alert("choose a saved scenario first", title="Nothing loaded")
    config = get_config()
    try:
        plan = load_plan(config)
        scenario = open_register(config).get_scenario(name)
    except (NoPlan, ValueError) as exc:
        return no_update, error_alert(str(exc), title="Nothing loaded")
    return scenario_to_browser(scenario, aliases_for(plan)), info_alert(
        f"Loaded “{name}” into the editor.", color="success"
    )


@callback(
    Output("saved-version", "data", allow_duplicate=True),
    Output("saved-message", "children", allow_duplicate=True),
    Input("saved-delete", "n_clicks"),
    State("saved-select", "value"),
    State("saved-version", "data"),
    prevent_initial_call=True,
)
def delete_saved(n: int | None, name: str | None, version: int) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    if not name:
        return no_update, error_alert("choose a saved scenario first", title="Nothing deleted")
    try:
        open_register(get_config()).delete_scenario(name)
    except ValueError as exc:
        return no_update, error_alert(str(exc), title="Nothing deleted")
    return int(version or 0) + 1, info_alert(f"Deleted “{name}”.", color="light")


# -- compare --------------------------------------------------------------------------------
@callback(
    Output("compare-result", "children"),
    Input("compare-run", "n_clicks"),
    State("compare-a", "value"),
    State("compare-b", "value"),
    State("working-scenario", "data"),
    prevent_initial_call=True,
)
def compare(n: int | None, a: str | None, b: str | None, working: dict[str, Any] | None) -> Any:
    if not n:
        return no_update
    if not a or not b:
        return error_alert("choose scenario A and scenario B", title="Nothing to compare")
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        reg = open_register(config)

        def pick(name: str) -> Any:
            if name == WORKING:
                return scenario_from_browser(working, aliases)
            return reg.get_scenario(name)

        run_a = solve_scenario(config, plan, pick(a))
        run_b = solve_scenario(config, plan, pick(b))
    except (NoPlan, ValueError) as exc:
        return error_alert(str(exc), title="Cannot compare")
    label_a = "working" if a == WORKING else a
    label_b = "working" if b == WORKING else b
    for label, r in ((label_a, run_a), (label_b, run_b)):
        if not r.result.ok:
            return error_alert(logic.solver_text(r), title=f"“{label}” did not solve")
    totals, lines = logic.compare(run_a, run_b)
    totals_view = totals.copy()
    import pandas as pd

    fmt = []
    for rec in totals_view.to_dict("records"):
        share = rec["figure"] == "Coverage"
        fmt.append(
            {
                "figure": rec["figure"],
                label_a: pct(rec["a"]) if share else usd(rec["a"]),
                label_b: pct(rec["b"]) if share else usd(rec["b"]),
                "change": f"{100 * rec['change']:+.1f} pts"
                if share
                else ("+" if rec["change"] > 0 else "") + usd(rec["change"]),
            }
        )
    moved = lines[lines["funded_delta"].abs() > 0.5]
    return html.Div(
        [
            frame_table(pd.DataFrame(fmt), id_="compare-totals"),
            dcc.Graph(
                id="compare-chart",
                figure=figures.line_deltas(moved, label_a=label_a, label_b=label_b),
                config={"displaylogo": False},
            ),
            html.H6(f"Per-line deltas ({len(moved)} lines changed)", className="mt-2"),
            html.Div(
                frame_table(
                    lines[
                        [
                            "line_id",
                            "name",
                            "funded_a",
                            "funded_b",
                            "funded_delta",
                            "coverage_b",
                        ]
                    ],
                    money=("funded_a", "funded_b"),
                    signed=("funded_delta",),
                    percent=("coverage_b",),
                    headers={
                        "funded_a": f"A: {label_a}",
                        "funded_b": f"B: {label_b}",
                        "funded_delta": "change",
                        "coverage_b": "coverage B",
                    },
                    id_="compare-lines",
                ),
                style={"maxHeight": "420px", "overflowY": "auto"},
            ),
        ]
    )
