"""Change attribution: why each line's funding differs between two (plan, scenario) pairs.

Given a *before* pair (an edition, or one scenario) and an *after* pair (today, or another
scenario), the per-line difference in funding is split over the changes between them:

- :func:`scenario_diff` lists the settings that differ (dotted keys of the scenario's dict
  form, e.g. ``weights.tier.2``, ``targets.gender_share``, ``excluded_donors``), each marked
  whether it can change the allocation at all (names, descriptions, risk settings and solver
  limits cannot);
- :func:`plan_diff` lists the data changes, grouped: programmes added, removed, changed
  (category, priority, themes, minimum viable share ...), requirements changed, pledges
  added, removed, changed (amount, timing, earmark, status ...);
- :func:`attribute` measures each change **alone**: the before pair with only that change
  applied, solved, minus the before pair's allocation. The changes are listed (and measured)
  in a stated order: settings in the scenario's own key order, then data changes in the order
  above. What the changes do together beyond the sum of their separate effects is the
  **interaction** remainder, shown per line, so that effects plus interaction add up to the
  total difference exactly.

Every solve but the first uses the before allocation as its stability reference
(``stability = "reference"``): among equally good allocations each takes the one closest to
where the money was, so an effect measures the change and not a reshuffle between lines that
need not move. The after pair is solved the same way, so "total" is the after allocation
that stays closest to the before one.

Public: :func:`scenario_diff`, :func:`plan_diff`, :func:`attribute` -> :class:`Attribution`
(``to_dict(aliases)`` is JSON-safe; donor names only ever appear through ``aliases``).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.allocation import allocate
from models.gaps import to_records
from models.plan import Plan
from models.result import AllocationResult
from models.scenario import Scenario

__all__ = [
    "DATA_CHANGES",
    "NO_ALLOCATION_EFFECT",
    "Attribution",
    "Change",
    "attribute",
    "plan_diff",
    "scenario_diff",
]

# Scenario settings (top-level keys) that cannot change the allocation.
NO_ALLOCATION_EFFECT = (
    "name",
    "description",
    "risk",
    "time_limit_seconds",
    "solver",
    "stability_reference",
)
# Data changes, in the order they are listed and measured.
DATA_CHANGES = (
    "programmes_added",
    "programmes_removed",
    "programmes_changed",
    "requirements_changed",
    "pledges_added",
    "pledges_removed",
    "pledges_changed",
)


@dataclass(frozen=True)
class Change:
    """One setting or one group of data changes.

    ``kind``: "setting" | "data"; ``key``: the dotted setting (``weights.tier.2``) or the data
    change (one of :data:`DATA_CHANGES`); ``before`` / ``after``: the setting's values, or
    for data the ids concerned (line_ids or pledge_ids, never donor names); ``usd``: for
    pledge changes, the programmable USD concerned (after minus before); ``affects``: False
    for settings that cannot change the allocation (listed, not measured)."""

    kind: str
    key: str
    before: Any
    after: Any
    usd: float | None = None
    affects: bool = True

    @property
    def label(self) -> str:
        if self.kind == "setting":
            return f"{self.key}: {_short(self.before)} -> {_short(self.after)}"
        ids = self.after if self.key.endswith("_added") else self.before
        what = self.key.replace("_", " ")
        count = len(ids) if isinstance(ids, list) else 0
        money = f" (USD {self.usd / 1e6:,.2f}m)" if self.usd is not None else ""
        return f"{count} {what}{money}"

    def to_dict(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
        names = aliases or {}

        def safe(value: Any) -> Any:
            if self.key == "excluded_donors" and isinstance(value, list):
                return [names.get(str(v), str(v)) for v in value]
            if self.key.startswith("risk.donor_probability") and isinstance(value, dict):
                return {names.get(str(k), str(k)): v for k, v in value.items()}
            return value

        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label if self.key != "excluded_donors" else self.key,
            "before": safe(self.before),
            "after": safe(self.after),
            "usd": self.usd,
            "affects_allocation": self.affects,
        }


@dataclass
class Attribution:
    """The per-line split of the difference in funding between two pairs.

    ``lines``: line_id, funded_before, funded_after, total_change, one column per measured
    change (its ``key``), interaction; effects + interaction = total_change (floats: to
    rounding). ``changes``: every change found, measured or not, in order. ``order``: the
    keys of the measured changes, in the order of the columns."""

    changes: list[Change]
    lines: pd.DataFrame
    order: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # solver status per solve

    @property
    def totals(self) -> dict[str, float]:
        cols = ["funded_before", "funded_after", "total_change", *self.order, "interaction"]
        return {c: float(self.lines[c].sum()) for c in cols}

    def to_dict(self, aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
        """JSON-safe: the changes (donor names through ``aliases``), the measured order, the
        per-line table and totals."""
        return {
            "method": "each change alone against the before allocation; interaction is the rest",
            "order": list(self.order),
            "changes": [c.to_dict(aliases) for c in self.changes],
            "lines": to_records(self.lines),
            "totals": self.totals,
            "statuses": dict(self.statuses),
        }


# --------------------------------------------------------------------------------------------
# what differs
# --------------------------------------------------------------------------------------------
def scenario_diff(before: Scenario, after: Scenario) -> list[Change]:
    """Every setting that differs, as dotted keys in the scenario's own key order."""
    a, b = _flatten(before.to_dict()), _flatten(after.to_dict())
    keys = list(a) + [k for k in b if k not in a]
    out: list[Change] = []
    for key in keys:
        va, vb = a.get(key), b.get(key)
        if _same(va, vb):
            continue
        top = key.split(".")[0]
        out.append(Change("setting", key, va, vb, affects=top not in NO_ALLOCATION_EFFECT))
    return out


def plan_diff(before: Plan, after: Plan) -> list[Change]:
    """The data changes between two plans, grouped (see :data:`DATA_CHANGES`)."""
    out: list[Change] = []
    pa, pb = _by_id(before.programmes, "line_id"), _by_id(after.programmes, "line_id")
    added = [i for i in pb.index if i not in pa.index]
    removed = [i for i in pa.index if i not in pb.index]
    common = [i for i in pa.index if i in pb.index]
    changed = [i for i in common if not _rows_equal(pa.loc[i], pb.loc[i])]
    ra, rb = _requirements(before), _requirements(after)
    req_changed = [
        i
        for i in common
        if not ra.get(i, pd.Series(dtype=float)).equals(rb.get(i, pd.Series(dtype=float)))
    ]
    for key, ids in (
        ("programmes_added", added),
        ("programmes_removed", removed),
        ("programmes_changed", changed),
        ("requirements_changed", req_changed),
    ):
        if ids:
            out.append(
                Change(
                    "data",
                    key,
                    ids if "added" not in key else [],
                    ids if "removed" not in key else [],
                )
            )
    ga, gb = _pledges(before), _pledges(after)
    p_added = [i for i in gb if i not in ga]
    p_removed = [i for i in ga if i not in gb]
    p_changed = [i for i in ga if i in gb and not _pledge_equal(ga[i], gb[i])]
    money_a, money_b = _programmable(before), _programmable(after)
    for key, ids, usd in (
        ("pledges_added", p_added, sum(money_b.get(i, 0.0) for i in p_added)),
        ("pledges_removed", p_removed, -sum(money_a.get(i, 0.0) for i in p_removed)),
        (
            "pledges_changed",
            p_changed,
            sum(money_b.get(i, 0.0) - money_a.get(i, 0.0) for i in p_changed),
        ),
    ):
        if ids:
            before_ids = ids if key != "pledges_added" else []
            after_ids = ids if key != "pledges_removed" else []
            out.append(Change("data", key, before_ids, after_ids, usd=float(usd)))
    return out


# --------------------------------------------------------------------------------------------
# attribution
# --------------------------------------------------------------------------------------------
def attribute(
    before: tuple[Plan, Scenario],
    after: tuple[Plan, Scenario],
    *,
    base: AllocationResult | None = None,
    workers: int = 1,
) -> Attribution:
    """Split the per-line difference in funding between ``before`` and ``after`` over the
    changes between them (see the module docstring). ``base``: the before pair's allocation
    when the caller has it already (e.g. from a result cache), else solved here. Every solve
    here is :func:`models.allocation.allocate` without explanations or sensitivity ranges
    (only each line's funding is read).

    Once the before pair is solved, the after pair and every one-change pair depend only on
    its allocation (their stability reference), not on one another: with ``workers`` > 1 they
    are solved that many at a time, in threads (HiGHS lets go of the GIL while it solves, so
    two cores do two solves at once; every solve builds its own model and Highs instance, and
    HiGHS gives each calling thread its own task scheduler — ERGO-Code/HiGHS#818 — so two
    instances in two threads share nothing). Each solve is deterministic, so the result is
    the same for any ``workers``."""
    plan_a, sc_a = before
    plan_b, sc_b = after
    settings = scenario_diff(sc_a, sc_b)
    data = plan_diff(plan_a, plan_b)
    changes = settings + data
    if base is None:
        base = _allocate(plan_a, sc_a, None)
    reference = base.lines[["line_id", "year", "funded_usd"]]

    measured = [change for change in changes if change.affects]
    pairs: list[tuple[Plan, Scenario]] = [(plan_b, _stable(sc_b))]
    for change in measured:
        if change.kind == "setting":
            pairs.append((plan_a, _stable(_with_setting(sc_a, change.key, sc_b))))
        else:
            pairs.append((_with_data(plan_a, plan_b, change), _stable(sc_a)))
    final, *parts = _solve_all(pairs, reference, workers)

    statuses = {"before": base.solver.status, "after": final.solver.status}
    f_a, f_b = _funded(base), _funded(final)
    index = list(dict.fromkeys([*f_a.index, *f_b.index]))
    table = pd.DataFrame({"line_id": index})
    table["funded_before"] = f_a.reindex(index, fill_value=0.0).to_numpy()
    table["funded_after"] = f_b.reindex(index, fill_value=0.0).to_numpy()
    table["total_change"] = table["funded_after"] - table["funded_before"]
    effects = np.zeros(len(index))
    for change, result in zip(measured, parts, strict=True):
        statuses[change.key] = result.solver.status
        effect = (
            _funded(result).reindex(index, fill_value=0.0).to_numpy()
            - table["funded_before"].to_numpy()
        )
        table[change.key] = effect
        effects = effects + effect
    table["interaction"] = table["total_change"].to_numpy() - effects
    return Attribution(
        changes=changes, lines=table, order=[c.key for c in measured], statuses=statuses
    )


def _solve_all(
    pairs: list[tuple[Plan, Scenario]],
    reference: pd.DataFrame,
    workers: int,
) -> list[AllocationResult]:
    """Every pair solved against ``reference``, in the pairs' order."""
    if workers <= 1 or len(pairs) <= 1:
        return [_allocate(plan, scenario, reference) for plan, scenario in pairs]
    with ThreadPoolExecutor(max_workers=min(workers, len(pairs))) as pool:
        return list(pool.map(lambda pair: _allocate(pair[0], pair[1], reference), pairs))


def _funded(result: AllocationResult) -> pd.Series:
    lines = result.lines
    return lines.groupby(lines["line_id"].astype(str))["funded_usd"].sum()


def _allocate(plan: Plan, scenario: Scenario, reference: pd.DataFrame | None) -> AllocationResult:
    # Only each line's funding is read: no explanations, no sensitivity ranges.
    return allocate(plan, scenario, reference=reference, sensitivity=False, explain=False)


def _stable(scenario: Scenario) -> Scenario:
    return scenario.model_copy(update={"stability": "reference"}, deep=True)


def _with_setting(scenario: Scenario, key: str, source: Scenario) -> Scenario:
    """``scenario`` with the setting ``key`` (dotted) taken from ``source``."""
    data = scenario.to_dict()
    value = _flatten(source.to_dict()).get(key, _MISSING)
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is _MISSING:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return Scenario.from_dict(data)


# Each data change's table and the table of its children (whose rows go with it), the key
# column, and what it does: "add" rows of the after plan, "remove" rows, "swap" the rows for the
# after plan's (children too), or "children" (only the child rows).
_DATA_SURGERY: dict[str, tuple[str, str, str, str]] = {
    "programmes_added": ("programmes", "requirements", "line_id", "add"),
    "programmes_removed": ("programmes", "requirements", "line_id", "remove"),
    "programmes_changed": ("programmes", "requirements", "line_id", "swap_parent"),
    "requirements_changed": ("programmes", "requirements", "line_id", "children"),
    "pledges_added": ("pledges", "tranches", "pledge_id", "add"),
    "pledges_removed": ("pledges", "tranches", "pledge_id", "remove"),
    "pledges_changed": ("pledges", "tranches", "pledge_id", "swap"),
}


def _with_data(plan_a: Plan, plan_b: Plan, change: Change) -> Plan:
    """``plan_a`` with one group of data changes taken from ``plan_b``."""
    if change.key not in _DATA_SURGERY:
        raise ValueError(f"unknown data change {change.key!r}")
    parent, child, key, how = _DATA_SURGERY[change.key]
    ids = set(map(str, change.after if how == "add" else change.before))
    pa, pb = getattr(plan_a, parent), getattr(plan_b, parent)
    ca, cb = getattr(plan_a, child), getattr(plan_b, child)
    if how == "add":
        return plan_a.replace(
            **{parent: _concat(pa, _rows(pb, key, ids)), child: _concat(ca, _rows(cb, key, ids))}
        )
    if how == "remove":
        return plan_a.replace(**{parent: _drop(pa, key, ids), child: _drop(ca, key, ids)})
    new_children = _concat(_drop(ca, key, ids), _rows(cb, key, ids))
    if how == "children":
        return plan_a.replace(**{child: new_children})
    if how == "swap_parent":
        return plan_a.replace(**{parent: _swap(pa, pb, key, ids)})
    return plan_a.replace(**{parent: _swap(pa, pb, key, ids), child: new_children})


# --------------------------------------------------------------------------------------------
# table helpers
# --------------------------------------------------------------------------------------------
_MISSING = object()
_Pledge = tuple[dict[str, Any], list[tuple[int, float]]]  # a pledge's row and its tranches


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys; ``weights.tier`` and ``weights.criteria`` are split per
    entry (one setting each), other dicts (risk probabilities) kept whole under their key."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and (
            not prefix or name in ("weights.tier", "weights.criteria")
        ):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (np.isnan(a) and np.isnan(b))
    return bool(a == b)


def _by_id(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    out = frame.copy()
    out.index = out[key].astype(str)
    return out


def _rows_equal(a: pd.Series, b: pd.Series) -> bool:
    cols = [c for c in a.index if c in b.index]
    return all(_same(_plain(a[c]), _plain(b[c])) for c in cols) and len(cols) == len(a.index)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _requirements(plan: Plan) -> dict[str, pd.Series]:
    req = plan.requirements
    out: dict[str, pd.Series] = {}
    for lid, group in req.groupby(req["line_id"].astype(str)):
        series = group.groupby(group["year"].astype(int))["requirement_usd"].sum().sort_index()
        out[str(lid)] = series.astype(float)
    return out


def _pledges(plan: Plan) -> dict[str, _Pledge]:
    """Per pledge: its row (minus where it came from) and its tranches (year, USD)."""
    skip = {"source_file", "source_sheet", "source_row"}
    rows: dict[str, dict[str, Any]] = {
        str(r["pledge_id"]): {str(k): _plain(v) for k, v in r.items() if k not in skip}
        for r in plan.pledges.to_dict("records")
    }
    tranches: dict[str, list[tuple[int, float]]] = {pid: [] for pid in rows}
    tr = plan.tranches
    for pid, year, usd in zip(
        tr["pledge_id"].astype(str),
        tr["year"].astype(int),
        tr["programmable_usd"].astype(float),
        strict=True,
    ):
        tranches.setdefault(pid, []).append((int(year), round(float(usd), 6)))
    return {pid: (rows[pid], sorted(tranches.get(pid, []))) for pid in rows}


def _pledge_equal(
    a: tuple[dict[str, Any], list[tuple[int, float]]],
    b: tuple[dict[str, Any], list[tuple[int, float]]],
) -> bool:
    keys = set(a[0]) | set(b[0])
    same_row = all(_same(a[0].get(k), b[0].get(k)) for k in keys)
    return same_row and a[1] == b[1]


def _programmable(plan: Plan) -> dict[str, float]:
    tr = plan.tranches
    sums = tr.groupby(tr["pledge_id"].astype(str))["programmable_usd"].sum()
    return {str(k): float(v) for k, v in sums.items()}


def _rows(frame: pd.DataFrame, key: str, ids: set[str]) -> pd.DataFrame:
    return frame[frame[key].astype(str).isin(ids)]


def _drop(frame: pd.DataFrame, key: str, ids: set[str]) -> pd.DataFrame:
    return frame[~frame[key].astype(str).isin(ids)].reset_index(drop=True)


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    if b.empty:
        return a.reset_index(drop=True)
    return pd.concat([a, b[list(a.columns)]], ignore_index=True)


def _swap(a: pd.DataFrame, b: pd.DataFrame, key: str, ids: set[str]) -> pd.DataFrame:
    """``a`` with the rows of ``ids`` replaced by ``b``'s, in ``a``'s row order."""
    records = a.to_dict("records")
    replacement = {str(r[key]): r for r in b.to_dict("records") if str(r[key]) in ids}
    rows = [
        {**row, **{c: replacement[str(row[key])][c] for c in a.columns if c in b.columns}}
        if str(row[key]) in replacement
        else row
        for row in records
    ]
    return pd.DataFrame(rows, columns=a.columns).astype(a.dtypes.to_dict(), errors="ignore")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
