"""The child of the kill test: drives the real Annotate workspace with mouse and keys as fast as
it can and kills itself with SIGKILL at a random moment.

After every edit the window reports saved, it appends the seq of the change and the shapes the
canvas shows in the annotator's own label set to the record file, and fsyncs it: the parent
then checks that the project holds exactly that state at that seq.

    python kill_child.py PROJECT RECORD SEED KILL_AFTER_SECONDS
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from tests.annotate.conftest import click, drag  # noqa: E402

from labelhub.gui.annotate import AnnotateWorkspace  # noqa: E402
from labelhub.project import Project  # noqa: E402

CTRL = Qt.KeyboardModifier.ControlModifier


def canvas_state(ws: AnnotateWorkspace) -> list[list]:
    """(uid, class, shape) of every shape the canvas shows in the own label set, sorted."""
    store = ws.canvas.store
    out = []
    for uid, row in store.row_of.items():
        if store.layers[int(store.layer[row])].name == ws.target:
            out.append([uid, store.labels[row], store.geometry(row).to_dict()])
    return sorted(out)


def main() -> None:
    folder, record_path, seed, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rng = random.Random(seed)
    app = QApplication([])
    settings = QSettings(str(Path(record_path).with_suffix(".ini")), QSettings.Format.IniFormat)
    ws = AnnotateWorkspace(None, settings=settings)
    ws.resize(1200, 800)
    ws.set_project(Project.open(folder, user="ana", backup=False))
    ws.show()
    app.processEvents()
    ws.canvas.fit()
    record = open(record_path, "a", encoding="utf-8")
    last = ws.session.last_seq

    def keys(text: str | Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        ws.canvas.setFocus()
        QTest.keyClick(ws.canvas, text, mods)

    def edit() -> None:
        w, h = ws.item.width, ws.item.height
        x, y = rng.uniform(5, w - 60), rng.uniform(5, h - 60)
        choice = rng.random()
        shapes = ws.canvas.shapes()
        if choice < 0.35 or not shapes:
            keys("w")
            drag(ws, (x, y), (x + rng.uniform(8, 50), y + rng.uniform(8, 50)), steps=3)
        elif choice < 0.5:
            keys("v")
            target = rng.choice(shapes)
            b = target.shape.bounds()
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            ws.canvas.select([target.uid])
            drag(ws, (cx, cy), (cx + rng.uniform(-5, 5), cy + rng.uniform(-5, 5)), steps=2)
        elif choice < 0.6:
            ws.canvas.select([rng.choice(shapes).uid])
            keys("v")
            keys(Qt.Key.Key_Delete)
        elif choice < 0.72:
            keys("z", CTRL)
        elif choice < 0.8:
            keys("z", CTRL | Qt.KeyboardModifier.ShiftModifier)
        elif choice < 0.88:
            ws.canvas.select([rng.choice(shapes).uid])
            keys(rng.choice("12"))
        elif choice < 0.94:
            keys("p")
            for dx, dy in ((0, 0), (30, 0), (30, 25)):
                click(ws, x + dx, y + dy)
            keys(Qt.Key.Key_Return)
        else:
            keys(rng.choice("da"))

    killer = threading.Timer(kill_after, lambda: os.kill(os.getpid(), signal.SIGKILL))
    killer.daemon = True
    killer.start()
    while True:
        edit()
        app.processEvents()
        if ws.session.last_seq != last:
            last = ws.session.last_seq
            line = json.dumps({"seq": last, "item": ws.item.uid, "state": canvas_state(ws)})
            record.write(line + "\n")
            record.flush()
            os.fsync(record.fileno())


if __name__ == "__main__":
    main()
