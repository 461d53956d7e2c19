"""Overview page: headline figures, gaps by category and year, coverage heat-map, and what
changed since the last saved scenario."""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from appeal import service
from dashboards import downloads, figures, ids
from dashboards.components import (
    Col,
    ViewRefused,
    card,
    chart,
    count,
    error_alert,
    filter_note,
    frame_table,
    grid,
    info_alert,
    page_header,
    pct,
    section,
    signed_usd,
    usd,
    view,
    working_store,
)
from dashboards.logic import overview as logic
from dashboards.logic.scenarios import line_names, solver_text
from dashboards.state import get_config, open_register, solve_scenario
from models import donor_base, gaps

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
            "concentrated" if h.hhi >= 1500 else "unconcentrated",
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


def changes_section(ctx_run: Any, plan: Any) -> Any:
    """What changed since the last saved scenario, or a hint when nothing is saved."""
    config = get_config()
    reg = open_register(config)
    row = logic.last_saved(reg.list_scenarios())
    if row is None:
        return info_alert(
            "No scenario has been saved yet. Save one on the Scenarios page; this panel will "
            "then show what changed since (new pledges, status changes, edits).",
            color="light",
        )
    name = str(row["name"])
    saved_summary = logic.parse_summary(row.get("summary"))
    scenario = reg.get_scenario(name)
    now_run = solve_scenario(config, plan, scenario)
    now = service.run_summary(now_run)
    when = logic.saved_at_text(row)
    if saved_summary is None:
        return info_alert(f"Scenario {name!r} was saved without a summary; nothing to compare.")
    head, lines = logic.changes_since(saved_summary, now, line_names(ctx_run))
    moved = head[head["change"].abs() > 1e-9]
    intro = f"Scenario “{name}”" + (f", saved {when}" if when else "") + ", solved on today's plan."
    if moved.empty and lines.empty:
        return html.Div(
            [html.P(intro), info_alert("Nothing changed since it was saved.", color="success")]
        )
    items = []
    for rec in head.to_dict("records"):
        if rec["kind"] == "money":
            saved_text, now_text, change = (
                usd(rec["saved"]),
                usd(rec["now"]),
                signed_usd(rec["change"]),
            )
        elif rec["kind"] == "share":
            saved_text, now_text = pct(rec["saved"]), pct(rec["now"])
            change = f"{100 * rec['change']:+.1f} pts"
        else:
            saved_text, now_text = f"{rec['saved']:,.0f}", f"{rec['now']:,.0f}"
            change = f"{rec['change']:+,.0f}"
        items.append(
            {"figure": rec["figure"], "saved": saved_text, "now": now_text, "change": change}
        )
    import pandas as pd

    table = frame_table(pd.DataFrame(items), headers={"saved": "when saved", "now": "today"})
    parts: list[Any] = [html.P(intro), table]
    if len(lines):
        parts += [
            html.H3("Lines whose funding moved", className="subhead mt-3"),
            grid(ids.OVERVIEW_MOVED, lines, MOVED_COLUMNS, label="Lines whose funding moved"),
        ]
    return html.Div(parts)


MOVED_COLUMNS = (
    Col("line_id", "Line", pinned=True),
    Col("name", "Name", width=200),
    Col("funded_saved", "Funded then (USD)", "money"),
    Col("funded_now", "Funded now (USD)", "money"),
    Col("funded_delta", "Change (USD)", "signed"),
)
downloads.register(ids.OVERVIEW_MOVED, "Lines whose funding moved")


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
    try:
        changes = changes_section(ctx.run, ctx.plan)
    except Exception as exc:  # the panel is optional: never let it break the page
        log.exception("what-changed panel failed")
        changes = error_alert(str(exc), title="Could not compare with the last saved scenario")
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
            section(
                "What changed since the last saved scenario", changes, id_=ids.OVERVIEW_CHANGES
            ),
        ]
    )
