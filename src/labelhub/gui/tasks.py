"""Long work on a worker thread, with a progress dialog that can cancel.

A job is ``job(progress, cancel) -> result`` following the core's convention: ``progress(done,
total, message)`` and a ``threading.Event`` that asks it to stop by raising ``Cancelled``. The job
runs on a QThread; its progress crosses back to the GUI thread through a queued signal, so the
window keeps painting and the Cancel button keeps working.

A job must not touch objects that belong to the GUI thread (widgets, the window's Project): it
opens its own handles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from labelhub.errors import Cancelled

Progress = Callable[[int, int, str], None]
Job = Callable[[Progress, threading.Event], Any]


class _WorkerThread(QThread):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, job: Job, cancel: threading.Event, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self._cancel = cancel

    def _report(self, done: int, total: int, message: str = "") -> None:
        self.progressed.emit(int(done), int(total), str(message))

    def run(self) -> None:
        try:
            result = self._job(self._report, self._cancel)
        except BaseException as error:  # every failure goes back to the GUI thread
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)


class BackgroundTask(QObject):
    """One job on a worker thread, watched by a window-modal QProgressDialog.

    Exactly one of ``on_success(result)``, ``on_cancelled()``, ``on_error(exception)`` runs, on
    the GUI thread, after the dialog has closed; then ``finished`` is emitted.
    """

    finished = Signal()
    SHOW_AFTER_MS = 200

    def __init__(
        self,
        parent: QWidget,
        title: str,
        label: str,
        job: Job,
        *,
        on_success: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        on_cancelled: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self._on_success = on_success
        self._on_error = on_error
        self._on_cancelled = on_cancelled
        self._done = False
        self._label = label
        self.dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        cancel_button = QPushButton("Cancel", self.dialog)
        cancel_button.setAutoDefault(False)  # Enter must not cancel by accident
        self.dialog.setCancelButton(cancel_button)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(self.SHOW_AFTER_MS)
        self.dialog.setMinimumWidth(460)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._thread = _WorkerThread(job, self.cancel_event, self)
        self._thread.progressed.connect(self._on_progress)
        self._thread.succeeded.connect(self._succeeded)
        self._thread.failed.connect(self._failed)

    def start(self) -> None:
        self.dialog.setValue(0)
        self._thread.start()

    @property
    def running(self) -> bool:
        return not self._done

    def cancel(self) -> None:
        """Ask the job to stop; it raises Cancelled at its next check."""
        self.cancel_event.set()
        self.dialog.setLabelText("Cancelling…")

    def abandon(self) -> None:
        """Cancel, wait for the worker to stop, and drop its outcome (the window is closing)."""
        self.cancel_event.set()
        self._done = True
        self._thread.wait()
        self.dialog.reset()  # stops the timer that would show the dialog later
        self.dialog.hide()

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if self.cancel_event.is_set() or self._done:
            return
        if total > 0:
            self.dialog.setMaximum(total)
            self.dialog.setValue(min(done, total))
        counted = f"{min(done + 1, total):,} of {total:,}" if total > 1 else ""
        detail = " · ".join(part for part in (counted, message) if part)
        self.dialog.setLabelText(f"{self._label}\n{detail}" if detail else self._label)

    def _finish(self) -> None:
        self._done = True
        self._thread.wait()
        self.dialog.reset()  # stops the timer that would show the dialog later
        self.dialog.hide()
        self.dialog.deleteLater()

    def _succeeded(self, result: object) -> None:
        if self._done:
            return
        self._finish()
        try:
            self._on_success(result)
        finally:
            self.finished.emit()

    def _failed(self, error: object) -> None:
        if self._done:
            return
        self._finish()
        try:
            if isinstance(error, Cancelled):
                if self._on_cancelled is not None:
                    self._on_cancelled()
            elif isinstance(error, BaseException):
                self._on_error(error)
        finally:
            self.finished.emit()
