"""Guard against the PySide6 build that loses a reference to None on every void Qt call.

PySide6 6.12.0 on Python 3.11 drops one reference to None each time a Qt method that returns
nothing is called; after a few thousand calls None's count reaches zero and the interpreter
aborts with "Fatal Python error: none_dealloc". The calls run in a child process so that an
abort shows up here as a failed test with its message, not as pytest vanishing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

CALLS = 100_000
ALLOWED_DROP = 50  # a few references may move during start-up work; a leak loses one per call

CHILD = textwrap.dedent(
    """
    import json
    import sys

    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    calls = int(sys.argv[1])
    app = QApplication([])
    widget = QWidget()
    label = QLabel(widget)
    thing = QObject()
    texts = ["first", "second"]

    # One warm-up round so lazily created bindings do not count against the loop.
    widget.setToolTip("warm-up")
    label.setText("warm-up")
    thing.setObjectName("warm-up")
    widget.setEnabled(True)

    before = sys.getrefcount(None)
    for i in range(calls // 4):
        text = texts[i & 1]
        widget.setToolTip(text)
        label.setText(text)
        thing.setObjectName(text)
        widget.setEnabled(True)
    after = sys.getrefcount(None)

    assert label.text() == texts[(calls // 4 - 1) & 1]
    print(json.dumps({"before": before, "after": after, "pyside": pyside_version}))
    """
)


def test_void_qt_calls_keep_none_alive() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(CALLS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert child.returncode == 0, (
        f"the child process making {CALLS} void Qt calls died with status {child.returncode}. "
        "If stderr says 'Fatal Python error: none_dealloc', the installed PySide6 drops "
        "references to None (6.12.0 does on Python 3.11; pin 6.11.3).\n"
        f"stderr:\n{child.stderr[-2000:]}"
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    drop = report["before"] - report["after"]
    assert drop <= ALLOWED_DROP, (
        f"None lost {drop} references over {CALLS} void Qt calls with PySide6 "
        f"{report['pyside']}: this build leaks None and will abort a long session"
    )
    assert elapsed < 30, f"{CALLS} Qt calls took {elapsed:.1f} s"
