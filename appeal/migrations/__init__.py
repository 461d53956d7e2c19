"""The register's schema versions: Alembic revisions in ``versions/``, applied on open.

:func:`upgrade` brings a register to the newest schema (``head``) inside one transaction per
revision. A register made before schema versions existed (release 0.1: it has the register's
tables but no ``alembic_version``) is recognised by its tables, marked as
the baseline revision and upgraded from there, so its data is kept.

Writing a schema change: a new module in ``versions/`` (``down_revision`` = the current head)
that changes the tables explicitly with ``op``; migrations are frozen history and never import
today's table definitions, except the baseline, which is by definition the release-0.1 schema
derived from the contract.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["BASELINE", "HEAD", "current_revision", "upgrade"]

HERE = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
HEAD = "0002_workspace"


def _config(connection: sa.Connection) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema revision the register at ``engine`` is at (None: not versioned)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the register's schema to :data:`HEAD` (nothing to do when it is there)."""
    from alembic import command

    if current_revision(engine) == HEAD:
        return
    with engine.begin() as conn:
        config = _config(conn)
        names = set(sa.inspect(conn).get_table_names())
        if "alembic_version" not in names and names & {"pledges", "register_revision"}:
            command.stamp(config, BASELINE)  # type: ignore[arg-type]  # a release-0.1 register
        command.upgrade(config, "head")  # type: ignore[arg-type]
