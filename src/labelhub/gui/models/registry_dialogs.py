"""Dialogs of the model registry: register a model, add or edit a version (its model card),
change a version's stage."""

from __future__ import annotations

import json
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
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TASKS = ("detection", "instance segmentation", "classification", "keypoints", "regression")
STAGE_HELP = {
    "development": "being built and tried",
    "staging": "a candidate, being checked before production",
    "production": "the version in use (the one there now is archived)",
    "archived": "retired; say why",
}


def _text(parent: QWidget, height: int = 56, placeholder: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setFixedHeight(height)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    return edit


class _Dialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.outer.addLayout(self.form)
        self.error = QLabel("", self)
        self.error.setObjectName("FormError")
        self.error.setStyleSheet("color: #dc2626")
        self.error.setWordWrap(True)
        self.error.hide()
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)

    def fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def check(self) -> str | None:
        return None

    def _accept(self) -> None:
        problem = self.check()
        if problem:
            self.fail(problem)
            return
        self.accept()


class NewModelDialog(_Dialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Register a model", parent)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. street-detector")
        self.task = QComboBox(self)
        self.task.setEditable(True)
        self.task.addItems(TASKS)
        self.description = _text(self, 64, "What the model does")
        self.form.addRow("Name", self.name)
        self.form.addRow("Task", self.task)
        self.form.addRow("Description", self.description)

    def check(self) -> str | None:
        name = self.name.text().strip()
        if not name:
            return "The model needs a name."
        if "@" in name:
            return "A model name may not contain '@' (it separates model and version)."
        return None

    def values(self) -> dict[str, str]:
        return {"name": self.name.text().strip(), "task": self.task.currentText().strip(),
                "description": self.description.toPlainText().strip()}


class VersionDialog(_Dialog):
    """Add a version (``existing`` None) or edit one's card, params and tags."""

    def __init__(self, model: str, datasets: dict[str, list[tuple[str, str]]], existing: Any = None,
                 parent: QWidget | None = None) -> None:
        adding = existing is None
        super().__init__(f"Add a version of {model}" if adding else f"Edit {existing.ref}", parent)
        self.adding = adding
        self.datasets = datasets
        self.version = QLineEdit(self)
        self.version.setPlaceholderText("e.g. 1.0")
        self.description = _text(self, 48)
        self.framework = QLineEdit(self)
        self.framework.setPlaceholderText("e.g. pytorch, onnx")
        self.params = _text(self, 64, '{"learning_rate": 0.001, "epochs": 50}')
        self.code = QLineEdit(self)
        self.code.setPlaceholderText("commit or tag of the training code")
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText("comma-separated, e.g. night, small-objects")
        self.intended = _text(self, 48, "What it is meant for")
        self.out_of_scope = _text(self, 48, "Uses it must not be put to")
        self.limitations = _text(self, 48, "Known limitations, biases, failure modes")
        if adding:
            self.form.addRow("Version", self.version)
        self.form.addRow("Description", self.description)
        self.form.addRow("Framework", self.framework)
        if adding:
            row = QHBoxLayout()
            self.dataset = QComboBox(self)
            self.dataset.addItem("(not recorded)")
            self.dataset.addItems(sorted(datasets))
            self.dataset_version = QComboBox(self)
            self.dataset.currentTextChanged.connect(self._dataset_changed)
            row.addWidget(self.dataset, 2)
            row.addWidget(self.dataset_version, 1)
            self.form.addRow("Trained on", row)
            self._dataset_changed(self.dataset.currentText())
            art = QHBoxLayout()
            self.artifact = QLineEdit(self)
            self.artifact.setPlaceholderText("the model file (optional): hashed when registered")
            browse = QPushButton("Browse…", self)
            browse.clicked.connect(self._browse)
            art.addWidget(self.artifact, 1)
            art.addWidget(browse)
            self.form.addRow("Artifact", art)
            self.copy = QCheckBox("Copy the file into the project", self)
            self.form.addRow("", self.copy)
        self.form.addRow("Hyperparameters", self.params)
        self.form.addRow("Code revision", self.code)
        self.form.addRow("Tags", self.tags)
        self.form.addRow("Intended uses", self.intended)
        self.form.addRow("Out-of-scope uses", self.out_of_scope)
        self.form.addRow("Limitations", self.limitations)
        if existing is not None:
            self.description.setPlainText(existing.description)
            self.framework.setText(existing.framework)
            self.params.setPlainText(json.dumps(existing.params, indent=1) if existing.params else "")
            self.code.setText(existing.code_revision)
            self.tags.setText(", ".join(existing.tags))
            self.intended.setPlainText(existing.card.get("intended_uses", ""))
            self.out_of_scope.setPlainText(existing.card.get("out_of_scope_uses", ""))
            self.limitations.setPlainText(existing.card.get("limitations", ""))

    def _dataset_changed(self, name: str) -> None:
        self.dataset_version.clear()
        for number, label in self.datasets.get(name, []):
            self.dataset_version.addItem(label, number)
        self.dataset_version.setEnabled(name in self.datasets)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Model file", str(Path.home()))
        if path:
            self.artifact.setText(path)

    def _params(self) -> dict[str, Any] | str:
        text = self.params.toPlainText().strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            return f"Hyperparameters are not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        if not isinstance(value, dict):
            return 'Hyperparameters must be a JSON object, e.g. {"epochs": 50}.'
        return value

    def check(self) -> str | None:
        if self.adding:
            version = self.version.text().strip()
            if not version:
                return "The version needs a name, e.g. 1.0."
            if "@" in version:
                return "A version may not contain '@'."
            if self.dataset.currentText() in self.datasets and self.dataset_version.currentIndex() < 0:
                return f"{self.dataset.currentText()} has no version yet: commit one, or choose (not recorded)."
            artifact = self.artifact.text().strip()
            if artifact and not Path(artifact).expanduser().is_file():
                return f"{artifact}: no such file."
        params = self._params()
        return params if isinstance(params, str) else None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description.toPlainText().strip(), "framework": self.framework.text().strip(),
            "params": self._params(), "code_revision": self.code.text().strip(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
            "intended_uses": self.intended.toPlainText().strip(),
            "out_of_scope_uses": self.out_of_scope.toPlainText().strip(),
            "limitations": self.limitations.toPlainText().strip(),
        }
        if self.adding:
            out["version"] = self.version.text().strip()
            ds = self.dataset.currentText()
            out["trained_on"] = (ds, self.dataset_version.currentData()) if ds in self.datasets else None
            artifact = self.artifact.text().strip()
            out["artifact"] = artifact or None
            out["copy_artifact"] = self.copy.isChecked()
        return out


class StageDialog(_Dialog):
    def __init__(self, version: Any, production: str | None, parent: QWidget | None = None) -> None:
        super().__init__(f"Change the stage of {version.ref}", parent)
        self.current = version.stage
        self.form.addRow("Now", QLabel(version.stage, self))
        self.stage = QComboBox(self)
        for stage, help_text in STAGE_HELP.items():
            if stage != version.stage:
                self.stage.addItem(f"{stage} — {help_text}", stage)
        self.reason = _text(self, 56, "Why (required when archiving)")
        self.form.addRow("New stage", self.stage)
        self.form.addRow("Reason", self.reason)
        if production and production != version.version:
            note = QLabel(f"Putting {version.ref} into production archives version {production}, which is "
                          "in production now.", self)
            note.setWordWrap(True)
            self.form.addRow("", note)

    def check(self) -> str | None:
        if self.stage.currentData() == "archived" and not self.reason.toPlainText().strip():
            return "Say why the version is archived."
        return None

    def values(self) -> tuple[str, str]:
        return str(self.stage.currentData()), self.reason.toPlainText().strip()
