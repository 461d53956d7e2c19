"""``appeal pledges``: list the pledges stored in the register (table, csv or json).

Confidential donors are shown as "Anonymous donor N" unless ``--reveal-confidential``. Text a
spreadsheet would run as a formula (a donor, sheet or file name starting with ``= + - @``...) is
written quote-prefixed in csv and JSON (:mod:`appeal.inert`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from appeal.commands._options import add_reveal_option, open_register
from models import contract

if TYPE_CHECKING:
    import pandas as pd

    from appeal.register import Register

HELP = "list the pledges stored in the pledge register"

# The plan's pledge columns (models.contract) with each pledge's programmable USD after its
# status, where it came from last; the PSC rate and the confidential flag are not listed.
_HIDDEN = ("psc_rate", "confidential")
_ORIGIN = [c.plan_name for c in contract.PLEDGES.plan_columns if not c.in_files]
COLUMNS = [
    *(c for c in contract.PLEDGES.fields if c not in _HIDDEN and c not in _ORIGIN),
    "programmable_usd",
    *_ORIGIN,
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_reveal_option(parser)


def pledge_listing(register: Register, *, reveal: bool = False) -> pd.DataFrame:
    """Stored pledges with their programmable USD, donors anonymised unless ``reveal``."""
    from models.privacy import anonymise, donor_aliases

    plan = register.load_plan()
    usd = plan.tranches.groupby("pledge_id")["programmable_usd"].sum()
    frame = plan.pledges.copy()
    frame["programmable_usd"] = frame["pledge_id"].map(usd).fillna(0.0).astype(float)
    frame = anonymise(frame, donor_aliases(plan, reveal=reveal))
    return frame[COLUMNS]


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from appeal.inert import inert_frame
    from appeal.report import records, write_json
    from appeal.service import InputError

    try:
        with open_register(args.db) as register:
            frame = pledge_listing(register, reveal=args.reveal_confidential)
    except InputError as exc:
        print(f"appeal pledges: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        write_json(records(frame), "-")
    elif args.format == "csv":
        inert_frame(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
    elif frame.empty:
        print("the register holds no pledges yet; add some with: appeal import FILE")
    else:
        shown = frame.assign(
            amount=frame["amount"].map("{:,.0f}".format),
            programmable_usd=frame["programmable_usd"].map("{:,.0f}".format),
        ).drop(columns=["source_sheet"])
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(shown.to_string(index=False))
        print(f"{len(frame)} pledges, USD {frame['programmable_usd'].sum():,.0f} programmable")
    return 0
