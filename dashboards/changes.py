"""The Overview's "what changed": today's figures compared with a chosen reference — an edition
(the default: the latest one) or a saved scenario as it was when saved — named with its date.

Against an edition, the comparison is :func:`appeal.workspace.compare`: the headline, every
line whose funding moved (the lines' changes add up to the headline's funded change; the
table says so and shows the sum) and every new, changed and withdrawn pledge with its reason.
Against a saved scenario, the summary saved with it is compared with the same scenario solved
on today's plan (:func:`dashboards.logic.overview.changes_since`).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from appeal import service, workspace
from appeal.register import RegisterError
from appeal.service import NoPlan
from dashboards import ids
from dashboards.components import (
    error_alert,
    frame_table,
    info_alert,
    pct,
    section,
    signed_usd,
    usd,
)
from dashboards.logic import overview as logic
from dashboards.logic.scenarios import line_names
from dashboards.roles import current_user
from dashboards.state import get_config, open_register, result_cache, solve, solve_scenario
from dashboards.wiring import Callbacks
from models.scenario import ScenarioError

__all__ = ["changes_panel", "comparison_view"]

# Registered on each app by dashboards.app.create_app (see dashboards.wiring).
callbacks = Callbacks()

SCENARIO_PREFIX = "scenario:"


def changes_panel() -> Any:
    return section(
        "What changed",
        [
            dbc.Row(
                [
                    dbc.Col(
                        html.Label(
                            "Compared with",
                            htmlFor=ids.OVERVIEW_REFERENCE,
                            className="control-label",
                        ),
                        width="auto",
                    ),
                    dbc.Col(dcc.Dropdown(id=ids.OVERVIEW_REFERENCE, clearable=False), md=6),
                ],
                className="g-2 mb-2 align-items-center",
            ),
            dcc.Loading(html.Div(id=ids.OVERVIEW_CHANGES), type="dot"),
        ],
        subtitle="Today's figures against a published edition or a saved scenario.",
    )


def _options() -> tuple[list[dict[str, Any]], Any]:
    register = open_register(get_config())
    editions = register.editions()
    options = [
        {"label": f"Edition as at {r['as_at']} · {r['title']}", "value": int(r["edition_id"])}
        for r in editions.to_dict("records")
    ][::-1]
    # Saved scenarios are the analysts' work; viewers and focal points compare with editions.
    saved = (
        register.list_scenarios()
        if current_user().can("analyst")
        else pd.DataFrame(columns=["name"])
    )
    options += [
        {"label": f"Scenario “{n}” as saved", "value": SCENARIO_PREFIX + str(n)}
        for n in saved["name"]
    ]
    default = options[0]["value"] if options else None
    if len(editions) == 0 and len(saved):  # no edition yet: the last saved scenario
        row = logic.last_saved(saved)
        default = SCENARIO_PREFIX + str(row["name"]) if row else default
    return options, default


@callbacks(
    Output(ids.OVERVIEW_REFERENCE, "options"),
    Output(ids.OVERVIEW_REFERENCE, "value"),
    Input(ids.WORKING_SCENARIO, "data"),
)
def references(_: Any) -> tuple[Any, Any]:
    return _options()


@callbacks(
    Output(ids.OVERVIEW_CHANGES, "children"),
    Input(ids.OVERVIEW_REFERENCE, "value"),
    Input(ids.WORKING_SCENARIO, "data"),
)
def show_changes(reference: Any, scenario_data: dict[str, Any] | None) -> Any:
    if reference is None:
        return info_alert(
            "Nothing to compare with yet: publish an edition (Editions page) or save a scenario.",
            color="light",
        )
    config = get_config()
    try:
        ctx = solve(config, scenario_data)
        if str(reference).startswith(SCENARIO_PREFIX):
            if not current_user().can("analyst"):
                return error_alert("saved scenarios are for analysts", title="Could not compare")
            return _since_saved(ctx.run, str(reference).removeprefix(SCENARIO_PREFIX))
        c = workspace.compare(
            open_register(config),
            int(reference),
            workspace.TODAY,
            cache=result_cache(config),
            today=ctx.scenario,
        )
    except (NoPlan, ScenarioError, RegisterError, ValueError) as exc:
        return error_alert(str(exc), title="Could not compare")
    return comparison_view(c, lines_id=ids.OVERVIEW_CHANGE_LINES)


def comparison_view(
    c: workspace.Comparison,
    *,
    headline_id: str = "",
    pledges_id: str = "",
    lines_id: str = "",
    donors_id: str = "",
) -> Any:
    """A comparison for people: the headline, every new, changed and withdrawn pledge, the
    lines whose funding moved with their sum (the headline's funded change), the donors."""
    moved = c.lines[c.lines["change"].abs() > 0.5]
    total = {
        "line_id": "",
        "name": "All lines",
        "funded_a": c.lines["funded_a"].sum(),
        "funded_b": c.lines["funded_b"].sum(),
        "change": c.lines["change"].sum(),
    }
    lines = pd.concat([moved, pd.DataFrame([total])], ignore_index=True)
    then, now = "A" if c.label_b != "today" else "then", "B" if c.label_b != "today" else "today"
    return html.Div(
        [
            html.P(f"{c.label_b[:1].upper()}{c.label_b[1:]} compared with {c.label_a}."),
            frame_table(
                c.headline.rename(columns={"a": then, "b": now}),
                money=(then, now),
                signed=("change",),
                id_=headline_id,
            ),
            html.H6(f"Pledges new, changed or withdrawn ({len(c.pledges)})", className="mt-3"),
            frame_table(
                c.pledges,
                money=("usd_a", "usd_b"),
                headers={"usd_a": f"{then} (USD)", "usd_b": f"{now} (USD)"},
                max_rows=500,
                id_=pledges_id,
            )
            if len(c.pledges)
            else html.Div("No pledge changed.", className="text-muted small"),
            html.H6(
                f"Where the funded change of {signed_usd(c.funded_change)} comes from "
                f"({len(moved)} lines moved; the last row is their sum)",
                className="mt-3",
            ),
            frame_table(
                lines.rename(columns={"funded_a": f"funded {then}", "funded_b": f"funded {now}"}),
                money=(f"funded {then}", f"funded {now}"),
                signed=("change",),
                max_rows=500,
                id_=lines_id,
            ),
            html.H6(f"Donors whose pledges changed ({len(c.donors)})", className="mt-3"),
            frame_table(
                c.donors,
                money=("usd_a", "usd_b"),
                signed=("change",),
                headers={"usd_a": f"{then} (USD)", "usd_b": f"{now} (USD)"},
                id_=donors_id,
            ),
        ]
    )


def _since_saved(ctx_run: Any, name: str) -> Any:
    """What changed since scenario ``name`` was saved (its saved summary against today)."""
    config = get_config()
    reg = open_register(config)
    frame = reg.list_scenarios()
    match = frame.loc[frame["name"] == name]
    if match.empty:
        return info_alert(f"No saved scenario named {name!r}.", color="light")
    row = {str(k): v for k, v in match.iloc[0].to_dict().items()}
    saved_summary = logic.parse_summary(row.get("summary"))
    if saved_summary is None:
        return info_alert(f"Scenario {name!r} was saved without a summary; nothing to compare.")
    now_run = solve_scenario(config, ctx_run.plan, reg.get_scenario(name))
    now = service.run_summary(now_run)
    when = logic.saved_at_text(row)
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
    parts: list[Any] = [
        html.P(intro),
        frame_table(pd.DataFrame(items), headers={"saved": "when saved", "now": "today"}),
    ]
    if len(lines):
        parts += [
            html.H6("Lines whose funding moved", className="mt-3"),
            frame_table(
                lines,
                money=("funded_saved", "funded_now"),
                signed=("funded_delta",),
                headers={
                    "funded_saved": "funded then",
                    "funded_now": "funded now",
                    "funded_delta": "change",
                },
                max_rows=500,
            ),
        ]
    return html.Div(parts)
