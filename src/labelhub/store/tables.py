"""The project's tables, for the whole domain.

Two kinds of table:

* **Registry** tables (member, dataset, media, label_set, model, ...) change in place; every
  change to one of their rows records a digest of the new row in the change log, so
  `audit verify` notices a row edited behind LabelHub's back.
* **Versioned** tables (item, label_class, annotation) are never updated in place. A change
  closes the current row (``valid_to = seq``) and inserts its successor under the same ``uid``
  (``valid_from = seq``). The state at change-log seq S is
  ``valid_from <= S AND (valid_to IS NULL OR valid_to > S)``.

The schema here is the head of the Alembic migrations in ``store/migrations``; a test keeps
the two equal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def _json(default: Any = None) -> Any:
    return Field(default=default, sa_column=Column(JSON, nullable=True))


class Member(SQLModel, table=True):
    __tablename__ = "member"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    display_name: str = ""
    role: str
    active: bool = True
    created_seq: int


class Change(SQLModel, table=True):
    """The change log: the project's clock, its audit log, and a hash chain."""

    __tablename__ = "change"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    time: str
    member_id: int | None = Field(default=None, foreign_key="member.id")
    action: str
    entity: str
    entity_uid: str = ""
    detail: dict | None = _json()
    rows_digest: str
    prev_hash: str
    hash: str


class Media(SQLModel, table=True):
    __tablename__ = "media"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True, index=True)
    ext: str
    format: str
    width: int
    height: int
    orientation: int = 1
    bytes: int
    storage: str  # "copy" (in media/) or "link" (left in place)
    location: str  # relative path inside the project for copies, absolute path for links
    exif_time: str | None = None
    created_seq: int = Field(index=True)


class Dataset(SQLModel, table=True):
    __tablename__ = "dataset"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    name: str = Field(unique=True)
    description: str = ""
    datasheet: dict | None = _json()
    overlap: int = 1
    review_required: bool = False
    created_seq: int
    created_by: int | None = Field(default=None, foreign_key="member.id")


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    seq: int = Field(index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    sources: list | None = _json()
    counts: dict | None = _json()


class Item(SQLModel, table=True):
    """An image in a dataset, with its split and metadata (versioned)."""

    __tablename__ = "item"
    __table_args__ = (
        Index("ix_item_dataset_current", "dataset_id", "valid_to"),
        Index("ix_item_valid_from", "valid_from"),
        Index("ix_item_valid_to", "valid_to"),
        # Browsing a dataset of a million items: current rows in name order, with the columns
        # filters test, so listing, counting and filtering read this index and not the table.
        Index("ix_item_browse", "dataset_id", "valid_to", "name", "uid", "split", "batch_id"),
        # From an item uid (as assignments and annotations name items) to its current row.
        Index("ix_item_uid_current", "uid", "valid_to", "dataset_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(index=True)
    dataset_id: int = Field(foreign_key="dataset.id")
    media_id: int = Field(foreign_key="media.id")
    name: str
    split: str | None = None
    meta: dict | None = _json()
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    valid_from: int
    valid_to: int | None = None


class ItemField(SQLModel, table=True):
    """Derived: one row per metadata value of each current item row (a list value gives a row
    per element), kept in step by every change, so filters on metadata use an index instead
    of reading every item's JSON. Not audited (it is rebuilt from the items)."""

    __tablename__ = "item_field"
    __table_args__ = (Index("ix_item_field_lookup", "dataset_id", "key", "value", "item_id"),)
    item_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(primary_key=True)
    value: str = Field(primary_key=True)
    dataset_id: int


class LabelClass(SQLModel, table=True):
    """A label class of a dataset's schema (versioned)."""

    __tablename__ = "label_class"
    __table_args__ = (
        Index("ix_label_class_dataset_current", "dataset_id", "valid_to"),
        Index("ix_label_class_valid_from", "valid_from"),
        Index("ix_label_class_valid_to", "valid_to"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(index=True)
    dataset_id: int = Field(foreign_key="dataset.id")
    name: str
    color: str = "#e6194b"
    hotkey: str | None = None
    position: int = 0
    kinds: list | None = _json()
    attributes: list | None = _json()
    keypoints: list | None = _json()
    skeleton: list | None = _json()
    guidelines: str = ""
    valid_from: int
    valid_to: int | None = None


class LabelSet(SQLModel, table=True):
    """Ground truth, one annotator's drafts, or one model version's predictions."""

    __tablename__ = "label_set"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    kind: str  # "ground_truth" | "annotator" | "predictions"
    member_id: int | None = Field(default=None, foreign_key="member.id")
    model_version_id: int | None = Field(default=None, foreign_key="model_version.id")
    name: str
    created_seq: int


class Annotation(SQLModel, table=True):
    """One shape or tag in a label set (versioned)."""

    __tablename__ = "annotation"
    __table_args__ = (
        Index("ix_annotation_set_item_current", "label_set_id", "item_uid", "valid_to"),
        # Items labelled with a class: a label set's current annotations of that class.
        Index("ix_annotation_set_class_current", "label_set_id", "class_uid", "valid_to", "item_uid"),
        Index("ix_annotation_valid_from", "valid_from"),
        Index("ix_annotation_valid_to", "valid_to"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(index=True)
    label_set_id: int = Field(foreign_key="label_set.id")
    item_uid: str
    class_uid: str | None = None
    kind: str
    geometry: dict | None = _json()
    attributes: dict | None = _json()
    score: float | None = None
    z: int = 0
    hidden: bool = False
    locked: bool = False
    sources: list | None = _json()  # uids of the annotator shapes an accepted label came from
    created_by: int | None = Field(default=None, foreign_key="member.id")
    valid_from: int
    valid_to: int | None = None


class Assignment(SQLModel, table=True):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("dataset_id", "item_uid", "member_id"),
        # Items by review state or by annotator: a dataset's assignments read from the index.
        Index("ix_assignment_work", "dataset_id", "state", "member_id", "item_uid"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    item_uid: str = Field(index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    state: str = "todo"  # todo | in_progress | submitted | rejected
    comment: str = ""
    updated_seq: int


class Comment(SQLModel, table=True):
    __tablename__ = "comment"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    dataset_id: int = Field(foreign_key="dataset.id")
    item_uid: str = Field(index=True)
    annotation_uid: str | None = None
    member_id: int = Field(foreign_key="member.id")
    text: str
    created_seq: int
    resolved_seq: int | None = None
    resolved_by: int | None = Field(default=None, foreign_key="member.id")


class DatasetVersion(SQLModel, table=True):
    """A frozen dataset version: one change-log seq plus its manifest hash and counts."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    number: int
    seq: int
    message: str
    tag: str | None = None
    member_id: int | None = Field(default=None, foreign_key="member.id")
    manifest_hash: str
    stats: dict | None = _json()
    deprecated_reason: str | None = None
    deprecated_seq: int | None = None


class DatasetTally(SQLModel, table=True):
    """Derived: a dataset's content digest (see project/tally.py), kept in step by every change.

    Not audited and safe to delete: a missing row is rebuilt from the versioned rows.
    """

    __tablename__ = "dataset_tally"
    dataset_id: int = Field(primary_key=True, foreign_key="dataset.id",
                            sa_column_kwargs={"autoincrement": False})
    digest: str
    seq: int


class TallyCount(SQLModel, table=True):
    """Derived: how many current items (per split), label classes and ground-truth
    annotations (per class, split and shape kind) a dataset has; kept with DatasetTally."""

    __tablename__ = "tally_count"
    __table_args__ = (UniqueConstraint("dataset_id", "what", "class_uid", "split", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    what: str  # "item" | "class" | "annotation"
    class_uid: str = ""
    split: str = ""
    kind: str = ""
    count: int


class Model(SQLModel, table=True):
    __tablename__ = "model"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    name: str = Field(unique=True)
    description: str = ""
    task: str = ""
    created_seq: int
    created_by: int | None = Field(default=None, foreign_key="member.id")


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("model_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    model_id: int = Field(foreign_key="model.id", index=True)
    version: str
    description: str = ""
    framework: str = ""
    artifact_sha256: str | None = None
    artifact_location: str | None = None
    params: dict | None = _json()
    trained_on_version_id: int | None = Field(default=None, foreign_key="dataset_version.id")
    code_revision: str = ""
    card: dict | None = _json()
    tags: list | None = _json()
    stage: str = "development"
    stage_reason: str = ""
    created_seq: int
    created_by: int | None = Field(default=None, foreign_key="member.id")


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluation"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True)
    dataset_version_id: int = Field(foreign_key="dataset_version.id", index=True)
    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    label_set_id: int | None = Field(default=None, foreign_key="label_set.id")
    params: dict | None = _json()
    predictions_hash: str
    results: dict | None = _json()
    created_seq: int
    created_by: int | None = Field(default=None, foreign_key="member.id")


METADATA = SQLModel.metadata

#: Tables whose rows are never updated in place (see the module docstring).
VERSIONED_TABLES = (Item.__table__, LabelClass.__table__, Annotation.__table__)

#: Registry tables whose rows are written once and never changed: a change's digest covers
#: the rows created at its seq, like the versioned rows it opens.
APPEND_ONLY_TABLES = ((Media.__table__, "created_seq"), (ImportBatch.__table__, "seq"))

#: Registry tables whose rows change in place; each change records the new row's digest.
REGISTRY_TABLES = (
    Member.__table__,
    Dataset.__table__,
    LabelSet.__table__,
    Assignment.__table__,
    Comment.__table__,
    DatasetVersion.__table__,
    Model.__table__,
    ModelVersion.__table__,
    Evaluation.__table__,
)
