"""Scenarios page logic: per-line results and explanations, where the next USD 1m goes,
comparisons of two runs, solver status and scenario names.

The editor's controls and their mapping to the scenario are in :mod:`dashboards.logic.editor`.
"""

from __future__ import annotations

import pandas as pd

from appeal.service import PlanRun
from models import gaps
from models.scenario import ScenarioError


def line_names(run: PlanRun) -> dict[str, str]:
    return dict(
        zip(
            run.plan.programmes["line_id"].astype(str),
            run.plan.programmes["name"].astype(str),
            strict=True,
        )
    )


def per_line(run: PlanRun) -> pd.DataFrame:
    """One row per line over the horizon: requirement, funded, firm, gap, coverage."""
    frame = gaps.breakdown(run.plan, run.result, "line")
    return frame[
        ["line_id", "name", "requirement_usd", "funded_usd", "firm_usd", "gap_usd", "coverage"]
    ]


def explanations(run: PlanRun) -> pd.DataFrame:
    """Why each line got what it got: line_id, name, tier, funded, coverage, reason, text."""
    exp = run.result.explanations
    if exp is None or exp.empty:
        out = per_line(run)[["line_id", "name", "requirement_usd", "funded_usd", "coverage"]].copy()
        out["tier"] = out["line_id"].map(
            dict(
                zip(
                    run.plan.programmes["line_id"].astype(str),
                    run.plan.programmes["priority"],
                    strict=True,
                )
            )
        )
        out["reason"] = ""
        out["text"] = "No explanation available for this run."
    else:
        out = exp.copy()
        out["line_id"] = out["line_id"].astype(str)
        out["name"] = out["line_id"].map(line_names(run))
    cols = [
        "line_id",
        "name",
        "tier",
        "requirement_usd",
        "funded_usd",
        "coverage",
        "reason",
        "text",
    ]
    for c in cols:
        if c not in out.columns:
            out[c] = ""
    out["reason"] = out["reason"].astype(str).str.replace("_", " ")
    return out[cols].reset_index(drop=True)


def next_million_table(run: PlanRun) -> pd.DataFrame:
    """Where the next USD 1m of unearmarked money goes: line_id, name, year, amount_usd."""
    nm = run.result.next_million
    if nm is None or nm.empty:
        return pd.DataFrame(columns=["line_id", "name", "year", "amount_usd"])
    out = nm.copy()
    out["line_id"] = out["line_id"].astype(str)
    out["name"] = out["line_id"].map(line_names(run))
    out = out[out["amount_usd"] > 0.5]
    return out[["line_id", "name", "year", "amount_usd"]].reset_index(drop=True)


def compare(run_a: PlanRun, run_b: PlanRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(totals side by side, per-line deltas) of two runs on the same plan (B minus A).

    Totals: figure, a, b, change. Lines: line_id, name, requirement_usd, funded_a, funded_b,
    funded_delta, gap_a, gap_b, coverage_a, coverage_b.
    """
    a = per_line(run_a).set_index("line_id")
    b = per_line(run_b).set_index("line_id")
    ids = list(dict.fromkeys([*a.index, *b.index]))
    a = a.reindex(ids)
    b = b.reindex(ids)
    lines = pd.DataFrame(
        {
            "line_id": ids,
            "name": a["name"].fillna(b["name"]).to_numpy(),
            "requirement_usd": a["requirement_usd"].fillna(b["requirement_usd"]).to_numpy(),
            "funded_a": a["funded_usd"].fillna(0.0).to_numpy(),
            "funded_b": b["funded_usd"].fillna(0.0).to_numpy(),
        }
    )
    lines["funded_delta"] = lines["funded_b"] - lines["funded_a"]
    lines["gap_a"] = lines["requirement_usd"] - lines["funded_a"]
    lines["gap_b"] = lines["requirement_usd"] - lines["funded_b"]
    req = lines["requirement_usd"].where(lines["requirement_usd"] > 0)
    lines["coverage_a"] = (lines["funded_a"] / req).fillna(0.0)
    lines["coverage_b"] = (lines["funded_b"] / req).fillna(0.0)
    ta = gaps.totals(run_a.plan, run_a.result)
    tb = gaps.totals(run_b.plan, run_b.result)
    totals = pd.DataFrame(
        [
            {"figure": label, "a": ta[key], "b": tb[key], "change": tb[key] - ta[key]}
            for key, label in (
                ("requirement_usd", "Requirement"),
                ("funded_usd", "Funded"),
                ("firm_usd", "Firm"),
                ("gap_usd", "Gap"),
                ("coverage", "Coverage"),
            )
        ]
    )
    return totals, lines


def targets_table(run: PlanRun) -> pd.DataFrame:
    """Policy targets with what was achieved and the shortfall."""
    t = run.result.targets
    if t is None or t.empty:
        return pd.DataFrame(columns=["name", "target", "achieved", "shortfall_usd"])
    out = t.copy()
    out["name"] = out["name"].astype(str).str.replace("_", " ")
    return out[["name", "target", "achieved", "shortfall_usd"]]


def solver_text(run: PlanRun) -> str:
    s = run.result.solver
    text = f"Solver {s.name}: {s.status} in {s.seconds:.2f} s"
    if s.message:
        text += f" — {s.message}"
    return text


def check_name(name: str | None) -> str:
    """A scenario name fit for the store; :class:`ScenarioError` when blank or too long."""
    clean = str(name or "").strip()
    if not clean:
        raise ScenarioError("give the scenario a name before saving it")
    if len(clean) > 80:
        raise ScenarioError("scenario names are at most 80 characters")
    return clean
