"""The select tool with real mouse and keys: picking, moving, resizing, rotating, vertices,
deleting; and apply / revert from outside."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from labelhub.geometry import Box, Keypoints, Points, Polygon, Polyline, RotatedBox
from labelhub.gui.canvas import (
    CanvasShape,
    LabelsChanged,
    Layer,
    PackedShapes,
    ShapeChanged,
    ShapesChanged,
    ShapesDeleted,
    Skeleton,
)
from labelhub.gui.canvas.model import BOX
from labelhub.gui.canvas.shapeops import handles

from .conftest import GREEN, GREY_HEX, RED, at, image_point, near, pixel, tinted
from .test_draw_tools import click, drag

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def scene(canvas):
    canvas.set_shapes([
        CanvasShape("big", "tree", Box(200, 200, 300, 250)),
        CanvasShape("small", "car", Box(300, 300, 60, 40)),
        CanvasShape("poly", "sign", Polygon(((560, 220), (660, 230), (640, 330), (570, 320)))),
        CanvasShape("rot", "car", RotatedBox(420, 560, 120, 60, 30)),
        CanvasShape("line", "tree", Polyline(((100, 600), (200, 650), (300, 600)))),
    ])
    canvas.flush()
    return canvas


def test_click_picks_the_topmost_shape(qtbot, scene) -> None:
    click(qtbot, scene, at(scene, 330, 320))
    assert scene.selected_uids() == ["small"]
    click(qtbot, scene, at(scene, 250, 250))
    assert scene.selected_uids() == ["big"]
    click(qtbot, scene, at(scene, 330, 320), Qt.KeyboardModifier.ControlModifier)
    assert sorted(scene.selected_uids()) == ["big", "small"]
    click(qtbot, scene, at(scene, 900, 100))
    assert scene.selected_uids() == []
    assert scene.shape_at(330, 320) == "small"
    assert scene.shapes_at(330, 320) == ["small", "big"]
    assert scene.shape_at(150, 150) is None


def test_band_selects_shapes_inside(qtbot, scene) -> None:
    drag(qtbot, scene, at(scene, 540, 200), at(scene, 680, 350))
    assert scene.selected_uids() == ["poly"]
    assert not scene.tool.busy()


def test_drag_moves_a_shape(qtbot, scene, commands) -> None:
    a, b = at(scene, 320, 310), at(scene, 380, 270)
    drag(qtbot, scene, a, b)
    (ax, ay), (bx, by) = image_point(scene, a), image_point(scene, b)
    assert commands == [ShapeChanged("small", Box(300, 300, 60, 40),
                                     Box(300, 300, 60, 40).translated(bx - ax, by - ay))]
    assert scene.shape("small").shape == commands[0].new
    assert scene.shape_at(300 + bx - ax + 30, 300 + by - ay + 20) == "small"
    # the cached layer was redrawn where the box left and where it went
    left_edge = pixel(scene, 300, 320)
    assert not near(left_edge, RED, 200) and tinted(left_edge, GREEN)
    assert near(pixel(scene, 300 + bx - ax, 310 + by - ay), RED)


def test_moving_a_selection_is_one_command(qtbot, scene, commands) -> None:
    scene.select(["small", "poly"])
    drag(qtbot, scene, at(scene, 600, 280), at(scene, 610, 300))
    assert len(commands) == 1 and isinstance(commands[0], ShapesChanged)
    assert sorted(commands[0].uids) == ["poly", "small"]
    dx = commands[0].changes[0].new.bounds()[0] - commands[0].changes[0].old.bounds()[0]
    assert dx == pytest.approx(10, abs=1 / scene.view.scale)


def test_box_corner_and_edge_grips(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 330, 320))
    drag(qtbot, scene, at(scene, 360, 340), at(scene, 400, 380))  # bottom-right corner
    (x1, y1) = image_point(scene, at(scene, 400, 380))
    assert commands[-1].new == Box.from_corners(300, 300, x1, y1)
    drag(qtbot, scene, at(scene, 300, (300 + y1) / 2), at(scene, 280, 200))  # left edge
    assert commands[-1].new.x == pytest.approx(image_point(scene, at(scene, 280, 0))[0])
    assert commands[-1].new.y == 300 and len(commands) == 2


def test_rotated_box_rotation_grip(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 420, 560))
    rot = scene.shape("rot").shape
    grip = [h for h in handles(rot, scene.view.scale) if h.role == "rotate"][0]
    start = at(scene, grip.x, grip.y)
    end = at(scene, 420 + 100, 560)  # to the right of the centre: 90 degrees
    drag(qtbot, scene, start, end)
    new = commands[-1].new
    assert isinstance(new, RotatedBox)
    assert new.angle == pytest.approx(90.0, abs=1.0)  # clockwise from pointing up
    assert (new.cx, new.cy, new.w, new.h) == (rot.cx, rot.cy, rot.w, rot.h)


def test_rotated_box_corner_keeps_the_opposite_corner(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 420, 560))
    rot = scene.shape("rot").shape
    corner = rot.corners()[2]
    drag(qtbot, scene, at(scene, *corner), at(scene, corner[0] + 20, corner[1] + 30))
    new = commands[-1].new
    assert new.angle == rot.angle
    assert new.corners()[0] == pytest.approx(rot.corners()[0])


def test_vertex_drag_insert_and_delete(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 600, 280))
    drag(qtbot, scene, at(scene, 660, 230), at(scene, 690, 210))
    moved = commands[-1].new
    assert moved.points[1] == image_point(scene, at(scene, 690, 210))
    # double-click on the edge between vertices 2 and 3 inserts a vertex there
    edge = at(scene, 605, 325)
    click(qtbot, scene, edge)
    qtbot.mouseDClick(scene, LEFT, pos=edge)
    inserted = commands[-1].new
    assert len(inserted.points) == 5 and inserted.points[3] == image_point(scene, edge)
    # Alt+click on a vertex deletes it
    click(qtbot, scene, at(scene, *inserted.points[3]), Qt.KeyboardModifier.AltModifier)
    assert commands[-1].new == moved
    # Delete while over a vertex deletes it too
    qtbot.mouseMove(scene, at(scene, *moved.points[0]))
    qtbot.keyClick(scene, Qt.Key.Key_Delete)
    assert len(commands[-1].new.points) == 3
    assert scene.shape("poly").shape == commands[-1].new


def test_polygon_keeps_three_vertices(qtbot, scene, commands) -> None:
    scene.set_shapes([CanvasShape("t", "car", Polygon(((300, 300), (400, 300), (350, 380))))])
    click(qtbot, scene, at(scene, 350, 330))
    click(qtbot, scene, at(scene, 300, 300), Qt.KeyboardModifier.AltModifier)
    assert not commands and "vertices" in scene.last_status


def test_keypoint_and_point_grips(qtbot, scene, commands) -> None:
    scene.set_shapes([CanvasShape("kp", "car", Keypoints(((300, 300), (0, 0), (340, 320)),
                                                         (2, 0, 1))),
                      CanvasShape("pt", "car", Points(((500, 500),)))])
    click(qtbot, scene, at(scene, 300, 300))
    assert scene.selected_uids() == ["kp"]
    drag(qtbot, scene, at(scene, 340, 320), at(scene, 350, 340))
    assert commands[-1].new.points[2] == image_point(scene, at(scene, 350, 340))
    assert commands[-1].new.visibility == (2, 0, 1)


def test_delete_and_revert(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 330, 320))
    click(qtbot, scene, at(scene, 600, 280), Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(scene, Qt.Key.Key_Delete)
    assert len(commands) == 1 and isinstance(commands[0], ShapesDeleted)
    assert sorted(commands[0].uids) == ["poly", "small"]
    assert "small" not in scene.store and scene.selected_uids() == []
    assert scene.shape_at(330, 320) == "big"
    scene.revert(commands[0])
    assert scene.shape_at(330, 320) == "small"  # back at its place in the stack
    assert scene.shape("poly").shape == Polygon(((560, 220), (660, 230), (640, 330), (570, 320)))
    scene.apply(commands[0])
    assert "poly" not in scene.store


def test_nudge_with_arrow_keys(qtbot, scene, commands) -> None:
    scene.select(["small"])
    qtbot.keyClick(scene, Qt.Key.Key_Right)
    qtbot.keyClick(scene, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert scene.shape("small").shape == Box(301, 310, 60, 40)
    assert len(commands) == 2


def test_locked_shapes_and_read_only_layers_do_not_change(qtbot, scene, commands) -> None:
    scene.set_locked(["small"])
    drag(qtbot, scene, at(scene, 320, 310), at(scene, 380, 270))
    assert scene.selected_uids() == ["small"] and not commands
    qtbot.keyClick(scene, Qt.Key.Key_Delete)
    assert not commands and "locked" in scene.last_status
    scene.set_shapes([CanvasShape("p", "car", Box(300, 300, 60, 40), layer="predictions")])
    scene.set_layer(Layer("predictions", editable=False))
    drag(qtbot, scene, at(scene, 320, 310), at(scene, 380, 270))
    assert not commands and scene.shape("p").shape == Box(300, 300, 60, 40)


def test_hidden_layers_and_shapes_are_not_drawn_or_hit(qtbot, scene) -> None:
    assert near(pixel(scene, 200, 300), GREEN)
    scene.set_layer_visible("default", False)
    assert scene.shape_at(250, 250) is None
    assert near(pixel(scene, 200, 300), GREY_HEX, 30)
    scene.set_layer_visible("default", True)
    scene.set_hidden(["big"])
    assert scene.shape_at(250, 250) is None
    assert near(pixel(scene, 200, 300), GREY_HEX, 30)


def test_apply_and_revert_drive_undo_from_outside(scene) -> None:
    change = ShapeChanged("small", Box(300, 300, 60, 40), Box(10, 10, 20, 20))
    scene.apply(change)
    assert scene.shape_at(20, 20) == "small"
    scene.revert(change)
    assert scene.shape("small").shape == Box(300, 300, 60, 40)
    relabel = LabelsChanged((("small", "car", "tree"),))
    scene.apply(relabel)
    assert scene.shape("small").label == "tree"
    assert near(pixel(scene, 300, 320), GREEN)
    scene.revert(relabel)
    assert scene.shape("small").label == "car"


def test_relabel_selected_is_one_command(scene, commands) -> None:
    scene.select(["small", "rot"])
    assert scene.relabel_selected("sign")
    assert len(commands) == 1 and sorted(commands[0].uids) == ["rot", "small"]
    assert scene.shape("rot").label == "sign"


def test_escape_cancels_a_drag(qtbot, scene, commands) -> None:
    qtbot.mousePress(scene, LEFT, pos=at(scene, 320, 310))
    qtbot.mouseMove(scene, at(scene, 350, 330))
    qtbot.mouseMove(scene, at(scene, 380, 340))
    assert scene.tool.busy()
    qtbot.keyClick(scene, Qt.Key.Key_Escape)
    qtbot.mouseRelease(scene, LEFT, pos=at(scene, 380, 340))
    assert not commands and scene.shape("small").shape == Box(300, 300, 60, 40)
    assert not scene.store.active.any()


def test_dragging_shows_the_shape_in_flight(qtbot, scene) -> None:
    qtbot.mousePress(scene, LEFT, pos=at(scene, 320, 310))
    qtbot.mouseMove(scene, at(scene, 340, 310))
    qtbot.mouseMove(scene, at(scene, 420, 410))
    dx, dy = (v / scene.view.scale for v in (at(scene, 420, 410) - at(scene, 320, 310)).toTuple())
    assert near(pixel(scene, 300 + dx, 320 + dy), RED)
    old = pixel(scene, 300, 320)  # gone from the cached layer meanwhile
    assert not near(old, RED, 200) and tinted(old, GREEN)
    qtbot.mouseRelease(scene, LEFT, pos=at(scene, 420, 410))


def test_events_land_within_a_pixel_of_the_image_point(scene) -> None:
    x, y = image_point(scene, at(scene, 330.3, 320.7))
    assert abs(x - 330.3) <= 1 / scene.view.scale and abs(y - 320.7) <= 1 / scene.view.scale


def test_added_shapes_revert_and_take_the_project_uid(qtbot, scene, commands) -> None:
    scene.set_tool("box")
    drag(qtbot, scene, at(scene, 700, 500), at(scene, 760, 560))
    added = commands[-1]
    assert scene.shape_at(730, 530) == added.uid
    scene.revert(added)
    assert scene.shape_at(730, 530) is None and added.uid not in scene.store
    scene.apply(added)
    scene.replace_uid(added.uid, "from-the-project")
    assert scene.shape_at(730, 530) == "from-the-project"
    assert scene.shape("from-the-project").shape == added.shape


def test_packed_shapes_are_edited_like_any_other(qtbot, canvas, commands) -> None:
    packed = PackedShapes(["p0", "p1"], ["car", "tree"], np.array([BOX, BOX]),
                          np.array([[300, 300, 60, 40, 0], [500, 300, 60, 40, 0]], float),
                          np.zeros(3, np.int64), np.zeros((0, 2)))
    canvas.set_packed_shapes(packed)
    drag(qtbot, canvas, at(canvas, 320, 310), at(canvas, 330, 330))
    change = commands[-1]
    assert change.uid == "p0" and change.old == Box(300, 300, 60, 40)
    assert near(pixel(canvas, 500, 320), GREEN)


def test_a_clicked_keypoint_changes_visibility_as_one_command(qtbot, canvas, commands) -> None:
    canvas.set_skeleton("person", Skeleton(("head", "hand", "foot")))
    canvas.set_shapes([CanvasShape("kp", "person",
                                   Keypoints(((300, 300), (400, 300), (0, 0)), (2, 2, 0)))])
    assert not canvas.toggle_keypoint_occluded()  # nothing picked yet
    click(qtbot, canvas, at(canvas, 400, 300))
    assert canvas.selected_uids() == ["kp"] and canvas.picked_keypoint() == ("kp", 1)
    assert canvas.toggle_keypoint_occluded()
    change = commands[-1]
    assert isinstance(change, ShapeChanged) and change.new.visibility == (2, 1, 0)
    assert canvas.geometry_of("kp").visibility == (2, 1, 0)
    assert canvas.mark_keypoint_unlabelled()
    assert canvas.geometry_of("kp").points[1] == (400, 300)  # kept for a later toggle
    assert not canvas.set_keypoint_visibility("kp", 0, 0)  # the last labelled point stays
    assert "at least one" in canvas.last_status
    assert canvas.set_keypoint_visibility("kp", 2, 2)  # never placed: set amid the others
    assert canvas.geometry_of("kp").points[2] == (300, 300)
    canvas.revert(commands[-1])
    assert canvas.geometry_of("kp").visibility == (2, 0, 0)


def test_delete_and_backspace_on_the_plain_canvas(qtbot, scene, commands) -> None:
    click(qtbot, scene, at(scene, 330, 320))
    qtbot.keyClick(scene, Qt.Key.Key_Backspace)
    assert isinstance(commands[-1], ShapesDeleted) and "small" not in scene.store
    scene.set_tool("box")
    click(qtbot, scene, at(scene, 250, 250))  # the box tool does not select: nothing to delete
    assert not scene.delete_command()
