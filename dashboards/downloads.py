"""Download of any table a page shows, as CSV or Excel: the one helper behind every grid's
"Download CSV" / "Download Excel" buttons.

:func:`register` wires a grid's two buttons to one callback that sends the rows the grid shows
(``virtualRowData``: after the user's own filters and sorting) under the grid's own headers.
The rows are what the server sent that page, so confidential donors are already their aliases;
text is written through the workbook package's escaping (:mod:`appeal.workbook.xlsx_safety`):
in Excel as plain text cells with a quote prefix, in CSV with a leading apostrophe, so no cell
text (a donor or programme name starting with ``=``) can become a formula.

The callbacks are collected in :data:`callbacks` and added to each app by ``create_app`` (page
modules run once per app, this module once per process). They are declared for viewers in
:mod:`dashboards.roles`: a download only turns back into a file the rows the browser sends,
which the server already let that browser see.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dash import Input, Output, State, ctx, dcc, no_update

from appeal.workbook.xlsx_safety import clean_text, needs_quote_prefix, text_cell
from dashboards import ids
from dashboards.wiring import Callbacks

__all__ = ["callbacks", "register", "table_bytes", "validation_components"]
MAX_ROWS = 100_000
_registered: dict[str, str] = {}  # grid id -> label
callbacks = Callbacks()


def _columns(column_defs: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    return [
        (str(c["field"]), str(c.get("headerName") or c["field"]))
        for c in column_defs or []
        if isinstance(c, Mapping) and c.get("field")
    ]


def _plain(value: Any) -> Any:
    """A cell as a number (int/float) or text; anything else becomes its text."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return value
    return clean_text(value)


def table_bytes(
    rows: Sequence[Mapping[str, Any]], column_defs: Sequence[Mapping[str, Any]], fmt: str
) -> bytes:
    """The rows as a CSV (UTF-8 with BOM, so Excel reads accents) or xlsx file."""
    columns = _columns(column_defs)
    body = [[_plain(row.get(field)) for field, _ in columns] for row in rows[:MAX_ROWS]]
    headers = [clean_text(header) for _, header in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        for line in body:
            writer.writerow(
                ["'" + v if isinstance(v, str) and needs_quote_prefix(v) else v for v in line]
            )
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise ValueError(f"unknown download format {fmt!r}")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Table")
    sheet.append([text_cell(sheet, h) for h in headers])
    for line in body:
        sheet.append([text_cell(sheet, v) if isinstance(v, str) else v for v in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(label: str, fmt: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower() or "table"
    return f"{stem}.{fmt}"


def register(grid_id: str, label: str) -> None:
    """Answer the download buttons of grid ``grid_id`` (once per grid, at import)."""
    if grid_id in _registered:
        return
    _registered[grid_id] = label

    @callbacks(
        Output(ids.download(grid_id, "file"), "data"),
        Input(ids.download(grid_id, "csv"), "n_clicks"),
        Input(ids.download(grid_id, "xlsx"), "n_clicks"),
        State(grid_id, "virtualRowData"),
        State(grid_id, "rowData"),
        State(grid_id, "columnDefs"),
        prevent_initial_call=True,
    )
    def _download(
        csv_clicks: int | None,
        xlsx_clicks: int | None,
        shown: list[dict[str, Any]] | None,
        rows: list[dict[str, Any]] | None,
        column_defs: list[dict[str, Any]] | None,
    ) -> Any:
        fmt = "xlsx" if ctx.triggered_id == ids.download(grid_id, "xlsx") else "csv"
        if not (csv_clicks or xlsx_clicks):
            return no_update
        data = table_bytes(shown if shown is not None else rows or [], column_defs or [], fmt)
        return dcc.send_bytes(data, filename(label, fmt))

    _download.__name__ = f"download_{grid_id.replace('-', '_')}"


def validation_components() -> list[Any]:
    """Every registered grid with its download controls, for the app's validation layout
    (they are drawn by callbacks, so no page layout holds them)."""
    import dash_ag_grid as dag
    from dash import html

    out: list[Any] = []
    for grid_id in _registered:
        out += [
            dag.AgGrid(id=grid_id),
            html.Button(id=ids.download(grid_id, "csv")),
            html.Button(id=ids.download(grid_id, "xlsx")),
            dcc.Download(id=ids.download(grid_id, "file")),
        ]
    return out
