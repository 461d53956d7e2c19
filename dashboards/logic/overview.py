"""Overview page logic: headline figures, gap tables and "what changed since the last save".

A *summary* (:func:`appeal.service.run_summary`) is the small JSON-safe digest of one run that
is saved with every scenario in the store; comparing the summary saved then with the same
scenario solved on today's plan (:func:`changes_since`) tells what changed since (new pledges,
status changes, edits to the programmes).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from appeal import terminal
from appeal.service import PlanRun
from dashboards.logic import words
from models import donor_base, gaps
from models.plan import Plan

FLEXIBLE_AIM = donor_base.GRAND_BARGAIN_TARGET


@dataclass
class Headline:
    """The Overview's headline cards."""

    requirement_usd: float
    funded_usd: float
    firm_usd: float
    gap_usd: float
    coverage: float
    donor_count: int
    hhi: float
    effective_donors: float
    flexible_share: float
    flexible_aim: float = FLEXIBLE_AIM

    @property
    def flexible_meets_aim(self) -> bool:
        return self.flexible_share >= self.flexible_aim


def headline(run: PlanRun, breadth: dict[str, Any] | None = None) -> Headline:
    """Headline figures of a run (breadth computed here unless given)."""
    t = gaps.totals(run.plan, run.result)
    b = breadth if breadth is not None else donor_base.breadth(run.plan)
    return Headline(
        requirement_usd=t["requirement_usd"],
        funded_usd=t["funded_usd"],
        firm_usd=t["firm_usd"],
        gap_usd=t["gap_usd"],
        coverage=t["coverage"],
        donor_count=int(b["donor_count"]),
        hhi=float(b["hhi"]),
        effective_donors=float(b["effective_donors"]),
        flexible_share=float(b["flexible_share"]),
    )


def line_year_table(run: PlanRun) -> pd.DataFrame:
    """Line-years with names, money and coverage (for the heat-map and tables)."""
    frame = gaps.line_years(run.plan, run.result)
    # Programme order (leadership, coordination, flagship, entity as the plan lists them).
    rank = {line_id: i for i, line_id in enumerate(run.plan.line_ids)}
    frame = frame.assign(__rank=frame["line_id"].map(rank))
    frame = frame.sort_values(["__rank", "year"], kind="stable").drop(columns="__rank")
    frame = frame.reset_index(drop=True)
    frame["coverage"] = (frame["funded_usd"] / frame["requirement_usd"]).where(
        frame["requirement_usd"] > 0, 0.0
    )
    return frame


def parse_summary(value: Any) -> dict[str, Any] | None:
    """A summary as stored (dict or JSON text); ``None`` when absent or unreadable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("requirement_usd", "Requirement", "money"),
    ("funded_usd", "Funded", "money"),
    ("firm_usd", "Firm (committed + paid)", "money"),
    ("gap_usd", "Gap", "money"),
    ("coverage", "Coverage", "share"),
    ("donor_count", "Donors", "count"),
    ("hhi", "HHI (0-10,000)", "count"),
    ("flexible_share", "Flexible share", "share"),
    ("pledge_count", "Pledges", "count"),
)


def changes_since(
    saved: dict[str, Any], now: dict[str, Any], names: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(headline changes, per-line changes) between a saved summary and the current one.

    Headline frame: figure, kind (money | share | count), saved, now, change. Line frame:
    line_id, name, funded_saved, funded_now, funded_delta — only lines that moved by more
    than a dollar, largest change first.
    """
    rows = []
    for key, label, kind in HEADLINE_ROWS:
        if key in saved and key in now:
            before, after = float(saved[key]), float(now[key])
            rows.append(
                {
                    "figure": label,
                    "kind": kind,
                    "saved": before,
                    "now": after,
                    "change": after - before,
                }
            )
    head = pd.DataFrame(rows, columns=["figure", "kind", "saved", "now", "change"])
    lines_before: dict[str, float] = dict(saved.get("lines", {}))
    lines_after: dict[str, float] = dict(now.get("lines", {}))
    names = names or {}
    line_rows = []
    for line_id in list(dict.fromkeys([*lines_after, *lines_before])):
        b = float(lines_before.get(line_id, 0.0))
        a = float(lines_after.get(line_id, 0.0))
        if abs(a - b) > 1.0:
            line_rows.append(
                {
                    "line_id": line_id,
                    "name": names.get(line_id, line_id),
                    "funded_saved": b,
                    "funded_now": a,
                    "funded_delta": a - b,
                }
            )
    lines = pd.DataFrame(
        line_rows, columns=["line_id", "name", "funded_saved", "funded_now", "funded_delta"]
    )
    if len(lines):
        lines = lines.reindex(lines["funded_delta"].abs().sort_values(ascending=False).index)
        lines = lines.reset_index(drop=True)
    return head, lines


TIME_COLUMNS = ("saved_at", "updated_at", "created_at", "modified_at", "timestamp")


def last_saved(scenarios: pd.DataFrame) -> dict[str, Any] | None:
    """The most recently saved row of the scenario list (as a dict), or ``None``."""
    if scenarios is None or scenarios.empty or "name" not in scenarios.columns:
        return None
    frame = scenarios
    for col in TIME_COLUMNS:
        if col in frame.columns:
            frame = frame.assign(__t=pd.to_datetime(frame[col], errors="coerce", utc=True))
            frame = frame.sort_values("__t", kind="stable").drop(columns="__t")
            break
    rec = frame.iloc[-1].to_dict()
    return {str(k): v for k, v in rec.items()}


def saved_at_text(row: dict[str, Any], *, short: bool = False) -> str:
    """When a scenario-list row was saved, for people ("" when unknown); ``short`` drops the
    year and time zone ("29 Nov 09:46") for narrow tables."""
    for col in TIME_COLUMNS:
        if col in row and row[col] is not None and str(row[col]) not in ("", "NaT", "nan"):
            stamp = pd.to_datetime(row[col], errors="coerce", utc=True)
            if pd.isna(stamp):
                return str(row[col])
            return stamp.strftime("%d %b %H:%M" if short else "%Y-%m-%d %H:%M UTC")
    return ""


def overdue_text(plan: Plan, today: dt.date) -> str:
    """ "3 instalments overdue (USD 1.25m, 2 donor(s))" for the Overview, "" when none is."""
    from models.money import overdue

    flags = overdue(plan.instalments, plan.pledges, today)
    if not flags.any():
        return ""
    late = plan.instalments.loc[flags]
    rate = plan.tranches.groupby("pledge_id")[["amount", "gross_usd"]].sum()
    per_usd = (rate["amount"] / rate["gross_usd"]).to_dict()
    pairs = zip(late["pledge_id"], late["amount"], strict=True)
    usd = sum(float(a) / per_usd.get(p, 1.0) for p, a in pairs)
    donors = plan.pledges.loc[plan.pledges["pledge_id"].isin(late["pledge_id"]), "donor"].nunique()
    noun = "instalment" if len(late) == 1 else "instalments"
    return f"{len(late)} {noun} overdue (USD {terminal.usd(usd)}, {donors} donor(s))"


# -- one-sentence summaries of the Overview's charts (their text alternatives too) ------------
def gap_summary(cat_year: pd.DataFrame) -> str:
    """The gap chart in one sentence: total, the year it is largest and who carries it."""
    if cat_year.empty or float(cat_year["gap_usd"].sum()) <= 0.5:
        return "No gap: every requirement shown is funded."
    by_year = cat_year.groupby("year")["gap_usd"].sum()
    year = int(by_year.sort_values().index[-1])
    in_year = cat_year[cat_year["year"] == year].set_index("category")["gap_usd"]
    top = str(in_year.idxmax())
    share = float(in_year.max()) / float(by_year.max())
    return (
        f"The gap is {words.usd_m(float(by_year.sum()))} over the horizon, largest in {year} "
        f"({words.usd_m(float(by_year.max()))}), {share:.0%} of it in "
        f"{words.label('category', top)} lines."
    )


def year_summary(years: pd.DataFrame) -> str:
    """The funding-by-year chart in one sentence (shares of the requirement)."""
    req = float(years["requirement_usd"].sum()) if len(years) else 0.0
    if req <= 0:
        return "No requirement in the years shown."
    firm = float(years["firm_usd"].sum()) / req
    pledged = float(years["pledged_only_usd"].sum()) / req
    gap = float(years["gap_usd"].sum()) / req
    return (
        f"Firm money covers {firm:.0%} of the requirement and pledged-only money another "
        f"{pledged:.0%}; {gap:.0%} ({words.usd_m(float(years['gap_usd'].sum()))}) is still missing."
    )


def heatmap_summary(frame: pd.DataFrame) -> str:
    """The coverage heat-map in one sentence: how many line-years are full and empty."""
    need = frame[frame["requirement_usd"] > 0]
    if need.empty:
        return "No requirement in the lines shown."
    full = int((need["coverage"] >= 0.995).sum())
    none = int((need["funded_usd"] <= 0.5).sum())
    lines = need["line_id"].nunique()
    return (
        f"Of {len(need)} line-years ({lines} lines), {full} are fully covered and {none} "
        "receive nothing; each cell shows the percentage covered."
    )
