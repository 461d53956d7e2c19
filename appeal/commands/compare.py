"""``appeal compare``: why each line's funding differs — between two scenarios (saved names or
TOML files) on the register's plan, or between an edition and today — split over each changed
setting and data change, with the interaction remainder (:mod:`appeal.comparison`).

Prints a readable table; ``--json FILE`` (``-`` for stdout) writes the attribution. Confidential
donors (in excluded donors, risk probabilities, any text) appear as "Anonymous donor N" unless
``--reveal-confidential``, which the acting user (``appeal --as USER``, default the
operating-system user) may use only when the register has no account for them or their
account's role may reveal (admin). Exit codes: 0 success, 2 invalid input, 1 a failed solve.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from appeal.commands._options import (
    add_reveal_option,
    open_register,
    plan_from_register,
    wrote_json,
)

if TYPE_CHECKING:
    from appeal.register import Register

HELP = "explain the difference between two scenarios, or an edition and today, line by line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="BEFORE AFTER",
        help="two scenarios, each a saved name or a scenario TOML file, on the register's plan",
    )
    parser.add_argument(
        "--edition",
        type=int,
        metavar="ID",
        help="compare edition ID with today (the register's plan under the official appeal)",
    )
    parser.add_argument(
        "--today",
        metavar="NAME|FILE",
        help="with --edition: today's scenario instead of the official appeal",
    )
    parser.add_argument("--json", metavar="FILE", help="write the attribution JSON ('-' stdout)")
    parser.add_argument(
        "--all-lines", action="store_true", help="list every line, not only those that moved"
    )
    add_reveal_option(parser)


def run(args: argparse.Namespace) -> int:
    from appeal import comparison, service

    try:
        with open_register(args.db) as register:
            if args.reveal_confidential:
                _check_may_reveal(register)
            plan_from_register(register)  # a clear error when nothing is imported yet
            if args.edition is not None:
                if args.scenarios:
                    raise service.InputError("give two scenarios or --edition ID, not both")
                before, after = comparison.edition_and_today(register, args.edition, args.today)
            else:
                if len(args.scenarios) != 2 or args.today:
                    raise service.InputError(
                        "give two scenarios (BEFORE AFTER: saved names or TOML files), or "
                        "--edition ID [--today NAME|FILE]"
                    )
                before, after = comparison.scenarios(register, *args.scenarios)
    except service.InputError as exc:
        print(f"appeal compare: error: {exc}", file=sys.stderr)
        return 2
    result = comparison.explain_difference(before, after, reveal=bool(args.reveal_confidential))
    data = result.to_dict()
    text = "\n".join(comparison.table_lines(result, all_lines=args.all_lines))
    out = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON
    if args.json and not wrote_json("compare", data, args.json):
        return 2
    print(text, file=out)
    failed = {
        k: v for k, v in result.statuses.items() if v not in ("optimal", "time_limit_feasible")
    }
    if failed:
        print(f"appeal compare: error: solves did not finish: {failed}", file=sys.stderr)
        return 1
    return 0


def _check_may_reveal(register: Register) -> None:
    """:class:`InputError` when the acting user has an account whose role may not reveal
    confidential donors (the dashboard's rule: admins only)."""
    from appeal import accounts, actor
    from appeal.service import InputError

    who = actor.current()
    row = register.user(who)  # disabled accounts too: a disabled admin reveals nothing
    if row is None:
        return
    if row["disabled"] or not accounts.at_least(str(row["role"]), "admin"):
        state = "disabled" if row["disabled"] else str(row["role"])
        raise InputError(
            f"--reveal-confidential: {who} ({state}) may not reveal confidential donors"
        )
