"""The cleaning report in the window: run it, see every finding, compare near duplicates side
by side, and exclude, keep and tag with one click each, each a change in the log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from labelhub.gui.assets.cleaning_dialog import FINDING_ROLE, CleaningDialog
from labelhub.project import Project

from .conftest import open_assets, uids_by_name


def finding_items(dialog: CleaningDialog, kind: str) -> list:  # noqa: ANN401
    out = []
    for i in range(dialog.tree.topLevelItemCount()):
        parent = dialog.tree.topLevelItem(i)
        for j in range(parent.childCount()):
            finding = parent.child(j).data(0, FINDING_ROLE)
            if finding is not None and finding.kind == kind:
                out.append(parent.child(j))
    return out


def click(qtbot, tree, item) -> None:  # noqa: ANN001
    tree.scrollToItem(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())


def test_cleaning_window_finds_and_acts(qtbot, window, lead_project, dirty_folder, monkeypatch) -> None:  # noqa: ANN001
    p: Project = lead_project
    p.create_dataset("ds")
    p.import_images("ds", [dirty_folder])
    browser = open_assets(qtbot, window, p)
    qtbot.mouseClick(browser.clean_button, Qt.MouseButton.LeftButton)
    dialog = browser.actions.last_dialog
    assert isinstance(dialog, CleaningDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30000)
    assert "13 items checked" in dialog.summary.text()
    titles = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "Near duplicates (1)" in titles and "Too dark (1)" in titles and "Blurry (1)" in titles
    assert "Unreadable files (0)" in titles and "Without labels (13)" in titles

    near = finding_items(dialog, "near_duplicate")[0]
    click(qtbot, dialog.tree, near)
    qtbot.waitUntil(lambda: dialog.pictures[1].isVisible(), timeout=10000)
    captions = [pic.caption.text().split("\n")[0] for pic in dialog.pictures if pic.isVisible()]
    assert captions == ["clean0.png", "near.jpg"]  # side by side
    assert not dialog.pictures[0].image.pixmap().isNull()
    before = p.seq()
    qtbot.mouseClick(dialog.exclude_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: p.seq() == before + 1, timeout=10000)
    qtbot.waitUntil(lambda: not finding_items(dialog, "near_duplicate"), timeout=5000)
    assert "near.jpg" not in uids_by_name(p, "ds") and "clean0.png" in uids_by_name(p, "ds")
    assert p.changes(limit=1)[0].action == "items.exclude"

    click(qtbot, dialog.tree, finding_items(dialog, "blurry")[0])
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: p.seq() == before + 2, timeout=10000)
    assert p.changes(limit=1)[0].detail["op"] == "keep"

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("check-light", True))
    click(qtbot, dialog.tree, finding_items(dialog, "too_dark")[0])
    qtbot.mouseClick(dialog.tag_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: p.seq() == before + 3, timeout=10000)
    assert p.item_tags("ds") == ["check-light"]

    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled() and "12 items checked" in dialog.summary.text(),
                    timeout=30000)
    assert "(1 kept on purpose" in dialog.summary.text()
    assert not finding_items(dialog, "blurry") and finding_items(dialog, "too_dark")
    dialog.close()
