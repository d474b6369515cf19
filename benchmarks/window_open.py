"""Opening the main window on a project of a million items, offscreen.

    python benchmarks/window_open.py [--items 1000000] [--project PATH]

Builds (once; reused when --project names an existing one) the project of
``benchmarks/assets.py``: one dataset of ITEMS items with splits, metadata, ground truth on a
tenth of them and assignments on a twentieth. Then, in a fresh process with the window already
up, measures what a user waits for:

  * File > Open on the project (``MainWindow.open_project``: sign-in, checks, the datasets)
    until the Assets grid has painted its first rows (target: a few seconds, 3 s here), and
    until the whole id list of the dataset is in (in the background, the window responsive);
  * the first showing of each other workspace: pages read the project only when shown, and
    never read every item of a dataset (Annotate shows its queue a page at a time);
  * resident memory after all of that (<= 400 MB, the Assets target of issue 4).

The rotating backup that ``open_project`` takes when the project changed since the last one
is taken before the clock starts (it copies the file: seconds for a gigabyte, and only after
a change). Prints each figure with its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _figures import memory, report, rss_mb, status_mb  # noqa: E402  (benchmarks/)

from labelhub.project import Project  # noqa: E402

HERE = Path(__file__).resolve().parent


def measure(folder: Path) -> None:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from labelhub.gui.app import prepare_application
    from labelhub.gui.main_window import MainWindow
    from labelhub.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([sys.argv[0]])
    prepare_application(app)

    def idle_until(done: Callable[[], bool], limit: float) -> None:
        """Run the event loop, idle between events as in the window, until ``done()`` (a loop
        spinning on processEvents would take the workers' turns)."""
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if done() else None)
        timer.start(20)
        QTimer.singleShot(int(limit * 1000), loop.quit)
        if not done():
            loop.exec()
        timer.stop()
    tmp = Path(tempfile.mkdtemp(prefix="labelhub-bench-window-"))
    try:
        Project.open(folder, user="bench").close()  # the rotating backup, before the clock
        window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)),
                            demo_folder=tmp / "demo")
        window.resize(1400, 900)
        window.show()
        app.processEvents()
        print(f"  (the window up on its start page: {memory()})")
        browser = window.assets.browser

        class Painted(QObject):
            at: float | None = None

            def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint and browser.model.rowCount() > 0 and self.at is None:
                    self.at = time.perf_counter()
                return False

        painted = Painted()
        browser.grid.viewport().installEventFilter(painted)
        t0 = time.perf_counter()
        if not window.open_project(folder, user="bench"):
            raise SystemExit("the window did not open the project")
        opened = time.perf_counter() - t0
        idle_until(lambda: painted.at is not None, 600)
        first = (painted.at or time.perf_counter()) - t0
        idle_until(lambda: not browser.model.loading, 600)
        listed = time.perf_counter() - t0
        print(f"  (open_project returned after {opened:.2f} s; {browser.model.rowCount():,} items listed "
              f"after {listed:.2f} s, in the background)")
        report("File > Open on the project -> first painted grid", first, 3, "s")
        report("  ... -> every item of the dataset listed (background)", listed, 3, "s")
        print(f"  (the Assets page open: {memory()})")
        for key in ("annotate", "review", "versions", "models"):
            t = time.perf_counter()
            window.set_workspace(key)
            page = window.workspaces[key]
            busy = getattr(page, "busy", lambda: False)
            idle_until(lambda busy=busy: not busy(), 600)  # Review reads its queue on a worker
            report(f"first showing of the {key.capitalize()} workspace", time.perf_counter() - t, 3, "s")
            print(f"  ({memory()})")
        window.set_workspace("assets")
        app.processEvents()
        report("resident memory after every workspace was shown", rss_mb(), 400, "MB")
        report("  ... the process's own (anonymous) pages", status_mb("RssAnon"), 400, "MB")
        window.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--project", type=Path, help="build here once and reuse (default: a temporary folder)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="labelhub-bench-window-open-"))
    try:
        folder = args.project or workdir / "project"
        if not Project.is_project(folder):
            # Built by benchmarks/assets.py in another process, so that what building costs in
            # memory is not counted here.
            subprocess.run([sys.executable, str(HERE / "assets.py"), "--build-only", "--items", str(args.items),
                            "--project", str(folder)], check=True)
        measure(folder)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
