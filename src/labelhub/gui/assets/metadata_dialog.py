"""Dialogs for item metadata: edit many items at once, tag them, and the CSV import report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.project.item_filter import METADATA_FIELDS, RESERVED_KEYS, check_meta_key

_TITLES = {"source": "Source", "capture_time": "Capture time", "licence": "Licence"}
_HINTS = {"capture_time": "e.g. 2024-05-31T14:02:00", "licence": "e.g. CC BY 4.0"}


class MetadataDialog(QDialog):
    """The metadata of ``count`` items; ``metas`` is what they hold (all of them, or a sample).

    A field shows its value when every item has the same one. Only fields you change are
    written; emptying a field or ticking Remove takes it off every item.
    """

    def __init__(self, count: int, metas: Sequence[dict[str, Any]], known_keys: Sequence[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit metadata")
        self.setMinimumWidth(560)
        self.complete = len(metas) >= count
        self._metas = list(metas)
        self.rows: dict[str, tuple[QLineEdit, QCheckBox, str]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        headline = QLabel(f"Metadata of {count:,} item{'s' if count != 1 else ''}", self)
        headline.setObjectName("Headline")
        layout.addWidget(headline)
        note = QLabel("Only the fields you change are written, to every selected item, as one change. "
                      "Emptying a field or ticking Remove takes it off.", self)
        note.setObjectName("Muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(6)
        holder = QWidget(self)
        holder.setLayout(self.grid)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(holder)
        layout.addWidget(scroll, 1)
        present = sorted({k for m in self._metas for k in m} | set(known_keys))
        for key in [*METADATA_FIELDS, *[k for k in present if k not in METADATA_FIELDS and k not in RESERVED_KEYS]]:
            self._add_row(key)
        add = QHBoxLayout()
        self.new_key = QLineEdit(self)
        self.new_key.setPlaceholderText("new field, e.g. camera")
        self.add_button = QPushButton("Add field", self)
        self.add_button.clicked.connect(self._add_new)
        self.new_key.returnPressed.connect(self._add_new)
        add.addWidget(self.new_key, 1)
        add.addWidget(self.add_button)
        layout.addLayout(add)
        self.error = QLabel("", self)
        self.error.setObjectName("Muted")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _add_row(self, key: str) -> QLineEdit:
        if key in self.rows:
            return self.rows[key][0]
        row = self.grid.rowCount()
        label = QLabel(_TITLES.get(key, key), self)
        label.setToolTip(METADATA_FIELDS.get(key, f"the field {key!r}"))
        edit = QLineEdit(self)
        edit.setObjectName(f"meta_{key}")
        values = {str(m[key]) if key in m else None for m in self._metas}
        initial = ""
        if len(values) == 1 and self.complete:
            only = next(iter(values))
            if only is None:
                edit.setPlaceholderText(_HINTS.get(key, "(not set)"))
            else:
                initial = only
        elif len(values) > 1:
            edit.setPlaceholderText(f"(differs: {len(values)} values; type to set one for all)")
        else:
            edit.setPlaceholderText("(type to set it for all)")
        edit.setText(initial)
        remove = QCheckBox("Remove", self)
        remove.setVisible(any(key in m for m in self._metas) or not self.complete)
        self.grid.addWidget(label, row, 0)
        self.grid.addWidget(edit, row, 1)
        self.grid.addWidget(remove, row, 2)
        self.rows[key] = (edit, remove, initial)
        return edit

    def _add_new(self) -> None:
        try:
            key = check_meta_key(self.new_key.text())
            if key in RESERVED_KEYS:
                raise LabelHubError(f"{key!r} is kept by LabelHub itself")
        except LabelHubError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.new_key.clear()
        self._add_row(key).setFocus()

    def set_value(self, key: str, value: str) -> None:
        """Type ``value`` into the field ``key`` (adding the field if new)."""
        self._add_row(key).setText(value)

    def changes(self) -> tuple[dict[str, str], list[str]]:
        """(fields to set, fields to remove)."""
        values: dict[str, str] = {}
        removed: list[str] = []
        for key, (edit, remove, initial) in self.rows.items():
            if remove.isChecked():
                removed.append(key)
            elif edit.text() != initial:
                if edit.text().strip():
                    values[key] = edit.text().strip()
                elif initial:
                    removed.append(key)
        return values, removed


class TagDialog(QDialog):
    """Add tags to (and remove tags from) ``count`` items."""

    def __init__(self, count: int, existing: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tag items")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        headline = QLabel(f"Tags of {count:,} item{'s' if count != 1 else ''}", self)
        headline.setObjectName("Headline")
        layout.addWidget(headline)
        self.add = QLineEdit(self)
        self.add.setPlaceholderText("tags to add, separated by commas (e.g. night, rain)")
        layout.addWidget(self.add)
        self.remove_boxes: dict[str, QCheckBox] = {}
        if existing:
            layout.addWidget(QLabel("Remove:", self))
            for tag in existing:
                box = QCheckBox(tag, self)
                self.remove_boxes[tag] = box
                layout.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def changes(self) -> tuple[list[str], list[str]]:
        add = [t.strip() for t in self.add.text().split(",") if t.strip()]
        return add, [t for t, box in self.remove_boxes.items() if box.isChecked()]


class CsvReportDialog(QDialog):
    """What a CSV metadata import did, with every refused row and why."""

    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Metadata imported" if not report.errors else "Metadata imported, with problems")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        self.headline = QLabel(report.summary() + ".", self)
        self.headline.setObjectName("Headline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        fields = QLabel("Fields: " + ", ".join(report.fields), self)
        fields.setObjectName("Muted")
        fields.setWordWrap(True)
        layout.addWidget(fields)
        self.details = QTreeWidget(self)
        self.details.setHeaderLabels(["Line", "Why it was refused"])
        self.details.setRootIsDecorated(False)
        self.details.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for line, reason in report.errors:
            QTreeWidgetItem(self.details, [str(line), reason])
        self.details.setVisible(bool(report.errors))
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
