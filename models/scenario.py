"""Scenario: the knobs of one allocation run, as a typed model that is always valid.

A :class:`Scenario` is a pydantic model: unknown keys are refused, every bound is a field
constraint, types are strict (``"false"`` is not a boolean, ``"Qatar"`` is not a list of
donors, a string is not a number, ``inf``/``NaN`` are not numbers) and assignment is validated
too. Whatever goes wrong is raised as one :class:`ScenarioError` listing every problem, each
naming its key path (``weights.tier.2``, ``targets.gender_share``, ``risk.draws``), so a typo
in a scenario file is never silently ignored or misread.

A scenario round-trips through TOML (:meth:`Scenario.from_toml` / :meth:`Scenario.to_toml`)
and plain dicts (:meth:`Scenario.from_dict` / :meth:`Scenario.to_dict`, for JSON, the scenario
store and the dashboard's dcc.Store). Tier keys are ints in Python and strings in TOML/JSON.
:func:`field_spec` describes one key (its type and bounds) for editors generated from the
model, so the bounds have one home: the field constraints below.

Caveat: the tier / criteria / probability tables are plain dicts; changing one *in place*
(``scenario.weights.tier[1] = 9``) is not validated — assign a new dict instead.

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
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

# pydantic's model metaclass, subclassed below so direct construction raises ScenarioError.
from pydantic._internal._model_construction import ModelMetaclass
from pydantic.fields import FieldInfo

from models.plan import STATUSES

CRITERIA = (
    "track_record",
    "multi_entity_value",
    "ctc_cted_alignment",
    "value_for_money",
    "innovation",
    "human_rights_gender",
)
Solver = Literal["auto", "highs", "cbc"]
SOLVERS: tuple[str, ...] = get_args(Solver)
# Third stage of the lexicographic objective (models/stages.py): "none", or "reference" for the
# allocation closest to a reference allocation passed to the engine with the plan.
Stability = Literal["none", "reference"]
STABILITY: tuple[str, ...] = get_args(Stability)
TIERS = (1, 2, 3, 4)
# Long enough for any real name or note; bounded so hostile input stays small.
NAME_MAX = 200
DESCRIPTION_MAX = 4000
YEAR_MIN, YEAR_MAX = 1900, 2200
DRAWS_MAX = 1_000_000
SEED_MAX = 2**63 - 1
MAX_PROBLEMS = 50


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: the key path ("" for the whole scenario) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        # A message that already names its key reads best as it is.
        if not self.path or self.path in self.message:
            return self.message
        return f"{self.path}: {self.message}"


class ScenarioError(ValueError):
    """A scenario is invalid; the message lists every problem, each naming its key path."""

    def __init__(self, problems: str | Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = (
            (Problem("", problems),) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> ScenarioError:
        base = tuple(prefix.split(".")) if prefix else ()
        errors = exc.errors(include_url=False)
        problems = [_problem((*base, *err["loc"]), err) for err in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:  # bounded, whatever a hostile file holds
            problems.append(Problem("", f"... and {len(errors) - MAX_PROBLEMS} more problems"))
        return cls(problems)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _problem(loc: tuple[Any, ...], err: Any) -> Problem:
    is_key = bool(loc) and loc[-1] == "[key]"
    parts = [str(p) for p in loc if p != "[key]"]
    path = ".".join(parts)
    kind, ctx, got = err["type"], err.get("ctx") or {}, _short(err.get("input"))
    if kind == "extra_forbidden":
        where = ".".join(parts[:-1])
        known = ", ".join(_known_keys(where))
        return Problem(
            path,
            f"unknown scenario key(s) {path}; known{f' in [{where}]' if where else ''}: {known}",
        )
    messages = {
        "float_type": f"must be a number, got {got}",
        "int_type": f"must be a whole number, got {got}",
        "bool_type": f"must be true or false, got {got}",
        "string_type": f"must be text, got {got}",
        "list_type": f'must be a list (e.g. ["a", "b"]), got {got}',
        "dict_type": f"must be a table of settings, got {got}",
        "model_type": f"must be a table of settings, got {got}",
        "finite_number": f"must be a finite number, got {got}",
        "greater_than_equal": f"must be at least {_num(ctx.get('ge'))}, got {got}",
        "greater_than": f"must be more than {_num(ctx.get('gt'))}, got {got}",
        "less_than_equal": f"must be at most {_num(ctx.get('le'))}, got {got}",
        "less_than": f"must be less than {_num(ctx.get('lt'))}, got {got}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "string_too_short": "must not be empty",
        "literal_error": f"must be one of {ctx.get('expected')}, got {got}",
    }
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
    else:
        message = messages.get(kind, f"{err['msg']}, got {got}")
    if is_key and kind != "value_error":
        message = f"key {message}"
    if kind == "value_error" and not loc:  # a whole-scenario rule names its keys itself
        return Problem("", message)
    return Problem(path, message)


def _known_keys(section: str) -> list[str]:
    model: type[BaseModel] = Scenario
    for part in section.split(".") if section else ():
        annotation = model.model_fields[part].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation
    return sorted(model.model_fields)


# -- types ---------------------------------------------------------------------------------------
def _tier_key(value: Any) -> Any:
    # TOML and JSON keys are strings: "1" is tier 1. Anything else is left to the int check.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _criterion(name: str) -> str:
    if name not in CRITERIA:
        raise ValueError(f"not a criterion (known: {', '.join(CRITERIA)})")
    return name


def _status(name: str) -> str:
    if name not in STATUSES:
        raise ValueError(f"not a pledge status ({', '.join(STATUSES)})")
    return name


Number = Annotated[float, Strict()]
Weight = Annotated[float, Strict(), Field(ge=0)]
Share = Annotated[float, Strict(), Field(ge=0, le=1)]
TierKey = Annotated[StrictInt, Field(ge=1)]
Criterion = Annotated[StrictStr, AfterValidator(_criterion)]
Status = Annotated[StrictStr, AfterValidator(_status)]
DonorName = Annotated[StrictStr, Field(min_length=1, max_length=NAME_MAX)]
Year = Annotated[StrictInt, Field(ge=YEAR_MIN, le=YEAR_MAX)]


class _RaisesScenarioError(ModelMetaclass):
    """Building a part directly (``Scenario(...)``, ``Weights(...)``) raises
    :class:`ScenarioError` like :meth:`Scenario.from_dict` does, and accepts the fields
    positionally in declaration order, as the dataclasses these parts once were did. (A
    metaclass rather than an ``__init__`` override: pydantic would then call ``__init__`` for
    every nested part and validate twice.)"""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        names = list(getattr(cls, "model_fields", {}))
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} takes at most {len(names)} positional arguments")
        try:
            return super().__call__(**dict(zip(names, args, strict=False)), **kwargs)
        except ValidationError as exc:
            raise ScenarioError.from_validation(exc, getattr(cls, "SECTION", "")) from None


class _Part(BaseModel, metaclass=_RaisesScenarioError):
    """Shared rules of the scenario and its sections; errors become :class:`ScenarioError`."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )
    SECTION: ClassVar[str] = ""

    def __setattr__(self, name: str, value: Any) -> None:
        before = self.__dict__.get(name)
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            # A whole-model rule fails after the value was set: put the old value back.
            if name in type(self).model_fields:
                self.__dict__[name] = before
            raise ScenarioError.from_validation(exc, self.SECTION) from None


class Targets(_Part):
    """Soft policy targets (fractions 0-1; 0 disables).

    Reported with their shortfall, never as infeasible.
    """

    SECTION: ClassVar[str] = "targets"

    leadership_coordination_share_of_flexible: Share = 0.10
    human_rights_share: Share = 0.0
    gender_share: Share = 0.15
    civil_society_share: Share = 0.0


class Weights(_Part):
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

    SECTION: ClassVar[str] = "weights"

    tier: dict[TierKey, Weight] = Field(default_factory=lambda: {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0})
    criteria: dict[Criterion, Weight] = Field(default_factory=dict)
    tranche_share: Share = 0.5
    tranche_weight: Share = 0.6
    # A switch since the lexicographic stages (0 = off); the bound keeps stored files sane.
    early_year_preference: Annotated[Number, Field(ge=0, le=0.1)] = 1e-4

    @field_validator("tier", mode="before")
    @classmethod
    def _tier_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_tier_key(k): v for k, v in value.items()}
        return value

    @field_validator("tier")
    @classmethod
    def _every_tier(cls, value: dict[int, float]) -> dict[int, float]:
        missing = [str(t) for t in TIERS if t not in value]
        unknown = [str(t) for t in value if t not in TIERS]
        problems = [f"missing tier {t}" for t in missing] + [f"unknown tier {t}" for t in unknown]
        if problems:
            raise ValueError("; ".join(problems) + " (tiers are 1-4, each needs a weight)")
        return value


class Risk(_Part):
    """Pledge-risk simulation defaults: probability each pledge materialises."""

    SECTION: ClassVar[str] = "risk"

    status_probability: dict[Status, Share] = Field(
        default_factory=lambda: {"paid": 1.0, "committed": 0.95, "pledged": 0.7}
    )
    donor_probability: dict[DonorName, Share] = Field(default_factory=dict)
    draws: Annotated[StrictInt, Field(ge=1, le=DRAWS_MAX)] = 200
    seed: Annotated[StrictInt, Field(ge=0, le=SEED_MAX)] = 20270101


class Scenario(_Part):
    """One allocation run's parameters; see the module docstring."""

    name: Annotated[StrictStr, Field(max_length=NAME_MAX)] = "baseline"
    description: Annotated[StrictStr, Field(max_length=DESCRIPTION_MAX)] = ""
    start_year: Year | None = None
    end_year: Year | None = None
    weights: Weights = Field(default_factory=Weights)
    targets: Targets = Field(default_factory=Targets)
    min_viable: StrictBool = True
    excluded_donors: list[DonorName] = Field(default_factory=list)
    donor_line_cap_share: Annotated[Number, Field(gt=0, le=1)] | None = None
    solver: Solver = "auto"
    time_limit_seconds: Annotated[Number, Field(gt=0, le=86_400)] = 30.0
    mip_gap: Annotated[Number, Field(ge=0, le=1)] = 1e-6
    risk: Risk = Field(default_factory=Risk)
    # Last stage of the lexicographic objective: "reference" picks, among allocations equally
    # good on every earlier stage, the one closest to a reference allocation (line-year
    # funding) handed to the engine with the plan, so small changes do not reshuffle lines
    # that need not move. ``stability_reference`` names the reference for the application
    # to load: "" for the official appeal, else a saved scenario's name (the engine itself
    # takes the reference as a table).
    stability: Stability = "none"
    stability_reference: Annotated[StrictStr, Field(max_length=NAME_MAX)] = ""

    @model_validator(mode="after")
    def _horizon(self) -> Scenario:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        return self

    def validate(self) -> Scenario:  # type: ignore[override]  # pydantic's is deprecated
        """The scenario itself: it is validated when built and on every assignment."""
        return self

    # -- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON- and TOML-safe dict (tier keys as strings, unset optionals left out)."""
        data = self.model_dump()
        data["weights"]["tier"] = {str(k): v for k, v in self.weights.tier.items()}
        # TOML has no null: drop unset optionals.
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """A validated scenario from a dict; :class:`ScenarioError` lists every problem."""
        if not isinstance(data, dict):
            raise ScenarioError(f"a scenario must be a table of settings, got {_short(data)}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError.from_validation(exc) from None

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> Scenario:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"not valid TOML: {exc}") from exc
        return cls.from_dict(data)


# -- describing keys (for generated editors) ----------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    """What one scenario key accepts: ``kind`` is number | integer | bool | text | choice |
    list; bounds are inclusive unless ``lower_open``; ``choices`` for a choice."""

    kind: str
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    choices: tuple[str, ...] = ()


def field_spec(path: str) -> FieldSpec:
    """The type and bounds of the key at ``path`` (e.g. ``"weights.tier.1"``, ``"mip_gap"``),
    read from the field constraints above. :class:`KeyError` for a path that is not a key."""
    model: type[BaseModel] = Scenario
    parts = path.split(".")
    while parts:
        part = parts.pop(0)
        if part not in model.model_fields:
            raise KeyError(path)
        field = model.model_fields[part]
        annotation, metadata = field.annotation, list(field.metadata)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        if get_origin(annotation) is dict and parts:
            parts.pop(0)  # the table's key
            annotation, metadata = _unwrap(get_args(annotation)[1])
        if parts:
            raise KeyError(path)
        annotation, inner = _unwrap(_optional(annotation))
        return _spec(annotation, [*metadata, *inner])
    raise KeyError(path)


def _optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        inner_base, inner_meta = _unwrap(base)
        return inner_base, [*inner_meta, *meta]
    return annotation, []


def _spec(annotation: Any, metadata: list[Any]) -> FieldSpec:
    lower = upper = None
    lower_open = False
    flat: list[Any] = []
    for m in metadata:
        flat.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    for m in flat:  # annotated-types' Ge / Gt / Le, as pydantic stores them
        if getattr(m, "ge", None) is not None:
            lower = m.ge
        elif getattr(m, "gt", None) is not None:
            lower, lower_open = m.gt, True
        elif getattr(m, "le", None) is not None:
            upper = m.le
    if get_origin(annotation) is Literal:
        return FieldSpec("choice", choices=tuple(str(a) for a in get_args(annotation)))
    kinds = {bool: "bool", int: "integer", float: "number", str: "text", list: "list"}
    kind = kinds.get(get_origin(annotation) or annotation, "text")
    return FieldSpec(kind, lower, upper, lower_open)
