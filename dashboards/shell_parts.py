"""The parts of the app's frame that depend on who is signed in and what they are editing:
the user area (name, role, Sign out) and the banner that labels an unsaved working scenario
"NAME (modified, not saved)" on every page, with Save as and Discard.

The banner compares the tab's working scenario with the version saved under its name
(:func:`appeal.workspace.unsaved_changes`), so it is shown exactly when what the pages draw
is not what is saved. Viewers and focal points never have a working scenario (the server
shows them the official appeal, :func:`dashboards.state.shown_scenario`), so they never see it.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html, no_update

from appeal import workspace
from appeal.register import RegisterError
from appeal.service import NoPlan
from dashboards import ids
from dashboards.auth import CSRF_FIELD, SIGNOUT, csrf_token
from dashboards.roles import current_user
from dashboards.state import (
    aliases_for,
    get_config,
    load_plan,
    open_register,
    scenario_from_browser,
    scenario_to_browser,
)
from dashboards.wiring import Callbacks
from models.scenario import Scenario, ScenarioError

__all__ = ["banner", "unsaved", "user_area"]

# Registered on each app by dashboards.app.create_app (see dashboards.wiring).
callbacks = Callbacks()


def user_area() -> Any:
    """Who is signed in and their role; a Sign out button (a POST form with the session's
    anti-forgery token) when they signed in."""
    if not flask.has_request_context():  # Dash checks the layout once at start-up
        return html.Div(id=ids.USER_AREA)
    user = current_user()
    role = user.role.replace("_", " ")
    scope = f" · {', '.join(user.entities)}" if user.entities else ""
    parts: list[Any] = [
        html.Span(
            [html.Span(user.label, className="fw-semibold"), f" ({role}{scope})"],
            className="text-white small me-2",
        )
    ]
    if get_config().auth_mode == "password":
        parts.append(
            html.Form(
                [
                    dcc.Input(type="hidden", name=CSRF_FIELD, value=csrf_token()),
                    html.Button(
                        "Sign out",
                        id=ids.SIGNOUT_BUTTON,
                        type="submit",
                        className="btn btn-outline-light btn-sm",
                    ),
                ],
                id=ids.SIGNOUT_FORM,
                action=SIGNOUT,
                method="POST",
                className="d-inline",
            )
        )
    return html.Div(parts, id=ids.USER_AREA, className="d-flex align-items-center ms-3")


def banner() -> Any:
    """The (hidden until needed) unsaved-scenario banner."""
    return dbc.Alert(
        [
            html.Span(id=ids.UNSAVED_TEXT, className="me-3"),
            dcc.Link(
                "Save as…",
                href="/scenarios#save-as",
                id=ids.UNSAVED_SAVE_AS,
                className="btn btn-sm btn-warning me-2",
            ),
            dbc.Button(
                "Discard", id=ids.UNSAVED_DISCARD, size="sm", color="secondary", outline=True
            ),
        ],
        id=ids.UNSAVED_BANNER,
        color="warning",
        is_open=False,
        className="d-flex align-items-center py-2",
    )


def unsaved(scenario_data: dict[str, Any] | None) -> tuple[str, list[str]] | None:
    """(name, settings that differ from its saved version) of the tab's working scenario, or
    None when there is nothing unsaved (or the user cannot have a working scenario)."""
    if not scenario_data or not current_user().can("analyst"):
        return None
    config = get_config()
    try:
        working = scenario_from_browser(scenario_data, aliases_for(load_plan(config)))
    except (NoPlan, ScenarioError):
        return None
    saved = _saved(working.name)
    changes = workspace.unsaved_changes(working, saved)
    return (working.name, changes) if changes else None


def _saved(name: str) -> Scenario | None:
    try:
        return open_register(get_config()).get_scenario(name)
    except RegisterError:
        return None


@callbacks(
    Output(ids.UNSAVED_BANNER, "is_open"),
    Output(ids.UNSAVED_TEXT, "children"),
    Input(ids.WORKING_SCENARIO, "data"),
)
def banner_state(scenario_data: dict[str, Any] | None) -> tuple[bool, Any]:
    found = unsaved(scenario_data)
    if found is None:
        return False, ""
    name, changes = found
    saved = _saved(name) is not None
    label = "modified, not saved" if saved else "not saved"
    listed = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
    return True, [html.Strong(f"“{name}” ({label})"), html.Span(f" — {listed}", className="small")]


@callbacks(
    Output(ids.WORKING_SCENARIO, "data", allow_duplicate=True),
    Input(ids.UNSAVED_DISCARD, "n_clicks"),
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def discard(n: int | None, scenario_data: dict[str, Any] | None) -> Any:
    """Back to the saved version of the working scenario (the defaults when never saved)."""
    if not n:
        return no_update
    config = get_config()
    try:
        plan = load_plan(config)
        aliases = aliases_for(plan)
        working = scenario_from_browser(scenario_data, aliases)
    except (NoPlan, ScenarioError):
        return None
    saved = _saved(working.name)
    return scenario_to_browser(saved, aliases) if saved is not None else None
