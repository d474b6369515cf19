"""Message boxes for errors and outcomes: the user reads a sentence, never a traceback.

Boxes open window-modal without blocking (``QDialog.open``), so long work can end with a
message while the event loop keeps running; they delete themselves when closed.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from labelhub.errors import LabelHubError

log = logging.getLogger(__name__)


def error_text(error: BaseException) -> str:
    """What the user is told about ``error``."""
    if isinstance(error, LabelHubError):
        return str(error) or type(error).__name__
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return f"The file system refused: {error.strerror or error}{where}."
    return f"Something went wrong that LabelHub did not expect: {error}"


def _box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
         details: str | None = None) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if details:
        box.setDetailedText(details)
    box.open()
    return box


def show_error(parent: QWidget | None, error: BaseException | str,
               title: str = "LabelHub") -> QMessageBox:
    """Show ``error`` (an exception or a sentence). Unexpected exceptions are logged too."""
    if isinstance(error, BaseException):
        if not isinstance(error, LabelHubError | OSError):
            log.error("unexpected error", exc_info=error)
        text = error_text(error)
    else:
        text = error
    return _box(parent, QMessageBox.Icon.Warning, title, text)


def show_info(parent: QWidget | None, text: str, title: str = "LabelHub",
              details: str | None = None) -> QMessageBox:
    return _box(parent, QMessageBox.Icon.Information, title, text, details)
