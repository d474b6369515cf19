"""The mapping between image coordinates and widget coordinates, and display adjustments."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

MIN_SCALE = 1e-4
MAX_SCALE = 64.0


@dataclass
class View:
    """widget = image * scale + (ox, oy), in logical widget pixels."""

    scale: float = 1.0
    ox: float = 0.0
    oy: float = 0.0

    def to_widget(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale + self.ox, y * self.scale + self.oy

    def to_image(self, wx: float, wy: float) -> tuple[float, float]:
        return (wx - self.ox) / self.scale, (wy - self.oy) / self.scale

    def visible(self, width: float, height: float) -> tuple[float, float, float, float]:
        """The image rectangle (x0, y0, x1, y1) seen through a width x height widget."""
        x0, y0 = self.to_image(0.0, 0.0)
        x1, y1 = self.to_image(width, height)
        return x0, y0, x1, y1

    def zoom_at(self, factor: float, wx: float, wy: float, lo: float = MIN_SCALE,
                hi: float = MAX_SCALE) -> None:
        """Scale by ``factor`` keeping the image point under widget point (wx, wy) there."""
        new = min(max(self.scale * factor, lo), hi)
        x, y = self.to_image(wx, wy)
        self.scale = new
        self.ox, self.oy = wx - x * new, wy - y * new

    def set_scale_at(self, scale: float, wx: float, wy: float) -> None:
        self.zoom_at(scale / self.scale, wx, wy)

    def fit(self, image_w: float, image_h: float, width: float, height: float,
            margin: float = 8.0) -> None:
        """Show the whole image centred in a width x height widget."""
        if image_w <= 0 or image_h <= 0 or width <= 0 or height <= 0:
            return
        avail_w, avail_h = max(width - 2 * margin, 1.0), max(height - 2 * margin, 1.0)
        self.scale = min(avail_w / image_w, avail_h / image_h)
        self.ox = (width - image_w * self.scale) / 2
        self.oy = (height - image_h * self.scale) / 2

    def center_on(self, x: float, y: float, width: float, height: float) -> None:
        self.ox = width / 2 - x * self.scale
        self.oy = height / 2 - y * self.scale


@dataclass(frozen=True)
class DisplayAdjust:
    """Brightness (-1..1, added), contrast (0..3, a factor about mid grey) and gamma (0.1..5) for
    display only: the image file and the annotations do not change."""

    brightness: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0

    def identity(self) -> bool:
        return self.brightness == 0.0 and self.contrast == 1.0 and self.gamma == 1.0

    def lut(self) -> np.ndarray:
        """A (256, 1, 4) uint8 table for cv2.LUT over B, G, R, A (alpha left alone)."""
        v = np.arange(256, dtype=np.float64) / 255.0
        v = (v - 0.5) * self.contrast + 0.5 + self.brightness
        v = np.clip(v, 0.0, 1.0) ** (1.0 / max(self.gamma, 1e-3))
        table = np.rint(v * 255).astype(np.uint8)
        out = np.empty((256, 1, 4), dtype=np.uint8)
        out[:, 0, 0] = out[:, 0, 1] = out[:, 0, 2] = table
        out[:, 0, 3] = np.arange(256, dtype=np.uint8)
        return out

    def apply(self, buffer: np.ndarray) -> None:
        if not self.identity():
            cv2.LUT(buffer, self.lut(), dst=buffer)


def zoom_factor(angle_delta: float) -> float:
    """The zoom factor of a wheel turn (120 units a notch, 1.25x a notch)."""
    return math.pow(1.25, angle_delta / 120.0)
