"""``appeal asks``: tailored asks — for a donor (``--donor NAME``) or every donor (``--all``),
and for the prospects of a ``--prospects FILE`` (csv/xlsx; columns in :mod:`appeal.asks`): the
open gaps each could fund, ranked by what a dollar there buys, with a suggested ask. One page
per donor (``--out asks.pdf``) or one sheet per donor (``--out asks.xlsx``).

Plan and scenario as ``appeal document``. Confidential donors appear only under their alias
unless ``--reveal-confidential``. Exit codes: 0 written, 2 invalid input.

Examples::

    appeal asks --all --prospects prospects.csv --out asks.pdf
    appeal asks --donor Norway --scenario baseline --out norway.xlsx
"""

from __future__ import annotations

import argparse
import sys

from appeal.commands._source import add_source_options

HELP = "write tailored asks per donor and prospect (one page or sheet each)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", required=True, help="asks.pdf or asks.xlsx")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--donor", metavar="NAME", action="append", help="a donor or prospect")
    who.add_argument("--all", action="store_true", help="every donor (and every prospect)")
    parser.add_argument("--prospects", metavar="FILE", help="prospective donors (csv or xlsx)")
    add_source_options(parser)


def run(args: argparse.Namespace) -> int:
    from appeal.asks import (
        AsksError,
        check_target,
        donor_profiles,
        find_donor,
        read_prospects,
        write_asks,
    )
    from appeal.commands._source import as_at, load_run
    from appeal.service import InputError
    from models.scenario import ScenarioError

    try:
        check_target(args.out)
        if not (args.all or args.donor or args.prospects):
            raise InputError("say who to ask: --donor NAME, --all, or --prospects FILE")
        planned, draft = load_run(args)
        donors = donor_profiles(planned, reveal=args.reveal_confidential)
        prospects = read_prospects(args.prospects, planned) if args.prospects else []
        if args.all:
            chosen = [*donors, *prospects]
        elif args.donor:
            chosen = [find_donor([*donors, *prospects], name) for name in args.donor]
        else:
            chosen = prospects
        path = write_asks(
            args.out,
            planned,
            chosen,
            as_at=as_at(args),
            draft=draft,
            reveal=args.reveal_confidential,
        )
    except (InputError, AsksError, ScenarioError) as exc:
        print(f"appeal asks: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: {len(chosen)} brief{'s' if len(chosen) != 1 else ''}")
    return 0
