"""Value types for annotation shapes: numpy and the standard library only.

Coordinates are continuous image coordinates in pixels: origin at the top-left corner of the
image, x to the right, y downwards; pixel (column c, row r) covers [c, c + 1) x [r, r + 1) and
its centre is (c + 0.5, r + 0.5). A W x H image spans [0, W] x [0, H] (COCO's convention).

Kinds (``SHAPE_KINDS``): ``Box`` "box", ``RotatedBox`` "rotated_box" (angle in degrees,
clockwise on screen, like CVAT), ``Polygon`` "polygon", ``Polyline`` "polyline", ``Points``
"points", ``Keypoints`` "keypoints" (COCO visibility 0/1/2), ``Mask`` "mask" (COCO RLE,
column-major) and ``Tag`` "tag" (no geometry).

Each shape offers ``area()``, ``bounds()``, ``box()``, ``translated(dx, dy)``,
``validate(image_width=None, image_height=None) -> list[str]`` and ``to_dict()``;
:func:`shape_from_dict` reads such dicts back; :func:`box_json_numbers` finds the numbers of
boxes in their JSON text, many at once.
"""

from labelhub.geometry._common import EDGE_TOLERANCE
from labelhub.geometry.mask import Mask
from labelhub.geometry.rle import (
    canonical_counts,
    counts_to_string,
    decode_counts,
    encode_array,
    rasterize_polygons,
    string_to_counts,
)
from labelhub.geometry.serial import (
    SHAPE_KINDS,
    SHAPE_TYPES,
    BoxNumbers,
    Shape,
    box_json_numbers,
    boxes_xywh,
    boxes_xyxy,
    pack_boxes,
    polygon_array,
    shape_from_dict,
    shape_to_dict,
    unpack_boxes,
)
from labelhub.geometry.shapes import (
    NOT_LABELLED,
    OCCLUDED,
    VISIBLE,
    Box,
    Keypoints,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Tag,
)

__all__ = [
    "EDGE_TOLERANCE",
    "NOT_LABELLED",
    "OCCLUDED",
    "SHAPE_KINDS",
    "SHAPE_TYPES",
    "VISIBLE",
    "Box",
    "BoxNumbers",
    "Keypoints",
    "Mask",
    "Points",
    "Polygon",
    "Polyline",
    "RotatedBox",
    "Shape",
    "Tag",
    "box_json_numbers",
    "boxes_xywh",
    "boxes_xyxy",
    "canonical_counts",
    "counts_to_string",
    "decode_counts",
    "encode_array",
    "pack_boxes",
    "polygon_array",
    "rasterize_polygons",
    "shape_from_dict",
    "shape_to_dict",
    "string_to_counts",
    "unpack_boxes",
]
