"""Layer styles and a read-only canvas: dashed layers draw dashes (and no fill), faint layers
draw at their opacity, and a read-only canvas keeps the select tool and refuses every gesture
that would change a shape, whatever its layers say. Checked on the pixels shown."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from labelhub.geometry import Box, Polygon
from labelhub.gui.canvas import CanvasShape, CanvasWidget, Layer

from .conftest import GREY, RED, at, near

LEFT = Qt.MouseButton.LeftButton


def shown(canvas: CanvasWidget):  # noqa: ANN201
    canvas.flush()
    return canvas.grab().toImage()


def reds_along_top(canvas: CanvasWidget, box: Box) -> list[bool]:
    """For each widget pixel along the box's top edge (corners left out): is it red?"""
    image = shown(canvas)
    a, b = at(canvas, box.x, box.y), at(canvas, box.x + box.w, box.y)
    out = []
    for x in range(a.x() + 6, b.x() - 6):
        best = max((image.pixelColor(x, a.y() + dy) for dy in (-1, 0, 1)), key=lambda c: c.red())
        out.append(near(best, RED, 90))
    return out


def test_a_dashed_layer_draws_dashes_without_fill(canvas: CanvasWidget) -> None:
    canvas.set_layer(Layer("before", editable=False, dashed=True))
    box = Box(200, 200, 150, 100)
    canvas.set_shapes([CanvasShape("old", "car", box, layer="before")])
    reds = reds_along_top(canvas, box)
    runs = sum(1 for i in range(1, len(reds)) if reds[i] and not reds[i - 1])
    assert 0.4 < sum(reds) / len(reds) < 0.8  # on and off
    assert runs >= len(reds) // 16  # a dash every 12 screen pixels or so
    inside = shown(canvas).pixelColor(at(canvas, 275, 250))
    assert near(inside, f"#{GREY:02x}{GREY:02x}{GREY:02x}", 6)  # not filled
    # The same shape in a plain layer: one solid red line, and a red tint inside.
    canvas.set_layer(Layer("before", editable=False, dashed=False))
    assert all(reds_along_top(canvas, box))
    assert shown(canvas).pixelColor(at(canvas, 275, 250)).red() > GREY + 25


def test_dashes_run_on_around_a_polygon_far_larger_than_the_view(canvas: CanvasWidget) -> None:
    canvas.set_layer(Layer("before", editable=False, dashed=True))
    huge = Polygon(((-50000.0, 300.0), (50000.0, 300.0), (0.0, 90000.0)))
    canvas.set_shapes([CanvasShape("old", "car", huge, layer="before")])
    image = shown(canvas)
    y = at(canvas, 0, 300).y()
    row = [near(max((image.pixelColor(x, y + dy) for dy in (-1, 0, 1)), key=lambda c: c.red()), RED, 90)
           for x in range(20, canvas.width() - 20)]
    assert 0.4 < sum(row) / len(row) < 0.8


def test_a_faint_layer_draws_at_its_opacity(canvas: CanvasWidget) -> None:
    canvas.set_layer(Layer("unchanged", editable=False, opacity=0.4))
    canvas.set_layer(Layer("plain", editable=False))
    faint, plain = Box(250, 250, 120, 80), Box(450, 250, 120, 80)
    canvas.set_shapes([CanvasShape("f", "car", faint, color="#ffffff", layer="unchanged"),
                       CanvasShape("p", "car", plain, color="#ffffff", layer="plain")])
    image = shown(canvas)

    def edge(box: Box) -> int:
        p = at(canvas, box.x + box.w / 2, box.y)
        return max(image.pixelColor(p.x(), p.y() + dy).red() for dy in (-1, 0, 1))

    assert edge(plain) >= 250
    expected = GREY + (255 - GREY) * 0.4
    assert abs(edge(faint) - expected) < 20


def test_a_read_only_canvas_refuses_tools_and_gestures(qtbot, canvas: CanvasWidget, commands: list) -> None:
    canvas.set_shapes([CanvasShape("a", "car", Box(300, 300, 100, 80))])
    canvas.set_read_only(True)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_W)  # the box tool's key
    assert canvas.tool.name == "select" and "read-only" in canvas.last_status
    canvas.set_tool("polygon")
    assert canvas.tool.name == "select"
    # A drag on the shape (a move with the select tool) and a drag on empty space.
    for a, b in ((at(canvas, 350, 340), at(canvas, 420, 400)), (at(canvas, 150, 150), at(canvas, 250, 230))):
        qtbot.mousePress(canvas, LEFT, pos=a)
        for i in range(1, 5):
            qtbot.mouseMove(canvas, QPoint(a.x() + (b.x() - a.x()) * i // 4, a.y() + (b.y() - a.y()) * i // 4))
        qtbot.mouseRelease(canvas, LEFT, pos=b)
    canvas.select(["a"])
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert commands == []
    assert [s.uid for s in canvas.shapes()] == ["a"] and canvas.shape("a").shape == Box(300, 300, 100, 80)
    canvas.set_read_only(False)  # and editable again
    canvas.set_tool("box")
    a, b = at(canvas, 600, 500), at(canvas, 700, 580)
    qtbot.mousePress(canvas, LEFT, pos=a)
    qtbot.mouseMove(canvas, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, LEFT, pos=b)
    assert len(commands) == 1 and canvas.shape_count() == 2
