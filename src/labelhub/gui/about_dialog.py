"""Help > About LabelHub: versions, licence, and the credits of the sample photos."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import labelhub
from labelhub.gui.icons import app_icon

LICENCE = "MIT License"


def sample_credits_file() -> Path | None:
    """resources/samples/LICENSES.md, if the resources are installed."""
    try:
        from labelhub.resources import resource_path

        path = Path(resource_path("samples", "LICENSES.md"))
    except (ImportError, FileNotFoundError, ValueError, OSError):
        return None
    return path if path.is_file() else None


def version_rows() -> list[tuple[str, str]]:
    return [
        ("LabelHub", labelhub.__version__),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Licence", LICENCE),
    ]


class CreditsDialog(QDialog):
    """The sample photos' origin and licences, as shipped in LICENSES.md."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sample photo credits")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        self.browser.document().setDocumentMargin(14)
        self.browser.setMarkdown(text)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About LabelHub")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 16)
        layout.setSpacing(14)

        header = QHBoxLayout()
        header.setSpacing(16)
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(64, 64))
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(4)
        name = QLabel("LabelHub", self)
        name.setObjectName("PageTitle")
        blurb = QLabel("Image datasets through their whole life: import, label, review, "
                       "version, export and evaluate.", self)
        blurb.setWordWrap(True)
        blurb.setObjectName("Muted")
        titles.addWidget(name)
        titles.addWidget(blurb)
        header.addLayout(titles, 1)
        layout.addLayout(header)

        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        self.version_labels: dict[str, QLabel] = {}
        for row, (key, value) in enumerate(version_rows()):
            key_label = QLabel(key, self)
            key_label.setObjectName("Muted")
            value_label = QLabel(value, self)
            value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(key_label, row, 0)
            grid.addWidget(value_label, row, 1)
            self.version_labels[key] = value_label
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        self.credits_file = sample_credits_file()
        note = QLabel("The demo's sample photos come from scikit-image; each one's author and "
                      "licence are listed in the sample photo credits.", self)
        note.setWordWrap(True)
        note.setObjectName("Muted")
        layout.addWidget(note)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.credits_button = QPushButton("Sample photo credits…", self)
        self.credits_button.setEnabled(self.credits_file is not None)
        if self.credits_file is None:
            self.credits_button.setToolTip("The sample resources are not installed.")
        self.credits_button.setAutoDefault(False)
        buttons.addButton(self.credits_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.credits_button.clicked.connect(self.show_credits)
        layout.addWidget(buttons)
        self.credits_dialog: CreditsDialog | None = None

    def credits_text(self) -> str:
        if self.credits_file is None:
            return ""
        try:
            return self.credits_file.read_text(encoding="utf-8")
        except OSError as error:
            return f"Could not read {self.credits_file}: {error.strerror}"

    def show_credits(self) -> CreditsDialog:
        if self.credits_dialog is None:
            self.credits_dialog = CreditsDialog(self.credits_text(), self)
        self.credits_dialog.show()
        self.credits_dialog.raise_()
        return self.credits_dialog
