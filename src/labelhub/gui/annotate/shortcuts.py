"""The Annotate workspace's keyboard shortcuts: every command with its default keys, the user's
own bindings kept in QSettings, and the keys the drawing tools read while a gesture is on.

Defaults follow the habits of labelme and X-AnyLabeling users: W box, A/D previous and next
image, Ctrl+Z / Ctrl+Shift+Z, Delete, Ctrl+C / Ctrl+V, F fit. A key that a drawing tool reads
during its gesture (Backspace, Enter, Esc, N) goes to the tool while the gesture is on, even
when a command is bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence


@dataclass(frozen=True)
class Command:
    key: str
    title: str
    group: str
    default: tuple[str, ...]


_C = Command
COMMANDS: tuple[Command, ...] = (
    _C("tool_select", "Select and edit", "Tools", ("V",)),
    _C("tool_box", "Box", "Tools", ("W",)),
    _C("tool_rotated_box", "Rotated box", "Tools", ("R",)),
    _C("tool_polygon", "Polygon", "Tools", ("P",)),
    _C("tool_polyline", "Polyline", "Tools", ("L",)),
    _C("tool_point", "Point", "Tools", ("O",)),
    _C("tool_keypoints", "Keypoints", "Tools", ("K",)),
    _C("tool_brush", "Brush (mask)", "Tools", ("B",)),
    _C("tool_eraser", "Eraser (mask)", "Tools", ("E",)),
    _C("previous_item", "Previous image", "Navigate", ("A",)),
    _C("next_item", "Next image", "Navigate", ("D",)),
    _C("next_unlabeled", "Next unlabelled image", "Navigate", ("Shift+D",)),
    _C("previous_unlabeled", "Previous unlabelled image", "Navigate", ("Shift+A",)),
    _C("jump", "Jump to image…", "Navigate", ("Ctrl+G",)),
    _C("undo", "Undo", "Edit", ("Ctrl+Z",)),
    _C("redo", "Redo", "Edit", ("Ctrl+Shift+Z", "Ctrl+Y")),
    _C("delete", "Delete selected shapes", "Edit", ("Delete", "Backspace")),
    _C("copy", "Copy selected shapes", "Edit", ("Ctrl+C",)),
    _C("paste", "Paste shapes", "Edit", ("Ctrl+V",)),
    _C("duplicate", "Duplicate selected shapes", "Edit", ("Ctrl+D",)),
    _C("copy_previous", "Copy all shapes from the previous image", "Edit", ("Ctrl+Shift+V",)),
    _C("select_all", "Select all shapes", "Edit", ("Ctrl+A",)),
    _C("class_picker", "Search classes…", "Edit", ("C",)),
    _C("tag_image", "Tag the image with the current class", "Edit", ("T",)),
    _C("hide", "Hide or show selected shapes", "Shapes", ("H",)),
    _C("show_all", "Show all hidden shapes", "Shapes", ("Shift+H",)),
    _C("lock", "Lock or unlock selected shapes", "Shapes", ("Ctrl+L",)),
    _C("keypoint_occluded", "Keypoint: visible ↔ occluded", "Shapes", ("Shift+O",)),
    _C("keypoint_unlabelled", "Keypoint: not labelled", "Shapes", ("Shift+U",)),
    _C("bring_front", "Bring to front", "Shapes", ("Ctrl+]",)),
    _C("send_back", "Send to back", "Shapes", ("Ctrl+[",)),
    _C("fit", "Fit the image", "View", ("F",)),
    _C("zoom_100", "Zoom 1:1", "View", ("Ctrl+0",)),
    _C("zoom_in", "Zoom in", "View", ("+", "=")),
    _C("zoom_out", "Zoom out", "View", ("-",)),
    _C("crosshair", "Crosshair", "View", ("X",)),
    _C("labels", "Class names on shapes", "View", ("Shift+N",)),
    _C("guidelines", "Guidelines of the current class", "Help", ("G",)),
    _C("help", "All shortcuts", "Help", ("F1", "?")),
)
COMMANDS_BY_KEY = {c.key: c for c in COMMANDS}

#: Keys the tools read during a gesture (not rebindable: they belong to the gesture).
GESTURE_KEYS: tuple[tuple[str, str], ...] = (
    ("1 … 9", "Choose a class by its position (or its own hotkey); with shapes selected, "
              "give them that class"),
    ("Space + drag, middle drag", "Pan"),
    ("Wheel", "Zoom at the pointer"),
    ("Esc", "Cancel the shape being drawn; clear the selection"),
    ("Enter, double click", "Finish a polygon, polyline or keypoints"),
    ("Backspace", "Remove the last point placed"),
    ("Shift + click", "Keypoints: place the next point as occluded"),
    ("Click a keypoint", "Pick it for the keypoint commands (or point at it)"),
    ("N (keypoints tool)", "Skip the next keypoint (not labelled)"),
    ("Arrows (Shift: ×10)", "Nudge the selected shapes by a pixel"),
    ("Alt + click a vertex", "Delete that vertex (so does the delete key over it)"),
    ("Double click an outline", "Add a vertex there"),
    ("Shift + drag a handle", "Keep the aspect or snap the angle"),
    ("[ and ]", "Brush size"),
)

_PREFIX = "annotate/shortcuts/"


class ShortcutSettings:
    """The user's key bindings, stored in QSettings under annotate/shortcuts/<command>."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def keys(self, command: str) -> tuple[str, ...]:
        """The key sequences bound to ``command`` (its defaults unless rebound)."""
        value = self.settings.value(_PREFIX + command)
        if value is None:
            return COMMANDS_BY_KEY[command].default
        if isinstance(value, str):
            value = [value] if value else []
        return tuple(str(v) for v in value if str(v))

    def sequences(self, command: str) -> list[QKeySequence]:
        return [QKeySequence(k) for k in self.keys(command)]

    def set_keys(self, command: str, keys: tuple[str, ...]) -> None:
        if tuple(keys) == COMMANDS_BY_KEY[command].default:
            self.settings.remove(_PREFIX + command)
        else:
            self.settings.setValue(_PREFIX + command, list(keys))
        self.settings.sync()

    def reset(self) -> None:
        self.settings.remove(_PREFIX.rstrip("/"))
        self.settings.sync()

    def conflicts(self, bindings: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
        """(key, command, other command) for every key bound twice in ``bindings``."""
        seen: dict[str, str] = {}
        out = []
        for command, keys in bindings.items():
            for key in keys:
                norm = QKeySequence(key).toString()
                if norm in seen and seen[norm] != command:
                    out.append((norm, seen[norm], command))
                seen.setdefault(norm, command)
        return out

    def all_bindings(self) -> dict[str, tuple[str, ...]]:
        return {c.key: self.keys(c.key) for c in COMMANDS}


def display_keys(keys: tuple[str, ...]) -> str:
    """Keys as the user reads them: "Ctrl+Shift+Z, Ctrl+Y"."""
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys) or "—"
