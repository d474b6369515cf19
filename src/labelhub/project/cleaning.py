"""The cleaning report: what is wrong with a dataset's images and labels before anyone labels.

Findings (see ``findings.FINDING_KINDS``): exact duplicates (the same SHA-256 twice in the
dataset, or also in another dataset of the project), near duplicates (perceptual hashes within a
Hamming distance), unreadable files (missing, changed, truncated, undecodable: re-probed), tiny
and extreme-aspect images, too dark, too bright and blurry images (blur: a Laplacian variance
far below the dataset's own, or below an absolute floor), items without labels, and
ground-truth labels that leave their image. Items kept on purpose for a finding
(``keep_findings``) are left out of it. Acting on findings (exclude, keep, tag) is done with
the item edits, each one change.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import aliased

from labelhub.errors import Cancelled, InvalidInput
from labelhub.geometry import shape_from_dict
from labelhub.project.findings import FINDING_KINDS, Finding
from labelhub.project.imagestats import StatsCache, check_files
from labelhub.project.items import _chunks
from labelhub.project.metadata_csv import MetadataCsvMixin
from labelhub.project.neardup import MAX_DISTANCE, clusters, near_pairs
from labelhub.store.tables import Annotation, Dataset, Item, Media
from labelhub.store.versioned import current

_item = Item.__table__
_media = Media.__table__
_dataset = Dataset.__table__
_annotation = Annotation.__table__
Progress = Callable[[int, int, str], None]
PIXEL_KINDS = ("near_duplicate", "unreadable", "too_dark", "too_bright", "blurry")
FLAT_CONTRAST = 2.0  # grey-level standard deviation below which an image is blank


@dataclass(frozen=True)
class CleaningOptions:
    """Thresholds of the cleaning report; ``checks`` limits it to some finding kinds."""

    checks: tuple[str, ...] = tuple(FINDING_KINDS)
    min_side: int = 32
    max_aspect: float = 10.0
    near_distance: int = 6
    dark_below: float = 20.0
    bright_above: float = 235.0
    blur_floor: float = 15.0
    blur_z: float = 3.5
    recheck: bool = False

    def __post_init__(self) -> None:
        unknown = [c for c in self.checks if c not in FINDING_KINDS]
        if unknown:
            raise InvalidInput(f"unknown check {unknown[0]!r}; checks are {', '.join(FINDING_KINDS)}")
        if not 0 <= self.near_distance <= MAX_DISTANCE:
            raise InvalidInput(f"the near-duplicate distance must be 0 to {MAX_DISTANCE} bits")
        if self.min_side < 1 or self.max_aspect < 1:
            raise InvalidInput("the minimum side must be at least 1 and the aspect limit at least 1")


@dataclass
class CleaningReport:
    dataset: str
    items: int
    options: CleaningOptions
    findings: list[Finding] = field(default_factory=list)
    kept: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((k for k in FINDING_KINDS if k in self.options.checks), 0)
        for f in self.findings:
            out[f.kind] += 1
        return out

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> str:
        found = [f"{n} {FINDING_KINDS[k][0].lower()}" for k, n in self.counts().items() if n]
        text = f"{self.items:,} items checked: " + (", ".join(found) if found else "nothing found")
        if self.kept:
            text += f" ({self.kept} kept on purpose and not shown)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "items": self.items, "counts": self.counts(),
                "kept": self.kept, "seconds": round(self.seconds, 3),
                "options": {**asdict(self.options), "checks": list(self.options.checks)},
                "findings": [f.to_dict() for f in self.findings]}


@dataclass
class _Items:
    uids: list[str]
    names: list[str]
    media: list[int]
    sha: list[str]
    width: np.ndarray
    height: np.ndarray
    bytes: list[int]
    paths: list[str]
    kept: list[frozenset[str]]
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {u: i for i, u in enumerate(self.uids)}


class CleaningMixin(MetadataCsvMixin):
    def _cleaning_items(self, dataset: str) -> tuple[Any, _Items]:
        folder = str(self.folder)  # paths as text: a Path per item costs seconds at 100,000
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            rows = conn.execute(
                select(_item.c.uid, _item.c.name, _item.c.media_id, _item.c.meta["kept"].as_string().label("kept"),
                       _media.c.sha256, _media.c.width, _media.c.height, _media.c.bytes,
                       _media.c.storage, _media.c.location)
                .join(_media, _media.c.id == _item.c.media_id)
                .where(_item.c.dataset_id == ds.id, current(_item)).order_by(_item.c.name)).all()
        return ds, _Items(
            [r.uid for r in rows], [r.name for r in rows], [r.media_id for r in rows],
            [r.sha256 for r in rows], np.asarray([r.width for r in rows], np.int64),
            np.asarray([r.height for r in rows], np.int64), [r.bytes for r in rows],
            [r.location if r.storage == "link" else os.path.join(folder, r.location) for r in rows],
            [frozenset(json.loads(r.kept)) if r.kept else frozenset() for r in rows])

    def cleaning_report(self, dataset: str, options: CleaningOptions | None = None, *,
                        progress: Progress | None = None,
                        cancel: threading.Event | None = None) -> CleaningReport:
        """Look for every kind of problem in ``options.checks``; writes nothing but the image
        stats cache. Long: re-probes and decodes every image not measured before."""
        opts = options or CleaningOptions()
        started = time.monotonic()

        def step(done: int, total: int, message: str) -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled("the cleaning report was cancelled")
            if progress:
                progress(done, total, message)

        step(0, 1, "reading the items")
        ds, items = self._cleaning_items(dataset)
        report = CleaningReport(ds.name, len(items.uids), opts)
        found: list[Finding] = []
        checks = set(opts.checks)
        if "exact_duplicate" in checks:
            found += self._exact_duplicates(ds, items)
        if "tiny" in checks or "extreme_aspect" in checks:
            found += _size_findings(items, opts, checks)
        if checks & set(PIXEL_KINDS):
            found += self._pixel_findings(items, opts, checks, step, cancel)
        if "no_labels" in checks or "label_outside" in checks:
            step(0, 1, "checking the labels")
            found += self._label_findings(dataset, items, checks)
        kept_before = sum(1 for f in found for u in f.items if f.kind in items.kept[items.index[u]])
        report.findings = [f for f in (_without_kept(f, items) for f in found) if f is not None]
        report.kept = kept_before
        order = {k: i for i, k in enumerate(FINDING_KINDS)}
        report.findings.sort(key=lambda f: (order[f.kind], f.names))
        report.seconds = time.monotonic() - started
        return report

    def _exact_duplicates(self, ds: Any, items: _Items) -> list[Finding]:
        rows_of: dict[int, list[int]] = defaultdict(list)
        for i, m in enumerate(items.media):
            rows_of[m].append(i)
        other = aliased(_item)
        elsewhere: dict[int, list[str]] = defaultdict(list)
        with self._read() as conn:
            for m, dname, iname in conn.execute(
                select(other.c.media_id, _dataset.c.name, other.c.name)
                .join(_dataset, _dataset.c.id == other.c.dataset_id)
                .join(_item, _item.c.media_id == other.c.media_id)
                .where(_item.c.dataset_id == ds.id, current(_item), other.c.dataset_id != ds.id,
                       other.c.valid_to.is_(None))
            ):
                elsewhere[m].append(f"{dname}/{iname}")
        out = []
        for m, rows in rows_of.items():
            if len(rows) < 2 and m not in elsewhere:
                continue
            others = sorted(elsewhere.get(m, []))
            detail = f"SHA-256 {items.sha[rows[0]][:12]}…"
            if len(rows) > 1:
                detail += f", {len(rows)} times in {ds.name}"
            if others:
                detail += ", also " + ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
            out.append(Finding("exact_duplicate", tuple(items.uids[r] for r in rows),
                               tuple(items.names[r] for r in rows), detail,
                               extra={"sha256": items.sha[rows[0]], "elsewhere": others}))
        return out

    def _pixel_findings(self, items: _Items, opts: CleaningOptions, checks: set[str],
                        step: Progress, cancel: threading.Event | None) -> list[Finding]:
        files: dict[str, tuple[str, str, int]] = {}
        for sha, path, size in zip(items.sha, items.paths, items.bytes, strict=True):
            files.setdefault(sha, (sha, path, size))
        with StatsCache(self.folder) as cache:
            results = check_files(cache, list(files.values()), recheck=opts.recheck,
                                  progress=step, cancel=cancel)
        out: list[Finding] = []
        good: list[int] = []
        for i, sha in enumerate(items.sha):
            res = results[sha]
            if res.stats is None:
                if "unreadable" in checks:
                    out.append(Finding("unreadable", (items.uids[i],), (items.names[i],),
                                       res.problem or "unreadable"))
            else:
                good.append(i)
        stats = [results[items.sha[i]].stats for i in good]
        # Blank (flat) images have no structure to hash: they are reported by brightness.
        textured = [n for n, s in enumerate(stats) if s is not None and s.contrast >= FLAT_CONTRAST]
        if "near_duplicate" in checks and len(textured) > 1:
            step(0, 1, "looking for near duplicates")
            hashes = np.asarray([stats[n].phash for n in textured], np.uint64)  # type: ignore[union-attr]
            ii, jj, dd = near_pairs(hashes, opts.near_distance)
            ii, jj = np.asarray(textured, np.int64)[ii], np.asarray(textured, np.int64)[jj]
            same_file = np.asarray([items.sha[good[a]] == items.sha[good[b]] for a, b in zip(ii, jj, strict=True)], bool)
            ii, jj, dd = ii[~same_file], jj[~same_file], dd[~same_file]
            groups = clusters(len(good), ii, jj)
            group_of = {node: g for g, members in enumerate(groups) for node in members}
            pairs_of: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
            for a, b, d in zip(ii.tolist(), jj.tolist(), dd.tolist(), strict=True):
                pairs_of[group_of[a]].append((items.uids[good[a]], items.uids[good[b]], d))
            for g, group in enumerate(groups):
                pairs = pairs_of[g]
                worst = max(p[2] for p in pairs)
                rows = [good[m] for m in group]
                out.append(Finding("near_duplicate", tuple(items.uids[r] for r in rows),
                                   tuple(items.names[r] for r in rows),
                                   f"{len(rows)} images within {worst} bit{'s' if worst != 1 else ''} "
                                   f"of each other", float(worst), extra={"pairs": pairs}))
        dark = set()
        for i, s in zip(good, stats, strict=True):
            assert s is not None
            if "too_dark" in checks and s.brightness < opts.dark_below:
                out.append(Finding("too_dark", (items.uids[i],), (items.names[i],),
                                   f"mean brightness {s.brightness:.0f} of 255", round(s.brightness, 2)))
                dark.add(i)
            elif "too_bright" in checks and s.brightness > opts.bright_above:
                out.append(Finding("too_bright", (items.uids[i],), (items.names[i],),
                                   f"mean brightness {s.brightness:.0f} of 255", round(s.brightness, 2)))
                dark.add(i)
        if "blurry" in checks and stats:
            logs = np.log1p(np.asarray([s.sharpness for s in stats]))  # type: ignore[union-attr]
            median = float(np.median(logs))
            spread = 1.4826 * float(np.median(np.abs(logs - median)))
            for i, s, lg in zip(good, stats, logs, strict=True):
                assert s is not None
                if i in dark or s.contrast < FLAT_CONTRAST:
                    continue  # blank images are reported by their brightness, not as blurry
                relative = len(stats) >= 10 and spread > 0 and (lg - median) / spread < -opts.blur_z
                if s.sharpness < opts.blur_floor or relative:
                    typical = math.expm1(median)
                    out.append(Finding("blurry", (items.uids[i],), (items.names[i],),
                                       f"sharpness {s.sharpness:.1f} (typical here {typical:.0f})",
                                       round(s.sharpness, 3)))
        return out

    def _label_findings(self, dataset: str, items: _Items, checks: set[str]) -> list[Finding]:
        out: list[Finding] = []
        labelled: set[str] = set()
        outside: dict[str, list[tuple[str, str]]] = defaultdict(list)
        rows_of = items.index
        with self._read() as conn:
            scope = self._scope(conn, dataset)
            for chunk in _chunks(items.uids, 5000):
                for uid, ann_uid, kind, geometry in conn.execute(
                    select(_annotation.c.item_uid, _annotation.c.uid, _annotation.c.kind,
                           _annotation.c.geometry)
                    .where(_annotation.c.label_set_id == scope.ground_truth_id, current(_annotation),
                           _annotation.c.item_uid.in_(chunk))
                ):
                    labelled.add(uid)
                    if "label_outside" not in checks or kind == "tag":
                        continue
                    i = rows_of[uid]
                    try:
                        problems = shape_from_dict(geometry).validate(int(items.width[i]), int(items.height[i]))
                    except (InvalidInput, ValueError, KeyError, TypeError) as exc:
                        problems = [f"unreadable shape ({exc})"]
                    for problem in problems:
                        outside[uid].append((ann_uid, problem))
        if "no_labels" in checks:
            for i, uid in enumerate(items.uids):
                if uid not in labelled:
                    out.append(Finding("no_labels", (uid,), (items.names[i],), "no labels in the ground truth"))
        for uid, problems in outside.items():
            i = rows_of[uid]
            text = problems[0][1] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            out.append(Finding("label_outside", (uid,), (items.names[i],), text,
                               annotations=tuple(dict.fromkeys(a for a, _p in problems))))
        return out


def _size_findings(items: _Items, opts: CleaningOptions, checks: set[str]) -> list[Finding]:
    out = []
    for i, (w, h) in enumerate(zip(items.width.tolist(), items.height.tolist(), strict=True)):
        if "tiny" in checks and min(w, h) < opts.min_side:
            out.append(Finding("tiny", (items.uids[i],), (items.names[i],), f"{w}×{h} px",
                               float(min(w, h))))
        if "extreme_aspect" in checks and max(w, h) >= opts.max_aspect * max(min(w, h), 1):
            ratio = max(w, h) / max(min(w, h), 1)
            out.append(Finding("extreme_aspect", (items.uids[i],), (items.names[i],),
                               f"{w}×{h} px, {ratio:.1f} to 1", round(ratio, 2)))
    return out


def _without_kept(f: Finding, items: _Items) -> Finding | None:
    rows = {u: i for i, u in enumerate(f.items)}
    kept = [u for u in f.items if f.kind in items.kept[items.index[u]]]
    if not kept:
        return f
    left = tuple(u for u in f.items if u not in kept)
    if f.kind == "near_duplicate" and len(left) < 2:
        return None
    if f.kind == "exact_duplicate" and len(left) < 2 and not f.extra.get("elsewhere"):
        return None
    if not left:
        return None
    return Finding(f.kind, left, tuple(f.names[rows[u]] for u in left), f.detail, f.value,
                   f.annotations, f.extra)
