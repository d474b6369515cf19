"""Shared fixtures. Sub-folders add their own in their own conftest.py."""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from labelhub.resources import resource_path  # noqa: E402

#: The images ``images_dir`` makes, relative to it, with their (width, height).
IMAGES_DIR_FILES: dict[str, tuple[int, int]] = {
    "red.jpg": (64, 48),
    "gradient.png": (40, 30),
    "noise.jpg": (33, 17),
    "more/blue.png": (24, 36),
}


def _pixels(name: str, width: int, height: int) -> Image.Image:
    if name.endswith("red.jpg"):
        array = np.broadcast_to(np.array([200, 30, 30], np.uint8), (height, width, 3))
    elif name.endswith("blue.png"):
        array = np.broadcast_to(np.array([30, 60, 210], np.uint8), (height, width, 3))
    elif name.endswith("gradient.png"):
        ramp = np.linspace(0, 255, width, dtype=np.float64)[None, :, None]
        array = np.broadcast_to(ramp, (height, width, 3)).astype(np.uint8)
    else:
        array = np.random.default_rng(0).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return Image.fromarray(np.ascontiguousarray(array))


@pytest.fixture
def images_dir(tmp_path: Path) -> Path:
    """A folder of small, distinct, real images: three at the top, one in ``more/``.

    See IMAGES_DIR_FILES for the names and sizes.
    """
    folder = tmp_path / "images"
    for relative, (width, height) in IMAGES_DIR_FILES.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _pixels(relative, width, height).save(target)
    return folder


@pytest.fixture(scope="session")
def sample_photos() -> Path:
    """The shipped sample photos (resources/samples/photos): JPEGs, one with EXIF orientation 6."""
    return resource_path("samples", "photos")


def _dispose_window(window: object) -> None:
    """Close a test's window and delete it now. A window only closed stays alive until the
    process ends, and every later theme or style change re-polishes all of them: window tests
    then grew from one second to ten each."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication, QWidget

    if not isinstance(window, QWidget):
        return
    try:
        window.close()
        window.deleteLater()
    except RuntimeError:  # already deleted by the test
        return
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


@pytest.fixture(scope="session")
def dispose_window():  # noqa: ANN201
    """dispose_window(window): close a test's window and delete it at once."""
    return _dispose_window


def _event_loops_run() -> bool:
    """Whether a QEventLoop still runs on the GUI thread (always true when Qt isn't loaded).

    A QApplication that got a Quit event outside exec() (a quit() whose second, posted Quit
    outlived exec()) stays "quitting": every QEventLoop returns -1 at once, so qtbot.wait,
    waitUntil and waitSignal stop waiting and a later test that waits for a worker's queued
    signal times out, far from the test that caused it."""
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return True
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        return True
    loop = QEventLoop()
    QTimer.singleShot(0, lambda: loop.exit(7))
    return loop.exec() == 7


@pytest.fixture(autouse=True)
def qt_event_loops_still_run():  # noqa: ANN201
    """Fail the test that leaves Qt's event loops unable to run, not the ones after it."""
    yield
    if not _event_loops_run():
        pytest.fail("this test left the QApplication quitting (a Quit event delivered outside "
                    "exec()): every later QEventLoop, qtbot.wait and waitUntil returns at once",
                    pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let Qt's worker threads finish before the interpreter tears Qt down."""
    import sys

    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
    session.config._labelhub_exit = exitstatus  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without running Qt's global destructors: after window tests whose canvas threads
    were still winding down, they crashed the interpreter on exit (a segfault *after* every test
    had passed). The report is already written; the exit status is pytest's own."""
    import sys

    status = getattr(config, "_labelhub_exit", None)
    if status is not None and "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(status))
