"""Exchange formats: pure readers and writers between value objects and files.

No database, no project, no Qt. Readers return a :class:`LabelDocument` or raise
:class:`~labelhub.errors.InvalidInput` (:class:`ProblemsFound` lists every per-shape problem);
writers take label classes and an iterable of :class:`Item` and return a :class:`WriteResult`
(an :class:`ItemStream` may hand most images over as runs of columns, :class:`ItemBatch`).
:func:`plan_export` says, before writing, every shape a format cannot hold.
"""

from labelhub.formats.batches import ItemBatch, ItemStream
from labelhub.formats.losses import (
    CONVERTED,
    DROPPED,
    FORMAT_NAMES,
    NATIVE,
    RULES,
    YOLO_TASKS,
    plan_export,
    resolve_yolo_task,
)
from labelhub.formats.model import (
    DEFAULT_SPLIT,
    AnnotationRecord,
    AttributeSpec,
    BoxBlock,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    LabelDocument,
    Limits,
    Loss,
    Problem,
    ProblemsFound,
    ReadOptions,
    StoredAnnotations,
    WriteResult,
    count_kinds,
)
from labelhub.formats.registry import (
    FORMATS,
    FormatInfo,
    format_info,
    read_dataset,
    write_dataset,
    write_document,
)
from labelhub.formats.safety import check_zip, open_dataset, safe_extract

__all__ = [
    "CONVERTED",
    "DEFAULT_SPLIT",
    "DROPPED",
    "FORMATS",
    "FORMAT_NAMES",
    "NATIVE",
    "RULES",
    "YOLO_TASKS",
    "AnnotationRecord",
    "AttributeSpec",
    "BoxBlock",
    "ClassSpec",
    "ExportOptions",
    "FormatInfo",
    "ImageRecord",
    "Item",
    "ItemBatch",
    "ItemStream",
    "LabelDocument",
    "Limits",
    "Loss",
    "Problem",
    "ProblemsFound",
    "ReadOptions",
    "StoredAnnotations",
    "WriteResult",
    "check_zip",
    "count_kinds",
    "format_info",
    "open_dataset",
    "plan_export",
    "read_dataset",
    "resolve_yolo_task",
    "safe_extract",
    "write_dataset",
    "write_document",
]
