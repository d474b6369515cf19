"""The mask shape: a binary pixel mask stored as COCO run-length encoding.

See :mod:`labelhub.geometry.rle` for the encodings and the polygon rasterisation rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from labelhub.errors import InvalidInput
from labelhub.geometry._common import as_int, as_ints, check_image_size, fmt
from labelhub.geometry.rle import (
    canonical_counts,
    counts_to_string,
    decode_counts,
    encode_array,
    encode_window,
    rasterize_polygons,
    string_to_counts,
)
from labelhub.geometry.shapes import Box, Polygon, RotatedBox

PolygonLike = Polygon | Box | RotatedBox | Sequence[tuple[float, float]] | np.ndarray


def _polygon_points(polygon: PolygonLike) -> Any:
    if isinstance(polygon, Box | RotatedBox):
        return polygon.corners()
    if isinstance(polygon, Polygon):
        return polygon.points
    return polygon


@dataclass(frozen=True, slots=True, repr=False)
class Mask:
    """A ``height`` x ``width`` binary mask as COCO uncompressed RLE ``counts``.

    ``counts`` are run lengths in column-major (Fortran) order, starting with a run of zeros;
    the constructor stores them in canonical form (empty inner runs merged), so two masks are
    equal exactly when their sizes and pixels are. Pixel (row r, column c) covers
    [c, c + 1) x [r, r + 1) in image coordinates.
    """

    kind: ClassVar[str] = "mask"
    height: int
    width: int
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "height", as_int(self.height, "mask height"))
        object.__setattr__(self, "width", as_int(self.width, "mask width"))
        object.__setattr__(self, "counts", canonical_counts(as_ints(self.counts, "mask counts")))

    def __repr__(self) -> str:
        # The counts of a real mask run to thousands of numbers: summarise them.
        return (
            f"Mask(height={self.height}, width={self.width}, area={self.area():g}, "
            f"runs={len(self.counts)})"
        )

    @classmethod
    def _trusted(cls, height: int, width: int, counts: tuple[int, ...]) -> Mask:
        """A mask from canonical counts computed here: skips the checks of ``__init__``."""
        mask = object.__new__(cls)
        object.__setattr__(mask, "height", height)
        object.__setattr__(mask, "width", width)
        object.__setattr__(mask, "counts", counts)
        return mask

    # construction -----------------------------------------------------------------------

    @classmethod
    def from_array(cls, array: np.ndarray) -> Mask:
        """From a 2-D array of shape (height, width); non-zero values are set pixels."""
        arr = np.asarray(array)
        if arr.ndim != 2:
            raise InvalidInput(f"a mask must be a 2-D array, got shape {arr.shape}")
        return cls._trusted(int(arr.shape[0]), int(arr.shape[1]), encode_array(arr))

    @classmethod
    def empty(cls, height: int, width: int) -> Mask:
        """A mask with no pixel set."""
        return cls(height, width, (height * width,))

    @classmethod
    def from_coco_string(cls, height: int, width: int, text: str | bytes) -> Mask:
        """From COCO's compressed counts string; InvalidInput when it is malformed or does not
        describe exactly ``height * width`` pixels."""
        height, width = as_int(height, "mask height"), as_int(width, "mask width")
        counts = string_to_counts(text)
        if min(counts, default=0) < 0:
            raise InvalidInput("compressed mask string decodes to a negative run length")
        total = sum(counts)
        if total != height * width:
            raise InvalidInput(
                f"compressed mask string describes {total} pixels, but a {height} x {width} "
                f"mask has {height * width}"
            )
        return cls._trusted(height, width, canonical_counts(counts))

    @classmethod
    def from_coco_rle(cls, rle: Mapping[str, Any]) -> Mask:
        """From a COCO RLE object ``{"size": [height, width], "counts": str | list}``."""
        if not isinstance(rle, Mapping) or "size" not in rle or "counts" not in rle:
            raise InvalidInput('a COCO RLE must be an object with "size" and "counts"')
        size = rle["size"]
        if isinstance(size, str | bytes) or not isinstance(size, Sequence) or len(size) != 2:
            raise InvalidInput(f'COCO RLE "size" must be [height, width], got {size!r}')
        h, w = as_int(size[0], "mask height"), as_int(size[1], "mask width")
        counts = rle["counts"]
        if isinstance(counts, str | bytes):
            return cls.from_coco_string(h, w, counts)
        return cls(h, w, as_ints(counts, "mask counts"))

    @classmethod
    def from_polygon(cls, polygon: PolygonLike, height: int, width: int) -> Mask:
        """Rasterise a polygon (a Polygon, Box, RotatedBox or list of (x, y)): a pixel is set
        when its centre is inside (even-odd rule, top-left rule on the boundary)."""
        return cls.from_polygons([polygon], height, width)

    @classmethod
    def from_polygons(cls, polygons: Iterable[PolygonLike], height: int, width: int) -> Mask:
        """The union of several rasterised polygons (a COCO multi-part segmentation)."""
        h, w = as_int(height, "mask height"), as_int(width, "mask width")
        counts = rasterize_polygons((_polygon_points(p) for p in polygons), h, w)
        return cls._trusted(h, w, counts)

    # conversion -------------------------------------------------------------------------

    def to_array(self) -> np.ndarray:
        """The (height, width) bool array; InvalidInput when the counts are inconsistent."""
        return decode_counts(self.height, self.width, self.counts)

    def to_coco_string(self) -> str:
        """COCO's compressed counts string."""
        return counts_to_string(self.counts)

    def to_coco_rle(self) -> dict[str, Any]:
        """``{"size": [height, width], "counts": <compressed string>}`` as COCO writes it."""
        return {"size": [self.height, self.width], "counts": self.to_coco_string()}

    # geometry ---------------------------------------------------------------------------

    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """[start, end) flat indices of the runs of set pixels."""
        edges = np.cumsum(np.asarray(self.counts, dtype=np.int64))
        n = len(self.counts) // 2
        return edges[0 : 2 * n : 2], edges[1 : 2 * n : 2]

    def area(self) -> float:
        """The number of set pixels."""
        return float(sum(self.counts[1::2]))

    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around the set pixels, in image coordinates (a pixel at column c
        spans [c, c + 1)); (0, 0, 0, 0) for a mask with no pixel set, as pycocotools does."""
        starts, ends = self._runs()
        if starts.size == 0 or self.height <= 0:
            return (0.0, 0.0, 0.0, 0.0)
        h = self.height
        last = ends - 1
        col_a, col_b = starts // h, last // h
        row_a, row_b = starts % h, last % h
        # A run that wraps into the next column touches every row in between.
        wraps = col_b > col_a
        y0 = 0 if wraps.any() else int(row_a.min())
        y1 = h if wraps.any() else int(row_b.max()) + 1
        return (float(col_a.min()), float(y0), float(col_b.max() + 1), float(y1))

    def box(self) -> Box:
        """The axis-aligned box around the set pixels (pycocotools' ``toBbox``)."""
        x0, y0, x1, y1 = self.bounds()
        return Box(x0, y0, x1 - x0, y1 - y0)

    def translated(self, dx: float, dy: float) -> Mask:
        """The mask with its pixels moved by (dx, dy) rounded to whole pixels; the size stays
        the same and pixels moved off the canvas are lost."""
        if not (np.isfinite(dx) and np.isfinite(dy)):
            raise InvalidInput(f"cannot move a mask by ({fmt(dx)}, {fmt(dy)})")
        sx, sy = round(dx), round(dy)
        if sx == 0 and sy == 0:
            return self
        arr = self.to_array()
        h, w = self.height, self.width
        src = arr[max(0, -sy) : max(0, min(h, h - sy)), max(0, -sx) : max(0, min(w, w - sx))]
        if src.size == 0:
            return Mask.empty(h, w)
        return Mask._trusted(h, w, encode_window(src, max(0, sy), max(0, sx), h, w))

    def validate(
        self, image_width: float | None = None, image_height: float | None = None
    ) -> list[str]:
        """Human-readable problems; empty when the mask is usable."""
        problems = check_image_size(image_width, image_height)
        size_ok = True
        for name, v in (("height", self.height), ("width", self.width)):
            if v <= 0:
                problems.append(f"mask {name} must be positive (got {v})")
                size_ok = False
        negative = [c for c in self.counts if c < 0]
        if negative:
            problems.append(f"mask counts must not be negative (got {negative[0]})")
        elif size_ok:
            total = sum(self.counts)
            if total != self.height * self.width:
                problems.append(
                    f"mask counts add up to {total} pixels, but a {self.height} x {self.width} "
                    f"mask has {self.height * self.width}"
                )
            elif self.area() == 0:
                problems.append("mask has no pixel set")
        if image_width is not None and self.width != image_width:
            problems.append(
                f"mask width {self.width} does not match the image width {fmt(image_width)}"
            )
        if image_height is not None and self.height != image_height:
            problems.append(
                f"mask height {self.height} does not match the image height {fmt(image_height)}"
            )
        return problems

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "mask", "height", "width", "counts": <COCO compressed string>}``."""
        return {
            "kind": self.kind,
            "height": self.height,
            "width": self.width,
            "counts": self.to_coco_string(),
        }
