"""The pieces under the formats: mask outlines, rotated rectangles, the data.yaml subset,
names and attribute text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelhub.errors import InvalidInput
from labelhub.formats import AnnotationRecord, ClassSpec, ImageRecord, Item, _yaml, write_dataset
from labelhub.formats._common import attribute_text, attribute_value, norm, norm_text, num
from labelhub.formats._outline import mask_to_polygon_points, min_area_rect, outline_loops
from labelhub.formats.model import AttributeSpec
from labelhub.formats.safety import name_problem, resolve_relative
from labelhub.geometry import Box, Mask, RotatedBox


def test_mask_outline_fills_back_to_the_same_pixels() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 16, 2))
        arr = rng.random((h, w)) < rng.random()
        mask = Mask.from_array(arr)
        points = mask_to_polygon_points(mask)
        if not arr.any():
            assert points == []
            continue
        assert Mask.from_polygon(points, h, w) == mask


def test_outline_keeps_corner_touching_pixels_apart_and_finds_holes() -> None:
    arr = np.zeros((3, 3), bool)
    arr[0, 0] = arr[1, 1] = True
    assert outline_loops(Mask.from_array(arr)) == [
        [(0, 0), (1, 0), (1, 1), (0, 1)], [(1, 1), (2, 1), (2, 2), (1, 2)]]
    ring = np.ones((4, 4), bool)
    ring[1:3, 1:3] = False
    outer, hole = outline_loops(Mask.from_array(ring))
    assert outer == [(0, 0), (4, 0), (4, 4), (0, 4)]
    assert hole == [(1, 1), (1, 3), (3, 3), (3, 1)]  # the other way round


def test_min_area_rect() -> None:
    box = RotatedBox(50, 40, 30, 10, 30)
    found = min_area_rect(box.corners() + ((50, 40),))
    assert found.area() == pytest.approx(300)
    assert {round(found.w), round(found.h)} == {30, 10}
    square = min_area_rect([(0, 0), (2, 0), (2, 2), (0, 2), (1, 1)])
    assert (square.cx, square.cy, square.area()) == (1, 1, 4)


def test_yaml_subset() -> None:
    text = _yaml.dump([("path", "."), ("names", {0: "a b", 1: "yes", 2: "x: y"}),
                       ("kpt_shape", [17, 3]), ("flag", True)])
    data = _yaml.parse(text)
    assert data == {"path": ".", "names": {0: "a b", 1: "yes", 2: "x: y"},
                    "kpt_shape": [17, 3], "flag": True}
    assert _yaml.parse("names:\n  - cat\n  - 'dog''s'\n") == {"names": ["cat", "dog's"]}
    assert _yaml.parse("names: {0: cat, 1: dog}\n") == {"names": {0: "cat", 1: "dog"}}
    with pytest.raises(InvalidInput, match="line 2"):
        _yaml.parse("a: 1\n  b: &anchor 2\n")


def test_names_and_paths() -> None:
    assert name_problem("a/b.jpg") is None
    assert "absolute" in name_problem("/x")
    assert "absolute" in name_problem("c:/x")
    assert ".." in name_problem("a/../../x")
    assert "control" in name_problem("a\x00b")
    assert resolve_relative("ann", "../img/x.jpg") == ("img/x.jpg", None)
    assert resolve_relative("ann", "../../x.jpg")[0] is None


def test_number_text_reads_back_exactly() -> None:
    for v in (0.1, 1 / 3, 12.0, -0.0, 1e-7, 123456.789):
        assert float(num(v)) == v
    assert num(12.0) == "12" and num(-0.0) == "0"
    assert norm(0.5) == "0.5" and norm(1.0) == "1" and norm(1 / 3) == "0.3333333333"


def test_label_lines_normalised_at_once_read_as_norm_writes_each_value() -> None:
    rng = np.random.default_rng(4)
    values = [0.0, -0.0, 1.0, 0.5, 1e-11, -1e-11, 5e-11, -5e-11, 10.0, 100.25, 1 / 3,
              *rng.uniform(-2, 2, 3000), *np.round(rng.uniform(0, 1, 3000), 4)]
    rows = [values[i:i + 5] for i in range(0, len(values), 5)]
    text = "".join(("%d\0%.10f" + " %.10f" * (len(r) - 1)) % (i % 12, *r) + "\n"
                   for i, r in enumerate(rows))
    assert norm_text(text) == "".join(
        " ".join([str(i % 12), *(norm(v) for v in r)]) + "\n" for i, r in enumerate(rows))


def test_writing_into_a_folder_keeps_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "mine.txt").write_text("mine")
    (tmp_path / "notes.txt").write_text("notes")
    items = [Item(ImageRecord("a.jpg", 10, 10, "train"), [AnnotationRecord("a.jpg", "a", Box(1, 1, 2, 2))])]
    result = write_dataset("yolo", tmp_path, [ClassSpec(0, "a")], items, {"yolo_task": "detect"})
    assert result.files == ["data.yaml", "labels/train/a.txt", "train.txt"]
    assert (tmp_path / "labels" / "train" / "mine.txt").read_text() == "mine"
    assert (tmp_path / "labels" / "train" / "a.txt").read_text() == "0 0.2 0.2 0.2 0.2\n"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "data.yaml", "labels/train/a.txt", "labels/train/mine.txt", "notes.txt", "train.txt"]
    assert set(result.sha256) == {"data.yaml", "labels/train/a.txt"}  # the files written whole


def test_attribute_text() -> None:
    assert attribute_text(True) == "true" and attribute_text(2.0) == "2"
    assert attribute_value("true", None) is True
    assert attribute_value("12", None) == 12
    assert attribute_value("1.5", None) == 1.5
    assert attribute_value("12", AttributeSpec("x", "text")) == "12"
    assert attribute_value("3", AttributeSpec("x", "float")) == 3.0
    assert attribute_value("vw", None) == "vw"


def test_names_that_collide_in_the_output_are_refused(tmp_path: Path) -> None:
    cls = [ClassSpec(0, "a")]
    items = [Item(ImageRecord(n, 10, 10), [AnnotationRecord(n, "a", Box(1, 1, 2, 2))])
             for n in ("x.jpg", "x.png")]
    with pytest.raises(InvalidInput, match="both be written to Annotations/x.xml"):
        write_dataset("voc", tmp_path, cls, items)
    assert list(tmp_path.rglob("*")) == []


def test_xml_writers_refuse_control_characters(tmp_path: Path) -> None:
    cls = [ClassSpec(0, "bad\x01name")]
    items = [Item(ImageRecord("x.jpg", 10, 10), [AnnotationRecord("x.jpg", "bad\x01name",
                                                                  Box(1, 1, 2, 2))])]
    with pytest.raises(InvalidInput, match="control character"):
        write_dataset("cvat", tmp_path, cls, items)


def test_split_names_must_name_a_folder(tmp_path: Path) -> None:
    from labelhub.formats import ProblemsFound

    cls = [ClassSpec(0, "a")]
    items = [Item(ImageRecord("x.jpg", 10, 10, "../up"), [])]
    with pytest.raises(ProblemsFound, match="cannot name a folder"):
        write_dataset("coco", tmp_path, cls, items)


def test_options_may_be_plain_mappings(tmp_path: Path) -> None:
    from labelhub.formats import plan_export, read_dataset

    with pytest.raises(InvalidInput, match="unknown export option colour"):
        plan_export("coco", [], {}, {"colour": "red"})
    with pytest.raises(InvalidInput, match="unknown read option speed"):
        read_dataset("coco", tmp_path, {"speed": 1})


def test_yolo_pose_without_keypoint_names_gets_numbered_ones(tmp_path: Path) -> None:
    from labelhub.formats import read_dataset

    (tmp_path / "labels").mkdir()
    (tmp_path / "data.yaml").write_text("names: [hand]\nkpt_shape: [2, 3]\n")
    (tmp_path / "labels" / "h.txt").write_text("0 0.5 0.5 0.5 0.5 0.25 0.25 2 0.75 0.75 1\n")
    doc = read_dataset("yolo", tmp_path, {"image_sizes": {"h": (8, 8)}})
    assert doc.classes[0].keypoint_names == ("1", "2")
    assert [a.shape.kind for a in doc.annotations] == ["keypoints"]
