"""What the Assets browser does to the selected items and to its dataset: split, metadata,
tags, CSV metadata, the split dialog, the datasheet, the cleaning report, exclusion. Every
change runs on a worker as one change of the project, then the window refreshes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from labelhub.errors import LabelHubError
from labelhub.gui.assets.jobs import run_job
from labelhub.gui.messages import show_error, show_info

if TYPE_CHECKING:
    from labelhub.gui.assets.browser import DatasetBrowser

DEFAULT_SPLITS = ("train", "val", "test")


class ItemActions:
    """The browser's buttons, context menu and the dialogs behind them."""

    def __init__(self, browser: DatasetBrowser) -> None:
        self.browser = browser
        self.splits: list[str] = []
        self.split_menu = QMenu(browser)
        browser.set_split_button.setMenu(self.split_menu)
        browser.metadata_button.clicked.connect(self.edit_metadata)
        browser.tag_button.clicked.connect(self.tag)
        browser.csv_button.clicked.connect(lambda: self.import_csv())
        browser.split_button.clicked.connect(self.split_dataset)
        browser.datasheet_button.clicked.connect(self.datasheet)
        browser.clean_button.clicked.connect(self.cleaning)
        self.last_task: Any = None
        self.last_dialog: Any = None
        self.set_splits([])

    # ------------------------------------------------------------------------- helpers
    @property
    def project(self) -> Any:
        return self.browser.project

    @property
    def dataset(self) -> str | None:
        return self.browser.dataset

    def _can(self, action: str) -> bool:
        return self.project is not None and self.project.can(action)

    def _refusal(self, action: str) -> str:
        if self.project is None:
            return ""
        return f"Only a lead can do this; {self.project.member.name} is {self.project.member.role.value}."

    def update_enabled(self) -> None:
        b = self.browser
        # A version is read-only: its buttons are hidden, and off should anything show them.
        has = b.dataset is not None and b.project is not None and b.version is None
        chosen = has and b.selected_count() > 0
        for button, action, needs_selection in (
            (b.set_split_button, "items.split", True), (b.metadata_button, "items.edit_metadata", True),
            (b.tag_button, "items.edit_metadata", True), (b.csv_button, "items.edit_metadata", False),
            (b.split_button, "items.split", False), (b.datasheet_button, None, False),
            (b.clean_button, None, False),
        ):
            allowed = action is None or self._can(action)
            button.setEnabled(has and allowed and (chosen or not needs_selection))
            if has and not allowed:
                button.setToolTip(self._refusal(action or ""))
            elif needs_selection and not chosen:
                button.setToolTip("Select items first (click, Shift+click, Ctrl+A)")
            else:
                button.setToolTip("")

    def set_splits(self, splits: list[str]) -> None:
        self.splits = list(dict.fromkeys([*DEFAULT_SPLITS, *splits]))
        menu = self.split_menu
        menu.clear()
        for name in self.splits:
            menu.addAction(name, lambda n=name: self.set_split(n))
        menu.addSeparator()
        menu.addAction("Other split…", self._other_split)
        menu.addAction("No split", lambda: self.set_split(None))

    def _after(self, message: str | None = None) -> Any:
        def done(result: Any) -> None:
            self.browser.datasets_changed.emit()
            if message:
                self.browser.count_label.setText(message.format(result=result))
        return done

    def _run(self, title: str, label: str, work: Any, on_success: Any) -> None:
        if self.project is None or self.dataset is None or self.browser.version is not None:
            return  # nothing is changed from a version's (read-only) view
        self.last_task = run_job(self.browser, self.project, title, label, work, on_success)

    # ------------------------------------------------------------------------- actions
    def set_split(self, split: str | None) -> None:
        uids = self.browser.selected_uids()
        if not uids:
            return
        dataset = self.dataset
        self._run("Set split", f"Putting {len(uids):,} items in {split or 'no split'}…",
                  lambda p, _progress, _cancel: p.set_split(dataset, uids, split), self._after())

    def _other_split(self) -> None:
        name, ok = QInputDialog.getText(self.browser, "Set split", "Split name (e.g. holdout):")
        if ok and name.strip():
            self.set_split(name.strip())

    def edit_metadata(self) -> None:
        from labelhub.gui.assets.metadata_dialog import MetadataDialog

        uids = self.browser.selected_uids()
        if not uids or self.project is None or self.dataset is None:
            return
        sample = self.project.item_details(self.dataset, uids[:2000])
        dialog = MetadataDialog(len(uids), sample.meta, self.browser.meta_keys, self.browser)
        self.last_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_metadata(dialog, uids))
        dialog.open()

    def _apply_metadata(self, dialog: Any, uids: list[str]) -> None:
        values, removed = dialog.changes()
        if not values and not removed:
            return
        dataset = self.dataset
        self._run("Edit metadata", f"Writing metadata of {len(uids):,} items…",
                  lambda p, _progress, _cancel: p.edit_metadata(dataset, uids, values, removed), self._after())

    def tag(self) -> None:
        from labelhub.gui.assets.metadata_dialog import TagDialog

        uids = self.browser.selected_uids()
        if not uids or self.project is None or self.dataset is None:
            return
        dialog = TagDialog(len(uids), self.project.item_tags(self.dataset), self.browser)
        self.last_dialog = dialog
        dialog.accepted.connect(lambda: self._apply_tags(dialog, uids))
        dialog.open()

    def _apply_tags(self, dialog: Any, uids: list[str]) -> None:
        add, remove = dialog.changes()
        if not add and not remove:
            return
        dataset = self.dataset
        self._run("Tag items", f"Tagging {len(uids):,} items…",
                  lambda p, _progress, _cancel: p.tag_items(dataset, uids, add, remove), self._after())

    def import_csv(self, path: str | None = None) -> None:
        if self.project is None or self.dataset is None:
            return
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(
                self.browser, "Import item metadata from CSV", str(Path.home()),
                "CSV files (*.csv *.tsv *.txt);;All files (*)")
            if not path:
                return
        dataset = self.dataset

        def shown(report: Any) -> None:
            from labelhub.gui.assets.metadata_dialog import CsvReportDialog

            self.browser.datasets_changed.emit()
            self.last_dialog = CsvReportDialog(report, self.browser)
            self.last_dialog.open()

        self._run("Import metadata", f"Reading {Path(path).name}…",
                  lambda p, _progress, _cancel: p.import_metadata_csv(dataset, path), shown)

    def split_dataset(self) -> None:
        from labelhub.gui.assets.split_dialog import SplitDialog

        if self.project is None or self.dataset is None:
            return
        dialog = SplitDialog(self.project, self.dataset, self.browser.meta_keys,
                             self.browser.selected_uids() if self.browser.selected_count() else [],
                             self.browser)
        self.last_dialog = dialog
        dialog.split_done.connect(lambda _plan: self.browser.datasets_changed.emit())
        dialog.open()

    def datasheet(self) -> None:
        from labelhub.gui.assets.datasheet_dialog import DatasheetDialog

        if self.project is None or self.dataset is None:
            return
        try:
            info = self.project.dataset(self.dataset)
        except LabelHubError as error:
            show_error(self.browser, error)
            return
        dialog = DatasheetDialog(info, editable=self._can("dataset.describe"), parent=self.browser)
        self.last_dialog = dialog
        dialog.accepted.connect(lambda: self._save_datasheet(dialog))
        dialog.open()

    def _save_datasheet(self, dialog: Any) -> None:
        description, sheet = dialog.values()
        try:
            self.project.describe_dataset(self.dataset, description, **sheet)
        except LabelHubError as error:
            show_error(self.browser, error, title="Could not save the datasheet")
            return
        self.browser.datasets_changed.emit()

    def cleaning(self) -> None:
        from labelhub.gui.assets.cleaning_dialog import CleaningDialog

        if self.project is None or self.dataset is None:
            return
        dialog = CleaningDialog(self.project, self.dataset, self.browser.loader, self.browser)
        self.last_dialog = dialog
        dialog.changed.connect(self.browser.datasets_changed)
        dialog.open_item.connect(lambda uid: self.browser.window_ref.show_item(self.dataset, uid)
                                 if self.browser.window_ref is not None else None)
        dialog.show()
        dialog.run()

    def exclude(self) -> None:
        uids = self.browser.selected_uids()
        if not uids or self.dataset is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Exclude from dataset",
                          f"Take {len(uids):,} item{'s' if len(uids) != 1 else ''} out of “{self.dataset}”? "
                          "Their labels go with them. Versions made before keep them.",
                          QMessageBox.StandardButton.Cancel, self.browser)
        box.addButton("Exclude", QMessageBox.ButtonRole.DestructiveRole)
        self.last_dialog = box
        dataset = self.dataset

        def answered(button: Any) -> None:
            if box.buttonRole(button) == QMessageBox.ButtonRole.DestructiveRole:
                self._run("Exclude items", f"Excluding {len(uids):,} items…",
                          lambda p, _progress, _cancel: p.exclude_items(dataset, uids, "excluded in the Assets workspace"),
                          self._after())

        box.buttonClicked.connect(answered)
        box.open()

    # ---------------------------------------------------------------------- context menu
    def context_menu(self, index: QModelIndex | None) -> QMenu:
        menu = QMenu(self.browser)
        chosen = self.browser.selected_count()
        if self.browser.version is not None:  # read-only: look, never edit
            if index is not None:
                open_action = menu.addAction("Open in Annotate", lambda: self.browser.open_item(index))
                open_action.setEnabled(self.browser.window_ref is not None)
            else:
                note = menu.addAction(f"Viewing {self.browser.version.label}: read-only")
                note.setEnabled(False)
            return menu
        if index is not None:
            open_action = menu.addAction("Open in Annotate", lambda: self.browser.open_item(index))
            open_action.setEnabled(self.browser.window_ref is not None)
            menu.addSeparator()
        split = menu.addMenu("Set split")
        for action in self.split_menu.actions():
            split.addAction(action)
        entries: list[tuple[str, Any, str]] = [
            ("Edit metadata…", self.edit_metadata, "items.edit_metadata"),
            ("Tag…", self.tag, "items.edit_metadata"),
            ("Exclude from dataset…", self.exclude, "items.exclude"),
        ]
        split.setEnabled(chosen > 0 and self._can("items.split"))
        for text, slot, permission in entries:
            action: QAction = menu.addAction(text, slot)
            action.setEnabled(chosen > 0 and self._can(permission))
        if chosen == 0:
            menu.addSeparator()
            note = menu.addAction("Select items to act on them")
            note.setEnabled(False)
        return menu

    def say(self, text: str) -> None:
        show_info(self.browser, text)
