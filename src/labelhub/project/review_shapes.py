"""From annotations to what the agreement metrics compare (no database here).

Shapes are compared within a *family*:

* ``box``: boxes by box IoU, when a dataset's region shapes are all boxes (the fast path);
* ``region``: boxes, rotated boxes, polygons and masks rasterised over the image and compared
  by mask IoU, when a dataset mixes them;
* ``keypoints:K``: keypoint sets of K points by object keypoint similarity (COCO's sigmas for
  17 points, 0.05 for every point otherwise; the area is that of the labelled points' box);
* ``tag``: tags, as shapes that all overlap fully, so the same tag from two annotators is a
  match and different tags a class disagreement; tags are also compared as ratings (one
  category per item and annotator: the tag classes given, joined with "+", or "(no tag)")
  for Cohen's and Fleiss' kappa and Krippendorff's alpha;
* polylines and points are not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelhub.geometry import Box, Keypoints, Mask, Polygon, RotatedBox, Shape, Tag
from labelhub.metrics.agreement import Shapes

REGION_KINDS = ("box", "rotated_box", "polygon", "mask")
NOT_COMPARED = ("polyline", "points")
NO_TAG = "(no tag)"
DEFAULT_SIGMA = 0.05


def region_family(kinds: set[str]) -> str:
    """The family region shapes take in a dataset whose annotations have ``kinds``."""
    return "box" if kinds & set(REGION_KINDS) <= {"box"} else "region"


def family_of(shape: Shape, region: str) -> str | None:
    """The family ``shape`` is compared in (None: shapes that are not compared)."""
    if shape.kind == "tag":
        return "tag"
    if shape.kind in REGION_KINDS:
        return region
    if isinstance(shape, Keypoints):
        return f"keypoints:{len(shape.points)}"
    return None


def to_shapes(family: str, shapes: Sequence[Shape], labels: Sequence[int],
              sizes: Sequence[tuple[int, int]] | None = None) -> Shapes:
    """The metrics' :class:`Shapes` for shapes of one family; ``sizes`` are (width, height) of
    each shape's image, needed by the region family."""
    lab = np.asarray(labels, dtype=np.int64)
    if family == "tag":
        return Shapes(lab, boxes=np.tile([0.0, 0.0, 1.0, 1.0], (len(shapes), 1)))
    if family == "box":
        boxes = np.array([(s.x, s.y, s.w, s.h) for s in shapes], dtype=np.float64).reshape(-1, 4)  # type: ignore[union-attr]
        return Shapes(lab, boxes=boxes)
    if family == "region":
        masks = [region_counts(s, w, h) for s, (w, h) in zip(shapes, sizes or (), strict=True)]
        return Shapes(lab, masks=masks)
    k = int(family.split(":")[1])
    kp = np.zeros((len(shapes), k, 3))
    boxes = np.zeros((len(shapes), 4))
    for i, s in enumerate(shapes):
        kp[i, :, :2] = np.asarray(s.points, dtype=np.float64).reshape(k, 2)  # type: ignore[union-attr]
        kp[i, :, 2] = s.visibility  # type: ignore[union-attr]
        b = s.box()
        if b is not None:
            boxes[i] = (b.x, b.y, b.w, b.h)
    areas = boxes[:, 2] * boxes[:, 3]
    sigmas = None if k == 17 else np.full(k, DEFAULT_SIGMA)
    return Shapes(lab, boxes=boxes, keypoints=kp, areas=areas, sigmas=sigmas)


def region_counts(shape: Shape, width: int, height: int) -> np.ndarray:
    """COCO uncompressed RLE counts of a region shape over a width x height image."""
    if isinstance(shape, Mask):
        if (shape.width, shape.height) == (width, height):
            return np.asarray(shape.counts, dtype=np.int64)
        return np.asarray(_resized(shape, width, height).counts, dtype=np.int64)
    if isinstance(shape, Box | RotatedBox | Polygon):
        return np.asarray(Mask.from_polygon(shape, height, width).counts, dtype=np.int64)
    raise TypeError(f"{shape.kind} is not a region shape")


def _resized(mask: Mask, width: int, height: int) -> Mask:
    """A mask drawn for another image size, cropped or padded to this one."""
    arr = np.zeros((height, width), dtype=bool)
    src = mask.to_array()
    h, w = min(height, src.shape[0]), min(width, src.shape[1])
    arr[:h, :w] = src[:h, :w]
    return Mask.from_array(arr)


def mean_shape(family: str, metric: Shapes) -> Shape:
    """A geometry value from a one-row metrics Shapes (a consensus "mean" shape)."""
    if family == "tag":
        return Tag()
    if family in ("box", "region"):
        x, y, w, h = (float(v) for v in metric.boxes[0])
        return Box(x, y, w, h)
    kp = metric.keypoints[0]
    return Keypoints(tuple((float(x), float(y)) for x, y in kp[:, :2]),
                     tuple(int(v) for v in kp[:, 2]))


def tag_category(labels: Sequence[str]) -> str:
    """The rating an annotator gave an item from the tag classes they put on it."""
    names = sorted(set(labels))
    return "+".join(names) if names else NO_TAG


def describe_shape(shape: Any) -> str:
    """A short place for a shape in messages: "box at (12, 40)"."""
    kind = shape.kind.replace("_", " ")
    box = shape.box() if hasattr(shape, "box") else None
    if box is None:
        return kind
    return f"{kind} at ({box.x:.0f}, {box.y:.0f})"
