"""The demo's review step: ana and ben label the same generated scenes, with the disagreements
real annotators have (boxes a few pixels off, a shape missed, a class confused), and submit
them, so the Review workspace opens on work to settle. A few more scenes wait in their queues.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

from labelhub.geometry import Box
from labelhub.media.scenes import SCENE_CLASSES, SceneShape, generate_scene
from labelhub.project.labels import NewAnnotation

if TYPE_CHECKING:
    from labelhub.project import Project

DEMO_ANNOTATORS = ("ana", "ben")
REVIEWED = 8  # scenes both annotators submit
WAITING = 4  # scenes after those, assigned and still to do


def _box(shape: SceneShape, rng: random.Random, jitter: float, width: int, height: int) -> Box:
    x, y, w, h = shape.box
    x0 = min(max(x + rng.gauss(0, jitter), 0.0), width - 2.0)
    y0 = min(max(y + rng.gauss(0, jitter), 0.0), height - 2.0)
    x1 = min(max(x + w + rng.gauss(0, jitter), x0 + 2.0), float(width))
    y1 = min(max(y + h + rng.gauss(0, jitter), y0 + 2.0), float(height))
    return Box.from_corners(round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))


def annotator_labels(seed: int, annotator: int) -> list[NewAnnotation]:
    """What demo annotator ``annotator`` (0 ana, 1 ben) draws on scene ``seed``: every shape's
    box, jittered; on some scenes one shape is missed or given the wrong class (seeded)."""
    image, shapes = generate_scene(seed)
    width, height = image.size
    rng = random.Random(7919 * seed + 104_729 * annotator)
    fault = random.Random(seed).randrange(len(shapes))  # the shape the scene's mistake is about
    kind = (seed + annotator) % 4  # 0 a miss, 1 a class flip, 2 and 3 clean (jitter only)
    out = []
    for i, s in enumerate(shapes):
        label = s.class_name
        if i == fault and kind == 0 and annotator == seed % 2:
            continue
        if i == fault and kind == 1:
            label = SCENE_CLASSES[(SCENE_CLASSES.index(label) + 1) % len(SCENE_CLASSES)]
        out.append(NewAnnotation(label, _box(s, rng, 1.5 + 2.5 * annotator, width, height)))
    return out


def add_review_demo(lead: Project, folder: Path, dataset: str = "shapes") -> None:
    """Assign the first scenes of ``dataset`` to ana and ben, have them label and submit."""
    known = {c.name for c in lead.label_classes(dataset)}
    for name in SCENE_CLASSES:
        if name not in known:
            lead.add_label_class(dataset, name, kinds=["box", "polygon"])
    items = sorted(lead.items(dataset), key=lambda i: i.name)[:REVIEWED + WAITING]
    lead.set_review_policy(dataset, overlap=2, review_required=True)
    lead.assign(dataset, list(DEMO_ANNOTATORS), overlap=2, items=[i.uid for i in items])
    for k, name in enumerate(DEMO_ANNOTATORS):
        with type(lead).open(folder, user=name, backup=False) as p:
            own = p.my_label_set(dataset).uid
            for item in items[:REVIEWED]:
                seed = int(item.name.split("-")[1].split(".")[0])
                p.add_annotations(own, item.uid, annotator_labels(seed, k))
                p.submit_item(dataset, item.uid)
            if k == 0:
                p.add_comment(dataset, items[0].uid, "The shape at the edge is cut off: I boxed what shows.")
