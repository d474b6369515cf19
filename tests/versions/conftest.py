"""Fixtures for versions and exchange: a real project with images, classes and ground truth."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from versions_helpers import item_uid, make_images, set_split  # noqa: E402

from labelhub.geometry import Box, Keypoints, Polygon, Tag  # noqa: E402
from labelhub.project import NewAnnotation, Project  # noqa: E402


@pytest.fixture(scope="session")
def scenes_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project (lead lena, reviewer rui, annotator ana) with dataset "scenes": four images,
    classes car (box, polygon; attribute occluded), person (keypoints nose/eye), sky (tag), and
    ground truth on three of the images; a.png and b.png in train, c.jpg in val."""
    root = tmp_path_factory.mktemp("scenes")
    folder = root / "proj"
    images = make_images(root / "images")
    with Project.create(folder, lead="lena") as p:
        p.add_member("rui", "reviewer")
        p.add_member("ana", "annotator")
        p.create_dataset("scenes")
        p.import_images("scenes", [images])
        p.add_label_class("scenes", "car", kinds=["box", "polygon"],
                          attributes=[{"name": "occluded", "type": "boolean"}])
        p.add_label_class("scenes", "person", kinds=["keypoints", "box"],
                          keypoints=["nose", "eye"], skeleton=[[0, 1]])
        p.add_label_class("scenes", "sky", kinds=["tag"])
        gt = p.ground_truth("scenes").uid
        p.add_annotations(gt, item_uid(p, "scenes", "a.png"), [
            NewAnnotation("car", Box(10, 10, 30, 20), {"occluded": False}),
            NewAnnotation("car", Polygon(((50, 10), (90, 12), (70, 40))), {"occluded": True}),
            NewAnnotation("sky", Tag()),
        ])
        p.add_annotations(gt, item_uid(p, "scenes", "b.png"), [
            NewAnnotation("person", Keypoints(((20.5, 30.25), (25, 28)), (2, 1))),
            NewAnnotation("person", Box(5.5, 6.25, 40, 50)),
        ])
        p.add_annotations(gt, item_uid(p, "scenes", "c.jpg"), [
            NewAnnotation("car", Box(0, 0, 90, 60), {"occluded": False}),
        ])
        set_split(p, "scenes", ["a.png", "b.png"], "train")
        set_split(p, "scenes", ["c.jpg"], "val")
    return folder


@pytest.fixture
def scenes(scenes_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the scenes project (see scenes_template) in tmp_path / "proj"."""
    folder = tmp_path / "proj"
    shutil.copytree(scenes_template, folder)
    return folder


@pytest.fixture
def lead(scenes: Path) -> Iterable[Project]:
    with Project.open(scenes, user="lena", backup=False) as p:
        yield p
