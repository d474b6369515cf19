"""Each dataset's content digest and counts, kept in step by every change, so that committing a
version reads a few small rows instead of scanning a million.

What a version's content is
    the dataset's current items (uid, media SHA-256, name, split), its current label classes
    (uid and every schema field) and the current ground-truth annotations on its current items
    (item uid, class uid, shape kind, geometry, attributes). Annotations on an item that left the
    dataset are not part of it; neither are annotator drafts nor predictions.

The digest (a multiset hash)
    every element ``e`` has ``h(e) = SHA-256(canonical JSON of e)`` read as a 256-bit integer; the
    content digest is ``D = sum of h(e) mod 2**256`` over the elements. A sum does not depend on
    order, and it can be updated from the rows a change opened and closed alone:
    ``D' = D + sum h(opened) - sum h(closed)``. Two identical elements count twice. The manifest
    hash of a version is ``SHA-256("labelhub-manifest-1:" + hex(D))``. (An additive hash over
    SHA-256 finds accidental and careless changes; it is not meant to resist someone crafting
    colliding datasets on purpose.)

The counts
    ``tally_count`` rows count current items per split, label classes, and ground-truth
    annotations per (class, split of their item, shape kind). A change moves only the counts of
    the rows it opened or closed, plus the annotations of items it added, removed or moved to
    another split.

Both are updated inside every change's transaction by ``update_tallies`` (called from
``ProjectBase._before_commit``): the rows a change opened have ``valid_from = seq`` and those it
closed ``valid_to = seq``, found through their indexes. A dataset without a tally row (a project
made before tallies existed) is tallied from scratch by ``scan_content``, which is also what
``verify_version`` compares a version against.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from labelhub.store.changelog import canonical
from labelhub.store.tables import (
    Annotation,
    Dataset,
    DatasetTally,
    Item,
    LabelClass,
    LabelSet,
    Media,
    TallyCount,
)
from labelhub.store.versioned import as_of, current

_item = Item.__table__
_class = LabelClass.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__
_media = Media.__table__
_dataset = Dataset.__table__
_tally = DatasetTally.__table__
_count = TallyCount.__table__

MODULUS = 1 << 256
Key = tuple[str, str, str, str]  # (what, class_uid, split, kind)


def _h(parts: list[Any]) -> int:
    return int.from_bytes(hashlib.sha256(canonical(parts).encode()).digest(), "big")


def item_digest(row: Any) -> int:
    return _h(["item", row.uid, row.sha256, row.name, row.split or ""])


def class_digest(row: Any) -> int:
    return _h(["class", row.uid, row.name, row.color, row.hotkey, row.position, row.kinds or [],
               row.attributes or [], row.keypoints or [], row.skeleton or [], row.guidelines or ""])


def annotation_digest(row: Any) -> int:
    return _h(["annotation", row.item_uid, row.class_uid or "", row.kind, row.geometry or {},
               row.attributes or {}])


def manifest_hash(digest: int) -> str:
    return hashlib.sha256(f"labelhub-manifest-1:{digest:064x}".encode()).hexdigest()


@dataclass
class Tally:
    """A dataset's content digest and counts (at one moment)."""

    digest: int = 0
    counts: dict[Key, int] = field(default_factory=dict)

    def add(self, key: Key, h: int | None, sign: int) -> None:
        if h is not None:
            self.digest = (self.digest + sign * h) % MODULUS
        self.counts[key] = self.counts.get(key, 0) + sign

    @property
    def manifest_hash(self) -> str:
        return manifest_hash(self.digest)

    def nonzero(self) -> dict[Key, int]:
        return {k: v for k, v in self.counts.items() if v}


def _gt_sets(conn: Connection) -> dict[int, int]:
    """Ground-truth label set id -> dataset id."""
    return dict(conn.execute(
        select(_label_set.c.id, _label_set.c.dataset_id).where(_label_set.c.kind == "ground_truth")
    ).all())


_ITEM_COLS = (_item.c.uid, _item.c.dataset_id, _item.c.name, _item.c.split, _item.c.valid_from,
              _item.c.valid_to, _media.c.sha256)
_ANN_COLS = (_annotation.c.uid, _annotation.c.label_set_id, _annotation.c.item_uid,
             _annotation.c.class_uid, _annotation.c.kind, _annotation.c.geometry,
             _annotation.c.attributes, _annotation.c.valid_from, _annotation.c.valid_to)


def _chunks(values: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


# ----------------------------------------------------------------------------- from scratch
def scan_content(conn: Connection, dataset_id: int, at_seq: int | None = None) -> Tally:
    """Tally a dataset by reading all of its rows, now or right after change ``at_seq``."""
    tally = Tally()
    item_when = current(_item) if at_seq is None else as_of(_item, at_seq)
    class_when = current(_class) if at_seq is None else as_of(_class, at_seq)
    ann_when = current(_annotation) if at_seq is None else as_of(_annotation, at_seq)
    for row in conn.execute(select(*_ITEM_COLS).join(_media, _media.c.id == _item.c.media_id)
                            .where(_item.c.dataset_id == dataset_id, item_when)):
        tally.add(("item", "", row.split or "", ""), item_digest(row), 1)
    for row in conn.execute(select(_class).where(_class.c.dataset_id == dataset_id, class_when)):
        tally.add(("class", "", "", ""), class_digest(row), 1)
    sets = select(_label_set.c.id).where(_label_set.c.dataset_id == dataset_id,
                                         _label_set.c.kind == "ground_truth")
    rows = conn.execute(
        select(*_ANN_COLS, _item.c.split.label("item_split"))
        .join(_item, and_(_item.c.uid == _annotation.c.item_uid, _item.c.dataset_id == dataset_id,
                          item_when))
        .where(_annotation.c.label_set_id.in_(sets), ann_when)
    )
    for row in rows:
        tally.add(("annotation", row.class_uid or "", row.item_split or "", row.kind),
                  annotation_digest(row), 1)
    return tally


# ------------------------------------------------------------------------------ stored tally
def read_tally(conn: Connection, dataset_id: int) -> Tally | None:
    """The stored tally of a dataset, or None when it has none yet."""
    digest = conn.scalar(select(_tally.c.digest).where(_tally.c.dataset_id == dataset_id))
    if digest is None:
        return None
    rows = conn.execute(select(_count.c.what, _count.c.class_uid, _count.c.split, _count.c.kind,
                               _count.c.count).where(_count.c.dataset_id == dataset_id))
    return Tally(int(digest, 16), {(r.what, r.class_uid, r.split, r.kind): r.count for r in rows})


def _store(conn: Connection, dataset_id: int, tally: Tally, seq: int) -> None:
    conn.execute(delete(_count).where(_count.c.dataset_id == dataset_id))
    conn.execute(delete(_tally).where(_tally.c.dataset_id == dataset_id))
    conn.execute(insert(_tally).values(dataset_id=dataset_id, digest=f"{tally.digest:064x}", seq=seq))
    rows = [{"dataset_id": dataset_id, "what": k[0], "class_uid": k[1], "split": k[2], "kind": k[3],
             "count": v} for k, v in sorted(tally.nonzero().items())]
    if rows:
        conn.execute(insert(_count), rows)


def ensure_tally(conn: Connection, dataset_id: int, seq: int) -> Tally:
    """The dataset's tally, tallied from scratch and stored when it has none yet."""
    tally = read_tally(conn, dataset_id)
    if tally is None:
        tally = scan_content(conn, dataset_id)
        _store(conn, dataset_id, tally, seq)
    return tally


def _apply(conn: Connection, dataset_id: int, delta: Tally, seq: int) -> None:
    old = conn.scalar(select(_tally.c.digest).where(_tally.c.dataset_id == dataset_id))
    digest = (int(old, 16) + delta.digest) % MODULUS
    conn.execute(update(_tally).where(_tally.c.dataset_id == dataset_id)
                 .values(digest=f"{digest:064x}", seq=seq))
    for (what, cls, split, kind), n in sorted(delta.nonzero().items()):
        where = and_(_count.c.dataset_id == dataset_id, _count.c.what == what,
                     _count.c.class_uid == cls, _count.c.split == split, _count.c.kind == kind)
        moved = conn.execute(update(_count).where(where).values(count=_count.c.count + n)).rowcount
        if not moved:
            conn.execute(insert(_count).values(dataset_id=dataset_id, what=what, class_uid=cls,
                                               split=split, kind=kind, count=n))
    conn.execute(delete(_count).where(_count.c.dataset_id == dataset_id, _count.c.count == 0))


# ----------------------------------------------------------------------------- incremental
def _opened_or_closed(table: Any, seq: int) -> Any:
    return or_(table.c.valid_from == seq, table.c.valid_to == seq)


def update_tallies(conn: Connection, seq: int) -> None:
    """Bring the tallies of every dataset change ``seq`` touched in step with its rows.

    Runs inside the change's transaction, after its rows are written. Annotation rows are
    streamed, so a change of a million annotations does not hold them all in memory.
    """
    items = conn.execute(select(*_ITEM_COLS).join(_media, _media.c.id == _item.c.media_id)
                         .where(_opened_or_closed(_item, seq))).all()
    classes = conn.execute(select(_class).where(_opened_or_closed(_class, seq))).all()
    gt = _gt_sets(conn)
    ann_sets: set[int] = set()
    if gt:
        ann_sets = set(conn.execute(select(_annotation.c.label_set_id).distinct().where(
            _opened_or_closed(_annotation, seq))).scalars()) & gt.keys()
    new = set(conn.execute(select(_dataset.c.id).where(_dataset.c.created_seq == seq)).scalars())
    touched = new | {r.dataset_id for r in items} | {r.dataset_id for r in classes} | \
        {gt[s] for s in ann_sets}
    for dataset_id in sorted(touched):
        if read_tally(conn, dataset_id) is None:
            _store(conn, dataset_id, scan_content(conn, dataset_id), seq)
            continue
        delta = _delta(conn, seq, dataset_id,
                       [r for r in items if r.dataset_id == dataset_id],
                       [r for r in classes if r.dataset_id == dataset_id],
                       sorted(s for s in ann_sets if gt[s] == dataset_id),
                       sorted(s for s, d in gt.items() if d == dataset_id))
        _apply(conn, dataset_id, delta, seq)


def _closed(row: Any, seq: int) -> bool:
    return row.valid_to == seq and row.valid_from < seq


def _opened(row: Any, seq: int) -> bool:
    return row.valid_from == seq and row.valid_to is None


_ABSENT = object()


def _delta(conn: Connection, seq: int, dataset_id: int, items: list[Any], classes: list[Any],
           ann_sets: list[int], gt_ids: list[int]) -> Tally:
    delta = Tally()
    before = {r.uid: r for r in items if _closed(r, seq)}
    after = {r.uid: r for r in items if _opened(r, seq)}
    for row in before.values():
        delta.add(("item", "", row.split or "", ""), item_digest(row), -1)
    for row in after.values():
        delta.add(("item", "", row.split or "", ""), item_digest(row), 1)
    for row in classes:
        if _closed(row, seq):
            delta.add(("class", "", "", ""), class_digest(row), -1)
        elif _opened(row, seq):
            delta.add(("class", "", "", ""), class_digest(row), 1)

    # Where each item stood before and after the change: its split, or _ABSENT.
    touched = before.keys() | after.keys()
    split_before = {u: (before[u].split or "") if u in before else _ABSENT for u in touched}
    split_after = {u: (after[u].split or "") if u in after else _ABSENT for u in touched}
    # "+ 0": SQLite must find the rows through valid_from / valid_to, not scan the label set.
    changed_anns = and_(_opened_or_closed(_annotation, seq), (_annotation.c.label_set_id + 0).in_(ann_sets))
    if ann_sets:
        uids = conn.execute(select(_annotation.c.item_uid).distinct().where(changed_anns)).scalars()
        others = sorted(set(uids) - touched)
        for chunk in _chunks(others):
            found = dict(conn.execute(select(_item.c.uid, _item.c.split).where(
                _item.c.uid.in_(chunk), (_item.c.dataset_id + 0) == dataset_id, current(_item))).all())
            for uid in chunk:
                state = (found[uid] or "") if uid in found else _ABSENT
                split_before[uid] = split_after[uid] = state

    def annotation(row: Any, split: Any, sign: int) -> None:
        if split is not _ABSENT:
            delta.add(("annotation", row.class_uid or "", split, row.kind), annotation_digest(row), sign)

    if ann_sets:
        for row in conn.execute(select(*_ANN_COLS).where(changed_anns)):
            if _closed(row, seq):
                annotation(row, split_before[row.item_uid], -1)
            elif _opened(row, seq):
                annotation(row, split_after[row.item_uid], 1)
    # Annotations the change did not touch, on items it added, removed or moved between splits.
    moved = sorted(u for u in touched if split_before[u] != split_after[u])
    for chunk in _chunks(moved):
        rows = conn.execute(select(*_ANN_COLS).where(
            _annotation.c.item_uid.in_(chunk), _annotation.c.label_set_id.in_(gt_ids),
            _annotation.c.valid_from < seq, _annotation.c.valid_to.is_(None)))
        for row in rows:
            annotation(row, split_before[row.item_uid], -1)
            annotation(row, split_after[row.item_uid], 1)
    return delta


# ------------------------------------------------------------------------------------- stats
def stats_of(tally: Tally, classes: Sequence[Any]) -> dict[str, Any]:
    """A version's stats from a tally and the label classes (uid, name, in schema order)."""
    counts = tally.nonzero()
    splits: dict[str, int] = defaultdict(int)
    per_class: dict[str, dict[str, Any]] = {}
    names = {c.uid: c.name for c in classes}
    order = [c.uid for c in classes]
    annotations = 0
    for (what, cls, split, kind), n in counts.items():
        if what == "item":
            splits[split] += n
        elif what == "annotation":
            annotations += n
            entry = per_class.setdefault(cls, {"uid": cls, "name": names.get(cls, ""),
                                               "annotations": 0, "by_split": {}, "by_kind": {}})
            entry["annotations"] += n
            entry["by_split"][split] = entry["by_split"].get(split, 0) + n
            entry["by_kind"][kind] = entry["by_kind"].get(kind, 0) + n
    for uid in order:
        per_class.setdefault(uid, {"uid": uid, "name": names[uid], "annotations": 0,
                                   "by_split": {}, "by_kind": {}})
    rank = {uid: i for i, uid in enumerate(order)}
    ranked = sorted(per_class.values(), key=lambda e: (rank.get(e["uid"], len(order)), e["uid"]))
    for entry in ranked:
        entry["by_split"] = dict(sorted(entry["by_split"].items()))
        entry["by_kind"] = dict(sorted(entry["by_kind"].items()))
    return {
        "items": sum(splits.values()),
        "annotations": annotations,
        "classes": counts.get(("class", "", "", ""), 0),
        "splits": dict(sorted(splits.items())),
        "per_class": ranked,
    }
