"""The evaluations page: stored evaluations, a new evaluation, opening one in the viewer,
comparing two, exporting a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.errors import LabelHubError
from labelhub.gui.messages import show_error, show_info
from labelhub.gui.models.compare import CompareDialog
from labelhub.gui.models.registry_dialogs import _Dialog
from labelhub.gui.models.report import export_report
from labelhub.gui.models.tables import fill, make_table, row_data
from labelhub.gui.models.viewer import EvaluationViewer
from labelhub.gui.tasks import BackgroundTask, Progress
from labelhub.gui.widgets import EmptyState

KINDS = (("boxes (bbox)", "detection", "bbox"), ("masks and polygons (segm)", "detection", "segm"),
         ("keypoints (OKS)", "detection", "keypoints"), ("image tags (classification)", "classification", "bbox"))


class NewEvaluationDialog(_Dialog):
    """Which predictions, against which dataset version, how."""

    def __init__(self, project: Any, parent: QWidget | None = None) -> None:
        super().__init__("New evaluation", parent)
        self.project = project
        self.dataset = QComboBox(self)
        self.version = QComboBox(self)
        self.predictions = QComboBox(self)
        self.kind = QComboBox(self)
        for title, task, iou in KINDS:
            self.kind.addItem(title, (task, iou))
        self.threshold = QDoubleSpinBox(self)
        self.confident = QDoubleSpinBox(self)
        for spin, value in ((self.threshold, 0.5), (self.confident, 0.7)):
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(value)
        self.threshold.setToolTip("The operating point for precision, recall, F1 and the confusion matrix")
        self.confident.setToolTip("Disagreeing predictions scoring at least this are listed as suspected label errors")
        self.slices_box = QVBoxLayout()
        self.slice_checks: list[QCheckBox] = []
        self.form.addRow("Dataset", self.dataset)
        self.form.addRow("Dataset version", self.version)
        self.form.addRow("Predictions", self.predictions)
        self.form.addRow("Evaluate", self.kind)
        self.form.addRow("Score threshold", self.threshold)
        self.form.addRow("Suspect errors from", self.confident)
        self.form.addRow("Slices", self.slices_box)
        self.dataset.currentTextChanged.connect(self._dataset_changed)
        self.version.currentIndexChanged.connect(lambda _i: self._version_changed())
        names = [d.name for d in project.datasets()]
        ready = [n for n in names if project.prediction_sets(n) and project.versions(n)]
        self.dataset.addItems(names)
        if ready:
            self.dataset.setCurrentText(ready[0])
        if not names:
            self.fail("The project has no datasets yet.")

    def _dataset_changed(self, name: str) -> None:
        self.version.clear()
        self.predictions.clear()
        if not name:
            return
        for v in reversed(self.project.versions(name)):
            self.version.addItem(v.label + (" (deprecated)" if v.deprecated else ""), v.number)
        for s in self.project.prediction_sets(name):
            self.predictions.addItem(f"{s.ref} ({s.count:,} predictions on {s.items:,} images)", s.ref)
        self._version_changed()

    def _version_changed(self) -> None:
        for check in self.slice_checks:
            self.slices_box.removeWidget(check)
            check.deleteLater()
        self.slice_checks = []
        if self.version.currentIndex() < 0:
            return
        for name in self.project.evaluation_slice_fields(self.dataset.currentText(), self.version.currentData()):
            check = QCheckBox(name, self)
            check.setChecked(name == "split")
            self.slices_box.addWidget(check)
            self.slice_checks.append(check)

    def check(self) -> str | None:
        if self.version.currentIndex() < 0:
            return f"{self.dataset.currentText() or 'This dataset'} has no version: commit one in Versions first."
        if self.predictions.currentIndex() < 0:
            return "No predictions on this dataset yet: import a model version's predictions first."
        return None

    def values(self) -> dict[str, Any]:
        task, iou = self.kind.currentData()
        return {"dataset": self.dataset.currentText(), "version": self.version.currentData(),
                "predictions": self.predictions.currentData(), "task": task, "iou_type": iou,
                "score_threshold": self.threshold.value(), "confident": self.confident.value(),
                "slices": [c.text() for c in self.slice_checks if c.isChecked()]}


class EvaluationsPage(QWidget):
    """The list of evaluations, and the viewer over it when one is open."""

    openItemRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.task: BackgroundTask | None = None
        self.viewer: EvaluationViewer | None = None
        self.compare_dialog: CompareDialog | None = None
        self.evaluations: list[Any] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)
        self.list_page = QWidget(self.stack)
        layout = QVBoxLayout(self.list_page)
        layout.setContentsMargins(12, 10, 12, 10)
        bar = QHBoxLayout()
        self.new_button = QPushButton("New evaluation…", self.list_page)
        self.open_button = QPushButton("Open", self.list_page)
        self.compare_button = QPushButton("Compare two…", self.list_page)
        self.compare_button.setToolTip("Select two evaluations (Ctrl+click) to compare them side by side")
        for button, slot in ((self.new_button, self.new_evaluation), (self.open_button, self.open_selected),
                             (self.compare_button, self.compare_selected)):
            button.clicked.connect(slot)
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.lists = QStackedWidget(self.list_page)
        self.empty = EmptyState("models", "No evaluations yet",
                                "Measure a model version's predictions against a frozen dataset version: "
                                "COCO detection numbers, per-class results, slices, and the images most likely "
                                "to be labelled wrong.", "", self.lists)
        self.table = make_table(("evaluation", "headline", "kind", "dataset version", "made", "by"), self.lists)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemActivated.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.lists.addWidget(self.empty)
        self.lists.addWidget(self.table)
        layout.addWidget(self.lists, 1)
        self.stack.addWidget(self.list_page)
        self._update_buttons()

    def set_project(self, project: Any) -> None:
        self.project = project
        self.close_viewer()
        self.refresh()

    def refresh(self) -> None:
        if self.project is None:
            self.evaluations = []
            self.table.setRowCount(0)
            self._update_buttons()
            return
        try:
            self.evaluations = self.project.evaluations()
        except LabelHubError as error:
            show_error(self, error)
            return
        rows = []
        for e in self.evaluations:
            name, value = e.headline
            rows.append((e.model_ref, f"{name} {value:.3f}" if value is not None else "–",
                         e.iou_type if e.task == "detection" else "tags", f"{e.dataset} v{e.version}",
                         e.created_at[:16].replace("T", " "), e.created_by or "–"))
        fill(self.table, rows, data=[e.uid for e in self.evaluations])
        self.lists.setCurrentIndex(1 if self.evaluations else 0)
        self._update_buttons()

    def _selected(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [row_data(self.table, r) for r in rows]

    def _update_buttons(self) -> None:
        allowed = self.project is not None and self.project.can("evaluation.run")
        self.new_button.setEnabled(allowed)
        self.new_button.setToolTip("" if allowed else "Only reviewers and leads can run evaluations.")
        n = len(self._selected()) if self.project is not None else 0
        self.open_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n == 2)

    # --------------------------------------------------------------------------- actions
    def _job(self, work: Any) -> Any:
        folder, member = self.project.folder, self.project.member.name

        def job(progress: Progress, cancel: Any) -> Any:
            from labelhub.project import Project

            with Project.open(folder, user=member, backup=False) as p:
                return work(p, progress, cancel)

        return job

    def new_evaluation(self) -> None:
        dialog = NewEvaluationDialog(self.project, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.run_evaluation(dialog.values())

    def run_evaluation(self, values: dict[str, Any]) -> BackgroundTask:
        """Evaluate on a worker, store it, then open it."""
        v = dict(values)
        job = self._job(lambda p, progress, cancel: p.evaluate(
            v.pop("dataset"), v.pop("version"), v.pop("predictions"), progress=progress, cancel=cancel, **v))

        def done(outcome: Any) -> None:
            self.refresh()
            self.show_outcome(outcome)

        self.task = BackgroundTask(self, "Evaluate", f"Evaluating {values['predictions']} on {values['dataset']}…",
                                   job, on_success=done, on_error=lambda e: show_error(self, e, title="Evaluate"),
                                   on_cancelled=lambda: show_info(self, "The evaluation was cancelled; nothing was stored."))
        self.task.start()
        return self.task

    def open_selected(self) -> BackgroundTask | None:
        chosen = self._selected()
        return self.open_evaluation(chosen[0]) if len(chosen) == 1 else None

    def open_evaluation(self, uid: str) -> BackgroundTask:
        """Compute the evaluation again from the project (on a worker) and show it."""
        job = self._job(lambda p, progress, cancel: p.reopen_evaluation(uid, progress=progress, cancel=cancel))
        self.task = BackgroundTask(self, "Open evaluation", "Opening the evaluation…", job,
                                   on_success=self.show_outcome,
                                   on_error=lambda e: show_error(self, e, title="Open evaluation"))
        self.task.start()
        return self.task

    def show_outcome(self, outcome: Any) -> EvaluationViewer:
        self.close_viewer()
        self.viewer = EvaluationViewer(outcome, self.project, self.stack)
        self.viewer.backRequested.connect(self.close_viewer)
        self.viewer.exportRequested.connect(self.export_current)
        self.viewer.openItemRequested.connect(self.openItemRequested)
        self.stack.addWidget(self.viewer)
        self.stack.setCurrentWidget(self.viewer)
        return self.viewer

    def close_viewer(self) -> None:
        if self.viewer is not None:
            self.stack.removeWidget(self.viewer)
            self.viewer.deleteLater()
            self.viewer = None
        self.stack.setCurrentWidget(self.list_page)

    def compare_selected(self) -> CompareDialog | None:
        chosen = self._selected()
        if len(chosen) != 2:
            return None
        by_uid = {e.uid: e for e in self.evaluations}
        a, b = sorted(chosen, key=lambda uid: by_uid[uid].created_seq)
        try:
            comparison = self.project.compare_evaluations(a, b)
        except LabelHubError as error:
            show_error(self, error, title="Compare evaluations")
            return None
        if self.compare_dialog is not None:
            self.compare_dialog.close()
            self.compare_dialog.deleteLater()
        self.compare_dialog = CompareDialog(comparison, self)
        self.compare_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.compare_dialog.open()
        return self.compare_dialog

    def export_current(self, path: Path | None = None) -> tuple[Path, Path] | None:
        if self.viewer is None:
            return None
        if path is None:
            default = Path.home() / f"evaluation-{(self.viewer.info.uid[:8] if self.viewer.info else 'report')}.html"
            chosen, _f = QFileDialog.getSaveFileName(self, "Export evaluation report", str(default),
                                                     "HTML report (*.html)")
            if not chosen:
                return None
            path = Path(chosen)
        try:
            written = export_report(self.viewer, path)
        except OSError as error:
            show_error(self, error, title="Export report")
            return None
        show_info(self, f"Saved the report as {written[0]} and its data as {written[1].name}.", title="Export report")
        return written



