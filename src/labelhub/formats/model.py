"""The value objects every reader returns and every writer takes.

A dataset in an exchange format is a list of label classes (:class:`ClassSpec`), a list of
images (:class:`ImageRecord`, named by their POSIX path relative to the dataset) and the
annotations on them (:class:`AnnotationRecord`, one geometry shape each). Readers return a
:class:`LabelDocument`; writers take the classes plus an iterable of :class:`Item` (an image
with its annotations), so a caller can stream a dataset of any size through them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, BoxNumbers, Shape, shape_from_dict

#: ``progress(done, total, message)``; total is 0 when it is not known in advance.
Progress = Callable[[int, int, str], None]
#: Anything with ``is_set()`` (a :class:`threading.Event`).
CancelFlag = threading.Event

#: The attribute value types an :class:`AttributeSpec` may declare.
ATTRIBUTE_TYPES = ("bool", "int", "float", "text", "select")

#: The folder / file name used for images that belong to no split.
DEFAULT_SPLIT = "default"


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """An attribute a label class's annotations may carry (CVAT's label attributes)."""

    name: str
    type: str = "text"
    values: tuple[str, ...] = ()
    default: Any = None
    mutable: bool = False

    def __post_init__(self) -> None:
        if self.type not in ATTRIBUTE_TYPES:
            raise InvalidInput(
                f"attribute {self.name!r} has unknown type {self.type!r}; "
                f"expected one of {', '.join(ATTRIBUTE_TYPES)}"
            )
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True, slots=True)
class ClassSpec:
    """A label class. ``skeleton`` holds 0-based index pairs into ``keypoint_names``."""

    id: int
    name: str
    color: str | None = None
    kinds: tuple[str, ...] = ()
    keypoint_names: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    attributes: tuple[AttributeSpec, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))
        object.__setattr__(self, "keypoint_names", tuple(self.keypoint_names))
        object.__setattr__(self, "skeleton", tuple((int(a), int(b)) for a, b in self.skeleton))
        object.__setattr__(self, "attributes", tuple(self.attributes))

    def attribute(self, name: str) -> AttributeSpec | None:
        """The declared attribute called ``name``, if any."""
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An image by its POSIX path relative to the dataset; size in pixels when known."""

    name: str
    width: int | None = None
    height: int | None = None
    split: str | None = None
    sha256: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


_IMAGE_SLOTS = tuple(ImageRecord.__dict__[f].__set__ for f in (
    "name", "width", "height", "split", "sha256", "metadata"))


def image_record(name: str, width: int | None, height: int | None, split: str | None,
                 sha256: str | None, metadata: Mapping[str, Any]) -> ImageRecord:
    """``ImageRecord(name, width, height, split, sha256, metadata)`` made without the frozen
    dataclass's ``__init__``: the same value, a few times faster (see annotation_record)."""
    record = object.__new__(ImageRecord)
    s_name, s_width, s_height, s_split, s_sha256, s_metadata = _IMAGE_SLOTS
    s_name(record, name)
    s_width(record, width)
    s_height(record, height)
    s_split(record, split)
    s_sha256(record, sha256)
    s_metadata(record, metadata)
    return record


@dataclass(frozen=True, slots=True)
class AnnotationRecord:
    """One shape of one label class on one image."""

    image: str
    label: str
    shape: Shape
    attributes: Mapping[str, Any] = field(default_factory=dict)
    score: float | None = None
    iscrowd: bool = False
    group: int | None = None
    uid: str | None = None


_new = object.__new__
_new_tuple = tuple.__new__
_RECORD_SLOTS = tuple(AnnotationRecord.__dict__[f].__set__ for f in (
    "image", "label", "shape", "attributes", "score", "iscrowd", "group", "uid"))


def annotation_record(
    image: str, label: str, shape: Shape, attributes: Mapping[str, Any],
    score: float | None = None, iscrowd: bool = False, group: int | None = None,
    uid: str | None = None,
) -> AnnotationRecord:
    """``AnnotationRecord(image, label, shape, attributes, score, iscrowd, group, uid)`` made
    without the frozen dataclass's ``__init__`` (which sets each field through
    ``object.__setattr__``): the same value, a few times faster, for streams of millions."""
    record = _new(AnnotationRecord)
    s_image, s_label, s_shape, s_attributes, s_score, s_iscrowd, s_group, s_uid = _RECORD_SLOTS
    s_image(record, image)
    s_label(record, label)
    s_shape(record, shape)
    s_attributes(record, attributes)
    s_score(record, score)
    s_iscrowd(record, iscrowd)
    s_group(record, group)
    s_uid(record, uid)
    return record


#: One annotation as a store keeps it: its label class name, its shape as the JSON text of
#: ``to_dict()``, that box's four number texts (:func:`~labelhub.geometry.box_json_numbers`) or
#: None, its attributes (None for none) and its crowd flag.
StoredEntry = tuple[str, str, BoxNumbers | None, Mapping[str, Any] | None, bool]


class BoxBlock:
    """Boxes of a run of images as text: ``lines[i]`` is ``"x,y,w,h"``, the texts of box
    ``i``'s numbers, each the ``repr`` of its float (how ``json.dumps`` wrote it). What writers
    compute from the numbers of millions of boxes is computed here once for the whole run, a
    column at a time, not box by box: their values and their areas."""

    __slots__ = ("lines", "_text", "_values", "_sizes", "_areas", "_rows", "derived")

    def __init__(self, lines: list[str], text: bytes | None = None) -> None:
        """``text``, when the maker has it: the lines joined by a line break and a comma (as
        ASCII), which spares joining them again to read the numbers."""
        self.lines = lines
        self._text = text
        self._values: np.ndarray | None = None
        self._sizes: np.ndarray | None = None
        self._areas: list[str] | None = None
        self._rows: list[list[float]] | None = None
        #: What a writer computes from the whole block for itself, by its own key.
        self.derived: dict[str, Any] = {}

    def values(self) -> np.ndarray:
        """An (N, 4) float64 array of x, y, w, h: each number exactly the float its text is
        the repr of (numpy reads decimal text as Python does, correctly rounded)."""
        if self._values is None:
            # (numpy's sep="," passes over the line breaks, white space, of the maker's text)
            text = self._text if self._text is not None else ",".join(self.lines)
            values = np.fromstring(text, sep=",") if self.lines else np.zeros(0)
            self._text = None
            if values.size != 4 * len(self.lines):
                raise ValueError("a box line is not four numbers")
            self._values = values.reshape(-1, 4)
        return self._values

    def rows(self) -> list[list[float]]:
        """The values as ``[x, y, w, h]`` lists of Python floats."""
        if self._rows is None:
            self._rows = self.values().tolist()
        return self._rows

    def area_texts(self, start: int, end: int, order: np.ndarray | None = None) -> list[str]:
        """``repr(float(w) * float(h))`` of boxes ``start`` to ``end`` (in ``order``, positions
        from ``start``, when given)."""
        if self._values is not None:
            sizes = self._values[:, 2:]
        elif self._sizes is not None:
            sizes = self._sizes
        elif self.lines:
            # Only w and h read: numpy's text reader reads a number as Python's float() does
            # (correctly rounded), twice as fast as values() reads all four.
            sizes = self._sizes = np.loadtxt(self.lines, delimiter=",", usecols=(2, 3),
                                             dtype=np.float64, ndmin=2)
        else:
            sizes = np.zeros((0, 2))
        areas = sizes[start:end, 0] * sizes[start:end, 1]
        return list(map(repr, (areas if order is None else areas[order]).tolist()))

    def areas(self) -> list[str]:
        """:meth:`area_texts` of every box, made once."""
        if self._areas is None:
            self._areas = self.area_texts(0, len(self.lines))
        return self._areas


class BoxColumns(NamedTuple):
    """One image's boxes without attributes (and not crowds): ``labels[i]`` is the class name
    of box ``i``, which is box ``start + i`` of ``block``."""

    labels: list[str]
    block: BoxBlock
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.labels)

    def lines(self) -> list[str]:
        return self.block.lines[self.start:self.end]


class StoredAnnotations(Sequence[AnnotationRecord]):
    """One image's annotations as a store keeps them (``entries``), made into
    :class:`AnnotationRecord` values only when they are looked at.

    A writer that knows this type writes a box straight from the texts of its numbers, which
    are exactly the ``repr`` of its floats, so the file is the same as from the records, without
    making a shape and a record and formatting floats for each of millions of boxes. Anything
    else (every writer, for every other shape) sees the records. Records have no uid or group.

    ``plain_boxes``: every entry is a box without attributes. ``checked``: every box was
    checked against this image's size when it was stored (a project checks each shape it
    stores), so writers need not check it again. Both are promises of the maker; False is
    always safe.

    Boxes without attributes may also come as columns of a :class:`BoxBlock` shared by a run of
    images (:meth:`boxes`), which is how a store reading millions of them hands them over
    cheaply; :meth:`box_columns` gives them so to the writers, whichever way they came.
    """

    __slots__ = ("image", "plain_boxes", "checked", "_entries", "_records", "_columns")

    def __init__(self, image: str, entries: list[StoredEntry], plain_boxes: bool = False,
                 checked: bool = False) -> None:
        self.image = image
        self._entries: list[StoredEntry] | None = entries
        self.plain_boxes = plain_boxes
        self.checked = checked
        self._records: list[AnnotationRecord] | None = None
        self._columns: BoxColumns | None = None

    @classmethod
    def boxes(cls, image: str, labels: list[str], block: BoxBlock, start: int = 0,
              checked: bool = False) -> StoredAnnotations:
        """Boxes without attributes (not crowds): box ``i``, of class ``labels[i]``, is line
        ``start + i`` of ``block``."""
        if start < 0 or start + len(labels) > len(block.lines):
            raise ValueError(f"{len(labels)} boxes from {start} are not in a block of "
                             f"{len(block.lines)}")
        made = _new(cls)
        made.image, made.plain_boxes, made.checked = image, True, checked
        made._entries = made._records = None
        made._columns = _new_tuple(BoxColumns, (labels, block, start))
        return made

    @property
    def entries(self) -> list[StoredEntry]:
        """The annotations as :data:`StoredEntry` tuples (made once, when given as columns)."""
        if self._entries is None:
            assert self._columns is not None
            made: list[StoredEntry] = []
            for label, line in zip(self._columns.labels, self._columns.lines(), strict=True):
                x, y, w, h = line.split(",")
                made.append((label, f'{{"kind": "box", "x": {x}, "y": {y}, "w": {w}, "h": {h}}}',
                             (x, y, w, h), None, False))
            self._entries = made
        return self._entries

    def box_columns(self) -> BoxColumns | None:
        """The annotations as :class:`BoxColumns` when every one is a box without attributes
        that is not a crowd; None otherwise."""
        if self._columns is None:
            entries = self._entries or []
            if not (self.plain_boxes and all(e[2] is not None and not e[3] and not e[4]
                                             for e in entries)):
                return None
            block = BoxBlock([",".join(e[2]) for e in entries])  # type: ignore[arg-type]
            self._columns = BoxColumns([e[0] for e in entries], block, 0)
        return self._columns

    def __len__(self) -> int:
        if self._entries is not None:
            return len(self._entries)
        assert self._columns is not None
        return len(self._columns.labels)

    @overload
    def __getitem__(self, index: int) -> AnnotationRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[AnnotationRecord]: ...

    def __getitem__(self, index: int | slice) -> AnnotationRecord | list[AnnotationRecord]:
        return self.records()[index]

    def __iter__(self) -> Iterator[AnnotationRecord]:
        return iter(self.records())

    def records(self) -> list[AnnotationRecord]:
        """The annotations as records (made once)."""
        if self._records is None:
            made = []
            for label, geometry, box, attributes, crowd in self.entries:
                if box is not None:
                    shape: Shape = Box(float(box[0]), float(box[1]), float(box[2]), float(box[3]))
                else:
                    shape = shape_from_dict(json.loads(geometry))
                made.append(annotation_record(self.image, label, shape,
                                              attributes if attributes else {}, None, crowd))
            self._records = made
        return self._records


class Item(NamedTuple):
    """An image with its annotations: the unit writers stream."""

    image: ImageRecord
    annotations: Sequence[AnnotationRecord]


@dataclass(slots=True)
class LabelDocument:
    """What a reader returns: classes, images and annotations.

    ``media`` maps image names to the path (relative to the dataset folder that was read) of
    the image file found there, for the images whose file exists.
    """

    classes: list[ClassSpec] = field(default_factory=list)
    images: list[ImageRecord] = field(default_factory=list)
    annotations: list[AnnotationRecord] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)

    def items(self) -> Iterator[Item]:
        """Each image with its annotations, in image order (annotations keep their order)."""
        by_image: dict[str, list[AnnotationRecord]] = {im.name: [] for im in self.images}
        for ann in self.annotations:
            if ann.image not in by_image:
                raise InvalidInput(f"annotation on {ann.image!r}, which is not among the images")
            by_image[ann.image].append(ann)
        for image in self.images:
            yield Item(image, by_image[image.name])

    def kind_counts(self) -> dict[str, dict[str, int]]:
        """``{label: {kind: count}}`` over the annotations (what :func:`plan_export` takes)."""
        return count_kinds(self.annotations)


def count_kinds(annotations: Iterable[AnnotationRecord]) -> dict[str, dict[str, int]]:
    """``{label: {kind: count}}`` over ``annotations``."""
    counts: dict[str, dict[str, int]] = {}
    for ann in annotations:
        per = counts.setdefault(ann.label, {})
        per[ann.shape.kind] = per.get(ann.shape.kind, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file being read (or a record being written).

    ``image`` names the image and ``index`` the position of the shape within its file (or
    within the image), when the problem is about one shape.
    """

    file: str
    image: str | None
    index: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.image is not None:
            where += f", image {self.image}"
        if self.index is not None:
            where += f", shape {self.index}"
        return f"{where}: {self.message}"


class ProblemsFound(InvalidInput):
    """The input had problems; ``problems`` lists every one of them so all can be shown."""

    def __init__(self, problems: Sequence[Problem], what: str = "the dataset") -> None:
        self.problems: list[Problem] = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun} in {what}:\n{shown}{tail}")


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that protect readers from hostile or broken input."""

    max_json_bytes: int = 2 * 1024**3
    max_xml_bytes: int = 2 * 1024**3
    max_text_bytes: int = 512 * 1024**2
    zip_max_members: int = 200_000
    zip_max_total_bytes: int = 64 * 1024**3
    zip_max_ratio: float = 200.0
    #: Members smaller than this are not held to ``zip_max_ratio`` (tiny files compress well).
    zip_ratio_floor_bytes: int = 1024**2
    max_problems: int = 10_000


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Choices a writer (and :func:`plan_export`) honours.

    ``yolo_task``: "detect", "segment", "obb", "pose" or "classify"; None picks it from the
    shapes present. ``labelme_oriented_rectangles``: write rotated boxes as labelme's
    ``oriented_rectangle`` shapes (recent labelme) instead of polygons.
    """

    yolo_task: str | None = None
    labelme_oriented_rectangles: bool = False


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Choices and context a reader uses.

    ``image_sizes`` gives ``(width, height)`` by image name for formats that do not record
    sizes (YOLO needs them to turn normalised coordinates into pixels); without it the size is
    read from the image file's header when the file is in the dataset. ``coco_ground_truth``
    is the COCO file whose image and category ids a COCO results list refers to.
    ``classes`` declares attribute types for formats that store attributes as text.
    """

    limits: Limits = field(default_factory=Limits)
    image_sizes: Mapping[str, tuple[int, int]] | None = None
    yolo_task: str | None = None
    coco_ground_truth: str | None = None
    classes: Sequence[ClassSpec] | None = None


@dataclass(frozen=True, slots=True)
class Loss:
    """Shapes of one kind of one label class that a format cannot hold as they are.

    ``action`` is "converted" (written as another shape, said in ``detail``) or "dropped"
    (not written). ``kind`` is a shape kind, or "attributes" for annotation attributes the
    format has no place for.
    """

    label: str
    kind: str
    count: int
    action: str
    detail: str


@dataclass(slots=True)
class WriteResult:
    """What a writer did.

    ``files``: the annotation files written, relative to the output folder, sorted.
    ``media``: for each image name, where the caller should copy its file (relative paths;
    several for an image in several class folders, none for one the layout has no place for),
    sorted by name; the writers' mapping keeps it on disk until it is looked at.
    ``losses``: what was converted or dropped, tallied as it was written; it equals the plan.
    ``sha256``: the SHA-256 of the files the writer knew whole as it wrote them (any other
    has to be read back to be hashed).
    """

    files: list[str] = field(default_factory=list)
    media: Mapping[str, list[str]] = field(default_factory=dict)
    losses: list[Loss] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)


def as_export_options(options: ExportOptions | Mapping[str, Any] | None) -> ExportOptions:
    """``options`` as an :class:`ExportOptions` (a mapping of its field names is accepted)."""
    if options is None:
        return ExportOptions()
    if isinstance(options, ExportOptions):
        return options
    known = set(ExportOptions.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidInput(f"unknown export option {', '.join(unknown)}")
    return ExportOptions(**dict(options))


def as_read_options(options: ReadOptions | Mapping[str, Any] | None) -> ReadOptions:
    """``options`` as a :class:`ReadOptions` (a mapping of its field names is accepted)."""
    if options is None:
        return ReadOptions()
    if isinstance(options, ReadOptions):
        return options
    known = set(ReadOptions.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidInput(f"unknown read option {', '.join(unknown)}")
    return ReadOptions(**dict(options))
