"""The export dialog: format and options, where to, and the loss plan, confirmed before writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.formats import FORMATS, YOLO_TASKS
from labelhub.gui.messages import error_text
from labelhub.gui.versions.models import CHANGE_COLOURS

#: How formats are named in sentences.
FORMAT_NAMES = {"coco": "COCO", "voc": "Pascal VOC", "cvat": "CVAT XML", "labelme": "labelme",
                "datumaro": "Datumaro", "imagenet": "ImageNet folders", "csv": "CSV"}


def target_name(target: str) -> str:
    """``yolo-detect`` as "YOLO detect", ``voc`` as "Pascal VOC"."""
    if target.startswith("yolo-"):
        return f"YOLO {target[5:]}"
    return FORMAT_NAMES.get(target, target)


class ExportDialog(QDialog):
    """Choose a format and a folder; see what the format cannot hold; confirm it."""

    def __init__(self, project: Any, dataset: str, version: Any, start: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.dataset = dataset
        self.version = version
        self.plan: Any = None
        self.confirmation: QMessageBox | None = None
        self.setWindowTitle(f"Export {dataset} {version.label}")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        intro = QLabel(f"Write {version.label} of “{dataset}” ({version.stats.get('items', 0):,} "
                       f"items, {version.stats.get('annotations', 0):,} annotations) with a "
                       "manifest.json that records the version and the SHA-256 of every file.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setSpacing(8)
        self.format = QComboBox(self)
        for name, info in FORMATS.items():
            self.format.addItem(info.title, name)
        self.yolo_task = QComboBox(self)
        self.yolo_task.addItem("From the shapes present", None)
        for task in YOLO_TASKS:
            self.yolo_task.addItem(task, task)
        self.oriented = QCheckBox("Write rotated boxes as oriented rectangles (recent labelme)", self)
        self.media = QCheckBox("Copy the image files too", self)
        self.folder = QLineEdit(self)
        choose = QPushButton("Choose…", self)
        choose.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        form.addRow("Format", self.format)
        self.yolo_label = QLabel("YOLO task", self)
        form.addRow(self.yolo_label, self.yolo_task)
        form.addRow("", self.oriented)
        form.addRow("", self.media)
        form.addRow("Into the new folder", row)
        layout.addLayout(form)

        self.headline = QLabel(self)
        self.headline.setObjectName("Headline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.losses = QTreeWidget(self)
        self.losses.setHeaderLabels(["Label class", "Shapes", "Count", "What happens"])
        self.losses.setRootIsDecorated(False)
        self.losses.setAlternatingRowColors(True)
        self.losses.setWordWrap(True)
        header = self.losses.header()
        header.setStretchLastSection(True)
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.losses.setMinimumHeight(150)
        layout.addWidget(self.losses, 1)
        self.problem = QLabel(self)
        self.problem.setObjectName("Muted")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._start = Path(start)
        self._edited_folder = False
        choose.clicked.connect(self.choose_folder)
        self.folder.textEdited.connect(self._folder_edited)
        self.folder.textChanged.connect(self._check_folder)
        for widget in (self.format, self.yolo_task):
            widget.currentIndexChanged.connect(self.update_plan)
        self.oriented.toggled.connect(self.update_plan)
        self.update_plan()

    # ------------------------------------------------------------------------------ values
    def format_name(self) -> str:
        return str(self.format.currentData())

    def options(self) -> dict[str, Any]:
        fmt = self.format_name()
        return {"yolo_task": self.yolo_task.currentData() if fmt == "yolo" else None,
                "labelme_oriented_rectangles": fmt == "labelme" and self.oriented.isChecked()}

    def out_folder(self) -> Path:
        return Path(self.folder.text().strip()).expanduser()

    def set_format(self, name: str) -> None:
        self.format.setCurrentIndex(self.format.findData(name))

    def _default_folder(self) -> Path:
        return self._start / f"{self.dataset}-v{self.version.number}-{self.format_name()}"

    def _folder_edited(self) -> None:
        self._edited_folder = True

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into which folder?", str(self._start))
        if chosen:
            self._start = Path(chosen)
            self._edited_folder = False
            self.folder.setText(str(self._default_folder()))

    # ---------------------------------------------------------------------------- the plan
    def update_plan(self) -> None:
        fmt = self.format_name()
        self.yolo_task.setVisible(fmt == "yolo")
        self.yolo_label.setVisible(fmt == "yolo")
        self.oriented.setVisible(fmt == "labelme")
        if not self._edited_folder:
            self.folder.setText(str(self._default_folder()))
        self.losses.clear()
        try:
            self.plan = self.project.export_plan(self.dataset, self.version.number, fmt, self.options())
        except LabelHubError as error:
            self.plan = None
            self.headline.setText(f"{FORMATS[fmt].title} cannot be written: {error_text(error)}")
            self.losses.hide()
            self._check_folder()
            return
        target = target_name(self.plan.target)
        folders = self.plan.target in ("imagenet", "yolo-classify")
        if folders:  # the layout is the image files themselves
            self.media.setChecked(True)
        self.media.setEnabled(not folders)
        self.media.setToolTip("This layout is made of the image files, one folder per label."
                              if folders else "")
        if not self.plan.losses:
            self.headline.setText(f"✓ {target} holds every shape of {self.version.label} as it is.")
            self.losses.hide()
        else:
            parts = [f"{n:,} {'shape' if n == 1 else 'shapes'} will be {what}"
                     for n, what in ((self.plan.converted, "converted"), (self.plan.dropped, "left out")) if n]
            attributes = any(x.kind == "attributes" for x in self.plan.losses)
            if attributes:
                parts.append("attributes will be left out")
            self.headline.setText(f"{target} cannot hold everything: {', '.join(parts)}. "
                                  "You will be asked to confirm.")
            self.losses.show()
            for loss in self.plan.losses:
                item = QTreeWidgetItem([loss.label, loss.kind.replace("_", " "), f"{loss.count:,}",
                                        f"{loss.action}: {loss.detail}"])
                item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                colour = CHANGE_COLOURS["removed" if loss.action == "dropped" else "changed"]
                item.setForeground(3, QBrush(QColor(colour)))
                item.setToolTip(3, loss.detail)
                self.losses.addTopLevelItem(item)
        self._check_folder()

    def _check_folder(self) -> None:
        out = self.out_folder()
        problem = None
        if not self.folder.text().strip():
            problem = "Choose a folder to export into."
        elif out.exists() and (not out.is_dir() or any(out.iterdir())):
            problem = f"{out} already exists and is not empty; choose a new folder."
        self.problem.setText(problem or "")
        self.export_button.setEnabled(problem is None and self.plan is not None)

    # ------------------------------------------------------------------------- confirming
    def confirm_losses(self) -> bool:
        """Ask before an export that converts or leaves out shapes; True to go ahead."""
        if self.plan is None or not self.plan.losses:
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, "Export with losses?",
                          f"{target_name(self.plan.target)} cannot hold everything in "
                          f"{self.version.label}:\n\n" + "\n".join(self.plan.describe())
                          + "\n\nThe manifest will list this too.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("Export anyway?")
        go = box.addButton("Export anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirmation = box
        box.exec()
        self.confirmation = None
        return box.clickedButton() is go

    def try_accept(self) -> None:
        if self.export_button.isEnabled() and self.confirm_losses():
            self.accept()
