"""The Versions workspace: a dataset's versions with their counts, a read-only view of any of
them, the differences between two, and the ways in and out: commit, tag, deprecate, export
and import labels. A version opens read-only in the Assets workspace (Browse in Assets, or a
double-click on it) and any of its items in Annotate (Open in Annotate, or a double-click)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.icons import icon
from labelhub.gui.messages import show_error, show_info
from labelhub.gui.tasks import BackgroundTask, Progress
from labelhub.gui.versions.compare import ComparePanel
from labelhub.gui.versions.dialogs import CommitDialog, DeprecateDialog, TagDialog
from labelhub.gui.versions.export_dialog import ExportDialog
from labelhub.gui.versions.import_dialog import ImportLabelsDialog
from labelhub.gui.versions.loader import ItemsLoader
from labelhub.gui.versions.models import (
    ClassCountsModel,
    ItemsModel,
    VersionTableModel,
    make_table,
    split_name,
    stretch_first,
    when,
)
from labelhub.gui.widgets import EmptyState


class VersionsWorkspace(QWidget):
    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.project: Any = None
        self.versions: list[Any] = []
        self.task: BackgroundTask | None = None
        self.loaders: set[ItemsLoader] = set()
        self._request = 0
        self.last_report: Any = None
        self.dialog: QDialog | None = None  # the dialog open over the workspace, if any

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)
        self.empty_state = EmptyState("versions", "No datasets yet",
                                      "Versions freeze a dataset's ground truth. Create a dataset and "
                                      "import images in the Assets workspace first.", "", self)
        self.stack.addWidget(self.empty_state)

        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        header = QHBoxLayout()
        title = QLabel("Versions", page)
        title.setObjectName("PageTitle")
        self.summary = QLabel(page)
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        header.addWidget(title)
        header.addStretch(1)
        self.dataset_combo = QComboBox(page)
        self.dataset_combo.setMinimumWidth(180)
        self.import_button = QPushButton(icon("import"), "Import labels…", page)
        self.commit_button = QPushButton(icon("versions"), "Commit version…", page)
        self.commit_button.setDefault(True)
        header.addWidget(QLabel("Dataset", page))
        header.addWidget(self.dataset_combo)
        header.addSpacing(12)
        header.addWidget(self.import_button)
        header.addWidget(self.commit_button)
        layout.addLayout(header)
        layout.addWidget(self.summary)

        splitter = QSplitter(Qt.Orientation.Horizontal, page)
        self.model = VersionTableModel(self)
        self.table = make_table(splitter, self.model, stretch=1)
        self.table.setMinimumWidth(340)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs = QTabWidget(splitter)
        self.tabs.addTab(self._contents_tab(), "Contents")
        self.compare = ComparePanel(self)
        self.tabs.addTab(self.compare, "Compare")
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([360, 900])  # the Compare canvas gets the room
        layout.addWidget(splitter, 1)
        self.stack.addWidget(page)
        self._page = page

        self.dataset_combo.currentIndexChanged.connect(self._dataset_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.commit_button.clicked.connect(self.commit_version)
        self.import_button.clicked.connect(self.import_labels)
        self.tag_button.clicked.connect(self.tag_version)
        self.deprecate_button.clicked.connect(self.deprecate_version)
        self.export_button.clicked.connect(self.export_version)
        self.compare_button.clicked.connect(self.compare_with_previous)
        self.browse_button.clicked.connect(self.browse_version)
        self.table.doubleClicked.connect(lambda _index: self.browse_version())
        self.open_item_button.clicked.connect(lambda _checked=False: self.open_item())
        self.items_table.doubleClicked.connect(lambda index: self.open_item(index.row()))
        self.items_table.selectionModel().selectionChanged.connect(self._item_selection_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._abandon)

    def _contents_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        self.banner = QFrame(tab)
        self.banner.setObjectName("VersionBanner")
        banner_layout = QVBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 8, 12, 8)
        self.banner_label = QLabel(self.banner)
        self.banner_label.setWordWrap(True)
        self.banner_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        banner_layout.addWidget(self.banner_label)
        layout.addWidget(self.banner)
        actions = QHBoxLayout()
        self.tag_button = QPushButton("Tag…", tab)
        self.deprecate_button = QPushButton("Deprecate…", tab)
        self.compare_button = QPushButton("Compare with previous", tab)
        self.export_button = QPushButton("Export…", tab)
        self.browse_button = QPushButton(icon("assets"), "Browse in Assets", tab)
        self.browse_button.setToolTip("Browse this version's items read-only in the Assets workspace, "
                                      "with its filters (or double-click the version)")
        for button in (self.tag_button, self.deprecate_button, self.compare_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.browse_button)
        actions.addWidget(self.export_button)
        layout.addLayout(actions)
        self.stats_label = QLabel(tab)
        self.stats_label.setObjectName("Muted")
        self.stats_label.setWordWrap(True)
        layout.addWidget(self.stats_label)
        split = QSplitter(Qt.Orientation.Vertical, tab)
        self.counts_model = ClassCountsModel(self)
        self.counts_table = make_table(split, self.counts_model, stretch=0)
        self.items_model = ItemsModel(self)
        items_pane = QWidget(split)
        items_layout = QVBoxLayout(items_pane)
        items_layout.setContentsMargins(0, 6, 0, 0)
        items_layout.setSpacing(6)
        items_bar = QHBoxLayout()
        self.items_label = QLabel("Items", items_pane)
        self.items_label.setObjectName("Muted")
        self.open_item_button = QPushButton(icon("annotate"), "Open in Annotate", items_pane)
        self.open_item_button.setToolTip("Open the selected item as this version holds it, read-only "
                                         "(or double-click it)")
        self.open_item_button.setEnabled(False)
        items_bar.addWidget(self.items_label, 1)
        items_bar.addWidget(self.open_item_button)
        items_layout.addLayout(items_bar)
        self.items_table = make_table(items_pane, self.items_model, stretch=0)
        items_layout.addWidget(self.items_table, 1)
        split.addWidget(self.counts_table)
        split.addWidget(items_pane)
        split.setStretchFactor(1, 2)
        split.setSizes([170, 400])
        layout.addWidget(split, 1)
        return tab

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._show_version(self.selected_version())  # the banner's colours follow the theme
            self.refresh_icons()
        super().changeEvent(event)

    def refresh_icons(self) -> None:
        self.import_button.setIcon(icon("import"))
        self.commit_button.setIcon(icon("versions"))
        self.browse_button.setIcon(icon("assets"))
        self.open_item_button.setIcon(icon("annotate"))
        self.empty_state.refresh_icons()

    # ------------------------------------------------------------------------- the project
    def set_project(self, project: Any) -> None:
        self.project = project
        self.refresh()

    def dataset(self) -> str | None:
        return self.dataset_combo.currentText() or None

    def refresh(self) -> None:
        if self.project is None:
            self.versions = []
            self.model.set_versions([])
            return
        try:
            names = [d.name for d in self.project.datasets()]
        except LabelHubError as error:
            show_error(self, error)
            return
        self.stack.setCurrentWidget(self._page if names else self.empty_state)
        current = self.dataset()
        if not current or current not in names:
            current = self.window.current_dataset_name() if hasattr(self.window, "current_dataset_name") else None
            current = current if current in names else (names[0] if names else None)
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        self.dataset_combo.addItems(names)
        if current:
            self.dataset_combo.setCurrentText(current)
        self.dataset_combo.blockSignals(False)
        self.load_versions()

    def select_dataset(self, name: str) -> None:
        self.dataset_combo.setCurrentText(name)

    def _dataset_changed(self) -> None:
        self.load_versions()

    def load_versions(self, select: int | None = None) -> None:
        dataset = self.dataset()
        if self.project is None or dataset is None:
            return
        selected = self.selected_version()
        keep = select if select is not None else (selected.number if selected else None)
        try:
            self.versions = self.project.versions(dataset)
            summary = self.project.content_summary(dataset)
        except LabelHubError as error:
            show_error(self, error)
            return
        self.model.set_versions(self.versions)
        self.compare.set_versions(self.versions)
        count = len(self.versions)
        state = ("no changes since the latest version" if summary.latest and not summary.changed
                 else "changes not yet committed" if summary.latest else "nothing committed yet")
        self.summary.setText(f"{count} version{'s' if count != 1 else ''} of “{dataset}” · "
                             f"{summary.stats['items']:,} items, {summary.stats['annotations']:,} "
                             f"annotations now · {state}")
        self._update_permissions()
        rows = [v.number for v in reversed(self.versions)]
        if rows:
            self.table.selectRow(rows.index(keep) if keep in rows else 0)
        else:
            self._show_version(None)

    def _update_permissions(self) -> None:
        p = self.project
        lead_only = "Only a lead can do this."
        for button, action in ((self.commit_button, "version.commit"), (self.tag_button, "version.tag"),
                               (self.deprecate_button, "version.deprecate")):
            allowed = p is not None and p.can(action)
            button.setEnabled(allowed and (button is self.commit_button or bool(self.versions)))
            button.setToolTip("" if allowed else lead_only)
        can_import = p is not None and (p.can("labels.import") or p.can("annotation.edit"))
        self.import_button.setEnabled(can_import)
        self.export_button.setEnabled(bool(self.versions))
        self.browse_button.setEnabled(bool(self.versions))
        self.compare_button.setEnabled(len(self.versions) > 1)

    # ------------------------------------------------------------------------ one version
    def selected_version(self) -> Any:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.row(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        self._show_version(self.selected_version())

    def _banner_colour(self, deprecated: bool) -> str:
        """A soft tint of the accent (amber for a deprecated version) over the base colour."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        tint = QColor("#e0a030") if deprecated else palette.color(QPalette.ColorRole.Highlight)
        t = 0.22

        def mix(a: int, b: int) -> int:
            return round(a * (1 - t) + b * t)

        return QColor(mix(base.red(), tint.red()), mix(base.green(), tint.green()),
                      mix(base.blue(), tint.blue())).name()

    def _versions_elsewhere(self) -> str:
        """Where the other datasets' versions are, for a dataset that has none (the demo's
        are in "shapes", while the window may open on "photos")."""
        if self.project is None:
            return ""
        found = []
        for index in range(self.dataset_combo.count()):
            name = self.dataset_combo.itemText(index)
            if name != self.dataset():
                try:
                    count = len(self.project.versions(name))
                except LabelHubError:
                    continue
                if count:
                    found.append(f"“{name}” has {count} version{'s' if count != 1 else ''}")
        return (" " + "; ".join(found) + " (choose it under Dataset).") if found else ""

    def _show_version(self, version: Any) -> None:
        self.items_model.set_rows([])
        self._item_selection_changed()
        if version is None:
            self.banner_label.setText("No version yet. Commit one to freeze the dataset's ground "
                                      "truth as it stands: it costs the same for ten images or a million."
                                      + self._versions_elsewhere())
            self.banner.setStyleSheet(f"#VersionBanner {{ background: {self._banner_colour(False)}; "
                                      "border-radius: 8px; }")
            self.counts_model.set_stats({})
            self.stats_label.setText("")
            for button in (self.tag_button, self.deprecate_button, self.export_button, self.compare_button,
                           self.browse_button):
                button.setEnabled(False)
            return
        self._update_permissions()
        self.deprecate_button.setEnabled(self.deprecate_button.isEnabled() and not version.deprecated)
        self.compare_button.setEnabled(version.number > 1)
        text = (f"<b>Viewing {version.label}</b> — read-only, as committed {when(version.time)} by "
                f"{version.author or 'unknown'} at change {version.seq}.<br>“{version.message}”")
        if version.deprecated:
            text += f"<br><b>Deprecated:</b> {version.deprecated_reason}"
        self.banner_label.setText(text)
        self.banner.setStyleSheet(f"#VersionBanner {{ background: {self._banner_colour(version.deprecated)}; "
                                  "border-radius: 8px; }")
        s = version.stats
        splits = ", ".join(f"{split_name(k)} {n:,}" for k, n in s.get("splits", {}).items())
        self.stats_label.setText(f"{s.get('items', 0):,} items ({splits or 'none'}) · "
                                 f"{s.get('annotations', 0):,} annotations · {s.get('classes', 0)} "
                                 f"label classes · manifest {version.manifest_hash[:16]}…")
        self.stats_label.setToolTip(f"manifest hash {version.manifest_hash}")
        self.counts_model.set_stats(s)
        stretch_first(self.counts_table)
        self._load_items(version)

    def _load_items(self, version: Any) -> None:
        self._request += 1
        loader = ItemsLoader(self._request, self.project.folder, self.project.member.name,
                              self.dataset() or "", version.seq, self)
        loader.loaded.connect(self._items_loaded)
        loader.finished.connect(lambda: self._loader_finished(loader))
        self.loaders.add(loader)
        loader.start()

    def _loader_finished(self, loader: ItemsLoader) -> None:
        self.loaders.discard(loader)
        loader.deleteLater()

    def _items_loaded(self, request: int, items: object) -> None:
        if request != self._request:
            return  # a later selection asked for other items
        if isinstance(items, BaseException):
            show_error(self, items)
            return
        self.items_model.set_rows(items)  # type: ignore[arg-type]
        self._item_selection_changed()

    def wait_for_items(self) -> None:
        """Block until the items of the selected version are shown (tests, screenshots)."""
        for loader in list(self.loaders):
            loader.wait()
        QCoreApplication.processEvents()

    # ------------------------------------------------------------- looking at a version elsewhere
    def browse_version(self) -> None:
        """The selected version, read-only, in the Assets workspace."""
        version, dataset = self.selected_version(), self.dataset()
        if version is not None and dataset is not None:
            self.window.browse_version(dataset, version)

    def selected_item(self) -> Any:
        rows = self.items_table.selectionModel().selectedRows()
        return self.items_model.row(rows[0].row()) if rows else None

    def _item_selection_changed(self) -> None:
        item = self.selected_item()
        self.open_item_button.setEnabled(item is not None)
        count = self.items_model.rowCount()
        self.items_label.setText(f"{count:,} item{'s' if count != 1 else ''} in this version"
                                 + (f" · {item.name} selected" if item is not None else ""))

    def open_item(self, row: int | None = None) -> None:
        """An item of the selected version (the selected one, or row ``row``), read-only, in
        Annotate."""
        version, dataset = self.selected_version(), self.dataset()
        item = self.items_model.row(row) if row is not None else self.selected_item()
        if version is not None and dataset is not None and item is not None:
            self.window.show_item(dataset, item.uid, version=version)

    # ---------------------------------------------------------------------------- changes
    def _after_change(self, select: int | None = None) -> None:
        self.load_versions(select)
        self.window.refresh_project()

    def commit_version(self) -> VersionsWorkspace | None:
        dataset = self.dataset()
        if self.project is None or dataset is None:
            return None
        try:
            summary = self.project.content_summary(dataset)
        except LabelHubError as error:
            show_error(self, error)
            return None
        dialog = CommitDialog(dataset, summary, self)
        self.dialog = dialog
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            message, tag = dialog.values()
            version = self.project.commit_version(dataset, message, tag=tag)
        except LabelHubError as error:
            show_error(self, error, title="Could not commit the version")
            return None
        finally:
            dialog.deleteLater()
            self.dialog = None
        self._after_change(version.number)
        return self

    def tag_version(self) -> None:
        version = self.selected_version()
        if version is None:
            return
        tags = {v.tag: v.label for v in self.versions if v.tag}
        dialog = TagDialog(version, tags, self)
        self.dialog = dialog
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            self.project.tag_version(self.dataset(), version.number, dialog.value())
        except LabelHubError as error:
            show_error(self, error, title="Could not tag the version")
            return
        finally:
            dialog.deleteLater()
            self.dialog = None
        self._after_change(version.number)

    def deprecate_version(self) -> None:
        version = self.selected_version()
        if version is None:
            return
        dialog = DeprecateDialog(version, self)
        self.dialog = dialog
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            self.project.deprecate_version(self.dataset(), version.number, dialog.value())
        except LabelHubError as error:
            show_error(self, error, title="Could not deprecate the version")
            return
        finally:
            dialog.deleteLater()
            self.dialog = None
        self._after_change(version.number)

    def compare_with_previous(self) -> None:
        version = self.selected_version()
        if version is None or version.number < 2:
            return
        self.tabs.setCurrentWidget(self.compare)
        self.compare.compare(version.number - 1, version.number)

    # ----------------------------------------------------------------- long work on a worker
    def _busy(self) -> bool:
        if self.task is not None and self.task.running:
            show_info(self, "LabelHub is still working on the last export or import. Wait for it "
                            "to finish, or cancel it.")
            return True
        return False

    def run_task(self, title: str, label: str, job: Any, on_success: Any) -> BackgroundTask | None:
        if self._busy():
            return None
        task = BackgroundTask(self.window, title, label, job, on_success=on_success,
                              on_error=lambda error: self._task_failed(title, error),
                              on_cancelled=lambda: show_info(self, f"{title} cancelled. Nothing was written."))
        task.finished.connect(self._task_finished)
        self.task = task
        task.start()
        return task

    def _task_finished(self) -> None:
        if self.task is not None:
            self.task.deleteLater()
        self.task = None

    def _task_failed(self, title: str, error: BaseException) -> None:
        show_error(self, error, title=f"{title} failed")

    def _abandon(self) -> None:
        if self.task is not None and self.task.running:
            self.task.abandon()
        for loader in list(self.loaders):
            loader.wait()

    def job(self, work: Any) -> Any:
        """A worker job running ``work(project, progress, cancel)`` on its own project handle."""
        folder, member = self.project.folder, self.project.member.name

        def run(progress: Progress, cancel: threading.Event) -> Any:
            from labelhub.project import Project

            with Project.open(folder, user=member, backup=False) as project:
                return work(project, progress, cancel)

        return run

    def export_version(self) -> ExportDialog | None:
        version = self.selected_version()
        dataset = self.dataset()
        if version is None or dataset is None or self._busy():
            return None
        start = self.window.settings.last_location()
        dialog = ExportDialog(self.project, dataset, version, start, self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._start_export(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _start_export(self, dialog: ExportDialog) -> None:
        dataset, version = dialog.dataset, dialog.version
        fmt, options, out, media = (dialog.format_name(), dialog.options(), dialog.out_folder(),
                                    dialog.media.isChecked())
        self.window.settings.set_last_location(out.parent)

        def work(project: Any, progress: Progress, cancel: threading.Event) -> Any:
            return project.export_version(dataset, version.number, fmt, out, with_media=media,
                                          options=options, accept_losses=True, progress=progress,
                                          cancel=cancel)

        def done(report: Any) -> None:
            self.last_report = report
            show_info(self, report.summary(), title="Export finished",
                      details="\n".join(f"{sha}  {rel}" for rel, sha in report.files.items()))

        self.run_task("Export", f"Exporting {dataset} {version.label}…", self.job(work), done)

    def import_labels(self) -> ImportLabelsDialog | None:
        dataset = self.dataset()
        if self.project is None or dataset is None or self._busy():
            return None
        dialog = ImportLabelsDialog(self.project, dataset, self.window.settings.last_location(), self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._start_import(dataset, dialog.values()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _start_import(self, dataset: str, values: dict[str, Any]) -> None:
        self.window.settings.set_last_location(Path(values["path"]).parent)

        def work(project: Any, progress: Progress, cancel: threading.Event) -> Any:
            return project.import_labels(dataset, values["path"], values["fmt"], into=values["into"],
                                         replace=values["replace"],
                                         create_classes=values["create_classes"],
                                         coco_ground_truth=values["coco_ground_truth"],
                                         progress=progress, cancel=cancel)

        def done(report: Any) -> None:
            self.last_report = report
            self._after_change()
            show_info(self, report.summary(), title="Labels imported")

        self.run_task("Import labels", f"Importing labels into {dataset}…", self.job(work), done)
