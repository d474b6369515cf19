"""What an evaluation measures, gathered from the project and turned into metric inputs.

``EvalData`` holds the items of a dataset version, its label classes, the ground truth as of
the version's seq and the predictions as of the evaluation's seq, as plain Python values; the
``*_arrays`` functions turn them into the columns ``labelhub.metrics`` takes. Image ids are
item positions, category ids class positions.

Conventions (they are the COCO file's, written out):

* a ground truth is a crowd region when its ``iscrowd`` attribute is true;
* its area is its shape's area (a box's w * h, a polygon's area, a mask's pixel count; for
  keypoints the box around the labelled points), as COCO's ``area`` field;
* boxes of polygons, rotated boxes and masks are their tight axis-aligned boxes;
* for segmentation, polygons, boxes and rotated boxes are rasterised to masks of the image's
  size (a pixel is in when its centre is inside);
* a prediction without a score counts as 1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Keypoints, Mask, Shape, shape_from_dict
from labelhub.metrics.detection import DetectionArrays, GroundTruthArrays
from labelhub.metrics.iou import COCO_KEYPOINT_SIGMAS
from labelhub.project.labels import CROWD_ATTRIBUTE

#: Shape kinds each IoU type evaluates.
DETECTION_KINDS: dict[str, tuple[str, ...]] = {
    "bbox": ("box", "rotated_box", "polygon", "mask"),
    "segm": ("box", "rotated_box", "polygon", "mask"),
    "keypoints": ("keypoints",),
}
#: Sigma given to every keypoint of a class that does not have COCO's 17 person keypoints.
DEFAULT_KEYPOINT_SIGMA = 0.05


@dataclass(frozen=True)
class EvalItem:
    uid: str
    name: str
    width: int
    height: int
    sha256: str
    split: str | None
    meta: dict[str, Any]


@dataclass(frozen=True)
class EvalClass:
    uid: str
    name: str
    color: str
    keypoints: int = 0


@dataclass(slots=True)
class EvalObject:
    """One annotation: its item and class positions (class -1: none), kind, geometry dict."""

    uid: str
    item: int
    cls: int
    kind: str
    geometry: dict[str, Any]
    score: float | None
    attributes: dict[str, Any]
    _shape: Shape | None = field(default=None, repr=False)

    @property
    def shape(self) -> Shape:
        if self._shape is None:
            self._shape = shape_from_dict(self.geometry)
        return self._shape

    @property
    def crowd(self) -> bool:
        return bool(self.attributes.get(CROWD_ATTRIBUTE))

    def xywh(self) -> tuple[float, float, float, float]:
        g = self.geometry
        if self.kind == "box":
            return float(g["x"]), float(g["y"]), float(g["w"]), float(g["h"])
        box = self.shape.box()
        if box is None:
            return 0.0, 0.0, 0.0, 0.0
        return box.x, box.y, box.w, box.h

    def area(self) -> float:
        if self.kind == "box":
            return float(self.geometry["w"]) * float(self.geometry["h"])
        if self.kind == "keypoints":
            _x, _y, w, h = self.xywh()
            return w * h
        return float(self.shape.area())


@dataclass
class EvalData:
    dataset: str
    items: list[EvalItem]
    classes: list[EvalClass]
    gt: list[EvalObject]
    dt: list[EvalObject]
    outside: int = 0  # predictions on items that are not in the dataset version
    predictions_hash: str = ""

    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def kinds(self, objects: Sequence[EvalObject]) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in objects:
            out[o.kind] = out.get(o.kind, 0) + 1
        return out


def pick_task(data: EvalData) -> str:
    """"classification" when the ground truth and predictions hold only tags, else "detection"."""
    kinds = set(data.kinds(data.gt)) | set(data.kinds(data.dt))
    if kinds and kinds <= {"tag"}:
        return "classification"
    return "detection"


def selected(objects: Sequence[EvalObject], iou_type: str) -> list[int]:
    """Positions of the objects an IoU type evaluates (with a class)."""
    kinds = DETECTION_KINDS[iou_type]
    return [i for i, o in enumerate(objects) if o.kind in kinds and o.cls >= 0]


def _mask_counts(obj: EvalObject, item: EvalItem) -> np.ndarray:
    shape = obj.shape
    if isinstance(shape, Mask):
        if (shape.height, shape.width) != (item.height, item.width):
            raise InvalidInput(f"{item.name}: mask {obj.uid} is {shape.width} x {shape.height}, "
                               f"the image {item.width} x {item.height}")
        return np.asarray(shape.counts, dtype=np.int64)
    return np.asarray(Mask.from_polygon(shape, item.height, item.width).counts, dtype=np.int64)  # type: ignore[arg-type]


def _keypoints(obj: EvalObject) -> np.ndarray:
    shape = obj.shape
    assert isinstance(shape, Keypoints)
    pts = np.asarray(shape.points, dtype=np.float64).reshape(-1, 2)
    vis = np.asarray(shape.visibility, dtype=np.float64).reshape(-1, 1)
    return np.concatenate([pts, vis], axis=1)


def keypoint_sigmas(data: EvalData, gt_pos: Sequence[int], dt_pos: Sequence[int]) -> np.ndarray:
    """One sigma per keypoint: COCO's for 17-point classes, DEFAULT_KEYPOINT_SIGMA otherwise.
    Every evaluated class must have the same number of keypoints."""
    counts = {len(data.gt[i].shape.points) for i in gt_pos} | {len(data.dt[i].shape.points) for i in dt_pos}  # type: ignore[union-attr]
    if len(counts) > 1:
        raise InvalidInput(f"keypoint evaluation needs one number of keypoints; found {sorted(counts)}. "
                           "Evaluate one class at a time.")
    k = counts.pop() if counts else 17
    return COCO_KEYPOINT_SIGMAS.copy() if k == 17 else np.full(k, DEFAULT_KEYPOINT_SIGMA)


def detection_arrays(data: EvalData, iou_type: str, gt_pos: Sequence[int], dt_pos: Sequence[int]
                     ) -> tuple[GroundTruthArrays, DetectionArrays]:
    """The metric inputs for the objects at ``gt_pos`` and ``dt_pos``, in that order."""
    gts = [data.gt[i] for i in gt_pos]
    dts = [data.dt[i] for i in dt_pos]
    gt_box = np.array([o.xywh() for o in gts], dtype=np.float64).reshape(-1, 4)
    dt_box = np.array([o.xywh() for o in dts], dtype=np.float64).reshape(-1, 4)
    gt_kw: dict[str, Any] = {}
    dt_kw: dict[str, Any] = {}
    if iou_type == "segm":
        gt_kw["segmentation"] = [_mask_counts(o, data.items[o.item]) for o in gts]
        dt_kw["segmentation"] = [_mask_counts(o, data.items[o.item]) for o in dts]
    elif iou_type == "keypoints":
        k = len(keypoint_sigmas(data, gt_pos, dt_pos))
        gt_kw["keypoints"] = np.array([_keypoints(o) for o in gts]).reshape(len(gts), k, 3)
        dt_kw["keypoints"] = np.array([_keypoints(o) for o in dts]).reshape(len(dts), k, 3)
    else:
        dt_kw["bbox"] = dt_box
    gt = GroundTruthArrays(
        image_id=np.array([o.item for o in gts], dtype=np.int64),
        category_id=np.array([o.cls for o in gts], dtype=np.int64),
        bbox=gt_box, area=np.array([o.area() for o in gts], dtype=np.float64),
        iscrowd=np.array([o.crowd for o in gts], dtype=bool), **gt_kw)
    if iou_type != "bbox":
        dt_kw.setdefault("bbox", dt_box)
    dt = DetectionArrays(
        image_id=np.array([o.item for o in dts], dtype=np.int64),
        category_id=np.array([o.cls for o in dts], dtype=np.int64),
        score=np.array([1.0 if o.score is None else o.score for o in dts], dtype=np.float64), **dt_kw)
    return gt, dt


def boxes_of(objects: Sequence[EvalObject]) -> np.ndarray:
    return np.array([o.xywh() for o in objects], dtype=np.float64).reshape(-1, 4)


def box_of(obj: EvalObject) -> Box:
    x, y, w, h = obj.xywh()
    return Box(x, y, w, h)


#: Slices with more values than this are refused (a field like a file path is no slice).
MAX_SLICE_VALUES = 50
#: Metadata keys that are not plain fields: item tags are sliced as "tags"; "kept" is the
#: cleaning report's bookkeeping.
_NOT_FIELDS = ("tags", "kept")


def _meta_text(value: Any) -> str:
    return "(none)" if value is None or value == "" else str(value)


def item_slices(items: Sequence[EvalItem], field_name: str,
                image_labels: dict[int, set[str]] | None = None) -> dict[str, list[int]]:
    """Items (positions) for each value of a slice field: ``split``; ``tags``, the item tags
    (an item with several is in several slices); ``image_labels``, the classes of the items'
    ground-truth tags; or ``meta.KEY``."""
    groups: dict[str, list[int]] = {}

    def put(value: str, i: int) -> None:
        groups.setdefault(value, []).append(i)

    if field_name == "split":
        for i, item in enumerate(items):
            put(item.split or "(none)", i)
    elif field_name == "tags":
        for i, item in enumerate(items):
            tags = item.meta.get("tags") or []
            for tag in sorted({str(t) for t in tags} if isinstance(tags, list) else {str(tags)}) or ["(no tag)"]:
                put(tag, i)
    elif field_name == "image_labels":
        for i in range(len(items)):
            for label in sorted((image_labels or {}).get(i, set())) or ["(no label)"]:
                put(label, i)
    elif field_name.startswith("meta.") and field_name[5:] not in _NOT_FIELDS:
        key = field_name[5:]
        for i, item in enumerate(items):
            put(_meta_text(item.meta.get(key)), i)
    else:
        raise InvalidInput(f"unknown slice field {field_name!r}; use split, tags, image_labels or meta.KEY")
    return dict(sorted(groups.items()))


def image_labels_of(data: EvalData) -> dict[int, set[str]]:
    """The classes of each item's ground-truth tags."""
    out: dict[int, set[str]] = {}
    for o in data.gt:
        if o.kind == "tag" and o.cls >= 0:
            out.setdefault(o.item, set()).add(data.classes[o.cls].name)
    return out


def slice_values(data: EvalData, field_name: str) -> dict[str, list[int]]:
    return item_slices(data.items, field_name, image_labels_of(data))


def slice_fields_of(items: Sequence[EvalItem], has_image_labels: bool) -> list[str]:
    """The fields one can slice these items by: split, tags and image labels when there are
    any, and each metadata key with between 2 and MAX_SLICE_VALUES values that is not a
    different value on every item."""
    fields = ["split"]
    if any(item.meta.get("tags") for item in items):
        fields.append("tags")
    if has_image_labels:
        fields.append("image_labels")
    values: dict[str, set[str]] = {}
    for item in items:
        for key, value in item.meta.items():
            if key not in _NOT_FIELDS:
                values.setdefault(key, set()).add(_meta_text(value))
    for key in sorted(values):
        distinct = len(values[key] | ({"(none)"} if any(key not in it.meta for it in items) else set()))
        one_each = distinct == len(items) and len(items) > 2  # an identifier (a path, a time): no slice
        if 2 <= distinct <= MAX_SLICE_VALUES and not one_each:
            fields.append(f"meta.{key}")
    return fields


def slice_fields(data: EvalData) -> list[str]:
    return slice_fields_of(data.items, any(o.kind == "tag" and o.cls >= 0 for o in data.gt))
