"""The demo's models step on a small shapes dataset: a registered model with its lineage and
stages, predictions from the scenes' exact shapes, and evaluations that find the labelling
mistake the dataset version holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.media.scenes import generate_scene
from labelhub.project import NewAnnotation, Project
from labelhub.project.model_demo import (
    DEMO_MODEL,
    DEMO_VERSION,
    add_models_demo,
    scene_predictions,
    scene_shape,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_models_demo_registers_predicts_and_finds_the_missing_label(tmp_path: Path) -> None:
    images = tmp_path / "img"
    images.mkdir()
    scenes = {}
    for seed in (12, 13, 14):
        image, shapes = generate_scene(seed)
        image.save(images / f"scene-{seed:03d}.png")
        scenes[f"scene-{seed:03d}.png"] = shapes
    with Project.create(tmp_path / "p", lead="lena") as p:
        p.create_dataset("shapes")
        p.import_images("shapes", [images])
        for name in ("circle", "square", "triangle"):
            p.add_label_class("shapes", name)
        gt = p.ground_truth("shapes").uid
        held_back = None
        for item in p.items("shapes"):
            new = [NewAnnotation(s.class_name, scene_shape(s)) for s in scenes[item.name]]
            if item.name == "scene-012.png":
                held_back = new.pop()  # the version's mistake: a shape nobody labelled
            p.add_annotations(gt, item.uid, new)
        p.commit_version("shapes", "generated")
        made = add_models_demo(p)
        model = p.model(DEMO_MODEL)
        assert model.production.version == DEMO_VERSION
        assert model.version("0.9").stage == "archived" and model.version("0.9").stage_reason
        assert [v.ref for v in p.trained_on("shapes", 1)] == [f"{DEMO_MODEL}@0.9", f"{DEMO_MODEL}@{DEMO_VERSION}"]
        assert len(made["evaluations"]) == 2 and made["scenes"] == sorted(scenes)
        best = p.evaluation(made["evaluations"][1])
        assert best.model_version == DEMO_VERSION and best.results["coco"][0] > 0.4
        missing = [s for s in best.results["suspected_errors"] if s["kind"] == "missing_label"]
        assert any(s["item_name"] == "scene-012.png" and s["predicted"] == held_back.label for s in missing)
        assert p.audit_verify().ok


def test_scene_predictions_are_seeded_and_inside_the_image() -> None:
    _image, shapes = generate_scene(3)
    first, again = scene_predictions(shapes, 3), scene_predictions(shapes, 3)
    assert first == again and first != scene_predictions(shapes, 4)
    for a in first:
        assert a.shape.validate(640, 480) == [] and 0 <= a.score <= 1
