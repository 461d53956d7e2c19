"""Synthetic plans with the structure of a real multi-year appeal, for tests and benchmarks.

:func:`synthetic_plan` builds a deterministic (for a seed) :class:`~models.plan.Plan` that
exercises every feature the allocation model has to handle: all four line categories,
pillars I-IV, themes including human_rights / gender / civil_society, priorities 1-4, some
minimum-viable shares, lines whose need starts late or ends early, mostly earmarked money,
soft earmarks of every kind (pillar, theme, category, entity), unearmarked money, multi-year
pledges, all statuses, confidential donors, money arriving before and after the horizon,
several currencies converted through an fx table and a few non-default PSC rates.

Amounts are illustrative, not real figures. ``SIZES`` holds the benchmark sizes
(donors, pledges, lines, years).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.plan import CATEGORIES, PILLARS, Plan, make_plan

SIZES: dict[str, tuple[int, int, int, int]] = {
    "S": (30, 150, 25, 4),
    "M": (100, 1000, 60, 5),
    "L": (200, 3000, 100, 6),
    "XL": (500, 10000, 300, 6),
}

ENTITIES = (
    "UNOCT",
    "CTED",
    "UNODC",
    "OHCHR",
    "UN Women",
    "UNDP",
    "UNICEF",
    "UNICRI",
    "IOM",
    "INTERPOL",
    "IMO",
)
THEMES = (
    "human_rights",
    "gender",
    "civil_society",
    "cft",
    "border",
    "victims",
    "pve",
    "cyber",
    "cbrn",
)
# Illustrative operational rates (units per USD).
FX = {"EUR": 0.92, "GBP": 0.79, "JPY": 151.0, "SAR": 3.75, "QAR": 3.64, "NOK": 10.6, "CHF": 0.88}
REGIONS = ("WEOG", "Asia-Pacific", "GRULAC", "African", "Eastern European", "n/a")


def synthetic_plan(
    n_donors: int,
    n_pledges: int,
    n_lines: int,
    n_years: int,
    *,
    seed: int = 0,
    start_year: int = 2027,
) -> Plan:
    """A random but realistic plan; the same arguments always give the same plan.

    Pledges total roughly 70% of requirements so that priorities matter. About 8% of pledges
    start the year before the horizon and 4% after its last year.
    """
    if min(n_donors, n_pledges, n_lines, n_years) < 1:
        raise ValueError("synthetic_plan needs at least one donor, pledge, line and year")
    rng = np.random.default_rng(seed)
    years = list(range(start_year, start_year + n_years))
    lines = _lines(rng, n_lines, years)
    total_req = sum(sum(line["requirements"].values()) for line in lines)
    donors = _donors(rng, n_donors)
    pledges = _pledges(rng, n_pledges, lines, donors, years, 0.7 * total_req)
    plan = make_plan(lines, pledges, donors=donors, fx=FX, title=f"Synthetic appeal (seed {seed})")
    return plan.replace(illustrative=True)


def _lines(rng: np.random.Generator, n_lines: int, years: list[int]) -> list[dict[str, Any]]:
    # A few leadership/coordination lines, ~15% flagships, the rest other-entity projects.
    n_lead = max(1, round(0.05 * n_lines))
    n_coord = max(1, round(0.05 * n_lines)) if n_lines > 1 else 0
    n_flag = max(1, round(0.15 * n_lines)) if n_lines > 2 else 0
    cats = ["leadership"] * n_lead + ["coordination"] * n_coord + ["flagship"] * n_flag
    cats += ["entity"] * (n_lines - len(cats))
    cats = cats[:n_lines]
    lines = []
    for i, cat in enumerate(cats):
        assert cat in CATEGORIES
        entity = "UNOCT" if cat in ("leadership", "coordination", "flagship") and i % 3 else None
        if entity is None:
            entity = str(rng.choice(ENTITIES))
        n_pillars = int(rng.integers(1, 3))
        pillars = sorted(rng.choice(PILLARS, size=n_pillars, replace=False).tolist())
        # Every line carries 1-3 themes; cycling the first one guarantees each theme exists.
        themes = {THEMES[i % len(THEMES)]}
        themes |= set(rng.choice(THEMES, size=int(rng.integers(0, 3)), replace=False).tolist())
        if cat == "leadership":
            priority = 1
        elif cat in ("coordination", "flagship"):
            priority = int(rng.choice([1, 2], p=[0.6, 0.4]))
        else:
            priority = int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.3, 0.2]))
        base = float(rng.lognormal(mean=np.log(1.5e6), sigma=0.8))
        # Most lines need money every year; some start late or end early.
        first = 0 if rng.random() < 0.75 else int(rng.integers(0, len(years)))
        last = len(years) - 1 if rng.random() < 0.8 else int(rng.integers(first, len(years)))
        reqs = {
            years[t]: round(base * float(rng.uniform(0.7, 1.3)), 2) for t in range(first, last + 1)
        }
        mvs = float(rng.choice([0.3, 0.4, 0.5])) if rng.random() < 0.2 else 0.0
        lines.append(
            {
                "line_id": f"L{i + 1:04d}",
                "name": f"{cat.title()} programme {i + 1}",
                "category": cat,
                "entity": entity,
                "pillars": ";".join(pillars),
                "themes": ";".join(sorted(themes)),
                "priority": priority,
                "min_viable_share": mvs,
                "requirements": reqs,
            }
        )
    return lines


def _donors(rng: np.random.Generator, n_donors: int) -> list[dict[str, Any]]:
    types = ("member_state", "intergovernmental", "private", "un_fund", "other")
    out = []
    for i in range(n_donors):
        dtype = str(rng.choice(types, p=[0.75, 0.08, 0.08, 0.05, 0.04]))
        region = str(rng.choice(REGIONS[:5])) if dtype == "member_state" else "n/a"
        out.append(
            {
                "donor": f"Donor {i + 1:03d}",
                "donor_type": dtype,
                "region": region,
                "iati_org_id": "",
            }
        )
    return out


def _pledges(
    rng: np.random.Generator,
    n_pledges: int,
    lines: list[dict[str, Any]],
    donors: list[dict[str, Any]],
    years: list[int],
    total_usd: float,
) -> list[dict[str, Any]]:
    n_donors = len(donors)
    # Concentrated donor base (a few large donors), as in the real appeal.
    donor_p = rng.pareto(1.2, size=n_donors) + 0.05
    donor_p /= donor_p.sum()
    currency_of = [
        "USD" if rng.random() < 0.5 else str(rng.choice(list(FX))) for _ in range(n_donors)
    ]
    confidential_donor = rng.random(n_donors) < 0.1
    sizes = rng.lognormal(mean=0.0, sigma=1.0, size=n_pledges)
    sizes = sizes / sizes.sum() * total_usd
    soft_targets = _soft_targets(lines)
    line_ids = [str(line["line_id"]) for line in lines]
    # Draw every column at once (vectorised: the XL plan has 10,000 pledges).
    donor_idx = rng.choice(n_donors, size=n_pledges, p=donor_p)
    kinds = rng.choice(
        ["unearmarked", "softly_earmarked", "earmarked", "tightly_earmarked"],
        size=n_pledges,
        p=[0.15, 0.22, 0.5, 0.13],
    )
    soft_pick = rng.integers(len(soft_targets), size=n_pledges)
    line_pick = rng.integers(len(line_ids), size=n_pledges)
    timing = rng.random(n_pledges)
    year_pick = rng.integers(len(years), size=n_pledges)
    spans = rng.choice([1, 2, 3], size=n_pledges, p=[0.55, 0.25, 0.2])
    pscs = rng.choice([0.13, 0.08, 0.07, 0.0], size=n_pledges, p=[0.85, 0.07, 0.05, 0.03])
    statuses = rng.choice(["pledged", "committed", "paid"], size=n_pledges, p=[0.3, 0.35, 0.35])
    pledges = []
    for i in range(n_pledges):
        d = int(donor_idx[i])
        kind = str(kinds[i])
        target = ""
        if kind == "softly_earmarked":
            target = soft_targets[int(soft_pick[i])]
        elif kind in ("earmarked", "tightly_earmarked"):
            target = line_ids[int(line_pick[i])]
        if timing[i] < 0.08:
            first = years[0] - 1  # arrived before the horizon: usable from its first year
        elif timing[i] < 0.12:
            first = years[-1] + 1  # arrives after the horizon: stays unallocated
        else:
            first = years[int(year_pick[i])]
        currency = currency_of[d]
        rate = 1.0 if currency == "USD" else FX[currency]
        psc = float(pscs[i])
        pledges.append(
            {
                "pledge_id": f"PL{i + 1:06d}",
                "donor": donors[d]["donor"],
                # Gross in pledge currency: programmable USD * (1 + psc) * rate.
                "amount": round(float(sizes[i]) * (1.0 + psc) * rate, 2),
                "currency": currency,
                "first_year": first,
                "last_year": first + int(spans[i]) - 1,
                "earmarking": kind,
                "earmark_to": target,
                "status": str(statuses[i]),
                "psc_rate": psc,
                "confidential": bool(confidential_donor[d]),
            }
        )
    return pledges


def _soft_targets(lines: list[dict[str, Any]]) -> list[str]:
    """Soft-earmark targets that match at least one line: every kind is represented."""
    pillars = sorted({p for line in lines for p in str(line["pillars"]).split(";") if p})
    themes = sorted({t for line in lines for t in str(line["themes"]).split(";") if t})
    cats = sorted({str(line["category"]) for line in lines})
    entities = sorted({str(line["entity"]) for line in lines})
    out = [f"pillar:{p}" for p in pillars] + [f"theme:{t}" for t in themes]
    out += [f"category:{c}" for c in cats] + [f"entity:{e}" for e in entities]
    return out
