"""Initial schema: members, change log, media, datasets, items, label classes,
label sets, annotations, assignments, comments, versions, models, evaluations.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("ext", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("storage", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("exif_time", sa.String(), nullable=True),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=True)
        batch_op.create_index(batch_op.f("ix_media_created_seq"), ["created_seq"], unique=False)

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_name"), ["name"], unique=True)

    op.create_table(
        "change",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_uid", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("rows_digest", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("datasheet", sa.JSON(), nullable=True),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("review_required", sa.Boolean(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("uid"),
    )
    op.create_table(
        "model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("task", sa.String(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("uid"),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("item_uid", sa.String(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("updated_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "item_uid", "member_id"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_item_uid"), ["item_uid"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_member_id"), ["member_id"], unique=False)

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("item_uid", sa.String(), nullable=False),
        sa.Column("annotation_uid", sa.String(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("resolved_seq", sa.Integer(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_item_uid"), ["item_uid"], unique=False)

    op.create_table(
        "dataset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("tag", sa.String(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("manifest_hash", sa.String(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.Column("deprecated_reason", sa.String(), nullable=True),
        sa.Column("deprecated_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "number"),
    )
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_version_dataset_id"), ["dataset_id"], unique=False
        )

    op.create_table(
        "label_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("color", sa.String(), nullable=False),
        sa.Column("hotkey", sa.String(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("keypoints", sa.JSON(), nullable=True),
        sa.Column("skeleton", sa.JSON(), nullable=True),
        sa.Column("guidelines", sa.String(), nullable=False),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("label_class", schema=None) as batch_op:
        batch_op.create_index(
            "ix_label_class_dataset_current", ["dataset_id", "valid_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_label_class_uid"), ["uid"], unique=False)
        batch_op.create_index("ix_label_class_valid_from", ["valid_from"], unique=False)
        batch_op.create_index("ix_label_class_valid_to", ["valid_to"], unique=False)

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("split", sa.String(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_dataset_current", ["dataset_id", "valid_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_uid"), ["uid"], unique=False)
        batch_op.create_index("ix_item_valid_from", ["valid_from"], unique=False)
        batch_op.create_index("ix_item_valid_to", ["valid_to"], unique=False)

    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("framework", sa.String(), nullable=False),
        sa.Column("artifact_sha256", sa.String(), nullable=True),
        sa.Column("artifact_location", sa.String(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("trained_on_version_id", sa.Integer(), nullable=True),
        sa.Column("code_revision", sa.String(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("stage_reason", sa.String(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["model.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trained_on_version_id"],
            ["dataset_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "version"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_version_model_id"), ["model_id"], unique=False)

    op.create_table(
        "label_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("label_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_set_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("label_set_id", sa.Integer(), nullable=False),
        sa.Column("item_uid", sa.String(), nullable=False),
        sa.Column("class_uid", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("z", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["label_set_id"],
            ["label_set.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_annotation_set_item_current", ["label_set_id", "item_uid", "valid_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_annotation_uid"), ["uid"], unique=False)
        batch_op.create_index("ix_annotation_valid_from", ["valid_from"], unique=False)
        batch_op.create_index("ix_annotation_valid_to", ["valid_to"], unique=False)

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("label_set_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("predictions_hash", sa.String(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_version.id"],
        ),
        sa.ForeignKeyConstraint(
            ["label_set_id"],
            ["label_set.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_dataset_version_id"), ["dataset_version_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evaluation_model_version_id"), ["model_version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_model_version_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_dataset_version_id"))

    op.drop_table("evaluation")
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index("ix_annotation_valid_to")
        batch_op.drop_index("ix_annotation_valid_from")
        batch_op.drop_index(batch_op.f("ix_annotation_uid"))
        batch_op.drop_index("ix_annotation_set_item_current")

    op.drop_table("annotation")
    with op.batch_alter_table("label_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_set_dataset_id"))

    op.drop_table("label_set")
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_version_model_id"))

    op.drop_table("model_version")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_valid_to")
        batch_op.drop_index("ix_item_valid_from")
        batch_op.drop_index(batch_op.f("ix_item_uid"))
        batch_op.drop_index("ix_item_dataset_current")

    op.drop_table("item")
    with op.batch_alter_table("label_class", schema=None) as batch_op:
        batch_op.drop_index("ix_label_class_valid_to")
        batch_op.drop_index("ix_label_class_valid_from")
        batch_op.drop_index(batch_op.f("ix_label_class_uid"))
        batch_op.drop_index("ix_label_class_dataset_current")

    op.drop_table("label_class")
    with op.batch_alter_table("dataset_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_version_dataset_id"))

    op.drop_table("dataset_version")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_item_uid"))

    op.drop_table("comment")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_member_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_item_uid"))
        batch_op.drop_index(batch_op.f("ix_assignment_dataset_id"))

    op.drop_table("assignment")
    op.drop_table("model")
    op.drop_table("dataset")
    op.drop_table("change")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_name"))

    op.drop_table("member")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha256"))
        batch_op.drop_index(batch_op.f("ix_media_created_seq"))

    op.drop_table("media")
