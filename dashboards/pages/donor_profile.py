"""Donor profile: every pledge of one donor, its earmarking habits, statuses, years and how
they changed, and what its money funds. The address names the donor by its alias
(``/donor?donor=Anonymous+donor+1``), never a confidential donor's name, so a profile can be
sent as a link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal.service import NoPlan
from dashboards import downloads, figures, ids
from dashboards.components import (
    Col,
    ViewRefused,
    card,
    chart,
    count,
    grid,
    info_alert,
    page_header,
    section,
    usd,
    view,
    working_store,
)
from dashboards.logic import filters
from dashboards.logic import profiles as logic
from dashboards.logic.donors import donor_options
from dashboards.state import aliases_for, get_config, load_plan
from models import donor_base

dash.register_page(
    __name__,
    path="/donor",
    name="Donor profile",
    title="Donor profile · Appeal planner",
    order=4,
)

PLEDGE_COLUMNS = (
    Col("pledge_id", "Pledge", pinned=True),
    Col("first_year", "From"),
    Col("last_year", "To"),
    Col("earmarking", "Earmarking", width=150),
    Col("earmark_to", "Earmarked to"),
    Col("status", "Status"),
    Col("amount", "Amount (original)", "money"),
    Col("currency", "Currency"),
    Col("gross_usd", "Amount (USD)", "money"),
    Col("programmable_usd", "Programmable (USD)", "money"),
)
FUNDS_COLUMNS = (
    Col("line_id", "Line", pinned=True),
    Col("name", "Name", width=200),
    Col("year", "Year"),
    Col("amount_usd", "Allocated (USD)", "money"),
)
downloads.register(ids.PROFILE_PLEDGES, "Pledges of the donor")
downloads.register(ids.PROFILE_FUNDS, "What the donor's money funds")


def layout(donor: str | None = None, **_: Any) -> Any:
    try:
        plan = load_plan(get_config())
        options = donor_options(plan, aliases_for(plan))
    except NoPlan:
        options = []
    known = {o["value"] for o in options}
    chosen = donor if donor in known else (options[0]["value"] if options else None)
    return html.Div(
        [
            working_store(),
            page_header(
                "Donor profile",
                "Every pledge of one donor: how it earmarks, how firm its money is, and how its "
                "giving changes over the years.",
            ),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Donor", html_for=ids.PROFILE_DONOR, className="control-label"),
                        dcc.Dropdown(
                            id=ids.PROFILE_DONOR, options=options, value=chosen, clearable=False
                        ),
                    ],
                    md=5,
                ),
                className="mb-3",
            ),
            dcc.Loading(html.Div(id=ids.PROFILE_BODY), type="dot"),
        ]
    )


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.PROFILE_DONOR, "value"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def choose(alias: str | None, search: str | None) -> Any:
    """The chosen donor goes into the address (its alias), with the filters kept."""
    if not alias or filters.param(search, "donor") == alias:
        return no_update
    kept = filters.query(filters.parse(search)).lstrip("?")
    return "?" + urlencode({"donor": alias}) + ("&" + kept if kept else "")


def _share_list(items: list[tuple[str, float]]) -> Any:
    return html.Ul([html.Li(f"{label}: {share:.0%}") for label, share in items], className="small")


@callback(
    Output(ids.PROFILE_BODY, "children"),
    Input(ids.PROFILE_DONOR, "value"),
    Input(ids.WORKING_SCENARIO, "data"),
    State(ids.URL, "search"),
)
def render(alias: str | None, scenario_data: Any, search: str | None = None) -> Any:
    # The line filters narrow what its money funds; the donor filters do not apply here.
    line_keys = tuple(f.key for f in filters.FIELDS if f.side == "line")
    try:
        ctx, run, _ = view(scenario_data, search, keep=line_keys)
    except ViewRefused as refused:
        return refused.alert
    donor = logic.real_name(alias, ctx.aliases)
    if donor is None:
        return info_alert("Choose a donor above.", color="light")
    pledges = logic.donor_pledges(ctx.run, donor)
    years = logic.donor_years(ctx.run, donor)
    funds = logic.donor_funds(run, donor)
    money = donor_base.horizon_tranches(ctx.plan)
    mine = money[money["donor"].astype(str) == donor]
    total = float(pledges["programmable_usd"].sum())
    cards = [
        card("Pledges", count(len(pledges)), f"{usd(float(pledges['gross_usd'].sum()))} gross"),
        card("Programmable", usd(total), "after programme support costs", tone="info"),
        card(
            "Years",
            f"{int(pledges['first_year'].min())}–{int(pledges['last_year'].max())}"
            if len(pledges)
            else "–",
            "first to last year of its pledges",
            tone="secondary",
        ),
        card("Allocated", usd(float(funds["amount_usd"].sum())), "in this scenario", tone="info"),
    ]
    return html.Div(
        [
            dbc.Row([dbc.Col(c, xs=6, md=3, className="mb-3") for c in cards], className="g-3"),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Earmarking habits",
                            _share_list(logic.shares(mine, "earmarking", "earmarking"))
                            if len(mine)
                            else html.P("No money in the appeal's years.", className="small"),
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        section(
                            "How firm its money is",
                            _share_list(logic.status_shares(ctx.run, donor)),
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        section(
                            "Its years",
                            chart(
                                ids.PROFILE_YEARS,
                                figures.donor_years(years),
                                title=f"{alias}'s programmable money per year, by earmarking "
                                "(USD m)",
                                summary=logic.years_sentence(years),
                            ),
                        ),
                        md=4,
                    ),
                ]
            ),
            section(
                "Every pledge",
                grid(
                    ids.PROFILE_PLEDGES,
                    pledges,
                    PLEDGE_COLUMNS,
                    label="Pledges of the donor",
                    totals=True,
                ),
            ),
            section(
                "What its money funds",
                grid(
                    ids.PROFILE_FUNDS,
                    funds,
                    FUNDS_COLUMNS,
                    label="What the donor's money funds",
                    totals=True,
                ),
                subtitle=f"Under the scenario “{ctx.scenario.name}”",
            ),
        ]
    )
