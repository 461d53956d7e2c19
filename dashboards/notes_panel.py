"""The note thread beside the stored pledges (the Pledges page carries :func:`pledge_notes`):
choose a pledge, read what the working group wrote about it (who, when) and add to it.
Donors are shown by their aliases in the chooser."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from appeal import workspace
from appeal.service import NoPlan
from dashboards import ids
from dashboards.components import error_alert, info_alert, section
from dashboards.state import aliases_for, get_config, load_plan, open_register
from dashboards.wiring import Callbacks

__all__ = ["add_reply", "notes_list", "pledge_notes"]

# Registered on each app by dashboards.app.create_app (see dashboards.wiring).
callbacks = Callbacks()


def pledge_notes() -> Any:
    return section(
        "Notes on a pledge",
        [
            dcc.Dropdown(id=ids.PLEDGE_NOTE_SELECT, placeholder="Choose a pledge"),
            html.Div(id=ids.PLEDGE_NOTES, className="mt-2"),
            dbc.Textarea(
                id=ids.PLEDGE_NOTE_TEXT, maxlength=2000, placeholder="Add a note", className="mt-2"
            ),
            dbc.Button("Add note", id=ids.PLEDGE_NOTE_ADD, size="sm", className="mt-2"),
            html.Div(id=ids.PLEDGE_NOTE_MESSAGE, className="mt-2"),
        ],
        subtitle="A short comment thread per pledge; it is carried into the workbook's Notes.",
    )


def notes_list(frame: Any) -> Any:
    """A note thread (who, when, what), oldest first."""
    if frame.empty:
        return html.Div("No notes yet.", className="text-muted small")
    return html.Ul(
        [
            html.Li([html.Strong(str(r["author"])), f" · {r['at']}: ", str(r["text"])])
            for r in frame.to_dict("records")
        ],
        className="small",
    )


@callbacks(
    Output(ids.PLEDGE_NOTES, "children"),
    Output(ids.PLEDGE_NOTE_SELECT, "options"),
    Input(ids.PLEDGE_NOTE_SELECT, "value"),
    Input(ids.PLEDGES_VERSION, "data"),
    Input(ids.PLEDGE_NOTE_MESSAGE, "children"),
)
def show_pledge_notes(pledge_id: str | None, _: Any, __: Any) -> tuple[Any, Any]:
    config = get_config()
    try:
        plan = load_plan(config)
    except NoPlan:
        return no_update, []
    aliases = aliases_for(plan)
    options = [
        {"label": f"{p} · {aliases.get(str(d), str(d))}", "value": p}
        for p, d in zip(plan.pledges["pledge_id"], plan.pledges["donor"], strict=True)
    ]
    if not pledge_id:
        return html.Div("Choose a pledge to read its notes.", className="text-muted small"), options
    return notes_list(workspace.notes(open_register(config), "pledge", str(pledge_id))), options


@callbacks(
    Output(ids.PLEDGE_NOTE_MESSAGE, "children"),
    Output(ids.PLEDGE_NOTE_TEXT, "value"),
    Input(ids.PLEDGE_NOTE_ADD, "n_clicks"),
    State(ids.PLEDGE_NOTE_SELECT, "value"),
    State(ids.PLEDGE_NOTE_TEXT, "value"),
    prevent_initial_call=True,
)
def add_pledge_note(n: int | None, pledge_id: str | None, text: str | None) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    return add_reply("pledge", pledge_id, text, "choose a pledge first")


def add_reply(kind: str, target: str | None, text: str | None, missing: str) -> tuple[Any, Any]:
    """Add a note from a page: (the message, the text box's new value: empty once added)."""
    if not target:
        return error_alert(missing, title="No note added"), no_update
    try:
        workspace.add_note(open_register(get_config()), kind, str(target), text or "")
    except ValueError as exc:
        return error_alert(str(exc), title="No note added"), no_update
    return info_alert("Note added.", color="success"), ""
