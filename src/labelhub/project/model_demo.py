"""A model for the demo: predictions made from the generated scenes' exact ground truth.

``scene_predictions`` plays a box detector that is good but not perfect, seeded so the demo is
the same every time: each shape is found with its box jittered by a few pixels, sometimes
missed, sometimes given the wrong class, and a few false positives are added, some of them
confident. ``add_demo_model`` registers the model and its version (trained on the dataset's
first version when there is one), imports the predictions and stores an evaluation.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from labelhub.geometry import Box, Polygon
from labelhub.media.scenes import SCENE_CLASSES, SceneShape, generate_scene
from labelhub.project.labels import NewAnnotation

DEMO_MODEL = "shape-detector"
DEMO_VERSION = "1.0"


def scene_shape(shape: SceneShape) -> Box | Polygon:
    """The exact ground-truth shape of a generated scene shape."""
    if shape.kind == "box":
        (x0, y0), (x1, y1) = shape.points
        return Box.from_corners(x0, y0, x1, y1)
    return Polygon(tuple(shape.points))


def scene_predictions(shapes: Sequence[SceneShape], seed: int, width: int = 640, height: int = 480,
                      *, miss: float = 0.08, confuse: float = 0.06, false_positives: float = 0.8
                      ) -> list[NewAnnotation]:
    """A detector's boxes for one scene: jittered true boxes with scores, misses, class
    confusions and false positives (``false_positives`` per scene on average), all seeded."""
    rng = random.Random(1_000_003 * seed + 17)
    out: list[NewAnnotation] = []
    for s in shapes:
        if rng.random() < miss:
            continue
        x, y, w, h = s.box
        jx, jy = rng.gauss(0, 0.03) * w, rng.gauss(0, 0.03) * h
        jw, jh = w * (1 + rng.gauss(0, 0.04)), h * (1 + rng.gauss(0, 0.04))
        box = _clip(x + jx, y + jy, jw, jh, width, height)
        label = s.class_name
        score = min(0.99, max(0.3, rng.betavariate(8, 1.6)))
        if rng.random() < confuse:
            label = rng.choice([c for c in SCENE_CLASSES if c != s.class_name])
            score = min(0.97, max(0.5, rng.betavariate(6, 2)))
        out.append(NewAnnotation(label, box, score=round(score, 4)))
    n_fp = int(false_positives) + (1 if rng.random() < false_positives % 1 else 0)
    for _ in range(n_fp):
        w, h = rng.uniform(30, 90), rng.uniform(30, 90)
        box = _clip(rng.uniform(0, width - w), rng.uniform(0, height - h), w, h, width, height)
        score = rng.uniform(0.05, 0.5) if rng.random() < 0.7 else rng.uniform(0.75, 0.95)
        out.append(NewAnnotation(rng.choice(SCENE_CLASSES), box, score=round(score, 4)))
    return out


def _clip(x: float, y: float, w: float, h: float, width: int, height: int) -> Box:
    x0, y0 = max(0.0, round(x, 1)), max(0.0, round(y, 1))
    x1, y1 = min(float(width), round(x + w, 1)), min(float(height), round(y + h, 1))
    return Box(x0, y0, max(x1 - x0, 1.0), max(y1 - y0, 1.0))


def add_models_demo(project: Any, dataset: str = "shapes") -> dict[str, Any]:
    """The demo's models step: a detector with two versions, their predictions on the scenes
    that have ground truth in the dataset's first version, and an evaluation of each against it.

    Version 0.9 is noisier and archived; 1.0 (trained on the first version) is in production.
    The first version holds two deliberate labelling mistakes (see versions_demo); version 1.0's
    predictions come from the scenes' exact shapes, so its evaluation lists them among the
    suspected label errors. Without a dataset version nothing is trained-on or evaluated.
    Returns the uids of the evaluations made.
    """
    versions = project.versions(dataset)
    first = versions[0] if versions else None
    gt = project.ground_truth(dataset).uid
    scenes: dict[str, tuple[int, list[SceneShape]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for item in project.items(dataset, at_seq=first.seq if first else None):
        stem = item.name.rsplit(".", 1)[0]
        if not stem.startswith("scene-") or not stem[6:].isdigit():
            continue
        if first is not None and not project.annotations(gt, item.uid, at_seq=first.seq):
            continue  # no ground truth to measure against: the model is not run there
        seed = int(stem[6:])
        _image, shapes = generate_scene(seed, item.width, item.height)
        scenes[item.name], sizes[item.name] = (seed, shapes), (item.width, item.height)
    project.add_model(DEMO_MODEL, task="detection",
                      description="A box detector for circles, squares and triangles (demo: its boxes are made "
                                  "from the scenes' exact shapes with jitter, misses and false positives)")
    card = {"intended_uses": "Trying LabelHub's evaluation viewer on generated scenes",
            "out_of_scope_uses": "Anything real: it has only ever seen generated shapes"}
    trained = (dataset, first.number) if first else None
    project.add_model_version(DEMO_MODEL, "0.9", framework="demo", trained_on=trained, code_revision="demo-0.9",
                              params={"epochs": 10, "learning_rate": 0.01, "image_size": 640}, tags=["demo"],
                              description="A first try, trained briefly", limitations="Misses one shape in five",
                              **card)
    project.add_model_version(DEMO_MODEL, DEMO_VERSION, framework="demo", trained_on=trained,
                              code_revision="demo-1.0", tags=["demo", "boxes"],
                              params={"epochs": 30, "learning_rate": 0.001, "image_size": 640},
                              description="Trained longer with a lower learning rate",
                              limitations="Misses about one shape in twelve and mistakes the class of one in sixteen",
                              **card)
    runs = (("0.9", {"miss": 0.2, "confuse": 0.12, "false_positives": 1.2}, 500), (DEMO_VERSION, {}, 0))
    for version, noise, offset in runs:
        predictions = {name: scene_predictions(shapes, seed + offset, *sizes[name], **noise)
                       for name, (seed, shapes) in scenes.items()}
        project.add_predictions(dataset, f"{DEMO_MODEL}@{version}", predictions)
    project.set_model_stage(DEMO_MODEL, "0.9", "archived", "missed too many shapes; replaced by 1.0")
    project.set_model_stage(DEMO_MODEL, DEMO_VERSION, "production", "best demo detector so far")
    made: list[str] = []
    if first is not None:
        for version, _noise, _offset in runs:
            outcome = project.evaluate(dataset, first.number, f"{DEMO_MODEL}@{version}")
            made.append(outcome.info.uid)
    return {"evaluations": made, "scenes": sorted(scenes)}
