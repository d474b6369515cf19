"""The Assets workspace at a million items, offscreen, against the targets of issue 4.

    python benchmarks/assets.py [--items 1000000] [--project PATH] [--near 100000]

Builds (once; reused when --project names an existing one) a project with one dataset of
ITEMS items. The rows are written straight through the store layer inside one real change
(media rows for files that do not exist: thumbnails show as missing, which costs nothing),
with metadata, splits, ground-truth labels on a tenth of the items and assignments on a
twentieth. Then, in this process, measures:

  * listing the datasets with their item counts (read from the tallies kept by every change:
    a few rows; <= 50 ms here, "cheap" in the issue);
  * opening the Assets workspace on the open project to the first painted grid (<= 100 ms);
    the workspace alone, or with --full-window the whole main window (whose other workspaces
    read the project only when first shown; benchmarks/window_open.py times opening it)
  * scroll frames of the grid: jumps down the list, each repainted (<= 16 ms)
  * filters over all items, as the window runs them: from setting the filter to its first
    screenful of rows in the model (<= 200 ms), each from an idle window, median and worst of
    three, beside the Project call alone; the grid lays the rows out afterwards, in batches
  * resident memory of the process after all that (<= 400 MB)
  * near-duplicate search over NEAR items with stored hashes (<= 10 s), and the cleaning
    report's near-duplicate check over NEAR items of a project whose hashes are cached

Prints each figure with its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from _figures import memory, report, rss_mb, status_mb  # noqa: E402  (benchmarks/)

from labelhub.project import CleaningOptions, ItemFilter, ItemQuery, MetaCondition, Project  # noqa: E402
from labelhub.project.imagestats import ImageStats, StatsCache  # noqa: E402
from labelhub.project.neardup import near_pairs  # noqa: E402
from labelhub.store.tables import Annotation, ImportBatch, Item, LabelClass, Media  # noqa: E402

SPLITS = ("train", "train", "train", "val", "test", None)


def build(folder: Path, n: int, dataset: str = "big") -> None:
    """A project whose dataset holds ``n`` items, written as one import change."""
    t0 = time.perf_counter()
    with Project.create(folder, lead="bench") as p:
        for name in ("ana", "ben"):
            p.add_member(name, "annotator")
        p.create_dataset(dataset, "generated for benchmarks/assets.py")
        p.add_label_class(dataset, "cat")
        p.add_label_class(dataset, "dog")
        gt = p.ground_truth(dataset).uid
        rng = np.random.default_rng(4)
        with p._change("images.import", "dataset", dataset=dataset, generated=n) as tx:
            conn = tx.conn
            raw = conn.connection.driver_connection
            ds = p._dataset_row(conn, dataset)
            media = Media.__table__
            first_media = (conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM media").scalar() or 0) + 1
            raw.executemany(
                "INSERT INTO media (id, sha256, ext, format, width, height, orientation, bytes, storage, "
                "location, exif_time, created_seq) VALUES (?, ?, 'jpg', 'jpeg', ?, ?, 1, ?, 'copy', ?, NULL, ?)",
                ((first_media + i, f"{i:064x}", 640 + i % 7 * 16, 480 + i % 5 * 16, 50_000 + i % 9973,
                  f"media/00/{i:064x}.jpg", tx.seq) for i in range(n)))
            assert media is not None
            batch = ImportBatch.__table__
            batch_id = conn.execute(batch.insert().values(
                uid=uuid.uuid4().hex, dataset_id=ds.id, seq=tx.seq, member_id=1,
                sources=["/generated"], counts={"imported": n})).inserted_primary_key[0]
            words = rng.integers(0, 10**6, n)
            uids = [uuid.uuid4().hex for _ in range(n)]
            raw.executemany(
                "INSERT INTO item (uid, dataset_id, media_id, name, split, meta, batch_id, valid_from) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((uids[i], ds.id, first_media + i, f"cam{i % 7}/img{int(words[i]):06d}_{i:07d}.jpg",
                  SPLITS[i % len(SPLITS)],
                  json.dumps({"source": f"/data/cam{i % 7}/img{i:07d}.jpg", "camera": f"cam{i % 7}",
                              "session": f"s{i // 50}"}),
                  batch_id, tx.seq) for i in range(n)))
            classes = dict(conn.execute(LabelClass.__table__.select().with_only_columns(
                LabelClass.__table__.c.name, LabelClass.__table__.c.uid)).all())
            set_id = conn.exec_driver_sql("SELECT id FROM label_set WHERE uid = ?", (gt,)).scalar()
            raw.executemany(
                "INSERT INTO annotation (uid, label_set_id, item_uid, class_uid, kind, geometry, attributes, "
                "z, hidden, locked, sources, valid_from) VALUES (?, ?, ?, ?, 'box', ?, '{}', 0, 0, 0, '[]', ?)",
                ((uuid.uuid4().hex, set_id, uids[i], classes["cat" if i % 3 else "dog"],
                  '{"kind": "box", "x": 10, "y": 10, "w": 40, "h": 30}', tx.seq) for i in range(0, n, 10)))
            raw.executemany(
                "INSERT INTO assignment (dataset_id, item_uid, member_id, state, comment, updated_seq) "
                "VALUES (?, ?, ?, ?, '', ?)",
                ((ds.id, uids[i], 2 + (i // 20) % 2, "submitted" if (i // 20) % 4 < 2 else "todo", tx.seq)
                 for i in range(5, n, 20)))
            assert Item and Annotation
        print(f"built {n:,} items in {time.perf_counter() - t0:.0f} s in {folder}")


def gui_figures(folder: Path, dataset: str, full_window: bool) -> None:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from labelhub.gui.app import prepare_application
    from labelhub.gui.assets import AssetsWorkspace

    app = QApplication.instance() or QApplication([sys.argv[0]])
    prepare_application(app)
    project = Project.open(folder, user="bench", backup=False)
    tmp = Path(tempfile.mkdtemp(prefix="labelhub-bench-settings-"))
    if full_window:
        from labelhub.gui.main_window import MainWindow
        from labelhub.gui.settings import AppSettings

        window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)),
                            demo_folder=tmp / "demo")
        page = window.assets
        shown = window
    else:
        # The Assets workspace on its own: what the other workspaces do when a project opens
        # is theirs to measure.
        page = AssetsWorkspace()
        shown = page
    shown.resize(1400, 900)
    shown.show()
    app.processEvents()
    grid = page.browser.grid

    class Painted(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.at: float | None = None

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and page.browser.model.rowCount() > 0 and self.at is None:
                self.at = time.perf_counter()
            return False

    painted = Painted()
    grid.viewport().installEventFilter(painted)
    listings = []
    for _ in range(5):  # the window lists them when it opens a project and after every change
        t0 = time.perf_counter()
        datasets = project.datasets()
        listings.append((time.perf_counter() - t0) * 1000)
    report("Project.datasets() with their item counts, median of 5", statistics.median(listings), 50, "ms")
    t0 = time.perf_counter()
    if full_window:
        window._set_project(project)
        page.show_dataset(dataset)
    else:
        page.set_project(project)
        page.set_datasets(datasets)
        page.show_dataset(dataset)
    while painted.at is None and time.perf_counter() - t0 < 300:
        app.processEvents()
    first = (painted.at or time.perf_counter()) - t0
    where = "the main window" if full_window else "the Assets workspace"
    report(f"open {where} on the open project -> first painted grid", first * 1000, 100, "ms")
    deadline = time.perf_counter() + 60
    while page.browser.model.loading and time.perf_counter() < deadline:
        app.processEvents()
    total = page.browser.model.rowCount()
    print(f"  ({total:,} items listed after {time.perf_counter() - t0:.2f} s)")

    bar = grid.verticalScrollBar()
    deadline = time.perf_counter() + 60
    while bar.maximum() < grid.gridSize().height() * (total // 10) and time.perf_counter() < deadline:
        app.processEvents()
    print(f"  (grid laid out after {time.perf_counter() - t0:.2f} s, in batches, the window responsive; "
          f"{memory()})")
    frames = []
    for k in range(1, 41):
        bar.setValue(int(bar.maximum() * k / 41))
        t = time.perf_counter()
        grid.viewport().repaint()
        frames.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    steps = []
    bar.setValue(bar.maximum() // 3)
    for _k in range(120):  # scrolling on with the wheel: 120 px a frame
        bar.setValue(bar.value() + 120)
        t = time.perf_counter()
        grid.viewport().repaint()
        steps.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    print(f"  (after scrolling: {memory()})")
    report("scroll frame, wheel steps of 120 px, median", statistics.median(steps), 16, "ms")
    report("scroll frame, wheel steps of 120 px, 95th percentile", float(np.percentile(steps, 95)), 16, "ms")
    report("scroll frame, 40 jumps across the grid, median", statistics.median(frames), 16, "ms")
    report("scroll frame, 40 jumps across the grid, worst", max(frames), 16, "ms")

    model = page.browser.model

    def settle(limit: float = 60) -> float:
        """Let the window finish what the last answer set off (the grid lays its rows out in
        batches, between events): run the event loop until a tenth of a second passes with
        the process idle. Returns how long that took."""
        t = time.perf_counter()
        while time.perf_counter() - t < limit:
            cpu = time.process_time()
            loop = QEventLoop()
            QTimer.singleShot(100, loop.quit)
            loop.exec()
            if time.process_time() - cpu < 0.01 and not model.loading:
                return max(0.0, time.perf_counter() - t - 0.1)
        return time.perf_counter() - t

    def answered(query: ItemQuery) -> tuple[float, float]:
        """From setting the filter to its rows in the model, the event loop idle meanwhile as
        in the window (a loop spinning on processEvents would take the worker's turns): the
        time, and the CPU time the process spent meanwhile (less when it waited for a CPU)."""
        loop = QEventLoop()
        model.loaded.connect(loop.quit)
        QTimer.singleShot(60000, loop.quit)
        t, cpu = time.perf_counter(), time.process_time()
        model.set_query(query)
        if model.loading:
            loop.exec()
        elapsed, used = time.perf_counter() - t, time.process_time() - cpu
        model.loaded.disconnect(loop.quit)
        return elapsed, used

    settle()
    for label, flt in [
        ("split = val", ItemFilter(splits=("val",))),
        ("name contains '12345'", ItemFilter(text="12345")),
        ("name contains 'img12'", ItemFilter(text="img12")),
        ("status = in annotation", ItemFilter(statuses=("in_annotation",))),
        ("has label class dog", ItemFilter(with_classes=("dog",))),
        ("has label class cat", ItemFilter(with_classes=("cat",))),
        ("annotator ana", ItemFilter(annotators=("ana",))),
        ("metadata camera = cam3", ItemFilter(meta=(MetaCondition("camera", "=", "cam3"),))),
    ]:
        runs, cpus, layouts = [], [], []
        for _ in range(3):
            elapsed, used = answered(ItemQuery(flt))
            runs.append(elapsed * 1000)
            cpus.append(used * 1000)
            layouts.append(settle())
            model.set_query(ItemQuery())
            settle()
        direct, direct_cpu = [], []
        for _ in range(5):
            t, cpu = time.perf_counter(), time.thread_time()
            project.item_ids(dataset, ItemQuery(flt))
            direct.append((time.perf_counter() - t) * 1000)
            direct_cpu.append((time.thread_time() - cpu) * 1000)
        matching = len(project.item_ids(dataset, ItemQuery(flt)))
        report(f"filter: {label} ({matching:,} items), median of 3", statistics.median(runs), 200, "ms")
        report("  ... worst of 3", max(runs), 200, "ms")
        print(f"  (CPU time meanwhile: median {statistics.median(cpus):.0f} ms. Project.item_ids alone: median "
              f"{statistics.median(direct):.0f} ms, {statistics.median(direct_cpu):.0f} ms of CPU. The grid then "
              f"laid out its rows in the background in {statistics.median(layouts) * 1000:.0f} ms)")
    model.set_query(ItemQuery())
    while model.loading:
        app.processEvents()
    report("resident memory", rss_mb(), 400, "MB")
    report("  ... the process's own (anonymous) pages", status_mb("RssAnon"), 400, "MB")
    shown.close()
    project.close()
    shutil.rmtree(tmp, ignore_errors=True)


def near_figures(n: int, workdir: Path) -> None:
    rng = np.random.default_rng(11)
    hashes = rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, size=n, dtype=np.uint64)
    dup = rng.choice(n, size=n // 50, replace=False)
    for a, b in zip(dup[::2], dup[1::2], strict=True):
        hashes[b] = hashes[a] ^ (np.uint64(1) << np.uint64(int(rng.integers(0, 64))))
    t = time.perf_counter()
    i, _j, _d = near_pairs(hashes, 6)
    report(f"near-duplicate search, {n:,} hashes ({len(i):,} pairs)", time.perf_counter() - t, 10, "s")

    folder = workdir / "near"
    build(folder, n, "near")
    with Project.open(folder, user="bench", backup=False) as p:
        cols = p.item_columns("near", p.item_ids("near"))
        # Stand-in files of the recorded sizes (sparse), measured before: the report stats
        # each file and reads the hashes from the cache, as for a dataset checked before.
        marks = []
        for sha, path, size in zip(cols.sha256, cols.paths, cols.file_sizes.tolist(), strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as f:
                f.truncate(size)
            st = path.stat()
            marks.append((sha, st.st_size, st.st_mtime_ns))
        with StatsCache(p.folder) as cache:
            cache.put([(sha, ImageStats(int(h), 120.0, 300.0, 40.0))
                       for sha, h in zip(cols.sha256, hashes, strict=True)], marks)
        t = time.perf_counter()
        result = p.cleaning_report("near", CleaningOptions(checks=("near_duplicate",)))
        elapsed = time.perf_counter() - t
    print(f"  (cleaning report: {len(result.findings):,} near-duplicate groups, "
          f"{sum(1 for f in result.findings if f.kind == 'near_duplicate')} found)")
    report(f"cleaning report near-duplicate check, {n:,} items, cached", elapsed, 10, "s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--near", type=int, default=100_000)
    ap.add_argument("--project", type=Path, help="build here once and reuse (default: a temporary folder)")
    ap.add_argument("--skip-gui", action="store_true")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--full-window", action="store_true",
                    help="open the whole main window (every workspace) instead of the Assets workspace")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="labelhub-bench-assets-"))
    try:
        folder = args.project or workdir / "project"
        if args.build_only:
            build(folder, args.items)
            return 0
        if not Project.is_project(folder):
            # Built by another process, so that what building costs in memory is not counted.
            subprocess.run([sys.executable, __file__, "--build-only", "--items", str(args.items),
                            "--project", str(folder)], check=True)
        if not args.skip_gui:
            gui_figures(folder, "big", args.full_window)
        if args.near:
            near_figures(args.near, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
