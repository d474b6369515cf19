"""Import batches: every import of images is recorded, and each item points at its batch,
so a dataset can be filtered by where its images came from.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("import_batch") as batch_op:
        batch_op.create_index("ix_import_batch_dataset_id", ["dataset_id"], unique=False)
        batch_op.create_index("ix_import_batch_seq", ["seq"], unique=False)
    with op.batch_alter_table("item") as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_item_batch_id", "import_batch", ["batch_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_constraint("fk_item_batch_id", type_="foreignkey")
        batch_op.drop_column("batch_id")
    with op.batch_alter_table("import_batch") as batch_op:
        batch_op.drop_index("ix_import_batch_dataset_id")
        batch_op.drop_index("ix_import_batch_seq")
    op.drop_table("import_batch")
