"""The reviewer's side of one item: what to do with it (accept one annotator, the consensus or
the edited result; send it back), the matched clusters with their disagreements, the comments
and where the accepted labels came from."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

UIDS_ROLE = Qt.ItemDataRole.UserRole
COMMENT_ROLE = Qt.ItemDataRole.UserRole + 1


class DecidePanel(QWidget):
    accept_consensus = Signal()
    accept_result = Signal()
    accept_rater = Signal(str)
    reject = Signal()
    reset_result = Signal()
    highlight = Signal(list)
    comment = Signal(str, bool)
    resolve = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(300)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        grid = QGridLayout()
        self.consensus_button = QPushButton("Accept consensus", self)
        self.consensus_button.setDefault(True)
        self.consensus_button.clicked.connect(self.accept_consensus)
        self.result_button = QPushButton("Accept edited result", self)
        self.result_button.setToolTip("Accept the result layer as you edited it on the canvas")
        self.result_button.clicked.connect(self.accept_result)
        self.reset_button = QPushButton("Reset result", self)
        self.reset_button.setToolTip("Put the consensus back on the result layer, dropping your edits")
        self.reset_button.clicked.connect(self.reset_result)
        self.reject_button = QPushButton("Send back…", self)
        self.reject_button.clicked.connect(self.reject)
        grid.addWidget(self.consensus_button, 0, 0)
        grid.addWidget(self.result_button, 0, 1)
        grid.addWidget(self.reset_button, 1, 0)
        grid.addWidget(self.reject_button, 1, 1)
        layout.addLayout(grid)
        self.rater_row = QHBoxLayout()
        layout.addLayout(self.rater_row)
        self.rater_buttons: dict[str, QPushButton] = {}
        self.consensus_note = QLabel(self)
        self.consensus_note.setObjectName("Muted")
        self.consensus_note.setWordWrap(True)
        layout.addWidget(self.consensus_note)

        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        objects = QWidget(self)
        column = QVBoxLayout(objects)
        column.setContentsMargins(4, 4, 4, 4)
        self.objects_note = QLabel(objects)
        self.objects_note.setObjectName("Muted")
        self.objects_note.setWordWrap(True)
        column.addWidget(self.objects_note)
        self.clusters = QListWidget(objects)
        self.clusters.setWordWrap(True)
        self.clusters.currentItemChanged.connect(self._cluster_picked)
        column.addWidget(self.clusters, 1)
        self.tabs.addTab(objects, "Objects")

        comments = QWidget(self)
        column = QVBoxLayout(comments)
        column.setContentsMargins(4, 4, 4, 4)
        self.comment_list = QListWidget(comments)
        self.comment_list.setWordWrap(True)
        self.comment_list.currentItemChanged.connect(lambda *_a: self._update_resolve())
        column.addWidget(self.comment_list, 1)
        self.comment_text = QLineEdit(comments)
        self.comment_text.setPlaceholderText("Write a comment…")
        self.comment_text.returnPressed.connect(self._comment)
        column.addWidget(self.comment_text)
        row = QHBoxLayout()
        self.on_shape = QCheckBox("On the selected shape", comments)
        self.comment_button = QPushButton("Comment", comments)
        self.comment_button.clicked.connect(self._comment)
        self.resolve_button = QPushButton("Resolve", comments)
        self.resolve_button.clicked.connect(self._resolve)
        row.addWidget(self.on_shape)
        row.addStretch(1)
        row.addWidget(self.resolve_button)
        row.addWidget(self.comment_button)
        column.addLayout(row)
        self.tabs.addTab(comments, "Comments")

        self.history = QPlainTextEdit(self)
        self.history.setReadOnly(True)
        self.tabs.addTab(self.history, "Lineage")
        self.set_enabled(False)

    def set_enabled(self, on: bool) -> None:
        for button in (self.consensus_button, self.reset_button, self.reject_button,
                       *self.rater_buttons.values()):
            button.setEnabled(on)
        self.result_button.setEnabled(False)
        self.comment_button.setEnabled(on)

    def set_edited(self, edited: bool) -> None:
        self.result_button.setEnabled(edited)

    def show_review(self, review: Any, colors: dict[str, str], settings: Any) -> None:
        pairs = ", ".join(f"{a}–{b} {v:.2f}" for (a, b), v in review.pair_f1.items())
        state = review.status.state.replace("_", " ")
        self.status.setText(f"<b>{review.status.item_name}</b> is {state}. Annotators: "
                            + ", ".join(f"<span style='color:{colors[r]}'>■</span> {r}" for r in review.raters)
                            + (f"<br>F1 {pairs}" if pairs else ""))
        while self.rater_row.count():
            child = self.rater_row.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        self.rater_buttons = {}
        for rater in review.raters:
            button = QPushButton(f"Accept {rater}'s", self)
            button.setToolTip(f"Accept {rater}'s labels on this item as they are")
            button.clicked.connect(lambda _c=False, r=rater: self.accept_rater.emit(r))
            self.rater_buttons[rater] = button
            self.rater_row.addWidget(button)
        self.rater_row.addStretch(1)
        quorum = review.quorum
        self.consensus_note.setText(
            f"Consensus: objects drawn by at least {quorum} of {len(review.raters)}, class by majority, "
            f"shape {'closest to the others' if review.method == 'closest' else 'the mean box'}; "
            f"match at IoU ≥ {settings.iou:g}.")
        self.clusters.clear()
        problems = sorted(review.clusters, key=lambda c: c.agreed)
        for c in problems:
            who = ", ".join(f"{a} {label}" for (a, _u), label in zip(c.members, c.labels, strict=True))
            text = (f"⚠ {c.problem}" if c.problem else f"✓ {c.labels[0]} — {who}")
            if c.consensus is None:
                text += "\n   (left out of the consensus)"
            entry = QListWidgetItem(text, self.clusters)
            entry.setData(UIDS_ROLE, [u for _a, u in c.members])
            if c.problem:
                entry.setForeground(QColor("#d70015"))
        problems_n = len(review.disagreements)
        self.objects_note.setText(
            f"{problems_n} to settle, {len(review.clusters) - problems_n} agreed. Pick one to see its shapes."
            if review.clusters else "Nobody drew anything on this item.")
        self.show_comments(review.comments)
        self.set_enabled(True)

    def show_comments(self, comments: list[Any]) -> None:
        self.comment_list.clear()
        for c in comments:
            where = " on a shape" if c.annotation_uid else ""
            entry = QListWidgetItem(f"{c.author}{where}: {c.text}", self.comment_list)
            entry.setData(COMMENT_ROLE, c.uid)
        self.tabs.setTabText(1, f"Comments ({len(comments)})")
        self._update_resolve()

    def show_lineage(self, lines: list[str]) -> None:
        self.history.setPlainText("\n".join(lines) if lines else
                                  "No ground truth on this item yet. Once accepted, each label shows "
                                  "who drew it, who accepted it and which annotator shapes it came from.")

    def clear(self, text: str = "") -> None:
        self.status.setText(text)
        self.clusters.clear()
        self.comment_list.clear()
        self.history.clear()
        self.consensus_note.clear()
        for button in self.rater_buttons.values():
            button.deleteLater()
        self.rater_buttons = {}
        self.set_enabled(False)

    def _cluster_picked(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.highlight.emit(list(current.data(UIDS_ROLE) or []))

    def _comment(self) -> None:
        text = self.comment_text.text().strip()
        if text:
            self.comment.emit(text, self.on_shape.isChecked())

    def comment_saved(self) -> None:
        self.comment_text.clear()
        self.on_shape.setChecked(False)

    def _resolve(self) -> None:
        entry = self.comment_list.currentItem()
        if entry is not None:
            self.resolve.emit(str(entry.data(COMMENT_ROLE)))

    def _update_resolve(self) -> None:
        self.resolve_button.setEnabled(self.comment_list.currentItem() is not None)
