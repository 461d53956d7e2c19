"""The Scenario and assumptions sheet: what the figures rest on — the workbook itself (appeal,
horizon, generation time, software version, illustrative-figures note), every scenario
parameter, the exchange rates, the solver, and the import report with every rejected or warned
row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue
from appeal.workbook.layout import Sheet, repeat
from appeal.workbook.model import SOFTWARE, BookModel
from appeal.workbook.values import as_float, horizon, scalar
from models.privacy import rename_scenario_donors

__all__ = ["NAME", "write"]

NAME = "Scenario and assumptions"
WIDTHS = [44, 30, 16, 10, 16, 60]
ITEM_VALUE = (["Item", "Value"], ["#meta+item", "#meta+value"])


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
    sh.block("About this workbook")
    sh.header(*ITEM_VALUE)
    about: list[tuple[str, CellValue]] = [
        ("Appeal", plan.title),
        ("Horizon", horizon(m.years)),
        ("Generated", m.generated),
        ("Software", f"{SOFTWARE} {m.version}"),
        ("Illustrative figures", "yes" if plan.illustrative else "no"),
        ("Confidential donor names", "revealed (internal use)" if m.reveal else "anonymised"),
    ]
    for key, value in about:
        sh.append([key, value], ["text", "text"])

    sh.block("Scenario parameters")
    sh.header(["Parameter", "Value"], ["#meta+parameter", "#meta+value"])
    for key, value in _flatten(_scenario(m)):
        sh.append([key, scalar(value)], ["text", "general"])

    sh.block("Exchange rates (UN operational rates of exchange convention)")
    sh.header(["Currency", "Units per USD", "As of"], ["#currency", "#value+rate", "#date"])
    fx = plan.fx
    if len(fx):
        for r in fx.itertuples(index=False):
            sh.append(
                [str(r.currency), as_float(r.units_per_usd), str(r.as_of or "")],
                ["text", "num", "text"],
            )
    else:
        sh.note("All pledges are in USD; no exchange rates were needed.")

    sh.block("Solver")
    sh.header(*ITEM_VALUE)
    for key, value in _flatten(m.result.solver.to_dict(), "solver."):
        sh.append([key, scalar(value)], ["text", "general"])
    sh.append(["solver.pools", int(m.result.pools)], ["text", "int"])

    _import_report(sh, m.import_report)


def _scenario(m: BookModel) -> dict[str, Any]:
    """The scenario's parameters, donors named as the workbook shows them."""
    return rename_scenario_donors(m.scenario.to_dict(), m.aliases)


def _import_report(sh: Sheet, import_report: Mapping[str, Any]) -> None:
    sh.block("Import report")
    report = dict(import_report)
    problems = [("error", e) for e in report.pop("errors", None) or []]
    problems += [("warning", w) for w in report.pop("warnings", None) or []]
    files = [f for f in report.pop("files", None) or [] if isinstance(f, Mapping)]
    sh.header(*ITEM_VALUE)
    if not report and not problems and not files:
        sh.note("No import report (plan built in memory).")
    for key, value in _flatten(report):
        sh.append([key, scalar(value)], ["text", "general"])
    if files:
        keys = list(dict.fromkeys(k for f in files for k in f))
        sh.block("Files read")
        sh.header(keys, ["#meta+" + re.sub(r"[^a-z0-9]", "", k.lower()) for k in keys])
        for f in files:
            sh.append([scalar(f.get(k)) for k in keys], ["text"] * len(keys))
    if problems:
        sh.block("Rows rejected or warned about at import")
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
                    ["text", "text", "text", "int", "text", "wrap"],
                )
            else:
                sh.append(
                    [kind, None, None, None, None, str(err)], ["text", *repeat(None, 4), "wrap"]
                )


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as dotted keys ("weights.tier.1"); lists joined with "; "."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                out.extend(_flatten(value, name + "."))
            else:
                out.append((name, "(none)"))
        elif isinstance(value, list | tuple | set):
            out.append((name, "; ".join(str(v) for v in value) if value else "(none)"))
        else:
            out.append((name, value))
    return out
