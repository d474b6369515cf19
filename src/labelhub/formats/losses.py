"""What each format can hold: the one table both :func:`plan_export` and the writers read.

A rule says, for a format (a YOLO task counts as a format of its own) and a shape kind,
whether the shape is written as it is ("native"), written as another shape ("converted") or
not written ("dropped"). The plan is computed from counts before anything is written; the
writers look every shape up in the same table and tally what they did, so the tally they
return equals the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelhub.errors import InvalidInput
from labelhub.formats.model import ClassSpec, ExportOptions, Loss, as_export_options
from labelhub.geometry import SHAPE_KINDS

NATIVE, CONVERTED, DROPPED = "native", "converted", "dropped"

#: The YOLO tasks, each a layout of its own.
YOLO_TASKS = ("detect", "segment", "obb", "pose", "classify")

#: Format names as the registry knows them.
FORMAT_NAMES = ("coco", "yolo", "voc", "cvat", "labelme", "datumaro", "imagenet", "csv")


@dataclass(frozen=True, slots=True)
class Rule:
    """How one shape kind goes into one format."""

    action: str
    detail: str = ""


_N = Rule(NATIVE)


def _c(detail: str) -> Rule:
    return Rule(CONVERTED, detail)


def _d(detail: str) -> Rule:
    return Rule(DROPPED, detail)


_MASK_OUTLINE = (
    "becomes one polygon tracing its pixel outline (separate parts and holes are joined by "
    "zero-width cuts, so the even-odd fill gives back the same pixels)"
)
_TO_BOX = "becomes its axis-aligned bounding box"

_TAG_ONLY: dict[str, Rule] = {
    kind: _d("the format holds image-level labels only") for kind in SHAPE_KINDS
} | {"tag": _N}

RULES: dict[str, dict[str, Rule]] = {
    "coco": {
        "box": _N,
        "rotated_box": _c("becomes a polygon through its four corners"),
        "polygon": _N,
        "polyline": _d("COCO has no open lines"),
        "points": _d("COCO has no loose points (keypoints need a skeleton)"),
        "keypoints": _N,
        "mask": _N,
        "tag": _d("COCO instances have no image-level labels"),
    },
    "yolo-detect": {
        "box": _N,
        "rotated_box": _c(_TO_BOX),
        "polygon": _c(_TO_BOX),
        "polyline": _d("YOLO detect holds boxes only"),
        "points": _d("YOLO detect holds boxes only"),
        "keypoints": _d("YOLO detect holds boxes only (export with the pose task)"),
        "mask": _c(_TO_BOX),
        "tag": _d("YOLO detect holds boxes only (export with the classify task)"),
    },
    "yolo-segment": {
        "box": _c("becomes a polygon through its four corners"),
        "rotated_box": _c("becomes a polygon through its four corners"),
        "polygon": _N,
        "polyline": _d("YOLO segment holds closed polygons only"),
        "points": _d("YOLO segment holds closed polygons only"),
        "keypoints": _d("YOLO segment holds closed polygons only (export with the pose task)"),
        "mask": _c(_MASK_OUTLINE),
        "tag": _d("YOLO segment holds polygons only (export with the classify task)"),
    },
    "yolo-obb": {
        "box": _c("becomes a rotated box turned by 0 degrees"),
        "rotated_box": _N,
        "polygon": _c("becomes its smallest enclosing rotated rectangle (its bounding box "
                      "when that rectangle would leave the image)"),
        "polyline": _d("YOLO obb holds rotated boxes only"),
        "points": _d("YOLO obb holds rotated boxes only"),
        "keypoints": _d("YOLO obb holds rotated boxes only (export with the pose task)"),
        "mask": _c("becomes the smallest rotated rectangle enclosing its pixels (its "
                   "bounding box when that rectangle would leave the image)"),
        "tag": _d("YOLO obb holds rotated boxes only (export with the classify task)"),
    },
    "yolo-pose": {
        "box": _N,
        "rotated_box": _c(_TO_BOX + ", written as an object with no labelled keypoints"),
        "polygon": _c(_TO_BOX + ", written as an object with no labelled keypoints"),
        "polyline": _d("YOLO pose holds boxes with keypoints only"),
        "points": _d("YOLO pose holds boxes with keypoints only"),
        "keypoints": _N,
        "mask": _c(_TO_BOX + ", written as an object with no labelled keypoints"),
        "tag": _d("YOLO pose holds boxes with keypoints only (export with the classify task)"),
    },
    "yolo-classify": _TAG_ONLY,
    "voc": {
        "box": _N,
        "rotated_box": _c(_TO_BOX),
        "polygon": _c(_TO_BOX),
        "polyline": _d("Pascal VOC holds boxes only"),
        "points": _d("Pascal VOC holds boxes only"),
        "keypoints": _d("Pascal VOC holds boxes only"),
        "mask": _c(_TO_BOX),
        "tag": _d("Pascal VOC object files have no image-level labels"),
    },
    "cvat": {kind: _N for kind in SHAPE_KINDS},
    "labelme": {
        "box": _N,
        "rotated_box": _c("becomes a polygon through its four corners"),
        "polygon": _N,
        "polyline": _N,
        "points": _c(
            "each point becomes a labelme point shape of its own (read back as one-point shapes)"
        ),
        "keypoints": _c(
            "each labelled keypoint becomes a labelme point shape described by its keypoint "
            "name; visibility and unlabelled keypoints are lost"
        ),
        "mask": _N,
        "tag": _N,
    },
    "datumaro": {kind: _N for kind in SHAPE_KINDS},
    "imagenet": _TAG_ONLY,
    "csv": _TAG_ONLY,
}

#: Formats whose annotations have no place for attributes.
NO_ATTRIBUTES = frozenset({"yolo-detect", "yolo-segment", "yolo-obb", "yolo-pose",
                           "yolo-classify", "imagenet", "csv"})

#: Formats that need every keypoints class to name its keypoints.
NEEDS_KEYPOINT_NAMES = frozenset({"coco", "yolo-pose", "cvat", "datumaro"})

_ORIENTED = Rule(NATIVE)
_POINTS_AS_KEYPOINTS = _c(
    "the class has a skeleton, so Datumaro reads these points back as keypoints"
)


def resolve_yolo_task(
    kind_counts: Mapping[str, Mapping[str, int]],
    options: ExportOptions | Mapping[str, Any] | None = None,
) -> str:
    """The YOLO task to write: ``options.yolo_task`` when given, else from the shapes present
    (keypoints: pose; polygons or masks: segment; rotated boxes: obb; boxes: detect; only
    image tags: classify)."""
    opts = as_export_options(options)
    if opts.yolo_task is not None:
        if opts.yolo_task not in YOLO_TASKS:
            raise InvalidInput(
                f"unknown YOLO task {opts.yolo_task!r}; expected one of {', '.join(YOLO_TASKS)}"
            )
        return opts.yolo_task
    totals: dict[str, int] = {}
    for per in kind_counts.values():
        for kind, n in per.items():
            totals[kind] = totals.get(kind, 0) + n
    if totals.get("keypoints"):
        return "pose"
    if totals.get("polygon") or totals.get("mask"):
        return "segment"
    if totals.get("rotated_box"):
        return "obb"
    if totals.get("box"):
        return "detect"
    if totals.get("tag"):
        return "classify"
    return "detect"


def target_of(
    fmt: str,
    kind_counts: Mapping[str, Mapping[str, int]] | None,
    options: ExportOptions | Mapping[str, Any] | None = None,
) -> str:
    """The key of :data:`RULES` for format ``fmt`` ("yolo" resolves to its task)."""
    if fmt == "yolo":
        return "yolo-" + resolve_yolo_task(kind_counts or {}, options)
    if fmt not in RULES:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(FORMAT_NAMES)}")
    return fmt


def rule_for(target: str, kind: str, cls: ClassSpec, options: ExportOptions) -> Rule:
    """How a ``kind`` shape of class ``cls`` goes into ``target`` (a key of :data:`RULES`)."""
    if target == "labelme" and kind == "rotated_box" and options.labelme_oriented_rectangles:
        return _ORIENTED
    if target == "datumaro" and kind == "points" and cls.keypoint_names:
        return _POINTS_AS_KEYPOINTS
    return RULES[target][kind]


def check_classes(
    target: str, classes: Sequence[ClassSpec], kind_counts: Mapping[str, Mapping[str, int]]
) -> None:
    """InvalidInput when the classes cannot be written to ``target`` at all: duplicate names or
    ids, labels without a class, keypoints without keypoint names where the format needs them,
    or (YOLO pose) keypoint classes with different numbers of keypoints."""
    names = [c.name for c in classes]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidInput(f"label class names must be unique: {', '.join(dup)}")
    ids = [c.id for c in classes]
    dup_ids = sorted({i for i in ids if ids.count(i) > 1})
    if dup_ids:
        raise InvalidInput(f"label class ids must be unique: {', '.join(map(str, dup_ids))}")
    unknown = sorted(set(kind_counts) - set(names))
    if unknown:
        raise InvalidInput(f"annotations use labels that are not classes: {', '.join(unknown)}")
    if target not in NEEDS_KEYPOINT_NAMES:
        return
    sizes = set()
    for cls in classes:
        if cls.keypoint_names:
            sizes.add(len(cls.keypoint_names))
        if kind_counts.get(cls.name, {}).get("keypoints") and not cls.keypoint_names:
            raise InvalidInput(
                f"label class {cls.name!r} has keypoints but does not name them; name its "
                f"keypoints before exporting to {target}"
            )
    if target == "yolo-pose" and not sizes:
        raise InvalidInput("YOLO pose needs a label class with named keypoints (its kpt_shape)")
    if target == "yolo-pose" and len(sizes) > 1:
        raise InvalidInput(
            "YOLO pose needs the same number of keypoints in every class; the classes have "
            + ", ".join(str(s) for s in sorted(sizes))
        )


def plan_export(
    fmt: str,
    classes: Sequence[ClassSpec],
    kind_counts: Mapping[str, Mapping[str, int]],
    options: ExportOptions | Mapping[str, Any] | None = None,
) -> list[Loss]:
    """Every shape ``fmt`` cannot hold as it is, before anything is written.

    ``kind_counts`` is ``{label: {kind: count}}``. The losses come in class order, then shape
    kind order (:data:`~labelhub.geometry.SHAPE_KINDS`), then an "attributes" entry for classes
    that declare attributes when the format has no place for them. InvalidInput when the
    export cannot be done at all (see :func:`check_classes`).
    """
    opts = as_export_options(options)
    target = target_of(fmt, kind_counts, opts)
    check_classes(target, classes, kind_counts)
    losses: list[Loss] = []
    for cls in classes:
        per = kind_counts.get(cls.name, {})
        for kind in SHAPE_KINDS:
            n = int(per.get(kind, 0))
            if n <= 0:
                continue
            rule = rule_for(target, kind, cls, opts)
            if rule.action != NATIVE:
                losses.append(Loss(cls.name, kind, n, rule.action, rule.detail))
        total = sum(int(v) for v in per.values())
        if total and cls.attributes and target in NO_ATTRIBUTES:
            losses.append(Loss(cls.name, "attributes", total, DROPPED, _attributes_detail(target)))
    return losses


def _attributes_detail(target: str) -> str:
    return f"{target} has no place for annotation attributes; they are not written"


class LossTally:
    """What a writer converted and dropped, counted shape by shape as it writes."""

    def __init__(self, target: str, classes: Sequence[ClassSpec], options: ExportOptions) -> None:
        self.target = target
        self.options = options
        self._order = {c.name: i for i, c in enumerate(classes)}
        self._classes = {c.name: c for c in classes}
        self._counts: dict[tuple[str, str], int] = {}
        self._rules: dict[tuple[str, str], Rule] = {}
        self._pending: dict[str, list[str]] = {}  # see rule_each
        #: Classes whose attributes the target has no place for.
        self._attributes_dropped = frozenset(
            c.name for c in classes if c.attributes and target in NO_ATTRIBUTES)

    def peek(self, label: str, kind: str) -> Rule:
        """The rule for a shape, not counted."""
        rule = self._rules.get((label, kind))
        if rule is None:
            rule = self._rules[(label, kind)] = rule_for(self.target, kind, self._classes[label],
                                                         self.options)
        return rule

    def rule(self, label: str, kind: str, count: int = 1) -> Rule:
        """The rule for a shape, counted as applied (to ``count`` shapes of that kind)."""
        key = (label, kind)
        rule = self._rules.get(key) or self.peek(label, kind)
        self._counts[key] = self._counts.get(key, 0) + count
        if label in self._attributes_dropped:
            akey = (label, "attributes")
            self._counts[akey] = self._counts.get(akey, 0) + count
            self._rules[akey] = Rule(DROPPED, _attributes_detail(self.target))
        return rule

    def rule_each(self, labels: Iterable[str], kind: str) -> None:
        """Count a shape of ``kind`` for each of ``labels``, as :meth:`rule` would one by one;
        the labels are kept and counted together (a writer of millions of boxes makes one call
        per image instead of one per box)."""
        pending = self._pending.setdefault(kind, [])
        pending.extend(labels)
        if len(pending) > 100_000:
            self._count_pending()

    def _count_pending(self) -> None:
        for kind, labels in self._pending.items():
            for label, n in Counter(labels).items():
                self.rule(label, kind, n)
        self._pending.clear()

    def losses(self) -> list[Loss]:
        """The tally in the plan's order (class, then kind, then attributes)."""
        self._count_pending()
        kind_rank = {k: i for i, k in enumerate((*SHAPE_KINDS, "attributes"))}
        out = []
        for (label, kind), n in sorted(
            self._counts.items(), key=lambda kv: (self._order[kv[0][0]], kind_rank[kv[0][1]])
        ):
            rule = self._rules[(label, kind)]
            if rule.action != NATIVE:
                out.append(Loss(label, kind, n, rule.action, rule.detail))
        return out
