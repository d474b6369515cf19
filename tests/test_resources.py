"""Shipped resources are found, valid, and credited."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from labelhub.resources import resource_path


def test_every_sample_photo_is_credited_and_opens() -> None:
    sources = json.loads(resource_path("samples", "sources.json").read_text())
    credited = {entry["file"] for entry in sources}
    licences = resource_path("samples", "LICENSES.md").read_text()
    photos = sorted(p.name for p in resource_path("samples", "photos").glob("*.jpg"))
    assert photos and set(photos) == {c.split("/")[-1] for c in credited}
    for name in photos:
        assert name in licences
        with Image.open(resource_path("samples", "photos", name)) as im:
            im.load()
    for entry in sources:
        assert entry["licence"] and entry["author"] and entry["source"]


def test_icons_are_valid_svg(qapp) -> None:  # noqa: ANN001
    from PySide6.QtSvg import QSvgRenderer

    icons = sorted(resource_path("icons").glob("*.svg"))
    assert len(icons) >= 12
    for icon in icons:
        assert QSvgRenderer(str(icon)).isValid(), icon.name


def test_paths_may_not_leave_the_resources_folder() -> None:
    with pytest.raises(ValueError):
        resource_path("..", "pyproject.toml")
    with pytest.raises(FileNotFoundError, match="nope.svg"):
        resource_path("icons", "nope.svg")
