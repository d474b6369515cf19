"""Images wider than Qt's 32767-pixel comfort zone: a tile pyramid built on first open, tiles
streaming in, and the cache reused on the next open."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF

from labelhub.errors import Cancelled
from labelhub.gui.canvas import CanvasWidget, pyramid
from labelhub.gui.canvas.imagesource import MemoryImage, TiledImage

WIDE_W, WIDE_H = 33_000, 1_000


def expected(x: int, y: int) -> tuple[int, int, int]:
    """The colour painted at pixel (x, y) of the generated image."""
    return ((x // 1000) * 7 % 256, (y // 100) * 20 % 256, 128)


@pytest.fixture(scope="module")
def wide_jpeg(tmp_path_factory) -> Path:
    xs = np.arange(WIDE_W)
    ys = np.arange(WIDE_H)
    rgb = np.empty((WIDE_H, WIDE_W, 3), np.uint8)
    rgb[..., 0] = ((xs // 1000) * 7 % 256)[None, :]
    rgb[..., 1] = ((ys // 100) * 20 % 256)[:, None]
    rgb[..., 2] = 128
    path = tmp_path_factory.mktemp("large") / "wide.jpg"
    Image.fromarray(rgb).save(path, quality=92)
    return path


def shown(canvas: CanvasWidget, x: float, y: float) -> tuple[int, int, int]:
    canvas.flush()
    color = canvas.grab().toImage().pixelColor(canvas.image_to_widget(x, y).toPoint())
    return color.red(), color.green(), color.blue()


def close_to(got: tuple[int, int, int], want: tuple[int, int, int], tolerance: int = 14) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


def make_canvas(qtbot, cache: Path | None) -> CanvasWidget:
    widget = CanvasWidget(cache_dir=cache)
    widget.resize(900, 500)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_pyramid_plan() -> None:
    info = pyramid.plan(20_000, 20_000)
    assert info.levels == 7 and info.level_size(6) == (313, 313)
    assert info.tile_counts(0) == (40, 40)
    assert pyramid.plan(300, 200).levels == 1


def test_wide_jpeg_opens_from_a_pyramid_and_streams_tiles(qtbot, tmp_path, wide_jpeg) -> None:
    canvas = make_canvas(qtbot, tmp_path / "cache")
    canvas.open_image(wide_jpeg, sha256="wide-test")
    source = canvas.image_source
    assert isinstance(source, TiledImage) and not source.reused
    assert canvas.image_size() == (WIDE_W, WIDE_H)
    # The reduced-resolution preview is there at once, before the pyramid is built.
    assert close_to(shown(canvas, 30_500, 550), expected(30_500, 550), 24)
    source.wait()
    assert source.built() and source.error is None
    folder = tmp_path / "cache" / "pyramids" / "wide-test"
    info = pyramid.load_info(folder)
    assert info is not None and info.width == WIDE_W and info.levels == 8
    assert (folder / "0" / "64_1.jpg").exists()
    # Zoom to one image pixel per screen pixel far to the right: level-0 tiles come in.
    canvas.zoom_to(1.0)
    canvas.center_on(30_480, 540)
    assert close_to(shown(canvas, 30_480, 540), expected(30_480, 540))
    assert close_to(shown(canvas, 30_100, 310), expected(30_100, 310))
    assert any(key[0] == 0 and key[1] == 59 for key in source.cached_tiles())
    canvas.zoom_to(4.0, QPointF(450, 250))
    x, y = canvas.widget_to_image(QPointF(450, 250))
    assert close_to(shown(canvas, x, y), expected(int(x), int(y)))


def test_second_open_reuses_the_pyramid(qtbot, tmp_path, wide_jpeg) -> None:
    cache = tmp_path / "cache"
    first = make_canvas(qtbot, cache)
    first.open_image(wide_jpeg)
    first.image_source.wait()
    folder = next((cache / "pyramids").iterdir())
    stamp = (folder / "meta.json").stat().st_mtime_ns
    second = make_canvas(qtbot, cache)
    second.open_image(wide_jpeg)
    source = second.image_source
    assert isinstance(source, TiledImage) and source.reused and source.built()
    second.fit()
    assert close_to(shown(second, 16_500, 500), expected(16_500, 500), 20)
    assert (folder / "meta.json").stat().st_mtime_ns == stamp
    assert [p.name for p in (cache / "pyramids").iterdir()] == [folder.name]  # no leftovers


def test_without_a_cache_folder_the_image_is_held_in_memory(qtbot, wide_jpeg) -> None:
    canvas = make_canvas(qtbot, None)
    canvas.open_image(wide_jpeg)
    assert isinstance(canvas.image_source, MemoryImage)
    canvas.zoom_to(1.0)
    canvas.center_on(32_900, 900)
    assert close_to(shown(canvas, 32_900, 900), expected(32_900, 900))
    canvas.image_source.wait()  # the full decode ends inside the test, not during teardown


def test_huge_jpegs_are_decoded_in_bands(tmp_path, wide_jpeg, monkeypatch) -> None:
    monkeypatch.setattr(pyramid, "BAND_BYTES", 40 * 1024 * 1024)  # three bands for this one
    folder, info = pyramid.build_pyramid(wide_jpeg, tmp_path, sha256="banded")
    reference, _ = pyramid.build_pyramid(wide_jpeg, tmp_path / "whole", sha256="whole")
    for key in ((0, 0, 0), (0, 64, 1), (0, 30, 1), (3, 2, 0), (info.levels - 1, 0, 0)):
        a, b = pyramid.read_tile(folder, *key), pyramid.read_tile(reference, *key)
        assert a.shape == b.shape
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 2, key
    x, y = 30_700, 900
    tile = pyramid.read_tile(folder, 0, x // 512, y // 512)
    assert close_to(tuple(tile[y % 512, x % 512, 2::-1].tolist()), expected(x, y))


def test_a_cancelled_build_leaves_nothing(tmp_path, wide_jpeg) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        pyramid.build_pyramid(wide_jpeg, tmp_path, cancel=cancel)
    assert not any((tmp_path / "pyramids").iterdir())


def test_build_reports_progress_and_tiles_match_the_image(tmp_path) -> None:
    yy, xx = np.mgrid[0:1100, 0:1300]
    rgb = np.stack([xx * 255 // 1300, yy * 255 // 1100, (xx + yy) % 256], -1).astype(np.uint8)
    path = tmp_path / "smooth.png"
    Image.fromarray(rgb).save(path)
    seen: list[tuple[int, int]] = []
    folder, info = pyramid.build_pyramid(path, tmp_path, progress=lambda d, t, m: seen.append((d, t)))
    assert info.levels == 3 and seen[-1] == (info.tile_total(), info.tile_total())
    tile = pyramid.read_tile(folder, 0, 2, 2)
    assert tile.shape == (1100 - 1024, 1300 - 1024, 4)
    diff = np.abs(tile[..., 2::-1].astype(int) - rgb[1024:, 1024:].astype(int))
    assert diff.mean() < 4
    top = pyramid.read_tile(folder, 2, 0, 0)
    assert top.shape[:2] == (275, 325)
    assert abs(float(top[..., :3].mean()) - float(rgb.mean())) < 3
