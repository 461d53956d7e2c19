"""Appeal page: preview the appeal's key tables for a chosen scenario and download the
multiyear appeal workbook (Excel), the narrative appeal document (PDF to send, Word to edit)
and a donor's one-page brief, confidential donors anonymised in each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal import workspace
from appeal.service import NoPlan
from dashboards import downloads, figures, ids
from dashboards.components import (
    Col,
    chart,
    error_alert,
    filter_note,
    frame_table,
    grid,
    info_alert,
    page_header,
    section,
    working_store,
)
from dashboards.logic import appeal_page as logic
from dashboards.logic import filters
from dashboards.logic.overview import year_summary
from dashboards.logic.scenarios import next_million_table, solver_text
from dashboards.roles import current_user
from dashboards.state import (
    Context,
    aliases_for,
    get_config,
    load_plan,
    open_register,
    scenario_from_browser,
    shown_scenario,
    solve_scenario,
)
from models import gaps
from models.scenario import ScenarioError

dash.register_page(
    __name__, path="/appeal", name="Appeal", title="Appeal · Appeal planner", order=6
)
log = logging.getLogger(__name__)
WORKING = "__working__"
OFFICIAL = "__official__"


def _unsaved(scenario: Any) -> list[str]:
    """The settings of the working scenario that differ from its saved version."""
    try:
        saved = open_register(get_config()).get_scenario(scenario.name)
    except ValueError:
        saved = None
    return workspace.unsaved_changes(scenario, saved)


def layout(**_: Any) -> Any:
    return html.Div(
        [
            working_store(),
            page_header(
                "Appeal",
                "Preview the multiyear appeal for a scenario and download it as an Excel workbook "
                "ready to send to member states and donors.",
            ),
            section(
                "Scenario",
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label(
                                    "Scenario of the appeal",
                                    html_for=ids.APPEAL_SCENARIO,
                                    className="control-label",
                                ),
                                dcc.Dropdown(id=ids.APPEAL_SCENARIO, clearable=False),
                            ],
                            md=6,
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Download the appeal workbook (.xlsx)",
                                id=ids.APPEAL_DOWNLOAD_BUTTON,
                                color="primary",
                            ),
                            width="auto",
                        ),
                        dbc.Col(html.Div(id=ids.APPEAL_DOWNLOAD_MESSAGE), width=True),
                        dcc.Download(id=ids.APPEAL_DOWNLOAD),
                    ],
                    className="g-2 align-items-end",
                ),
                subtitle="The workbook has Summary, Requirements, Funding status, Allocation plan, "
                "Priorities and asks, Donor base, Pledges and Scenario sheets; it is always the "
                "whole appeal (the filters narrow only the preview).",
            ),
            section(
                "The appeal document and donor briefs",
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Document format", html_for=ids.APPEAL_DOC_FORMAT),
                                    dbc.Select(
                                        id=ids.APPEAL_DOC_FORMAT,
                                        options=[
                                            {"label": "PDF, to send", "value": ".pdf"},
                                            {"label": "Word, to edit", "value": ".docx"},
                                        ],
                                        value=".pdf",
                                    ),
                                ],
                                md=3,
                            ),
                            dbc.Col(
                                dbc.Button(
                                    "Download the appeal document",
                                    id=ids.APPEAL_DOC_BUTTON,
                                    color="primary",
                                ),
                                width="auto",
                                className="align-self-end",
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Donor", html_for=ids.APPEAL_BRIEF_DONOR),
                                    dcc.Dropdown(id=ids.APPEAL_BRIEF_DONOR, clearable=False),
                                ],
                                md=3,
                            ),
                            dbc.Col(
                                dbc.Button(
                                    "Download the donor's brief (.pdf)",
                                    id=ids.APPEAL_BRIEF_BUTTON,
                                    color="primary",
                                ),
                                width="auto",
                                className="align-self-end",
                            ),
                            dcc.Download(id=ids.APPEAL_DOC_DOWNLOAD),
                            dcc.Download(id=ids.APPEAL_BRIEF_DOWNLOAD),
                        ],
                        className="g-2",
                    ),
                    html.Div(id=ids.APPEAL_DOC_MESSAGE, className="mt-2"),
                    html.Div(id=ids.APPEAL_BRIEF_MESSAGE, className="mt-1"),
                ],
                subtitle="The document: strategic priorities, requirements and funding, the gaps "
                "and asks, the donor base, a page per programme. A brief: the open gaps one donor "
                "could fund, where its money would matter most.",
            ),
            dcc.Loading(html.Div(id=ids.APPEAL_PREVIEW), type="dot"),
        ]
    )


@callback(
    Output(ids.APPEAL_SCENARIO, "options"),
    Output(ids.APPEAL_SCENARIO, "value"),
    Input(ids.WORKING_SCENARIO, "data"),
)
def scenario_options(working: Any) -> tuple[list[dict[str, str]], str]:
    """The official appeal (the default) and, for analysts, their working scenario and every
    saved one; viewers and focal points get the official appeal only."""
    register = open_register(get_config())
    mark = workspace.official(register)
    official = [
        {"label": f"Official appeal (“{mark['name']}” v{mark['version']})", "value": OFFICIAL}
        if mark
        else {"label": "Official appeal (none marked yet: the defaults)", "value": OFFICIAL}
    ]
    if not current_user().can("analyst"):
        return official, OFFICIAL
    frame = register.list_scenarios()
    names = [str(n) for n in frame["name"]] if len(frame) else []
    return (
        [
            *official,
            {"label": "Working scenario (from the Scenarios page)", "value": WORKING},
            *({"label": n, "value": n} for n in names),
        ],
        WORKING if working else OFFICIAL,
    )


def _context(choice: str | None, working: dict[str, Any] | None) -> Context:
    config = get_config()
    plan = load_plan(config)
    aliases = aliases_for(plan)
    if not current_user().can("analyst") or not choice or choice == OFFICIAL:
        scenario = shown_scenario(config, None, aliases)  # the official appeal
    elif choice == WORKING:
        scenario = scenario_from_browser(working, aliases)
    else:
        scenario = open_register(config).get_scenario(choice)
    run = solve_scenario(config, plan, scenario)
    return Context(plan=plan, aliases=aliases, scenario=scenario, run=run)


ASK_COLUMNS = (
    Col("line_id", "Line", pinned=True),
    Col("name", "Name", width=200),
    Col("tier", "Tier", "count"),
    Col("value_per_usd", "Value of the next USD", "number"),
    Col("gap_usd", "Gap (USD)", "money"),
    Col("requirement_usd", "Requirement (USD)", "money"),
    Col("coverage", "Coverage", "percent"),
)
downloads.register(ids.APPEAL_ASKS, "Top asks")


@callback(
    Output(ids.APPEAL_PREVIEW, "children"),
    Input(ids.APPEAL_SCENARIO, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    State(ids.URL, "search"),
)
def preview(choice: str | None, working: dict[str, Any] | None, search: str | None = None) -> Any:
    try:
        ctx = _context(choice, working)
    except NoPlan as exc:
        return info_alert(str(exc), color="warning")
    except (ScenarioError, ValueError) as exc:
        return error_alert(str(exc), title="Cannot prepare the appeal")
    chosen = filters.parse(search)
    run = filters.apply(ctx.run, chosen)
    if not run.result.ok:
        return error_alert(solver_text(run), title="The allocation did not solve")
    years = logic.year_table(run)
    year_money = gaps.breakdown(run.plan, run.result, "year")
    nm = next_million_table(run)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(ctx.plan.title, className="fw-semibold"),
                    dbc.Badge("Illustrative figures", color="warning", className="ms-2 text-dark")
                    if ctx.plan.illustrative
                    else None,
                    html.Span(f" · scenario “{ctx.scenario.name}”", className="text-muted small"),
                ],
                className="mb-3",
            ),
            filter_note(chosen, run.plan, ctx.plan),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Requirements and funding by year",
                            [
                                frame_table(
                                    years,
                                    money=("requirement_usd", "funded_usd", "firm_usd", "gap_usd"),
                                    percent=("coverage",),
                                    id_=ids.APPEAL_YEARS,
                                ),
                                chart(
                                    ids.APPEAL_YEAR_CHART,
                                    figures.year_totals(year_money),
                                    title="Firm money, pledged-only money and the gap (USD m)",
                                    summary=year_summary(year_money),
                                ),
                            ],
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        section(
                            "By category",
                            frame_table(
                                logic.category_table(run),
                                money=("requirement_usd", "funded_usd", "gap_usd"),
                                percent=("coverage",),
                            ),
                        ),
                        lg=6,
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Top asks",
                            grid(
                                ids.APPEAL_ASKS, logic.top_asks(run), ASK_COLUMNS, label="Top asks"
                            ),
                            subtitle="Ranked by what the next dollar buys there (the model's "
                            "value of one more USD), then by the size of the gap",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        section(
                            "What USD 1 million of unearmarked money would fund",
                            frame_table(nm, money=("amount_usd",))
                            if len(nm)
                            else html.Div(
                                "No line could use more unearmarked money.",
                                className="text-muted small",
                            ),
                        ),
                        lg=5,
                    ),
                ]
            ),
        ]
    )


def _draft(choice: str | None, ctx: Context) -> list[str]:
    """The unsaved settings when an analyst downloads the working scenario (else none)."""
    if choice == WORKING and current_user().can("analyst"):
        return _unsaved(ctx.scenario)
    return []


def _send(
    what: str,
    choice: str | None,
    working: dict[str, Any] | None,
    make: Callable[[Context, list[str]], tuple[str, bytes]],
    done_id: str | None = None,
) -> tuple[Any, Any]:
    """One download of the page for the chosen scenario: ``make(context, draft)`` gives the
    file's name and bytes; every refusal is a message beside the button, never a traceback."""
    try:
        ctx = _context(choice, working)
        if not ctx.run.result.ok:
            return None, error_alert(
                solver_text(ctx.run), title=f"No {what}: the allocation did not solve"
            )
        name, data = make(ctx, _draft(choice, ctx))
    except NoPlan as exc:
        return None, info_alert(str(exc), color="warning")
    except (ScenarioError, ValueError, OSError) as exc:
        return None, error_alert(str(exc), title=f"No {what}")
    text, style = f"Downloaded {name}.", "text-success small"
    done = (
        html.Span(text, className=style, id=done_id)
        if done_id
        else html.Span(text, className=style)
    )
    return dcc.send_bytes(data, name), done


@callback(
    Output(ids.APPEAL_DOWNLOAD, "data"),
    Output(ids.APPEAL_DOWNLOAD_MESSAGE, "children"),
    Input(ids.APPEAL_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.APPEAL_SCENARIO, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def download(n: int | None, choice: str | None, working: dict[str, Any] | None) -> tuple[Any, Any]:
    """The appeal workbook of the chosen scenario."""
    if not n:
        return no_update, no_update

    def workbook(ctx: Context, draft: list[str]) -> tuple[str, bytes]:
        notes = open_register(get_config()).notes()
        data = logic.workbook_bytes(ctx.run, draft=draft, notes=notes)
        return logic.workbook_filename(ctx.run, draft=bool(draft)), data

    return _send("workbook", choice, working, workbook, ids.APPEAL_DOWNLOAD_DONE)


@callback(
    Output(ids.APPEAL_DOC_DOWNLOAD, "data"),
    Output(ids.APPEAL_DOC_MESSAGE, "children"),
    Input(ids.APPEAL_DOC_BUTTON, "n_clicks"),
    State(ids.APPEAL_DOC_FORMAT, "value"),
    State(ids.APPEAL_SCENARIO, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def download_document(
    n: int | None, suffix: str | None, choice: str | None, working: dict[str, Any] | None
) -> tuple[Any, Any]:
    """The narrative appeal document of the chosen scenario, PDF or Word."""
    if not n:
        return no_update, no_update
    kind = suffix if suffix in (".pdf", ".docx") else ".pdf"

    def document(ctx: Context, draft: list[str]) -> tuple[str, bytes]:
        data = logic.document_bytes(ctx.run, kind, draft=bool(draft))
        return logic.workbook_filename(ctx.run, draft=bool(draft), suffix=kind), data

    return _send("document", choice, working, document)


@callback(
    Output(ids.APPEAL_BRIEF_DONOR, "options"),
    Output(ids.APPEAL_BRIEF_DONOR, "value"),
    Input(ids.APPEAL_SCENARIO, "value"),
    State(ids.WORKING_SCENARIO, "data"),
)
def brief_options(choice: str | None, working: dict[str, Any] | None) -> tuple[Any, Any]:
    """The plan's donors, largest first, confidential ones by alias (the same for every
    scenario: the list needs the plan, not a solve beside the preview's)."""
    try:
        names = logic.brief_choices(load_plan(get_config()))
    except NoPlan:
        return [], None
    return [{"label": n, "value": n} for n in names], (names[0] if names else None)


@callback(
    Output(ids.APPEAL_BRIEF_DOWNLOAD, "data"),
    Output(ids.APPEAL_BRIEF_MESSAGE, "children"),
    Input(ids.APPEAL_BRIEF_BUTTON, "n_clicks"),
    State(ids.APPEAL_BRIEF_DONOR, "value"),
    State(ids.APPEAL_SCENARIO, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def download_brief(
    n: int | None, donor: str | None, choice: str | None, working: dict[str, Any] | None
) -> tuple[Any, Any]:
    """One donor's one-page brief for the chosen scenario."""
    if not n:
        return no_update, no_update

    def brief(ctx: Context, draft: list[str]) -> tuple[str, bytes]:
        return logic.brief_bytes(ctx.run, str(donor or ""), draft=bool(draft))

    return _send("brief", choice, working, brief)
