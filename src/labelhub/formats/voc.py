"""Pascal VOC detection XML: one ``Annotations/<stem>.xml`` per image.

Layout written::

    Annotations/<stem>.xml      <annotation> with filename, size and one <object> per box
    ImageSets/Main/<split>.txt  the image stems of each split ("default" for no split)
    labelmap.txt                the classes in order with their colours (Datumaro/CVAT style)
    JPEGImages/<name>           the image files (the caller copies them: WriteResult.media)

Box corners are written as continuous pixel coordinates (``xmin = x``, ``xmax = x + w``), as
CVAT and Datumaro do, with full precision. ``difficult``, ``truncated`` and ``occluded`` are
boolean attributes written as VOC's 0/1 elements when true, ``pose`` a text attribute written
as ``<pose>``; any other value of those (false, "", "Unspecified") and every other attribute go
in an ``<attributes>`` element (CVAT's VOC extension), so each reads back as it was. Scores are
not kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Problems,
    Steps,
    WriteContext,
    attribute_text,
    attribute_value,
    basename_stem,
    find_media,
    finish_document,
    image_size_from_file,
    image_size_problem,
    num,
    num_texts,
    split_folder,
    split_from_folder,
    staged,
    xml_text,
)
from labelhub.formats.losses import DROPPED
from labelhub.formats.model import (
    AnnotationRecord,
    BoxBlock,
    CancelFlag,
    ClassSpec,
    ExportOptions,
    ImageRecord,
    Item,
    LabelDocument,
    Progress,
    ReadOptions,
    StoredAnnotations,
    WriteResult,
    as_read_options,
)
from labelhub.formats.safety import checked_name, parse_xml, read_text, walk_files
from labelhub.geometry import Box

_FLAGS = ("truncated", "difficult", "occluded")

# --------------------------------------------------------------------------- writing


def _rgb(color: str | None) -> str:
    if color and len(color) == 7 and color.startswith("#"):
        try:
            return ",".join(str(int(color[i:i + 2], 16)) for i in (1, 3, 5))
        except ValueError:
            return ""
    return ""


def labelmap_text(classes: Sequence[ClassSpec]) -> str:
    """Datumaro's ``labelmap.txt``: ``name:r,g,b:parts:actions`` per class."""
    lines = ["# label:color_rgb:parts:actions"]
    for cls in classes:
        if ":" in cls.name or "\n" in cls.name:
            raise InvalidInput(f"label class {cls.name!r} cannot be written to labelmap.txt "
                               "(a ':' or a line break in the name)")
        lines.append(f"{cls.name}:{_rgb(cls.color)}::")
    return "\n".join(lines) + "\n"


def _object_xml(label: str, attributes: Mapping[str, Any] | None,
                x0: float, y0: float, x1: float, y1: float) -> list[str]:
    attrs = dict(attributes or {})
    # A pose VOC can say and the flags that are true go in VOC's own elements; any other value
    # ("", "Unspecified", false, text) stays in <attributes>, so it reads back as it was.
    pose = attrs.get("pose")
    if isinstance(pose, str) and pose == pose.strip() and pose not in ("", "Unspecified"):
        del attrs["pose"]
    else:
        pose = "Unspecified"
    lines = ["  <object>", f"    <name>{xml_text(label)}</name>",
             f"    <pose>{xml_text(pose)}</pose>"]
    for flag in _FLAGS:
        on = attrs.get(flag) is True
        if on:
            del attrs[flag]
        lines.append(f"    <{flag}>{1 if on else 0}</{flag}>")
    lines += ["    <bndbox>", f"      <xmin>{num(x0)}</xmin>", f"      <ymin>{num(y0)}</ymin>",
              f"      <xmax>{num(x1)}</xmax>", f"      <ymax>{num(y1)}</ymax>", "    </bndbox>"]
    if attrs:
        lines.append("    <attributes>")
        for key in sorted(attrs):
            lines.append(f"      <attribute><name>{xml_text(str(key))}</name>"
                         f"<value>{xml_text(attribute_text(attrs[key]))}</value></attribute>")
        lines.append("    </attributes>")
    lines.append("  </object>")
    return lines


def _record_object(ctx: WriteContext, ann: AnnotationRecord) -> list[str]:
    if ctx.tally.rule(ann.label, ann.shape.kind).action == DROPPED:
        return []
    box = ann.shape.box()
    assert box is not None
    return _object_xml(ann.label, ann.attributes, *box.xyxy())


#: :func:`_object_xml` of a box without attributes: its class name (as XML text) and the
#: :func:`num` texts of its corners go in the gaps.
_PLAIN_OBJECT = "\n".join(_object_xml("\ue000", None, 1, 1, 1, 1)).replace("%", "%%").replace(
    "\ue000", "%s").replace(">1<", ">%s<")


#: xml_text() of a class name (a dataset has a few).
_label_text = functools.lru_cache(maxsize=1024)(xml_text)


def _corner_texts(block: BoxBlock) -> tuple[list[str], ...]:
    """num() of x0, y0, x1 = x + w and y1 = y + h of each box of a block (made once)."""
    texts = block.derived.get("voc")
    if texts is None:
        v = block.values()
        texts = block.derived["voc"] = (num_texts(v[:, 0]), num_texts(v[:, 1]),
                                        num_texts(v[:, 0] + v[:, 2]), num_texts(v[:, 1] + v[:, 3]))
    return texts


def _stored_objects(ctx: WriteContext, anns: StoredAnnotations) -> list[str]:
    """A stored box from its numbers (no shape or record made); anything else as its record."""
    columns = anns.box_columns()
    if columns is not None and ctx.boxes_dropped.isdisjoint(columns.labels):
        labels, block, start = columns
        ctx.tally.rule_each(labels, "box")
        x0, y0, x1, y1 = _corner_texts(block)
        end = start + len(labels)
        return [_PLAIN_OBJECT % values for values in zip(
            map(_label_text, labels), x0[start:end], y0[start:end], x1[start:end],
            y1[start:end], strict=True)]
    lines: list[str] = []
    records = None
    for i, (label, _geometry, box, attributes, _crowd) in enumerate(anns.entries):
        if box is None:
            records = records or anns.records()
            lines += _record_object(ctx, records[i])
        elif ctx.tally.rule(label, "box").action != DROPPED:
            x, y = float(box[0]), float(box[1])
            lines += _object_xml(label, attributes, x, y, x + float(box[2]), y + float(box[3]))
    return lines


def _image_xml(ctx: WriteContext, item: Item) -> str:
    image = item.image
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<annotation>",
             "  <folder>JPEGImages</folder>", f"  <filename>{xml_text(image.name)}</filename>",
             "  <size>", f"    <width>{image.width}</width>",
             f"    <height>{image.height}</height>", "  </size>", "  <segmented>0</segmented>"]
    anns = item.annotations
    if type(anns) is StoredAnnotations:
        lines += _stored_objects(ctx, anns)
    else:
        for ann in anns:
            lines += _record_object(ctx, ann)
    lines.append("</annotation>")
    return "\n".join(lines) + "\n"


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write a Pascal VOC dataset into ``out_dir`` (see the module documentation)."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "voc", classes, options or ExportOptions(), items,
                           progress, cancel)
        out.write_text("labelmap.txt", labelmap_text(classes))
        lists: dict[str, Any] = {}
        try:
            for item in items:
                ctx.steps.step(item.image.name)
                if not ctx.check_item(item):
                    continue
                stem = basename_stem(item.image.name)
                out.write_text(f"Annotations/{stem}.xml", _image_xml(ctx, item))
                ctx.place(item.image.name, f"JPEGImages/{item.image.name}")
                folder = split_folder(item.image.split)
                if folder not in lists:
                    lists[folder] = out.open(f"ImageSets/Main/{folder}.txt")
                lists[folder].write(stem + "\n")
        finally:
            for fh in lists.values():
                fh.close()
        return ctx.finish()


# --------------------------------------------------------------------------- reading


def _labelmap(root: Path, options: ReadOptions) -> list[ClassSpec] | None:
    if not (root / "labelmap.txt").is_file():
        return None
    classes = []
    for line in read_text(root / "labelmap.txt", options.limits, "labelmap.txt").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, rest = line.partition(":")
        rgb = rest.partition(":")[0].split(",")
        color = None
        if len(rgb) == 3 and all(v.strip().isdigit() and int(v) < 256 for v in rgb):
            color = "#" + "".join(f"{int(v):02x}" for v in rgb)
        declared = next((c for c in options.classes or () if c.name == name), None)
        attrs = declared.attributes if declared else ()
        classes.append(ClassSpec(len(classes), name.strip(), color, attributes=attrs))
    return classes


def _splits(root: Path, options: ReadOptions) -> dict[str, str | None]:
    folder = root / "ImageSets" / "Main"
    out: dict[str, str | None] = {}
    if not folder.is_dir():
        return out
    files = sorted(walk_files(folder, (".txt",)), key=lambda f: (f == "trainval.txt", f))
    for rel in files:
        text = read_text(folder / rel, options.limits, f"ImageSets/Main/{rel}")
        rows = [ln.split() for ln in text.splitlines() if ln.strip()]
        if "/" in rel or any(len(r) != 1 for r in rows):
            continue  # a per-class list ("<class>_<split>.txt": "<stem> 1")
        split = split_from_folder(rel[:-4])
        for (stem,) in rows:
            if rel == "trainval.txt" and stem in out:
                continue
            out.setdefault(stem, split)
    return out


def _text(el: Element | None) -> str | None:
    return None if el is None or el.text is None else el.text.strip()


def _number(el: Element, tag: str) -> float | None:
    text = _text(el.find(tag))
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


class _Reader:
    def __init__(self, root: Path, options: ReadOptions) -> None:
        self.root, self.options = root, options
        self.problems = Problems(options.limits)
        self.classes = _labelmap(root, options)
        self.fixed = self.classes is not None
        self.names: dict[str, ClassSpec] = {c.name: c for c in self.classes or []}
        self.images: list[ImageRecord] = []
        self.seen: set[str] = set()
        self.annotations: list[AnnotationRecord] = []
        self.media: dict[str, str] = {}

    def file(self, rel: str, splits: Mapping[str, str | None]) -> None:
        root_el = parse_xml(self.root / rel, self.options.limits, rel)
        if root_el.tag != "annotation":
            raise InvalidInput(f"{rel}: the root element must be <annotation>, "
                               f"got <{root_el.tag}>")
        stem = rel[len("Annotations/"):-4]
        filename = _text(root_el.find("filename")) or stem + ".jpg"
        name = checked_name(filename, rel)
        if name in self.seen:
            self.problems.add(rel, name, None, "the image is described twice")
            return
        self.seen.add(name)
        size = root_el.find("size")
        w = h = None
        if size is not None:
            w, h = _number(size, "width"), _number(size, "height")
            problem = image_size_problem(w, h)
            if problem:
                self.problems.add(rel, name, None, problem)
                return
        if w is None or h is None:
            w, h = (self.options.image_sizes or {}).get(name) or image_size_from_file(
                self.root, f"JPEGImages/{name}")
        image = ImageRecord(name, None if w is None else int(w), None if h is None else int(h),
                            splits.get(stem, splits.get(basename_stem(name))))
        self.images.append(image)
        found = find_media(self.root, (f"JPEGImages/{name}",))
        if found:
            self.media[name] = found
        for index, obj in enumerate(root_el.iter("object")):
            self.object(rel, image, index, obj)

    def object(self, rel: str, image: ImageRecord, index: int, obj: Element) -> None:
        label = _text(obj.find("name"))
        if not label:
            self.problems.add(rel, image.name, index, "the object has no name")
            return
        cls = self.names.get(label)
        if cls is None:
            if self.fixed:
                self.problems.add(rel, image.name, index, f"unknown class {label!r}")
                return
            cls = self.names[label] = ClassSpec(-1, label)
        bnd = obj.find("bndbox")
        corners = [None if bnd is None else _number(bnd, t)
                   for t in ("xmin", "ymin", "xmax", "ymax")]
        if any(v is None for v in corners):
            self.problems.add(rel, image.name, index, "the object has no complete <bndbox>")
            return
        x0, y0, x1, y1 = corners  # type: ignore[misc]
        box = Box(x0, y0, x1 - x0, y1 - y0)
        if not self.problems.shape(rel, image.name, index, box, image.width, image.height):
            return
        attrs: dict[str, Any] = {}
        pose = _text(obj.find("pose"))
        if pose and pose != "Unspecified":
            attrs["pose"] = pose
        for flag in _FLAGS:
            if _text(obj.find(flag)) in ("1", "true"):
                attrs[flag] = True
        for attr in obj.iterfind("attributes/attribute"):
            key = _text(attr.find("name"))
            if key:
                attrs[key] = attribute_value(_text(attr.find("value")), cls.attribute(key))
        self.annotations.append(AnnotationRecord(image.name, label, box, attrs))


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a Pascal VOC folder (``Annotations/*.xml``); ProblemsFound listing every problem."""
    opts = as_read_options(options)
    root = Path(path)
    if not (root / "Annotations").is_dir():
        raise InvalidInput(f"{root.name}: a Pascal VOC dataset has an Annotations folder")
    files = [f"Annotations/{f}" for f in walk_files(root / "Annotations", (".xml",))]
    splits = _splits(root, opts)
    reader = _Reader(root, opts)
    steps = Steps(progress, cancel, len(files), "import")
    for rel in files:
        steps.step(rel)
        reader.file(rel, splits)
    reader.problems.raise_if_any()
    if reader.classes is None:
        names = sorted(reader.names)
        classes = [ClassSpec(i, n) for i, n in enumerate(names)]
    else:
        classes = reader.classes
    return finish_document(classes, reader.images, reader.annotations, reader.media)
