"""Inputs of detection evaluation: ground truths, detections (one by one or columnar), parameters.

Ids of images may be integers or strings (one kind per evaluation); category ids are integers.
Boxes are x, y, width, height. Masks are COCO uncompressed RLE counts (see ``metrics.iou``).
Keypoints are (K, 3) arrays of x, y, visibility (visibility > 0 means labelled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.metrics.iou import COCO_KEYPOINT_SIGMAS, RlePack

IouType = Literal["bbox", "segm", "keypoints"]
IOU_TYPES: tuple[str, ...] = ("bbox", "segm", "keypoints")


@dataclass(frozen=True)
class GroundTruth:
    """One ground-truth object.

    ``area`` defaults to the mask's area when a segmentation is given, else the box's.
    ``num_keypoints`` defaults to the number of labelled keypoints (COCO ignores ground truths
    with none in keypoint evaluation). ``ignore`` marks a region to be ignored like a crowd but
    able to absorb one detection only (pycocotools itself overwrites an ``ignore`` field with
    ``iscrowd``; leave it False to get its exact numbers).
    """

    image_id: int | str
    category_id: int
    bbox: Sequence[float] | None = None
    area: float | None = None
    iscrowd: bool = False
    segmentation: Sequence[int] | np.ndarray | None = None
    keypoints: Sequence[float] | np.ndarray | None = None
    num_keypoints: int | None = None
    ignore: bool = False


@dataclass(frozen=True)
class Detection:
    """One detection. ``area`` (used only for the area ranges) defaults as pycocotools'
    loadRes sets it: the box's area for bbox, the mask's for segm, the keypoints' extent for
    keypoints. (loadRes takes the box's area for segm results that also carry a box; pass
    ``area`` to reproduce that.)"""

    image_id: int | str
    category_id: int
    score: float
    bbox: Sequence[float] | None = None
    area: float | None = None
    segmentation: Sequence[int] | np.ndarray | None = None
    keypoints: Sequence[float] | np.ndarray | None = None


@dataclass(frozen=True)
class MaskStats:
    """Per mask: foreground ``area``, pixels covered ``total``, and the foreground's span on the
    column-major line ``[lo, hi)`` (empty masks: lo == hi == 0)."""

    area: np.ndarray
    total: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, masks: Sequence[np.ndarray], chunk: int = 4096) -> MaskStats:
        n = len(masks)
        area, total = np.zeros(n, np.int64), np.zeros(n, np.int64)
        lo, hi = np.zeros(n, np.int64), np.zeros(n, np.int64)
        for start in range(0, n, chunk):  # packed a chunk at a time: bounded memory
            pack = RlePack(masks[start:start + chunk])
            sl = slice(start, start + pack.size)
            area[sl], total[sl] = pack.area, pack.total
            has = pack.int_count > 0
            first = pack.int_first[has]
            last = first + pack.int_count[has] - 1
            lo[sl][has] = pack.int_start[first] - pack.base[has]
            hi[sl][has] = pack.int_end[last] - pack.base[has]
        return cls(area, total, lo, hi)


def _ids(values: object, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype.kind in "US"):
        if arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0):
            return arr.astype(np.int64)
        raise InvalidInput(f"{name} must be integers or strings")
    if arr.size == 0:
        return arr.astype(np.int64)
    return arr


def _floats(values: object, n: int, name: str, default: float | None = None) -> np.ndarray | None:
    if values is None:
        return None if default is None else np.full(n, default, dtype=np.float64)
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size != n:
        raise InvalidInput(f"{name} has {arr.size} values for {n} objects")
    return arr


def _flags(values: object, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(values).reshape(-1).astype(bool)
    if arr.size != n:
        raise InvalidInput(f"{name} has {arr.size} values for {n} objects")
    return arr


def _box_array(values: object, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 and n == 0:
        return arr.reshape(0, 4)
    if arr.shape != (n, 4):
        raise InvalidInput(f"{name} must have shape ({n}, 4), got {arr.shape}")
    return arr


def _kpt_array(values: object, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if n == 0:
        return arr.reshape(0, arr.shape[1] if arr.ndim == 3 else 0, 3)
    if arr.ndim == 2 and arr.shape[0] == n and arr.shape[1] % 3 == 0:
        arr = arr.reshape(n, -1, 3)
    if arr.ndim != 3 or arr.shape[0] != n or arr.shape[2] != 3:
        raise InvalidInput(f"{name} must have shape ({n}, K, 3), got {arr.shape}")
    return arr


def _masks(values: Sequence[object] | None, n: int, name: str) -> list[np.ndarray] | None:
    if values is None:
        return None
    if len(values) != n:
        raise InvalidInput(f"{name} has {len(values)} masks for {n} objects")
    return [v if isinstance(v, np.ndarray) and v.dtype == np.int64 and v.ndim == 1
            else np.asarray(v, dtype=np.int64).reshape(-1) for v in values]


@dataclass
class GroundTruthArrays:
    """Ground truths as columns (the fast way in): one row per object."""

    image_id: np.ndarray
    category_id: np.ndarray
    bbox: np.ndarray | None = None
    area: np.ndarray | None = None
    iscrowd: np.ndarray | None = None
    ignore: np.ndarray | None = None
    segmentation: Sequence[np.ndarray] | None = None
    keypoints: np.ndarray | None = None
    num_keypoints: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.image_id = _ids(self.image_id, "image_id")
        n = self.image_id.size
        self.category_id = _ids(self.category_id, "category_id").astype(np.int64)
        if self.category_id.size != n:
            raise InvalidInput(f"category_id has {self.category_id.size} values for {n} objects")
        self.bbox = _box_array(self.bbox, n, "bbox")
        self.area = _floats(self.area, n, "area")
        self.iscrowd = _flags(self.iscrowd, n, "iscrowd")
        self.ignore = _flags(self.ignore, n, "ignore")
        self.segmentation = _masks(self.segmentation, n, "segmentation")
        self.keypoints = _kpt_array(self.keypoints, n, "keypoints")
        if self.num_keypoints is not None:
            self.num_keypoints = np.asarray(self.num_keypoints, dtype=np.int64).reshape(-1)
            if self.num_keypoints.size != n:
                raise InvalidInput("num_keypoints must have one value per ground truth")

    def __len__(self) -> int:
        return int(self.image_id.size)

    @cached_property
    def mask_stats(self) -> MaskStats:
        """Area, size and foreground span of every mask (computed once; treat as read-only)."""
        return MaskStats.of(self.segmentation or [])

    @classmethod
    def from_records(cls, records: Sequence[GroundTruth]) -> GroundTruthArrays:
        """Columns from a list of ``GroundTruth``; optional fields must be given for all or none."""
        recs = list(records)

        def column(name: str) -> list[object] | None:
            values = [getattr(r, name) for r in recs]
            present = [v is not None for v in values]
            if not any(present):
                return None
            if not all(present) and name not in ("area", "num_keypoints"):
                raise InvalidInput(f"ground truth field {name!r} is given for some objects only")
            return values

        area = column("area")
        if area is not None and any(v is None for v in area):
            raise InvalidInput("ground truth field 'area' is given for some objects only")
        nkp = column("num_keypoints")
        if nkp is not None and any(v is None for v in nkp):
            raise InvalidInput("ground truth field 'num_keypoints' is given for some objects only")
        return cls(
            image_id=np.array([r.image_id for r in recs]),
            category_id=np.array([r.category_id for r in recs], dtype=np.int64),
            bbox=column("bbox"),
            area=area,
            iscrowd=np.array([bool(r.iscrowd) for r in recs], dtype=bool),
            ignore=np.array([bool(r.ignore) for r in recs], dtype=bool),
            segmentation=column("segmentation"),
            keypoints=column("keypoints"),
            num_keypoints=nkp,
        )


@dataclass
class DetectionArrays:
    """Detections as columns (the fast way in): one row per detection."""

    image_id: np.ndarray
    category_id: np.ndarray
    score: np.ndarray
    bbox: np.ndarray | None = None
    area: np.ndarray | None = None
    segmentation: Sequence[np.ndarray] | None = None
    keypoints: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.image_id = _ids(self.image_id, "image_id")
        n = self.image_id.size
        self.category_id = _ids(self.category_id, "category_id").astype(np.int64)
        if self.category_id.size != n:
            raise InvalidInput(f"category_id has {self.category_id.size} values for {n} objects")
        score = _floats(self.score, n, "score")
        assert score is not None
        if np.isnan(score).any():
            raise InvalidInput("detection scores must be numbers (found NaN)")
        self.score = score
        self.bbox = _box_array(self.bbox, n, "bbox")
        self.area = _floats(self.area, n, "area")
        self.segmentation = _masks(self.segmentation, n, "segmentation")
        self.keypoints = _kpt_array(self.keypoints, n, "keypoints")

    def __len__(self) -> int:
        return int(self.image_id.size)

    @cached_property
    def mask_stats(self) -> MaskStats:
        """Area, size and foreground span of every mask (computed once; treat as read-only)."""
        return MaskStats.of(self.segmentation or [])

    @classmethod
    def from_records(cls, records: Sequence[Detection]) -> DetectionArrays:
        """Columns from a list of ``Detection``; optional fields must be given for all or none."""
        recs = list(records)

        def column(name: str) -> list[object] | None:
            values = [getattr(r, name) for r in recs]
            present = [v is not None for v in values]
            if not any(present):
                return None
            if not all(present):
                raise InvalidInput(f"detection field {name!r} is given for some detections only")
            return values

        return cls(
            image_id=np.array([r.image_id for r in recs]),
            category_id=np.array([r.category_id for r in recs], dtype=np.int64),
            score=np.array([r.score for r in recs], dtype=np.float64),
            bbox=column("bbox"),
            area=column("area"),
            segmentation=column("segmentation"),
            keypoints=column("keypoints"),
        )


DETECTION_AREA_RANGES: dict[str, tuple[float, float]] = {
    "all": (0.0**2, 1e5**2),
    "small": (0.0**2, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}
KEYPOINT_AREA_RANGES: dict[str, tuple[float, float]] = {
    "all": (0.0**2, 1e5**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}


def _linspace_iou() -> np.ndarray:
    return np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)


def _linspace_recall() -> np.ndarray:
    return np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


@dataclass(frozen=True)
class EvaluationParams:
    """COCOeval's parameters. ``for_iou_type`` gives pycocotools' defaults.

    Area ranges include both ends. ``max_dets`` is sorted; matching keeps the top
    ``max_dets[-1]`` detections per image and category.
    """

    iou_type: str = "bbox"
    iou_thresholds: np.ndarray = field(default_factory=_linspace_iou)
    recall_thresholds: np.ndarray = field(default_factory=_linspace_recall)
    area_ranges: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DETECTION_AREA_RANGES))
    max_dets: tuple[int, ...] = (1, 10, 100)
    sigmas: np.ndarray | None = None

    @classmethod
    def for_iou_type(cls, iou_type: str, sigmas: object = None) -> EvaluationParams:
        if iou_type not in IOU_TYPES:
            raise InvalidInput(f"unknown IoU type {iou_type!r}; use one of {', '.join(IOU_TYPES)}")
        if iou_type == "keypoints":
            sig = COCO_KEYPOINT_SIGMAS if sigmas is None else np.asarray(sigmas, np.float64)
            return cls(iou_type=iou_type, area_ranges=dict(KEYPOINT_AREA_RANGES),
                       max_dets=(20,), sigmas=np.asarray(sig, dtype=np.float64).reshape(-1))
        return cls(iou_type=iou_type)

    def checked(self) -> EvaluationParams:
        """Validated copy with arrays as float64 and max_dets sorted."""
        if self.iou_type not in IOU_TYPES:
            raise InvalidInput(f"unknown IoU type {self.iou_type!r}")
        iou = np.asarray(self.iou_thresholds, dtype=np.float64).reshape(-1)
        rec = np.asarray(self.recall_thresholds, dtype=np.float64).reshape(-1)
        if iou.size == 0 or rec.size == 0 or not self.area_ranges or not self.max_dets:
            raise InvalidInput("evaluation parameters need IoU and recall thresholds, area "
                               "ranges and maximum detection counts")
        if np.any(np.diff(rec) < 0):
            raise InvalidInput("recall thresholds must be in increasing order")
        max_dets = tuple(sorted(int(m) for m in self.max_dets))
        if max_dets[0] < 1:
            raise InvalidInput("maximum detection counts must be positive")
        sig = self.sigmas
        if self.iou_type == "keypoints":
            sig = COCO_KEYPOINT_SIGMAS if sig is None else sig
            sig = np.asarray(sig, dtype=np.float64).reshape(-1)
        ranges = {str(k): (float(v[0]), float(v[1])) for k, v in self.area_ranges.items()}
        return EvaluationParams(self.iou_type, iou, rec, ranges, max_dets, sig)
