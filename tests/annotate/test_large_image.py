"""A generated image wider than Qt's 32767-pixel limit opens from a tile pyramid, and shapes
drawn at its far end are saved in full-resolution coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from tests.annotate.conftest import drag, key, make_schema, open_workspace, saved

from labelhub.geometry import Box
from labelhub.gui.canvas.imagesource import TiledImage
from labelhub.project import Project

WIDTH, HEIGHT = 36000, 600


def test_a_very_wide_image_opens_tiled_and_takes_shapes(qtbot, tmp_path: Path, settings) -> None:
    ramp = np.linspace(0, 255, WIDTH // 100, dtype=np.uint8)
    strip = np.repeat(np.repeat(ramp[None, :, None], HEIGHT, 0), 3, 2)
    image = Image.fromarray(np.ascontiguousarray(strip)).resize((WIDTH, HEIGHT), Image.Resampling.NEAREST)
    folder = tmp_path / "wide"
    folder.mkdir()
    image.save(folder / "wide.jpg", quality=70)
    with Project.create(tmp_path / "proj", lead="lena") as p:
        p.add_member("ana", "annotator")
        p.create_dataset("street")
        p.import_images("street", [folder])
        make_schema(p, "street")
    ws = open_workspace(qtbot, tmp_path / "proj", "ana", settings)
    assert ws.canvas.image_size() == (WIDTH, HEIGHT)
    assert isinstance(ws.canvas.image_source, TiledImage)
    ws.canvas.flush()
    ws.canvas.zoom_to(1.0)
    ws.canvas.center_on(WIDTH - 200, 300)
    key(qtbot, ws, "w")
    drag(ws, (WIDTH - 300, 200), (WIDTH - 100, 400))
    [a] = saved(ws)
    assert a.shape == Box(WIDTH - 300, 200, 200, 200)
    ws.canvas.flush()
    assert not ws.canvas.grab().isNull()
    ws.canvas.clear_image()
    ws.project.close()
