"""Thumbnails made lazily on worker threads, the ones on screen first, cached on disk.

The grid asks for a thumbnail while it paints a tile; ``pixmap`` answers from memory or queues
the request and returns None. Workers take the newest request first (the tiles just painted),
and ``drop_pending`` forgets requests nobody has started when the view scrolls on, so a fast
scroll never queues thousands of decodes. Thumbnails are kept as JPEG files in
``<project>/cache/thumbs/ab/<sha256>-<size>.jpg`` (derived data, safe to delete), made with
``media.decode.make_thumbnail`` (reduced decode, EXIF orientation applied).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from labelhub.errors import LabelHubError
from labelhub.media import make_thumbnail

THUMB_SIDE = 192
MEMORY_ITEMS = 600
QUEUE_LIMIT = 400


def thumb_path(cache_folder: Path, sha256: str, side: int = THUMB_SIDE) -> Path:
    return cache_folder / "thumbs" / sha256[:2] / f"{sha256}-{side}.jpg"


def load_thumbnail(cache_folder: Path, sha256: str, source: Path, side: int = THUMB_SIDE) -> QImage:
    """The thumbnail of ``source`` as a QImage, from the disk cache or made and cached now.
    Raises LabelHubError (BadImage) or OSError when the image cannot be read."""
    cached = thumb_path(cache_folder, sha256, side)
    image = QImage(str(cached)) if cached.is_file() else QImage()
    if not image.isNull():
        return image
    data = make_thumbnail(source, side)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f"{cached.name}.{os.getpid()}.{threading.get_ident()}.part")
        part.write_bytes(data)
        os.replace(part, cached)
    except OSError:
        pass  # a read-only project still shows thumbnails; they are just not kept
    image = QImage()
    image.loadFromData(data, "JPEG")
    return image


class _Bridge(QObject):
    done = Signal(str, QImage, str)


class _Worker(QRunnable):
    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.loader = loader
        self.setAutoDelete(True)

    def run(self) -> None:
        while True:
            job = self.loader._take()
            if job is None:
                return
            sha, path, folder = job
            try:
                image = load_thumbnail(folder, sha, path)
                error = ""
            except (LabelHubError, OSError) as exc:
                image, error = QImage(), str(exc) or type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - a worker must never die silently
                image, error = QImage(), f"the thumbnail could not be made ({exc})"
            try:
                self.loader._bridge.done.emit(sha, image, error)
            except RuntimeError:  # the loader is gone
                return


class ThumbnailLoader(QObject):
    """Thumbnails for one project folder, scaled to fit ``box`` for painting."""

    ready = Signal(str)

    def __init__(self, box: QSize, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.box = box
        self._pool = QThreadPool(self)  # made first, so it is destroyed (and waited for) last
        self._pool.setMaxThreadCount(max(1, threads))
        self.cache_folder: Path | None = None
        self._lock = threading.Lock()
        self._queue: OrderedDict[str, Path] = OrderedDict()
        self._running = 0
        self._started: set[str] = set()
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._failed: dict[str, str] = {}
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._notify = QTimer(self)
        self._notify.setSingleShot(True)
        self._notify.setInterval(30)
        self._notify.timeout.connect(self._flush)
        self._fresh: set[str] = set()

    def set_folder(self, project_folder: Path | None) -> None:
        """Switch projects: forget everything queued and held."""
        self.drop_pending()
        self.cache_folder = project_folder / "cache" if project_folder is not None else None
        self._pixmaps.clear()
        self._failed.clear()

    def pixmap(self, sha256: str, source: Path) -> QPixmap | None:
        """The thumbnail if ready; otherwise queue it (newest first) and return None."""
        found = self._pixmaps.get(sha256)
        if found is not None:
            self._pixmaps.move_to_end(sha256)
            return found
        if sha256 in self._failed or self.cache_folder is None:
            return None
        with self._lock:
            if sha256 in self._started:
                return None
            self._queue[sha256] = source
            self._queue.move_to_end(sha256)
            while len(self._queue) > QUEUE_LIMIT:
                self._queue.popitem(last=False)
            start = self._running < self._pool.maxThreadCount()
            if start:
                self._running += 1
        if start:
            self._pool.start(_Worker(self))
        return None

    def has(self, sha256: str) -> bool:
        """The thumbnail is ready in memory."""
        return sha256 in self._pixmaps

    def failure(self, sha256: str) -> str | None:
        """Why the thumbnail of ``sha256`` could not be made, if it could not."""
        return self._failed.get(sha256)

    def drop_pending(self) -> None:
        """Forget requests not started yet (the view moved on)."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._running

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)

    def _take(self) -> tuple[str, Path, Path] | None:
        with self._lock:
            if not self._queue or self.cache_folder is None:
                self._running -= 1
                return None
            sha, path = self._queue.popitem(last=True)
            self._started.add(sha)
            return sha, path, self.cache_folder

    def _finished(self, sha: str, image: QImage, error: str) -> None:
        with self._lock:
            self._started.discard(sha)
        if error or image.isNull():
            self._failed[sha] = error or "the thumbnail could not be made"
        else:
            scaled = image.scaled(self.box, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            self._pixmaps[sha] = QPixmap.fromImage(scaled)
            while len(self._pixmaps) > MEMORY_ITEMS:
                self._pixmaps.popitem(last=False)
        self._fresh.add(sha)
        if not self._notify.isActive():
            self._notify.start()

    def _flush(self) -> None:
        fresh, self._fresh = self._fresh, set()
        for sha in fresh:
            self.ready.emit(sha)
