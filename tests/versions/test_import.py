"""Importing labels into ground truth, an annotator's set or a model's predictions; hostile
files refused with the project left exactly as it was."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from versions_helpers import item_uid

from labelhub.errors import InvalidInput, PermissionDenied
from labelhub.geometry import Box
from labelhub.project import Project


def _coco(path: Path, annotations: list, *, images: list | None = None, raw: str | None = None) -> Path:
    data = {"images": images or [{"id": 1, "file_name": "a.png", "width": 120, "height": 80},
                                 {"id": 2, "file_name": "b.png", "width": 100, "height": 100}],
            "categories": [{"id": 1, "name": "car"}, {"id": 7, "name": "Person"}, {"id": 9, "name": "bus"}],
            "annotations": annotations}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(data))
    return path


def _box(i: int, image: int, cat: int, bbox: list, **extra: object) -> dict:
    return {"id": i, "image_id": image, "category_id": cat, "bbox": bbox, "area": 1, "iscrowd": 0,
            "segmentation": [], **extra}


def test_import_into_an_annotator_set_maps_and_creates_classes(lead: Project, tmp_path: Path) -> None:
    path = _coco(tmp_path / "in" / "labels.json", [
        _box(1, 1, 1, [1, 2, 10, 5], attributes={"occluded": True}),
        _box(2, 2, 7, [3, 3, 20, 20]),
        _box(3, 2, 9, [0, 0, 50, 40])])
    report = lead.import_labels("scenes", path, "coco", into="annotator:ana")
    assert report.added == 3 and report.classes_created == ["bus"]
    assert report.matched == {"name": 2}
    sets = {s.kind + ":" + (s.member or ""): s.uid for s in lead.label_sets("scenes")}
    ana = sets["annotator:ana"]
    on_b = {a.label: a for a in lead.annotations(ana, item_uid(lead, "scenes", "b.png"))}
    assert set(on_b) == {"person", "bus"}  # "Person" is the existing class person
    on_a = lead.annotations(ana, item_uid(lead, "scenes", "a.png"))
    assert on_a[0].shape == Box(1, 2, 10, 5) and on_a[0].attributes == {"occluded": True}
    assert "bus" in [c.name for c in lead.label_classes("scenes")]
    assert lead.changes(limit=1)[0].action == "labels.import"
    # Again with replace: the set's annotations on those images are replaced, not doubled.
    again = lead.import_labels("scenes", path, "coco", into="annotator:ana", replace=True)
    assert (again.added, again.replaced, again.classes_created) == (3, 3, [])
    assert len(lead.annotations(ana, item_uid(lead, "scenes", "b.png"))) == 2
    assert lead.audit_verify().ok


def test_ground_truth_import_without_new_classes_and_roles(lead: Project, scenes: Path, tmp_path: Path) -> None:
    path = _coco(tmp_path / "labels.json", [_box(1, 1, 9, [1, 2, 10, 5])])
    seq = lead.seq()
    with pytest.raises(InvalidInput, match="label 'bus' is not a class of the dataset"):
        lead.import_labels("scenes", path, "coco", create_classes=False)
    with Project.open(scenes, user="rui", backup=False) as rui:
        with pytest.raises(InvalidInput, match="only a lead may add classes"):
            rui.import_labels("scenes", path, "coco")
        ok = _coco(tmp_path / "ok.json", [_box(1, 1, 1, [1, 2, 10, 5])])
        assert rui.import_labels("scenes", ok, "coco").added == 1
    with Project.open(scenes, user="ana", backup=False) as ana:
        with pytest.raises(PermissionDenied):
            ana.import_labels("scenes", path, "coco")
        with pytest.raises(PermissionDenied):
            ana.import_labels("scenes", path, "coco", into="annotator:lena")
    assert lead.seq() == seq + 1
    with pytest.raises(InvalidInput, match="--into must be"):
        lead.import_labels("scenes", path, "coco", into="somewhere")


def test_images_are_matched_by_file_name_or_by_content(lead: Project, scenes: Path, tmp_path: Path) -> None:
    folder = tmp_path / "renamed"
    (folder / "pics").mkdir(parents=True)
    original = next(i for i in lead.items("scenes") if i.name == "c.jpg")
    shutil.copyfile(lead.media_path(original.media_sha256), folder / "pics" / "holiday.jpg")
    _coco(folder / "labels.json", [_box(1, 1, 1, [1, 1, 5, 5]), _box(2, 2, 1, [2, 2, 5, 5])], images=[
        {"id": 1, "file_name": "pics/holiday.jpg", "width": 90, "height": 60},   # by content
        {"id": 2, "file_name": "elsewhere/d.png", "width": 64, "height": 64},    # by file name
        {"id": 3, "file_name": "unrelated.png", "width": 10, "height": 10}])     # not labelled
    report = lead.import_labels("scenes", folder / "labels.json", "coco", into="annotator:rui")
    assert report.matched == {"file name": 1, "hash": 1}
    assert report.skipped == ["unrelated.png"]
    sets = {s.member: s.uid for s in lead.label_sets("scenes") if s.kind == "annotator"}
    assert len(lead.annotations(sets["rui"], item_uid(lead, "scenes", "c.jpg"))) == 1
    assert len(lead.annotations(sets["rui"], item_uid(lead, "scenes", "sub/d.png"))) == 1


def test_coco_results_become_a_models_predictions(lead: Project, tmp_path: Path) -> None:
    lead.commit_version("scenes", "for the model")
    lead.export_version("scenes", 1, "coco", tmp_path / "coco", accept_losses=True)
    gt_file = tmp_path / "coco" / "annotations" / "instances_train.json"
    ids = {im["file_name"]: im["id"] for im in json.loads(gt_file.read_text())["images"]}
    results = tmp_path / "results.json"
    results.write_text(json.dumps([
        {"image_id": ids["a.png"], "category_id": 1, "bbox": [10, 11, 30, 20], "score": 0.91},
        {"image_id": ids["b.png"], "category_id": 2, "bbox": [5, 5, 10, 20], "score": 0.42}]))
    lead.add_model("detector")
    lead.add_model_version("detector", "1")
    with pytest.raises(InvalidInput, match="ground-truth file"):
        lead.import_labels("scenes", results, "coco", into="predictions:detector@1")
    report = lead.import_labels("scenes", results, "coco", into="predictions:detector@1",
                                coco_ground_truth=gt_file)
    assert report.added == 2
    preds = lead.predictions_set("scenes", "detector@1").uid
    got = lead.annotations(preds, item_uid(lead, "scenes", "a.png"))
    assert [(a.label, a.shape, a.score) for a in got] == [("car", Box(10, 11, 30, 20), 0.91)]
    # predictions never touch the ground truth or the version's content
    assert not lead.content_summary("scenes").changed


HOSTILE = {
    "nan.json": ('{"images":[{"id":1,"file_name":"a.png","width":120,"height":80}],'
                 '"categories":[{"id":1,"name":"car"}],"annotations":[{"id":1,"image_id":1,'
                 '"category_id":1,"bbox":[NaN,1,2,3]}]}', "coco", "nan.json"),
    "negative.json": (json.dumps({"images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 80}],
                                  "categories": [{"id": 1, "name": "car"}],
                                  "annotations": [_box(1, 1, 1, [1, 1, -5, 3])]}), "coco", "negative.json"),
    "outside.json": (json.dumps({"images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 80}],
                                 "categories": [{"id": 1, "name": "car"}],
                                 "annotations": [_box(1, 1, 1, [100, 70, 50, 50])]}), "coco", "shape 0"),
    "wrong-size.json": (json.dumps({"images": [{"id": 1, "file_name": "a.png", "width": 640, "height": 480}],
                                    "categories": [{"id": 1, "name": "car"}],
                                    "annotations": [_box(1, 1, 1, [1, 1, 5, 5])]}), "coco", "640x480"),
    "stranger.json": (json.dumps({"images": [{"id": 1, "file_name": "nobody.png", "width": 120, "height": 80}],
                                  "categories": [{"id": 1, "name": "car"}],
                                  "annotations": [_box(1, 1, 1, [1, 1, 5, 5])]}), "coco", "no such image"),
    "twice.json": (json.dumps({"images": [{"id": 1, "file_name": "x/a.png", "width": 120, "height": 80},
                                          {"id": 2, "file_name": "y/a.png", "width": 120, "height": 80}],
                               "categories": [{"id": 1, "name": "car"}],
                               "annotations": [_box(1, 1, 1, [1, 1, 5, 5]), _box(2, 2, 1, [1, 1, 5, 5])]}),
                   "coco", "is the same image of the dataset (a.png) as x/a.png"),
    "truncated.json": ('{"images":[{"id":1,"file_name":"a.png"', "coco", "truncated.json"),
    "entities.xml": ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                     '<!ENTITY lol2 "&lol;&lol;&lol;">]><annotations><meta/>&lol2;</annotations>',
                     "cvat", "entities.xml"),
    "escape.json": (json.dumps({"version": "5.0.1", "flags": {}, "shapes": [
        {"label": "car", "points": [[1, 1], [5, 5]], "shape_type": "rectangle", "flags": {}}],
        "imagePath": "../../../etc/passwd", "imageHeight": 80, "imageWidth": 120}), "labelme", "escape.json"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_and_change_nothing(lead: Project, tmp_path: Path, name: str) -> None:
    text, fmt, needle = HOSTILE[name]
    path = tmp_path / "hostile" / name
    path.parent.mkdir()
    path.write_text(text)
    seq = lead.seq()
    with pytest.raises(InvalidInput) as caught:
        lead.import_labels("scenes", path, fmt)
    assert needle in str(caught.value)
    assert lead.seq() == seq and lead.audit_verify().ok


def test_hostile_archives_are_refused_and_change_nothing(lead: Project, tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.json", "{}")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("annotations/instances_default.json", b" " * (8 * 1024**2))
    seq = lead.seq()
    with pytest.raises(InvalidInput, match="evil.zip"):
        lead.import_labels("scenes", evil, "coco")
    with pytest.raises(InvalidInput, match="bomb.zip"):
        lead.import_labels("scenes", bomb, "coco")
    assert lead.seq() == seq and lead.audit_verify().ok
    assert not (tmp_path / "outside.json").exists()
