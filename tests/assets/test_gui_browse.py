"""Browsing in the window: the grid with thumbnails and badges, filters with a live count,
selection by mouse and keyboard kept across grid and table, sorting, opening an item."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QListView

from labelhub.gui.assets.grid import ItemGridView
from labelhub.gui.assets.item_model import LABELS_ROLE, STATUS_ROLE
from labelhub.gui.assets.thumbnails import thumb_path
from labelhub.project import Project

from .conftest import open_assets, uids_by_name, wait_loaded


def click_tile(qtbot, grid: ItemGridView, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # noqa: ANN001
    rect = grid.visualRect(grid.model().index(row, 0))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_grid_thumbnails_badges_and_live_count(qtbot, window, twelve) -> None:  # noqa: ANN001
    p: Project = twelve
    u = uids_by_name(p, "ds")
    p.set_split("ds", [u["img00.png"], u["img01.png"], u["img10.png"]], "train")
    browser = open_assets(qtbot, window, p)
    grid = browser.grid
    assert isinstance(grid, QListView) and grid.viewMode() == QListView.ViewMode.IconMode
    assert grid.uniformItemSizes() and grid.layoutMode() == QListView.LayoutMode.Batched
    # The views count rows in C++: laying out a million tiles never asks the Python model.
    assert grid.model() is browser.rows is browser.table.model() and browser.rows.sourceModel() is browser.model
    assert browser.model.rowCount() == 12 and browser.count_label.text() == "12 items"
    index = browser.model.index(0, 0)
    assert index.data() == "img00.png" and index.data(STATUS_ROLE) == "unassigned" and index.data(LABELS_ROLE) == 0
    sha = p.item_details("ds", [u["img00.png"]]).sha256[0]
    qtbot.waitUntil(lambda: browser.loader.has(sha), timeout=10000)
    assert thumb_path(p.folder / "cache", sha).is_file()  # cached on disk

    qtbot.keyClicks(browser.filters.search, "IMG1")  # the count follows the typing (debounced)
    qtbot.waitUntil(lambda: browser.count_label.text().startswith("2 of 12 items"), timeout=5000)
    assert [browser.model.index(r, 0).data() for r in range(2)] == ["img10.png", "img11.png"]
    browser.filters.search.clear()
    wait_loaded(qtbot, browser)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 12, timeout=5000)
    train = next(a for a in browser.filters.split.menu().actions() if a.text().startswith("train"))
    train.trigger()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 3, timeout=5000)
    assert "Split: train" in browser.filters.split.text()
    qtbot.mouseClick(browser.filters.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 12, timeout=5000)
    assert not browser.filters.clear_button.isVisible()


def test_selection_survives_view_switch_and_sorting(qtbot, window, twelve) -> None:  # noqa: ANN001
    browser = open_assets(qtbot, window, twelve)
    grid = browser.grid
    click_tile(qtbot, grid, 1)
    click_tile(qtbot, grid, 3, Qt.KeyboardModifier.ShiftModifier)
    assert browser.selected_count() == 3 and "3 selected" in browser.count_label.text()
    qtbot.mouseClick(browser.table_toggle, Qt.MouseButton.LeftButton)
    assert browser.views.currentWidget() is browser.table
    rows = sorted({i.row() for i in browser.table.selectionModel().selectedIndexes()})
    assert rows == [1, 2, 3]
    chosen = set(browser.selected_uids())
    header = browser.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(0) + 20, header.height() // 2))
    qtbot.waitUntil(lambda: browser.model.query.sort == "name" and browser.model.query.descending, timeout=5000)
    wait_loaded(qtbot, browser)
    assert browser.model.index(0, 0).data() == "img11.png"
    assert set(browser.selected_uids()) == chosen  # the same items, now at other rows
    assert sorted(browser.selected_rows().tolist()) == [8, 9, 10]
    qtbot.mouseClick(browser.grid_toggle, Qt.MouseButton.LeftButton)
    assert browser.views.currentWidget() is browser.grid and browser.selected_count() == 3
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert browser.selected_count() == 12 and browser.all_selected()


def test_opening_an_item_goes_to_annotate(qtbot, window, twelve, monkeypatch) -> None:  # noqa: ANN001
    opened: list[tuple[str, str]] = []
    monkeypatch.setattr(window, "show_item", lambda dataset, uid: opened.append((dataset, uid)))
    browser = open_assets(qtbot, window, twelve)
    grid = browser.grid
    rect = grid.visualRect(browser.rows.index(2, 0))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double click:
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # press, then again
    u = uids_by_name(twelve, "ds")
    assert opened == [("ds", u["img02.png"])]
    click_tile(qtbot, grid, 4)
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert opened[-1] == ("ds", u["img04.png"])


def test_switching_datasets_and_a_refresh_after_changes(qtbot, window, twelve, make_images) -> None:  # noqa: ANN001
    p = twelve
    p.create_dataset("more")
    p.import_images("more", [make_images("more", 3, start=40)])
    browser = open_assets(qtbot, window, p)
    table = window.assets.table
    row = window.assets.model.dataset_names().index("more")
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(table.model().index(row, 0)).center())
    qtbot.waitUntil(lambda: browser.dataset == "more" and browser.settled and browser.model.rowCount() == 3)
    assert window.current_dataset_name() == "more"  # imports go to the dataset being browsed
    p.exclude_items("more", p.item_uids("more")[:1])
    window.refresh_project()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 2, timeout=5000)
