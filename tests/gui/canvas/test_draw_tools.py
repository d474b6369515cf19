"""Each drawing tool, driven with real mouse and key events on a zoomed and panned canvas:
it emits one command with the right geometry in image coordinates, and the shape shows."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPoint, Qt

from labelhub.geometry import (
    NOT_LABELLED,
    OCCLUDED,
    VISIBLE,
    Box,
    Keypoints,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelhub.gui.canvas import CanvasShape, Layer, ShapeAdded, Skeleton

from .conftest import RED, at, image_point, near, pixel, tinted

LEFT = Qt.MouseButton.LeftButton


def drag(qtbot, widget, a: QPoint, b: QPoint, steps: int = 4) -> None:
    qtbot.mousePress(widget, LEFT, pos=a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(widget, QPoint(a.x() + (b.x() - a.x()) * i // steps,
                                       a.y() + (b.y() - a.y()) * i // steps))
    qtbot.mouseRelease(widget, LEFT, pos=b)


def click(qtbot, widget, pos: QPoint, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseMove(widget, pos)
    qtbot.mouseClick(widget, LEFT, modifier, pos)


def only_added(commands: list) -> ShapeAdded:
    assert len(commands) == 1, commands
    command = commands[0]
    assert isinstance(command, ShapeAdded)
    return command


def test_box_by_drag(qtbot, canvas, commands) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_W)
    assert canvas.tool.name == "box"
    a, b = at(canvas, 300, 250), at(canvas, 420, 330)
    drag(qtbot, canvas, a, b)
    command = only_added(commands)
    (x0, y0), (x1, y1) = image_point(canvas, a), image_point(canvas, b)
    assert command.shape == Box.from_corners(x0, y0, x1, y1)
    assert command.layer == "default" and command.label == "car"
    assert canvas.shape(command.uid).shape == command.shape
    assert near(pixel(canvas, x0, (y0 + y1) / 2), RED)  # the outline
    assert tinted(pixel(canvas, (x0 + x1) / 2, (y0 + y1) / 2), RED)  # the fill


def test_box_by_two_clicks(qtbot, canvas, commands) -> None:
    canvas.set_tool("box")
    a, b = at(canvas, 500, 400), at(canvas, 450, 360)
    click(qtbot, canvas, a)
    assert not commands and canvas.tool.busy()
    click(qtbot, canvas, b)
    command = only_added(commands)
    (x0, y0), (x1, y1) = image_point(canvas, a), image_point(canvas, b)
    assert command.shape == Box.from_corners(x0, y0, x1, y1)


def test_box_is_clipped_to_the_image_and_escape_cancels(qtbot, canvas, commands) -> None:
    canvas.set_tool("box")
    click(qtbot, canvas, at(canvas, 400, 300))
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not canvas.tool.busy() and not commands
    canvas.center_on(0, 0)
    drag(qtbot, canvas, at(canvas, -30, -20), at(canvas, 60, 50))
    box = only_added(commands).shape
    assert box.x == 0 and box.y == 0 and box.w > 50


def test_rotated_box(qtbot, canvas, commands) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_R)
    a, b, c = at(canvas, 300, 300), at(canvas, 400, 360), at(canvas, 370, 400)
    drag(qtbot, canvas, a, b)
    assert not commands
    click(qtbot, canvas, c)
    box = only_added(commands).shape
    assert isinstance(box, RotatedBox)
    (ax, ay), (bx, by), (cx, cy) = (image_point(canvas, p) for p in (a, b, c))
    assert box.w == pytest.approx(math.hypot(bx - ax, by - ay))
    assert box.angle == pytest.approx(math.degrees(math.atan2(by - ay, bx - ax)))
    nx, ny = -(by - ay) / box.w, (bx - ax) / box.w
    assert box.h == pytest.approx(abs((cx - ax) * nx + (cy - ay) * ny))
    corners = box.corners()
    assert corners[0] == pytest.approx((ax, ay)) and corners[1] == pytest.approx((bx, by))
    assert tinted(pixel(canvas, box.cx, box.cy), RED)


@pytest.mark.parametrize("finish", ["enter", "double_click", "first_vertex"])
def test_polygon(qtbot, canvas, commands, finish) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_P)
    points = [at(canvas, x, y) for x, y in ((300, 250), (420, 260), (440, 360), (320, 380))]
    for p in points[:-1]:
        click(qtbot, canvas, p)
    if finish == "enter":
        click(qtbot, canvas, points[-1])
        qtbot.keyClick(canvas, Qt.Key.Key_Return)
    elif finish == "double_click":
        click(qtbot, canvas, points[-1])
        qtbot.mouseDClick(canvas, LEFT, pos=points[-1])
    else:
        click(qtbot, canvas, points[-1])
        click(qtbot, canvas, points[0] + QPoint(2, -1))
    polygon = only_added(commands).shape
    assert polygon == Polygon(tuple(image_point(canvas, p) for p in points))
    assert tinted(pixel(canvas, 370, 310), RED)


def test_polygon_backspace_and_escape(qtbot, canvas, commands) -> None:
    canvas.set_tool("polygon")
    for x, y in ((300, 250), (420, 260), (440, 360), (999, 999)):
        click(qtbot, canvas, at(canvas, x, y))
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert len(only_added(commands).shape.points) == 3
    click(qtbot, canvas, at(canvas, 100, 100))
    click(qtbot, canvas, at(canvas, 150, 100))
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert len(commands) == 1 and not canvas.tool.busy()


def test_polyline(qtbot, canvas, commands) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_L)
    points = [at(canvas, x, y) for x, y in ((300, 300), (360, 280), (420, 330))]
    for p in points:
        click(qtbot, canvas, p)
    qtbot.mouseDClick(canvas, LEFT, pos=points[-1])
    line = only_added(commands).shape
    assert line == Polyline(tuple(image_point(canvas, p) for p in points))
    mid = ((line.points[0][0] + line.points[1][0]) / 2, (line.points[0][1] + line.points[1][1]) / 2)
    assert near(pixel(canvas, *mid), RED, 200)


def test_point(qtbot, canvas, commands) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_D)
    p = at(canvas, 333, 222)
    click(qtbot, canvas, p)
    shape = only_added(commands).shape
    assert shape == Points((image_point(canvas, p),))
    assert near(pixel(canvas, *shape.points[0]), RED)


def test_keypoints_in_skeleton_order(qtbot, canvas, commands) -> None:
    canvas.current_label = "person"
    canvas.set_skeleton("person", Skeleton(("head", "left hand", "right hand", "tail"),
                                           ((0, 1), (0, 2), (0, 3))))
    qtbot.keyClick(canvas, Qt.Key.Key_K)
    head, left, right = at(canvas, 400, 300), at(canvas, 360, 350), at(canvas, 440, 350)
    click(qtbot, canvas, head)
    click(qtbot, canvas, left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_N)  # right hand not labelled
    assert not commands
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)  # undo the skip
    click(qtbot, canvas, right)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)  # the tail is left unlabelled
    kp = only_added(commands).shape
    assert isinstance(kp, Keypoints)
    assert kp.visibility == (VISIBLE, OCCLUDED, VISIBLE, NOT_LABELLED)
    assert kp.points[:3] == tuple(image_point(canvas, p) for p in (head, left, right))
    color = canvas.label_qcolor("person").name()
    assert near(pixel(canvas, *kp.points[0]), color)


def test_keypoints_finish_by_themselves(qtbot, canvas, commands) -> None:
    canvas.set_skeleton("car", Skeleton(("a", "b")))
    canvas.set_tool("keypoints")
    click(qtbot, canvas, at(canvas, 300, 300))
    click(qtbot, canvas, at(canvas, 320, 300))
    assert only_added(commands).shape.visibility == (VISIBLE, VISIBLE)


def test_keypoints_need_a_skeleton(qtbot, canvas, commands) -> None:
    canvas.set_tool("keypoints")
    click(qtbot, canvas, at(canvas, 300, 300))
    assert not commands and "skeleton" in canvas.last_status


def test_drawing_into_a_read_only_layer_is_refused(qtbot, canvas, commands) -> None:
    canvas.set_layer(Layer("predictions", editable=False))
    canvas.current_layer = "predictions"
    canvas.set_tool("point")
    click(qtbot, canvas, at(canvas, 300, 300))
    assert not commands and "read-only" in canvas.last_status
    canvas.current_layer = "default"
    click(qtbot, canvas, at(canvas, 300, 300))
    assert only_added(commands).layer == "default"


def test_new_shapes_go_on_top(qtbot, canvas, commands) -> None:
    canvas.set_shapes([CanvasShape("under", "tree", Box(250, 250, 200, 200))])
    canvas.set_tool("box")
    drag(qtbot, canvas, at(canvas, 300, 300), at(canvas, 380, 380))
    uid = only_added(commands).uid
    assert canvas.shape_at(340, 340) == uid
    assert canvas.shape_at(260, 260) == "under"
