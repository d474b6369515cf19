"""Things shown over or beside the canvas on demand: the shortcuts overlay (F1), the display
controls (brightness, contrast, gamma: for the eyes only) and a class's guidelines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.annotate.shortcuts import COMMANDS, GESTURE_KEYS, ShortcutSettings, display_keys


class HelpOverlay(QWidget):
    """Every shortcut, grouped, drawn over the workspace. Any key or click closes it."""

    closed = Signal()

    def __init__(self, shortcuts: ShortcutSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self.shortcuts = shortcuts
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()

    def lines(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for c in COMMANDS:
            groups.setdefault(c.group, []).append((display_keys(self.shortcuts.keys(c.key)), c.title))
        groups["While drawing and editing (fixed)"] = list(GESTURE_KEYS)
        return list(groups.items())

    def open(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_overlay(self) -> None:
        self.hide()
        self.closed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        self.close_overlay()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.close_overlay()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(15, 18, 22, 228))
        title = QFont(self.font())
        title.setPointSizeF(title.pointSizeF() * 1.5)
        title.setBold(True)
        head = QFont(self.font())
        head.setBold(True)
        body = QFont(self.font())
        p.setPen(QColor("white"))
        p.setFont(title)
        p.drawText(QRectF(32, 18, self.width() - 64, 36), Qt.AlignmentFlag.AlignLeft,
                   "Keyboard shortcuts  ·  any key closes  ·  rebind them with the Shortcuts button")
        groups = self.lines()
        columns = 3 if self.width() > 1100 else 2
        col_w = (self.width() - 64) / columns
        line_h = max(18.0, body.pointSizeF() * 2.0)
        x, y, col = 32.0, 70.0, 0
        for name, rows in groups:
            needed = line_h * (len(rows) + 1.6)
            if y + needed > self.height() - 10 and y > 70 and col < columns - 1:
                col, x, y = col + 1, 32.0 + (col + 1) * col_w, 70.0
            p.setFont(head)
            p.setPen(QColor("#8fc1ff"))
            p.drawText(QRectF(x, y, col_w - 16, line_h), Qt.AlignmentFlag.AlignLeft, name)
            y += line_h * 1.2
            p.setFont(body)
            metrics = QFontMetricsF(body)
            for keys, text in rows:
                p.setPen(QColor("#ffd479"))
                p.drawText(QRectF(x, y, col_w * 0.38, line_h), Qt.AlignmentFlag.AlignLeft, keys)
                p.setPen(QColor("white"))
                box = metrics.boundingRect(QRectF(0, 0, col_w * 0.58, 1000),
                                           int(Qt.TextFlag.TextWordWrap), text)
                p.drawText(QRectF(x + col_w * 0.4, y, col_w * 0.58, box.height() + 2),
                           Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, text)
                y += max(line_h, box.height() + 3)
            y += line_h * 0.4
        p.end()


class DisplayDialog(QDialog):
    """Brightness, contrast and gamma of the image on screen (the file is not changed)."""

    changed = Signal(float, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Display")
        form = QFormLayout(self)
        self.brightness = self._slider(-100, 100, 0)
        self.contrast = self._slider(0, 300, 100)
        self.gamma = self._slider(10, 500, 100)
        form.addRow("Brightness", self.brightness)
        form.addRow("Contrast", self.contrast)
        form.addRow("Gamma", self.gamma)
        reset = QPushButton("Reset", self)
        reset.clicked.connect(self.reset)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        form.addRow(buttons)

    def _slider(self, lo: int, hi: int, value: int) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal, self)
        s.setRange(lo, hi)
        s.setValue(value)
        s.setMinimumWidth(220)
        s.valueChanged.connect(self._emit)
        return s

    def values(self) -> tuple[float, float, float]:
        return (self.brightness.value() / 100.0, self.contrast.value() / 100.0,
                self.gamma.value() / 100.0)

    def _emit(self, _v: int = 0) -> None:
        self.changed.emit(*self.values())

    def reset(self) -> None:
        for s, v in ((self.brightness, 0), (self.contrast, 100), (self.gamma, 100)):
            s.blockSignals(True)
            s.setValue(v)
            s.blockSignals(False)
        self._emit()


class GuidelinesBrowser(QTextBrowser):
    """Markdown guidelines whose ``media:<sha256>`` images come from the project."""

    MAX_WIDTH = 560

    def __init__(self, resolve: Callable[[str], Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resolve = resolve
        self.setOpenExternalLinks(True)

    def loadResource(self, kind: int, url: QUrl | str) -> object:  # noqa: N802
        url = QUrl(url)
        if kind == QTextDocument.ResourceType.ImageResource.value and url.scheme() == "media":
            try:
                image = QImage(str(self.resolve(url.path())))
            except Exception:  # a missing example image shows as a gap, not an error
                return QImage()
            if image.width() > self.MAX_WIDTH:
                image = image.scaledToWidth(self.MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
            return image
        return super().loadResource(kind, url)


class GuidelinesDialog(QDialog):
    def __init__(self, title: str, text: str, resolve: Callable[[str], Path],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Guidelines: {title}")
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        self.browser = GuidelinesBrowser(resolve, self)
        self.browser.setMarkdown(text or "_No guidelines written for this class yet._")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
