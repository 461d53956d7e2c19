"""The plan as HXL-tagged csv: the pledges (the appeal workbook's Pledges sheet: the
contract's columns, re-importable as they are) and the allocation (which pledge's money goes
to which line in which year), each with its hashtag row under the header.

Two files: ``NAME.csv`` (pledges) and ``NAME_allocation.csv``. The pledges file imports again
with ``appeal import NAME.csv`` (the contract's layout reads its own hashtags).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd

from appeal.inert import inert_text
from appeal.workbook.sheets import pledge_table
from models import contract
from models.analytics import PlanRun
from models.privacy import donor_aliases

__all__ = ["ALLOCATION_COLUMNS", "write"]

#: The allocation file's columns: (header, hashtag, field of the result's allocations); the
#: columns the contract has take its hashtags.
ALLOCATION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Pledge ID", contract.PLEDGES.column("pledge_id").hashtag, "pledge_id"),
    ("Donor", contract.PLEDGES.column("donor").hashtag, "donor"),
    ("Line ID", contract.PROGRAMMES.column("line_id").hashtag, "line_id"),
    ("Year", "#date+year", "year"),
    ("Amount USD", "#value+usd", "amount_usd"),
    ("Available from", contract.PLEDGES.column("year").hashtag, "source_year"),
    ("Status", contract.PLEDGES.column("status").hashtag, "status"),
)


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return inert_text(value)
    return value


def _write_csv(path: Path, header: list[str], tags: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([inert_text(h) for h in header])
        out.writerow(tags)
        for row in rows:
            out.writerow([_value(v) for v in row])


def write(path: Path, run: PlanRun, *, reveal_confidential: bool = False) -> list[Path]:
    """Write the pledges to ``path`` and the allocation beside it; returns both paths."""
    aliases = donor_aliases(run.plan, reveal=reveal_confidential)
    table = pledge_table.pledge_table(run.plan, aliases)
    header = [str(c) for c in table.columns]
    _write_csv(
        path,
        header,
        [pledge_table.column_hxl(c) for c in header],
        [list(r) for r in table.itertuples(index=False, name=None)],
    )
    allocation = path.with_name(f"{path.stem}_allocation{path.suffix or '.csv'}")
    frame: pd.DataFrame = run.result.allocations
    rows = [
        [
            aliases.get(str(r[field]), str(r[field])) if field == "donor" else r[field]
            for _, _, field in ALLOCATION_COLUMNS
        ]
        for r in frame.to_dict("records")
    ]
    _write_csv(
        allocation,
        [h for h, _, _ in ALLOCATION_COLUMNS],
        [t for _, t, _ in ALLOCATION_COLUMNS],
        rows,
    )
    return [path, allocation]
