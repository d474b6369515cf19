"""The workspace's commands as QActions with rebindable shortcuts, its tool bar, and the class
hotkeys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QToolBar, QWidget

from labelhub.gui.annotate.shortcuts import COMMANDS, display_keys

if TYPE_CHECKING:
    from labelhub.gui.annotate.workspace import AnnotateWorkspace

TOOL_COMMANDS = {
    "tool_select": "select", "tool_box": "box", "tool_rotated_box": "rotated_box",
    "tool_polygon": "polygon", "tool_polyline": "polyline", "tool_point": "point",
    "tool_keypoints": "keypoints", "tool_brush": "brush", "tool_eraser": "eraser",
}
SHORT_TITLES = {
    "tool_select": "Select", "tool_rotated_box": "Rotated", "tool_brush": "Brush",
    "tool_eraser": "Eraser", "previous_item": "◀ Prev", "next_item": "Next ▶",
    "next_unlabeled": "Next unlabelled", "jump": "Jump…", "fit": "Fit", "zoom_100": "1:1",
    "crosshair": "Crosshair", "guidelines": "Guidelines", "help": "Shortcuts ?",
    "copy_previous": "Copy previous",
}


def _slot(ws: AnnotateWorkspace, key: str):  # noqa: ANN202
    if key in TOOL_COMMANDS:
        return lambda: ws.set_tool(TOOL_COMMANDS[key])
    canvas = ws.canvas
    return {
        "previous_item": lambda: ws.go(-1), "next_item": lambda: ws.go(1),
        "next_unlabeled": lambda: ws.go_unlabeled(1), "previous_unlabeled": lambda: ws.go_unlabeled(-1),
        "jump": ws.jump, "undo": ws.undo, "redo": ws.redo, "delete": ws.delete_selected,
        "copy": ws.copy_selected, "paste": ws.paste, "duplicate": ws.duplicate,
        "copy_previous": ws.copy_previous, "select_all": ws.select_all,
        "class_picker": ws.classes_panel.focus_search, "tag_image": ws.tag_current_class,
        "hide": ws.toggle_hidden, "show_all": ws.show_all_hidden, "lock": ws.toggle_locked,
        "keypoint_occluded": canvas.toggle_keypoint_occluded,
        "keypoint_unlabelled": canvas.mark_keypoint_unlabelled,
        "bring_front": lambda: ws.restack(True), "send_back": lambda: ws.restack(False),
        "fit": canvas.fit, "zoom_100": canvas.zoom_100,
        "zoom_in": lambda: ws.zoom(1.25), "zoom_out": lambda: ws.zoom(0.8),
        "crosshair": lambda: canvas.set_crosshair(not canvas.crosshair),
        "labels": lambda: canvas.set_show_labels(not canvas.show_labels),
        "guidelines": ws.show_guidelines, "help": ws.show_help,
    }[key]


def build_actions(ws: AnnotateWorkspace) -> dict[str, QAction]:
    actions: dict[str, QAction] = {}
    tools = QActionGroup(ws)
    for c in COMMANDS:
        action = QAction(c.title, ws)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setIconText(SHORT_TITLES.get(c.key, c.title))
        if c.key in TOOL_COMMANDS:
            action.setCheckable(True)
            tools.addAction(action)
        if c.key in ("crosshair", "labels"):
            action.setCheckable(True)
        slot = _slot(ws, c.key)
        action.triggered.connect(lambda _checked=False, f=slot: f())
        ws.addAction(action)
        actions[c.key] = action
    actions["labels"].setChecked(True)
    apply_bindings(ws, actions)
    return actions


def apply_bindings(ws: AnnotateWorkspace, actions: dict[str, QAction]) -> None:
    for key, action in actions.items():
        action.setShortcuts(ws.shortcuts.sequences(key))
        keys = display_keys(ws.shortcuts.keys(key))
        action.setToolTip(f"{action.text()}  ({keys})")


def build_toolbar(ws: AnnotateWorkspace, actions: dict[str, QAction], parent: QWidget) -> QToolBar:
    bar = QToolBar(parent)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    groups = (
        ("tool_select", "tool_box", "tool_rotated_box", "tool_polygon", "tool_polyline",
         "tool_point", "tool_keypoints", "tool_brush", "tool_eraser"),
        ("undo", "redo"),
        ("previous_item", "next_item", "next_unlabeled", "jump", "copy_previous"),
        ("fit", "zoom_100", "crosshair"),
    )
    for i, group in enumerate(groups):
        if i:
            bar.addSeparator()
        for key in group:
            bar.addAction(actions[key])
    return bar


def bind_class_keys(ws: AnnotateWorkspace, keys: dict[str, str]) -> list[str]:
    """One shortcut per class key; returns the warnings for keys already bound to commands."""
    for old in ws.class_shortcuts:
        old.setEnabled(False)
        old.deleteLater()
    ws.class_shortcuts = []
    taken = {QKeySequence(k).toString(): c for c, ks in ws.shortcuts.all_bindings().items() for k in ks}
    warnings = []
    for uid, key in keys.items():
        seq = QKeySequence(key)
        if seq.toString() in taken:
            name = ws.class_by_uid[uid].name
            warnings.append(f"the hotkey {key} of {name} is also a shortcut; {name} is picked by its "
                            "position key or the search instead")
            continue
        shortcut = QShortcut(seq, ws)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda u=uid: ws.choose_class(u))
        ws.class_shortcuts.append(shortcut)
    return warnings
