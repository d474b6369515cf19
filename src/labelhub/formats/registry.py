"""The formats by name, and the entry points that read and write any of them.

``FORMATS[name]`` is a :class:`FormatInfo` whose ``read(path, options, progress, cancel)``
returns a :class:`~labelhub.formats.model.LabelDocument` and whose
``write(out_dir, classes, items, options, progress, cancel)`` returns a
:class:`~labelhub.formats.model.WriteResult`. :func:`read_dataset` also opens zip archives
(checked member by member, extracted into a temporary folder); :func:`write_dataset` resolves
the YOLO task from the shape counts when it is not given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelhub.errors import InvalidInput
from labelhub.formats import coco, cvat, datumaro, imagenet, labelme, voc, yolo
from labelhub.formats.imagenet import KNOWN_SPLITS
from labelhub.formats.losses import FORMAT_NAMES, resolve_yolo_task
from labelhub.formats.model import (
    CancelFlag,
    ClassSpec,
    ExportOptions,
    Item,
    LabelDocument,
    Progress,
    ReadOptions,
    WriteResult,
    as_export_options,
    as_read_options,
    count_kinds,
)
from labelhub.formats.safety import IMAGE_SUFFIXES, open_dataset


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """One exchange format: its name, a one-line description, and its reader and writer."""

    name: str
    title: str
    read: Callable[..., LabelDocument]
    write: Callable[..., WriteResult]
    #: What the reader is given: a "folder", or a "file or folder".
    source: str


FORMATS: dict[str, FormatInfo] = {
    "coco": FormatInfo("coco", "COCO JSON (boxes, polygons, RLE masks, keypoints)",
                       coco.read, coco.write, "file or folder"),
    "yolo": FormatInfo("yolo", "Ultralytics YOLO (detect, segment, obb, pose, classify)",
                       yolo.read, yolo.write, "folder"),
    "voc": FormatInfo("voc", "Pascal VOC XML (boxes)", voc.read, voc.write, "folder"),
    "cvat": FormatInfo("cvat", "CVAT for images 1.1 XML", cvat.read, cvat.write,
                       "file or folder"),
    "labelme": FormatInfo("labelme", "labelme JSON, one file per image", labelme.read,
                          labelme.write, "file or folder"),
    "datumaro": FormatInfo("datumaro", "Datumaro JSON", datumaro.read, datumaro.write,
                           "file or folder"),
    "imagenet": FormatInfo("imagenet", "ImageNet class folders (image labels)", imagenet.read,
                           imagenet.write, "folder"),
    "csv": FormatInfo("csv", "CSV of filename,label rows (image labels)", imagenet.read_csv,
                      imagenet.write_csv, "file or folder"),
}

assert tuple(FORMATS) == FORMAT_NAMES


def format_info(name: str) -> FormatInfo:
    """The format called ``name``; InvalidInput listing the known ones otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown format {name!r}; expected one of {', '.join(FORMATS)}"
        ) from None


def read_dataset(
    fmt: str,
    path: Path | str,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a dataset in format ``fmt`` from a folder, a file or a zip archive of either.

    From an archive, ``LabelDocument.media`` names paths inside the archive (its temporary
    extraction is gone when this returns); open the archive with
    :func:`~labelhub.formats.safety.open_dataset` to keep the files while importing them.
    """
    info = format_info(fmt)
    opts = as_read_options(options)
    with open_dataset(Path(path), opts.limits) as root:
        return info.read(dataset_root(fmt, root), opts, progress, cancel)


def _has(root: Path, *names: str) -> bool:
    return any((root / n).exists() for n in names)


def _has_suffix(root: Path, *suffixes: str) -> bool:
    return any(p.is_file() and p.suffix.lower() in suffixes for p in root.iterdir())


def _class_folders(root: Path) -> bool:
    dirs = [p for p in root.iterdir() if p.is_dir()]
    return any(_has_suffix(d, *IMAGE_SUFFIXES) for d in dirs) or any(
        d.name in KNOWN_SPLITS for d in dirs)


_LOOKS_LIKE: dict[str, Callable[[Path], bool]] = {
    "coco": lambda r: _has(r, "annotations") or _has_suffix(r, ".json"),
    "yolo": lambda r: _has(r, "data.yaml", "labels", "classes.txt", "obj.names")
    or _class_folders(r),
    "voc": lambda r: _has(r, "Annotations"),
    "cvat": lambda r: _has_suffix(r, ".xml"),
    "labelme": lambda r: True,  # files anywhere below, image paths relative to them
    "datumaro": lambda r: _has(r, "annotations"),
    "imagenet": _class_folders,
    "csv": lambda r: _has_suffix(r, ".csv"),
}


def dataset_root(fmt: str, path: Path) -> Path:
    """``path``, or the one folder inside it when ``path`` holds nothing but that folder and
    the dataset is in there (an archive made with ``zip -r data.zip data/``)."""
    if not path.is_dir() or _LOOKS_LIKE[fmt](path):
        return path
    entries = list(path.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and _LOOKS_LIKE[fmt](entries[0]):
        return entries[0]
    return path


def write_dataset(
    fmt: str,
    out_dir: Path | str,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | Mapping[str, Any] | None = None,
    *,
    kind_counts: Mapping[str, Mapping[str, int]] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write ``items`` (images with their annotations, any iterable) in format ``fmt``.

    For YOLO without ``options.yolo_task`` the task comes from ``kind_counts`` (the counts
    given to :func:`~labelhub.formats.losses.plan_export`), or from ``items`` when it is a
    list. Nothing is left in ``out_dir`` when the write fails or is cancelled.
    """
    info = format_info(fmt)
    opts = as_export_options(options)
    if fmt == "yolo" and opts.yolo_task is None:
        if kind_counts is None:
            if not isinstance(items, Sequence):
                raise InvalidInput("writing YOLO from a stream needs the YOLO task or the "
                                   "shape counts (kind_counts)")
            kind_counts = count_kinds(a for it in items for a in it.annotations)
        opts = dataclasses.replace(opts, yolo_task=resolve_yolo_task(kind_counts, opts))
    return info.write(Path(out_dir), classes, items, opts, progress, cancel)


def write_document(
    fmt: str,
    out_dir: Path | str,
    document: LabelDocument,
    options: ExportOptions | Mapping[str, Any] | None = None,
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write a whole :class:`LabelDocument` in format ``fmt``."""
    return write_dataset(fmt, out_dir, document.classes, list(document.items()), options,
                         kind_counts=document.kind_counts(), progress=progress, cancel=cancel)
