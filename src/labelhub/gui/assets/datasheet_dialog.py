"""The datasheet of a dataset as a form: what it is for, where it came from, what it may be
used for, who looks after it, plus free key-values. Saved as one change (dataset.describe)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.project.datasets import DATASHEET_FIELDS

#: Fields that take a paragraph rather than a line.
LONG_FIELDS = ("purpose", "consent", "personal_data", "intended_uses", "out_of_scope_uses", "maintenance")
TITLES = {
    "purpose": "Purpose", "source": "Source", "owner": "Owner", "licence": "Licence",
    "collection_start": "Collected from", "collection_end": "Collected until", "consent": "Consent",
    "personal_data": "Personal data", "intended_uses": "Intended uses",
    "out_of_scope_uses": "Out-of-scope uses", "maintenance": "Maintenance",
}


class DatasheetDialog(QDialog):
    """Edit (or, for members who may not, read) a dataset's description and datasheet."""

    def __init__(self, info: Any, *, editable: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Datasheet of {info.name}")
        self.setMinimumSize(620, 640)
        self.editable = editable
        sheet = dict(info.datasheet or {})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        intro = QLabel("What this dataset is for, where its images come from and what they may be used "
                       "for. Every save is kept in the change log.", self)
        intro.setWordWrap(True)
        intro.setObjectName("Muted")
        layout.addWidget(intro)
        holder = QWidget(self)
        form = QFormLayout(holder)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        self.description = QPlainTextEdit(info.description or "", holder)
        self.description.setFixedHeight(54)
        form.addRow("Description", self.description)
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        for key, hint in DATASHEET_FIELDS.items():
            value = str(sheet.get(key, "") or "")
            if key in LONG_FIELDS:
                edit: QLineEdit | QPlainTextEdit = QPlainTextEdit(value, holder)
                edit.setPlaceholderText(hint)
                edit.setFixedHeight(54)
            else:
                edit = QLineEdit(value, holder)
                edit.setPlaceholderText(hint)
            edit.setObjectName(f"sheet_{key}")
            edit.setToolTip(hint)
            edit.setReadOnly(not editable)
            self.fields[key] = edit
            form.addRow(TITLES.get(key, key), edit)
        self.extra = QTableWidget(0, 2, holder)
        self.extra.setHorizontalHeaderLabels(["Key", "Value"])
        self.extra.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.extra.verticalHeader().setVisible(False)
        self.extra.setFixedHeight(120)
        for key, value in sorted((sheet.get("extra") or {}).items()):
            self._add_extra(key, str(value))
        extra_box = QVBoxLayout()
        extra_box.addWidget(self.extra)
        row = QHBoxLayout()
        self.add_extra_button = QPushButton("Add a key", holder)
        self.add_extra_button.clicked.connect(lambda: self._add_extra("", ""))
        self.add_extra_button.setEnabled(editable)
        row.addWidget(self.add_extra_button)
        row.addStretch(1)
        extra_box.addLayout(row)
        form.addRow("Other", extra_box)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(holder)
        layout.addWidget(scroll, 1)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        layout.addWidget(self.error)
        if editable:
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
            buttons.accepted.connect(self._check_and_accept)
            buttons.rejected.connect(self.reject)
        else:
            note = QLabel("Only a lead can change the datasheet.", self)
            note.setObjectName("Muted")
            layout.addWidget(note)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
            buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)

    def _add_extra(self, key: str, value: str) -> None:
        row = self.extra.rowCount()
        self.extra.insertRow(row)
        self.extra.setItem(row, 0, QTableWidgetItem(key))
        self.extra.setItem(row, 1, QTableWidgetItem(value))

    def set_field(self, key: str, value: str) -> None:
        edit = self.fields[key]
        if isinstance(edit, QPlainTextEdit):
            edit.setPlainText(value)
        else:
            edit.setText(value)

    def values(self) -> tuple[str, dict[str, Any]]:
        """(description, datasheet fields including ``extra``)."""
        sheet: dict[str, Any] = {}
        for key, edit in self.fields.items():
            sheet[key] = (edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()).strip()
        extra = {}
        for row in range(self.extra.rowCount()):
            key_item, value_item = self.extra.item(row, 0), self.extra.item(row, 1)
            key = key_item.text().strip() if key_item else ""
            if key:
                extra[key] = value_item.text() if value_item else ""
        sheet["extra"] = extra
        return self.description.toPlainText().strip(), sheet

    def _check_and_accept(self) -> None:
        _description, sheet = self.values()
        for key in ("collection_start", "collection_end"):
            if sheet[key]:
                try:
                    dt.date.fromisoformat(sheet[key])
                except ValueError:
                    self.error.setText(f"{TITLES[key]} must be a date like 2024-05-31, not “{sheet[key]}”.")
                    self.fields[key].setFocus()
                    return
        self.error.setText("")
        self.accept()
