"""Predictions imported from a COCO results file (through the exchange import) measure the same
as the same predictions written through the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from models_helpers import MODEL, build_project, detection_spec

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
