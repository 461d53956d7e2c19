"""Entity view: what each Compact entity's budget lines get, by year, firm money apart from
pledged-only money (the shared filters choose entities, pillars, themes and categories)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboards import downloads, figures, ids
from dashboards.components import (
    Col,
    ViewRefused,
    chart,
    filter_note,
    grid,
    page_header,
    section,
    view,
    working_store,
)
from dashboards.logic import profiles as logic

dash.register_page(
    __name__, path="/entities", name="Entities", title="Entities · Appeal planner", order=5
)

YEAR_COLUMNS = (
    Col("entity", "Entity", pinned=True),
    Col("year", "Year"),
    Col("requirement_usd", "Requirement (USD)", "money"),
    Col("firm_usd", "Firm (USD)", "money"),
    Col("pledged_only_usd", "Pledged only (USD)", "money"),
    Col("gap_usd", "Gap (USD)", "money"),
    Col("coverage", "Coverage", "percent"),
)
LINE_COLUMNS = (
    Col("entity", "Entity", pinned=True),
    Col("line_id", "Line"),
    Col("name", "Name", width=200),
    Col("year", "Year"),
    Col("requirement_usd", "Requirement (USD)", "money"),
    Col("firm_usd", "Firm (USD)", "money"),
    Col("pledged_only_usd", "Pledged only (USD)", "money"),
    Col("gap_usd", "Gap (USD)", "money"),
)
downloads.register(ids.ENTITY_YEARS, "Entities by year")
downloads.register(ids.ENTITY_LINES, "Entity lines by year")


def layout(**_: Any) -> Any:
    return html.Div(
        [
            working_store(),
            page_header(
                "Entities",
                "What each Compact entity's programmes receive, year by year: firm money, "
                "money only pledged, and what is still missing.",
            ),
            dcc.Loading(html.Div(id=ids.ENTITY_BODY), type="dot"),
        ]
    )


@callback(
    Output(ids.ENTITY_BODY, "children"),
    Input(ids.WORKING_SCENARIO, "data"),
    State(ids.URL, "search"),
)
def render(scenario_data: Any, search: str | None = None) -> Any:
    try:
        ctx, run, chosen = view(scenario_data, search)
    except ViewRefused as refused:
        return refused.alert
    totals = logic.entity_totals(run)
    return html.Div(
        [
            filter_note(chosen, run.plan, ctx.plan),
            section(
                "By entity",
                chart(
                    ids.ENTITY_CHART,
                    figures.entity_bars(totals),
                    title="Firm, pledged-only and missing money per entity over the horizon "
                    "(USD m)",
                    summary=logic.entity_summary(totals),
                ),
            ),
            section(
                "By entity and year",
                grid(
                    ids.ENTITY_YEARS,
                    logic.entity_years(run),
                    YEAR_COLUMNS,
                    label="Entities by year",
                    totals=True,
                ),
            ),
            section(
                "Every line of every entity, by year",
                grid(
                    ids.ENTITY_LINES,
                    logic.entity_lines(run),
                    LINE_COLUMNS,
                    label="Entity lines by year",
                    totals=True,
                ),
            ),
        ]
    )
