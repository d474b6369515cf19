"""The engine under the widget: spatial index, shape columns, rasteriser, asynchronous caches."""

from __future__ import annotations

import numpy as np
import pytest

from labelhub.geometry import Box, Keypoints, Points, Polygon, Polyline, RotatedBox
from labelhub.gui.canvas import CanvasShape, PackedShapes, ShapeChanged, raster
from labelhub.gui.canvas.model import BOX, KEYPOINTS, POLYGON, ROTATED_BOX
from labelhub.gui.canvas.spatial import GridIndex
from labelhub.gui.canvas.store import ShapeStore

from .conftest import RED, near, pixel


def random_bounds(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 5000, (n, 2))
    wh = np.where(rng.random((n, 1)) < 0.02, rng.uniform(500, 3000, (n, 2)),
                  rng.uniform(1, 60, (n, 2)))
    return np.hstack([xy, xy + wh])


def brute(bounds: np.ndarray, rect) -> set[int]:
    x0, y0, x1, y1 = rect
    hit = (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    return set(np.flatnonzero(hit).tolist())


def test_grid_index_finds_every_intersecting_box() -> None:
    rng = np.random.default_rng(1)
    bounds = random_bounds(rng, 20_000)
    index = GridIndex()
    index.build(bounds, np.arange(len(bounds)))
    for _ in range(200):
        x, y = rng.uniform(-200, 5200, 2)
        w, h = rng.uniform(0, 400, 2)
        rect = (x, y, x + w, y + h)
        cand = index.query(*rect)
        assert brute(bounds, rect) <= set(cand.tolist())
    # rows changed after the build are still found, at their new place
    for row in range(0, 20_000, 97):
        bounds[row] = (9000, 9000, 9010, 9010)
        index.touch(row)
    got = set(index.query(8990, 8990, 9020, 9020).tolist())
    assert brute(bounds, (8990, 8990, 9020, 9020)) <= got


def test_grid_index_leaves_rows_without_bounds_out() -> None:
    rng = np.random.default_rng(2)
    bounds = random_bounds(rng, 2000)
    bounds[::7] = np.nan  # emptied masks, skeletons with nothing labelled
    index = GridIndex()
    index.build(bounds, np.arange(len(bounds)))
    rect = (1000, 1000, 1400, 1300)
    assert brute(bounds, rect) <= set(index.query(*rect).tolist())


def mixed_shapes() -> list[CanvasShape]:
    return [
        CanvasShape("a", "car", Box(10, 20, 30, 40)),
        CanvasShape("b", "tree", RotatedBox(100, 100, 40, 20, 30)),
        CanvasShape("c", "car", Polygon(((200, 200), (260, 210), (230, 280)))),
        CanvasShape("d", "sign", Polyline(((0, 300), (50, 320)))),
        CanvasShape("e", "sign", Points(((5, 5), (7, 9)))),
        CanvasShape("f", "person", Keypoints(((1, 1), (300, 300), (40, 50)), (2, 0, 1))),
    ]


def test_load_keeps_geometry_and_bounds() -> None:
    store = ShapeStore()
    shapes = mixed_shapes()
    store.load(shapes)
    for cs in shapes:
        row = store.row_of[cs.uid]
        assert store.get(cs.uid) == cs
        want = cs.shape.bounds()
        assert tuple(store.bounds[row]) == pytest.approx(want)
    assert store.bounds[store.row_of["f"]].tolist() == [1, 1, 40, 50]  # labelled points only


def test_packed_load_builds_the_same_shapes_on_demand() -> None:
    kinds = np.array([BOX, ROTATED_BOX, POLYGON, KEYPOINTS])
    params = np.array([[10, 20, 30, 40, 0], [100, 100, 40, 20, 30], [0] * 5, [0] * 5], float)
    xy = np.array([[200, 200], [260, 210], [230, 280], [1, 1], [300, 300], [40, 50]], float)
    offsets = np.array([0, 0, 0, 3, 6])
    packed = PackedShapes(["a", "b", "c", "f"], ["car", "tree", "car", "person"], kinds, params,
                          offsets, xy, visibility=np.array([2, 2, 2, 2, 0, 1]))
    store = ShapeStore()
    store.load_packed(packed)
    reference = ShapeStore()
    reference.load([s for s in mixed_shapes() if s.uid in ("a", "b", "c", "f")])
    for uid in ("a", "b", "c", "f"):
        assert store.get(uid) == reference.get(uid)
        assert store.bounds[store.row_of[uid]].tolist() == pytest.approx(
            reference.bounds[reference.row_of[uid]].tolist())


def test_packed_load_with_label_codes_and_unused_vertices() -> None:
    # The box row owns two vertices of xy that mean nothing (boxes are drawn from params), so
    # the point shapes' vertices are not one run: they are gathered row by row.
    kinds = np.array([BOX, KEYPOINTS, POLYGON])
    params = np.array([[10, 20, 30, 40, 0], [0] * 5, [0] * 5], float)
    xy = np.array([[-9, -9], [-9, -9], [1, 1], [300, 300], [40, 50], [5, 5], [9, 5], [7, 9]],
                  float)
    packed = PackedShapes(["a", "f", "g"], ["car", "person"], kinds, params,
                          np.array([0, 2, 5, 8]), xy, visibility=np.array([2, 2, 2, 0, 1, 2, 2, 2]),
                          label_codes=np.array([0, 1, 0]))
    store = ShapeStore()
    store.load_packed(packed)
    assert store._row_of is None  # the uid index waits until something needs it
    assert store.get("f").shape == Keypoints(((1, 1), (300, 300), (40, 50)), (2, 0, 1))
    assert store.get("f").label == "person" and store.labels[store.row_of["g"]] == "car"
    assert store.get("g").shape == Polygon(((5, 5), (9, 5), (7, 9)))
    assert store.bounds[store.row_of["f"]].tolist() == [1, 1, 40, 50]
    assert store.bounds[store.row_of["a"]].tolist() == [10, 20, 40, 60]
    assert store.bounds[store.row_of["g"]].tolist() == [5, 5, 9, 9]
    assert len(store) == 3 and "g" in store


def test_packed_load_with_a_repeated_uid_is_refused_when_the_index_is_built() -> None:
    packed = PackedShapes(["a", "a"], ["car", "car"], np.array([BOX, BOX]),
                          np.array([[0, 0, 5, 5, 0], [9, 9, 5, 5, 0]], float), np.zeros(3, np.int64),
                          np.zeros((0, 2)))
    store = ShapeStore()
    store.load_packed(packed)
    with pytest.raises(ValueError, match="unique"):
        store.row_of  # noqa: B018 - building it is the check


def test_hits_are_precise_and_topmost_first() -> None:
    store = ShapeStore()
    store.load(mixed_shapes())
    assert store.hits(230, 240, 1.0) == [store.row_of["c"]]
    assert store.hits(205, 270, 1.0) == []  # inside the triangle's box, outside the triangle
    store.add(CanvasShape("top", "car", Box(0, 0, 400, 400)))
    assert [store.uids[r] for r in store.hits(230, 240, 1.0, limit=5)] == ["top", "c"]
    assert store.row_of["f"] in store.hits(40, 50, 0.5, limit=5)  # the occluded keypoint
    assert store.row_of["f"] not in store.hits(300, 300, 0.5, limit=5)  # not labelled


@pytest.mark.parametrize("detailed", [True, False])
def test_drawing_a_window_gives_the_same_pixels(detailed) -> None:
    rng = np.random.default_rng(5)
    store = ShapeStore()
    shapes = []
    for i in range(400):
        x, y, s = *rng.uniform(0, 600, 2), rng.uniform(4, 80)
        pts = tuple((x + s * np.cos(a), y + s * np.sin(a)) for a in np.linspace(0, 6, 7))
        shape = Polygon(pts) if i % 3 else Box(x, y, s, s / 2)
        shapes.append(CanvasShape(f"s{i}", f"c{i % 5}", shape))
    store.load(shapes)
    batch = store.gather(store.rows_in((0, 0, 700, 700)))
    style = raster.Style(detailed=detailed)
    full = np.zeros((500, 640, 4), np.uint8)
    raster.render(full, batch, 0.8, 13.0, -7.0, style, store.mask_window)
    part = full.copy()
    window = (101, 57, 333, 290)
    part[57:290, 101:333] = 0
    scratch = np.full_like(full, 77)  # whatever was there before
    reach = ((101 - 8 - 13.0) / 0.8, (57 - 8 + 7.0) / 0.8, (333 + 8 - 13.0) / 0.8,
             (290 + 8 + 7.0) / 0.8)
    near_window = store.gather(store.rows_in(reach))
    raster.redraw(part, scratch, near_window, 0.8, 13.0, -7.0, style, store.mask_window,
                  window, 8)
    assert np.array_equal(part, full)
    assert (full[..., 3] > 0).mean() > 0.1


def test_overview_style_draws_outlines_in_each_shape_colour() -> None:
    store = ShapeStore()
    store.set_label_color("car", RED)
    store.load([CanvasShape("a", "car", Box(10, 10, 100, 50))])
    batch = store.gather(store.rows_in((0, 0, 200, 200)))
    buf = np.zeros((100, 150, 4), np.uint8)
    raster.render(buf, batch, 1.0, 0.0, 0.0, raster.Style(detailed=False), store.mask_window)
    assert buf[30, 10].tolist() == [0, 0, 255, 255] and buf[10, 60].tolist() == [0, 0, 255, 255]
    assert buf[30, 60].tolist() == [0, 0, 0, 0]  # no fill in the overview


def test_an_edit_during_a_background_rendering_is_not_lost(qtbot, canvas) -> None:
    canvas.set_shapes([CanvasShape("a", "car", Box(300, 300, 40, 40))])
    canvas.flush()
    canvas.zoom_to(canvas.view.scale * 1.3)  # the cached layers are now stale
    canvas.cache.ensure(canvas.view, canvas.width(), canvas.height(), 1.0)  # renders start
    canvas.apply(ShapeChanged("a", Box(300, 300, 40, 40), Box(500, 450, 40, 40)))
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    image = canvas.grab().toImage()  # no flush: what the asynchronous path produced
    assert near(image.pixelColor(canvas.image_to_widget(500, 470).toPoint()), RED)
    assert not near(image.pixelColor(canvas.image_to_widget(300, 320).toPoint()), RED, 200)
    assert near(pixel(canvas, 500, 470), RED)
