"""An annotator's view of the Review workspace: their queue with each item's state, what the
reviewer said when work came back, the comments they may read, and submitting."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.project.review import STATE_TITLES

UID_ROLE = Qt.ItemDataRole.UserRole
STATE_COLORS = {"rejected": "#ff9f0a", "in_progress": "#0a84ff", "todo": None,
                "submitted": "#8e8e93", "accepted": "#30d158"}


class MyWorkPage(QWidget):
    open_requested = Signal(str)
    submit_requested = Signal(str)
    comment_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Any] = []
        layout = QVBoxLayout(self)
        self.title = QLabel("Your work", self)
        self.title.setObjectName("SectionTitle")
        layout.addWidget(self.title)
        self.summary = QLabel(self)
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Item", "State", "Reviewer's note"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._picked)
        self.table.doubleClicked.connect(lambda _i: self._open())
        layout.addWidget(self.table, 3)
        buttons = QHBoxLayout()
        self.next_button = QPushButton("Next task", self)
        self.next_button.setToolTip("Open the next item to work on in Annotate")
        self.next_button.clicked.connect(self._next)
        self.open_button = QPushButton("Open in Annotate", self)
        self.open_button.clicked.connect(self._open)
        self.submit_button = QPushButton("Submit", self)
        self.submit_button.setToolTip("Hand your labels on this item to review")
        self.submit_button.clicked.connect(self._submit)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.submit_button)
        layout.addLayout(buttons)
        notes = QLabel("Comments on this item", self)
        notes.setObjectName("Headline")
        layout.addWidget(notes)
        self.comments = QListWidget(self)
        self.comments.setWordWrap(True)
        layout.addWidget(self.comments, 2)
        row = QHBoxLayout()
        self.comment_text = QLineEdit(self)
        self.comment_text.setPlaceholderText("Ask the reviewer something about this item…")
        self.comment_text.returnPressed.connect(self._comment)
        self.comment_button = QPushButton("Comment", self)
        self.comment_button.clicked.connect(self._comment)
        row.addWidget(self.comment_text, 1)
        row.addWidget(self.comment_button)
        layout.addLayout(row)
        self._update_buttons()

    def set_entries(self, dataset: str, entries: list[Any], keep: str | None = None) -> None:
        self.entries = list(entries)
        self.title.setText(f"Your work in {dataset}")
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.state] = counts.get(e.state, 0) + 1
        self.summary.setText(", ".join(f"{n} {STATE_TITLES.get(s, s)}" for s, n in counts.items())
                             if entries else "Nothing is assigned to you in this dataset yet.")
        self.table.blockSignals(True)
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            name = QTableWidgetItem(e.item_name)
            name.setData(UID_ROLE, e.item_uid)
            state = QTableWidgetItem(STATE_TITLES.get(e.state, e.state))
            color = STATE_COLORS.get(e.state)
            if color:
                state.setForeground(QColor(color))
            note = QTableWidgetItem(e.reviewer_comment)
            note.setToolTip(e.reviewer_comment)
            for col, cell in enumerate((name, state, note)):
                self.table.setItem(row, col, cell)
        self.table.blockSignals(False)
        if keep is not None:
            self.select(keep)
        self._picked()

    def select(self, uid: str) -> bool:
        for row, e in enumerate(self.entries):
            if e.item_uid == uid:
                self.table.selectRow(row)
                return True
        return False

    def current(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _picked(self) -> None:
        entry = self.current()
        self.comments.clear()
        if entry is not None:
            if entry.reviewer_comment:
                self.comments.addItem(f"Sent back: {entry.reviewer_comment}")
            for c in entry.comments:
                if c.text != entry.reviewer_comment:
                    self.comments.addItem(f"{c.author}: {c.text}")
            if not self.comments.count():
                self.comments.addItem("No comments.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        entry = self.current()
        self.open_button.setEnabled(entry is not None)
        self.submit_button.setEnabled(entry is not None and entry.is_open)
        self.comment_button.setEnabled(entry is not None)
        self.next_button.setEnabled(any(e.is_open for e in self.entries))

    def _next(self) -> None:
        entry = next((e for e in self.entries if e.is_open), None)
        if entry is not None:
            self.select(entry.item_uid)
            self.open_requested.emit(entry.item_uid)

    def _open(self) -> None:
        entry = self.current()
        if entry is not None:
            self.open_requested.emit(entry.item_uid)

    def _submit(self) -> None:
        entry = self.current()
        if entry is not None:
            self.submit_requested.emit(entry.item_uid)

    def _comment(self) -> None:
        entry = self.current()
        text = self.comment_text.text().strip()
        if entry is not None and text:
            self.comment_requested.emit(entry.item_uid, text)
            self.comment_text.clear()
