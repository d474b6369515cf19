"""The Assets workspace: the datasets on the left, the chosen dataset's items on the right.

Without datasets it shows an empty state with Import images… and New dataset…. The main
window owns this page (``window.assets``): it fills the dataset table on every refresh and
routes New dataset… and Import images… to its own dialogs.

``show_version`` browses a dataset as one of its versions held it, read-only, under a banner
naming the version with a Back to current button; picking a dataset in the list or Back
returns to the dataset as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.assets.browser import DatasetBrowser
from labelhub.gui.assets.datasets import DatasetTableModel
from labelhub.gui.icons import icon
from labelhub.gui.messages import show_error
from labelhub.gui.widgets import EmptyState
from labelhub.gui.workspaces import WORKSPACES


def when(time: str) -> str:
    """A change-log time in local time, to the minute."""
    try:
        return datetime.fromisoformat(time).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return time or "an unknown time"


class AssetsWorkspace(QWidget):
    """Datasets (with New dataset… and Import images…) beside the browser of one dataset."""

    new_dataset_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = WORKSPACES[0]
        self.window_ref: Any = None
        self.project: Any = None
        self.model = DatasetTableModel(self)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.empty_state = EmptyState(info.key, info.empty_title, info.empty_text, "", self)
        empty_buttons = QWidget(self.empty_state)
        row = QHBoxLayout(empty_buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.empty_import_button = QPushButton(icon("import"), "Import images…", empty_buttons)
        self.empty_import_button.setDefault(True)
        self.empty_new_button = QPushButton(icon("new"), "New dataset…", empty_buttons)
        row.addWidget(self.empty_import_button)
        row.addWidget(self.empty_new_button)
        self.empty_state.add_widget(empty_buttons)
        self.stack.addWidget(self.empty_state)

        self.page = QWidget(self)
        page_layout = QVBoxLayout(self.page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(0)
        self.banner = self._make_banner(self.page)
        page_layout.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self.page)
        self.splitter.setChildrenCollapsible(False)
        page_layout.addWidget(self.splitter, 1)
        side = QWidget(self.splitter)
        side.setObjectName("DatasetsPane")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(16, 18, 8, 14)
        side_layout.setSpacing(8)
        title = QLabel("Datasets", side)
        title.setObjectName("SectionTitle")
        self.summary_label = QLabel("", side)
        self.summary_label.setObjectName("Muted")
        side_layout.addWidget(title)
        side_layout.addWidget(self.summary_label)
        self.table = QTableView(side)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for column in (2, 3):  # shown in the tooltip and the browser's header instead
            self.table.setColumnHidden(column, True)
        side_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.new_button = QPushButton("New…", side)
        self.new_button.setToolTip("Create an empty dataset")
        self.import_button = QPushButton("Import…", side)
        self.import_button.setToolTip("Import a folder of images (or drop it on the window)")
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.import_button)
        side_layout.addLayout(buttons)
        self.browser = DatasetBrowser(self.splitter)
        self.splitter.addWidget(side)
        self.splitter.addWidget(self.browser)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 900])
        side.setMinimumWidth(190)
        self.stack.addWidget(self.page)

        for button in (self.new_button, self.empty_new_button):
            button.clicked.connect(self.new_dataset_requested)
        for button in (self.import_button, self.empty_import_button):
            button.clicked.connect(self.import_requested)
        self.table.selectionModel().selectionChanged.connect(self._dataset_chosen)
        self.browser.datasets_changed.connect(self._reload_project)
        self.browser.version_changed.connect(self._show_banner)
        self.back_button.clicked.connect(self.back_to_current)
        self._import_allowed = (True, "")
        self._show_banner()

    def _make_banner(self, parent: QWidget) -> QFrame:
        """The strip across the top while a version is shown: which one, read-only, and the way
        back."""
        banner = QFrame(parent)
        banner.setObjectName("AssetsVersionBanner")
        row = QHBoxLayout(banner)
        row.setContentsMargins(18, 10, 16, 10)
        row.setSpacing(14)
        self.banner_label = QLabel(banner)
        self.banner_label.setWordWrap(True)
        self.banner_label.setTextFormat(Qt.TextFormat.RichText)
        self.banner_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.banner_label, 1)
        self.back_button = QPushButton("Back to current", banner)
        self.back_button.setToolTip("Browse the dataset as it is now (and edit it)")
        row.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignVCenter)
        return banner

    # -------------------------------------------------------------------- window plumbing
    def bind(self, window: Any) -> AssetsWorkspace:
        """Attach to the main window (for opening items in Annotate and refreshing it)."""
        self.window_ref = window
        self.browser.window_ref = window
        return self

    def set_project(self, project: Any) -> None:
        self.project = project
        self.browser.set_project(project)

    def refresh(self) -> None:
        self.browser.refresh()

    def _reload_project(self) -> None:
        if self.window_ref is not None:
            self.window_ref.refresh_project()
        else:
            self.browser.refresh()

    # --------------------------------------------------------------------------- datasets
    def set_datasets(self, datasets: Sequence[Any], created: dict[str, str] | None = None) -> None:
        """The project's datasets (on every refresh). The dataset browsed stays, and so does the
        version shown of it."""
        keep = self.current_dataset()
        self.table.selectionModel().blockSignals(True)
        self.model.set_datasets(datasets, created)
        self.table.selectionModel().blockSignals(False)
        total = sum(d.item_count for d in datasets)
        noun = "dataset" if len(datasets) == 1 else "datasets"
        items = "item" if total == 1 else "items"
        self.summary_label.setText(f"{len(datasets)} {noun}, {total:,} {items}")
        self.stack.setCurrentWidget(self.page if datasets else self.empty_state)
        names = self.model.dataset_names()
        if not names:
            self.browser.set_dataset(None)
            return
        name = keep if keep in names else names[0]
        version = self.browser.version if name == self.browser.dataset else None
        self._browse(name, version)

    def show_dataset(self, name: str) -> None:
        """Select dataset ``name`` in the list and browse its items as they are now."""
        self._browse(name, None)

    def show_version(self, dataset: str, version: Any) -> None:
        """Browse ``dataset`` as ``version`` (a VersionInfo from ``Project.versions``) held it:
        read-only, under a banner naming it, until Back to current or another dataset."""
        if self.project is not None:
            try:  # its record as it stands (a VersionInfo kept since may predate a deprecation)
                version = self.project.version(dataset, version.number)
            except LabelHubError as error:
                show_error(self, error)
                return
        self._browse(dataset, version)

    def back_to_current(self) -> None:
        """Leave the version shown for the dataset as it is now."""
        self.browser.leave_version()

    def _browse(self, name: str, version: Any) -> None:
        names = self.model.dataset_names()
        if name not in names:
            return
        row = names.index(name)
        selection = self.table.selectionModel()
        selection.blockSignals(True)  # the list's own handler browses the dataset as it is now
        selection.select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        selection.blockSignals(False)
        self.table.viewport().update()
        self.browser.set_dataset(name, self.model.dataset(row), version)

    def current_dataset(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        names = self.model.dataset_names()
        return names[rows[0].row()] if rows and rows[0].row() < len(names) else None

    def _dataset_chosen(self) -> None:
        name = self.current_dataset()
        if name is not None:
            self.browser.set_dataset(name, self.model.dataset(self.model.dataset_names().index(name)))

    def set_permissions(self, can_create: bool, can_import: bool, refusal: str) -> None:
        """Enable the buttons the signed-in member may use; say why the others are off."""
        for button in (self.new_button, self.empty_new_button):
            button.setEnabled(can_create)
            button.setToolTip("Create an empty dataset" if can_create else refusal)
        self._import_allowed = (can_import, refusal)
        self._enable_import()
        self.browser.update_permissions()

    def _enable_import(self) -> None:
        can_import, refusal = self._import_allowed
        version = self.browser.version
        for button in (self.import_button, self.empty_import_button):
            button.setEnabled(can_import and version is None)
            if version is not None:
                button.setToolTip(f"Viewing {version.label}, read-only: Back to current to import")
            else:
                button.setToolTip("Import a folder of images (or drop it on the window)" if can_import else refusal)

    # ---------------------------------------------------------------------------- versions
    def _banner_colour(self, deprecated: bool) -> str:
        """A soft tint over the base colour (of the palette, so it follows the theme): the
        accent, amber for a deprecated version."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        tint = QColor("#e0a030") if deprecated else palette.color(QPalette.ColorRole.Highlight)
        t = 0.18

        def mix(a: int, b: int) -> int:
            return round(a * (1 - t) + b * t)

        return QColor(mix(base.red(), tint.red()), mix(base.green(), tint.green()),
                      mix(base.blue(), tint.blue())).name()

    def _show_banner(self) -> None:
        version = self.browser.version
        self.banner.setVisible(version is not None)
        self._enable_import()
        if version is None:
            self.banner_label.setText("")
            return
        palette = self.palette()
        muted = palette.color(QPalette.ColorRole.PlaceholderText).name()
        accent = palette.color(QPalette.ColorRole.Highlight).name()
        tag = f" ({escape(version.tag)})" if version.tag else ""
        text = (f"<b>Version {version.number}{tag} of {escape(version.dataset)}</b>, committed "
                f"{escape(when(version.time))} by {escape(version.author or 'unknown')} — <b>read-only</b>")
        if version.message:
            text += f"<br><span style='color:{muted}'>“{escape(version.message)}”</span>"
        if version.deprecated:
            text += f"<br><b>Deprecated:</b> {escape(version.deprecated_reason or '')}"
        self.banner_label.setText(text)
        border = "#c98a12" if version.deprecated else accent
        self.banner.setStyleSheet(
            f"#AssetsVersionBanner {{ background: {self._banner_colour(version.deprecated)}; "
            f"border-bottom: 1px solid {border}; }}")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._show_banner()  # its colours follow the theme
        super().changeEvent(event)

    def showing_table(self) -> bool:
        """True when the datasets are listed (rather than the empty state)."""
        return self.stack.currentWidget() is self.page

    def refresh_icons(self) -> None:
        self.empty_state.refresh_icons()
        for button, name in ((self.empty_new_button, "new"), (self.empty_import_button, "import")):
            button.setIcon(icon(name))
        self.browser.refresh_icons()
