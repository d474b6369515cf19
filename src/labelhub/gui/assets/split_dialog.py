"""Split a dataset: named splits with ratios, a seed, stratification, grouping; a preview of
the counts before anything is written; one change when applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.assets.jobs import Reader, run_job

DEFAULT_RATIOS = (("train", 80.0), ("val", 10.0), ("test", 10.0))


class SplitDialog(QDialog):
    """Emits ``split_done(plan)`` once the split is written."""

    split_done = Signal(object)

    def __init__(self, project: Any, dataset: str, meta_keys: Sequence[str], selected: Sequence[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.dataset = project, dataset
        self.selected = list(selected)
        self.plan: Any = None
        self.task: Any = None
        self.setWindowTitle(f"Split {dataset}")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(12)
        intro = QLabel("Assign items to named splits by ratio. The same seed and options always "
                       "give the same split; the change can be undone.", self)
        intro.setWordWrap(True)
        intro.setObjectName("Muted")
        layout.addWidget(intro)

        self.ratio_grid = QGridLayout()
        self.ratio_grid.setHorizontalSpacing(8)
        self.ratio_rows: list[tuple[QLineEdit, QDoubleSpinBox, QPushButton]] = []
        layout.addLayout(self.ratio_grid)
        self.add_button = QPushButton("Add a split", self)
        self.add_button.clicked.connect(lambda: self.add_ratio("", 0.0))
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)
        for name, share in DEFAULT_RATIOS:
            self.add_ratio(name, share)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        form.addRow("Seed", self.seed)
        keys = [k for k in meta_keys if k not in ("tags", "kept")]
        self.stratify = QComboBox(self)
        self.stratify.addItem("Not stratified", None)
        self.stratify.addItem("By label class (each item's rarest class)", "class")
        for key in keys:
            self.stratify.addItem(f"By metadata field “{key}”", f"meta:{key}")
        form.addRow("Stratify", self.stratify)
        self.group = QComboBox(self)
        self.group.addItem("No grouping", None)
        for key in keys:
            self.group.addItem(f"Keep items with the same “{key}” together", f"meta:{key}")
        form.addRow("Group", self.group)
        scope = QVBoxLayout()
        self.scope_all = QRadioButton("All items (re-split everything)", self)
        self.scope_unassigned = QRadioButton("Only items without a split (the others keep theirs)", self)
        self.scope_selected = QRadioButton(f"Only the {len(self.selected):,} selected items", self)
        self.scope_selected.setEnabled(bool(self.selected))
        self.scope_all.setChecked(True)
        for button in (self.scope_all, self.scope_unassigned, self.scope_selected):
            scope.addWidget(button)
        form.addRow("Apply to", scope)
        layout.addLayout(form)

        self.preview = QLabel("", self)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("Headline")
        layout.addWidget(self.preview)
        self.detail = QLabel("", self)
        self.detail.setWordWrap(True)
        self.detail.setObjectName("Muted")
        layout.addWidget(self.detail)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setText("Split")
        self.apply_button.setEnabled(project.can("items.split"))
        if not project.can("items.split"):
            self.apply_button.setToolTip(f"Only a lead can split; {project.member.name} is "
                                         f"{project.member.role.value}.")
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.reader = Reader(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.update_preview)
        for signal in (self.seed.valueChanged, self.stratify.currentIndexChanged, self.group.currentIndexChanged):
            signal.connect(lambda *_a: self._timer.start())
        for button in (self.scope_all, self.scope_unassigned, self.scope_selected):
            button.toggled.connect(lambda *_a: self._timer.start())
        self._timer.start()

    def add_ratio(self, name: str, share: float) -> None:
        row = len(self.ratio_rows)
        edit = QLineEdit(name, self)
        edit.setPlaceholderText("split name")
        spin = QDoubleSpinBox(self)
        spin.setRange(0, 100)
        spin.setDecimals(1)
        spin.setSuffix(" %")
        spin.setValue(share)
        remove = QPushButton("Remove", self)
        remove.clicked.connect(lambda: self._remove_ratio(edit))
        self.ratio_grid.addWidget(edit, row, 0)
        self.ratio_grid.addWidget(spin, row, 1)
        self.ratio_grid.addWidget(remove, row, 2)
        self.ratio_rows.append((edit, spin, remove))
        edit.textChanged.connect(lambda *_a: self._timer.start())
        spin.valueChanged.connect(lambda *_a: self._timer.start())
        if hasattr(self, "_timer"):
            self._timer.start()

    def _remove_ratio(self, edit: QLineEdit) -> None:
        for row in list(self.ratio_rows):
            if row[0] is edit:
                for widget in row:
                    widget.hide()
                    self.ratio_grid.removeWidget(widget)
                    widget.deleteLater()
                self.ratio_rows.remove(row)
        self._timer.start()

    def options(self) -> dict[str, Any]:
        ratios = {e.text().strip(): s.value() for e, s, _r in self.ratio_rows if e.text().strip() or s.value()}
        return {
            "ratios": ratios, "seed": self.seed.value(), "stratify": self.stratify.currentData(),
            "group": self.group.currentData(), "only_unassigned": self.scope_unassigned.isChecked(),
            "uids": self.selected if self.scope_selected.isChecked() else None,
        }

    def update_preview(self) -> None:
        options = self.options()
        project, dataset = self.project, self.dataset
        self.preview.setText("Working out the split…")

        def done(plan: Any) -> None:
            self.plan = plan
            self.preview.setText(plan.summary())
            bits = [f"{len(plan.changes):,} items would change split"]
            if plan.group:
                bits.append(f"{plan.groups:,} groups kept whole")
            if plan.strata:
                bits.append(f"{len(plan.strata)} strata, each split in the same proportions")
            self.detail.setText("; ".join(bits) + ".")
            self.apply_button.setEnabled(self.project.can("items.split") and bool(plan.changes))

        def failed(error: BaseException) -> None:
            self.plan = None
            self.preview.setText(str(error) if isinstance(error, LabelHubError) else f"Cannot split: {error}")
            self.detail.setText("")
            self.apply_button.setEnabled(False)

        self.reader.read(lambda: project.plan_split(dataset, **options), done, failed)

    def apply(self) -> None:
        options = self.options()
        dataset = self.dataset
        self.apply_button.setEnabled(False)

        def written(plan: Any) -> None:
            self.plan = plan
            self.split_done.emit(plan)
            self.accept()

        def failed(error: BaseException) -> None:
            self.apply_button.setEnabled(True)
            self.preview.setText(str(error))

        self.task = run_job(self, self.project, "Split dataset", f"Splitting {dataset}…",
                            lambda p, progress, cancel: p.split_items(dataset, progress=progress, cancel=cancel, **options),
                            written, on_error=failed)
