"""Scenario: the knobs of one allocation run, as a typed, validated object.

A scenario round-trips through TOML (:meth:`Scenario.from_toml` / :meth:`Scenario.to_toml`)
and plain dicts (for JSON, the scenario store and the dashboard's dcc.Store). Unknown keys and
out-of-range values raise :class:`ScenarioError` naming the key, so a typo in a scenario file
is never silently ignored.

Example (sample_data/scenarios/baseline.toml)::

    name = "baseline"
    description = "Default priorities"
    [weights]
    tier = {1 = 8, 2 = 4, 3 = 2, 4 = 1}
    tranche_share = 0.5
    tranche_weight = 0.6
    [targets]
    leadership_coordination_share_of_flexible = 0.10
    gender_share = 0.15
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import tomli_w

CRITERIA = (
    "track_record",
    "multi_entity_value",
    "ctc_cted_alignment",
    "value_for_money",
    "innovation",
    "human_rights_gender",
)
SOLVERS = ("auto", "highs", "cbc")
# Third stage of the lexicographic objective (models/stages.py): "none", or "reference" for the
# allocation closest to a reference allocation passed to the engine with the plan.
STABILITY = ("none", "reference")


class ScenarioError(ValueError):
    """A scenario file or dict is invalid; the message names the key."""


@dataclass
class Targets:
    """Soft policy targets (fractions 0-1; 0 disables).

    Reported with their shortfall, never as infeasible.
    """

    leadership_coordination_share_of_flexible: float = 0.10
    human_rights_share: float = 0.0
    gender_share: float = 0.15
    civil_society_share: float = 0.0


@dataclass
class Weights:
    """Objective weights.

    ``tier``: weight per USD for priority tiers 1-4. ``criteria``: when non-empty, line weights
    are derived from scored criteria (programme columns ``score_<criterion>``, 0-5) instead of
    tiers; tiers still order lines with equal score. ``tranche_share`` of each line-year's
    requirement counts full weight, the rest ``tranche_weight`` of it.

    ``early_year_preference``: > 0 turns on the earlier-years stage of the lexicographic
    objective (among allocations of equal value, the one funding earlier years); 0 turns it
    off. Its size no longer matters: the stage never gives up value (the key is kept so
    stored scenarios keep loading).
    """

    tier: dict[int, float] = field(default_factory=lambda: {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0})
    criteria: dict[str, float] = field(default_factory=dict)
    tranche_share: float = 0.5
    tranche_weight: float = 0.6
    early_year_preference: float = 1e-4


@dataclass
class Risk:
    """Pledge-risk simulation defaults: probability each pledge materialises."""

    status_probability: dict[str, float] = field(
        default_factory=lambda: {"paid": 1.0, "committed": 0.95, "pledged": 0.7}
    )
    donor_probability: dict[str, float] = field(default_factory=dict)
    draws: int = 200
    seed: int = 20270101


@dataclass
class Scenario:
    name: str = "baseline"
    description: str = ""
    start_year: int | None = None
    end_year: int | None = None
    weights: Weights = field(default_factory=Weights)
    targets: Targets = field(default_factory=Targets)
    min_viable: bool = True
    excluded_donors: list[str] = field(default_factory=list)
    donor_line_cap_share: float | None = None
    solver: str = "auto"
    time_limit_seconds: float = 30.0
    mip_gap: float = 1e-6
    risk: Risk = field(default_factory=Risk)
    # Last stage of the lexicographic objective: "reference" picks, among allocations equally
    # good on every earlier stage, the one closest to a reference allocation (line-year
    # funding) handed to the engine with the plan, so small changes do not reshuffle lines
    # that need not move. ``stability_reference`` names the reference for the application
    # to load: "" for the official appeal, else a saved scenario's name (the engine itself
    # takes the reference as a table).
    stability: str = "none"
    stability_reference: str = ""

    # -- validation -------------------------------------------------------------------------
    def validate(self) -> Scenario:
        problems: list[str] = []
        for tier in (1, 2, 3, 4):
            if tier not in self.weights.tier:
                problems.append(f"weights.tier is missing tier {tier}")
        for tier, w in self.weights.tier.items():
            if tier not in (1, 2, 3, 4):
                problems.append(f"weights.tier has unknown tier {tier} (1-4)")
            if not w >= 0:
                problems.append(f"weights.tier.{tier} must be >= 0, got {w}")
        for name, w in self.weights.criteria.items():
            if name not in CRITERIA:
                problems.append(f"weights.criteria.{name} is not one of {', '.join(CRITERIA)}")
            if not w >= 0:
                problems.append(f"weights.criteria.{name} must be >= 0, got {w}")
        for key in ("tranche_share", "tranche_weight"):
            v = getattr(self.weights, key)
            if not 0 <= v <= 1:
                problems.append(f"weights.{key} must be between 0 and 1, got {v}")
        for f in fields(Targets):
            v = getattr(self.targets, f.name)
            if not 0 <= v <= 1:
                problems.append(f"targets.{f.name} must be between 0 and 1, got {v}")
        if self.donor_line_cap_share is not None and not 0 < self.donor_line_cap_share <= 1:
            problems.append(
                f"donor_line_cap_share must be in (0, 1], got {self.donor_line_cap_share}"
            )
        early = self.weights.early_year_preference
        if not early >= 0:
            problems.append(f"weights.early_year_preference must be >= 0, got {early}")
        if self.stability not in STABILITY:
            problems.append(
                f"stability must be one of {', '.join(STABILITY)}, got {self.stability!r}"
            )
        if self.solver not in SOLVERS:
            problems.append(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if not self.time_limit_seconds > 0:
            problems.append(f"time_limit_seconds must be > 0, got {self.time_limit_seconds}")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            problems.append(f"end_year {self.end_year} is before start_year {self.start_year}")
        for status, p in self.risk.status_probability.items():
            if status not in ("paid", "committed", "pledged"):
                problems.append(f"risk.status_probability.{status} is not a pledge status")
            if not 0 <= p <= 1:
                problems.append(f"risk.status_probability.{status} must be in [0, 1], got {p}")
        for donor, p in self.risk.donor_probability.items():
            if not 0 <= p <= 1:
                problems.append(f"risk.donor_probability.{donor} must be in [0, 1], got {p}")
        if self.risk.draws < 1:
            problems.append(f"risk.draws must be >= 1, got {self.risk.draws}")
        if problems:
            raise ScenarioError("; ".join(problems))
        return self

    # -- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["weights"]["tier"] = {str(k): v for k, v in self.weights.tier.items()}
        # TOML has no null: drop unset optionals.
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        data = dict(data)
        try:
            weights = dict(data.pop("weights", {}))
            if "tier" in weights:
                weights["tier"] = {int(k): float(v) for k, v in dict(weights["tier"]).items()}
            scenario = cls(
                weights=_build(Weights, weights, "weights"),
                targets=_build(Targets, dict(data.pop("targets", {})), "targets"),
                risk=_build(Risk, dict(data.pop("risk", {})), "risk"),
                **_checked_keys(cls, data, ""),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ScenarioError):
                raise
            raise ScenarioError(f"invalid scenario value: {exc}") from exc
        return scenario.validate()

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> Scenario:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"not valid TOML: {exc}") from exc
        return cls.from_dict(data)


def _checked_keys(klass: type, data: dict[str, Any], prefix: str) -> dict[str, Any]:
    known = {f.name for f in fields(klass)} - {"weights", "targets", "risk"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ScenarioError(
            f"unknown scenario key(s) {', '.join(prefix + k for k in unknown)}; "
            f"known: {', '.join(prefix + k for k in sorted(known))}"
        )
    return data


def _build(klass: type, data: dict[str, Any], section: str) -> Any:
    known = {f.name for f in fields(klass)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ScenarioError(
            f"unknown key(s) in [{section}]: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return klass(**data)
