"""What every tool shares: the pointer event it receives and the canvas services it uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter

from labelhub.geometry import Shape

if TYPE_CHECKING:  # the widget imports the tools, not the other way round
    from labelhub.gui.canvas.widget import CanvasWidget


@dataclass(frozen=True, slots=True)
class Pointer:
    """A mouse event in both coordinate systems: (x, y) image, (wx, wy) widget."""

    x: float
    y: float
    wx: float
    wy: float
    button: Qt.MouseButton = Qt.MouseButton.NoButton
    buttons: Qt.MouseButton = Qt.MouseButton.NoButton
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier

    @property
    def shift(self) -> bool:
        return bool(self.modifiers & Qt.KeyboardModifier.ShiftModifier)

    @property
    def ctrl(self) -> bool:
        return bool(self.modifiers & Qt.KeyboardModifier.ControlModifier)

    @property
    def alt(self) -> bool:
        return bool(self.modifiers & Qt.KeyboardModifier.AltModifier)


@dataclass(frozen=True, slots=True)
class Floating:
    """A shape drawn by the overlay during a gesture instead of from the cache: ``shape``
    moved by (dx, dy)."""

    uid: str
    shape: Shape
    dx: float = 0.0
    dy: float = 0.0


class Tool:
    """A tool reacts to pointer and key events and paints its own preview. Finished gestures
    go through ``canvas.commit(command)``."""

    name = ""
    title = ""
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, canvas: CanvasWidget) -> None:
        self.canvas = canvas

    def activate(self) -> None:
        """The tool became current."""

    def deactivate(self) -> None:
        """Another tool is taking over: drop any gesture in progress."""
        self.cancel()

    def cancel(self) -> bool:
        """Drop the gesture in progress; True when there was one."""
        return False

    def busy(self) -> bool:
        """Whether a gesture is in progress."""
        return False

    def press(self, p: Pointer) -> None:
        """A mouse button went down (left button unless the tool says otherwise)."""

    def move(self, p: Pointer) -> None:
        """The mouse moved (with or without buttons held)."""

    def release(self, p: Pointer) -> None:
        """A mouse button came up."""

    def double_click(self, p: Pointer) -> None:
        """A double click (Qt sends it in place of the second press)."""

    def key(self, key: int, modifiers: Qt.KeyboardModifier) -> bool:
        """A key press; True when the tool used it."""
        return False

    def gesture_key(self, key: int) -> bool:
        """Whether ``key`` belongs to the gesture in progress (so it goes to the tool even when
        the owner has bound it to a command): Esc while busy, and each tool's own."""
        return self.busy() and key == Qt.Key.Key_Escape

    def delete(self) -> bool:
        """The delete command: the selected shapes (the select tool adds the vertex under the
        pointer); True if something was deleted."""
        return self.canvas.delete_selected()

    def picked_keypoint(self) -> tuple[str, int] | None:
        """The keypoint (shape uid, point index) the keypoint commands act on, if any."""
        return None

    def floating(self) -> list[Floating]:
        """Shapes being changed right now (drawn over the cache, hidden in it)."""
        return []

    def paint(self, painter: QPainter) -> None:
        """Draw the preview, in widget coordinates."""

    # helpers for subclasses

    def color(self) -> QColor:
        return self.canvas.label_qcolor(self.canvas.current_label)
