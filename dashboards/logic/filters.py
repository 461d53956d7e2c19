"""The filters every page shares (pillar, theme, entity, category, donor type, region), kept
in the address's query string so a filtered view can be sent as a link.

:data:`FIELDS` is the one list of filters: its key is the query-string name. :func:`parse`
reads a query string (unknown keys and over-long values dropped), :func:`query` writes one
(other parameters such as the donor profile's ``donor`` kept), :func:`options` lists the
values the plan has, and :func:`apply` narrows a solved run: line filters keep the lines that
match (their requirement and all their funding, so a gap stays a gap), donor filters keep the
donors that match (their pledges and the money they gave). The allocation itself is always
solved on the whole plan; filters only choose what is shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd

from dashboards.logic import words
from models.analytics import PlanRun
from models.labels import Kind
from models.plan import Plan, split_list


@dataclass(frozen=True)
class Field:
    key: str  # query-string name
    label: str
    side: str  # "line" or "donor"
    words: Kind | None = None  # the words kind of its values (None: shown as they are)


FIELDS: tuple[Field, ...] = (
    Field("pillar", "Pillar", "line"),
    Field("theme", "Theme", "line", "theme"),
    Field("entity", "Entity", "line"),
    Field("category", "Category", "line", "category"),
    Field("donor_type", "Donor type", "donor", "donor_type"),
    Field("region", "Region", "donor"),
)
KEYS = tuple(f.key for f in FIELDS)
MAX_VALUE = 80

Values = dict[str, str]


def parse(search: str | None) -> Values:
    """The filters of a query string ("?pillar=II&theme=gender"); others ignored."""
    out: Values = {}
    for key, value in parse_qsl((search or "").lstrip("?"), keep_blank_values=False):
        if key in KEYS and key not in out and 0 < len(value.strip()) <= MAX_VALUE:
            out[key] = value.strip()
    return out


def query(values: dict[str, Any], search: str | None = None) -> str:
    """A query string of ``values`` (blank ones dropped), keeping ``search``'s other params."""
    kept = [(k, v) for k, v in parse_qsl((search or "").lstrip("?")) if k not in KEYS]
    pairs = kept + [(k, str(values[k])) for k in KEYS if values.get(k) not in (None, "")]
    return "?" + urlencode(pairs) if pairs else ""


def param(search: str | None, key: str) -> str | None:
    """One other parameter of a query string (e.g. the donor profile's ``donor``)."""
    for k, v in parse_qsl((search or "").lstrip("?")):
        if k == key and v.strip():
            return v.strip()
    return None


def _line_values(plan: Plan, key: str) -> list[str]:
    prog = plan.programmes
    if key == "pillar":
        found = {p for cell in prog["pillars"] for p in split_list(cell)}
    elif key == "theme":
        found = {t for cell in prog["themes"] for t in split_list(cell)}
    else:
        found = {str(v) for v in prog[key] if str(v)}
    return sorted(found)


def options(plan: Plan) -> dict[str, list[dict[str, str]]]:
    """Each filter's choices in the plan ({label, value}; labels in words)."""
    donors = plan.donor_table()
    out: dict[str, list[dict[str, str]]] = {}
    for f in FIELDS:
        values = (
            _line_values(plan, f.key)
            if f.side == "line"
            else sorted({str(v) for v in donors[f.key] if str(v)})
        )
        out[f.key] = [
            {"label": words.label(f.words, v) if f.words else v, "value": v} for v in values
        ]
    return out


def _line_mask(plan: Plan, values: Values) -> pd.Series:
    prog = plan.programmes
    mask = pd.Series(True, index=prog.index)
    if "pillar" in values:
        mask &= prog["pillars"].map(lambda c: values["pillar"] in split_list(c))
    if "theme" in values:
        mask &= prog["themes"].map(lambda c: values["theme"] in split_list(c))
    for key in ("entity", "category"):
        if key in values:
            mask &= prog[key].astype(str) == values[key]
    return mask


def line_ids(plan: Plan, values: Values) -> set[str]:
    """The lines the filters keep."""
    return set(plan.programmes.loc[_line_mask(plan, values), "line_id"].astype(str))


def donors(plan: Plan, values: Values) -> set[str]:
    """The donors the filters keep (real names: the server's side only)."""
    table = plan.donor_table()
    mask = pd.Series(True, index=table.index)
    for key in ("donor_type", "region"):
        if key in values:
            mask &= table[key].astype(str) == values[key]
    return set(table.loc[mask, "donor"].astype(str))


def active(values: Values) -> bool:
    return any(values.get(k) for k in KEYS)


def describe(values: Values) -> str:
    """The active filters in words ("Pillar II · Theme: Gender"), "" when none."""
    parts = []
    for f in FIELDS:
        if f.key in values:
            shown = words.label(f.words, values[f.key]) if f.words else values[f.key]
            parts.append(f"{f.label}: {shown}")
    return " · ".join(parts)


def _keep(frame: pd.DataFrame, column: str, keep: set[str]) -> pd.DataFrame:
    if frame is None or frame.empty or column not in frame.columns:
        return frame
    return frame[frame[column].astype(str).isin(keep)].reset_index(drop=True)


def apply(run: PlanRun, values: Values) -> PlanRun:
    """``run`` narrowed to what the filters keep (the same run when no filter is set)."""
    if not active(values):
        return run
    plan, result = run.plan, run.result
    lines = line_ids(plan, values)
    kept_donors = donors(plan, values)
    pledges = plan.pledges[plan.pledges["donor"].astype(str).isin(kept_donors)]
    kept_pledges = set(pledges["pledge_id"].astype(str))
    narrowed = plan.replace(
        programmes=_keep(plan.programmes, "line_id", lines),
        requirements=_keep(plan.requirements, "line_id", lines),
        pledges=pledges.reset_index(drop=True),
        tranches=_keep(plan.tranches, "pledge_id", kept_pledges),
    )
    allocations = _keep(_keep(result.allocations, "line_id", lines), "donor", kept_donors)
    narrowed_result = dataclasses.replace(
        result,
        allocations=allocations,
        unallocated=_keep(result.unallocated, "donor", kept_donors),
        lines=_keep(result.lines, "line_id", lines),
        explanations=_keep(result.explanations, "line_id", lines),
        next_million=_keep(result.next_million, "line_id", lines),
        line_marginal_value=_keep(result.line_marginal_value, "line_id", lines),
    )
    return PlanRun(
        plan=narrowed,
        scenario=run.scenario,
        result=narrowed_result,
        import_report=run.import_report,
    )
