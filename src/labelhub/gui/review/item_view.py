"""One item under review on the canvas: each annotator's label set as a layer in its own colour
(shown or hidden with its switch), the result being settled as an editable layer (the consensus
to start with), the current ground truth, and a small view per annotator side by side."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.geometry import Tag
from labelhub.gui.canvas import CanvasShape, CanvasWidget, Command, Layer
from labelhub.gui.review.tag_strip import TagStrip
from labelhub.project import NewAnnotation

#: Colour says who: one per annotator, in rater order; the result being settled is yellow and the
#: ground truth white (class names show on the shapes' tags).
ANNOTATOR_COLORS = ("#0a84ff", "#ff6b00", "#bf5af2", "#30d158", "#ff375f", "#64d2ff")
RESULT_COLOR, TRUTH_COLOR = "#ffd60a", "#ffffff"
RESULT, TRUTH = "result", "truth"
DRAW_TOOLS = (("select", "Select"), ("box", "Box"), ("polygon", "Polygon"))


def rater_layer(name: str) -> str:
    return f"rater:{name}"


def swatch(color: str, size: int = 12) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(QColor(color))
    return pix


class ItemView(QWidget):
    """The canvas and its layers for one item; ``result_edited`` when the reviewer edits."""

    result_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.review: Any = None
        self.sources: dict[str, tuple[str, ...]] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self.result_tags: list[NewAnnotation] = []
        self._base: list[CanvasShape] = []
        self.edited = False
        self.colors: dict[str, str] = {}
        self.class_colors: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.title = QLabel(self)
        self.title.setObjectName("Headline")
        layout.addWidget(self.title)
        self.layer_row = QHBoxLayout()
        self.layer_row.setSpacing(12)
        layout.addLayout(self.layer_row)
        self.switches: dict[str, QCheckBox] = {}
        tools = QHBoxLayout()
        tools.setSpacing(6)
        self.tool_group = QButtonGroup(self)
        self.tool_buttons: dict[str, QPushButton] = {}
        for name, text in DRAW_TOOLS:
            button = QPushButton(text, self)
            button.setCheckable(True)
            button.setToolTip(f"{text} on the result layer ({'V' if name == 'select' else name[0].upper()})")
            button.clicked.connect(lambda _c=False, n=name: self.set_tool(n))
            self.tool_group.addButton(button)
            self.tool_buttons[name] = button
            tools.addWidget(button)
        self.class_combo = QComboBox(self)
        self.class_combo.setToolTip("The class of shapes you draw on the result")
        self.class_combo.currentTextChanged.connect(self._class_chosen)
        tools.addWidget(QLabel("Class", self))
        tools.addWidget(self.class_combo)
        self.only_problems = QCheckBox("Only disagreements", self)
        self.only_problems.setToolTip("Hide the objects every annotator agreed on")
        self.only_problems.toggled.connect(self._apply_problem_filter)
        tools.addStretch(1)
        tools.addWidget(self.only_problems)
        layout.addLayout(tools)
        self.tag_strip = TagStrip(self)
        layout.addWidget(self.tag_strip)
        self.canvas = CanvasWidget(self)
        self.canvas.commandIssued.connect(self._command)
        layout.addWidget(self.canvas, 1)
        self.strip = QFrame(self)
        self.strip_row = QHBoxLayout(self.strip)
        self.strip_row.setContentsMargins(0, 0, 0, 0)
        self.strip.setFixedHeight(150)
        layout.addWidget(self.strip)
        self.small: dict[str, CanvasWidget] = {}
        self.captions: dict[str, QLabel] = {}
        self.tool_buttons["select"].setChecked(True)

    # ------------------------------------------------------------------------- showing
    def show_item(self, project: Any, review: Any, image: tuple[str, str], result: list[NewAnnotation]) -> None:
        """Show ``review`` (an ItemReview) on the image (path, sha256), ``result`` editable."""
        self.review = review
        self.edited = False
        classes = project.label_classes(review.dataset)
        self.class_colors = {c.name: c.color for c in classes}
        path, sha = image
        self.colors = {r: ANNOTATOR_COLORS[i % len(ANNOTATOR_COLORS)] for i, r in enumerate(review.raters)}
        for target in [self.canvas, *self._small_views(project, review)]:
            for cls in classes:
                target.set_label_color(cls.name, cls.color)
            try:
                target.open_image(path, sha256=sha)
            except LabelHubError as error:
                target.clear_image()
                self.title.setText(f"{review.status.item_name}: {error}")
        shapes: list[CanvasShape] = []
        for rater in review.raters:
            shapes += [CanvasShape(a.uid, a.label or "(no class)", a.shape, self.colors[rater], rater_layer(rater))
                       for a in review.annotations.get(rater, ()) if not isinstance(a.shape, Tag)]
        shapes += [CanvasShape(a.uid, a.label or "(no class)", a.shape, TRUTH_COLOR, TRUTH)
                   for a in review.ground_truth if not isinstance(a.shape, Tag)]
        self._base = shapes
        self.set_result(result)
        for name in review.raters:
            self.canvas.set_layer(Layer(rater_layer(name), name, visible=True, editable=False))
        self.canvas.set_layer(Layer(TRUTH, "ground truth", visible=bool(review.ground_truth), editable=False))
        self.canvas.set_layer(Layer(RESULT, "result", visible=True, editable=True))
        self.canvas.current_layer = RESULT
        self._fill_switches(review)
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItems([c.name for c in classes if {"box", "polygon"} & set(c.kinds)])
        self.class_combo.blockSignals(False)
        self._class_chosen(self.class_combo.currentText())
        self.title.setText(f"{review.status.item_name}  ·  F1 "
                           + ("—" if review.f1 is None else f"{review.f1:.2f}")
                           + f"  ·  {_count(len(review.disagreements), 'disagreement')}")
        self._show_tags()
        self._apply_problem_filter()
        self.canvas.fit()

    def set_result(self, result: list[NewAnnotation]) -> None:
        """Replace the result layer with ``result`` (the consensus, or one annotator's set)."""
        self.sources, self.attributes = {}, {}
        self.result_tags = [n for n in result if isinstance(n.shape, Tag)]
        shapes = list(self._base)
        for n in result:
            if isinstance(n.shape, Tag):
                continue
            uid = self.canvas.new_uid()
            self.sources[uid] = tuple(n.sources)
            self.attributes[uid] = dict(n.attributes or {})
            shapes.append(CanvasShape(uid, n.label or "(no class)", n.shape, RESULT_COLOR, RESULT))
        self.canvas.set_shapes(shapes)
        self._apply_problem_filter()
        self.edited = False
        self._show_tags()

    def _small_views(self, project: Any, review: Any) -> list[CanvasWidget]:
        while self.strip_row.count():
            child = self.strip_row.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        for view in self.small.values():
            view.shutdown()
        self.small, self.captions = {}, {}
        for rater in review.raters:
            box = QWidget(self.strip)
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            label = QLabel(box)
            shapes = len([a for a in review.annotations.get(rater, ()) if not isinstance(a.shape, Tag)])
            tags = _tags_of(review.annotations.get(rater, ()))
            label.setText(f"<span style='color:{self.colors[rater]}'>■</span> {escape(rater)}: {_count(shapes, 'shape')}"
                          + (f" · <i>{escape(', '.join(tags))}</i>" if tags else ""))
            view = CanvasWidget(box, cache_dir=project.folder / "cache")
            view.setMinimumSize(120, 90)
            view.set_shapes([CanvasShape(a.uid, a.label or "(no class)", a.shape, self.colors[rater], "only")
                             for a in review.annotations.get(rater, ()) if not isinstance(a.shape, Tag)])
            view.set_layer(Layer("only", rater, visible=True, editable=False))
            view.set_show_labels(False)
            column.addWidget(label)
            column.addWidget(view, 1)
            self.strip_row.addWidget(box, 1)
            self.small[rater] = view
            self.captions[rater] = label
        self.canvas.cache_dir = project.folder / "cache"
        return list(self.small.values())

    def small_captions(self) -> dict[str, str]:
        """The caption over each annotator's small view: shapes and image tags."""
        return {rater: label.text() for rater, label in self.captions.items()}

    def _fill_switches(self, review: Any) -> None:
        while self.layer_row.count():
            child = self.layer_row.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        self.switches = {}
        entries = [(rater_layer(r), r, self.colors[r]) for r in review.raters]
        entries += [(RESULT, "Result", RESULT_COLOR), (TRUTH, "Ground truth", TRUTH_COLOR)]
        for key, text, color in entries:
            box = QCheckBox(text, self)
            box.setIcon(swatch(color))
            layer = self.canvas.store.layer_of(key)
            box.setChecked(layer.visible if layer is not None else True)
            box.toggled.connect(lambda on, k=key: self.canvas.set_layer_visible(k, on))
            if key.startswith("rater:"):
                box.toggled.connect(lambda on, r=text: self.tag_strip.set_rater_visible(r, on))
            if key == TRUTH and not review.ground_truth:
                box.setEnabled(False)
                box.setToolTip("This item has no ground truth yet")
            self.switches[key] = box
            self.layer_row.addWidget(box)
        self.layer_row.addStretch(1)

    def _show_tags(self) -> None:
        if self.review is None:
            return
        raters = list(self.review.raters)
        self.tag_strip.show_tags(raters, self.colors, {r: _tags_of(self.review.annotations.get(r, ())) for r in raters},
                                 [n.label or "?" for n in self.result_tags], RESULT_COLOR, self.class_colors)
        for rater in raters:
            switch = self.switches.get(rater_layer(rater))
            self.tag_strip.set_rater_visible(rater, switch is None or switch.isChecked())

    # --------------------------------------------------------------------------- editing
    def set_tool(self, name: str) -> None:
        self.canvas.set_tool(name)
        self.tool_buttons[name].setChecked(True)
        self.canvas.setFocus()

    def _class_chosen(self, name: str) -> None:
        if name:
            self.canvas.current_label = name

    def _command(self, command: Command) -> None:
        self.edited = True
        self.result_edited.emit()

    def result_labels(self) -> list[NewAnnotation]:
        """The result layer as it stands, each shape with the annotator shapes it came from."""
        out = []
        for cs in self.canvas.shapes():
            if cs.layer == RESULT:
                out.append(NewAnnotation(cs.label, cs.shape, self.attributes.get(cs.uid) or None, None, 0,
                                         self.sources.get(cs.uid, ())))
        return out + list(self.result_tags)

    # ---------------------------------------------------------------------- highlighting
    def highlight(self, uids: list[str]) -> None:
        """Select the cluster's shapes on the canvas and bring them into view."""
        shown = [u for u in uids if u in self.canvas.store]
        self.canvas.select(shown)
        boxes = [self.canvas.geometry_of(u).box() for u in shown]
        boxes = [b for b in boxes if b is not None]
        size = self.canvas.image_size()
        if boxes and size is not None:
            x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
            x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
            w, h = max(self.canvas.width(), 1), max(self.canvas.height(), 1)
            fit = min(w / size[0], h / size[1])
            # The object fills about a third of the view, never less than the whole image.
            scale = min(w / (3 * max(x1 - x0, 1.0)), h / (3 * max(y1 - y0, 1.0)), 4.0)
            self.canvas.zoom_to(max(scale, fit))
            self.canvas.center_on((x0 + x1) / 2, (y0 + y1) / 2)
        for view in self.small.values():
            view.select([u for u in shown if u in view.store])

    def _apply_problem_filter(self) -> None:
        if self.review is None:
            return
        agreed = [u for c in self.review.clusters if c.agreed for _who, u in c.members]
        settled = set(agreed)
        agreed += [u for u, src in self.sources.items() if src and set(src) <= settled]  # their result
        hide = self.only_problems.isChecked()
        self.canvas.set_hidden([u for u in agreed if u in self.canvas.store], hide)
        for view in self.small.values():
            view.set_hidden([u for u in agreed if u in view.store], hide)

    def clear(self) -> None:
        self.review = None
        self._base = []
        self.canvas.clear_shapes()
        self.canvas.clear_image()
        self.title.setText("")
        self.tag_strip.clear()
        for view in self.small.values():
            view.shutdown()
            view.deleteLater()
        self.small, self.captions = {}, {}
        while self.strip_row.count():
            child = self.strip_row.takeAt(0).widget()
            if child is not None:
                child.deleteLater()

    def shutdown(self) -> None:
        self.canvas.shutdown()
        for view in self.small.values():
            view.shutdown()

    @staticmethod
    def is_result(cs: CanvasShape) -> bool:
        return cs.layer == RESULT

    def key_tool(self, key: int) -> None:
        mapping = {Qt.Key.Key_V: "select", Qt.Key.Key_B: "box", Qt.Key.Key_P: "polygon"}
        if key in mapping:
            self.set_tool(mapping[key])


def _tags_of(annotations: Any) -> list[str]:
    """The image tags (class names) among an annotator's annotations, sorted."""
    return sorted(a.label or "?" for a in annotations if isinstance(a.shape, Tag))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
