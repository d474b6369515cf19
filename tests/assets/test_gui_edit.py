"""Editing in the window: metadata of many items at once, tags, splits by menu and by the split
dialog, CSV metadata with a bad row reported, the datasheet form, and what annotators see."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from labelhub.gui.assets.datasheet_dialog import DatasheetDialog
from labelhub.gui.assets.item_model import BASE_COLUMNS
from labelhub.gui.assets.metadata_dialog import CsvReportDialog, MetadataDialog, TagDialog
from labelhub.gui.assets.split_dialog import SplitDialog
from labelhub.project import Project

from .conftest import open_assets, wait_loaded, wait_task


def test_edit_metadata_of_a_multi_selection(qtbot, window, twelve) -> None:  # noqa: ANN001
    p: Project = twelve
    browser = open_assets(qtbot, window, p)
    grid = browser.grid
    for row in (2, 5, 7):
        rect = grid.visualRect(browser.rows.index(row, 0))
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, rect.center())
    assert browser.selected_count() == 3
    before = p.seq()
    qtbot.mouseClick(browser.metadata_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert isinstance(dialog, MetadataDialog) and dialog.isVisible()
    licence = dialog.rows["licence"][0]
    qtbot.keyClicks(licence, "CC BY 4.0")
    qtbot.keyClicks(dialog.new_key, "camera")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.rows["camera"][0], "Alpha")
    dialog.rows["source"][1].setChecked(True)  # remove the import path from these items
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_task(qtbot, browser.actions)
    assert p.seq() == before + 1 and p.changes(limit=1)[0].action == "items.edit_metadata"
    metas = {i.name: i.metadata for i in p.items("ds")}
    for name in ("img02.png", "img05.png", "img07.png"):
        assert metas[name] == {"licence": "CC BY 4.0", "camera": "Alpha"}
    assert metas["img03.png"]["source"].endswith("img03.png") and "camera" not in metas["img03.png"]
    wait_loaded(qtbot, browser)
    assert browser.selected_count() == 3  # the same items stay selected after the refresh
    # Opened again, the dialog shows the values the selection shares.
    qtbot.mouseClick(browser.metadata_button, Qt.MouseButton.LeftButton)
    again = browser.actions.last_dialog
    assert again.rows["camera"][0].text() == "Alpha"
    again.reject()


def test_tags_and_split_by_menu(qtbot, window, twelve) -> None:  # noqa: ANN001
    p: Project = twelve
    browser = open_assets(qtbot, window, p)
    browser.grid.setFocus()
    qtbot.keyClick(browser.grid, Qt.Key.Key_Home)
    qtbot.keyClick(browser.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert browser.selected_count() == 2
    val = next(a for a in browser.actions.split_menu.actions() if a.text() == "val")
    val.trigger()
    wait_task(qtbot, browser.actions)
    assert Counter(i.split for i in p.items("ds")) == {"val": 2, None: 10}
    qtbot.mouseClick(browser.tag_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert isinstance(dialog, TagDialog)
    qtbot.keyClicks(dialog.add, "night, rain")
    dialog.accept()
    wait_task(qtbot, browser.actions)
    assert p.item_tags("ds") == ["night", "rain"]
    qtbot.waitUntil(lambda: browser.filters.tag.isVisible(), timeout=5000)


def test_split_dialog_groups_and_writes_one_change(qtbot, window, twelve) -> None:  # noqa: ANN001
    p: Project = twelve
    uids = p.item_uids("ds")
    for g in range(4):
        p.edit_metadata("ds", uids[g * 3 : g * 3 + 3], {"patient": f"p{g}"})
    browser = open_assets(qtbot, window, p)
    qtbot.waitUntil(lambda: "patient" in browser.meta_keys, timeout=5000)
    qtbot.mouseClick(browser.split_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert isinstance(dialog, SplitDialog)
    name, share, _remove = dialog.ratio_rows[0]
    share.setValue(50)
    dialog.ratio_rows[1][1].setValue(50)
    dialog._remove_ratio(dialog.ratio_rows[2][0])
    dialog.group.setCurrentIndex(dialog.group.findData("meta:patient"))
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.group == "meta:patient", timeout=10000)
    assert "12 items: train 6 (50.0%), val 6 (50.0%)" == dialog.preview.text()
    before = p.seq()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert p.seq() == before + 1
    by_patient = defaultdict(set)
    for item in p.items("ds"):
        by_patient[item.metadata["patient"]].add(item.split)
    assert all(len(s) == 1 for s in by_patient.values())
    assert Counter(i.split for i in p.items("ds")) == {"train": 6, "val": 6}


def test_csv_import_reports_the_bad_row_and_applies_the_rest(qtbot, window, twelve, tmp_path: Path,
                                                             monkeypatch) -> None:  # noqa: ANN001
    p: Project = twelve
    sheet = tmp_path / "credits.csv"
    sheet.write_text("file,author\nimg00.png,Ana\nghost.png,Nobody\nimg01.png,Ben\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sheet), ""))
    browser = open_assets(qtbot, window, p)
    qtbot.mouseClick(browser.csv_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(browser.actions.last_dialog, CsvReportDialog), timeout=10000)
    report = browser.actions.last_dialog
    assert report.headline.text() == "2 items updated from credits.csv, 1 row refused."
    assert report.details.topLevelItem(0).text(0) == "3"
    assert "no item named ghost.png" in report.details.topLevelItem(0).text(1)
    assert {i.name: i.metadata.get("author") for i in p.items("ds")}["img01.png"] == "Ben"
    qtbot.waitUntil(lambda: "author" in browser.meta_keys, timeout=5000)
    assert browser.model.headerData(len(BASE_COLUMNS), Qt.Orientation.Horizontal) == "author"


def test_datasheet_form_checks_dates_and_saves(qtbot, window, twelve) -> None:  # noqa: ANN001
    p: Project = twelve
    browser = open_assets(qtbot, window, p)
    qtbot.mouseClick(browser.datasheet_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert isinstance(dialog, DatasheetDialog)
    qtbot.keyClicks(dialog.fields["purpose"], "Find cats in gardens")
    qtbot.keyClicks(dialog.fields["collection_start"], "spring")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.isVisible() and "must be a date" in dialog.error.text()
    dialog.fields["collection_start"].clear()
    qtbot.keyClicks(dialog.fields["collection_start"], "2024-03-01")
    qtbot.mouseClick(dialog.add_extra_button, Qt.MouseButton.LeftButton)
    dialog.extra.item(0, 0).setText("camera")
    dialog.extra.item(0, 1).setText("Alpha")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert not dialog.isVisible()
    sheet = p.dataset("ds").datasheet
    assert sheet["purpose"] == "Find cats in gardens" and sheet["collection_start"] == "2024-03-01"
    assert sheet["extra"] == {"camera": "Alpha"}
    assert p.changes(limit=1)[0].action == "dataset.describe"


def test_annotators_browse_but_do_not_edit(qtbot, window, twelve) -> None:  # noqa: ANN001
    browser = open_assets(qtbot, window, twelve, user="ana")
    browser.select_rows(np.arange(3), 0)
    for button in (browser.set_split_button, browser.metadata_button, browser.split_button, browser.csv_button):
        assert not button.isEnabled() and "Only a lead" in button.toolTip()
    assert browser.clean_button.isEnabled() and browser.datasheet_button.isEnabled()
    qtbot.mouseClick(browser.datasheet_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert dialog.fields["purpose"].isReadOnly()
    dialog.reject()
