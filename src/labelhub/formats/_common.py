"""Helpers every reader and writer shares: number text, JSON output, staging of written files,
progress and cancel, checking records, attribute values and the problem list."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from labelhub.errors import Cancelled, InvalidInput
from labelhub.formats._spill import MediaPlaces, _SeenNames
from labelhub.formats.batches import ItemBatch
from labelhub.formats.losses import DROPPED, NEEDS_KEYPOINT_NAMES, LossTally, check_classes
from labelhub.formats.model import (
    DEFAULT_SPLIT,
    AnnotationRecord,
    AttributeSpec,
    CancelFlag,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    LabelDocument,
    Limits,
    Problem,
    ProblemsFound,
    Progress,
    StoredAnnotations,
    WriteResult,
)
from labelhub.formats.safety import inside, name_problem, names_acceptable
from labelhub.geometry import EDGE_TOLERANCE, SHAPE_KINDS

# --------------------------------------------------------------------------- numbers and text


def num(value: float) -> str:
    """A pixel coordinate as text that reads back to the same float: ``12`` for whole numbers,
    else the shortest repr (``12.25``)."""
    v = float(value)
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def num_texts(values: np.ndarray) -> list[str]:
    """:func:`num` of each value of a float64 array, without a step per value in Python: the
    repr of each, whole numbers then cut to their digits."""
    values = np.asarray(values, dtype=np.float64)
    texts = list(map(repr, values.tolist()))
    whole = np.flatnonzero((values == np.floor(values)) & (np.abs(values) < 1e15))
    if whole.size:
        # repr of a whole float below 1e16 is its digits and ".0"; zero (and -0.0) is "0"
        cut = np.array(texts, dtype=object)
        cut[whole] = [t[:-2] if t not in ("0.0", "-0.0") else "0" for t in cut[whole].tolist()]
        texts = cut.tolist()
    return texts


def norm(value: float) -> str:
    """A normalised coordinate (YOLO) with ten decimals, trailing zeros removed: exact to
    1e-6 px on images up to 20000 px."""
    text = f"{float(value):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# Passes of norm_text, each with a plain replacement (a group reference in the replacement
# would cost a Python call per match): zeros after the last other digit of a fraction, then a
# fraction of zeros with its point, then "-0"; the class number ends at the \0 after it.
_TRAILING_ZEROS = re.compile(r"(?<=[1-9])0+(?=[ \n])")
_ZERO_FRACTION = re.compile(r"\.0+(?=[ \n])")
_MINUS_ZERO = re.compile(r"(?<=[ \0])-0(?=[ \n])")


def norm_text(text: str) -> str:
    """Label lines ``class\\0value value ...\\n`` (a whole class number, \\0, then values
    written ``%.10f`` and separated by spaces) with each value as :func:`norm` writes it and a
    space after the class number: a few passes over the whole text instead of a call per
    value."""
    text = _ZERO_FRACTION.sub("", _TRAILING_ZEROS.sub("", text))
    return _MINUS_ZERO.sub("0", text).replace("\0", " ")


def dumps(obj: Any, indent: int | None = None) -> str:
    """Deterministic JSON: sorted keys, no NaN, UTF-8 characters kept."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, allow_nan=False, indent=indent,
        separators=separators,
    )


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: object) -> str:
    """``value`` as escaped XML character data; InvalidInput when it holds a character XML
    cannot carry (control characters)."""
    text = str(value)
    if _XML_BAD.search(text):
        raise InvalidInput(f"{text!r} holds a control character that XML cannot carry")
    return escape(text)


def xml_attr(value: object) -> str:
    """``value`` as a quoted XML attribute value (see :func:`xml_text`)."""
    xml_text(value)
    return quoteattr(str(value))


def split_folder(split: str | None) -> str:
    """The folder (or file stem) for a split; images in no split go to "default"."""
    return split or DEFAULT_SPLIT


def split_from_folder(folder: str) -> str | None:
    """The inverse of :func:`split_folder`."""
    return None if folder == DEFAULT_SPLIT else folder


def attribute_text(value: Any) -> str:
    """An attribute value as text (formats that store attributes as strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return num(value)
    return str(value)


def attribute_value(text: str | None, spec: AttributeSpec | None) -> Any:
    """Text back to an attribute value: by the declared type when there is one, else
    "true"/"false" as booleans, whole numbers as ints and decimals as floats."""
    text = text or ""
    kind = spec.type if spec is not None else None
    if kind in ("text", "select"):
        return text
    low = text.strip().lower()
    if kind == "bool" or (kind is None and low in ("true", "false")):
        return low in ("true", "1", "yes")
    try:
        if kind == "float":
            return float(text)
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text if kind is None else number
    if kind == "int" or (kind is None and number.is_integer() and "." not in text
                         and "e" not in low):
        return int(number)
    return number


def basename_stem(name: str) -> str:
    """``name`` without its extension (folders kept): "a/b.jpg" -> "a/b"."""
    head, _, tail = name.rpartition("/")
    stem = tail.rsplit(".", 1)[0] if "." in tail.lstrip(".") else tail
    return f"{head}/{stem}" if head else stem


# --------------------------------------------------------------------------- export manifests

#: What a LabelHub export's manifest.json always holds (besides the dataset, version, schema...).
EXPORT_MANIFEST_KEYS = frozenset({"labelhub_version", "manifest_hash", "format", "files"})


def is_export_manifest(data: object) -> bool:
    """Whether a JSON document is the manifest.json of a LabelHub export, known by what it
    holds whatever the file is called. It describes the export and holds no labels: readers
    that take JSON files for label files pass over it."""
    return (isinstance(data, dict) and EXPORT_MANIFEST_KEYS <= data.keys()
            and isinstance(data["files"], dict))


# --------------------------------------------------------------------------- progress / cancel


class Steps:
    """Progress reporting and cancel checks for long work."""

    def __init__(
        self, progress: Progress | None, cancel: CancelFlag | None, total: int, verb: str
    ) -> None:
        self.progress = progress
        self.cancel = cancel
        self.total = total
        self.verb = verb
        self.done = 0

    def check(self) -> None:
        """Raise Cancelled when the cancel flag is set."""
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"{self.verb} cancelled; nothing was written")

    def step(self, message: str, units: int = 1) -> None:
        """One unit done (or ``units`` of them, the last named by ``message``)."""
        self.check()
        self.done += units
        if self.progress is not None:
            self.progress(self.done, self.total, message)


def sized(items: Iterable[Any]) -> int:
    """``len(items)`` when it has one, else 0 (unknown)."""
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return 0


# --------------------------------------------------------------------------- staged output


class Output:
    """Files written into a hidden staging folder inside the output folder and moved into
    place only by :meth:`commit`; :meth:`abort` (or an exception) leaves nothing behind."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._stage = Path(tempfile.mkdtemp(prefix=".labelhub-export-", dir=self.out_dir))
        self._root = str(self._stage)
        self._files: set[str] = set()
        self._folders: set[str] = {""}  # made in the staging folder
        #: SHA-256 of the files written whole (write_text), by relative path.
        self.sha256: dict[str, str] = {}

    def path(self, rel: str) -> Path:
        """The staging path for output file ``rel`` (recorded as written)."""
        return Path(self._target(rel))

    def _target(self, rel: str) -> str:
        if name_problem(rel):
            raise InvalidInput(f"cannot write {rel!r}: {name_problem(rel)}")
        if rel in self._files:
            raise InvalidInput(f"two images would both be written to {rel} (names that differ "
                               "only in their extension?)")
        self._files.add(rel)
        folder = rel.rpartition("/")[0]
        if folder not in self._folders:  # one mkdir per folder, not per file
            os.makedirs(os.path.join(self._root, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self._root, rel)

    def open(self, rel: str) -> IO[str]:
        """A text file (UTF-8, "\\n" line ends) for output file ``rel``."""
        return open(self._target(rel), "w", encoding="utf-8", newline="\n")

    def write_text(self, rel: str, text: str) -> None:
        """Write output file ``rel`` (UTF-8, its SHA-256 kept in :attr:`sha256`)."""
        data = text.encode("utf-8")
        with open(self._target(rel), "wb") as fh:
            fh.write(data)
        self.sha256[rel] = hashlib.sha256(data).hexdigest()

    def write_joined(self, rel: str, parts: Iterable[str | Path]) -> None:
        """Write output file ``rel`` as its ``parts`` one after the other: texts (UTF-8), or
        scratch files whose bytes are copied; its SHA-256 is kept in :attr:`sha256`."""
        digest = hashlib.sha256()
        with open(self._target(rel), "wb") as fh:
            for part in parts:
                if isinstance(part, Path):
                    with open(part, "rb") as src:
                        for block in iter(lambda: src.read(1 << 16), b""):  # noqa: B023
                            digest.update(block)
                            fh.write(block)
                else:
                    data = part.encode("utf-8")
                    digest.update(data)
                    fh.write(data)
        self.sha256[rel] = digest.hexdigest()

    def scratch(self, name: str) -> Path:
        """A path in the staging area that is not an output file."""
        return self._stage / ".scratch" / name

    def commit(self) -> list[str]:
        """Move every file into the output folder; the sorted relative paths. A top-level
        folder the output folder does not have yet moves as a whole."""
        whole = {rel.partition("/")[0] for rel in self._files if "/" in rel}
        whole = {top for top in whole if not os.path.lexists(self.out_dir / top)}
        for top in sorted(whole):
            os.replace(self._stage / top, self.out_dir / top)
        for rel in sorted(self._files):
            if rel.partition("/")[0] in whole and "/" in rel:
                continue
            target = self.out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._stage / rel, target)
        shutil.rmtree(self._stage, ignore_errors=True)
        return sorted(self._files)

    def abort(self) -> None:
        """Forget everything written."""
        shutil.rmtree(self._stage, ignore_errors=True)


@contextlib.contextmanager
def staged(out_dir: Path) -> Iterator[Output]:
    """An :class:`Output` that is aborted when the block raises."""
    out = Output(out_dir)
    try:
        yield out
    except BaseException:
        out.abort()
        raise


# --------------------------------------------------------------------------- problems


class Problems:
    """Problems collected while reading or writing; :meth:`raise_if_any` refuses the lot."""

    def __init__(self, limits: Limits | None = None, what: str = "the dataset") -> None:
        self.items: list[Problem] = []
        self.cap = (limits or Limits()).max_problems
        self.what = what

    def add(self, file: str, image: str | None, index: int | None, message: str) -> None:
        """Record one problem (stop early once there are more than the cap)."""
        self.items.append(Problem(file, image, index, message))
        if len(self.items) >= self.cap:
            raise ProblemsFound(self.items, self.what)

    def shape(self, file: str, image: str, index: int, shape: Any,
              width: int | None, height: int | None) -> bool:
        """Record what ``shape.validate`` says; True when the shape is sound."""
        messages = shape.validate(width, height)
        for message in messages:
            self.add(file, image, index, message)
        return not messages

    def raise_if_any(self) -> None:
        """ProblemsFound listing every problem, when there is one."""
        if self.items:
            raise ProblemsFound(self.items, self.what)


def image_size_problem(width: object, height: object) -> str | None:
    """Why an image size is unusable, or None (a missing size is allowed here)."""
    if type(width) is int and type(height) is int and width > 0 and height > 0:
        return None  # the common case, answered at once
    for name, v in (("width", width), ("height", height)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return f"image {name} must be a number, got {v!r}"
        if v <= 0 or not float(v).is_integer():
            return f"image {name} must be a positive whole number, got {v!r}"
    return None


# --------------------------------------------------------------------------- writing


class WriteContext:
    """What every writer needs: the staged output, the class table, the loss tally, problem
    collection and progress."""

    def __init__(
        self,
        out: Output,
        target: str,
        classes: Sequence[ClassSpec],
        options: ExportOptions,
        items: Iterable[Item],
        progress: Progress | None,
        cancel: CancelFlag | None,
    ) -> None:
        check_classes(target, classes, {})
        self.out = out
        self.target = target
        self.classes = list(classes)
        self.by_name = {c.name: c for c in classes}
        self.index = {c.name: i for i, c in enumerate(classes)}
        self.options = options
        self.tally = LossTally(target, classes, options)
        self.problems = Problems(what="the export")
        self.steps = Steps(progress, cancel, sized(items), "export")
        self.media = MediaPlaces()
        self._names = _SeenNames()
        self._splits: dict[str, bool] = {}

    def check_item(self, item: Item, need_size: bool = True) -> bool:
        """Check an image and its annotations; record problems; True when all are sound."""
        image, anns = item
        ok = True
        problem = name_problem(image.name)
        if problem:
            self.problems.add("(export)", image.name, None, problem)
            return False
        if not self._names.add(image.name):
            self.problems.add("(export)", image.name, None, "the image is listed twice")
            ok = False
        if image.split is not None and not self._split_ok(image.split):
            self.problems.add("(export)", image.name, None,
                              f"split {image.split!r} cannot name a folder")
            return False
        size = image_size_problem(image.width, image.height)
        if size:
            self.problems.add("(export)", image.name, None, size)
            return False
        if need_size and (image.width is None or image.height is None):
            self.problems.add("(export)", image.name, None,
                              f"the image size is needed by {self.target} but is not known")
            ok = False
        if type(anns) is StoredAnnotations:
            return self._check_stored(image, anns) and ok
        for i, ann in enumerate(anns):
            ok &= self._check_annotation(image, i, ann)
        return ok

    def accept_batch(self, batch: ItemBatch, dropped: frozenset[str] = frozenset()) -> bool:
        """Whether every image of ``batch`` passes :meth:`check_item` (with its size known) and
        none has a box of a class in ``dropped``, told for the whole run at once. When so, its
        images are counted as checked (progress, names noted, boxes tallied) and the writer
        writes the run whole; else nothing is noted, and the writer takes its items one by
        one (:meth:`ItemBatch.items`), which finds whatever is amiss."""
        names, widths, heights = batch.names, batch.widths, batch.heights
        if not (names and batch.checked and set(map(type, widths)) == set(map(type, heights))
                == {int} and min(widths) > 0 and min(heights) > 0
                and all(split is None or self._split_ok(split) for split in set(batch.splits))
                and names_acceptable(names) and self._names.can_take_run(names)):
            return False
        labels = set(batch.labels)
        if not labels <= self.by_name.keys() or not labels.isdisjoint(dropped):
            return False
        self.steps.step(names[-1], len(names))
        self._names.take_run(names)
        self.tally.rule_each(batch.labels, "box")
        return True

    def _split_ok(self, split: str) -> bool:
        """Whether a split can name a folder (the answer kept: a dataset has a few splits)."""
        ok = self._splits.get(split)
        if ok is None:
            ok = self._splits[split] = not (not split.strip() or split in (".", "..")
                                            or any(c in split for c in "/\\\n\r\t"))
        return ok

    def _check_annotation(self, image: ImageRecord, i: int, ann: AnnotationRecord) -> bool:
        ok = True
        if ann.image != image.name:
            self.problems.add("(export)", image.name, i,
                              f"annotation belongs to image {ann.image!r}")
            ok = False
        if ann.label not in self.by_name:
            self.problems.add("(export)", image.name, i, f"unknown label {ann.label!r}")
            return False
        ok &= self.problems.shape("(export)", image.name, i, ann.shape,
                                  image.width, image.height)
        if ann.shape.kind == "keypoints":
            names = self.by_name[ann.label].keypoint_names
            if not names and self.target in NEEDS_KEYPOINT_NAMES:
                self.problems.add(
                    "(export)", image.name, i,
                    f"class {ann.label!r} has keypoints but does not name them",
                )
                ok = False
            elif names and len(ann.shape.points) != len(names):
                self.problems.add(
                    "(export)", image.name, i,
                    f"keypoints have {len(ann.shape.points)} points but class "
                    f"{ann.label!r} names {len(names)}",
                )
                ok = False
        return ok

    def _check_stored(self, image: ImageRecord, anns: StoredAnnotations) -> bool:
        """:meth:`check_item`'s checks of stored annotations. A box is not made into a record:
        it was checked against this image when it was stored (``anns.checked``), or is checked
        here from its numbers; the records are made, and checked as any, for other shapes and
        for anything amiss (so the messages are the same)."""
        columns = anns.box_columns() if anns.checked else None
        labels = columns.labels if columns is not None else map(itemgetter(0), anns.entries)
        if anns.image != image.name or not all(map(self.by_name.__contains__, labels)):
            return all([self._check_annotation(image, i, a) for i, a in enumerate(anns)])
        if anns.checked and anns.plain_boxes:
            return True
        entries = anns.entries
        tol = EDGE_TOLERANCE
        width, height = image.width, image.height
        if width is None or height is None:
            width = height = -1  # no box passes the quick check below: each is checked fully
        right, bottom = width + tol, height + tol
        records = None
        ok = True
        for i, (_label, _geometry, box, _attributes, _crowd) in enumerate(entries):
            if box is not None:
                if anns.checked:
                    continue
                x, y, w, h = float(box[0]), float(box[1]), float(box[2]), float(box[3])
                if (w > 0 and h > 0 and x >= -tol and y >= -tol and x + w <= right
                        and y + h <= bottom):
                    continue
            records = records or anns.records()
            ok &= self._check_annotation(image, i, records[i])
        return ok

    @functools.cached_property
    def boxes_dropped(self) -> frozenset[str]:
        """The classes whose boxes this target does not write."""
        return frozenset(c.name for c in self.classes
                         if self.tally.peek(c.name, "box").action == DROPPED)

    def place(self, name: str, rel: str) -> None:
        """Record that image ``name``'s file belongs at ``rel``."""
        self.media.place(name, rel)

    def finish(self) -> WriteResult:
        """Refuse if there were problems, else move the files into place."""
        self.steps.check()
        self.problems.raise_if_any()
        files = self.out.commit()
        self._names.close()
        return WriteResult(files=files, media=self.media, losses=self.tally.losses(),
                           sha256=dict(sorted(self.out.sha256.items())))


def find_media(root: Path, candidates: Iterable[str]) -> str | None:
    """The first of ``candidates`` (paths relative to ``root``) that is an image file inside
    the dataset folder."""
    for rel in candidates:
        if inside(root, rel) is not None:
            return rel
    return None


def image_size_from_file(root: Path, rel: str) -> tuple[int | None, int | None]:
    """(width, height) from the header of the image file ``rel`` inside ``root`` (Pillow reads
    the header only); (None, None) when there is no such readable image."""
    path = inside(root, rel)
    if path is None:
        return None, None
    from PIL import Image  # only here: formats need Pillow for nothing else

    try:
        with Image.open(path) as im:
            w, h = im.size
    except Exception:  # any unreadable or hostile file simply has no known size
        return None, None
    return int(w), int(h)


def finish_document(
    classes: Sequence[ClassSpec],
    images: list[ImageRecord],
    annotations: list[AnnotationRecord],
    media: dict[str, str] | None = None,
) -> LabelDocument:
    """A LabelDocument whose classes list the shape kinds their annotations use (classes that
    already declare kinds keep them)."""
    seen: dict[str, set[str]] = {}
    for ann in annotations:
        seen.setdefault(ann.label, set()).add(ann.shape.kind)
    done = []
    for cls in classes:
        if not cls.kinds and cls.name in seen:
            kinds = tuple(k for k in SHAPE_KINDS if k in seen[cls.name])
            cls = dataclasses.replace(cls, kinds=kinds)
        done.append(cls)
    return LabelDocument(done, images, annotations, dict(media or {}))
