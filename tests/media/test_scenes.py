"""Generated scenes: deterministic, inside the image, and their ground truth matches the pixels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.media.scenes import CIRCLE_VERTICES, SCENE_CLASSES, SceneShape, generate_scene

SEEDS = range(12)


def _mask_near(
    pixels: np.ndarray, shape: SceneShape, margin: int = 3
) -> tuple[np.ndarray, int, int]:
    """Pixels of the shape's colour in a window around its box, and the window's origin."""
    x, y, w, h = shape.box
    x0, y0 = max(0, math.floor(x) - margin), max(0, math.floor(y) - margin)
    x1 = min(pixels.shape[1], math.ceil(x + w) + margin)
    y1 = min(pixels.shape[0], math.ceil(y + h) + margin)
    window = pixels[y0:y1, x0:x1]
    return np.all(window == np.array(shape.color, dtype=np.uint8), axis=-1), x0, y0


def test_same_seed_gives_identical_scene() -> None:
    image_a, shapes_a = generate_scene(7)
    image_b, shapes_b = generate_scene(7)
    assert image_a.tobytes() == image_b.tobytes()
    assert shapes_a == shapes_b


def test_different_seeds_differ() -> None:
    assert generate_scene(1)[0].tobytes() != generate_scene(2)[0].tobytes()


@pytest.mark.parametrize("seed", SEEDS)
def test_shapes_are_valid_and_inside_the_image(seed: int) -> None:
    image, shapes = generate_scene(seed)
    assert image.mode == "RGB" and image.size == (640, 480)
    assert 2 <= len(shapes) <= 8
    for shape in shapes:
        assert shape.class_name in SCENE_CLASSES
        x, y, w, h = shape.box
        assert w > 0 and h > 0
        assert 0 <= x and 0 <= y and x + w <= 640 and y + h <= 480
        xs = [px for px, _ in shape.points]
        ys = [py for _, py in shape.points]
        assert (min(xs), min(ys)) == pytest.approx((x, y))
        assert (max(xs), max(ys)) == pytest.approx((x + w, y + h))
        if shape.class_name == "square":
            assert shape.kind == "box" and len(shape.points) == 2
            assert all(float(v).is_integer() for point in shape.points for v in point)
            assert w == h
        elif shape.class_name == "circle":
            assert shape.kind == "polygon" and len(shape.points) == CIRCLE_VERTICES
        else:
            assert shape.kind == "polygon" and len(shape.points) == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_centroid_pixel_has_the_shape_colour(seed: int) -> None:
    image, shapes = generate_scene(seed)
    pixels = np.asarray(image)
    for shape in shapes:
        cx, cy = shape.centroid()
        assert tuple(pixels[int(cy), int(cx)]) == shape.color, shape


@pytest.mark.parametrize("seed", SEEDS)
def test_box_is_tight_to_drawn_pixels(seed: int) -> None:
    image, shapes = generate_scene(seed)
    pixels = np.asarray(image)
    for shape in shapes:
        mask, ox, oy = _mask_near(pixels, shape)
        rows, cols = np.nonzero(mask)
        drawn = (cols.min() + ox, rows.min() + oy, cols.max() + ox + 1, rows.max() + oy + 1)
        x, y, w, h = shape.box
        assert drawn == pytest.approx((x, y, x + w, y + h), abs=1.0), shape
        # The filled area agrees with the geometry, so nothing else of that colour was counted.
        assert mask.sum() == pytest.approx(shape.area(), rel=0.08, abs=12), shape
        if shape.kind == "box":
            assert drawn == (x, y, x + w, y + h)


def test_shapes_do_not_overlap() -> None:
    for seed in SEEDS:
        _, shapes = generate_scene(seed)
        for i, a in enumerate(shapes):
            for b in shapes[i + 1 :]:
                ax, ay, aw, ah = a.box
                bx, by, bw, bh = b.box
                assert ax + aw < bx or bx + bw < ax or ay + ah < by or by + bh < ay


def test_other_sizes_and_all_classes_appear() -> None:
    image, shapes = generate_scene(3, width=200, height=120)
    assert image.size == (200, 120)
    assert shapes and all(s.box[0] + s.box[2] <= 200 and s.box[1] + s.box[3] <= 120 for s in shapes)
    seen = {s.class_name for seed in SEEDS for s in generate_scene(seed)[1]}
    assert seen == set(SCENE_CLASSES)


def test_too_small_a_scene_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least"):
        generate_scene(0, width=20, height=20)
