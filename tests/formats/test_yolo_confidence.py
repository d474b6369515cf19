"""YOLO prediction files: a line may end with the model's confidence (Ultralytics' save_conf),
for every task; it is read as the score, and a confidence outside 0..1 is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.formats import ProblemsFound, ReadOptions, read_dataset


def _folder(tmp_path: Path, yaml: str, lines: str) -> Path:
    (tmp_path / "labels").mkdir(parents=True)
    (tmp_path / "data.yaml").write_text(yaml)
    (tmp_path / "labels" / "a.txt").write_text(lines)
    return tmp_path


SIZES = ReadOptions(image_sizes={"a": (200, 100)})


def test_detect_lines_with_and_without_confidence(tmp_path: Path) -> None:
    root = _folder(tmp_path, "names:\n  0: car\n  1: bus\n",
                   "0 0.5 0.5 0.2 0.4 0.875\n1 0.25 0.25 0.1 0.1\n")
    doc = read_dataset("yolo", root, SIZES)
    first, second = doc.annotations
    assert (first.label, first.score) == ("car", 0.875)
    box = first.shape.box()
    assert (box.x, box.y, box.w, box.h) == pytest.approx((80, 30, 40, 40))
    assert (second.label, second.score) == ("bus", None)


def test_segment_obb_and_pose_lines_with_confidence(tmp_path: Path) -> None:
    seg = read_dataset("yolo", _folder(tmp_path / "seg", "names: [car]\n",
                                       "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5 0.5\n"), SIZES)
    assert seg.annotations[0].shape.kind == "polygon" and seg.annotations[0].score == 0.5
    assert len(seg.annotations[0].shape.points) == 4
    obb = read_dataset("yolo", _folder(tmp_path / "obb", "task: obb\nnames: [car]\n",
                                       "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5 0.25\n"), SIZES)
    assert obb.annotations[0].shape.kind == "rotated_box" and obb.annotations[0].score == 0.25
    pose = read_dataset("yolo", _folder(tmp_path / "pose", "task: pose\nkpt_shape: [2, 3]\nnames: [person]\n",
                                        "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.6 2 0.9\n"), SIZES)
    assert {a.score for a in pose.annotations} == {0.9}
    assert {a.shape.kind for a in pose.annotations} >= {"keypoints"}


def test_a_confidence_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    root = _folder(tmp_path, "names: [car]\n", "0 0.5 0.5 0.2 0.4 1.5\n")
    with pytest.raises(ProblemsFound) as err:
        read_dataset("yolo", root, SIZES)
    assert "labels/a.txt" in str(err.value) and "confidence 1.5" in str(err.value)
