"""The filter bar of the Assets browser: a name search and one drop-down per kind of filter.

Choices combine with OR inside one drop-down and with AND across them, as ``ItemFilter`` does.
Typing in the search waits for a pause (debounced) before the query runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from labelhub.errors import LabelHubError
from labelhub.project.item_filter import (
    META_OPS,
    STATUS_TITLES,
    STATUSES,
    ItemFilter,
    MetaCondition,
)

DEBOUNCE_MS = 250


class _Choice(QToolButton):
    """A drop-down of checkable values; its text names what is checked."""

    toggled_values = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setMenu(QMenu(self))
        self.setObjectName("FilterChip")
        self._sections: dict[str, dict[str, QAction]] = {}
        self.shown: dict[str, str] = {}  # value -> short text on the button
        self._update_text()

    def set_values(self, sections: dict[str, list[tuple[str, str]]], keep: bool = True) -> None:
        """``sections``: section name -> [(value, label)]; checked values are kept."""
        before = {s: set(self.checked(s)) for s in self._sections} if keep else {}
        menu = self.menu()
        menu.clear()
        self._sections = {}
        for section, values in sections.items():
            if len(sections) > 1:
                menu.addSection(section)
            actions: dict[str, QAction] = {}
            for value, label in values:
                action = menu.addAction(label)
                action.setCheckable(True)
                action.setChecked(value in before.get(section, set()))
                action.toggled.connect(self._changed)
                actions[value] = action
            if not values:
                none = menu.addAction("(none in this dataset)")
                none.setEnabled(False)
            self._sections[section] = actions
        self._update_text()

    def checked(self, section: str | None = None) -> list[str]:
        key = section or next(iter(self._sections), "")
        return [v for v, a in self._sections.get(key, {}).items() if a.isChecked()]

    def check(self, section: str, values: Sequence[str]) -> None:
        for value, action in self._sections.get(section, {}).items():
            action.blockSignals(True)
            action.setChecked(value in values)
            action.blockSignals(False)
        self._update_text()

    def clear(self) -> None:
        for section in self._sections:
            self.check(section, [])

    def _changed(self) -> None:
        self._update_text()
        self.toggled_values.emit()

    def has_values(self) -> bool:
        return any(self._sections.values())

    def _update_text(self) -> None:
        labels = [self.shown.get(v, v) or "none" for actions in self._sections.values()
                  for v, a in actions.items() if a.isChecked()]
        if not labels:
            self.setText(self.title + " ▾")
        else:
            shown = ", ".join(labels)
            if len(shown) > 22:
                shown = shown[:20] + "…"
            self.setText(f"{self.title}: {shown} ▾")
        self.setProperty("active", bool(labels))
        self.style().unpolish(self)
        self.style().polish(self)


class _MetaEditor(QWidget):
    """key, test, value and Add, inside the Metadata drop-down."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        row = QHBoxLayout()
        self.key = QComboBox(self)
        self.key.setEditable(True)
        self.key.setMinimumWidth(130)
        self.key.lineEdit().setPlaceholderText("field")
        self.op = QComboBox(self)
        for op, words in META_OPS.items():
            self.op.addItem(words, op)
        self.value = QLineEdit(self)
        self.value.setPlaceholderText("value")
        self.add = QPushButton("Add", self)
        row.addWidget(self.key)
        row.addWidget(self.op)
        row.addWidget(self.value)
        row.addWidget(self.add)
        layout.addLayout(row)
        self.op.currentIndexChanged.connect(
            lambda _i: self.value.setEnabled(self.op.currentData() not in ("?", "!?")))

    def condition(self) -> MetaCondition:
        return MetaCondition(self.key.currentText().strip(), self.op.currentData(), self.value.text())


class FilterBar(QWidget):
    """Emits ``changed(ItemFilter)`` whenever the filter changes (search debounced)."""

    changed = Signal(object)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search names…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(150)
        self.search.setMaximumWidth(260)
        layout.addWidget(self.search, 1)
        self.split = _Choice("Split", self)
        self.status = _Choice("Status", self)
        self.classes = _Choice("Class", self)
        self.annotator = _Choice("Annotator", self)
        self.batch = _Choice("Batch", self)
        self.tag = _Choice("Tag", self)
        self.meta_button = QToolButton(self)
        self.meta_button.setObjectName("FilterChip")
        self.meta_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.meta_button.setMenu(QMenu(self.meta_button))
        self.meta_editor = _MetaEditor(self)
        self.meta_conditions: list[MetaCondition] = []
        self.versioned = False  # showing a version: no review states or annotators to filter by
        for chip in (self.split, self.status, self.classes, self.annotator, self.batch, self.tag):
            layout.addWidget(chip)
            chip.toggled_values.connect(self._emit)
        layout.addWidget(self.meta_button)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear filters")
        self.clear_button.setObjectName("LinkButton")
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._emit)
        self.meta_editor.add.clicked.connect(self._add_meta)
        self.meta_editor.value.returnPressed.connect(self._add_meta)
        self.status.set_values({"Status": [(s, STATUS_TITLES[s]) for s in STATUSES]})
        self._rebuild_meta_menu()
        self.clear_button.setVisible(False)

    def set_choices(self, choices: Any, meta_keys: Sequence[str], tags: Sequence[str]) -> None:
        """Offer what the dataset holds (FilterChoices from the project)."""
        self.split.shown = {"": "none"}
        self.split.set_values({"Split": [(s, f"{s or 'no split'}  ({n:,})")
                                         for s, n in sorted(choices.splits.items())]})
        self.status.shown = {s: STATUS_TITLES[s].lower() for s in STATUSES}
        self.batch.shown = {uid: text.split(":")[0] for uid, text in choices.batches}
        counts = choices.statuses
        self.status.set_values({"Status": [(s, f"{STATUS_TITLES[s]}  ({counts.get(s, 0):,})") for s in STATUSES]})
        self.classes.set_values({"Has a label of": [(c, c) for c in choices.classes],
                                 "Has no label of": [(c, c) for c in choices.classes]})
        self.annotator.set_values({"Annotator": [(m, m) for m in choices.annotators]})
        self.batch.set_values({"Import batch": [(uid, text) for uid, text in choices.batches]})
        self.tag.set_values({"Tag": [(t, t) for t in tags]})
        # Offer only the filters this dataset can use (checked ones stay visible).
        for chip in (self.classes, self.annotator, self.batch, self.tag):
            useful = (chip.has_values() and (chip is not self.batch or len(choices.batches) > 1)
                      or bool(chip.checked()))
            chip.setVisible(useful and not (self.versioned and chip is self.annotator))
        keep = self.meta_editor.key.currentText()
        self.meta_editor.key.clear()
        self.meta_editor.key.addItems([k for k in meta_keys if k not in ("tags", "kept")])
        self.meta_editor.key.setCurrentText(keep)

    def set_versioned(self, on: bool) -> None:
        """Showing a version (``on``): its items have no review state or annotators, so the
        Status and Annotator drop-downs go (and lose what was ticked in them)."""
        self.versioned = on
        if on:
            self.status.clear()
            self.annotator.clear()
        self.status.setVisible(not on)
        if on:
            self.annotator.setVisible(False)

    def item_filter(self) -> ItemFilter:
        return ItemFilter(
            text=self.search.text().strip(),
            splits=tuple(self.split.checked()),
            statuses=tuple(self.status.checked()),
            with_classes=tuple(self.classes.checked("Has a label of")),
            without_classes=tuple(self.classes.checked("Has no label of")),
            annotators=tuple(self.annotator.checked()),
            batches=tuple(self.batch.checked()),
            meta=tuple(self.meta_conditions),
            tags=tuple(self.tag.checked()),
        )

    def set_filter(self, f: ItemFilter) -> None:
        """Show ``f`` (and emit it)."""
        self.search.blockSignals(True)
        self.search.setText(f.text)
        self.search.blockSignals(False)
        self.split.check("Split", f.splits)
        self.status.check("Status", f.statuses)
        self.classes.check("Has a label of", f.with_classes)
        self.classes.check("Has no label of", f.without_classes)
        self.annotator.check("Annotator", f.annotators)
        self.batch.check("Import batch", f.batches)
        self.tag.check("Tag", f.tags)
        self.meta_conditions = list(f.meta)
        self._rebuild_meta_menu()
        self._emit()

    def clear(self) -> None:
        self.set_filter(ItemFilter())

    def _add_meta(self) -> None:
        try:
            condition = self.meta_editor.condition()
        except LabelHubError as exc:
            self.error.emit(str(exc))
            return
        if condition not in self.meta_conditions:
            self.meta_conditions.append(condition)
        self.meta_editor.value.clear()
        self.meta_button.menu().close()
        self._rebuild_meta_menu()
        self._emit()

    def _remove_meta(self, condition: MetaCondition) -> None:
        if condition in self.meta_conditions:
            self.meta_conditions.remove(condition)
        self._rebuild_meta_menu()
        self._emit()

    def _rebuild_meta_menu(self) -> None:
        menu = self.meta_button.menu()
        for action in list(menu.actions()):
            if not isinstance(action, QWidgetAction):
                menu.removeAction(action)
                action.deleteLater()
        if not any(isinstance(a, QWidgetAction) for a in menu.actions()):
            holder = QWidgetAction(menu)
            holder.setDefaultWidget(self.meta_editor)
            menu.addAction(holder)
        if self.meta_conditions:
            menu.addSection("Active (click to remove)")
            for condition in self.meta_conditions:
                action = menu.addAction(f"✕  {condition.describe()}")
                action.triggered.connect(lambda _c=False, cond=condition: self._remove_meta(cond))
        n = len(self.meta_conditions)
        self.meta_button.setText("Metadata ▾" if not n else f"Metadata: {n} test{'s' if n > 1 else ''} ▾")
        self.meta_button.setProperty("active", bool(n))
        self.meta_button.style().unpolish(self.meta_button)
        self.meta_button.style().polish(self.meta_button)

    def _emit(self) -> None:
        self._timer.stop()
        f = self.item_filter()
        self.clear_button.setVisible(not f.empty)
        self.changed.emit(f)
