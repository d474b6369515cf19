"""The image files of a project: finding and probing them, the content-addressed store,
safe decoding and thumbnails. Pure Python, Pillow and numpy: no Qt, no database."""

from labelhub.media.decode import make_thumbnail, open_oriented, to_display_mode, to_rgb32_array
from labelhub.media.probe import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    IMAGE_EXTENSIONS,
    BadImage,
    ImageInfo,
    configure_pillow,
    iter_image_files,
    probe_image,
    sha256_file,
    sniff_format,
)
from labelhub.media.store import MediaStore

configure_pillow()

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "IMAGE_EXTENSIONS",
    "BadImage",
    "ImageInfo",
    "MediaStore",
    "configure_pillow",
    "iter_image_files",
    "make_thumbnail",
    "open_oriented",
    "probe_image",
    "sha256_file",
    "sniff_format",
    "to_display_mode",
    "to_rgb32_array",
]
