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
from dashboards import figures, ids
from dashboards.components import (
    card,
    error_alert,
    frame_table,
    info_alert,
    page_header,
    pct,
    section,
    signed_usd,
    usd,
    working_store,
)
from dashboards.logic import donors as logic
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
                        dbc.Select(
                            id=ids.STRESS_TOP,
                            options=[{"label": f"Top {k}", "value": str(k)} for k in (1, 2, 3, 5)],
                            value="1",
                            size="sm",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dcc.Dropdown(id=ids.STRESS_DONORS, multi=True, placeholder="Pick donors"),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Run stress test", id=ids.STRESS_RUN, color="primary", size="sm"
                        ),
                        md=3,
                    ),
                ],
                className="g-2 mb-3 align-items-center",
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
                            html.Div("Draws", className="control-label"),
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
                            html.Div("Seed", className="control-label"),
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
            dbc.Progress(
                id=ids.RISK_PROGRESS,
                value=0,
                label="",
                striped=True,
                animated=True,
                className="mb-3",
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
            dbc.Row([dbc.Col(stress, lg=6), dbc.Col(risk, lg=6)]),
        ]
    )


@callback(
    Output(ids.DONORS_BODY, "children"),
    Output(ids.STRESS_DONORS, "options"),
    Input(ids.WORKING_SCENARIO, "data"),
)
def render(scenario_data: dict[str, Any] | None) -> tuple[Any, Any]:
    try:
        ctx = solve(get_config(), scenario_data)
    except NoPlan as exc:
        return info_alert(str(exc), color="warning"), []
    except ScenarioError as exc:
        return error_alert(str(exc), title="The scenario is invalid"), []
    b = logic.breadth_view(ctx.plan, ctx.aliases)
    flex_ok = b["flexible_share"] >= b["grand_bargain_target"]
    cards = [
        card("Donors", str(b["donor_count"]), f"{b['flexible_donor_count']} give flexible money"),
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
            dbc.Row(
                [dbc.Col(c, xs=6, md=4, xl=True, className="mb-3") for c in cards], className="g-3"
            ),
            section(
                "Who funds what",
                dcc.Graph(
                    id=ids.DONORS_SANKEY,
                    figure=figures.sankey(logic.flows(ctx.run, ctx.aliases), ctx.plan.programmes),
                    config={"displaylogo": False},
                ),
                subtitle=f"Donor → category → budget line under “{ctx.scenario.name}”; "
                "the 15 largest donors shown, the rest grouped",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Concentration",
                            dcc.Graph(
                                id=ids.DONORS_LORENZ,
                                figure=figures.lorenz(b["lorenz"], b["gini"]),
                                config={"displaylogo": False},
                            ),
                            subtitle="Lorenz curve: further from the diagonal = more concentrated",
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        section(
                            "Donors by type and region",
                            dcc.Graph(
                                id=ids.DONORS_TREEMAP,
                                figure=figures.donor_treemap(b["donors"]),
                                config={"displaylogo": False},
                            ),
                            subtitle="Click a box to zoom in",
                        ),
                        lg=7,
                    ),
                ]
            ),
            section(
                "Earmarking mix against the 30% aim",
                dcc.Graph(
                    id=ids.DONORS_EARMARKING,
                    figure=figures.earmarking_mix(
                        b["by_earmarking"], b["flexible_share"], b["grand_bargain_target"]
                    ),
                    config={"displaylogo": False},
                ),
                subtitle="Grand Bargain / UN Funding Compact: 30% unearmarked or softly earmarked",
            ),
        ]
    )
    return body, logic.donor_options(ctx.plan, ctx.aliases)


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
    change = pd.DataFrame(
        [
            {"figure": k.replace("_", " "), "after": case["breadth_after"][k], "change": v}
            for k, v in case["breadth_change"].items()
            if k in ("donor_count", "hhi", "effective_donors", "top1_share", "flexible_share")
        ]
    )
    change["after"] = [
        pct(v) if "share" in f else f"{v:,.1f}"
        for f, v in zip(change["figure"], change["after"], strict=True)
    ]
    change["change"] = [
        f"{100 * v:+.1f} pts" if "share" in f else f"{v:+,.1f}"
        for f, v in zip(change["figure"], change["change"], strict=True)
    ]
    return html.Div(
        [
            dbc.Alert(
                [
                    html.Strong(label.capitalize() + ": "),
                    f"{usd(case['removed_usd'])} of pledges lost; funded falls from "
                    f"{usd(t['funded_before'])} to {usd(t['funded_after'])}, the gap grows by "
                    f"{signed_usd(t['gap_after'] - t['gap_before'])}.",
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
            dcc.Graph(figure=figures.stress_lines(case["frame"]), config={"displaylogo": False}),
            html.H6("Donor-base figures after the loss"),
            frame_table(change),
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
    interval=400,
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
                    dcc.Graph(
                        figure=figures.funded_histogram(summary["total_funded_draws"], planned),
                        config={"displaylogo": False},
                    ),
                    md=12,
                ),
            ]
        ),
        dcc.Graph(figure=figures.risk_bands(by_line), config={"displaylogo": False}),
    ]
    if len(mv):
        parts += [
            html.H6("Probability each minimum-viable programme reaches its minimum"),
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
