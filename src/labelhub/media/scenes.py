"""Generated scenes of simple shapes whose ground truth is known exactly.

``generate_scene(seed)`` draws circles, squares and triangles on a textured background and
returns the image with the shapes it drew. The same seed always gives the same pixels and the
same shapes, so the demo project and tests can rely on them.

Coordinates are continuous pixel-edge coordinates (the COCO convention): pixel (col, row) covers
``[col, col + 1) x [row, row + 1)``, so its centre is ``(col + 0.5, row + 0.5)``. A pixel is part
of a shape when its centre lies inside the shape; for polygons the pixels under the vertices are
drawn as well, so the drawing reaches the box to within one pixel.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from labelhub.errors import InvalidInput

SCENE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle")

#: Fill colours for shapes: saturated, so none occurs in the muted background.
SHAPE_COLORS: tuple[tuple[int, int, int], ...] = (
    (214, 39, 40),
    (31, 119, 180),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (227, 119, 194),
    (23, 190, 207),
    (240, 200, 20),
)

CIRCLE_VERTICES = 32
MIN_SIZE = 64  # smallest width or height a scene may have
_GAP = 4.0  # pixels kept free between the boxes of two shapes
_PLACEMENT_TRIES = 200


@dataclass
class SceneShape:
    """One drawn shape and its exact ground truth.

    kind is ``"box"`` for squares, with ``points == [(x0, y0), (x1, y1)]`` on whole pixels, and
    ``"polygon"`` for triangles (3 vertices) and circles (32 vertices). ``box`` is the tight
    bounding box ``(x, y, width, height)``; ``color`` the RGB fill it was drawn with.
    """

    class_name: str
    kind: str
    points: list[tuple[float, float]]
    box: tuple[float, float, float, float]
    color: tuple[int, int, int] = (0, 0, 0)

    def centroid(self) -> tuple[float, float]:
        """The centre of area of the shape."""
        if self.kind == "box":
            (x0, y0), (x1, y1) = self.points
            return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
        return _polygon_centroid(self.points)

    def area(self) -> float:
        """The area of the shape in square pixels."""
        if self.kind == "box":
            return self.box[2] * self.box[3]
        return abs(_signed_area(self.points))


def generate_scene(
    seed: int, width: int = 640, height: int = 480
) -> tuple[Image.Image, list[SceneShape]]:
    """Draw a deterministic scene: 2 to 8 shapes on a textured background.

    Shapes do not overlap (their boxes keep a few pixels apart). Returns an RGB image and the
    shapes in drawing order.
    """
    if width < MIN_SIZE or height < MIN_SIZE:
        raise InvalidInput(
            f"a scene needs at least {MIN_SIZE} x {MIN_SIZE} pixels, got {width} x {height}"
        )
    rng = random.Random(seed)
    image = _background(rng, width, height)

    wanted = rng.randint(2, 8)
    shapes: list[SceneShape] = []
    for _ in range(wanted):
        shape = _place_shape(rng, width, height, shapes)
        if shape is None:
            break
        _draw(image, shape)
        shapes.append(shape)
    return image, shapes


def _background(rng: random.Random, width: int, height: int) -> Image.Image:
    """A muted diagonal gradient with soft noise and faint stripes."""
    np_rng = np.random.default_rng(rng.getrandbits(64))
    top = np.array([rng.randint(150, 200) for _ in range(3)], dtype=np.float64)
    bottom = np.array([rng.randint(90, 140) for _ in range(3)], dtype=np.float64)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    t = (ys / height * 0.7 + xs / width * 0.3)[..., None]
    base = top * (1.0 - t) + bottom * t

    coarse = np_rng.normal(0.0, 1.0, size=(height // 16 + 2, width // 16 + 2)).astype(np.float32)
    soft = Image.fromarray(coarse).resize((width, height), Image.Resampling.BILINEAR)
    grain = np_rng.normal(0.0, 2.5, size=(height, width))
    period = rng.uniform(18.0, 40.0)
    stripes = 3.0 * np.sin((xs + ys * rng.uniform(-0.5, 0.5)) * (2.0 * math.pi / period))
    texture = np.asarray(soft, dtype=np.float64) * 9.0 + grain + stripes

    # The same texture on every channel keeps the background grey-ish, far from shape colours.
    pixels = np.clip(base + texture[..., None], 40.0, 215.0)
    return Image.fromarray(pixels.round().astype(np.uint8))


def _place_shape(
    rng: random.Random, width: int, height: int, placed: list[SceneShape]
) -> SceneShape | None:
    short = min(width, height)
    low, high = max(16.0, short * 0.09), max(24.0, short * 0.24)
    for _ in range(_PLACEMENT_TRIES):
        class_name = rng.choice(SCENE_CLASSES)
        color = rng.choice(SHAPE_COLORS)
        size = rng.uniform(low, high)
        cx = rng.uniform(size / 2 + 1, width - size / 2 - 1)
        cy = rng.uniform(size / 2 + 1, height - size / 2 - 1)
        shape = _make_shape(rng, class_name, color, cx, cy, size, width, height)
        if shape is not None and not any(_boxes_near(shape.box, other.box) for other in placed):
            return shape
    return None


def _make_shape(
    rng: random.Random,
    class_name: str,
    color: tuple[int, int, int],
    cx: float,
    cy: float,
    size: float,
    width: int,
    height: int,
) -> SceneShape | None:
    if class_name == "square":
        side = max(8, round(size))
        x0 = min(max(1, round(cx - side / 2)), width - side - 1)
        y0 = min(max(1, round(cy - side / 2)), height - side - 1)
        points = [(float(x0), float(y0)), (float(x0 + side), float(y0 + side))]
        return SceneShape(
            class_name, "box", points, (float(x0), float(y0), float(side), float(side)), color
        )
    if class_name == "circle":
        radius = size / 2
        points = [
            (
                round(cx + radius * math.cos(2 * math.pi * k / CIRCLE_VERTICES), 2),
                round(cy + radius * math.sin(2 * math.pi * k / CIRCLE_VERTICES), 2),
            )
            for k in range(CIRCLE_VERTICES)
        ]
    else:
        radius = size / 2
        turn = rng.uniform(0.0, 2 * math.pi)
        points = []
        for k in range(3):
            angle = turn + 2 * math.pi * k / 3 + rng.uniform(-0.35, 0.35)
            reach = radius * rng.uniform(0.8, 1.0)
            points.append(
                (round(cx + reach * math.cos(angle), 2), round(cy + reach * math.sin(angle), 2))
            )
        if _signed_area(points) < 0:
            points.reverse()
    box = _bounds(points)
    if box[0] < 1 or box[1] < 1 or box[0] + box[2] > width - 1 or box[1] + box[3] > height - 1:
        return None
    return SceneShape(class_name, "polygon", points, box, color)


def _draw(image: Image.Image, shape: SceneShape) -> None:
    """Fill the shape's pixels with its colour, exactly as the ground truth describes them.

    ImageDraw.polygon truncates vertices to whole pixels, which would put the drawing up to a
    pixel away from the ground truth, so polygons are pasted through a mask computed from the
    exact vertices instead.
    """
    if shape.kind == "box":
        (x0, y0), (x1, y1) = shape.points
        image.paste(shape.color, (int(x0), int(y0), int(x1), int(y1)))
        return
    x, y, w, h = shape.box
    left, top = max(0, math.floor(x)), max(0, math.floor(y))
    right = min(image.width, math.ceil(x + w) + 1)
    bottom = min(image.height, math.ceil(y + h) + 1)
    mask = _polygon_mask(shape.points, left, top, right - left, bottom - top)
    image.paste(
        shape.color, (left, top, right, bottom), Image.fromarray(mask.astype(np.uint8) * 255)
    )


def _polygon_mask(
    points: list[tuple[float, float]], left: int, top: int, width: int, height: int
) -> np.ndarray:
    """The pixels of a window whose centre is inside the polygon (even-odd rule) or that hold
    one of its vertices."""
    px = (np.arange(left, left + width, dtype=np.float64) + 0.5)[None, :]
    py = (np.arange(top, top + height, dtype=np.float64) + 0.5)[:, None]
    inside = np.zeros((height, width), dtype=bool)
    for (xa, ya), (xb, yb) in zip(points, points[1:] + points[:1], strict=True):
        if ya == yb:
            continue
        spans = (ya > py) != (yb > py)
        crossing_x = xa + (py - ya) * (xb - xa) / (yb - ya)
        inside ^= spans & (px < crossing_x)
    # A sharp corner can hold no pixel centre near its tip; the pixel under each vertex is
    # drawn too, so the drawing always reaches the polygon's bounds to within a pixel.
    for x, y in points:
        col, row = math.floor(x) - left, math.floor(y) - top
        if 0 <= row < height and 0 <= col < width:
            inside[row, col] = True
    return inside


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x0, y0 = min(xs), min(ys)
    return (x0, y0, round(max(xs) - x0, 2), round(max(ys) - y0, 2))


def _boxes_near(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return not (
        a[0] + a[2] + _GAP <= b[0]
        or b[0] + b[2] + _GAP <= a[0]
        or a[1] + a[3] + _GAP <= b[1]
        or b[1] + b[3] + _GAP <= a[1]
    )


def _signed_area(points: list[tuple[float, float]]) -> float:
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return total / 2.0


def _polygon_centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    area = _signed_area(points)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return (cx / (6.0 * area), cy / (6.0 * area))
