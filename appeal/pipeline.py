"""Former home of the main job's steps, now :mod:`appeal.service` (the application's use cases).

Only names, no code: kept so that modules written against the old home (the workbook writer,
a few tests) keep importing while they move to :mod:`appeal.service`. Remove once none does.
"""

from __future__ import annotations

from appeal.service import load_scenario
from appeal.service import solve as run
from models.analytics import PlanRun

__all__ = ["PlanRun", "load_scenario", "run"]
