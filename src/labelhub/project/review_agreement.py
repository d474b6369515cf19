"""Agreement between annotators over a dataset, from their label sets as they stand.

The raters of each item (see :mod:`labelhub.project.review_base`) are compared pairwise with
:func:`labelhub.metrics.agreement.agreement_report`, family by family (see
:mod:`labelhub.project.review_shapes`); the families' matches are added up per item, so an
item's F1 covers all its shapes. Each annotator is also compared with the accepted ground
truth on the items accepted so far. Tags give Cohen's kappa per pair, Fleiss' kappa (over the
items rated by two or more annotators, when they all have the same number) and Krippendorff's
alpha (nominal, with missing ratings).

The label sets are read as columns (:mod:`labelhub.project.review_read`): boxes go to the
metrics as arrays without becoming Shape objects; other shapes are decoded one by one.
"""

from __future__ import annotations

import threading
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Shape, shape_from_dict
from labelhub.metrics.agreement import (
    Shapes,
    ShapeTable,
    UndefinedMetricWarning,
    agreement_report,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    rating_counts,
)
from labelhub.project.review_assign import AssignmentsMixin
from labelhub.project.review_read import Columns, item_sizes, rater_matrix, read_annotations
from labelhub.project.review_shapes import (
    NOT_COMPARED,
    family_of,
    region_family,
    tag_category,
    to_shapes,
)
from labelhub.store.database import mapped_reads
from labelhub.store.tables import LabelClass

_class = LabelClass.__table__

Progress = Callable[[int, int, str], None]


def _plain(x: Any) -> Any:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        return None if np.isnan(arr) else float(arr)
    return np.where(np.isnan(arr), None, arr).tolist()


@dataclass(frozen=True)
class TagAgreement:
    """Agreement on tags: one rating per item and annotator (see review_shapes.tag_category)."""

    categories: tuple[str, ...]
    items: int  # items rated by two annotators or more
    cohen_kappa: np.ndarray  # (K, K), NaN diagonal
    fleiss_kappa: float
    krippendorff_alpha: float
    notes: tuple[str, ...] = ()

    def to_dict(self, annotators: Sequence[str]) -> dict[str, Any]:
        pairs = {f"{annotators[i]}/{annotators[j]}": _plain(self.cohen_kappa[i, j])
                 for i in range(len(annotators)) for j in range(i + 1, len(annotators))}
        return {"categories": list(self.categories), "items": self.items,
                "cohen_kappa": {"matrix": _plain(self.cohen_kappa), "pairs": pairs},
                "fleiss_kappa": _plain(self.fleiss_kappa),
                "krippendorff_alpha": _plain(self.krippendorff_alpha), "notes": list(self.notes)}


@dataclass(frozen=True)
class DatasetAgreement:
    """Agreement of a dataset's annotators. Matrices are (K, K) over ``annotators`` with NaN on
    the diagonal and where two annotators share no item; per-item arrays follow ``items``."""

    dataset: str
    iou_threshold: float
    annotators: tuple[str, ...]
    items: tuple[str, ...]
    item_names: tuple[str, ...]
    rated: np.ndarray
    has_shapes: bool
    f1: float
    pair_f1: np.ndarray
    pair_items: np.ndarray
    pair_matched: np.ndarray
    pair_disagreements: np.ndarray
    pair_missed: np.ndarray
    annotator_f1: np.ndarray
    annotator_gt_f1: np.ndarray
    classes: dict[str, tuple[float, int, int]]  # class -> (F1, shapes, shapes compared over pairs)
    item_f1: np.ndarray
    item_disagreements: np.ndarray
    item_missed: np.ndarray
    item_classes: tuple[frozenset[str], ...] = ()
    tags: TagAgreement | None = None
    not_compared: int = 0
    accepted_items: int = 0
    notes: tuple[str, ...] = field(default=())

    def item_index(self, item_uid: str) -> int:
        return self.items.index(item_uid)

    def to_dict(self, *, per_item: bool = False) -> dict[str, Any]:
        names = list(self.annotators)
        out: dict[str, Any] = {
            "dataset": self.dataset, "iou_threshold": self.iou_threshold, "annotators": names,
            "items": {"rated": int(self.rated.any(axis=1).sum()) if self.rated.size else 0,
                      "compared": int((self.rated.sum(axis=1) >= 2).sum()) if self.rated.size else 0,
                      "accepted": self.accepted_items},
            "shapes_compared": self.has_shapes, "f1": _plain(self.f1),
            "pairs": {"f1": _plain(self.pair_f1), "items": self.pair_items.tolist(),
                      "matched": self.pair_matched.tolist(),
                      "disagreements": self.pair_disagreements.tolist(),
                      "missed": self.pair_missed.tolist()},
            "per_annotator": {n: {"f1": _plain(self.annotator_f1[i]),
                                  "f1_vs_accepted": _plain(self.annotator_gt_f1[i]),
                                  "items": int(self.rated[:, i].sum())}
                              for i, n in enumerate(names)},
            "classes": {c: {"f1": _plain(f), "shapes": n, "compared": m}
                        for c, (f, n, m) in self.classes.items()},
            "tags": self.tags.to_dict(names) if self.tags is not None else None,
            "not_compared": self.not_compared, "notes": list(self.notes),
        }
        if per_item:
            out["per_item"] = [
                {"item": u, "name": n, "f1": _plain(self.item_f1[i]),
                 "raters": [names[k] for k in np.flatnonzero(self.rated[i])],
                 "disagreements": int(self.item_disagreements[i]), "missed": int(self.item_missed[i])}
                for i, (u, n) in enumerate(zip(self.items, self.item_names, strict=True))
                if self.rated[i].any()]
        return out


@dataclass
class _Boxes:
    """Boxes as columns (the fast path: most datasets are boxes): annotator, item, class, xywh."""

    ann: np.ndarray
    item: np.ndarray
    cls: np.ndarray
    xywh: np.ndarray

    @classmethod
    def empty(cls) -> _Boxes:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, np.zeros((0, 4)))

    def __len__(self) -> int:
        return int(self.item.size)

    def rows(self) -> list[tuple[int, int, int, Shape]]:
        return [(int(a), int(i), int(c), Box(*map(float, b)))
                for a, i, c, b in zip(self.ann, self.item, self.cls, self.xywh, strict=True)]


@dataclass
class _Loaded:
    """A dataset's raters' annotations (and accepted ground truth), indexed for the metrics."""

    annotators: list[str]
    items: list[str]
    names: list[str]
    sizes: list[tuple[int, int]]  # (width, height) per item; empty when no shape needs them
    rated: np.ndarray
    accepted: np.ndarray
    classes: list[str]
    rows: list[tuple[int, int, int, Shape]]  # annotator, item, class index, shape (not boxes)
    boxes: _Boxes
    gt_rows: list[tuple[int, int, int, Shape]]
    gt_boxes: _Boxes


class AgreementMixin(AssignmentsMixin):
    def agreement(self, dataset: str, *, iou_threshold: float = 0.5, items: Sequence[str] | None = None,
                  progress: Progress | None = None, cancel: threading.Event | None = None) -> DatasetAgreement:
        """Agreement of the annotators of ``dataset`` (or of some ``items``), from their label
        sets as they stand. Reviewers and leads only. Long work: ``progress(done, total,
        message)``; setting ``cancel`` raises Cancelled."""
        self.authorize("review.view")
        if not 0.0 <= float(iou_threshold) <= 1.0:
            raise InvalidInput(f"the IoU threshold lies between 0 and 1, not {iou_threshold}")
        if progress is not None:
            progress(0, 100, "Reading the annotators' labels")

        def reading(done: int, total: int, message: str) -> None:  # the first 40 %
            if progress is not None:
                progress(40 * done // max(total, 1), 100, message)

        def matching(done: int, total: int, message: str) -> None:  # the other 60 %
            if progress is not None:
                progress(40 + 60 * done // max(total, 1), 100, message)

        with self._read() as conn, mapped_reads(conn):
            loaded = self._load_agreement(conn, self._dataset_row(conn, dataset), items, reading, cancel)
        return compute_agreement(dataset, loaded, float(iou_threshold), matching, cancel)

    def _load_agreement(self, conn: Connection, ds: Any, items: Sequence[str] | None,
                        progress: Progress | None = None, cancel: threading.Event | None = None) -> _Loaded:
        if items is not None:
            chosen = self._resolve_items(conn, ds, items)
        else:
            chosen = sorted(self._item_names(conn, ds.id).items(), key=lambda kv: (kv[1], kv[0]))
        uids = [u for u, _ in chosen]
        index = {u: i for i, u in enumerate(uids)}
        members = self._member_ids(conn)
        owner = {s.id: m for m, s in self._annotator_sets(conn, ds.id).items()}
        gt = self._gt_row(conn, ds.id)
        class_names: dict[str, str] = {}
        for r in conn.execute(select(_class.c.uid, _class.c.name).where(_class.c.dataset_id == ds.id)
                              .order_by(_class.c.valid_from)):
            class_names[r.uid] = r.name
        classes: list[str] = []
        class_index: dict[str, int] = {}

        def cls(uid: str) -> int:
            if uid not in class_index:
                class_index[uid] = len(classes)
                classes.append(class_names.get(uid, "(no class)"))
            return class_index[uid]

        subset = uids if items is not None else None
        read = Columns.of(read_annotations(conn, [*owner, gt.id], subset, progress, cancel), index, cls)
        # Columns of the rater matrix: members who own a set (a set's id is its column's key).
        set_member = np.full(max([gt.id, *owner]) + 1, -1, dtype=np.int64)
        for set_id, member_id in owner.items():
            set_member[set_id] = member_id
        member = set_member[read.sets]
        labelled = (read.item >= 0) & (member >= 0)
        rater_ids, rated, accepted = rater_matrix(conn, ds.id, index, subset, read.item[labelled], member[labelled])
        order = sorted(range(rater_ids.size), key=lambda k: members[int(rater_ids[k])])
        rater_ids, rated = rater_ids[order], rated[:, order]
        col = np.full(max(int(set_member.max()), int(rater_ids.max(initial=0))) + 1, -1, dtype=np.int64)
        col[rater_ids] = np.arange(rater_ids.size)
        ann = np.where(member >= 0, col[np.maximum(member, 0)], -1)  # -1: ground truth (or no rater)
        truth = read.sets == gt.id
        known = read.item >= 0
        keep = np.zeros(read.item.size, dtype=bool)
        keep[known] = np.where(truth[known], accepted[read.item[known]],
                               (ann[known] >= 0) & rated[read.item[known], np.maximum(ann[known], 0)])
        parts = {}
        for t in (True, False):
            m = keep[read.is_box] & (truth[read.is_box] == t)
            rows_of = np.flatnonzero(read.is_box)[m]
            parts[t] = _Boxes(np.maximum(ann[rows_of], 0), read.item[rows_of], read.cls[rows_of], read.boxes[m])
        rows, gt_rows = [], []
        for r, data in zip(np.flatnonzero(~read.is_box).tolist(), read.others, strict=True):
            if keep[r] and data is not None:  # (a shape without geometry has nothing to compare)
                entry = (max(int(ann[r]), 0), int(read.item[r]), int(read.cls[r]), shape_from_dict(data))
                (gt_rows if truth[r] else rows).append(entry)
        kinds = {e[3].kind for e in rows + gt_rows}
        sizes: list[tuple[int, int]] = []
        if region_family(kinds) == "region":  # masks are compared over the image
            size_of = item_sizes(conn, ds.id, uids)
            sizes = [size_of.get(u, (0, 0)) for u in uids]
        return _Loaded([members[int(m)] for m in rater_ids], uids, [n for _, n in chosen], sizes,
                       rated, accepted, classes, rows, parts[False], gt_rows, parts[True])


def _table(family: str, rows: list[tuple[int, int, int, Shape]], loaded: _Loaded,
           n_annotators: int, submitted: np.ndarray) -> ShapeTable:
    sizes = [loaded.sizes[r[1]] for r in rows] if family == "region" else None
    shapes = to_shapes(family, [r[3] for r in rows], [r[2] for r in rows], sizes)
    return ShapeTable(shapes, np.array([r[1] for r in rows], dtype=np.int64),
                      np.array([r[0] for r in rows], dtype=np.int64), len(loaded.items),
                      n_annotators, submitted)


def _box_table(boxes: _Boxes, loaded: _Loaded, n_annotators: int, submitted: np.ndarray) -> ShapeTable:
    return ShapeTable(Shapes(boxes.cls, boxes=boxes.xywh), boxes.item, boxes.ann, len(loaded.items),
                      n_annotators, submitted)


def compute_agreement(dataset: str, loaded: _Loaded, iou_threshold: float,
                      progress: Progress | None = None,
                      cancel: threading.Event | None = None) -> DatasetAgreement:
    """The agreement figures of loaded label sets (no database: pure numbers)."""
    k = len(loaded.annotators)
    kinds = {r[3].kind for r in loaded.rows} | {r[3].kind for r in loaded.gt_rows}
    if len(loaded.boxes) or len(loaded.gt_boxes):
        kinds.add("box")
    region = region_family(kinds)
    by_family: dict[str, list[Any]] = defaultdict(list)
    gt_family: dict[str, list[Any]] = defaultdict(list)
    if region == "region":  # boxes are compared with polygons and masks: rasterise them too
        loaded.rows += loaded.boxes.rows()
        loaded.gt_rows += loaded.gt_boxes.rows()
        loaded.boxes = loaded.gt_boxes = _Boxes.empty()
    tags: list[Any] = []
    not_compared = 0
    for row in loaded.rows:
        fam = family_of(row[3], region)
        if fam is not None:
            by_family[fam].append(row)
        elif row[3].kind in NOT_COMPARED:
            not_compared += 1
        if fam == "tag":
            tags.append(row)
    for row in loaded.gt_rows:
        fam = family_of(row[3], region)
        if fam is not None:
            gt_family[fam].append(row)
    if region == "box" and "box" in kinds:
        by_family["box"] = []  # its shapes are the columns of loaded.boxes
    families = sorted(set(by_family) | set(gt_family)) if k else []
    has_shapes = bool(families)
    if k >= 2 and not families:  # nobody drew anything: compare empty sets (they agree)
        families = ["box"]
    reports = []
    for f, fam in enumerate(families):
        def step(done: int, total: int, message: str, f: int = f) -> None:
            if progress is not None:
                progress(int(100 * (f + done / max(total, 1)) / len(families)), 100, message)

        if fam == "box":
            table = _box_table(loaded.boxes, loaded, k, loaded.rated)
            gt = _box_table(loaded.gt_boxes, loaded, 1, loaded.accepted[:, None]) if loaded.accepted.any() else None
        else:
            table = _table(fam, by_family[fam], loaded, k, loaded.rated)
            gt = (_table(fam, gt_family[fam], loaded, 1, loaded.accepted[:, None])
                  if loaded.accepted.any() else None)
        reports.append(agreement_report(table, iou_threshold=iou_threshold, ground_truth=gt,
                                        progress=step, cancel=cancel))
    if progress is not None:
        progress(100, 100, "Agreement computed")
    return _rollup(dataset, loaded, iou_threshold, reports, _tag_agreement(loaded, tags), not_compared,
                   has_shapes)


def _rollup(dataset: str, loaded: _Loaded, iou_threshold: float, reports: list[Any],
            tags: TagAgreement | None, not_compared: int, has_shapes: bool) -> DatasetAgreement:
    """Add the families' matches per item and pair, then roll up as agreement_report does."""
    k, n = len(loaded.annotators), len(loaded.items)
    pairs: dict[tuple[int, int], list[np.ndarray]] = {}
    for report in reports:
        for c in report.comparisons:
            parts = [c.items, c.n_a, c.n_b, c.matched, c.disagreements]
            if (c.a, c.b) in pairs:
                mine = pairs[(c.a, c.b)]
                pairs[(c.a, c.b)] = [mine[0]] + [x + y for x, y in zip(mine[1:], parts[1:], strict=True)]
            else:
                pairs[(c.a, c.b)] = parts
    sums = np.zeros((k, k))
    counts, matched, disagree, missed = (np.zeros((k, k), dtype=np.int64) for _ in range(4))
    gt_sum, gt_n = np.zeros(k), np.zeros(k)
    item_sum, item_n = np.zeros(n), np.zeros(n)
    item_dis, item_miss = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for (a, b), (items, na, nb, m, d) in pairs.items():
        total = na + nb
        f1 = np.where(total > 0, 2.0 * m / np.maximum(total, 1), 1.0)
        if b < 0:
            gt_sum[a] += f1.sum()
            gt_n[a] += items.size
            continue
        for x, y, nx in ((a, b, na), (b, a, nb)):
            sums[x, y] = f1.sum()
            counts[x, y] = items.size
            matched[x, y] = m.sum()
            disagree[x, y] = d.sum()
            missed[x, y] = nx.sum() - m.sum() - d.sum()
        item_sum += np.bincount(items, weights=f1, minlength=n)
        item_n += np.bincount(items, minlength=n)
        item_dis += np.bincount(items, weights=d, minlength=n).astype(np.int64)
        item_miss += np.bincount(items, weights=total - 2 * m - 2 * d, minlength=n).astype(np.int64)
    cls_m: dict[int, float] = defaultdict(float)
    cls_n: dict[int, int] = defaultdict(int)
    for report in reports:
        for c, f, shapes in zip(report.classes, report.class_f1, report.class_shapes, strict=True):
            cls_n[int(c)] += int(shapes)
            cls_m[int(c)] += 0.0 if np.isnan(f) else float(f) * int(shapes)
    item_classes, drawn = _item_classes(loaded)
    classes = {loaded.classes[c]: (cls_m[c] / cls_n[c] if cls_n[c] else float("nan"), int(drawn[c]), cls_n[c])
               for c in sorted(cls_n, key=lambda c: loaded.classes[c])}
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_f1 = sums / counts
        np.fill_diagonal(pair_f1, np.nan)
        f1 = float(sums.sum() / counts.sum()) if counts.sum() else float("nan")
        return DatasetAgreement(
            dataset, iou_threshold, tuple(loaded.annotators), tuple(loaded.items), tuple(loaded.names),
            loaded.rated, has_shapes, f1, pair_f1, counts,
            matched, disagree, missed, sums.sum(axis=1) / counts.sum(axis=1), gt_sum / gt_n, classes,
            item_sum / item_n, item_dis, item_miss, item_classes, tags,
            not_compared, int(loaded.accepted.sum()))


def _item_classes(loaded: _Loaded) -> tuple[tuple[frozenset[str], ...], np.ndarray]:
    """The classes the raters drew on each item, and how many shapes of each class."""
    n, n_cls = len(loaded.items), len(loaded.classes)
    item = np.r_[loaded.boxes.item, np.array([r[1] for r in loaded.rows], dtype=np.int64)]
    cls = np.r_[loaded.boxes.cls, np.array([r[2] for r in loaded.rows], dtype=np.int64)]
    drawn = np.bincount(cls, minlength=n_cls)
    if n_cls > 62:  # too many classes for a bit set per item: one set per item
        sets: list[set[str]] = [set() for _ in range(n)]
        for i, c in zip(item.tolist(), cls.tolist(), strict=True):
            sets[i].add(loaded.classes[c])
        return tuple(frozenset(s) for s in sets), drawn
    # Each item's classes as the bits of one number; one frozenset per distinct combination.
    bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(bits, item, np.left_shift(1, cls))
    combos, inverse = np.unique(bits, return_inverse=True)
    names = [frozenset(loaded.classes[c] for c in range(n_cls) if int(v) >> c & 1) for v in combos]
    return tuple(names[j] for j in inverse.tolist()), drawn


def _tag_agreement(loaded: _Loaded, tags: list[Any]) -> TagAgreement | None:
    """Tags as ratings: (items x annotators) categories, -1 where an annotator did not rate."""
    if not tags:
        return None
    given: dict[tuple[int, int], list[str]] = defaultdict(list)
    for ann, item, cls, _shape in tags:
        given[(item, ann)].append(loaded.classes[cls])
    cells = {(i, a): tag_category(given.get((i, a), ())) for i, a in zip(*np.nonzero(loaded.rated), strict=True)}
    categories = sorted(set(cells.values()))
    code = {c: j for j, c in enumerate(categories)}
    ratings = np.full(loaded.rated.shape, -1, dtype=np.int64)
    for (i, a), c in cells.items():
        ratings[i, a] = code[c]
    per_item = (ratings >= 0).sum(axis=1)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedMetricWarning)
        kappa = pairwise_cohen_kappa(ratings, missing=-1)
        alpha = krippendorff_alpha(ratings, missing=-1)
        several = ratings[per_item >= 2]
        if several.shape[0] == 0:
            fleiss = float("nan")
            notes.append("Fleiss' kappa needs items rated by two annotators or more.")
        elif len(set(per_item[per_item >= 2].tolist())) > 1:
            fleiss = float("nan")
            lo, hi = per_item[per_item >= 2].min(), per_item.max()
            notes.append(f"Fleiss' kappa needs the same number of annotators on every item; "
                         f"items here have {lo} to {hi}.")
        else:
            fleiss = fleiss_kappa(rating_counts(several, categories=range(len(categories)), missing=-1)[0])
    notes += list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UndefinedMetricWarning)))
    return TagAgreement(tuple(categories), int((per_item >= 2).sum()), kappa, fleiss, alpha, tuple(notes))
