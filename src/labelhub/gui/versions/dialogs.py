"""Small dialogs of the Versions workspace: commit a version, tag it, deprecate it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import InvalidInput


def _tag_problem(tag: str) -> str | None:
    from labelhub.project.versions import check_tag

    try:
        check_tag(tag)
    except InvalidInput as error:
        return str(error)
    return None


class _Form(QDialog):
    def __init__(self, title: str, intro: str, ok: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 20, 20, 16)
        self.layout_.setSpacing(12)
        self.intro = QLabel(intro, self)
        self.intro.setWordWrap(True)
        self.layout_.addWidget(self.intro)
        self.form = QFormLayout()
        self.form.setSpacing(8)
        self.layout_.addLayout(self.form)
        self.problem = QLabel(self)
        self.problem.setObjectName("Muted")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.buttons)


class CommitDialog(_Form):
    """A message (required) and an optional tag for the next version, with what it will hold."""

    def __init__(self, dataset: str, summary: Any, parent: QWidget | None = None) -> None:
        number = (summary.latest.number if summary.latest else 0) + 1
        s = summary.stats
        intro = (f"Freeze “{dataset}” as it stands now as version {number}: "
                 f"{s['items']:,} items, {s['annotations']:,} ground-truth annotations, "
                 f"{s['classes']} label classes.")
        super().__init__("Commit version", intro, f"Commit v{number}", parent)
        self._unchanged = summary.latest is not None and not summary.changed and \
            not summary.latest.deprecated
        if self._unchanged:
            self.intro.setText(intro + f"\n\nNothing changed since {summary.latest.label}: "
                               "there is nothing new to commit.")
        self.message = QPlainTextEdit(self)
        self.message.setPlaceholderText("What this version holds, e.g. “first 500 images reviewed”")
        self.message.setFixedHeight(84)
        self.tag = QLineEdit(self)
        self.tag.setPlaceholderText("optional, e.g. release-1")
        self.form.addRow("Message", self.message)
        self.form.addRow("Tag", self.tag)
        self.finish()
        self.message.textChanged.connect(self._update)
        self.tag.textChanged.connect(self._update)
        self._update()

    def values(self) -> tuple[str, str | None]:
        return self.message.toPlainText().strip(), self.tag.text().strip() or None

    def _update(self) -> None:
        message, tag = self.values()
        problem = None if message else "Say what this version holds."
        if self._unchanged:
            problem = "Change the ground truth, the items or the label classes first."
        if problem is None and tag:
            problem = _tag_problem(tag)
        self.problem.setText(problem or "A version is never edited or deleted; it can be "
                                         "tagged again or deprecated later.")
        self.ok_button.setEnabled(problem is None)


class TagDialog(_Form):
    """A tag for a version; a tag another version has moves here."""

    def __init__(self, version: Any, tags: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__("Tag version", f"Tag {version.label}. A tag names one version of the "
                         "dataset; giving it to this version takes it from the one that has it.",
                         "Tag", parent)
        self._tags = tags
        self._version = version
        self.tag = QLineEdit(version.tag or "", self)
        self.tag.setPlaceholderText("e.g. release-1")
        self.form.addRow("Tag", self.tag)
        self.finish()
        self.tag.textChanged.connect(self._update)
        self._update()

    def value(self) -> str:
        return self.tag.text().strip()

    def _update(self) -> None:
        tag = self.value()
        problem = _tag_problem(tag) if tag else "Type a tag."
        if problem is None and tag == self._version.tag:
            problem = f"{self._version.label} already has this tag."
        holder = self._tags.get(tag)
        if problem is None and holder:
            self.problem.setText(f"The tag moves from {holder} to v{self._version.number}.")
        else:
            self.problem.setText(problem or "")
        self.ok_button.setEnabled(problem is None)


class DeprecateDialog(_Form):
    """Why a version should no longer be used (it stays listed and readable)."""

    def __init__(self, version: Any, parent: QWidget | None = None) -> None:
        super().__init__("Deprecate version",
                         f"Deprecate {version.label}: it stays listed, readable and exportable, "
                         "marked so nobody trains on it by mistake. This cannot be undone.",
                         "Deprecate", parent)
        self.reason = QPlainTextEdit(self)
        self.reason.setPlaceholderText("Why, e.g. “boxes on night images were drawn too loose”")
        self.reason.setFixedHeight(84)
        self.form.addRow("Reason", self.reason)
        self.finish()
        self.reason.textChanged.connect(self._update)
        self._update()

    def value(self) -> str:
        return self.reason.toPlainText().strip()

    def _update(self) -> None:
        self.problem.setText("" if self.value() else "Say why it is deprecated.")
        self.ok_button.setEnabled(bool(self.value()))
