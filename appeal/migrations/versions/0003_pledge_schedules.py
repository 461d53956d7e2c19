"""Real funding data (issue 12): a pledge's dates, in-kind flag, own exchange rate, flow type
and adjustment (refunds, reversals) in ``pledges``, and the ``instalments`` table (a pledge's
due dates and amounts, and when each was paid).

The baseline derives ``pledges`` from today's contract, so a register created new already has
these columns: each is added only where it is missing (a release-0.1 register), with the
contract's default as the database default so the rows there read as blank cells.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_pledge_schedules"
down_revision = "0002_workspace"
branch_labels = None
depends_on = None

#: The columns as this revision adds them (frozen: not read from today's contract).
PLEDGE_COLUMNS = (
    sa.Column("pledge_date", sa.String(10), nullable=False, server_default=""),
    sa.Column("paid_date", sa.String(10), nullable=False, server_default=""),
    sa.Column("in_kind", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("exchange_rate", sa.Float, nullable=False, server_default=sa.text("0.0")),
    sa.Column("flow_type", sa.String(20), nullable=False, server_default="standard"),
    sa.Column("adjustment", sa.Float, nullable=False, server_default=sa.text("0.0")),
)


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("pledges")}
    missing = [c for c in PLEDGE_COLUMNS if c.name not in present]
    if missing:
        with op.batch_alter_table("pledges") as batch:
            for column in missing:
                batch.add_column(column)
    op.create_table(
        "instalments",
        sa.Column("pledge_id", sa.String(64), primary_key=True),
        sa.Column("due_date", sa.String(10), primary_key=True),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("paid_date", sa.String(10), nullable=False, server_default=""),
    )
