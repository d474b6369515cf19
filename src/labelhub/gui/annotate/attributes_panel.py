"""The attributes of the selected shapes, with one editor per attribute type: a check box for
booleans, a drop-down (or check boxes when several may be chosen) for choices, a number field,
a text field. A required attribute left empty is flagged in red. A selected skeleton also
lists its keypoints, each with its visibility (visible, occluded, not labelled). Each change
is saved at once."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from labelhub.geometry import NOT_LABELLED, OCCLUDED, VISIBLE, Keypoints
from labelhub.project import AnnotationInfo, AttributeSpec, LabelClassInfo

UNSET = "—"
FLAG_STYLE = "color: #d64541;"


#: COCO keypoint visibility flags as the panel names them.
VISIBILITY_CHOICES = ((VISIBLE, "Visible"), (OCCLUDED, "Occluded"), (NOT_LABELLED, "Not labelled"))


class KeypointList(QWidget):
    """The points of one selected skeleton by name, each with a visibility drop-down; the
    picked point (the one the keypoint shortcuts act on) is marked."""

    #: (annotation uid, point index, new visibility)
    changed = Signal(str, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 6, 0, 0)
        self.boxes: list[QComboBox] = []
        self.names: list[QLabel] = []
        self.hide()

    def show_keypoints(self, uid: str | None, shape: Keypoints | None, names: tuple[str, ...] | list[str],
                       picked: int | None, editable: bool) -> None:
        # Taken out and deleted later, not at once: this runs inside a drop-down's own signal.
        while self.form.rowCount():
            row = self.form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
        self.boxes, self.names = [], []
        if uid is None or shape is None:
            self.hide()
            return
        heading = QLabel("<b>Keypoints</b>", self)
        self.form.addRow(heading)
        for i, v in enumerate(shape.visibility):
            name = names[i] if i < len(names) else f"point {i + 1}"
            label = QLabel(("▸ " if i == picked else "") + name, self)
            if i == picked:
                label.setStyleSheet("font-weight: bold;")
            box = QComboBox(self)
            for value, text in VISIBILITY_CHOICES:
                box.addItem(text, value)
            box.setCurrentIndex(box.findData(v))
            box.setEnabled(editable)
            box.activated.connect(lambda _i, b=box, n=i, u=uid: self._emit(u, n, b))
            self.form.addRow(label, box)
            self.boxes.append(box)
            self.names.append(label)
        self.show()

    def _emit(self, uid: str, index: int, box: QComboBox) -> None:
        self.changed.emit(uid, index, int(box.currentData()))


class AttributesPanel(QWidget):
    """Shows and edits the attributes of the selection (shapes of one class)."""

    #: {attribute name: new value (None clears it)} for the selected annotations.
    edited = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.problems = QLabel(self)
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(FLAG_STYLE)
        self.keypoints = KeypointList(self)
        self.keypoint_changed = self.keypoints.changed
        outer.addWidget(self.heading)
        outer.addWidget(self.form_host)
        outer.addWidget(self.problems)
        outer.addWidget(self.keypoints)
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.specs: dict[str, AttributeSpec] = {}
        self._filling = False
        self.show_selection([], None, editable=False)

    def _clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors, self.labels, self.specs = {}, {}, {}

    def show_selection(self, infos: list[AnnotationInfo], cls: LabelClassInfo | None, *,
                       editable: bool, picked: tuple[str, int] | None = None) -> None:
        """Show the attributes of ``infos`` (annotations of class ``cls``), and the keypoints
        of a single selected skeleton (``picked``: the point the keypoint commands act on)."""
        one = infos[0] if len(infos) == 1 and isinstance(infos[0].shape, Keypoints) else None
        self.keypoints.show_keypoints(
            one.uid if one else None, one.shape if one else None,  # type: ignore[arg-type]
            cls.keypoints if cls is not None else (),
            picked[1] if one is not None and picked is not None and picked[0] == one.uid else None,
            editable)
        self._filling = True
        self._clear()
        self.problems.clear()
        if not infos:
            self.heading.setText("Select a shape to see its attributes.")
        elif cls is None:
            self.heading.setText("The selected shapes are of different classes (or of none): "
                                 "select shapes of one class to edit their attributes.")
        elif not cls.attributes:
            self.heading.setText(f"{cls.name} has no attributes.")
        else:
            many = f"{len(infos)} shapes of " if len(infos) > 1 else ""
            self.heading.setText(f"{many}{cls.name}" + ("" if editable else " (read-only)"))
            for spec in cls.attributes:
                values = [i.attributes.get(spec.name) for i in infos]
                same = all(v == values[0] for v in values)
                editor = self._editor(spec, values[0] if same else None, editable)
                label = QLabel(spec.name + (" *" if spec.required else ""), self.form_host)
                if spec.required:
                    label.setToolTip("Required")
                self.form.addRow(label, editor)
                self.editors[spec.name], self.labels[spec.name], self.specs[spec.name] = editor, label, spec
            self._flag([v for i in infos for v in i.problems])
        self._filling = False

    def _flag(self, problems: list[str]) -> None:
        missing = {p.split("'")[1] for p in problems if p.startswith("required attribute '")}
        for name, label in self.labels.items():
            label.setStyleSheet(FLAG_STYLE if name in missing else "")
        self.problems.setText("\n".join(sorted(set(problems))))

    def _editor(self, spec: AttributeSpec, value: Any, editable: bool) -> QWidget:
        if spec.type == "boolean":
            box = QCheckBox(self.form_host)
            box.setTristate(value is None)
            box.setCheckState(Qt.CheckState.PartiallyChecked if value is None else
                              Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
            box.clicked.connect(lambda _c, b=box, n=spec.name: self._emit(n, b.checkState() == Qt.CheckState.Checked))
            widget: QWidget = box
        elif spec.type == "choice" and spec.multiple:
            widget = QWidget(self.form_host)
            row = QHBoxLayout(widget)
            row.setContentsMargins(0, 0, 0, 0)
            chosen = set(value or [])
            boxes: list[QCheckBox] = []
            for choice in spec.choices:
                b = QCheckBox(choice, widget)
                b.setChecked(choice in chosen)
                boxes.append(b)
                row.addWidget(b)
            for b in boxes:
                b.clicked.connect(lambda _c, bs=boxes, n=spec.name:
                                  self._emit(n, [x.text() for x in bs if x.isChecked()] or None))
            row.addStretch(1)
        elif spec.type == "choice":
            combo = QComboBox(self.form_host)
            combo.addItem(UNSET, None)
            for choice in spec.choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(combo.findData(value), 0) if value is not None else 0)
            combo.activated.connect(lambda _i, c=combo, n=spec.name: self._emit(n, c.currentData()))
            widget = combo
        elif spec.type == "number":
            spin = QDoubleSpinBox(self.form_host)
            spin.setDecimals(3)
            spin.setRange(spec.minimum if spec.minimum is not None else -1e9,
                          spec.maximum if spec.maximum is not None else 1e9)
            spin.setSpecialValueText(UNSET)
            spin.setMinimum(spin.minimum() - 1)  # the lowest value reads "—": no value
            spin.setValue(float(value) if isinstance(value, int | float) else spin.minimum())
            spin.setKeyboardTracking(False)
            spin.editingFinished.connect(lambda s=spin, n=spec.name: self._emit_number(n, s))
            widget = spin
        else:
            line = QLineEdit(self.form_host)
            line.setText("" if value is None else str(value))
            line.setPlaceholderText(UNSET if value is None else "")
            line.editingFinished.connect(lambda e=line, n=spec.name: self._emit(n, e.text() or None))
            widget = line
        widget.setEnabled(editable)
        return widget

    def _emit_number(self, name: str, spin: QDoubleSpinBox) -> None:
        v = spin.value()
        value: float | int | None = None if v == spin.minimum() else (int(v) if v == int(v) else v)
        self._emit(name, value)

    def _emit(self, name: str, value: Any) -> None:
        if not self._filling:
            self.edited.emit({name: value})

    def set_problems(self, problems: list[str]) -> None:
        self._flag(problems)
