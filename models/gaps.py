"""Funding gaps and coverage: where the appeal falls short, by any dimension of the plan.

Every breakdown has the same money columns:

``requirement_usd``  what the lines need;
``funded_usd``       what the allocation gives them, from pledges of every status;
``firm_usd``         the committed + paid part of funded (what FTS would count);
``pledged_only_usd`` funded - firm: money only pledged, shown apart so the plan is not read as
                     safer than it is;
``gap_usd``          requirement - funded (unmet requirement);
``coverage``         funded / requirement (0 when there is no requirement);
``firm_coverage``    firm / requirement.

Dimensions (``by``): ``line``, ``category``, ``entity``, ``pillar``, ``theme``, ``year``, or a
tuple of them (e.g. ``("category", "year")``), plus the overlapping view ``theme_tagged``.

Multi-valued dimensions. A line can sit in several pillars ("I;III") and carry several themes.
So that every breakdown adds up exactly to the overall total:

- ``pillar`` and ``theme`` **split a line's money evenly across its pillars/themes** (a line in
  pillars I and III counts half in each); lines without a theme go to ``"(none)"``. The split
  gives the last part the remainder, so a line's parts add back to the line exactly.
- ``theme_tagged`` is the policy view ("how much goes to gender-tagged lines"): a line counts in
  **full** in every theme it carries. Its rows overlap and must not be summed; the frame's
  ``attrs["overlapping"]`` is ``True`` (it is ``False`` on every other breakdown).

Public functions: :func:`line_years` (the line-year table with programme attributes),
:func:`breakdown`, :func:`all_breakdowns`, :func:`totals`. Pure functions of the plan and an
:class:`~models.result.AllocationResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.plan import CATEGORIES, PILLARS, Plan, split_list
from models.result import AllocationResult

DIMENSIONS: tuple[str, ...] = ("line", "category", "entity", "pillar", "theme", "year")
OVERLAPPING: tuple[str, ...] = ("theme_tagged",)
MONEY = ("requirement_usd", "funded_usd", "firm_usd", "pledged_only_usd", "gap_usd")
COLUMNS_AFTER_KEYS = (*MONEY, "coverage", "firm_coverage")
NO_THEME = "(none)"


class UnknownDimension(ValueError):
    """``by`` names a dimension the breakdown does not know."""


def line_years(plan: Plan, result: AllocationResult) -> pd.DataFrame:
    """One row per line-year of the allocation with its money and programme attributes.

    Columns: line_id, year, requirement_usd, funded_usd, firm_usd, pledged_only_usd, gap_usd,
    name, category, entity, pillars, themes, priority, min_viable_share.
    When the result has no line table (a failed solve) the plan's requirements are used with
    nothing funded, so the gap is still reported.
    """
    if len(result.lines):
        lines = result.lines[
            ["line_id", "year", "requirement_usd", "funded_usd", "firm_usd"]
        ].copy()
    else:
        lines = plan.requirements[["line_id", "year", "requirement_usd"]].copy()
        lines["funded_usd"] = 0.0
        lines["firm_usd"] = 0.0
    lines["line_id"] = lines["line_id"].astype(str)
    lines["year"] = lines["year"].astype(int)
    for col in ("requirement_usd", "funded_usd", "firm_usd"):
        lines[col] = lines[col].astype(float)
    lines["pledged_only_usd"] = lines["funded_usd"] - lines["firm_usd"]
    lines["gap_usd"] = lines["requirement_usd"] - lines["funded_usd"]
    attrs = plan.programmes[
        [
            "line_id",
            "name",
            "category",
            "entity",
            "pillars",
            "themes",
            "priority",
            "min_viable_share",
        ]
    ].copy()
    attrs["line_id"] = attrs["line_id"].astype(str)
    return lines.merge(attrs, on="line_id", how="left")


def _split(frame: pd.DataFrame, column: str, key: str, empty: str) -> pd.DataFrame:
    """Explode a ``;``-joined column into ``key``, dividing the money evenly across the parts;
    the last part takes the remainder so each line's parts sum back to the line exactly."""
    rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in frame.to_dict("records")
    ]
    for rec in records:
        parts = list(split_list(rec[column])) or [empty]
        n = len(parts)
        left = {m: float(rec[m]) for m in MONEY}
        for i, part in enumerate(parts):
            row = dict(rec)
            row[key] = part
            for m in MONEY:
                if i == n - 1:
                    row[m] = left[m]
                else:
                    row[m] = float(rec[m]) / n
                    left[m] -= row[m]
            rows.append(row)
    return pd.DataFrame(rows, columns=[*frame.columns, key])


def _tagged(frame: pd.DataFrame) -> pd.DataFrame:
    """Explode themes without splitting: every tagged theme gets the line's full money."""
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict("records"):
        for part in split_list(rec["themes"]) or (NO_THEME,):
            rows.append({**{str(k): v for k, v in rec.items()}, "theme": part})
    return pd.DataFrame(rows, columns=[*frame.columns, "theme"])


def _finish(grouped: pd.DataFrame) -> pd.DataFrame:
    req = grouped["requirement_usd"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        grouped["coverage"] = np.where(req > 0, grouped["funded_usd"].to_numpy() / req, 0.0)
        grouped["firm_coverage"] = np.where(req > 0, grouped["firm_usd"].to_numpy() / req, 0.0)
    return grouped


def _order(frame: pd.DataFrame, keys: list[str], line_order: list[str]) -> pd.DataFrame:
    """Sort rows in the order people expect: lines as in the programmes, categories and
    pillars in their canonical order, years ascending, the rest alphabetically."""
    rank: dict[str, dict[Any, int]] = {
        "line_id": {x: i for i, x in enumerate(line_order)},
        "category": {x: i for i, x in enumerate(CATEGORIES)},
        "pillar": {x: i for i, x in enumerate(PILLARS)},
    }
    sort_cols = []
    out = frame.copy()
    for k in keys:
        if k in rank:
            col = f"__rank_{k}"
            out[col] = out[k].map(lambda v, r=rank[k]: r.get(v, len(r)))
            sort_cols.extend([col, k])
        else:
            sort_cols.append(k)
    out = out.sort_values(sort_cols, kind="stable")
    return out.drop(columns=[c for c in out.columns if c.startswith("__rank_")]).reset_index(
        drop=True
    )


def breakdown(
    plan: Plan,
    result: AllocationResult,
    by: str | Sequence[str],
) -> pd.DataFrame:
    """Gaps and coverage grouped by one dimension or a tuple of them.

    ``by``: one of :data:`DIMENSIONS` or ``"theme_tagged"``, or a sequence of dimensions
    (``("category", "year")``; ``theme_tagged`` only alone). Returns one row per group with the
    key column(s) (``line`` gives ``line_id`` and ``name``) then the money columns of the module
    docstring. ``attrs["overlapping"]`` tells whether rows may be summed.
    """
    dims = [by] if isinstance(by, str) else list(by)
    if not dims:
        raise UnknownDimension("breakdown needs at least one dimension")
    known = set(DIMENSIONS) | set(OVERLAPPING)
    for d in dims:
        if d not in known:
            names = ", ".join((*DIMENSIONS, *OVERLAPPING))
            raise UnknownDimension(f"unknown breakdown dimension {d!r}; known: {names}")
    overlapping = "theme_tagged" in dims
    if overlapping and len(dims) > 1:
        raise UnknownDimension("theme_tagged cannot be combined with other dimensions")
    if "pillar" in dims and "theme" in dims:
        # Splitting by both would need a joint split rule; nobody asked for it.
        raise UnknownDimension("pillar and theme cannot be combined in one breakdown")

    frame = line_years(plan, result)
    if "pillar" in dims:
        frame = _split(frame, "pillars", "pillar", "(none)")
    if "theme" in dims:
        frame = _split(frame, "themes", "theme", NO_THEME)
    if overlapping:
        frame = _tagged(frame)
    keys = ["theme" if d == "theme_tagged" else d for d in dims]
    keys = ["line_id" if k == "line" else k for k in keys]
    if "line_id" in keys:
        keys = [*keys[: keys.index("line_id") + 1], "name", *keys[keys.index("line_id") + 1 :]]
    frame["name"] = frame["name"].fillna(frame["line_id"])
    grouped = frame.groupby(keys, as_index=False, sort=False, dropna=False)[list(MONEY)].sum()
    grouped = _finish(grouped)
    grouped = _order(grouped, keys, [str(x) for x in plan.programmes["line_id"]])
    grouped = grouped[[*keys, *COLUMNS_AFTER_KEYS]]
    grouped.attrs["overlapping"] = overlapping
    grouped.attrs["by"] = tuple(dims)
    return grouped


def all_breakdowns(plan: Plan, result: AllocationResult) -> dict[str, pd.DataFrame]:
    """Every single-dimension breakdown plus ``category_year`` and ``theme_tagged``.

    Keys: line, category, entity, pillar, theme, year, category_year, theme_tagged.
    All but ``theme_tagged`` add up exactly to :func:`totals`.
    """
    out = {d: breakdown(plan, result, d) for d in DIMENSIONS}
    out["category_year"] = breakdown(plan, result, ("category", "year"))
    out["theme_tagged"] = breakdown(plan, result, "theme_tagged")
    return out


def totals(plan: Plan, result: AllocationResult) -> dict[str, float]:
    """Overall requirement, funded, firm, pledged-only, gap and coverage (JSON-safe floats)."""
    frame = line_years(plan, result)
    out = {m: float(frame[m].sum()) for m in MONEY}
    req = out["requirement_usd"]
    out["coverage"] = out["funded_usd"] / req if req > 0 else 0.0
    out["firm_coverage"] = out["firm_usd"] / req if req > 0 else 0.0
    return out


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A breakdown as JSON-safe records (numpy scalars turned into Python ones)."""
    records: list[dict[str, Any]] = []
    for rec in frame.to_dict("records"):
        records.append({str(k): _plain(v) for k, v in rec.items()})
    return records


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value
