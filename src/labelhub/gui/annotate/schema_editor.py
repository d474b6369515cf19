"""The label schema editor (leads): classes with colour, hotkey, allowed shape kinds, typed
attributes, keypoints and skeleton, and guidelines with example images. Each save is one
versioned change; removing a class that has annotations asks what becomes of them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.geometry import SHAPE_KINDS
from labelhub.gui.annotate.attribute_table import AttributeTable
from labelhub.gui.annotate.overlays import GuidelinesDialog
from labelhub.gui.annotate.panels import swatch
from labelhub.project import LabelClassInfo


def parse_skeleton(text: str, names: list[str]) -> list[list[int]]:
    """Edges written as "head-left hand, head-right hand" (names) or "0-1, 0-2" (numbers)."""
    edges = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        if "-" not in part:
            raise ValueError(f"skeleton edge {part!r} should look like a-b")
        a, b = (s.strip() for s in part.split("-", 1))
        edges.append([_point(a, names), _point(b, names)])
    return edges


def _point(text: str, names: list[str]) -> int:
    if text.isdigit():
        return int(text)
    if text in names:
        return names.index(text)
    raise ValueError(f"{text!r} is not one of the keypoints")


def skeleton_text(cls: LabelClassInfo) -> str:
    names = list(cls.keypoints)
    return ", ".join(f"{names[a] if a < len(names) else a}-{names[b] if b < len(names) else b}"
                     for a, b in cls.skeleton)


class RemoveClassDialog(QDialog):
    """Asks what becomes of the annotations of a class being removed."""

    def __init__(self, name: str, count: int, others: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Remove {name}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{name} has {count} annotation{'s' if count != 1 else ''}. "
                                "What should become of them?", self))
        self.delete = QRadioButton(f"Delete the {count} annotation{'s' if count != 1 else ''}", self)
        self.move = QRadioButton("Give them another class:", self)
        self.target = QComboBox(self)
        self.target.addItems(others)
        self.move.setEnabled(bool(others))
        self.target.setEnabled(bool(others))
        (self.move if others else self.delete).setChecked(True)
        layout.addWidget(self.delete)
        row = QHBoxLayout()
        row.addWidget(self.move)
        row.addWidget(self.target, 1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choice(self) -> str:
        return "delete" if self.delete.isChecked() else f"move:{self.target.currentText()}"


class SchemaEditor(QDialog):
    schema_changed = Signal()

    def __init__(self, project: Any, dataset: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.dataset = project, dataset
        self.setWindowTitle(f"Label schema of {dataset}")
        self.resize(980, 720)
        self.classes: list[LabelClassInfo] = []
        self.color = "#000000"
        self.list = QListWidget(self)
        self.add_button = QPushButton("Add class…", self)
        self.remove_button = QPushButton("Remove…", self)
        self.up_button = QPushButton("Up", self)
        self.down_button = QPushButton("Down", self)
        left = QWidget(self)
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.list, 1)
        grid = QGridLayout()
        grid.addWidget(self.add_button, 0, 0)
        grid.addWidget(self.remove_button, 0, 1)
        grid.addWidget(self.up_button, 1, 0)
        grid.addWidget(self.down_button, 1, 1)
        lcol.addLayout(grid)

        form_host = QWidget(self)
        form = QFormLayout(form_host)
        self.name = QLineEdit(form_host)
        self.color_button = QPushButton(form_host)
        self.hotkey = QLineEdit(form_host)
        self.hotkey.setMaxLength(1)
        self.hotkey.setFixedWidth(48)
        self.hotkey.setPlaceholderText("—")
        kinds_host = QWidget(form_host)
        kinds_grid = QGridLayout(kinds_host)
        kinds_grid.setContentsMargins(0, 0, 0, 0)
        self.kinds: dict[str, QCheckBox] = {}
        for i, kind in enumerate(SHAPE_KINDS):
            box = QCheckBox(kind.replace("_", " "), kinds_host)
            kinds_grid.addWidget(box, i // 4, i % 4)
            self.kinds[kind] = box
        self.attributes = AttributeTable(form_host)
        self.keypoints = QPlainTextEdit(form_host)
        self.keypoints.setPlaceholderText("One keypoint name per line, in the order they are placed")
        self.keypoints.setFixedHeight(80)
        self.skeleton = QLineEdit(form_host)
        self.skeleton.setPlaceholderText("Lines between keypoints: head-left hand, head-right hand")
        self.guidelines = QPlainTextEdit(form_host)
        self.guidelines.setPlaceholderText("How to label this class (Markdown)")
        self.image_button = QPushButton("Add example image…", form_host)
        self.preview_button = QPushButton("Preview", form_host)
        guide_buttons = QHBoxLayout()
        guide_buttons.addWidget(self.image_button)
        guide_buttons.addWidget(self.preview_button)
        guide_buttons.addStretch(1)
        form.addRow("Name", self.name)
        form.addRow("Colour", self.color_button)
        form.addRow("Hotkey", self.hotkey)
        form.addRow("Shape kinds", kinds_host)
        form.addRow("Attributes", self.attributes)
        form.addRow("Keypoints", self.keypoints)
        form.addRow("Skeleton", self.skeleton)
        form.addRow("Guidelines", self.guidelines)
        form.addRow("", guide_buttons)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d64541;")
        self.save_button = QPushButton("Save class", self)
        self.save_button.setDefault(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.problem, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(form_host)
        split.setSizes([240, 740])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        self.list.currentRowChanged.connect(self._show)
        self.add_button.clicked.connect(self.add_class)
        self.remove_button.clicked.connect(self.remove_class)
        self.up_button.clicked.connect(lambda: self.move_class(-1))
        self.down_button.clicked.connect(lambda: self.move_class(1))
        self.color_button.clicked.connect(self._pick_color)
        self.save_button.clicked.connect(self.save_class)
        self.image_button.clicked.connect(self.add_image)
        self.preview_button.clicked.connect(self.preview)
        self.reload()

    # ---------------------------------------------------------------------------- listing
    def reload(self, select: str | None = None) -> None:
        current = select or (self.current().uid if self.current() else None)
        self.classes = self.project.label_classes(self.dataset)
        self.list.blockSignals(True)
        self.list.clear()
        for c in self.classes:
            item = QListWidgetItem(swatch(c.color), c.name + (f"   [{c.hotkey}]" if c.hotkey else ""))
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = next((i for i, c in enumerate(self.classes) if c.uid == current), 0)
        if self.classes:
            self.list.setCurrentRow(row)
        self._show(self.list.currentRow())

    def current(self) -> LabelClassInfo | None:
        row = self.list.currentRow()
        return self.classes[row] if 0 <= row < len(self.classes) else None

    def _show(self, _row: int) -> None:
        cls = self.current()
        self.problem.clear()
        for w in (self.name, self.color_button, self.hotkey, self.attributes, self.keypoints,
                  self.skeleton, self.guidelines, self.save_button, self.remove_button,
                  self.image_button, self.preview_button, *self.kinds.values()):
            w.setEnabled(cls is not None)
        if cls is None:
            return
        self.name.setText(cls.name)
        self._set_color(cls.color)
        self.hotkey.setText(cls.hotkey or "")
        for kind, box in self.kinds.items():
            box.setChecked(kind in cls.kinds)
        self.attributes.set_specs(list(cls.attributes))
        self.keypoints.setPlainText("\n".join(cls.keypoints))
        self.skeleton.setText(skeleton_text(cls))
        self.guidelines.setPlainText(cls.guidelines)

    def _set_color(self, color: str) -> None:
        self.color = color
        self.color_button.setText(color)
        self.color_button.setIcon(swatch(color, 14))

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(QColor(self.color), self, "Class colour")
        if color.isValid():
            self._set_color(color.name())

    # ----------------------------------------------------------------------------- changes
    def changes(self) -> dict[str, Any]:
        """The fields of the current class that the form changes."""
        cls = self.current()
        assert cls is not None
        names = [n.strip() for n in self.keypoints.toPlainText().splitlines() if n.strip()]
        values: dict[str, Any] = {
            "name": self.name.text().strip(), "color": self.color,
            "hotkey": self.hotkey.text().strip().lower() or None,
            "kinds": [k for k, b in self.kinds.items() if b.isChecked()],
            "attributes": [a.to_dict() for a in self.attributes.specs()],
            "keypoints": names, "skeleton": parse_skeleton(self.skeleton.text(), names),
            "guidelines": self.guidelines.toPlainText(),
        }
        before = {"name": cls.name, "color": cls.color, "hotkey": cls.hotkey, "kinds": list(cls.kinds),
                  "attributes": [a.to_dict() for a in cls.attributes], "keypoints": list(cls.keypoints),
                  "skeleton": [list(e) for e in cls.skeleton], "guidelines": cls.guidelines}
        return {k: v for k, v in values.items() if v != before[k]}

    def save_class(self) -> bool:
        cls = self.current()
        if cls is None:
            return False
        try:
            changes = self.changes()
            if not changes:
                self.problem.setText("Nothing changed.")
                return False
            if "skeleton" not in changes and "keypoints" in changes:
                changes["skeleton"] = parse_skeleton(self.skeleton.text(), changes["keypoints"])
            self.project.update_label_class(self.dataset, cls.uid, **changes)
        except (LabelHubError, ValueError) as error:
            self.problem.setText(str(error))
            return False
        self.reload(cls.uid)
        self.problem.setText("")
        self.schema_changed.emit()
        return True

    def add_class(self) -> LabelClassInfo | None:
        name, ok = QInputDialog.getText(self, "Add a class", "Name of the new class:")
        if not ok or not name.strip():
            return None
        return self.add_named(name)

    def add_named(self, name: str) -> LabelClassInfo | None:
        try:
            cls = self.project.add_label_class(self.dataset, name.strip())
        except LabelHubError as error:
            self.problem.setText(str(error))
            return None
        self.reload(cls.uid)
        self.schema_changed.emit()
        return cls

    def annotation_count(self, cls: LabelClassInfo) -> int:
        return sum(self.project.class_annotation_counts(s.uid).get(cls.uid, 0)
                   for s in self.project.label_sets(self.dataset))

    def remove_class(self) -> bool:
        cls = self.current()
        if cls is None:
            return False
        count = self.annotation_count(cls)
        what = None
        if count:
            dialog = RemoveClassDialog(cls.name, count, [c.name for c in self.classes if c.uid != cls.uid], self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            what = dialog.choice()
        try:
            self.project.remove_label_class(self.dataset, cls.uid, annotations=what)
        except LabelHubError as error:
            self.problem.setText(str(error))
            return False
        self.reload()
        self.schema_changed.emit()
        return True

    def move_class(self, step: int) -> None:
        row = self.list.currentRow()
        other = row + step
        if not (0 <= row < len(self.classes) and 0 <= other < len(self.classes)):
            return
        a, b = self.classes[row], self.classes[other]
        order = [c.uid for c in self.classes]
        order[row], order[other] = order[other], order[row]
        try:
            for position, uid in enumerate(order):
                if next(c for c in self.classes if c.uid == uid).position != position:
                    self.project.update_label_class(self.dataset, uid, position=position)
        except LabelHubError as error:
            self.problem.setText(str(error))
        self.reload(a.uid if step else b.uid)
        self.schema_changed.emit()

    def add_image(self) -> bool:
        cls = self.current()
        if cls is None:
            return False
        path, _filter = QFileDialog.getOpenFileName(self, "Example image", "",
                                                    "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)")
        return bool(path) and self.add_image_file(path)

    def add_image_file(self, path: str) -> bool:
        cls = self.current()
        assert cls is not None
        try:
            self.project.add_guideline_image(self.dataset, cls.uid, path)
        except LabelHubError as error:
            self.problem.setText(str(error))
            return False
        self.reload(cls.uid)
        self.schema_changed.emit()
        return True

    def preview(self) -> GuidelinesDialog:
        dialog = GuidelinesDialog(self.name.text(), self.guidelines.toPlainText(),
                                  self.project.guideline_image_path, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
