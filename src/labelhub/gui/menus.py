"""The window's menus: File, View, Project and Help."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from labelhub.gui.icons import icon
from labelhub.gui.workspaces import WORKSPACES

if TYPE_CHECKING:
    from labelhub.gui.main_window import MainWindow


def _action(window: MainWindow, text: str, slot: object, shortcut: object = None,
            icon_name: str | None = None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icon(icon_name))
        action.setProperty("icon_name", icon_name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
    return action


def refresh_action_icons(actions: Iterable[QAction]) -> None:
    """Redraw the menu icons in the current palette (after a light/dark switch)."""
    for action in actions:
        name = action.property("icon_name")
        if isinstance(name, str) and name:
            action.setIcon(icon(name))


def fill_recent_menu(window: MainWindow, menu: QMenu) -> None:
    """Rebuild File > Open Recent from the settings, greying out projects that are gone."""
    from labelhub.project import Project

    menu.clear()
    recent = window.settings.recent_projects()
    for path in recent:
        present = Project.is_project(path)
        label = f"{path.name}  —  {path}" if present else f"{path.name}  (missing)"
        action = menu.addAction(label)
        action.setEnabled(present)
        action.setToolTip(str(path))
        action.triggered.connect(lambda _checked=False, p=Path(path): window.open_project(p))
    if not recent:
        empty = menu.addAction("No recent projects")
        empty.setEnabled(False)
        return
    menu.addSeparator()
    clear = menu.addAction("Clear Recent Projects")
    clear.triggered.connect(lambda _checked=False: _clear_recent(window))


def _clear_recent(window: MainWindow) -> None:
    window.settings.clear_recent_projects()
    window.refresh_recent()


def build_menus(window: MainWindow) -> dict[str, QAction]:
    bar = window.menuBar()
    actions: dict[str, QAction] = {}

    file_menu = bar.addMenu("&File")
    actions["new"] = _action(window, "&New Project…", window.new_project,
                             QKeySequence.StandardKey.New, "new", "Create a new project")
    actions["open"] = _action(window, "&Open Project…", window.choose_and_open_project,
                              QKeySequence.StandardKey.Open, "open", "Open a project folder")
    actions["demo"] = _action(window, "Open &Demo", window.open_demo, None, "demo",
                              "Open the demo project, building it on first use")
    file_menu.addAction(actions["new"])
    file_menu.addAction(actions["open"])
    file_menu.addAction(actions["demo"])
    recent_menu = file_menu.addMenu("Open &Recent")
    recent_menu.aboutToShow.connect(lambda: fill_recent_menu(window, recent_menu))
    fill_recent_menu(window, recent_menu)
    window.recent_menu = recent_menu
    file_menu.addSeparator()
    actions["import"] = _action(window, "&Import Images…", window.importer.choose_and_import,
                                "Ctrl+I", "import", "Import a folder of images into a dataset")
    file_menu.addAction(actions["import"])
    file_menu.addSeparator()
    actions["close"] = _action(window, "&Close Project", window.close_project,
                               QKeySequence.StandardKey.Close)
    file_menu.addAction(actions["close"])
    file_menu.addSeparator()
    actions["quit"] = _action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    file_menu.addAction(actions["quit"])

    view_menu = bar.addMenu("&View")
    for number, info in enumerate(WORKSPACES, start=1):
        action = _action(window, info.title, lambda key=info.key: window.set_workspace(key),
                         f"Ctrl+{number}", None, info.tooltip)
        actions[f"workspace_{info.key}"] = action
        view_menu.addAction(action)

    project_menu = bar.addMenu("&Project")
    actions["members"] = _action(window, "&Members…", window.show_members, None, "members",
                                 "See the project's members and their roles")
    actions["switch_member"] = _action(window, "&Switch Member…", window.switch_member, None,
                                       None, "Sign in as another member of this project")
    actions["new_dataset"] = _action(window, "New &Dataset…", window.new_dataset, None, None,
                                     "Create an empty dataset")
    project_menu.addAction(actions["members"])
    project_menu.addAction(actions["switch_member"])
    project_menu.addSeparator()
    project_menu.addAction(actions["new_dataset"])
    annotate = window.workspaces.get("annotate")
    if annotate is not None and hasattr(annotate, "open_schema_editor"):
        actions["label_schema"] = _action(window, "&Label Schema…", annotate.open_schema_editor, None,
                                          None, "Edit the label classes of a dataset (leads)")
        project_menu.addAction(actions["label_schema"])

    help_menu = bar.addMenu("&Help")
    actions["about"] = _action(window, "&About LabelHub", window.show_about, None, "about")
    help_menu.addAction(actions["about"])
    return actions
