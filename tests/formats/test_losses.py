"""The loss plan: every format x shape kind pair, and writers doing exactly what it says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.formats import (
    AnnotationRecord,
    AttributeSpec,
    ClassSpec,
    ImageRecord,
    Item,
    Loss,
    plan_export,
    resolve_yolo_task,
    write_dataset,
)
from labelhub.geometry import (
    SHAPE_KINDS,
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Tag,
)

N, C, D = "native", "converted", "dropped"
KINDS = ("box", "rotated_box", "polygon", "polyline", "points", "keypoints", "mask", "tag")
assert KINDS == SHAPE_KINDS


def _row(*actions: str) -> dict[str, str]:
    return dict(zip(KINDS, actions, strict=True))


#: The table, written out by hand from what each format can hold.
#:                      box rotated polygon polyline points keypoints mask tag
EXPECTED = {
    "coco": _row(N, C, N, D, D, N, N, D),
    "yolo-detect": _row(N, C, C, D, D, D, C, D),
    "yolo-segment": _row(C, C, N, D, D, D, C, D),
    "yolo-obb": _row(C, N, C, D, D, D, C, D),
    "yolo-pose": _row(N, C, C, D, D, N, C, D),
    "yolo-classify": _row(D, D, D, D, D, D, D, N),
    "voc": _row(N, C, C, D, D, D, C, D),
    "cvat": _row(N, N, N, N, N, N, N, N),
    "labelme": _row(N, C, N, N, C, C, N, N),
    "datumaro": _row(N, N, N, N, N, N, N, N),
    "imagenet": _row(D, D, D, D, D, D, D, N),
    "csv": _row(D, D, D, D, D, D, D, N),
}


def _format(target: str) -> tuple[str, dict[str, str]]:
    if target.startswith("yolo-"):
        return "yolo", {"yolo_task": target[5:]}
    return target, {}


def _shape(kind: str):
    arr = np.zeros((48, 64), bool)
    arr[10:20, 10:30] = True
    return {
        "box": Box(1, 2, 10, 20), "rotated_box": RotatedBox(30, 20, 10, 6, 30),
        "polygon": Polygon([(1, 1), (20, 3), (10, 30)]),
        "polyline": Polyline([(0, 0), (20, 40)]), "points": Points([(5, 5), (6, 7)]),
        "keypoints": Keypoints([(10, 10), (12, 8)], (2, 1)), "mask": Mask.from_array(arr),
        "tag": Tag(),
    }[kind]


THING = ClassSpec(1, "thing", keypoint_names=("a", "b"))
PLAIN = ClassSpec(1, "thing")
PAIRS = [(t, k) for t in EXPECTED for k in KINDS]


@pytest.mark.parametrize("target,kind", PAIRS, ids=[f"{t}-{k}" for t, k in PAIRS])
def test_plan_for_every_format_and_kind(tmp_path: Path, target: str, kind: str) -> None:
    fmt, options = _format(target)
    action = EXPECTED[target][kind]
    cls = THING if kind == "keypoints" or target == "yolo-pose" else PLAIN
    plan = plan_export(fmt, [cls], {"thing": {kind: 3}}, options)
    if action == N:
        assert plan == []
    else:
        (loss,) = plan
        assert (loss.label, loss.kind, loss.count, loss.action) == ("thing", kind, 3, action)
        assert loss.detail
    # The writer applies exactly the plan, shape by shape.
    anns = [AnnotationRecord("x.jpg", "thing", _shape(kind)) for _ in range(3)]
    result = write_dataset(fmt, tmp_path, [cls], [Item(ImageRecord("x.jpg", 64, 48), anns)],
                           options)
    assert result.losses == plan


def test_points_of_a_skeleton_class_come_back_as_keypoints_from_datumaro() -> None:
    plain = ClassSpec(1, "plain")
    assert plan_export("datumaro", [plain], {"plain": {"points": 2}}) == []
    (loss,) = plan_export("datumaro", [THING], {"thing": {"points": 2}})
    assert loss.action == C and "keypoints" in loss.detail


def test_attributes_are_reported_where_the_format_has_no_place_for_them() -> None:
    car = ClassSpec(1, "car", attributes=(AttributeSpec("parked", "bool"),))
    counts = {"car": {"box": 2, "polygon": 1}}
    plan = plan_export("yolo", [car], counts, {"yolo_task": "detect"})
    assert plan[-1] == Loss("car", "attributes", 3, D, plan[-1].detail)
    assert not any(loss.kind == "attributes" for loss in plan_export("coco", [car], counts))


def test_labelme_can_keep_rotated_boxes() -> None:
    counts = {"thing": {"rotated_box": 1}}
    assert plan_export("labelme", [THING], counts)[0].action == C
    assert plan_export("labelme", [THING], counts, {"labelme_oriented_rectangles": True}) == []


def test_plan_order_is_class_then_kind() -> None:
    a, b = ClassSpec(1, "a"), ClassSpec(2, "b")
    plan = plan_export("voc", [a, b], {"b": {"tag": 1, "mask": 2}, "a": {"points": 4}})
    assert [(loss.label, loss.kind) for loss in plan] == [("a", "points"), ("b", "mask"),
                                                           ("b", "tag")]


def test_yolo_task_follows_the_shapes() -> None:
    assert resolve_yolo_task({"a": {"box": 3, "keypoints": 1}}) == "pose"
    assert resolve_yolo_task({"a": {"box": 3, "mask": 1}}) == "segment"
    assert resolve_yolo_task({"a": {"box": 3, "rotated_box": 1}}) == "obb"
    assert resolve_yolo_task({"a": {"box": 3, "tag": 9}}) == "detect"
    assert resolve_yolo_task({"a": {"tag": 9}}) == "classify"
    assert resolve_yolo_task({"a": {"tag": 9}}, {"yolo_task": "detect"}) == "detect"
    with pytest.raises(InvalidInput, match="unknown YOLO task"):
        resolve_yolo_task({}, {"yolo_task": "dance"})


def test_exports_that_cannot_be_done_are_refused_up_front() -> None:
    unnamed = ClassSpec(1, "person")
    with pytest.raises(InvalidInput, match="does not name them"):
        plan_export("coco", [unnamed], {"person": {"keypoints": 1}})
    other = ClassSpec(2, "hand", keypoint_names=("a", "b", "c"))
    with pytest.raises(InvalidInput, match="same number of keypoints"):
        plan_export("yolo", [THING, other], {"thing": {"keypoints": 1}})
    with pytest.raises(InvalidInput, match="not classes"):
        plan_export("coco", [THING], {"ghost": {"box": 1}})
    with pytest.raises(InvalidInput, match="named keypoints"):
        plan_export("yolo", [unnamed], {"person": {"box": 1}}, {"yolo_task": "pose"})
    with pytest.raises(InvalidInput, match="unknown format"):
        plan_export("tiff", [THING], {})
    with pytest.raises(InvalidInput, match="unique"):
        plan_export("coco", [THING, ClassSpec(1, "thing")], {})
