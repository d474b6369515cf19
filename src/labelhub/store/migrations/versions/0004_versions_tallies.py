"""Dataset tallies: each dataset's content digest and counts, kept in step by every change so
that committing a version is O(1). Derived data: the tables start empty and a dataset's
tally is rebuilt from its rows the first time it is needed.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_tally",
        sa.Column("dataset_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"]),
        sa.PrimaryKeyConstraint("dataset_id"),
    )
    op.create_table(
        "tally_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("class_uid", sa.String(), nullable=False),
        sa.Column("split", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "what", "class_uid", "split", "kind"),
    )
    with op.batch_alter_table("tally_count") as batch_op:
        batch_op.create_index("ix_tally_count_dataset_id", ["dataset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tally_count") as batch_op:
        batch_op.drop_index("ix_tally_count_dataset_id")
    op.drop_table("tally_count")
    op.drop_table("dataset_tally")
