"""Baseline: the register of release 0.1 (programmes, requirements, donors, fx, pledges,
tranches, import_log, scenarios, meta, register_revision): the contract tables' columns
derived from the table contract as that release did, ``scenarios`` as it was then."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

BASELINE_TABLES = (
    "programmes",
    "requirements",
    "donors",
    "fx",
    "pledges",
    "tranches",
    "import_log",
    "meta",
    "register_revision",
)


def upgrade() -> None:
    from appeal.register import metadata

    tables = [metadata.tables[name] for name in BASELINE_TABLES]
    metadata.create_all(op.get_bind(), tables=tables, checkfirst=True)
    op.create_table(
        "scenarios",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("saved_at", sa.String(40), nullable=False),
    )
