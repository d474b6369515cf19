"""Side panels of the Annotate workspace: the class picker (search, hotkeys, per-class show and
lock), the label-set layers, and the image tags."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.project import LabelClassInfo, LabelSetInfo

CLASS, KEY, SHOWN, LOCKED = range(4)


def swatch(color: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(QColor(0, 0, 0, 90))
    painter.drawRoundedRect(0, 0, size - 1, size - 1, 3, 3)
    painter.end()
    return QIcon(pix)


def class_keys(classes: list[LabelClassInfo]) -> dict[str, str]:
    """The key that picks each class (by uid): its own hotkey, else its position 1-9 when no
    other class has that digit as its hotkey."""
    taken = {c.hotkey for c in classes if c.hotkey}
    keys: dict[str, str] = {}
    for position, c in enumerate(classes, start=1):
        if c.hotkey:
            keys[c.uid] = c.hotkey.upper()
        elif position <= 9 and str(position) not in taken:
            keys[c.uid] = str(position)
    return keys


class _SearchField(QLineEdit):
    """The class search: Enter picks the first match, Esc gives the keyboard back."""

    picked = Signal()
    left = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.picked.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            self.left.emit()
            return
        super().keyPressEvent(event)


class ClassPanel(QWidget):
    """The dataset's classes: pick the current one, search them, show/hide and lock/unlock a
    whole class on the canvas (for this session)."""

    class_chosen = Signal(str)  # uid
    visibility_changed = Signal(str, bool)  # uid, shown
    lock_changed = Signal(str, bool)  # uid, locked
    search_done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = _SearchField(self)
        self.search.setPlaceholderText("Search classes (C)")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Class", "Key", "Shown", "Locked"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.tree.header()
        header.setSectionResizeMode(CLASS, QHeaderView.ResizeMode.Stretch)
        for col in (KEY, SHOWN, LOCKED):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self.classes: list[LabelClassInfo] = []
        self.keys: dict[str, str] = {}
        self.current: str | None = None
        self._filling = False
        self.search.textChanged.connect(self._filter)
        self.search.picked.connect(self._pick_first)
        self.search.left.connect(self.search_done)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemChanged.connect(self._changed)

    def set_classes(self, classes: list[LabelClassInfo], hidden: set[str], locked: set[str]) -> None:
        self._filling = True
        self.classes = classes
        self.keys = class_keys(classes)
        self.tree.clear()
        for c in classes:
            item = QTreeWidgetItem([c.name, self.keys.get(c.uid, ""), "", ""])
            item.setIcon(CLASS, swatch(c.color))
            item.setData(CLASS, Qt.ItemDataRole.UserRole, c.uid)
            item.setToolTip(CLASS, f"{c.name}: {', '.join(k.replace('_', ' ') for k in c.kinds)}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(SHOWN, Qt.CheckState.Unchecked if c.uid in hidden else Qt.CheckState.Checked)
            item.setCheckState(LOCKED, Qt.CheckState.Checked if c.uid in locked else Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        self._filling = False
        self.set_current(self.current if any(c.uid == self.current for c in classes)
                         else (classes[0].uid if classes else None))
        self._filter(self.search.text())

    def set_current(self, uid: str | None) -> None:
        self.current = uid
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(CLASS, Qt.ItemDataRole.UserRole) == uid:
                self.tree.setCurrentItem(item)
                return
        self.tree.clearSelection()

    def set_enabled_kind(self, kind: str | None) -> None:
        """Grey out the classes that do not allow shapes of ``kind`` (None: all allowed)."""
        for i, c in enumerate(self.classes):
            item = self.tree.topLevelItem(i)
            ok = kind is None or c.allows(kind)
            item.setForeground(CLASS, self.palette().text() if ok else self.palette().placeholderText())
            item.setToolTip(CLASS, c.name if ok else f"{c.name} does not allow {kind.replace('_', ' ')} shapes")

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def matches(self, text: str) -> list[LabelClassInfo]:
        t = text.strip().lower()
        return [c for c in self.classes if t in c.name.lower() or (t and self.keys.get(c.uid, "").lower() == t)]

    def _filter(self, text: str) -> None:
        shown = {c.uid for c in self.matches(text)}
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setHidden(item.data(CLASS, Qt.ItemDataRole.UserRole) not in shown)

    def _pick_first(self) -> None:
        found = self.matches(self.search.text())
        if found:
            self.class_chosen.emit(found[0].uid)
        self.search.clear()
        self.search_done.emit()

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column == CLASS or column == KEY:
            self.class_chosen.emit(item.data(CLASS, Qt.ItemDataRole.UserRole))

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling:
            return
        uid = item.data(CLASS, Qt.ItemDataRole.UserRole)
        if column == SHOWN:
            self.visibility_changed.emit(uid, item.checkState(SHOWN) == Qt.CheckState.Checked)
        elif column == LOCKED:
            self.lock_changed.emit(uid, item.checkState(LOCKED) == Qt.CheckState.Checked)


def set_title(s: LabelSetInfo, me: str) -> str:
    if s.kind == "ground_truth":
        return "Ground truth"
    if s.kind == "annotator":
        return "Your labels" if s.member == me else f"{s.member or s.name}'s labels"
    return f"Predictions: {s.name}"


class LayersPanel(QWidget):
    """The label sets of the dataset: which one new shapes go into, and which others are
    shown (read-only) over the image."""

    target_changed = Signal(str)  # layer key
    visibility_changed = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QLabel("Draw in", self)
        self.target = QComboBox(self)
        self.target.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.others = QWidget(self)
        self.others_layout = QVBoxLayout(self.others)
        self.others_layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(row)
        layout.addWidget(self.target)
        layout.addWidget(QLabel("Also show (read-only)", self))
        layout.addWidget(self.others)
        self.boxes: dict[str, QCheckBox] = {}
        self.target.currentIndexChanged.connect(
            lambda _i: self.target_changed.emit(self.target.currentData() or ""))

    def set_layers(self, editable: list[tuple[str, str]], others: list[tuple[str, str, bool, int]],
                   target: str) -> None:
        """``editable``: (key, title); ``others``: (key, title, shown, shapes on this item)."""
        self.target.blockSignals(True)
        self.target.clear()
        for key, title in editable:
            self.target.addItem(title, key)
        self.target.setCurrentIndex(max(self.target.findData(target), 0))
        self.target.blockSignals(False)
        for box in self.boxes.values():
            box.hide()
            box.deleteLater()
        self.boxes = {}
        for key, title, shown, count in others:
            box = QCheckBox(f"{title}  ({count})", self.others)
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.setChecked(shown)
            box.toggled.connect(lambda on, k=key: self.visibility_changed.emit(k, on))
            self.others_layout.addWidget(box)
            self.boxes[key] = box
        if not others:
            box = QCheckBox("No other label sets", self.others)
            box.setEnabled(False)
            self.others_layout.addWidget(box)
            self.boxes[""] = box


class TagsPanel(QWidget):
    """Image-level tags (classification): one check box per class that allows tags."""

    toggled = Signal(str, bool)  # class uid, on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.single = QCheckBox("One tag per image", self)
        self.single.setToolTip("Single-label classification: a new tag replaces the image's tag")
        self.single.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.layout_.addWidget(self.single)
        self.boxes: dict[str, QCheckBox] = {}
        self.empty = QLabel("No class of this dataset allows image tags.", self)
        self.empty.setWordWrap(True)
        self.layout_.addWidget(self.empty)

    def set_classes(self, classes: list[LabelClassInfo], keys: dict[str, str], on: set[str],
                    editable: bool) -> None:
        for box in self.boxes.values():
            box.hide()
            box.deleteLater()
        self.boxes = {}
        taggable = [c for c in classes if c.allows("tag")]
        for c in taggable:
            key = keys.get(c.uid)
            box = QCheckBox(f"{c.name}" + (f"  [{key}]" if key and c.kinds == ("tag",) else ""), self)
            box.setIcon(swatch(c.color))
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.setChecked(c.uid in on)
            box.setEnabled(editable)
            box.clicked.connect(lambda checked, uid=c.uid: self.toggled.emit(uid, checked))
            self.layout_.addWidget(box)
            self.boxes[c.uid] = box
        self.empty.setVisible(not taggable)
        self.single.setVisible(bool(taggable))

    def set_on(self, on: set[str]) -> None:
        for uid, box in self.boxes.items():
            box.setChecked(uid in on)
