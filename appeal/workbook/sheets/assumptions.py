"""The Scenario and assumptions sheet: what the figures rest on, in words — the workbook
itself (appeal, horizon, generation time, software version, illustrative-figures note), the
scenario's parameters, the exchange rates, and the import with every rejected or warned row.
The same parameters under their codes, and the solver's details, are on the Technical sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue
from appeal.workbook.layout import Sheet, repeat
from appeal.workbook.model import SOFTWARE, BookModel
from appeal.workbook.values import as_float, flatten, horizon, scalar
from models.labels import parameter_label
from models.privacy import rename_scenario_donors

__all__ = ["NAME", "scenario_parameters", "write"]

NAME = "Scenario and assumptions"
WIDTHS = [48, 40, 14, 9, 12, 60]
ITEM_VALUE = (["Item", "Value"], ["#meta+item", "#meta+value"])
# Import report counts, in words.
IMPORT_COUNTS = {
    "rows_read": "Rows read",
    "rows_imported": "Rows imported",
    "rows_rejected": "Rows rejected",
}


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    plan = m.plan
    sh.summary_setup(WIDTHS)
    sh.title_rows(
        f"Scenario and assumptions — {plan.title}",
        (
            "ILLUSTRATIVE FIGURES: the amounts in this workbook are illustrative sample data, "
            "not actual pledges or requirements."
            if plan.illustrative
            else "Figures as imported; money in programmable USD after programme support cost."
        ),
    )
    about: list[tuple[str, CellValue]] = [
        ("Appeal", plan.title),
        ("Horizon", horizon(m.years)),
        ("Generated", m.generated),
        ("Software", f"{SOFTWARE} {m.version}"),
        ("Illustrative figures", "yes" if plan.illustrative else "no"),
        ("Confidential donor names", "revealed (internal use)" if m.reveal else "anonymised"),
    ]
    sh.block("About this workbook", rows=len(about) + 1)
    sh.header(*ITEM_VALUE)
    for key, value in about:
        sh.append([key, value], ["text", "text"])

    parameters = scenario_parameters(m)
    sh.block("Scenario parameters", rows=len(parameters) + 1)
    sh.header(["Parameter", "Value"], ["#meta+parameter", "#meta+value"])
    for key, value in parameters:
        sh.append([parameter_label(key), _in_words(value)], ["text", "general"])

    fx = plan.fx
    sh.block("Exchange rates (UN operational rates of exchange convention)", rows=len(fx) + 1)
    sh.header(["Currency", "Units per USD", "As of"], ["#currency", "#value+rate", "#date"])
    if len(fx):
        for r in fx.itertuples(index=False):
            sh.append(
                [str(r.currency), as_float(r.units_per_usd), str(r.as_of or "")],
                ["text", "num", "text"],
            )
    else:
        sh.note("All pledges are in USD; no exchange rates were needed.")

    _import_report(sh, m.import_report)


def scenario_parameters(m: BookModel) -> list[tuple[str, Any]]:
    """The scenario's parameters as dotted keys, donors named as the workbook shows them."""
    return flatten(rename_scenario_donors(m.scenario.to_dict(), m.aliases))


def _in_words(value: Any) -> CellValue:
    if isinstance(value, bool):
        return "on" if value else "off"
    return scalar(value)


def _import_report(sh: Sheet, import_report: Mapping[str, Any]) -> None:
    report = dict(import_report)
    problems = [("Rejected", e) for e in report.get("errors") or []]
    problems += [("Warning", w) for w in report.get("warnings") or []]
    counts = [(name, report[key]) for key, name in IMPORT_COUNTS.items() if key in report]
    sh.block("Import", rows=len(counts) + 1)
    sh.header(*ITEM_VALUE)
    if not counts and not problems:
        sh.note("No import report (plan built in memory).")
    for name, value in counts:
        sh.append([name, scalar(value)], ["text", "general"])
    if problems:
        sh.block("Rows rejected or warned about at import", rows=min(len(problems), 5) + 1)
        sh.header(
            ["Kind", "File", "Sheet", "Row", "Column", "Message"],
            ["#status", "#meta+file", "#meta+sheet", "#meta+row", "#meta+column", "#description"],
        )
        for kind, err in problems:
            if isinstance(err, Mapping):
                message = err.get("message", err.get("reason", ""))
                where = [err.get("file"), err.get("sheet"), err.get("row"), err.get("column")]
                sh.append(
                    [kind, *(scalar(v) for v in where), scalar(message)],
                    ["text", "wrap", "text", "int", "text", "wrap"],
                )
            else:
                sh.append(
                    [kind, None, None, None, None, str(err)], ["text", *repeat(None, 4), "wrap"]
                )
