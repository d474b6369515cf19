"""The demo's Annotate step: ana has drawn a few scenes with their exact ground truth (polygons
for circles and triangles, boxes for squares) and two photos (boxes, face keypoints, image
tags), the classes carry attributes and guidelines with an example image, so the demo opens on
an image whose labels a newcomer sees at once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from labelhub.geometry import Box, Keypoints, Polygon, Tag
from labelhub.media.scenes import generate_scene
from labelhub.project.labels import NewAnnotation

if TYPE_CHECKING:
    from labelhub.project import Project

#: The item the demo opens on in the Annotate workspace.
DEMO_ITEM = ("shapes", "scene-012.png")
#: Scenes after those the review demo uses, labelled by ana with their exact shapes.
EXACT_SCENES = range(12, 16)
ANNOTATOR = "ana"

GUIDELINES = {
    "circle": "Trace the outline with a **polygon**, one vertex every few pixels; a box will do "
              "when the circle is cut by the image edge.\n\nSet *filled* when the shape is solid.",
    "square": "A **box** on the square's edges, as tight as the pixels allow.",
    "triangle": "A **polygon** with exactly the three corners.",
}

FACE = ["left eye", "right eye", "nose"]


def demo_item(project: Project) -> tuple[str, str] | None:
    """(dataset, item uid) of the item the demo opens on, when the project has it."""
    dataset, name = DEMO_ITEM
    try:
        return next((dataset, i.uid) for i in project.items(dataset) if i.name == name)
    except (StopIteration, LookupError):
        return None
    except Exception:  # not the demo project: no such dataset
        return None


def _exact(seed: int) -> list[NewAnnotation]:
    _image, shapes = generate_scene(seed)
    out = []
    for s in shapes:
        if s.kind == "box":
            (x0, y0), (x1, y1) = s.points
            shape: Box | Polygon = Box.from_corners(x0, y0, x1, y1)
        else:
            shape = Polygon([(round(x, 2), round(y, 2)) for x, y in s.points])
        out.append(NewAnnotation(s.class_name, shape, {"filled": True}))
    return out


def add_annotate_demo(lead: Project, folder: Path) -> None:
    """Add the schema details and ana's labels described in the module docstring."""
    for name, text in GUIDELINES.items():
        lead.update_label_class("shapes", name, guidelines=text,
                                attributes=[{"name": "filled", "type": "boolean", "required": True}])
    image, shapes = generate_scene(EXACT_SCENES[0])
    circle = next((s for s in shapes if s.class_name == "circle"), shapes[0])
    x, y, w, h = circle.box
    with tempfile.TemporaryDirectory(prefix="labelhub-guide-") as tmp:
        crop = Path(tmp) / "a-circle.png"
        image.crop((max(int(x) - 8, 0), max(int(y) - 8, 0), int(x + w) + 8, int(y + h) + 8)).save(crop)
        lead.add_guideline_image("shapes", circle.class_name, crop, "A well traced outline")

    lead.add_label_class("photos", "person", kinds=["box", "polygon"], color="#f58231",
                         attributes=[{"name": "pose", "type": "choice",
                                      "choices": ["standing", "sitting", "lying"]}])
    lead.add_label_class("photos", "animal", kinds=["box", "polygon"], color="#3cb44b",
                         attributes=[{"name": "species", "type": "text", "required": True}])
    lead.add_label_class("photos", "face", kinds=["keypoints"], color="#42d4f4",
                         keypoints=FACE, skeleton=[[0, 2], [1, 2]],
                         guidelines="Click the eyes (left in the image first), then the nose. "
                                    "Shift+click marks a point that is hidden; N skips it.")
    lead.add_label_class("photos", "equipment", kinds=["box", "polygon", "rotated_box"], color="#4363d8")
    lead.add_label_class("photos", "indoor", kinds=["tag"], hotkey="i")
    lead.add_label_class("photos", "portrait", kinds=["tag"])

    with type(lead).open(folder, user=ANNOTATOR, backup=False) as p:
        own = p.my_label_set("shapes").uid
        items = {i.name: i.uid for i in p.items("shapes")}
        for seed in EXACT_SCENES:
            p.add_annotations(own, items[f"scene-{seed:03d}.png"], _exact(seed))
        photos = p.my_label_set("photos").uid
        by_name = {i.name: i.uid for i in p.items("photos")}
        if "astronaut.jpg" in by_name:
            p.add_annotations(photos, by_name["astronaut.jpg"], [
                NewAnnotation("person", Box(20, 15, 345, 497), {"pose": "sitting"}),
                NewAnnotation("face", Keypoints([(207, 117), (243, 115), (226, 135)])),
                NewAnnotation("equipment", Box(278, 343, 234, 169)),
                NewAnnotation("equipment", Box(355, 0, 110, 275)),
                NewAnnotation("indoor", Tag()), NewAnnotation("portrait", Tag()),
            ])
        if "cat.jpg" in by_name:
            p.add_annotations(photos, by_name["cat.jpg"], [
                NewAnnotation("animal", Box(0, 0, 400, 300), {"species": "cat"}),
                NewAnnotation("face", Keypoints([(172, 115), (318, 137), (262, 243)])),
                NewAnnotation("portrait", Tag()),
            ])
