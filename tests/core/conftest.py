"""Fixtures for the core: a real project on disk with the four usual members."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for core_helpers

from labelhub.project import Project  # noqa: E402


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    with Project.create(folder, lead="lena") as p:
        p.add_member("rui", "reviewer")
        p.add_member("ana", "annotator")
        p.add_member("ben", "annotator")
        p.create_dataset("photos", "test photos")
    return folder


@pytest.fixture
def lead(project_dir: Path) -> Iterator[Project]:
    with Project.open(project_dir, user="lena", backup=False) as p:
        yield p

