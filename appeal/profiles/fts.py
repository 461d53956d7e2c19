"""What an FTS flow means beyond its columns (OCHA Financial Tracking Service, as HDX
publishes its incoming funding).

The column mapping, status words, flow types, in-kind words, organisation types, the
original-currency-else-USD amount and the usage years are declared in
:data:`models.contract.FTS`; this module adds what needs the other rows or the programmes:

- **parked parent flows**: FTS records money given to an organisation before it is allocated
  as a *parked* flow, and each later allocation as a child flow. A parked flow whose children
  are in the file (``parentFlowId`` names it, or a standard flow from the same donor carries
  its reference) is set aside — counting it beside them would count the money twice. A parked
  flow without children stays (its money is not counted anywhere else);
- **clusters as lines**: ``destGlobalClusters`` names clusters; each is matched to a line by
  line_id, else by name (as the FTS requirements profile names its lines). A flow to one
  cluster is earmarked to that line; a flow shared across several clusters is earmarked to
  "any of these lines" (a list earmark); a flow to none is unearmarked — unless the file
  states the earmarking (``grandBargainEarmarkingType``, as the FTS reporting sheet does);
- **zero amounts**: FTS lists multi-year parents and placeholders with amount 0; they carry
  no money and are set aside (reported);
- **flow ids**: FTS's numeric flow id becomes the pledge_id ``FTS-<id>``, so it cannot collide
  with a working group's own references.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pandas as pd

from appeal.profiles.engine import SetAside
from appeal.spreadsheet import Table, clean_text, is_blank
from models import contract

__all__ = ["apply_flows", "line_names"]

ID_PREFIX = "FTS-"


def line_names(programmes: pd.DataFrame) -> dict[str, str]:
    """casefolded line_id or line name -> line_id (ids first: an id beats another's name)."""
    names: dict[str, str] = {}
    for line, name in zip(programmes["line_id"], programmes["name"], strict=True):
        names.setdefault(str(name).strip().casefold(), str(line))
    for line in programmes["line_id"]:
        names[str(line).strip().casefold()] = str(line)
    return names


def _text(value: Any) -> str:
    return "" if value is None or is_blank(value) else clean_text(value)


def apply_flows(table: Table, programmes: pd.DataFrame) -> tuple[Table, list[SetAside]]:
    """The flows with FTS's semantics applied (see the module docstring), and the parked
    parents set aside."""
    col = table.columns
    get = _getter(col)
    names = line_names(programmes)
    parents = _parents_with_children(table.rows, get)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    set_aside: list[SetAside] = []
    for number, values in table.rows:
        flow_id = _text(get(values, "pledge_id"))
        children = parents.get(flow_id)
        if children:
            shown = ", ".join(str(n) for n in children[:5]) + (" ..." if len(children) > 5 else "")
            set_aside.append(
                SetAside(
                    number,
                    f"parked parent flow {flow_id}: its money is counted in its child flow(s) "
                    f"(rows {shown})",
                    table.headers.get("flow_type"),
                )
            )
            continue
        if _is_zero(get(values, "amount")):
            set_aside.append(
                SetAside(
                    number,
                    f"flow {flow_id or '(no id)'} has a zero amount (FTS records multi-year "
                    "parents and placeholders so; their money is in other flows)",
                    table.headers.get("amount"),
                )
            )
            continue
        cells = list(values)
        if flow_id.isdigit():
            cells[col["pledge_id"]] = ID_PREFIX + flow_id
        if "earmark_to" in col:
            targets = [t for t in _text(get(values, "earmark_to")).split(";") if t.strip()]
            resolved = [names.get(t.strip().casefold(), t.strip()) for t in targets]
            cells[col["earmark_to"]] = contract.LIST_SEPARATOR.join(dict.fromkeys(resolved))
            if "earmarking" in col and not _text(get(values, "earmarking")):
                cells[col["earmarking"]] = "earmarked" if resolved else "unearmarked"
        rows.append((number, tuple(cells)))
    if "earmarking" not in col and "earmark_to" in col:
        # Files without the column: add it, earmarked when a cluster is named.
        position = dict(col)
        position["earmarking"] = len(position)
        rows = [
            (n, (*v, "earmarked" if _text(v[col["earmark_to"]]) else "unearmarked"))
            for n, v in rows
        ]
        table = replace(table, columns=position)
    return replace(table, rows=rows, cache={}), set_aside


def _is_zero(value: Any) -> bool:
    try:
        return float(_text(value).replace(",", "")) == 0.0
    except ValueError:
        return False


def _getter(columns: dict[str, int]) -> Any:
    def get(values: tuple[Any, ...], column: str) -> Any:
        i = columns.get(column)
        return values[i] if i is not None and i < len(values) else None

    return get


def _parents_with_children(
    rows: Iterable[tuple[int, tuple[Any, ...]]], get: Any
) -> dict[str, list[int]]:
    """Parked flow id -> the rows of its children in this file."""
    parked: dict[str, tuple[str, str]] = {}  # id -> (donor, reference)
    others: list[tuple[int, str, str, str]] = []  # (row, parent id, donor, reference)
    for number, values in rows:
        flow_id = _text(get(values, "pledge_id"))
        donor = _text(get(values, "donor")).casefold()
        reference = _text(get(values, "reference")).casefold()
        if _text(get(values, "flow_type")) == "parked":
            parked[flow_id] = (donor, reference)
        else:
            others.append((number, _text(get(values, "parent_id")), donor, reference))
    by_reference: dict[tuple[str, str], list[str]] = {}
    for flow_id, (donor, reference) in parked.items():
        if reference:
            by_reference.setdefault((donor, reference), []).append(flow_id)
    children: dict[str, list[int]] = {}
    for number, parent, donor, reference in others:
        owners = [parent] if parent in parked else by_reference.get((donor, reference), [])
        for owner in owners:  # several parked flows may share one reference (ECHO's do)
            children.setdefault(owner, []).append(number)
    return children
