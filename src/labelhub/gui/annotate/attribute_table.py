"""The attributes of a label class as an editable table: name, type, required, choices (and
whether several may be chosen), minimum, maximum and default."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import InvalidInput
from labelhub.project import AttributeSpec
from labelhub.project.schema import ATTRIBUTE_TYPES

NAME, TYPE, REQUIRED, CHOICES, MULTIPLE, MINIMUM, MAXIMUM, DEFAULT = range(8)
HEADERS = ("Name", "Type", "Required", "Choices: a, b, c", "Several", "Min", "Max", "Default")


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _parse_default(text: str, kind: str) -> Any:
    text = text.strip()
    if not text:
        return None
    if kind == "text":
        return text
    if kind == "boolean":
        if text.lower() in ("true", "yes", "1"):
            return True
        if text.lower() in ("false", "no", "0"):
            return False
        raise InvalidInput(f"default {text!r} is not true or false")
    if kind == "number":
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            raise InvalidInput(f"default {text!r} is not a number") from None
    if text.startswith("["):
        return json.loads(text)
    return text


class AttributeTable(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CHOICES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TYPE, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(TYPE, 110)
        self.table.setMinimumHeight(130)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add attribute", self)
        self.remove_button = QPushButton("Remove attribute", self)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(lambda: self.add_row(None))
        self.remove_button.clicked.connect(self.remove_current)

    def set_specs(self, specs: list[AttributeSpec]) -> None:
        self.table.setRowCount(0)
        for spec in specs:
            self.add_row(spec)

    def add_row(self, spec: AttributeSpec | None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, NAME, QTableWidgetItem(spec.name if spec else f"attribute {row + 1}"))
        kind = QComboBox(self.table)
        kind.addItems(ATTRIBUTE_TYPES)
        kind.setCurrentText(spec.type if spec else "text")
        self.table.setCellWidget(row, TYPE, kind)
        for col, on in ((REQUIRED, spec.required if spec else False),
                        (MULTIPLE, spec.multiple if spec else False)):
            box = QCheckBox(self.table)
            box.setChecked(on)
            self.table.setCellWidget(row, col, box)
        self.table.setItem(row, CHOICES, QTableWidgetItem(", ".join(spec.choices) if spec else ""))
        for col, value in ((MINIMUM, spec.minimum if spec else None), (MAXIMUM, spec.maximum if spec else None)):
            self.table.setItem(row, col, QTableWidgetItem("" if value is None else f"{value:g}"))
        self.table.setItem(row, DEFAULT, QTableWidgetItem(_default_text(spec.default) if spec else ""))
        return row

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text().strip() if item is not None else ""

    def specs(self) -> list[AttributeSpec]:
        """The attributes as written in the table; InvalidInput names the first problem."""
        out = []
        for row in range(self.table.rowCount()):
            kind = self.table.cellWidget(row, TYPE).currentText()  # type: ignore[union-attr]
            d: dict[str, Any] = {
                "name": self._text(row, NAME), "type": kind,
                "required": self.table.cellWidget(row, REQUIRED).isChecked(),  # type: ignore[union-attr]
                "multiple": self.table.cellWidget(row, MULTIPLE).isChecked(),  # type: ignore[union-attr]
                "choices": [c.strip() for c in self._text(row, CHOICES).split(",") if c.strip()],
            }
            for col, key in ((MINIMUM, "min"), (MAXIMUM, "max")):
                text = self._text(row, col)
                if text:
                    try:
                        d[key] = float(text)
                    except ValueError:
                        raise InvalidInput(f"attribute {d['name']!r}: {key} {text!r} is not a number") from None
            d["default"] = _parse_default(self._text(row, DEFAULT), kind)
            out.append(AttributeSpec.from_dict(d))
        return out

    def setEnabled(self, on: bool) -> None:  # noqa: N802
        super().setEnabled(on)
        self.table.setEnabled(on)

