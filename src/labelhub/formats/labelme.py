"""labelme JSON: one ``<stem>.json`` next to each image.

Shapes written: box as ``rectangle``; polygon; polyline as ``linestrip``; each loose point and
each labelled keypoint as a ``point`` (a keypoint's ``description`` is its keypoint name);
mask as labelme's ``mask`` shape (a PNG of the mask's bounding box, base64, its top-left pixel
at ``points[0]`` and bottom-right pixel at ``points[1]``); rotated box as a polygon, or as
``oriented_rectangle`` when asked; image tags as the image-level ``flags``. Annotation
attributes, scores and the image's split are kept in extra keys (``attributes``, ``score``,
``split``), which labelme preserves; ``group_id`` is the annotation's group; a text
``description`` attribute is the shape's ``description`` (an empty one stays an attribute).
A LabelHub export's ``manifest.json`` (known by its content) is not read as a labelme file.

Reading also takes ``line`` (a two-point polyline), ``points`` and ``circle`` (turned into a
64-sided polygon). ``imagePath`` is resolved against the JSON file's folder and may not leave
the dataset folder.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import math
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Problems,
    Steps,
    WriteContext,
    basename_stem,
    dumps,
    find_media,
    finish_document,
    image_size_from_file,
    image_size_problem,
    is_export_manifest,
    staged,
)
from labelhub.formats._outline import rotated_from_corners
from labelhub.formats.losses import DROPPED, NATIVE
from labelhub.formats.model import (
    AnnotationRecord,
    CancelFlag,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    LabelDocument,
    Progress,
    ReadOptions,
    WriteResult,
    as_read_options,
)
from labelhub.formats.safety import load_json, resolve_relative, walk_files
from labelhub.geometry import (
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
    Tag,
)
from labelhub.geometry.rle import encode_window

VERSION = "5.5.0"
_CIRCLE_SIDES = 64

# --------------------------------------------------------------------------- writing


def _png_b64(bits: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bits.astype(bool))).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _shape(label: str, points: Any, kind: str, group: int | None,
           description: str = "", mask: str | None = None) -> dict[str, Any]:
    return {"label": label, "points": [[float(x), float(y)] for x, y in points],
            "group_id": group, "description": description, "shape_type": kind, "flags": {},
            "mask": mask}


def _shapes(ctx: WriteContext, ann: AnnotationRecord) -> list[dict[str, Any]]:
    shape, label, group = ann.shape, ann.label, ann.group
    rule = ctx.tally.rule(label, shape.kind)
    if rule.action == DROPPED:
        return []
    attrs = dict(ann.attributes)
    description = attrs.get("description")
    if isinstance(description, str) and description:  # else it stays an attribute, as it was
        del attrs["description"]
    else:
        description = ""
    if isinstance(shape, Box):
        out = [_shape(label, ((shape.x, shape.y), (shape.x + shape.w, shape.y + shape.h)),
                      "rectangle", group, description)]
    elif isinstance(shape, RotatedBox):
        kind = "oriented_rectangle" if rule.action == NATIVE else "polygon"
        out = [_shape(label, shape.corners(), kind, group, description)]
    elif isinstance(shape, Polygon):
        out = [_shape(label, shape.points, "polygon", group, description)]
    elif isinstance(shape, Polyline):
        out = [_shape(label, shape.points, "linestrip", group, description)]
    elif isinstance(shape, Points):
        out = [_shape(label, [p], "point", group, description) for p in shape.points]
    elif isinstance(shape, Keypoints):
        names = ctx.by_name[label].keypoint_names
        out = [_shape(label, [p], "point", group, names[i] if i < len(names) else str(i + 1))
               for i, (p, v) in enumerate(zip(shape.points, shape.visibility, strict=True)) if v]
    else:
        assert isinstance(shape, Mask)
        x0, y0, x1, y1 = (int(v) for v in shape.bounds())
        crop = shape.to_array()[y0:y1, x0:x1]
        out = [_shape(label, ((x0, y0), (x1 - 1, y1 - 1)), "mask", group, description,
                      _png_b64(crop))]
    for entry in out:
        if attrs:
            entry["attributes"] = attrs
        if ann.score is not None:
            entry["score"] = float(ann.score)
    return out


def _document(ctx: WriteContext, item: Item) -> dict[str, Any]:
    image = item.image
    flags: dict[str, bool] = {}
    tag_attrs: dict[str, Any] = {}
    shapes: list[dict[str, Any]] = []
    for ann in item.annotations:
        if isinstance(ann.shape, Tag):
            ctx.tally.rule(ann.label, "tag")
            flags[ann.label] = True
            if ann.attributes:
                tag_attrs[ann.label] = dict(ann.attributes)
            continue
        shapes += _shapes(ctx, ann)
    doc: dict[str, Any] = {"version": VERSION, "flags": flags, "shapes": shapes,
                           "imagePath": posixpath.basename(image.name), "imageData": None,
                           "imageHeight": image.height, "imageWidth": image.width}
    if image.split is not None:
        doc["split"] = image.split
    if tag_attrs:
        doc["flagAttributes"] = tag_attrs
    return doc


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """One labelme JSON per image, next to where the caller copies the image (its name)."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "labelme", classes, options or ExportOptions(), items,
                           progress, cancel)
        for item in items:
            ctx.steps.step(item.image.name)
            if not ctx.check_item(item):
                continue
            out.write_text(f"{basename_stem(item.image.name)}.json",
                           dumps(_document(ctx, item), indent=2) + "\n")
            ctx.place(item.image.name, item.image.name)
        return ctx.finish()


# --------------------------------------------------------------------------- reading


def _points(value: object) -> list[tuple[float, float]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for p in value:
        if (not isinstance(p, list) or len(p) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)):
            return None
        out.append((float(p[0]), float(p[1])))
    return out


def _circle(pts: list[tuple[float, float]]) -> Polygon:
    (cx, cy), (px, py) = pts
    r = math.hypot(px - cx, py - cy)
    return Polygon([(cx + r * math.cos(2 * math.pi * i / _CIRCLE_SIDES),
                     cy + r * math.sin(2 * math.pi * i / _CIRCLE_SIDES))
                    for i in range(_CIRCLE_SIDES)])


class _Reader:
    def __init__(self, root: Path, options: ReadOptions) -> None:
        self.root, self.options = root, options
        self.problems = Problems(options.limits)
        self.labels: set[str] = set()
        self.images: list[ImageRecord] = []
        self.names: set[str] = set()
        self.annotations: list[AnnotationRecord] = []
        self.media: dict[str, str] = {}

    def file(self, rel: str) -> None:
        data = load_json(self.root / rel, self.options.limits, rel)
        if is_export_manifest(data):  # a LabelHub export's manifest.json: no labels in it
            return
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            self.problems.add(rel, None, None, 'not a labelme file (no "shapes" list)')
            return
        name, problem = resolve_relative(posixpath.dirname(rel), data.get("imagePath"))
        if name is None:
            self.problems.add(rel, None, None, problem or "bad image path")
            return
        if name in self.names:
            self.problems.add(rel, name, None, "another JSON file describes the same image")
            return
        self.names.add(name)
        w, h = data.get("imageWidth"), data.get("imageHeight")
        size = image_size_problem(w, h)
        if size:
            self.problems.add(rel, name, None, size)
            return
        if w is None or h is None:
            w, h = (self.options.image_sizes or {}).get(name) or image_size_from_file(
                self.root, name)
        split = data.get("split") if isinstance(data.get("split"), str) else None
        image = ImageRecord(name, None if w is None else int(w),
                            None if h is None else int(h), split)
        self.images.append(image)
        found = find_media(self.root, (name,))
        if found:
            self.media[name] = found
        flags = data.get("flags") if isinstance(data.get("flags"), dict) else {}
        extra = data.get("flagAttributes") if isinstance(data.get("flagAttributes"), dict) else {}
        for label, on in flags.items():
            if on is True:
                self.labels.add(label)
                attrs = extra.get(label) if isinstance(extra.get(label), dict) else {}
                self.annotations.append(AnnotationRecord(name, label, Tag(), dict(attrs)))
        for index, entry in enumerate(data["shapes"]):
            self.shape(rel, image, index, entry)

    def shape(self, rel: str, image: ImageRecord, index: int, entry: object) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            self.problems.add(rel, image.name, index, "a shape needs a label")
            return
        label, kind = entry["label"], entry.get("shape_type") or "polygon"
        pts = _points(entry.get("points"))
        if pts is None:
            self.problems.add(rel, image.name, index, "points must be a list of [x, y] pairs")
            return
        shape = self._geometry(rel, image, index, kind, pts, entry)
        if shape is None or not self.problems.shape(rel, image.name, index, shape,
                                                    image.width, image.height):
            return
        attrs: dict[str, Any] = {}
        if isinstance(entry.get("flags"), dict):
            attrs.update({k: v for k, v in entry["flags"].items() if isinstance(v, bool)})
        if isinstance(entry.get("attributes"), dict):
            attrs.update(entry["attributes"])
        if isinstance(entry.get("description"), str) and entry["description"]:
            attrs["description"] = entry["description"]
        score = entry.get("score")
        group = entry.get("group_id")
        self.labels.add(label)
        self.annotations.append(AnnotationRecord(
            image.name, label, shape, attrs,
            float(score) if isinstance(score, int | float) and not isinstance(score, bool)
            else None,
            group=group if isinstance(group, int) and not isinstance(group, bool) else None))

    def _geometry(self, rel: str, image: ImageRecord, index: int, kind: str,
                  pts: list[tuple[float, float]], entry: dict[str, Any]) -> Shape | None:
        need = {"rectangle": 2, "circle": 2, "line": 2, "point": 1, "oriented_rectangle": 4,
                "mask": 2}
        if kind in need and len(pts) != need[kind]:
            self.problems.add(rel, image.name, index,
                              f"a {kind} needs {need[kind]} points, got {len(pts)}")
            return None
        if kind == "rectangle":
            return Box.from_corners(pts[0][0], pts[0][1], pts[1][0], pts[1][1])
        if kind == "polygon":
            return Polygon(pts)
        if kind in ("linestrip", "line"):
            return Polyline(pts)
        if kind in ("point", "points"):
            return Points(pts)
        if kind == "circle":
            if not all(math.isfinite(v) for p in pts for v in p):
                return Points(pts)  # validation reports the coordinates
            return _circle(pts)
        if kind == "oriented_rectangle":
            return rotated_from_corners(pts)
        if kind == "mask":
            return self._mask(rel, image, index, pts, entry.get("mask"))
        self.problems.add(rel, image.name, index, f"unknown shape_type {kind!r}")
        return None

    def _mask(self, rel: str, image: ImageRecord, index: int,
              pts: list[tuple[float, float]], data: object) -> Shape | None:
        from PIL import Image

        W, H = image.width, image.height
        if W is None or H is None:
            self.problems.add(rel, image.name, index, "a mask needs the image size")
            return None
        try:
            raw = base64.b64decode(data if isinstance(data, str) else "", validate=True)
            with Image.open(io.BytesIO(raw)) as im:
                if im.format != "PNG":
                    raise ValueError("not a PNG")
                if im.width > W or im.height > H:
                    raise ValueError(f"{im.width} x {im.height} is larger than the image")
                bits = np.asarray(im.convert("L")) > 0
        except (binascii.Error, ValueError, OSError) as exc:
            self.problems.add(rel, image.name, index, f"the mask is not a base64 PNG ({exc})")
            return None
        if not all(math.isfinite(v) for v in pts[0]):
            self.problems.add(rel, image.name, index, "the mask origin is not a finite number")
            return None
        x0, y0 = (int(round(v)) for v in pts[0])
        h, w = bits.shape
        if x0 < 0 or y0 < 0 or x0 + w > W or y0 + h > H:
            self.problems.add(rel, image.name, index, "the mask lies outside the image")
            return None
        return Mask(H, W, encode_window(bits, y0, x0, H, W))


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read every labelme JSON under a folder (or one file); ProblemsFound listing every
    problem."""
    opts = as_read_options(options)
    path = Path(path)
    root, files = (path.parent, [path.name]) if path.is_file() else (
        path, walk_files(path, (".json",)))
    if not files:
        raise InvalidInput(f"{path.name}: no labelme JSON file found")
    reader = _Reader(root, opts)
    steps = Steps(progress, cancel, len(files), "import")
    for rel in files:
        steps.step(rel)
        reader.file(rel)
    reader.problems.raise_if_any()
    declared = {c.name: c for c in opts.classes or ()}
    classes = [dataclasses.replace(declared[n], id=i) if n in declared else ClassSpec(i, n)
               for i, n in enumerate(sorted(reader.labels))]
    return finish_document(classes, reader.images, reader.annotations, reader.media)
