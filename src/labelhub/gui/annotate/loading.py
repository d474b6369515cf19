"""Between the project and the canvas: packed annotations into the canvas' arrays, the canvas
subclass the workspace drives, and applying what a change (an undo, a redo) did to an item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

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
from labelhub.gui.canvas import CanvasShape, CanvasWidget, PackedShapes
from labelhub.project import AnnotationInfo, ItemChange, PackedAnnotations

#: Coordinates are saved to a hundredth of a pixel: finer than any annotator can place a
#: point, and it keeps the project file small and quick to read.
DECIMALS = 2
NO_CLASS = "(no class)"

#: The shape kind each drawing tool makes.
TOOL_KINDS: dict[str, str] = {
    "box": "box", "rotated_box": "rotated_box", "polygon": "polygon", "polyline": "polyline",
    "point": "points", "keypoints": "keypoints", "brush": "mask", "eraser": "mask",
}


def rounded(shape: Shape) -> Shape:
    """``shape`` with its coordinates rounded to DECIMALS places (masks and tags as they are)."""
    r = DECIMALS
    if isinstance(shape, Box):
        x0, y0 = round(shape.x, r), round(shape.y, r)
        return Box(x0, y0, round(shape.x + shape.w, r) - x0, round(shape.y + shape.h, r) - y0)
    if isinstance(shape, RotatedBox):
        return RotatedBox(round(shape.cx, r), round(shape.cy, r), round(shape.w, r),
                          round(shape.h, r), round(shape.angle, 3))
    if isinstance(shape, Keypoints):
        return Keypoints(tuple((round(x, r), round(y, r)) for x, y in shape.points), shape.visibility)
    if isinstance(shape, Polygon | Polyline | Points):
        return type(shape)(tuple((round(x, r), round(y, r)) for x, y in shape.points))
    return shape


class AnnotateCanvas(CanvasWidget):
    """The canvas as the workspace uses it: keys other than a tool's gesture keys (and Space
    for panning) go to the workspace's rebindable shortcuts instead of fixed canvas keys."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Space:
            super().keyPressEvent(event)
            return
        if self.tool.key(key, mods):
            self.update()
            return
        event.ignore()


@dataclass
class LayerContent:
    """What the workspace knows of one label set's annotations on the current item beyond the
    canvas: flags as saved, z-order, required attributes left empty, image tags."""

    hidden: set[str] = field(default_factory=set)
    locked: set[str] = field(default_factory=set)
    flagged: set[str] = field(default_factory=set)
    z: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # annotation uid -> class uid

    def top(self) -> int:
        return max(self.z.values(), default=0)

    def bottom(self) -> int:
        return min(self.z.values(), default=0)


def to_canvas(packed: PackedAnnotations, layer: str, class_name: Callable[[str | None], str]
              ) -> tuple[PackedShapes, list[CanvasShape], LayerContent]:
    """The canvas form of packed annotations: vector shapes as arrays, masks as objects, tags
    left out (they are shown beside the canvas); and what the workspace keeps beside."""
    n = len(packed)
    content = LayerContent()
    if n:
        uids = np.asarray(packed.uids, dtype=object)
        content.hidden = set(uids[packed.hidden].tolist())
        content.locked = set(uids[packed.locked].tolist())
        content.flagged = set(uids[packed.flagged].tolist())
        content.z = dict(zip(packed.uids, packed.z.tolist(), strict=True))
    names = {uid: class_name(uid) for uid in set(packed.class_uids)}
    labels = list(map(names.__getitem__, packed.class_uids))
    objects = packed.objects
    keep = np.ones(n, dtype=bool)
    extra: list[CanvasShape] = []
    for row, shape in objects.items():
        keep[row] = False
        uid = packed.uids[row]
        if isinstance(shape, Tag):
            content.tags[uid] = packed.class_uids[row] or ""
        else:
            extra.append(CanvasShape(uid, labels[row], shape, layer=layer,
                                     hidden=uid in content.hidden, locked=uid in content.locked))
    rows = np.flatnonzero(keep)
    if rows.size == n:
        kinds, params, offsets, xy, vis = (packed.kinds, packed.params, packed.offsets, packed.xy,
                                           packed.visibility)
        uids_kept, labels_kept = packed.uids, labels
    else:
        counts = np.diff(packed.offsets)[rows]
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        take = np.concatenate([np.arange(packed.offsets[r], packed.offsets[r + 1]) for r in rows]) \
            if rows.size else np.zeros(0, dtype=np.int64)
        kinds, params = packed.kinds[rows], packed.params[rows]
        xy, vis = packed.xy[take].reshape(-1, 2), packed.visibility[take]
        uids_kept = [packed.uids[r] for r in rows.tolist()]
        labels_kept = [labels[r] for r in rows.tolist()]
    shapes = PackedShapes(uids_kept, labels_kept, kinds, params, offsets, xy, vis, layer=layer)
    return shapes, extra, content


def load_layer(canvas: CanvasWidget, packed: PackedAnnotations, layer: str,
               class_name: Callable[[str | None], str], *, replace_all: bool) -> LayerContent:
    """Put one label set's annotations on the canvas: replacing everything (the first layer of
    an item) or added on top of what is there."""
    shapes, extra, content = to_canvas(packed, layer, class_name)
    if replace_all:
        canvas.set_packed_shapes(shapes, extra)
    else:
        store = canvas.store
        with store.batch():
            for i, uid in enumerate(packed.uids):
                shape = packed.shape(i)
                if not isinstance(shape, Tag) and uid not in store:
                    store.add(CanvasShape(uid, labels_of(packed, class_name, i), shape, layer=layer))
    hidden = content.hidden & set(canvas.store.row_of)
    if hidden:
        canvas.set_hidden(hidden, True)
    locked = content.locked & set(canvas.store.row_of)
    if locked:
        canvas.set_locked(locked, True)
    return content


def labels_of(packed: PackedAnnotations, class_name: Callable[[str | None], str], row: int) -> str:
    return class_name(packed.class_uids[row])


def info_to_canvas(info: AnnotationInfo, layer: str, label: str) -> CanvasShape:
    return CanvasShape(info.uid, label, info.shape, layer=layer, hidden=info.hidden,
                       locked=info.locked)


def apply_item_change(canvas: CanvasWidget, change: ItemChange, layer: str, content: LayerContent,
                      class_name: Callable[[str | None], str],
                      effective: Callable[[str, str], tuple[bool, bool]]) -> None:
    """Make the canvas (and ``content``) show what ``change`` did: annotations it removed go,
    those it opened appear or take their new state. ``effective(uid, label)`` gives the
    (hidden, locked) the canvas shows, which per-class switches may add to the saved flags."""
    store = canvas.store
    selected = set(canvas.selected_uids())
    with store.batch():
        for uid in change.removed:
            if uid in store:
                store.remove(uid)
            content.tags.pop(uid, None)
            for group in (content.hidden, content.locked, content.flagged):
                group.discard(uid)
            content.z.pop(uid, None)
        for info in change.opened:
            uid = info.uid
            label = class_name(info.class_uid)
            _set(content.hidden, uid, info.hidden)
            _set(content.locked, uid, info.locked)
            _set(content.flagged, uid, bool(info.problems))
            old_z = content.z.get(uid)
            if isinstance(info.shape, Tag):
                content.tags[uid] = info.class_uid or ""
                content.z[uid] = info.z
                continue
            top, bottom = content.top(), content.bottom()
            content.z[uid] = info.z
            hidden, locked = effective(uid, label)
            cs = replace(info_to_canvas(info, layer, label), hidden=hidden, locked=locked)
            if uid in store:
                restack = old_z is not None and old_z != info.z
                if restack:
                    store.remove(uid)
                    store.add(cs, z=None if info.z >= top else _bottom_z(store) if info.z <= bottom else None)
                else:
                    store.set_geometry(uid, info.shape)
                    if store.labels[store.row_of[uid]] != label:
                        store.set_label(uid, label)
                    store.set_flag("hidden", [uid], hidden)
                    store.set_flag("locked", [uid], locked)
            else:
                store.add(cs, z=_bottom_z(store) if info.z < bottom else None)
    canvas.select([u for u in selected if u in store])


def _bottom_z(store: object) -> int:
    alive = store.alive[: store.n]  # type: ignore[attr-defined]
    zs = store.z[: store.n][alive]  # type: ignore[attr-defined]
    return int(zs.min()) - 1 if zs.size else 0


def _set(group: set[str], uid: str, on: bool) -> None:
    if on:
        group.add(uid)
    else:
        group.discard(uid)


def is_mask(shape: Shape) -> bool:
    return isinstance(shape, Mask)
