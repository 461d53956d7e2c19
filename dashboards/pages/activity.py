"""Activity page (analysts and admins): the audit trail — every write to the register with
who, when, what and before -> after — filtered by user, action and date, and downloadable as
an xlsx workbook (:func:`appeal.workspace.audit_workbook`)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal import workspace
from dashboards import ids
from dashboards.components import frame_table, labelled, page_header, section, working_store
from dashboards.state import get_config, open_register

dash.register_page(
    __name__, path="/activity", name="Activity", title="Activity · Appeal planner", order=7
)
SHOWN = 500
ACTIONS = (
    "import",
    "pledge",
    "programmes",
    "fx",
    "scenario",
    "official",
    "edition",
    "note",
    "user",
    "signin",
)


def layout(**_: Any) -> Any:
    filters = dbc.Row(
        [
            dbc.Col(
                labelled("User", dcc.Dropdown(id=ids.ACTIVITY_USER, placeholder="Any user")),
                md=3,
            ),
            dbc.Col(
                labelled(
                    "Action",
                    dcc.Dropdown(
                        id=ids.ACTIVITY_ACTION,
                        options=[{"label": a, "value": a} for a in ACTIONS],
                        placeholder="Any action",
                    ),
                ),
                md=3,
            ),
            dbc.Col(labelled("Since (date)", dbc.Input(id=ids.ACTIVITY_SINCE, type="date")), md=3),
            dbc.Col(
                dbc.Button("Download (.xlsx)", id=ids.ACTIVITY_DOWNLOAD_BUTTON, outline=True),
                md=3,
            ),
            dcc.Download(id=ids.ACTIVITY_DOWNLOAD),
        ],
        className="g-2 mb-3",
    )
    return html.Div(
        [
            working_store(),
            page_header(
                "Activity",
                "Who changed what, and when: every import, edit, save, publication, user "
                "change and failed sign-in, newest first.",
            ),
            section(
                "Audit trail",
                [
                    filters,
                    html.Div(id=ids.ACTIVITY_COUNT, className="small text-muted mb-2"),
                    html.Div(id=ids.ACTIVITY_TABLE),
                ],
            ),
        ]
    )


def _rows(user: str | None, action: str | None, since: str | None) -> Any:
    return open_register(get_config()).audit_log(actor_name=user, action=action, since=since)


@callback(
    Output(ids.ACTIVITY_TABLE, "children"),
    Output(ids.ACTIVITY_COUNT, "children"),
    Output(ids.ACTIVITY_USER, "options"),
    Input(ids.ACTIVITY_USER, "value"),
    Input(ids.ACTIVITY_ACTION, "value"),
    Input(ids.ACTIVITY_SINCE, "value"),
)
def show(user: str | None, action: str | None, since: str | None) -> tuple[Any, Any, Any]:
    frame = _rows(user, action, since)
    everyone = open_register(get_config()).audit_log()["actor"].drop_duplicates()
    options = [{"label": a, "value": a} for a in sorted(map(str, everyone))]
    shown = frame[["at", "actor", "action", "target", "summary"]].head(SHOWN)
    count = f"{len(frame)} action(s)" + (
        f"; the newest {SHOWN} shown" if len(frame) > SHOWN else ""
    )
    return frame_table(shown, max_rows=SHOWN, id_=ids.ACTIVITY_ROWS), count, options


@callback(
    Output(ids.ACTIVITY_DOWNLOAD, "data"),
    Input(ids.ACTIVITY_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.ACTIVITY_USER, "value"),
    State(ids.ACTIVITY_ACTION, "value"),
    State(ids.ACTIVITY_SINCE, "value"),
    prevent_initial_call=True,
)
def download(n: int | None, user: str | None, action: str | None, since: str | None) -> Any:
    if not n:
        return no_update
    data = workspace.audit_workbook(_rows(user, action, since))
    return dcc.send_bytes(data, "appeal-activity.xlsx")
