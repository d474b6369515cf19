"""Fixtures for the Annotate workspace: a real project with images and a label schema, the
workspace signed in as an annotator, and mouse helpers that drive the real canvas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from labelhub.gui.annotate import AnnotateWorkspace
from labelhub.project import Project

SIZES = {"a-street.png": (320, 240), "b-field.png": (320, 240), "c-small.png": (200, 150)}


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


def make_schema(p: Project, dataset: str) -> None:
    p.add_label_class(dataset, "car", kinds=["box", "polygon", "rotated_box", "mask"],
                      attributes=[{"name": "occluded", "type": "boolean", "required": True},
                                  {"name": "colour", "type": "choice", "choices": ["red", "blue"]},
                                  {"name": "speed", "type": "number", "min": 0, "max": 300},
                                  {"name": "note", "type": "text"}],
                      guidelines="Draw the whole car, wheels included.")
    p.add_label_class(dataset, "person", kinds=["keypoints", "box"],
                      keypoints=["head", "left hand", "right hand"], skeleton=[[0, 1], [0, 2]])
    p.add_label_class(dataset, "lane", kinds=["polyline", "points"])
    p.add_label_class(dataset, "day", kinds=["tag"], hotkey="y")
    p.add_label_class(dataset, "night", kinds=["tag"], hotkey="u")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(1)
    for name, (w, h) in SIZES.items():
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(images / name)
    folder = tmp_path / "proj"
    with Project.create(folder, lead="lena") as p:
        p.add_member("ana", "annotator")
        p.add_member("ben", "annotator")
        p.create_dataset("street")
        p.import_images("street", [images])
        make_schema(p, "street")
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "annotate.ini"), QSettings.Format.IniFormat)


def open_workspace(qtbot, folder: Path, user: str, settings: QSettings) -> AnnotateWorkspace:
    ws = AnnotateWorkspace(None, settings=settings)
    qtbot.addWidget(ws)
    ws.resize(1400, 900)
    ws.set_project(Project.open(folder, user=user, backup=False))
    ws.show()
    ws.activateWindow()
    qtbot.waitUntil(ws.isActiveWindow, timeout=5000)
    ws.canvas.fit()
    return ws


@pytest.fixture
def ws(qtbot, project_dir: Path, settings: QSettings) -> Iterator[AnnotateWorkspace]:
    workspace = open_workspace(qtbot, project_dir, "ana", settings)
    yield workspace
    workspace.project.close()


def wpos(ws: AnnotateWorkspace, x: float, y: float) -> QPointF:
    return ws.canvas.image_to_widget(x, y)


def _send(ws: AnnotateWorkspace, kind: QMouseEvent.Type, pos: QPointF,
          button: Qt.MouseButton, buttons: Qt.MouseButton,
          mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    canvas = ws.canvas
    glob = QPointF(canvas.mapToGlobal(QPoint(int(pos.x()), int(pos.y()))))
    QApplication.sendEvent(canvas, QMouseEvent(kind, pos, glob, button, buttons, mods))


def press(ws: AnnotateWorkspace, x: float, y: float,
          mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    left = Qt.MouseButton.LeftButton
    _send(ws, QMouseEvent.Type.MouseButtonPress, wpos(ws, x, y), left, left, mods)


def release(ws: AnnotateWorkspace, x: float, y: float,
            mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    left = Qt.MouseButton.LeftButton
    _send(ws, QMouseEvent.Type.MouseButtonRelease, wpos(ws, x, y), left, Qt.MouseButton.NoButton, mods)


def move(ws: AnnotateWorkspace, x: float, y: float, held: bool = True) -> None:
    buttons = Qt.MouseButton.LeftButton if held else Qt.MouseButton.NoButton
    _send(ws, QMouseEvent.Type.MouseMove, wpos(ws, x, y), Qt.MouseButton.NoButton, buttons)


def click(ws: AnnotateWorkspace, x: float, y: float,
          mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    move(ws, x, y, held=False)
    press(ws, x, y, mods)
    release(ws, x, y, mods)


def double_click(ws: AnnotateWorkspace, x: float, y: float) -> None:
    left = Qt.MouseButton.LeftButton
    _send(ws, QMouseEvent.Type.MouseButtonDblClick, wpos(ws, x, y), left, left)
    release(ws, x, y)


def drag(ws: AnnotateWorkspace, start: tuple[float, float], end: tuple[float, float],
         steps: int = 6, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    move(ws, *start, held=False)
    press(ws, *start, mods)
    for i in range(1, steps + 1):
        t = i / steps
        move(ws, start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
    release(ws, *end, mods)


def key(qtbot, ws: AnnotateWorkspace, sequence: str | Qt.Key,
        mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press keys on the canvas the way a user does (shortcuts included)."""
    ws.canvas.setFocus()
    if isinstance(sequence, str):
        for ch in sequence:
            qtbot.keyClick(ws.canvas, ch, mods)
    else:
        qtbot.keyClick(ws.canvas, sequence, mods)


def saved(ws: AnnotateWorkspace) -> list:
    """The annotations of the current item in ana's own label set, read from the project."""
    p = ws.project
    own = p.my_label_set(ws.dataset)
    return p.annotations(own.uid, ws.item.uid)
