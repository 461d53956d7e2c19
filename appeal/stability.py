"""The stability reference: the allocation a scenario with ``stability = "reference"`` stays
closest to, loaded from the workspace for the engine (which takes it as a table).

``scenario.stability_reference`` names it:

- ``""`` — the official appeal (the version an admin marked), solved on the plan being solved;
- a saved scenario's name — its current version, solved on the plan being solved;
- ``"edition:<id>"`` — an edition's published allocation (its frozen plan under its frozen
  scenario, as :func:`appeal.workspace.edition_run` gives it back).

A reference is solved as it is saved but with its own stability stage off, so references
never chain (the official appeal may itself ask for stability against the official appeal).
Solves go through the result cache when one is given. :func:`reference_table` returns the
table (line_id, year, funded_usd); :func:`reference_digest` is its identity for cache keys: a
content hash, so a reference that changed (a new version, a re-marked official appeal, a
changed plan) can never be mistaken for the old one. A name that does not resolve, or a
reference that does not solve, raises :class:`appeal.service.InputError` naming the key.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pandas as pd

from models.allocation import REFERENCE_COLUMNS
from models.scenario import Scenario

if TYPE_CHECKING:
    from appeal.register import Register
    from appeal.service import ResultCache
    from models.plan import Plan

__all__ = ["EDITION_PREFIX", "OFFICIAL", "describe", "reference_digest", "reference_table"]

OFFICIAL = ""
EDITION_PREFIX = "edition:"


def describe(key: str) -> str:
    """How a ``stability_reference`` value is named in messages."""
    if key == OFFICIAL:
        return 'stability_reference "" (the official appeal)'
    return f"stability_reference {key!r}"


def reference_table(
    register: Register, plan: Plan, key: str, *, cache: ResultCache | None = None
) -> pd.DataFrame:
    """The allocation ``key`` names (line_id, year, funded_usd), see the module docstring."""
    from appeal import service, workspace
    from appeal.register import RegisterError

    if key.startswith(EDITION_PREFIX):
        edition = _edition_id(key)
        try:
            run = workspace.edition_run(register, edition, cache=cache)
        except RegisterError:
            known = ", ".join(str(i) for i in register.editions()["edition_id"]) or "none"
            raise service.InputError(
                f"{describe(key)}: no edition {edition} (published: {known})"
            ) from None
    else:
        scenario = _reference_scenario(register, key)
        run = service.solve(plan, scenario.model_copy(update={"stability": "none"}), cache=cache)
    if not run.result.ok:
        solver = run.result.solver
        raise service.InputError(
            f"{describe(key)}: the reference did not solve ({solver.status}): {solver.message}"
        )
    lines = run.result.lines
    return lines[list(REFERENCE_COLUMNS)].reset_index(drop=True)


def reference_digest(table: pd.DataFrame) -> str:
    """A content hash of a reference table (row order does not matter)."""
    frame = table[list(REFERENCE_COLUMNS)].copy()
    frame["line_id"] = frame["line_id"].astype(str)
    frame["year"] = frame["year"].astype(int)
    frame["funded_usd"] = frame["funded_usd"].astype(float)
    frame = frame.sort_values(["line_id", "year"], kind="stable").reset_index(drop=True)
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(hashed).hexdigest()


def _edition_id(key: str) -> int:
    from appeal.service import InputError

    text = key[len(EDITION_PREFIX) :].strip()
    if not text.isdigit():
        raise InputError(f"{describe(key)}: an edition reference is edition:<id>, e.g. edition:3")
    return int(text)


def _reference_scenario(register: Register, key: str) -> Scenario:
    from appeal import service, workspace
    from appeal.register import RegisterError

    if key == OFFICIAL:
        scenario = workspace.official_scenario(register)
        if scenario is None:
            raise service.InputError(
                f"{describe(key)}: no official appeal is marked yet (an admin marks a saved "
                "scenario), so set stability_reference to a saved scenario's name"
            )
        return scenario
    try:
        return register.get_scenario(key)
    except RegisterError:
        pass
    try:
        names = sorted(str(n) for n in register.list_scenarios()["name"])
    except Exception:  # naming the stored scenarios is a courtesy, never a failure
        names = []
    known = f" (stored: {', '.join(names)})" if names else " (none stored)"
    raise service.InputError(f"{describe(key)}: no saved scenario named {key!r}{known}")
