"""Cheap structural checks on image files: format by magic bytes, header sizes, truncation.

Nothing here decodes pixels. Each check reads the first bytes of the file (the header) and, for
truncation, a few bytes at its end. Problems are reported by raising `Refused` with a short,
user-facing reason; `probe.py` turns it into a `BadImage` naming the file.
"""

from __future__ import annotations

import mmap
import struct
from contextlib import nullcontext
from typing import BinaryIO

# Canonical extension for each format we accept.
CANONICAL_EXT: dict[str, str] = {
    "jpeg": ".jpg",
    "png": ".png",
    "bmp": ".bmp",
    "tiff": ".tif",
    "webp": ".webp",
}

HEADER_BYTES = 64
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Bytes some writers leave after the end of the image: zeros and ASCII white space.
_PADDING = b"\x00 \t\r\n"
_TAIL_BLOCK = 64 * 1024

# Formats we recognise only to name them in the refusal.
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"%PDF", 0, "PDF"),
    (b"8BPS", 0, "Photoshop (PSD)"),
    (b"\x00\x00\x01\x00", 0, "ICO"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "JPEG 2000"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", 0, "JPEG XL"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypavif", 4, "AVIF"),
    (b"BPG\xfb", 0, "BPG"),
)


class Refused(Exception):
    """The file is not an image we accept; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def detect_format(header: bytes) -> str:
    """Return 'jpeg', 'png', 'bmp', 'tiff' or 'webp' from the first bytes of a file."""
    if header.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if header.startswith(_PNG_SIGNATURE):
        return "png"
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "webp"
    if header[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if header[:4] in (b"II+\x00", b"MM\x00+"):
        raise Refused("BigTIFF files are not supported")
    if header[:2] == b"BM" and len(header) >= 18:
        return "bmp"
    for magic, offset, name in _UNSUPPORTED_MAGIC:
        if header[offset : offset + len(magic)] == magic:
            raise Refused(f"{name} images are not supported (use JPEG, PNG, BMP, TIFF or WebP)")
    if not header:
        raise Refused("the file is empty")
    raise Refused("not an image in a supported format (JPEG, PNG, BMP, TIFF or WebP)")


def _read_at(f: BinaryIO, offset: int, count: int) -> bytes:
    f.seek(offset)
    return f.read(count)


def _last_meaningful_offset(f: BinaryIO, size: int) -> int:
    """Offset just past the last byte that is not padding (0 if the file is all padding)."""
    end = size
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        block = _read_at(f, start, end - start).rstrip(_PADDING)
        if block:
            return start + len(block)
        end = start
    return 0


def _truncated(detail: str) -> Refused:
    return Refused(f"the file is truncated ({detail})")


# -- per-format header parsing: each returns the stored (width, height), before orientation --


def _phone_trailer(f: BinaryIO, size: int, end: int) -> bool:
    """Whether a JPEG that does not end with EOI carries a phone camera's known trailer.

    Motion photos (Google's and others') append an MP4 right after the JPEG's EOI marker;
    Samsung appends a trailer that ends with "SEFT". Both are complete photos, not truncated.
    """
    if _read_at(f, end - 4, 4) == b"SEFT":
        return True
    f.seek(0)
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else nullcontext(b"") as data:
        at = data.find(b"ftyp")
        while at >= 6:
            if data[at - 6 : at - 4] == b"\xff\xd9":
                return True
            at = data.find(b"ftyp", at + 4)
    return False


def jpeg_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """Walk the JPEG marker segments up to the frame header; check the file ends with EOI."""
    end = _last_meaningful_offset(f, size)
    if end < 4 or (_read_at(f, end - 2, 2) != b"\xff\xd9" and not _phone_trailer(f, size, end)):
        raise Refused(
            "the file is truncated or has data appended (it does not end with the JPEG "
            "end-of-image marker FFD9)"
        )
    pos = 2
    while True:
        marker = _read_at(f, pos, 4)
        if len(marker) < 4:
            raise _truncated("the JPEG header ends before the frame header")
        if marker[0] != 0xFF:
            raise Refused("the JPEG header is damaged (bad marker)")
        code = marker[1]
        if code == 0xFF:  # fill byte
            pos += 1
            continue
        if code in (0x01,) or 0xD0 <= code <= 0xD7:  # stand-alone markers
            pos += 2
            continue
        if code in (0xD9, 0xDA):
            raise Refused("the JPEG has no frame header (SOF) before its image data")
        (length,) = struct.unpack(">H", marker[2:4])
        if length < 2:
            raise Refused("the JPEG header is damaged (bad segment length)")
        if 0xC0 <= code <= 0xCF and code not in (0xC4, 0xC8, 0xCC):
            sof = _read_at(f, pos + 4, 5)
            if len(sof) < 5:
                raise _truncated("the JPEG frame header is cut short")
            height, width = struct.unpack(">HH", sof[1:5])
            return width, height
        pos += 2 + length
        if pos >= size:
            raise _truncated("the JPEG header ends before the frame header")


def png_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """Read IHDR (which must come first); check the file ends with the IEND chunk."""
    head = _read_at(f, 8, 25)
    if len(head) < 25 or head[4:8] != b"IHDR" or struct.unpack(">I", head[:4])[0] != 13:
        raise Refused("the PNG header is damaged (IHDR chunk missing)")
    end = _last_meaningful_offset(f, size)
    if end < len(_PNG_IEND) + 33 or _read_at(f, end - 12, 12) != _PNG_IEND:
        raise _truncated("the PNG end chunk IEND is missing")
    width, height = struct.unpack(">II", head[8:16])
    return width, height


def webp_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """Check the RIFF size against the file size and read the canvas size of the first chunk."""
    head = _read_at(f, 0, 30)
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size + 8 > size:
        raise _truncated(f"the WebP header declares {riff_size + 8} bytes, the file has {size}")
    if riff_size + 8 < size:
        raise Refused(
            f"the WebP file has {size - riff_size - 8} unexpected bytes after its declared end"
        )
    if len(head) < 30:
        raise _truncated("the WebP header is cut short")
    chunk = head[12:16]
    data = head[20:30]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[4:7], "little")
        height = 1 + int.from_bytes(data[7:10], "little")
        return width, height
    if chunk == b"VP8L":
        if data[0] != 0x2F:
            raise Refused("the WebP lossless header is damaged")
        bits = int.from_bytes(data[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        if data[3:6] != b"\x9d\x01\x2a":
            raise Refused("the WebP lossy header is damaged")
        width, height = struct.unpack("<HH", data[6:10])
        return width & 0x3FFF, height & 0x3FFF
    raise Refused("the WebP file has no image chunk (VP8, VP8L or VP8X)")


def bmp_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """Read the BMP headers; check the declared file size and the pixel data fit in the file."""
    head = _read_at(f, 0, 54)
    if len(head) < 26:
        raise _truncated("the BMP header is cut short")
    declared, _, offset, dib_size = struct.unpack("<IIII", head[2:18])
    if dib_size == 12:
        width, height, _, bpp = struct.unpack("<HHHH", head[18:26])
        compression, image_size = 0, 0
    elif dib_size >= 40 or dib_size in (16, 64):
        if len(head) < 14 + min(dib_size, 40):
            raise _truncated("the BMP header is cut short")
        width, height, _, bpp = struct.unpack("<iiHH", head[18:30])
        compression, image_size = struct.unpack("<II", head[30:38]) if dib_size >= 40 else (0, 0)
    else:
        raise Refused(f"the BMP header is damaged (unknown header size {dib_size})")
    height = abs(height)  # negative height means rows stored top-down
    if declared and declared > size:
        raise _truncated(f"the BMP header declares {declared} bytes, the file has {size}")
    if offset:
        if offset >= size:
            raise _truncated("the BMP pixel data is missing")
        if compression in (0, 3, 6) and bpp in (1, 2, 4, 8, 16, 24, 32) and width > 0:
            needed = ((width * bpp + 31) // 32) * 4 * height
            if offset + needed > size:
                raise _truncated(
                    f"the BMP pixel data needs {needed} bytes, the file holds {size - offset}"
                )
        elif compression in (1, 2) and image_size and offset + image_size > size:
            raise _truncated(
                f"the BMP pixel data needs {image_size} bytes, the file holds {size - offset}"
            )
    return max(width, 0), height


def header_size(fmt: str, f: BinaryIO, size: int) -> tuple[int, int] | None:
    """Stored (width, height) read from the header, or None when Pillow must tell (TIFF)."""
    if fmt == "jpeg":
        return jpeg_size(f, size)
    if fmt == "png":
        return png_size(f, size)
    if fmt == "webp":
        return webp_size(f, size)
    if fmt == "bmp":
        return bmp_size(f, size)
    return None


def check_tiff_data(tags: dict[int, object], size: int) -> None:
    """Every strip or tile of the first image must lie inside the file."""
    for offsets_tag, counts_tag, what in ((273, 279, "strip"), (324, 325, "tile")):
        offsets = _as_ints(tags.get(offsets_tag))
        counts = _as_ints(tags.get(counts_tag))
        if not offsets:
            continue
        if len(counts) != len(offsets):
            raise Refused(f"the TIFF {what} table is damaged (byte counts missing)")
        for offset, count in zip(offsets, counts, strict=True):
            if offset + count > size:
                raise _truncated(
                    f"a TIFF {what} ends at byte {offset + count}, the file has {size}"
                )
        return
    raise Refused("the TIFF has no image data (no strips or tiles)")


def _as_ints(value: object) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, tuple | list):
        return [int(v) for v in value]
    return []
