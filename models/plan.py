"""The plan: the validated tables every other part of the product works on.

A :class:`Plan` holds programmes (budget lines), their requirements per year, donors, pledges,
the pledges' per-year tranches and the exchange rates used. All money is in USD; amounts are
never rounded here (rounding is for display only).

The tables' columns are those of :mod:`models.contract` (``PLEDGE_COLUMNS`` and the other
lists below are derived from it), e.g. ``pledges``: pledge_id, donor, amount, currency,
first_year, last_year, earmarking, earmark_to, status, psc_rate, confidential, source_file,
source_sheet, source_row; ``tranches``: pledge_id, year, amount (pledge currency, gross),
gross_usd, programmable_usd. Programmes may carry extra ``score_<criterion>`` columns.
pillars/themes are ``;``-joined and normalised ("I;III", "human_rights;gender");
earmarking and status hold the canonical values (``softly_earmarked``, ``committed``).

A plan is made in one place, :meth:`Plan.build`, which conforms every table to the contract
and validates it (:mod:`models.schemas`); the importer, the register and the synthetic plans
all go through it, so the rest of the code may rely on valid tables.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from models import contract, money
from models.contract import (
    CATEGORIES,
    DEFAULT_PSC_RATE,
    DONOR_TYPES,
    FIRM_STATUSES,
    FLEXIBLE_EARMARKING,
    PILLARS,
    STATUSES,
)
from models.contract import EARMARKINGS as EARMARKING

if TYPE_CHECKING:
    from models.schemas import Problem

__all__ = [
    "CATEGORIES",
    "DEFAULT_PSC_RATE",
    "DONOR_COLUMNS",
    "DONOR_TYPES",
    "EARMARKING",
    "FIRM_STATUSES",
    "FLEXIBLE_EARMARKING",
    "FX_COLUMNS",
    "INSTALMENT_COLUMNS",
    "PILLARS",
    "PLEDGE_COLUMNS",
    "PROGRAMME_COLUMNS",
    "REQUIREMENT_COLUMNS",
    "STATUSES",
    "TRANCHE_COLUMNS",
    "Plan",
    "PlanError",
    "conform",
    "make_plan",
    "split_list",
]

PROGRAMME_COLUMNS: list[str] = contract.PROGRAMMES.fields
REQUIREMENT_COLUMNS: list[str] = contract.REQUIREMENTS.fields
DONOR_COLUMNS: list[str] = contract.DONORS.fields
PLEDGE_COLUMNS: list[str] = contract.PLEDGES.fields
TRANCHE_COLUMNS: list[str] = contract.TRANCHES.fields
INSTALMENT_COLUMNS: list[str] = contract.INSTALMENTS.fields
FX_COLUMNS: list[str] = contract.FX.fields

#: The plan's tables, in the order they are built and validated.
TABLE_NAMES: tuple[str, ...] = (
    "programmes",
    "requirements",
    "pledges",
    "tranches",
    "instalments",
    "donors",
    "fx",
)


class PlanError(ValueError):
    """The tables break the contract; ``problems`` lists every broken rule."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more")
        super().__init__(f"the plan breaks {len(self.problems)} rule(s): " + "; ".join(shown))


def split_list(value: object) -> tuple[str, ...]:
    """Split a ``;``-joined cell ("I; III" or "gender;human_rights") into its parts."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


@dataclass(frozen=True)
class Plan:
    """Validated plan tables. Make one with :meth:`build`; frozen: derive a changed plan (from
    valid tables, e.g. fewer pledges) with :meth:`replace`."""

    programmes: pd.DataFrame
    requirements: pd.DataFrame
    pledges: pd.DataFrame
    tranches: pd.DataFrame
    donors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DONOR_COLUMNS))
    fx: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FX_COLUMNS))
    title: str = "Multi-Year Appeal"
    illustrative: bool = False
    #: Pledges' schedules (due dates); a pledge without instalments has none here.
    instalments: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=INSTALMENT_COLUMNS)
    )

    @classmethod
    def build(
        cls,
        *,
        programmes: pd.DataFrame,
        requirements: pd.DataFrame,
        pledges: pd.DataFrame,
        tranches: pd.DataFrame,
        donors: pd.DataFrame | None = None,
        fx: pd.DataFrame | None = None,
        title: str = "Multi-Year Appeal",
        illustrative: bool = False,
        instalments: pd.DataFrame | None = None,
    ) -> Plan:
        """The one way to make a plan: each table gets the contract's columns (in order, extra
        columns such as ``score_<criterion>`` after them) and types, tranches are ordered by
        pledge and year, and every rule of :mod:`models.schemas` is checked.

        Raises :class:`PlanError` listing every broken rule (a missing column, a value out of
        range, a repeated key, a requirement of an unknown line ...).
        """
        given = {
            "programmes": programmes,
            "requirements": requirements,
            "pledges": pledges,
            "tranches": tranches,
            "instalments": instalments,
            "donors": donors,
            "fx": fx,
        }
        tables: dict[str, pd.DataFrame] = {}
        missing: list[Problem] = []
        for name in TABLE_NAMES:
            frame, lacking = _conform(contract.TABLES[name], given[name])
            tables[name] = frame
            missing.extend(lacking)
        if missing:
            raise PlanError(missing)
        tables["tranches"] = (
            tables["tranches"].sort_values(["pledge_id", "year"]).reset_index(drop=True)
        )
        if len(tables["instalments"]):
            tables["instalments"] = (
                tables["instalments"].sort_values(["pledge_id", "due_date"]).reset_index(drop=True)
            )
        from models.schemas import plan_problems  # pandera is loaded only to build plans

        found = plan_problems(tables)
        if found:
            raise PlanError(found)
        return cls(**tables, title=title, illustrative=illustrative)

    @property
    def years(self) -> list[int]:
        """Years of the appeal horizon (those with requirements), ascending."""
        return sorted(int(y) for y in self.requirements["year"].unique())

    @property
    def line_ids(self) -> list[str]:
        return [str(x) for x in self.programmes["line_id"]]

    def replace(self, **changes: Any) -> Plan:
        return replace(self, **changes)

    def donor_table(self) -> pd.DataFrame:
        """Every donor that has a pledge, with the contract's defaults (type "other", region
        "n/a") where the donors table does not list it."""
        names = pd.DataFrame({"donor": sorted(self.pledges["donor"].unique())})
        merged = names.merge(self.donors, on="donor", how="left")
        for column in contract.DONORS.plan_columns:
            default: Any = column.default
            if default is not None:
                merged[column.plan_name] = merged[column.plan_name].fillna(default)
        return merged[DONOR_COLUMNS]

    def without_donors(self, donors: Iterable[str]) -> Plan:
        """The same plan with every pledge of the named donors removed."""
        drop = set(donors)
        keep = ~self.pledges["donor"].isin(drop)
        kept_ids = set(self.pledges.loc[keep, "pledge_id"])
        return self.replace(
            pledges=self.pledges.loc[keep].reset_index(drop=True),
            tranches=self.tranches.loc[self.tranches["pledge_id"].isin(kept_ids)].reset_index(
                drop=True
            ),
            instalments=self.instalments.loc[
                self.instalments["pledge_id"].isin(kept_ids)
            ].reset_index(drop=True),
        )


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the contract columns of table ``name`` first, typed as the contract says
    (int, float, bool; text as it is), extra columns after. Raises :class:`PlanError` when a
    column is missing. (Typing only: :meth:`Plan.build` also checks the values.)"""
    out, lacking = _conform(contract.TABLES[name], frame)
    if lacking:
        raise PlanError(lacking)
    return out


def _conform(
    table: contract.Table, frame: pd.DataFrame | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """``frame`` with the contract's columns first (typed as the contract says) and any extra
    columns after; the problems list names each missing column."""
    from models.schemas import Problem

    if frame is None:
        frame = pd.DataFrame(columns=table.fields)
    lacking = [c for c in table.fields if c not in frame.columns]
    if lacking:
        return frame, [Problem(table.name, None, c, f"column {c} is missing") for c in lacking]
    extra = [c for c in frame.columns if c not in set(table.fields)]
    order = [*table.fields, *extra]
    out = frame if list(frame.columns) == order else frame[order]
    # Text stays as it is (astype(str) would turn a missing value into "nan").
    types: dict[str, Any] = {
        c.plan_name: contract.python_type(c.kind)
        for c in table.plan_columns
        if contract.python_type(c.kind) is not str
    }
    wrong = {c: t for c, t in types.items() if out[c].dtype != t}
    if wrong:
        # Values that cannot take the type stay as they are: the schema names each of them.
        with contextlib.suppress(TypeError, ValueError):
            out = out.astype(wrong)
    if not out.index.equals(pd.RangeIndex(len(out))):
        out = out.reset_index(drop=True)
    return out, []


# The contract's default of every column that has one, per table (for make_plan's rows).
_DEFAULTS: dict[str, dict[str, Any]] = {
    t.name: {c.plan_name: c.default for c in t.plan_columns if c.default is not None}
    for t in contract.TABLES.values()
}


def make_plan(
    lines: Sequence[Mapping[str, Any]],
    pledges: Sequence[Mapping[str, Any]],
    *,
    donors: Sequence[Mapping[str, Any]] = (),
    fx: Mapping[str, float] | None = None,
    title: str = "Test plan",
) -> Plan:
    """Build a plan from plain dicts — for tests, benchmarks and synthetic data.

    ``lines``: dicts with line_id, requirements ({year: usd}) and optionally name, category,
    entity, pillars, themes, priority, min_viable_share.
    ``pledges``: dicts with donor, amount and optionally pledge_id, currency, first_year,
    last_year (or years), earmarking, earmark_to, status, psc_rate, confidential, tranches
    ({year: amount in pledge currency}, overriding the even spread).
    Defaults suit tests (status paid, no programme support cost), not the input contract's.
    """
    prog_rows = []
    req_rows: list[dict[str, Any]] = []
    for line in lines:
        prog_rows.append(
            {
                **_DEFAULTS["programmes"],
                "line_id": str(line["line_id"]),
                "name": str(line.get("name", line["line_id"])),
                "category": line.get("category", "entity"),
                "entity": line.get("entity", "UNOCT"),
                "pillars": line.get("pillars", "I"),
                "themes": line.get("themes", ""),
                "priority": int(line.get("priority", 2)),
                "min_viable_share": float(line.get("min_viable_share", 0.0) or 0.0),
            }
        )
        for year, usd in dict(line["requirements"]).items():
            req_rows.append(
                {"line_id": str(line["line_id"]), "year": int(year), "requirement_usd": float(usd)}
            )
    rates = money.usd_rates(fx)
    pledge_rows = []
    tranche_rows: list[money.Tranche] = []
    for i, p in enumerate(pledges):
        first = int(p.get("first_year", min(r["year"] for r in req_rows)))
        last = int(p.get("last_year", first + int(p.get("years", 1)) - 1))
        pid = str(p.get("pledge_id", f"P{i + 1:05d}"))
        currency = str(p.get("currency", "USD")).upper()
        psc = float(p.get("psc_rate", 0.0))
        if "tranches" in p:
            parts = [(int(y), float(a)) for y, a in dict(p["tranches"]).items()]
            first, last = min(y for y, _ in parts), max(y for y, _ in parts)
            amount = float(sum(a for _, a in parts))
        else:
            amount = float(p["amount"])
            parts = money.even_spread(amount, first, last)
        tranche_rows.extend(money.tranches(pid, parts, rates[currency], psc))
        pledge_rows.append(
            {
                **_DEFAULTS["pledges"],
                "pledge_id": pid,
                "donor": str(p["donor"]),
                "amount": amount,
                "currency": currency,
                "first_year": first,
                "last_year": last,
                "earmarking": p.get("earmarking", "unearmarked"),
                "earmark_to": p.get("earmark_to", ""),
                "status": p.get("status", "paid"),
                "psc_rate": psc,
                "confidential": bool(p.get("confidential", False)),
                "source_file": "",
                "source_sheet": "",
                "source_row": 0,
            }
        )
    return Plan.build(
        programmes=pd.DataFrame(prog_rows, columns=PROGRAMME_COLUMNS),
        requirements=pd.DataFrame(req_rows, columns=REQUIREMENT_COLUMNS),
        pledges=pd.DataFrame(pledge_rows, columns=PLEDGE_COLUMNS),
        tranches=pd.DataFrame(tranche_rows, columns=TRANCHE_COLUMNS),
        donors=pd.DataFrame(list(donors), columns=DONOR_COLUMNS),
        fx=pd.DataFrame(
            [
                {"currency": c.upper(), "units_per_usd": float(r), "as_of": ""}
                for c, r in (fx or {}).items()
            ],
            columns=FX_COLUMNS,
        ),
        title=title,
    )
