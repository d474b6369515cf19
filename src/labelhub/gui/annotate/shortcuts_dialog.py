"""Rebinding the Annotate shortcuts: one key field per command, conflicts refused, defaults
restorable. Saved in the user's settings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.annotate.shortcuts import COMMANDS, COMMANDS_BY_KEY, ShortcutSettings


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: ShortcutSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shortcuts = shortcuts
        self.setWindowTitle("Annotate shortcuts")
        self.resize(560, 640)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Click a key field and press the new keys. Clear a field to "
                                "leave the command without a key.", self))
        self.table = QTableWidget(len(COMMANDS), 3, self)
        self.table.setHorizontalHeaderLabels(["Command", "Group", "Keys"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(2, 170)
        self.edits: dict[str, QKeySequenceEdit] = {}
        for row, c in enumerate(COMMANDS):
            for col, text in ((0, c.title), (1, c.group)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, col, item)
            edit = QKeySequenceEdit(self.table)
            keys = shortcuts.keys(c.key)
            edit.setKeySequence(QKeySequence(keys[0]) if keys else QKeySequence())
            edit.setClearButtonEnabled(True)
            edit.setProperty("extra", list(keys[1:]))
            self.table.setCellWidget(row, 2, edit)
            self.edits[c.key] = edit
        layout.addWidget(self.table, 1)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #d64541;")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.defaults)
        layout.addWidget(buttons)

    def bindings(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for key, edit in self.edits.items():
            first = edit.keySequence().toString()
            extra = [k for k in (edit.property("extra") or []) if k != first]
            out[key] = tuple([first] + extra) if first else ()
        return out

    def defaults(self) -> None:
        for key, edit in self.edits.items():
            default = COMMANDS_BY_KEY[key].default
            edit.setKeySequence(QKeySequence(default[0]) if default else QKeySequence())
            edit.setProperty("extra", list(default[1:]))

    def save(self) -> bool:
        bindings = self.bindings()
        clashes = self.shortcuts.conflicts(bindings)
        if clashes:
            key, a, b = clashes[0]
            self.problem.setText(f"{key} is bound to both “{COMMANDS_BY_KEY[a].title}” and "
                                 f"“{COMMANDS_BY_KEY[b].title}”. Give one of them another key.")
            return False
        for key, keys in bindings.items():
            self.shortcuts.set_keys(key, keys)
        self.accept()
        return True
