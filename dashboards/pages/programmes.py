"""Programmes & rates page: add, edit and retire budget lines and their yearly requirements,
edit exchange rates, and keep a note thread per line.

An entity focal point sees and edits only its own entities' lines, with their funding and gaps
under the official appeal; analysts and admins see every line and also edit the rates. Every
save is checked by the import contract and the whole plan (:mod:`appeal.plan_edits`): all
problems are listed and nothing is stored until there are none.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal import plan_edits, workspace
from appeal.service import NoPlan
from dashboards import ids
from dashboards.components import (
    error_alert,
    frame_table,
    info_alert,
    page_header,
    section,
    working_store,
)
from dashboards.notes_panel import add_reply, notes_list
from dashboards.roles import current_user, shows
from dashboards.state import get_config, load_plan, open_register, solve
from models import gaps

dash.register_page(
    __name__,
    path="/programmes",
    name="Programmes & rates",
    title="Programmes & rates · Appeal planner",
    order=5,
)


def _problems(title: str, problems: list[str]) -> Any:
    return dbc.Alert(
        [
            html.Strong(f"{title} ({len(problems)} problem(s); nothing was stored):"),
            html.Ul([html.Li(p) for p in problems[:100]]),
        ],
        color="danger",
    )


def _notes_block(select_id: str, notes_id: str, text_id: str, add_id: str, msg_id: str) -> Any:
    return html.Div(
        [
            dcc.Dropdown(id=select_id, placeholder="Choose one"),
            html.Div(id=notes_id, className="mt-2"),
            dbc.Textarea(id=text_id, maxlength=2000, placeholder="Add a note", className="mt-2"),
            dbc.Button("Add note", id=add_id, size="sm", className="mt-2"),
            html.Div(id=msg_id, className="mt-2"),
        ]
    )


def layout(**_: Any) -> Any:
    user = current_user()
    scope = (
        "every line"
        if user.can("analyst")
        else f"the lines of {', '.join(user.entities) or 'no entity'}"
    )
    grid = dag.AgGrid(
        id=ids.PROGRAMMES_GRID,
        rowData=[],
        columnDefs=[],
        defaultColDef={"editable": True, "resizable": True, "minWidth": 110},
        dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True},
        style={"height": "460px", "width": "100%"},
    )
    parts: list[Any] = [
        working_store(),
        dcc.Store(id=ids.PROGRAMMES_VERSION, data=0),
        page_header(
            "Programmes & rates",
            "Edit budget lines, their yearly requirements and narrative, and the exchange "
            "rates. Every change is checked like an import before anything is stored.",
        ),
        section(
            "Budget lines",
            [
                html.P(
                    [
                        f"You edit {scope}. ",
                        "Tick “retire” to remove a line; “Add a line” appends an empty row.",
                    ],
                    className="small text-muted",
                    id=ids.PROGRAMMES_SCOPE,
                ),
                grid,
                dbc.Row(
                    [
                        dbc.Col(
                            dbc.Button(
                                "Add a line", id=ids.PROGRAMMES_ADD, outline=True, size="sm"
                            ),
                            width="auto",
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Save lines", id=ids.PROGRAMMES_SAVE, color="primary", size="sm"
                            ),
                            width="auto",
                        ),
                    ],
                    className="g-2 mt-2",
                ),
                html.Div(id=ids.PROGRAMMES_MESSAGE, className="mt-2"),
            ],
        ),
        section(
            "Funding and gaps of these lines",
            html.Div(id=ids.PROGRAMMES_FUNDING),
            subtitle="Under the official appeal, over the whole horizon.",
        ),
        section(
            "Notes on a line",
            _notes_block(
                ids.LINE_NOTE_SELECT,
                ids.LINE_NOTES,
                ids.LINE_NOTE_TEXT,
                ids.LINE_NOTE_ADD,
                ids.LINE_NOTE_MESSAGE,
            ),
        ),
    ]
    if not shows("analyst"):
        # The rates grid the page's loader fills, empty and out of sight (no Save button).
        parts.append(html.Div(dag.AgGrid(id=ids.FX_GRID, rowData=[]), hidden=True))
    else:
        parts.append(
            section(
                "Exchange rates",
                [
                    dag.AgGrid(
                        id=ids.FX_GRID,
                        rowData=[],
                        columnDefs=[
                            {"field": "currency"},
                            {"field": "units_per_usd", "headerName": "units per USD"},
                            {"field": "as_of", "headerName": "as of (YYYY-MM-DD)"},
                        ],
                        defaultColDef={"editable": True, "flex": 1},
                        # As tall as its rows (a few dozen currencies): no inner scroll box,
                        # which a keyboard could not reach (axe: scrollable-region-focusable).
                        dashGridOptions={
                            "singleClickEdit": True,
                            "stopEditingWhenCellsLoseFocus": True,
                            "domLayout": "autoHeight",
                        },
                        style={"width": "100%"},
                    ),
                    dbc.Button(
                        "Save rates", id=ids.FX_SAVE, color="primary", size="sm", className="mt-2"
                    ),
                    html.Div(id=ids.FX_MESSAGE, className="mt-2"),
                ],
                subtitle="UN operational rates of exchange: units of the currency per USD.",
                id_=ids.FX_SECTION,
            )
        )
    return html.Div(parts)


def _columns(headers: list[str]) -> list[dict[str, Any]]:
    defs: list[dict[str, Any]] = [
        {"field": h, "pinned": "left"} if h == "line_id" else {"field": h} for h in headers
    ]
    defs.append({"field": plan_edits.RETIRE, "cellDataType": "boolean", "editable": True})
    return defs


@callback(
    Output(ids.PROGRAMMES_GRID, "rowData"),
    Output(ids.PROGRAMMES_GRID, "columnDefs"),
    Output(ids.PROGRAMMES_FUNDING, "children"),
    Output(ids.LINE_NOTE_SELECT, "options"),
    Output(ids.FX_GRID, "rowData"),
    Input(ids.PROGRAMMES_VERSION, "data"),
    Input(ids.PROGRAMMES_ADD, "n_clicks"),
    State(ids.PROGRAMMES_GRID, "rowData"),
)
def load(_: int, add: int | None, rows: list[dict[str, Any]] | None) -> tuple[Any, ...]:
    """The lines the user may edit, their funding and gaps, and (analysts) the rates."""
    config = get_config()
    user = current_user()
    try:
        plan = load_plan(config)
    except NoPlan as exc:
        return [], [], info_alert(str(exc), color="warning"), [], []
    headers = plan_edits.programme_headers(plan)
    if dash.ctx.triggered_id == ids.PROGRAMMES_ADD:
        blank: dict[str, Any] = {h: None for h in headers}
        if user.entities and not user.can("analyst"):
            blank["entity"] = user.entities[0]
        blank[plan_edits.RETIRE] = False
        return [*(rows or []), blank], no_update, no_update, no_update, no_update
    editable = plan_edits.editable_rows(plan, user)
    own = {r["line_id"] for r in editable}
    run = solve(config, None).run
    funding = gaps.breakdown(plan, run.result, "line")
    funding = funding[funding["line_id"].isin(own)]
    table = frame_table(
        funding[["line_id", "name", "requirement_usd", "funded_usd", "gap_usd", "coverage"]],
        money=("requirement_usd", "funded_usd", "gap_usd"),
        percent=("coverage",),
        max_rows=500,
    )
    options = [{"label": f"{r['line_id']} · {r['name']}", "value": r["line_id"]} for r in editable]
    rates = (
        plan.fx[["currency", "units_per_usd", "as_of"]].astype(object).to_dict("records")
        if user.can("analyst")
        else []
    )
    return editable, _columns(headers), table, options, rates


@callback(
    Output(ids.PROGRAMMES_MESSAGE, "children"),
    Output(ids.PROGRAMMES_VERSION, "data"),
    Input(ids.PROGRAMMES_SAVE, "n_clicks"),
    State(ids.PROGRAMMES_GRID, "rowData"),
    State(ids.PROGRAMMES_VERSION, "data"),
    prevent_initial_call=True,
)
def save_lines(n: int | None, rows: list[dict[str, Any]] | None, version: int) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    try:
        edited = plan_edits.edit_programmes(open_register(get_config()), rows or [], current_user())
    except plan_edits.EditRefused as exc:
        return _problems("The lines were not saved", exc.problems), no_update
    except NoPlan as exc:
        return error_alert(str(exc), title="Nothing saved"), no_update
    return info_alert(f"Saved: {edited.summary}.", color="success"), int(version or 0) + 1


@callback(
    Output(ids.FX_MESSAGE, "children"),
    Output(ids.PROGRAMMES_VERSION, "data", allow_duplicate=True),
    Input(ids.FX_SAVE, "n_clicks"),
    State(ids.FX_GRID, "rowData"),
    State(ids.PROGRAMMES_VERSION, "data"),
    prevent_initial_call=True,
)
def save_rates(n: int | None, rows: list[dict[str, Any]] | None, version: int) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    try:
        count = plan_edits.edit_rates(open_register(get_config()), rows or [])
    except plan_edits.EditRefused as exc:
        return _problems("The rates were not saved", exc.problems), no_update
    return info_alert(f"Saved {count} exchange rates.", color="success"), int(version or 0) + 1


def _line_in_scope(line_id: str | None) -> bool:
    if not line_id:
        return False
    plan = load_plan(get_config())
    row = plan.programmes.loc[plan.programmes["line_id"] == line_id]
    return bool(len(row)) and plan_edits.in_scope(current_user(), row["entity"].iloc[0])


@callback(
    Output(ids.LINE_NOTES, "children"),
    Input(ids.LINE_NOTE_SELECT, "value"),
    Input(ids.LINE_NOTE_MESSAGE, "children"),
)
def show_notes(line_id: str | None, _: Any) -> Any:
    if not _line_in_scope(line_id):
        return html.Div("Choose one of your lines.", className="text-muted small")
    return notes_list(workspace.notes(open_register(get_config()), "line", str(line_id)))


@callback(
    Output(ids.LINE_NOTE_MESSAGE, "children"),
    Output(ids.LINE_NOTE_TEXT, "value"),
    Input(ids.LINE_NOTE_ADD, "n_clicks"),
    State(ids.LINE_NOTE_SELECT, "value"),
    State(ids.LINE_NOTE_TEXT, "value"),
    prevent_initial_call=True,
)
def add_note(n: int | None, line_id: str | None, text: str | None) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    scoped = line_id if _line_in_scope(line_id) else None
    return add_reply("line", scoped, text, "choose one of your lines")
