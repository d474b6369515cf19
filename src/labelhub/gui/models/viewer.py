"""The evaluation viewer: the numbers, the charts, a live score threshold, slices, suspected
label errors, and the images behind each number."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.messages import show_error
from labelhub.gui.models import charts
from labelhub.gui.models.drilldown import DrillDown
from labelhub.gui.models.tables import fill, make_table, row_data
from labelhub.gui.tasks import BackgroundTask

DETECTION_COLUMNS = ("class", "AP", "AP50", "AP75", "AR", "GT", "predicted", "TP", "FP", "missed",
                     "precision", "recall", "F1")
CLASSIFICATION_COLUMNS = ("class", "support", "TP", "FP", "missed", "precision", "recall", "F1", "ROC-AUC")
ERROR_KINDS = {"missing_label": "label missing?", "wrong_class": "wrong class?"}


def summary_rows(run: Any, score: float) -> list[tuple[str, str, Any]]:
    """(metric, setting, value) rows: COCO's twelve numbers, or the classification summary."""
    if run.task == "classification":
        s = run.summary(score)
        return [(name.replace("_", " "), "from the scores" if name.startswith("roc") else f"at score ≥ {score:.2f}",
                 s.get(name)) for name in run.stat_names]
    rows = []
    for name, line, value in zip(run.stat_names, run.summary_lines(), run.stats, strict=True):
        inside = line[line.find("[") + 1:line.rfind("]")] if "[" in line else ""
        fields = dict(p.replace(" ", "").partition("=")[::2] for p in inside.split("|"))
        setting = f"IoU {fields.get('IoU', '')} · area {fields.get('area', '')} · {fields.get('maxDets', '')} dets"
        rows.append((name, setting, value))
    return rows


def class_rows(run: Any, score: float) -> list[tuple[Any, ...]]:
    if run.task == "classification":
        return [(r["class"], r["support"], r["tp"], r["fp"], r["fn"], r["precision"], r["recall"], r["f1"],
                 r["roc_auc"]) for r in run.per_class(score)]
    return [(r["class"], r["ap"], r["ap50"], r["ap75"], r["ar"], r["num_gt"], r["num_dt"], r["tp"], r["fp"], r["fn"],
             r["precision"], r["recall"], r["f1"]) for r in run.per_class(score)]


def per_class_chart(run: Any, score: float) -> Any:
    """AP@[.5:.95] and AP50 per class (detection), or F1 per class at ``score`` (tags)."""
    per = run.per_class(score)
    if run.task == "detection":
        return charts.bar_chart("AP per class", run.class_names, [("AP@[.5:.95]", [r["ap"] for r in per]),
                                                                  ("AP50", [r["ap50"] for r in per])],
                                "average precision")
    return charts.bar_chart("F1 per class", run.class_names, [("F1", [r["f1"] for r in per])], "F1")


def pr_curves_chart(run: Any, score: float | None = None) -> Any:
    """Each class's interpolated PR curve at IoU .5; with ``score``, its operating point there."""
    curves = {}
    for k, name in enumerate(run.class_names):
        curve = run.pr_curve(k)
        if curve is not None:
            curves[name] = curve
    chart = charts.pr_chart("Precision–recall at IoU 0.5 (dots: at the score threshold)", curves,
                            {c.name: c.color for c in run.data.classes})
    if score is not None:
        points = charts.operating_points(chart)
        for r in run.per_class(score):
            if r["num_gt"] > 0 and r["tp"] + r["fp"] > 0:
                points.append(r["recall"], r["precision"])
    return chart


class EvaluationViewer(QWidget):
    """One evaluation, reopened (its run computed again from the project)."""

    backRequested = Signal()
    exportRequested = Signal()
    openItemRequested = Signal(str, str)  # dataset, item uid

    def __init__(self, outcome: Any, project: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome = outcome
        self.run = outcome.run
        self.project = project
        self.info = outcome.info
        self.task: BackgroundTask | None = None
        self.slice_rows: list[dict[str, Any]] = []
        self.confusion_view: charts.ConfusionChartView | None = None
        self._drill: tuple[str, Any] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(self._header())
        layout.addLayout(self._threshold_row())
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.tabs = QTabWidget(split)
        self._build_tabs()
        self.drill = DrillDown(split)
        self.drill.set_project(project)
        self.drill.openRequested.connect(lambda uid: self.openItemRequested.emit(self.run.data.dataset, uid))
        split.addWidget(self.tabs)
        split.addWidget(self.drill)
        split.setSizes([430, 330])
        layout.addWidget(split, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.update_threshold)
        self.update_threshold()

    # ------------------------------------------------------------------------------ layout
    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.back_button = QPushButton("← All evaluations", self)
        self.back_button.clicked.connect(self.backRequested)
        p = self.outcome.params
        title = self.info.title if self.info else f"{p['predictions']} on {p['dataset']} v{p['version']}"
        text = QLabel(f"<b style='font-size:14pt'>{title}</b><br>"
                      f"<span>dataset version {p['dataset']} v{p['version']} · predictions as of change "
                      f"{p['predictions_seq']} (hash {self.outcome.predictions_hash[:12]})"
                      + (f" · by {self.info.created_by} {self.info.created_at[:16].replace('T', ' ')}" if self.info else "")
                      + "</span>", self)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.export_button = QPushButton("Export report…", self)
        self.export_button.setToolTip("Save this evaluation as an HTML report with its charts, and as JSON")
        self.export_button.clicked.connect(self.exportRequested)
        row.addWidget(self.back_button)
        row.addSpacing(12)
        row.addWidget(text, 1)
        row.addWidget(self.export_button)
        return row

    def _threshold_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Score threshold", self))
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setPageStep(5)
        self.slider.setValue(round(float(self.outcome.params.get("score_threshold", 0.5)) * 100))
        self.slider.setToolTip("Predictions scoring below this are left out of precision, recall, F1, the "
                               "confusion matrix and the images shown")
        self.slider.valueChanged.connect(lambda _v: self._timer.start())
        self.slider.setMaximumWidth(360)
        self.threshold_label = QLabel(self)
        self.threshold_label.setMinimumWidth(40)
        self.overall_label = QLabel(self)
        self.overall_label.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.slider, 1)
        row.addWidget(self.threshold_label)
        row.addSpacing(16)
        row.addWidget(self.overall_label, 2)
        return row

    def _build_tabs(self) -> None:
        detection = self.run.task == "detection"
        summary = QWidget()
        row = QHBoxLayout(summary)
        self.summary_table = make_table(("metric", "setting", "value"), summary, stretch=2)
        self.summary_table.setMinimumWidth(420)
        self.summary_table.setMaximumWidth(520)
        self.summary_table.setWordWrap(False)
        self.class_table = make_table(DETECTION_COLUMNS if detection else CLASSIFICATION_COLUMNS, summary,
                                      stretch=None)
        self.class_table.itemSelectionChanged.connect(self._class_selected)
        self.class_table.setToolTip("Click a class to see its images")
        row.addWidget(self.summary_table, 0)
        row.addWidget(self.class_table, 1)
        self.tabs.addTab(summary, "Summary")
        self.per_class_holder = self._holder("AP per class" if detection else "F1 per class")
        if detection:
            self.pr_holder = self._holder("PR curves")
        self.confusion_holder = self._holder("Confusion matrix")
        hint = QLabel("Rows are the labelled classes, columns the predicted ones; "
                      + ("'background' means nothing matched (a miss, or a false positive on nothing). "
                         if detection else "'none' means no prediction reached the threshold. ")
                      + "Click a cell to see the images behind it.")
        hint.setWordWrap(True)
        self.confusion_holder.addWidget(hint)
        self.tabs.addTab(self._slices_tab(), "Slices")
        self.tabs.addTab(self._errors_tab(), "Label errors")
        self._build_static_charts()

    def _holder(self, title: str) -> QVBoxLayout:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(8, 6, 8, 6)
        self.tabs.addTab(page, title)
        return box

    def _slices_tab(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(QLabel("Slice by", page))
        self.slice_field = QComboBox(page)
        from labelhub.project.evaluation_data import slice_fields

        self.slice_field.addItems(slice_fields(self.run.data))
        self.slice_field.activated.connect(lambda _i: self.compute_slices())
        self.slice_button = QPushButton("Compute", page)
        self.slice_button.clicked.connect(self.compute_slices)
        top.addWidget(self.slice_field)
        top.addWidget(self.slice_button)
        top.addStretch(1)
        box.addLayout(top)
        cols = (("value", "items", "labels", "predictions", "AP", "AP50", "precision", "recall", "F1")
                if self.run.task == "detection" else
                ("value", "items", "labels", "predicted", "accuracy", "precision", "recall", "F1"))
        self.slice_table = make_table(cols, page)
        self.slice_table.itemSelectionChanged.connect(self._slice_selected)
        box.addWidget(self.slice_table, 1)
        return page

    def _errors_tab(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        confident = float(self.outcome.params.get("confident", 0.7))
        note = QLabel(f"Predictions scoring at least {confident:.2f} that disagree with the labels, most "
                      "confident first: a label may be missing, or have the wrong class. Select one to see it "
                      "below; Fix in Annotate opens the image to correct its labels.", page)
        note.setWordWrap(True)
        box.addWidget(note)
        self.errors = self.run.suspected_errors(confident)
        self.error_table = make_table(("#", "suspicion", "image", "predicted", "labelled", "score", "IoU", ""),
                                      page, stretch=2)
        fill(self.error_table, [(i + 1, ERROR_KINDS[s.kind], s.item_name, s.predicted, s.labelled or "—", s.score,
                                 s.iou, "") for i, s in enumerate(self.errors)], data=list(range(len(self.errors))))
        self.fix_buttons: list[QPushButton] = []
        for row, suspect in enumerate(self.errors[:200]):
            button = QPushButton("Fix in Annotate", self.error_table)
            button.setToolTip(f"Open {suspect.item_name} in the Annotate workspace")
            button.clicked.connect(lambda _c=False, uid=suspect.item_uid: self.openItemRequested.emit(
                self.run.data.dataset, uid))
            self.error_table.setCellWidget(row, 7, button)
            self.fix_buttons.append(button)
        header = self.error_table.horizontalHeader()
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Fixed)
        self.error_table.setColumnWidth(7, QPushButton("Fix in Annotate").sizeHint().width() + 12)
        self.error_table.itemSelectionChanged.connect(self._error_selected)
        self.error_table.itemActivated.connect(lambda _i: self.drill.open_current())
        box.addWidget(self.error_table, 1)
        return page

    def _build_static_charts(self) -> None:
        self.per_class_chart = charts.chart_view(per_class_chart(self.run, self.score))
        if self.run.task == "detection":
            self.pr_view = charts.chart_view(pr_curves_chart(self.run))
            self.pr_points = charts.operating_points(self.pr_view.chart())
            self.pr_holder.addWidget(self.pr_view)
        series = self.per_class_chart.chart().series()[0]
        series.clicked.connect(lambda index, _set: self.show_class(index))
        self.per_class_holder.addWidget(self.per_class_chart)

    def restyle(self) -> None:
        """Redraw the charts in the palette's colours (the theme changed)."""
        self.per_class_holder.removeWidget(self.per_class_chart)
        self.per_class_chart.deleteLater()
        if self.run.task == "detection":
            self.pr_holder.removeWidget(self.pr_view)
            self.pr_view.deleteLater()
        self._build_static_charts()
        self.update_threshold()

    # --------------------------------------------------------------------------- behaviour
    @property
    def score(self) -> float:
        return self.slider.value() / 100.0

    def update_threshold(self) -> None:
        score = self.score
        self.threshold_label.setText(f"{score:.2f}")
        o = self.run.overall(score)
        self.overall_label.setText(f"precision <b>{o['precision']:.3f}</b> · recall <b>{o['recall']:.3f}</b> · "
                                   f"F1 <b>{o['f1']:.3f}</b> &nbsp; ({o['tp']} TP, {o['fp']} FP, {o['fn']} missed)")
        fill(self.summary_table, summary_rows(self.run, score))
        fill(self.class_table, class_rows(self.run, score), data=list(range(len(self.run.class_names))))
        if self.run.task == "detection":
            self.pr_points.clear()
            for r in self.run.per_class(score):
                if r["num_gt"] > 0 and r["tp"] + r["fp"] > 0:
                    self.pr_points.append(r["recall"], r["precision"])
        labels, matrix = self.run.confusion(score)
        if self.confusion_view is not None:
            self.confusion_holder.removeWidget(self.confusion_view)
            self.confusion_view.deleteLater()
        bg = "background" if self.run.task == "detection" else "none"
        self.confusion_view = charts.ConfusionChartView(
            labels, matrix, title=f"score ≥ {score:.2f} · IoU 0.5")
        self.confusion_view.setToolTip(f"Rows: the labelled class; columns: the predicted class; '{bg}': nothing "
                                       "matched. Click a cell to see its images.")
        self.confusion_view.cellClicked.connect(self.show_cell)
        self.confusion_holder.addWidget(self.confusion_view)
        if self._drill is not None and self._drill[0] != "error":
            kind, arg = self._drill
            {"cell": lambda a: self.show_cell(*a), "class": self.show_class,
             "slice": lambda a: self._show_positions(*a)}[kind](arg)

    def outcome_of(self, position: int) -> Any:
        return self.run.item_outcome(position, self.score)

    def show_cell(self, row: int, col: int) -> None:
        labels, matrix = self.run.confusion(self.score)
        self._drill = ("cell", (row, col))
        title = f"true {labels[row]}, predicted {labels[col]} ({int(matrix[row, col])})"
        self.drill.set_items(title, self.run.cell_items(self.score, row, col), self.outcome_of)

    def show_class(self, index: int) -> None:
        self._drill = ("class", index)
        self.drill.set_items(f"class {self.run.class_names[index]}", self.run.class_items(self.score, index),
                             self.outcome_of)

    def _show_positions(self, title: str, positions: list[int]) -> None:
        self._drill = ("slice", (title, positions))
        self.drill.set_items(title, positions, self.outcome_of)

    def _class_selected(self) -> None:
        index = row_data(self.class_table)
        if index is not None and self._drill != ("class", index):
            self.show_class(int(index))

    def compute_slices(self) -> None:
        field_name = self.slice_field.currentText()
        if not field_name or (self.task is not None and self.task.running):
            return
        run, score = self.run, self.score

        def job(_progress: Any, cancel: Any) -> Any:
            return run.slices(field_name, score, cancel)

        def done(rows: list[dict[str, Any]]) -> None:
            self.slice_rows = rows
            if run.task == "detection":
                table = [(r["value"], r["items"], r["ground_truth"], r["predictions"], r["ap"], r["ap50"],
                          r["precision"], r["recall"], r["f1"]) for r in rows]
            else:
                table = [(r["value"], r["items"], r["ground_truth"], r["predictions"], r["accuracy"], r["precision"],
                          r["recall"], r["f1"]) for r in rows]
            fill(self.slice_table, table, data=list(range(len(rows))))

        self.task = BackgroundTask(self, "Slices", f"Evaluating each value of {field_name}…", job, on_success=done,
                                   on_error=lambda e: show_error(self, e, title="Slices"))
        self.task.start()

    def _slice_selected(self) -> None:
        index = row_data(self.slice_table)
        if index is not None and index < len(self.slice_rows):
            r = self.slice_rows[index]
            self._show_positions(f"{self.slice_field.currentText()} = {r['value']}", r["item_positions"])

    def _error_selected(self) -> None:
        index = row_data(self.error_table)
        if index is None:
            return
        s = self.errors[index]
        self._drill = ("error", index)
        what = f"{s.predicted} predicted where nothing is labelled" if s.kind == "missing_label" else \
            f"{s.predicted} predicted on a {s.labelled}"
        confident = float(self.outcome.params.get("confident", 0.7))
        self.drill.set_items(f"suspected label error #{index + 1}: {what} ({s.score:.2f})", [s.item],
                             lambda pos: self.run.item_outcome(pos, min(self.score, confident)),
                             focus=s.prediction_uid)
