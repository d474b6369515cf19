"""A real team project for the review tests: lead lena, reviewer rui, annotators ana, ben, cid,
and a dataset "street" of six real images (Pillow) with a small label schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelhub.project import NewAnnotation, Project

ITEMS = ("a.png", "b.png", "c.png", "d.png", "e.png", "f.png")


def make_images(folder: Path, names: tuple[str, ...] = ITEMS, size: tuple[int, int] = (120, 90)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for name in names:
        pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name)
    return folder


@pytest.fixture
def team(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    with Project.create(folder, lead="lena") as p:
        p.add_member("rui", "reviewer")
        for name in ("ana", "ben", "cid"):
            p.add_member(name, "annotator")
        p.create_dataset("street")
        p.import_images("street", [make_images(tmp_path / "images")])
        p.add_label_class("street", "car", kinds=["box", "polygon"])
        p.add_label_class("street", "person", kinds=["box", "keypoints"], keypoints=["head", "foot"])
        p.add_label_class("street", "day", kinds=["tag"])
        p.add_label_class("street", "night", kinds=["tag"])
    return folder


@pytest.fixture
def member(team: Path) -> Callable[[str], object]:
    """member(name): a context manager opening the team project as that member."""

    @contextmanager
    def opened(name: str) -> Iterator[Project]:
        with Project.open(team, user=name, backup=False) as p:
            yield p

    return opened


def uid_of(p: Project, name: str, dataset: str = "street") -> str:
    return next(i.uid for i in p.items(dataset) if i.name == name)


def draw(p: Project, item: str, labels: list[tuple[str, object]], dataset: str = "street") -> list[str]:
    """As the acting annotator, add ``labels`` (class, shape) to ``item`` (name) in their set."""
    ls = p.my_label_set(dataset)
    return p.add_annotations(ls.uid, uid_of(p, item, dataset), [NewAnnotation(c, s) for c, s in labels])
