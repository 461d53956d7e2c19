"""Scenarios page logic: per-line results and explanations, where the next USD 1m goes,
comparisons of two runs, solver status and scenario names.

The editor's controls and their mapping to the scenario are in :mod:`dashboards.logic.editor`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from appeal.comparison import ChangeAttribution, Side, explain_difference
from appeal.service import PlanRun, ResultCache
from dashboards.logic import words
from models import gaps
from models.privacy import anonymise
from models.scenario import Scenario, ScenarioError


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
    # Words, not codes: the reason's label and sentence (the engine's code stays in JSON).
    codes = out["reason"].astype(str)
    out["reason"] = [words.label("reason", c) if c else "" for c in codes]
    out["text"] = [
        words.sentence("reason", c) if c else t for c, t in zip(codes, out["text"], strict=True)
    ]
    out["gap_usd"] = pd.to_numeric(out["requirement_usd"]) - pd.to_numeric(out["funded_usd"])
    return out[[*cols, "gap_usd"]].reset_index(drop=True)


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
    out["name"] = [words.label("target", n) for n in out["name"].astype(str)]
    return out[["name", "target", "achieved", "shortfall_usd"]]


def _setting_value(key: str, value: float) -> str:
    if key.startswith("targets.") or key.endswith("_share"):
        return f"{100 * value:.1f}%"
    return f"{value:,.3g}"


SENSITIVITY_HEADERS = {
    "setting": "Setting",
    "value": "Now",
    "lower": "Allocation unchanged from",
    "upper": "to",
    "note": "",
}


def sensitivity_table(run: PlanRun) -> pd.DataFrame:
    """The engine's sensitivity ranges in words: for each tier weight, the tranche weight and
    each target share that is on, the interval within which the allocation does not change.
    An end the allocation does not change at (the end of the searched range) says so."""
    columns = list(SENSITIVITY_HEADERS)
    sens = run.result.sensitivity
    if sens is None or sens.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for rec in sens.to_dict("records"):
        key = str(rec["parameter"])

        def end(value: float, bounded: bool, key: str = key) -> str:
            text = _setting_value(key, float(value))
            return text if bounded else f"{text} (end of the searched range)"

        rows.append(
            {
                "setting": words.parameter_label(key),
                "value": _setting_value(key, float(rec["value"])),
                "lower": end(rec["lower"], bool(rec["lower_bounded"])),
                "upper": end(rec["upper"], bool(rec["upper_bounded"])),
                "note": str(rec.get("note") or ""),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def stability_text(run: PlanRun) -> str | None:
    """The stability report in a sentence when the scenario asks for stability (None when it
    does not): how many line-years moved from the reference with and without it."""
    if run.scenario.stability != "reference":
        return None
    report = run.result.stability
    if not report:
        return (
            "Stability is on, but this solve had no reference allocation to stay close to, "
            "so no line-year was held."
        )
    total = int(report["line_years"])
    without = report.get("moved_without_stability")
    text = (
        f"Of {total:,} line-years, {int(without or 0):,} would move from the reference "
        f"(by more than USD {float(report['moved_usd_threshold']):,.0f}) without stability"
    )
    if report.get("applied") and "moved_with_stability" in report:
        return (
            text + f"; with it {int(report['moved_with_stability']):,} move "
            f"(distance USD {float(report['distance_without_stability_usd']) / 1e6:,.2f}m "
            f"without, USD {float(report['distance_with_stability_usd']) / 1e6:,.2f}m with)."
        )
    return text + "; the stability stage did not run, so that is also the result."


def unallocated_table(run: PlanRun, aliases: dict[str, str]) -> pd.DataFrame:
    """Money left unallocated by reason (in words) and donor (aliases): reason, donor,
    pledges, amount_usd; largest first."""
    un = run.result.unallocated
    columns = ["reason", "donor", "pledges", "amount_usd"]
    if un is None or un.empty:
        return pd.DataFrame(columns=columns)
    frame = anonymise(un[["pledge_id", "donor", "amount_usd", "reason"]], aliases)
    out = frame.groupby(["reason", "donor"], as_index=False).agg(
        pledges=("pledge_id", "nunique"), amount_usd=("amount_usd", "sum")
    )
    out = out[out["amount_usd"] > 0.5].sort_values("amount_usd", ascending=False)
    out["reason"] = [words.label("unallocated", r) for r in out["reason"]]
    return out[columns].reset_index(drop=True)


def unallocated_by_reason(run: PlanRun) -> list[tuple[str, float]]:
    """(sentence, USD) per reason, largest first."""
    un = run.result.unallocated
    if un is None or un.empty:
        return []
    sums = un.groupby("reason")["amount_usd"].sum().sort_values(ascending=False)
    return [(words.sentence("unallocated", r), float(v)) for r, v in sums.items() if v > 0.5]


# -- differences explained -------------------------------------------------------------------
def _value_text(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "not set"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, float) and (key.startswith("targets.") or key.endswith("_share")):
        return f"{100 * value:g}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


# The engine's name for what the settings do together beyond their separate effects.
INTERACTION = "interaction"
# Labels of a scenario, not settings: never listed as differences.
LABELS = ("name", "description")


@dataclass(frozen=True)
class Differences:
    """B compared with A on one plan: both solved (their totals and solver status), the
    change attribution (:func:`appeal.comparison.explain_difference`: per line, each changed
    setting alone and the interaction remainder, in cents) and ``targets``: name, target_a,
    target_b, achieved_b, already_met (the target's own change moves no line: it asks for no
    more than the allocation already gives, so it has no effect)."""

    run_a: PlanRun
    run_b: PlanRun
    attribution: ChangeAttribution
    targets: pd.DataFrame


def explain(
    plan: Any,
    a: Scenario,
    b: Scenario,
    labels: tuple[str, str],
    solve: Callable[[Any, Scenario], PlanRun],
    cache: ResultCache | None = None,
) -> Differences:
    """Compare B with A: ``solve`` (the page's cached solve) for each side's own result, the
    use case's attribution (through ``cache``, the page's result cache) for what moved each
    line."""
    run_a, run_b = solve(plan, a), solve(plan, b)
    attribution = explain_difference(
        Side(labels[0], plan, a), Side(labels[1], plan, b), cache=cache
    )
    return Differences(run_a, run_b, attribution, _target_effects(run_a, run_b, attribution))


def _target_effects(run_a: PlanRun, run_b: PlanRun, att: ChangeAttribution) -> pd.DataFrame:
    achieved = (
        dict(zip(run_b.result.targets["name"], run_b.result.targets["achieved"], strict=True))
        if len(run_b.result.targets)
        else {}
    )
    target_a = run_a.scenario.to_dict().get("targets", {})
    target_b = run_b.scenario.to_dict().get("targets", {})
    rows = []
    for name in dict.fromkeys([*target_a, *target_b]):
        want_a, want_b = float(target_a.get(name) or 0.0), float(target_b.get(name) or 0.0)
        key = f"targets.{name}"
        if want_a == want_b or key not in att.lines.columns:
            continue
        rows.append(
            {
                "name": name,
                "target_a": want_a,
                "target_b": want_b,
                "achieved_b": achieved.get(name),
                "already_met": bool(att.lines[key].abs().max() < 1.0),
            }
        )
    return pd.DataFrame(rows, columns=["name", "target_a", "target_b", "achieved_b", "already_met"])


def cause_label(cause: str) -> str:
    if cause == INTERACTION:
        return "Settings acting together"
    return words.parameter_label(cause)


def settings_table(diff: Differences) -> pd.DataFrame:
    """Every setting that differs, in words: setting, a, b, effect (the change in total
    funded when that setting alone changes), note."""
    att = diff.attribution
    totals = att.totals
    met = set(diff.targets.loc[diff.targets["already_met"], "name"]) if len(diff.targets) else set()
    rows = []
    for change in att.changes:
        key = str(change["key"])
        if change["kind"] != "setting" or key in LABELS:
            continue
        affects = bool(change["affects_allocation"])
        note = ""
        if not affects:
            note = "does not change the allocation"
        elif key.startswith("targets.") and key.split(".", 1)[1] in met:
            note = "already met — no effect"
        rows.append(
            {
                "setting": words.parameter_label(key),
                "a": _value_text(key, change["before"]),
                "b": _value_text(key, change["after"]),
                "effect_usd": totals.get(key) if affects else None,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=["setting", "a", "b", "effect_usd", "note"])


def causes(diff: Differences) -> list[tuple[str, float]]:
    """(cause, change in total funded): each measured setting alone, in the stated order,
    then the interaction; they add up to the change in total funded, to the cent."""
    totals = diff.attribution.totals
    return [(c, float(totals[c])) for c in [*diff.attribution.order, INTERACTION]]


def attributed_lines(diff: Differences) -> tuple[pd.DataFrame, list[str]]:
    """Lines that moved: funded in A and B, the change, the part of it each setting made on
    its own and the interaction remainder (one column each, adding up to the change), and a
    sentence naming what moved the line (largest first). Returns (frame, cause columns)."""
    att = diff.attribution
    keys = [*att.order, INTERACTION]
    frame = att.lines.rename(
        columns={"funded_before": "funded_a", "funded_after": "funded_b", "total_change": "change"}
    )
    lines = frame[frame["change"].abs() > 0.5].copy()

    def because(rec: dict[Any, Any]) -> str:
        parts = sorted(((c, float(rec[c])) for c in keys if abs(float(rec[c])) >= 0.5),
                       key=lambda kv: -abs(kv[1]))  # fmt: skip
        return "; ".join(f"{cause_label(c)} {v / 1e6:+,.2f}m" for c, v in parts)

    lines["moved_by"] = [because(r) for r in lines.to_dict("records")]
    lines = lines.reindex(lines["change"].abs().sort_values(ascending=False).index)
    renamed = {c: f"cause_{i}" for i, c in enumerate(keys)}
    return lines.rename(columns=renamed).reset_index(drop=True), [renamed[c] for c in keys]


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


def next_million_summary(nm: pd.DataFrame) -> str:
    """Where the next million goes, in one sentence."""
    if nm.empty:
        return "No line could use one more million of unearmarked money."
    by_line = nm.groupby("line_id")["amount_usd"].sum().sort_values(ascending=False)
    top = str(by_line.index[0])
    return (
        f"It would fund {len(by_line)} line(s); the most, USD {by_line.iloc[0] / 1e6:,.2f}m, "
        f"to {top}."
    )


def deltas_summary(lines: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The per-line change chart in one sentence."""
    if lines.empty:
        return f"No line's funding differs between {label_a} and {label_b}."
    ordered = lines.sort_values("change")
    gain, loss = ordered.iloc[-1], ordered.iloc[0]
    up, down = int((lines["change"] > 0).sum()), int((lines["change"] < 0).sum())
    return (
        f"{up} line(s) gain and {down} lose under {label_b}; the largest gain is "
        f"{gain['line_id']} (USD {gain['change'] / 1e6:+,.2f}m), the largest loss "
        f"{loss['line_id']} (USD {loss['change'] / 1e6:+,.2f}m)."
    )
