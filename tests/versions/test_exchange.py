"""Exports of dataset versions: every format through the project and back, the manifest,
byte-identical re-exports, the loss plan, pycocotools as an oracle."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
from versions_helpers import item_uid, make_images, set_split

from labelhub.errors import Cancelled, InvalidInput
from labelhub.geometry import (
    SHAPE_KINDS,
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Shape,
    Tag,
)
from labelhub.project import NewAnnotation, Project

TOL = 1e-6


def _mask() -> Mask:
    arr = np.zeros((80, 120), bool)
    arr[5:20, 10:30] = True
    arr[9:12, 14:17] = False
    arr[60:70, 100:110] = True
    return Mask.from_array(arr)


ON_A = [("car", Box(10.5, 10.25, 30, 20), {"occluded": True, "make": "vw", "doors": 4}),
        ("car", Box(70, 50, 20, 10), {"occluded": False, "make": "", "doors": 0}),  # falsy values
        ("car", RotatedBox(60.5, 40, 20, 10, 30), {"make": "fiat"}),
        ("car", Polygon(((50, 10), (90.5, 12), (70, 40.75))), {"occluded": True}),
        ("car", Polyline(((0, 79), (20, 60.5), (119, 79))), {}),
        ("car", Points(((5, 5), (6.5, 7))), {}),
        ("car", _mask(), {"doors": 2}),
        ("scene", Tag(), {})]
ON_B = [("person", Keypoints(((10, 10), (12.5, 8), (7, 8)), (2, 1, 2)), {}),
        ("person", Box(5, 5, 10, 20), {}),
        ("scene", Tag(), {})]

#: (format, options, the shape kinds it holds as they are, whether it keeps attributes)
CASES = [
    ("coco", {}, ("box", "polygon", "keypoints", "mask"), True),
    ("cvat", {}, SHAPE_KINDS, True),
    ("datumaro", {}, SHAPE_KINDS, True),
    ("labelme", {}, ("box", "polygon", "polyline", "mask", "tag"), True),
    ("voc", {}, ("box",), True),
    ("yolo", {"yolo_task": "detect"}, ("box",), False),
    ("yolo", {"yolo_task": "segment"}, ("polygon",), False),
    ("yolo", {"yolo_task": "obb"}, ("rotated_box",), False),
    ("yolo", {"yolo_task": "pose"}, ("keypoints",), False),
    ("yolo", {"yolo_task": "classify"}, ("tag",), False),
    ("imagenet", {}, ("tag",), False),
    ("csv", {}, ("tag",), False),
]


def _schema(p: Project, dataset: str) -> None:
    p.add_label_class(dataset, "car", attributes=[{"name": "occluded", "type": "boolean"},
                                                  {"name": "make", "type": "text"},
                                                  {"name": "doors", "type": "number"}])
    p.add_label_class(dataset, "person", keypoints=["nose", "left eye", "right eye"],
                      skeleton=[[0, 1], [0, 2]])
    p.add_label_class(dataset, "scene", kinds=["tag"])


def _label(p: Project, dataset: str, kinds: tuple[str, ...]) -> None:
    gt = p.ground_truth(dataset).uid
    for image, anns in (("a.png", ON_A), ("b.png", ON_B)):
        chosen = [NewAnnotation(label, shape, attrs) for label, shape, attrs in anns if shape.kind in kinds]
        if chosen:
            p.add_annotations(gt, item_uid(p, dataset, image), chosen)


def _close(a: Shape, b: Shape) -> bool:
    da, db = a.to_dict(), b.to_dict()
    if da.keys() != db.keys():
        return False
    for key, x in da.items():
        y = db[key]
        if isinstance(x, float | int) and not isinstance(x, bool):
            if not math.isclose(x, y, abs_tol=TOL):
                return False
        elif isinstance(x, list) and x and isinstance(x[0], list):
            if not all(math.hypot(p[0] - q[0], p[1] - q[1]) <= TOL for p, q in zip(x, y, strict=True)):
                return False
        elif x != y:
            return False
    return True


def _comparable(attrs: dict, keeps: bool) -> dict:
    return dict(attrs) if keeps else {}


@pytest.mark.parametrize("fmt,options,kinds,keeps", CASES,
                         ids=[f"{c[0]}-{c[1].get('yolo_task', '')}".rstrip("-") for c in CASES])
def test_every_format_round_trips_through_the_project(tmp_path: Path, fmt: str, options: dict,
                                                      kinds: tuple[str, ...], keeps: bool) -> None:
    images = make_images(tmp_path / "images")
    with Project.create(tmp_path / "proj", lead="lena") as p:
        p.create_dataset("src")
        p.import_images("src", [images])
        _schema(p, "src")
        _label(p, "src", kinds)
        p.commit_version("src", "for export")
        plan = p.export_plan("src", 1, fmt, options)
        assert all(loss.kind in ("attributes", "images") for loss in plan.losses)  # native shapes only
        out = tmp_path / "out"
        p.export_version("src", 1, fmt, out, options=options, accept_losses=True, with_media=True)
        p.create_dataset("back")
        p.import_images("back", [images])
        report = p.import_labels("back", out, fmt, yolo_task=options.get("yolo_task"))
        assert report.added == sum(1 for _l, s, _a in ON_A + ON_B if s.kind in kinds)
        gt_src, gt_back = p.ground_truth("src").uid, p.ground_truth("back").uid
        for image in ("a.png", "b.png", "c.jpg", "sub/d.png"):
            want = p.annotations(gt_src, item_uid(p, "src", image))
            got = list(p.annotations(gt_back, item_uid(p, "back", image)))
            for w in want:
                match = next((g for g in got if g.label == w.label and _close(w.shape, g.shape)
                              and _comparable(g.attributes, keeps) == _comparable(w.attributes, keeps)),
                             None)
                assert match is not None, f"{fmt}: {image}: {w} not among {got}"
                got.remove(match)
            assert not got, f"{fmt}: {image}: unexpected {got}"
        if "keypoints" in kinds:
            person = next(c for c in p.label_classes("back") if c.name == "person")
            assert person.keypoints == ("nose", "left eye", "right eye")
        assert p.audit_verify().ok


@pytest.fixture
def exported(lead: Project, tmp_path: Path) -> Path:
    lead.commit_version("scenes", "first", tag="base")
    report = lead.export_version("scenes", "base", "coco", tmp_path / "coco", with_media=True,
                                 accept_losses=True)
    assert report.items == 4 and report.annotations == 5  # the tag has no place in COCO
    return tmp_path / "coco"


def test_coco_export_loads_in_pycocotools_with_a_complete_manifest(exported: Path, lead: Project) -> None:
    from pycocotools.coco import COCO

    coco = COCO(str(exported / "annotations" / "instances_train.json"))
    names = {c["name"]: c["id"] for c in coco.loadCats(coco.getCatIds())}
    assert names == {"car": 1, "person": 2, "sky": 3}
    images = {im["file_name"]: im for im in coco.loadImgs(coco.getImgIds())}
    assert set(images) == {"a.png", "b.png"}
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[images["a.png"]["id"]]))
    assert sorted(a["bbox"] for a in anns) == [[10, 10, 30, 20], [50, 10, 40, 30]]
    person = coco.loadAnns(coco.getAnnIds(imgIds=[images["b.png"]["id"]]))
    assert any(a.get("num_keypoints") == 2 for a in person)

    manifest = json.loads((exported / "manifest.json").read_text())
    assert manifest["dataset"] == "scenes" and manifest["format"] == "coco"
    v = lead.version("scenes", "base")
    assert manifest["version"]["number"] == 1 and manifest["version"]["tag"] == "base"
    assert manifest["manifest_hash"] == v.manifest_hash
    assert [(c["id"], c["name"]) for c in manifest["schema"]] == [(1, "car"), (2, "person"), (3, "sky")]
    assert manifest["counts"]["annotations"] == 6 and manifest["counts"]["exported_annotations"] == 5
    assert manifest["losses"] == [{"label": "sky", "kind": "tag", "count": 1, "action": "dropped",
                                   "detail": "COCO instances have no image-level labels"}]
    assert manifest["options"]["with_media"] is True and manifest["labelhub_version"]
    written = sorted(str(f.relative_to(exported)) for f in exported.rglob("*") if f.is_file())
    assert sorted(manifest["files"]) == [f for f in written if f != "manifest.json"]
    for rel, sha in manifest["files"].items():
        assert hashlib.sha256((exported / rel).read_bytes()).hexdigest() == sha
    assert manifest["files"]["images/train/a.png"] == next(
        i.media_sha256 for i in lead.items("scenes") if i.name == "a.png")


def test_exporting_a_version_again_gives_the_same_bytes(exported: Path, lead: Project, tmp_path: Path) -> None:
    gt = lead.ground_truth("scenes").uid
    lead.add_annotations(gt, item_uid(lead, "scenes", "c.jpg"), [NewAnnotation("car", Box(1, 1, 5, 5))])
    set_split(lead, "scenes", ["a.png"], "val")  # the dataset moves on; v1 does not
    again = tmp_path / "again"
    lead.export_version("scenes", 1, "coco", again, with_media=True, accept_losses=True)

    def tree(root: Path) -> dict[str, bytes]:
        return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}

    assert tree(again) == tree(exported)


def test_the_loss_plan_must_be_accepted_and_is_recorded(lead: Project, tmp_path: Path) -> None:
    lead.commit_version("scenes", "first")
    plan = lead.export_plan("scenes", 1, "voc")
    assert [(x.label, x.kind, x.count, x.action) for x in plan.losses] == [
        ("car", "polygon", 1, "converted"), ("person", "keypoints", 1, "dropped"),
        ("sky", "tag", 1, "dropped")]
    assert (plan.converted, plan.dropped) == (1, 2)
    assert "1 polygon shape of car: converted (becomes its axis-aligned bounding box)" in plan.describe()
    with pytest.raises(InvalidInput, match="cannot hold every shape"):
        lead.export_version("scenes", 1, "voc", tmp_path / "voc")
    assert not (tmp_path / "voc").exists()
    lead.export_version("scenes", 1, "voc", tmp_path / "voc", accept_losses=True)
    manifest = json.loads((tmp_path / "voc" / "manifest.json").read_text())
    assert [x["kind"] for x in manifest["losses"]] == ["polygon", "keypoints", "tag"]
    assert lead.export_plan("scenes", 1, "cvat").losses == []
    yolo = lead.export_plan("scenes", 1, "yolo")
    assert yolo.target == "yolo-pose" and yolo.options["yolo_task"] == "pose"


def test_an_export_leaves_nothing_behind_when_refused_or_cancelled(lead: Project, tmp_path: Path) -> None:
    lead.commit_version("scenes", "first")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not an empty folder"):
        lead.export_version("scenes", 1, "cvat", busy)
    assert [f.name for f in busy.iterdir()] == ["keep.txt"]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        lead.export_version("scenes", 1, "cvat", tmp_path / "cancelled", cancel=cancel)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["busy", "proj"]
    with pytest.raises(InvalidInput, match="unknown format"):
        lead.export_plan("scenes", 1, "tfrecord")


def test_folder_layouts_need_the_images_and_name_the_unlabelled_ones(lead: Project, tmp_path: Path) -> None:
    lead.commit_version("scenes", "first")
    plan = lead.export_plan("scenes", 1, "imagenet")
    unlabelled = [x for x in plan.losses if x.kind == "images"]
    assert [(x.count, x.action) for x in unlabelled] == [(3, "dropped")]  # only a.png has "sky"
    assert "3 images without an image-level label: dropped" in plan.describe()[-1]
    with pytest.raises(InvalidInput, match="export it with the image files"):
        lead.export_version("scenes", 1, "imagenet", tmp_path / "in", accept_losses=True)
    report = lead.export_version("scenes", 1, "yolo", tmp_path / "cls", with_media=True,
                                 options={"yolo_task": "classify"}, accept_losses=True)
    assert sorted(report.files) == ["train/sky/a.png"]


def test_export_orders_by_z_then_drawing_and_keeps_a_past_version(lead: Project, tmp_path: Path) -> None:
    gt = lead.ground_truth("scenes").uid
    d = item_uid(lead, "scenes", "sub/d.png")
    first, _, third, _ = lead.add_annotations(gt, d, [
        NewAnnotation("car", Box(1.5, 1, 5, 5), z=2), NewAnnotation("car", Box(2.25, 2, 5, 5)),
        NewAnnotation("car", Box(3, 3, 5, 5), z=-1),
        NewAnnotation("car", Box(4, 4, 5, 5.125), {"iscrowd": True})])
    lead.commit_version("scenes", "ordered")
    lead.export_version("scenes", 1, "coco", tmp_path / "v1", accept_losses=True)

    def boxes(root: Path) -> list[tuple[list[float], int]]:
        data = json.loads((root / "annotations" / "instances_default.json").read_text())
        return [(a["bbox"], a["iscrowd"]) for a in data["annotations"]]

    assert boxes(tmp_path / "v1") == [([3, 3, 5, 5], 0), ([2.25, 2, 5, 5], 0), ([4, 4, 5, 5.125], 1),
                                      ([1.5, 1, 5, 5], 0)]
    # Edits after v1 close its rows; v1 exports the same bytes, the edits go into v2.
    lead.change_annotation(first, z=-5)
    lead.change_annotation(third, shape=Box(10, 10, 20, 20))
    lead.commit_version("scenes", "edited")
    lead.export_version("scenes", 1, "coco", tmp_path / "v1-again", accept_losses=True)
    for f in (tmp_path / "v1").rglob("*"):
        if f.is_file():
            assert f.read_bytes() == (tmp_path / "v1-again" / f.relative_to(tmp_path / "v1")).read_bytes()
    lead.export_version("scenes", 2, "coco", tmp_path / "v2", accept_losses=True)
    assert boxes(tmp_path / "v2") == [([1.5, 1, 5, 5], 0), ([10, 10, 20, 20], 0), ([2.25, 2, 5, 5], 0),
                                      ([4, 4, 5, 5.125], 1)]

