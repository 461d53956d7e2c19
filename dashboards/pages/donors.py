"""Donor base page: money flows, concentration, donor mix, earmarking against the 30% aim,
donor-loss stress tests and the pledge-risk simulation (a cancellable background callback)."""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from appeal.service import NoPlan
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
from dashboards.logic import donors as logic
from dashboards.logic import words
from dashboards.state import get_config, solve
from models.concentration import HHI_NOTE
from models.risk import RiskError
from models.scenario import ScenarioError

dash.register_page(
    __name__, path="/donors", name="Donor base", title="Donor base · Appeal planner", order=3
)
log = logging.getLogger(__name__)


def layout(**_: Any) -> Any:
    stress = section(
        "Donor-loss stress test",
        [
            html.P(
                "What if the largest donors, or donors you pick, withdrew? The allocation is "
                "re-solved without their pledges under the current scenario.",
                className="small text-muted",
            ),
            dbc.Label("Which donors withdraw", html_for=ids.STRESS_MODE, className="control-label"),
            dbc.RadioItems(
                id=ids.STRESS_MODE,
                options=[
                    {"label": "The largest donors", "value": "top"},
                    {"label": "Donors I pick", "value": "pick"},
                ],
                value="top",
                inline=True,
                className="mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                "How many largest",
                                html_for=ids.STRESS_TOP,
                                className="control-label",
                            ),
                            dbc.Select(
                                id=ids.STRESS_TOP,
                                options=[
                                    {"label": f"Top {k}", "value": str(k)} for k in (1, 2, 3, 4, 5)
                                ],
                                value="1",
                                size="sm",
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Donors I pick",
                                html_for=ids.STRESS_DONORS,
                                className="control-label",
                            ),
                            dcc.Dropdown(
                                id=ids.STRESS_DONORS, multi=True, placeholder="Pick donors"
                            ),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Run stress test", id=ids.STRESS_RUN, color="primary", size="sm"
                        ),
                        md=3,
                    ),
                ],
                className="g-2 mb-3 align-items-end",
            ),
            dcc.Loading(html.Div(id=ids.STRESS_RESULT), type="dot"),
        ],
    )
    risk = section(
        "Pledge-risk simulation",
        [
            html.P(
                "Each pledge materialises with a probability set by its status (Scenarios page, "
                "Pledge risk). Many draws re-solve the plan and show the range of outcomes.",
                className="small text-muted",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Draws", html_for=ids.RISK_DRAWS, className="control-label"),
                            dbc.Input(
                                id=ids.RISK_DRAWS,
                                type="number",
                                min=1,
                                max=5000,
                                step=1,
                                value=50,
                                size="sm",
                            ),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Seed", html_for=ids.RISK_SEED, className="control-label"),
                            dbc.Input(
                                id=ids.RISK_SEED,
                                type="number",
                                min=0,
                                step=1,
                                value=20270101,
                                size="sm",
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Button(
                                "Run simulation",
                                id=ids.RISK_RUN,
                                color="primary",
                                size="sm",
                                className="me-2",
                            ),
                            dbc.Button(
                                "Cancel",
                                id=ids.RISK_CANCEL,
                                color="danger",
                                outline=True,
                                size="sm",
                                disabled=True,
                            ),
                        ],
                        md=4,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-3",
            ),
            html.Div(
                dbc.Progress(
                    id=ids.RISK_PROGRESS,
                    value=0,
                    label="",
                    striped=True,
                    animated=True,
                    className="mb-3",
                ),
                # assets/a11y.js names the progress bar from this.
                **{"data-label": "Simulation progress"},  # type: ignore[arg-type]
            ),
            html.Div(id=ids.RISK_STATUS),
            html.Div(id=ids.RISK_RESULT),
        ],
    )
    return html.Div(
        [
            working_store(),
            page_header(
                "Donor base",
                "How broad and how flexible the money behind the appeal is, and how fragile: the "
                "review asks to widen the donor base and move to mostly unearmarked money.",
            ),
            dcc.Loading(html.Div(id=ids.DONORS_BODY), type="dot"),
            section("Who funds what", _sankey_figure()),
            dcc.Loading(html.Div(id=ids.DONORS_MORE), type="dot"),
            dbc.Row([dbc.Col(stress, lg=6), dbc.Col(risk, lg=6)]),
        ]
    )


SANKEY_TITLE = "Money from the largest donors to each category (and lines, on demand)"


def _sankey_figure() -> Any:
    """The Sankey, with its switch for budget lines; drawn by :func:`draw_sankey`."""
    return [
        dbc.Switch(
            id=ids.DONORS_SANKEY_LINES,
            label="Show the largest budget lines",
            value=False,
            className="mb-2",
        ),
        html.Figure(
            [
                html.Figcaption(
                    [
                        html.Div(SANKEY_TITLE, className="chart-title"),
                        html.P(id=ids.DONORS_SANKEY_SUMMARY, className="chart-summary"),
                    ]
                ),
                html.Div(
                    dcc.Graph(id=ids.DONORS_SANKEY, config={"displayModeBar": False}),
                    role="img",
                    **{  # type: ignore[arg-type]
                        "aria-label": SANKEY_TITLE,
                        "aria-describedby": ids.DONORS_SANKEY_SUMMARY,
                    },
                ),
            ],
            className="chart mb-0",
        ),
    ]


@callback(
    Output(ids.DONORS_SANKEY, "figure"),
    Output(ids.DONORS_SANKEY_SUMMARY, "children"),
    Input(ids.WORKING_SCENARIO, "data"),
    Input(ids.DONORS_SANKEY_LINES, "value"),
    State(ids.URL, "search"),
)
def draw_sankey(scenario_data: Any, lines: bool | None, search: str | None = None) -> Any:
    """Donors grouped (the largest, then the rest) to categories, lines on demand."""
    try:
        ctx, run, _ = view(scenario_data, search)
    except ViewRefused:
        return figures.empty("Nothing to draw: see the message above"), ""
    flows = logic.flows(run, ctx.aliases)
    figure = figures.sankey(flows, run.plan.programmes, lines=bool(lines))
    return figure, logic.sankey_summary(flows, run.plan.programmes)


DONOR_COLUMNS = (
    Col("donor", "Donor", pinned=True, width=170),
    Col("donor_type", "Type", width=150),
    Col("region", "Region"),
    Col("programmable_usd", "Programmable (USD)", "money"),
    Col("share", "Share", "percent"),
    Col("flexible_usd", "Flexible (USD)", "money"),
)
downloads.register(ids.DONORS_TABLE, "Donors")


@callback(
    Output(ids.DONORS_BODY, "children"),
    Output(ids.DONORS_MORE, "children"),
    Output(ids.STRESS_DONORS, "options"),
    Input(ids.WORKING_SCENARIO, "data"),
    State(ids.URL, "search"),
)
def render(scenario_data: dict[str, Any] | None, search: str | None = None) -> tuple[Any, ...]:
    try:
        ctx, run, chosen = view(scenario_data, search)
    except ViewRefused as refused:
        return refused.alert, None, []
    b = logic.breadth_view(run.plan, ctx.aliases)
    flex_ok = b["flexible_share"] >= b["grand_bargain_target"]
    cards = [
        card(
            "Donors",
            count(b["donor_count"]),
            f"{count(b['flexible_donor_count'])} give flexible money",
        ),
        card(
            "Effective donors",
            f"{b['effective_donors']:.1f}",
            "1 / sum of squared shares",
            tone="secondary",
        ),
        card("HHI", f"{b['hhi']:,.0f}", HHI_NOTE, tone="secondary"),
        card(
            "Top 1 / top 3",
            f"{pct(b['top1_share'], 0)} / {pct(b['top3_share'], 0)}",
            "share of all money",
            tone="warning",
        ),
        card("Gini", f"{b['gini']:.2f}", "0 = everyone gives the same", tone="secondary"),
        card(
            "Flexible share",
            pct(b["flexible_share"]),
            f"aim {pct(b['grand_bargain_target'], 0)}; "
            f"short by {usd(b['flexible_gap_to_target_usd'])}"
            if not flex_ok
            else f"meets the {pct(b['grand_bargain_target'], 0)} aim",
            tone="success" if flex_ok else "warning",
        ),
        card(
            "Multi-year", pct(b["multiyear_share"]), "money pledged over several years", tone="info"
        ),
    ]
    body = html.Div(
        [
            filter_note(chosen, run.plan, ctx.plan),
            dbc.Row(
                [dbc.Col(c, xs=6, md=4, xl=True, className="mb-3") for c in cards], className="g-3"
            ),
        ]
    )
    donors_table = pd.DataFrame(b["donors"])
    if len(donors_table):
        donors_table["donor_type"] = [
            words.label("donor_type", t) for t in donors_table["donor_type"]
        ]
    more = html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Concentration",
                            chart(
                                ids.DONORS_LORENZ,
                                figures.lorenz(b["lorenz"], b["gini"]),
                                title="Lorenz curve of giving (further from the diagonal = "
                                "more concentrated)",
                                summary=logic.lorenz_summary(b),
                            ),
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        section(
                            "Donors by type and region",
                            chart(
                                ids.DONORS_TREEMAP,
                                figures.donor_treemap(b["donors"]),
                                title="Programmable money by donor type, region and donor",
                                summary=logic.treemap_summary(b),
                            ),
                            subtitle="Click a box to zoom in",
                        ),
                        lg=7,
                    ),
                ]
            ),
            section(
                "Earmarking mix against the 30% aim",
                chart(
                    ids.DONORS_EARMARKING,
                    figures.earmarking_mix(
                        b["by_earmarking"], b["flexible_share"], b["grand_bargain_target"]
                    ),
                    title="Share of money by earmarking (Grand Bargain / UN Funding Compact aim: "
                    "30% unearmarked or softly earmarked)",
                    summary=logic.earmarking_summary(b),
                ),
            ),
            section(
                "Every donor",
                grid(ids.DONORS_TABLE, donors_table, DONOR_COLUMNS, label="Donors", totals=True),
                subtitle="Open a donor's profile from the Donor profile page",
            ),
        ]
    )
    return body, more, logic.donor_options(ctx.plan, ctx.aliases)


@callback(
    Output(ids.STRESS_RESULT, "children"),
    Input(ids.STRESS_RUN, "n_clicks"),
    State(ids.STRESS_MODE, "value"),
    State(ids.STRESS_TOP, "value"),
    State(ids.STRESS_DONORS, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    prevent_initial_call=True,
)
def run_stress(
    n: int | None, mode: str, top: str | None, picked: list[str] | None, scenario_data: Any
) -> Any:
    if not n:
        return no_update
    try:
        ctx = solve(get_config(), scenario_data)
        donors, label = logic.stress_donors(
            ctx.plan, ctx.aliases, mode, int(top or 0), picked or []
        )
        case = logic.stress_case(ctx.run, donors, label, ctx.aliases)
    except (NoPlan, ScenarioError, logic.StressChoiceError, ValueError) as exc:
        return error_alert(str(exc), title="Cannot run the stress test")
    t = case["totals"]
    below = case["below_min_viable_names"]
    before, after = case["breadth_before"], case["breadth_after"]
    rows = []
    for key, label_, kind in logic.STRESS_FIGURES:
        old, new = float(before[key]), float(after[key])
        if kind == "share":
            shown = (pct(old), pct(new), f"{100 * (new - old):+.1f} pts")
        elif kind == "count":
            shown = (count(old), count(new), f"{round(new - old):+,}")
        else:
            shown = (f"{old:,.1f}", f"{new:,.1f}", f"{new - old:+,.1f}")
        rows.append({"figure": label_, "before": shown[0], "after": shown[1], "change": shown[2]})
    removed = html.Ul(
        [html.Li(f"{who}: {usd(amount)} programmable") for who, amount in case["removed"]],
        className="mb-1",
        id=ids.STRESS_REMOVED,
    )
    return html.Div(
        [
            dbc.Alert(
                [
                    html.Strong(label.capitalize() + ": "),
                    f"{usd(case['removed_usd'])} of pledges lost; funded falls from "
                    f"{usd(t['funded_before'])} to {usd(t['funded_after'])}, the gap grows by "
                    f"{signed_usd(t['gap_after'] - t['gap_before'])}.",
                    html.Div("The donors removed:", className="mt-2"),
                    removed,
                    html.Div(logic.concentration_sentence(before["hhi"], after["hhi"])),
                ],
                color="warning",
                id=ids.STRESS_SUMMARY,
            ),
            (
                dbc.Alert(
                    [
                        "These programmes would fall below minimum viable funding: ",
                        html.Strong(", ".join(below)),
                    ],
                    color="danger",
                )
                if below
                else html.Div(
                    "No minimum-viable programme falls below its minimum.",
                    className="small text-muted mb-2",
                )
            ),
            chart(
                ids.STRESS_CHART,
                figures.stress_lines(case["frame"]),
                title="Gap before and after the loss, for the lines that lose money (USD m)",
                summary=logic.stress_summary(case["frame"]),
            ),
            html.H3("Donor-base figures before and after the loss", className="subhead"),
            frame_table(pd.DataFrame(rows), id_=ids.STRESS_FIGURES),
        ]
    )


@callback(
    Output(ids.RISK_RESULT, "children"),
    Input(ids.RISK_RUN, "n_clicks"),
    State(ids.RISK_DRAWS, "value"),
    State(ids.RISK_SEED, "value"),
    State(ids.WORKING_SCENARIO, "data"),
    background=True,
    running=[
        (Output(ids.RISK_RUN, "disabled"), True, False),
        (Output(ids.RISK_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(ids.RISK_CANCEL, "n_clicks")],
    progress=[Output(ids.RISK_PROGRESS, "value"), Output(ids.RISK_PROGRESS, "label")],
    progress_default=[0, ""],
    interval=150,  # how often the browser asks for progress: the result shows sooner
    prevent_initial_call=True,
)
def run_risk(set_progress: Any, n: int | None, draws: Any, seed: Any, scenario_data: Any) -> Any:
    """Background job: simulate pledge risk, reporting progress; Cancel kills the job."""
    if not n:
        return no_update
    try:
        n = int(draws)
        s = int(seed) if seed not in (None, "") else None
    except (TypeError, ValueError):
        return error_alert("draws and seed must be whole numbers", title="Cannot simulate")
    config = get_config()
    try:
        ctx = solve(config, scenario_data)

        def progress(done: int, total: int) -> None:
            set_progress((round(100.0 * done / max(total, 1)), f"{done} / {total} draws"))

        result = logic.simulate(
            ctx.plan, ctx.scenario, draws=n, seed=s, workers=config.risk_workers, progress=progress
        )
    except (NoPlan, ScenarioError, RiskError) as exc:
        return error_alert(str(exc), title="Cannot simulate")
    except Exception as exc:  # a background job must report, never vanish
        log.exception("risk simulation failed")
        return error_alert(f"{type(exc).__name__}: {exc}", title="The simulation failed")
    summary = logic.risk_summary(result)
    t = summary["totals"]
    by_line = pd.DataFrame(summary["by_line"])
    mv = pd.DataFrame(summary["min_viable"])
    planned = float(ctx.run.result.lines["funded_usd"].sum()) if len(ctx.run.result.lines) else 0.0
    parts: list[Any] = [
        dbc.Alert(
            f"{summary['draws_done']} draws in {summary['seconds']:.1f} s. Total funded: P10 "
            f"{usd(t.get('funded_p10'))}, P50 {usd(t.get('funded_p50'))}, "
            f"P90 {usd(t.get('funded_p90'))}"
            f" (plan with every pledge honoured: {usd(planned)}).",
            color="info",
            id=ids.RISK_SUMMARY,
        ),
        dbc.Row(
            [
                dbc.Col(
                    chart(
                        ids.RISK_HISTOGRAM,
                        figures.funded_histogram(summary["total_funded_draws"], planned),
                        title="Total funded over the simulated draws (USD m)",
                        summary=f"Half the draws fund less than {usd(t.get('funded_p50'))}; "
                        f"with every pledge honoured the plan funds {usd(planned)}.",
                    ),
                    md=12,
                ),
            ]
        ),
        chart(
            ids.RISK_BANDS,
            figures.risk_bands(by_line),
            title="Funding per line: median and 10th-90th percentile of the draws (USD m)",
            summary="Each dot is a line's median funding over the draws; the bar behind it its "
            "requirement, the whiskers the range of 8 in 10 draws.",
        ),
    ]
    if len(mv):
        parts += [
            html.H3(
                "Probability each minimum-viable programme reaches its minimum",
                className="subhead",
            ),
            frame_table(
                mv[["line_id", "name", "min_viable_share", "probability_funded"]],
                percent=("min_viable_share", "probability_funded"),
            ),
        ]
    return html.Div(parts)


@callback(
    Output(ids.RISK_STATUS, "children"),
    Input(ids.RISK_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def cancelled(n: int | None) -> Any:
    if not n:
        return no_update
    return info_alert(
        "Simulation cancelled; the figures below (if any) are from the last completed run.",
        color="light",
    )


@callback(
    Output(ids.RISK_STATUS, "children", allow_duplicate=True),
    Input(ids.RISK_RUN, "n_clicks"),
    prevent_initial_call=True,
)
def started(_: int) -> Any:
    return no_update if not _ else None
