"""Dialogs around opening a project: creating one, and signing in as one of its members."""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.widgets import DIMMED_ROLE, SUBTITLE_ROLE, TwoLineDelegate

NAME_ROLE = Qt.ItemDataRole.UserRole + 2
ROLE_TITLES = {"lead": "Lead", "reviewer": "Reviewer", "annotator": "Annotator"}


def role_title(role: object) -> str:
    value = str(getattr(role, "value", role))
    return ROLE_TITLES.get(value, value.capitalize())


def default_member_name() -> str:
    """The name a new project's lead gets by default: $LABELHUB_USER, else the OS user."""
    name = os.environ.get("LABELHUB_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "lead"


class NewProjectDialog(QDialog):
    """Choose where the new project goes and who leads it."""

    def __init__(self, location: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(14)
        intro = QLabel("A project is one folder: a database file, the images, and backups. "
                       "You become its lead, who manages members and datasets.", self)
        intro.setWordWrap(True)
        intro.setObjectName("Muted")
        layout.addWidget(intro)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit("my-project", self)
        self.location_edit = QLineEdit(str(location), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location_edit, 1)
        location_row.addWidget(browse)
        self.lead_edit = QLineEdit(default_member_name(), self)
        self.display_edit = QLineEdit(self)
        self.display_edit.setPlaceholderText("optional, e.g. Lena Park")
        form.addRow("Project name:", self.name_edit)
        form.addRow("Create in:", location_row)
        form.addRow("Lead member:", self.lead_edit)
        form.addRow("Display name:", self.display_edit)
        layout.addLayout(form)

        self.preview = QLabel(self)
        self.preview.setObjectName("Muted")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.preview)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create project")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for edit in (self.name_edit, self.location_edit, self.lead_edit):
            edit.textChanged.connect(self._validate)
        self.name_edit.selectAll()
        self._validate()

    def folder(self) -> Path:
        return Path(self.location_edit.text().strip()).expanduser() / self.name_edit.text().strip()

    def lead(self) -> str:
        return self.lead_edit.text().strip()

    def display_name(self) -> str | None:
        return self.display_edit.text().strip() or None

    def problem(self) -> str | None:
        """Why the project cannot be created as filled in, or None."""
        name = self.name_edit.text().strip()
        location = self.location_edit.text().strip()
        if not name:
            return "Give the project a name."
        if "/" in name or "\\" in name or name in {".", ".."}:
            return "The name becomes a folder name: leave out slashes."
        if not location:
            return "Choose where to create the project."
        if not self.lead():
            return "Name the lead member."
        folder = self.folder()
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            return f"{folder} already exists and is not empty."
        return None

    def _validate(self) -> None:
        problem = self.problem()
        self.preview.setText(problem or f"Creates {self.folder()}")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Create the project in",
                                                  self.location_edit.text())
        if folder:
            self.location_edit.setText(folder)


class SignInDialog(QDialog):
    """Pick which member you are in this project. Inactive members cannot be picked."""

    def __init__(self, project_name: str, members: Sequence[Any], preselect: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in")
        self.setMinimumSize(440, 460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"Who is working on “{project_name}”?", self)
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        note = QLabel("Your changes are recorded under the member you pick. "
                      "LabelHub remembers it for this project.", self)
        note.setObjectName("Muted")
        note.setWordWrap(True)
        layout.addWidget(note)

        self.list = QListWidget(self)
        self.list.setObjectName("RecentList")
        self.list.setSpacing(2)
        self.list.setItemDelegate(TwoLineDelegate(self.list, "  (deactivated)"))
        select_row = -1
        for member in members:
            shown = getattr(member, "display_name", "") or member.name
            item = QListWidgetItem(shown, self.list)
            item.setData(SUBTITLE_ROLE, f"{member.name} · {role_title(member.role)}")
            item.setData(DIMMED_ROLE, not member.active)
            item.setData(NAME_ROLE, member.name)
            if not member.active:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            elif select_row < 0 or member.name == preselect:
                select_row = self.list.row(item)
        layout.addWidget(self.list, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.itemDoubleClicked.connect(self._double_clicked)
        self.list.currentItemChanged.connect(self._update_ok)
        if select_row >= 0:
            self.list.setCurrentRow(select_row)
        self._update_ok()

    def selected_member(self) -> str | None:
        item = self.list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return None
        return item.data(NAME_ROLE)

    def select_member(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)
                return

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.selected_member() is not None)

    def _double_clicked(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.list.setCurrentItem(item)
            self.accept()


def ask_member(parent: QWidget | None, project_name: str, members: Sequence[Any],
               preselect: str | None = None) -> str | None:
    """Show the sign-in dialog; the chosen member's name, or None if cancelled."""
    dialog = SignInDialog(project_name, members, preselect, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.selected_member()
        return None
    finally:
        dialog.deleteLater()
