"""The Review workspace's dialogs: review settings, sending work back, and assigning work."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.messages import error_text

_KEYS = {"iou": "review/iou_threshold", "quorum": "review/quorum", "method": "review/consensus_method"}


@dataclass(frozen=True)
class ReviewSettings:
    """How items are matched and merged: IoU a match needs, votes a shape needs (0: half the
    annotators, rounded up) and how the consensus shape is made ("closest" or "mean")."""

    iou: float = 0.5
    quorum: int = 0
    method: str = "closest"

    @property
    def quorum_or_none(self) -> int | None:
        return self.quorum or None

    @classmethod
    def load(cls, settings: QSettings | None) -> ReviewSettings:
        if settings is None:
            return cls()
        try:
            iou = float(settings.value(_KEYS["iou"], 0.5))
            quorum = int(settings.value(_KEYS["quorum"], 0))
        except (TypeError, ValueError):
            return cls()
        method = str(settings.value(_KEYS["method"], "closest"))
        return cls(min(max(iou, 0.05), 0.95), max(quorum, 0), method if method in ("closest", "mean") else "closest")

    def save(self, settings: QSettings | None) -> None:
        if settings is None:
            return
        settings.setValue(_KEYS["iou"], self.iou)
        settings.setValue(_KEYS["quorum"], self.quorum)
        settings.setValue(_KEYS["method"], self.method)
        settings.sync()


class ReviewSettingsDialog(QDialog):
    def __init__(self, current: ReviewSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review settings")
        form = QFormLayout(self)
        self.iou = QDoubleSpinBox(self)
        self.iou.setRange(0.05, 0.95)
        self.iou.setSingleStep(0.05)
        self.iou.setValue(current.iou)
        self.iou.setToolTip("Two shapes lie on the same object when their overlap (IoU) is at least this.")
        self.quorum = QSpinBox(self)
        self.quorum.setRange(0, 20)
        self.quorum.setSpecialValueText("half of the annotators")
        self.quorum.setValue(current.quorum)
        self.quorum.setToolTip("How many annotators must have drawn an object for the consensus to keep it.")
        self.method = QComboBox(self)
        self.method.addItem("the annotator's shape closest to the others", "closest")
        self.method.addItem("the mean of the annotators' boxes", "mean")
        self.method.setCurrentIndex(0 if current.method == "closest" else 1)
        form.addRow("Match when IoU ≥", self.iou)
        form.addRow("Votes an object needs", self.quorum)
        form.addRow("Consensus shape", self.method)
        note = QLabel("Masks and polygons have no mean: their consensus is always the closest shape.", self)
        note.setObjectName("Muted")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self) -> ReviewSettings:
        return ReviewSettings(round(self.iou.value(), 2), self.quorum.value(), str(self.method.currentData()))


class RejectDialog(QDialog):
    """Send an item back: to whom, and the comment they will read in their queue."""

    def __init__(self, item_name: str, raters: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Send {item_name} back")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Send the work back to:", self))
        self.boxes: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        for name in raters:
            box = QCheckBox(name, self)
            box.setChecked(True)
            box.toggled.connect(self._update)
            self.boxes[name] = box
            row.addWidget(box)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(QLabel("What should they change? They see this in their queue.", self))
        self.comment = QPlainTextEdit(self)
        self.comment.setPlaceholderText("e.g. The cyclist on the left is missing.")
        self.comment.setFixedHeight(90)
        self.comment.textChanged.connect(self._update)
        layout.addWidget(self.comment)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.send = self.buttons.addButton("Send back", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def chosen(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def text(self) -> str:
        return self.comment.toPlainText().strip()

    def _update(self) -> None:
        self.send.setEnabled(bool(self.chosen()) and bool(self.text()))


class AssignDialog(QDialog):
    """A lead's assignments: who labels which items, how many per item, whether review is
    required; and moving or ending unsubmitted work."""

    changed = Signal()

    def __init__(self, project: Any, dataset: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.dataset = dataset
        self.setWindowTitle(f"Assignments in {dataset}")
        self.setMinimumWidth(520)
        policy = project.review_policy(dataset)
        members = [m for m in project.members() if m.active]
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)

        page = QWidget(self)
        form = QFormLayout(page)
        self.annotators = QListWidget(page)
        self.annotators.setFixedHeight(110)
        for m in members:
            entry = QListWidgetItem(f"{m.name}  ({m.role.value})", self.annotators)
            entry.setData(Qt.ItemDataRole.UserRole, m.name)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if m.role.value == "annotator" else Qt.CheckState.Unchecked)
        self.annotators.itemChanged.connect(self._update)
        form.addRow("Annotators", self.annotators)
        self.overlap = QSpinBox(page)
        self.overlap.setRange(1, max(1, len(members)))
        self.overlap.setValue(policy.overlap)
        self.overlap.valueChanged.connect(self._update)
        form.addRow("Annotators per item", self.overlap)
        self.mode = QComboBox(page)
        self.mode.addItem("balanced: least loaded first", "balanced")
        self.mode.addItem("round-robin: in turn", "round_robin")
        form.addRow("Spread", self.mode)
        self.all_items = QRadioButton("All items (topping up those with too few annotators)", page)
        self.free_items = QRadioButton("Only items nobody is assigned to", page)
        self.matching = QRadioButton("Items whose name matches", page)
        self.all_items.setChecked(True)
        self.pattern = QLineEdit(page)
        self.pattern.setPlaceholderText("e.g. scene-00*")
        self.pattern.textChanged.connect(lambda _t: self.matching.setChecked(True))
        which = QVBoxLayout()
        which.addWidget(self.all_items)
        which.addWidget(self.free_items)
        row = QHBoxLayout()
        row.addWidget(self.matching)
        row.addWidget(self.pattern, 1)
        which.addLayout(row)
        form.addRow("Items", which)
        self.review_required = QCheckBox("A reviewer must accept every item", page)
        self.review_required.setChecked(policy.review_required)
        self.review_required.toggled.connect(self._update)
        form.addRow("Review", self.review_required)
        self.preview = QLabel(page)
        self.preview.setObjectName("Muted")
        self.preview.setWordWrap(True)
        form.addRow(self.preview)
        self.assign_button = QPushButton("Assign", page)
        self.assign_button.clicked.connect(self.assign)
        form.addRow("", self.assign_button)
        self.tabs.addTab(page, "Assign")

        move = QWidget(self)
        mform = QFormLayout(move)
        self.move_from = QComboBox(move)
        self.move_to = QComboBox(move)
        for m in members:
            self.move_from.addItem(m.name)
            self.move_to.addItem(m.name)
        self.move_pattern = QLineEdit(move)
        self.move_pattern.setPlaceholderText("all their unsubmitted items, or a name pattern")
        if self.move_to.count() > 1:
            self.move_to.setCurrentIndex(1)
        self.move_hint = QLabel(move)
        self.move_hint.setObjectName("Muted")
        self.move_from.currentTextChanged.connect(lambda _t: self._show_open_work())
        self.move_pattern.textChanged.connect(lambda _t: self._show_open_work())
        mform.addRow("From", self.move_from)
        mform.addRow("", self.move_hint)
        mform.addRow("To", self.move_to)
        mform.addRow("Items", self.move_pattern)
        buttons = QHBoxLayout()
        self.move_button = QPushButton("Move their work", move)
        self.move_button.clicked.connect(self.move_work)
        self.end_button = QPushButton("Take them off", move)
        self.end_button.setToolTip("End the assignments of the member in From (their drafts stay in their label set).")
        self.end_button.clicked.connect(self.end_work)
        buttons.addWidget(self.move_button)
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        mform.addRow("", buttons)
        self.tabs.addTab(move, "Move or end work")

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self._update()
        self._show_counts()
        self._show_open_work()

    def _show_open_work(self) -> None:
        source = self.move_from.currentText()
        try:
            n = len(self._open_items(source)) if source else 0
        except LabelHubError as error:
            self.move_hint.setText(error_text(error))
            return
        self.move_hint.setText(f"{source} has {n} unsubmitted item{'' if n == 1 else 's'}"
                               + (" matching the pattern" if self.move_pattern.text().strip() else "") + ".")

    def chosen(self) -> list[str]:
        out = []
        for row in range(self.annotators.count()):
            entry = self.annotators.item(row)
            if entry.checkState() == Qt.CheckState.Checked:
                out.append(str(entry.data(Qt.ItemDataRole.UserRole)))
        return out

    def set_chosen(self, names: list[str]) -> None:
        for row in range(self.annotators.count()):
            entry = self.annotators.item(row)
            wanted = entry.data(Qt.ItemDataRole.UserRole) in names
            entry.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def _update(self) -> None:
        n, k = len(self.chosen()), self.overlap.value()
        ok = 1 <= k <= n
        self.assign_button.setEnabled(ok)
        if not n:
            self.preview.setText("Choose the annotators.")
        elif not ok:
            self.preview.setText(f"{k} annotators per item needs at least {k} annotators; {n} chosen.")
        else:
            after = "a reviewer accepts it" if self.review_required.isChecked() or k > 1 else "submitting accepts it"
            self.preview.setText(f"Each item goes to {k} of the {n} annotators; then {after}.")

    def _show_counts(self) -> None:
        counts = self.project.state_counts(self.dataset)["items"]
        self.summary.setText("Items now: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()))

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self._show_counts()
        self._show_open_work()
        self.changed.emit()

    def _failed(self, error: LabelHubError) -> None:
        self.message.setText(error_text(error))

    def assign(self) -> None:
        try:
            policy = self.project.review_policy(self.dataset)
            if policy.review_required != self.review_required.isChecked():
                self.project.set_review_policy(self.dataset, review_required=self.review_required.isChecked())
            pattern = self.pattern.text().strip() if self.matching.isChecked() else ""
            report = self.project.assign(
                self.dataset, self.chosen(), overlap=self.overlap.value(), mode=str(self.mode.currentData()),
                match=pattern or None, only_unassigned=self.free_items.isChecked())
        except LabelHubError as error:
            self._failed(error)
            return
        self._done(report.summary().capitalize() + ".")

    def _open_items(self, member: str) -> list[str]:
        pattern = self.move_pattern.text().strip()
        return [e.item_uid for e in self.project.queue(self.dataset, member=member)
                if e.is_open and (not pattern or fnmatch.fnmatchcase(e.item_name, pattern))]

    def move_work(self) -> None:
        source, target = self.move_from.currentText(), self.move_to.currentText()
        try:
            items = self._open_items(source)
            if not items:
                self.message.setText(f"{source} has no unsubmitted work to move.")
                return
            moved = self.project.reassign(self.dataset, items, source, target)
        except LabelHubError as error:
            self._failed(error)
            return
        self._done(f"Moved {moved} items from {source} to {target}.")

    def end_work(self) -> None:
        source = self.move_from.currentText()
        try:
            items = self._open_items(source)
            if not items:
                self.message.setText(f"{source} has no unsubmitted work.")
                return
            ended = self.project.unassign(self.dataset, items, source)
        except LabelHubError as error:
            self._failed(error)
            return
        self._done(f"Took {source} off {ended} items.")


def single_selection(widget: QAbstractItemView) -> None:
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
