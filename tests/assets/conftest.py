"""Fixtures for the Assets tests: real projects on disk with real images built to show what each
test looks at (splits, metadata, duplicates, dark, blurry, tiny, broken files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from labelhub.project import Project

SIZE = (96, 72)


def textured(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A sharp, distinct picture: blocky noise over a gradient, unlike any other seed's."""
    rng = np.random.default_rng(seed)
    w, h = size
    blocks = rng.integers(0, 256, size=(max(1, h // 8), max(1, w // 8), 3), dtype=np.uint8)
    big = np.kron(blocks, np.ones((8, 8, 1), np.uint8))
    canvas = np.zeros((h, w, 3), np.uint8)
    canvas[: big.shape[0], : big.shape[1]] = big[:h, :w]
    noise = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
    return Image.fromarray(np.clip(canvas.astype(int) + noise - 30, 0, 255).astype(np.uint8))


def save(img: Image.Image, path: Path, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **options)
    return path


@pytest.fixture
def make_images(tmp_path: Path) -> Callable[[str, int], Path]:
    """make_images(folder, n): n distinct sharp PNGs img00.png... in tmp_path/folder."""
    def make(folder: str, n: int, start: int = 0) -> Path:
        root = tmp_path / folder
        for i in range(n):
            save(textured(start + i), root / f"img{i:02d}.png")
        return root
    return make


@pytest.fixture
def lead_project(tmp_path: Path):  # noqa: ANN201
    """An empty project: lena (lead), rui (reviewer), ana and ben (annotators)."""
    with Project.create(tmp_path / "proj", lead="lena") as p:
        p.add_member("rui", "reviewer")
        p.add_member("ana", "annotator")
        p.add_member("ben", "annotator")
        yield p


@pytest.fixture
def twelve(lead_project, make_images):  # noqa: ANN001, ANN201
    """Dataset "ds" of 12 images img00..img11."""
    lead_project.create_dataset("ds", "twelve textured images")
    lead_project.import_images("ds", [make_images("twelve", 12)])
    return lead_project


def uids_by_name(p: Project, dataset: str) -> dict[str, str]:
    cols = p.item_columns(dataset, p.item_ids(dataset))
    return dict(zip(cols.names, cols.uids, strict=True))


@pytest.fixture
def dirty_folder(tmp_path: Path) -> Path:
    """Images that each trigger one cleaning finding, and six clean ones.

    clean0..clean5 sharp textures; near.jpg: clean0 resized and re-saved as JPEG (a near
    duplicate of clean0.png); dark.png, bright.png; blurry.png (a texture blurred hard);
    tiny.png (20x14); wide.png (400x36); broken.png is imported and then cut short on disk.
    """
    root = tmp_path / "dirty"
    for i in range(6):
        save(textured(100 + i, (128, 96)), root / f"clean{i}.png")
    base = Image.open(root / "clean0.png").convert("RGB")
    save(base.resize((112, 84), Image.Resampling.LANCZOS), root / "near.jpg", quality=85)
    save(Image.new("RGB", (96, 72), (6, 5, 8)), root / "dark.png")
    save(Image.new("RGB", (96, 72), (250, 251, 249)), root / "bright.png")
    save(textured(42, (128, 96)).filter(ImageFilter.GaussianBlur(6)), root / "blurry.png")
    save(textured(7, (20, 14)), root / "tiny.png")
    save(textured(8, (400, 36)), root / "wide.png")
    save(textured(9, (96, 72)), root / "broken.png")
    return root


# ------------------------------------------------------------------------------ the window
@pytest.fixture
def window(qtbot, qapp, tmp_path: Path, dispose_window):  # noqa: ANN001, ANN201
    """The main window with settings kept under tmp_path."""
    from PySide6.QtCore import QSettings

    from labelhub.gui.app import prepare_application
    from labelhub.gui.main_window import MainWindow
    from labelhub.gui.settings import AppSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    prepare_application(qapp)
    settings = AppSettings(QSettings(str(tmp_path / "labelhub.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings, demo_folder=tmp_path / "demo")
    win.resize(1280, 820)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose_window(win)


def open_assets(qtbot, window, project: Project, user: str = "lena", dataset: str = "ds"):  # noqa: ANN001, ANN201
    """Sign in to ``project`` as ``user``, browse ``dataset``; returns the browser."""
    assert window.open_project(project.folder, user=user)
    window.set_workspace("assets")
    window.assets.show_dataset(dataset)
    browser = window.assets.browser
    qtbot.waitUntil(lambda: browser.dataset == dataset and browser.settled, timeout=10000)
    return browser


def wait_loaded(qtbot, browser) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: browser.settled, timeout=10000)


def wait_task(qtbot, owner) -> None:  # noqa: ANN001
    """Wait for the background job ``owner.last_task`` / ``owner.task`` to finish."""
    task = getattr(owner, "last_task", None) or getattr(owner, "task", None)
    assert task is not None
    qtbot.waitUntil(lambda: not task.running, timeout=20000)
