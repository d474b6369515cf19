"""Reading COCO JSON (see :mod:`labelhub.formats.coco` for the layout and the shapes): a
dataset file, a folder of ``annotations/*.json``, or a results list (detections with scores)
given the ground-truth file whose ids it uses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Problems,
    Steps,
    find_media,
    finish_document,
    image_size_problem,
    is_export_manifest,
    split_folder,
    split_from_folder,
)
from labelhub.formats.model import (
    AnnotationRecord,
    CancelFlag,
    ClassSpec,
    ImageRecord,
    LabelDocument,
    Progress,
    ReadOptions,
    as_read_options,
)
from labelhub.formats.safety import load_json, name_problem, walk_files
from labelhub.geometry import Box, Keypoints, Mask, Polygon, Shape

# --------------------------------------------------------------------------- reading


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _numbers(value: object, count: int | None = None) -> list[float] | None:
    if not isinstance(value, list) or (count is not None and len(value) != count):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    return [float(v) for v in value]


class _Reader:
    def __init__(self, root: Path, options: ReadOptions, steps: Steps) -> None:
        self.root = root
        self.options = options
        self.steps = steps
        self.problems = Problems(options.limits)
        self.classes: dict[int, ClassSpec] = {}
        self.images: list[ImageRecord] = []
        self.names: set[str] = set()
        self.annotations: list[AnnotationRecord] = []
        self.media: dict[str, str] = {}

    # categories and images ------------------------------------------------------------

    def categories(self, file: str, cats: object) -> dict[int, ClassSpec]:
        local: dict[int, ClassSpec] = {}
        if not isinstance(cats, list):
            self.problems.add(file, None, None, '"categories" must be a list')
            return local
        for cat in cats:
            cid = _int(cat.get("id")) if isinstance(cat, dict) else None
            name = cat.get("name") if isinstance(cat, dict) else None
            if cid is None or not isinstance(name, str) or not name:
                self.problems.add(file, None, None, f"category {cat!r} needs an id and a name")
                continue
            kp = cat.get("keypoints") or []
            skeleton = cat.get("skeleton") or []
            if not (isinstance(kp, list) and all(isinstance(k, str) for k in kp)):
                self.problems.add(file, None, None, f"category {name!r}: bad keypoint names")
                kp = []
            pairs: list[tuple[int, int]] = []
            for edge in skeleton if isinstance(skeleton, list) else [skeleton]:
                ends = [_int(e) for e in edge] if isinstance(edge, list) else []
                if len(ends) != 2 or any(e is None or not 1 <= e <= len(kp) for e in ends):
                    self.problems.add(file, None, None,
                                      f"category {name!r}: skeleton edge {edge!r} is not a "
                                      f"pair of keypoint numbers 1..{len(kp)}")
                    continue
                pairs.append((ends[0] - 1, ends[1] - 1))  # type: ignore[operator]
            spec = ClassSpec(cid, name, keypoint_names=tuple(kp), skeleton=tuple(pairs))
            if cid in local:
                self.problems.add(file, None, None, f"category id {cid} is used twice")
                continue
            known = self.classes.get(cid)
            if known is not None and known.name != name:
                self.problems.add(file, None, None, f"category id {cid} is {name!r} here "
                                  f"but {known.name!r} in another file")
                continue
            if any(c.name == name and c.id != cid for c in self.classes.values()):
                self.problems.add(file, None, None, f"category {name!r} has two ids")
                continue
            local[cid] = self.classes.setdefault(cid, spec)
        return local

    def images_of(self, file: str, entries: object, split: str | None) -> dict[int, ImageRecord]:
        local: dict[int, ImageRecord] = {}
        if not isinstance(entries, list):
            self.problems.add(file, None, None, '"images" must be a list')
            return local
        for entry in entries:
            if not isinstance(entry, dict):
                self.problems.add(file, None, None, f"image entry {entry!r} is not an object")
                continue
            iid, name = _int(entry.get("id")), entry.get("file_name")
            problem = name_problem(name)
            if iid is None or problem:
                self.problems.add(file, str(name), None, problem or "the image has no id")
                continue
            w, h = entry.get("width"), entry.get("height")
            size = image_size_problem(w, h)
            if size or w is None or h is None:
                self.problems.add(file, name, None, size or "the image has no width or height")
                continue
            if iid in local:
                self.problems.add(file, name, None, f"image id {iid} is used twice")
                continue
            if name in self.names:
                self.problems.add(file, name, None, "the image is listed twice")
                continue
            record = ImageRecord(name, int(w), int(h), split)
            self.names.add(name)
            local[iid] = record
            self.images.append(record)
            folder = split_folder(split)
            found = find_media(self.root, (f"images/{folder}/{name}", f"images/{name}", name))
            if found:
                self.media[name] = found
        return local

    # annotations ----------------------------------------------------------------------

    def annotations_of(self, file: str, entries: object, images: Mapping[int, ImageRecord],
                       cats: Mapping[int, ClassSpec], results: bool = False) -> None:
        if not isinstance(entries, list):
            self.problems.add(file, None, None, '"annotations" must be a list')
            return
        for index, ann in enumerate(entries):
            if index % 1000 == 0:
                self.steps.check()
            if not isinstance(ann, dict):
                self.problems.add(file, None, index, "an annotation must be an object")
                continue
            image = images.get(_int(ann.get("image_id")))  # type: ignore[arg-type]
            if image is None:
                self.problems.add(file, None, index,
                                  f"annotation refers to image id {ann.get('image_id')!r}, "
                                  "which is not among the images")
                continue
            cls = cats.get(_int(ann.get("category_id")))  # type: ignore[arg-type]
            if cls is None:
                self.problems.add(file, image.name, index,
                                  f"unknown category id {ann.get('category_id')!r}")
                continue
            self._annotation(file, index, ann, image, cls, results)

    def _annotation(self, file: str, index: int, ann: dict[str, Any], image: ImageRecord,
                    cls: ClassSpec, results: bool) -> None:
        shapes: list[Shape] = []
        kp = ann.get("keypoints")
        keypoints: Keypoints | None = None
        if kp:
            values = _numbers(kp)
            if values is None or len(values) % 3:
                self.problems.add(file, image.name, index,
                                  "keypoints must be a flat list of x, y, visibility triples")
                return
            if cls.keypoint_names and len(values) // 3 != len(cls.keypoint_names):
                self.problems.add(file, image.name, index,
                                  f"{len(values) // 3} keypoints, but category {cls.name!r} "
                                  f"names {len(cls.keypoint_names)}")
                return
            keypoints = Keypoints.from_flat(values)
        segmentation = ann.get("segmentation")
        outline = self._segmentation(file, index, segmentation, image) if segmentation else None
        if segmentation and outline is None:
            return
        bbox = ann.get("bbox")
        box = None
        if bbox is not None:
            values = _numbers(bbox, 4)
            if values is None:
                self.problems.add(file, image.name, index, "bbox must be [x, y, width, height]")
                return
            box = Box(*values)
        if keypoints is not None:
            shapes.append(keypoints)
        if outline is not None:
            shapes.append(outline)
        elif box is not None and not (keypoints is not None and _same_box(box, keypoints)):
            shapes.append(box)
        if not shapes:
            self.problems.add(file, image.name, index, "the annotation has no geometry")
            return
        score = ann.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            self.problems.add(file, image.name, index, f"score must be a number, got {score!r}")
            return
        if results and score is None:
            self.problems.add(file, image.name, index, "a detection result needs a score")
            return
        attrs = ann.get("attributes") if isinstance(ann.get("attributes"), dict) else {}
        group = _int(ann.get("id")) if len(shapes) > 1 else None
        for shape in shapes:
            if not self.problems.shape(file, image.name, index, shape, image.width, image.height):
                return
        for shape in shapes:
            self.annotations.append(AnnotationRecord(
                image.name, cls.name, shape, dict(attrs),
                None if score is None else float(score), bool(ann.get("iscrowd")), group))

    def _segmentation(self, file: str, index: int, seg: object,
                      image: ImageRecord) -> Shape | None:
        try:
            if isinstance(seg, dict):
                return Mask.from_coco_rle(seg)
            if isinstance(seg, list):
                parts = [_numbers(p) for p in seg]
                if any(p is None or len(p) % 2 or len(p) < 6 for p in parts):
                    raise InvalidInput("a polygon part must list at least 3 x, y pairs")
                polys = [[(p[i], p[i + 1]) for i in range(0, len(p), 2)]
                         for p in parts if p is not None]
                if len(polys) == 1:
                    return Polygon(polys[0])
                bad = [q for poly in polys for q in poly if not all(map(math.isfinite, q))]
                if bad:
                    raise InvalidInput("a polygon has a coordinate that is not a finite number")
                return Mask.from_polygons(polys, image.height or 0, image.width or 0)
            raise InvalidInput("segmentation must be a list of polygons or an RLE object")
        except InvalidInput as exc:
            self.problems.add(file, image.name, index, str(exc))
            return None


def _same_box(box: Box, keypoints: Keypoints) -> bool:
    own = keypoints.box()
    if own is None:  # no keypoint labelled: the writer gives such keypoints a zero bbox
        return box.xyxy() == (0.0, 0.0, 0.0, 0.0)
    scale = max(abs(v) for v in (box.x, box.y, box.w, box.h, 1.0))
    return all(abs(a - b) <= 1e-9 * scale for a, b in zip(box.xyxy(), own.xyxy(), strict=True))


def _annotation_files(path: Path) -> tuple[Path, list[str]]:
    if path.is_file():
        return path.parent, [path.name]
    folder = "annotations/" if (path / "annotations").is_dir() else ""
    files = [f for f in walk_files(path / folder if folder else path, (".json",))
             if "/" not in f]
    if not files:
        raise InvalidInput(f"{path}: no COCO JSON file found")
    return path, [folder + f for f in files]


def _split_of(rel: str) -> str | None:
    stem = Path(rel).stem
    return split_from_folder(stem.rsplit("_", 1)[-1])


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a COCO file, or every ``annotations/*.json`` of a COCO folder (the split is the
    part of the file name after the last "_"); ProblemsFound listing every problem."""
    opts = as_read_options(options)
    root, rels = _annotation_files(Path(path))
    steps = Steps(progress, cancel, len(rels), "import")
    reader = _Reader(root, opts, steps)
    for rel in rels:
        steps.step(rel)
        data = load_json(root / rel, opts.limits, rel)
        if is_export_manifest(data):  # a LabelHub export's manifest.json: no labels in it
            continue
        if isinstance(data, list):
            _read_results_into(reader, rel, data, opts)
            continue
        if not isinstance(data, dict):
            raise InvalidInput(f"{rel}: a COCO file must hold a JSON object")
        cats = reader.categories(rel, data.get("categories", []))
        images = reader.images_of(rel, data.get("images", []), _split_of(rel))
        reader.annotations_of(rel, data.get("annotations", []), images, cats)
    steps.check()
    reader.problems.raise_if_any()
    classes = sorted(reader.classes.values(), key=lambda c: c.id)
    return finish_document(classes, reader.images, reader.annotations, reader.media)


def _read_results_into(reader: _Reader, rel: str, data: list[Any], opts: ReadOptions) -> None:
    if not opts.coco_ground_truth:
        raise InvalidInput(f"{rel}: a COCO results list needs the ground-truth file whose ids "
                           "it uses (ReadOptions.coco_ground_truth)")
    gt_path = Path(opts.coco_ground_truth)
    gt = load_json(gt_path, opts.limits, gt_path.name)
    if not isinstance(gt, dict):
        raise InvalidInput(f"{gt_path.name}: a COCO file must hold a JSON object")
    cats = reader.categories(gt_path.name, gt.get("categories", []))
    images = reader.images_of(gt_path.name, gt.get("images", []), _split_of(gt_path.name))
    reader.annotations_of(rel, data, images, cats, results=True)


def read_results(
    results_path: Path,
    ground_truth_path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
) -> LabelDocument:
    """A COCO results list (detections with scores) read against the ground-truth file whose
    image and category ids it uses."""
    opts = as_read_options(options)
    reader = _Reader(Path(results_path).parent, opts, Steps(None, None, 1, "import"))
    data = load_json(Path(results_path), opts.limits, Path(results_path).name)
    if not isinstance(data, list):
        raise InvalidInput(f"{Path(results_path).name}: a COCO results file must hold a list")
    gt_opts = ReadOptions(opts.limits, opts.image_sizes, opts.yolo_task,
                          str(ground_truth_path), opts.classes)
    _read_results_into(reader, Path(results_path).name, data, gt_opts)
    reader.problems.raise_if_any()
    classes = sorted(reader.classes.values(), key=lambda c: c.id)
    return finish_document(classes, reader.images, reader.annotations, reader.media)
