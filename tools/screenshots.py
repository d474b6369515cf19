"""Screenshots of the LabelHub window, for the README and for looking at the GUI.

Run under a real X server so fonts, icons and anti-aliasing are what users see::

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tools/screenshots.py --out screenshots [--project PATH --user NAME]

Without ``--project`` the demo project is built in a temporary folder. Settings go to a
temporary folder too, so your own recent projects are not touched. It saves the start page,
every workspace, and the sign-in, new project, members, about, credits and import summary
dialogs, in light and in dark, as PNG files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget

from labelhub.errors import Cancelled
from labelhub.gui.app import create_application, prepare_application
from labelhub.gui.import_dialogs import ImportSummaryDialog
from labelhub.gui.main_window import MainWindow
from labelhub.gui.project_dialogs import NewProjectDialog, SignInDialog
from labelhub.gui.settings import AppSettings
from labelhub.gui.tasks import BackgroundTask
from labelhub.gui.theme import install_theme
from labelhub.gui.workspaces import WORKSPACES
from labelhub.project import Project
from labelhub.resources import resource_path

WINDOW_SIZE = (1280, 800)


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let Qt lay out and paint."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, out: Path, name: str, app: QApplication) -> Path:
    settle(app)
    path = out / f"{name}.png"
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)
    return path


def sample_report(workdir: Path) -> tuple[str, object]:
    """A real import with duplicates and a broken file, for the summary dialog."""
    photos = resource_path("samples", "photos")
    source = workdir / "to-import"
    shutil.copytree(photos, source)
    shutil.copy(photos / "cat.jpg", source / "cat-copy.jpg")
    (source / "notes.jpg").write_bytes(b"this is a text file named like a photo")
    with Project.create(workdir / "summary-project", lead="lena") as project:
        project.create_dataset("street")
        return "street", project.import_images("street", [source])


def progress_shot(window: MainWindow, app: QApplication, out: Path, suffix: str) -> None:
    """The progress dialog of long work, caught half-way, then cancelled."""
    shown = threading.Event()

    def job(progress, cancel):  # noqa: ANN001, ANN202
        progress(11, 30, "scene-011.png")
        shown.wait(10)
        raise Cancelled("cancelled for the screenshot")

    task = BackgroundTask(window, "Import images", "Importing into “shapes”…", job,
                          on_success=lambda result: None, on_error=lambda error: None)
    task.start()
    deadline = time.monotonic() + 5
    while not task.dialog.isVisible() and time.monotonic() < deadline:
        settle(app, 0.05)
    save(task.dialog, out, f"13-progress{suffix}", app)
    task.cancel()
    shown.set()
    while task.running:
        settle(app, 0.05)


def shoot(window: MainWindow, app: QApplication, project: Path, user: str, out: Path,
          suffix: str, workdir: Path) -> None:
    window.close_project()
    window.refresh_recent()
    save(window, out, f"01-start{suffix}", app)

    sign_in = SignInDialog(project.name, Project.list_members(project), user, window)
    sign_in.show()
    save(sign_in, out, f"02-sign-in{suffix}", app)
    sign_in.close()

    new_project = NewProjectDialog(Path.home(), window)
    new_project.show()
    save(new_project, out, f"03-new-project{suffix}", app)
    new_project.close()

    if not window.open_project(project, user=user):
        raise SystemExit(f"could not open {project} as {user}")
    window.assets.table.selectRow(0)
    for number, info in enumerate(WORKSPACES, start=4):
        window.set_workspace(info.key)
        save(window, out, f"{number:02d}-{info.key}{suffix}", app)
    window.set_workspace("assets")

    members = window.show_members()
    if members is not None:
        members.select_member(user)
        save(members, out, f"09-members{suffix}", app)
        members.close()
    annotator = next((m.name for m in Project.list_members(project)
                      if m.active and m.role.value == "annotator"), None)
    if annotator is not None and window.open_project(project, user=annotator):
        members = window.show_members()
        if members is not None:
            save(members, out, f"09-members-read-only{suffix}", app)
            members.close()
        window.open_project(project, user=user)

    about = window.show_about()
    save(about, out, f"10-about{suffix}", app)
    credits = about.show_credits()
    save(credits, out, f"11-credits{suffix}", app)
    credits.close()
    about.close()

    progress_shot(window, app, out, suffix)

    dataset, report = sample_report(workdir / f"summary{suffix or '-light'}")
    summary = ImportSummaryDialog(dataset, report, window)
    summary.show()
    save(summary, out, f"12-import-summary{suffix}", app)
    summary.close()

    empty = workdir / f"new-project{suffix}"
    Project.create(empty, lead=user).close()
    if window.open_project(empty, user=user):
        window.set_workspace("assets")
        save(window, out, f"14-assets-empty{suffix}", app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="project folder (default: a fresh demo)")
    parser.add_argument("--user", default="lena", help="member to sign in as (default: lena)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="output folder")
    parser.add_argument("--readme", type=Path,
                        help="also copy the Assets shots here (e.g. docs/screenshot.png, and "
                             "docs/screenshot-dark.png beside it)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="labelhub-shots-"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(workdir / "settings"))
    try:
        project = args.project
        if project is None:
            from labelhub.project.demo import build_demo

            print("building the demo project…")
            project = build_demo(workdir / "demo")
        app = create_application([sys.argv[0]])
        prepare_application(app)
        settings = AppSettings(QSettings(str(workdir / "labelhub.ini"),
                                         QSettings.Format.IniFormat))
        settings.add_recent_project(project)
        missing = workdir / "old-experiment"
        settings.add_recent_project(missing)
        settings.add_recent_project(project)
        window = MainWindow(settings, demo_folder=workdir / "demo")
        window.resize(*WINDOW_SIZE)
        window.show()
        settle(app, 0.8)
        args.out.mkdir(parents=True, exist_ok=True)

        theme = install_theme(app)
        for scheme, suffix in ((Qt.ColorScheme.Light, ""), (Qt.ColorScheme.Dark, "-dark")):
            theme.apply(scheme)
            settle(app, 0.3)
            shoot(window, app, Path(project), args.user, args.out, suffix, workdir)
        if args.readme is not None:
            args.readme.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(args.out / "04-assets.png", args.readme)
            dark = args.readme.with_name(f"{args.readme.stem}-dark{args.readme.suffix}")
            shutil.copy(args.out / "04-assets-dark.png", dark)
            print(args.readme, dark)
        window.close()
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
