"""Dialogs around bringing images in: which dataset, a new dataset, and the import summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def describe_sources(paths: Sequence[Path]) -> str:
    if len(paths) == 1:
        kind = "folder" if paths[0].is_dir() else "file"
        return f"the {kind} {paths[0].name or paths[0]}"
    folders = sum(1 for p in paths if p.is_dir())
    files = len(paths) - folders
    parts = []
    if folders:
        parts.append(f"{folders} folder{'s' if folders != 1 else ''}")
    if files:
        parts.append(f"{files} file{'s' if files != 1 else ''}")
    return " and ".join(parts)


class DatasetPromptDialog(QDialog):
    """Pick an existing dataset or type the name of a new one."""

    def __init__(self, datasets: Sequence[str], sources: str, default: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import images")
        self.setMinimumWidth(440)
        self._existing = list(datasets)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        intro = QLabel(f"Import the images in {sources} into which dataset?", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.addItems(self._existing)
        self.combo.lineEdit().setPlaceholderText("dataset name")
        if default:
            self.combo.setCurrentText(default)
        layout.addWidget(self.combo)
        self.hint = QLabel(self)
        self.hint.setObjectName("Muted")
        layout.addWidget(self.hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.combo.currentTextChanged.connect(self._update)
        self._update()

    def dataset_name(self) -> str:
        return self.combo.currentText().strip()

    def _update(self) -> None:
        name = self.dataset_name()
        if not name:
            self.hint.setText("Choose a dataset, or type a name to create one.")
        elif name in self._existing:
            self.hint.setText("The images are added to this dataset.")
        else:
            self.hint.setText(f"A new dataset “{name}” will be created.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(name))


def ask_dataset(parent: QWidget | None, datasets: Sequence[str], sources: str,
                default: str | None = None) -> str | None:
    """The dataset to import into (existing or new), or None if the user cancelled."""
    dialog = DatasetPromptDialog(datasets, sources, default, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.dataset_name():
            return dialog.dataset_name()
        return None
    finally:
        dialog.deleteLater()


class NewDatasetDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New dataset")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. street-scenes")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setPlaceholderText("What is in it, where it comes from (optional)")
        self.description_edit.setFixedHeight(80)
        form.addRow("Name:", self.name_edit)
        form.addRow("Description:", self.description_edit)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create dataset")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self._update()

    def values(self) -> tuple[str, str]:
        return self.name_edit.text().strip(), self.description_edit.toPlainText().strip()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.name_edit.text().strip()))


def ask_new_dataset(parent: QWidget | None) -> tuple[str, str] | None:
    """(name, description) for a new dataset, or None if the user cancelled."""
    dialog = NewDatasetDialog(parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.values()
        return None
    finally:
        dialog.deleteLater()


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary_headline(dataset: str, report: Any) -> str:
    imported = len(report.imported)
    text = f"Imported {_plural(imported, 'image')} into “{dataset}”."
    extras = []
    if report.duplicates:
        extras.append(f"{_plural(len(report.duplicates), 'duplicate')} skipped")
    if report.failed:
        extras.append(f"{_plural(len(report.failed), 'file')} could not be imported")
    if extras:
        text += " " + "; ".join(extras).capitalize() + "."
    return text


class ImportSummaryDialog(QDialog):
    """What an import did: counts, then every duplicate and failure with its reason."""

    def __init__(self, dataset: str, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import finished")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        self.headline = QLabel(summary_headline(dataset, report), self)
        self.headline.setObjectName("Headline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.details = QTreeWidget(self)
        self.details.setColumnCount(2)
        self.details.setHeaderLabels(["File", "What happened"])
        self.details.setRootIsDecorated(False)
        self.details.setAlternatingRowColors(True)
        self.details.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.details.header().setStretchLastSection(True)
        self.details.setColumnWidth(0, 200)
        rows = [(path, f"failed: {reason}") for path, reason in report.failed]
        rows += [(path, f"duplicate: {reason}") for path, reason in report.duplicates]
        rows += [(path, f"imported as {name}, the name was taken")
                 for path, name in getattr(report, "renamed", [])]
        for path, outcome in rows:
            row = QTreeWidgetItem([Path(path).name, outcome])
            row.setData(0, Qt.ItemDataRole.UserRole, str(path))
            row.setToolTip(0, str(path))
            row.setToolTip(1, outcome)
            self.details.addTopLevelItem(row)
        has_details = self.details.topLevelItemCount() > 0
        if has_details:
            self.setMinimumHeight(360)
            note = QLabel("Duplicates are images already in the dataset or repeated in what "
                          "you imported; they were not added again.", self)
            note.setObjectName("Muted")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.details, 1)
        self.details.setVisible(has_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
