"""Decoding: orientation, reduced-resolution decode, thumbnails, Qt-ready pixel buffers."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from PIL import Image, ImageOps

from labelhub.errors import InvalidInput
from labelhub.media import (
    BadImage,
    make_thumbnail,
    open_oriented,
    probe_image,
    to_display_mode,
    to_rgb32_array,
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def marked(width: int = 40, height: int = 20) -> Image.Image:
    """Blue image with a red block at the top-left and a green block at the bottom-right."""
    data = np.zeros((height, width, 3), np.uint8)
    data[...] = BLUE
    data[: height // 4, : width // 4] = RED
    data[-height // 4 :, -width // 4 :] = GREEN
    return Image.fromarray(data)


def colour_at(img: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    r, g, b = img.convert("RGB").getpixel((x, y))[:3]
    return (255 if r > 160 else 0, 255 if g > 160 else 0, 255 if b > 160 else 0)


def test_orientation_6_rotates_clockwise(samples):
    path = samples.save(marked(40, 20), "o6.jpg", exif=samples.exif(orientation=6), quality=95)
    img = open_oriented(path)
    assert img.size == (20, 40)
    # Orientation 6: the stored top-left is shown at the top-right.
    assert colour_at(img, 18, 1) == RED
    assert colour_at(img, 1, 38) == GREEN
    assert colour_at(img, 1, 1) == BLUE
    assert (img.width, img.height) == (probe_image(path).width, probe_image(path).height)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("name", ["o.png", "o.tif", "o.webp"])
def test_every_orientation_matches_pillow_and_the_probe(samples, name, orientation):
    params = {"lossless": True} if name.endswith(".webp") else {}
    path = samples.save(marked(40, 20), name, exif=samples.exif(orientation=orientation), **params)
    with Image.open(path) as reference:
        expected = ImageOps.exif_transpose(reference)
    img = open_oriented(path)
    info = probe_image(path)
    assert img.size == expected.size == (info.width, info.height)
    assert np.array_equal(np.asarray(img.convert("RGB")), np.asarray(expected.convert("RGB")))


@pytest.mark.parametrize("name", ["o.jpg", "o.png", "o.tif"])
def test_reduced_decode_keeps_orientation(samples, name):
    path = samples.save(marked(400, 200), name, exif=samples.exif(orientation=6))
    img = open_oriented(path, max_side=100)
    assert img.size == (50, 100)
    assert colour_at(img, 45, 5) == RED
    assert colour_at(img, 5, 95) == GREEN


@pytest.mark.parametrize("name", ["big.jpg", "big.png", "big.bmp", "big.tif", "big.webp"])
def test_max_side_limits_the_longest_side(samples, name):
    path = samples.image(name, width=800, height=400)
    img = open_oriented(path, max_side=100)
    assert img.size == (100, 50)


def test_large_jpeg_reduced_decode(samples):
    path = samples.save(marked(4000, 3000), "large.jpg", quality=80)
    img = open_oriented(path, max_side=256)
    assert img.size == (256, 192)
    assert colour_at(img, 5, 5) == RED
    assert colour_at(img, 250, 188) == GREEN


def test_small_images_are_not_enlarged(samples):
    path = samples.image("small.png", width=80, height=40)
    assert open_oriented(path, max_side=1000).size == (80, 40)
    assert open_oriented(path).size == (80, 40)


def test_palette_image_shrinks_to_a_colour_mode(samples):
    path = samples.save(marked(200, 100).convert("P"), "palette.png")
    img = open_oriented(path, max_side=50)
    assert img.mode in ("RGB", "RGBA")
    assert img.size == (50, 25)
    assert colour_at(img, 2, 2) == RED


def test_max_side_must_be_positive(samples):
    with pytest.raises(InvalidInput):
        open_oriented(samples.image("a.png"), max_side=0)


def test_decode_refuses_non_images_and_bombs(samples):
    with pytest.raises(BadImage, match="text.jpg"):
        open_oriented(samples.write("text.jpg", b"hello, world" * 10))
    with pytest.raises(BadImage, match="100000x100000"):
        open_oriented(samples.write("bomb.png", samples.handmade_png(100_000, 100_000)))


def test_decode_of_damaged_data_is_a_bad_image(samples):
    # A header claiming 3000x3000 pixels with only a few bytes of pixel data.
    path = samples.write("damaged.png", samples.handmade_png(3000, 3000))
    with pytest.raises(BadImage, match="damaged.png"):
        open_oriented(path)


def test_decode_of_truncated_jpeg_is_a_bad_image(samples):
    good = samples.image("good.jpg", width=300, height=200)
    cut = samples.write("cut.jpg", good.read_bytes()[:-2000])
    with pytest.raises(BadImage, match="cut.jpg"):
        open_oriented(cut)


def decode_jpeg(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    img.load()
    return img


@pytest.mark.parametrize(
    ("width", "height", "size", "expected"),
    [
        (1000, 500, 256, (256, 128)),
        (300, 900, 64, (21, 64)),
        (500, 500, 128, (128, 128)),
        (10, 5, 256, (256, 128)),
        (3000, 2, 100, (100, 1)),
    ],
)
def test_thumbnail_size(samples, width, height, size, expected):
    path = samples.image("t.jpg", width=width, height=height)
    thumb = decode_jpeg(make_thumbnail(path, size=size))
    assert thumb.mode == "RGB"
    assert thumb.size == expected


def test_thumbnail_default_size_and_orientation(samples):
    path = samples.save(marked(1000, 500), "o.jpg", exif=samples.exif(orientation=6))
    thumb = decode_jpeg(make_thumbnail(path))
    assert thumb.size == (128, 256)
    assert colour_at(thumb, 120, 10) == RED


def test_thumbnail_of_transparent_png_is_on_white(samples):
    rgba = Image.new("RGBA", (100, 50), (255, 0, 0, 0))
    path = samples.save(rgba, "clear.png")
    thumb = decode_jpeg(make_thumbnail(path, size=32))
    assert thumb.size == (32, 16)
    assert min(thumb.getpixel((16, 8))) > 245


def test_thumbnail_of_16_bit_grey(samples):
    grey = Image.fromarray(np.full((40, 80), 40000, np.uint16))
    path = samples.save(grey, "deep.png")
    thumb = decode_jpeg(make_thumbnail(path, size=40))
    assert thumb.size == (40, 20)
    value = thumb.getpixel((20, 10))
    assert all(abs(v - 40000 // 257) <= 2 for v in value)


def test_thumbnail_size_must_be_positive(samples):
    with pytest.raises(InvalidInput):
        make_thumbnail(samples.image("a.png"), size=0)


def as_words(array: np.ndarray) -> np.ndarray:
    """The array as Qt reads it: one native-endian 32-bit 0xAARRGGBB word per pixel."""
    return array.view(np.uint32)[..., 0]


def test_rgb32_layout_of_an_rgb_image():
    img = Image.new("RGB", (3, 2), (255, 0, 0))
    img.putpixel((1, 0), (0, 128, 0))
    img.putpixel((2, 1), (1, 2, 3))
    array = to_rgb32_array(img)
    assert array.shape == (2, 3, 4)
    assert array.dtype == np.uint8
    assert array.flags["C_CONTIGUOUS"] and array.flags["WRITEABLE"]
    words = as_words(array)
    assert words[0, 0] == 0xFFFF0000
    assert words[0, 1] == 0xFF008000
    assert words[1, 2] == 0xFF010203
    if sys.byteorder == "little":
        assert list(array[0, 0]) == [0, 0, 255, 255]  # B, G, R, A
        assert list(array[1, 2]) == [3, 2, 1, 255]


def test_rgb32_layout_keeps_alpha():
    img = Image.new("RGBA", (2, 2), (10, 20, 30, 128))
    assert as_words(to_rgb32_array(img))[1, 1] == 0x800A141E


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 77, 0xFF4D4D4D),
        ("1", 1, 0xFFFFFFFF),
        ("I;16", 0x1234, 0xFF121212),
        ("CMYK", (0, 0, 0, 0), 0xFFFFFFFF),
        ("LA", (200, 255), 0xFFC8C8C8),
    ],
)
def test_rgb32_of_other_modes(mode, value, expected):
    img = Image.new(mode, (4, 3), value)
    assert as_words(to_rgb32_array(img))[2, 3] == expected


def test_rgb32_of_palette_with_transparency():
    img = Image.new("P", (2, 1), 0)
    img.putpalette([255, 0, 0, 0, 0, 255])
    img.putpixel((1, 0), 1)
    img.info["transparency"] = 0
    words = as_words(to_rgb32_array(img))
    assert words[0, 0] >> 24 == 0
    assert words[0, 1] == 0xFF0000FF


def test_display_mode_of_float_and_int_images():
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert list(np.asarray(to_display_mode(unit))[0]) == [0, 128, 255]
    wide = Image.fromarray(np.array([[-100, 0, 100]], np.int32))
    assert list(np.asarray(to_display_mode(wide))[0]) == [0, 128, 255]
    rgb = Image.new("RGB", (1, 1))
    assert to_display_mode(rgb) is rgb
