"""``appeal audit``: the audit trail — every write to the register, with who, when, what and
before -> after; newest first, filtered by user, action and time."""

from __future__ import annotations

import argparse
import sys

from appeal.commands._options import open_register

HELP = "show the audit trail of the register (who changed what, when)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default=None, help="only this user's actions")
    parser.add_argument(
        "--action", default=None, help="only this action or family (e.g. scenario, import)"
    )
    parser.add_argument(
        "--since", default=None, help="from this UTC date/time (ISO, e.g. 2027-03-31)"
    )
    parser.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    from appeal.service import InputError

    try:
        with open_register(args.db) as register:
            frame = register.audit_log(
                actor_name=args.user, action=args.action, since=args.since, limit=args.limit
            )
    except InputError as exc:
        print(f"appeal audit: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(frame.to_json(orient="records", indent=2))
    elif args.format == "csv":
        print(frame.to_csv(index=False), end="")
    elif frame.empty:
        print("no audit rows match")
    else:
        shown = frame[["at", "actor", "action", "target", "summary"]]
        import pandas as pd

        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            print(shown.to_string(index=False))
    return 0
