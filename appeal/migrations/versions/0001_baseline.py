"""Baseline: the register of release 0.1 (programmes, requirements, donors, fx, pledges,
tranches, import_log, scenarios, meta, register_revision), its columns derived from the
table contract as that release did."""

from __future__ import annotations

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
    "scenarios",
    "meta",
    "register_revision",
)


def upgrade() -> None:
    from appeal.register import metadata

    tables = [metadata.tables[name] for name in BASELINE_TABLES]
    metadata.create_all(op.get_bind(), tables=tables, checkfirst=True)
