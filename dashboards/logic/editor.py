"""The Scenarios editor as one declarative table of controls, and both directions of its
mapping.

:data:`CONTROLS` lists every control once: its Dash id, the key it edits in the scenario (a
dotted path of :meth:`Scenario.to_dict`), label, unit and scale (a 0-1 share shown as a
percentage has scale 100), step, help text and what a blank means. Bounds come from the
scenario model's own field constraints (:func:`models.scenario.field_spec`), scaled. The page
builds its layout from this table (``dashboards/pages/scenarios.py``; number boxes carry no
HTML min/max, which would make the browser send an out-of-range entry as blank: the server
says what is wrong instead), :func:`control_values`
fills the controls from a scenario, and :func:`apply_controls` writes the controls back into a
scenario dict — without validating it: the caller validates once
(:func:`dashboards.state.scenario_from_browser`) and :func:`in_editor_terms` rewords the
model's problems with the controls' labels.

Everything here works on the browser form of a scenario (donors as their aliases).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from dashboards import ids
from models.scenario import CRITERIA, TIERS, FieldSpec, Problem, Scenario, ScenarioError, field_spec

Widget = Literal["text", "number", "slider", "switch", "select", "donors", "year"]


class Blank(Enum):
    """What an empty control means (besides a fixed value such as 0.0)."""

    REQUIRED = "required"  # a problem: the control must be filled
    KEEP = "keep"  # the scenario keeps the value it had
    UNSET = "unset"  # the key is left out (no cap, no first year, criterion not used)


@dataclass(frozen=True)
class Group:
    """A block of the editor: a titled part of the form, or a folded accordion item."""

    key: str
    title: str = ""
    help: str = ""
    folded: bool = False


@dataclass(frozen=True)
class Control:
    """One control of the editor and the scenario key it edits."""

    id: str
    path: str
    label: str
    widget: Widget
    group: str
    width: int = 6  # Bootstrap columns (md) in the group's row
    unit: str = ""
    scale: float = 1.0  # shown value = scenario value x scale
    step: float | str = "any"  # a slider's step
    help: str = ""
    blank: Blank | float | str = Blank.KEEP
    zero_is_blank: bool = False  # 0 means the same as blank
    placeholder: str = ""
    max_length: int | None = None
    strip: bool = True  # leading and trailing spaces of a text are dropped
    spec: FieldSpec = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", field_spec(self.path))

    @property
    def low(self) -> float | None:
        """Smallest value the control accepts, in shown units."""
        return None if self.spec.lower is None else self.spec.lower * self.scale

    @property
    def high(self) -> float | None:
        """Largest value the control accepts, in shown units."""
        return None if self.spec.upper is None else self.spec.upper * self.scale

    @property
    def default(self) -> Any:
        """The shown value of the default scenario."""
        return _shown(self, _get(_DEFAULTS, self.path))


GROUPS: tuple[Group, ...] = (
    Group("identity"),
    Group("weights", "Priority weights", "Weight per USD for each priority tier (1 = highest)."),
    Group(
        "targets",
        "Policy targets",
        "Soft targets: never infeasible, reported with their shortfall. 0: off.",
    ),
    Group("choices"),
    Group("solver", "Solver and horizon", folded=True),
    Group(
        "criteria",
        "Criteria weights",
        "Score-based weights (CBPF-style scorecard): when any criterion has a weight, lines "
        "are weighted by their scores instead of their tier. Blank or 0: unused.",
        folded=True,
    ),
    Group(
        "risk",
        "Pledge risk",
        "Probability that a pledge of each status materialises, for the pledge-risk simulation "
        "on the Donor base page.",
        folded=True,
    ),
)

_TARGETS = (
    ("leadership_coordination_share_of_flexible", "Leadership + coordination, of flexible"),
    ("human_rights_share", "Human-rights-tagged lines, of all"),
    ("gender_share", "Gender-tagged lines, of all"),
    ("civil_society_share", "Civil-society-tagged lines, of all"),
)
_RISK_STATUSES = ("paid", "committed", "pledged")

CONTROLS: tuple[Control, ...] = (
    Control(ids.editor("name"), "name", "Name", "text", "identity", max_length=80),
    Control(
        ids.editor("description"),
        "description",
        "Description",
        "text",
        "identity",
        blank="",
        strip=False,
    ),
    *(
        Control(
            ids.editor(f"tier-{t}"),
            f"weights.tier.{t}",
            f"Tier {t}",
            "number",
            "weights",
            width=3,
            blank=Blank.REQUIRED,
        )
        for t in TIERS
    ),
    Control(
        ids.editor("tranche-share"),
        "weights.tranche_share",
        "Tranche share",
        "slider",
        "weights",
        step=0.05,
        help="First part of each need that counts full weight",
    ),
    Control(
        ids.editor("tranche-weight"),
        "weights.tranche_weight",
        "Tranche weight",
        "slider",
        "weights",
        step=0.05,
        help="Weight of the rest, relative to full",
    ),
    *(
        Control(
            ids.editor(f"target-{key}"),
            f"targets.{key}",
            label,
            "number",
            "targets",
            unit="%",
            scale=100.0,
            blank=0.0,
        )
        for key, label in _TARGETS
    ),
    Control(
        ids.editor("min-viable"),
        "min_viable",
        "Minimum viable funding (a line gets 0 or at least its minimum share)",
        "switch",
        "choices",
        width=12,
    ),
    Control(
        ids.editor("excluded"),
        "excluded_donors",
        "Excluded donors",
        "donors",
        "choices",
        width=12,
        help="Their pledges are left out of this scenario",
        placeholder="none",
    ),
    Control(ids.editor("solver"), "solver", "Solver", "select", "solver", width=4, blank="auto"),
    Control(
        ids.editor("time-limit"),
        "time_limit_seconds",
        "Time limit",
        "number",
        "solver",
        width=4,
        unit="s",
    ),
    Control(ids.editor("mip-gap"), "mip_gap", "MIP gap", "number", "solver", width=4),
    Control(
        ids.editor("stability"),
        "stability",
        "Stability",
        "select",
        "solver",
        width=4,
        blank="none",
        help="reference: among equally good allocations, the one that moves fewest lines "
        "from the reference",
    ),
    Control(
        ids.editor("stability-reference"),
        "stability_reference",
        "Stability reference",
        "text",
        "solver",
        width=8,
        blank="",
        placeholder="the official appeal",
        help="A saved scenario's name; blank: the official appeal",
    ),
    *(
        Control(
            ids.editor(f"{end}-year"),
            f"{end}_year",
            label,
            "year",
            "solver",
            width=4,
            blank=Blank.UNSET,
            placeholder=f"plan {end}",
        )
        for end, label in (("start", "First year"), ("end", "Last year"))
    ),
    Control(
        ids.editor("donor-cap"),
        "donor_line_cap_share",
        "Donor cap per line",
        "number",
        "solver",
        width=4,
        unit="%",
        scale=100.0,
        blank=Blank.UNSET,
        zero_is_blank=True,
        help="No donor funds more than this share of a line (blank: no cap).",
    ),
    *(
        Control(
            ids.editor(f"crit-{c}"),
            f"weights.criteria.{c}",
            c.replace("_", " ").capitalize(),
            "number",
            "criteria",
            blank=Blank.UNSET,
            zero_is_blank=True,
        )
        for c in CRITERIA
    ),
    *(
        Control(
            ids.editor(f"risk-{s}"),
            f"risk.status_probability.{s}",
            f"{s.capitalize()} pledges",
            "number",
            "risk",
            width=4,
            unit="%",
            scale=100.0,
            blank=1.0,
        )
        for s in _RISK_STATUSES
    ),
    Control(ids.editor("risk-draws"), "risk.draws", "Draws", "number", "risk"),
    Control(ids.editor("risk-seed"), "risk.seed", "Seed", "number", "risk"),
)
BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}
BY_PATH: dict[str, Control] = {c.path: c for c in CONTROLS}
IDS: tuple[str, ...] = tuple(BY_ID)
# A control that is never blank once the editor is filled: it tells a filled editor apart.
FILLED_MARK = next(c.id for c in CONTROLS if c.blank is Blank.REQUIRED)
_DEFAULTS: dict[str, Any] = Scenario().to_dict()


# -- paths in a scenario dict -------------------------------------------------------------------
def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _put(data: dict[str, Any], path: str, value: Any, *, unset: bool = False) -> None:
    """Set (or with ``unset`` remove) ``path`` in ``data``, copying the sections on the way so
    the dicts ``data`` shares with its source are never changed. A section of the wrong type
    is left alone for the validation to refuse."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        child = node.get(part, {})
        if not isinstance(child, Mapping):
            return
        node[part] = dict(child)
        node = node[part]
    if unset:
        node.pop(last, None)
    else:
        node[last] = value


# -- scenario -> controls -----------------------------------------------------------------------
def _shown(control: Control, value: Any) -> Any:
    if value is None or control.widget in ("text", "switch", "donors", "select", "year"):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(value * control.scale, 6) if control.scale != 1 else value


def control_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every control's value for a scenario dict (browser form)."""
    values = {c.id: _shown(c, _get(data, c.path)) for c in CONTROLS}
    for c in CONTROLS:
        if c.widget == "switch":
            values[c.id] = bool(values[c.id])
        elif c.widget == "donors":
            values[c.id] = list(values[c.id] or [])
    return values


# -- controls -> scenario -----------------------------------------------------------------------
_KEEP = object()  # marker: leave the key as it is


def _read(control: Control, raw: Any, problems: list[Problem]) -> Any:
    """The scenario value of one control's raw value, or a blank marker; problems appended."""
    label = f"{control.label} ({control.path})"
    if control.widget == "switch":
        if raw is None or isinstance(raw, bool):
            return bool(raw)
        problems.append(Problem(control.path, f"{label}: must be on or off, got {raw!r}"))
        return _KEEP
    if control.widget == "donors":
        return [] if raw is None else raw  # the list's entries are checked by the model
    if control.widget in ("text", "select"):
        text = "" if raw is None else raw if isinstance(raw, str) else str(raw)
        text = text.strip() if control.strip else text
        return _blank(control, problems) if text == "" else text
    if raw is None or raw == "":
        return _blank(control, problems)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        problems.append(Problem(control.path, f"{label}: {raw!r} is not a number"))
        return _KEEP
    try:
        number = float(raw)
    except ValueError:
        problems.append(Problem(control.path, f"{label}: {raw!r} is not a number"))
        return _KEEP
    if number == 0 and control.zero_is_blank:
        return _blank(control, problems)
    if control.spec.kind == "integer":
        if not math.isfinite(number) or not number.is_integer():
            problems.append(Problem(control.path, f"{label}: {raw!r} is not a whole number"))
            return _KEEP
        return int(number)
    return number / control.scale if control.scale != 1 else number


def _blank(control: Control, problems: list[Problem]) -> Any:
    if control.blank is Blank.REQUIRED:
        problems.append(Problem(control.path, f"{control.label} ({control.path}) is required"))
        return _KEEP
    if control.blank is Blank.KEEP:
        return _KEEP
    return control.blank  # Blank.UNSET or a fixed value


def read_controls(
    values: Mapping[str, Any], base: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[Problem]]:
    """``base`` with every readable control's value written in, and the problems of the
    controls that could not even be read (they keep ``base``'s value), so the caller can
    validate the rest and report every problem at once."""
    data = dict(_DEFAULTS if base is None else base)
    problems: list[Problem] = []
    for control in CONTROLS:
        value = _read(control, values.get(control.id), problems)
        if value is Blank.UNSET:
            _put(data, control.path, None, unset=True)
        elif value is not _KEEP:
            _put(data, control.path, value)
    return data, problems


def apply_controls(values: Mapping[str, Any], base: Mapping[str, Any] | None) -> dict[str, Any]:
    """``base`` (a scenario dict, browser form; ``None``: the defaults) with every control's
    value written in. Not validated here; :class:`ScenarioError` only for values that are
    not even of the control's kind (text in a number box, a required control left blank),
    each named by the control's label."""
    data, problems = read_controls(values, base)
    if problems:
        raise ScenarioError(problems)
    return data


def in_editor_terms(error: ScenarioError, values: Mapping[str, Any]) -> ScenarioError:
    """The scenario's problems reworded for the editor: each names the control's label and
    key, with bounds in the units the control shows (150 % rather than 1.5)."""
    problems = []
    for problem in error.problems:
        control = BY_PATH.get(problem.path) or BY_PATH.get(problem.path.split(".")[0])
        if control is None:
            problems.append(problem)
            continue
        label = f"{control.label} ({control.path})"
        shown = values.get(control.id)
        low, high = control.low, control.high
        outside = isinstance(shown, int | float) and (
            (low is not None and shown < low) or (high is not None and shown > high)
        )
        if outside:
            unit = f" {control.unit}" if control.unit else ""
            bounds = _bounds_text(low, high, control.spec.lower_open, unit)
            message = f"{label}: must be {bounds}, got {shown:g}{unit}"
        else:
            message = f"{label}: {problem.message}"
        problems.append(Problem(problem.path, message))
    return ScenarioError(problems)


def _bounds_text(low: float | None, high: float | None, open_low: bool, unit: str) -> str:
    lower = f"{'more than' if open_low else 'at least'} {low:g}" if low is not None else ""
    upper = f"at most {high:g}{unit}" if high is not None else ""
    if lower and upper and not open_low:
        return f"between {low:g} and {high:g}{unit}"
    return " and ".join(p for p in (lower + ("" if upper else unit), upper) if p)


def problems_by_control(error: ScenarioError) -> dict[str, list[str]]:
    """The problems of ``error`` by the id of the control each concerns (a problem with no
    control of its own goes to the first control of its section, else to none)."""
    found: dict[str, list[str]] = {}
    for problem in error.problems:
        control = BY_PATH.get(problem.path)
        if control is None:
            head = problem.path.split(".")[0]
            control = next((c for c in CONTROLS if c.path.split(".")[0] == head), None)
        if control is not None:
            found.setdefault(control.id, []).append(problem.message)
    return found
