"""What the cleaning report measures in each image, computed once per file and cached.

From one reduced decode (longest side 256 px, JPEG DCT scaling where possible): a 64-bit
perceptual hash (DCT of a 32x32 grey image, the 8x8 lowest frequencies against their median),
the mean brightness, and the variance of the Laplacian (sharpness). Each file is also re-probed
(hash and structure) so missing, changed and truncated files are found.

The cache is ``cache/imagestats.sqlite`` in the project folder: derived data, keyed by SHA-256,
safe to delete. A file is re-probed when its size or modification time differ from when it was
last checked.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from labelhub.errors import Cancelled
from labelhub.media import BadImage, open_oriented, probe_image, to_display_mode

STATS_VERSION = 1
REDUCED_SIDE = 256
_HASH_SIDE = 32


@dataclass(frozen=True)
class ImageStats:
    phash: int  # 0 <= phash < 2**64
    brightness: float  # mean grey level, 0..255
    sharpness: float  # variance of the Laplacian of the reduced grey image
    contrast: float  # standard deviation of the grey levels


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


_DCT = _dct_matrix(_HASH_SIDE)
_BITS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def grey_stats(grey: np.ndarray) -> ImageStats:
    """Stats of a 2-D grey image (uint8 or float, values 0..255)."""
    g = np.asarray(grey, np.float32)
    if g.ndim != 2 or g.size == 0:
        raise ValueError("a 2-D grey image is needed")
    small = Image.fromarray(np.clip(g, 0, 255).astype(np.uint8)).resize(
        (_HASH_SIDE, _HASH_SIDE), Image.Resampling.BOX)
    coeffs = _DCT @ np.asarray(small, np.float64) @ _DCT.T
    low = coeffs[:8, :8].ravel()
    bits = (low > np.median(low[1:])).astype(np.uint64)
    phash = int((bits * _BITS).sum(dtype=np.uint64))
    if g.shape[0] >= 3 and g.shape[1] >= 3:
        lap = (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1])
        sharpness = float(lap.var())
    else:
        sharpness = 0.0
    return ImageStats(phash, float(g.mean()), sharpness, float(g.std()))


def image_stats(path: Path) -> ImageStats:
    """Decode ``path`` at reduced size and measure it. Raises BadImage if it cannot."""
    img = to_display_mode(open_oriented(path, max_side=REDUCED_SIDE))
    if img.mode in ("LA", "RGBA"):
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    return grey_stats(np.asarray(img.convert("L")))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


@dataclass(frozen=True)
class FileCheck:
    """The outcome for one media file: its stats, or what is wrong with it."""

    sha256: str
    stats: ImageStats | None
    problem: str | None


class StatsCache:
    """The per-project cache of image stats and file checks (an SQLite file in cache/)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "cache" / "imagestats.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS stats (sha256 TEXT PRIMARY KEY, version INTEGER, "
                               "phash INTEGER, brightness REAL, sharpness REAL, contrast REAL)")
            self._conn.execute("CREATE TABLE IF NOT EXISTS checked (sha256 TEXT PRIMARY KEY, "
                               "size INTEGER, mtime_ns INTEGER)")
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> StatsCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self, shas: Sequence[str]) -> dict[str, ImageStats]:
        out: dict[str, ImageStats] = {}
        with self._lock:
            for start in range(0, len(shas), 500):
                chunk = list(shas[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for sha, ph, b, s, c in self._conn.execute(
                    f"SELECT sha256, phash, brightness, sharpness, contrast FROM stats "
                    f"WHERE version = {STATS_VERSION} AND sha256 IN ({marks})", chunk):
                    out[sha] = ImageStats(int(ph) & 0xFFFFFFFFFFFFFFFF, b, s, c)
        return out

    def checked(self, shas: Sequence[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        with self._lock:
            for start in range(0, len(shas), 500):
                chunk = list(shas[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for sha, size, mtime in self._conn.execute(
                        f"SELECT sha256, size, mtime_ns FROM checked WHERE sha256 IN ({marks})", chunk):
                    out[sha] = (size, mtime)
        return out

    def put(self, stats: Iterable[tuple[str, ImageStats]], checked: Iterable[tuple[str, int, int]] = ()) -> None:
        rows = [(sha, STATS_VERSION, int(np.uint64(s.phash).view(np.int64)), s.brightness, s.sharpness,
                 s.contrast) for sha, s in stats]
        with self._lock:
            self._conn.executemany("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._conn.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?, ?)", list(checked))
            self._conn.commit()

    def forget(self, shas: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("DELETE FROM checked WHERE sha256 = ?", [(s,) for s in shas])
            self._conn.commit()


def _check_one(sha: str, path: Path, size: int) -> tuple[FileCheck, tuple[int, int] | None]:
    try:
        st = path.stat()
    except OSError:
        return FileCheck(sha, None, f"the file is missing: {path}"), None
    if st.st_size != size:
        return FileCheck(sha, None, f"the file changed since import ({st.st_size:,} bytes, "
                                    f"was {size:,}): {path}"), None
    try:
        info = probe_image(path)
        if info.sha256 != sha:
            return FileCheck(sha, None, f"the file's content changed since import: {path}"), None
        stats = image_stats(path)
    except BadImage as exc:
        return FileCheck(sha, None, exc.reason), None
    except OSError as exc:
        return FileCheck(sha, None, f"cannot be read ({exc.strerror or exc})"), None
    return FileCheck(sha, stats, None), (st.st_size, st.st_mtime_ns)


def check_files(cache: StatsCache, files: Sequence[tuple[str, str | Path, int]], *, recheck: bool = False,
                progress: Callable[[int, int, str], None] | None = None,
                cancel: threading.Event | None = None, workers: int | None = None) -> dict[str, FileCheck]:
    """Stats or a problem for each (sha256, path, size): from the cache when the file's size and
    time are as when last checked (and not ``recheck``), else re-probed and decoded in
    parallel, the results cached as they come."""
    shas = [f[0] for f in files]
    known = cache.stats(shas)
    seen = {} if recheck else cache.checked(shas)
    out: dict[str, FileCheck] = {}
    todo: list[tuple[str, Path, int]] = []
    for sha, path, size in files:
        mark = seen.get(sha)
        if mark is not None and sha in known:
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st is not None and (st.st_size, st.st_mtime_ns) == mark:
                out[sha] = FileCheck(sha, known[sha], None)
                continue
        todo.append((sha, Path(path), size))
    total = len(files)
    done = total - len(todo)
    if progress:
        progress(done, total, "measuring images")
    batch: list[tuple[str, ImageStats]] = []
    marks: list[tuple[str, int, int]] = []
    n_workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for start in range(0, len(todo), 64):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the cleaning report was cancelled")
            chunk = todo[start : start + 64]
            for check, mark in pool.map(lambda f: _check_one(*f), chunk):
                out[check.sha256] = check
                if check.stats is not None and mark is not None:
                    batch.append((check.sha256, check.stats))
                    marks.append((check.sha256, *mark))
            done += len(chunk)
            if progress:
                progress(done, total, chunk[-1][1].name)
            if len(batch) >= 512:
                cache.put(batch, marks)
                batch, marks = [], []
    cache.put(batch, marks)
    failed = [sha for sha, c in out.items() if c.problem]
    if failed:
        cache.forget(failed)
    return out
