"""Running the Assets workspace's changes and long reads on a worker thread.

Each job opens its own Project handle as the signed-in member (without a backup: the window's
handle made one), like the importer, and reports back on the GUI thread through a
BackgroundTask, whose progress dialog shows only when the work takes a while.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

from labelhub.gui.messages import show_error
from labelhub.gui.tasks import BackgroundTask, Progress

Work = Callable[[Any, Progress, Any], Any]


def run_job(parent: QWidget, project: Any, title: str, label: str, work: Work,
            on_success: Callable[[Any], None], *, on_cancelled: Callable[[], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> BackgroundTask:
    """Run ``work(project, progress, cancel)`` on a worker with its own Project handle."""
    from labelhub.project import Project

    folder, member = project.folder, project.member.name

    def job(progress: Progress, cancel: Any) -> Any:
        with Project.open(folder, user=member, backup=False) as own:
            return work(own, progress, cancel)

    task = BackgroundTask(
        parent, title, label, job, on_success=on_success,
        on_error=on_error or (lambda error: show_error(parent, error, title=title)),
        on_cancelled=on_cancelled)
    task.finished.connect(task.deleteLater)
    task.start()
    return task


class _Bridge(QObject):
    done = Signal(int, object, object)


class _Read(QRunnable):
    def __init__(self, bridge: _Bridge, ticket: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.bridge, self.ticket, self.fn = bridge, ticket, fn

    def run(self) -> None:
        try:
            result, error = self.fn(), None
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread
            result, error = None, exc
        try:
            self.bridge.done.emit(self.ticket, result, error)
        except RuntimeError:  # the reader is gone: nobody is waiting for the answer
            return


class Reader(QObject):
    """Reads (no writes) off the GUI thread; only the newest request's answer is delivered."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self._ticket = 0
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[BaseException], None] | None]] = {}

    def read(self, fn: Callable[[], Any], done: Callable[[Any], None],
             failed: Callable[[BaseException], None] | None = None) -> None:
        self._ticket += 1
        self._callbacks = {self._ticket: (done, failed)}
        self._pool.start(_Read(self._bridge, self._ticket, fn))

    def wait(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)

    @property
    def pending(self) -> bool:
        """The newest read has not delivered its answer yet."""
        return bool(self._callbacks)

    def _done(self, ticket: int, result: Any, error: Any) -> None:
        callbacks = self._callbacks.pop(ticket, None)
        if callbacks is None:
            return
        done, failed = callbacks
        if error is not None:
            if failed is not None:
                failed(error)
            return
        done(result)
