"""The Compare tab: pick two versions (or the current state), see what changed between them."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.tasks import Progress
from labelhub.gui.versions.diff_overlay import DiffOverlay
from labelhub.gui.versions.models import CountsDiffModel, DiffModel, diff_rows, make_table

CURRENT = "current"
FILTERS = (("Every change", None), ("Label classes", "Label class"), ("Items", "Item"),
           ("Annotations", "Annotation"))


class _WhatFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what: str | None = None

    def set_what(self, what: str | None) -> None:
        self.beginFilterChange()
        self.what = what
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802
        if self.what is None:
            return True
        row = self.sourceModel().row(source_row)  # type: ignore[attr-defined]
        return row is not None and row.what == self.what


class ComparePanel(QWidget):
    """Two version pickers, the counts per class before and after, the table of changes, and
    the item of the change selected with both versions' labels overlaid on its image.

    Double-clicking an item or annotation opens its item in the Annotate workspace.
    """

    def __init__(self, workspace: Any) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.diff: Any = None
        self.by_item: dict[str, list[Any]] = {}  # item uid -> its annotation changes
        self.annotation_rows: dict[str, int] = {}  # annotation uid -> its row in the model
        self.refs: tuple[int | str, int | str] | None = None  # what was compared
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        row = QHBoxLayout()
        self.before = QComboBox(self)
        self.after = QComboBox(self)
        for combo in (self.before, self.after):
            combo.setMinimumWidth(150)
        self.compare_button = QPushButton("Compare", self)
        row.addWidget(QLabel("From", self))
        row.addWidget(self.before)
        row.addWidget(QLabel("to", self))
        row.addWidget(self.after)
        row.addWidget(self.compare_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.headline = QLabel("Pick two versions and compare them.", self)
        self.headline.setObjectName("Headline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.totals = QLabel(self)
        self.totals.setObjectName("Muted")
        layout.addWidget(self.totals)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.counts_model = CountsDiffModel(self)
        self.counts_table = make_table(split, self.counts_model, stretch=0)
        changes = QWidget(split)
        changes_layout = QVBoxLayout(changes)
        changes_layout.setContentsMargins(0, 6, 0, 0)
        filter_row = QHBoxLayout()
        self.filter = QComboBox(changes)
        for text, what in FILTERS:
            self.filter.addItem(text, what)
        self.shown = QLabel(changes)
        self.shown.setObjectName("Muted")
        filter_row.addWidget(QLabel("Show", changes))
        filter_row.addWidget(self.filter)
        filter_row.addWidget(self.shown, 1)
        changes_layout.addLayout(filter_row)
        self.model = DiffModel(self)
        self.proxy = _WhatFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(changes, self.proxy, stretch=4)
        self.table.setToolTip("Double-click an item or annotation to open its image in Annotate")
        changes_layout.addWidget(self.table, 1)
        self.overlay = DiffOverlay(split)
        split.addWidget(self.counts_table)
        split.addWidget(changes)
        split.addWidget(self.overlay)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 3)
        split.setSizes([90, 190, 480])
        layout.addWidget(split, 1)
        self.compare_button.clicked.connect(self.compare_chosen)
        self.filter.currentIndexChanged.connect(self._filter_changed)
        self.table.doubleClicked.connect(self._open)
        self.table.selectionModel().currentRowChanged.connect(lambda index, _old: self.show_row(index))
        self.overlay.picked.connect(self._picked_on_item)
        self.overlay.open_requested.connect(self.open_in_annotate)
        self._following = False

    def set_versions(self, versions: list[Any]) -> None:
        keep = (self.before.currentData(), self.after.currentData())
        for combo in (self.before, self.after):
            combo.blockSignals(True)
            combo.clear()
            for v in reversed(versions):
                combo.addItem(v.label + (" (deprecated)" if v.deprecated else ""), str(v.number))
            combo.addItem("Current state (not committed)", CURRENT)
            combo.blockSignals(False)
        if keep[0] is not None and self.before.findData(keep[0]) >= 0:
            self.before.setCurrentIndex(self.before.findData(keep[0]))
            self.after.setCurrentIndex(self.after.findData(keep[1]))
        else:
            self.before.setCurrentIndex(min(1, self.before.count() - 1))
            self.after.setCurrentIndex(0)
        self.compare_button.setEnabled(bool(versions))

    def compare_chosen(self) -> None:
        self.compare(self.before.currentData(), self.after.currentData())

    def compare(self, a: int | str, b: int | str) -> None:
        """Compute the diff from ``a`` to ``b`` on a worker; the table fills when it is done."""
        for combo, value in ((self.before, a), (self.after, b)):
            index = combo.findData(str(value))
            if index >= 0:
                combo.setCurrentIndex(index)
        dataset = self.workspace.dataset()
        self.refs = (a, b)

        def work(project: Any, progress: Progress, cancel: threading.Event) -> Any:
            return project.diff_versions(dataset, a, b)

        self.headline.setText("Comparing…")
        self.workspace.run_task("Compare versions", f"Comparing {dataset}…",
                                self.workspace.job(work), self.show_diff)

    def show_diff(self, diff: Any) -> None:
        self.diff = diff
        self.headline.setText(f"{diff.before} → {diff.after}: {diff.describe()}")
        tb, ta = diff.totals_before, diff.totals_after
        self.totals.setText(f"items {tb['items']:,} → {ta['items']:,} · annotations "
                            f"{tb['annotations']:,} → {ta['annotations']:,} · label classes "
                            f"{tb['classes']} → {ta['classes']}")
        self.counts_model.set_rows(diff.counts)
        self.by_item = {}
        for change in diff.annotations:
            self.by_item.setdefault(change.item_uid, []).append(change)
        rows = diff_rows(diff)
        self.annotation_rows = {r.source.uid: i for i, r in enumerate(rows) if r.what == "Annotation"}
        self.model.set_rows(rows)
        self.overlay.clear()
        self._filter_changed()
        if self.annotation_rows:  # the first annotation change on its image at once
            first = self.proxy.mapFromSource(self.model.index(min(self.annotation_rows.values()), 0))
            if first.isValid():
                self.table.selectRow(first.row())

    def show_row(self, index: QModelIndex) -> None:
        """Show the item of the change at proxy ``index`` with both versions overlaid."""
        row = self.model.row(self.proxy.mapToSource(index).row()) if index.isValid() else None
        if row is None or self.diff is None or self._following:
            return
        if row.what == "Label class":
            self.overlay.clear(f"Label class <b>{row.label}</b> {row.change}: it has no image of its own.")
            return
        self.show_item(row.source.item_uid if row.what == "Annotation" else row.source.uid,
                       row.source.uid if row.what == "Annotation" else None)

    def show_item(self, item_uid: str, focus: str | None = None) -> None:
        """Overlay both versions' labels of item ``item_uid`` (``focus``: an annotation to ring)."""
        project = self.workspace.project
        if project is None or self.diff is None:
            return
        if item_uid == self.overlay.item_uid and focus is not None and self.overlay.focus(focus):
            return
        try:
            self.overlay.show_item(project, self.diff, item_uid, self.by_item.get(item_uid, []), focus)
        except LabelHubError as error:
            self.overlay.clear(str(error))

    def open_in_annotate(self, item_uid: str) -> None:
        """Open the item shown in Annotate as the newer side of the comparison holds it (the
        older when the newer does not): read-only for a version, live for the current state."""
        if not item_uid or self.diff is None or self.refs is None:
            return
        project, dataset = self.workspace.project, self.diff.dataset
        for ref in (self.refs[1], self.refs[0]):
            if str(ref) == CURRENT:
                if project.item_info(dataset, item_uid) is not None:
                    self.workspace.window.show_item(dataset, item_uid)
                    return
                continue
            version = next((v for v in self.workspace.versions if str(v.number) == str(ref)), None)
            if version is not None and project.item_info(dataset, item_uid, at_seq=version.seq) is not None:
                self.workspace.window.show_item(dataset, item_uid, version=version)
                return

    def _picked_on_item(self, uid: str) -> None:
        """A change picked beside the image or on it: its line in the table follows."""
        source = self.annotation_rows.get(uid)
        if source is None:
            return
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        if index.isValid():
            self._following = True
            try:
                self.table.selectRow(index.row())
            finally:
                self._following = False

    def _filter_changed(self) -> None:
        self.proxy.set_what(self.filter.currentData())
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown.setText(f"{shown:,} of {total:,} changes" if shown != total else f"{total:,} changes")

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row(self.proxy.mapToSource(index).row())
        if row is None or row.what == "Label class":
            return
        uid = getattr(row.source, "item_uid", None) or row.source.uid
        if row.what == "Item" and row.change == "removed":
            return
        self.workspace.window.show_item(self.workspace.dataset(), uid)
