"""Small building blocks shared by the pages: empty states and the workspace side bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.icons import icon, muted_pixmap

SUBTITLE_ROLE = Qt.ItemDataRole.UserRole
DIMMED_ROLE = Qt.ItemDataRole.UserRole + 1


class TwoLineDelegate(QStyledItemDelegate):
    """List rows with a bold title (DisplayRole) over a quieter second line (SUBTITLE_ROLE).

    Rows whose DIMMED_ROLE is true are drawn greyed, with ``dimmed_suffix`` after the title.
    """

    def __init__(self, parent: QWidget | None = None, dimmed_suffix: str = "") -> None:
        super().__init__(parent)
        self.dimmed_suffix = dimmed_suffix

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(200, option.fontMetrics.height() * 2 + 20)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        dimmed = bool(index.data(DIMMED_ROLE))
        palette = opt.palette
        if opt.state & QStyle.StateFlag.State_Selected:
            main = sub = palette.color(QPalette.ColorRole.HighlightedText)
        elif dimmed:
            main = sub = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        else:
            main = palette.color(QPalette.ColorRole.Text)
            sub = palette.color(QPalette.ColorRole.PlaceholderText)
        rect = opt.rect.adjusted(12, 9, -12, -9)
        line = opt.fontMetrics.height()
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if dimmed:
            title += self.dimmed_suffix
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(main)
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight,
                                                          rect.width()))
        small = QFont(opt.font)
        small.setPointSizeF(max(7.0, opt.font.pointSizeF() * 0.9))
        painter.setFont(small)
        painter.setPen(sub)
        subtitle = str(index.data(SUBTITLE_ROLE) or "")
        painter.drawText(QRect(rect.left(), rect.top() + line + 2, rect.width(), line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(subtitle, Qt.TextElideMode.ElideMiddle,
                                                          rect.width()))
        painter.restore()


class EmptyState(QWidget):
    """A centred, quiet message: an icon, a title, what this place is for, and an optional note.

    Extra widgets (real buttons only) can be placed under the text with ``add_widget``.
    """

    def __init__(self, icon_name: str, title: str, text: str, note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon_name = icon_name
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 40, 40, 40)
        outer.addStretch(2)
        column = QFrame(self)
        column.setFixedWidth(460)
        column.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
        self._column = QVBoxLayout(column)
        self._column.setSpacing(10)
        self._column.setContentsMargins(0, 0, 0, 0)

        self.picture = QLabel(column)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedHeight(96)
        self.title_label = QLabel(title, column)
        self.title_label.setObjectName("EmptyTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label = QLabel(text, column)
        self.text_label.setObjectName("EmptyText")
        self.text_label.setWordWrap(True)
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._column.addWidget(self.picture)
        self._column.addSpacing(4)
        self._column.addWidget(self.title_label)
        self._column.addWidget(self.text_label)
        self.note_label = QLabel(note, column)
        self.note_label.setObjectName("EmptyNote")
        self.note_label.setWordWrap(True)
        self.note_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note_label.setVisible(bool(note))
        self._column.addWidget(self.note_label)

        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)
        self.refresh_icons()

    def add_widget(self, widget: QWidget) -> None:
        self._column.addSpacing(8)
        self._column.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)

    def refresh_icons(self) -> None:
        self.picture.setPixmap(muted_pixmap(self._icon_name, 72))


class Sidebar(QListWidget):
    """The workspace list on the left: icon and name per entry, one always selected."""

    workspace_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setIconSize(QSize(20, 20))
        self.setFixedWidth(184)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.currentRowChanged.connect(self._row_changed)
        self._icon_names: list[str] = []

    def add_workspace(self, icon_name: str, title: str, tooltip: str) -> QListWidgetItem:
        item = QListWidgetItem(icon(icon_name), title, self)
        item.setToolTip(tooltip)
        item.setSizeHint(QSize(0, 40))
        self._icon_names.append(icon_name)
        return item

    def refresh_icons(self) -> None:
        for row, name in enumerate(self._icon_names):
            entry = self.item(row)
            if entry is not None:
                entry.setIcon(icon(name))

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.workspace_selected.emit(row)
