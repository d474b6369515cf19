"""Image-level labels: ImageNet class folders, and a CSV of ``filename,label`` rows.

ImageNet folders (also YOLO's classify task): ``[<split>/]<class>/<name>``. No annotation file
is written; ``WriteResult.media`` says where each image goes, in every folder of its labels
(a multi-label image is placed once per label). Images without an image-level label have no
folder. With any image in a split (and always for YOLO classify), every image goes under a
split folder, "default" for images in no split.

CSV: ``labels.csv`` with the header ``filename,label`` (plus ``split`` when any image has
one); one row per image and label, a row with an empty label for an image without one. The
caller copies the images to ``images/<name>``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Problems,
    Steps,
    WriteContext,
    find_media,
    finish_document,
    split_folder,
    split_from_folder,
    staged,
)
from labelhub.formats.losses import DROPPED
from labelhub.formats.model import (
    AnnotationRecord,
    CancelFlag,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    LabelDocument,
    Progress,
    ReadOptions,
    WriteResult,
    as_read_options,
)
from labelhub.formats.safety import IMAGE_SUFFIXES, name_problem, read_text, walk_files
from labelhub.geometry import Tag

KNOWN_SPLITS = ("train", "val", "valid", "validation", "test", "default")


def _tags(ctx: WriteContext, item: Item) -> list[str]:
    """The image's labels, in class order without repeats; other shapes are tallied."""
    labels = []
    for ann in item.annotations:
        rule = ctx.tally.rule(ann.label, ann.shape.kind)
        if rule.action != DROPPED and ann.label not in labels:
            labels.append(ann.label)
    return sorted(labels, key=lambda n: ctx.index[n])


def write_folders(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    *,
    target: str = "imagenet",
    split_level: bool | None = None,
) -> WriteResult:
    """The class-folder layout (only ``WriteResult.media``; no file is written).
    ``split_level`` None: split folders only when some image has a split."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, target, classes, options or ExportOptions(), items,
                           progress, cancel)
        placed: list[tuple[str, str | None, list[str]]] = []
        for item in items:
            ctx.steps.step(item.image.name)
            if ctx.check_item(item, need_size=False):
                placed.append((item.image.name, item.image.split, _tags(ctx, item)))
        use_splits = split_level if split_level is not None else any(s for _, s, _ in placed)
        for name, split, labels in placed:
            prefix = split_folder(split) + "/" if use_splits else ""
            for label in labels:
                ctx.place(name, f"{prefix}{label}/{name}")
        return ctx.finish()


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """ImageNet class folders (see :func:`write_folders`)."""
    return write_folders(out_dir, classes, items, options, progress, cancel)


def read_folders(
    root: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    *,
    split_level: bool | None = None,
) -> LabelDocument:
    """Class folders, optionally under split folders (taken to be splits when every top-level
    folder is named like one: train, val, test, ...). An image in several class folders of a
    split has several labels; files directly in the (split) folder have none."""
    opts = as_read_options(options)
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"{root.name}: an ImageNet dataset is a folder of class folders")
    files = walk_files(root, IMAGE_SUFFIXES)
    tops = {f.split("/", 1)[0] for f in files if "/" in f}
    if split_level is not False:
        split_level = bool(tops) and tops <= set(KNOWN_SPLITS)
    steps = Steps(progress, cancel, len(files), "import")
    problems = Problems(opts.limits)
    images: dict[str, ImageRecord] = {}
    media: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    for rel in files:
        steps.step(rel)
        parts = rel.split("/")
        split = split_from_folder(parts.pop(0)) if split_level and len(parts) > 1 else None
        label = parts.pop(0) if len(parts) > 1 else None
        name = "/".join(parts)
        known = images.get(name)
        if known is not None and known.split != split:
            problems.add(rel, name, None, f"the image is in split {split_folder(known.split)!r} "
                         f"and in split {split_folder(split)!r}")
            continue
        if known is None:
            w, h = (opts.image_sizes or {}).get(name, (None, None))
            images[name] = ImageRecord(name, w, h, split)
            media[name] = rel
        if label is not None and label not in labels.setdefault(name, []):
            labels[name].append(label)
    problems.raise_if_any()
    return _document(images, labels, media)


def _document(images: dict[str, ImageRecord], labels: dict[str, list[str]],
              media: dict[str, str]) -> LabelDocument:
    names = sorted({lab for labs in labels.values() for lab in labs})
    classes = [ClassSpec(i, n) for i, n in enumerate(names)]
    anns = [AnnotationRecord(name, lab, Tag()) for name in images for lab in labels.get(name, [])]
    return finish_document(classes, list(images.values()), anns, media)


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """ImageNet class folders (see :func:`read_folders`)."""
    return read_folders(Path(path), options, progress, cancel)


# --------------------------------------------------------------------------- CSV


def write_csv(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """``labels.csv``: ``filename,label[,split]``, one row per image and label."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "csv", classes, options or ExportOptions(), items,
                           progress, cancel)
        scratch = out.scratch("rows.csv")
        scratch.parent.mkdir(parents=True, exist_ok=True)
        any_split = False
        with open(scratch, "w", encoding="utf-8", newline="") as fh:
            rows = csv.writer(fh, lineterminator="\n")
            for item in items:
                ctx.steps.step(item.image.name)
                if not ctx.check_item(item, need_size=False):
                    continue
                image = item.image
                any_split |= image.split is not None
                ctx.place(image.name, f"images/{image.name}")
                for label in _tags(ctx, item) or [""]:
                    rows.writerow([image.name, label, image.split or ""])
        with open(scratch, encoding="utf-8", newline="") as src, out.open("labels.csv") as dst:
            rows = csv.writer(dst, lineterminator="\n")
            rows.writerow(["filename", "label", "split"] if any_split else ["filename", "label"])
            for row in csv.reader(src):
                rows.writerow(row if any_split else row[:2])
        return ctx.finish()


def read_csv(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """A ``filename,label[,split]`` CSV (the file, or a folder holding ``labels.csv`` or a
    single ``*.csv``); several rows for one file give it several labels."""
    opts = as_read_options(options)
    path = Path(path)
    if path.is_dir():
        root = path
        found = ["labels.csv"] if (path / "labels.csv").is_file() else [
            f for f in walk_files(path, (".csv",)) if "/" not in f]
        if len(found) != 1:
            raise InvalidInput(f"{path.name}: expected one CSV file, found {len(found)}")
        rel = found[0]
    else:
        root, rel = path.parent, path.name
    text = read_text(root / rel, opts.limits, rel)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"{rel}: not a readable CSV file ({exc})") from None
    if not rows:
        raise InvalidInput(f"{rel}: the CSV file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "filename" not in header or "label" not in header:
        raise InvalidInput(f"{rel}: the header must name the columns filename and label, "
                           f"got {','.join(rows[0])!r}")
    col_f, col_l = header.index("filename"), header.index("label")
    col_s = header.index("split") if "split" in header else None
    steps = Steps(progress, cancel, len(rows) - 1, "import")
    problems = Problems(opts.limits)
    images: dict[str, ImageRecord] = {}
    labels: dict[str, list[str]] = {}
    media: dict[str, str] = {}
    for number, row in enumerate(rows[1:], 2):
        steps.step(rel)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.add(rel, None, number, f"row {number} has {len(row)} columns, "
                         f"the header {len(header)}")
            continue
        name, label = row[col_f].strip(), row[col_l].strip()
        split = row[col_s].strip() or None if col_s is not None else None
        problem = name_problem(name)
        if problem:
            problems.add(rel, name, number, problem)
            continue
        known = images.get(name)
        if known is not None and known.split != split:
            problems.add(rel, name, number, "the image is given two different splits")
            continue
        if known is None:
            w, h = (opts.image_sizes or {}).get(name, (None, None))
            images[name] = ImageRecord(name, w, h, split)
            found = find_media(root, (f"images/{name}", name))
            if found:
                media[name] = found
        if label:
            if label in labels.setdefault(name, []):
                problems.add(rel, name, number, f"label {label!r} is given twice")
                continue
            labels[name].append(label)
    problems.raise_if_any()
    return _document(images, labels, media)
