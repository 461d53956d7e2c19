"""Change attribution as a use case: why each line's funding differs between two scenarios on
the register's plan, or between an edition and today, for ``appeal compare`` and the
dashboard's comparison view.

Read top to bottom:

1. the two sides — :func:`scenarios` (two scenarios, each a saved name or a TOML file, on the
   register's plan) or :func:`edition_and_today` (an edition's frozen plan and scenario
   against the register's plan under the official appeal, or a given scenario);
2. :func:`models.attribution.attribute` splits each line's difference over every changed
   setting and data change (each alone against the before allocation, in a stated order) with
   the interaction remainder;
3. :func:`explain_difference` gives a :class:`ChangeAttribution`, **in cents**: every figure
   is rounded to the cent and the interaction is what remains of the line's rounded total
   change, so each line's parts and the column totals add up to the total difference to the
   cent;
4. out — :meth:`ChangeAttribution.to_dict` (JSON-safe) and :func:`table_lines` (the
   readable table ``appeal compare`` prints): donors by their aliases and every string
   scrubbed by :func:`appeal.report.for_outside_readers` unless revealed.

The dashboard builds its own :class:`Side` for a working scenario (``Side(label, plan,
scenario)``) and calls :func:`explain_difference`.

Permission checks are the callers' (the command line's ``--reveal-confidential`` and the
dashboard's roles). The one-change solves are not cached one by one (each is used once);
with the dashboard's cache the whole attribution is. They run :data:`ATTRIBUTION_WORKERS` at a
time (two cores: a comparison of eight settings takes about half as long).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from appeal import service, workspace
from models.attribution import Attribution, attribute
from models.privacy import donor_aliases, name_scrubber
from models.scenario import Scenario

if TYPE_CHECKING:
    from appeal.register import Register
    from models.plan import Plan
    from models.result import AllocationResult

__all__ = [
    "ATTRIBUTION_WORKERS",
    "ChangeAttribution",
    "Side",
    "edition_and_today",
    "explain_difference",
    "resolve_scenario",
    "scenarios",
    "table_lines",
]

# How many of a comparison's solves run at once (threads: HiGHS solves outside the GIL).
ATTRIBUTION_WORKERS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its plan, its scenario and how people call it."""

    label: str
    plan: Plan
    scenario: Scenario


@dataclass(frozen=True)
class ChangeAttribution:
    """After minus before, per line, split over the changes (see the module docstring).

    ``lines``: line_id, name, funded_before, funded_after, total_change, one column per
    measured change (``order``), interaction — USD rounded to the cent, each row's parts
    adding up to its total_change exactly in cents. ``changes``: every change found (measured
    or not, ``affects_allocation`` says), as :meth:`models.attribution.Change.to_dict`."""

    before: str
    after: str
    order: list[str]
    labels: dict[str, str]
    changes: list[dict[str, Any]]
    lines: pd.DataFrame
    statuses: dict[str, str]
    aliases: dict[str, str]  # donor -> alias (confidential donors' aliases unless revealed)
    revealed: bool = False

    def scrubbed(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (JSON-safe) as it may leave: confidential donors' names scrubbed from
        every string unless revealed (:func:`appeal.report.for_outside_readers`)."""
        from appeal.report import for_outside_readers

        return data if self.revealed else for_outside_readers(data, self.aliases)

    @property
    def totals(self) -> dict[str, float]:
        """Column totals of :attr:`lines` (from the cents, so they add up too)."""
        columns = ["funded_before", "funded_after", "total_change", *self.order, "interaction"]
        return {c: _usd(int(self.cents[c].sum())) for c in columns}

    @property
    def cents(self) -> pd.DataFrame:
        """:attr:`lines`' money columns as integer cents."""
        money = [c for c in self.lines.columns if c not in ("line_id", "name")]
        return (self.lines[money] * 100).round().astype("int64")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, confidential donors never named unless revealed."""
        from appeal.report import json_safe, records

        data = json_safe(
            {
                "before": self.before,
                "after": self.after,
                "method": "each change alone against the before allocation, in the order "
                "listed (settings in the scenario's key order, then data changes); the "
                "interaction is what the changes do together beyond their separate effects; "
                "USD rounded to the cent, parts adding up to each line's total change",
                "order": self.order,
                "labels": self.labels,
                "changes": self.changes,
                "lines": records(self.lines),
                "totals": self.totals,
                "statuses": self.statuses,
            }
        )
        return self.scrubbed(data)


# -- 1. the two sides ---------------------------------------------------------------------------
def resolve_scenario(register: Register, name_or_file: str) -> tuple[str, Scenario]:
    """(label, scenario) for a saved scenario's name or a scenario TOML file (a path ending
    in .toml or naming a file); :class:`appeal.service.InputError` when neither."""
    from models.scenario import ScenarioError

    text = str(name_or_file)
    if text.lower().endswith(".toml") or Path(text).is_file():
        try:
            return f"file {text}", service.load_scenario(text)
        except ScenarioError as exc:
            raise service.InputError(f"scenario: {exc}") from None
    return f"scenario {text!r}", service.stored_scenario(register, text)


def scenarios(register: Register, before: str, after: str) -> tuple[Side, Side]:
    """Two scenarios (saved names or TOML files) on the register's plan."""
    plan = service.plan_from_register(register)
    sides = []
    for ref in (before, after):
        label, scenario = resolve_scenario(register, ref)
        service.check_scenario_donors(plan, scenario, ref)
        sides.append(Side(label, plan, scenario))
    return sides[0], sides[1]


def edition_and_today(
    register: Register, edition_id: int, today: str | Scenario | None = None
) -> tuple[Side, Side]:
    """An edition (its frozen plan and scenario) and today: the register's plan under
    ``today`` (a saved name or TOML file, or a scenario as it stands, e.g. a working one),
    by default the official appeal."""
    from appeal.register import RegisterError

    try:
        record = register.edition(int(edition_id))
    except RegisterError:
        raise service.InputError(f"--edition {edition_id}: no edition {edition_id}") from None
    plan_a, scenario_a = workspace.edition_plan(record)
    plan_b = service.plan_from_register(register)
    if isinstance(today, Scenario):
        scenario_b, label = today, f"today (scenario {today.name!r})"
    elif today:
        label, scenario_b = resolve_scenario(register, today)
        service.check_scenario_donors(plan_b, scenario_b, today)
        label = f"today ({label})"
    else:
        scenario_b = workspace.official_scenario(register) or Scenario().validate()
        label = "today (the official appeal)"
    before = Side(workspace.reference_label(register, int(edition_id)), plan_a, scenario_a)
    return before, Side(label, plan_b, scenario_b)


# -- 2-3. attribute, in cents -------------------------------------------------------------------
def explain_difference(
    before: Side,
    after: Side,
    *,
    reveal: bool = False,
    cache: service.ResultCache | None = None,
) -> ChangeAttribution:
    """The per-line attribution of ``after`` minus ``before``, in cents; donors named in the
    changes (excluded donors, risk probabilities) by their aliases unless ``reveal``.

    With ``cache`` (the dashboard's result cache) the before side's own allocation comes from
    it (the page has usually solved it already), and the whole attribution is kept there, so
    comparing the same two sides again is a lookup."""
    if cache is None:
        return _explain(before, after, reveal, base=None)
    sides = [cache.key(before.plan, before.scenario), cache.key(after.plan, after.scenario)]
    raw = "|".join(["compare", *sides, before.label, after.label, f"reveal={reveal}"])
    return cache.remember(
        hashlib.sha256(raw.encode()).hexdigest(),
        lambda: _explain(before, after, reveal, base=cache.result(before.plan, before.scenario)),
        keep=lambda found: all(status == "optimal" for status in found.statuses.values()),
    )


def _explain(
    before: Side, after: Side, reveal: bool, *, base: AllocationResult | None
) -> ChangeAttribution:
    found: Attribution = attribute(
        (before.plan, before.scenario),
        (after.plan, after.scenario),
        base=base,
        workers=ATTRIBUTION_WORKERS,
    )
    aliases = {
        **donor_aliases(before.plan, reveal=reveal),
        **donor_aliases(after.plan, reveal=reveal),
    }
    changes = [c.to_dict(aliases) for c in found.changes]
    scrub = name_scrubber(aliases)
    for change in changes:
        if change["kind"] == "setting":
            # Scrubbed before shortening: a name cut in half would slip past the scrubber.
            before_text, after_text = (
                _short(scrub(workspace.show_value(change[side]))) for side in ("before", "after")
            )
            change["label"] = f"{change['key']}: {before_text} -> {after_text}"
    labels = {c["key"]: str(c["label"]) for c in changes}
    return ChangeAttribution(
        before=before.label,
        after=after.label,
        order=list(found.order),
        labels=labels,
        changes=changes,
        lines=_in_cents(found, _line_names(before.plan, after.plan)),
        statuses=dict(found.statuses),
        aliases=aliases,
        revealed=reveal,
    )


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _line_names(*plans: Plan) -> dict[str, str]:
    names: dict[str, str] = {}
    for plan in plans:
        names.update(
            zip(
                plan.programmes["line_id"].astype(str),
                plan.programmes["name"].astype(str),
                strict=True,
            )
        )
    return names


def _in_cents(found: Attribution, names: dict[str, str]) -> pd.DataFrame:
    """The attribution's lines rounded to the cent, the interaction re-derived from the
    rounded figures so that every row's parts add up to its total change exactly."""
    raw = found.lines
    cents = pd.DataFrame({"line_id": raw["line_id"].astype(str)})
    for col in ("funded_before", "funded_after", *found.order):
        cents[col] = (raw[col].astype(float) * 100).round().astype("int64")
    cents["total_change"] = cents["funded_after"] - cents["funded_before"]
    cents["interaction"] = cents["total_change"] - cents[list(found.order)].sum(axis=1)
    out = pd.DataFrame(
        {"line_id": cents["line_id"], "name": [names.get(i, i) for i in cents["line_id"]]}
    )
    for col in ("funded_before", "funded_after", "total_change", *found.order, "interaction"):
        out[col] = cents[col].to_numpy() / 100.0
    return out


def _usd(cents: int) -> float:
    return cents / 100.0


# -- 4. out -------------------------------------------------------------------------------------
def table_lines(result: ChangeAttribution, *, all_lines: bool = False) -> list[str]:
    """The readable report: the changes found, then per line (those that moved, unless
    ``all_lines``) the total change and each change's part, in USD; confidential donors
    never named unless revealed."""
    from appeal.terminal import table

    out = [f"Before: {result.before}", f"After:  {result.after}", "", "Changes, in order:"]
    measured = set(result.order)
    if not result.changes:
        out.append("  (none: the two sides are the same)")
    for i, change in enumerate(result.changes, start=1):
        note = "" if change["key"] in measured else "  (cannot change the allocation)"
        out.append(f"  {i}. {change['label']}{note}")
    columns = [*result.order, "interaction"]
    shown = result.lines
    if not all_lines:
        moved = result.cents[["total_change", *columns]].abs().sum(axis=1) > 0
        shown = shown[moved.to_numpy()]
    numbers = {c: i + 1 for i, c in enumerate(c["key"] for c in result.changes)}
    headers = ["line", "before", "after", "change"]
    headers += [f"({numbers[k]})" for k in result.order] + ["interaction"]
    rows = [
        [
            str(rec["line_id"]),
            *(_money(rec[c]) for c in ("funded_before", "funded_after", "total_change")),
            *(_money(rec[c]) for c in columns),
        ]
        for rec in shown.to_dict("records")
    ]
    totals = result.totals
    rows.append(
        [
            "total",
            *(_money(totals[c]) for c in ("funded_before", "funded_after", "total_change")),
            *(_money(totals[c]) for c in columns),
        ]
    )
    out.append("")
    out.append(table(headers, rows, title="Funding per line (USD); (n) is change n's part"))
    if not all_lines and len(shown) < len(result.lines):
        out.append(f"{len(result.lines) - len(shown)} line(s) unchanged (--all-lines lists them)")
    scrubbed: list[str] = result.scrubbed({"lines": out})["lines"]
    return scrubbed


def _money(value: float) -> str:
    return f"{value:,.2f}"
