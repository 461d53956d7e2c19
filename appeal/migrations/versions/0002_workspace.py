"""The working group's workspace: users, sign-in failures, the audit trail, scenario versions
(every existing scenario becomes its version 1), editions and notes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_workspace"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(80), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("entities", sa.Text, nullable=False, server_default=""),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "signin_failures",
        sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(200), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
    )
    op.create_table(
        "audit",
        sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False, index=True),
        sa.Column("action", sa.String(60), nullable=False, index=True),
        sa.Column("target", sa.String(400), nullable=False, server_default=""),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "scenario_versions",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("saved_at", sa.String(40), nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("note", sa.String(400), nullable=False, server_default=""),
    )
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("saved_by", sa.String(200), nullable=False, server_default=""))
    op.execute(
        "INSERT INTO scenario_versions (name, version, description, definition, summary, "
        "saved_at, saved_by, note) SELECT name, 1, description, definition, summary, saved_at, "
        "'', 'saved before versions were kept' FROM scenarios"
    )
    op.create_table(
        "editions",
        sa.Column("edition_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("as_at", sa.String(10), nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("scenario_name", sa.String(200), nullable=False),
        sa.Column("scenario_version", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )
    op.create_table(
        "notes",
        sa.Column("note_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Index("ix_notes_target", "kind", "target"),
    )
