"""Zoom, pan, fit, 1:1, crosshair and display adjustments, through real events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from labelhub.geometry import Box
from labelhub.gui.canvas import CanvasShape
from labelhub.gui.canvas.view import DisplayAdjust

from .conftest import GREY, IMAGE_H, IMAGE_W, RED, at, near, pixel


def wheel(widget, pos: QPoint, notches: float) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, int(120 * notches)), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.mark.parametrize("notches", [1, 3, -2])
def test_wheel_zoom_keeps_the_point_under_the_cursor(canvas, notches) -> None:
    pos = QPoint(613, 187)
    before = canvas.widget_to_image(QPointF(pos))
    scale = canvas.view.scale
    wheel(canvas, pos, notches)
    assert canvas.view.scale == pytest.approx(scale * 1.25 ** notches)
    assert canvas.widget_to_image(QPointF(pos)) == pytest.approx(before)


def test_zoomed_rendering_matches_the_view(canvas) -> None:
    canvas.set_shapes([CanvasShape("b", "car", Box(400, 300, 50, 40))])
    wheel(canvas, at(canvas, 425, 320), 4)
    assert near(pixel(canvas, 400, 320), RED)
    assert near(pixel(canvas, 425, 300), RED)
    assert not near(pixel(canvas, 380, 320), RED, 200)


def test_fit_and_one_to_one(qtbot, canvas) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_F)
    x0, y0, x1, y1 = canvas.view.visible(canvas.width(), canvas.height())
    assert x0 <= 0 and y0 <= 0 and x1 >= IMAGE_W and y1 >= IMAGE_H
    assert min(x1 - x0 - IMAGE_W, y1 - y0 - IMAGE_H) < 30  # one side fills the widget
    centre = canvas.widget_to_image(QPointF(canvas.width() / 2, canvas.height() / 2))
    assert centre == pytest.approx((IMAGE_W / 2, IMAGE_H / 2))
    pos = QPoint(300, 200)
    qtbot.mouseMove(canvas, pos)
    before = canvas.widget_to_image(QPointF(pos))
    qtbot.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.view.scale == pytest.approx(1.0 / canvas.devicePixelRatioF())
    assert canvas.widget_to_image(QPointF(pos)) == pytest.approx(before)


def test_fit_follows_resizes_until_the_user_zooms(qtbot, canvas) -> None:
    canvas.fit()
    canvas.resize(500, 700)
    assert canvas.view.visible(500, 700)[2] == pytest.approx(IMAGE_W + 8 / canvas.view.scale)
    canvas.zoom_to(2.0)
    centre = canvas.widget_to_image(QPointF(250, 350))
    canvas.resize(600, 600)
    assert canvas.widget_to_image(QPointF(300, 300)) == pytest.approx(centre)


def test_middle_drag_pans(qtbot, canvas) -> None:
    a, b = QPoint(400, 300), QPoint(330, 350)
    before = canvas.widget_to_image(QPointF(a))
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=a)
    qtbot.mouseMove(canvas, QPoint(380, 320))
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=b)
    assert canvas.widget_to_image(QPointF(b)) == pytest.approx(before)


def test_space_drag_pans_without_drawing(qtbot, canvas) -> None:
    drawn = []
    canvas.commandIssued.connect(drawn.append)
    canvas.set_tool("box")
    a, b = QPoint(400, 300), QPoint(480, 260)
    before = canvas.widget_to_image(QPointF(a))
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.widget_to_image(QPointF(b)) == pytest.approx(before)
    assert not drawn and not canvas.tool.busy()


def test_panning_reuses_the_cached_rendering(qtbot, canvas) -> None:
    canvas.set_shapes([CanvasShape("b", "car", Box(400, 300, 50, 40))])
    canvas.flush()
    shapes = canvas.cache.layers["shapes"]
    canvas.pan_by(25, -10)
    canvas.repaint()
    assert canvas.cache.layers["shapes"] is shapes  # moved, not redrawn
    assert near(pixel(canvas, 400, 320), RED)


def test_crosshair_follows_the_pointer(qtbot, canvas) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_X)
    assert canvas.crosshair
    qtbot.mouseMove(canvas, QPoint(123, 321))
    canvas.flush()
    image = canvas.grab().toImage()

    def brightest(points) -> int:
        return max(image.pixelColor(p).lightness() for p in points)

    assert brightest(QPoint(x, 321) for x in range(40, 60)) > 90
    assert brightest(QPoint(123, y) for y in range(490, 510)) > 90
    assert brightest(QPoint(x, 330) for x in range(40, 60)) < 60


def test_display_adjustments_change_only_the_screen(canvas) -> None:
    before = pixel(canvas, 500, 400)
    assert near(before, "#282828", 6)
    canvas.set_display(brightness=0.2, contrast=1.0, gamma=1.0)
    brighter = pixel(canvas, 500, 400)
    assert brighter.red() == pytest.approx(GREY + 0.2 * 255, abs=2)
    canvas.set_display(contrast=2.0)
    assert pixel(canvas, 500, 400).red() < GREY
    canvas.set_display(gamma=2.2)
    assert pixel(canvas, 500, 400).red() > GREY + 40
    assert canvas.display() == DisplayAdjust(0.0, 1.0, 2.2)


def test_tool_shortcuts(qtbot, canvas) -> None:
    for key, name in ((Qt.Key.Key_W, "box"), (Qt.Key.Key_P, "polygon"),
                      (Qt.Key.Key_B, "brush"), (Qt.Key.Key_V, "select")):
        qtbot.keyClick(canvas, key)
        assert canvas.tool.name == name
    with pytest.raises(ValueError, match="unknown tool"):
        canvas.set_tool("lasso")
