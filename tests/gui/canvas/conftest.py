"""Fixtures for the canvas tests: a real CanvasWidget on a plain image, zoomed and panned."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QColor

from labelhub.gui.canvas import CanvasWidget

IMAGE_W, IMAGE_H = 1000, 800
GREY = 40
GREY_HEX = "#282828"
RED, GREEN, BLUE = "#ff0000", "#00ff00", "#0000ff"


def grey_pixels(width: int = IMAGE_W, height: int = IMAGE_H, value: int = GREY) -> np.ndarray:
    """An RGB32 buffer of one grey."""
    pixels = np.full((height, width, 4), value, dtype=np.uint8)
    pixels[..., 3] = 255
    return pixels


@pytest.fixture
def canvas(qtbot) -> Iterator[CanvasWidget]:
    """An 800 x 600 canvas on a 1000 x 800 grey image at zoom 1.6, panned off-centre."""
    widget = CanvasWidget()
    widget.resize(800, 600)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_image_pixels(grey_pixels())
    for label, color in (("car", RED), ("tree", GREEN), ("sign", BLUE)):
        widget.set_label_color(label, color)
    widget.current_label = "car"
    widget.zoom_to(1.6)
    widget.center_on(430.0, 370.0)
    widget.pan_by(-17, 11)
    widget.flush()
    yield widget
    assert not widget.errors and not widget.cache.errors


@pytest.fixture
def commands(canvas: CanvasWidget) -> list:
    """Every command the canvas emits, in order."""
    seen: list = []
    canvas.commandIssued.connect(seen.append)
    return seen


def at(canvas: CanvasWidget, x: float, y: float) -> QPoint:
    """The widget pixel showing image point (x, y)."""
    return canvas.image_to_widget(x, y).toPoint()


def image_point(canvas: CanvasWidget, pos: QPoint) -> tuple[float, float]:
    """The image point an event at widget pixel ``pos`` lands on."""
    return canvas.widget_to_image(QPointF(pos))


def pixel(canvas: CanvasWidget, x: float, y: float) -> QColor:
    """The colour shown at image point (x, y), after all rendering is done."""
    canvas.flush()
    image = canvas.grab().toImage()
    return image.pixelColor(at(canvas, x, y))


def near(color: QColor, target: str, tolerance: int = 60) -> bool:
    want = QColor(target)
    return (abs(color.red() - want.red()) + abs(color.green() - want.green())
            + abs(color.blue() - want.blue())) <= tolerance


def tinted(color: QColor, target: str) -> bool:
    """Whether ``color`` leans towards ``target`` over the grey background (a fill)."""
    want = QColor(target)
    channels = [(color.red(), want.red()), (color.green(), want.green()),
                (color.blue(), want.blue())]
    strongest = max(range(3), key=lambda i: channels[i][1])
    return channels[strongest][0] > GREY + 25


Drag = Callable[..., None]
