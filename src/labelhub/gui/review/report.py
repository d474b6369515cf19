"""The agreement report of a dataset: the matrix of annotator pairs, each annotator against the
others and against the accepted labels, each class, and for tags the kappas and alpha."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelhub.gui.review.queue_panel import agreement_color


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _cell(value: Any, colored: bool = False) -> QTableWidgetItem:
    cell = QTableWidgetItem(_fmt(value))
    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    if colored and isinstance(value, float) and not math.isnan(value):
        cell.setBackground(agreement_color(max(value, 0.0)))
        cell.setForeground(QColor("#1c1c1e"))
    return cell


def _table(parent: QWidget, rows: list[str], columns: list[str]) -> QTableWidget:
    table = QTableWidget(len(rows), len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    table.setVerticalHeaderLabels(rows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


class AgreementReportDialog(QDialog):
    """Shows a DatasetAgreement. Non-modal: it can stay open beside the queue."""

    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        d = report.to_dict()
        names = d["annotators"]
        self.setWindowTitle(f"Agreement in {report.dataset}")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        items = d["items"]
        headline = QLabel(
            f"<b>F1 {_fmt(d['f1'])}</b> between {len(names)} annotators over {items['compared']} items "
            f"labelled by two or more ({items['rated']} labelled, {items['accepted']} accepted); "
            f"shapes match at IoU ≥ {report.iou_threshold:g}.", self)
        headline.setWordWrap(True)
        layout.addWidget(headline)
        if len(names) < 2:
            lonely = QLabel("Fewer than two annotators have labelled items of this dataset, so there "
                            "is no agreement to measure yet. Assign items to two annotators or more.", self)
            lonely.setObjectName("Muted")
            lonely.setWordWrap(True)
            layout.addWidget(lonely)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)

        self.pairs = _table(self, names, names)
        for i in range(len(names)):
            for j in range(len(names)):
                value = report.pair_f1[i, j]
                cell = _cell(None if i == j else float(value), colored=True)
                cell.setToolTip(f"{names[i]} and {names[j]}: {int(report.pair_items[i, j])} items, "
                                f"{int(report.pair_matched[i, j])} matched, "
                                f"{int(report.pair_disagreements[i, j])} class disagreements, "
                                f"{int(report.pair_missed[i, j])} of {names[i]}'s shapes unmatched")
                self.pairs.setItem(i, j, cell)
        self.tabs.addTab(self.pairs, "Pairs")

        self.annotators = _table(self, names, ["F1 vs others", "F1 vs accepted", "Items"])
        for i, n in enumerate(names):
            a = d["per_annotator"][n]
            for col, value in enumerate((a["f1"], a["f1_vs_accepted"], a["items"])):
                self.annotators.setItem(i, col, _cell(value, colored=col < 2))
        self.tabs.addTab(self.annotators, "Annotators")

        classes = list(d["classes"])
        self.classes = _table(self, classes, ["F1", "Shapes drawn", "Compared in pairs"])
        for i, c in enumerate(classes):
            v = d["classes"][c]
            for col, value in enumerate((v["f1"], v["shapes"], v["compared"])):
                self.classes.setItem(i, col, _cell(value, colored=col == 0))
        self.tabs.addTab(self.classes, "Classes")

        tags = d.get("tags")
        if tags:
            page = QWidget(self)
            column = QVBoxLayout(page)
            text = QLabel(f"{tags['items']} items tagged by two annotators or more. "
                          f"Fleiss' kappa <b>{_fmt(tags['fleiss_kappa'])}</b>, "
                          f"Krippendorff's alpha <b>{_fmt(tags['krippendorff_alpha'])}</b>. "
                          "Cohen's kappa per pair:", page)
            text.setWordWrap(True)
            column.addWidget(text)
            self.kappa = _table(page, names, names)
            for i in range(len(names)):
                for j in range(len(names)):
                    value = tags["cohen_kappa"]["matrix"][i][j]
                    self.kappa.setItem(i, j, _cell(value if value is not None else None, colored=True))
            column.addWidget(self.kappa, 1)
            for note in tags["notes"]:
                label = QLabel(note, page)
                label.setObjectName("Muted")
                label.setWordWrap(True)
                column.addWidget(label)
            self.tabs.addTab(page, "Tags")
        if d["not_compared"]:
            note = QLabel(f"{d['not_compared']} polylines and points are not compared.", self)
            note.setObjectName("Muted")
            layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
