"""Editions page: the published editions of the appeal (frozen "as at" a date), comparing any
two of them or one with today — per line, per donor, and every new, changed and withdrawn
pledge with its reason — and re-exporting an edition's workbook. Admins publish editions.
Donors are shown by their aliases (confidential donors as "Anonymous donor N")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal import service, workspace
from appeal.service import NoPlan
from dashboards import ids
from dashboards.changes import comparison_view
from dashboards.components import (
    error_alert,
    frame_table,
    info_alert,
    labelled,
    page_header,
    section,
    working_store,
)
from dashboards.logic import appeal_page
from dashboards.roles import shows
from dashboards.state import get_config, open_register, result_cache

dash.register_page(
    __name__, path="/editions", name="Editions", title="Editions · Appeal planner", order=6
)


def layout(**_: Any) -> Any:
    parts: list[Any] = [
        working_store(),
        dcc.Store(id=ids.EDITIONS_VERSION, data=0),
        page_header(
            "Editions",
            "Published editions of the appeal, frozen as at a date: compare them with each "
            "other or with today, and download the workbook each one published.",
        ),
        section("Published editions", html.Div(id=ids.EDITIONS_TABLE)),
    ]
    if shows("admin"):
        parts.append(
            section(
                "Publish an edition",
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                labelled(
                                    "Title of the edition",
                                    dbc.Input(
                                        id=ids.EDITION_TITLE, placeholder="Title", maxlength=200
                                    ),
                                ),
                                md=6,
                            ),
                            dbc.Col(
                                labelled(
                                    "As at (date)",
                                    dbc.Input(
                                        id=ids.EDITION_AS_AT,
                                        type="date",
                                        value=dt.date.today().isoformat(),
                                    ),
                                ),
                                md=3,
                            ),
                            dbc.Col(
                                dbc.Button("Publish", id=ids.EDITION_PUBLISH, color="primary"), md=3
                            ),
                        ],
                        className="g-2",
                    ),
                    html.Div(id=ids.EDITION_MESSAGE, className="mt-2"),
                ],
                subtitle="A frozen copy of the programmes, requirements, pledges, rates, the "
                "official appeal and its result.",
            )
        )
    parts += [
        section(
            "Compare",
            [
                dbc.Row(
                    [
                        dbc.Col(
                            labelled(
                                "Compare from edition (A)",
                                dcc.Dropdown(id=ids.EDITION_A, placeholder="From (A)"),
                            ),
                            md=5,
                        ),
                        dbc.Col(
                            labelled(
                                "Compare to edition (B)",
                                dcc.Dropdown(id=ids.EDITION_B, placeholder="To (B)"),
                            ),
                            md=5,
                        ),
                        dbc.Col(
                            dbc.Button("Compare", id=ids.EDITION_COMPARE, color="primary"), md=2
                        ),
                    ],
                    className="g-2 mb-3",
                ),
                dcc.Loading(html.Div(id=ids.EDITION_RESULT), type="dot"),
            ],
        ),
        section(
            "Download an edition's workbook",
            dbc.Row(
                [
                    dbc.Col(
                        labelled(
                            "Edition to download",
                            dcc.Dropdown(id=ids.EDITION_EXPORT_SELECT),
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Button("Download (.xlsx)", id=ids.EDITION_EXPORT, outline=True),
                        width="auto",
                    ),
                    dbc.Col(html.Div(id=ids.EDITION_EXPORT_MESSAGE)),
                    dcc.Download(id=ids.EDITION_DOWNLOAD),
                ],
                className="g-2 align-items-center",
            ),
        ),
    ]
    return html.Div(parts)


@callback(
    Output(ids.EDITIONS_TABLE, "children"),
    Output(ids.EDITION_A, "options"),
    Output(ids.EDITION_A, "value"),
    Output(ids.EDITION_B, "options"),
    Output(ids.EDITION_B, "value"),
    Output(ids.EDITION_EXPORT_SELECT, "options"),
    Input(ids.EDITIONS_VERSION, "data"),
)
def list_editions(_: int) -> tuple[Any, ...]:
    frame = open_register(get_config()).editions()
    if frame.empty:
        today = [{"label": "Today", "value": workspace.TODAY}]
        empty = info_alert("No edition has been published yet.", color="light")
        return empty, [], None, today, workspace.TODAY, []
    rows = [
        {
            "edition": int(r["edition_id"]),
            "title": r["title"],
            "as at": r["as_at"],
            "published by": r["published_by"],
            "published": str(r["published_at"])[:16].replace("T", " "),
            "official appeal": f"{r['scenario_name']} v{r['scenario_version']}",
            "funded_usd": r["summary"].get("funded_usd"),
            "gap_usd": r["summary"].get("gap_usd"),
        }
        for r in frame.to_dict("records")
    ]
    options = [{"label": f"{r['as at']} · {r['title']}", "value": int(r["edition"])} for r in rows]
    table = frame_table(pd.DataFrame(rows), money=("funded_usd", "gap_usd"))
    b_options = [{"label": "Today", "value": workspace.TODAY}, *options]
    return table, options, options[-1]["value"], b_options, workspace.TODAY, options


@callback(
    Output(ids.EDITION_MESSAGE, "children"),
    Output(ids.EDITIONS_VERSION, "data"),
    Input(ids.EDITION_PUBLISH, "n_clicks"),
    State(ids.EDITION_TITLE, "value"),
    State(ids.EDITION_AS_AT, "value"),
    State(ids.EDITIONS_VERSION, "data"),
    prevent_initial_call=True,
)
def publish(n: int | None, title: str | None, as_at: str | None, version: int) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    config = get_config()
    try:
        edition = workspace.publish_edition(
            open_register(config), title or "", as_at or "", cache=result_cache(config)
        )
    except (service.InputError, ValueError) as exc:
        return error_alert(str(exc), title="Not published"), no_update
    return (
        info_alert(f"Published edition {edition} “{title}” as at {as_at}.", color="success"),
        int(version or 0) + 1,
    )


@callback(
    Output(ids.EDITION_RESULT, "children"),
    Input(ids.EDITION_COMPARE, "n_clicks"),
    State(ids.EDITION_A, "value"),
    State(ids.EDITION_B, "value"),
    prevent_initial_call=True,
)
def compare(n: int | None, a: Any, b: Any) -> Any:
    if not n:
        return no_update
    if a is None or b is None:
        return error_alert("choose A and B", title="Nothing to compare")
    config = get_config()
    try:
        c = workspace.compare(open_register(config), a, b, cache=result_cache(config))
    except (NoPlan, ValueError) as exc:
        return error_alert(str(exc), title="Cannot compare")
    return comparison_view(
        c,
        headline_id=ids.EDITION_HEADLINE,
        pledges_id=ids.EDITION_PLEDGES,
        lines_id=ids.EDITION_LINES,
        donors_id=ids.EDITION_DONORS,
    )


@callback(
    Output(ids.EDITION_DOWNLOAD, "data"),
    Output(ids.EDITION_EXPORT_MESSAGE, "children"),
    Input(ids.EDITION_EXPORT, "n_clicks"),
    State(ids.EDITION_EXPORT_SELECT, "value"),
    prevent_initial_call=True,
)
def download(n: int | None, edition: int | None) -> tuple[Any, Any]:
    if not n:
        return no_update, no_update
    if edition is None:
        return None, error_alert("choose an edition", title="No workbook")
    config = get_config()
    register = open_register(config)
    record = register.edition(int(edition))
    run = workspace.edition_run(register, int(edition), cache=result_cache(config))
    data = appeal_page.workbook_bytes(run)
    name = f"appeal-edition-{record['as_at']}.xlsx"
    return dcc.send_bytes(data, name), html.Span(f"Downloaded {name}.", className="small")
