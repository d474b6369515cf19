"""The browser of one dataset: filters, a count that follows them, the items as a grid or a
table (one model, one selection), and the actions on the selected items.

It also shows a dataset as one of its versions held it (``set_dataset(..., version=)``): the
same grid, table and filters over the items at the version's change, read-only (every editing
button hidden, the context menu down to Open in Annotate), without the review state, which
versions do not keep (no Status or Annotators column or filter)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.assets.actions import ItemActions
from labelhub.gui.assets.filters import FilterBar
from labelhub.gui.assets.grid import THUMB_BOX, ItemGridView, ItemTableView
from labelhub.gui.assets.item_model import ItemModel
from labelhub.gui.assets.jobs import Reader
from labelhub.gui.assets.thumbnails import ThumbnailLoader
from labelhub.gui.messages import show_error
from labelhub.gui.theme import current_colours
from labelhub.project.item_filter import ItemFilter, ItemQuery

#: Selections larger than this are kept across a refresh only as "everything".
KEEP_SELECTION = 50_000
#: Table columns a version cannot fill: the review state and the annotators are not versioned.
UNVERSIONED_COLUMNS = (2, 4)


class DatasetBrowser(QWidget):
    """Browse one dataset's items. ``datasets_changed`` asks the window to refresh after an
    edit; ``window_ref`` (the main window) opens items in Annotate."""

    datasets_changed = Signal()
    #: Entered or left a version, or the version shown changed (re-tagged, deprecated).
    version_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ref: Any = None
        self.project: Any = None
        self.dataset: str | None = None
        self.info: Any = None
        self.version: Any = None  # the VersionInfo shown, None for the dataset as it is now
        self._seq = -1
        self._keep: tuple[list[str], str | None, bool] | None = None
        self.model = ItemModel(self)
        # What the views show: the model's rows as they are (no sorting, no filtering here), but
        # counted in C++. A list view lays out every row, asking the model about each one: a
        # million questions to a Python model took seconds of the GUI thread after each query.
        self.rows = QSortFilterProxyModel(self)
        self.rows.setDynamicSortFilter(False)
        self.rows.setSourceModel(self.model)
        self.loader = ThumbnailLoader(THUMB_BOX, self)
        self.reader = Reader(self)
        self.meta_keys: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 18, 20, 10)
        layout.setSpacing(10)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel("", self)
        self.title.setObjectName("PageTitle")
        self.subtitle = QLabel("", self)
        self.subtitle.setObjectName("Muted")
        self.subtitle.setWordWrap(True)
        self.subtitle.setMinimumWidth(200)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        self.datasheet_button = QPushButton("Datasheet…", self)
        self.datasheet_button.setToolTip("Purpose, source, licence, consent and uses of this dataset")
        self.clean_button = QPushButton("Cleaning report…", self)
        self.clean_button.setToolTip("Find duplicates, unreadable, tiny, dark, bright and blurry images, "
                                     "items without labels and labels outside their image")
        self.split_button = QPushButton("Split dataset…", self)
        self.split_button.setToolTip("Assign train/val/test by ratio, stratified or grouped")
        self.edit_buttons: list[QWidget] = [self.split_button, self.clean_button, self.datasheet_button]
        for button in (self.split_button, self.clean_button, self.datasheet_button):
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        self.filters = FilterBar(self)
        layout.addWidget(self.filters)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("Muted")
        bar.addWidget(self.count_label, 1)
        self.set_split_button = QToolButton(self)
        self.set_split_button.setText("Set split ▾")
        self.set_split_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.metadata_button = QToolButton(self)
        self.metadata_button.setText("Edit metadata…")
        self.tag_button = QToolButton(self)
        self.tag_button.setText("Tag…")
        self.csv_button = QToolButton(self)
        self.csv_button.setText("Import metadata CSV…")
        for button in (self.set_split_button, self.metadata_button, self.tag_button, self.csv_button):
            button.setObjectName("BarButton")
            bar.addWidget(button)
            self.edit_buttons.append(button)
        bar.addSpacing(12)
        self.grid_toggle = QToolButton(self)
        self.grid_toggle.setText("Grid")
        self.table_toggle = QToolButton(self)
        self.table_toggle.setText("Table")
        self.view_group = QButtonGroup(self)
        for i, button in enumerate((self.grid_toggle, self.table_toggle)):
            button.setCheckable(True)
            button.setObjectName("Segment")
            self.view_group.addButton(button, i)
            bar.addWidget(button)
        self.grid_toggle.setChecked(True)
        layout.addLayout(bar)

        self.views = QStackedWidget(self)
        self.grid = ItemGridView(self.loader, self.views)
        self.grid.setModel(self.rows)
        self.table = ItemTableView(self.views)
        self.table.setModel(self.rows)
        self.table.setSelectionModel(self.grid.selectionModel())  # one selection for both
        self.selection = self.grid.selectionModel()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.table)
        layout.addWidget(self.views, 1)
        self.empty_label = QLabel("", self)
        self.empty_label.setObjectName("Muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        layout.addWidget(self.empty_label)

        self.actions = ItemActions(self)
        self.view_group.idClicked.connect(self.show_view)
        self.filters.changed.connect(self._filter_changed)
        self.filters.error.connect(lambda text: show_error(self, text, title="Filter"))
        self.model.loaded.connect(self._loaded)
        self.model.about_to_reset.connect(self._remember_selection)
        self.model.modelReset.connect(self._update_count)
        self.model.modelReset.connect(self._apply_columns)
        self._choices_waiting = False
        self.model.modelReset.connect(self._first_rows_in)
        self.model.rowsInserted.connect(self._update_count)
        self.model.failed.connect(lambda error: show_error(self, error, title="Could not list the items"))
        self.selection.selectionChanged.connect(self._update_count)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self.model.sort)
        for view in (self.grid, self.table):
            view.open_requested.connect(self.open_item)
            view.customContextMenuRequested.connect(self._context_menu)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(2, 130)
        self.update_permissions()
        self.refresh_icons()

    # ----------------------------------------------------------------------------- source
    @property
    def at_seq(self) -> int | None:
        """The change the items are read at: the version's, None for now."""
        return self.version.seq if self.version is not None else None

    def set_project(self, project: Any) -> None:
        self.project = project
        self.dataset = None
        self._seq = -1
        if self.version is not None:
            self.version = None
            self._apply_mode()
            self.version_changed.emit()
        self.loader.set_folder(project.folder if project is not None else None)
        self.model.set_source(project, None)
        self.update_permissions()

    def set_dataset(self, name: str | None, info: Any = None, version: Any = None) -> None:
        """Browse ``name`` (None: nothing) as it is now, or as ``version`` (a VersionInfo of
        it) held it, read-only."""
        same = (version is None) == (self.version is None) and (
            version is None or (version.dataset, version.number) == (self.version.dataset, self.version.number))
        self.info = info
        if name == self.dataset and self.project is not None and same:
            if version is not None and version != self.version:  # a fresher record of it
                self.version = version
                self.version_changed.emit()
            self._show_header()
            self.refresh()
            return
        self.version = version if name is not None else None
        self._show_header()
        self.dataset = name
        self._keep = None
        self.filters.blockSignals(True)
        self.filters.clear()
        self.filters.blockSignals(False)
        self.model.query = ItemQuery()
        self.table.horizontalHeader().blockSignals(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().blockSignals(False)
        self._seq = self._project_seq()
        self._apply_mode()
        self.model.set_source(self.project, name, self.at_seq)
        self._load_choices()
        self.update_permissions()
        self.version_changed.emit()

    def leave_version(self) -> None:
        """Back to the dataset as it is now."""
        if self.version is not None:
            self.set_dataset(self.dataset, self.info)

    def refresh(self) -> None:
        """Re-run the query if the project changed since (selection kept by item). A version's
        items never change; only the version's own record may have (tagged, deprecated)."""
        if self.project is None or self.dataset is None:
            return
        seq = self._project_seq()
        if seq == self._seq:
            return
        self._seq = seq
        if self.version is not None:
            self._reread_version()
            return
        self.model.run()
        self._load_choices()

    def _reread_version(self) -> None:
        try:
            fresh = self.project.version(self.dataset, self.version.number)
        except LabelHubError:
            return
        if fresh != self.version:
            self.version = fresh
            self._show_header()
            self.version_changed.emit()

    def _apply_mode(self) -> None:
        """Show what the mode allows: a version hides every edit and the unversioned columns."""
        past = self.version is not None
        for button in self.edit_buttons:
            button.setVisible(not past)
        self.filters.set_versioned(past)
        self._apply_columns()
        self.actions.update_enabled()

    def _apply_columns(self) -> None:
        for column in UNVERSIONED_COLUMNS:
            self.table.setColumnHidden(column, self.version is not None)

    def _project_seq(self) -> int:
        try:
            return self.project.seq() if self.project is not None else -1
        except Exception:  # noqa: BLE001 - a closed project: nothing to show
            return -1

    def _show_header(self) -> None:
        info = self.info
        self.title.setText(info.name if info is not None else "")
        if info is None:
            self.subtitle.setText("")
            return
        sheet = info.datasheet or {}
        bits = [f"{info.item_count:,} items"]
        if self.version is not None:
            bits = [f"{self._total():,} items in {self.version.label}", f"{info.item_count:,} now"]
        if info.description:
            bits.append(info.description.replace("\n", " ")[:120])
        if sheet.get("licence"):
            bits.append(f"licence: {sheet['licence']}")
        self.subtitle.setText(" · ".join(bits))

    @property
    def settled(self) -> bool:
        """Rows, counts and filter choices are all in (nothing is being read)."""
        return not self.model.loading and not self._choices_waiting and not self.reader.pending

    def _first_rows_in(self) -> None:
        if self._choices_waiting:
            self._choices_waiting = False
            self._load_choices()

    def _load_choices(self) -> None:
        project, dataset = self.project, self.dataset
        if project is None or dataset is None:
            return
        if self.model.loading and self.model.rowCount() == 0:
            # The first screenful first: reading the filter choices (a quarter of a second at a
            # million items) beside it on another thread delayed the first painted grid by half.
            self._choices_waiting = True
            return

        at_seq = self.at_seq

        def read() -> tuple[Any, list[str], list[str]]:
            choices = project.filter_choices(dataset, at_seq=at_seq)
            keys = project.metadata_keys(dataset, at_seq=at_seq)
            tags = project.item_tags(dataset, at_seq=at_seq) if "tags" in keys else []
            return choices, keys, tags

        def done(result: tuple[Any, list[str], list[str]]) -> None:
            if dataset != self.dataset or at_seq != self.at_seq:
                return
            choices, keys, tags = result
            self.meta_keys = keys
            self.filters.set_choices(choices, keys, tags)
            if self.model.would_change_columns(keys):
                self._remember_selection()
                self.model.set_extra_keys(keys)
                if not self.model.loading:
                    # Rows still loading hold the items' old row ids (an edit makes new
                    # versions): the selection is put back when the new rows arrive.
                    self._restore_selection()
            self.actions.set_splits(sorted(s for s in choices.splits if s))

        self.reader.read(read, done, lambda error: show_error(self, error, title="Could not read the filters"))

    # ------------------------------------------------------------------------- querying
    def _filter_changed(self, item_filter: ItemFilter) -> None:
        query = self.model.query
        self.model.set_query(ItemQuery(item_filter, query.sort, query.descending))
        self._update_count()

    def _update_count(self) -> None:
        if self.dataset is None:
            self.count_label.setText("")
            return
        shown = self.model.rowCount()
        total = self._total(shown)
        selected = self.selected_count()
        filtered = not self.model.query.filter.empty
        parts = [f"{shown:,} of {total:,} items" if filtered else f"{shown:,} items"]
        if self.model.loading:
            parts[0] = "Searching… " + (parts[0] if shown else "")
        if selected:
            parts.append(f"{selected:,} selected")
        self.count_label.setText(" · ".join(p for p in parts if p))
        empty = not self.model.loading and shown == 0
        self.empty_label.setVisible(empty)
        if empty:
            self.empty_label.setText("No items match these filters." if not self.model.query.filter.empty
                                     else "This version holds no items." if self.version is not None
                                     else "This dataset has no images yet. Import some with Import….")
        self.actions.update_enabled()

    def _total(self, fallback: int = 0) -> int:
        """How many items the dataset has now, or had in the version shown."""
        if self.version is not None:
            return int(self.version.stats.get("items", fallback))
        return self.info.item_count if self.info is not None else fallback

    def _loaded(self) -> None:
        self._restore_selection()
        self._update_count()

    # ------------------------------------------------------------------------- selection
    def selected_rows(self) -> np.ndarray:
        """Selected rows, sorted, from the selection's ranges (no index per row)."""
        parts = [np.arange(r.top(), r.bottom() + 1) for r in self.selection.selection()]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)

    def selected_count(self) -> int:
        return int(len(self.selected_rows()))

    def all_selected(self) -> bool:
        n = self.model.rowCount()
        return n > 0 and self.selected_count() == n

    def selected_uids(self) -> list[str]:
        """Uids of the selected items; for everything shown, asked of the project at once."""
        if self.project is None or self.dataset is None:
            return []
        if self.all_selected() and self.model.rowCount() > 2000:
            return self.project.item_uids(self.dataset, self.model.query, at_seq=self.at_seq)
        return self.model.uids([int(r) for r in self.selected_rows()])

    def select_rows(self, rows: np.ndarray, current: int | None = None) -> None:
        selection = QItemSelection()
        rows = np.asarray(rows, np.int64)
        if len(rows):
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            last = self.model.columnCount() - 1
            for run in np.split(rows, breaks):
                selection.select(self.rows.index(int(run[0]), 0), self.rows.index(int(run[-1]), last))
        self.selection.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if current is not None and 0 <= current < self.model.rowCount():
            self.selection.setCurrentIndex(self.rows.index(current, 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _remember_selection(self) -> None:
        if self._keep is not None or self.dataset is None:
            return
        rows = self.selected_rows()
        current = self.selection.currentIndex()
        current_uid = self.model.uid(current.row()) if current.isValid() else None
        everything = self.all_selected()
        uids = [] if everything or len(rows) > KEEP_SELECTION else self.model.uids([int(r) for r in rows])
        self._keep = (uids, current_uid, everything)

    def _restore_selection(self) -> None:
        keep, self._keep = self._keep, None
        if keep is None or self.project is None or self.dataset is None:
            return
        uids, current_uid, everything = keep
        if everything:
            self.select_rows(np.arange(self.model.rowCount()))
            return
        wanted = uids + ([current_uid] if current_uid else [])
        if not wanted:
            return
        ids = self.project.ids_of_uids(self.dataset, wanted, at_seq=self.at_seq)
        rows = self.model.rows_of_ids(ids[: len(uids)] if uids else np.empty(0, np.int64))
        current_rows = self.model.rows_of_ids(ids[-1:]) if current_uid and len(ids) else np.empty(0, np.int64)
        current = int(current_rows[0]) if len(current_rows) else None
        self.select_rows(rows, current)
        if current is not None:
            view = self.grid if self.views.currentWidget() is self.grid else self.table
            view.scrollTo(self.rows.index(current, 0))

    # ------------------------------------------------------------------------------ views
    def show_view(self, which: int) -> None:
        """0: grid, 1: table; the selection and the current item stay."""
        current = self.selection.currentIndex()
        view = self.grid if which == 0 else self.table
        self.views.setCurrentWidget(view)
        (self.grid_toggle if which == 0 else self.table_toggle).setChecked(True)
        if current.isValid():
            view.scrollTo(current)
        view.setFocus()

    def open_item(self, index: QModelIndex) -> None:
        uid = self.model.uid(index.row()) if index.isValid() else None
        if uid is None or self.dataset is None or self.window_ref is None:
            return
        if self.version is not None:
            self.window_ref.show_item(self.dataset, uid, version=self.version)
        else:
            self.window_ref.show_item(self.dataset, uid)

    def _context_menu(self, pos: QPoint) -> None:
        view = self.sender()
        index = view.indexAt(pos)
        if index.isValid() and not self.selection.isSelected(index):
            self.select_rows(np.asarray([index.row()]), index.row())
        menu = self.actions.context_menu(index if index.isValid() else None)
        menu.exec(view.viewport().mapToGlobal(pos))

    def update_permissions(self) -> None:
        self.actions.update_enabled()

    def refresh_icons(self) -> None:
        """Re-style for the current theme (called when it changes)."""
        c = current_colours()
        self.setStyleSheet(f"""
QToolButton#FilterChip, QToolButton#BarButton, QToolButton#Segment {{
    padding: 4px 10px; border: 1px solid {c.border}; border-radius: 12px; background: {c.button};
    color: {c.text};
}}
QToolButton#FilterChip:disabled, QToolButton#BarButton:disabled, QToolButton#Segment:disabled {{
    color: {c.disabled};
}}
QToolButton#BarButton, QToolButton#Segment {{ border-radius: 6px; }}
QToolButton#FilterChip::menu-indicator, QToolButton#BarButton::menu-indicator {{ image: none; width: 0px; }}
QToolButton#FilterChip:hover, QToolButton#BarButton:hover, QToolButton#Segment:hover {{ border-color: {c.accent}; }}
QToolButton#FilterChip[active="true"] {{ background: {c.selection_soft}; border-color: {c.accent}; }}
QToolButton#Segment:checked {{ background: {c.accent}; color: {c.accent_text}; border-color: {c.accent}; }}
QToolButton#BarButton:disabled {{ color: {c.disabled}; background: {c.alternate}; }}
QToolButton#LinkButton {{ border: none; color: {c.link}; padding: 4px 6px; }}
""")
        self.grid.viewport().update()
