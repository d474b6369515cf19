"""Opening an item with 100,000 shapes through the Project into the Annotate workspace.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/annotate.py [--shapes N] [--folder F]

Builds (once, then reuses) a project with one 8000 x 6000 image holding N annotations, half
boxes and half 20-vertex polygons, coordinates to a hundredth of a pixel as the workspace saves
them. Prints the median of several runs of:

* the packed read (``Project.packed_annotations``) beside the plain read (``annotations``),
* the whole open: ``AnnotateWorkspace.show_item`` until the canvas holds every shape and the
  panels are filled, and until the first frame is drawn with every shape (over the image's
  quick preview) -- the issue's "opening the item with all its shapes", target <= 500 ms --
  the first time (no cache: every geometry parsed), again (the packed columns come from
  ``cache/annotations``) and after an edit (the cache brought up to date from the rows
  changed since); then the first sharp frame (the full-resolution image),
* one edit (a box moved) saved through the Project.

Wall times depend on what else the machine runs, so the interface thread's CPU time is
printed beside them, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from labelhub.geometry import Box, Polygon  # noqa: E402
from labelhub.project import NewAnnotation, Project  # noqa: E402

WIDTH, HEIGHT = 8000, 6000


def build(folder: Path, n: int) -> None:
    marker = folder / f"built-{n}"
    if marker.exists():
        return
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    (folder / "img").mkdir(parents=True)
    Image.new("RGB", (WIDTH, HEIGHT), (96, 104, 112)).save(folder / "img" / "big.jpg", quality=80)
    rng = np.random.default_rng(0)
    with Project.create(folder / "proj", lead="lena") as p:
        p.add_member("ana", "annotator")
        p.create_dataset("d")
        p.import_images("d", [folder / "img"])
        p.add_label_class("d", "car", kinds=["box", "polygon"])
        p.add_label_class("d", "tree", kinds=["box", "polygon"])
    with Project.open(folder / "proj", user="ana", backup=False) as p:
        item = p.items("d")[0].uid
        own = p.my_label_set("d").uid
        angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
        batch: list[NewAnnotation] = []
        for i in range(n):
            x, y = rng.uniform(60, WIDTH - 160), rng.uniform(60, HEIGHT - 160)
            if i % 2:
                batch.append(NewAnnotation("car", Box(round(x, 2), round(y, 2), round(rng.uniform(5, 90), 2),
                                                      round(rng.uniform(5, 90), 2))))
            else:
                r = rng.uniform(5, 40)
                pts = [(round(x + r * np.cos(t), 2), round(y + r * np.sin(t), 2)) for t in angles]
                batch.append(NewAnnotation("tree", Polygon(pts)))
            if len(batch) == 10_000:
                p.add_annotations(own, item, batch)
                batch = []
                print(f"  built {i + 1} shapes", flush=True)
        if batch:
            p.add_annotations(own, item, batch)
    marker.touch()


def median_ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/labelhub-bench-annotate"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    build(args.folder, args.shapes)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from labelhub.gui.annotate import AnnotateWorkspace
    from labelhub.gui.canvas import ShapeChanged

    project = Project.open(args.folder / "proj", user="ana", backup=False)
    item = project.items("d")[0]
    own = project.my_label_set("d").uid

    packed, plain = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        project.packed_annotations(own, item.uid)
        packed.append(time.perf_counter() - t)
    for _ in range(2):
        t = time.perf_counter()
        project.annotations(own, item.uid)
        plain.append(time.perf_counter() - t)

    app = QApplication.instance() or QApplication([])
    ws = AnnotateWorkspace(None, settings=QSettings(str(args.folder / "bench.ini"), QSettings.Format.IniFormat))
    ws.resize(1920, 1080)
    ws.show()
    app.processEvents()
    ws.set_project(project)
    ws.canvas.resize(1600, 1000)
    import shutil

    def open_item() -> tuple[float, float, float]:
        """(show_item, until drawn, CPU time until drawn) in seconds, then the full image."""
        ws.canvas.clear_shapes()
        ws.canvas.flush()
        t, cpu = time.perf_counter(), time.thread_time()
        ws.show_item("d", item.uid)
        shown = time.perf_counter() - t
        assert ws.canvas.shape_count() == args.shapes, ws.canvas.shape_count()
        ws.canvas.flush(full_image=False)
        ws.canvas.repaint()
        drawn, cpu = time.perf_counter() - t, time.thread_time() - cpu
        ws.canvas.image_source.wait()
        return shown, drawn, cpu

    shutil.rmtree(args.folder / "proj" / "cache" / "annotations", ignore_errors=True)
    cold = open_item()
    opens, frames = [], []
    for _ in range(args.runs):
        opens.append(open_item())
        t = time.perf_counter()
        ws.canvas.flush()
        ws.canvas.repaint()
        frames.append(time.perf_counter() - t)

    uid = ws.canvas.store.uids[1]
    old = ws.canvas.geometry_of(uid)
    edits = []
    for k in range(args.runs):
        new = old.translated(k + 1, 0)
        ws.canvas.select([uid])
        t = time.perf_counter()
        ws.canvas.commit(ShapeChanged(uid, ws.canvas.geometry_of(uid), new))
        edits.append(time.perf_counter() - t)
    after_edit = open_item()

    n = args.shapes
    shown, drawn, cpu = (median_ms([o[i] for o in opens]) for i in range(3))
    print(f"{n} shapes on one {WIDTH} x {HEIGHT} image, load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"packed read            {median_ms(packed):8.1f} ms   plain read {median_ms(plain):8.1f} ms   "
          f"ratio {median_ms(plain) / median_ms(packed):5.1f}x")
    print(f"open item, first time  {cold[1] * 1000:8.1f} ms   (parses every geometry, fills cache/; "
          f"CPU {cold[2] * 1000:.1f} ms)")
    print(f"open item (show_item)  {shown:8.1f} ms   (shapes in the canvas, panels filled)")
    print(f"open item until drawn  {drawn:8.1f} ms   CPU {cpu:6.1f} ms   target 500 ms   "
          f"ratio {drawn / 500:.2f}   {'OK' if drawn <= 500 else 'OVER'}")
    print(f"open item after edits  {after_edit[1] * 1000:8.1f} ms   (cache brought up to date; "
          f"CPU {after_edit[2] * 1000:.1f} ms)")
    print(f"first sharp frame      {median_ms(frames):8.1f} ms   (full-resolution image)")
    print(f"one edit saved         {median_ms(edits):8.1f} ms")
    project.close()


if __name__ == "__main__":
    main()
