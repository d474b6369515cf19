"""A fast read of one item's annotations as columns of numbers, for opening an item with
100,000 shapes: one query, one numeric parse for all geometries, numpy arrays out.

``Project.annotations`` builds a geometry object, an info object and the attribute checks for
every row; that is right for a few hundred shapes and too slow for a hundred thousand. The
packed read returns the same shapes as flat arrays (the layout the canvas draws from) and builds
objects only for masks and tags, which have no vertices. The current state of a large item is
kept in ``cache/annotations`` (see :mod:`labelhub.project.packed_cache`) and brought up to date
from the rows changed since, so reopening an item after editing it does not parse it again.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, or_, select

from labelhub.geometry import SHAPE_KINDS, Shape, shape_from_dict
from labelhub.project.labels import LabelsMixin
from labelhub.project.schema import LabelClassInfo
from labelhub.store.tables import Annotation, Change
from labelhub.store.versioned import as_of, current

_annotation = Annotation.__table__
_change = Change.__table__

#: Codes of the shape kinds in the packed arrays (the index in SHAPE_KINDS).
KIND_CODE: dict[str, int] = {kind: i for i, kind in enumerate(SHAPE_KINDS)}
_BOX, _ROTATED, _POLYGON, _POLYLINE, _POINTS, _KEYPOINTS, _MASK, _TAG = (
    KIND_CODE[k] for k in ("box", "rotated_box", "polygon", "polyline", "points", "keypoints",
                           "mask", "tag"))
_POINTY = (_POLYGON, _POLYLINE, _POINTS, _KEYPOINTS)
#: A cached item is brought up to date from at most this many changed rows (else read again).
MAX_DELTA = 10_000


@dataclass
class PackedAnnotations:
    """The annotations of one item in one label set, bottom of the stack first.

    Row ``i`` has ``uids[i]``, class ``class_list[class_codes[i]]`` (a class uid, or None) and
    kind code ``kinds[i]`` (see KIND_CODE). Boxes keep (x, y, w, h, 0) and rotated boxes
    (cx, cy, w, h, angle) in ``params``; point shapes keep their vertices in
    ``xy[offsets[i]:offsets[i + 1]]`` (keypoint visibility in ``visibility`` over the same
    range). Masks and tags are in ``objects`` by row. ``flagged`` marks rows whose required
    attributes are empty; ``ids`` are the rows' database ids (their order among equal ``z``).
    """

    uids: list[str]
    class_codes: np.ndarray
    class_list: list[str | None]
    kinds: np.ndarray
    params: np.ndarray
    offsets: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    z: np.ndarray
    hidden: np.ndarray
    locked: np.ndarray
    flagged: np.ndarray
    ids: np.ndarray
    objects: dict[int, Shape] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.uids)

    @property
    def class_uids(self) -> list[str | None]:
        """The class uid of every row (built on demand: prefer ``class_codes``)."""
        return [self.class_list[c] for c in self.class_codes.tolist()]

    def shape(self, row: int) -> Shape:
        """The geometry of one row as a shape value."""
        if row in self.objects:
            return self.objects[row]
        kind = SHAPE_KINDS[int(self.kinds[row])]
        if kind == "box":
            x, y, w, h = self.params[row, :4].tolist()
            return shape_from_dict({"kind": "box", "x": x, "y": y, "w": w, "h": h})
        if kind == "rotated_box":
            cx, cy, w, h, a = self.params[row].tolist()
            return shape_from_dict({"kind": kind, "cx": cx, "cy": cy, "w": w, "h": h, "angle": a})
        s, e = int(self.offsets[row]), int(self.offsets[row + 1])
        d: dict[str, Any] = {"kind": kind, "points": self.xy[s:e].tolist()}
        if kind == "keypoints":
            d["visibility"] = self.visibility[s:e].tolist()
        return shape_from_dict(d)


def empty_packed() -> PackedAnnotations:
    return PackedAnnotations([], np.zeros(0, np.int32), [], np.zeros(0, np.int8), np.zeros((0, 5)),
                             np.zeros(1, np.int64), np.zeros((0, 2)), np.zeros(0, np.uint8),
                             np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool),
                             np.zeros(0, bool), np.zeros(0, np.int64))


def ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ranges [starts[i], starts[i] + lengths[i])."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, dtype=np.int64) - first, lengths) + np.arange(total, dtype=np.int64)


def take_rows(p: PackedAnnotations, rows: np.ndarray) -> PackedAnnotations:
    """The rows ``rows`` of ``p``, in that order (a subset or a new order)."""
    rows = np.asarray(rows, dtype=np.int64)
    counts = np.diff(p.offsets)[rows]
    offsets = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    points = ragged(p.offsets[rows], counts)
    objects: dict[int, Shape] = {}
    if p.objects:
        where = np.full(len(p), -1, dtype=np.int64)
        where[rows] = np.arange(rows.size)
        objects = {int(where[r]): s for r, s in p.objects.items() if where[r] >= 0}
    return PackedAnnotations(
        list(map(p.uids.__getitem__, rows.tolist())), p.class_codes[rows], list(p.class_list),
        p.kinds[rows], p.params[rows], offsets, np.take(p.xy, points, axis=0),
        p.visibility[points], p.z[rows], p.hidden[rows], p.locked[rows], p.flagged[rows],
        p.ids[rows], objects)


def concat(a: PackedAnnotations, b: PackedAnnotations) -> PackedAnnotations:
    """The rows of ``a`` then those of ``b``."""
    classes = list(a.class_list)
    position = {c: i for i, c in enumerate(classes)}
    remap = np.array([position.setdefault(c, len(position)) for c in b.class_list] or [0],
                     dtype=np.int32)
    classes = list(position)
    codes = remap[b.class_codes] if len(b) else b.class_codes
    objects = dict(a.objects)
    objects.update({r + len(a): s for r, s in b.objects.items()})
    return PackedAnnotations(
        a.uids + b.uids, np.concatenate([a.class_codes, codes]).astype(np.int32), classes,
        np.concatenate([a.kinds, b.kinds]), np.concatenate([a.params, b.params]),
        np.concatenate([a.offsets, b.offsets[1:] + a.offsets[-1]]),
        np.concatenate([a.xy, b.xy]), np.concatenate([a.visibility, b.visibility]),
        np.concatenate([a.z, b.z]), np.concatenate([a.hidden, b.hidden]),
        np.concatenate([a.locked, b.locked]), np.concatenate([a.flagged, b.flagged]),
        np.concatenate([a.ids, b.ids]), objects)


def in_stack_order(p: PackedAnnotations) -> PackedAnnotations:
    """``p`` ordered by (z, id), bottom first."""
    if len(p) < 2:
        return p
    order = np.lexsort((p.ids, p.z))
    if (order[1:] > order[:-1]).all():
        return p
    return take_rows(p, order)


# -- parsing the stored geometry ---------------------------------------------------------------

_KEY = re.compile(r'"[A-Za-z_]*"')
_PUNCT = str.maketrans("[]{},:", "      ")
_LETTERS = str.maketrans({c: " " for c in '[]{},:"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_'})
#: The key order ``to_dict`` writes, which the fast parse relies on (checked on the first row).
_BOX_KEYS = ["kind", "x", "y", "w", "h"]
_ROTATED_KEYS = ["kind", "cx", "cy", "w", "h", "angle"]


def _numbers(texts: list[str], kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Every number of the geometries (box, rotated box and point shapes) in one C-speed parse,
    with each row's count of numbers; None when the text is not laid out as expected."""
    counts = np.zeros(len(texts), dtype=np.int64)
    for code, keys in ((_BOX, _BOX_KEYS), (_ROTATED, _ROTATED_KEYS)):
        rows = np.flatnonzero(kinds == code)
        if rows.size:
            if list(json.loads(texts[rows[0]])) != keys:
                return None
            counts[rows] = len(keys) - 1
    pointy = np.flatnonzero(np.isin(kinds, _POINTY))
    if pointy.size:
        brackets = np.fromiter(map(str.count, map(texts.__getitem__, pointy.tolist()),
                                   itertools.repeat("[")), dtype=np.int64, count=pointy.size)
        keypoint = kinds[pointy] == _KEYPOINTS
        counts[pointy[~keypoint]] = 2 * (brackets[~keypoint] - 1)
        for local in np.flatnonzero(keypoint).tolist():
            i = int(pointy[local])
            counts[i] = 3 * (brackets[local] - 2) if '"visibility"' in texts[i] else -1
    if (counts < 0).any():
        return None
    joined = " ".join(texts)
    # Letters, quotes and brackets become spaces. A number written with an exponent (1e-05)
    # then splits in two, which the count check catches; the slower key-only clean-up follows.
    for clean in (lambda t: t.translate(_LETTERS), lambda t: _KEY.sub(" ", t).translate(_PUNCT)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            numbers = np.fromstring(clean(joined), sep=" ")
        if numbers.size == int(counts.sum()):
            return numbers, counts
    return None


def _columns_fast(numbers: np.ndarray, counts: np.ndarray, kinds: np.ndarray, vector: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = kinds.size
    sub = kinds[vector]
    starts = np.zeros(vector.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    params = np.zeros((n, 5))
    for code, width in ((_BOX, 4), (_ROTATED, 5)):
        local = np.flatnonzero(sub == code)
        if local.size:
            params[vector[local], :width] = numbers[starts[local, None] + np.arange(width)]
    pointy = np.isin(sub, _POINTY)
    keypoint = sub == _KEYPOINTS
    npoints = np.zeros(vector.size, dtype=np.int64)
    npoints[pointy] = counts[pointy] // 2
    npoints[keypoint] = counts[keypoint] // 3
    per_row = np.zeros(n, dtype=np.int64)
    per_row[vector] = npoints
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    xy = numbers[ragged(starts[pointy], 2 * npoints[pointy])].reshape(-1, 2)
    visibility = np.full(int(offsets[-1]), 2, dtype=np.uint8)
    if keypoint.any():
        rows = vector[keypoint]
        visibility[ragged(offsets[rows], npoints[keypoint])] = \
            numbers[ragged(starts[keypoint] + 2 * npoints[keypoint], npoints[keypoint])]
    return params, offsets, xy, visibility


def _columns_slow(texts: list[str], kinds: np.ndarray, vector: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The same columns through the JSON parser (rows not laid out as the fast path expects)."""
    n = kinds.size
    geoms = json.loads("[" + ",".join(texts) + "]")
    params = np.zeros((n, 5))
    per_row = np.zeros(n, dtype=np.int64)
    points: list[list[list[float]]] = []
    vis: list[list[int]] = []
    for row, g in zip(vector.tolist(), geoms, strict=True):
        code = kinds[row]
        if code == _BOX:
            params[row, :4] = (g["x"], g["y"], g["w"], g["h"])
        elif code == _ROTATED:
            params[row] = (g["cx"], g["cy"], g["w"], g["h"], g.get("angle", 0.0))
        else:
            pts = g["points"]
            per_row[row] = len(pts)
            points.append(pts)
            vis.append(g.get("visibility") or [2] * len(pts))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=offsets[1:])
    chain = itertools.chain.from_iterable
    total = int(offsets[-1])
    xy = np.fromiter(chain(chain(points)), dtype=np.float64, count=total * 2).reshape(-1, 2)
    visibility = np.fromiter(chain(vis), dtype=np.uint8, count=total)
    return params, offsets, xy, visibility


def _integers(values: tuple[Any, ...], dtype: type) -> np.ndarray:
    try:
        return np.array(values, dtype=dtype)
    except TypeError:  # a NULL among them
        return np.array([v or 0 for v in values], dtype=dtype)


def pack_columns(ids: tuple[int, ...], uids: tuple[str, ...], class_uids: tuple[str | None, ...],
                 kinds: tuple[str, ...], texts: tuple[str, ...], z: tuple[int, ...],
                 hidden: tuple[Any, ...], locked: tuple[Any, ...]) -> PackedAnnotations:
    """Packed annotations from columns as the database gives them (geometry as JSON text), in
    the order given; ``flagged`` is left all False."""
    n = len(uids)
    if n == 0:
        return empty_packed()
    codes = np.fromiter(map(KIND_CODE.__getitem__, kinds), dtype=np.int8, count=n)
    distinct = list(dict.fromkeys(class_uids))
    position = {c: i for i, c in enumerate(distinct)}
    class_codes = np.fromiter(map(position.__getitem__, class_uids), dtype=np.int32, count=n)
    objects: dict[int, Shape] = {}
    for i in np.flatnonzero((codes == _MASK) | (codes == _TAG)).tolist():
        objects[i] = shape_from_dict(json.loads(texts[i]))
    vector = np.flatnonzero((codes != _MASK) & (codes != _TAG))
    vector_texts = list(texts) if vector.size == n else [texts[i] for i in vector.tolist()]
    parsed = _numbers(vector_texts, codes[vector])
    if parsed is None:
        params, offsets, xy, visibility = _columns_slow(vector_texts, codes, vector)
    else:
        params, offsets, xy, visibility = _columns_fast(*parsed, codes, vector)
    return PackedAnnotations(
        list(uids), class_codes, distinct, codes, params, offsets, xy, visibility,
        _integers(z, np.int64), np.array(hidden, dtype=bool), np.array(locked, dtype=bool),
        np.zeros(n, dtype=bool), _integers(ids, np.int64), objects)


def pack_rows(rows: list[Any], classes: dict[str, LabelClassInfo]) -> PackedAnnotations:
    """Columns from rows of (uid, class_uid, kind, geometry JSON text, z, hidden, locked,
    attributes JSON text), kept in the order given."""
    if not rows:
        return empty_packed()
    uids, class_uids, kinds, texts, z, hidden, locked, attributes = zip(*rows, strict=True)
    packed = pack_columns(tuple(range(len(rows))), uids, class_uids, kinds, texts, z, hidden, locked)
    required = {uid: [a.name for a in c.attributes if a.required] for uid, c in classes.items()}
    for i, (class_uid, text) in enumerate(zip(class_uids, attributes, strict=True)):
        names = required.get(class_uid or "")
        if names:
            attrs = json.loads(text) if text else {}
            packed.flagged[i] = any(attrs.get(name) in (None, "", []) for name in names)
    return packed


# -- reading ------------------------------------------------------------------------------------


class PackedMixin(LabelsMixin):
    def packed_annotations(self, label_set: str, item: str, *,
                           at_seq: int | None = None) -> PackedAnnotations:
        """The annotations of ``item`` in ``label_set`` as columns (see PackedAnnotations): the
        fast way to read an item with very many shapes. The current state of a large item is
        kept in ``cache/annotations`` and brought up to date from the rows changed since."""
        from labelhub.project import packed_cache

        a = _annotation
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            classes = {c.uid: c for c in self._classes(conn, ls.dataset_id, at_seq)}
            mine = (a.c.label_set_id == ls.id) & (a.c.item_uid == item)
            when = current(a) if at_seq is None else as_of(a, at_seq)
            if at_seq is not None:
                packed = in_stack_order(_fetch(conn, mine, when))
            else:
                stamp = _stamp(conn, mine)
                path = packed_cache.cache_path(self.folder, label_set, item)
                cached = packed_cache.read_cache(path) if path.exists() else None
                packed = None
                if cached is not None:
                    packed = cached[1] if cached[0] == stamp else _updated(conn, mine, cached)
                if packed is None:
                    packed = in_stack_order(_fetch(conn, mine, when))
                if cached is None or cached[0] != stamp:
                    packed_cache.write_cache(path, stamp, packed, background=cached is not None)
            _flag_required(conn, packed, classes, mine, when)
        return packed


def _fetch(conn: Any, mine: Any, when: Any, extra: Any = None) -> PackedAnnotations:
    """The rows of ``mine`` that ``when`` selects, packed in the order the database gives them."""
    a = _annotation
    stmt = select(a.c.id, a.c.uid, a.c.class_uid, a.c.kind, cast(a.c.geometry, String), a.c.z,
                  a.c.hidden, a.c.locked).where(mine, when if extra is None else extra)
    result = conn.execute(stmt)
    try:
        # The driver's own rows (plain tuples): the columns need no conversion, and building
        # a result row object for each of 100,000 rows would cost more than the query.
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return empty_packed()
    return pack_columns(*zip(*rows, strict=True))


def _stamp(conn: Any, mine: Any) -> tuple[int, int, str]:
    """What the current annotations of ``mine`` were made by: the newest current row's id, the
    last seq that closed a row, and the change-log hash of the last change among them (which
    commits to the whole history, so a project file restored from a backup never matches).
    Rows are only ever opened (a higher id) or closed (a higher valid_to), so any change to the
    item moves the stamp; each part is one seek in the (label set, item, valid_to) index."""
    a = _annotation
    top = conn.execute(select(a.c.id, a.c.valid_from).where(mine, a.c.valid_to.is_(None))
                       .order_by(a.c.id.desc()).limit(1)).first()
    max_closed = int(conn.scalar(select(func.max(a.c.valid_to)).where(mine)) or 0)
    last = max(int(top[1]) if top is not None else 0, max_closed)
    digest = conn.scalar(select(_change.c.hash).where(_change.c.seq == last)) if last else ""
    return (int(top[0]) if top is not None else 0, max_closed, str(digest or ""))


def _updated(conn: Any, mine: Any, cached: tuple[tuple[int, int, str], PackedAnnotations]
             ) -> PackedAnnotations | None:
    """The cached columns brought up to date with the rows opened and closed since they were
    written; None when a full read is the better way (many changes, masks or tags)."""
    a = _annotation
    (max_id, max_closed, _digest), old = cached
    changed = conn.execute(select(a.c.id, a.c.valid_to).where(
        mine, or_(a.c.id > max_id, a.c.valid_to > max_closed))).all()
    if len(changed) > min(max(len(old) // 4, 64), MAX_DELTA):
        return None
    closed = np.array([r[0] for r in changed if r[1] is not None], dtype=np.int64)
    opened = [r[0] for r in changed if r[1] is None]
    fresh = _fetch(conn, mine, None, a.c.id.in_(opened)) if opened else empty_packed()
    if fresh.objects:
        return None  # masks and tags are not kept in the cache
    both = concat(old, fresh) if len(fresh) else old
    rows = np.flatnonzero(~np.isin(both.ids, closed)) if closed.size else np.arange(len(both))
    packed = take_rows(both, rows[np.lexsort((both.ids[rows], both.z[rows]))])
    live = conn.scalar(select(func.count()).where(mine, current(a)))
    return packed if len(packed) == live else None


def _flag_required(conn: Any, packed: PackedAnnotations, classes: dict[str, LabelClassInfo],
                   mine: Any, when: Any) -> None:
    """Mark the rows whose required attributes are empty (read apart from the geometry, and
    only for classes that have required attributes)."""
    required = {uid: [x.name for x in c.attributes if x.required] for uid, c in classes.items()}
    required = {k: v for k, v in required.items() if v}
    packed.flagged[:] = False
    if not required or not len(packed):
        return
    a = _annotation
    rows = conn.execute(select(a.c.uid, a.c.class_uid, cast(a.c.attributes, String))
                        .where(mine, when, a.c.class_uid.in_(list(required)))).all()
    position = {uid: i for i, uid in enumerate(packed.uids)} if rows else {}
    for uid, class_uid, text in rows:
        attrs = json.loads(text) if text else {}
        if any(attrs.get(name) in (None, "", []) for name in required[class_uid]) and uid in position:
            packed.flagged[position[uid]] = True
