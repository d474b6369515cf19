"""A fast read of one item's annotations as columns of numbers, for opening an item with
100,000 shapes: one query, one JSON parse for all geometries, numpy arrays out.

``Project.annotations`` builds a geometry object, an info object and the attribute checks for
every row; that is right for a few hundred shapes and too slow for a hundred thousand. The
packed read returns the same shapes as flat arrays (the layout the canvas draws from) and builds
objects only for masks and tags, which have no vertices.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, select

from labelhub.geometry import SHAPE_KINDS, Shape, shape_from_dict
from labelhub.project.labels import LabelsMixin
from labelhub.project.schema import LabelClassInfo
from labelhub.store.tables import Annotation
from labelhub.store.versioned import as_of, current

_annotation = Annotation.__table__

#: Codes of the shape kinds in the packed arrays (the index in SHAPE_KINDS).
KIND_CODE: dict[str, int] = {kind: i for i, kind in enumerate(SHAPE_KINDS)}
_BOX, _ROTATED, _POLYGON, _POLYLINE, _POINTS, _KEYPOINTS, _MASK, _TAG = (
    KIND_CODE[k] for k in ("box", "rotated_box", "polygon", "polyline", "points", "keypoints",
                           "mask", "tag"))
_POINTY = (_POLYGON, _POLYLINE, _POINTS, _KEYPOINTS)


@dataclass
class PackedAnnotations:
    """The annotations of one item in one label set, bottom of the stack first.

    Row ``i`` has ``uids[i]``, ``class_uids[i]`` and kind code ``kinds[i]`` (see KIND_CODE).
    Boxes keep (x, y, w, h, 0) and rotated boxes (cx, cy, w, h, angle) in ``params``; point
    shapes keep their vertices in ``xy[offsets[i]:offsets[i + 1]]`` (keypoint visibility in
    ``visibility`` over the same range). Masks and tags are in ``objects`` by row. ``flagged``
    marks rows whose required attributes are empty.
    """

    uids: list[str]
    class_uids: list[str | None]
    kinds: np.ndarray
    params: np.ndarray
    offsets: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    z: np.ndarray
    hidden: np.ndarray
    locked: np.ndarray
    flagged: np.ndarray
    objects: dict[int, Shape] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.uids)

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


def _empty() -> PackedAnnotations:
    return PackedAnnotations([], [], np.zeros(0, np.int8), np.zeros((0, 5)), np.zeros(1, np.int64),
                             np.zeros((0, 2)), np.zeros(0, np.uint8), np.zeros(0, np.int64),
                             np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, bool))


_KEY = re.compile(r'"[A-Za-z_]*"')
_PUNCT = str.maketrans("[]{},:", "      ")
_LETTERS = str.maketrans({c: " " for c in '[]{},:"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_'})
#: The key order ``to_dict`` writes, which the fast parse relies on (checked on the first row).
_BOX_KEYS = ["kind", "x", "y", "w", "h"]
_ROTATED_KEYS = ["kind", "cx", "cy", "w", "h", "angle"]


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ranges [starts[i], starts[i] + lengths[i])."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    steps = np.ones(total, dtype=np.int64)
    firsts = ends - lengths
    nonempty = lengths > 0
    steps[firsts[nonempty]] = starts[nonempty] - np.concatenate(([0], (starts + lengths - 1)[nonempty][:-1]))
    steps[0] = starts[nonempty][0]
    return np.cumsum(steps)


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
    for i in np.flatnonzero(np.isin(kinds, _POINTY)).tolist():
        t = texts[i]
        if kinds[i] == _KEYPOINTS:
            counts[i] = 3 * (t.count("[") - 2) if '"visibility"' in t else -1
        else:
            counts[i] = 2 * (t.count("[") - 1)
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


def pack_rows(rows: list[Any], classes: dict[str, LabelClassInfo]) -> PackedAnnotations:
    """Columns from rows of (uid, class_uid, kind, geometry JSON text, z, hidden, locked,
    attributes JSON text)."""
    n = len(rows)
    if n == 0:
        return _empty()
    uids = [r[0] for r in rows]
    class_uids = [r[1] for r in rows]
    kinds = np.fromiter((KIND_CODE[r[2]] for r in rows), dtype=np.int8, count=n)
    objects: dict[int, Shape] = {}
    for i in np.flatnonzero((kinds == _MASK) | (kinds == _TAG)).tolist():
        objects[i] = shape_from_dict(json.loads(rows[i][3]))
    vector = np.flatnonzero((kinds != _MASK) & (kinds != _TAG))
    texts = [rows[i][3] for i in vector.tolist()]
    parsed = _numbers(texts, kinds[vector])
    if parsed is None:
        params, offsets, xy, visibility = _columns_slow(texts, kinds, vector)
    else:
        params, offsets, xy, visibility = _columns_fast(*parsed, kinds, vector)
    flagged = np.zeros(n, dtype=bool)
    required = {uid: [a.name for a in c.attributes if a.required] for uid, c in classes.items()}
    for i, r in enumerate(rows):
        names = required.get(r[1])
        if names:
            attrs = json.loads(r[7]) if r[7] else {}
            flagged[i] = any(attrs.get(name) in (None, "", []) for name in names)
    return PackedAnnotations(
        uids, class_uids, kinds, params, offsets, xy, visibility,
        np.fromiter((r[4] or 0 for r in rows), dtype=np.int64, count=n),
        np.fromiter((bool(r[5]) for r in rows), dtype=bool, count=n),
        np.fromiter((bool(r[6]) for r in rows), dtype=bool, count=n), flagged, objects)


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
    xy = numbers[_ragged(starts[pointy], 2 * npoints[pointy])].reshape(-1, 2)
    visibility = np.full(int(offsets[-1]), 2, dtype=np.uint8)
    if keypoint.any():
        rows = vector[keypoint]
        visibility[_ragged(offsets[rows], npoints[keypoint])] = \
            numbers[_ragged(starts[keypoint] + 2 * npoints[keypoint], npoints[keypoint])]
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


#: Items with at least this many annotations keep their packed columns in cache/ between reads.
CACHE_MIN_ROWS = 2000
_CACHED = ("kinds", "params", "offsets", "xy", "visibility", "z", "hidden", "locked")


def _cache_path(folder: Path, label_set: str, item: str) -> Path:
    return folder / "cache" / "annotations" / label_set / f"{item}.npz"


def _read_cache(path: Path, stamp: tuple[int, int, int]) -> PackedAnnotations | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if tuple(int(v) for v in data["stamp"]) != stamp:
                return None
            columns = {k: data[k] for k in _CACHED}
            uids = data["uids"].tolist()
            class_uids = [c or None for c in data["class_uids"].tolist()]
    except (OSError, ValueError, KeyError):
        return None  # absent, stale or damaged: read the database instead
    n = len(uids)
    return PackedAnnotations(uids, class_uids, flagged=np.zeros(n, dtype=bool), **columns)


def _write_cache(path: Path, stamp: tuple[int, int, int], packed: PackedAnnotations) -> None:
    if packed.objects or len(packed) < CACHE_MIN_ROWS:
        return  # masks and tags are not cached; small items read fast anyway
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temp, stamp=np.array(stamp, dtype=np.int64), uids=np.array(packed.uids),
                 class_uids=np.array([c or "" for c in packed.class_uids]),
                 **{k: getattr(packed, k) for k in _CACHED})
        os.replace(temp, path)
    except OSError:
        pass  # the cache is an optimisation: a read-only or full disk only makes reads slower


class PackedMixin(LabelsMixin):
    def packed_annotations(self, label_set: str, item: str, *,
                           at_seq: int | None = None) -> PackedAnnotations:
        """The annotations of ``item`` in ``label_set`` as columns (see PackedAnnotations): the
        fast way to read an item with very many shapes. The current state of a large item is
        kept in ``cache/annotations`` and reused until the item's annotations change."""
        a = _annotation
        with self._read() as conn:
            ls = self._set_row(conn, label_set)
            classes = {c.uid: c for c in self._classes(conn, ls.dataset_id, at_seq)}
            mine = (a.c.label_set_id == ls.id) & (a.c.item_uid == item)
            path = _cache_path(self.folder, label_set, item)
            stamp: tuple[int, int, int] | None = None
            if at_seq is None:
                # Every change opens rows (a higher id) or closes some (a higher valid_to):
                # both are in the (label set, item, valid_to) index, so this reads no table rows.
                found = conn.execute(select(func.max(a.c.id), func.max(a.c.valid_to), func.count())
                                     .where(mine)).one()
                stamp = (int(found[0] or 0), int(found[1] or 0), int(found[2] or 0))
                cached = _read_cache(path, stamp) if path.exists() else None
                if cached is not None:
                    self._flag_required(conn, cached, classes, mine)
                    return cached
            when = current(a) if at_seq is None else as_of(a, at_seq)
            rows = conn.execute(
                select(a.c.uid, a.c.class_uid, a.c.kind, cast(a.c.geometry, String), a.c.z,
                       a.c.hidden, a.c.locked, cast(a.c.attributes, String))
                .where(mine, when).order_by(a.c.z, a.c.id)
            ).all()
        packed = pack_rows(rows, classes)
        if stamp is not None:
            _write_cache(path, stamp, packed)
        return packed

    def _flag_required(self, conn: Any, packed: PackedAnnotations, classes: dict[str, LabelClassInfo],
                       mine: Any) -> None:
        """Mark the rows whose required attributes are empty (read apart from the cache, since
        the schema may have changed since)."""
        required = {uid: [x.name for x in c.attributes if x.required] for uid, c in classes.items()}
        required = {k: v for k, v in required.items() if v}
        if not required:
            return
        a = _annotation
        rows = conn.execute(select(a.c.uid, a.c.class_uid, cast(a.c.attributes, String))
                            .where(mine, current(a), a.c.class_uid.in_(list(required)))).all()
        position = {uid: i for i, uid in enumerate(packed.uids)}
        for uid, class_uid, text in rows:
            attrs = json.loads(text) if text else {}
            if any(attrs.get(name) in (None, "", []) for name in required[class_uid]) and uid in position:
                packed.flagged[position[uid]] = True
