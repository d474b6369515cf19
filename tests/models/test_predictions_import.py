"""Predictions imported from a COCO results file (through the exchange import) measure the same
as the same predictions written through the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from models_helpers import MODEL, build_project, detection_spec

from labelhub.project import NewAnnotation

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_coco_results_import_into_a_predictions_set_then_evaluate(tmp_path: Path) -> None:
    spec = detection_spec(12, n_images=10)
    with build_project(tmp_path / "p", spec) as p:
        p.export_version("ds", 1, "coco", tmp_path / "export")
        gt_file = tmp_path / "export" / "annotations" / "instances_default.json"
        coco = json.loads(gt_file.read_text())
        image_id = {Path(im["file_name"]).name: im["id"] for im in coco["images"]}
        category_id = {c["name"]: c["id"] for c in coco["categories"]}
        results = []
        for name, objs in spec.dt.items():
            for o in objs:
                if o.label not in category_id:  # a class with no ground truth is not in the export
                    continue
                box = o.shape.box()
                results.append({"image_id": image_id[name], "category_id": category_id[o.label],
                                "bbox": [box.x, box.y, box.w, box.h], "score": o.score})
        res_file = tmp_path / "results.json"
        res_file.write_text(json.dumps(results))
        p.add_model_version(MODEL, "coco")
        report = p.import_labels("ds", res_file, "coco", into=f"predictions:{MODEL}@coco",
                                 coco_ground_truth=gt_file)
        assert report.added == len(results)
        imported = p.evaluate("ds", 1, f"{MODEL}@coco", store=False)
        # The same predictions (minus those the export could not name) written through the API.
        p.add_model_version(MODEL, "api")
        from labelhub.project import NewAnnotation

        p.add_predictions("ds", f"{MODEL}@api", {
            n: [NewAnnotation(o.label, o.shape.box(), score=o.score) for o in objs if o.label in category_id]
            for n, objs in spec.dt.items()})
        direct = p.evaluate("ds", 1, f"{MODEL}@api", store=False)
    assert imported.results["coco"] == direct.results["coco"]
    assert imported.predictions_hash == direct.predictions_hash


def test_yolo_predictions_with_confidences_measure_like_the_api(tmp_path: Path) -> None:
    """Ultralytics' predict output (labels/<stem>.txt, ``c cx cy w h conf``) beside a data.yaml
    naming the classes imports into a predictions set matched by file stem."""
    spec = detection_spec(21, n_images=10)
    with build_project(tmp_path / "p", spec) as p:
        folder = tmp_path / "runs" / "predict"
        (folder / "labels").mkdir(parents=True)
        (folder / "data.yaml").write_text("names:\n  0: ant\n  1: bee\n  2: cat\n  3: dog\n")
        ids = {"ant": 0, "bee": 1, "cat": 2, "dog": 3}
        for name, objs in spec.dt.items():
            w, h = spec.sizes[name]
            lines = []
            for o in objs:
                b = o.shape.box()
                lines.append(f"{ids[o.label]} {(b.x + b.w / 2) / w:.12f} {(b.y + b.h / 2) / h:.12f} "
                             f"{b.w / w:.12f} {b.h / h:.12f} {o.score}")
            if lines:
                (folder / "labels" / f"{Path(name).stem}.txt").write_text("\n".join(lines) + "\n")
        p.add_model_version(MODEL, "yolo")
        report = p.import_labels("ds", folder, "yolo", into=f"predictions:{MODEL}@yolo")
        assert report.added == sum(len(v) for v in spec.dt.values())
        assert report.matched == {"file stem": len([n for n in spec.dt if spec.dt[n]])}
        imported = p.evaluate("ds", 1, f"{MODEL}@yolo", store=False)
        direct = p.evaluate("ds", 1, f"{MODEL}@1", store=False)
    for got, want in zip(imported.results["coco"], direct.results["coco"], strict=True):
        assert got == pytest.approx(want, abs=1e-6)


def test_coco_crowd_regions_survive_import_evaluation_and_export(tmp_path: Path) -> None:
    """A COCO ground truth's iscrowd=1 regions become the ``iscrowd`` attribute (on classes that
    never declared it), absorb detections as pycocotools does, and are written back as iscrowd=1."""
    from models_helpers import coco_stats, write_images

    from labelhub.project import Project

    spec = detection_spec(5, n_images=14)
    names = sorted(spec.sizes)
    coco = {"images": [{"id": i + 1, "file_name": n, "width": spec.sizes[n][0], "height": spec.sizes[n][1]}
                       for i, n in enumerate(names)],
            "categories": [{"id": k + 1, "name": c} for k, c in enumerate(("ant", "bee", "cat"))],
            "annotations": []}
    cat = {c["name"]: c["id"] for c in coco["categories"]}
    for i, n in enumerate(names):
        for o in spec.gt[n]:
            b = o.shape.box()
            coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": i + 1,
                                        "category_id": cat[o.label], "bbox": [b.x, b.y, b.w, b.h],
                                        "area": b.w * b.h, "iscrowd": int(o.crowd)})
    crowds = sum(o.crowd for objs in spec.gt.values() for o in objs)
    assert crowds >= 2
    gt_file = tmp_path / "gt.json"
    gt_file.write_text(json.dumps(coco))
    with Project.create(tmp_path / "p", lead="lena") as p:
        p.create_dataset("ds")
        p.import_images("ds", [write_images(tmp_path / "images", spec.sizes)])
        for name in ("ant", "bee", "cat"):  # classes made before, without an iscrowd attribute
            p.add_label_class("ds", name)
        p.import_labels("ds", gt_file, "coco")
        assert all(c.attribute("iscrowd") is None for c in p.label_classes("ds"))
        stored = [a for item in p.items("ds") for a in p.annotations(p.ground_truth("ds").uid, item.uid)]
        assert sum(a.attributes.get("iscrowd") is True for a in stored) == crowds
        p.commit_version("ds", "imported")
        p.add_model("m", task="detection")
        p.add_model_version("m", "1")
        p.add_predictions("ds", "m@1", {n: [NewAnnotation(o.label, o.shape.box(), score=o.score)
                                            for o in spec.dt[n] if o.label != "dog"] for n in names})
        result = p.evaluate("ds", 1, "m@1", store=False)
        p.export_version("ds", 1, "coco", tmp_path / "out")
    only_known = type(spec)(spec.sizes, spec.gt, {n: [o for o in objs if o.label != "dog"]
                                                  for n, objs in spec.dt.items()})
    want = coco_stats(only_known, "bbox")
    assert result.results["coco"] == pytest.approx(list(want), abs=1e-9)
    written = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    assert sum(a["iscrowd"] for a in written["annotations"]) == crowds
