"""Reading a dataset's annotator label sets for agreement, as columns.

Agreement over 100,000 items reads some three million annotations. A Python object per row (a
result row, a decoded JSON document, a Shape) costs more than all the matching, so:

* the annotations are read in batches (:data:`BATCH` ids, in id order), each batch as *one*
  result row of a few long strings the database aggregates (ids, label sets, items, classes,
  geometry), the next batch aggregated on a worker thread while this one is parsed;
* ids are parsed by numpy, item and class uids mapped to numbers through dicts;
* boxes never become Shape objects: a batch of boxes in the usual form (checked against the
  skeleton of a box's JSON) is turned into an (n, 4) array of x, y, w, h in one run at C
  speed; anything else is split row by row and decoded as JSON;
* other shapes (few, in most datasets) are decoded one by one into Shape objects.

Who rated which item follows :mod:`labelhub.project.review_base`'s rules, worked out as
(items x members) boolean matrices from the assignment rows and the label sets read here
(:func:`rater_matrix`), rather than one Python object per item.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, String, cast, func, select

from labelhub.errors import Cancelled
from labelhub.geometry import Box, shape_from_dict
from labelhub.project.review_base import ACCEPTED, DONE_STATES, UNASSIGNED
from labelhub.store.tables import Annotation, Assignment, Item, Media
from labelhub.store.versioned import current

_annotation = Annotation.__table__
_assignment = Assignment.__table__
_item = Item.__table__
_media = Media.__table__

Progress = Callable[[int, int, str], None]

#: Annotations per batch (a few megabytes of text each).
BATCH = 200_000
#: Up to this many items are read by uid; more are read with the whole dataset and picked out.
FEW_ITEMS = 4000
SEP = "\x1f"  # unit separator: never in a uid, escaped inside JSON text
_NUMBER = b"0123456789.+-eE"
_NOT_NUMBER_OR_COMMA = bytes(c for c in range(256) if c not in _NUMBER + b",")
#: A box's geometry as written (json.dumps of Box.to_dict()) once its numbers are taken out.
_SKELETON = json.dumps(Box(1.0, 1.0, 1.0, 1.0).to_dict()).encode().translate(None, _NUMBER)
_BOX_HEAD = json.dumps({"kind": "box"})[:-1]  # '{"kind": "box"': how a box in the usual form begins


def _usual_boxes(text: str, n: int) -> np.ndarray | None:
    """(n, 4) x, y, w, h when ``text`` is ``n`` box geometries in the usual form (as LabelHub
    writes them) joined by :data:`SEP`, else None. The text with its numbers taken out must
    be ``n`` copies of the box skeleton, so the numbers come in x, y, w, h order, each after a
    comma once everything else is dropped: they are parsed in one run, at C speed."""
    raw = text.encode()
    if raw.translate(None, _NUMBER) != SEP.encode().join([_SKELETON] * n):
        return None
    numbers = raw.translate(None, _NOT_NUMBER_OR_COMMA)  # ",x,y,w,h,x,y,w,h..."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # text it cannot read: sized below
        values = np.fromstring(numbers[1:], sep=",")  # correctly rounded, as float() is
    return values.reshape(n, 4) if values.size == 4 * n else None


def parse_boxes(text: str, n: int) -> np.ndarray:
    """(n, 4) x, y, w, h of ``n`` box geometries given as JSON texts joined by :data:`SEP`:
    in one run when they are in the usual form, else decoded as JSON one by one."""
    if n == 0:
        return np.zeros((0, 4))
    usual = _usual_boxes(text, n)
    if usual is not None:
        return usual
    return np.array([_xywh(json.loads(part)) for part in text.split(SEP)], dtype=np.float64).reshape(n, 4)


def _xywh(data: Any) -> tuple[float, float, float, float]:
    box = shape_from_dict(data)
    return (box.x, box.y, box.w, box.h)  # type: ignore[union-attr]


def _geometry(text: str, n: int) -> tuple[np.ndarray, np.ndarray, list[Any]] | None:
    """A batch's geometry column (``n`` JSON texts joined by SEP) split by kind: which rows
    are boxes, their x, y, w, h in row order, and the other rows' decoded JSON (None for a
    row without geometry). None when the text does not split into ``n`` rows."""
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros((0, 4)), []
    usual = _usual_boxes(text, n)
    if usual is not None:  # only boxes (the usual batch)
        return np.ones(n, dtype=bool), usual, []
    parts = text.split(SEP)
    if len(parts) != n:
        return None
    head = np.fromiter((p.startswith(_BOX_HEAD) for p in parts), dtype=bool, count=n)
    decoded = {r: json.loads(parts[r]) for r in np.flatnonzero(~head).tolist()}
    is_box = head.copy()
    for r, data in decoded.items():  # boxes written in another form
        is_box[r] = isinstance(data, dict) and data.get("kind") == "box"
    box_rows = np.flatnonzero(is_box)
    boxes = np.zeros((box_rows.size, 4))
    in_head = head[box_rows]
    boxes[in_head] = parse_boxes(SEP.join(parts[r] for r in box_rows[in_head].tolist()), int(in_head.sum()))
    for j in np.flatnonzero(~in_head).tolist():
        boxes[j] = _xywh(decoded[int(box_rows[j])])
    return is_box, boxes, [decoded[r] for r in np.flatnonzero(~is_box).tolist()]


@dataclass
class Batch:
    """Annotations of one batch as columns: row ``r`` is annotation ``ids[r]`` of label set
    ``sets[r]`` on item ``items[r]`` with class ``classes[r]`` ("" for none); box rows
    (``is_box``) have their x, y, w, h in ``boxes`` (in row order), the others their decoded
    geometry JSON in ``others``."""

    ids: np.ndarray
    sets: np.ndarray
    items: list[str]
    classes: list[str]
    is_box: np.ndarray
    boxes: np.ndarray
    others: list[Any]


def _aggregate(conn: Connection, rows: Select) -> tuple[Any, ...]:
    """The annotations ``rows`` selects, aggregated by the database into one row of long
    strings: (count, ids, label sets, items, classes, geometry)."""
    sub = rows.subquery()
    agg = func.aggregate_strings
    return tuple(conn.execute(select(
        func.count(), agg(cast(sub.c.id, String), ","), agg(cast(sub.c.label_set_id, String), ","),
        agg(sub.c.item_uid, SEP), agg(sub.c.cls, SEP), agg(sub.c.geometry, SEP))).one())


def _columns(found: tuple[Any, ...]) -> Batch | None:
    """The columns of an aggregated batch; None when its text does not split as it should."""
    n, ids, sets, items, classes, geometry = found
    id_arr = np.fromstring(ids, dtype=np.int64, sep=",")
    set_arr = np.fromstring(sets, dtype=np.int64, sep=",")
    item_list, class_list = items.split(SEP), classes.split(SEP)
    split = _geometry(geometry, n)
    if split is None or not id_arr.size == set_arr.size == len(item_list) == len(class_list) == n:
        return None
    return Batch(id_arr, set_arr, item_list, class_list, *split)


def _rows(conn: Connection, rows: Select) -> Batch:
    """The annotations ``rows`` selects, read row by row (the general path)."""
    found = conn.execute(rows).all()
    is_box, boxes, others = [], [], []
    for r in found:
        data = json.loads(r.geometry)
        box = isinstance(data, dict) and data.get("kind") == "box"
        is_box.append(box)
        if box:
            boxes.append(_xywh(data))
        else:
            others.append(data)
    return Batch(np.array([r.id for r in found], dtype=np.int64),
                 np.array([r.label_set_id for r in found], dtype=np.int64),
                 [r.item_uid for r in found], [r.cls for r in found], np.array(is_box, dtype=bool),
                 np.array(boxes, dtype=np.float64).reshape(-1, 4), others)


@dataclass
class Columns:
    """Every annotation read, as columns in id order: label set, item row (-1: not a chosen
    item), class number; boxes (x, y, w, h, for the ``is_box`` rows in order) and the other
    rows' decoded geometry JSON. ``of`` numbers items by ``index`` and classes by ``code(class uid)``."""

    sets: np.ndarray
    item: np.ndarray
    cls: np.ndarray
    is_box: np.ndarray
    boxes: np.ndarray
    others: list[Any]

    @classmethod
    def of(cls, batches: Iterable[Batch], index: dict[str, int], code: Callable[[str], int]) -> Columns:
        parts: list[tuple[np.ndarray, ...]] = []
        others: list[Any] = []
        codes: dict[str, int] = {}
        for b in batches:  # as they come: each batch is numbered while the next one is read
            for c in sorted(set(b.classes) - codes.keys()):
                codes[c] = code(c)
            parts.append((b.ids, b.sets, np.fromiter(map(index.get, b.items, repeat(-1)), np.int64, len(b.items)),
                          np.fromiter(map(codes.__getitem__, b.classes), np.int64, len(b.classes)),
                          b.is_box, b.boxes))
            others += b.others
        if not parts:
            none = np.zeros(0, dtype=np.int64)
            return cls(none, none, none, np.zeros(0, dtype=bool), np.zeros((0, 4)), [])
        ids, sets, items, classes, is_box, boxes = (np.concatenate(column) for column in zip(*parts, strict=True))
        read = cls(sets, items, classes, is_box, boxes, others)
        if ids.size > 1 and bool((ids[1:] <= ids[:-1]).any()):  # the database kept another order
            read.reorder(np.argsort(ids, kind="stable"))
        return read

    def reorder(self, order: np.ndarray) -> None:
        box_at = np.cumsum(self.is_box) - 1
        other_at = np.cumsum(~self.is_box) - 1
        is_box = self.is_box[order]
        self.boxes = self.boxes[box_at[order][is_box]]
        self.others = [self.others[i] for i in other_at[order][~is_box]]
        self.sets, self.item, self.cls, self.is_box = self.sets[order], self.item[order], self.cls[order], is_box


def read_annotations(conn: Connection, set_ids: Sequence[int], items: Sequence[str] | None,
                     progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> Iterator[Batch]:
    """Current annotations of the label sets ``set_ids`` (on ``items`` only, when given and
    few; with more, every item's, for the caller to pick from), batch by batch: by ranges of
    ids (in id order, one pass over the current rows), or by chunks of items."""
    a = _annotation
    base = select(a.c.id, a.c.label_set_id, a.c.item_uid, func.coalesce(a.c.class_uid, "").label("cls"),
                  func.coalesce(cast(a.c.geometry, String), "null").label("geometry"),
                  ).where(a.c.label_set_id.in_(list(set_ids)), current(a))
    if items is not None and len(items) <= FEW_ITEMS:
        queries = [base.where(a.c.item_uid.in_(list(items[i:i + 900]))) for i in range(0, len(items), 900)]
        spans = [(i + 1, len(queries)) for i in range(len(queries))]
    else:
        top = int(conn.scalar(select(func.max(a.c.id))) or 0)
        queries = [base.where(a.c.id > lo, a.c.id <= lo + BATCH) for lo in range(0, top, BATCH)]
        spans = [(min(lo + BATCH, top), top) for lo in range(0, top, BATCH)]
    # The database aggregates the next batch on a worker (it does not hold the GIL meanwhile)
    # while this thread parses the current one; the connection is used by one thread at a time.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="labelhub-read") as pool:
        ahead = pool.submit(_aggregate, conn, queries[0]) if queries else None
        for i, (query, (done, total)) in enumerate(zip(queries, spans, strict=True)):
            found = ahead.result()
            ahead = pool.submit(_aggregate, conn, queries[i + 1]) if i + 1 < len(queries) else None
            if cancel is not None and cancel.is_set():
                raise Cancelled("The agreement computation was cancelled.")
            if found[0]:
                batch = _columns(found)
                if batch is None:  # text that does not split: read the rows themselves
                    if ahead is not None:
                        ahead.result()
                    batch = _rows(conn, query)
                yield batch
            if progress is not None:
                progress(done, total, "Reading the annotators' labels")


def item_sizes(conn: Connection, dataset_id: int, uids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(width, height) of the items' images."""
    q = (select(_item.c.uid, _media.c.width, _media.c.height).join(_media, _media.c.id == _item.c.media_id)
         .where(_item.c.dataset_id == dataset_id, current(_item)))
    out: dict[str, tuple[int, int]] = {}
    chunks = [None] if len(uids) > FEW_ITEMS else [list(uids[i:i + 400]) for i in range(0, len(uids), 400)]
    for chunk in chunks:
        found = conn.execute(q if chunk is None else q.where(_item.c.uid.in_(chunk)))
        out.update((r.uid, (r.width, r.height)) for r in found)
    return out


def rater_matrix(conn: Connection, dataset_id: int, index: dict[str, int], items: Sequence[str] | None,
                 labelled_item: np.ndarray, labelled_member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who rated which item, by review_base's rules, for the items of ``index`` (uid -> row).

    ``labelled_item`` / ``labelled_member``: (item row, member id) of every annotation in an
    annotator's set. Returns (member ids with a rating, (items x those members) rated,
    (items,) accepted). A member rates an item when their assignment is submitted or
    accepted, or when they labelled it without any assignment row; an item is accepted when
    it has assignments, all (but unassigned rows) accepted, and nobody labelled it unassigned.
    """
    q = select(_assignment.c.item_uid, _assignment.c.member_id, _assignment.c.state).where(
        _assignment.c.dataset_id == dataset_id)
    chunks = [None] if items is None or len(items) > FEW_ITEMS else [
        list(items[i:i + 900]) for i in range(0, len(items), 900)]
    rows: list[Any] = []
    for chunk in chunks:
        rows += conn.execute(q if chunk is None else q.where(_assignment.c.item_uid.in_(chunk))).all()
    known = [(index[r.item_uid], r.member_id, r.state) for r in rows if r.item_uid in index]
    a_item = np.array([k[0] for k in known], dtype=np.int64)
    a_member = np.array([k[1] for k in known], dtype=np.int64)
    present = np.zeros(int(max(a_member.max(initial=-1), labelled_member.max(initial=-1))) + 1, dtype=bool)
    present[a_member] = True
    present[labelled_member] = True
    members = np.flatnonzero(present)  # member ids, ascending
    col = (np.cumsum(present) - 1)[np.r_[a_member, labelled_member]]
    n = len(index)
    has_row = np.zeros((n, members.size), dtype=bool)
    done = np.zeros_like(has_row)
    active = np.zeros_like(has_row)
    not_accepted = np.zeros_like(has_row)
    labelled = np.zeros_like(has_row)
    ac = col[:a_member.size]
    has_row[a_item, ac] = True
    done[a_item, ac] = [k[2] in DONE_STATES for k in known]
    active[a_item, ac] = [k[2] != UNASSIGNED for k in known]
    not_accepted[a_item, ac] = [k[2] not in (ACCEPTED, UNASSIGNED) for k in known]
    labelled[labelled_item, col[a_member.size:]] = True
    free = labelled & ~has_row
    rated = done | free
    accepted = active.any(axis=1) & ~not_accepted.any(axis=1) & ~free.any(axis=1)
    keep = rated.any(axis=0)
    return members[keep], rated[:, keep], accepted
