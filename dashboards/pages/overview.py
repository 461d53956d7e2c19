"""Overview page: headline figures, gaps by category and year, coverage heat-map, and what
changed since the last saved scenario."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboards import figures, ids
from dashboards.changes import changes_panel
from dashboards.components import (
    ViewRefused,
    card,
    chart,
    count,
    error_alert,
    filter_note,
    page_header,
    pct,
    section,
    usd,
    view,
    working_store,
)
from dashboards.logic import overview as logic
from dashboards.logic.scenarios import solver_text
from models import donor_base, gaps
from models.concentration import hhi_band

dash.register_page(__name__, path="/", name="Overview", title="Overview · Appeal planner", order=0)
log = logging.getLogger(__name__)


def layout(**_: Any) -> Any:
    return html.Div(
        [
            working_store(),
            page_header(
                "Overview",
                "Where the multi-year appeal stands: how much is needed, funded and missing, "
                "and how broad the donor base is.",
            ),
            dcc.Loading(
                html.Div(id=ids.OVERVIEW_BODY),
                type="dot",
            ),
            changes_panel(),
        ]
    )


def headline_cards(h: logic.Headline) -> Any:
    flex_tone = "success" if h.flexible_meets_aim else "warning"
    cards = [
        card("Requirement", usd(h.requirement_usd), "over the appeal horizon"),
        card("Funded", usd(h.funded_usd), f"firm {usd(h.firm_usd)}", tone="info"),
        card("Gap", usd(h.gap_usd), "unmet requirement", tone="danger"),
        card("Coverage", pct(h.coverage), "funded / requirement", tone="info"),
        card(
            "Donors", count(h.donor_count), f"{h.effective_donors:.1f} effective", tone="secondary"
        ),
        card(
            "HHI",
            f"{h.hhi:,.0f}",
            hhi_band(h.hhi),
            tone="secondary",
        ),
        card(
            "Flexible share",
            pct(h.flexible_share),
            f"aim {pct(h.flexible_aim, 0)} unearmarked + softly earmarked",
            tone=flex_tone,
        ),
    ]
    return dbc.Row(
        [dbc.Col(c, xs=6, md=4, xl=True, className="mb-3") for c in cards],
        className="g-3 mb-2",
        id=ids.OVERVIEW_CARDS,
    )


@callback(
    Output(ids.OVERVIEW_BODY, "children"),
    Input(ids.WORKING_SCENARIO, "data"),
    State(ids.URL, "search"),
)
def render(scenario_data: dict[str, Any] | None, search: str | None = None) -> Any:
    try:
        ctx, run, chosen = view(scenario_data, search)
    except ViewRefused as refused:
        return refused.alert
    breadth = donor_base.breadth(run.plan)
    head = logic.headline(run, breadth)
    notes: list[Any] = []
    if not run.result.ok:
        notes.append(
            error_alert(
                solver_text(run) + ". Gaps below show nothing funded.",
                title="The allocation did not solve",
            )
        )
    cat_year = gaps.breakdown(run.plan, run.result, ("category", "year"))
    years = gaps.breakdown(run.plan, run.result, "year")
    heat = logic.line_year_table(run)
    illustrative = (
        [dbc.Badge("Illustrative sample data", color="warning", className="ms-2 text-dark")]
        if ctx.plan.illustrative
        else []
    )
    return html.Div(
        [
            *notes,
            html.Div(
                [
                    html.Span(ctx.plan.title, className="fw-semibold"),
                    *illustrative,
                    html.Span(
                        f" · scenario “{ctx.scenario.name}” · {solver_text(run)}",
                        className="text-muted small",
                    ),
                    html.Div(
                        logic.overdue_text(ctx.plan, dt.date.today()),
                        id="overview-overdue",
                        className="small text-danger",
                    ),
                ],
                className="mb-3",
            ),
            filter_note(chosen, run.plan, ctx.plan),
            headline_cards(head),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Gap by category and year",
                            chart(
                                ids.OVERVIEW_GAP_CHART,
                                figures.gap_by_category_year(cat_year),
                                title="Unmet requirement per year, stacked by category (USD m)",
                                summary=logic.gap_summary(cat_year),
                            ),
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        section(
                            "Funding by year",
                            chart(
                                ids.OVERVIEW_YEAR_CHART,
                                figures.year_totals(years),
                                title="Firm money, pledged-only money and the gap (USD m)",
                                summary=logic.year_summary(years),
                            ),
                        ),
                        lg=5,
                    ),
                ]
            ),
            section(
                "Coverage by line and year",
                chart(
                    ids.OVERVIEW_HEATMAP,
                    figures.coverage_heatmap(heat),
                    title="Funded share of each budget line's requirement, by year",
                    summary=logic.heatmap_summary(heat),
                ),
            ),
        ]
    )
