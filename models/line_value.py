"""What a dollar buys on each budget line: the value of new money earmarked to it.

The engine reports the value of one more *flexible* dollar and of one more USD of a line's
*requirement* (:mod:`models.explain`), but not what a dollar *earmarked to a line* would buy,
which is what a donor choosing where to give wants to know. :func:`earmarked_values` measures
it by re-solving: the plan gets one probe pledge per line (earmarked to it, arriving in the
first year of the horizon, ``block`` USD), the model is built once, and for each line the
probe is switched on alone (:meth:`models.allocation.AllocationModel.solve_scaled`, the same
in-place warm re-solve the stress tests use). The value per USD is the gain in the objective
divided by the block:

- a line below half its need gains its tier weight per dollar (8 / 4 / 2 / 1 by default),
  above half the second-tranche weight (0.6 of it);
- a line whose need flexible money was already meeting frees that money for the next best
  line, and the value is what the freed money buys there;
- a line cut below its minimum viable share gains only if the block (with the money it
  unlocks) lifts it over the threshold;
- the money counts as new money under the scenario's rules: the policy targets' bases grow
  with it, as for the next USD 1 million.

Note for the engine: a per-line value from the duals (the link rows' prices, ``max_t
-dual(link[l, t])``) would avoid the re-solves; it is not exact for lines cut by the
minimum-viable rule, which is why this finite difference is used for now.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.allocation import AllocationModel
from models.plan import PLEDGE_COLUMNS, TRANCHE_COLUMNS, Plan
from models.pooling import horizon_years
from models.scenario import Scenario

__all__ = ["BLOCK_USD", "VALUE_COLUMNS", "earmarked_values"]

BLOCK_USD = 100_000.0  # the probe's size: a small first contribution
VALUE_COLUMNS = ["line_id", "block_usd", "value_per_usd"]
_PROBE = "\x00probe:"  # pledge ids and donors of the probes (never a real donor's name)


def earmarked_values(
    plan: Plan, scenario: Scenario, gaps: Mapping[str, float], *, block: float = BLOCK_USD
) -> pd.DataFrame:
    """Objective value per USD of ``min(block, gap)`` USD earmarked to each line in ``gaps``
    (line_id -> open gap, USD; lines with no gap are skipped). Columns :data:`VALUE_COLUMNS`;
    value_per_usd is NaN where a re-solve did not solve."""
    blocks = {str(k): min(block, float(g)) for k, g in gaps.items() if float(g) > 0.5}
    if not blocks:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    model = AllocationModel.build(_with_probes(plan, scenario, blocks), scenario)
    probes = {line: f"{_PROBE}{line}" for line in blocks}
    off = dict.fromkeys(probes.values(), 0.0)
    base = model.solve_scaled(off).objective
    rows = []
    for line, amount in blocks.items():
        outcome = model.solve_scaled({**off, probes[line]: 1.0})
        gained = (
            np.nan
            if base is None or outcome.objective is None
            else (outcome.objective - base) / amount
        )
        rows.append((line, amount, float(gained)))
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def _with_probes(plan: Plan, scenario: Scenario, blocks: Mapping[str, float]) -> Plan:
    """The plan plus one probe pledge per line, earmarked to it, arriving in the horizon's
    first year, from its own donor (so a donor cap never ties two probes together)."""
    year = horizon_years(plan, scenario)[0]
    pledges = pd.DataFrame(
        [
            {
                "pledge_id": f"{_PROBE}{line}",
                "donor": f"{_PROBE}{line}",
                "amount": amount,
                "currency": "USD",
                "first_year": year,
                "last_year": year,
                "earmarking": "earmarked",
                "earmark_to": line,
                "status": "pledged",
                "psc_rate": 0.0,
                "confidential": False,
                "source_file": "",
                "source_sheet": "",
                "source_row": 0,
            }
            for line, amount in blocks.items()
        ],
        columns=PLEDGE_COLUMNS,
    )
    tranches = pd.DataFrame(
        [(f"{_PROBE}{line}", year, a, a, a) for line, a in blocks.items()],
        columns=TRANCHE_COLUMNS,
    )
    return plan.replace(
        pledges=pd.concat([plan.pledges, pledges], ignore_index=True),
        tranches=pd.concat([plan.tranches, tranches], ignore_index=True),
    )
