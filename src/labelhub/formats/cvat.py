"""CVAT for images 1.1 XML: one ``annotations.xml`` holding every image.

Shapes: ``<box>`` (with ``rotation`` in degrees, clockwise about the centre, for rotated
boxes), ``<polygon>``, ``<polyline>``, ``<points>``, ``<mask>`` (CVAT's run lengths, row by row
inside the mask's ``left``/``top``/``width``/``height`` box, starting with a run of zeros),
``<skeleton>`` for keypoints (one ``<points>`` per keypoint; ``outside`` is visibility 0,
``occluded`` visibility 1) and ``<tag>``. Attributes are ``<attribute name="...">value`` children
typed by the label declarations in ``<meta>``; ``occluded`` when true and a whole ``z_order``
other than 0 are the element's own (any other value of them stays an ``<attribute>``, so false
and 0 read back as they were), and ``group_id`` is the annotation's group. Images carry
``subset`` when they have a split. The file is written as a stream and read with an
incremental parser (DTDs forbidden).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.formats._common import (
    Problems,
    Steps,
    WriteContext,
    attribute_text,
    attribute_value,
    find_media,
    finish_document,
    image_size_problem,
    num,
    staged,
    xml_attr,
    xml_text,
)
from labelhub.formats.losses import DROPPED
from labelhub.formats.model import (
    AnnotationRecord,
    AttributeSpec,
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
from labelhub.formats.safety import checked_name, iterparse_xml, walk_files
from labelhub.geometry import (
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
    Tag,
)
from labelhub.geometry.rle import encode_window

_INPUT = {"bool": "checkbox", "int": "number", "float": "number", "text": "text",
          "select": "select"}
_TYPE = {"checkbox": "bool", "number": "float", "text": "text", "select": "select",
         "radio": "select"}
_SHAPES = ("box", "polygon", "polyline", "points", "mask", "skeleton", "tag")

# --------------------------------------------------------------------------- writing


def _svg(cls: ClassSpec) -> str:
    """A skeleton drawing CVAT accepts: nodes on a circle, edges between them."""
    import math

    k = len(cls.keypoint_names)
    pos = [(50 + 40 * math.cos(2 * math.pi * i / k), 50 + 40 * math.sin(2 * math.pi * i / k))
           for i in range(k)]
    parts = [f'<line x1="{pos[a][0]:.2f}" y1="{pos[a][1]:.2f}" x2="{pos[b][0]:.2f}" '
             f'y2="{pos[b][1]:.2f}" data-type="edge" data-node-from="{a + 1}" '
             f'data-node-to="{b + 1}"></line>' for a, b in cls.skeleton]
    parts += [f'<circle r="1.5" cx="{x:.2f}" cy="{y:.2f}" data-type="element node" '
              f'data-element-id="{i + 1}" data-node-id="{i + 1}" '
              f'data-label-name={xml_attr(cls.keypoint_names[i])}></circle>'
              for i, (x, y) in enumerate(pos)]
    return "".join(parts)


def _attribute_meta(spec: AttributeSpec) -> list[str]:
    default = "" if spec.default is None else attribute_text(spec.default)
    values = "\n".join(spec.values) if spec.values else ("false\ntrue" if spec.type == "bool"
                                                           else "")
    return ["          <attribute>", f"            <name>{xml_text(spec.name)}</name>",
            f"            <mutable>{'True' if spec.mutable else 'False'}</mutable>",
            f"            <input_type>{_INPUT[spec.type]}</input_type>",
            f"            <default_value>{xml_text(default)}</default_value>",
            f"            <values>{xml_text(values)}</values>", "          </attribute>"]


def _meta(classes: Sequence[ClassSpec]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<annotations>",
             "  <version>1.1</version>", "  <meta>", "    <task>",
             "      <name>LabelHub export</name>", "      <mode>annotation</mode>",
             "      <labels>"]
    for cls in classes:
        lines += ["        <label>", f"          <name>{xml_text(cls.name)}</name>"]
        if cls.color:
            lines.append(f"          <color>{xml_text(cls.color)}</color>")
        lines.append(f"          <type>{'skeleton' if cls.keypoint_names else 'any'}</type>")
        lines.append("          <attributes>")
        for spec in cls.attributes:
            lines += ["  " + line for line in _attribute_meta(spec)]
        lines.append("          </attributes>")
        if cls.keypoint_names:
            lines.append(f"          <svg>{xml_text(_svg(cls))}</svg>")
        lines.append("        </label>")
        for name in cls.keypoint_names:
            lines += ["        <label>", f"          <name>{xml_text(name)}</name>",
                      "          <type>points</type>",
                      f"          <parent>{xml_text(cls.name)}</parent>",
                      "          <attributes>", "          </attributes>", "        </label>"]
    lines += ["      </labels>", "    </task>", "  </meta>"]
    return "\n".join(lines) + "\n"


def _pts(points: Iterable[tuple[float, float]]) -> str:
    return ";".join(f"{num(x)},{num(y)}" for x, y in points)


def _mask_attrs(mask: Mask) -> list[tuple[str, str]]:
    x0, y0, x1, y1 = (int(v) for v in mask.bounds())
    crop = mask.to_array()[y0:y1, x0:x1].ravel()
    edges = np.flatnonzero(np.diff(crop.astype(np.int8))) + 1
    bounds = np.concatenate(([0], edges, [crop.size]))
    runs = np.diff(bounds).tolist()
    if crop.size and crop[0]:
        runs = [0, *runs]
    return [("rle", ", ".join(map(str, runs))), ("left", str(x0)), ("top", str(y0)),
            ("width", str(x1 - x0)), ("height", str(y1 - y0))]


def _element(ctx: WriteContext, ann: AnnotationRecord) -> str:
    attrs = dict(ann.attributes)
    shape = ann.shape
    # occluded: true and a whole z_order other than 0 are the element's own; any other value
    # (false, 0, text) stays an <attribute>, so it reads back as it was, not as absent.
    z_order = 0
    head: list[tuple[str, str]] = [("label", ann.label), ("source", "manual")]
    if shape.kind != "tag":
        occluded = attrs.get("occluded") is True
        if occluded:
            del attrs["occluded"]
        if type(attrs.get("z_order")) is int and attrs["z_order"] != 0:
            z_order = attrs.pop("z_order")
        head.append(("occluded", "1" if occluded else "0"))
    body: list[str] = []
    if isinstance(shape, Box | RotatedBox):
        tag = "box"
        box = shape if isinstance(shape, Box) else Box(shape.cx - shape.w / 2,
                                                          shape.cy - shape.h / 2, shape.w, shape.h)
        head += list(zip(("xtl", "ytl", "xbr", "ybr"), map(num, box.xyxy()), strict=True))
        if isinstance(shape, RotatedBox):
            head.append(("rotation", num(shape.angle)))
    elif isinstance(shape, Polygon | Polyline | Points):
        tag = shape.kind
        head.append(("points", _pts(shape.points)))
    elif isinstance(shape, Mask):
        tag = "mask"
        head += _mask_attrs(shape)
    elif isinstance(shape, Keypoints):
        tag = "skeleton"
        names = ctx.by_name[ann.label].keypoint_names
        for name, (x, y), v in zip(names, shape.points, shape.visibility, strict=True):
            body.append(f"      <points label={xml_attr(name)} source=\"manual\" "
                        f"outside=\"{1 if v == 0 else 0}\" occluded=\"{1 if v == 1 else 0}\" "
                        f"points=\"{num(x)},{num(y)}\"></points>")
    else:
        tag = "tag"
    if tag != "tag":
        head.append(("z_order", str(z_order)))
    if ann.group is not None:
        head.append(("group_id", str(ann.group)))
    for key in sorted(attrs):
        body.append(f"      <attribute name={xml_attr(str(key))}>"
                    f"{xml_text(attribute_text(attrs[key]))}</attribute>")
    opening = " ".join(f"{k}={xml_attr(v)}" for k, v in head)
    inner = "\n" + "\n".join(body) + "\n    " if body else ""
    return f"    <{tag} {opening}>{inner}</{tag}>"


def write(
    out_dir: Path,
    classes: Sequence[ClassSpec],
    items: Iterable[Item],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> WriteResult:
    """Write ``annotations.xml``; the caller copies images to ``images/<name>``."""
    with staged(Path(out_dir)) as out:
        ctx = WriteContext(out, "cvat", classes, options or ExportOptions(), items,
                           progress, cancel)
        fh: IO[str]
        with out.open("annotations.xml") as fh:
            fh.write(_meta(classes))
            frame = 0
            for item in items:
                ctx.steps.step(item.image.name)
                if not ctx.check_item(item):
                    continue
                image = item.image
                head = [("id", str(frame)), ("name", image.name), ("width", str(image.width)),
                        ("height", str(image.height))]
                if image.split is not None:
                    head.append(("subset", image.split))
                fh.write("  <image " + " ".join(f"{k}={xml_attr(v)}" for k, v in head) + ">\n")
                frame += 1
                ctx.place(image.name, f"images/{image.name}")
                for ann in item.annotations:
                    if ctx.tally.rule(ann.label, ann.shape.kind).action != DROPPED:
                        fh.write(_element(ctx, ann) + "\n")
                fh.write("  </image>\n")
            fh.write("</annotations>\n")
        return ctx.finish()


# --------------------------------------------------------------------------- reading

_ATTR_RE = re.compile(r'([\w-]+)="([^"]*)"')


def _skeleton_edges(svg: str, names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    ids: dict[str, int] = {}
    edges = []
    for tag in re.findall(r"<(?:circle|line)\b[^>]*>", svg):
        attrs = dict(_ATTR_RE.findall(tag))
        if "data-node-id" in attrs and attrs.get("data-label-name") in names:
            ids[attrs["data-node-id"]] = names.index(attrs["data-label-name"])
    for tag in re.findall(r"<line\b[^>]*>", svg):
        attrs = dict(_ATTR_RE.findall(tag))
        a, b = ids.get(attrs.get("data-node-from", "")), ids.get(attrs.get("data-node-to", ""))
        if a is not None and b is not None:
            edges.append((a, b))
    return tuple(edges)


def _meta_classes(meta: Element, declared: Sequence[ClassSpec]) -> list[ClassSpec]:
    tops: list[dict[str, Any]] = []
    children: dict[str, list[str]] = {}
    for label in meta.iter("label"):
        name = (label.findtext("name") or "").strip()
        parent = (label.findtext("parent") or "").strip()
        if parent:
            children.setdefault(parent, []).append(name)
            continue
        specs = []
        for attr in label.iterfind("attributes/attribute"):
            kind = _TYPE.get((attr.findtext("input_type") or "text").strip(), "text")
            values = tuple(v for v in (attr.findtext("values") or "").split("\n") if v)
            aname = (attr.findtext("name") or "").strip()
            dtext = attr.findtext("default_value")
            known = next((c.attribute(aname) for c in declared if c.name == name), None)
            spec = known or AttributeSpec(aname, kind, () if kind == "bool" else values,
                                          None, (attr.findtext("mutable") or "") == "True")
            if not known and dtext:
                spec = AttributeSpec(spec.name, spec.type, spec.values,
                                     attribute_value(dtext, spec), spec.mutable)
            specs.append(spec)
        tops.append({"name": name, "color": (label.findtext("color") or "").strip() or None,
                     "svg": label.findtext("svg") or "", "attributes": tuple(specs)})
    classes = []
    for i, t in enumerate(tops):
        names = tuple(children.get(t["name"], ()))
        classes.append(ClassSpec(i, t["name"], t["color"], keypoint_names=names,
                                 skeleton=_skeleton_edges(t["svg"], names),
                                 attributes=t["attributes"]))
    return classes


def _floats(text: str | None) -> list[float] | None:
    try:
        return [float(v) for v in (text or "").replace(";", ",").split(",")]
    except ValueError:
        return None


class _Reader:
    def __init__(self, root: Path, rel: str, options: ReadOptions) -> None:
        self.root, self.rel, self.options = root, rel, options
        self.problems = Problems(options.limits)
        self.classes: dict[str, ClassSpec] = {}
        self.images: list[ImageRecord] = []
        self.names: set[str] = set()
        self.annotations: list[AnnotationRecord] = []
        self.media: dict[str, str] = {}
        self.declared = False

    def image(self, el: Element) -> ImageRecord | None:
        name = checked_name(el.get("name"), self.rel)
        w, h = el.get("width"), el.get("height")
        try:
            width, height = int(w or ""), int(h or "")
        except ValueError:
            self.problems.add(self.rel, name, None, f"image size {w!r} x {h!r} is not whole")
            return None
        size = image_size_problem(width, height)
        if size or name in self.names:
            self.problems.add(self.rel, name, None, size or "the image is listed twice")
            return None
        self.names.add(name)
        record = ImageRecord(name, width, height, el.get("subset") or None)
        self.images.append(record)
        found = find_media(self.root, (f"images/{name}", name))
        if found:
            self.media[name] = found
        return record

    def shape(self, el: Element, image: ImageRecord, index: int) -> None:
        label = el.get("label") or ""
        cls = self.classes.get(label)
        if cls is None and not self.declared and label:
            cls = self.classes[label] = ClassSpec(len(self.classes), label)
        if cls is None:
            self.problems.add(self.rel, image.name, index, f"unknown label {label!r}")
            return
        shape = self._geometry(el, image, index, cls)
        if shape is None or not self.problems.shape(self.rel, image.name, index, shape,
                                                    image.width, image.height):
            return
        attrs: dict[str, Any] = {}
        if el.get("occluded") == "1":
            attrs["occluded"] = True
        if el.get("z_order") not in (None, "", "0"):
            attrs["z_order"] = attribute_value(el.get("z_order"), AttributeSpec("z", "int"))
        for child in el.iterfind("attribute"):
            key = child.get("name") or ""
            attrs[key] = attribute_value(child.text, cls.attribute(key))
        group = el.get("group_id")
        self.annotations.append(AnnotationRecord(
            image.name, label, shape, attrs,
            group=int(group) if group and group.isdigit() and group != "0" else None))

    def _geometry(self, el: Element, image: ImageRecord, index: int,
                  cls: ClassSpec) -> Shape | None:
        tag = el.tag
        if tag == "tag":
            return Tag()
        if tag == "box":
            v = _floats(",".join(el.get(k) or "" for k in ("xtl", "ytl", "xbr", "ybr")))
            if v is None or len(v) != 4:
                self.problems.add(self.rel, image.name, index, "box corners are not numbers")
                return None
            box = Box(v[0], v[1], v[2] - v[0], v[3] - v[1])
            if el.get("rotation") is None:
                return box
            angle = _floats(el.get("rotation"))
            if angle is None or len(angle) != 1:
                self.problems.add(self.rel, image.name, index, "rotation is not a number")
                return None
            return RotatedBox(box.x + box.w / 2, box.y + box.h / 2, box.w, box.h, angle[0])
        if tag in ("polygon", "polyline", "points"):
            v = _floats(el.get("points"))
            if v is None or len(v) % 2:
                self.problems.add(self.rel, image.name, index, "points are not x,y pairs")
                return None
            pts = [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
            return {"polygon": Polygon, "polyline": Polyline, "points": Points}[tag](pts)
        if tag == "mask":
            return self._mask(el, image, index)
        return self._skeleton(el, image, index, cls)

    def _mask(self, el: Element, image: ImageRecord, index: int) -> Shape | None:
        try:
            runs = [int(v) for v in (el.get("rle") or "").split(",")]
            left, top, w, h = (int(el.get(k) or "") for k in ("left", "top", "width", "height"))
        except ValueError:
            self.problems.add(self.rel, image.name, index, "mask rle or box is not whole numbers")
            return None
        W, H = image.width or 0, image.height or 0
        if min(runs, default=0) < 0 or sum(runs) != w * h or w <= 0 or h <= 0:
            self.problems.add(self.rel, image.name, index,
                              f"mask runs add up to {sum(runs)} pixels, not {w} x {h}")
            return None
        if left < 0 or top < 0 or left + w > W or top + h > H:
            self.problems.add(self.rel, image.name, index, "the mask lies outside the image")
            return None
        bits = np.repeat((np.arange(len(runs)) & 1).astype(bool), runs).reshape(h, w)
        return Mask(H, W, encode_window(bits, top, left, H, W))

    def _skeleton(self, el: Element, image: ImageRecord, index: int,
                  cls: ClassSpec) -> Shape | None:
        nodes = {p.get("label"): p for p in el.iterfind("points")}
        names = cls.keypoint_names or tuple(n or "" for n in nodes)
        pts, vis = [], []
        for name in names:
            node = nodes.get(name)
            v = _floats(node.get("points")) if node is not None else [0.0, 0.0]
            if v is None or len(v) != 2:
                self.problems.add(self.rel, image.name, index, f"keypoint {name!r} is not x,y")
                return None
            pts.append((v[0], v[1]))
            if node is None or node.get("outside") == "1":
                vis.append(0)
            else:
                vis.append(1 if node.get("occluded") == "1" else 2)
        return Keypoints(pts, vis)


def read(
    path: Path,
    options: ReadOptions | Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> LabelDocument:
    """Read a CVAT for images 1.1 XML file (or the single ``*.xml`` of a folder)."""
    opts = as_read_options(options)
    path = Path(path)
    if path.is_dir():
        found = ["annotations.xml"] if (path / "annotations.xml").is_file() else [
            f for f in walk_files(path, (".xml",)) if "/" not in f]
        if len(found) != 1:
            raise InvalidInput(f"{path.name}: expected one CVAT XML file, found {len(found)}")
        root, rel = path, found[0]
    else:
        root, rel = path.parent, path.name
    reader = _Reader(root, rel, opts)
    steps = Steps(progress, cancel, 0, "import")
    image: ImageRecord | None = None
    in_image = False
    depth = index = 0
    for event, el in iterparse_xml(root / rel, opts.limits, rel):
        if event == "start":
            depth += 1
            if depth == 1 and el.tag != "annotations":
                raise InvalidInput(f"{rel}: the root element must be <annotations>")
            if el.tag == "image" and depth == 2:
                image, in_image, index = reader.image(el), True, 0
            elif el.tag == "track" and depth == 2:
                raise InvalidInput(f"{rel}: tracks (CVAT for video) are not supported; "
                                   "export the task as CVAT for images")
            continue
        depth -= 1
        if el.tag == "meta" and depth == 1:
            reader.classes = {c.name: c for c in _meta_classes(el, opts.classes or ())}
            reader.declared = bool(reader.classes)
            el.clear()
        elif in_image and depth == 2:
            if el.tag not in _SHAPES:
                reader.problems.add(rel, image.name if image else None, index,
                                    f"unsupported shape <{el.tag}>")
            elif image is not None:
                reader.shape(el, image, index)
            index += 1
        elif el.tag == "image" and depth == 1:
            in_image = False
            steps.step(image.name if image else rel)
            el.clear()
    reader.problems.raise_if_any()
    classes = sorted(reader.classes.values(), key=lambda c: c.id)
    return finish_document(classes, reader.images, reader.annotations, reader.media)
