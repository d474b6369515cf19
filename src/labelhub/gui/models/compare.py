"""Two evaluations side by side: the summary numbers and each class, with b - a deltas."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QSplitter, QVBoxLayout, QWidget

from labelhub.gui.models import charts
from labelhub.gui.models.tables import fill, make_table


class CompareDialog(QDialog):
    def __init__(self, comparison: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = cmp = comparison
        self.setWindowTitle("Compare evaluations")
        self.resize(1180, 760)
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>a</b>: {cmp.a.title} <span>({cmp.a.uid[:8]})</span><br>"
                      f"<b>b</b>: {cmp.b.title} <span>({cmp.b.uid[:8]})</span>", self)
        head.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(head)
        self.notes = QLabel("⚠ Not directly comparable: " + "; ".join(cmp.notes) if cmp.notes else
                            "Same dataset version and settings: the differences are the models'.", self)
        self.notes.setWordWrap(True)
        self.notes.setObjectName("CompareNotes")
        layout.addWidget(self.notes)
        split = QSplitter(Qt.Orientation.Vertical, self)
        top = QSplitter(Qt.Orientation.Horizontal, split)
        self.summary = make_table(("metric", "a", "b", "b − a"), top)
        fill(self.summary, list(cmp.summary), deltas=(3,))
        detection = cmp.a.task == "detection" and cmp.b.task == "detection"
        keys = ("ap", "ap50", "f1") if detection else ("precision", "recall", "f1")
        names = {"ap": "AP", "ap50": "AP50", "f1": "F1", "precision": "P", "recall": "R"}
        headers = ["class"] + [f"{names[k]} {x}" for k in keys for x in ("a", "b", "Δ")]
        self.per_class = make_table(headers, top, stretch=None)
        rows = [(r["class"], *(r[f"{x}_{k}"] for k in keys for x in ("a", "b", "delta"))) for r in cmp.per_class]
        fill(self.per_class, rows, deltas=tuple(3 + 3 * i for i in range(len(keys))))
        top.addWidget(self.summary)
        top.addWidget(self.per_class)
        top.setSizes([380, 760])
        key = keys[0]
        chart = charts.bar_chart(f"{names[key]} per class", [r["class"] for r in cmp.per_class],
                                 [(f"a: {cmp.a.model_ref}", [r[f"a_{key}"] for r in cmp.per_class]),
                                  (f"b: {cmp.b.model_ref}", [r[f"b_{key}"] for r in cmp.per_class])], names[key])
        self.chart_view = charts.chart_view(chart, split)
        split.addWidget(top)
        split.addWidget(self.chart_view)
        layout.addWidget(split, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
