"""Where the pledge register lives: one function that resolves the database URL.

Order: an explicit ``--db`` value (a SQLite file path or any SQLAlchemy URL), else the
``APPEAL_DATABASE_URL`` environment variable, else a SQLite file ``register.sqlite`` in the
user's data directory (``platformdirs.user_data_dir("appeal-planner")``, e.g.
``~/.local/share/appeal-planner`` on Linux).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

ENV_VAR = "APPEAL_DATABASE_URL"
APP_NAME = "appeal-planner"
DEFAULT_FILE = "register.sqlite"

# "sqlite:///x", "postgresql+psycopg://..." — a scheme followed by "://".
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def default_db_path() -> Path:
    """The SQLite file used when nothing else is configured."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / DEFAULT_FILE


def as_url(value: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a file path (paths become absolute sqlite URLs)."""
    text = str(value).strip()
    if _URL.match(text):
        return text
    path = Path(text).expanduser().resolve()
    return f"sqlite:///{path}"


def database_url(db: str | Path | None = None) -> str:
    """Resolve the register URL: ``db``, else $APPEAL_DATABASE_URL, else the default file."""
    if db is not None and str(db).strip():
        return as_url(db)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return as_url(env)
    return as_url(default_db_path())


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file URL so the first run just works."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
