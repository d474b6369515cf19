"""COCO object detection / segmentation / keypoints JSON.

Layout written: ``annotations/instances_<split>.json`` per split ("default" for images in no
split); the caller copies image files to ``images/<split>/<name>`` (``WriteResult.media``),
and ``file_name`` is the image name. Each file is written as a stream (its images and its
annotations each through a scratch file, joined at the end) so memory does not grow with the
dataset.

Shapes: a box is a ``bbox`` with an empty ``segmentation``; a polygon one polygon part; a mask
compressed RLE; keypoints ``keypoints``/``num_keypoints`` against the category's keypoint names
and 1-based ``skeleton``. Keypoints and a box, polygon or mask of the same class and ``group``
on one image are written as one COCO annotation (the person and their pose), and read back as
two annotations sharing a group. Annotation ``attributes`` are kept in an ``attributes`` object
(CVAT's convention) and scores in ``score``.

Reading also accepts a results list (``[{"image_id", "category_id", "score", ...}]``) given the
ground-truth file whose ids it refers to (``ReadOptions.coco_ground_truth``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Output,
    WriteContext,
    dumps,
    split_folder,
    staged,
)
from labelhub.formats.batches import ItemBatch, picker, runs_of
from labelhub.formats.coco_read import read, read_results
from labelhub.formats.losses import DROPPED
from labelhub.formats.model import (
    AnnotationRecord,
    BoxColumns,
    CancelFlag,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    Progress,
    StoredAnnotations,
    WriteResult,
)
from labelhub.geometry import Box, Keypoints, Mask, Polygon, RotatedBox, Shape

__all__ = ["read", "read_results", "write"]

_PAIRABLE = ("box", "polygon", "rotated_box", "mask")
_INF = math.inf

# --------------------------------------------------------------------------- writing


def _category(cls: ClassSpec) -> dict[str, Any]:
    cat: dict[str, Any] = {"id": cls.id, "name": cls.name, "supercategory": ""}
    if cls.keypoint_names:
        cat["keypoints"] = list(cls.keypoint_names)
        cat["skeleton"] = [[a + 1, b + 1] for a, b in cls.skeleton]
    return cat


def _geometry(shape: Shape) -> dict[str, Any]:
    """bbox, area and segmentation of a box, polygon, rotated box or mask."""
    if isinstance(shape, RotatedBox):
        shape = shape.to_polygon()
    if isinstance(shape, Box):
        return {"bbox": [shape.x, shape.y, shape.w, shape.h], "area": shape.area(),
                "segmentation": []}
    if isinstance(shape, Polygon):
        b = shape.box()
        assert b is not None
        flat = [v for p in shape.points for v in p]
        return {"bbox": [b.x, b.y, b.w, b.h], "area": shape.area(), "segmentation": [flat]}
    if isinstance(shape, Mask):
        b = shape.box()
        return {"bbox": [b.x, b.y, b.w, b.h], "area": shape.area(),
                "segmentation": shape.to_coco_rle()}
    raise InvalidInput(f"a {shape.kind} has no COCO geometry")


def _keypoints(shape: Keypoints) -> dict[str, Any]:
    flat: list[float | int] = []
    for (x, y), v in zip(shape.points, shape.visibility, strict=True):
        flat += [x, y, int(v)] if v else [0, 0, 0]
    return {"keypoints": flat, "num_keypoints": shape.num_labelled}


_IMAGE_ENTRY = '{"file_name":%s,"height":%s,"id":%d,"width":%s}'
_json_string = json.encoder.encode_basestring  # what dumps() writes text with (ensure_ascii=False)


#: Written to a scratch file once this many characters have gathered.
_CHUNK = 1 << 16


class _SplitFile:
    """One ``instances_<split>.json`` being streamed: its images and its annotations each into
    a scratch file (written a chunk at a time), joined into the file (and hashed on the way) by
    :meth:`finish`."""

    def __init__(self, ctx: WriteContext, split: str | None) -> None:
        name = split_folder(split)
        self.rel = f"annotations/instances_{name}.json"
        self.folder = name
        self.images_path = ctx.out.scratch(f"coco-{len(name)}-{name}-images.jsonl")
        self.scratch_path = ctx.out.scratch(f"coco-{len(name)}-{name}.jsonl")
        self.scratch_path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[bytes] = open(self.images_path, "wb")
        self.scratch: IO[bytes] = open(self.scratch_path, "wb")
        self.image_texts: list[str] = []
        self.image_pending = 0  # characters in self.image_texts
        self.texts: list[str] = []
        self.pending = 0  # characters in self.texts
        self.gathered: list[tuple[BoxColumns, int]] = []  # boxes not yet made into text
        self.gathered_boxes = 0
        self.image_id = 0
        self.ann_id = 0
        #: Each class's category id as dumps() writes it.
        self.category_text = {c.name: dumps(c.id) for c in ctx.classes}
        #: The classes whose boxes are not written (none: every class's are).
        self.boxes_dropped = frozenset(c.name for c in ctx.classes
                                       if ctx.tally.peek(c.name, "box").action == DROPPED)
        cats = ",\n".join(dumps(_category(c)) for c in sorted(ctx.classes, key=lambda c: c.id))
        self.head = ('{"info":{"description":"LabelHub export"},"licenses":[],\n'
                     f'"categories":[\n{cats}\n],\n"images":[')

    def image(self, image: ImageRecord) -> int:
        self.image_id += 1
        w, h = image.width, image.height
        # dumps() of {"id", "file_name", "width", "height"}, written out for speed
        text = _IMAGE_ENTRY % (_json_string(image.name), h if type(h) is int else dumps(h),
                               self.image_id, w if type(w) is int else dumps(w))
        self.image_texts.append(text)
        self.image_pending += len(text)
        if self.image_pending >= _CHUNK:
            self._flush_images()
        return self.image_id

    def images_run(self, names: list[str], widths: list[int], heights: list[int]) -> range:
        """Write the entries of a run of images (sizes whole numbers), as :meth:`image` would
        each; their ids."""
        ids = range(self.image_id + 1, self.image_id + len(names) + 1)
        self.image_id += len(names)
        text = ",\n".join(map(_IMAGE_ENTRY.__mod__,
                               zip(map(_json_string, names), heights, ids, widths, strict=True)))
        self.image_texts.append(text)
        self.image_pending += len(text)
        if self.image_pending >= _CHUNK:
            self._flush_images()
        return ids

    def _flush_images(self) -> None:
        if self.image_texts:
            lead = "\n" if self.fh.tell() == 0 else ",\n"
            self.fh.write((lead + ",\n".join(self.image_texts)).encode("utf-8"))
            self.image_texts.clear()
            self.image_pending = 0

    def annotations(self, texts: list[str], first_id: int) -> None:
        """Write the entries ``texts`` whose ids run from ``first_id`` (= ``ann_id + 1``)."""
        if texts:
            self._boxes_text()
            self._add(",\n".join(texts), first_id, len(texts))

    def boxes(self, columns: BoxColumns, image_id: int) -> None:
        """Write the entries of boxes without attributes (not crowds) given as columns, each
        :func:`_box_entry`: they are gathered, and made a block at a time by
        :meth:`_boxes_text`, from the texts of their numbers and their areas (computed for a
        whole block at once), without a step per box."""
        n = len(columns.labels)
        if n:
            if self.gathered and self.gathered[-1][0].block is not columns.block:
                self._boxes_text()  # a block is let go of once its boxes are written
            self.gathered.append((columns, image_id))
            self.gathered_boxes += n
            self.ann_id += n

    def _boxes_text(self) -> None:
        """The entries of the boxes gathered, made by one join of their pieces."""
        count = self.gathered_boxes
        if not count:
            return
        first_id = self.ann_id - count + 1
        areas: list[str] = []
        lines: list[str] = []
        categories: list[str] = []
        images: list[str] = []
        category = self.category_text.__getitem__
        for (labels, block, start), image_id in self.gathered:
            end = start + len(labels)
            areas += block.areas()[start:end]
            lines += block.lines[start:end]
            categories += map(category, labels)
            images += [str(image_id)] * len(labels)
        self.gathered.clear()
        self.gathered_boxes = 0
        self._add(_box_texts(areas, lines, categories, images, first_id), first_id, count)

    def box_entries(self, areas: list[str], lines: list[str], labels: Iterable[str],
                    image_ids: list[str]) -> None:
        """Write the entries of boxes from the texts of their areas, numbers (``"x,y,w,h"``)
        and image ids, and their class names (as :meth:`boxes` would)."""
        if lines:
            self._boxes_text()
            first_id = self.ann_id + 1
            categories = list(map(self.category_text.__getitem__, labels))
            self._add(_box_texts(areas, lines, categories, image_ids, first_id), first_id,
                      len(lines))

    def _add(self, text: str, first_id: int, count: int) -> None:
        self.texts.append(text if first_id == 1 else ",\n" + text)
        self.ann_id = first_id + count - 1
        self.pending += len(text)
        if self.pending >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.texts:
            self.scratch.write("".join(self.texts).encode("utf-8"))
            self.texts.clear()
            self.pending = 0

    def close(self) -> None:
        self.fh.close()
        self.scratch.close()

    def finish(self, out: Output) -> None:
        """Write what is pending; then :meth:`join`."""
        self._flush_images()
        self._boxes_text()
        self._flush()
        self.close()

    def join(self, out: Output) -> None:
        """Write the file from its parts (hashing and copying, which hold no lock of Python's:
        the files of several splits are joined at once)."""
        out.write_joined(self.rel, [self.head, self.images_path, "\n],\n" + '"annotations":[\n',
                                    self.scratch_path, "\n]}\n"])
        self.images_path.unlink()
        self.scratch_path.unlink()


def _box_texts(areas: list[str], lines: list[str], categories: list[str], images: list[str],
               first_id: int) -> str:
    """The entries (:func:`_box_entry`, joined by ",\\n") of boxes given as the texts of
    their pieces, with ids from ``first_id``: one join, no step per box."""
    count = len(lines)
    pieces = _BOX_PIECES * count
    pieces[1::11] = areas
    pieces[3::11] = lines
    pieces[5::11] = categories
    pieces[7::11] = map(str, range(first_id, first_id + count))  # type: ignore[assignment]
    pieces[9::11] = images
    pieces[-1] = _BOX_PIECES[-1][:-2]  # no ",\n" after the last
    return "".join(pieces)  # type: ignore[arg-type]


def _write_run(ctx: WriteContext, files: dict[str | None, _SplitFile], run: ItemBatch) -> bool:
    """Write a run of images whole, a column at a time (the same bytes as item by item); False
    (nothing written) when it must go item by item (see :meth:`WriteContext.accept_batch`)."""
    if not ctx.accept_batch(run, ctx.boxes_dropped):
        return False
    names, splits, counts, labels = run.names, run.splits, run.counts, run.labels
    start, end = run.start, run.start + len(labels)
    order = list(dict.fromkeys(splits))
    folders: list[str] = []
    for split in order:
        f = files.get(split) or files.setdefault(split, _SplitFile(ctx, split))
        folders.append(f"images/{f.folder}/")
    if len(order) == 1:
        f = files[splits[0]]
        ids = f.images_run(names, run.widths, run.heights)  # type: ignore[arg-type]
        f.box_entries(run.block.area_texts(start, end), run.block.lines[start:end], labels,
                      _repeat_ids(ids, counts))
        ctx.media.place_run(names, [folders[0]] * len(names))
        return True
    # Several splits: the images and the boxes put in split order (each split's in run order)
    # by one stable sort each, then each split's taken as a slice.
    codes = np.fromiter(map({split: i for i, split in enumerate(order)}.__getitem__, splits),
                        np.intp, len(splits))
    box_codes = np.repeat(codes, counts)
    item_order, box_order = np.argsort(codes, kind="stable"), np.argsort(box_codes, kind="stable")
    item_bounds = np.searchsorted(codes[item_order], range(len(order) + 1)).tolist()
    box_bounds = np.searchsorted(box_codes[box_order], range(len(order) + 1)).tolist()
    pick_items, pick_boxes = picker(item_order.tolist()), picker(box_order.tolist())
    names_s, widths_s, heights_s, counts_s = map(pick_items, (names, run.widths, run.heights, counts))
    areas_s = run.block.area_texts(start, end, box_order)
    lines_s, labels_s = pick_boxes(run.block.lines[start:end]), pick_boxes(labels)
    for code, split in enumerate(order):
        i, j = item_bounds[code], item_bounds[code + 1]
        b, e = box_bounds[code], box_bounds[code + 1]
        f = files[split]
        ids = f.images_run(names_s[i:j], widths_s[i:j], heights_s[i:j])
        f.box_entries(areas_s[b:e], lines_s[b:e], labels_s[b:e], _repeat_ids(ids, counts_s[i:j]))
    ctx.media.place_run(names, list(map(folders.__getitem__, codes.tolist())))
    return True


def _repeat_ids(ids: Iterable[int], counts: Iterable[int]) -> list[str]:
    """Each id's text, as many times as its count says."""
    return list(chain.from_iterable(map(repeat, map(str, ids), counts)))


def _pairs(anns: Sequence[AnnotationRecord]) -> dict[int, int]:
    """Keypoints annotation index -> index of the box/polygon/mask it joins (same class and
    group), each partner used once."""
    taken: set[int] = set()
    out: dict[int, int] = {}
    for i, ann in enumerate(anns):
        if ann.shape.kind != "keypoints" or ann.group is None:
            continue
        for j, other in enumerate(anns):
            if (j not in taken and other.shape.kind in _PAIRABLE and other.group == ann.group
                    and other.label == ann.label):
                out[i] = j
                taken.add(j)
                break
    return out


def _entry(ctx: WriteContext, ann: AnnotationRecord, image_id: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"image_id": image_id, "category_id": ctx.by_name[ann.label].id,
                             "iscrowd": 1 if ann.iscrowd else 0}
    if ann.score is not None:
        entry["score"] = float(ann.score)
    if ann.attributes:
        entry["attributes"] = dict(ann.attributes)
    return entry


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write COCO JSON files into ``out_dir`` (see the module documentation)."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "coco", classes, options or ExportOptions(), items,
                           progress, cancel)
        files: dict[str | None, _SplitFile] = {}
        try:
            for run in runs_of(items):
                if type(run) is ItemBatch:
                    if not _write_run(ctx, files, run):
                        for item in run.items():
                            _write_item(ctx, files, item)
                else:
                    _write_item(ctx, files, run)  # type: ignore[arg-type]
            ctx.steps.check()
            ctx.problems.raise_if_any()
            for f in files.values():
                f.finish(out)
            with ThreadPoolExecutor(2, thread_name_prefix="labelhub-coco-join") as pool:
                list(pool.map(lambda f: f.join(out), files.values()))
        finally:
            for f in files.values():
                f.close()
        return ctx.finish()


def _write_item(ctx: WriteContext, files: dict[str | None, _SplitFile], item: Item) -> None:
    image, anns = item
    ctx.steps.step(image.name)
    if not ctx.check_item(item):
        return
    split = files.get(image.split) or files.setdefault(image.split, _SplitFile(ctx, image.split))
    image_id = split.image(image)
    ctx.place(image.name, f"images/{split.folder}/{image.name}")
    width, height = image.width or 0, image.height or 0
    # Boxes as columns (see _write_stored), the common case, without a detour. Every box here
    # lies inside the image (check_item), so its area is finite when the image's is; dumps()
    # would refuse an infinite one.
    if (type(anns) is StoredAnnotations and (columns := anns.box_columns()) is not None
            and (width + 1.0) * (height + 1.0) < _INF
            and split.boxes_dropped.isdisjoint(columns.labels)):
        ctx.tally.rule_each(columns.labels, "box")
        split.boxes(columns, image_id)
    else:
        _write_annotations(ctx, split, anns, image_id, width, height)


def _write_annotations(ctx: WriteContext, split: _SplitFile, anns: Sequence[AnnotationRecord],
                       image_id: int, width: int, height: int) -> None:
    if type(anns) is StoredAnnotations:
        _write_stored(ctx, split, anns, image_id, int(width), int(height))
        return
    pairs = _pairs(anns)
    partners = set(pairs.values())
    texts: list[str] = []
    next_id = split.ann_id + 1
    for i, ann in enumerate(anns):
        rule = ctx.tally.rule(ann.label, ann.shape.kind)
        if rule.action == DROPPED or i in partners:
            continue
        texts.append(_annotation_text(ctx, ann, anns[pairs[i]] if i in pairs else None,
                                      image_id, next_id + len(texts)))
    split.annotations(texts, next_id)


def _annotation_text(ctx: WriteContext, ann: AnnotationRecord, partner: AnnotationRecord | None,
                     image_id: int, ann_id: int) -> str:
    entry = _entry(ctx, ann, image_id)
    entry["id"] = ann_id
    shape = ann.shape
    if isinstance(shape, Keypoints):
        if partner is not None:
            entry.update(_geometry(partner.shape))
        else:
            b = shape.box() or Box(0, 0, 0, 0)
            entry.update({"bbox": [b.x, b.y, b.w, b.h], "area": b.area(),
                          "segmentation": []})
        entry.update(_keypoints(shape))
    else:
        entry.update(_geometry(shape))
    return dumps(entry)


def _box_entry(area: float, x: str, y: str, w: str, h: str, category: str, ann_id: int,
               image_id: int, crowd: bool) -> str:
    """A box's entry without attributes or score as dumps() writes its dict (keys sorted,
    floats as their repr, no spaces), from the texts of the box's numbers (BoxNumbers)."""
    return (f'{{"area":{area!r},"bbox":[{x},{y},{w},{h}],"category_id":{category},'
            f'"id":{ann_id},"image_id":{image_id},"iscrowd":{1 if crowd else 0},'
            '"segmentation":[]}')


#: :func:`_box_entry` of a box in pieces, with ",\n" after it: its area, numbers, category, id
#: and image id go in the gaps (None).
_BOX_PIECES: list[str | None] = ['{"area":', None, ',"bbox":[', None, '],"category_id":', None,
                                 ',"id":', None, ',"image_id":', None,
                                 ',"iscrowd":0,"segmentation":[]},\n']


def _write_stored(ctx: WriteContext, split: _SplitFile, anns: StoredAnnotations,
                  image_id: int, width: int, height: int) -> None:
    """Stored annotations: a box without attributes is written straight from the texts of its
    numbers (each the repr of its float: byte for byte what dumps() gives), anything else as
    its record is. Stored annotations have no groups, so no keypoints to pair."""
    rule_of, category = ctx.tally.rule, split.category_text
    next_id = split.ann_id + 1
    # Every box here lies inside the image (check_item), so its area is finite when the
    # image's is; dumps() would refuse an infinite one.
    if ((columns := anns.box_columns()) is not None and (width + 1.0) * (height + 1.0) < _INF
            and split.boxes_dropped.isdisjoint(columns.labels)):
        ctx.tally.rule_each(columns.labels, "box")
        split.boxes(columns, image_id)
        return
    entries = anns.entries
    if (anns.plain_boxes and (width + 1.0) * (height + 1.0) < _INF
            and split.boxes_dropped.isdisjoint(labels := list(map(itemgetter(0), entries)))):
        ctx.tally.rule_each(labels, "box")
        split.annotations([_box_entry(float(w) * float(h), x, y, w, h, category[label], ann_id,
                                      image_id, crowd)
                           for ann_id, (label, _g, (x, y, w, h), _a, crowd)
                           in enumerate(entries, next_id)], next_id)
        return
    texts: list[str] = []
    records = None
    for i, (label, _geometry, box, attributes, crowd) in enumerate(entries):
        if box is not None and not attributes:
            area = float(box[2]) * float(box[3])
            if area < _INF:  # else it goes the records' way, where dumps() refuses it
                if rule_of(label, "box").action != DROPPED:
                    texts.append(_box_entry(area, *box, category[label], next_id + len(texts),
                                            image_id, crowd))
                continue
        records = records or anns.records()
        ann = records[i]
        if rule_of(ann.label, ann.shape.kind).action == DROPPED:
            continue
        texts.append(_annotation_text(ctx, ann, None, image_id, next_id + len(texts)))
    split.annotations(texts, next_id)
