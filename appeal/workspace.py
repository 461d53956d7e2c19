"""The working group's shared workspace: the official appeal, scenario versions, editions and
their comparisons, notes, and what an unsaved scenario changes.

Read top to bottom:

1. the official appeal — :func:`official` (which saved version) and :func:`official_scenario`;
2. scenarios — :func:`save_scenario` (every save a new version; Save asks before replacing:
   ``replace=False`` refuses an existing name), :func:`restore_version`, and
   :func:`unsaved_changes`, the settings a working scenario changes against its saved version;
3. editions — :func:`publish_edition` freezes the plan, the official scenario and its result
   "as at" a date; :func:`edition_plan` / :func:`edition_run` give it back (re-solving gives the
   same figures: the allocation is deterministic);
4. comparisons — :func:`compare` of two references (an edition, or "today": the register's plan
   under the official appeal): headline figures whose per-line parts add up to the headline
   difference, per donor, and every new, changed and withdrawn pledge with its reason;
5. notes — :func:`add_note` / :func:`notes` on a pledge or a budget line.

Every write goes through the register, so it is audited and attributed to the current actor
(:mod:`appeal.actor`). Permission checks are the callers': the dashboard's role table
(dashboards/roles.py) and the command line, which acts for its operating-system user.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from appeal import service
from models import gaps
from models.plan import PLEDGE_COLUMNS, Plan
from models.privacy import donor_aliases
from models.scenario import Scenario

if TYPE_CHECKING:
    from appeal.register import Register
    from appeal.service import PlanRun, ResultCache

__all__ = [
    "TODAY",
    "Comparison",
    "add_note",
    "audit_workbook",
    "compare",
    "edition_plan",
    "edition_run",
    "latest_edition",
    "notes",
    "official",
    "official_scenario",
    "publish_edition",
    "reference_label",
    "restore_version",
    "save_scenario",
    "show_value",
    "unsaved_changes",
]

# The reference "today": the register's current plan under the official appeal.
TODAY = "today"
# Pledge columns whose change is a change of the pledge (where it was read from is not).
_COMPARED = [c for c in PLEDGE_COLUMNS if c not in ("source_file", "source_row")]
_TABLES = ("programmes", "requirements", "pledges", "tranches", "donors", "fx")


# -- 1. the official appeal -----------------------------------------------------------------
def official(register: Register) -> dict[str, Any] | None:
    """Which saved version is the official appeal: {name, version, marked_by, marked_at}."""
    return register.official()


def official_scenario(register: Register) -> Scenario | None:
    """The official appeal's scenario (the version an admin marked), or None."""
    mark = register.official()
    if mark is None:
        return None
    return register.get_scenario(str(mark["name"]), int(mark["version"]))


# -- 2. scenarios -----------------------------------------------------------------------------
def save_scenario(
    register: Register,
    name: str,
    run: PlanRun,
    *,
    replace: bool,
    expect_version: int | None = None,
    note: str = "",
) -> int:
    """Save the run's scenario under ``name`` as a new version (its summary with it); returns
    the version. ``replace=False`` is Save as: an existing name is refused."""
    summary = service.run_summary(run) if run.result.ok else None
    scenario = (
        run.scenario.model_copy(update={"name": name})
        if run.scenario.name != name
        else run.scenario
    )
    return register.save_scenario(
        name, scenario, summary, replace=replace, expect_version=expect_version, note=note
    )


def restore_version(register: Register, name: str, version: int) -> int:
    """Make version ``version`` of ``name`` its current version again, as a new version (the
    history keeps every version; nothing is lost); returns the new version number."""
    scenario = register.get_scenario(name, version)
    summary = register.scenario_summary(name, version)
    return register.save_scenario(
        name, scenario, summary, replace=True, note=f"restored from version {version}"
    )


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: data}


def unsaved_changes(working: Scenario, saved: Scenario | None) -> list[str]:
    """The settings of ``working`` that differ from ``saved``, as "setting: saved -> working"
    (every setting when nothing is saved under its name); empty when they are the same."""
    now = _flat(working.to_dict())
    then = _flat(saved.to_dict()) if saved is not None else {}
    changes = []
    for key in sorted({*now, *then}):
        if key == "name":
            continue
        if now.get(key) != then.get(key):
            changes.append(f"{key}: {show_value(then.get(key))} -> {show_value(now.get(key))}")
    return changes


def show_value(value: Any) -> str:
    """A setting's value as people read it: "(none)", "[a, b]" or the value."""
    if value is None:
        return "(none)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


# -- 3. editions ----------------------------------------------------------------------------
def _frame_json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="split", index=False, date_format="iso", double_precision=15)


def publish_edition(
    register: Register,
    title: str,
    as_at: str | dt.date,
    *,
    cache: ResultCache | None = None,
) -> int:
    """Freeze today's plan, the official appeal and its result as an edition "as at" a date;
    returns its id. :class:`appeal.service.InputError` when there is no official appeal or the
    title or date is invalid."""
    clean = str(title).strip()
    if not clean or len(clean) > 200:
        raise service.InputError("an edition needs a title of 1-200 characters")
    try:
        date = as_at if isinstance(as_at, dt.date) else dt.date.fromisoformat(str(as_at).strip())
    except ValueError:
        raise service.InputError(f"as-at date {as_at!r} is not a date (YYYY-MM-DD)") from None
    mark = register.official()
    if mark is None:
        raise service.InputError("no official appeal yet: an admin marks a saved scenario first")
    scenario = register.get_scenario(str(mark["name"]), int(mark["version"]))
    plan = service.plan_from_register(register)
    run = service.solve(plan, scenario, cache=cache)
    if not run.result.ok:
        raise service.InputError("the official appeal did not solve; nothing was published")
    snapshot = {
        "plan": {name: _frame_json(getattr(plan, name)) for name in _TABLES},
        "title": plan.title,
        "illustrative": bool(plan.illustrative),
        "scenario": scenario.to_dict(),
    }
    return register.publish_edition(
        title=clean,
        as_at=date.isoformat(),
        scenario_name=str(mark["name"]),
        scenario_version=int(mark["version"]),
        summary=service.run_summary(run),
        snapshot=snapshot,
    )


def edition_plan(record: dict[str, Any]) -> tuple[Plan, Scenario]:
    """The frozen plan and scenario of an edition record (:meth:`Register.edition`)."""
    snap = record["snapshot"]
    tables = {
        name: pd.read_json(io.StringIO(text), orient="split", dtype=False)
        for name, text in snap["plan"].items()
    }
    plan = Plan.build(**tables, title=snap["title"], illustrative=snap["illustrative"])
    return plan, Scenario.from_dict(snap["scenario"])


def edition_run(
    register: Register, edition_id: int, *, cache: ResultCache | None = None
) -> PlanRun:
    """The edition's frozen plan solved under its frozen scenario (the figures it published)."""
    plan, scenario = edition_plan(register.edition(edition_id))
    return service.solve(plan, scenario, cache=cache)


def latest_edition(register: Register) -> dict[str, Any] | None:
    """The most recently published edition's row (no snapshot), or None."""
    frame = register.editions()
    if frame.empty:
        return None
    return {str(k): v for k, v in frame.iloc[-1].to_dict().items()}


def reference_label(register: Register, reference: str | int) -> str:
    """How a reference is named for people: "the 31 March 2027 edition “Title”" or "today"."""
    if str(reference) == TODAY:
        return "today"
    row = register.edition(int(reference))
    day = dt.date.fromisoformat(str(row["as_at"]))
    return f"the {day.day} {day:%B %Y} edition “{row['title']}”"


# -- 4. comparisons -------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """B compared with A (B minus A), donors by their aliases unless revealed.

    ``headline``: figure, a, b, change. ``lines``: line_id, name, funded_a, funded_b, change —
    every line, so the changes add up to the headline's funded change. ``donors``: donor,
    usd_a, usd_b, change (programmable USD pledged). ``pledges``: pledge_id, donor, change
    (new | changed | withdrawn), usd_a, usd_b, reason.
    """

    label_a: str
    label_b: str
    headline: pd.DataFrame
    lines: pd.DataFrame
    donors: pd.DataFrame
    pledges: pd.DataFrame

    @property
    def funded_change(self) -> float:
        row = self.headline.loc[self.headline["figure"] == "Funded"]
        return float(row["change"].iloc[0]) if len(row) else 0.0


def _reference_run(
    register: Register,
    reference: str | int,
    cache: ResultCache | None,
    today: Scenario | None = None,
) -> PlanRun:
    if str(reference) == TODAY:
        plan = service.plan_from_register(register)
        scenario = today or official_scenario(register) or Scenario().validate()
        return service.solve(plan, scenario, cache=cache)
    return edition_run(register, int(reference), cache=cache)


def _pledge_usd(plan: Plan) -> pd.Series:
    return plan.tranches.groupby("pledge_id")["programmable_usd"].sum()


def compare(
    register: Register,
    a: str | int,
    b: str | int = TODAY,
    *,
    cache: ResultCache | None = None,
    reveal: bool = False,
    today: Scenario | None = None,
) -> Comparison:
    """Compare reference ``b`` with reference ``a`` (an edition id or :data:`TODAY`: the
    register's plan under ``today``, default the official appeal)."""
    run_a = _reference_run(register, a, cache, today)
    run_b = _reference_run(register, b, cache, today)
    aliases = {
        **donor_aliases(run_a.plan, reveal=reveal),
        **donor_aliases(run_b.plan, reveal=reveal),
    }
    ta, tb = run_a.totals, run_b.totals
    usd_a, usd_b = _pledge_usd(run_a.plan), _pledge_usd(run_b.plan)
    headline = pd.DataFrame(
        [
            {"figure": label, "a": float(ta[key]), "b": float(tb[key])}
            for key, label in (
                ("requirement_usd", "Requirement"),
                ("funded_usd", "Funded"),
                ("firm_usd", "Firm"),
                ("gap_usd", "Gap"),
            )
        ]
        + [
            {
                "figure": "Pledges",
                "a": float(len(run_a.plan.pledges)),
                "b": float(len(run_b.plan.pledges)),
            },
            {
                "figure": "Pledged (programmable USD)",
                "a": float(usd_a.sum()),
                "b": float(usd_b.sum()),
            },
        ]
    )
    headline["change"] = headline["b"] - headline["a"]
    return Comparison(
        label_a=reference_label(register, a),
        label_b=reference_label(register, b),
        headline=headline,
        lines=_line_changes(run_a, run_b),
        donors=_donor_changes(run_a.plan, run_b.plan, usd_a, usd_b, aliases),
        pledges=_pledge_changes(run_a.plan, run_b.plan, usd_a, usd_b, aliases),
    )


def _line_changes(run_a: PlanRun, run_b: PlanRun) -> pd.DataFrame:
    fa = gaps.line_years(run_a.plan, run_a.result).groupby("line_id")["funded_usd"].sum()
    fb = gaps.line_years(run_b.plan, run_b.result).groupby("line_id")["funded_usd"].sum()
    names = {
        **dict(zip(run_a.plan.programmes["line_id"], run_a.plan.programmes["name"], strict=True)),
        **dict(zip(run_b.plan.programmes["line_id"], run_b.plan.programmes["name"], strict=True)),
    }
    ids = list(dict.fromkeys([*run_b.plan.line_ids, *run_a.plan.line_ids]))
    frame = pd.DataFrame(
        {
            "line_id": ids,
            "name": [str(names.get(i, i)) for i in ids],
            "funded_a": [float(fa.get(i, 0.0)) for i in ids],
            "funded_b": [float(fb.get(i, 0.0)) for i in ids],
        }
    )
    frame["change"] = frame["funded_b"] - frame["funded_a"]
    return frame


def _donor_changes(
    plan_a: Plan, plan_b: Plan, usd_a: pd.Series, usd_b: pd.Series, aliases: dict[str, str]
) -> pd.DataFrame:
    by_a = plan_a.pledges.assign(usd=plan_a.pledges["pledge_id"].map(usd_a).fillna(0.0))
    by_b = plan_b.pledges.assign(usd=plan_b.pledges["pledge_id"].map(usd_b).fillna(0.0))
    da = by_a.groupby("donor")["usd"].sum()
    db = by_b.groupby("donor")["usd"].sum()
    donors = list(dict.fromkeys([*db.index, *da.index]))
    frame = pd.DataFrame(
        {
            "donor": [aliases.get(str(d), str(d)) for d in donors],
            "usd_a": [float(da.get(d, 0.0)) for d in donors],
            "usd_b": [float(db.get(d, 0.0)) for d in donors],
        }
    )
    frame["change"] = frame["usd_b"] - frame["usd_a"]
    return frame[frame["change"].abs() > 0.005].reset_index(drop=True)


def _pledge_changes(
    plan_a: Plan, plan_b: Plan, usd_a: pd.Series, usd_b: pd.Series, aliases: dict[str, str]
) -> pd.DataFrame:
    a = plan_a.pledges.set_index("pledge_id")
    b = plan_b.pledges.set_index("pledge_id")
    rows = []
    for pid in b.index.difference(a.index, sort=False):
        rows.append(
            {
                "pledge_id": pid,
                "donor": aliases.get(str(b.at[pid, "donor"]), "?"),
                "change": "new",
                "usd_a": 0.0,
                "usd_b": float(usd_b.get(pid, 0.0)),
                "reason": f"imported from {b.at[pid, 'source_file']!s}",
            }
        )
    for pid in a.index.difference(b.index, sort=False):
        rows.append(
            {
                "pledge_id": pid,
                "donor": aliases.get(str(a.at[pid, "donor"]), "?"),
                "change": "withdrawn",
                "usd_a": float(usd_a.get(pid, 0.0)),
                "usd_b": 0.0,
                "reason": "no longer in the register",
            }
        )
    compared = [c for c in _COMPARED if c != "pledge_id"]
    for pid in a.index.intersection(b.index, sort=False):
        diffs = [
            f"{c}: {show_value(a.at[pid, c])} -> {show_value(b.at[pid, c])}"
            for c in compared
            if not _same(a.at[pid, c], b.at[pid, c])
        ]
        if diffs:
            donor_a, donor_b = str(a.at[pid, "donor"]), str(b.at[pid, "donor"])
            reason = "; ".join(d for d in diffs if not d.startswith("donor:")) or "donor changed"
            rows.append(
                {
                    "pledge_id": pid,
                    "donor": aliases.get(donor_b, aliases.get(donor_a, "?")),
                    "change": "changed",
                    "usd_a": float(usd_a.get(pid, 0.0)),
                    "usd_b": float(usd_b.get(pid, 0.0)),
                    "reason": reason,
                }
            )
    columns = ["pledge_id", "donor", "change", "usd_a", "usd_b", "reason"]
    return pd.DataFrame(rows, columns=columns)


def _same(x: Any, y: Any) -> bool:
    if pd.isna(x) and pd.isna(y):
        return True
    if isinstance(x, float) or isinstance(y, float):
        try:
            return abs(float(x) - float(y)) < 1e-9
        except (TypeError, ValueError):
            return False
    return bool(x == y)


# -- 5. notes -------------------------------------------------------------------------------
def add_note(register: Register, kind: str, target: str, text: str) -> None:
    """A comment on a pledge (``kind="pledge"``) or a budget line (``"line"``)."""
    register.add_note(kind, str(target), text)


def notes(register: Register, kind: str | None = None, target: str | None = None) -> pd.DataFrame:
    """The notes (kind, target, author, at, text), oldest first."""
    return register.notes(kind, target)


# -- the audit trail, as a workbook --------------------------------------------------------------
def audit_workbook(frame: pd.DataFrame) -> bytes:
    """The audit rows as an xlsx workbook (one sheet, every text a plain string: user text —
    file names, notes — never becomes a formula)."""
    from openpyxl import Workbook

    from appeal.workbook.xlsx_safety import text_cell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Activity")
    columns = ["at", "actor", "action", "target", "summary", "before", "after", "revision"]
    ws.append([text_cell(ws, c) for c in columns])
    for rec in frame[columns].to_dict("records"):
        ws.append(
            [
                int(rec[c]) if c == "revision" else text_cell(ws, "" if rec[c] is None else rec[c])
                for c in columns
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
