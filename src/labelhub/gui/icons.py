"""Icons from resources/icons, drawn in the colours of the current theme.

The line icons are single-colour SVGs (stroke #7a8594); ``icon()`` repaints them in the palette's
text colour, and in the highlighted-text colour for selected items, so they stay legible in light
and dark mode. Where an icon file is missing, a standard style icon stands in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyle

_ICON_STROKE = "#7a8594"
_SIZES = (16, 20, 24, 32, 48, 64, 96)
_FALLBACKS = {
    "new": QStyle.StandardPixmap.SP_FileIcon,
    "open": QStyle.StandardPixmap.SP_DirOpenIcon,
    "import": QStyle.StandardPixmap.SP_DialogOpenButton,
    "demo": QStyle.StandardPixmap.SP_MediaPlay,
    "about": QStyle.StandardPixmap.SP_MessageBoxInformation,
    "members": QStyle.StandardPixmap.SP_DirHomeIcon,
    "assets": QStyle.StandardPixmap.SP_DirIcon,
    "annotate": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "review": QStyle.StandardPixmap.SP_DialogApplyButton,
    "versions": QStyle.StandardPixmap.SP_FileDialogListView,
    "models": QStyle.StandardPixmap.SP_ComputerIcon,
    "labelhub": QStyle.StandardPixmap.SP_DesktopIcon,
}


def icon_file(name: str) -> Path | None:
    """The SVG file for icon ``name``, or None if the resources are not installed."""
    try:
        from labelhub.resources import resource_path
    except ImportError:
        return None
    try:
        path = Path(resource_path("icons", f"{name}.svg"))
    except (FileNotFoundError, ValueError, OSError):
        return None
    return path if path.is_file() else None


@cache
def _svg_text(name: str) -> str | None:
    path = icon_file(name)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _render(svg: str, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixels = max(1, round(size * ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _fallback(name: str) -> QIcon:
    standard = _FALLBACKS.get(name, QStyle.StandardPixmap.SP_FileIcon)
    style = QApplication.style()
    return style.standardIcon(standard) if style is not None else QIcon()


def icon(name: str, *, tinted: bool = True) -> QIcon:
    """Icon ``name`` (a file stem in resources/icons) in the current palette's colours."""
    svg = _svg_text(name)
    if svg is None:
        return _fallback(name)
    app = QApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QApplication) else 1.0
    result = QIcon()
    if not tinted or _ICON_STROKE not in svg:
        for size in _SIZES:
            result.addPixmap(_render(svg, size, ratio))
        return result
    palette = QApplication.palette()
    normal = svg.replace(_ICON_STROKE, palette.color(QPalette.ColorRole.WindowText).name())
    selected = svg.replace(_ICON_STROKE,
                           palette.color(QPalette.ColorRole.HighlightedText).name())
    disabled = svg.replace(
        _ICON_STROKE,
        palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name(),
    )
    for size in _SIZES:
        result.addPixmap(_render(normal, size, ratio), QIcon.Mode.Normal)
        result.addPixmap(_render(normal, size, ratio), QIcon.Mode.Active)
        result.addPixmap(_render(selected, size, ratio), QIcon.Mode.Selected)
        result.addPixmap(_render(disabled, size, ratio), QIcon.Mode.Disabled)
    return result


def muted_pixmap(name: str, size: int) -> QPixmap:
    """A large, quiet rendering of icon ``name`` for empty states."""
    svg = _svg_text(name)
    if svg is None:
        return _fallback(name).pixmap(QSize(size, size))
    app = QApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QApplication) else 1.0
    colour = QApplication.palette().color(QPalette.ColorRole.PlaceholderText).name()
    return _render(svg.replace(_ICON_STROKE, colour), size, ratio)


def app_icon() -> QIcon:
    return icon("labelhub", tinted=False)
