"""The quick ways in for many boxes give what the full ways give: a box's numbers found in its
JSON text are the repr of its floats, Box() with floats keeps them as they are, and a usable box
is answered at once by validate() with the same verdict as the full checks."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Polygon, Tag, box_json_numbers, shape_from_dict
from labelhub.geometry._common import check_finite, check_image_size, check_inside, fmt


def _numbers(rng: random.Random, n: int) -> list[float]:
    out = [0.0, -0.0, 1.0, 1e-4, 0.00012, 5e-05, 1e15, 9999999999999998.0, 1e16, 1 / 3, 640.0]
    while len(out) < n:
        k = rng.random()
        out.append(rng.uniform(-1000, 1000) if k < 0.4 else round(rng.uniform(0, 1000), rng.randint(0, 6))
                   if k < 0.8 else rng.random() * 10 ** rng.randint(-9, 18))
    return out


def test_box_numbers_are_the_repr_of_the_floats() -> None:
    values = _numbers(random.Random(1), 4000)
    boxes = [Box(*values[i:i + 4]) for i in range(0, len(values) - 3)]
    texts = [json.dumps(b.to_dict()) for b in boxes]
    found = box_json_numbers(texts)
    assert len(found) == len(boxes)
    matched = 0
    for box, numbers in zip(boxes, found, strict=True):
        reprs = tuple(repr(v) for v in (box.x, box.y, box.w, box.h))
        if numbers is None:  # only numbers Python writes with an exponent are left to JSON
            assert any("e" in r for r in reprs), reprs
            continue
        matched += 1
        assert numbers == reprs
        assert Box(*map(float, numbers)) == box
    assert matched > len(boxes) // 2


def test_box_numbers_leave_other_shapes_and_layouts_to_json() -> None:
    texts = [json.dumps(Polygon(((0, 0), (4, 0), (0, 3))).to_dict()), json.dumps(Tag().to_dict()),
             '{"kind": "box", "x": 1, "y": 2.0, "w": 3.0, "h": 4.0}',  # a whole number as such
             '{"kind":"box","x":1.0,"y":2.0,"w":3.0,"h":4.0}',  # other separators
             '{"kind": "box", "x": NaN, "y": 2.0, "w": 3.0, "h": 4.0}',
             '{"kind": "box", "x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "z": 1.0}',
             '{"kind": "box", "x": 1.5, "y": 2.0, "w": 3.0, "h": 4.25}']
    assert box_json_numbers(texts) == [None] * 6 + [("1.5", "2.0", "3.0", "4.25")]
    # a text with a line break of its own does not shift the others
    assert box_json_numbers(['{"kind":\n"tag"}', texts[-1]]) == [None, ("1.5", "2.0", "3.0", "4.25")]
    assert box_json_numbers([]) == []


def test_box_keeps_floats_and_coerces_the_rest() -> None:
    b = Box(1.5, 2.0, 3.0, 4.0)
    assert (b.x, b.y, b.w, b.h) == (1.5, 2.0, 3.0, 4.0)
    coerced = Box(1, np.float32(2.5), np.int64(3), 4.0)
    assert all(type(v) is float for v in (coerced.x, coerced.y, coerced.w, coerced.h))
    assert coerced == Box(1.0, 2.5, 3.0, 4.0)
    with pytest.raises(InvalidInput, match="box x must be a number"):
        Box("1", 2.0, 3.0, 4.0)
    with pytest.raises(InvalidInput, match="box w must be a number"):
        Box(1.0, 2.0, True, 4.0)
    assert shape_from_dict({"kind": "box", "x": 1, "y": 2, "w": 3, "h": 4}) == Box(1, 2, 3, 4)


def _full_checks(box: Box, width: float | None, height: float | None) -> list[str]:
    """Box.validate as the checks word it, without its quick answer for a usable box."""
    problems = check_image_size(width, height)
    problems += check_finite("box", ("x", "y", "width", "height"), (box.x, box.y, box.w, box.h))
    for name, v in (("width", box.w), ("height", box.h)):
        if math.isfinite(v) and v <= 0:
            problems.append(f"box {name} must be positive (got {fmt(v)})")
    if not problems:
        problems += check_inside("box", *box.xyxy(), width, height)
    return problems


def test_validate_answers_as_the_full_checks() -> None:
    rng = random.Random(3)
    special = [0.0, -0.0, -1e-7, -1e-5, 1e-7, 64.0, 64.0000001, 63.9999999, math.nan, math.inf,
               -math.inf, 1e308, 40.0]
    sizes = [(64, 48), (64.0, 48.0), (None, None), (64, None), (0, 48), (math.nan, 48), (1e308, 1e308)]
    for _ in range(20000):
        values = [rng.choice(special) if rng.random() < 0.4 else rng.uniform(-10, 80) for _ in range(4)]
        box = Box(*values)
        width, height = rng.choice(sizes)
        assert box.validate(width, height) == _full_checks(box, width, height), (box, width, height)
