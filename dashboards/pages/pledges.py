"""Pledges page: upload a pledge file, see every rejected row before anything is stored,
confirm to store, browse and edit stored pledges, download the blank template.

The file travels once: the check keeps the parsed, checked rows on the server under a token
(:mod:`dashboards.uploads`) and clears the browser's copy; Confirm sends only the token.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from appeal.service import NoPlan
from appeal.template import build_template
from dashboards import downloads, ids, uploads
from dashboards.components import (
    Col,
    download_buttons,
    error_alert,
    grid,
    info_alert,
    page_header,
    section,
)
from dashboards.logic import filters, words
from dashboards.logic import pledges as logic
from dashboards.notes_panel import pledge_notes
from dashboards.state import aliases_for, get_config, load_plan, open_register
from models.plan import EARMARKING, STATUSES

dash.register_page(
    __name__, path="/pledges", name="Pledges", title="Pledges · Appeal planner", order=1
)

# The upload's layout choice, the rejected-rows download and the missing-rate form (issue 12;
# their ids live here until the ids module takes them).
UPLOAD_FORMAT = "upload-format"
UPLOAD_REVIEW_TOKEN = "upload-review-token"
REJECTED_BUTTON = "upload-rejected-button"
REJECTED_DOWNLOAD = "upload-rejected-download"
RATE_CURRENCY = "upload-rate-currency"
RATE_VALUE = "upload-rate-value"
RATE_BUTTON = "upload-rate-button"
RATE_MESSAGE = "upload-rate-message"
RATE_CARD = "upload-rate-card"
_HIDDEN: dict[str, str] = {"display": "none"}
_SHOWN: dict[str, str] = {}
#: Who may add an exchange rate from the upload report. The app has no roles yet: with the
#: accounts of issue 10 the callback checks this role on the server.
RATE_ROLE = "analyst"
FORMAT_OPTIONS = [
    {"label": "Planner template (xlsx / csv)", "value": "contract"},
    {"label": "FTS download (HDX incoming funding)", "value": "fts"},
    {"label": "IATI activity file (XML)", "value": "iati"},
]
log = logging.getLogger(__name__)


def _column_defs() -> list[dict[str, Any]]:
    money = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
    return [
        {"field": "pledge_id", "headerName": "Pledge", "pinned": "left", "minWidth": 175},
        {"field": "donor", "headerName": "Donor", "minWidth": 190},
        {
            "field": "gross_usd",
            "headerName": "Amount (USD)",
            "type": "rightAligned",
            "filter": "agNumberColumnFilter",
            "valueFormatter": money,
            "minWidth": 140,
            "headerTooltip": "The pledge in US dollars at the plan's exchange rates",
        },
        {
            "field": "programmable_usd",
            "headerName": "Programmable (USD)",
            "type": "rightAligned",
            "filter": "agNumberColumnFilter",
            "valueFormatter": money,
            "minWidth": 150,
            "headerTooltip": "After programme support costs: what the plan can allocate",
        },
        {
            "field": "amount",
            "headerName": "Amount (original)",
            "type": "rightAligned",
            "filter": "agNumberColumnFilter",
            "valueFormatter": money,
            "minWidth": 130,
        },
        {"field": "currency", "headerName": "Cur.", "maxWidth": 90},
        {
            "field": "first_year",
            "headerName": "From",
            "maxWidth": 95,
            "filter": "agNumberColumnFilter",
        },
        {
            "field": "last_year",
            "headerName": "To",
            "maxWidth": 95,
            "filter": "agNumberColumnFilter",
        },
        {
            "field": "earmarking",
            "headerName": "Earmarking",
            "minWidth": 150,
            "filterParams": {"values": [words.label("earmarking", e) for e in EARMARKING]},
        },
        {"field": "earmark_to", "headerName": "Earmarked to", "minWidth": 130},
        {
            "field": "status",
            "headerName": "Status ✎",
            "editable": True,
            "cellEditor": "agSelectCellEditor",
            "cellEditorParams": {"values": list(STATUSES)},
            # Shown in words ("Paid"), edited and stored as the code.
            "valueFormatter": {
                "function": "params.value ? params.value.charAt(0).toUpperCase() + "
                "params.value.slice(1) : ''"
            },
            "cellClass": "editable-cell",
            "headerTooltip": "Double-click a status to change it",
            "minWidth": 120,
        },
        {"field": "psc_rate", "headerName": "PSC", "maxWidth": 90, "type": "rightAligned"},
        {"field": "source_file", "headerName": "Source file", "minWidth": 160},
        {"field": "source_row", "headerName": "Row", "maxWidth": 90},
    ]


def layout(**_: Any) -> Any:
    limit = get_config().upload_limit_bytes
    upload = html.Div(
        dcc.Upload(
            id=ids.PLEDGE_UPLOAD,
            children=html.Div(
                [
                    html.Div("⇪", className="fs-2 text-primary"),
                    html.Div(
                        [html.Strong("Drag and drop a pledge file here"), " or click to choose"]
                    ),
                    html.Div(
                        f".xlsx or .csv, up to {limit // (1024 * 1024)} MB",
                        className="help mt-1",
                    ),
                ]
            ),
            max_size=limit,
            # No accept filter: a refused type must reach the checks that say why (the
            # browser would drop it silently); assets/upload_limit.js says so at once.
            multiple=False,
            className="upload-zone",
            className_active="upload-zone upload-zone-active",
            className_reject="upload-zone upload-zone-reject",
        ),
        # data-* attributes tell assets/upload_limit.js the limit and where to explain it.
        **{  # type: ignore[arg-type]
            "data-max-bytes": str(limit),
            "data-accept": ",".join(logic.ALLOWED_SUFFIXES),
            "data-message-target": ids.UPLOAD_SIZE_MESSAGE,
            "data-label": "Upload a pledge file (.xlsx or .csv)",
        },
    )
    upload_card = section(
        "1 · Upload pledges",
        [
            html.P(
                "Every row is checked against the plan's budget lines and exchange rates. "
                "Nothing is stored until you confirm.",
                className="small text-muted",
            ),
            html.Div(
                [
                    html.Label("The file is", htmlFor=UPLOAD_FORMAT, className="small"),
                    dcc.Dropdown(
                        id=UPLOAD_FORMAT,
                        options=FORMAT_OPTIONS,
                        value="contract",
                        clearable=False,
                        className="mb-2",
                    ),
                ]
            ),
            upload,
            dbc.Alert(
                id=ids.UPLOAD_SIZE_MESSAGE,
                color="danger",
                className="mt-3 mb-0",
                style={"display": "none"},
            ),
            html.Hr(),
            html.Div(
                [
                    dbc.Button(
                        "Download the blank pledge template",
                        id=ids.TEMPLATE_DOWNLOAD_BUTTON,
                        color="secondary",
                        outline=True,
                        size="sm",
                    ),
                    html.Div(
                        "Drop-downs for earmarking and status, and an instructions sheet.",
                        className="help mt-1",
                    ),
                    dcc.Download(id=ids.TEMPLATE_DOWNLOAD),
                ]
            ),
        ],
    )
    check_card = section(
        "2 · Check and confirm",
        [
            dcc.Loading(
                html.Div(
                    info_alert("Upload a file to see its validation report here.", color="light"),
                    id=ids.UPLOAD_CHECK,
                ),
                type="dot",
            ),
            dbc.Button(
                "Confirm and store",
                id=ids.UPLOAD_CONFIRM,
                color="primary",
                disabled=True,
                className="mt-2",
            ),
            dbc.Button(
                "Download the rejected rows (xlsx, with a reason column)",
                id=REJECTED_BUTTON,
                color="secondary",
                outline=True,
                size="sm",
                className="mt-2 ms-2",
                style=_HIDDEN,
            ),
            _rate_form(),
            html.Div(id=ids.UPLOAD_RESULT, className="mt-3"),
            dcc.Store(id=ids.UPLOAD_TOKEN),
            dcc.Store(id=UPLOAD_REVIEW_TOKEN),
            dcc.Download(id=REJECTED_DOWNLOAD),
        ],
    )
    pledge_grid = dag.AgGrid(
        id=ids.PLEDGES_GRID,
        columnDefs=_column_defs(),
        rowData=[],
        defaultColDef={
            "filter": True,
            "sortable": True,
            "resizable": True,
            "floatingFilter": True,
            "minWidth": 100,
        },
        getRowId="params.data.pledge_id",
        columnSize="responsiveSizeToFit",
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "paginationPageSizeSelector": [20, 50, 100],
            "tooltipShowDelay": 200,
            "stopEditingWhenCellsLoseFocus": True,
            "singleClickEdit": False,
            "pinnedBottomRowData": [],
        },
        style={"height": "640px", "width": "100%"},
    )
    return html.Div(
        [
            page_header(
                "Pledges",
                "Import donors' pledge spreadsheets, check every row before it is stored, and "
                "keep pledge statuses up to date.",
            ),
            dcc.Store(id=ids.PLEDGES_VERSION, data=0),
            dbc.Row([dbc.Col(upload_card, lg=5), dbc.Col(check_card, lg=7)]),
            section(
                "3 · Stored pledges",
                [
                    html.P(
                        "Amounts in US dollars at the plan's exchange rates; the totals row "
                        "follows your filters. Filter and sort any column. Double-click a status "
                        "to change it (pledged, committed or paid); the change is validated and "
                        "stored at once.",
                        className="small text-muted",
                    ),
                    html.Div(id=ids.GRID_MESSAGE),
                    pledge_grid,
                    download_buttons(ids.PLEDGES_GRID, "Stored pledges"),
                ],
                subtitle="Confidential donors are shown as “Anonymous donor N”.",
            ),
            pledge_notes(),
        ]
    )


@callback(
    Output(ids.UPLOAD_CHECK, "children"),
    Output(ids.UPLOAD_CONFIRM, "disabled"),
    Output(ids.UPLOAD_CONFIRM, "children"),
    Output(ids.UPLOAD_RESULT, "children"),
    Output(ids.UPLOAD_TOKEN, "data"),
    Output(ids.PLEDGE_UPLOAD, "contents"),
    Output(UPLOAD_REVIEW_TOKEN, "data"),
    Output(REJECTED_BUTTON, "style"),
    Output(RATE_CARD, "style"),
    Output(RATE_CURRENCY, "options"),
    Output(RATE_CURRENCY, "value"),
    Input(ids.PLEDGE_UPLOAD, "contents"),
    State(ids.PLEDGE_UPLOAD, "filename"),
    State(UPLOAD_FORMAT, "value"),
    prevent_initial_call=True,
)
def check(contents: str | None, filename: str | None, fmt: str | None) -> tuple[Any, ...]:
    """Validate the upload and list every rejected row; store nothing, keep the checked rows
    on the server and give the browser their token (and drop its copy of the file)."""
    if contents is None:
        raise PreventUpdate  # the browser's copy was just cleared below
    config = get_config()
    try:
        data = logic.decode_upload(contents, filename, config.upload_limit_bytes)
        plan = load_plan(config)
    except (logic.UploadError, NoPlan) as exc:
        refused = error_alert(str(exc), title="File refused")
        hidden: tuple[Any, ...] = (_HIDDEN, _HIDDEN, [], None)
        return (refused, True, "Confirm and store", None, None, None, None, *hidden)
    panel, disabled, label, store, review, *visible = _report(
        data, filename or "upload", fmt or "contract", plan
    )
    return (panel, disabled, label, None, store, None, review, *visible)


def _report(data: bytes, filename: str, fmt: str, plan: Any) -> tuple[Any, ...]:
    """Check an upload and keep it on the server: (check panel, confirm disabled, confirm
    label, token to store it — None when nothing can be — and the token it is kept under)."""
    result = logic.check_upload(data, filename, plan, fmt)
    token = uploads.keep(
        get_config(),
        who=uploads.owner(),
        filename=result.filename,
        data=data,
        check=result,
        reference=logic.reference_digest(plan),
    )
    label = "Confirm and store"
    colour, sentence = logic.check_message(result)
    errors = logic.error_frame(result.report)
    parts: list[Any] = [dbc.Alert(sentence, color=colour, id=ids.UPLOAD_SUMMARY)]
    if result.can_store:
        new, updated, taken = logic.new_and_updated(result, open_register(get_config()).pledges())
        plan_text = (
            f"Confirming stores {new} new pledge{'s' if new != 1 else ''} and updates "
            f"{updated} stored pledge{'s' if updated != 1 else ''} (same pledge id, same file)."
        )
        if result.adjusted:
            plan_text += " Its " + logic.adjusted_sentence(result) + "."
        if taken:
            plan_text += (
                f" {taken} row{'s' if taken != 1 else ''} reuse{'s' if taken == 1 else ''} the "
                "pledge id of a pledge stored from another file: nothing will be stored until "
                "they have their own ids."
            )
        parts.append(html.P(plan_text, id=ids.UPLOAD_PLAN, className="small"))
    if len(errors):
        parts.append(html.H3(f"Rejected rows and problems ({len(errors)})", className="subhead"))
        parts.append(
            grid(ids.UPLOAD_ERRORS, errors, ERROR_COLUMNS, label="Rejected rows and problems")
        )
    missing = result.report.missing_rates()
    if result.warnings:
        parts.append(
            dbc.Alert(
                [html.Strong("Warnings: "), html.Ul([html.Li(w) for w in result.warnings[:50]])],
                color="secondary",
                className="mt-3 small",
            )
        )
    valid = f"{result.valid_rows} valid row" + ("s" if result.valid_rows != 1 else "")
    if result.can_store and result.rejected_rows:
        label = f"Store {valid}, skip {result.rejected_rows} rejected"
    elif result.can_store:
        label = f"Confirm and store {valid}"
    store = token if result.can_store else None
    return (
        html.Div(parts),
        not result.can_store,
        label,
        store,
        token,
        _SHOWN if len(errors) else _HIDDEN,
        _SHOWN if missing else _HIDDEN,
        [{"label": c, "value": c} for c in missing],
        missing[0] if missing else None,
    )


def _rate_form() -> Any:
    """Add a missing exchange rate from the report (analysts), then the file is checked again
    (shown when the check found currencies without a rate)."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    "No exchange rate for a currency of the file: add it here (units per USD, "
                    "the UN operational rate) and the file is checked again.",
                    className="small mb-2",
                ),
                dbc.InputGroup(
                    [
                        dbc.Select(id=RATE_CURRENCY, options=[]),
                        dbc.Input(id=RATE_VALUE, type="number", min=0, placeholder="units per USD"),
                        dbc.Button("Add rate", id=RATE_BUTTON, color="primary"),
                    ],
                    size="sm",
                ),
                html.Div(id=RATE_MESSAGE, className="small mt-2"),
            ]
        ),
        id=RATE_CARD,
        className="mt-3",
        style=_HIDDEN,
    )


@callback(
    Output(REJECTED_DOWNLOAD, "data"),
    Input(REJECTED_BUTTON, "n_clicks"),
    State(UPLOAD_REVIEW_TOKEN, "data"),
    prevent_initial_call=True,
)
def download_rejected(n: int | None, token: str | None) -> Any:
    """The rejected rows of the checked upload, from the server's copy of the check."""
    if not n:
        return no_update
    try:
        kept = uploads.take(get_config(), token, who=uploads.owner())
    except uploads.UploadExpired:
        return no_update
    stem = kept.filename.rsplit(".", 1)[0] or "upload"
    return dcc.send_bytes(logic.rejected_workbook(kept.check), f"{stem}_rejected.xlsx")


@callback(
    Output(ids.UPLOAD_CHECK, "children", allow_duplicate=True),
    Output(ids.UPLOAD_CONFIRM, "disabled", allow_duplicate=True),
    Output(ids.UPLOAD_CONFIRM, "children", allow_duplicate=True),
    Output(ids.UPLOAD_TOKEN, "data", allow_duplicate=True),
    Output(RATE_CARD, "style", allow_duplicate=True),
    Output(RATE_CURRENCY, "options", allow_duplicate=True),
    Output(RATE_CURRENCY, "value", allow_duplicate=True),
    Input(RATE_BUTTON, "n_clicks"),
    State(RATE_CURRENCY, "value"),
    State(RATE_VALUE, "value"),
    State(UPLOAD_REVIEW_TOKEN, "data"),
    prevent_initial_call=True,
)
def add_rate(n: int | None, currency: str | None, value: Any, token: str | None) -> tuple[Any, ...]:
    """Store the missing rate (role :data:`RATE_ROLE`) and check the kept upload again."""
    if not n or not currency:
        return (no_update,) * 7
    config = get_config()
    try:
        kept = uploads.take(config, token, who=uploads.owner())
        message = logic.add_rate(open_register(config), currency, value)
        plan = load_plan(config)
    except (uploads.UploadExpired, logic.UploadError, NoPlan) as exc:
        refused = error_alert(str(exc), title="The rate was not stored")
        return refused, True, no_update, None, no_update, no_update, no_update
    panel, disabled, label, new_token, _, _, card, options, chosen = _report(
        kept.data, kept.filename, getattr(kept.check, "fmt", "contract"), plan
    )
    note = dbc.Alert(message, color="success", className="small")
    return html.Div([note, panel]), disabled, label, new_token, card, options, chosen


ERROR_COLUMNS = (
    Col("file", "File"),
    Col("sheet", "Sheet"),
    Col("row", "Row"),
    Col("column", "Column"),
    Col("reason", "What is wrong", width=320),
)
downloads.register(ids.UPLOAD_ERRORS, "Rejected rows and problems")
downloads.register(ids.PLEDGES_GRID, "Stored pledges")


@callback(
    Output(ids.UPLOAD_RESULT, "children", allow_duplicate=True),
    Output(ids.UPLOAD_CONFIRM, "disabled", allow_duplicate=True),
    Output(ids.PLEDGES_VERSION, "data"),
    Output(ids.UPLOAD_TOKEN, "data", allow_duplicate=True),
    Output(ids.UPLOAD_CHECK, "children", allow_duplicate=True),
    Output(ids.GRID_MESSAGE, "children", allow_duplicate=True),
    Input(ids.UPLOAD_CONFIRM, "n_clicks"),
    State(ids.UPLOAD_TOKEN, "data"),
    State(ids.PLEDGES_VERSION, "data"),
    prevent_initial_call=True,
)
def confirm(n: int | None, token: str | None, version: int) -> tuple[Any, ...]:
    """Store the rows the check kept under the token (the file is not sent or parsed again)."""
    if not n:
        return (no_update,) * 6
    config = get_config()
    try:
        kept = uploads.take(config, token, who=uploads.owner())
        plan = load_plan(config)
        if logic.reference_digest(plan) != kept.reference:
            raise logic.UploadError(
                f"{kept.filename}: the budget lines or exchange rates changed since the file "
                "was checked; drop it again to check it against them"
            )
        message = logic.store_checked(open_register(config), kept.check, kept.data)
    except (uploads.UploadExpired, logic.UploadError, NoPlan, ValueError) as exc:
        return error_alert(str(exc), title="Nothing was stored"), True, no_update, None, None, None
    uploads.discard(config, str(token))
    # The check's "nothing is stored yet" is no longer true: the stored message replaces it.
    return (
        None,
        True,
        int(version or 0) + 1,
        None,
        dbc.Alert(message, color="success", id=ids.UPLOAD_STORED),
        None,
    )


@callback(
    Output(ids.PLEDGES_GRID, "rowData"),
    Input(ids.PLEDGES_VERSION, "data"),
    State(ids.URL, "search"),
)
def load_grid(_: int, search: str | None = None) -> list[dict[str, Any]]:
    """Stored pledges of the donors the shared filters keep, in USD, donors anonymised."""
    config = get_config()
    try:
        plan = load_plan(config)
    except NoPlan:
        return []
    chosen = filters.parse(search)
    if filters.active(chosen):
        stored = open_register(config).pledges()
        keep = filters.donors(plan, chosen)
        stored = stored[stored["donor"].astype(str).isin(keep)]
        return logic.grid_rows(stored, aliases_for(plan), plan.tranches)
    return logic.grid_rows(open_register(config).pledges(), aliases_for(plan), plan.tranches)


@callback(
    Output(ids.GRID_MESSAGE, "children"),
    Output(ids.PLEDGES_VERSION, "data", allow_duplicate=True),
    Input(ids.PLEDGES_GRID, "cellValueChanged"),
    State(ids.PLEDGES_VERSION, "data"),
    prevent_initial_call=True,
)
def edit_status(
    changes: list[dict[str, Any]] | dict[str, Any] | None, version: int
) -> tuple[Any, Any]:
    """Store status edits; a refused edit reloads the grid so the old value comes back."""
    if not changes:
        return no_update, no_update
    items = changes if isinstance(changes, list) else [changes]
    register = open_register(get_config())
    messages: list[str] = []
    failed = False
    for change in items:
        ok, message = logic.apply_status_edit(register, change)
        failed = failed or not ok
        messages.append(message)
    alert = dbc.Alert(
        " ".join(messages),
        color="danger" if failed else "success",
        dismissable=True,
        id=ids.GRID_STATUS_ALERT,
    )
    return alert, (int(version or 0) + 1) if failed else no_update


@callback(
    Output(ids.TEMPLATE_DOWNLOAD, "data"),
    Input(ids.TEMPLATE_DOWNLOAD_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)
def download_template(n: int | None) -> Any:
    if not n:
        return no_update
    buffer = io.BytesIO()
    build_template().save(buffer)
    return dcc.send_bytes(buffer.getvalue(), "pledge_template.xlsx")


# The totals row under the grid follows the grid's own filters (computed in the browser from
# the rows shown: assets/pledges.js, no request).
clientside_callback(
    ClientsideFunction(namespace="appeal", function_name="pledgeTotals"),
    Output(ids.PLEDGES_GRID, "dashGridOptions"),
    Input(ids.PLEDGES_GRID, "virtualRowData"),
    State(ids.PLEDGES_GRID, "dashGridOptions"),
)
