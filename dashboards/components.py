"""Shared building blocks of the dashboard pages: number formats, cards, tables, alerts.

Kept apart from the pages so every page formats money the same way ("USD 12.3m") and shows
errors the same way (a dismissable ``dbc.Alert``, never a traceback).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboards import ids


def usd(value: float | int | None, *, precise: bool = False) -> str:
    """Money for people: "USD 12.3m", "USD 850k", "USD 0"; negative with a minus sign."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if precise:
        return f"{sign}USD {a:,.0f}"
    if a >= 1e9:
        return f"{sign}USD {a / 1e9:.2f}bn"
    if a >= 1e6:
        return f"{sign}USD {a / 1e6:.1f}m"
    if a >= 1e3:
        return f"{sign}USD {a / 1e3:.0f}k"
    return f"{sign}USD {a:,.0f}"


def signed_usd(value: float) -> str:
    """A change in money with an explicit sign ("+USD 1.2m")."""
    if abs(value) < 0.5:
        return "±USD 0"
    return ("+" if value > 0 else "") + usd(value)


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100.0 * float(value):.{digits}f}%"


def card(title: str, value: str, note: str = "", *, tone: str = "primary", id_: str = "") -> Any:
    """A headline figure card; ``tone`` is a Bootstrap colour for the left border."""
    body = [
        html.Div(title, className="kpi-title"),
        html.Div(value, className="kpi-value"),
    ]
    if note:
        body.append(html.Div(note, className="kpi-note"))
    kwargs: dict[str, Any] = {"id": id_} if id_ else {}
    return dbc.Card(dbc.CardBody(body), className=f"kpi-card border-start-{tone} h-100", **kwargs)


def error_alert(message: str, *, title: str = "Something needs your attention") -> Any:
    return dbc.Alert(
        [html.Strong(title + ": "), message],
        color="danger",
        dismissable=True,
        className="mb-3",
    )


def info_alert(message: Any, *, color: str = "info") -> Any:
    return dbc.Alert(message, color=color, className="mb-3")


def frame_table(
    frame: pd.DataFrame,
    *,
    money: Sequence[str] = (),
    percent: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    max_rows: int = 200,
    id_: str = "",
    signed: Sequence[str] = (),
) -> Any:
    """A striped Bootstrap table of ``frame`` with money and percentage columns formatted."""
    headers = headers or {}
    shown = frame.head(max_rows)
    head = html.Thead(
        html.Tr(
            [
                html.Th(
                    headers.get(str(c), str(c).replace("_", " ")),
                    className="text-end" if c in money or c in percent or c in signed else "",
                )
                for c in shown.columns
            ]
        )
    )
    rows = []
    for rec in shown.to_dict("records"):
        cells = []
        for c in shown.columns:
            v = rec[c]
            if c in signed:
                cells.append(html.Td(signed_usd(float(v)), className="text-end num"))
            elif c in money:
                cells.append(html.Td(usd(v), className="text-end num"))
            elif c in percent:
                cells.append(html.Td(pct(v), className="text-end num"))
            else:
                cells.append(html.Td("" if v is None else str(v)))
        rows.append(html.Tr(cells))
    kwargs: dict[str, Any] = {"id": id_} if id_ else {}
    table = dbc.Table(
        [head, html.Tbody(rows)],
        striped=True,
        hover=True,
        size="sm",
        responsive=True,
        className="mb-0 small",
        **kwargs,
    )
    if len(frame) > max_rows:
        return html.Div(
            [table, html.Div(f"First {max_rows} of {len(frame)} rows.", className="text-muted")]
        )
    return table


def section(title: str, children: Any, *, subtitle: str = "", id_: str = "") -> Any:
    """A titled card section of a page."""
    header: list[Any] = [html.H5(title, className="mb-0")]
    if subtitle:
        header.append(html.Div(subtitle, className="text-muted small"))
    kwargs: dict[str, Any] = {"id": id_} if id_ else {}
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(children)], className="mb-4 shadow-sm", **kwargs
    )


def page_header(title: str, lead: str) -> Any:
    return html.Div(
        [html.H2(title, className="page-title"), html.P(lead, className="lead text-muted")],
        className="mb-3",
    )


def working_store() -> Any:
    """The scenario this browser tab is editing (aliases, never donor names).

    Every page carries this store in its own layout rather than the app shell: session storage
    keeps the value across pages, and a store rendered together with the page's buttons lets
    ``prevent_initial_call`` work (Dash fires button callbacks on page load when their outputs
    live outside the page).
    """
    return dcc.Store(id=ids.WORKING_SCENARIO, storage_type="session")
