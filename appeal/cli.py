"""The ``appeal`` command line: one sub-command per module in :mod:`appeal.commands`.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Every command module is imported to build the parser, so at module level
they import only the standard library and each other's light helpers; what a command needs
(pandas, the importer, the solver, the register, the dashboard) is imported inside its ``run``,
and ``appeal --help`` costs only the interpreter's start. Exit codes: 0 success, 2 invalid
input (errors on stderr), 1 anything else that went wrong (a clear message, never a traceback,
unless APPEAL_DEBUG=1).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

COMMANDS = (
    "plan",
    "import",
    "pledges",
    "analyse",
    "export",
    "compare",
    "document",
    "asks",
    "template",
    "serve",
    "worker",
    "users",
    "audit",
)


def _module_name(command: str) -> str:
    return "appeal.commands." + ("import_" if command == "import" else command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appeal",
        description="Multiyear-appeal planner for the UN counter-terrorism architecture.",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="pledge register: a SQLite path or any SQLAlchemy URL "
        "(default: $APPEAL_DATABASE_URL, else a SQLite file in the user data directory)",
    )
    parser.add_argument(
        "--as",
        dest="as_user",
        default=None,
        metavar="USER",
        help="attribute the command's changes in the audit trail to USER "
        "(default: the operating-system user)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        try:
            module = importlib.import_module(_module_name(command))
        except ModuleNotFoundError as exc:
            # A command whose module is not installed is left out rather than breaking the rest.
            if exc.name != _module_name(command):
                raise
            continue
        p = sub.add_parser(command, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from appeal import actor

    try:
        with actor.acting_as(args.as_user or actor.os_user()):
            return int(args._run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a clear message, not a traceback
        if os.environ.get("APPEAL_DEBUG"):
            raise
        print(f"appeal {args.command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
