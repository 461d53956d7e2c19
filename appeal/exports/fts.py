"""The FTS reporting sheet: the plan's pledges as the rows a contributor reports to OCHA's
Financial Tracking Service, in FTS's own column names — the layout HDX publishes, which the
``fts`` import profile reads back (:data:`models.contract.FTS`).

Each pledge is one flow (one per year when its money per year is uneven): the donor as source
organisation (and its type in FTS's words), the line's implementing entity as destination
organisation, the lines it may fund as clusters (line_ids), usage years, the amount in USD and
in its own currency with the exchange rate used, the status as FTS words it (pledge,
commitment, paid), financial or in-kind, the flow type, the Grand Bargain earmarking type, the
decision and paid dates, the pledge's reference, and after FTS's own columns the programme
support cost rate (``pscRate``, which FTS ignores and the import reads back). A soft earmark
is reported as the lines it may fund ("any of these clusters"), marked softly earmarked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appeal.exports._rows import rows as _rows
from appeal.workbook.xlsx_safety import safe_sheet_name, text_cell
from models import contract
from models.analytics import PlanRun
from models.eligibility import EligibilityIndex
from models.money import is_even_spread
from models.privacy import donor_aliases

__all__ = ["COLUMNS", "SHEET", "write"]

SHEET = "FTS report"

_LAYOUT = contract.FTS.table("pledges")
_HEADER = {column: spellings[0] for column, spellings in _LAYOUT.headers.items()}
#: The sheet's columns: FTS's header for each value written (the profile's own spellings).
COLUMNS: tuple[str, ...] = (
    "pledge_id",
    "donor",
    "donor_type",
    "recipient",
    "earmark_to",
    "year",
    "last_year",
    "amount_usd",
    "original_amount",
    "currency",
    "exchange_rate",
    "status",
    "in_kind",
    "flow_type",
    "earmarking",
    "decision_date",
    "flow_date",
    "reference",
    "psc_rate",  # not an FTS field: the planner's own, after FTS's columns
)


def _inverse(column: str) -> dict[Any, str]:
    """Contract value -> the FTS word for it (the first the profile lists)."""
    words: dict[Any, str] = {}
    for word, value in _LAYOUT.values.get(column, {}).items():
        words.setdefault(value, word)
    return words


_STATUS = _inverse("status")
_IN_KIND = {True: "in kind", False: "financial"}
_FLOW = {v: w.capitalize() for v, w in _inverse("flow_type").items()}
_ORG = {v: w for v, w in _inverse("donor_type").items()}
_EARMARKING = dict(zip(contract.EARMARKING.values, contract.EARMARKING.labels, strict=True))


def write(path: Path, run: PlanRun, *, reveal_confidential: bool = False) -> Path:
    """Write the reporting sheet (xlsx) to ``path``."""
    from openpyxl import Workbook

    plan = run.plan
    aliases = donor_aliases(plan, reveal=reveal_confidential)
    donors = plan.donor_table().set_index("donor")
    index = EligibilityIndex(plan.programmes)
    entity = dict(zip(plan.programmes["line_id"], plan.programmes["entity"], strict=True))
    parts: dict[str, list[tuple[int, float, float]]] = {}
    for t in _rows(plan.tranches):
        parts.setdefault(str(t.pledge_id), []).append(
            (int(t.year), float(t.amount), float(t.gross_usd))
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_sheet_name(SHEET))
    ws.append([text_cell(ws, _HEADER[c]) for c in COLUMNS])
    for p in _rows(plan.pledges):
        pid = str(p.pledge_id)
        pieces = sorted(parts.get(pid, []))
        lines = sorted(index.lines_for(str(p.earmarking), str(p.earmark_to or "")))
        clusters = "" if p.earmarking == "unearmarked" else ",".join(lines)
        recipients = {entity[line] for line in lines}
        shown = aliases.get(str(p.donor), str(p.donor))
        kind = "" if shown != p.donor else _donor_type(donors, str(p.donor))
        rate = float(p.exchange_rate) or (
            sum(a for _, a, _ in pieces) / sum(u for _, _, u in pieces) if pieces else 1.0
        )
        even = is_even_spread(float(p.amount), [(y, a) for y, a, _ in pieces])
        groups = [pieces] if even else [[piece] for piece in pieces]
        for group in groups:
            row = {
                "pledge_id": pid if even else f"{pid}-{group[0][0]}",
                "donor": shown,
                "donor_type": kind,
                "recipient": next(iter(recipients)) if len(recipients) == 1 else "",
                "earmark_to": clusters,
                "year": group[0][0],
                "last_year": group[-1][0],
                "amount_usd": sum(u for _, _, u in group),
                "original_amount": sum(a for _, a, _ in group) if p.currency != "USD" else None,
                "currency": p.currency if p.currency != "USD" else "",
                "exchange_rate": rate if p.currency != "USD" else None,
                "status": _STATUS[str(p.status)],
                "in_kind": _IN_KIND[bool(p.in_kind)],
                "flow_type": _FLOW.get(str(p.flow_type), "Standard"),
                "earmarking": _EARMARKING[str(p.earmarking)],
                "decision_date": str(p.pledge_date or ""),
                "flow_date": str(p.paid_date or ""),
                "reference": pid,
                "psc_rate": float(p.psc_rate),
            }
            ws.append([_cell(ws, row[c]) for c in COLUMNS])
    wb.save(path)
    return path


def _donor_type(donors: Any, donor: str) -> str:
    if donor not in donors.index:
        return ""
    return _ORG.get(str(donors.at[donor, "donor_type"]), "Other")


def _cell(ws: Any, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return value
    return text_cell(ws, value)
