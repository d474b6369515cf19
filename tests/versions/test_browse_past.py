"""From the Versions workspace to a past version, while the dataset keeps changing: pick a
version, Browse in Assets (or double-click it) and see exactly what it held, filter it there,
come back to the live dataset; open one of its items in Annotate. Driven with clicks and keys
in the window; the API's ``at_seq`` reads must agree with what the window shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from tests.assets.conftest import save, textured
from tests.assets.version_history import V1, V2, build_history

from labelhub.gui.app import prepare_application
from labelhub.gui.main_window import MainWindow
from labelhub.gui.settings import AppSettings
from labelhub.project import ItemFilter, ItemQuery, MetaCondition, Project


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture
def history(tmp_path: Path):  # noqa: ANN201
    """Dataset "ds" of twelve images with v1 and v2 committed and changes after both."""
    images = tmp_path / "twelve"
    for i in range(12):
        save(textured(i), images / f"img{i:02d}.png")
    p = Project.create(tmp_path / "proj", lead="lena")
    p.add_member("ana", "annotator")
    p.create_dataset("ds")
    p.import_images("ds", [images])
    h = build_history(p, tmp_path)
    yield p, h
    p.close()


@pytest.fixture
def window(qtbot, qapp: QApplication, history, tmp_path: Path, dispose_window):  # noqa: ANN001, ANN201
    prepare_application(qapp)
    settings = AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings, demo_folder=tmp_path / "demo")
    win.resize(1280, 820)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_project(history[0].folder, user="lena")
    win.set_workspace("versions")
    yield win
    win.workspaces["versions"]._abandon()
    dispose_window(win)


def click_row(qtbot, table, row: int, *, double: bool = False) -> None:  # noqa: ANN001
    at = table.visualRect(table.model().index(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=at)
    if double:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=at)


def version_row(page, number: int) -> int:  # noqa: ANN001
    return next(r for r in range(page.model.rowCount()) if page.model.row(r).number == number)


def number(version) -> int | None:  # noqa: ANN001
    return version.number if version is not None else None


def shown(qtbot, browser) -> tuple[list[str], list[str | None], list[int]]:  # noqa: ANN001
    """(names, splits, label counts) of every row the Assets browser shows."""
    qtbot.waitUntil(lambda: browser.settled, timeout=10000)
    chunks = [browser.model.columns(r, wait=True) for r in range(browser.model.rowCount())]
    return ([c.names[i] for c, i in chunks], [c.splits[i] for c, i in chunks],
            [int(c.label_counts[i]) for c, i in chunks])


def test_browse_a_past_version_in_assets_while_the_dataset_keeps_changing(qtbot, window, history) -> None:  # noqa: ANN001
    p, h = history
    page = window.workspaces["versions"]
    assert page.dataset() == "ds" and page.model.rowCount() == 2
    click_row(qtbot, page.table, version_row(page, 1))
    assert page.selected_version().number == 1 and page.browse_button.isEnabled()
    qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)

    assert window.current_workspace() == "assets"
    assets, browser = window.assets, window.assets.browser
    assert assets.banner.isVisible() and "Version 1 (base) of ds" in assets.banner_label.text()
    names, splits, labels = shown(qtbot, browser)
    assert names == sorted(V1)
    assert splits == [V1[n][0] for n in names] and labels == [V1[n][1] for n in names]
    assert list(browser.model.ids) == list(p.item_ids("ds", at_seq=h.v1.seq))  # the API agrees

    # Filters work on v1: its night tags (img04, img05), its cameras (img01, img02 were Alpha).
    browser.filters.tag._sections["Tag"]["night"].trigger()
    assert shown(qtbot, browser)[0] == ["img04.png", "img05.png"]
    qtbot.mouseClick(browser.filters.clear_button, Qt.MouseButton.LeftButton)
    editor = browser.filters.meta_editor
    editor.key.setCurrentText("camera")
    editor.op.setCurrentIndex(editor.op.findData("="))
    qtbot.keyClicks(editor.value, "Alpha")
    qtbot.mouseClick(editor.add, Qt.MouseButton.LeftButton)
    assert shown(qtbot, browser)[0] == ["img01.png", "img02.png"]
    flt = ItemFilter(meta=(MetaCondition("camera", "=", "Alpha"),))
    assert browser.model.query.filter == flt
    assert list(browser.model.ids) == list(p.item_ids("ds", ItemQuery(flt), at_seq=h.v1.seq))
    assert p.item_columns("ds", p.item_ids("ds", ItemQuery(flt))).names == ["img08.png"]  # now

    # The dataset keeps changing while v1 is on screen: v1 does not move; the banner follows
    # the version's own record (deprecated now).
    p.set_split("ds", [h.uids["img01.png"]], "val")
    p.deprecate_version("ds", 1, "img02 was mislabelled")
    window.refresh_project()
    names, splits, _ = shown(qtbot, browser)
    assert names == ["img01.png", "img02.png"] and splits == ["train", "train"]
    assert "Deprecated" in assets.banner_label.text() and "img02 was mislabelled" in assets.banner_label.text()

    qtbot.mouseClick(assets.back_button, Qt.MouseButton.LeftButton)
    names, splits, labels = shown(qtbot, browser)
    assert not assets.banner.isVisible() and browser.version is None
    assert len(names) == 11 and "img05.png" not in names and "new1.png" in names
    assert splits[names.index("img01.png")] == "val" and labels[names.index("img10.png")] == 3
    assert list(browser.model.ids) == list(p.item_ids("ds"))

    # A double-click on v2 in the Versions workspace browses v2.
    window.set_workspace("versions")
    click_row(qtbot, page.table, version_row(page, 2), double=True)
    assert window.current_workspace() == "assets" and browser.version.number == 2
    names, splits, labels = shown(qtbot, browser)
    assert names == sorted(V2)
    assert splits == [V2[n][0] for n in names] and labels == [V2[n][1] for n in names]
    assert "Version 2 of ds" in assets.banner_label.text()


def test_open_an_item_of_a_version_in_annotate_from_the_contents_tab(qtbot, window, history, monkeypatch) -> None:  # noqa: ANN001
    p, h = history
    annotate = window.workspace("annotate")  # given the project now: it opens its first item itself
    asked: list[tuple] = []
    monkeypatch.setattr(annotate, "show_item",
                        lambda dataset, uid, **kw: asked.append((dataset, uid, number(kw.get("version")))))
    page = window.workspaces["versions"]
    click_row(qtbot, page.table, version_row(page, 1))
    page.wait_for_items()
    assert not page.open_item_button.isEnabled()
    assert [page.items_model.row(r).name for r in range(page.items_model.rowCount())] == sorted(V1)
    row = next(r for r in range(page.items_model.rowCount()) if page.items_model.row(r).name == "img05.png")
    click_row(qtbot, page.items_table, row)
    assert page.open_item_button.isEnabled() and "img05.png" in page.items_label.text()
    qtbot.mouseClick(page.open_item_button, Qt.MouseButton.LeftButton)
    assert window.current_workspace() == "annotate"
    assert asked == [("ds", h.uids["img05.png"], 1)]  # gone from ds now; there in v1
    # A double-click on an item opens it too; outside a version, no version is passed.
    window.set_workspace("versions")
    click_row(qtbot, page.items_table, 0, double=True)
    assert asked[-1] == ("ds", h.uids["img00.png"], 1)
    window.show_item("ds", h.uids["img00.png"])
    assert asked[-1] == ("ds", h.uids["img00.png"], None)
    assert p.item_info("ds", h.uids["img05.png"], at_seq=h.v1.seq).name == "img05.png"
    assert np.isin(p.ids_of_uids("ds", [h.uids["img05.png"]], at_seq=h.v1.seq), p.item_ids("ds")).sum() == 0
