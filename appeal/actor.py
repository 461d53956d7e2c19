"""Who is acting: the name every register write is attributed to in the audit trail.

The register records the *current actor* with each write (:meth:`appeal.register.Register._write`).
A context variable carries it, so the register's method signatures need no ``who`` argument and
one shared register handle serves every user of the dashboard: the dashboard sets it for each
request (the signed-in user), the command line for the whole command (``--as USER``, default the
operating-system user). Each thread and each request has its own value.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["acting_as", "current", "os_user", "reset", "set_for_request"]

_current: ContextVar[str] = ContextVar("appeal_actor", default="")


def os_user() -> str:
    """The operating-system user running this process ("unknown" when it has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def current() -> str:
    """The actor writes are attributed to now (the operating-system user when none is set)."""
    return _current.get() or os_user()


@contextlib.contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Attribute every write inside the block to ``name``."""
    token = _current.set(str(name))
    try:
        yield
    finally:
        _current.reset(token)


def set_for_request(name: str) -> object:
    """Set the actor until :func:`reset` (for a request's before/teardown hooks)."""
    return _current.set(str(name))


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
