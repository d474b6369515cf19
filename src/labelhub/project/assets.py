"""Bringing images into a dataset: probe, dedupe, store, and record them in one transaction."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select

from labelhub.errors import Cancelled, InvalidInput, NotFound
from labelhub.media.probe import ImageInfo, iter_image_files
from labelhub.media.store import MediaStore
from labelhub.project.datasets import DatasetsMixin
from labelhub.project.import_probe import probe_files
from labelhub.store.tables import ImportBatch, Item, Media
from labelhub.store.versioned import current, insert_rows, new_uid

_item = Item.__table__
_media = Media.__table__
_batch = ImportBatch.__table__

Progress = Callable[[int, int, str], None]


@dataclass
class ImportReport:
    dataset: str
    imported: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    batch_uid: str | None = None
    seq: int | None = None

    def summary(self) -> str:
        parts = [f"{len(self.imported)} imported into {self.dataset}"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates skipped")
        if self.failed:
            parts.append(f"{len(self.failed)} refused")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "imported": len(self.imported),
            "duplicates": [{"file": f, "reason": r} for f, r in self.duplicates],
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "renamed": [{"file": f, "name": n} for f, n in self.renamed],
            "batch": self.batch_uid,
            "seq": self.seq,
        }


class _NothingNew(Exception):
    """Raised inside the import transaction to leave it unwritten."""


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while True:
        candidate = f"{stem}~{n}.{ext}" if ext else f"{stem}~{n}"
        if candidate not in taken:
            return candidate
        n += 1


def _chunks(seq: Sequence, size: int = 500):  # noqa: ANN202
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


class AssetsMixin(DatasetsMixin):
    def media_store(self) -> MediaStore:
        return MediaStore(self.folder)

    def media_path(self, sha256: str) -> Path:
        """Where the bytes of a media file are: in media/ for copies, in place for links."""
        with self._read() as conn:
            row = conn.execute(select(_media).where(_media.c.sha256 == sha256)).first()
        if row is None:
            raise NotFound(f"no media with SHA-256 {sha256}")
        path = Path(row.location)
        return path if row.storage == "link" else self.folder / path

    def import_images(
        self,
        dataset: str,
        paths: Sequence[str | os.PathLike[str]],
        *,
        link: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ImportReport:
        """Import image files and folders (recursively) into ``dataset``.

        Each file is hashed and its header read (no pixel decode); files that are not images,
        are truncated or are decompression bombs are reported and skipped, the rest import.
        The same bytes twice are one media file; an image already in the dataset is reported
        as a duplicate. The items are written in one transaction: all or nothing. Cancelling
        writes nothing.
        """
        self.authorize("images.import")
        roots = [Path(p).expanduser() for p in paths]
        for p in roots:
            if not p.exists():
                raise InvalidInput(f"{p}: no such file or folder")
        with self._read() as conn:
            ds_name = self._dataset_row(conn, dataset).name
        report = ImportReport(ds_name)
        files = list(iter_image_files(roots))
        if not files:
            where = ", ".join(str(p) for p in roots)
            raise InvalidInput(f"no images (jpg, png, bmp, tif, webp) found in {where}")

        store = self.media_store()
        newly_copied: list[Path] = []
        probed: list[tuple[str, Path, ImageInfo]] = []
        seen: dict[str, str] = {}
        total = len(files)
        stopped = f"import into {ds_name} cancelled; nothing was imported"
        folders: dict[Path, Path] = {}

        def real_path(path: Path) -> Path:
            """``path.resolve()``, resolving each folder once: resolve() looks up every part
            of the path again for each file (a second of 3,000 files' import)."""
            if path.is_symlink():
                return path.resolve()
            folder = folders.get(path.parent)
            if folder is None:
                folder = folders[path.parent] = path.parent.resolve()
            return folder / path.name

        try:
            outcomes = probe_files([path for _root, path in files], None if link else store, newly_copied,
                                   progress=progress, cancel=cancel, cancelled=stopped)
            for (root, path), (info, reason) in zip(files, outcomes, strict=True):
                if info is None:
                    report.failed.append((str(path), reason or "not a usable image"))
                    continue
                if info.sha256 in seen:
                    report.duplicates.append((str(path), f"same image as {seen[info.sha256]}"))
                    continue
                seen[info.sha256] = str(path)
                name = path.relative_to(root).as_posix() if root != path else path.name
                probed.append((name, real_path(path), info))
            if cancel is not None and cancel.is_set():
                raise Cancelled(stopped)
            if progress:
                progress(total, total, "saving to the project")
            store.sync(newly_copied)  # the files are on the disk before any row names them
            if probed:
                try:
                    self._record_import(ds_name, roots, probed, report, store, link)
                except _NothingNew:
                    pass  # every image was already in the dataset: no change to record
        except BaseException:
            self._forget_unused(newly_copied)
            raise
        return report

    def _record_import(
        self,
        dataset: str,
        roots: list[Path],
        probed: list[tuple[str, Path, ImageInfo]],
        report: ImportReport,
        store: MediaStore,
        link: bool,
    ) -> None:
        with self._change("images.import", "dataset", dataset=dataset) as tx:
            conn = tx.conn
            ds = self._dataset_row(conn, dataset)
            tx.pending.entity_uid = ds.uid
            shas = [info.sha256 for _n, _p, info in probed]
            media_ids: dict[str, int] = {}
            for chunk in _chunks(shas):
                media_ids.update(conn.execute(select(_media.c.sha256, _media.c.id).where(_media.c.sha256.in_(chunk))).all())
            new_media = [
                {"sha256": info.sha256, "ext": info.ext, "format": info.format, "width": info.width,
                 "height": info.height, "orientation": info.orientation, "bytes": info.bytes,
                 "storage": "link" if link else "copy",
                 "location": str(path) if link else store.relpath(info.sha256, info.ext),
                 "exif_time": info.exif_time, "created_seq": tx.seq}
                for _n, path, info in probed
                if info.sha256 not in media_ids
            ]
            for chunk in _chunks(new_media, 2000):
                conn.execute(insert(_media), chunk)
            for chunk in _chunks([m["sha256"] for m in new_media]):
                media_ids.update(conn.execute(select(_media.c.sha256, _media.c.id).where(_media.c.sha256.in_(chunk))).all())

            in_dataset = dict(
                conn.execute(select(_item.c.media_id, _item.c.name).where(_item.c.dataset_id == ds.id, current(_item))).all()
            )
            taken = set(in_dataset.values())
            batch_uid = new_uid()
            batch_id = conn.execute(
                insert(_batch).values(uid=batch_uid, dataset_id=ds.id, seq=tx.seq, member_id=self._member_id,
                                      sources=[str(r.resolve()) for r in roots], counts={})
            ).inserted_primary_key[0]
            rows = []
            for name, path, info in probed:
                media_id = media_ids[info.sha256]
                if media_id in in_dataset:
                    report.duplicates.append((str(path), f"already in {dataset} as {in_dataset[media_id]}"))
                    continue
                unique = _unique_name(name, taken)
                if unique != name:
                    report.renamed.append((str(path), unique))
                taken.add(unique)
                in_dataset[media_id] = unique
                meta = {"source": str(path)}
                if info.exif_time:
                    meta["capture_time"] = info.exif_time
                rows.append({"dataset_id": ds.id, "media_id": media_id, "name": unique, "split": None,
                             "meta": meta, "batch_id": batch_id})
                report.imported.append(unique)
            if not rows:
                raise _NothingNew
            insert_rows(conn, _item, rows, tx.seq)
            counts = {"imported": len(report.imported), "duplicates": len(report.duplicates),
                      "failed": len(report.failed), "new_media": len(new_media)}
            conn.execute(_batch.update().where(_batch.c.id == batch_id).values(counts=counts))
            tx.detail.update({"batch": batch_uid, **counts})
            report.batch_uid = batch_uid
            report.seq = tx.seq

    def _forget_unused(self, copied: list[Path]) -> None:
        """After a cancelled or failed import, remove the media files no row refers to."""
        if not copied:
            return
        with self._read() as conn:
            for path in copied:
                sha = path.stem
                if conn.execute(select(_media.c.id).where(_media.c.sha256 == sha)).first() is None:
                    path.unlink(missing_ok=True)
