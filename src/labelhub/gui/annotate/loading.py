"""Between the project and the canvas: packed annotations into the canvas' arrays, the canvas
subclass the workspace drives, and applying what a change (an undo, a redo) did to an item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QEvent, Qt
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
    for panning) go to the workspace's rebindable shortcuts instead of fixed canvas keys. A
    key the current tool's gesture needs (Backspace while drawing a polygon, N while placing
    keypoints) goes to the tool even when a shortcut uses it."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier
                                         | Qt.KeyboardModifier.KeypadModifier)
            if not mods and self.tool.gesture_key(event.key()):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Space:
            super().keyPressEvent(event)
            return
        if self.tool.key(key, mods):
            self.update()
            return
        event.ignore()


class LayerContent:
    """What the workspace knows of one label set's annotations on the current item beyond the
    canvas: flags as saved, z-order, required attributes left empty, image tags.

    ``z`` (annotation uid -> z) is built from the packed columns when first used, so opening an
    item with 100,000 shapes does not wait for it."""

    def __init__(self, uids: list[str] | None = None, z: np.ndarray | None = None) -> None:
        self.hidden: set[str] = set()
        self.locked: set[str] = set()
        self.flagged: set[str] = set()
        self.tags: dict[str, str] = {}  # annotation uid -> class uid
        self._z: dict[str, int] | None = None if uids else {}
        self._z_source = (uids, z) if uids else None

    @property
    def z(self) -> dict[str, int]:
        if self._z is None:
            assert self._z_source is not None
            uids, values = self._z_source
            self._z = dict(zip(uids, np.asarray(values).tolist(), strict=True))
            self._z_source = None
        return self._z

    def top(self) -> int:
        if self._z is None and self._z_source is not None:
            return int(np.max(self._z_source[1]))
        return max(self.z.values(), default=0)

    def bottom(self) -> int:
        if self._z is None and self._z_source is not None:
            return int(np.min(self._z_source[1]))
        return min(self.z.values(), default=0)


def _uids_where(packed: PackedAnnotations, flags: np.ndarray) -> set[str]:
    return {packed.uids[i] for i in np.flatnonzero(flags).tolist()}


def to_canvas(packed: PackedAnnotations, layer: str, class_name: Callable[[str | None], str]
              ) -> tuple[PackedShapes, list[CanvasShape], LayerContent]:
    """The canvas form of packed annotations: vector shapes as arrays, masks as objects, tags
    left out (they are shown beside the canvas); and what the workspace keeps beside. No
    per-shape Python work beyond the masks and tags."""
    n = len(packed)
    content = LayerContent(packed.uids, packed.z) if n else LayerContent()
    content.hidden = _uids_where(packed, packed.hidden)
    content.locked = _uids_where(packed, packed.locked)
    content.flagged = _uids_where(packed, packed.flagged)
    names = [class_name(c) for c in packed.class_list]
    codes = packed.class_codes
    keep = np.ones(n, dtype=bool)
    extra: list[CanvasShape] = []
    for row, shape in packed.objects.items():
        keep[row] = False
        uid = packed.uids[row]
        if isinstance(shape, Tag):
            content.tags[uid] = packed.class_list[int(codes[row])] or ""
        else:
            extra.append(CanvasShape(uid, names[int(codes[row])], shape, layer=layer,
                                     hidden=uid in content.hidden, locked=uid in content.locked))
    if packed.objects:
        rows = np.flatnonzero(keep)
        counts = np.diff(packed.offsets)[rows]
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        take = np.concatenate([np.arange(packed.offsets[r], packed.offsets[r + 1]) for r in rows]) \
            if rows.size else np.zeros(0, dtype=np.int64)
        shapes = PackedShapes([packed.uids[r] for r in rows.tolist()], names, packed.kinds[rows],
                              packed.params[rows], offsets, packed.xy[take].reshape(-1, 2),
                              packed.visibility[take], layer=layer, label_codes=codes[rows])
    else:
        shapes = PackedShapes(packed.uids, names, packed.kinds, packed.params, packed.offsets,
                              packed.xy, packed.visibility, layer=layer, label_codes=codes)
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
    store = canvas.store
    hidden = {u for u in content.hidden if u in store}
    if hidden:
        canvas.set_hidden(hidden, True)
    locked = {u for u in content.locked if u in store}
    if locked:
        canvas.set_locked(locked, True)
    return content


def labels_of(packed: PackedAnnotations, class_name: Callable[[str | None], str], row: int) -> str:
    return class_name(packed.class_list[int(packed.class_codes[row])])


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
