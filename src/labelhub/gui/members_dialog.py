"""Project > Members…: who is in the project and with which role.

A lead can add members, change roles and deactivate members; everyone else sees the list only.
The checks that matter are the Project's own: any refusal comes back as a message box.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.messages import show_error
from labelhub.gui.project_dialogs import role_title

ROLES = ("annotator", "reviewer", "lead")


def _role_value(role: object) -> str:
    return str(getattr(role, "value", role))


def _role(value: str) -> Any:
    from labelhub.project import Role

    return Role(value)


class MembersDialog(QDialog):
    """Lists members; lets a lead add, re-role and deactivate them."""

    members_changed = Signal()

    def __init__(self, project: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"Members of {project.name}")
        self.setMinimumSize(640, 460)
        self.can_edit = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        title = QLabel("Members", self)
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        self.note = QLabel(self)
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Name", "Display name", "Role", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)

        self.edit_box = QGroupBox("Selected member", self)
        edit_row = QHBoxLayout(self.edit_box)
        self.role_combo = QComboBox(self.edit_box)
        for value in ROLES:
            self.role_combo.addItem(role_title(value), value)
        self.set_role_button = QPushButton("Change role", self.edit_box)
        self.deactivate_button = QPushButton("Deactivate", self.edit_box)
        edit_row.addWidget(QLabel("Role:", self.edit_box))
        edit_row.addWidget(self.role_combo)
        edit_row.addWidget(self.set_role_button)
        edit_row.addStretch(1)
        edit_row.addWidget(self.deactivate_button)
        layout.addWidget(self.edit_box)

        self.add_box = QGroupBox("Add a member", self)
        add_row = QHBoxLayout(self.add_box)
        self.name_edit = QLineEdit(self.add_box)
        self.name_edit.setPlaceholderText("name, e.g. ana")
        self.display_edit = QLineEdit(self.add_box)
        self.display_edit.setPlaceholderText("display name (optional)")
        self.add_role_combo = QComboBox(self.add_box)
        for value in ROLES:
            self.add_role_combo.addItem(role_title(value), value)
        self.add_button = QPushButton("Add member", self.add_box)
        for button in (self.set_role_button, self.deactivate_button, self.add_button):
            button.setAutoDefault(False)  # Enter in the name field adds; it never re-roles
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.display_edit, 1)
        add_row.addWidget(self.add_role_combo)
        add_row.addWidget(self.add_button)
        layout.addWidget(self.add_box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.add_button.clicked.connect(self.add_member)
        self.name_edit.returnPressed.connect(self.add_member)
        self.set_role_button.clicked.connect(self.change_role)
        self.deactivate_button.clicked.connect(self._toggle_active)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.name_edit.textChanged.connect(self._update_buttons)
        self.refresh()

    # Reading ----------------------------------------------------------------------------------

    def _apply_role(self) -> None:
        """Editing controls for a lead; a read-only list for everyone else."""
        me = self.project.member
        self.can_edit = _role_value(me.role) == "lead"
        if self.can_edit:
            self.note.setText("As a lead you can add members, change their roles and deactivate "
                              "them. Deactivated members keep their history but can no longer "
                              "sign in.")
        else:
            self.note.setText(f"Only a lead can change members. You are signed in as {me.name} "
                              f"({role_title(me.role)}), so this list is read-only.")
        self.edit_box.setVisible(self.can_edit)
        self.add_box.setVisible(self.can_edit)

    def refresh(self, select: str | None = None) -> None:
        self._apply_role()
        try:
            members = self.project.members()
        except LabelHubError as error:
            show_error(self, error)
            return
        self.table.setRowCount(len(members))
        for row, member in enumerate(members):
            status = "active" if member.active else "deactivated"
            cells = (member.name, member.display_name or "", role_title(member.role), status)
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 0:
                    cell.setData(Qt.ItemDataRole.UserRole, member.name)
                    cell.setData(Qt.ItemDataRole.UserRole + 1, _role_value(member.role))
                    cell.setData(Qt.ItemDataRole.UserRole + 2, bool(member.active))
                if not member.active:
                    cell.setForeground(self.palette().placeholderText())
                self.table.setItem(row, column, cell)
            if member.name == select:
                self.table.selectRow(row)
        self._update_buttons()

    def member_names(self) -> list[str]:
        return [self.table.item(row, 0).text() for row in range(self.table.rowCount())]

    def selected(self) -> tuple[str, str, bool] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        cell = self.table.item(rows[0].row(), 0)
        return (cell.data(Qt.ItemDataRole.UserRole), cell.data(Qt.ItemDataRole.UserRole + 1),
                bool(cell.data(Qt.ItemDataRole.UserRole + 2)))

    def select_member(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(row)
                return

    # Changing ---------------------------------------------------------------------------------

    def _run(self, action: str, call: Any, select: str | None) -> bool:
        try:
            call()
        except LabelHubError as error:
            show_error(self, error, title=action)
            return False
        self.refresh(select)
        self.members_changed.emit()
        return True

    def add_member(self) -> bool:
        name = self.name_edit.text().strip()
        if not self.can_edit or not name:
            return False
        role = _role(self.add_role_combo.currentData())
        display = self.display_edit.text().strip() or None
        done = self._run("Add member",
                         lambda: self.project.add_member(name, role, display_name=display), name)
        if done:
            self.name_edit.clear()
            self.display_edit.clear()
        return done

    def change_role(self) -> bool:
        chosen = self.selected()
        if not self.can_edit or chosen is None:
            return False
        name = chosen[0]
        role = _role(self.role_combo.currentData())
        return self._run("Change role", lambda: self.project.set_role(name, role), name)

    def deactivate(self) -> bool:
        chosen = self.selected()
        if not self.can_edit or chosen is None:
            return False
        name = chosen[0]
        return self._run("Deactivate member",
                         lambda: self.project.deactivate_member(name), name)

    def reactivate(self) -> bool:
        chosen = self.selected()
        if not self.can_edit or chosen is None:
            return False
        name = chosen[0]
        return self._run("Reactivate member",
                         lambda: self.project.reactivate_member(name), name)

    def _toggle_active(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen[2]:
            self.deactivate()
        elif chosen is not None:
            self.reactivate()

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.edit_box.setTitle(f"Selected member: {chosen[0]}" if chosen else "Selected member")
        if chosen is not None:
            index = self.role_combo.findData(chosen[1])
            if index >= 0:
                self.role_combo.setCurrentIndex(index)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        active = chosen is not None and chosen[2]
        self.set_role_button.setEnabled(self.can_edit and active)
        self.role_combo.setEnabled(self.can_edit and active)
        self.deactivate_button.setEnabled(self.can_edit and chosen is not None)
        self.deactivate_button.setText("Deactivate" if chosen is None or active else "Reactivate")
        self.add_button.setEnabled(self.can_edit and bool(self.name_edit.text().strip()))
