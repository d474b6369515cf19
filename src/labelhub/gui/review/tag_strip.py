"""Image tags of one item under review: a compact strip above the canvas.

One group per annotator, in the annotator's colour: a swatch, the name, and each image tag they
gave as a chip in the tag class's colour; then the result being settled. Tags that not every
annotator gave are drawn with a dashed outline and say who gave them; the strip's heading says
whether the annotators agree. Tags have no place on the image, so they are not canvas shapes.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QLayoutItem, QWidget

RESULT_KEY = "result"
NO_TAGS = "no tags"


class FlowLayout(QLayout):
    """Widgets left to right, wrapping onto the next line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 10, line_spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing, self._line_spacing = spacing, line_spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        """Place the items in ``rect`` (when ``move``); the height they take."""
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y, line = rect.x(), y + line + self._line_spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y()


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    c = QColor(color)
    luminance = 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()
    return "#000000" if luminance > 150 else "#ffffff"


class TagStrip(QWidget):
    """The image tags each annotator gave the item, and the result's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self)
        self.heading = QLabel(self)
        self.heading.setObjectName("TagHeading")
        self.flow.addWidget(self.heading)
        self.groups: dict[str, QWidget] = {}
        self.chips: dict[str, list[QLabel]] = {}
        self.disputed: set[str] = set()
        self.hide()

    def show_tags(self, raters: list[str], colors: dict[str, str], tags: dict[str, list[str]],
                  result: list[str], result_color: str, class_colors: dict[str, str]) -> None:
        """Show ``tags[rater]`` (tag class names) for every rater, then ``result``; hidden when
        nobody tagged the item."""
        for group in self.groups.values():
            self.flow.removeWidget(group)
            group.hide()  # at once: the deletion waits for the event loop
            group.deleteLater()
        self.groups, self.chips = {}, {}
        given = {r: sorted(set(tags.get(r, ()))) for r in raters}
        everyone = set.intersection(*(set(v) for v in given.values())) if given else set()
        anyone = set().union(*given.values()) if given else set()
        self.disputed = anyone - everyone
        for rater in raters:
            who = {t: [r for r in raters if t in given[r]] for t in given[rater]}
            self._add_group(rater, rater, colors.get(rater, "#888888"), given[rater], class_colors, raters, who)
        self._add_group(RESULT_KEY, "Result", result_color, sorted(set(result)), class_colors, raters, None)
        if self.disputed:
            self.heading.setText("Image tags <span style='color:#d70015'>⚠ differ</span>")
            self.heading.setToolTip("Not every annotator gave: " + ", ".join(sorted(self.disputed)))
        else:
            self.heading.setText("Image tags <span style='color:#248a3d'>✓ agree</span>")
            self.heading.setToolTip("Every annotator gave the same tags")
        self.setVisible(bool(anyone) or bool(result))

    def _add_group(self, key: str, title: str, color: str, names: list[str], class_colors: dict[str, str],
                   raters: list[str], who: dict[str, list[str]] | None) -> None:
        group = QWidget(self)
        row = QHBoxLayout(group)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        name = QLabel(f"<span style='color:{color}'>■</span> <b>{escape(title)}</b>", group)
        row.addWidget(name)
        chips = []
        for tag in names:
            chip = QLabel(tag, group)
            chip.setTextFormat(Qt.TextFormat.PlainText)
            chip.setObjectName("TagChip")
            fill = class_colors.get(tag, "#8e8e93")
            border = "2px dashed #d70015" if tag in self.disputed else f"2px solid {fill}"
            chip.setStyleSheet(f"QLabel#TagChip {{ background: {fill}; color: {_text_on(fill)}; border: {border};"
                               " border-radius: 8px; padding: 0px 6px; }")
            if who is not None and tag in self.disputed:
                missing = [r for r in raters if r not in who[tag]]
                chip.setToolTip(f"{tag}: given by {', '.join(who[tag])}; not by {', '.join(missing)}")
            row.addWidget(chip)
            chips.append(chip)
        if not names:
            none = QLabel(NO_TAGS, group)
            none.setObjectName("Muted")
            row.addWidget(none)
        self.flow.addWidget(group)
        group.show()  # at once: a widget added to a shown one would wait for the event loop
        self.groups[key], self.chips[key] = group, chips

    def set_rater_visible(self, rater: str, visible: bool) -> None:
        """Follow the rater's layer switch."""
        if rater in self.groups:
            self.groups[rater].setVisible(visible)
            self.flow.invalidate()

    def shown(self) -> dict[str, tuple[str, ...]]:
        """What the strip shows: the tag chips' texts per rater (and ``"result"``)."""
        return {key: tuple(chip.text() for chip in chips) for key, chips in self.chips.items()}

    def clear(self) -> None:
        self.show_tags([], {}, {}, [], "#000000", {})
        self.hide()
