"""The Technical sheet (hidden): the details behind the figures for the working group — the
scenario's parameters under their codes, the solver (name, status, time per phase, pools),
the objective value of one more flexible dollar, and the files the plan was read from."""

from __future__ import annotations

import re
from collections.abc import Mapping

from appeal.workbook.book import Book
from appeal.workbook.layout import Sheet
from appeal.workbook.sheets.assumptions import ITEM_VALUE, scenario_parameters
from appeal.workbook.values import flatten, number, scalar

__all__ = ["NAME", "write"]

NAME = "Technical"
WIDTHS = [44, 30, 16, 16, 16, 16]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.hidden = True
    sh.summary_setup(WIDTHS)
    sh.title_rows(
        f"Technical details — {m.plan.title}",
        "For the working group: the scenario under its parameter names, the solver, and the "
        "files read. Hidden when printed; the figures do not depend on anything here that is "
        "not also on Scenario and assumptions.",
    )
    sh.block("Scenario parameters (as in the scenario file)")
    sh.header(["Parameter", "Value"], ["#meta+parameter", "#meta+value"])
    for key, value in scenario_parameters(m):
        sh.append([key, scalar(value)], ["text", "general"])

    sh.block("Solver")
    sh.header(*ITEM_VALUE)
    for key, value in flatten(m.result.solver.to_dict(), "solver."):
        sh.append([key, scalar(value)], ["text", "general"])
    sh.append(["solver.pools", int(m.result.pools)], ["text", "int"])
    sh.append(
        ["flexible_marginal_value", number(m.result.flexible_marginal_value)], ["text", "general"]
    )

    files = [f for f in m.import_report.get("files") or [] if isinstance(f, Mapping)]
    if files:
        keys = list(dict.fromkeys(k for f in files for k in f))
        sh.block("Files read")
        sh.header(keys, ["#meta+" + re.sub(r"[^a-z0-9]", "", k.lower()) for k in keys])
        for f in files:
            sh.append([scalar(f.get(k)) for k in keys], ["text"] * len(keys))
