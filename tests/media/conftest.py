"""Real image files written with Pillow, numpy and zlib for the media tests.

Helpers are reached through the `samples` fixture (not imported), so the tests work whatever
pytest import mode the project uses.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAVE_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}


class Samples:
    """Writes sample files under one temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def noise(width: int, height: int, seed: int = 0, mode: str = "RGB") -> Image.Image:
        """A deterministic noisy image (so encoders cannot make it tiny)."""
        rng = np.random.default_rng(seed)
        data = rng.integers(0, 256, (height, width, len(mode)), dtype=np.uint8)
        return Image.fromarray(data if len(mode) > 1 else data[..., 0], mode)

    def save(self, img: Image.Image, name: str, **params: object) -> Path:
        """Save in the format named by the extension (.jpg .png .bmp .tif .webp)."""
        path = self.path(name)
        img.save(path, SAVE_FORMAT[path.suffix.lower()], **params)
        return path

    def image(
        self, name: str, width: int = 40, height: int = 30, seed: int = 0, **params: object
    ) -> Path:
        return self.save(self.noise(width, height, seed), name, **params)

    def write(self, name: str, data: bytes) -> Path:
        path = self.path(name)
        path.write_bytes(data)
        return path

    @staticmethod
    def exif(
        orientation: int | None = None,
        original: str | None = None,
        datetime: str | None = None,
        offset: str | None = None,
    ) -> bytes:
        """An EXIF block with the given orientation and times."""
        exif = Image.Exif()
        if orientation is not None:
            exif[0x0112] = orientation
        if datetime is not None:
            exif[0x0132] = datetime
        if original is not None or offset is not None:
            sub = exif.get_ifd(0x8769)
            if original is not None:
                sub[0x9003] = original
            if offset is not None:
                sub[0x9011] = offset
        return exif.tobytes()

    @staticmethod
    def png_chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    def handmade_png(self, width: int, height: int) -> bytes:
        """A structurally valid RGB PNG whose IHDR claims any size; its pixel data is tiny."""
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + self.png_chunk(b"IHDR", ihdr)
            + self.png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + self.png_chunk(b"IEND", b"")
        )


@pytest.fixture
def samples(tmp_path: Path) -> Samples:
    return Samples(tmp_path)
