"""The main job, end to end: files -> Plan -> allocation -> analytics.

Used by ``appeal plan``, ``appeal analyse``, ``appeal export`` and the dashboard, so every
surface computes the same numbers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.allocation import allocate
from models.plan import Plan
from models.result import AllocationResult
from models.scenario import Scenario, ScenarioError


@dataclass
class PlanRun:
    plan: Plan
    scenario: Scenario
    result: AllocationResult
    import_report: dict[str, Any]


def load_scenario(path: str | Path | None) -> Scenario:
    """A scenario from a TOML file, or the defaults. Errors name the file."""
    if path is None:
        return Scenario().validate()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read scenario file: {exc.strerror}") from exc
    try:
        return Scenario.from_toml(text)
    except ScenarioError as exc:
        raise ScenarioError(f"{p}: {exc}") from exc


def run(plan: Plan, scenario: Scenario, import_report: dict[str, Any] | None = None) -> PlanRun:
    """Allocate one plan under one scenario."""
    result = allocate(plan, scenario)
    return PlanRun(plan=plan, scenario=scenario, result=result, import_report=import_report or {})
