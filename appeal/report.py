"""The machine-readable result of ``appeal plan``: one JSON-safe dict per run.

:func:`result_json` gives exactly the keys of DESIGN.md's output contract (totals, lines,
allocations, unallocated, donor_base, targets, solver, import_report) plus explanations,
next_million, min_viable, flexible_marginal_value, scenario and plan, sensitivity and stability.
Confidential donors are replaced by "Anonymous donor N" everywhere in it (unless
``reveal_confidential``): donor columns by their alias, and every other text — the scenario's
name and description, ids, messages — scrubbed of their names
(:func:`models.privacy.name_scrubber`). Money stays unrounded; NaN and infinities become null.
:func:`write_json` writes such a dict to a file or to stdout, the same way for every command,
with every text made inert (:mod:`appeal.inert`: text a spreadsheet would run as a formula is
quote-prefixed).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from appeal.inert import inert_data
from models.analytics import PlanRun
from models.privacy import anonymise, donor_aliases, name_scrubber, rename_scenario_donors

RESULT_KEYS = (
    "totals",
    "lines",
    "allocations",
    "unallocated",
    "donor_base",
    "targets",
    "solver",
    "import_report",
    "explanations",
    "next_million",
    "min_viable",
    "flexible_marginal_value",
    "scenario",
    "plan",
    "sensitivity",
    "stability",
)


# Types most values have, answered before the general (and several times slower) checks.
_AS_IS = frozenset({str, int, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Plain JSON types: numpy scalars unboxed, NaN/inf -> None, tuples/sets -> lists."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame | None, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """A frame as a list of JSON-safe dicts (``columns`` first when given)."""
    if frame is None or frame.empty:
        return []
    if columns is not None:
        present = [c for c in columns if c in frame.columns]
        rest = [c for c in frame.columns if c not in present]
        frame = frame[present + rest]
    return [json_safe(r) for r in frame.to_dict("records")]


def result_json(run: PlanRun, *, reveal_confidential: bool = False) -> dict[str, Any]:
    """The run as the output-contract dict (see module docstring)."""
    plan, result, scenario = run.plan, run.result, run.scenario
    aliases = donor_aliases(plan, reveal=reveal_confidential)

    def anon(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None or frame.empty:
            return frame
        return anonymise(frame, aliases)

    from models.donor_base import anonymise_breadth

    donor_base = run.donor_base
    if not reveal_confidential:
        donor_base = anonymise_breadth(donor_base, aliases)

    scenario_dict = rename_scenario_donors(scenario.to_dict(), aliases)

    out: dict[str, Any] = {
        "totals": result.totals(),
        "lines": records(
            result.lines,
            ["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"],
        ),
        "allocations": records(
            anon(result.allocations), ["pledge_id", "donor", "line_id", "year", "amount_usd"]
        ),
        "unallocated": records(anon(result.unallocated), ["pledge_id", "amount_usd", "reason"]),
        "donor_base": donor_base,
        "targets": records(result.targets, ["name", "target", "achieved", "shortfall_usd"]),
        "solver": result.solver.to_dict(),
        "import_report": dict(run.import_report)
        if run.import_report
        else {"rows_read": 0, "rows_imported": 0, "rows_rejected": 0, "errors": []},
        "explanations": records(result.explanations),
        "next_million": records(result.next_million),
        "min_viable": records(result.min_viable),
        "flexible_marginal_value": result.flexible_marginal_value,
        "scenario": scenario_dict,
        "plan": {
            "title": plan.title,
            "years": plan.years,
            "illustrative": bool(plan.illustrative),
        },
        # Issue 14: ranges of the weights and target shares (models.sensitivity), and how many
        # line-years moved against a reference allocation (models.allocation).
        "sensitivity": records(result.sensitivity),
        "stability": result.stability,
    }
    safe: dict[str, Any] = json_safe(out)
    if reveal_confidential:
        return safe
    return for_outside_readers(safe, aliases)


def for_outside_readers(data: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """JSON-safe ``data`` with every confidential donor's name scrubbed from every string
    (titles, scenario descriptions, messages): the last step before any JSON leaves."""
    scrubbed: dict[str, Any] = _scrub_strings(data, name_scrubber(aliases))
    return scrubbed


def _scrub_strings(value: Any, scrub: Any) -> Any:
    """JSON-safe data with ``scrub`` applied to every string (keys too)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(k): _scrub_strings(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_strings(v, scrub) for v in value]
    return value


def write_json(data: Any, target: str) -> None:
    """``data`` as indented JSON to the file ``target``, or to stdout when ``target`` is "-",
    every text inert (:func:`appeal.inert.inert_data`). Raises OSError when the file cannot be
    written."""
    text = json.dumps(inert_data(data), indent=2, allow_nan=False) + "\n"
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")


def summary_lines(data: Mapping[str, Any]) -> list[str]:
    """A short human summary of a result dict (what ``appeal plan`` prints)."""
    t = data["totals"]
    solver = data["solver"]
    rep = data["import_report"]
    plan = data["plan"]
    years = plan.get("years") or []
    span = f"{years[0]}-{years[-1]}" if years else "no years"
    unallocated = sum(float(u.get("amount_usd") or 0.0) for u in data["unallocated"])
    lines = [
        f"{plan['title']} ({span}){' — illustrative data' if plan.get('illustrative') else ''}",
        f"  requirement  USD {t['requirement_usd']:>16,.0f}",
        f"  funded       USD {t['funded_usd']:>16,.0f}  (coverage {t['coverage']:.1%})",
        f"  firm         USD {t['firm_usd']:>16,.0f}",
        f"  gap          USD {t['gap_usd']:>16,.0f}",
        f"  unallocated  USD {unallocated:>16,.0f}",
        f"  pledges: {rep.get('rows_imported', 0)} imported, {rep.get('rows_rejected', 0)} "
        f"rejected; donors: {data['donor_base'].get('donor_count', 0)}",
        f"  solver: {solver['name']} {solver['status']} in {solver['seconds']:.2f} s",
    ]
    return lines
