"""Users, roles and sign-in: who may do what in the working group's workspace.

Roles, weakest first (each can do what the ones before it can):

- ``viewer``: reads the official appeal and the published editions; confidential donors only
  as "Anonymous donor N";
- ``focal_point``: an entity focal point, scoped to one or more entities: edits its own
  entities' budget lines (requirements, pillar, themes, priority proposal, minimum viable
  share, criteria scores, narrative) and sees their funding and gaps;
- ``analyst``: imports pledges, edits statuses, programmes and exchange rates, runs and saves
  scenarios;
- ``admin``: users and roles, the official appeal, editions; may reveal confidential donors
  for internal use.

Passwords are hashed with werkzeug.security's scrypt and never stored, logged or audited in
clear. Failed sign-ins are kept in the register (so every worker process counts them) and
rate-limited per user name and per address (:func:`authenticate`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from appeal.register import Register

__all__ = [
    "FAILURE_WINDOW_SECONDS",
    "LOCAL_ADMIN",
    "MAX_FAILURES_PER_ADDRESS",
    "MAX_FAILURES_PER_USER",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "AccountError",
    "SigninRefused",
    "User",
    "add_user",
    "at_least",
    "authenticate",
    "disable_user",
    "get_user",
    "list_users",
    "reset_password",
    "set_role",
]

ROLES = ("viewer", "focal_point", "analyst", "admin")
ROLE_HELP = {
    "viewer": "reads the official appeal and published editions (confidential donors anonymised)",
    "focal_point": "edits its own entities' budget lines and narrative; sees their funding",
    "analyst": "imports pledges, edits statuses, programmes and rates, runs and saves scenarios",
    "admin": "users and roles, the official appeal, editions; may reveal confidential donors",
}
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW_SECONDS = 15 * 60
# scrypt with werkzeug's parameters (N=2^15, r=8, p=1) and a 16-byte salt.
HASH_METHOD = "scrypt"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")
# A dummy hash so a sign-in with an unknown name costs as long as one with a known name.
_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)


class AccountError(ValueError):
    """A user operation was refused (message for people)."""


class SigninRefused(AccountError):
    """The sign-in did not succeed; the message never says whether the name exists."""


@dataclass(frozen=True)
class User:
    """Who is signed in, and what they may do."""

    username: str
    role: str
    entities: tuple[str, ...] = ()
    display_name: str = ""

    def can(self, minimum: str) -> bool:
        return at_least(self.role, minimum)

    @property
    def label(self) -> str:
        return self.display_name or self.username


# Without sign-in (``--auth none``, loopback only) the one local user acts as admin.
LOCAL_ADMIN = User("local", "admin", (), "Local user (no sign-in)")


def at_least(role: str, minimum: str) -> bool:
    """Whether ``role`` includes everything ``minimum`` may do (unknown roles never do)."""
    if role not in ROLES or minimum not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(minimum)


def _check_name(username: str) -> str:
    name = str(username).strip()
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"user name {username!r}: 1-80 letters, digits and . _ @ -, starting with a "
            "letter or digit"
        )
    return name


def _check_role(role: str, entities: tuple[str, ...]) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "focal_point" and not entities:
        raise AccountError("an entity focal point needs at least one entity (--entity UNODC)")


def _hash(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method=HASH_METHOD)


def _entities(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def add_user(
    register: Register,
    username: str,
    role: str,
    *,
    password: str | None,
    entities: tuple[str, ...] | list[str] = (),
    display_name: str = "",
) -> User:
    """A new user; ``password=None`` makes one who can sign in only through the proxy."""
    name = _check_name(username)
    scope = _entities(entities)
    _check_role(role, scope)
    register.put_user(
        name,
        "user.add",
        role=role,
        entities=";".join(scope),
        password_hash=_hash(password),
        display_name=display_name.strip()[:200],
        disabled=False,
    )
    return User(name, role, scope, display_name)


def get_user(register: Register, username: str) -> User | None:
    """The enabled user ``username``, or None (unknown or disabled)."""
    row = register.user(str(username))
    if row is None or row["disabled"]:
        return None
    return _user(row)


def _user(row: dict[str, object]) -> User:
    entities = tuple(e for e in str(row.get("entities") or "").split(";") if e)
    return User(str(row["username"]), str(row["role"]), entities, str(row["display_name"] or ""))


def list_users(register: Register) -> list[dict[str, object]]:
    """Every user (no hashes): username, display_name, role, entities, disabled, dates."""
    return [{str(k): v for k, v in rec.items()} for rec in register.users().to_dict("records")]


def set_role(
    register: Register,
    username: str,
    role: str,
    entities: tuple[str, ...] | list[str] | None = None,
) -> None:
    """Change a user's role (and, when given, their entities)."""
    row = register.user(str(username))
    if row is None:
        raise AccountError(f"no user {username!r}")
    scope = (
        _entities(entities)
        if entities is not None
        else tuple(e for e in str(row["entities"]).split(";") if e)
    )
    _check_role(role, scope)
    register.put_user(str(username), "user.role", role=role, entities=";".join(scope))


def disable_user(register: Register, username: str, *, disabled: bool = True) -> None:
    """Disable (or enable again) a user: a disabled user cannot sign in, and their open
    sessions stop working at their next request."""
    if register.user(str(username)) is None:
        raise AccountError(f"no user {username!r}")
    register.put_user(
        str(username), "user.disable" if disabled else "user.enable", disabled=disabled
    )


def reset_password(register: Register, username: str, password: str) -> None:
    if register.user(str(username)) is None:
        raise AccountError(f"no user {username!r}")
    register.put_user(str(username), "user.password", password_hash=_hash(password))


def authenticate(register: Register, username: str, password: str, address: str) -> User:
    """The user whose name and password these are; :class:`SigninRefused` otherwise.

    More than :data:`MAX_FAILURES_PER_USER` failures for one name, or
    :data:`MAX_FAILURES_PER_ADDRESS` from one address, within :data:`FAILURE_WINDOW_SECONDS`
    refuse every further attempt (a right password too) until the window has passed. Every
    failure is recorded and audited.
    """
    name = str(username).strip()[:200]
    since = time.time() - FAILURE_WINDOW_SECONDS
    by_user, by_address = register.signin_failures(name, address, since)
    if by_user >= MAX_FAILURES_PER_USER or by_address >= MAX_FAILURES_PER_ADDRESS:
        register.record_signin_failure(name, address, "refused: too many failed sign-ins")
        minutes = FAILURE_WINDOW_SECONDS // 60
        raise SigninRefused(
            f"too many failed sign-ins; try again in {minutes} minutes or ask an admin"
        )
    row = register.user(name) if _NAME.fullmatch(name) else None
    stored = row.get("password_hash") if row is not None else None
    ok = check_password_hash(str(stored or _DUMMY_HASH), password)
    if row is None or not stored or not ok or row["disabled"]:
        reason = (
            "disabled user"
            if row is not None and row["disabled"] and ok
            else "wrong name or password"
        )
        register.record_signin_failure(name, address, reason)
        raise SigninRefused("wrong user name or password")
    register.record_signin(name, address)
    return _user(row)
