"""One item of a diff on the canvas: the ground truth of both states compared, overlaid.

Annotations only in the newer state are green, those only in the older red, a changed one is
drawn both ways (before: red and dashed, after: green), and the rest faint grey. The image and
the shapes go through the canvas' own machinery: each kind of change is a read-only layer
(colour per shape, dashes and faintness per layer, drawn in the cached buffers by the worker
threads), so an item with hundreds of shapes draws as fast as in Annotate. Beside the canvas,
the item's changes as a list; clicking one rings its shape on the canvas (and clicking a shape
picks its line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.geometry import Shape, Tag, shape_from_dict
from labelhub.gui.annotate.loading import NO_CLASS, to_canvas
from labelhub.gui.canvas import CanvasShape, CanvasWidget, Layer
from labelhub.gui.canvas.overlay import DARK, WHITE
from labelhub.gui.canvas.widget import guarded
from labelhub.gui.versions.models import CHANGE_COLOURS, _Table, diff_rows, make_table

#: Layers, bottom first: what did not change, what went, what came, a changed shape now and
#: (on top, dashed, so it shows even where it did not move) as it was.
UNCHANGED, REMOVED, ADDED, AFTER, BEFORE = "unchanged", "removed", "added", "after", "before"
#: Colours on the canvas: saturated enough to read over any photograph.
GREEN, RED, NEUTRAL = "#2fd35b", "#ff3b3b", "#c9cdd3"
LAYER_STYLE: dict[str, tuple[str, str, bool, float]] = {  # name: (title, colour, dashed, opacity)
    UNCHANGED: ("unchanged", NEUTRAL, False, 0.55),
    REMOVED: ("removed", RED, False, 1.0),
    ADDED: ("added", GREEN, False, 1.0),
    AFTER: ("changed: now", GREEN, False, 1.0),
    BEFORE: ("changed: before", RED, True, 1.0),
}
#: The suffix of the canvas uid of a changed annotation's earlier state.
BEFORE_SUFFIX = "@before"
#: Class names are written on the changed shapes when at most this many are in view.
TAG_LIMIT = 120


def canvas_uids(change: Any) -> list[str]:
    """The canvas uids showing an annotation change (two for a changed one)."""
    if change.change == "changed":
        return [change.uid, change.uid + BEFORE_SUFFIX]
    return [change.uid]


def annotation_uid(canvas_uid: str) -> str:
    return canvas_uid.removesuffix(BEFORE_SUFFIX)


def _shape(geometry: dict[str, Any] | None) -> Shape | None:
    if not geometry:
        return None
    try:
        shape = shape_from_dict(geometry)
    except LabelHubError:
        return None
    return None if isinstance(shape, Tag) else shape


def overlay_shapes(changes: Sequence[Any]) -> list[CanvasShape]:
    """The canvas shapes showing ``changes`` (annotation changes of one item), bottom first:
    removed, added, changed now, changed before. Image tags have no shape and are left out."""
    out: dict[str, list[CanvasShape]] = {REMOVED: [], ADDED: [], AFTER: [], BEFORE: []}
    for c in changes:
        before, after = _shape(c.geometry_before), _shape(c.geometry_after)
        old_label, new_label = c.label_before or NO_CLASS, c.label_after or NO_CLASS
        if c.change == "removed" and before is not None:
            out[REMOVED].append(CanvasShape(c.uid, old_label, before, color=RED, layer=REMOVED))
        elif c.change == "added" and after is not None:
            out[ADDED].append(CanvasShape(c.uid, new_label, after, color=GREEN, layer=ADDED))
        elif c.change == "changed":
            if after is not None:
                out[AFTER].append(CanvasShape(c.uid, new_label, after, color=GREEN, layer=AFTER))
            if before is not None:
                out[BEFORE].append(CanvasShape(c.uid + BEFORE_SUFFIX, old_label, before, color=RED,
                                               layer=BEFORE))
    return [s for layer in (REMOVED, ADDED, AFTER, BEFORE) for s in out[layer]]


class DiffCanvas(CanvasWidget):
    """The canvas, read-only, with the diff's layers; class names written on changed shapes
    only, and a ring around the shapes picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for name, (title, _colour, dashed, opacity) in LAYER_STYLE.items():
            self.set_layer(Layer(name, title, visible=True, editable=False, dashed=dashed,
                                 opacity=opacity))
        self.set_layer(Layer("default", editable=False))
        self.current_layer = BEFORE
        self.set_read_only(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def _paint_labels(self, painter: QPainter, moving: set[str]) -> None:
        store = self.store
        rows = store.rows_in(self.view.visible(self.width(), self.height()))
        unchanged = store.layer_index(UNCHANGED)
        rows = rows[store.layer[rows] != unchanged]
        if rows.size > TAG_LIMIT:
            picked = [store.row_of[u] for u in self.selected_uids()[:32]]
            rows = np.asarray(picked, dtype=np.int64)
        before = store.layer_index(BEFORE)
        scale = self.view.scale
        height = self._tags.metrics.height() + 2
        items = []
        for r in rows.tolist():
            b = store.bounds[r]
            if not np.isfinite(b).all():
                continue
            uid = store.uids[r]
            label = store.labels[r]
            if int(store.layer[r]) == before:  # under the shape, and only when the class changed
                now = store.row_of.get(annotation_uid(uid))
                if now is not None and store.labels[now] == label:
                    continue
                items.append((f"was {label}", self.shape_qcolor(uid), float(b[0]),
                              float(b[3]) + (height + 2) / scale))
            else:
                items.append((label, self.shape_qcolor(uid), float(b[0]), float(b[1])))
        self._tags.draw(painter, self.view, items)

    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        uids = self.selected_uids()[:64]
        if not uids:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for uid in uids:
            b = self.store.bounds[self.store.row_of[uid]]
            if not np.isfinite(b).all():
                continue
            x0, y0 = self.view.to_widget(float(b[0]), float(b[1]))
            x1, y1 = self.view.to_widget(float(b[2]), float(b[3]))
            rect = QRectF(QPointF(x0, y0), QPointF(x1, y1)).adjusted(-7, -7, 7, 7)
            for colour, width in ((DARK, 4.0), (WHITE, 2.0)):  # readable on any picture
                pen = QPen(colour, width)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRoundedRect(rect, 5, 5)
        painter.end()


@dataclass(frozen=True)
class OverlayCounts:
    added: int
    removed: int
    changed: int
    unchanged: int
    tags: int


class ItemChangesModel(_Table):
    """The annotation changes of one item: what changed, the class, the details."""

    HEADERS = ("Change", "Class", "Details")

    def text(self, row: Any, column: int) -> str:
        if column == 0:
            return row.change
        if column == 1:
            return row.label
        if row.source.kind == "tag" and row.change != "changed":
            return "image tag (not drawn)"
        return row.detail

    def extra(self, row: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(QColor(CHANGE_COLOURS.get(row.change, CHANGE_COLOURS["changed"])))
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.detail or None
        return None


def _swatch(colour: str, dashed: bool, faint: bool) -> QIcon:
    pix = QPixmap(22, 14)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = QColor(colour)
    if faint:
        c.setAlphaF(0.75)
    pen = QPen(c, 2.0, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    if dashed:
        pen.setDashPattern([2.0, 1.5])
    fill = QColor(c)
    fill.setAlphaF(0.0 if dashed else 0.25)
    painter.setPen(pen)
    painter.setBrush(fill)
    painter.drawRect(QRectF(2, 2, 18, 10))
    painter.end()
    return QIcon(pix)


class DiffOverlay(QWidget):
    """The canvas with the item's two states overlaid, a legend whose entries show or hide
    each kind of change, and the list of the item's changes."""

    #: An annotation uid picked in the list or on the canvas ("" when none).
    picked = Signal(str)
    #: Open the item shown (uid) in the Annotate workspace.
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        heading = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.open_button = QPushButton("Open in Annotate", self)
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: self.open_requested.emit(self.item_uid or ""))
        heading.addWidget(self.title, 1)
        heading.addWidget(self.open_button)
        layout.addLayout(heading)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.views = QStackedWidget(split)
        self.placeholder = QLabel("Select an item or an annotation in the list above: its image "
                                  "shows here with both versions' labels overlaid.", self.views)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("EmptyText")
        self.canvas = DiffCanvas(self.views)
        self.views.addWidget(self.placeholder)
        self.views.addWidget(self.canvas)
        side = QWidget(split)
        column = QVBoxLayout(side)
        column.setContentsMargins(6, 0, 0, 0)
        column.setSpacing(4)
        legend = QWidget(side)
        grid = QGridLayout(legend)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.legend: dict[str, QCheckBox] = {}
        for i, name in enumerate((ADDED, REMOVED, AFTER, BEFORE, UNCHANGED)):
            title, colour, dashed, opacity = LAYER_STYLE[name]
            box = QCheckBox(title, legend)
            box.setIcon(_swatch(colour, dashed, opacity < 1))
            box.setChecked(True)
            box.setToolTip(f"Show or hide the {title} annotations")
            box.toggled.connect(lambda on, n=name: self.canvas.set_layer_visible(n, on))
            grid.addWidget(box, i // 2, i % 2)
            self.legend[name] = box
        column.addWidget(legend)
        self.model = ItemChangesModel(self)
        self.list = make_table(side, self.model, stretch=2)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("Click a change to ring its shape on the image")
        column.addWidget(self.list, 1)
        split.addWidget(self.views)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([640, 300])
        layout.addWidget(split, 1)
        self.item_uid: str | None = None
        self.counts = OverlayCounts(0, 0, 0, 0, 0)
        self._syncing = False
        self.list.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.list.clicked.connect(lambda index: self._row_chosen(index, QModelIndex()))
        self.canvas.selectionChanged.connect(self._canvas_picked)

    # ----------------------------------------------------------------------------- showing
    def clear(self, message: str = "") -> None:
        self.item_uid = None
        self.canvas.clear_shapes()
        self.canvas.clear_image()
        self.model.set_rows([])
        self.title.setText(message)
        self.open_button.setEnabled(False)
        self.views.setCurrentWidget(self.placeholder)

    def show_item(self, project: Any, diff: Any, item_uid: str, changes: Sequence[Any],
                  focus: str | None = None) -> None:
        """Show item ``item_uid`` of ``diff``'s dataset with ``changes`` (its annotation
        changes in the diff) over the ground truth they left unchanged; ``focus``: an
        annotation uid to ring."""
        dataset = diff.dataset
        after = project.item_info(dataset, item_uid, at_seq=diff.after_seq)
        item = after or project.item_info(dataset, item_uid, at_seq=diff.before_seq)
        if item is None:
            self.clear("That item is in neither version.")
            return
        self.item_uid = item_uid
        self.views.setCurrentWidget(self.canvas)
        self.open_button.setEnabled(True)
        side = diff.after if after is not None else diff.before
        self.open_button.setToolTip(f"Open {item.name} in Annotate as {side} holds it")
        try:
            self.canvas.open_image(project.media_path(item.media_sha256), sha256=item.media_sha256)
        except LabelHubError as error:
            self.canvas.clear_image()
            self.title.setText(f"{item.name}: {error}")
        # What did not change: the newer state's ground truth, less what the diff lists.
        names: dict[str | None, str] = {}
        packed = None
        if after is not None:
            names = {c.uid: c.name for c in project.label_classes(dataset, at_seq=diff.after_seq)}
            truth = project.ground_truth(dataset).uid
            packed = project.packed_annotations(truth, item_uid, at_seq=diff.after_seq)
        if packed is not None and len(packed):
            shapes, extra, content = to_canvas(packed, UNCHANGED, lambda c: names.get(c, NO_CLASS))
            self.canvas.set_packed_shapes(shapes, extra)
            tags = len(content.tags)
        else:
            self.canvas.clear_shapes()
            tags = 0
        store = self.canvas.store
        listed = {c.uid for c in changes}
        with store.batch():
            for uid in listed:
                if uid in store:
                    store.remove(uid)
            for label in list(store.label_names):
                store.set_label_color(label, NEUTRAL)
            for cs in overlay_shapes(changes):
                store.add(cs)
        self.canvas.select(())
        self.canvas.fit()
        by = {k: sum(1 for c in changes if c.change == k) for k in ("added", "removed", "changed")}
        n = store.n
        unchanged = int((store.alive[:n] & (store.layer[:n] == store.layer_index(UNCHANGED))).sum())
        self.counts = OverlayCounts(by["added"], by["removed"], by["changed"], unchanged, tags)
        for name, n in ((ADDED, by["added"]), (REMOVED, by["removed"]), (BEFORE, by["changed"]),
                        (AFTER, by["changed"]), (UNCHANGED, self.counts.unchanged)):
            self.legend[name].setText(f"{LAYER_STYLE[name][0]} ({n:,})")
        self.title.setText(f"<b>{item.name}</b> · {diff.before} → {diff.after} · "
                           f"{by['added']} added, {by['removed']} removed, {by['changed']} changed, "
                           f"{self.counts.unchanged} unchanged")
        self.model.set_rows(diff_rows(_Only(changes)))
        if focus is not None:
            self.focus(focus)

    # ---------------------------------------------------------------------------- picking
    def focus(self, uid: str) -> bool:
        """Ring annotation ``uid`` on the canvas (both states of a changed one) and pick its
        line in the list; False when it is not on this item."""
        rows = [i for i in range(self.model.rowCount()) if self.model.row(i).source.uid == uid]
        if not rows:
            return False
        self._syncing = True
        try:
            self.list.selectRow(rows[0])
        finally:
            self._syncing = False
        self._ring(self.model.row(rows[0]).source)
        return True

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        row = self.model.row(current.row())
        if row is not None:
            self._ring(row.source)

    def _ring(self, change: Any) -> None:
        store = self.canvas.store
        uids = [u for u in canvas_uids(change) if u in store]
        self._syncing = True
        try:
            self.canvas.select(uids)
        finally:
            self._syncing = False
        if uids:
            b = store.bounds[[store.row_of[u] for u in uids]]
            x0, y0 = np.nanmin(b[:, :2], axis=0)
            x1, y1 = np.nanmax(b[:, 2:], axis=0)
            vx0, vy0, vx1, vy1 = self.canvas.view.visible(self.canvas.width(), self.canvas.height())
            if not (x0 >= vx0 and x1 <= vx1 and y0 >= vy0 and y1 <= vy1):
                self.canvas.center_on(float(x0 + x1) / 2, float(y0 + y1) / 2)
        self.canvas.update()
        self.picked.emit(change.uid)

    def _canvas_picked(self, uids: list[str]) -> None:
        if self._syncing:
            return
        if not uids:
            self.list.clearSelection()
            self.picked.emit("")
            return
        self.focus(annotation_uid(uids[0]))

    def change_at(self, canvas_uid: str) -> Any:
        """The annotation change a canvas shape shows (None for an unchanged one)."""
        uid = annotation_uid(canvas_uid)
        return next((self.model.row(i).source for i in range(self.model.rowCount())
                     if self.model.row(i).source.uid == uid), None)


class _Only:
    """A diff holding only some annotation changes (for ``diff_rows``)."""

    def __init__(self, annotations: Sequence[Any]) -> None:
        self.classes: list[Any] = []
        self.items: list[Any] = []
        self.annotations = list(annotations)
