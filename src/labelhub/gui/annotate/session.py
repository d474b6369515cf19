"""Saving as you go, and undo and redo as Project calls.

Every finished gesture is one Project call: one transaction, committed before the call returns.
The session remembers the seq of each change it made, per item, for as long as the window is
open: undo is ``Project.undo(seq)`` (itself a change, so it is in the audit log), and redo is
the undo of that undo. Nothing is kept unsaved, so there is no Save button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from labelhub.errors import LabelHubError

T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One saved change on the undo or redo stack: its seq and what it did, in words."""

    seq: int
    text: str


@dataclass
class _Stacks:
    undo: list[Step] = field(default_factory=list)
    redo: list[Step] = field(default_factory=list)


class EditSession(QObject):
    """The saved changes of this window session, per item, and undo/redo over them."""

    #: (seq, text) after every change this session saved, undo and redo included.
    saved = Signal(int, str)
    #: A change the project refused, in words.
    failed = Signal(str)
    stacks_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.item: str | None = None
        self._stacks: dict[str, _Stacks] = {}
        self.last_seq: int | None = None
        self._heard: list[int] = []
        #: Why nothing may change now (a dataset version is shown), None when edits are allowed.
        self.read_only: str | None = None

    def set_project(self, project: Any) -> None:
        if self.project is not None:
            self.project.unsubscribe(self._on_change)
        self.project = project
        self._stacks.clear()
        self.item = None
        if project is not None:
            project.subscribe(self._on_change)
        self.stacks_changed.emit()

    def set_item(self, item: str | None) -> None:
        self.item = item
        self.stacks_changed.emit()

    def _on_change(self, seq: int, _action: str) -> None:
        self._heard.append(seq)

    def _stack(self) -> _Stacks:
        assert self.item is not None
        return self._stacks.setdefault(self.item, _Stacks())

    def run(self, text: str, call: Callable[[], T]) -> tuple[T, int] | None:
        """Make one change through the project: ``call()`` must commit exactly one change.
        Returns (its result, its seq), or None when the project refused it or the session
        is read-only (``failed`` says why)."""
        if self.read_only is not None:
            self.failed.emit(self.read_only)
            return None
        self._heard.clear()
        try:
            result = call()
        except LabelHubError as error:
            self.failed.emit(str(error))
            return None
        if not self._heard:
            return result, self.last_seq or 0
        seq = self._heard[-1]
        stack = self._stack()
        stack.undo.append(Step(seq, text))
        stack.redo.clear()
        self.last_seq = seq
        self.saved.emit(seq, text)
        self.stacks_changed.emit()
        return result, seq

    def can_undo(self) -> bool:
        return self.read_only is None and self.item is not None and bool(self._stack().undo)

    def can_redo(self) -> bool:
        return self.read_only is None and self.item is not None and bool(self._stack().redo)

    def undo_text(self) -> str:
        return self._stack().undo[-1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._stack().redo[-1].text if self.can_redo() else ""

    def undo(self) -> int | None:
        """Take back this item's last change; returns the seq of the undo, None if there was
        nothing to undo or the project refused (someone changed the same shapes since)."""
        if not self.can_undo():
            return None
        stack = self._stack()
        step = stack.undo[-1]
        try:
            seq = self.project.undo(step.seq)
        except LabelHubError as error:
            self.failed.emit(f"Cannot undo “{step.text}”: {error}")
            return None
        stack.undo.pop()
        stack.redo.append(Step(seq, step.text))
        self.last_seq = seq
        self.saved.emit(seq, f"Undone: {step.text}")
        self.stacks_changed.emit()
        return seq

    def redo(self) -> int | None:
        """Make again the last change undone on this item (by undoing the undo)."""
        if not self.can_redo():
            return None
        stack = self._stack()
        step = stack.redo[-1]
        try:
            seq = self.project.undo(step.seq)
        except LabelHubError as error:
            self.failed.emit(f"Cannot redo “{step.text}”: {error}")
            return None
        stack.redo.pop()
        stack.undo.append(Step(seq, step.text))
        self.last_seq = seq
        self.saved.emit(seq, f"Redone: {step.text}")
        self.stacks_changed.emit()
        return seq
