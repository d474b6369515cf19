"""Filtering a dataset's items by label class, review state and annotator.

* An index over the current annotations of a label set by class, holding the item uid, so
  "items labelled dog" reads the dog annotations of the ground truth alone instead of every
  annotation of the label set (a tenth of a million items labelled: 260 ms -> 30 ms).
* An index over a dataset's assignments by state and member, holding the item uid, so the
  items in a review state or of an annotator are read from the index, not the table.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotation") as batch_op:
        batch_op.create_index("ix_annotation_set_class_current",
                              ["label_set_id", "class_uid", "valid_to", "item_uid"], unique=False)
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.create_index("ix_assignment_work", ["dataset_id", "state", "member_id", "item_uid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.drop_index("ix_assignment_work")
    with op.batch_alter_table("annotation") as batch_op:
        batch_op.drop_index("ix_annotation_set_class_current")
