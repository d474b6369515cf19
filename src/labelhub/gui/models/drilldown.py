"""The images behind a number: a list of items and the annotation canvas showing, read-only,
each item's true positives, false positives and misses in their colours."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.canvas import CanvasShape, CanvasWidget, Layer
from labelhub.gui.widgets import SUBTITLE_ROLE, TwoLineDelegate

#: How each outcome is drawn, and what the legend calls it.
STATUS_COLORS: dict[str, str] = {
    "tp": "#22c55e", "fp": "#ef4444", "fn": "#f59e0b", "gt": "#38bdf8", "ignored": "#9ca3af", "crowd": "#9ca3af",
}
STATUS_NAMES: dict[str, str] = {
    "tp": "true positive", "fp": "false positive", "fn": "missed", "gt": "ground truth (matched)",
    "ignored": "ignored", "crowd": "crowd region",
}
GT_LAYER, PRED_LAYER = "ground_truth", "predictions"


def outcome_text(outcome: Any) -> str:
    tp, fp, fn = outcome.count("tp"), outcome.count("fp"), outcome.count("fn")
    parts = [f"{tp} TP", f"{fp} FP", f"{fn} missed"]
    return " · ".join(parts)


def shape_title(shape: Any) -> str:
    if shape.source == "prediction":
        text = f"{shape.label} {shape.score:.2f}" if shape.score is not None else shape.label
        return f"{text} ({shape.note})" if shape.note else text
    return f"missed {shape.label}" if shape.status == "fn" else shape.label


class DrillDown(QWidget):
    """Items on the left, the selected one on the canvas on the right.

    ``set_items(title, positions, outcome_of)`` shows a selection; ``outcome_of(position)``
    returns the ItemOutcome of an item at the current threshold. ``openRequested(item_uid)``
    asks to open the item in the Annotate workspace.
    """

    openRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.positions: list[int] = []
        self.outcome_of: Callable[[int], Any] | None = None
        self.current: Any = None
        self.focus: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Click a confusion-matrix cell, a class or a slice to see the images behind it.", self)
        self.title.setWordWrap(True)
        self.title.setObjectName("DrillTitle")
        layout.addWidget(self.title)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.list = QListWidget(split)
        self.list.setMinimumWidth(180)
        self.list.setItemDelegate(TwoLineDelegate(self.list))
        self.list.currentRowChanged.connect(self._show_row)
        self.list.itemActivated.connect(lambda _item: self.open_current())
        right = QWidget(split)
        col = QVBoxLayout(right)
        col.setContentsMargins(0, 0, 0, 0)
        self.views = QStackedWidget(right)
        self.placeholder = QLabel("The image of the selected item shows here, with its true positives, false "
                                  "positives and misses.", self.views)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("EmptyText")
        self.canvas = CanvasWidget(self.views)
        self.views.addWidget(self.placeholder)
        self.views.addWidget(self.canvas)
        self.canvas.set_layer(Layer(GT_LAYER, "Ground truth", visible=True, editable=False))
        self.canvas.set_layer(Layer(PRED_LAYER, "Predictions", visible=True, editable=False))
        self.caption = QLabel("", right)
        self.caption.setWordWrap(True)
        row = QHBoxLayout()
        self.legend = QLabel(self._legend_html(), right)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.open_button = QPushButton("Open in Annotate", right)
        self.open_button.setToolTip("Open this image in the Annotate workspace to fix its labels (Enter)")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_current)
        row.addWidget(self.legend, 1)
        row.addWidget(self.open_button)
        col.addWidget(self.caption)
        col.addWidget(self.views, 1)
        col.addLayout(row)
        split.addWidget(self.list)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 600])
        layout.addWidget(split, 1)

    @staticmethod
    def _legend_html() -> str:
        keys = ("tp", "fp", "fn", "gt")
        return " &nbsp; ".join(f"<span style='color:{STATUS_COLORS[k]}'>■</span> {STATUS_NAMES[k]}" for k in keys)

    def set_project(self, project: Any) -> None:
        self.project = project

    def clear(self, message: str = "") -> None:
        self.positions, self.current = [], None
        self.list.clear()
        self.canvas.clear_shapes()
        self.canvas.clear_image()
        self.caption.clear()
        self.views.setCurrentWidget(self.placeholder)
        self.open_button.setEnabled(False)
        if message:
            self.title.setText(message)

    def set_items(self, title: str, positions: Sequence[int], outcome_of: Callable[[int], Any],
                  focus: str | None = None) -> None:
        """Show the items at ``positions``; ``focus``: a prediction uid to select on the canvas."""
        self.clear()
        self.focus = focus
        self.positions = list(positions)
        self.outcome_of = outcome_of
        noun = "image" if len(self.positions) == 1 else "images"
        self.title.setText(f"<b>{title}</b>: {len(self.positions)} {noun}" if self.positions
                           else f"<b>{title}</b>: no images")
        for pos in self.positions:
            outcome = outcome_of(pos)
            entry = QListWidgetItem(outcome.item.name, self.list)
            entry.setData(SUBTITLE_ROLE, outcome_text(outcome))
            entry.setData(Qt.ItemDataRole.UserRole + 5, pos)
        if self.positions:
            self.list.setCurrentRow(0)

    def refresh(self) -> None:
        """Redraw after the threshold moved (same items, new outcomes)."""
        if self.outcome_of is None:
            return
        for row, pos in enumerate(self.positions):
            outcome = self.outcome_of(pos)
            self.list.item(row).setData(SUBTITLE_ROLE, outcome_text(outcome))
        self._show_row(self.list.currentRow())

    def _show_row(self, row: int) -> None:
        if row < 0 or row >= len(self.positions) or self.outcome_of is None:
            return
        outcome = self.outcome_of(self.positions[row])
        self.current = outcome
        item = outcome.item
        self.views.setCurrentWidget(self.canvas)
        self.open_button.setEnabled(True)
        if self.project is not None:
            try:
                self.canvas.open_image(self.project.media_path(item.sha256), sha256=item.sha256)
            except (LabelHubError, OSError) as error:
                self.canvas.clear_image()
                self.caption.setText(f"{item.name}: the image cannot be shown ({error})")
                return
        shapes, tags = [], []
        for s in outcome.shapes:
            if s.shape.kind == "tag":
                tags.append(f"<span style='color:{STATUS_COLORS[s.status]}'>{shape_title(s)}</span>")
                continue
            shapes.append(CanvasShape(f"{s.source}:{s.uid}", shape_title(s), s.shape, STATUS_COLORS[s.status],
                                      GT_LAYER if s.source == "ground_truth" else PRED_LAYER, locked=True))
        shapes.sort(key=lambda c: c.layer != GT_LAYER)
        self.canvas.set_shapes(shapes)
        if self.focus is not None:
            self.canvas.select([f"prediction:{self.focus}"])
        caption = f"<b>{item.name}</b> — {outcome_text(outcome)}"
        if tags:
            caption += " — tags: " + ", ".join(tags)
        self.caption.setText(caption)

    def open_current(self) -> None:
        if self.current is not None:
            self.openRequested.emit(self.current.item.uid)
