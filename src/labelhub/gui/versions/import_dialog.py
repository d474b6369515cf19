"""The import-labels dialog: which file, which format, into which label set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.formats import FORMATS


def label_set_choices(project: Any) -> list[tuple[str, str]]:
    """(shown text, ``into`` value) for every label set the member may import labels into."""
    others = project.can("labels.import")
    choices = [("Ground truth", "ground-truth")] if others else []
    for member in project.members(include_inactive=False):
        if others or member.name == project.member.name:
            choices.append((f"Annotator set of {member.display_name or member.name}",
                            f"annotator:{member.name}"))
    models = getattr(project, "models", None)
    if models is not None and project.can("predictions.import"):
        try:
            for model in models():
                for version in model.versions:
                    choices.append((f"Predictions of {model.name} {version.version}",
                                    f"predictions:{model.name}@{version.version}"))
        except LabelHubError:
            pass
    return choices


class ImportLabelsDialog(QDialog):
    def __init__(self, project: Any, dataset: str, start: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self._start = Path(start)
        self.setWindowTitle(f"Import labels into {dataset}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        intro = QLabel(f"Read labels from a file, folder or zip archive and add them to a label "
                       f"set of “{dataset}”. Images are matched by name, by file name, or by their "
                       "content; the whole file is checked first and nothing is imported if "
                       "anything in it is wrong.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        form.setSpacing(8)
        self.source = QLineEdit(self)
        self.source.setPlaceholderText("a labels file, a dataset folder or a .zip")
        pick_file = QPushButton("File…", self)
        pick_folder = QPushButton("Folder…", self)
        for button in (pick_file, pick_folder):
            button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(pick_file)
        row.addWidget(pick_folder)
        self.format = QComboBox(self)
        for name, info in FORMATS.items():
            self.format.addItem(info.title, name)
        self.into = QComboBox(self)
        for text, value in label_set_choices(project):
            self.into.addItem(text, value)
        self.ground_truth = QLineEdit(self)
        self.ground_truth.setPlaceholderText("only for a results list: the COCO file its ids use")
        pick_gt = QPushButton("Choose…", self)
        pick_gt.setAutoDefault(False)
        gt_row = QHBoxLayout()
        gt_row.addWidget(self.ground_truth, 1)
        gt_row.addWidget(pick_gt)
        self.gt_label = QLabel("COCO ground truth", self)
        self.replace = QCheckBox("Replace the set's labels on the images in the file", self)
        self.create_classes = QCheckBox("Add the label classes the file has and the dataset lacks", self)
        can_add = project.can("schema.change")
        self.create_classes.setChecked(can_add)
        self.create_classes.setEnabled(can_add)
        if not can_add:
            self.create_classes.setToolTip("Only a lead may add label classes.")
        form.addRow("Labels", row)
        form.addRow("Format", self.format)
        form.addRow("Into", self.into)
        form.addRow(self.gt_label, gt_row)
        form.addRow("", self.replace)
        form.addRow("", self.create_classes)
        layout.addLayout(form)
        self.problem = QLabel(self)
        self.problem.setObjectName("Muted")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._gt_row = (self.ground_truth, pick_gt)
        pick_file.clicked.connect(self.choose_file)
        pick_folder.clicked.connect(self.choose_folder)
        pick_gt.clicked.connect(self.choose_ground_truth)
        self.source.textChanged.connect(self._update)
        self.format.currentIndexChanged.connect(self._update)
        self.into.currentIndexChanged.connect(self._update)
        self._update()

    def values(self) -> dict[str, Any]:
        gt = self.ground_truth.text().strip()
        return {"path": Path(self.source.text().strip()).expanduser(),
                "fmt": str(self.format.currentData()), "into": str(self.into.currentData()),
                "replace": self.replace.isChecked(),
                "create_classes": self.create_classes.isChecked(),
                "coco_ground_truth": gt if gt and self.format.currentData() == "coco" else None}

    def set_values(self, path: Path, fmt: str, into: str = "ground-truth") -> None:
        self.source.setText(str(path))
        self.format.setCurrentIndex(self.format.findData(fmt))
        self.into.setCurrentIndex(max(0, self.into.findData(into)))

    def choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Labels file", str(self._start),
                                                "Labels (*.json *.xml *.csv *.zip);;All files (*)")
        if chosen:
            self.source.setText(chosen)

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Dataset folder", str(self._start))
        if chosen:
            self.source.setText(chosen)

    def choose_ground_truth(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "COCO ground truth", str(self._start),
                                                "COCO JSON (*.json);;All files (*)")
        if chosen:
            self.ground_truth.setText(chosen)

    def _update(self) -> None:
        is_coco = self.format.currentData() == "coco"
        self.gt_label.setVisible(is_coco)
        for widget in self._gt_row:
            widget.setVisible(is_coco)
        predictions = str(self.into.currentData()).startswith("predictions:")
        self.replace.setEnabled(not predictions)
        self.replace.setToolTip("Predictions are always replaced as a whole." if predictions else "")
        text = self.source.text().strip()
        problem = None
        if not text:
            problem = "Choose the labels to import."
        elif not Path(text).expanduser().exists():
            problem = f"{text}: no such file or folder."
        self.problem.setText(problem or "")
        self.import_button.setEnabled(problem is None)
