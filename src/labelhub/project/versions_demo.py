"""The demo's versions step: the generator's exact ground truth on the shapes scenes the review
demo leaves alone, committed as v1 with two honest mistakes, then corrected and committed as v2,
so the Versions workspace has two versions with a diff to look at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labelhub.geometry import Box, Polygon, Shape
from labelhub.media.scenes import SCENE_CLASSES, SceneShape, generate_scene
from labelhub.project.labels import NewAnnotation

if TYPE_CHECKING:
    from labelhub.project import Project

FIRST_SCENE = 12  # scenes before this one are the review demo's


def scene_shape(shape: SceneShape) -> Shape:
    """A generated shape as an annotation shape: squares as boxes, the rest as polygons."""
    if shape.kind == "box":
        (x0, y0), (x1, y1) = shape.points
        return Box.from_corners(x0, y0, x1, y1)
    return Polygon(tuple(shape.points))


def add_versions_demo(lead: Project, dataset: str = "shapes") -> None:
    """Ground truth on scenes FIRST_SCENE..., v1 "generated", a few corrections, v2 "reviewed"."""
    known = {c.name for c in lead.label_classes(dataset)}
    for name in SCENE_CLASSES:
        if name not in known:
            lead.add_label_class(dataset, name, kinds=["box", "polygon"])
    gt = lead.ground_truth(dataset).uid
    items = sorted(lead.items(dataset), key=lambda i: i.name)[FIRST_SCENE:]
    held_back: tuple[str, NewAnnotation] | None = None
    mislabelled: tuple[str, int] | None = None
    for n, item in enumerate(items):
        seed = int(item.name.split("-")[1].split(".")[0])
        _image, shapes = generate_scene(seed)
        new = [NewAnnotation(s.class_name, scene_shape(s)) for s in shapes]
        if n == 0 and len(new) > 1:  # v1 misses a shape on the first scene ...
            held_back = (item.uid, new.pop())
        if n == 1:  # ... and calls a shape of the second by the wrong class
            other = SCENE_CLASSES[(SCENE_CLASSES.index(new[0].label) + 1) % len(SCENE_CLASSES)]
            new[0] = NewAnnotation(other, new[0].shape)
            mislabelled = (item.uid, 0)
        lead.add_annotations(gt, item.uid, new)
    lead.commit_version(dataset, "Exact ground truth from the scene generator", tag="generated")

    if held_back is not None:
        lead.add_annotations(gt, held_back[0], [held_back[1]])
    if mislabelled is not None:
        item_uid, index = mislabelled
        ann = lead.annotations(gt, item_uid)[index]
        _image, shapes = generate_scene(int(next(i.name for i in items if i.uid == item_uid)[6:9]))
        lead.change_annotation(ann.uid, label=shapes[index].class_name)
    for item in items[2:]:  # a box drawn two pixels tighter
        boxes = [a for a in lead.annotations(gt, item.uid) if a.shape.kind == "box"]
        if boxes:
            b = boxes[0].shape
            lead.change_annotation(boxes[0].uid, shape=Box(b.x + 1, b.y + 1, b.w - 2, b.h - 2))  # type: ignore[attr-defined]
            break
    lead.commit_version(dataset, "Reviewed: a missed shape added, a class corrected, a box tightened",
                        tag="reviewed")
