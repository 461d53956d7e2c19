"""Scenarios page: edit every scenario parameter, run, save, load, delete and compare
scenarios; per-line explanations and where the next USD 1m of unearmarked money would go.

The scenario being edited is the browser tab's ``working-scenario`` store (donor aliases, never
names), so two people editing different scenarios never see each other's unsaved work. The
editor is generated from the table of controls in :mod:`dashboards.logic.editor`.

One click, one validation: Run (and Save) read the controls into the working scenario,
validate it once, solve and draw the result in the same request; :func:`show_working` and
:func:`show_result` refill the editor and redraw only when the working scenario changed
elsewhere (page opened, saved scenario loaded, defaults restored).
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from appeal import workspace
from appeal.service import NoPlan
from dashboards import downloads, figures, ids
from dashboards.components import (
    Col,
    card,
    chart,
    error_alert,
    frame_table,
    grid,
    info_alert,
    page_header,
    pct,
    section,
    signed_usd,
    usd,
    working_store,
)
from dashboards.logic import editor
from dashboards.logic import overview as overview_logic
from dashboards.logic import scenarios as logic
from dashboards.logic.donors import donor_options
from dashboards.roles import shows
from dashboards.state import (
    FROM_EDITOR,
    ORIGIN_KEY,
    aliases_for,
    get_config,
    load_plan,
    open_register,
    result_cache,
    scenario_from_browser,
    scenario_to_browser,
    solve_scenario,
)
from models import gaps
from models.analytics import PlanRun
from models.scenario import Scenario, ScenarioError

dash.register_page(
    __name__, path="/scenarios", name="Scenarios", title="Scenarios · Appeal planner", order=2
)
log = logging.getLogger(__name__)
WORKING = "__working__"


def _label(control: editor.Control) -> list[Any]:
    parts: list[Any] = [dbc.Label(control.label, html_for=control.id, className="control-label")]
    if control.help:
        parts.append(html.Div(control.help, className="help"))
    return parts


def _control(control: editor.Control) -> Any:
    """One control of the editor, drawn from its row of the table."""
    kind = control.widget
    if kind == "switch":
        return dbc.Switch(id=control.id, label=control.label, className="mb-2")
    if kind == "text":
        return [*_label(control), dbc.Input(id=control.id, size="sm", maxlength=control.max_length)]
    if kind == "select":
        options = [{"label": s, "value": s} for s in control.spec.choices]
        return [*_label(control), dbc.Select(id=control.id, options=options, size="sm")]
    if kind in ("donors", "year"):
        return [
            *_label(control),
            dcc.Dropdown(
                id=control.id,
                multi=kind == "donors",
                clearable=True,
                placeholder=control.placeholder or None,
            ),
        ]
    if kind == "slider":
        low, high = control.low or 0, control.high or 1
        marks = {v: f"{v:g}" for v in (low, control.default, high)}
        return [
            *_label(control),
            dcc.Slider(
                id=control.id,
                min=low,
                max=high,
                step=None if control.step == "any" else float(control.step),
                marks=marks,
                tooltip={"placement": "bottom"},
            ),
        ]
    # No min/max/step on the box: the browser would send an entry outside them as blank,
    # silently; the server names the problem instead (see dashboards/logic/editor.py).
    box = dbc.Input(id=control.id, type="number", step="any", size="sm")
    if control.unit:
        box = dbc.InputGroup([box, dbc.InputGroupText(control.unit)], size="sm")
    return [*_label(control), box]


def _with_feedback(control: editor.Control) -> list[Any]:
    """A control and, beside it, where its problem is said (read out as an alert)."""
    drawn = _control(control)
    parts = drawn if isinstance(drawn, list) else [drawn]
    feedback = html.Div(
        id=ids.editor_feedback(control.id), className="control-feedback", role="alert"
    )
    return [*parts, feedback]


def _group(group: editor.Group) -> list[Any]:
    """A group's heading (title and help; an accordion item carries its own title) and row."""
    controls = [c for c in editor.CONTROLS if c.group == group.key]
    row = dbc.Row(
        [dbc.Col(_with_feedback(c), md=c.width, className="mb-2") for c in controls],
        className="g-2",
    )
    head: list[Any] = []
    if group.title and not group.folded:
        head.append(html.H3(group.title, className="subhead mt-1"))
    if group.help:
        head.append(html.Div(group.help, className="help mb-2" if group.folded else "help mb-1"))
    return [*head, row]


def _editor() -> Any:
    """The editor, generated from the table of controls (dashboards/logic/editor.py)."""
    open_parts = [part for g in editor.GROUPS if not g.folded for part in _group(g)]
    folded = dbc.Accordion(
        [dbc.AccordionItem(_group(g), title=g.title) for g in editor.GROUPS if g.folded],
        start_collapsed=True,
        always_open=True,
        className="mb-3",
    )
    buttons = dbc.Row(
        [
            dbc.Col(dbc.Button("Run", id=ids.SC_RUN, color="primary", className="w-100"), width=4),
            dbc.Col(
                dbc.Button(
                    "Save", id=ids.SC_SAVE, color="success", outline=True, className="w-100"
                ),
                width=4,
            ),
            dbc.Col(
                dbc.Button(
                    "Defaults", id=ids.SC_RESET, color="secondary", outline=True, className="w-100"
                ),
                width=4,
            ),
        ],
        className="g-2",
    )
    return section(
        "Scenario editor",
        [
            *open_parts,
            folded,
            buttons,
            _save_as(),
            _replace_modal(),
            html.Div(id=ids.SC_MESSAGE, className="mt-3"),
        ],
        subtitle="Change any parameter, then Run. Save stores it under its name as a new "
        "version (it asks before replacing); Save as stores it under a new name.",
    )


def _save_as() -> Any:
    return html.Div(
        [
            # A placeholder is no name (WCAG 4.1.2): the field has its own label.
            dbc.Label(
                "Name to save the scenario as",
                html_for=ids.SC_SAVE_AS_NAME,
                class_name="visually-hidden",
            ),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=ids.SC_SAVE_AS_NAME,
                        placeholder="New scenario name",
                        maxlength=80,
                        size="sm",
                    ),
                    dbc.Button("Save as", id=ids.SC_SAVE_AS, color="success", size="sm"),
                ],
                size="sm",
            ),
        ],
        id="save-as",
        className="mt-2",
    )


def _replace_modal() -> Any:
    """Save asks before replacing a saved scenario (which then gets a new version)."""
    return html.Div(
        [
            dcc.Store(id=ids.SC_REPLACE_PENDING),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Replace the saved scenario?")),
                    dbc.ModalBody(html.Div(id=ids.SC_REPLACE_TEXT)),
                    dbc.ModalFooter(
                        [
                            dbc.Button(
                                "Cancel", id=ids.SC_REPLACE_CANCEL, color="secondary", outline=True
                            ),
                            dbc.Button("Replace", id=ids.SC_REPLACE_CONFIRM, color="danger"),
                        ]
                    ),
                ],
                id=ids.SC_REPLACE_MODAL,
                is_open=False,
            ),
        ]
    )


def _versions() -> Any:
    """The chosen scenario's versions: restore any; an admin marks one the official appeal."""
    buttons = [
        dbc.Col(
            dbc.Button("Restore this version", id=ids.VERSION_RESTORE, size="sm", outline=True),
            width="auto",
        )
    ]
    if shows("admin"):
        buttons.append(
            dbc.Col(
                dbc.Button(
                    "Mark as the official appeal", id=ids.MARK_OFFICIAL, size="sm", color="dark"
                ),
                width="auto",
            )
        )
    return html.Div(
        [
            html.H6("Versions", className="mt-3"),
            html.Div(id=ids.SC_OFFICIAL, className="small mb-2"),
            html.Div(id=ids.VERSIONS_TABLE),
            dbc.Row(
                [
                    dbc.Col(dcc.Dropdown(id=ids.VERSION_SELECT, placeholder="Version"), md=4),
                    *buttons,
                ],
                className="g-2 mt-1 align-items-center",
            ),
            html.Div(id=ids.VERSION_MESSAGE, className="mt-2"),
        ]
    )


def layout(**_: Any) -> Any:
    saved = section(
        "Saved scenarios",
        [
            html.Div(id=ids.SAVED_TABLE),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Dropdown(id=ids.SAVED_SELECT, placeholder="Choose a saved scenario"),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Load into editor",
                            id=ids.SAVED_LOAD,
                            color="primary",
                            outline=True,
                            size="sm",
                        ),
                        width="auto",
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Delete", id=ids.SAVED_DELETE, color="danger", outline=True, size="sm"
                        ),
                        width="auto",
                    ),
                ],
                className="g-2 mt-2 align-items-center",
            ),
            html.Div(id=ids.SAVED_MESSAGE, className="mt-2"),
            _versions(),
        ],
    )
    compare = section(
        "Compare two scenarios",
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                "Scenario A", html_for=ids.COMPARE_A, className="control-label"
                            ),
                            dcc.Dropdown(id=ids.COMPARE_A),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Scenario B", html_for=ids.COMPARE_B, className="control-label"
                            ),
                            dcc.Dropdown(id=ids.COMPARE_B),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Compare", id=ids.COMPARE_RUN, color="primary", className="w-100"
                        ),
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-3",
            ),
            dcc.Loading(html.Div(id=ids.COMPARE_RESULT), type="dot"),
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
            dcc.Store(id=ids.SAVED_VERSION, data=0),
            dbc.Row(
                [
                    dbc.Col(_editor(), lg=4),
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Alert(
                                    "Not re-run: the editor has changed since this result was "
                                    "solved. Press Run to see the result of the new settings.",
                                    color="secondary",
                                    className="stale-badge py-2",
                                ),
                                html.Div(
                                    dcc.Loading(html.Div(id=ids.SC_RESULT), type="dot"),
                                    className="result-body",
                                ),
                                dcc.Store(id=ids.SC_RESULT_VALUES),
                            ],
                            id=ids.SC_RESULT_WRAP,
                        ),
                        lg=8,
                    ),
                ]
            ),
            dbc.Row([dbc.Col(saved, lg=4), dbc.Col(compare, lg=8)]),
        ]
    )


# -- the editor and the result panel ---------------------------------------------------------
CONTROL_VALUES = [State(c, "value") for c in editor.IDS]
OPTION_CONTROLS = [c.id for c in editor.CONTROLS if c.widget in ("donors", "year")]


def _from_editor(
    values: list[Any], current: dict[str, Any] | None, aliases: dict[str, str]
) -> Scenario:
    """The working scenario with the editor's values written in, validated once; every
    problem at once (controls that cannot be read, and the model's checks of the rest)."""
    named = dict(zip(editor.IDS, values, strict=True))
    data, unreadable = editor.read_controls(named, current)
    try:
        scenario = scenario_from_browser(data, aliases)
    except ScenarioError as exc:
        raise ScenarioError([*unreadable, *editor.in_editor_terms(exc, named).problems]) from None
    if unreadable:
        raise ScenarioError(unreadable)
    return scenario


def _made_here(scenario_data: Any, shown: Any) -> bool:
    """The editor itself produced this working scenario (Run / Save) and still shows it: Run
    and Save draw their own result, and refilling the controls could undo what the user typed
    since."""
    return (
        shown is not None
        and isinstance(scenario_data, dict)
        and scenario_data.get(ORIGIN_KEY) == FROM_EDITOR
    )


@callback(
    [Output(c, "value") for c in editor.IDS] + [Output(c, "options") for c in OPTION_CONTROLS],
    Input(ids.WORKING_SCENARIO, "data"),
    State(editor.FILLED_MARK, "value"),
)
def show_working(scenario_data: dict[str, Any] | None, shown: Any = None) -> list[Any]:
    """Fill the editor from the tab's working scenario (defaults when none or invalid)."""
    if _made_here(scenario_data, shown):
        raise PreventUpdate
    config = get_config()
    try:
        plan = load_plan(config)
    except NoPlan:
        raise PreventUpdate from None
    aliases = aliases_for(plan)
    try:
        scenario = scenario_from_browser(scenario_data, aliases)
    except ScenarioError:
        scenario = Scenario()  # the result panel says what is wrong
    values = editor.control_values(scenario_to_browser(scenario, aliases))
    years = [{"label": str(y), "value": y} for y in plan.years]
    options = {"donors": donor_options(plan, aliases), "year": years}
    return [
        *(values[c] for c in editor.IDS),
        *(options[editor.BY_ID[c].widget] for c in OPTION_CONTROLS),
    ]


FEEDBACK = [Output(ids.editor_feedback(c), "children") for c in editor.IDS]
FEEDBACK_AGAIN = [
    Output(ids.editor_feedback(c), "children", allow_duplicate=True) for c in editor.IDS
]
NO_FEEDBACK = [None] * len(editor.IDS)
KEEP_FEEDBACK = [no_update] * len(editor.IDS)


def _feedback(error: ScenarioError) -> list[Any]:
    """Each invalid control's problems, beside it (every one at once)."""
    found = editor.problems_by_control(error)
    return [
        html.Ul([html.Li(m) for m in found[c]], className="mb-0") if c in found else None
        for c in editor.IDS
    ]


def _problems_alert(error: ScenarioError, title: str) -> Any:
    n = len(error.problems) or 1
    return error_alert(
        html.Ul([html.Li(p.message) for p in error.problems] or [html.Li(str(error))]),
        title=f"{title}: {n} setting{'s' if n != 1 else ''} to fix (marked beside each control)",
    )


def _shown_values(scenario: Scenario, aliases: dict[str, str]) -> dict[str, Any]:
    """The editor's values of a scenario: what the result panel was solved from."""
    return editor.control_values(scenario_to_browser(scenario, aliases))


@callback(
    Output(ids.SC_RESULT, "children"),
    Output(ids.SC_RESULT_VALUES, "data"),
    Input(ids.WORKING_SCENARIO, "data"),
    State(editor.FILLED_MARK, "value"),
)
def show_result(scenario_data: dict[str, Any] | None, shown: Any = None) -> Any:
    """Solve the tab's working scenario (cached) and show its result, alongside
    :func:`show_working` (so the controls fill while the solve runs)."""
    if _made_here(scenario_data, shown):
        raise PreventUpdate
    config = get_config()
    try:
        plan = load_plan(config)
        scenario = scenario_from_browser(scenario_data, aliases_for(plan))
    except NoPlan as exc:
        return info_alert(str(exc), color="warning"), None
    except ScenarioError as exc:
        return error_alert(str(exc), title="The scenario is invalid"), None
    aliases = aliases_for(plan)
    panel = result_panel(solve_scenario(config, plan, scenario), aliases)
    return panel, _shown_values(scenario, aliases)


@callback(
    [
        Output(ids.WORKING_SCENARIO, "data"),
        Output(ids.SC_MESSAGE, "children"),
        Output(ids.SC_RESULT, "children", allow_duplicate=True),
        Output(ids.SC_RESULT_VALUES, "data", allow_duplicate=True),
        *FEEDBACK,
    ],
    Input(ids.SC_RUN, "n_clicks"),
    *CONTROL_VALUES,
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def run(n: int | None, *args: Any) -> list[Any]:
    """Read the editor into the working scenario (one validation), solve and show it; every
    invalid control is named beside it and the old result stays, greyed as not re-run."""
    *values, current = args
    if not n:
        return [no_update] * 4 + KEEP_FEEDBACK
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        scenario = _from_editor(values, current, aliases)
    except NoPlan as exc:
        return [
            no_update,
            info_alert(str(exc), color="warning"),
            no_update,
            no_update,
            *NO_FEEDBACK,
        ]
    except ScenarioError as exc:
        alert = _problems_alert(exc, "Not run")
        return [no_update, alert, no_update, no_update, *_feedback(exc)]
    panel = result_panel(solve_scenario(config, plan, scenario), aliases)
    return [
        scenario_to_browser(scenario, aliases, from_editor=True),
        None,
        panel,
        _shown_values(scenario, aliases),
        *NO_FEEDBACK,
    ]


@callback(
    Output(ids.WORKING_SCENARIO, "data", allow_duplicate=True),
    Output(ids.SC_MESSAGE, "children", allow_duplicate=True),
    Input(ids.SC_RESET, "n_clicks"),
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
            "money no line could use in time: reasons below",
            tone="secondary",
        ),
    ]
    return dbc.Row([dbc.Col(c, md=3, className="mb-3") for c in cards], className="g-3")


EXPLAIN_COLUMNS = (
    Col("line_id", "Line", pinned=True),
    Col("name", "Name", width=200),
    Col("tier", "Tier", "count"),
    Col("requirement_usd", "Requirement (USD)", "money"),
    Col("funded_usd", "Funded (USD)", "money"),
    Col("gap_usd", "Gap (USD)", "money"),
    Col("coverage", "Coverage", "percent"),
    Col("reason", "Why", width=170),
    Col("text", "Explanation", width=320),
)
GAP_COLUMNS = (
    Col("line_id", "Line", pinned=True),
    Col("name", "Name", width=200),
    Col("gap_usd", "Gap (USD)", "money"),
    Col("coverage", "Coverage", "percent"),
)
UNALLOCATED_COLUMNS = (
    Col("reason", "Why it stays unallocated", width=200),
    Col("donor", "Donor", width=160),
    Col("pledges", "Pledges", "count"),
    Col("amount_usd", "Amount (USD)", "money"),
)
for _grid_id, _grid_label in (
    (ids.SC_EXPLANATIONS, "Why each line got what it got"),
    (ids.SC_GAPS, "Gap by line"),
    (ids.SC_UNALLOCATED, "Unallocated money by reason and donor"),
    (ids.COMPARE_LINES, "Lines that moved and why"),
):
    downloads.register(_grid_id, _grid_label)


def _unallocated(run_: PlanRun, aliases: dict[str, str]) -> Any:
    table = logic.unallocated_table(run_, aliases)
    if table.empty:
        return html.P("Every programmable dollar is allocated.", className="small")
    reasons = logic.unallocated_by_reason(run_)
    return [
        html.Ul([html.Li(f"{usd(v)}: {text}") for text, v in reasons], className="small"),
        grid(
            ids.SC_UNALLOCATED,
            table,
            UNALLOCATED_COLUMNS,
            label="Unallocated money by reason and donor",
            totals=True,
        ),
    ]


def _sensitivity(run_: PlanRun) -> Any:
    """The sensitivity ranges and, when the scenario asks for stability, its report."""
    table = logic.sensitivity_table(run_)
    parts: list[Any] = [
        html.P(
            "How far each setting can move before the allocation changes (ranges from the "
            "solved model, minimum-viable decisions held).",
            className="help small",
        ),
        frame_table(table, headers=logic.SENSITIVITY_HEADERS, id_=ids.SC_SENSITIVITY)
        if len(table)
        else html.P("No ranges for this scenario.", className="small"),
    ]
    stability = logic.stability_text(run_)
    if stability is not None:
        parts += [
            html.H3("Stability", className="subhead mt-3"),
            html.P(stability, className="small", id=ids.SC_STABILITY_REPORT),
        ]
    return section("Sensitivity ranges", parts, id_=ids.SC_SENSITIVITY_CARD)


def result_panel(run_: PlanRun, aliases: dict[str, str] | None = None) -> Any:
    """The result of one solved scenario: solver status, headline cards, targets, where the
    next USD 1m goes, gaps by line, unallocated money by reason and donor, and why each line
    got what it got."""
    status = logic.solver_text(run_)
    if not run_.result.ok:
        return error_alert(
            status + ". Try a longer time limit or another solver.",
            title="The allocation did not solve",
        )
    nm = logic.next_million_table(run_)
    targets = logic.targets_table(run_)
    exp = logic.explanations(run_)
    gaps_by_line = logic.per_line(run_).sort_values("gap_usd", ascending=False)
    return html.Div(
        [
            section(
                f"Result of “{run_.scenario.name}”",
                [
                    html.Div(status, className="text-muted small mb-3", id=ids.SC_SOLVER_STATUS),
                    _mini_cards(run_),
                    html.H3("Policy targets", className="subhead"),
                    frame_table(targets, percent=("target", "achieved"), money=("shortfall_usd",))
                    if len(targets)
                    else html.Div(
                        "No policy targets in this scenario.", className="text-muted small"
                    ),
                ],
                id_=ids.SC_RESULT_CARD,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Where the next USD 1m goes",
                            chart(
                                ids.SC_NEXT_MILLION,
                                figures.next_million(nm),
                                title="What one more million of unearmarked money would fund",
                                summary=logic.next_million_summary(nm),
                            ),
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        section(
                            "Gap by line",
                            grid(ids.SC_GAPS, gaps_by_line, GAP_COLUMNS, label="Gap by line"),
                        ),
                        md=6,
                    ),
                ]
            ),
            _sensitivity(run_),
            section(
                "Unallocated money",
                _unallocated(run_, aliases or {}),
                subtitle="Money no line could use in time, by reason and donor",
                id_=ids.SC_UNALLOCATED_CARD,
            ),
            section(
                "Why each line got what it got",
                grid(
                    ids.SC_EXPLANATIONS, exp, EXPLAIN_COLUMNS, label="Why each line got what it got"
                ),
            ),
        ]
    )


# -- store: save (asks before replacing), save as, list, load, delete, versions -------------
SAVE_OUTPUTS = (
    Output(ids.SAVED_VERSION, "data", allow_duplicate=True),
    Output(ids.SC_MESSAGE, "children", allow_duplicate=True),
    Output(ids.WORKING_SCENARIO, "data", allow_duplicate=True),
    Output(ids.SC_RESULT, "children", allow_duplicate=True),
    Output(ids.SC_RESULT_VALUES, "data", allow_duplicate=True),
    Output(ids.SC_REPLACE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.SC_REPLACE_TEXT, "children", allow_duplicate=True),
    Output(ids.SC_REPLACE_PENDING, "data", allow_duplicate=True),
    *FEEDBACK_AGAIN,
)


def _saving(
    message: Any = no_update,
    *,
    modal: Any = no_update,
    question: Any = no_update,
    pending: Any = no_update,
    feedback: list[Any] = KEEP_FEEDBACK,
) -> tuple[Any, ...]:
    """The answer of a save that stored nothing: a message, the dialog's state, and the
    problems beside the controls."""
    return (
        no_update,
        message,
        no_update,
        no_update,
        no_update,
        modal,
        question,
        pending,
        *feedback,
    )


NOTHING = _saving()


def _store(
    values: list[Any],
    current: dict[str, Any] | None,
    version: int | None,
    *,
    name: str | None = None,
    replace: bool | None = None,
    expect: int | None = None,
) -> tuple[Any, ...]:
    """Read the editor (one validation), solve and store: a new name at once; an existing name
    only with ``replace`` (the first Save asks, showing the dialog); Save as
    (``replace=False``) never replaces."""
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        scenario = _from_editor(values, current, aliases)
        target = logic.check_name(name if name is not None else scenario.name)
        if target != scenario.name:
            scenario = Scenario.from_dict({**scenario.to_dict(), "name": target})
    except NoPlan as exc:
        return _saving(info_alert(str(exc), color="warning"), feedback=NO_FEEDBACK)
    except ScenarioError as exc:
        return _saving(_problems_alert(exc, "Not saved"), feedback=_feedback(exc))
    register = open_register(config)
    stored = register.list_scenarios()
    row = stored.loc[stored["name"] == target]
    if len(row) and replace is None:
        rec = row.iloc[0]
        question = [
            html.P(
                f"A scenario named “{target}” is saved already (version {int(rec['version'])}"
                + (f", by {rec['saved_by']}" if rec["saved_by"] else "")
                + f", {overview_logic.saved_at_text({'saved_at': rec['saved_at']})})."
            ),
            html.P(
                "Replacing it saves your settings as its next version; every earlier version "
                "stays in its history and can be restored. To keep both, Cancel and use Save as."
            ),
        ]
        pending = {"name": target, "version": int(rec["version"])}
        return _saving(modal=True, question=question, pending=pending, feedback=NO_FEEDBACK)
    run_ = solve_scenario(config, plan, scenario)
    if not run_.result.ok:
        alert = error_alert(
            logic.solver_text(run_), title="Not saved: the allocation did not solve"
        )
        return _saving(alert, modal=False, pending=None, feedback=NO_FEEDBACK)
    try:
        saved_as = workspace.save_scenario(
            register, target, run_, replace=bool(replace), expect_version=expect
        )
    except ValueError as exc:
        alert = error_alert(str(exc), title="Not saved")
        return _saving(alert, modal=False, pending=None, feedback=NO_FEEDBACK)
    message = dbc.Alert(
        f"Saved scenario “{target}” (version {saved_as}).",
        color="success",
        id=ids.SC_SAVED_ALERT,
        dismissable=True,
    )
    return (
        int(version or 0) + 1,
        message,
        scenario_to_browser(scenario, aliases, from_editor=True),
        result_panel(run_, aliases),
        _shown_values(scenario, aliases),
        False,
        no_update,
        None,
        *NO_FEEDBACK,
    )


# The result panel greys out while the editor shows other values than it was solved from
# (assets/scenarios.js; in the browser, so typing costs no request).
clientside_callback(
    ClientsideFunction(namespace="appeal", function_name="staleResult"),
    Output(ids.SC_RESULT_WRAP, "className"),
    Input(ids.SC_RESULT_VALUES, "data"),
    *(Input(c, "value") for c in editor.IDS),
)


@callback(
    *SAVE_OUTPUTS,
    Input(ids.SC_SAVE, "n_clicks"),
    *CONTROL_VALUES,
    State(ids.WORKING_SCENARIO, "data"),
    State(ids.SAVED_VERSION, "data"),
    prevent_initial_call=True,
)
def save(n: int | None, *args: Any) -> tuple[Any, ...]:
    """Save under the editor's name: at once when the name is new, else ask first."""
    *values, current, version = args
    if not n:
        return NOTHING
    return _store(values, current, version)


@callback(
    *SAVE_OUTPUTS,
    Input(ids.SC_REPLACE_CONFIRM, "n_clicks"),
    Input(ids.SC_REPLACE_CANCEL, "n_clicks"),
    *CONTROL_VALUES,
    State(ids.WORKING_SCENARIO, "data"),
    State(ids.SAVED_VERSION, "data"),
    State(ids.SC_REPLACE_PENDING, "data"),
    prevent_initial_call=True,
)
def confirm_replace(confirm: int | None, cancel: int | None, *args: Any) -> tuple[Any, ...]:
    """Replace (as a new version, refused if someone saved meanwhile) or cancel."""
    *values, current, version, pending = args
    if dash.ctx.triggered_id == ids.SC_REPLACE_CANCEL or not confirm or not pending:
        message = info_alert("Not saved.", color="light")
        return _saving(message, modal=False, pending=None)
    return _store(
        values,
        current,
        version,
        name=str(pending["name"]),
        replace=True,
        expect=int(pending["version"]),
    )


@callback(
    *SAVE_OUTPUTS,
    Input(ids.SC_SAVE_AS, "n_clicks"),
    State(ids.SC_SAVE_AS_NAME, "value"),
    *CONTROL_VALUES,
    State(ids.WORKING_SCENARIO, "data"),
    State(ids.SAVED_VERSION, "data"),
    prevent_initial_call=True,
)
def save_as(n: int | None, name: str | None, *args: Any) -> tuple[Any, ...]:
    """Save under a new name (an existing name is refused, never replaced)."""
    *values, current, version = args
    if not n:
        return NOTHING
    if not str(name or "").strip():
        return _saving(error_alert("type the new scenario's name", title="Not saved"))
    return _store(values, current, version, name=str(name), replace=False)


@callback(
    Output(ids.SAVED_TABLE, "children"),
    Output(ids.SAVED_SELECT, "options"),
    Output(ids.COMPARE_A, "options"),
    Output(ids.COMPARE_B, "options"),
    Input(ids.SAVED_VERSION, "data"),
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
                "version": int(rec.get("version") or 1),
                "by": str(rec.get("saved_by") or ""),
                "funded_usd": summary.get("funded_usd"),
                "coverage": summary.get("coverage"),
            }
        )
    table = frame_table(
        pd.DataFrame(rows),
        money=("funded_usd",),
        percent=("coverage",),
        headers={"funded_usd": "funded when saved", "coverage": "coverage"},
        id_=ids.SAVED_LIST,
    )
    return table, options, compare_options, compare_options


@callback(
    Output(ids.WORKING_SCENARIO, "data", allow_duplicate=True),
    Output(ids.SAVED_MESSAGE, "children"),
    Input(ids.SAVED_LOAD, "n_clicks"),
    State(ids.SAVED_SELECT, "value"),
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
    Output(ids.SAVED_VERSION, "data", allow_duplicate=True),
    Output(ids.SAVED_MESSAGE, "children", allow_duplicate=True),
    Input(ids.SAVED_DELETE, "n_clicks"),
    State(ids.SAVED_SELECT, "value"),
    State(ids.SAVED_VERSION, "data"),
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


@callback(
    Output(ids.VERSIONS_TABLE, "children"),
    Output(ids.VERSION_SELECT, "options"),
    Output(ids.SC_OFFICIAL, "children"),
    Input(ids.SAVED_SELECT, "value"),
    Input(ids.SAVED_VERSION, "data"),
)
def show_versions(name: str | None, _: int) -> tuple[Any, Any, Any]:
    """The chosen scenario's history, and which version is the official appeal."""
    register = open_register(get_config())
    mark = workspace.official(register)
    official = (
        html.Span(
            [
                "Official appeal: ",
                html.Strong(f"“{mark['name']}” version {mark['version']}"),
                f" (marked by {mark['marked_by']})",
            ]
        )
        if mark
        else html.Span("No scenario is the official appeal yet.", className="text-muted")
    )
    if not name:
        return (
            html.Div("Choose a saved scenario to see its versions.", className="text-muted small"),
            [],
            official,
        )
    frame = register.scenario_versions(name)
    rows = [
        {
            "version": int(rec["version"]),
            "saved": overview_logic.saved_at_text({"saved_at": rec["saved_at"]}, short=True),
            "by": str(rec["saved_by"] or ""),
            "note": str(rec["note"] or ""),
            "funded_usd": (rec["summary"] or {}).get("funded_usd"),
        }
        for rec in frame.to_dict("records")
    ]
    table = frame_table(pd.DataFrame(rows), money=("funded_usd",), headers={"funded_usd": "funded"})
    options = [{"label": f"version {r['version']}", "value": r["version"]} for r in rows]
    return table, options, official


@callback(
    Output(ids.SAVED_VERSION, "data", allow_duplicate=True),
    Output(ids.VERSION_MESSAGE, "children"),
    Input(ids.VERSION_RESTORE, "n_clicks"),
    State(ids.SAVED_SELECT, "value"),
    State(ids.VERSION_SELECT, "value"),
    State(ids.SAVED_VERSION, "data"),
    prevent_initial_call=True,
)
def restore(n: int | None, name: str | None, version: int | None, counter: int) -> tuple[Any, Any]:
    """Make an old version the current one again (as a new version: nothing is lost)."""
    if not n:
        return no_update, no_update
    if not name or not version:
        return no_update, error_alert("choose a scenario and a version", title="Nothing restored")
    try:
        new = workspace.restore_version(open_register(get_config()), name, int(version))
    except ValueError as exc:
        return no_update, error_alert(str(exc), title="Nothing restored")
    return int(counter or 0) + 1, info_alert(
        f"Version {version} of “{name}” is now its current version ({new}).", color="success"
    )


@callback(
    Output(ids.SAVED_VERSION, "data", allow_duplicate=True),
    Output(ids.VERSION_MESSAGE, "children", allow_duplicate=True),
    Input(ids.MARK_OFFICIAL, "n_clicks"),
    State(ids.SAVED_SELECT, "value"),
    State(ids.VERSION_SELECT, "value"),
    State(ids.SAVED_VERSION, "data"),
    prevent_initial_call=True,
)
def mark_official(
    n: int | None, name: str | None, version: int | None, counter: int
) -> tuple[Any, Any]:
    """Admins: this version (default: the current one) is the official appeal."""
    if not n:
        return no_update, no_update
    if not name:
        return no_update, error_alert("choose a saved scenario first", title="Not marked")
    try:
        mark = open_register(get_config()).mark_official(name, int(version) if version else None)
    except ValueError as exc:
        return no_update, error_alert(str(exc), title="Not marked")
    return int(counter or 0) + 1, info_alert(
        f"“{name}” version {mark['version']} is the official appeal.", color="success"
    )


# -- compare --------------------------------------------------------------------------------
@callback(
    Output(ids.COMPARE_RESULT, "children"),
    Input(ids.COMPARE_RUN, "n_clicks"),
    State(ids.COMPARE_A, "value"),
    State(ids.COMPARE_B, "value"),
    State(ids.WORKING_SCENARIO, "data"),
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

        labels = ("working" if a == WORKING else a, "working" if b == WORKING else b)
        diff = logic.explain(
            plan,
            pick(a),
            pick(b),
            labels,
            lambda p, s: solve_scenario(config, p, s),
            cache=result_cache(config),
        )
    except (NoPlan, ValueError) as exc:
        return error_alert(str(exc), title="Cannot compare")
    label_a, label_b = labels
    for label, r in ((label_a, diff.run_a), (label_b, diff.run_b)):
        if not r.result.ok:
            return error_alert(logic.solver_text(r), title=f"“{label}” did not solve")
    return comparison(diff, label_a, label_b)


def comparison(diff: logic.Differences, label_a: str, label_b: str) -> Any:
    """The comparison of B with A: totals, every setting that differs with what it did on
    its own, the change in total funded split into its causes, and each line that moved
    with the settings that moved it."""
    totals, _ = logic.compare(diff.run_a, diff.run_b)
    fmt = []
    for rec in totals.to_dict("records"):
        share = rec["figure"] == "Coverage"
        fmt.append(
            {
                "figure": rec["figure"],
                label_a: pct(rec["a"]) if share else usd(rec["a"]),
                label_b: pct(rec["b"]) if share else usd(rec["b"]),
                "change": f"{100 * rec['change']:+.1f} pts" if share else signed_usd(rec["change"]),
            }
        )
    settings = logic.settings_table(diff)
    lines, cause_cols = logic.attributed_lines(diff)
    causes = logic.causes(diff)
    total_change = float(diff.attribution.totals["total_change"])
    if settings.empty:
        settings_part: Any = info_alert(
            "The two scenarios have the same settings; any difference comes from the plan.",
            color="light",
        )
    else:
        settings_part = html.Div(
            frame_table(
                settings.rename(columns={"a": f"A: {label_a}", "b": f"B: {label_b}"}),
                signed=("effect_usd",),
                headers={"effect_usd": "on its own, total funded", "note": ""},
                id_=ids.COMPARE_SETTINGS,
            )
        )
    split = [
        html.Li(f"{logic.cause_label(c)}: {signed_usd(v)}") for c, v in causes if abs(v) >= 0.5
    ] or [
        html.Li(
            "Total funded does not change: the settings only move money between lines "
            "(each line's causes are below)."
        )
    ]
    line_columns = (
        Col("line_id", "Line", pinned=True),
        Col("name", "Name", width=200),
        Col("funded_a", f"A: {label_a} (USD)", "money"),
        Col("funded_b", f"B: {label_b} (USD)", "money"),
        Col("change", "Change (USD)", "signed"),
        Col("moved_by", "Moved by (USD m, each setting on its own)", width=320),
        *(
            Col(col, logic.cause_label(cause) + " (USD)", "signed")
            for col, (cause, _) in zip(cause_cols, causes, strict=True)
        ),
    )
    return html.Div(
        [
            frame_table(pd.DataFrame(fmt), id_=ids.COMPARE_TOTALS),
            html.H3(f"Settings that differ ({len(settings)})", className="subhead mt-3"),
            settings_part,
            html.H3("The change in total funded, by cause", className="subhead mt-3"),
            html.P(f"Total funded changes by {signed_usd(total_change)}:", className="small mb-1"),
            html.Ul(split, className="small", id=ids.COMPARE_CAUSES),
            chart(
                ids.COMPARE_CHART,
                figures.line_deltas(
                    lines.rename(columns={"change": "funded_delta"}),
                    label_a=label_a,
                    label_b=label_b,
                ),
                title=f"Funding change per line: {label_b} minus {label_a} (USD m)",
                summary=logic.deltas_summary(lines, label_a, label_b),
            ),
            html.H3(f"Lines that moved ({len(lines)}) and why", className="subhead mt-2"),
            html.P(
                "Each setting's part is A re-solved with that one setting of B, minus A; "
                "“Settings acting together” is what the settings do together beyond "
                "their separate parts, so the parts add up to each line's change. Where a "
                "scenario has several equally good allocations, each re-solve and B keep the "
                "one closest to A, so a line's figure for B can differ from B run on its own; "
                "the totals are the same.",
                className="help small",
            ),
            grid(ids.COMPARE_LINES, lines, line_columns, label="Lines that moved and why"),
        ]
    )
