"""Exporting a dataset version through the exchange formats (``labelhub.formats``).

An export reads the version's rows as they stood at its seq, streams them to the format's
writer a batch of items at a time (memory does not grow with the dataset), optionally copies
the media files, and writes ``manifest.json``: the dataset, the version, its manifest hash, the
schema with the class ids used, the counts, the LabelHub version, the options, the loss plan
and the SHA-256 of every file written. Nothing in it depends on when or where the export ran,
so exporting the same version twice gives byte-identical files.

Before anything is written the loss plan lists every shape the format cannot hold as it is
(converted to another shape, or dropped); an export with losses needs ``accept_losses=True``
(the window asks, the command line prints the plan and says so in the manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Text, func, select, type_coerce

from labelhub import __version__
from labelhub.errors import Cancelled, InvalidInput
from labelhub.formats import (
    FORMATS,
    ClassSpec,
    ExportOptions,
    Item,
    Loss,
    StoredAnnotations,
    format_info,
    plan_export,
    resolve_yolo_task,
    write_dataset,
)
from labelhub.formats import AttributeSpec as FormatAttribute
from labelhub.formats.batches import ItemBatch, ItemStream
from labelhub.formats.model import BoxBlock, image_record
from labelhub.geometry import SHAPE_KINDS, box_json_numbers
from labelhub.project.box_reads import BoxReader, boxes_of, grouped_reads
from labelhub.project.labels import CROWD_ATTRIBUTE
from labelhub.project.schema import LabelClassInfo
from labelhub.project.versions import VersionInfo, VersionsMixin
from labelhub.store.database import mapped_reads
from labelhub.store.tables import Annotation, LabelSet, Media
from labelhub.store.tables import Item as ItemTable
from labelhub.store.versioned import as_of

_item = ItemTable.__table__
_media = Media.__table__
_annotation = Annotation.__table__
_label_set = LabelSet.__table__

Progress = Callable[[int, int, str], None]
MANIFEST = "manifest.json"
#: Item metadata kept out of exports: where a file was on the importer's disk is private.
PRIVATE_METADATA = ("source",)
_TYPES = {"boolean": "bool", "number": "float", "text": "text", "choice": "select"}
_BATCH = 1000


def target_title(target: str) -> str:
    """``yolo-classify`` as "YOLO classify", ``imagenet`` as its format title."""
    return f"YOLO {target[5:]}" if target.startswith("yolo-") else FORMATS[target].title


def class_specs(classes: Sequence[LabelClassInfo]) -> list[ClassSpec]:
    """The formats' view of a label schema: ids 1, 2, ... in schema order."""
    return [ClassSpec(i + 1, c.name, c.color, tuple(c.kinds), tuple(c.keypoints), tuple(c.skeleton),
                      tuple(FormatAttribute(a.name, _TYPES[a.type], tuple(a.choices), a.default)
                            for a in c.attributes))
            for i, c in enumerate(classes)]


def _schema_entry(spec: ClassSpec, info: LabelClassInfo) -> dict[str, Any]:
    return {"id": spec.id, "name": spec.name, "uid": info.uid, "color": info.color,
            "kinds": list(info.kinds), "keypoints": list(info.keypoints),
            "skeleton": [list(e) for e in info.skeleton],
            "attributes": [a.to_dict() for a in info.attributes]}


def _loss_dict(loss: Loss) -> dict[str, Any]:
    return {"label": loss.label, "kind": loss.kind, "count": loss.count, "action": loss.action,
            "detail": loss.detail}


#: Targets that hold the images themselves in one folder per image-level label.
FOLDER_LAYOUTS = ("imagenet", "yolo-classify")
UNLABELLED = "images"  # the Loss.kind of images a folder layout has no place for


def _describe_loss(x: Loss) -> str:
    if x.kind == "attributes":
        what = f"the attributes of {x.count:,} {x.label} annotation{'s' if x.count != 1 else ''}"
    elif x.kind == UNLABELLED:
        what = f"{x.count:,} image{'s' if x.count != 1 else ''} without an image-level label"
    else:
        what = f"{x.count:,} {x.kind.replace('_', ' ')} shape{'s' if x.count != 1 else ''} of {x.label}"
    return f"{what}: {x.action} ({x.detail})"


@dataclass(frozen=True)
class ExportPlan:
    """What an export will write, and every shape the format cannot hold as it is."""

    dataset: str
    version: VersionInfo
    format: str
    target: str  # the format, or "yolo-<task>"
    options: dict[str, Any]
    classes: list[ClassSpec]
    losses: list[Loss]
    kind_counts: dict[str, dict[str, int]]

    @property
    def converted(self) -> int:
        """Shapes written as another shape."""
        return sum(x.count for x in self.losses if x.action == "converted" and x.kind in SHAPE_KINDS)

    @property
    def dropped(self) -> int:
        """Shapes not written."""
        return sum(x.count for x in self.losses if x.action == "dropped" and x.kind in SHAPE_KINDS)

    def describe(self) -> list[str]:
        """One line per loss, in words."""
        return [_describe_loss(x) for x in self.losses]

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version.number, "format": self.format,
                "target": self.target, "options": self.options,
                "losses": [_loss_dict(x) for x in self.losses],
                "converted": self.converted, "dropped": self.dropped}


@dataclass
class ExportReport:
    out: Path
    plan: ExportPlan
    files: dict[str, str] = field(default_factory=dict)  # relative path -> SHA-256
    items: int = 0
    annotations: int = 0
    media_files: int = 0

    def summary(self) -> str:
        v = self.plan.version
        text = (f"exported {self.plan.dataset} {v.label} as {self.plan.target}: {self.items:,} items, "
                f"{self.annotations:,} annotations, {len(self.files):,} files into {self.out}")
        if self.plan.losses:
            text += f" ({self.plan.converted:,} shapes converted, {self.plan.dropped:,} dropped)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "plan": self.plan.to_dict(), "files": len(self.files),
                "items": self.items, "annotations": self.annotations, "media_files": self.media_files}


_NO_ATTRIBUTES = frozenset((None, "{}", "null"))


def _annotation_rows(conn: Connection, gt: int, images: dict[str, str], labels: dict[str, str],
                     seq: int) -> dict[str, StoredAnnotations]:
    """The ground-truth annotations at ``seq`` of a batch of items (``images``: uid -> name)
    that have a label class (``labels``: class uid -> name), by item uid, in z then drawing
    order, as the formats' StoredAnnotations (checked: the project checks every shape against
    its image before it stores it), read a row per annotation: geometry kept as its JSON text,
    with the texts of a box's numbers found for the whole batch at once (see
    :func:`box_json_numbers`). Done column by column: a loop over millions of annotations
    costs by the step. (Most items come grouped instead: see :mod:`.box_reads`.)"""
    a = _annotation.c
    result = conn.execute(
        select(a.item_uid, a.class_uid, type_coerce(a.geometry, Text),
               type_coerce(a.attributes, Text), a.z)
        .where(a.label_set_id == gt, a.item_uid.in_(list(images)), as_of(_annotation, seq))
        .order_by(a.id), execution_options={"stream_results": False})
    # The DB-API rows themselves: text and whole numbers need no conversion, and making a
    # Row object for each of millions of annotations would cost a third of an export.
    # (Unbuffered: with stream_results SQLAlchemy would already have taken a row.)
    rows = result.cursor.fetchall()
    result.close()
    if any(map(itemgetter(4), rows)):  # drawing order is id order; z, where set, comes first
        rows.sort(key=itemgetter(4))
    names = list(map(labels.get, map(itemgetter(1), rows)))
    if None in names:  # no label class: the plan counts these as dropped
        rows = [row for row, name in zip(rows, names, strict=True) if name is not None]
        names = [name for name in names if name is not None]
    geometry = list(map(itemgetter(2), rows))
    boxes = box_json_numbers(geometry)
    texts = list(map(itemgetter(3), rows))
    plain = set(texts) <= _NO_ATTRIBUTES
    # None for no attributes: an entry of texts, numbers and None is no container the garbage
    # collector keeps looking at (with millions of them, its full passes would cost a quarter).
    if plain:
        attributes: Iterable[dict[str, Any] | None] = repeat(None)
        crowds: Iterable[bool] = repeat(False)
    else:
        attributes = [None if t in _NO_ATTRIBUTES else json.loads(t) or None for t in texts]
        crowds = [x is not None and x.get(CROWD_ATTRIBUTE) is True for x in attributes]
    plain = plain and None not in boxes
    grouped: defaultdict[str, list[Any]] = defaultdict(list)
    entries = zip(names, geometry, boxes, attributes, crowds, strict=False)  # some repeat()
    for item_uid, entry in zip(map(itemgetter(0), rows), entries, strict=True):
        grouped[item_uid].append(entry)
    return {uid: StoredAnnotations(images[uid], entries, plain or all(
        e[2] is not None and not e[3] for e in entries), checked=True)
        for uid, entries in grouped.items()}


_NO_BOXES = BoxBlock([])


def _metadata(text: str | None) -> dict[str, Any] | None:
    """An item's metadata for an export (None for none): what it stores, without the private
    keys."""
    if text in _NO_ATTRIBUTES:
        return None
    return {k: v for k, v in (json.loads(text) or {}).items() if k not in PRIVATE_METADATA}  # type: ignore[arg-type]


def _runs(batch: list[Any], boxed: dict[str, int], labels: list[str], block: BoxBlock,
          by_item: dict[str, StoredAnnotations], counter: dict[str, int]) -> Iterator[Item | ItemBatch]:
    """A batch of item rows (uid, name, split, metadata, sha256, width, height) as runs of
    the items with boxes only or nothing (``boxed``: uid -> how many boxes, their ``labels``
    and numbers (``block``) one item after another in batch order), and as single items those
    read row by row (``by_item``)."""
    if not by_item and batch:  # the usual batch: one run, made a column at a time
        uids, names, splits, metas, sha256s, widths, heights = map(list, zip(*batch, strict=True))
        counts = list(map(boxed.get, uids, repeat(0)))
        metadata = ([None] * len(metas) if _NO_ATTRIBUTES.issuperset(metas)
                    else list(map(_metadata, metas)))
        yield ItemBatch(names, widths, heights, splits, sha256s, metadata, counts, labels, block,
                        0, checked=True)
        counter["items"] += len(batch)
        counter["annotations"] += len(labels)
        return
    run: list[tuple[Any, ...]] = []  # name, width, height, split, sha256, metadata, boxes
    first = at = 0  # the run's first box, the next box
    for uid, name, split, meta, sha256, width, height in batch:
        anns = by_item.get(uid)
        if anns is None:
            n = boxed.get(uid, 0)
            run.append((name, width, height, split, sha256, _metadata(meta), n))
            at += n
            continue
        if run:
            yield ItemBatch(*map(list, zip(*run, strict=True)), labels[first:at], block, first,
                            checked=True)
            run = []
        first = at
        yield tuple.__new__(Item, (image_record(name, width, height, split, sha256,
                                                _metadata(meta) or {}), anns))
    if run:
        yield ItemBatch(*map(list, zip(*run, strict=True)), labels[first:at], block, first,
                        checked=True)
    counter["items"] += len(batch)
    counter["annotations"] += len(labels) + sum(map(len, by_item.values()))


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _prepare_out(out: Path) -> Path:
    """A fresh staging folder beside ``out``; ``out`` must not exist or be an empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out} already exists and is not an empty folder; choose a new one")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.labelhub-export-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    return stage


class ExchangeMixin(VersionsMixin):
    # ------------------------------------------------------------------------------- plan
    def export_plan(self, dataset: str, version: int | str, fmt: str,
                    options: ExportOptions | dict[str, Any] | None = None) -> ExportPlan:
        """The loss plan of exporting ``version`` in ``fmt``: read from the version's counts,
        without reading its annotations."""
        format_info(fmt)
        v = self.version(dataset, version)
        opts = options if isinstance(options, ExportOptions) else ExportOptions(**dict(options or {}))
        infos = self.label_classes(dataset, at_seq=v.seq)
        specs = class_specs(infos)
        kinds: dict[str, dict[str, int]] = {}
        unclassified: dict[str, int] = {}
        for entry in v.stats.get("per_class", []):
            if entry["annotations"] and entry["name"]:
                kinds[entry["name"]] = dict(entry["by_kind"])
            elif entry["annotations"]:
                unclassified = dict(entry["by_kind"])
        target = f"yolo-{resolve_yolo_task(kinds, opts)}" if fmt == "yolo" else fmt
        if fmt == "yolo" and opts.yolo_task is None:
            opts = ExportOptions(target[5:], opts.labelme_oriented_rectangles)
        losses = plan_export(fmt, specs, kinds, opts)
        losses += [Loss("(no class)", k, n, "dropped", "an annotation without a label class has "
                        "nothing to be written as") for k, n in sorted(unclassified.items())]
        if target in FOLDER_LAYOUTS and (untagged := self._untagged_items(dataset, v.seq)):
            losses.append(Loss("(no label)", UNLABELLED, untagged, "dropped",
                               "the layout is one folder per label; these images have none"))
        used = {"yolo_task": opts.yolo_task, "labelme_oriented_rectangles": opts.labelme_oriented_rectangles}
        return ExportPlan(v.dataset, v, fmt, target, used, specs, losses, kinds)

    def _untagged_items(self, dataset: str, seq: int) -> int:
        """How many of the dataset's items at ``seq`` have no ground-truth tag."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            gt = select(_label_set.c.id).where(_label_set.c.dataset_id == ds.id,
                                               _label_set.c.kind == "ground_truth")
            tagged = select(_annotation.c.item_uid).where(
                _annotation.c.label_set_id.in_(gt), _annotation.c.kind == "tag", as_of(_annotation, seq))
            return conn.scalar(select(func.count()).select_from(_item).where(
                _item.c.dataset_id == ds.id, as_of(_item, seq), _item.c.uid.not_in(tagged))) or 0

    # ----------------------------------------------------------------------------- export
    def export_version(
        self, dataset: str, version: int | str, fmt: str, out: str | os.PathLike[str], *,
        with_media: bool = False, options: ExportOptions | dict[str, Any] | None = None,
        accept_losses: bool = False, progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportReport:
        """Write ``version`` of ``dataset`` in format ``fmt`` into the new folder ``out``.

        Refused when the format would convert or drop shapes unless ``accept_losses`` (see
        :meth:`export_plan`). Nothing is left at ``out`` when it fails or is cancelled.
        """
        plan = self.export_plan(dataset, version, fmt, options)
        if plan.target in FOLDER_LAYOUTS and not with_media:
            raise InvalidInput(f"{target_title(plan.target)} is made of the image files themselves, "
                               "one folder per label: export it with the image files (with media)")
        if plan.losses and not accept_losses:
            lines = "\n  ".join(plan.describe())
            raise InvalidInput(f"{target_title(plan.target)} cannot hold every shape of {plan.dataset} "
                               f"{plan.version.label}:\n  {lines}\nExport anyway to accept this.")
        out = Path(out).expanduser().resolve()
        stage = _prepare_out(out)
        report = ExportReport(out, plan)
        total = int(plan.version.stats.get("items", 0))
        steps = 2 * total if with_media else total
        try:
            def items_progress(done: int, _total: int, message: str) -> None:
                if progress:
                    progress(min(done, total), steps, message)

            counter = {"items": 0, "annotations": 0}
            result = write_dataset(
                fmt, stage, plan.classes, self._stream_items(plan, counter, cancel),
                ExportOptions(**plan.options), kind_counts=plan.kind_counts,
                progress=items_progress, cancel=cancel)
            dropped = sum(x.count for x in result.losses
                          if x.action == "dropped" and x.kind != "attributes")
            report.items, report.annotations = counter["items"], counter["annotations"] - dropped
            files = {rel: result.sha256.get(rel, "") for rel in result.files}
            if with_media:
                copied = self._copy_media(plan, stage, result.media, total, progress, cancel)
                files.update(copied)
                report.media_files = len(copied)
            for rel in sorted(files):
                if not files[rel]:
                    files[rel] = _sha256_file(stage / rel)
            report.files = dict(sorted(files.items()))
            self._write_manifest(stage, plan, report, with_media)
            if cancel is not None and cancel.is_set():
                raise Cancelled("export cancelled; nothing was written")
            if out.exists():
                out.rmdir()
            os.replace(stage, out)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        if progress:
            progress(steps, steps, "done")
        return report

    def _stream_items(self, plan: ExportPlan, counter: dict[str, int],
                      cancel: threading.Event | None) -> ItemStream:
        """The version's items in name order with their ground-truth annotations (see
        :meth:`_item_runs`)."""
        return ItemStream(self._item_runs(plan, counter, cancel))

    def _item_runs(self, plan: ExportPlan, counter: dict[str, int],
                   cancel: threading.Event | None) -> Iterator[Item | ItemBatch]:
        """The version's items in name order with their ground-truth annotations, read a batch
        at a time: the items' boxes grouped one batch ahead on a thread of its own where the
        database can (see :mod:`.box_reads`), any other annotation row by row. Items with
        boxes only (or nothing) come as runs, the others one by one."""
        seq = plan.version.seq
        with self._read() as conn, mapped_reads(conn):
            ds = self._dataset_row(conn, plan.dataset)
            gt = conn.scalar(select(_label_set.c.id).where(_label_set.c.dataset_id == ds.id,
                                                           _label_set.c.kind == "ground_truth"))
            labels = {c.uid: c.name for c in self._classes(conn, ds.id, seq)}
            grouped = grouped_reads(conn, gt, seq)
            result = conn.execute(
                select(_item.c.uid, _item.c.name, _item.c.split, type_coerce(_item.c.meta, Text),
                       _media.c.sha256, _media.c.width, _media.c.height)
                .join(_media, _media.c.id == _item.c.media_id)
                .where(_item.c.dataset_id == ds.id, as_of(_item, seq)).order_by(_item.c.name),
                execution_options={"stream_results": False})
            # The DB-API rows (unbuffered: see _annotation_rows), a batch at a time.
            items = result.cursor
            reader = None
            if grouped is not False:
                reader = BoxReader(conn.connection.driver_connection, gt, seq,  # type: ignore[arg-type]
                                   ended_any=bool(grouped))
            try:
                batch = items.fetchmany(_BATCH)
                if reader is not None and batch:
                    reader.submit(list(map(itemgetter(0), batch)))
                while batch:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("export cancelled; nothing was written")
                    following = items.fetchmany(_BATCH)
                    images = dict(map(itemgetter(0, 1), batch))
                    if reader is not None:
                        if following:
                            reader.submit(list(map(itemgetter(0), following)))
                        boxed, names, block, images = boxes_of(*reader.take(), images, labels)
                    else:
                        boxed, names, block = {}, [], _NO_BOXES
                    by_item = _annotation_rows(conn, gt, images, labels, seq) if images else {}
                    yield from _runs(batch, boxed, names, block, by_item, counter)
                    batch = following
            finally:
                if reader is not None:
                    reader.close()
                result.close()

    def _copy_media(self, plan: ExportPlan, stage: Path, places: Mapping[str, list[str]], total: int,
                    progress: Progress | None, cancel: threading.Event | None) -> dict[str, str]:
        """Copy each image's file to where the format put it, checking its bytes on the way."""
        copied: dict[str, str] = {}
        with self._read() as conn:
            ds = self._dataset_row(conn, plan.dataset)
            rows = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(
                select(_item.c.name, _media.c.sha256, _media.c.storage, _media.c.location)
                .join(_media, _media.c.id == _item.c.media_id)
                .where(_item.c.dataset_id == ds.id, as_of(_item, plan.version.seq))
                .order_by(_item.c.name))
            for n, r in enumerate(rows):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("export cancelled; nothing was written")
                if progress and n % 50 == 0:
                    progress(total + n, 2 * total, f"copying {r.name}")
                targets = places.get(r.name, [])
                if not targets:
                    continue
                source = Path(r.location) if r.storage == "link" else self.folder / r.location
                first = stage / targets[0]
                first.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                try:
                    with open(source, "rb") as src, open(first, "wb") as dst:
                        for block in iter(lambda: src.read(1 << 20), b""):  # noqa: B023
                            h.update(block)
                            dst.write(block)
                except OSError as exc:
                    raise InvalidInput(f"the image file of {r.name} cannot be read: {source} "
                                       f"({exc.strerror or exc})") from None
                if h.hexdigest() != r.sha256:
                    raise InvalidInput(f"the image file of {r.name} changed since it was imported: "
                                       f"{source} (run labelhub check)")
                copied[targets[0]] = r.sha256
                for rel in targets[1:]:
                    (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(first, stage / rel)
                    copied[rel] = r.sha256
        return copied

    def _write_manifest(self, stage: Path, plan: ExportPlan, report: ExportReport,
                        with_media: bool) -> None:
        v = plan.version
        infos = {c.name: c for c in self.label_classes(plan.dataset, at_seq=v.seq)}
        manifest = {
            "labelhub_version": __version__,
            "dataset": plan.dataset,
            "version": {"number": v.number, "tag": v.tag, "seq": v.seq, "message": v.message,
                        "author": v.author, "committed": v.time, "deprecated": v.deprecated,
                        "deprecated_reason": v.deprecated_reason},
            "manifest_hash": v.manifest_hash,
            "format": plan.format,
            "target": plan.target,
            "options": {**plan.options, "with_media": with_media},
            "schema": [_schema_entry(s, infos[s.name]) for s in plan.classes],
            "counts": {**v.stats, "exported_items": report.items,
                       "exported_annotations": report.annotations},
            "losses": [_loss_dict(x) for x in plan.losses],
            "files": report.files,
        }
        text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
        (stage / MANIFEST).write_text(text + "\n", encoding="utf-8")

