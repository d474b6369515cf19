"""Ultralytics YOLO datasets: detect, segment, obb, pose and classify.

Layout written (every task but classify)::

    data.yaml                 path, train/val/test image lists, task, names, kpt_shape, kpt_names
    <split>.txt               the split's images, one "./images/<split>/<name>" per line
    images/<split>/<name>     the image files (the caller copies them: WriteResult.media)
    labels/<split>/<stem>.txt one line per object, coordinates normalised by the image size

Line formats: detect ``c cx cy w h``; segment ``c x1 y1 x2 y2 ...``; obb ``c x1 y1 ... x4 y4``
(the rotated box's corners); pose ``c cx cy w h x1 y1 v1 ...`` (``kpt_shape: [K, 3]``). A
prediction line may end with its confidence (Ultralytics' ``save_conf``), read as the score. The
classify task is the ImageNet folder layout ``<split>/<class>/<name>`` (see ``imagenet``).
Every image gets a label file, empty when it has no object. Images in no split go to
"default". Coordinates are written with ten decimals: exact to 1e-6 px up to 20000 px.

YOLO does not record image sizes: reading needs ``ReadOptions.image_sizes`` or the image
files in ``images/`` (their headers are read with Pillow).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from labelhub.errors import InvalidInput
from labelhub.formats import _yaml, imagenet
from labelhub.formats._common import (
    Problems,
    Steps,
    WriteContext,
    basename_stem,
    finish_document,
    image_size_from_file,
    norm_text,
    split_folder,
    split_from_folder,
    staged,
)
from labelhub.formats._outline import mask_to_polygon_points, min_area_rect, rotated_from_corners
from labelhub.formats.losses import DROPPED, NATIVE, YOLO_TASKS, resolve_yolo_task
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
    StoredAnnotations,
    WriteResult,
    as_read_options,
    count_kinds,
)
from labelhub.formats.safety import IMAGE_SUFFIXES, checked_name, read_text, walk_files
from labelhub.geometry import Box, Keypoints, Mask, Polygon, RotatedBox, Shape

KNOWN_SPLITS = ("train", "val", "valid", "validation", "test", "default")

# --------------------------------------------------------------------------- writing


def _task(options: ExportOptions, items: Iterable[Item]) -> str:
    if options.yolo_task is not None:
        return resolve_yolo_task({}, options)
    if isinstance(items, Sequence):
        return resolve_yolo_task(count_kinds(a for it in items for a in it.annotations))
    raise InvalidInput("writing YOLO from a stream needs ExportOptions.yolo_task "
                       "(plan_export/resolve_yolo_task picks it from the shape counts)")


def _line(index: int, values: Sequence[float]) -> str:
    """A label line as :func:`norm_text` takes it (the whole file goes through it)."""
    if not values:
        return str(index)
    return ("%d\0%.10f" + " %.10f" * (len(values) - 1)) % (index, *values)


#: :func:`_line` of a box's four values.
_DETECT = "%d\0%.10f %.10f %.10f %.10f"


def _box_values(box: Box, w: int, h: int) -> list[float]:
    return [(box.x + box.w / 2) / w, (box.y + box.h / 2) / h, box.w / w, box.h / h]


def _points_values(points: Iterable[tuple[float, float]], w: int, h: int) -> list[float]:
    return [v for x, y in points for v in (x / w, y / h)]


def _kpt_values(kp: Keypoints | None, k: int, w: int, h: int) -> list[float]:
    if kp is None:
        return [0.0] * (3 * k)
    out: list[float] = []
    for (x, y), v in zip(kp.points, kp.visibility, strict=True):
        out += [x / w, y / h, float(v)] if v else [0.0, 0.0, 0.0]
    return out


class _Writer:
    def __init__(self, ctx: WriteContext, task: str) -> None:
        self.ctx = ctx
        self.task = task
        self.lists: dict[str, IO[str]] = {}
        #: The classes whose boxes are written as they are.
        self.boxes_native = frozenset(c.name for c in ctx.classes
                                      if ctx.tally.peek(c.name, "box").action == NATIVE)
        sizes = {len(c.keypoint_names) for c in ctx.classes if c.keypoint_names}
        self.k = sizes.pop() if sizes else 0
        if task == "pose" and not self.k:
            raise InvalidInput("YOLO pose needs a class with named keypoints (kpt_shape)")

    def item(self, item: Item) -> None:
        image = item.image
        folder = split_folder(image.split)
        if folder not in self.lists:
            self.lists[folder] = self.ctx.out.open(f"{folder}.txt")
        self.lists[folder].write(f"./images/{folder}/{image.name}\n")
        self.ctx.place(image.name, f"images/{folder}/{image.name}")
        w, h = int(image.width or 0), int(image.height or 0)
        anns = item.annotations
        if type(anns) is StoredAnnotations and self.task == "detect":
            lines = self.stored_boxes(anns, w, h)
        else:
            lines = None
        if lines is None:
            lines = self.lines(anns, w, h)
        text = norm_text("".join(line + "\n" for line in lines))
        self.ctx.out.write_text(f"labels/{folder}/{basename_stem(image.name)}.txt", text)

    def stored_boxes(self, anns: StoredAnnotations, w: int, h: int) -> list[str] | None:
        """The detect lines of stored annotations that are all boxes, from their numbers
        (no shape or record made); None for anything else."""
        columns = anns.box_columns()
        if columns is not None:
            labels, block, start = columns
            if not self.boxes_native.issuperset(labels):
                return None
            self.ctx.tally.rule_each(labels, "box")
            index = self.ctx.index
            # _box_values() written out, the same arithmetic in the same order
            return [_DETECT % (index[label], (x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h)
                    for label, (x, y, bw, bh)
                    in zip(labels, block.rows()[start:start + len(labels)], strict=True)]
        entries = anns.entries
        if not all(map(itemgetter(2), entries)):
            return None
        labels = list(map(itemgetter(0), entries))
        if not self.boxes_native.issuperset(labels):
            return None
        self.ctx.tally.rule_each(labels, "box")
        index = self.ctx.index
        # _box_values() written out, the same arithmetic in the same order
        return [_line(index[label], ((float(x) + float(bw) / 2) / w,
                                     (float(y) + float(bh) / 2) / h, float(bw) / w, float(bh) / h))
                for label, _g, (x, y, bw, bh), _a, _c in entries]

    def lines(self, anns: Sequence[AnnotationRecord], w: int, h: int) -> list[str]:
        ctx, out = self.ctx, []
        partner: dict[int, int] = {}
        if self.task == "pose":
            for i, ann in enumerate(anns):
                if ann.shape.kind != "keypoints" or ann.group is None:
                    continue
                j = next((j for j, o in enumerate(anns) if j not in partner.values()
                          and o.shape.kind == "box" and o.group == ann.group
                          and o.label == ann.label), None)
                if j is not None:
                    partner[i] = j
        boxes_used = set(partner.values())
        for i, ann in enumerate(anns):
            rule = ctx.tally.rule(ann.label, ann.shape.kind)
            if rule.action == DROPPED or i in boxes_used:
                continue
            index = ctx.index[ann.label]
            values = self.values(ann.shape, anns[partner[i]].shape if i in partner else None,
                                 w, h, ann.image, i)
            if values is not None:
                out.append(_line(index, values))
        return out

    def values(self, shape: Shape, pose_box: Shape | None, w: int, h: int,
               image: str, index: int) -> list[float] | None:
        task = self.task
        if task == "detect":
            box = shape.box()
            assert box is not None
            return _box_values(box, w, h)
        if task == "segment":
            if isinstance(shape, Mask):
                pts = mask_to_polygon_points(shape)
            elif isinstance(shape, Box | RotatedBox):
                pts = list(shape.corners())
            else:
                assert isinstance(shape, Polygon)
                pts = list(shape.points)
            return _points_values(pts, w, h)
        if task == "obb":
            if isinstance(shape, Box):
                rbox = RotatedBox.from_box(shape)
            elif isinstance(shape, Polygon):
                rbox = min_area_rect(shape.points)
            elif isinstance(shape, Mask):
                rbox = min_area_rect(mask_to_polygon_points(shape))
            else:
                assert isinstance(shape, RotatedBox)
                rbox = shape
            if not isinstance(shape, RotatedBox) and rbox.validate(w, h):
                box = shape.box()  # the tightest rectangle would leave the image
                assert box is not None
                rbox = RotatedBox.from_box(box)
            return _points_values(rbox.corners(), w, h)
        # pose
        if isinstance(shape, Keypoints):
            box = pose_box.box() if pose_box is not None else shape.box()
            if box is None:
                self.ctx.problems.add("(export)", image, index,
                                      "keypoints with no labelled point and no box of the same "
                                      "group cannot be written to YOLO pose")
                return None
            return _box_values(box, w, h) + _kpt_values(shape, self.k, w, h)
        box = shape.box()
        assert box is not None
        return _box_values(box, w, h) + _kpt_values(None, self.k, w, h)

    def data_yaml(self) -> str:
        folders = sorted(self.lists)
        train = "train" if "train" in folders else (folders[0] if folders else "train")
        val = "val" if "val" in folders else train
        entries: list[tuple[str, Any]] = [("path", "."), ("train", f"{train}.txt"),
                                          ("val", f"{val}.txt")]
        if "test" in folders:
            entries.append(("test", "test.txt"))
        for f in folders:
            if f not in ("train", "val", "test"):
                entries.append((f, f"{f}.txt"))
        entries.append(("task", self.task))
        entries.append(("nc", len(self.ctx.classes)))
        entries.append(("names", {i: c.name for i, c in enumerate(self.ctx.classes)}))
        if self.task == "pose":
            entries.append(("kpt_shape", [self.k, 3]))
            entries.append(("kpt_names", {i: list(c.keypoint_names)
                                          for i, c in enumerate(self.ctx.classes)
                                          if c.keypoint_names}))
        return "# YOLO dataset written by LabelHub\n" + _yaml.dump(entries)


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write a YOLO dataset of ``options.yolo_task`` into ``out_dir``."""
    options = options or ExportOptions()
    task = _task(options, items)
    if task == "classify":
        return imagenet.write_folders(out_dir, classes, items, options, progress, cancel,
                                      target="yolo-classify", split_level=True)
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, f"yolo-{task}", classes, options, items, progress, cancel)
        writer = _Writer(ctx, task)
        try:
            for item in items:
                ctx.steps.step(item.image.name)
                if ctx.check_item(item):
                    writer.item(item)
        finally:
            for fh in writer.lists.values():
                fh.close()
        out.write_text("data.yaml", writer.data_yaml())
        return ctx.finish()


# --------------------------------------------------------------------------- reading


def _classes(root: Path, options: ReadOptions) -> tuple[list[ClassSpec], dict[Any, Any]]:
    yaml_files = ["data.yaml"] if (root / "data.yaml").is_file() else [
        f for f in walk_files(root, (".yaml", ".yml")) if "/" not in f]
    if yaml_files:
        rel = yaml_files[0]
        try:
            data = _yaml.parse(read_text(root / rel, options.limits, rel))
        except InvalidInput as exc:
            raise InvalidInput(f"{rel}: {exc}") from None
        names = data.get("names")
        if isinstance(names, list):
            names = dict(enumerate(names))
        if not isinstance(names, dict) or not names:
            raise InvalidInput(f"{rel}: no class names (the 'names' key)")
        if sorted(names) != list(range(len(names))):
            raise InvalidInput(f"{rel}: class ids in 'names' must run 0..{len(names) - 1}")
        kpt_names = data.get("kpt_names") if isinstance(data.get("kpt_names"), dict) else {}
        classes = []
        for i in range(len(names)):
            kp = kpt_names.get(i) or ()
            if not isinstance(names[i], str | int) or not str(names[i]):
                raise InvalidInput(f"{rel}: class {i} has no name")
            classes.append(ClassSpec(i, str(names[i]), keypoint_names=tuple(map(str, kp))))
        return classes, data
    for rel in ("classes.txt", "obj.names"):
        if (root / rel).is_file():
            lines = [ln.strip() for ln in read_text(root / rel, options.limits, rel).splitlines()]
            return [ClassSpec(i, n) for i, n in enumerate(ln for ln in lines if ln)], {}
    raise InvalidInput(f"{root.name}: no data.yaml (or classes.txt) with the class names")


def _images(
    root: Path, options: ReadOptions, data: dict[Any, Any]
) -> list[tuple[str, str | None, str, str]]:
    """(name, split, image path, label file path) for every image, paths relative to root."""
    splits = set(KNOWN_SPLITS)
    for key in ("train", "val", "test"):
        if isinstance(data.get(key), str):
            splits.add(Path(data[key]).stem)
    lists = [f for f in walk_files(root, (".txt",)) if "/" not in f and Path(f).stem in splits]
    rels: list[str] = []
    if lists:
        for rel in lists:
            for line in read_text(root / rel, options.limits, rel).splitlines():
                if line.strip():
                    path = checked_name(line.strip(), rel)
                    rels.append(path[len("images/"):] if path.startswith("images/") else path)
    elif (root / "images").is_dir():
        rels = walk_files(root / "images", IMAGE_SUFFIXES)
    elif (root / "labels").is_dir():
        rels = [basename_stem(f) for f in walk_files(root / "labels", (".txt",))]
    out = []
    for rel in rels:
        head, sep, rest = rel.partition("/")
        if sep and head in splits:
            label = f"labels/{head}/{basename_stem(rest)}.txt"
            out.append((rest, split_from_folder(head), f"images/{rel}", label))
        else:
            out.append((rel, None, f"images/{rel}", f"labels/{basename_stem(rel)}.txt"))
    return out


class _Reader:
    def __init__(self, root: Path, options: ReadOptions, classes: list[ClassSpec],
                 data: dict[Any, Any]) -> None:
        self.root, self.options, self.classes = root, options, classes
        self.problems = Problems(options.limits)
        task = options.yolo_task or data.get("task")
        if task is not None and task not in YOLO_TASKS:
            raise InvalidInput(f"unknown YOLO task {task!r}")
        self.task = task
        shape = data.get("kpt_shape")
        self.k, self.dims = 0, 3
        if shape is not None:
            if (not isinstance(shape, list) or len(shape) != 2 or not all(
                    isinstance(v, int) for v in shape) or shape[0] < 1 or shape[1] not in (2, 3)):
                raise InvalidInput(f"data.yaml: kpt_shape must be [K, 2 or 3], got {shape!r}")
            self.k, self.dims = shape
        self.annotations: list[AnnotationRecord] = []

    def size(self, name: str, media: str) -> tuple[int | None, int | None]:
        if self.options.image_sizes and name in self.options.image_sizes:
            w, h = self.options.image_sizes[name]
            return int(w), int(h)
        return image_size_from_file(self.root, media)

    def labels(self, rel: str, image: ImageRecord) -> None:
        text = read_text(self.root / rel, self.options.limits, rel)
        w, h = image.width, image.height
        for index, line in enumerate(ln for ln in text.splitlines() if ln.strip()):
            if w is None or h is None:
                self.problems.add(rel, image.name, None, "the image size is not known (pass "
                                  "image sizes or include the image files)")
                return
            tokens = line.split()
            try:
                values = [float(t) for t in tokens[1:]]
                cls = float(tokens[0])
            except ValueError:
                self.problems.add(rel, image.name, index, f"not numbers: {line.strip()!r}")
                continue
            if not cls.is_integer() or not 0 <= cls < len(self.classes):
                self.problems.add(rel, image.name, index, f"unknown class id {tokens[0]}")
                continue
            label = self.classes[int(cls)].name
            values, score = self.confidence(values)
            if score is not None and not 0.0 <= score <= 1.0:
                self.problems.add(rel, image.name, index, f"the confidence {score:g} (the last "
                                  "value) is not between 0 and 1")
                continue
            shapes = self.shapes(values, w, h, rel, image.name, index)
            group = index if len(shapes) > 1 else None
            for shape in shapes:
                if self.problems.shape(rel, image.name, index, shape, w, h):
                    self.annotations.append(AnnotationRecord(image.name, label, shape,
                                                             score=score, group=group))

    def confidence(self, v: list[float]) -> tuple[list[float], float | None]:
        """Split off the confidence a prediction line ends with (Ultralytics' ``save_conf``):
        one value more than the task's object has."""
        n = len(v)
        pose = bool(self.k) and self.task in (None, "pose")
        if ((pose and n == 5 + self.k * self.dims)
                or (n == 5 and self.task not in ("obb", "pose"))
                or (n == 9 and self.task == "obb")
                or (n >= 7 and n % 2 == 1 and self.task in (None, "segment", "detect")
                    and not (pose and n == 4 + self.k * self.dims))):
            return v[:-1], v[-1]
        return v, None

    def shapes(self, v: list[float], w: int, h: int, rel: str, name: str,
               index: int) -> list[Shape]:
        n = len(v)
        if self.k and n == 4 + self.k * self.dims and self.task in (None, "pose"):
            cx, cy, bw, bh = v[0] * w, v[1] * h, v[2] * w, v[3] * h
            box = Box(cx - bw / 2, cy - bh / 2, bw, bh)
            pts, vis = [], []
            for j in range(self.k):
                x, y = v[4 + j * self.dims] * w, v[5 + j * self.dims] * h
                flag = v[6 + j * self.dims] if self.dims == 3 else (0 if x == y == 0 else 2)
                pts.append((x, y) if flag else (0.0, 0.0))
                vis.append(int(flag) if float(flag).is_integer() else -1)
            kp = Keypoints(pts, vis)
            if kp.num_labelled == 0:
                return [box]
            own = kp.box()
            if own is not None and all(abs(a - b) <= 1e-5 for a, b in
                                       zip(own.xyxy(), box.xyxy(), strict=True)):
                return [kp]
            return [kp, box]
        if n == 4 and self.task != "obb":
            cx, cy, bw, bh = v[0] * w, v[1] * h, v[2] * w, v[3] * h
            return [Box(cx - bw / 2, cy - bh / 2, bw, bh)]
        if n == 8 and self.task == "obb":
            corners = [(v[i] * w, v[i + 1] * h) for i in range(0, 8, 2)]
            if all(math.isfinite(c) for p in corners for c in p):
                return [rotated_from_corners(corners)]
            return [Polygon(corners)]
        if n >= 6 and n % 2 == 0 and self.task in (None, "segment", "detect"):
            return [Polygon([(v[i] * w, v[i + 1] * h) for i in range(0, n, 2)])]
        self.problems.add(rel, name, index, f"{n + 1} values do not make a "
                          f"{self.task or 'YOLO'} object")
        return []


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a YOLO dataset folder (any task; classify when it has class folders and no
    data.yaml names / labels)."""
    opts = as_read_options(options)
    root = Path(path)
    if root.is_file():
        root = root.parent
    if opts.yolo_task == "classify" or (not (root / "labels").is_dir()
                                         and not (root / "data.yaml").is_file()):
        return imagenet.read_folders(root, opts, progress, cancel, split_level=True)
    classes, data = _classes(root, opts)
    reader = _Reader(root, opts, classes, data)
    entries = _images(root, opts, data)
    steps = Steps(progress, cancel, len(entries), "import")
    images, media, seen, labelled = [], {}, set(), set()
    for name, split, image_rel, label_rel in entries:
        steps.step(name)
        if name in seen:
            reader.problems.add(image_rel, name, None, "the image is listed twice")
            continue
        seen.add(name)
        w, h = reader.size(name, image_rel)
        image = ImageRecord(name, w, h, split)
        images.append(image)
        if (root / image_rel).is_file():
            media[name] = image_rel
        labelled.add(label_rel)
        if (root / label_rel).is_file():
            reader.labels(label_rel, image)
    if (root / "labels").is_dir():
        for rel in walk_files(root / "labels", (".txt",)):
            if f"labels/{rel}" not in labelled:
                reader.problems.add(f"labels/{rel}", None, None,
                                    "labels for an image that is not in the dataset")
    steps.check()
    reader.problems.raise_if_any()
    with_keypoints = {a.label for a in reader.annotations if a.shape.kind == "keypoints"}
    classes = [dataclasses.replace(c, keypoint_names=tuple(str(i + 1) for i in range(reader.k)))
               if c.name in with_keypoints and not c.keypoint_names else c for c in classes]
    return finish_document(classes, images, reader.annotations, media)

