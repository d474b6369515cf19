"""Datumaro JSON (format version 1.0): ``annotations/<split>.json`` per split.

Each file holds ``categories`` (``label``: the classes in order with their attribute names;
``points``: keypoint names and 1-based ``joints`` per class; ``mask``: the class colours) and
``items`` (``id``, ``image`` with ``path`` and ``size`` [height, width], ``annotations``).
Annotations: ``bbox`` [x, y, w, h] (a rotated box is its unrotated bbox with a ``rotation``
attribute, as Datumaro's CVAT support stores it), ``polygon`` / ``polyline`` flat ``points``,
``points`` with ``visibility`` (keypoints when the class has a skeleton), ``mask`` as compressed
COCO RLE and ``label`` for image tags. Scores and crowd flags are the ``score`` and
``is_crowd`` attributes. Items are written as a stream. The caller copies images to
``images/<split>/<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

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
    split_folder,
    split_from_folder,
    staged,
)
from labelhub.formats.losses import DROPPED
from labelhub.formats.model import (
    AnnotationRecord,
    AttributeSpec,
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
from labelhub.formats.safety import load_json, name_problem, walk_files
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

FORMAT_VERSION = "1.0"
_MEDIA_IMAGE = 2

# --------------------------------------------------------------------------- writing


def _categories(classes: Sequence[ClassSpec]) -> dict[str, Any]:
    cats: dict[str, Any] = {"label": {
        "labels": [{"name": c.name, "parent": "", "attributes": [a.name for a in c.attributes]}
                   for c in classes],
        "label_groups": [], "attributes": []}}
    points = [{"label_id": i, "labels": list(c.keypoint_names),
               "joints": [[a + 1, b + 1] for a, b in c.skeleton]}
              for i, c in enumerate(classes) if c.keypoint_names]
    if points:
        cats["points"] = {"items": points}
    colors = []
    for i, c in enumerate(classes):
        if c.color and len(c.color) == 7 and c.color.startswith("#"):
            try:
                r, g, b = (int(c.color[k:k + 2], 16) for k in (1, 3, 5))
            except ValueError:
                continue
            colors.append({"label_id": i, "r": r, "g": g, "b": b})
    if colors:
        cats["mask"] = {"colormap": colors}
    return cats


def _annotation(ctx: WriteContext, ann: AnnotationRecord, number: int) -> dict[str, Any]:
    attrs = dict(ann.attributes)
    if ann.score is not None:
        attrs["score"] = float(ann.score)
    if ann.iscrowd:
        attrs["is_crowd"] = True
    entry: dict[str, Any] = {"id": number, "attributes": attrs, "group": ann.group or 0,
                             "label_id": ctx.index[ann.label]}
    shape = ann.shape
    if isinstance(shape, Tag):
        entry["type"] = "label"
        return entry
    entry["z_order"] = 0
    if isinstance(shape, Box):
        entry.update(type="bbox", bbox=[shape.x, shape.y, shape.w, shape.h])
    elif isinstance(shape, RotatedBox):
        attrs["rotation"] = shape.angle
        entry.update(type="bbox", bbox=[shape.cx - shape.w / 2, shape.cy - shape.h / 2,
                                        shape.w, shape.h])
    elif isinstance(shape, Polygon | Polyline):
        entry.update(type=shape.kind, points=[v for p in shape.points for v in p])
    elif isinstance(shape, Points | Keypoints):
        vis = list(shape.visibility) if isinstance(shape, Keypoints) else [2] * len(shape.points)
        entry.update(type="points", points=[v for p in shape.points for v in p],
                     visibility=vis)
    else:
        assert isinstance(shape, Mask)
        entry.update(type="mask", rle=shape.to_coco_rle())
    return entry


class _SplitFile:
    def __init__(self, ctx: WriteContext, split: str | None) -> None:
        self.folder = split_folder(split)
        self.fh: IO[str] = ctx.out.open(f"annotations/{self.folder}.json")
        self.count = 0
        self.ids: set[str] = set()
        self.fh.write(f'{{"dm_format_version":"{FORMAT_VERSION}","media_type":{_MEDIA_IMAGE},'
                      f'"infos":{{}},\n"categories":{dumps(_categories(ctx.classes))},\n'
                      '"items":[')

    def item(self, entry: dict[str, Any]) -> None:
        self.fh.write(("\n" if self.count == 0 else ",\n") + dumps(entry))
        self.count += 1

    def close(self) -> None:
        self.fh.write("\n]}\n")
        self.fh.close()


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write Datumaro JSON files into ``out_dir`` (see the module documentation)."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "datumaro", classes, options or ExportOptions(), items,
                           progress, cancel)
        files: dict[str | None, _SplitFile] = {}
        try:
            for item in items:
                ctx.steps.step(item.image.name)
                if not ctx.check_item(item):
                    continue
                image = item.image
                split = files.get(image.split) or files.setdefault(
                    image.split, _SplitFile(ctx, image.split))
                item_id = basename_stem(image.name)
                if item_id in split.ids:
                    ctx.problems.add("(export)", image.name, None, f"another image of the split "
                                     f"has the Datumaro id {item_id!r} (the name less its "
                                     "extension)")
                    continue
                split.ids.add(item_id)
                anns = []
                for ann in item.annotations:
                    if ctx.tally.rule(ann.label, ann.shape.kind).action != DROPPED:
                        anns.append(_annotation(ctx, ann, len(anns) + 1))
                entry: dict[str, Any] = {"id": item_id, "annotations": anns,
                                         "image": {"path": image.name,
                                                   "size": [image.height, image.width]}}
                if image.metadata:
                    entry["attr"] = dict(image.metadata)
                split.item(entry)
                ctx.place(image.name, f"images/{split.folder}/{image.name}")
        finally:
            for f in files.values():
                if not f.fh.closed:
                    f.close()
        return ctx.finish()


# --------------------------------------------------------------------------- reading


def _flat_points(value: object) -> list[tuple[float, float]] | None:
    if not isinstance(value, list) or len(value) % 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    return [(float(value[i]), float(value[i + 1])) for i in range(0, len(value), 2)]


class _Reader:
    def __init__(self, root: Path, options: ReadOptions) -> None:
        self.root, self.options = root, options
        self.problems = Problems(options.limits)
        self.classes: list[ClassSpec] | None = None
        self.images: list[ImageRecord] = []
        self.names: set[str] = set()
        self.annotations: list[AnnotationRecord] = []
        self.media: dict[str, str] = {}

    def categories(self, rel: str, cats: object) -> list[ClassSpec]:
        if not isinstance(cats, dict):
            raise InvalidInput(f'{rel}: "categories" must be an object')
        labels = (cats.get("label") or {}).get("labels") or []
        points = {p.get("label_id"): p for p in (cats.get("points") or {}).get("items") or []
                  if isinstance(p, dict)}
        colors = {c.get("label_id"): c for c in (cats.get("mask") or {}).get("colormap") or []
                  if isinstance(c, dict)}
        declared = {c.name: c for c in self.options.classes or ()}
        out = []
        for i, lab in enumerate(labels):
            if not isinstance(lab, dict) or not isinstance(lab.get("name"), str):
                raise InvalidInput(f"{rel}: label {i} has no name")
            name = lab["name"]
            kp = points.get(i, {})
            names = tuple(str(n) for n in kp.get("labels") or ())
            joints = []
            for j in kp.get("joints") or []:
                if (not isinstance(j, list) or len(j) != 2 or not all(
                        isinstance(v, int) and 1 <= v <= len(names) for v in j)):
                    raise InvalidInput(f"{rel}: label {name!r} has a bad joint {j!r}")
                joints.append((j[0] - 1, j[1] - 1))
            col = colors.get(i)
            color = None
            if col and all(isinstance(col.get(k), int) and 0 <= col[k] < 256 for k in "rgb"):
                color = "#{:02x}{:02x}{:02x}".format(col["r"], col["g"], col["b"])
            attrs = declared[name].attributes if name in declared else tuple(
                AttributeSpec(str(a)) for a in lab.get("attributes") or ())
            out.append(ClassSpec(i, name, color, keypoint_names=names, skeleton=tuple(joints),
                                 attributes=attrs))
        return out

    def file(self, rel: str, split: str | None) -> None:
        data = load_json(self.root / rel, self.options.limits, rel)
        if is_export_manifest(data):  # a LabelHub export's manifest.json: no labels in it
            return
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise InvalidInput(f'{rel}: not a Datumaro file (no "items" list)')
        version = data.get("dm_format_version", "legacy")
        if version not in (FORMAT_VERSION, "legacy"):
            raise InvalidInput(f"{rel}: Datumaro format version {version!r} is not supported")
        classes = self.categories(rel, data.get("categories", {}))
        if self.classes is None:
            self.classes = classes
        elif [c.name for c in classes] != [c.name for c in self.classes]:
            raise InvalidInput(f"{rel}: the labels differ from those of the other splits")
        for entry in data["items"]:
            self.item(rel, split, entry)

    def item(self, rel: str, split: str | None, entry: object) -> None:
        if not isinstance(entry, dict):
            self.problems.add(rel, None, None, "an item must be an object")
            return
        info = entry.get("image") if isinstance(entry.get("image"), dict) else {}
        name = info.get("path") or entry.get("id")
        problem = name_problem(name)
        if problem:
            self.problems.add(rel, str(name), None, problem)
            return
        if name in self.names:
            self.problems.add(rel, name, None, "the image is listed twice")
            return
        self.names.add(name)
        size = info.get("size")
        h = w = None
        if isinstance(size, list) and len(size) == 2:
            h, w = size
            problem = image_size_problem(w, h)
            if problem:
                self.problems.add(rel, name, None, problem)
                return
        folder = split_folder(split)
        if w is None or h is None:
            w, h = (self.options.image_sizes or {}).get(name) or image_size_from_file(
                self.root, f"images/{folder}/{name}")
        image = ImageRecord(name, None if w is None else int(w), None if h is None else int(h),
                            split, metadata=dict(entry.get("attr") or {}))
        self.images.append(image)
        found = find_media(self.root, (f"images/{folder}/{name}", f"images/{name}"))
        if found:
            self.media[name] = found
        anns = entry.get("annotations") or []
        for index, ann in enumerate(anns if isinstance(anns, list) else [anns]):
            self.annotation(rel, image, index, ann)

    def annotation(self, rel: str, image: ImageRecord, index: int, ann: object) -> None:
        assert self.classes is not None
        if not isinstance(ann, dict):
            self.problems.add(rel, image.name, index, "an annotation must be an object")
            return
        lid = ann.get("label_id")
        if not isinstance(lid, int) or isinstance(lid, bool) or not 0 <= lid < len(self.classes):
            self.problems.add(rel, image.name, index, f"unknown label id {lid!r}")
            return
        cls = self.classes[lid]
        attrs = dict(ann.get("attributes") or {})
        shape = self.shape(rel, image, index, ann, cls, attrs)
        if shape is None or not self.problems.shape(rel, image.name, index, shape,
                                                    image.width, image.height):
            return
        score = attrs.pop("score", None)
        crowd = attrs.pop("is_crowd", False)
        group = ann.get("group")
        self.annotations.append(AnnotationRecord(
            image.name, cls.name, shape, attrs,
            float(score) if isinstance(score, int | float) and not isinstance(score, bool)
            else None, crowd is True,
            group if isinstance(group, int) and not isinstance(group, bool) and group else None))

    def shape(self, rel: str, image: ImageRecord, index: int, ann: dict[str, Any],
              cls: ClassSpec, attrs: dict[str, Any]) -> Shape | None:
        kind = ann.get("type")
        try:
            if kind == "label":
                return Tag()
            if kind == "bbox":
                bbox = ann.get("bbox")
                if not isinstance(bbox, list) or len(bbox) != 4:
                    raise InvalidInput("bbox must be [x, y, w, h]")
                box = Box(*bbox)
                if "rotation" in attrs:
                    angle = attrs.pop("rotation")
                    return RotatedBox(box.x + box.w / 2, box.y + box.h / 2, box.w, box.h, angle)
                return box
            if kind in ("polygon", "polyline", "points"):
                pts = _flat_points(ann.get("points"))
                if pts is None:
                    raise InvalidInput("points must be a flat list of x, y numbers")
                if kind == "polygon":
                    return Polygon(pts)
                if kind == "polyline":
                    return Polyline(pts)
                vis = ann.get("visibility")
                vis = [2] * len(pts) if vis is None else vis
                if not isinstance(vis, list) or len(vis) != len(pts):
                    raise InvalidInput("visibility must hold one flag per point")
                if cls.keypoint_names and len(pts) != len(cls.keypoint_names):
                    raise InvalidInput(f"{len(pts)} keypoints, but label {cls.name!r} names "
                                       f"{len(cls.keypoint_names)}")
                if cls.keypoint_names or any(v != 2 for v in vis):
                    return Keypoints(pts, vis)
                return Points(pts)
            if kind == "mask":
                return Mask.from_coco_rle(ann.get("rle") or {})
        except InvalidInput as exc:
            self.problems.add(rel, image.name, index, str(exc))
            return None
        self.problems.add(rel, image.name, index, f"unsupported annotation type {kind!r}")
        return None


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a Datumaro folder (``annotations/*.json``, the split being the file name) or one
    Datumaro JSON file; ProblemsFound listing every problem."""
    opts = as_read_options(options)
    path = Path(path)
    if path.is_file():
        root, rels = path.parent, [path.name]
        if root.name == "annotations":
            root, rels = root.parent, [f"annotations/{path.name}"]
    else:
        root = path
        rels = [f"annotations/{f}" for f in walk_files(path / "annotations", (".json",))
                if "/" not in f] if (path / "annotations").is_dir() else []
        if not rels:
            raise InvalidInput(f"{path.name}: no annotations/*.json Datumaro file found")
    reader = _Reader(root, opts)
    steps = Steps(progress, cancel, len(rels), "import")
    for rel in rels:
        steps.step(rel)
        reader.file(rel, split_from_folder(Path(rel).stem))
    reader.problems.raise_if_any()
    return finish_document(reader.classes or [], reader.images, reader.annotations, reader.media)
