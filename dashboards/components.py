"""Shared building blocks of the dashboard pages: number formats, cards, tables, grids,
charts, alerts.

Kept apart from the pages so every page formats money the same way ("USD 12.3m"), shows errors
the same way (a dismissable ``dbc.Alert``, never a traceback), draws every table of more than a
few rows as one paged AG Grid (:func:`grid`: the browser builds only the rows of the page
shown, each with its CSV and Excel download, :mod:`dashboards.downloads`) and every chart with
a title and a one-sentence summary that is also its text alternative (:func:`chart`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import dcc, html

from dashboards import ids
from dashboards.logic import filters


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


def count(value: float | int | None) -> str:
    """A count for people: a whole number with thousands separators ("37", never "37.0")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(float(value)):,}"


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


def error_alert(message: Any, *, title: str = "Something needs your attention") -> Any:
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
    # Wide tables scroll inside their card (phones), never the page; the scrolling box takes
    # the keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
    table = html.Div(
        dbc.Table(
            [head, html.Tbody(rows)],
            striped=True,
            hover=True,
            size="sm",
            className="mb-0 small",
            **kwargs,
        ),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-label": "Table (scrolls sideways on narrow screens)"},  # type: ignore[arg-type]
    )
    if len(frame) > max_rows:
        return html.Div(
            [table, html.Div(f"First {max_rows} of {len(frame)} rows.", className="text-muted")]
        )
    return table


def labelled(name: str, control: Any) -> list[Any]:
    """``control`` with a label only screen readers see: a placeholder is no name (WCAG 4.1.2,
    1.3.1), and a visible label would repeat what the placeholder or heading already says."""
    return [dbc.Label(name, html_for=control.id, class_name="visually-hidden"), control]


def section(title: str, children: Any, *, subtitle: str = "", id_: str = "") -> Any:
    """A titled card section of a page (its title is a level-2 heading under the page's h1)."""
    header: list[Any] = [html.H2(title, className="section-title mb-0")]
    if subtitle:
        header.append(html.Div(subtitle, className="text-muted small"))
    kwargs: dict[str, Any] = {"id": id_} if id_ else {}
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(children)], className="mb-4 shadow-sm", **kwargs
    )


def page_header(title: str, lead: str) -> Any:
    """The page's one h1 and its lead sentence."""
    return html.Div(
        [html.H1(title, className="page-title"), html.P(lead, className="lead text-muted")],
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


def filter_note(chosen: dict[str, str], shown: Any, whole: Any) -> Any:
    """A line saying which filters narrow the page (nothing when none does)."""
    if not filters.active(chosen):
        return None
    lines, all_lines = len(shown.programmes), len(whole.programmes)
    donors, all_donors = shown.pledges["donor"].nunique(), whole.pledges["donor"].nunique()
    return dbc.Alert(
        [
            html.Strong("Filtered: "),
            filters.describe(chosen),
            f" — {lines} of {all_lines} budget lines, {donors} of {all_donors} donors shown.",
        ],
        color="light",
        className="filter-note py-2",
        id=ids.FILTER_NOTE,
    )


# -- the user's scenario, solved and filtered ------------------------------------------------
class View(NamedTuple):
    """What a page shows: the user's solved scenario (``ctx``), the run narrowed by the shared
    filters of the address (``run``) and those filters (``chosen``)."""

    ctx: Any
    run: Any
    chosen: dict[str, str]


class ViewRefused(Exception):
    """No view: ``alert`` says why (no plan yet, an invalid scenario)."""

    def __init__(self, alert: Any) -> None:
        super().__init__("view refused")
        self.alert = alert


def view(scenario_data: Any, search: str | None, *, keep: tuple[str, ...] = filters.KEYS) -> View:
    """The page's :class:`View`; only the filters in ``keep`` apply. Raises
    :class:`ViewRefused` with the alert to show instead."""
    from appeal.service import NoPlan
    from dashboards.state import get_config, solve
    from models.scenario import ScenarioError

    try:
        ctx = solve(get_config(), scenario_data)
    except NoPlan as exc:
        raise ViewRefused(info_alert(str(exc), color="warning")) from None
    except ScenarioError as exc:
        raise ViewRefused(error_alert(str(exc), title="The scenario is invalid")) from None
    chosen = {k: v for k, v in filters.parse(search).items() if k in keep}
    return View(ctx=ctx, run=filters.apply(ctx.run, chosen), chosen=chosen)


# -- grids ------------------------------------------------------------------------------------
Kind = Literal["text", "money", "signed", "percent", "count", "number"]

# AG Grid value formatters (dash-ag-grid parses these expressions itself: no eval, CSP-safe).
_FORMATS: dict[str, str] = {
    "money": "params.value == null ? '' : d3.format(',.0f')(params.value)",
    "signed": "params.value == null ? '' : d3.format('+,.0f')(params.value)",
    "percent": "params.value == null ? '' : d3.format('.1%')(params.value)",
    "count": "params.value == null ? '' : d3.format(',d')(params.value)",
    "number": "params.value == null ? '' : d3.format(',.2~f')(params.value)",
}
PAGE_SIZE = 15


@dataclass(frozen=True)
class Col:
    """One column of a grid: its field in the rows, its header and how values are shown."""

    field: str
    header: str
    kind: Kind = "text"
    width: int | None = None
    pinned: bool = False

    def definition(self) -> dict[str, Any]:
        d: dict[str, Any] = {"field": self.field, "headerName": self.header}
        if self.kind != "text":
            d["type"] = "rightAligned"
            d["filter"] = "agNumberColumnFilter"
            d["valueFormatter"] = {"function": _FORMATS[self.kind]}
        if self.width:
            d["minWidth"] = self.width
        if self.pinned:
            d["pinned"] = "left"
        return d


def rows_of(frame: pd.DataFrame, columns: Sequence[Col]) -> list[dict[str, Any]]:
    """The frame's rows as JSON-safe dicts holding only the grid's columns (small payloads:
    money rounded to the dollar, shares to 4 digits)."""
    fields = [c.field for c in columns]
    if frame is None or frame.empty:
        return []
    part = frame.reindex(columns=fields)
    out: dict[str, list[Any]] = {}
    for col in columns:
        values = part[col.field]
        if col.kind in ("money", "signed", "count"):
            num = pd.to_numeric(values, errors="coerce").round(0)
            out[col.field] = [None if pd.isna(v) else int(v) for v in num]
        elif col.kind in ("percent", "number"):
            num = pd.to_numeric(values, errors="coerce").round(4)
            out[col.field] = [None if pd.isna(v) else float(v) for v in num]
        else:
            out[col.field] = [
                "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                for v in values
            ]
    return [dict(zip(fields, rec, strict=True)) for rec in zip(*out.values(), strict=True)]


def totals_row(frame: pd.DataFrame, columns: Sequence[Col], label: str = "Total") -> dict[str, Any]:
    """A totals row for a grid: sums of the money and count columns, ``label`` in the first."""
    row: dict[str, Any] = {columns[0].field: label}
    for col in columns[1:]:
        if col.kind in ("money", "signed", "count") and col.field in frame.columns:
            row[col.field] = round(float(pd.to_numeric(frame[col.field]).sum()))
    return row


def grid(
    id_: str,
    frame: pd.DataFrame,
    columns: Sequence[Col],
    *,
    label: str,
    totals: bool = False,
    page_size: int = PAGE_SIZE,
    row_id: str | None = None,
) -> Any:
    """A paged AG Grid of ``frame`` (the browser builds only the page of rows shown) with its
    CSV and Excel downloads; ``label`` names it for screen readers and the download's file.
    ``totals`` pins a totals row (money and counts) under it."""
    options: dict[str, Any] = {
        "pagination": len(frame) > page_size,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "domLayout": "autoHeight",
        "suppressMovableColumns": True,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
    }
    if totals:
        options["pinnedBottomRowData"] = [totals_row(frame, columns)]
    kwargs: dict[str, Any] = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return html.Div(
        [
            dag.AgGrid(
                id=id_,
                rowData=rows_of(frame, columns),
                columnDefs=[c.definition() for c in columns],
                defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90},
                columnSize="responsiveSizeToFit",
                dashGridOptions=options,
                className="ag-theme-alpine",
                style={"width": "100%"},
                **kwargs,
            ),
            download_buttons(id_, label),
        ],
        role="region",
        **{"aria-label": label},  # type: ignore[arg-type]
        className="grid-block",
    )


def download_buttons(grid_id: str, label: str) -> Any:
    """The CSV and Excel buttons of a grid (:mod:`dashboards.downloads` answers them)."""
    buttons = [
        dbc.Button(
            f"Download {name}",
            id=ids.download(grid_id, fmt),
            size="sm",
            color="secondary",
            outline=True,
            className="me-2",
            title=f"{label} as {what}",
        )
        for fmt, name, what in (
            ("csv", "CSV", "a CSV file"),
            ("xlsx", "Excel", "an Excel workbook"),
        )
    ]
    return html.Div(
        [*buttons, dcc.Download(id=ids.download(grid_id, "file"))],
        className="mt-2 download-buttons",
    )


# -- charts -----------------------------------------------------------------------------------
def chart(id_: str, figure: Any, *, title: str, summary: str, height: int | None = None) -> Any:
    """A chart with its title and one-sentence summary; the summary is shown under the title
    and is the chart's text alternative (the plot itself is an image to screen readers)."""
    extra: dict[str, Any] = {"style": {"height": f"{height}px"}} if height else {}
    return html.Figure(
        [
            html.Figcaption(
                [
                    html.Div(title, className="chart-title"),
                    html.P(summary, className="chart-summary"),
                ]
            ),
            html.Div(
                dcc.Graph(
                    id=id_,
                    figure=figure,
                    config={"displayModeBar": False},
                    **extra,
                ),
                role="img",
                **{"aria-label": f"{title}. {summary}"},  # type: ignore[arg-type]
            ),
        ],
        className="chart mb-0",
    )
