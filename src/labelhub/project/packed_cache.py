"""The packed columns of large items, kept in ``cache/annotations`` between reads.

One file per (label set, item): a short header (JSON: the stamp of the rows it was made from,
the class list, each array's type and shape) and then the arrays' bytes, so a read is one file
read and a few array views, with no per-row work except splitting the uids. The cache is
derived data: a missing, stale or damaged file is simply read again from the database.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from labelhub.project.packed import PackedAnnotations, empty_packed

#: Items with at least this many annotations keep their packed columns in cache/.
CACHE_MIN_ROWS = 2000
_MAGIC = b"LHPACK2\n"
_ARRAYS = ("ids", "class_codes", "kinds", "params", "offsets", "xy", "visibility", "z", "hidden",
           "locked")
Stamp = tuple[int, int, str]


def cache_path(folder: Path, label_set: str, item: str) -> Path:
    return Path(folder) / "cache" / "annotations" / label_set / f"{item}.pack"


def _aligned(n: int) -> int:
    return (n + 7) // 8 * 8


_writers: list[threading.Thread] = []
_writers_lock = threading.Lock()


def wait_for_writes() -> None:
    """Wait for the cache files being written in the background."""
    with _writers_lock:
        pending = list(_writers)
    for thread in pending:
        thread.join()
    with _writers_lock:
        _writers[:] = [t for t in _writers if t.is_alive()]


def read_cache(path: Path) -> tuple[Stamp, PackedAnnotations] | None:
    """(stamp, columns) from a cache file; None when it is absent or unreadable."""
    wait_for_writes()
    try:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw[: len(_MAGIC)].tobytes() != _MAGIC:
            return None
        start = len(_MAGIC) + 8
        size = int.from_bytes(raw[len(_MAGIC): start].tobytes(), "little")
        header = json.loads(raw[start: start + size].tobytes())
        pos = _aligned(start + size)
        arrays = {}
        for name, dtype, shape in header["arrays"]:
            kind = np.dtype(dtype)
            nbytes = int(np.prod(shape)) * kind.itemsize
            if pos + nbytes > raw.size:
                return None
            arrays[name] = raw[pos: pos + nbytes].view(kind).reshape(shape)
            pos = _aligned(pos + nbytes)
        n = int(header["n"])
        text = raw[pos: pos + int(header["uid_bytes"])].tobytes().decode("utf-8")
        uids = text.split("\n") if n else []
        stamp = (int(header["stamp"][0]), int(header["stamp"][1]), str(header["stamp"][2]))
    except (OSError, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        return None  # absent or damaged: read the database instead
    if set(arrays) != set(_ARRAYS) or len(uids) != n or \
            any(arrays[k].shape[0] != n for k in _ARRAYS if k not in ("offsets", "xy", "visibility")) \
            or arrays["offsets"].shape != (n + 1,) or int(arrays["offsets"][-1]) != len(arrays["xy"]):
        return None
    packed = PackedAnnotations(uids=uids, class_list=list(header["classes"]),
                               flagged=np.zeros(n, dtype=bool), **arrays)
    return stamp, packed


def write_cache(path: Path, stamp: Stamp, packed: PackedAnnotations, *,
                background: bool = False) -> None:
    """Keep ``packed`` for the next read (large items without masks or tags only). With
    ``background``, the file is written on a thread of its own (the next read waits for it):
    the read that brought a cached item up to date after an edit need not wait for the disk."""
    wait_for_writes()
    if background:
        thread = threading.Thread(target=_write, args=(path, stamp, packed),
                                  name="labelhub-cache-write")
        with _writers_lock:
            _writers.append(thread)
        thread.start()
    else:
        _write(path, stamp, packed)


def _write(path: Path, stamp: Stamp, packed: PackedAnnotations) -> None:
    text = "\n".join(packed.uids)
    if packed.objects or len(packed) < CACHE_MIN_ROWS or text.count("\n") != len(packed) - 1:
        # Masks and tags are not cached, small items read fast anyway, and a uid with a line
        # break could not be split back: no file, and none left over from before.
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
        return
    data = text.encode("utf-8")
    like = empty_packed()
    arrays = [(k, np.ascontiguousarray(getattr(packed, k), dtype=getattr(like, k).dtype))
              for k in _ARRAYS]
    header = json.dumps({"stamp": list(stamp), "n": len(packed), "classes": packed.class_list,
                         "uid_bytes": len(data),
                         "arrays": [[k, a.dtype.str, list(a.shape)] for k, a in arrays]}).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(temp, "wb") as f:
            f.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            f.write(b"\0" * (_aligned(f.tell()) - f.tell()))
            for _name, a in arrays:
                f.write(a.data)
                f.write(b"\0" * (_aligned(f.tell()) - f.tell()))
            f.write(data)
        os.replace(temp, path)
    except OSError:
        pass  # the cache is an optimisation: a read-only or full disk only makes reads slower
