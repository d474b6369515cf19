"""Every tool driven with the mouse and keyboard on the real workspace; each finished gesture
is read back from the project."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from tests.annotate.conftest import click, double_click, drag, key, saved

from labelhub.geometry import Box, Keypoints, Mask, Points, Polygon, Polyline, RotatedBox


def test_opens_the_first_item_of_the_queue(ws) -> None:
    assert ws.dataset == "street"
    assert ws.item.name == "a-street.png"
    assert ws.canvas.image_size() == (320, 240)
    assert [c.name for c in ws.classes] == ["car", "person", "lane", "day", "night"]
    assert ws.classes_panel.keys[ws.class_by_name["car"].uid] == "1"


def test_box_drawn_with_w_and_a_drag_is_saved_at_once(qtbot, ws) -> None:
    key(qtbot, ws, "w")
    assert ws.canvas.tool.name == "box"
    drag(ws, (20, 30), (120, 90))
    [a] = saved(ws)
    assert a.label == "car" and isinstance(a.shape, Box)
    assert a.shape == Box(20, 30, 100, 60)
    assert a.problems == ("required attribute 'occluded' is empty",)
    assert ws.canvas.selected_uids() == [a.uid]
    assert "Saved" in ws.save_label.text()


def test_rotated_box_by_three_clicks(qtbot, ws) -> None:
    key(qtbot, ws, "r")
    click(ws, 50, 50)
    click(ws, 150, 50)
    click(ws, 100, 90)
    [a] = saved(ws)
    assert isinstance(a.shape, RotatedBox)
    assert a.shape.w == pytest.approx(100, abs=0.02) and a.shape.h == pytest.approx(40, abs=0.02)
    assert a.shape.angle == pytest.approx(0, abs=0.01)


def test_polygon_by_clicks_and_enter_then_polyline_by_double_click(qtbot, ws) -> None:
    key(qtbot, ws, "p")
    for x, y in ((10, 10), (100, 10), (100, 80), (10, 80)):
        click(ws, x, y)
    key(qtbot, ws, Qt.Key.Key_Return)
    [poly] = saved(ws)
    assert poly.shape == Polygon([(10, 10), (100, 10), (100, 80), (10, 80)])
    key(qtbot, ws, "l")  # polyline: car does not allow it, lane is chosen
    assert ws.canvas.current_label == "lane"
    click(ws, 150, 150)
    click(ws, 200, 160)
    double_click(ws, 250, 200)
    line = next(a for a in saved(ws) if a.label == "lane")
    assert isinstance(line.shape, Polyline) and line.shape.points[:2] == ((150, 150), (200, 160))


def test_point_and_keypoints_with_occluded_and_skipped_points(qtbot, ws) -> None:
    key(qtbot, ws, "o")
    click(ws, 30, 40)
    [pt] = saved(ws)
    assert pt.label == "lane" and pt.shape == Points([(30, 40)])
    key(qtbot, ws, "k")
    assert ws.canvas.current_label == "person"
    click(ws, 60, 60)
    click(ws, 70, 90, Qt.KeyboardModifier.ShiftModifier)
    key(qtbot, ws, "n")
    kp = next(a for a in saved(ws) if a.label == "person")
    assert isinstance(kp.shape, Keypoints)
    assert kp.shape.visibility == (2, 1, 0)
    assert kp.shape.points[:2] == ((60, 60), (70, 90))


def test_brush_paints_a_mask_and_the_eraser_takes_pixels_away(qtbot, ws) -> None:
    key(qtbot, ws, "b")
    drag(ws, (100, 100), (160, 100), steps=12)
    [m] = saved(ws)
    assert isinstance(m.shape, Mask) and (m.shape.width, m.shape.height) == (320, 240)
    painted = m.shape.area()
    assert painted > 300
    key(qtbot, ws, "e")
    drag(ws, (130, 100), (131, 100), steps=2)
    [m2] = saved(ws)
    assert m2.uid == m.uid and 0 < m2.shape.area() < painted


def test_kind_not_allowed_for_the_class_is_refused_and_taken_off_the_canvas(qtbot, ws) -> None:
    key(qtbot, ws, "k")  # keypoints: person
    key(qtbot, ws, "p")  # polygon: person does not allow it, car is chosen instead
    assert ws.canvas.current_label == "car"
    ws.canvas.current_label = "person"  # as if the class had been forced
    for x, y in ((10, 10), (100, 10), (100, 80)):
        click(ws, x, y)
    key(qtbot, ws, Qt.Key.Key_Return)
    assert saved(ws) == []
    assert ws.canvas.shape_count() == 0
    assert "does not allow polygon" in ws.save_label.text()


def test_select_move_resize_vertices_and_delete(qtbot, ws) -> None:
    key(qtbot, ws, "p")
    for x, y in ((20, 20), (120, 20), (120, 100), (20, 100)):
        click(ws, x, y)
    key(qtbot, ws, Qt.Key.Key_Return)
    key(qtbot, ws, "v")
    [a] = saved(ws)
    click(ws, 70, 60)
    assert ws.canvas.selected_uids() == [a.uid]
    drag(ws, (70, 60), (80, 70))  # move by (10, 10)
    [a] = saved(ws)
    assert a.shape.points[0] == (30, 30)
    drag(ws, (130, 110), (150, 130))  # drag the bottom-right vertex
    [a] = saved(ws)
    assert (150, 130) in a.shape.points
    double_click(ws, 80, 30)  # on the top edge: a new vertex
    [a] = saved(ws)
    assert len(a.shape.points) == 5
    click(ws, 80, 30, Qt.KeyboardModifier.AltModifier)  # Alt+click deletes it again
    [a] = saved(ws)
    assert len(a.shape.points) == 4
    key(qtbot, ws, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # nudge by 10
    [a] = saved(ws)
    assert a.shape.points[0] == (40, 30)
    key(qtbot, ws, Qt.Key.Key_Delete)
    assert saved(ws) == []
    assert ws.canvas.shape_count() == 0


def test_digit_keys_give_the_selection_another_class(qtbot, ws) -> None:
    key(qtbot, ws, "w")
    drag(ws, (20, 20), (60, 60))
    [a] = saved(ws)
    assert a.label == "car"
    key(qtbot, ws, "2")  # person allows boxes
    [a] = saved(ws)
    assert a.label == "person" and a.attributes == {}
    assert ws.canvas.current_label == "person"
    key(qtbot, ws, "3")  # lane does not allow boxes: refused, nothing changes
    [a] = saved(ws)
    assert a.label == "person"
    assert "does not allow box" in ws.save_label.text()
