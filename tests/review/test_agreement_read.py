"""Reading the annotators' label sets as columns: the box parser, and the same agreement
whichever way the annotations are read (batches of any size, items by uid or picked from the
whole dataset, aggregated text or row by row)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labelhub.geometry import Box, Keypoints, Polygon, Tag
from labelhub.project import review_read
from labelhub.project.review_read import SEP, parse_boxes

from .conftest import draw


def test_boxes_parse_exactly_as_json_does() -> None:
    rng = np.random.default_rng(5)
    values = [(219.68, 454.95, 69.13, 22.79), (10, 0, 3, 4), (-5.5, 1e-7, 2.5e20, 0.1 + 0.2),
              tuple(rng.uniform(-1000, 1000, 4).tolist())]
    texts = [json.dumps(Box(*v).to_dict()) for v in values]
    parsed = parse_boxes(SEP.join(texts), len(texts))
    assert parsed.tolist() == [[float(x) for x in v] for v in values]  # bit for bit
    assert parse_boxes("", 0).shape == (0, 4)


def test_boxes_written_in_another_form_are_decoded_as_json() -> None:
    texts = ['{"h": 4, "w": 3, "y": 2, "x": 1, "kind": "box"}',  # keys in another order
             '{"kind":"box","x":5.5,"y":6,"w":7,"h":8}']  # no spaces
    assert parse_boxes(SEP.join(texts), 2).tolist() == [[1, 2, 3, 4], [5.5, 6, 7, 8]]


def test_a_batch_of_mixed_shapes_splits_by_kind() -> None:
    polygon = Polygon(((1, 1), (5, 1), (3, 4))).to_dict()
    texts = [json.dumps(Box(1, 2, 3, 4).to_dict()), '{"h": 8, "w": 7, "y": 6, "x": 5, "kind": "box"}',
             json.dumps(polygon), "null", json.dumps(Box(0.5, 0, 1, 1).to_dict())]
    is_box, boxes, others = review_read._geometry(SEP.join(texts), len(texts))
    assert is_box.tolist() == [True, True, False, False, True]
    assert boxes.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [0.5, 0, 1, 1]]
    assert others == [polygon, None]
    assert review_read._geometry(SEP.join(texts), 4) is None  # does not split into 4 rows


def _mixed_dataset(member) -> None:
    with member("lena") as p:
        p.set_review_policy("street", overlap=3, review_required=True)
        p.assign("street", ["ana", "ben", "cid"], items=["a.png", "b.png", "c.png", "d.png"])
    rng = np.random.default_rng(11)
    for k, name in enumerate(("ana", "ben", "cid")):
        with member(name) as p:
            for n, item in enumerate(("a.png", "b.png", "c.png", "d.png")):
                labels: list[tuple[str, object]] = []
                for _ in range(3 + (n + k) % 3):
                    x, y = rng.uniform(0, 60, 2).round(3)
                    labels.append((str(rng.choice(["car", "person"])), Box(float(x), float(y), 25.0, 20.0)))
                if item == "c.png":
                    labels.append(("car", Polygon(((10, 10), (50, 10), (30, 40 + k)))))
                if item == "d.png":
                    labels.append(("person", Keypoints(((80 + k, 20), (82, 60)), (2, 2))))
                labels.append(("day" if (n + k) % 2 else "night", Tag()))
                draw(p, item, labels)
                p.submit_item("street", item)
    with member("rui") as p:
        p.accept_consensus("street", "a.png")


@pytest.mark.parametrize("batch, few, by_rows", [(3, 1, False), (7, 100, True), (5, 1, True)])
def test_same_agreement_however_the_labels_are_read(member, monkeypatch, batch, few, by_rows) -> None:
    _mixed_dataset(member)
    with member("rui") as p:
        want = p.agreement("street", iou_threshold=0.3)
        want_few = p.agreement("street", items=["b.png", "c.png", "d.png"], iou_threshold=0.3)
        monkeypatch.setattr(review_read, "BATCH", batch)
        monkeypatch.setattr(review_read, "FEW_ITEMS", few)
        if by_rows:
            monkeypatch.setattr(review_read, "_columns", lambda found: None)  # text that does not split
        got = p.agreement("street", iou_threshold=0.3)
        got_few = p.agreement("street", items=["b.png", "c.png", "d.png"], iou_threshold=0.3)
    for a, b in ((want, got), (want_few, got_few)):
        assert a.to_dict(per_item=True) == b.to_dict(per_item=True)
        assert a.item_classes == b.item_classes
        np.testing.assert_array_equal(a.rated, b.rated)
    assert want.accepted_items == 1 and want.tags is not None and want.has_shapes
    assert {"car", "day", "night"} <= want.item_classes[want.item_names.index("c.png")]
