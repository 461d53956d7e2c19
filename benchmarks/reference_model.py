"""The straightforward per-pledge allocation model, kept as a yardstick (not product code).

One variable per (pledge tranche, eligible line, year), written directly from the rules in
DESIGN.md's "Allocation model" and the README's lexicographic order with PuLP, without
pooling. Tests check that the pooled product model (:mod:`models.allocation`) reaches the same
optimum at every stage on random plans; the benchmark (:mod:`benchmarks.bench_allocation`)
times both on the same data.

The stages, each a separate solve of the same PuLP problem with the earlier ones held by a
constraint (within 1e-11 of it):

1. ``value``: maximise sum w (y1 + tranche_weight y2) with no target (a MILP: the
   minimum-viable binaries are decided here);
2. ``earmarks`` (a target on): the binaries fixed, the most earmarked money used among
   allocations of that value;
3. ``targets`` (a target on): value - P x shortfall, using at least that much earmarked money;
4. ``early_years`` (``early_year_preference > 0``): the most USD-years,
   sum (n_years - t) (y1 + y2), among allocations of the last value.

``binaries`` (line_id -> 0/1) fixes the minimum-viable decisions from stage 2 on, so a
caller can compare the later stages given the same decisions (ties between decisions of
equal value are legitimate).

Deliberately independent of :mod:`models.pooling` and :mod:`models.formulation` except for
the line weights (:func:`models.formulation.line_weights`, the documented weight rule).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import pulp

from models.eligibility import EligibilityIndex, normalise_theme
from models.formulation import line_weights
from models.plan import FLEXIBLE_EARMARKING, Plan, split_list
from models.scenario import Scenario

THEME_TARGETS = {
    "human_rights_share": "human_rights",
    "gender_share": "gender",
    "civil_society_share": "civil_society",
}


@dataclass
class ReferenceResult:
    status: str  # pulp status name of the last stage, e.g. "Optimal"
    objective: float | None  # the value (less the target penalty) of the final allocation
    funded: dict[tuple[str, int], float]  # (line_id, year) -> USD
    allocations: dict[tuple[str, int, str, int], float]  # (pledge, source_year, line, year)
    n_variables: int
    phases: dict[str, float] = field(default_factory=dict)  # build, solve seconds
    stages: dict[str, float] = field(default_factory=dict)  # each stage's optimum
    binaries: dict[str, int] = field(default_factory=dict)  # stage 1's decisions
    earmarked_unallocated: float = 0.0  # USD of earmarked money left unallocated


def solve_reference(
    plan: Plan,
    scenario: Scenario,
    *,
    solver: str = "highs",
    binaries: dict[str, int] | None = None,
) -> ReferenceResult:
    """Build and solve the per-pledge model stage by stage; ``solver`` is "highs" or "cbc"
    (through PuLP)."""
    t0 = time.perf_counter()
    years = plan.years
    if scenario.start_year:
        years = [y for y in years if y >= scenario.start_year]
    if scenario.end_year:
        years = [y for y in years if y <= scenario.end_year]
    req: dict[tuple[str, int], float] = {}
    rq = plan.requirements
    for lid, year, usd in zip(
        rq["line_id"].astype(str).tolist(),
        rq["year"].astype(int).tolist(),
        rq["requirement_usd"].astype(float).tolist(),
        strict=True,
    ):
        if year in years:
            req[(lid, year)] = req.get((lid, year), 0.0) + usd
    need = {k: v for k, v in req.items() if v > 0}
    lines = [str(x) for x in plan.programmes["line_id"]]
    weights = dict(zip(lines, line_weights(plan.programmes, scenario), strict=True))
    index = EligibilityIndex(plan.programmes)
    pl = plan.pledges
    pledges: dict[str, tuple[str, str, str]] = {
        pid: (donor, kind, "" if target is None or target != target else str(target))
        for pid, donor, kind, target in zip(
            pl["pledge_id"].astype(str).tolist(),
            pl["donor"].astype(str).tolist(),
            pl["earmarking"].astype(str).tolist(),
            pl["earmark_to"].tolist(),
            strict=True,
        )
    }
    excluded = set(scenario.excluded_donors)

    prob = pulp.LpProblem("reference", pulp.LpMaximize)
    # Tranche money: x[(pledge, source_year, line, year)].
    keys: list[tuple[str, int, str, int]] = []
    tranche_money: dict[tuple[str, int], float] = {}
    tranche_flexible: dict[tuple[str, int], bool] = {}
    tranche_donor: dict[tuple[str, int], str] = {}
    tr = plan.tranches
    for pid, src_year, money in zip(
        tr["pledge_id"].astype(str).tolist(),
        tr["year"].astype(int).tolist(),
        tr["programmable_usd"].astype(float).tolist(),
        strict=True,
    ):
        donor, kind, target = pledges[pid]
        if donor in excluded or money <= 0:
            continue
        # Money from before the horizon is usable from its first year; after it, never.
        avail = max(src_year, years[0])
        eligible = index.lines_for(kind, target)
        tkey = (pid, src_year)
        made = [(pid, src_year, line, y) for line in sorted(eligible) for y in years]
        made = [m for m in made if m[3] >= avail and (m[2], m[3]) in need]
        if made:
            keys.extend(made)
            tranche_money[tkey] = tranche_money.get(tkey, 0.0) + money
            tranche_flexible[tkey] = kind in FLEXIBLE_EARMARKING
            tranche_donor[tkey] = donor
    x = prob.add_variable_dicts("x", keys, lowBound=0)
    share = scenario.weights.tranche_share
    ly = sorted(need)
    y1 = prob.add_variable_dicts("y1", ly, lowBound=0)
    y2 = prob.add_variable_dicts("y2", ly, lowBound=0)

    by_tranche: dict[tuple[str, int], list[Any]] = {}
    by_ly: dict[tuple[str, int], list[Any]] = {k: [] for k in ly}
    for k in keys:
        by_tranche.setdefault((k[0], k[1]), []).append(x[k])
        by_ly[(k[2], k[3])].append(x[k])
    for (pid, src_year), vs in by_tranche.items():
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(v, 1.0) for v in vs]),
                pulp.LpConstraintLE,
                f"money_{pid}_{src_year}",
                tranche_money[(pid, src_year)],
            )
        )
    for i, lyk in enumerate(ly):
        expr = [(v, 1.0) for v in by_ly[lyk]] + [(y1[lyk], -1.0), (y2[lyk], -1.0)]
        prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(expr), pulp.LpConstraintEQ, f"ly{i}", 0.0)
        )
        y1[lyk].upBound = share * need[lyk]
        y2[lyk].upBound = (1.0 - share) * need[lyk]

    objective: list[tuple[Any, float]] = []
    early: list[tuple[Any, float]] = []
    for lyk in ly:
        c = weights[lyk[0]]
        objective += [(y1[lyk], c), (y2[lyk], c * scenario.weights.tranche_weight)]
        left = float(len(years) - years.index(lyk[1]))
        early += [(y1[lyk], left), (y2[lyk], left)]

    # Minimum viable funding.
    zs: dict[str, Any] = {}
    total = {line: sum(v for (lid, _), v in need.items() if lid == line) for line in lines}
    if scenario.min_viable:
        for line, m in zip(
            lines,
            plan.programmes["min_viable_share"].astype(float).fillna(0.0).tolist(),
            strict=True,
        ):
            if m <= 0 or total[line] <= 0:
                continue
            z = prob.add_variable(f"z_{line}", lowBound=0, upBound=1, cat="Integer")
            zs[line] = z
            funded = [(y1[k], 1.0) for k in ly if k[0] == line]
            funded += [(y2[k], 1.0) for k in ly if k[0] == line]
            prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression([*funded, (z, -m * total[line])]),
                    pulp.LpConstraintGE,
                    f"mv_lo_{line}",
                    0.0,
                )
            )
            prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression([*funded, (z, -total[line])]),
                    pulp.LpConstraintLE,
                    f"mv_hi_{line}",
                    0.0,
                )
            )

    # Soft targets, shares of usable money, with a dominant penalty.
    penalty = 100.0 * max(max(weights.values(), default=1.0), 1.0)
    targets = scenario.targets
    categories = dict(zip(lines, plan.programmes["category"].astype(str), strict=True))
    themes = {
        line: {normalise_theme(t) for t in split_list(v)}
        for line, v in zip(lines, plan.programmes["themes"], strict=True)
    }
    flexible_money = sum(v for t, v in tranche_money.items() if tranche_flexible[t])
    all_money = sum(tranche_money.values())
    active: list[tuple[str, float, list[tuple[Any, float]], float]] = []
    if targets.leadership_coordination_share_of_flexible > 0:
        terms = [
            (x[k], 1.0)
            for k in keys
            if tranche_flexible[(k[0], k[1])] and categories[k[2]] in ("leadership", "coordination")
        ]
        s = targets.leadership_coordination_share_of_flexible
        active.append(("lc", s, terms, s * flexible_money))
    for name, theme in THEME_TARGETS.items():
        s = float(getattr(targets, name))
        if s > 0:
            terms = [(y1[k], 1.0) for k in ly if theme in themes[k[0]]]
            terms += [(y2[k], 1.0) for k in ly if theme in themes[k[0]]]
            active.append((name, s, terms, s * all_money))
    shortfalls: list[tuple[Any, float]] = []
    target_rows: list[Any] = []
    for name, _, terms, rhs in active:
        short = prob.add_variable(f"short_{name}", lowBound=0)
        shortfalls.append((short, -penalty))
        target_rows.append(
            pulp.LpConstraint(
                pulp.LpAffineExpression([*terms, (short, 1.0)]),
                pulp.LpConstraintGE,
                f"target_{name}",
                rhs,
            )
        )  # fmt: skip

    # Optional cap on a donor's share of a line's multi-year requirement.
    if scenario.donor_line_cap_share is not None:
        by_dl: dict[tuple[str, str], list[Any]] = {}
        for k in keys:
            by_dl.setdefault((tranche_donor[(k[0], k[1])], k[2]), []).append(x[k])
        for i, ((_donor, line), vs) in enumerate(sorted(by_dl.items())):
            prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression([(v, 1.0) for v in vs]),
                    pulp.LpConstraintLE,
                    f"cap{i}",
                    scenario.donor_line_cap_share * total[line],
                )
            )

    earmarked_terms = [(x[k], 1.0) for k in keys if not tranche_flexible[(k[0], k[1])]]
    earmarked_money = sum(v for t, v in tranche_money.items() if not tranche_flexible[t])
    t1 = time.perf_counter()
    cmd = _command(solver, scenario.mip_gap)
    stages: dict[str, float] = {}

    def stage(name: str, terms: list[tuple[Any, float]]) -> float | None:
        prob.setObjective(pulp.LpAffineExpression(terms))
        prob.solve(cmd)
        if prob.status != pulp.LpStatusOptimal:
            return None
        stages[name] = float(pulp.value(prob.objective) or 0.0)
        return stages[name]

    def hold(name: str, terms: list[tuple[Any, float]], level: float) -> Any:
        # Tight: the next stage may trade this much of the held objective away.
        tol = 1e-11 * max(abs(level), 1.0) + 1e-7
        con = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintGE, name, level - tol
        )
        prob.addConstraint(con)
        return con

    value = stage("value", objective)
    decided = {line: round(z.varValue or 0.0) for line, z in zs.items()}
    if value is not None:
        stages["value_milp"] = value
        for line, z in zs.items():
            z.lowBound = z.upBound = (binaries or decided).get(line, decided[line])
        if binaries is not None:
            value = stage("value", objective)  # the value with the caller's decisions
    last = value
    if value is not None and active:
        held = hold("hold_value", objective, value)
        floor = stage("earmarks", earmarked_terms)
        if floor is not None:
            held.constant = 1e30  # released: expr >= -1e30
            hold("hold_earmarks", earmarked_terms, floor)
            for row in target_rows:
                prob.addConstraint(row)
            last = stage("targets", objective + shortfalls)
        else:
            last = None
    if last is not None and scenario.weights.early_year_preference > 0:
        hold("hold_last", objective + shortfalls if active else objective, last)
        if stage("early_years", early) is None:
            last = None
    t2 = time.perf_counter()
    status = "Optimal" if last is not None else pulp.LpStatus[prob.status]
    funded_out = {k: float((y1[k].varValue or 0.0) + (y2[k].varValue or 0.0)) for k in ly}
    allocations = {k: float(x[k].varValue or 0.0) for k in keys if (x[k].varValue or 0.0) > 0}
    used_earmarked = sum(float(v.varValue or 0.0) for v, _ in earmarked_terms)
    return ReferenceResult(
        status=status,
        objective=last,
        funded=funded_out,
        allocations=allocations,
        n_variables=len(keys) + 2 * len(ly),
        phases={"build": t1 - t0, "solve": t2 - t1},
        stages=stages,
        binaries=decided,
        earmarked_unallocated=earmarked_money - used_earmarked,
    )


def _command(solver: str, mip_gap: float) -> Any:
    if solver == "cbc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 4.0 notice
            return pulp.PULP_CBC_CMD(msg=False, gapRel=mip_gap)
    return pulp.HiGHS(msg=False, gapRel=mip_gap)
