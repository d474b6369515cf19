"""The evaluation charts, drawn with QtCharts: AP per class, PR curves, the confusion matrix,
per-class comparisons; and rendering any chart to PNG bytes for reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCharts import (
    QAbstractAxis,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
    QXYSeries,
)
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMargins,
    QPointF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem, QWidget

#: Series colours (readable on light and dark backgrounds).
BASE_MARGINS = QMargins(6, 6, 6, 6)
SERIES = ("#2f6fde", "#e4572e", "#17a398", "#f3a712", "#8e44ad", "#c0392b", "#2e86ab", "#76b041",
          "#d35400", "#7f8c8d")


@dataclass(frozen=True)
class _Colours:
    base: str
    text: str
    muted: str
    border: str


def chart_colours() -> _Colours:
    """The application palette's colours (the theme sets it, light or dark)."""
    pal = QApplication.palette()
    role = QPalette.ColorRole
    return _Colours(pal.color(role.Base).name(), pal.color(role.Text).name(),
                    pal.color(role.PlaceholderText).name(), pal.color(role.Mid).name())


def _style(chart: QChart, title: str = "") -> QChart:
    c = chart_colours()
    chart.setBackgroundBrush(QBrush(QColor(c.base)))
    chart.setBackgroundRoundness(0)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setMargins(BASE_MARGINS)
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setTitleBrush(QBrush(QColor(c.text)))
    chart.legend().setLabelColor(QColor(c.text))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _axis(axis: QAbstractAxis, title: str = "") -> QAbstractAxis:
    c = chart_colours()
    axis.setLabelsColor(QColor(c.text))
    axis.setTitleText(title)
    axis.setTitleBrush(QBrush(QColor(c.muted)))
    axis.setGridLineColor(QColor(c.border))
    axis.setLinePenColor(QColor(c.border))
    return axis


def chart_view(chart: QChart, parent: QWidget | None = None) -> QChartView:
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(320, 240)
    return view


def bar_chart(title: str, categories: Sequence[str], sets: Sequence[tuple[str, Sequence[float | None]]],
              value_title: str, maximum: float = 1.0) -> QChart:
    """Vertical bars per category, one set per series (None draws no bar)."""
    chart = _style(QChart(), title)
    series = QBarSeries()
    for k, (name, values) in enumerate(sets):
        bars = QBarSet(name)
        bars.setColor(QColor(SERIES[k % len(SERIES)]))
        bars.setBorderColor(QColor(SERIES[k % len(SERIES)]))
        for v in values:
            bars.append(0.0 if v is None or v < 0 else float(v))
        series.append(bars)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value")
    series.setLabelsPrecision(3)
    series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
    chart.addSeries(series)
    x = _axis(QBarCategoryAxis())
    x.append(list(categories))
    y = _axis(QValueAxis(), value_title)
    y.setRange(0.0, maximum * 1.2)
    y.setLabelFormat("%.1f")
    y.setTickCount(7)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    chart.legend().setVisible(len(sets) > 1)
    for label in series.barSets():
        label.setLabelColor(QColor(chart_colours().text))
    return chart


def pr_chart(title: str, curves: dict[str, tuple[Sequence[float], Sequence[float]]],
             colors: dict[str, str] | None = None) -> QChart:
    """Precision against recall, one line per class, drawn up to the highest recall reached
    (COCO's interpolated precision is 0 beyond it). ``operating_points(chart)`` holds a series
    for the points at the current score threshold."""
    chart = _style(QChart(), title)
    x = _axis(QValueAxis(), "recall")
    y = _axis(QValueAxis(), "precision")
    for axis in (x, y):
        axis.setRange(0.0, 1.0)
        axis.setTickCount(6)
        axis.setLabelFormat("%.1f")
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    for k, (name, (recall, precision)) in enumerate(curves.items()):
        r, p = np.asarray(recall, dtype=float), np.asarray(precision, dtype=float)
        reached = np.flatnonzero(p > 0)
        end = int(reached[-1]) + 1 if reached.size else 1
        line = QLineSeries()
        line.setName(name)
        line.append([QPointF(float(a), float(b)) for a, b in zip(r[:end], p[:end], strict=True)])
        pen = QPen(QColor((colors or {}).get(name) or SERIES[k % len(SERIES)]))
        pen.setWidthF(2.0)
        line.setPen(pen)
        chart.addSeries(line)
        line.attachAxis(x)
        line.attachAxis(y)
    points = QScatterSeries()
    points.setName("at the score threshold")
    points.setMarkerSize(11.0)
    points.setColor(QColor(chart_colours().text))
    points.setBorderColor(QColor(chart_colours().base))
    chart.addSeries(points)
    points.attachAxis(x)
    points.attachAxis(y)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
    return chart


def operating_points(chart: QChart) -> QScatterSeries:
    """The series of a PR chart that marks each class's (recall, precision) at the threshold."""
    return next(s for s in chart.series() if isinstance(s, QScatterSeries))


def _cell_colour(value: float, top: float, diagonal: bool) -> QColor:
    """A blue (diagonal: agreement) or red (off diagonal: errors) ramp over the base colour."""
    base = QColor(chart_colours().base)
    hue = QColor("#2f6fde") if diagonal else QColor("#e4572e")
    t = 0.0 if top <= 0 else min(1.0, 0.15 + 0.85 * value / top) if value > 0 else 0.0
    return QColor(round(base.red() + (hue.red() - base.red()) * t),
                  round(base.green() + (hue.green() - base.green()) * t),
                  round(base.blue() + (hue.blue() - base.blue()) * t))


class ConfusionChartView(QChartView):
    """The confusion matrix as a grid of square markers coloured by count, each with its number;
    rows are the true classes (top to bottom), columns the predicted ones. The plot area is kept
    square so the markers fill their cells. Clicking a cell emits ``cellClicked(row, col)``."""

    cellClicked = Signal(int, int)

    def __init__(self, labels: Sequence[str], matrix: np.ndarray, parent: QWidget | None = None,
                 title: str = "Confusion matrix") -> None:
        chart = _style(QChart(), title)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(360, 300)
        self.labels = list(labels)
        self.matrix = np.asarray(matrix)
        n = len(self.labels)
        self.x_axis = _axis(QCategoryAxis(), "predicted")
        self.y_axis = _axis(QCategoryAxis(), "true")
        for axis in (self.x_axis, self.y_axis):
            axis.setRange(-0.5, n - 0.5)
            axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
            axis.setGridLineVisible(False)
        for i, name in enumerate(self.labels):
            self.x_axis.append(name, float(i))
            self.y_axis.append(name, float(i))
        self.y_axis.setReverse(True)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        top_diag = float(max((self.matrix[i, i] for i in range(n)), default=0))
        off = self.matrix.copy()
        np.fill_diagonal(off, 0)
        top_off = float(off.max()) if off.size else 0.0
        self.series = QScatterSeries()
        self.series.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeRectangle)
        self.series.setBorderColor(QColor(chart_colours().border))
        self.cells: list[tuple[int, int]] = [(i, j) for i in range(n) for j in range(n)]
        self.series.append([QPointF(float(j), float(i)) for i, j in self.cells])
        chart.addSeries(self.series)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        font = QFont(self.font())
        font.setBold(True)
        self.texts: list[QGraphicsSimpleTextItem] = []
        for k, (i, j) in enumerate(self.cells):
            value = int(self.matrix[i, j])
            colour = _cell_colour(value, top_diag if i == j else top_off, i == j)
            self.series.setPointConfiguration(k, {QXYSeries.PointConfiguration.Color: colour})
            text = QGraphicsSimpleTextItem(str(value) if value else "", chart)
            text.setFont(font)
            text.setBrush(QBrush(QColor("#ffffff") if colour.lightnessF() < 0.55 else QColor(chart_colours().text)))
            text.setZValue(20)
            self.texts.append(text)
        self.series.clicked.connect(self._clicked)
        chart.legend().setVisible(False)
        # Changing the margins inside the chart's own layout pass is not safe: do it just after.
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self._layout)
        chart.plotAreaChanged.connect(lambda _area: self._pending.start())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self.chart().setMargins(BASE_MARGINS)  # squared again once the chart has laid out
        super().resizeEvent(event)

    def _layout(self, *_args: object) -> None:
        """Keep the plot area square (by widening the margins on its long side), the markers
        filling their cells and the numbers on them."""
        chart = self.chart()
        area = chart.plotArea()
        w, h = area.width(), area.height()
        if w > 0 and h > 0 and abs(w - h) >= 2:
            m = chart.margins()
            extra = round(abs(w - h) / 2)
            if w > h:
                chart.setMargins(QMargins(m.left() + extra, m.top(), m.right() + extra, m.bottom()))
            else:
                chart.setMargins(QMargins(m.left(), m.top() + extra, m.right(), m.bottom() + extra))
            return  # the chart lays out again and calls back
        n = max(len(self.labels), 1)
        side = min(w, h)
        self.series.setMarkerSize(max(6.0, side / n - 3.0))
        for (i, j), text in zip(self.cells, self.texts, strict=True):
            centre = chart.mapToPosition(QPointF(float(j), float(i)), self.series)
            box = text.boundingRect()
            text.setPos(centre.x() - box.width() / 2, centre.y() - box.height() / 2)
            text.setVisible(side / n > 18)

    def _clicked(self, point: QPointF) -> None:
        row, col = round(point.y()), round(point.x())
        if 0 <= row < len(self.labels) and 0 <= col < len(self.labels):
            self.cellClicked.emit(row, col)

    def cell_center(self, row: int, col: int) -> QPointF:
        """Where cell (row, col) is drawn, in this view's coordinates (for tests and tours)."""
        scene = self.chart().mapToPosition(QPointF(float(col), float(row)), self.series)
        return QPointF(self.mapFromScene(scene))


def png_bytes(view: QWidget, width: int = 900, height: int = 520) -> bytes:
    """A chart view (one of its own, in no layout) rendered to PNG at ``width`` x ``height``."""
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)  # shown, to lay out, but not on screen
    view.resize(width, height)
    view.show()
    _settle()
    pixmap = view.grab()
    view.hide()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _settle() -> None:
    """Let the charts lay out (they do it in posted events)."""
    for _ in range(12):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
