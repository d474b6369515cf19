"""The start page shown while no project is open: create, open, the demo, recent projects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.icons import app_icon, icon
from labelhub.gui.widgets import DIMMED_ROLE, SUBTITLE_ROLE, TwoLineDelegate

PATH_ROLE = SUBTITLE_ROLE
MISSING_ROLE = DIMMED_ROLE


class StartPage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_requested = Signal(Path)
    clear_missing_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 40, 48, 40)
        outer.addStretch(1)
        body = QFrame(self)
        body.setMaximumWidth(920)
        body.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(48)

        left = QVBoxLayout()
        left.setSpacing(10)
        brand = QHBoxLayout()
        brand.setSpacing(14)
        self.logo = QLabel(body)
        self.logo.setPixmap(app_icon().pixmap(56, 56))
        brand.addWidget(self.logo)
        names = QVBoxLayout()
        names.setSpacing(2)
        title = QLabel("LabelHub", body)
        title.setObjectName("PageTitle")
        tagline = QLabel("Image datasets, from import to evaluation.", body)
        tagline.setObjectName("Muted")
        names.addWidget(title)
        names.addWidget(tagline)
        brand.addLayout(names)
        brand.addStretch(1)
        left.addLayout(brand)
        left.addSpacing(18)
        start = QLabel("Start", body)
        start.setObjectName("SectionTitle")
        left.addWidget(start)
        self.new_button = self._action(body, "new", "New project…",
                                       "Create a project folder and become its lead")
        self.open_button = self._action(body, "open", "Open project…",
                                        "Open a project folder or its project.labelhub file")
        self.demo_button = self._action(body, "demo", "Open demo",
                                        "A ready-made project with sample photos and members")
        for button in (self.new_button, self.open_button, self.demo_button):
            left.addWidget(button)
        left.addStretch(1)
        columns.addLayout(left, 5)

        right = QVBoxLayout()
        right.setSpacing(10)
        recent_title = QLabel("Recent projects", body)
        recent_title.setObjectName("SectionTitle")
        right.addWidget(recent_title)
        self.recent_list = QListWidget(body)
        self.recent_list.setObjectName("RecentList")
        self.recent_list.setItemDelegate(TwoLineDelegate(self.recent_list, "  (missing)"))
        self.recent_list.setMinimumHeight(260)
        self.recent_list.setSpacing(1)
        self.recent_list.itemActivated.connect(self._activated)
        right.addWidget(self.recent_list, 1)
        self.recent_empty = QLabel("Projects you open appear here.", body)
        self.recent_empty.setObjectName("Muted")
        right.addWidget(self.recent_empty)
        self.clear_missing_button = QPushButton("Remove missing projects", body)
        self.clear_missing_button.clicked.connect(self.clear_missing_requested)
        right.addWidget(self.clear_missing_button, 0, Qt.AlignmentFlag.AlignLeft)
        columns.addLayout(right, 6)

        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(body, 20)
        centred.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self._icon_buttons = {self.new_button: "new", self.open_button: "open",
                              self.demo_button: "demo"}

    @staticmethod
    def _action(parent: QWidget, icon_name: str, text: str, tip: str) -> QPushButton:
        button = QPushButton(icon(icon_name), f"  {text}", parent)
        button.setObjectName("StartAction")
        button.setIconSize(QSize(22, 22))
        button.setToolTip(tip)
        button.setMinimumHeight(48)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def set_recent(self, projects: Sequence[Path], exists: Callable[[Path], bool]) -> None:
        self.recent_list.clear()
        any_missing = False
        for path in projects:
            present = exists(path)
            any_missing = any_missing or not present
            item = QListWidgetItem(path.name or str(path), self.recent_list)
            item.setData(PATH_ROLE, str(path))
            item.setData(MISSING_ROLE, not present)
            if present:
                item.setToolTip(f"Open {path}")
            else:
                item.setToolTip(f"{path} no longer holds a LabelHub project.")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.recent_empty.setVisible(not projects)
        self.recent_list.setVisible(bool(projects))
        self.clear_missing_button.setVisible(any_missing)

    def recent_paths(self) -> list[tuple[Path, bool]]:
        """(path, present) for each listed project, in order."""
        result = []
        for row in range(self.recent_list.count()):
            item = self.recent_list.item(row)
            result.append((Path(item.data(PATH_ROLE)), not item.data(MISSING_ROLE)))
        return result

    def refresh_icons(self) -> None:
        self.logo.setPixmap(app_icon().pixmap(56, 56))
        for button, name in self._icon_buttons.items():
            button.setIcon(icon(name))

    def _activated(self, item: QListWidgetItem) -> None:
        if not item.data(MISSING_ROLE):
            self.recent_requested.emit(Path(item.data(PATH_ROLE)))
