"""Donor profile and entity view logic: one donor's pledges, habits and years; what each
Compact entity's lines get by year. Donors are named by their aliases throughout (the page's
address carries the alias, never a confidential donor's name)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from appeal.service import PlanRun
from dashboards.logic import words
from models import donor_base, gaps
from models.labels import Kind

PLEDGE_COLUMNS = [
    "pledge_id", "first_year", "last_year", "earmarking", "earmark_to", "status", "amount",
    "currency", "gross_usd", "programmable_usd",
]  # fmt: skip


def real_name(alias: str | None, aliases: dict[str, str]) -> str | None:
    """The donor behind an alias (server side only); ``None`` when no donor has it."""
    if not alias:
        return None
    back = {a: d for d, a in aliases.items()}
    return back.get(alias)


def donor_pledges(run: PlanRun, donor: str) -> pd.DataFrame:
    """Every pledge of ``donor`` with its USD amounts; codes in words."""
    plan = run.plan
    mine = plan.pledges[plan.pledges["donor"].astype(str) == donor].copy()
    usd = plan.tranches.groupby(plan.tranches["pledge_id"].astype(str))[
        ["gross_usd", "programmable_usd"]
    ].sum()
    ids = mine["pledge_id"].astype(str)
    mine["gross_usd"] = ids.map(usd["gross_usd"]).fillna(0.0).to_numpy()
    mine["programmable_usd"] = ids.map(usd["programmable_usd"]).fillna(0.0).to_numpy()
    mine["earmarking"] = [words.label("earmarking", e) for e in mine["earmarking"]]
    mine["status"] = [words.label("status", s) for s in mine["status"]]
    return mine[PLEDGE_COLUMNS].sort_values(["first_year", "pledge_id"]).reset_index(drop=True)


def donor_years(run: PlanRun, donor: str) -> pd.DataFrame:
    """Programmable USD of ``donor`` per year and earmarking (codes kept, for the chart)."""
    money = donor_base.horizon_tranches(run.plan)
    mine = money[money["donor"].astype(str) == donor]
    if mine.empty:
        return pd.DataFrame(columns=["year", "earmarking", "programmable_usd"])
    return pd.DataFrame(
        mine.groupby(["year", "earmarking"], as_index=False)["programmable_usd"].sum()
    )


def shares(frame: pd.DataFrame, column: str, kind: Kind) -> list[tuple[str, float]]:
    """(label, share of the donor's programmable money) per value of ``column``."""
    total = float(frame["programmable_usd"].sum())
    if total <= 0:
        return []
    sums = frame.groupby(column)["programmable_usd"].sum().sort_values(ascending=False)
    return [(words.label(kind, k), float(v) / total) for k, v in sums.items() if v > 0]


def status_shares(run: PlanRun, donor: str) -> list[tuple[str, float]]:
    money = donor_base.horizon_tranches(run.plan)
    mine = money[money["donor"].astype(str) == donor]
    return shares(mine, "status", "status") if len(mine) else []


def years_sentence(years: pd.DataFrame) -> str:
    """How the donor's money changes over the years, in one sentence."""
    if years.empty:
        return "No money from this donor in the appeal's years."
    by_year = years.groupby("year")["programmable_usd"].sum().sort_index()
    first, last = int(by_year.index[0]), int(by_year.index[-1])
    flexible = years[years["earmarking"].isin(("unearmarked", "softly_earmarked"))]
    flex = flexible.groupby("year")["programmable_usd"].sum().reindex(by_year.index, fill_value=0)
    share_first = float(flex.iloc[0]) / float(by_year.iloc[0]) if by_year.iloc[0] else 0.0
    share_last = float(flex.iloc[-1]) / float(by_year.iloc[-1]) if by_year.iloc[-1] else 0.0
    if first == last:
        return (
            f"All of it is for {first}: USD {by_year.iloc[0] / 1e6:,.1f}m, "
            f"{share_first:.0%} flexible."
        )
    trend = "rises" if by_year.iloc[-1] > by_year.iloc[0] else "falls"
    return (
        f"Its money {trend} from USD {by_year.iloc[0] / 1e6:,.1f}m in {first} to "
        f"USD {by_year.iloc[-1] / 1e6:,.1f}m in {last}; the flexible share goes from "
        f"{share_first:.0%} to {share_last:.0%}."
    )


def donor_funds(run: PlanRun, donor: str) -> pd.DataFrame:
    """What the donor's money funds in this scenario: line_id, name, year, amount_usd."""
    alloc = run.result.allocations
    if alloc is None or alloc.empty:
        return pd.DataFrame(columns=["line_id", "name", "year", "amount_usd"])
    mine = alloc[alloc["donor"].astype(str) == donor]
    out = mine.groupby(["line_id", "year"], as_index=False)["amount_usd"].sum()
    names = dict(
        zip(run.plan.programmes["line_id"].astype(str), run.plan.programmes["name"], strict=True)
    )
    out["name"] = out["line_id"].astype(str).map(names)
    return pd.DataFrame(out[["line_id", "name", "year", "amount_usd"]])


def entity_years(run: PlanRun) -> pd.DataFrame:
    """Per entity and year: requirement, firm, pledged-only, gap, coverage."""
    return gaps.breakdown(run.plan, run.result, ("entity", "year"))


def entity_totals(run: PlanRun) -> pd.DataFrame:
    return gaps.breakdown(run.plan, run.result, "entity")


def entity_lines(run: PlanRun) -> pd.DataFrame:
    """Every line-year with its entity, firm and pledged-only money and the gap."""
    ly = gaps.line_years(run.plan, run.result)
    return ly[
        ["entity", "line_id", "name", "year", "requirement_usd", "firm_usd", "pledged_only_usd",
         "gap_usd"]
    ].sort_values(["entity", "line_id", "year"]).reset_index(drop=True)  # fmt: skip


def entity_summary(totals: pd.DataFrame) -> str:
    if totals.empty:
        return "No entity matches the filters."
    widest = totals.sort_values("gap_usd", ascending=False).iloc[0]
    firm = float(totals["firm_usd"].sum()) / max(float(totals["requirement_usd"].sum()), 1.0)
    return (
        f"{len(totals)} entities; firm money covers {firm:.0%} of their requirement. The "
        f"largest gap is {widest['entity']}'s (USD {widest['gap_usd'] / 1e6:,.1f}m)."
    )


def option_list(values: list[str]) -> list[dict[str, Any]]:
    return [{"label": v, "value": v} for v in values]
