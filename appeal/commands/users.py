"""``appeal users``: the working group's accounts — add, list, set-role, disable, enable,
reset-password.

Passwords are read with a hidden prompt (getpass), or from standard input with
``--password-stdin`` (one line, for scripts); never from the command line, where other users
of the machine could read them in the process list. ``--no-password`` makes a user who signs in
only through the reverse proxy (``appeal serve --auth proxy``). Every change is audited under
the acting user (``appeal --as NAME``, default the operating-system user).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from appeal.commands._options import open_register

HELP = "manage the users who may sign in to the dashboard, and their roles"
ROLES = ("viewer", "focal_point", "analyst", "admin")  # appeal.accounts.ROLES (kept light)


def _password_options(parser: argparse.ArgumentParser, *, optional: bool) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (no prompt)",
    )
    if optional:
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="no password: the user signs in through the reverse proxy only",
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--entity",
        action="append",
        default=[],
        help="an entity a focal point answers for (repeatable), e.g. --entity UNODC",
    )
    add.add_argument("--name", default="", help="display name")
    _password_options(add, optional=True)
    sub.add_parser("list", help="list users and their roles")
    role = sub.add_parser("set-role", help="change a user's role (and entities)")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--entity", action="append", default=None, help="replace the entities")
    for action, text in (("disable", "stop a user signing in"), ("enable", "allow again")):
        p = sub.add_parser(action, help=text)
        p.add_argument("username")
    reset = sub.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    _password_options(reset, optional=False)


def _read_password(args: argparse.Namespace) -> str | None:
    if getattr(args, "no_password", False):
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(f"Password for {args.username}: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    from appeal import accounts
    from appeal.service import InputError

    try:
        with open_register(args.db) as register:
            command = args.users_command
            if command == "list":
                _print_users(accounts.list_users(register))
                return 0
            if command == "add":
                accounts.add_user(
                    register,
                    args.username,
                    args.role,
                    password=_read_password(args),
                    entities=args.entity,
                    display_name=args.name,
                )
                done = f"added {args.username} ({args.role})"
            elif command == "set-role":
                accounts.set_role(register, args.username, args.role, args.entity)
                done = f"{args.username} is now {args.role}"
            elif command in ("disable", "enable"):
                accounts.disable_user(register, args.username, disabled=command == "disable")
                done = f"{command}d {args.username}"
            else:
                accounts.reset_password(register, args.username, _read_password(args) or "")
                done = f"new password set for {args.username}"
    except (accounts.AccountError, InputError, ValueError) as exc:
        print(f"appeal users: error: {exc}", file=sys.stderr)
        return 2
    print(f"appeal users: {done}")
    return 0


def _print_users(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no users yet: add the first admin with `appeal users add NAME --role admin`")
        return
    header = ("username", "role", "entities", "disabled", "display_name")
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    for row in [dict(zip(header, header, strict=True)), *rows]:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(header, widths, strict=True)))
