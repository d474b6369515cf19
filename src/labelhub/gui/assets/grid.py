"""The thumbnail grid and the table of a dataset's items, sharing one model and one selection.

The grid is a QListView in IconMode with uniform item sizes and batched layout (mandatory at
this scale: without them Qt sizes every row). Each tile shows the thumbnail, the item's status
and label count as badges, its name and split.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from labelhub.gui.assets.item_model import TILE_ROLE
from labelhub.gui.assets.thumbnails import ThumbnailLoader
from labelhub.project.item_filter import STATUS_TITLES

TILE = QSize(168, 178)
THUMB_BOX = QSize(156, 117)
#: Badge colours per status (readable on light and dark tiles).
STATUS_COLOURS = {
    "unassigned": "#6b7280",
    "in_annotation": "#d97706",
    "ready_for_review": "#2f6fde",
    "accepted": "#16a34a",
}


class TileDelegate(QStyledItemDelegate):
    """Paints one item tile; thumbnails come from the loader (None while it works)."""

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._small: QFont | None = None
        self._small_base: QFont | None = None
        self._badges: dict[tuple[str, int, str, float], QPixmap] = {}

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        view = self.parent()
        return view.gridSize() if isinstance(view, QListView) else TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        palette = option.palette
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            fill = QColor(palette.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 8, 8)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(rect, 8, 8)
        box = QRect(rect.left() + (rect.width() - THUMB_BOX.width()) // 2, rect.top() + 6,
                    THUMB_BOX.width(), THUMB_BOX.height())
        tile = index.data(TILE_ROLE)
        if tile is None:  # its rows are on their way: a quiet placeholder for a frame
            painter.fillRect(box, palette.color(QPalette.ColorRole.AlternateBase))
            painter.restore()
            return
        name, status, labels, sha, path, split = tile
        pixmap = self.loader.pixmap(sha, path) if sha else None
        small = self._small_font(option.font)
        if pixmap is not None and not pixmap.isNull():
            x = box.left() + (box.width() - pixmap.width()) // 2
            y = box.top() + (box.height() - pixmap.height()) // 2
            painter.drawPixmap(x, y, pixmap)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(box, 4, 4)
            if sha and self.loader.failure(sha):
                painter.setFont(small)
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "cannot be read")
        used = 0
        if status:
            used = self._badge(painter, small, box.left() + 4, box.top() + 4, STATUS_TITLES.get(status, status),
                               QColor(STATUS_COLOURS.get(status, "#6b7280")), left=True)
        if labels is not None:
            text = f"{labels} label{'s' if labels != 1 else ''}"
            pill = self._pill(painter, small, text, QColor(20, 24, 30, 190))
            width, height = self._size(pill)
            # Beside the status when both fit across the thumbnail, else under it.
            y = box.top() + 4 if used + width + 12 <= box.width() else box.top() + 6 + height
            painter.drawPixmap(box.right() - 4 - width, y, pill)
        line = option.fontMetrics.height()
        name_rect = QRect(box.left(), box.bottom() + 6, box.width(), line)
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         option.fontMetrics.elidedText(name, Qt.TextElideMode.ElideMiddle, name_rect.width()))
        painter.setFont(small)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRect(name_rect.left(), name_rect.bottom() + 2, name_rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"split: {split}" if split else "no split")
        painter.restore()

    def _small_font(self, font: QFont) -> QFont:
        if self._small is None or self._small_base != font:
            self._small_base = QFont(font)
            self._small = QFont(font)
            self._small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        return self._small

    def warm(self, font: QFont, ratio: float) -> None:
        """Load the tiles' fonts and draw the status badges ahead of the first tile: the first
        paint of a grid otherwise spends a fifth of its time on them."""
        small = self._small_font(font)
        scratch = QPixmap(round(240 * ratio), round(40 * ratio))
        scratch.setDevicePixelRatio(ratio)
        scratch.fill(Qt.GlobalColor.transparent)
        painter = QPainter(scratch)
        for status, title in STATUS_TITLES.items():
            self._badge(painter, small, 0, 0, title, QColor(STATUS_COLOURS[status]), left=True)
        for text_font in (font, small):
            painter.setFont(text_font)
            painter.drawText(0, 30, "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 :._-")
        painter.end()

    def _pill(self, painter: QPainter, font: QFont, text: str, colour: QColor) -> QPixmap:
        """A pill with ``text``, drawn once into a pixmap and reused (a screen has dozens)."""
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        key = (text, colour.rgba(), font.key(), ratio)
        pill = self._badges.get(key)
        if pill is None:
            metrics = QFontMetrics(font)
            width, height = metrics.horizontalAdvance(text) + 12, metrics.height() + 4
            pill = QPixmap(round(width * ratio), round(height * ratio))
            pill.setDevicePixelRatio(ratio)
            pill.fill(Qt.GlobalColor.transparent)
            p = QPainter(pill)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(QRect(0, 0, width, height), height / 2, height / 2)
            p.setFont(font)
            p.setPen(QColor("#ffffff"))
            p.drawText(QRect(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, text)
            p.end()
            if len(self._badges) > 500:
                self._badges.clear()
            self._badges[key] = pill
        return pill

    @staticmethod
    def _size(pill: QPixmap) -> tuple[int, int]:
        return round(pill.width() / pill.devicePixelRatio()), round(pill.height() / pill.devicePixelRatio())

    def _badge(self, painter: QPainter, font: QFont, x: int, y: int, text: str, colour: QColor, *, left: bool) -> int:
        """Draw a pill at (x, y) (x its right edge unless ``left``); return its width."""
        pill = self._pill(painter, font, text, colour)
        width = self._size(pill)[0]
        painter.drawPixmap(x if left else x - width, y, pill)
        return width


class ItemGridView(QListView):
    """Tiles of the model's column 0; Enter or double-click opens the current item."""

    open_requested = Signal(QModelIndex)
    scrolled = Signal()

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setGridSize(TILE)
        self.setSpacing(0)
        self.setWrapping(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Always there, so the width tiles share never changes when the list grows past a screen.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(40)
        self.setMouseTracking(True)
        self.setItemDelegate(TileDelegate(loader, self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        loader.ready.connect(lambda _sha: self.viewport().update())
        self.verticalScrollBar().valueChanged.connect(lambda _v: (loader.drop_pending(), self.scrolled.emit()))
        self.doubleClicked.connect(self.open_requested)
        self._warmed = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warmed:
            self._warmed = True
            delegate = self.itemDelegate()
            if isinstance(delegate, TileDelegate):
                delegate.warm(self.font(), self.viewport().devicePixelRatioF())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Share the width out evenly between as many tiles as fit (no ragged gap)."""
        width = self.viewport().width() - 1
        columns = max(1, width // TILE.width())
        cell = QSize(max(TILE.width(), width // columns), TILE.height())
        if cell != self.gridSize():
            self.setGridSize(cell)
        super().resizeEvent(event)


class ItemTableView(QTableView):
    """All columns, sortable by clicking a header (the sort runs as a query)."""

    open_requested = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(28)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(110)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.doubleClicked.connect(self.open_requested)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(event)
