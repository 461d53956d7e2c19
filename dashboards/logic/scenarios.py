"""Scenarios page logic: editor controls <-> Scenario, per-line explanations, comparisons.

The editor has one control per scenario parameter; :data:`CONTROLS` fixes their ids and order
so the page's callbacks and these functions agree. Percentages are shown as 0-100 in the
editor and stored as fractions 0-1 in the scenario. Donors appear under their aliases in the
browser and are mapped back here (confidential donors never reach the page).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from appeal.service import PlanRun
from models import gaps
from models.scenario import CRITERIA, Scenario, ScenarioError

TIERS = (1, 2, 3, 4)
TARGETS: tuple[tuple[str, str], ...] = (
    ("leadership_coordination_share_of_flexible", "Leadership + coordination, % of flexible"),
    ("human_rights_share", "Human-rights-tagged lines, % of all"),
    ("gender_share", "Gender-tagged lines, % of all"),
    ("civil_society_share", "Civil-society-tagged lines, % of all"),
)
STATUS_KEYS = ("paid", "committed", "pledged")

# Control ids in the order the page passes them to the callbacks.
CONTROLS: tuple[str, ...] = (
    "sc-name",
    "sc-description",
    *(f"sc-tier-{t}" for t in TIERS),
    "sc-tranche-share",
    "sc-tranche-weight",
    *(f"sc-target-{key}" for key, _ in TARGETS),
    "sc-min-viable",
    "sc-excluded",
    "sc-donor-cap",
    "sc-start-year",
    "sc-end-year",
    "sc-solver",
    "sc-time-limit",
    "sc-mip-gap",
    *(f"sc-crit-{c}" for c in CRITERIA),
    *(f"sc-risk-{s}" for s in STATUS_KEYS),
    "sc-risk-draws",
    "sc-risk-seed",
)


def _pct(v: float) -> float:
    return round(100.0 * float(v), 6)


def controls_from_scenario(scenario: Scenario, aliases: dict[str, str]) -> dict[str, Any]:
    """The editor's control values for a scenario."""
    values: dict[str, Any] = {
        "sc-name": scenario.name,
        "sc-description": scenario.description,
        "sc-tranche-share": scenario.weights.tranche_share,
        "sc-tranche-weight": scenario.weights.tranche_weight,
        "sc-min-viable": bool(scenario.min_viable),
        "sc-excluded": [aliases.get(d, d) for d in scenario.excluded_donors],
        "sc-donor-cap": None
        if scenario.donor_line_cap_share is None
        else _pct(scenario.donor_line_cap_share),
        "sc-start-year": scenario.start_year,
        "sc-end-year": scenario.end_year,
        "sc-solver": scenario.solver,
        "sc-time-limit": scenario.time_limit_seconds,
        "sc-mip-gap": scenario.mip_gap,
        "sc-risk-draws": scenario.risk.draws,
        "sc-risk-seed": scenario.risk.seed,
    }
    for t in TIERS:
        values[f"sc-tier-{t}"] = scenario.weights.tier.get(t)
    for key, _ in TARGETS:
        values[f"sc-target-{key}"] = _pct(getattr(scenario.targets, key))
    for c in CRITERIA:
        values[f"sc-crit-{c}"] = scenario.weights.criteria.get(c)
    for s in STATUS_KEYS:
        values[f"sc-risk-{s}"] = _pct(scenario.risk.status_probability.get(s, 1.0))
    return values


def _number(values: dict[str, Any], key: str, label: str, problems: list[str]) -> float | None:
    raw = values.get(key)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        problems.append(f"{label}: {raw!r} is not a number")
        return None


def scenario_from_controls(
    values: dict[str, Any], aliases: dict[str, str], base: Scenario | None = None
) -> Scenario:
    """A validated scenario from the editor's values.

    ``base`` supplies what the editor does not show (per-donor risk probabilities, the
    early-year preference). Raises :class:`ScenarioError` listing every invalid control by
    its label.
    """
    base = base or Scenario()
    problems: list[str] = []
    back = {alias: donor for donor, alias in aliases.items()}

    tier: dict[int, float] = {}
    for t in TIERS:
        v = _number(values, f"sc-tier-{t}", f"Tier {t} weight", problems)
        if v is None:
            problems.append(f"Tier {t} weight is required")
        else:
            tier[t] = v
    criteria: dict[str, float] = {}
    for c in CRITERIA:
        v = _number(values, f"sc-crit-{c}", f"Criterion {c.replace('_', ' ')}", problems)
        if v:  # blank or 0: criterion not used
            criteria[c] = v
    targets: dict[str, float] = {}
    for key, label in TARGETS:
        v = _number(values, f"sc-target-{key}", label, problems)
        targets[key] = 0.0 if v is None else v / 100.0
    status_probability: dict[str, float] = {}
    for s in STATUS_KEYS:
        v = _number(values, f"sc-risk-{s}", f"Probability a {s} pledge materialises", problems)
        status_probability[s] = 1.0 if v is None else v / 100.0
    excluded = []
    for alias in values.get("sc-excluded") or []:
        if alias in back:
            excluded.append(back[alias])
        else:
            problems.append(f"Excluded donors: no pledge from {alias!r}")
    cap = _number(values, "sc-donor-cap", "Per-donor cap per line", problems)
    time_limit = _number(values, "sc-time-limit", "Time limit", problems)
    mip_gap = _number(values, "sc-mip-gap", "MIP gap", problems)
    draws = _number(values, "sc-risk-draws", "Simulation draws", problems)
    seed = _number(values, "sc-risk-seed", "Simulation seed", problems)
    tranche_share = _number(values, "sc-tranche-share", "Tranche share", problems)
    tranche_weight = _number(values, "sc-tranche-weight", "Tranche weight", problems)
    start = _number(values, "sc-start-year", "Start year", problems)
    end = _number(values, "sc-end-year", "End year", problems)
    name = str(values.get("sc-name") or "").strip() or base.name
    if problems:
        raise ScenarioError("; ".join(problems))

    data = base.to_dict()
    data.update(
        {
            "name": name,
            "description": str(values.get("sc-description") or ""),
            "min_viable": bool(values.get("sc-min-viable")),
            "excluded_donors": excluded,
            "solver": str(values.get("sc-solver") or "auto"),
            "time_limit_seconds": base.time_limit_seconds if time_limit is None else time_limit,
            "mip_gap": base.mip_gap if mip_gap is None else mip_gap,
        }
    )
    data.pop("donor_line_cap_share", None)
    if cap is not None and cap > 0:
        data["donor_line_cap_share"] = cap / 100.0
    for key, year in (("start_year", start), ("end_year", end)):
        data.pop(key, None)
        if year is not None:
            data[key] = int(year)
    data["weights"] = {
        **data["weights"],
        "tier": {str(k): v for k, v in tier.items()},
        "criteria": criteria,
        "tranche_share": base.weights.tranche_share if tranche_share is None else tranche_share,
        "tranche_weight": base.weights.tranche_weight if tranche_weight is None else tranche_weight,
    }
    data["targets"] = targets
    data["risk"] = {
        **data["risk"],
        "status_probability": status_probability,
        "draws": base.risk.draws if draws is None else int(draws),
        "seed": base.risk.seed if seed is None else int(seed),
    }
    return Scenario.from_dict(data)


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
