"""Brush and eraser on masks (COCO RLE), and the windowed mask helpers behind them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from labelhub.geometry import Mask
from labelhub.gui.canvas import CanvasShape, ShapeAdded, ShapeChanged, ShapesDeleted, masks

from .conftest import IMAGE_H, IMAGE_W, RED, at, image_point, pixel, tinted
from .test_draw_tools import drag

LEFT = Qt.MouseButton.LeftButton


def stroke(qtbot, canvas, points) -> None:
    pts = [at(canvas, x, y) for x, y in points]
    qtbot.mousePress(canvas, LEFT, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, LEFT, pos=pts[-1])


def test_brush_paints_a_new_mask(qtbot, canvas, commands) -> None:
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    canvas.brush_px = 8.0
    stroke(qtbot, canvas, [(300, 300), (340, 300), (380, 310)])
    assert len(commands) == 1 and isinstance(commands[0], ShapeAdded)
    mask = commands[0].shape
    assert isinstance(mask, Mask) and (mask.height, mask.width) == (IMAGE_H, IMAGE_W)
    radius = 8.0 / canvas.view.scale
    pixels = mask.to_array()
    (x0, y0), (x1, y1) = (image_point(canvas, at(canvas, x, y)) for x, y in ((300, 300),
                                                                            (340, 300)))
    assert pixels[int(y0), int(x0)] and pixels[int(y0), int((x0 + x1) / 2)]
    assert not pixels[int(y0 + radius + 2), int(x0)]
    assert not pixels[int(y0), int(x0 - radius - 2)]
    assert tinted(pixel(canvas, 320, 300), RED)
    assert canvas.shape_at(320, 300) == commands[0].uid


def test_brush_grows_the_selected_mask_and_eraser_shrinks_it(qtbot, canvas, commands) -> None:
    area = np.zeros((IMAGE_H, IMAGE_W), bool)
    area[280:320, 280:400] = True
    canvas.set_shapes([CanvasShape("m", "car", Mask.from_array(area))])
    canvas.select(["m"])
    canvas.set_tool("brush")
    canvas.brush_px = 6.0
    stroke(qtbot, canvas, [(300, 340), (300, 360)])
    grown = commands[-1]
    assert isinstance(grown, ShapeChanged) and grown.uid == "m"
    assert grown.new.area() > grown.old.area()
    assert (grown.new.to_array() | area).sum() == grown.new.area()  # old pixels all kept
    canvas.set_tool("eraser")
    stroke(qtbot, canvas, [(350, 270), (350, 330)])
    erased = commands[-1]
    assert isinstance(erased, ShapeChanged) and erased.new.area() < grown.new.area()
    assert not erased.new.to_array()[300, 350]
    assert canvas.shape("m").shape == erased.new


def test_erasing_everything_deletes_the_mask(qtbot, canvas, commands) -> None:
    area = np.zeros((IMAGE_H, IMAGE_W), bool)
    area[300:304, 300:304] = True
    canvas.set_shapes([CanvasShape("m", "car", Mask.from_array(area))])
    canvas.set_tool("eraser")
    canvas.brush_px = 20.0
    stroke(qtbot, canvas, [(302, 302), (303, 302)])
    assert isinstance(commands[-1], ShapesDeleted) and commands[-1].uids == ("m",)
    assert "m" not in canvas.store
    canvas.revert(commands[-1])
    assert canvas.shape("m").shape == Mask.from_array(area)


def test_eraser_needs_a_mask(qtbot, canvas, commands) -> None:
    canvas.set_tool("eraser")
    stroke(qtbot, canvas, [(300, 300), (310, 300)])
    assert not commands and "erase" in canvas.last_status


def test_brush_size_keys(qtbot, canvas) -> None:
    canvas.set_tool("brush")
    size = canvas.brush_px
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_px == pytest.approx(size * 1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_px == pytest.approx(size / 1.25)


def test_moving_a_mask_moves_its_pixels(qtbot, canvas, commands) -> None:
    area = np.zeros((IMAGE_H, IMAGE_W), bool)
    area[300:340, 300:360] = True
    canvas.set_shapes([CanvasShape("m", "car", Mask.from_array(area))])
    drag(qtbot, canvas, at(canvas, 320, 320), at(canvas, 340, 350))
    change = commands[-1]
    dx, dy = (round(v) for v in np.subtract(image_point(canvas, at(canvas, 340, 350)),
                                            image_point(canvas, at(canvas, 320, 320))))
    assert change.new == Mask.from_array(np.roll(np.roll(area, dy, 0), dx, 1))


@pytest.mark.parametrize("window", [(0, 0, 40, 30), (5, 3, 25, 31), (-4, -2, 50, 40),
                                    (30, 20, 38, 29)])
def test_windowed_decode_matches_the_full_mask(window) -> None:
    rng = np.random.default_rng(7)
    arr = rng.random((30, 40)) < 0.3
    mask = Mask.from_array(arr)
    x0, y0, x1, y1 = window
    got = masks.decode_window(mask, x0, y0, x1, y1)
    want = np.zeros((y1 - y0, x1 - x0), np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x1, 40), min(y1, 30)
    want[sy0 - y0: sy1 - y0, sx0 - x0: sx1 - x0] = arr[sy0:sy1, sx0:sx1]
    assert np.array_equal(got, want)
    assert masks.encode(30, 40, masks.window_of(mask)) == mask


def test_stroke_window_paints_pixel_centres_within_the_radius() -> None:
    win = masks.stroke_window([(10.5, 10.5)], 3.0, 40, 40)
    full = np.zeros((40, 40), np.uint8)
    full[win.y0: win.y1, win.x0: win.x1] = win.pixels
    yy, xx = np.mgrid[0:40, 0:40]
    assert np.array_equal(full > 0, np.hypot(xx + 0.5 - 10.5, yy + 0.5 - 10.5) <= 3.0)
    win = masks.stroke_window([(10.0, 10.0), (20.0, 14.0)], 2.5, 40, 40)
    full = np.zeros((40, 40), np.uint8)
    full[win.y0: win.y1, win.x0: win.x1] = win.pixels
    assert full[10, 9] and full[12, 15] and full[14, 20] and not full[18, 15]
