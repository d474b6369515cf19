"""The main window: opening projects, the status bar, the side bar, the start page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from labelhub.gui import project_dialogs
from labelhub.gui.app import run_gui, start_window
from labelhub.gui.main_window import MainWindow
from labelhub.gui.start_page import MISSING_ROLE
from labelhub.gui.theme import DARK, install_theme
from labelhub.gui.workspaces import WORKSPACE_FACTORIES, WORKSPACES, PlaceholderWorkspace
from labelhub.project import Project


def test_start_page_when_no_project(window: MainWindow) -> None:
    assert window.showing_start_page()
    assert window.windowTitle() == "LabelHub"
    assert window.statusBar().currentMessage() == "No project open"
    assert not window.menu_actions["import"].isEnabled()
    assert not window.menu_actions["members"].isEnabled()


def test_open_project_shows_name_member_and_role(window: MainWindow, team_project: Path) -> None:
    assert window.open_project(team_project, user="lena")
    assert not window.showing_start_page()
    assert window.project_label.text() == "team"
    assert window.member_label.text() == "Signed in as Lena Park"
    assert window.role_label.text() == "Lead"
    assert window.windowTitle().startswith("team")
    assert window.settings.remembered_member(team_project) == "lena"
    assert window.settings.recent_projects()[0] == team_project.resolve()
    # The labels are permanent status-bar widgets, not a transient message.
    permanent = window.statusBar().findChildren(QLabel)
    assert window.role_label in permanent and window.role_label.isVisible()


def test_open_by_database_file(window: MainWindow, team_project: Path) -> None:
    assert window.open_project(team_project / "project.labelhub", user="rui")
    assert window.role_label.text() == "Reviewer"


def test_side_bar_switches_workspaces(qtbot, window: MainWindow, team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    sidebar = window.sidebar
    for row, info in enumerate(WORKSPACES):
        item = sidebar.item(row)
        assert item.text() == info.title
        centre = sidebar.visualItemRect(item).center()
        qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        assert window.current_workspace() == info.key
        page = window.workspace_stack.currentWidget()
        assert page is window.workspaces[info.key]
        if info.key in WORKSPACE_FACTORIES or info.key == "assets":
            # a built workspace: its own page, never the empty state
            assert not isinstance(page, PlaceholderWorkspace)
        else:
            assert isinstance(page, PlaceholderWorkspace)
            assert page.empty_state.title_label.text() == info.title
            assert page.empty_state.text_label.text() == info.empty_text
            # An honest empty state: no buttons pretending to do something.
            assert not page.findChildren(type(window.assets.import_button))


def test_view_menu_shortcuts_switch_workspaces(window: MainWindow, team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    window.menu_actions["workspace_versions"].trigger()
    assert window.current_workspace() == "versions"
    assert window.sidebar.currentRow() == 3


def test_assets_empty_state_then_table(window: MainWindow, team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    assert not window.assets.showing_table()
    assert "Drop a folder" in window.assets.empty_state.text_label.text()
    window.project.create_dataset("street", "Street scenes")
    window.refresh_project()
    assert window.assets.showing_table()
    model = window.assets.model
    assert model.rowCount() == 1
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row[:3] == ["street", "0", "Street scenes"]
    assert len(row[3]) == len("2025-01-01 12:00")


def test_recent_projects_listed_on_start_page(qtbot, window: MainWindow, team_project: Path,
                                              tmp_path: Path) -> None:
    other = tmp_path / "other"
    Project.create(other, lead="lena").close()
    gone = tmp_path / "gone"
    for path in (gone, other, team_project):
        window.settings.add_recent_project(path)
    window.refresh_recent()
    listed = window.start_page.recent_paths()
    assert listed == [(team_project.resolve(), True), (other.resolve(), True),
                      (gone.resolve(), False)]
    missing = window.start_page.recent_list.item(2)
    assert missing.data(MISSING_ROLE) is True
    assert not missing.flags() & Qt.ItemFlag.ItemIsEnabled
    assert window.start_page.clear_missing_button.isVisible()

    window.settings.remember_member(other, "lena")
    recent = window.start_page.recent_list
    recent.setCurrentRow(1)
    qtbot.keyClick(recent, Qt.Key.Key_Return)
    assert window.project is not None and window.project.name == "other"

    window.close_project()
    qtbot.mouseClick(window.start_page.clear_missing_button, Qt.MouseButton.LeftButton)
    assert [p for p, _ in window.start_page.recent_paths()] == [other.resolve(),
                                                                 team_project.resolve()]


def test_open_recent_menu_lists_projects(window: MainWindow, team_project: Path) -> None:
    window.settings.add_recent_project(team_project)
    window.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert any(t.startswith("team") for t in texts)
    assert "Clear Recent Projects" in texts


def test_error_opening_is_a_message_box(window: MainWindow, tmp_path: Path, message_texts) -> None:
    empty = tmp_path / "not-a-project"
    empty.mkdir()
    assert not window.open_project(empty)
    texts = message_texts(window)
    assert texts and "not a LabelHub project" in texts[-1]
    assert "Traceback" not in texts[-1]
    assert window.showing_start_page()


def test_close_project_returns_to_start_page(window: MainWindow, team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    window.menu_actions["close"].trigger()
    assert window.project is None
    assert window.showing_start_page()
    assert not window.project_label.isVisible()
    assert window.start_page.recent_paths()[0][0] == team_project.resolve()


def test_geometry_saved_on_close(qtbot, app_settings, tmp_path: Path) -> None:
    first = MainWindow(app_settings, demo_folder=tmp_path / "demo")
    qtbot.addWidget(first)
    first.show()
    first.resize(850, 575)
    first.close()
    assert app_settings.window_geometry() is not None
    second = MainWindow(app_settings, demo_folder=tmp_path / "demo")
    qtbot.addWidget(second)
    assert second.size().height() == 575  # the default would be taller


def test_start_window_reopens_last_project(window: MainWindow, team_project: Path,
                                           monkeypatch) -> None:
    window.settings.add_recent_project(team_project)
    window.settings.remember_member(team_project, "ana")
    monkeypatch.setattr(project_dialogs, "ask_member", _no_dialog)
    start_window(window)
    assert window.project is not None
    assert window.role_label.text() == "Annotator"


def test_start_window_opens_given_project_as_user(window: MainWindow, team_project: Path) -> None:
    start_window(window, team_project, user="rui")
    assert window.member_label.text() == "Signed in as Rui"


def _no_dialog(*args: object, **kwargs: object) -> str:
    raise AssertionError("the sign-in dialog should not be needed")


def test_sidebar_click_outside_items_keeps_selection(qtbot, window: MainWindow,
                                                     team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    window.set_workspace("review")
    bottom = QPoint(20, window.sidebar.viewport().height() - 5)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=bottom)
    assert window.current_workspace() == "review"


def test_open_project_menu_uses_folder_dialog(window: MainWindow, team_project: Path,
                                              monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args, **kwargs: str(team_project))
    window.settings.remember_member(team_project, "lena")
    window.menu_actions["open"].trigger()
    assert window.project is not None and window.project.folder == team_project.resolve()


def test_theme_switch_redraws_icons(qtbot, qapp, window: MainWindow, team_project: Path) -> None:
    window.open_project(team_project, user="lena")
    manager = install_theme(qapp)
    try:
        manager.apply(Qt.ColorScheme.Dark)
        qtbot.wait(50)
        assert not window.sidebar.item(0).icon().isNull()
        assert window.palette().color(QPalette.ColorRole.Window).name() == DARK.window
    finally:
        manager.apply(Qt.ColorScheme.Light)


# Lazy workspaces ------------------------------------------------------------------------------

#: What the workspaces other than Assets read when they load: queues, label sets, versions,
#: review work, models. Assets itself never asks for these.
PAGE_READS = ("annotation_queue_ids", "annotation_queue", "items", "item_infos", "label_sets", "versions",
              "content_summary", "review_queue", "state_counts", "submitted_counts", "queue", "models",
              "evaluations")


@pytest.fixture
def project_with_images(team_project: Path, tmp_path: Path) -> Path:
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(7):
        Image.new("RGB", (40 + i, 30), (30 * i, 90, 160)).save(folder / f"img{i}.png")
    with Project.open(team_project, user="lena", backup=False) as p:
        p.create_dataset("street")
        p.import_images("street", [folder])
        p.add_label_class("street", "car")
    return team_project


@pytest.fixture
def reads(monkeypatch) -> list[str]:  # noqa: ANN001
    """The names of the spied Project methods, in the order they were called."""
    calls: list[str] = []
    for name in PAGE_READS:
        original = getattr(Project, name)

        def spy(self: Project, *args: object, _name: str = name, _original: object = original,
                **kwargs: object) -> object:
            calls.append(_name)
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(Project, name, spy)
    return calls


def test_workspaces_read_the_project_only_when_first_shown(qtbot, window: MainWindow, project_with_images: Path,
                                                           reads: list[str], monkeypatch) -> None:
    from labelhub.gui.annotate import queue

    monkeypatch.setattr(queue, "PAGE", 3)  # several pages for seven items
    assert window.open_project(project_with_images, user="lena")
    assert window.current_workspace() == "assets"
    qtbot.waitUntil(lambda: window.assets.browser.model.rowCount() == 7)
    assert reads == []  # Annotate, Review, Versions and Models have read nothing
    for key in ("annotate", "review", "versions", "models"):
        assert window.workspaces[key].project is None  # and hold no project yet

    window.set_workspace("annotate")
    annotate = window.workspaces["annotate"]
    assert annotate.project is window.project and annotate.item.name == "img0.png"
    assert "annotation_queue_ids" in reads
    assert "items" not in reads and "annotation_queue" not in reads  # never every item at once
    queue_items = annotate.navigator.items()
    assert isinstance(queue_items, queue.LazyQueue) and annotate.navigator.model.rowCount() == 7
    assert all(len(page) <= 3 for page in queue_items._pages.values())  # read a page at a time
    assert [i.name for i in queue_items][-1] == "img6.png"
    annotate.navigator.filter.setText("IMG5")
    assert annotate.navigator.model.rowCount() == 1 and annotate.navigator.position(queue_items[5].uid) == 5
    annotate.navigator.filter.clear()
    assert "versions" not in reads and "review_queue" not in reads

    window.set_workspace("versions")
    assert "versions" in reads and window.workspaces["versions"].project is window.project

    # A change while Annotate is off screen: it catches up when shown again, not before.
    window.set_workspace("assets")
    del reads[:]
    window.project.create_dataset("second")
    window.refresh_project()
    assert reads == []
    window.set_workspace("annotate")
    names = [annotate.navigator.datasets.itemText(i) for i in range(annotate.navigator.datasets.count())]
    assert names == ["second", "street"] and reads


def test_label_schema_menu_works_before_annotate_was_shown(qtbot, window: MainWindow,
                                                            project_with_images: Path) -> None:
    assert window.open_project(project_with_images, user="lena")
    action = window.menu_actions["label_schema"]
    assert action.isEnabled()
    editor = window.open_label_schema()
    assert editor is not None and editor.dataset == "street"
    editor.close()
    window.close_project()
    assert not action.isEnabled()
    assert window.open_project(project_with_images, user="ana")  # an annotator may not edit it
    assert not action.isEnabled()


def test_switching_project_lets_off_screen_pages_go_of_the_old_one(window: MainWindow, project_with_images: Path,
                                                                   tmp_path: Path) -> None:
    assert window.open_project(project_with_images, user="lena")
    window.set_workspace("annotate")
    window.set_workspace("assets")
    old = window.project
    other = tmp_path / "other"
    Project.create(other, lead="lena").close()
    assert window.open_project(other, user="lena")
    annotate = window.workspaces["annotate"]
    assert annotate.project is None and old is not window.project
    window.set_workspace("annotate")
    assert annotate.project is window.project and annotate.dataset is None


def test_run_gui_opens_the_given_project(qapp, team_project: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    seen: dict[str, str] = {}

    def look_then_close() -> None:
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        win = windows[-1]
        seen.update(project=win.project_label.text(), role=win.role_label.text())
        # As a user quits (File > Quit closes the window): the last window closing ends exec().
        # Not qapp.quit(): its Quit event closes every window, the last one closing posts a
        # second Quit, and exec() returns with that one still queued. Delivered later, outside
        # exec(), it leaves Qt's main thread "quitting" for good: every QEventLoop (qtbot.wait,
        # waitUntil, waitSignal) then returns at once, and later tests waiting for a worker's
        # queued signal time out.
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible():
                widget.close()

    QTimer.singleShot(200, look_then_close)
    assert run_gui(project=team_project, user="rui") == 0
    assert seen == {"project": "team", "role": "Reviewer"}
    # Nothing of the quit is left behind for the tests that follow: events still flow.
    QApplication.processEvents()
    loop = QEventLoop()
    QTimer.singleShot(0, lambda: loop.exit(7))
    assert loop.exec() == 7
