"""probe_image on real files: formats, sizes, EXIF, and every kind of refusal."""

from __future__ import annotations

import dataclasses
import hashlib
import struct

import numpy as np
import pytest
from PIL import Image

from labelhub.errors import InvalidInput
from labelhub.media import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    BadImage,
    ImageInfo,
    configure_pillow,
    probe_image,
    sha256_file,
    sniff_format,
)

FORMATS = [
    ("a.jpg", "jpeg", ".jpg"),
    ("a.png", "png", ".png"),
    ("a.bmp", "bmp", ".bmp"),
    ("a.tif", "tiff", ".tif"),
    ("a.webp", "webp", ".webp"),
]


@pytest.mark.parametrize(("name", "fmt", "ext"), FORMATS)
def test_each_format_probes_right(samples, name, fmt, ext):
    path = samples.image(name, width=123, height=45)
    info = probe_image(path)
    data = path.read_bytes()
    assert info == ImageInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        ext=ext,
        width=123,
        height=45,
        orientation=1,
        bytes=len(data),
        exif_time=None,
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("lossless.webp", {"lossless": True}),
        ("grey.png", {}),
        ("lzw.tif", {"compression": "tiff_lzw"}),
        ("progressive.jpg", {"progressive": True}),
    ],
)
def test_format_variants(samples, name, params):
    img = samples.noise(64, 20, mode="L" if name.startswith("grey") else "RGB")
    info = probe_image(samples.save(img, name, **params))
    assert (info.width, info.height) == (64, 20)


def test_uppercase_and_alternative_extensions_give_canonical_ext(samples):
    jpeg = samples.image("photo.JPEG")
    tiff = samples.image("scan.TIFF")
    assert probe_image(jpeg).ext == ".jpg"
    assert probe_image(tiff).ext == ".tif"


def test_format_comes_from_the_bytes_not_the_extension(samples):
    jpeg = samples.image("real.jpg", width=30, height=10)
    disguised = samples.write("disguised.png", jpeg.read_bytes())
    info = probe_image(disguised)
    assert (info.format, info.ext) == ("jpeg", ".jpg")
    assert info.sha256 == probe_image(jpeg).sha256
    assert sniff_format(disguised) == "jpeg"


def test_hash_matches_sha256_of_a_file_larger_than_one_chunk(samples):
    blob = np.random.default_rng(3).integers(0, 256, 3 * 1024 * 1024 + 17, np.uint8).tobytes()
    path = samples.write("blob.bin", blob)
    assert sha256_file(path) == hashlib.sha256(blob).hexdigest()


@pytest.mark.parametrize("name", ["o.jpg", "o.png", "o.tif", "o.webp"])
def test_orientation_6_swaps_width_and_height(samples, name):
    path = samples.image(name, width=40, height=20, exif=samples.exif(orientation=6))
    info = probe_image(path)
    assert info.orientation == 6
    assert (info.width, info.height) == (20, 40)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation(samples, orientation):
    path = samples.image("o.jpg", width=40, height=20, exif=samples.exif(orientation=orientation))
    info = probe_image(path)
    assert info.orientation == orientation
    expected = (20, 40) if orientation >= 5 else (40, 20)
    assert (info.width, info.height) == expected


def test_invalid_orientation_counts_as_1(samples):
    path = samples.image("o.jpg", width=40, height=20, exif=samples.exif(orientation=9))
    info = probe_image(path)
    assert (info.orientation, info.width, info.height) == (1, 40, 20)


def test_exif_time_from_date_time_original(samples):
    exif = samples.exif(original="2021:07:14 09:30:05", datetime="2022:01:01 00:00:00")
    info = probe_image(samples.image("t.jpg", exif=exif))
    assert info.exif_time == "2021-07-14T09:30:05"


def test_exif_time_keeps_the_offset(samples):
    exif = samples.exif(original="2021:07:14 09:30:05", offset="+02:00")
    info = probe_image(samples.image("t.jpg", exif=exif))
    assert info.exif_time == "2021-07-14T09:30:05+02:00"


def test_exif_time_falls_back_to_date_time(samples):
    info = probe_image(samples.image("t.jpg", exif=samples.exif(datetime="2019:12:31 23:59:58")))
    assert info.exif_time == "2019-12-31T23:59:58"


def test_exif_time_in_a_tiff(samples):
    exif = samples.exif(original="2020:02:29 12:00:00")
    assert probe_image(samples.image("t.tif", exif=exif)).exif_time == "2020-02-29T12:00:00"


def test_blank_or_invalid_exif_time_is_none(samples):
    exif = samples.exif(original="0000:00:00 00:00:00", datetime="    ")
    assert probe_image(samples.image("t.jpg", exif=exif)).exif_time is None
    assert probe_image(samples.image("n.jpg")).exif_time is None


def test_bad_image_is_invalid_input_naming_the_file(samples):
    path = samples.write("garbage.jpg", bytes(range(256)) * 10)
    with pytest.raises(BadImage) as caught:
        probe_image(path)
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert str(path) in str(error)
    assert error.path == path
    assert error.reason and error.reason in str(error)


def test_random_bytes_with_jpg_extension_refused(samples):
    rng = np.random.default_rng(7)
    data = b"\x12\x34" + rng.integers(0, 256, 5000, np.uint8).tobytes()
    path = samples.write("random.jpg", data)
    with pytest.raises(BadImage, match="random.jpg") as caught:
        probe_image(path)
    assert "not an image" in caught.value.reason


def test_empty_file_refused(samples):
    with pytest.raises(BadImage, match="empty"):
        probe_image(samples.write("empty.png", b""))


def test_gif_refused_by_name(samples):
    path = samples.path("anim.gif")
    samples.noise(10, 10).save(path, "GIF")
    with pytest.raises(BadImage, match="GIF"):
        probe_image(path)


def test_missing_file_refused(samples):
    with pytest.raises(BadImage, match="nothere.jpg"):
        probe_image(samples.path("nothere.jpg"))


@pytest.mark.parametrize("cut", [1, 2, 100, 5000])
def test_truncated_jpeg_refused(samples, cut):
    good = samples.image("good.jpg", width=200, height=100)
    cut_path = samples.write("cut.jpg", good.read_bytes()[:-cut])
    with pytest.raises(BadImage, match="cut.jpg") as caught:
        probe_image(cut_path)
    assert "truncated" in caught.value.reason


def test_jpeg_with_padding_after_eoi_accepted(samples):
    good = samples.image("good.jpg", width=50, height=40)
    padded = samples.write("padded.jpg", good.read_bytes() + b"\x00" * 300 + b" \r\n")
    assert probe_image(padded).width == 50


def test_jpeg_with_trailing_data_refused(samples):
    good = samples.image("good.jpg", width=50, height=40)
    junk = samples.write("junk.jpg", good.read_bytes() + b"extra bytes")
    with pytest.raises(BadImage, match="junk.jpg"):
        probe_image(junk)


def test_phone_motion_photo_with_mp4_after_eoi_accepted(samples):
    good = samples.image("good.jpg", width=50, height=40)
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" * 50
    motion = samples.write("PXL_motion.jpg", good.read_bytes() + mp4)
    info = probe_image(motion)
    assert (info.width, info.height, info.format) == (50, 40, "jpeg")


def test_samsung_trailer_after_eoi_accepted(samples):
    good = samples.image("good.jpg", width=50, height=40)
    trailer = b"SEFH" + b"\x01" * 64 + b"\x00\x00\x00\x40SEFT"
    phone = samples.write("samsung.jpg", good.read_bytes() + trailer)
    assert probe_image(phone).width == 50


def test_truncated_jpeg_is_not_mistaken_for_a_motion_photo(samples):
    good = samples.image("good.jpg", width=50, height=40)
    cut = samples.write("cut-ftyp.jpg", good.read_bytes()[:-40] + b"....ftyp")
    with pytest.raises(BadImage, match="cut-ftyp.jpg"):
        probe_image(cut)


@pytest.mark.parametrize("cut", [1, 12, 500])
def test_truncated_png_refused(samples, cut):
    good = samples.image("good.png", width=100, height=80)
    cut_path = samples.write("cut.png", good.read_bytes()[:-cut])
    with pytest.raises(BadImage, match="cut.png") as caught:
        probe_image(cut_path)
    assert "truncated" in caught.value.reason


@pytest.mark.parametrize("cut", [1, 300])
def test_truncated_webp_refused(samples, cut):
    good = samples.image("good.webp", width=100, height=80)
    cut_path = samples.write("cut.webp", good.read_bytes()[:-cut])
    with pytest.raises(BadImage, match="cut.webp") as caught:
        probe_image(cut_path)
    assert "truncated" in caught.value.reason


def test_webp_longer_than_its_riff_size_refused(samples):
    good = samples.image("good.webp")
    longer = samples.write("longer.webp", good.read_bytes() + b"\x00\x00")
    with pytest.raises(BadImage, match="longer.webp"):
        probe_image(longer)


def test_truncated_bmp_refused(samples):
    good = samples.image("good.bmp", width=100, height=80)
    cut_path = samples.write("cut.bmp", good.read_bytes()[:-10])
    with pytest.raises(BadImage, match="cut.bmp") as caught:
        probe_image(cut_path)
    assert "truncated" in caught.value.reason


def test_truncated_bmp_without_declared_size_refused_by_pixel_data(samples):
    data = bytearray(samples.image("good.bmp", width=100, height=80).read_bytes())
    data[2:6] = struct.pack("<I", 0)  # some writers leave the file size blank
    assert probe_image(samples.write("blank.bmp", bytes(data))).width == 100
    with pytest.raises(BadImage, match="pixel data"):
        probe_image(samples.write("cut.bmp", bytes(data[:-10])))


def test_truncated_tiff_refused(samples):
    good = samples.image("good.tif", width=100, height=80)
    cut_path = samples.write("cut.tif", good.read_bytes()[:-10])
    with pytest.raises(BadImage, match="cut.tif") as caught:
        probe_image(cut_path)
    assert "truncated" in caught.value.reason


def test_png_bomb_refused_with_its_dimensions(samples):
    path = samples.write("bomb.png", samples.handmade_png(100_000, 100_000))
    with pytest.raises(BadImage, match="bomb.png") as caught:
        probe_image(path)
    message = str(caught.value)
    assert "100000x100000" in message
    assert f"{DEFAULT_MAX_PIXELS:,}" in message


def test_small_pixel_limit_refuses_a_real_image(samples):
    path = samples.image("a.jpg", width=200, height=100)
    with pytest.raises(BadImage) as caught:
        probe_image(path, max_pixels=10_000)
    assert "200x100" in str(caught.value)
    assert "10,000" in str(caught.value)
    assert probe_image(path, max_pixels=20_000).width == 200


@pytest.mark.parametrize("name", ["a.jpg", "a.png", "a.bmp", "a.tif", "a.webp"])
def test_side_limit(samples, name):
    path = samples.image(name, width=300, height=20)
    with pytest.raises(BadImage, match="300x20"):
        probe_image(path, max_side=299)
    with pytest.raises(BadImage, match="300x20"):
        probe_image(path, max_pixels=5999)


def test_huge_header_is_read_without_decoding(samples):
    # 30000 x 30000 RGB would need 2.7 GB decoded; the pixel data here is a few bytes.
    path = samples.write("huge.png", samples.handmade_png(30_000, 30_000))
    info = probe_image(path)
    assert (info.width, info.height) == (30_000, 30_000)


def test_zero_size_png_refused(samples):
    path = samples.write("zero.png", samples.handmade_png(0, 10))
    with pytest.raises(BadImage, match="zero.png") as caught:
        probe_image(path)
    assert "zero width or height" in caught.value.reason


def test_png_with_bad_crc_refused(samples):
    data = bytearray(samples.handmade_png(10, 10))
    data[29] ^= 0xFF  # inside the IHDR CRC
    with pytest.raises(BadImage, match="crc.png"):
        probe_image(samples.write("crc.png", bytes(data)))


def test_pillow_limit_configured_to_ours():
    configure_pillow()
    assert Image.MAX_IMAGE_PIXELS == DEFAULT_MAX_PIXELS
    assert DEFAULT_MAX_PIXELS >= 20_000 * 20_000
    assert DEFAULT_MAX_SIDE >= 20_000


def test_image_info_is_frozen(samples):
    info = probe_image(samples.image("a.png"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.width = 1  # type: ignore[misc]
