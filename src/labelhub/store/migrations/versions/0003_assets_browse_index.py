"""Browsing large datasets.

* an index over the current items of a dataset in name order that also holds the columns the
  Assets filters test (uid, split, import batch), so listing, counting and filtering a
  million items read the index rather than the table;
* an index from an item's uid to its current row, for the filters that name items by uid
  (review state, label classes, annotators);
* ``item_field``: derived, one row per metadata value of each current item, so filters on
  metadata use an index. Filled here from the items already in the project.

Revision ID: 0003
Revises: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ["dataset_id", "valid_to", "name", "uid", "split", "batch_id"]


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    if isinstance(value, dict):
        return [json.dumps(value, sort_keys=True, ensure_ascii=False)]
    return [str(value)]


def upgrade() -> None:
    with op.batch_alter_table("item") as batch_op:
        batch_op.create_index("ix_item_browse", _COLUMNS, unique=False)
        batch_op.create_index("ix_item_uid_current", ["uid", "valid_to", "dataset_id"], unique=False)
    field = op.create_table(
        "item_field",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "key", "value"),
    )
    with op.batch_alter_table("item_field") as batch_op:
        batch_op.create_index("ix_item_field_lookup", ["dataset_id", "key", "value", "item_id"], unique=False)
    conn = op.get_bind()
    item = sa.table("item", sa.column("id"), sa.column("dataset_id"), sa.column("meta", sa.JSON),
                    sa.column("valid_to"))
    rows: list[dict] = []
    for item_id, dataset_id, meta in conn.execute(
            sa.select(item.c.id, item.c.dataset_id, item.c.meta).where(item.c.valid_to.is_(None))):
        if isinstance(meta, str):
            meta = json.loads(meta)
        for key, value in (meta or {}).items():
            for text in dict.fromkeys(_values(value)):
                rows.append({"item_id": item_id, "key": str(key), "value": text, "dataset_id": dataset_id})
        if len(rows) >= 20000:
            conn.execute(field.insert(), rows)
            rows = []
    if rows:
        conn.execute(field.insert(), rows)


def downgrade() -> None:
    with op.batch_alter_table("item_field") as batch_op:
        batch_op.drop_index("ix_item_field_lookup")
    op.drop_table("item_field")
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_index("ix_item_uid_current")
        batch_op.drop_index("ix_item_browse")
