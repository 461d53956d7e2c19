"""Synthetic plans: deterministic and carrying every feature the model must handle."""

from __future__ import annotations

import pandas as pd

from models.eligibility import eligible_lines
from models.synthetic import SIZES, synthetic_plan


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    a = synthetic_plan(*SIZES["S"], seed=3)
    b = synthetic_plan(*SIZES["S"], seed=3)
    c = synthetic_plan(*SIZES["S"], seed=4)
    pd.testing.assert_frame_equal(a.pledges, b.pledges)
    pd.testing.assert_frame_equal(a.tranches, b.tranches)
    pd.testing.assert_frame_equal(a.requirements, b.requirements)
    assert not a.pledges["amount"].equals(c.pledges["amount"])


def test_sizes_and_structure() -> None:
    n_donors, n_pledges, n_lines, n_years = SIZES["M"]
    plan = synthetic_plan(n_donors, n_pledges, n_lines, n_years, seed=1, start_year=2030)
    assert len(plan.pledges) == n_pledges
    assert len(plan.programmes) == n_lines
    assert plan.years == list(range(2030, 2030 + n_years))
    assert plan.pledges["donor"].nunique() <= n_donors
    assert plan.illustrative
    progs = plan.programmes
    assert set(progs["category"]) == {"leadership", "coordination", "flagship", "entity"}
    assert set(progs["priority"]) == {1, 2, 3, 4}
    themes = {t for v in progs["themes"] for t in v.split(";")}
    assert {"human_rights", "gender", "civil_society"} <= themes
    assert (progs["min_viable_share"] > 0).any() and (progs["min_viable_share"] == 0).any()
    pl = plan.pledges
    shares = pl["earmarking"].value_counts(normalize=True)
    assert shares["earmarked"] + shares["tightly_earmarked"] > 0.5  # mostly earmarked
    kinds = {t.split(":")[0] for t in pl.loc[pl["earmarking"] == "softly_earmarked", "earmark_to"]}
    assert kinds == {"pillar", "theme", "category", "entity"}
    assert set(pl["status"]) == {"pledged", "committed", "paid"}
    assert pl["confidential"].any() and not pl["confidential"].all()
    assert (pl["last_year"] > pl["first_year"]).any()
    assert (pl["first_year"] < 2030).any() and (pl["first_year"] > plan.years[-1]).any()
    assert pl["currency"].nunique() >= 3
    assert set(pl["currency"]) - {"USD"} <= set(plan.fx["currency"])
    # Every earmark resolves (synthetic data must import cleanly).
    assert eligible_lines(progs, pl).map(len).min() >= 1
    # Money is short of need, so priorities matter.
    assert plan.tranches["programmable_usd"].sum() < plan.requirements["requirement_usd"].sum()
