"""The plan: the validated tables every other part of the product works on.

A :class:`Plan` holds programmes (budget lines), their requirements per year, donors, pledges,
the pledges' per-year tranches and the exchange rates used. All money is in USD; amounts are
never rounded here (rounding is for display only).

Column contracts (in-memory, after import):

``programmes``  line_id, name, category, entity, pillars, themes, priority, min_viable_share
                (pillars/themes are ``;``-joined, normalised: pillars "I;III", themes
                "human_rights;gender"; min_viable_share is 0.0 when the line has none)
``requirements`` line_id, year, requirement_usd
``donors``      donor, donor_type, region, iati_org_id
``pledges``     pledge_id, donor, amount, currency, first_year, last_year, earmarking,
                earmark_to, status, psc_rate, confidential, source_file, source_sheet,
                source_row
``tranches``    pledge_id, year, amount (pledge currency, gross), gross_usd, programmable_usd
``fx``          currency, units_per_usd, as_of

Earmarking values are normalised to ``unearmarked``, ``softly_earmarked``, ``earmarked``,
``tightly_earmarked``; status to ``pledged``, ``committed``, ``paid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

CATEGORIES: tuple[str, ...] = ("leadership", "coordination", "flagship", "entity")
PILLARS: tuple[str, ...] = ("I", "II", "III", "IV")
EARMARKING: tuple[str, ...] = (
    "unearmarked",
    "softly_earmarked",
    "earmarked",
    "tightly_earmarked",
)
FLEXIBLE_EARMARKING: frozenset[str] = frozenset({"unearmarked", "softly_earmarked"})
STATUSES: tuple[str, ...] = ("pledged", "committed", "paid")
FIRM_STATUSES: frozenset[str] = frozenset({"committed", "paid"})
DONOR_TYPES: tuple[str, ...] = (
    "member_state",
    "intergovernmental",
    "private",
    "un_fund",
    "other",
)
DEFAULT_PSC_RATE = 0.13

PROGRAMME_COLUMNS = [
    "line_id",
    "name",
    "category",
    "entity",
    "pillars",
    "themes",
    "priority",
    "min_viable_share",
]
REQUIREMENT_COLUMNS = ["line_id", "year", "requirement_usd"]
DONOR_COLUMNS = ["donor", "donor_type", "region", "iati_org_id"]
PLEDGE_COLUMNS = [
    "pledge_id",
    "donor",
    "amount",
    "currency",
    "first_year",
    "last_year",
    "earmarking",
    "earmark_to",
    "status",
    "psc_rate",
    "confidential",
    "source_file",
    "source_sheet",
    "source_row",
]
TRANCHE_COLUMNS = ["pledge_id", "year", "amount", "gross_usd", "programmable_usd"]
FX_COLUMNS = ["currency", "units_per_usd", "as_of"]


def split_list(value: object) -> tuple[str, ...]:
    """Split a ``;``-joined cell ("I; III" or "gender;human_rights") into its parts."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def programmable(gross: float, psc_rate: float) -> float:
    """Programmable amount of a gross contribution after programme support cost."""
    return gross / (1.0 + psc_rate)


@dataclass(frozen=True)
class Plan:
    """Validated plan tables. Frozen: derive a changed plan with :meth:`replace`."""

    programmes: pd.DataFrame
    requirements: pd.DataFrame
    pledges: pd.DataFrame
    tranches: pd.DataFrame
    donors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DONOR_COLUMNS))
    fx: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FX_COLUMNS))
    title: str = "Multi-Year Appeal"
    illustrative: bool = False

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
        """Every donor that has a pledge, with type/region filled ("other"/"n/a") when the
        donors table does not list it."""
        names = pd.DataFrame({"donor": sorted(self.pledges["donor"].unique())})
        merged = names.merge(self.donors, on="donor", how="left")
        merged["donor_type"] = merged["donor_type"].fillna("other")
        merged["region"] = merged["region"].fillna("n/a")
        merged["iati_org_id"] = merged["iati_org_id"].fillna("")
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
        )


def build_tranches(pledges: pd.DataFrame, fx: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spread each pledge evenly over first_year..last_year and convert to USD.

    ``fx`` maps currency -> units_per_usd; USD needs no row. A currency without a rate is a
    ``KeyError`` (import validation reports it per row before this is ever reached).
    Pledges carrying explicit per-year amounts should build their tranches directly instead.
    """
    rates = {"USD": 1.0}
    if fx is not None and len(fx):
        rates.update(
            {
                str(c).upper(): float(r)
                for c, r in zip(fx["currency"], fx["units_per_usd"], strict=True)
            }
        )
    rows: list[tuple[str, int, float, float, float]] = []
    columns = ("pledge_id", "first_year", "last_year", "amount", "currency", "psc_rate")
    for pid, first, last, amount, currency, psc in zip(
        *(pledges[c].tolist() for c in columns), strict=True
    ):
        n_years = int(last) - int(first) + 1
        share = float(amount) / n_years
        rate = rates[str(currency).upper()]
        for year in range(int(first), int(last) + 1):
            gross_usd = share / rate
            rows.append((str(pid), year, share, gross_usd, programmable(gross_usd, float(psc))))
    return pd.DataFrame(rows, columns=TRANCHE_COLUMNS)


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
    """
    prog_rows = []
    req_rows: list[dict[str, Any]] = []
    for line in lines:
        prog_rows.append(
            {
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
    pledge_rows = []
    explicit: dict[str, Mapping[int, float]] = {}
    for i, p in enumerate(pledges):
        first = int(p.get("first_year", min(r["year"] for r in req_rows)))
        last = int(p.get("last_year", first + int(p.get("years", 1)) - 1))
        pid = str(p.get("pledge_id", f"P{i + 1:05d}"))
        if "tranches" in p:
            explicit[pid] = {int(y): float(a) for y, a in dict(p["tranches"]).items()}
            first, last = min(explicit[pid]), max(explicit[pid])
        pledge_rows.append(
            {
                "pledge_id": pid,
                "donor": str(p["donor"]),
                "amount": float(p["amount"])
                if "tranches" not in p
                else float(sum(explicit[pid].values())),
                "currency": str(p.get("currency", "USD")).upper(),
                "first_year": first,
                "last_year": last,
                "earmarking": p.get("earmarking", "unearmarked"),
                "earmark_to": p.get("earmark_to", ""),
                "status": p.get("status", "paid"),
                "psc_rate": float(p.get("psc_rate", 0.0)),
                "confidential": bool(p.get("confidential", False)),
                "source_file": "",
                "source_sheet": "",
                "source_row": 0,
            }
        )
    pledge_df = pd.DataFrame(pledge_rows, columns=PLEDGE_COLUMNS)
    fx_df = pd.DataFrame(
        [
            {"currency": c.upper(), "units_per_usd": float(r), "as_of": ""}
            for c, r in (fx or {}).items()
        ],
        columns=FX_COLUMNS,
    )
    tranches = build_tranches(pledge_df[~pledge_df["pledge_id"].isin(explicit)], fx_df)
    if explicit:
        rates = {"USD": 1.0, **{c.upper(): float(r) for c, r in (fx or {}).items()}}
        extra = []
        chosen = pledge_df[pledge_df["pledge_id"].isin(explicit)]
        for pid, currency, psc in zip(
            chosen["pledge_id"].tolist(),
            chosen["currency"].tolist(),
            chosen["psc_rate"].tolist(),
            strict=True,
        ):
            for year, amount in explicit[pid].items():
                gross = amount / rates[currency]
                extra.append((pid, year, amount, gross, programmable(gross, float(psc))))
        tranches = pd.concat(
            [tranches, pd.DataFrame(extra, columns=TRANCHE_COLUMNS)], ignore_index=True
        )
    return Plan(
        programmes=pd.DataFrame(prog_rows, columns=PROGRAMME_COLUMNS),
        requirements=pd.DataFrame(req_rows, columns=REQUIREMENT_COLUMNS),
        pledges=pledge_df,
        tranches=tranches.sort_values(["pledge_id", "year"]).reset_index(drop=True),
        donors=pd.DataFrame(list(donors), columns=DONOR_COLUMNS)
        if donors
        else pd.DataFrame(columns=DONOR_COLUMNS),
        fx=fx_df,
        title=title,
    )
