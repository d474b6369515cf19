"""Benchmark: the annotation canvas with 100,000 shapes on an 8000 x 6000 image, and a
20000 x 20000 JPEG, each figure beside the same scene painted the labelme way.

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/canvas.py [--shapes N] [--no-huge]

The scene is synthetic and seeded: half boxes, half 20-vertex polygons, 8..120 px across
(log-uniform), 12 classes, in a 1600 x 1000 viewport. "The labelme way" is a QWidget whose
paintEvent draws the scaled image and then every shape with QPainter, every frame (outlines
only, no vertex markers: generous to it). Frames are driven by real events (wheel, mouse) at
60 Hz, and each frame's time is what the interface thread spends on it: the event, the queued
work that arrives with it (finished background renderings) and the repaint. Targets: frame and
edit <= 16 ms, hit test <= 1 ms, load <= 500 ms; huge image first view <= 2.5 s, again <= 300 ms,
memory <= 1.5 GB. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPixmap, QPolygonF, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from labelhub.geometry import Box, Polygon
from labelhub.gui.canvas import PALETTE, CanvasShape, CanvasWidget, PackedShapes
from labelhub.gui.canvas.model import BOX, POLYGON

VIEW_W, VIEW_H = 1600, 1000
IMAGE_W, IMAGE_H = 8000, 6000
CLASSES = [f"class {i}" for i in range(12)]


# -- the scene ---------------------------------------------------------------------------------


def make_image(path: Path, width: int, height: int, seed: int = 0, grain: float = 9.0) -> None:
    """A smooth colourful pattern with some texture (``grain``: noise sigma), saved as JPEG."""
    rng = np.random.default_rng(seed)
    out = np.empty((height, width, 3), np.uint8)
    band = 1000
    xs = np.arange(width, dtype=np.float32)
    for y0 in range(0, height, band):
        ys = np.arange(y0, min(y0 + band, height), dtype=np.float32)[:, None]
        for c in range(3):
            wave = 110 + 60 * np.sin(xs / (700 + 190 * c) + c) * np.cos(ys / (530 + 70 * c))
            out[y0:y0 + len(ys), :, c] = np.clip(wave + rng.normal(0, grain, (len(ys), width)),
                                                 0, 255)
    Image.fromarray(out).save(path, quality=88)


def make_packed(n: int, seed: int = 1) -> PackedShapes:
    rng = np.random.default_rng(seed)
    kinds = np.where(rng.random(n) < 0.5, BOX, POLYGON).astype(np.int8)
    size = np.exp(rng.uniform(np.log(8), np.log(120), n))
    cx, cy = rng.uniform(0, IMAGE_W, n), rng.uniform(0, IMAGE_H, n)
    params = np.zeros((n, 5))
    params[:, 0], params[:, 1] = cx - size / 2, cy - size * 0.4
    params[:, 2], params[:, 3] = size, size * 0.8
    counts = np.where(kinds == POLYGON, 20, 0)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    poly = kinds == POLYGON
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radius = size[poly, None] / 2 * (0.75 + 0.25 * rng.random((int(poly.sum()), 20)))
    xy = np.stack([cx[poly, None] + radius * np.cos(angles),
                   cy[poly, None] + radius * np.sin(angles)], -1).reshape(-1, 2)
    codes = rng.integers(0, len(CLASSES), n)
    return PackedShapes([f"s{i}" for i in range(n)], CLASSES, kinds, params, offsets, xy,
                        label_codes=codes)


def to_objects(packed: PackedShapes) -> list[CanvasShape]:
    out = []
    labels = [CLASSES[c] for c in packed.label_codes.tolist()]
    for i, (uid, label) in enumerate(zip(packed.uids, labels, strict=True)):
        if packed.kinds[i] == BOX:
            shape = Box(*packed.params[i, :4].tolist())
        else:
            pts = packed.xy[packed.offsets[i]: packed.offsets[i + 1]].tolist()
            shape = Polygon(tuple(map(tuple, pts)))
        out.append(CanvasShape(uid, label, shape))
    return out


# -- the labelme way ---------------------------------------------------------------------------


class EveryShapeCanvas(QWidget):
    """Paints the scaled image and every shape with QPainter in every paintEvent."""

    def __init__(self, pixmap: QPixmap, shapes: list[CanvasShape]) -> None:
        super().__init__()
        self.pixmap = pixmap
        self.scale, self.ox, self.oy = 1.0, 0.0, 0.0
        colors = {c: QColor(PALETTE[i % len(PALETTE)]) for i, c in enumerate(CLASSES)}
        self.items = []
        for cs in shapes:
            pts = cs.shape.corners() if isinstance(cs.shape, Box) else cs.shape.points
            self.items.append((QPolygonF([QPointF(x, y) for x, y in pts]), colors[cs.label]))
        self.drag_from: QPointF | None = None

    def fit(self) -> None:
        self.scale = min(VIEW_W / IMAGE_W, VIEW_H / IMAGE_H)
        self.ox = (VIEW_W - IMAGE_W * self.scale) / 2
        self.oy = (VIEW_H - IMAGE_H * self.scale) / 2

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(48, 48, 48))
        p.translate(self.ox, self.oy)
        p.scale(self.scale, self.scale)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawPixmap(0, 0, self.pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for poly, color in self.items:
            pen = QPen(color, 2)
            pen.setCosmetic(True)
            p.setPen(pen)
            p.drawPolygon(poly)
        p.end()

    def wheelEvent(self, event) -> None:  # noqa: N802, ANN001
        f = 1.25 ** (event.angleDelta().y() / 120)
        pos = event.position()
        x, y = (pos.x() - self.ox) / self.scale, (pos.y() - self.oy) / self.scale
        self.scale *= f
        self.ox, self.oy = pos.x() - x * self.scale, pos.y() - y * self.scale

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        self.drag_from = event.position()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.drag_from is not None:
            d = event.position() - self.drag_from
            self.drag_from = event.position()
            self.ox += d.x()
            self.oy += d.y()

    def hit(self, x: float, y: float) -> int | None:
        point = QPointF(x, y)
        for i in range(len(self.items) - 1, -1, -1):
            if self.items[i][0].containsPoint(point, Qt.FillRule.OddEvenFill):
                return i
        return None


# -- measuring ---------------------------------------------------------------------------------


def wheel_event(pos: QPoint, notches: float) -> QWheelEvent:
    return QWheelEvent(QPointF(pos), QPointF(pos), QPoint(0, 0), QPoint(0, int(120 * notches)),
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                       Qt.ScrollPhase.NoScrollPhase, False)


def mouse_event(kind: QMouseEvent.Type, pos: QPointF, button: Qt.MouseButton,
                buttons: Qt.MouseButton) -> QMouseEvent:
    return QMouseEvent(kind, pos, pos, button, buttons, Qt.KeyboardModifier.NoModifier)


STALLS: list[float] = []
CPU: dict[str, list[float]] = {}  # per frames() call: the interface thread's CPU time per frame


def frames(app: QApplication, widget: QWidget, events: list, pace: float = 1 / 60,
           name: str = "") -> list[float]:
    """Send each event and repaint at ``pace``; returns each frame's wall time in ms (the event
    and the repaint; CPU[name] gets the interface thread's CPU time for the same). Between
    frames the queued work (finished background renderings being put in place) runs; the
    longest such stretch is kept in STALLS."""
    times, cpu = [], []
    for event in events:
        start, start_cpu = time.perf_counter(), time.thread_time()
        QApplication.sendEvent(widget, event)
        widget.repaint()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        while time.perf_counter() - start < pace:
            t = time.perf_counter()
            app.processEvents()
            STALLS.append((time.perf_counter() - t) * 1000)
            time.sleep(0.001)
    CPU[name] = cpu
    return times


def pan_events(n: int, start: QPointF, step: QPointF, button: Qt.MouseButton) -> list:
    events = [mouse_event(QMouseEvent.Type.MouseButtonPress, start, button, button)]
    pos = QPointF(start)
    for _ in range(n):
        pos = pos + step
        events.append(mouse_event(QMouseEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton,
                                  button))
    events.append(mouse_event(QMouseEvent.Type.MouseButtonRelease, pos, button,
                              Qt.MouseButton.NoButton))
    return events


def exposed(app: QApplication, widget: QWidget, limit: float = 10.0) -> None:
    """Process events until the window system has shown ``widget`` (so repaint paints)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        app.processEvents()
        handle = widget.windowHandle()
        if handle is not None and handle.isExposed():
            return
        time.sleep(0.005)


def settle(app: QApplication, canvas: CanvasWidget, limit: float = 30.0) -> float:
    """Seconds until the background renderings are done."""
    start = time.perf_counter()
    while canvas.busy() and time.perf_counter() - start < limit:
        app.processEvents()
        time.sleep(0.002)
        canvas.repaint()
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: not inherited from a forking parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


LOAD, FRAME = -1.0, -2.0  # stand-ins for the labelme-way figures, measured last


def fmt(v: float) -> str:
    return f"{v:,.3f}" if v < 1 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


class Report:
    def __init__(self) -> None:
        self.rows: list[list] = []

    def add(self, name: str, ours: float, unit: str, theirs: float | None, target: str) -> None:
        self.rows.append([name, ours, unit, theirs, target])

    def compare(self, load: float, frame: float) -> None:
        for row in self.rows:
            row[3] = {LOAD: load, FRAME: frame}.get(row[3], row[3])

    def print(self) -> None:
        head = ("figure", "LabelHub", "labelme way", "ours / theirs", "target")
        lines = [head]
        for name, ours, unit, theirs, target in self.rows:
            ratio = "" if not theirs or theirs < 0 else \
                f"{ours / theirs:.4f} ({theirs / ours:,.0f}x faster)" if ours < theirs else \
                f"{ours / theirs:.2f} (slower)"
            shown = "-" if not theirs or theirs < 0 else f"{fmt(theirs)} {unit}"
            lines.append((name, f"{fmt(ours)} {unit}", shown, ratio, target))
        widths = [max(len(r[i]) for r in lines) for i in range(5)]
        for row in lines:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def shape_centre(packed: PackedShapes, i: int) -> tuple[float, float]:
    x, y, w, h = packed.params[i, :4]
    return x + w / 2, y + h / 2


def bench_scene(app: QApplication, n: int, workdir: Path, report: Report) -> None:
    image_path = workdir / "scene.jpg"
    t = time.perf_counter()
    make_image(image_path, IMAGE_W, IMAGE_H)
    packed = make_packed(n)
    objects = to_objects(packed)
    print(f"scene: {n:,} shapes on {IMAGE_W} x {IMAGE_H}, viewport {VIEW_W} x {VIEW_H} "
          f"(built in {time.perf_counter() - t:.1f} s; making the {n:,} geometry objects is the "
          f"caller's cost and not counted)")

    canvas = CanvasWidget()
    canvas.resize(VIEW_W, VIEW_H)
    canvas.show()
    exposed(app, canvas)
    for i, c in enumerate(CLASSES):
        canvas.set_label_color(c, PALETTE[i % len(PALETTE)])

    # Load: the image's quick preview and every shape, up to the first complete frame.
    loads = {}
    for kind in ("objects", "packed"):
        canvas.clear_shapes()
        canvas.clear_image()
        canvas.flush()
        t = time.perf_counter()
        canvas.open_image(image_path)
        if kind == "objects":
            canvas.set_shapes(objects)
        else:
            canvas.set_packed_shapes(packed)
        shapes_in = time.perf_counter() - t
        source = canvas.image_source
        canvas.flush(full_image=False)
        canvas.repaint()
        loads[kind] = time.perf_counter() - t
        source.wait()
        full_image = time.perf_counter() - t
        print(f"load ({kind}): shapes into the canvas {shapes_in * 1000:.0f} ms, first frame "
              f"{loads[kind] * 1000:.0f} ms, full-resolution image {full_image * 1000:.0f} ms")
    load_objects, load_packed = loads["objects"], loads["packed"]

    report.add("load item, shapes as objects -> first frame", load_objects * 1000, "ms",
               LOAD, "<= 500 ms")
    report.add("load item, shapes packed -> first frame", load_packed * 1000, "ms",
               LOAD, "<= 500 ms")
    report.add("  full-resolution image ready (background)", full_image * 1000, "ms", None, "")

    centre = QPoint(VIEW_W // 2, VIEW_H // 2)
    canvas.fit()
    canvas.flush()
    pans = frames(app, canvas, pan_events(60, QPointF(800, 500), QPointF(7, 3),
                                          Qt.MouseButton.MiddleButton), name="pan")
    report.add("pan frame at fit (median)", median(pans), "ms", FRAME, "<= 16 ms")
    report.add("  pan frame at fit (95th percentile)", float(np.percentile(pans, 95)), "ms",
               FRAME, "")
    report.add(f"  pan frame at fit, thread CPU (median; 95th {np.percentile(CPU['pan'], 95):.1f}"
               " ms)", median(CPU["pan"]), "ms", FRAME, "")
    # 16 notches in (35x), 8 back out: it ends zoomed in, at a scale never rendered before.
    zooms = frames(app, canvas, [wheel_event(centre + QPoint(37 * (i % 5), -23 * (i % 3)),
                                             1 if i < 16 else -1) for i in range(24)],
                   name="zoom")
    refine = settle(app, canvas)
    report.add("zoom frame, fit .. 35x .. 6x (median)", median(zooms), "ms", FRAME, "<= 16 ms")
    report.add("  zoom frame (95th percentile)", float(np.percentile(zooms, 95)), "ms",
               FRAME, "")
    report.add(f"  zoom frame, thread CPU (median; 95th {np.percentile(CPU['zoom'], 95):.1f}"
               " ms)", median(CPU["zoom"]), "ms", FRAME, "")
    report.add("  sharp again after the last zoom (background)", refine * 1000, "ms", None, "")
    canvas.zoom_to(1.0)
    canvas.center_on(IMAGE_W / 2, IMAGE_H / 2)
    canvas.flush()
    pans_1 = frames(app, canvas, pan_events(60, QPointF(800, 500), QPointF(-9, -5),
                                            Qt.MouseButton.MiddleButton))
    report.add("pan frame at 1:1 (median)", median(pans_1), "ms", FRAME, "<= 16 ms")
    t = time.perf_counter()
    canvas.fit()
    canvas.flush()
    full_render = time.perf_counter() - t
    report.add("  full re-render of all shapes at fit (background)", full_render * 1000, "ms",
               FRAME, "")

    # Moving one shape with the select tool, at fit and at 1:1.
    for label, scale in (("fit", None), ("1:1", 1.0)):
        if scale is None:
            canvas.fit()
        else:
            canvas.zoom_to(scale)
        canvas.flush()
        pick = None
        for i in range(0, n, 7):
            cx, cy = shape_centre(packed, i)
            w = canvas.image_to_widget(cx, cy)
            if 200 < w.x() < VIEW_W - 300 and 200 < w.y() < VIEW_H - 300 and \
                    canvas.shape_at(cx, cy) == packed.uids[i]:
                pick = w
                break
        assert pick is not None
        canvas.select(())
        events = pan_events(40, pick, QPointF(4, 2), Qt.MouseButton.LeftButton)
        moves = frames(app, canvas, events, name="move")
        report.add(f"move one shape at {label} (median)", median(moves), "ms", FRAME,
                   "<= 16 ms")
        report.add(f"  move one shape at {label} (worst frame)", max(moves), "ms", FRAME, "")
        report.add(f"  move one shape at {label}, thread CPU (median; worst "
                   f"{max(CPU['move']):.1f} ms)", median(CPU["move"]), "ms", FRAME, "")

    # The labelme way: a QPixmap of the whole image and one QPolygonF per shape, every shape
    # painted in every frame. Measured after ours, then hidden, so it never paints meanwhile.
    canvas.hide()
    t = time.perf_counter()
    pixmap = QPixmap(str(image_path))
    labelme = EveryShapeCanvas(pixmap, objects)
    labelme.resize(VIEW_W, VIEW_H)
    labelme.fit()
    labelme.show()
    exposed(app, labelme)
    labelme.repaint()
    labelme_load = time.perf_counter() - t
    labelme_frames = frames(app, labelme, pan_events(3, QPointF(800, 500), QPointF(6, 4),
                                                     Qt.MouseButton.LeftButton), pace=0)
    labelme_frame = median(labelme_frames[1:])
    labelme.hide()
    report.compare(labelme_load * 1000, labelme_frame)

    report.add("longest stretch of queued interface work between frames", max(STALLS), "ms",
               labelme_frame, "")

    # Hit tests at random points.
    rng = np.random.default_rng(9)
    points = rng.uniform((0, 0), (IMAGE_W, IMAGE_H), (2000, 2))
    canvas.fit()
    canvas.flush()
    times, cpu = [], []
    for x, y in points:
        t, c = time.perf_counter(), time.thread_time()
        canvas.shape_at(float(x), float(y))
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    theirs = []
    for x, y in points[:10]:
        t = time.perf_counter()
        labelme.hit(float(x), float(y))
        theirs.append((time.perf_counter() - t) * 1000)
    report.add("hit test (median)", median(times), "ms", median(theirs), "<= 1 ms")
    report.add("  hit test (99th percentile)", float(np.percentile(times, 99)), "ms",
               median(theirs), "")
    report.add("  hit test, thread CPU time (99th percentile)", float(np.percentile(cpu, 99)),
               "ms", median(theirs), "")
    print(f"main scene peak memory: {peak_rss_mb():,.0f} MB")
    canvas.shutdown()


# -- the huge image (each step in a fresh process, for honest time and memory) ----------------


def huge_child(image: Path, cache: Path) -> None:
    app = QApplication.instance() or QApplication([])
    t = time.perf_counter()
    canvas = CanvasWidget(cache_dir=cache)
    canvas.resize(VIEW_W, VIEW_H)
    canvas.show()
    exposed(app, canvas)
    canvas.open_image(image)
    canvas.flush(full_image=False)
    canvas.repaint()
    first = time.perf_counter() - t
    source = canvas.image_source
    reused = bool(getattr(source, "reused", False))
    source.wait()
    built = time.perf_counter() - t
    canvas.zoom_to(1.0)
    canvas.center_on(13_333, 6_667)
    t = time.perf_counter()
    canvas.repaint()
    settle(app, canvas)
    zoomed = time.perf_counter() - t
    print(json.dumps({"first_view": first, "pyramid_ready": built, "reused": reused,
                      "full_res_tiles": zoomed, "peak_mb": peak_rss_mb()}))


def bench_huge(workdir: Path, side: int, report: Report) -> None:
    image = workdir / "huge.jpg"
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--make-huge", str(image), "--side", str(side)],
                   check=True)
    print(f"huge image: {side} x {side} JPEG, {image.stat().st_size / 1e6:.0f} MB "
          f"(made in {time.perf_counter() - t:.0f} s)")
    cache = workdir / "cache"
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, __file__, "--huge-child", str(image),
                              "--cache", str(cache)], check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    t = time.perf_counter()
    QPixmap(str(image))  # the labelme way: one full decode (Qt refuses it at its default limit)
    labelme = time.perf_counter() - t
    first, second = runs
    report.add("huge: first view, first open", first["first_view"] * 1000, "ms", labelme * 1000,
               "<= 2500 ms")
    report.add("  huge: pyramid built (background)", first["pyramid_ready"] * 1000, "ms",
               None, "")
    report.add("huge: first view, later open", second["first_view"] * 1000, "ms", labelme * 1000,
               "<= 300 ms")
    report.add("  huge: full-resolution tiles at 1:1", second["full_res_tiles"] * 1000, "ms",
               None, "")
    report.add("huge: peak memory, first open", first["peak_mb"], "MB", None, "<= 1500 MB")
    report.add("huge: peak memory, later open", second["peak_mb"], "MB", None, "<= 1500 MB")


def make_huge(path: Path, side: int) -> None:
    from labelhub.media import configure_pillow

    configure_pillow()
    make_image(path, side, side, seed=4, grain=4.0)  # about 60 MB, like a large photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", type=int, default=100_000)
    parser.add_argument("--huge-side", type=int, default=20_000)
    parser.add_argument("--no-huge", action="store_true")
    parser.add_argument("--make-huge", type=Path)
    parser.add_argument("--side", type=int, default=20_000)
    parser.add_argument("--huge-child", type=Path)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.make_huge:
        make_huge(args.make_huge, args.side)
        return
    if args.huge_child:
        huge_child(args.huge_child, args.cache)
        return
    app = QApplication.instance() or QApplication([])
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="labelhub-canvas-bench-") as tmp:
        bench_scene(app, args.shapes, Path(tmp), report)
        if not args.no_huge:
            bench_huge(Path(tmp), args.huge_side, report)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print()
    report.print()


if __name__ == "__main__":
    main()
