"""Light and dark follow the system: Fusion style, a calm palette, a small style sheet.

The scheme comes from QGuiApplication.styleHints().colorScheme(); when the system switches, the
palette and style sheet are rebuilt and ``theme_changed`` tells widgets that paint their own icons.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colours:
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    disabled: str
    button: str
    border: str
    sidebar: str
    accent: str
    accent_text: str
    selection_soft: str
    link: str


LIGHT = Colours(
    window="#f4f5f7", base="#ffffff", alternate="#f7f8fa", text="#1d2127", muted="#5f6873",
    disabled="#a3a9b1", button="#ffffff", border="#d9dde3", sidebar="#eceef2", accent="#2f6fde",
    accent_text="#ffffff", selection_soft="#dbe6fb", link="#2f6fde",
)
DARK = Colours(
    window="#1e2127", base="#16181c", alternate="#1b1e23", text="#e4e7eb", muted="#9aa3ad",
    disabled="#5d636b", button="#2a2e35", border="#353a42", sidebar="#191c21", accent="#4c8bf5",
    accent_text="#ffffff", selection_soft="#27364f", link="#7aa7f7",
)


def is_dark(scheme: Qt.ColorScheme | None = None) -> bool:
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


def colours(scheme: Qt.ColorScheme | None = None) -> Colours:
    return DARK if is_dark(scheme) else LIGHT


def build_palette(c: Colours) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base,
        QPalette.ColorRole.AlternateBase: c.alternate,
        QPalette.ColorRole.ToolTipBase: c.base,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.button,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.BrightText: "#ff5c5c",
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.Link: c.link,
        QPalette.ColorRole.LinkVisited: c.link,
        QPalette.ColorRole.Light: QColor(c.button).lighter(115).name(),
        QPalette.ColorRole.Midlight: QColor(c.button).lighter(105).name(),
        QPalette.ColorRole.Mid: c.border,
        QPalette.ColorRole.Dark: QColor(c.border).darker(130).name(),
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.disabled))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight,
                     QColor(c.border))
    return palette


def style_sheet(c: Colours) -> str:
    return f"""
QListWidget#Sidebar {{
    background: {c.sidebar}; border: none; border-right: 1px solid {c.border};
    padding: 12px 8px; outline: 0;
}}
QListWidget#Sidebar::item {{
    color: {c.text}; padding: 9px 10px; margin: 2px 0; border-radius: 7px;
}}
QListWidget#Sidebar::item:hover {{ background: {c.selection_soft}; }}
QListWidget#Sidebar::item:selected {{ background: {c.accent}; color: {c.accent_text}; }}
QLabel#PageTitle {{ font-size: 20pt; font-weight: 600; }}
QLabel#SectionTitle {{ font-size: 13pt; font-weight: 600; }}
QLabel#Headline {{ font-size: 11pt; font-weight: 600; }}
QLabel#Muted, QLabel#EmptyText {{ color: {c.muted}; }}
QLabel#EmptyTitle {{ font-size: 16pt; font-weight: 600; }}
QLabel#EmptyNote {{ color: {c.muted}; font-style: italic; }}
QLabel#RoleBadge {{
    background: {c.selection_soft}; border-radius: 8px; padding: 1px 8px; font-weight: 600;
}}
QStatusBar {{ border-top: 1px solid {c.border}; }}
QStatusBar QLabel {{ padding: 0 6px; }}
QStatusBar::item {{ border: none; }}
QPushButton {{
    padding: 6px 14px; border-radius: 6px; border: 1px solid {c.border};
    background: {c.button}; color: {c.text}; min-height: 18px;
}}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:pressed {{ background: {c.selection_soft}; }}
QPushButton:default {{ background: {c.accent}; color: {c.accent_text}; border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.disabled}; background: {c.alternate}; border-color: {c.border}; }}
QPushButton:focus {{ outline: none; }}
QPushButton#StartAction {{
    text-align: left; padding: 10px 14px; font-size: 11pt; border: 1px solid {c.border};
    background: {c.base};
}}
QPushButton#StartAction:hover {{ border-color: {c.accent}; }}
QListWidget#RecentList {{
    background: {c.base}; border: 1px solid {c.border}; border-radius: 8px; padding: 4px;
}}
QLineEdit, QPlainTextEdit {{
    border: 1px solid {c.border}; border-radius: 5px; padding: 5px 6px; background: {c.base};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border-color: {c.accent}; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QTableView, QTreeView {{
    border: 1px solid {c.border}; border-radius: 6px; gridline-color: {c.border};
    selection-background-color: {c.selection_soft}; selection-color: {c.text};
}}
QTableView, QTreeView, QListView {{ outline: 0; }}
QTableView::item {{ padding: 0 6px; }}
QProgressBar {{
    border: 1px solid {c.border}; border-radius: 6px; background: {c.base}; text-align: center;
    min-height: 16px;
}}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 5px; }}
QProgressDialog QLabel {{ padding: 6px 2px; }}
QTreeView::item {{ padding: 4px 6px; }}
QHeaderView::section {{
    padding: 6px 8px; border: none; border-bottom: 1px solid {c.border};
    background: {c.alternate}; font-weight: 600;
}}
QLabel#RoleBadge {{ margin-right: 8px; }}
"""


class ThemeManager(QObject):
    """Keeps the application's palette in step with the system colour scheme."""

    theme_changed = Signal()

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        app.setStyleSheet("")
        app.setStyle("Fusion")
        self.style_name = app.style().name()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self.apply()

    def apply(self, scheme: Qt.ColorScheme | None = None) -> None:
        c = colours(scheme)
        self._app.setPalette(build_palette(c))
        self._app.setStyleSheet(style_sheet(c))
        self.theme_changed.emit()

    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self.apply(scheme)


def install_theme(app: QApplication) -> ThemeManager:
    """Apply the theme once per application and return its manager."""
    existing = app.findChild(ThemeManager)
    if isinstance(existing, ThemeManager):
        existing.apply()
        return existing
    return ThemeManager(app)


def current_colours() -> Colours:
    return colours()
