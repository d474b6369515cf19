"""Probing the files of an image import and copying them into the media store on two threads.

Each file is hashed, its header read and (unless it is linked in place) copied into the store.
Hashing, reading and copying release the GIL, so two threads overlap one file's hashing with
another's copy. (Worker processes were tried: started with "spawn" they re-run the caller's
main script, which breaks any script without a ``__main__`` guard, and on this 2-core machine
they were slower.) Results come back in the order of the files whatever the order the work
finished in. Every file copied is recorded in the caller's ``copied`` list as soon as its
task returns, also when the import fails or is cancelled, so the caller can remove the copies
nothing refers to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from labelhub.errors import Cancelled
from labelhub.media.probe import BadImage, ImageInfo, probe_image
from labelhub.media.store import MediaStore

Progress = Callable[[int, int, str], None]
#: (the image's facts, or None and the reason it is not a usable image)
Outcome = tuple[ImageInfo | None, str | None]

THREADS = 2


def _probe_chunk(paths: Sequence[str], store_folder: str | None,
                 ) -> tuple[list[Outcome], list[str], BaseException | None]:
    """Probe (and copy into the store of ``store_folder``) each file: (outcomes, the paths of
    the copies made, the error that stopped the chunk, if any). Runs on a worker thread; an
    error is returned rather than raised so the copies made before it are known."""
    store = MediaStore(Path(store_folder)) if store_folder is not None else None
    outcomes: list[Outcome] = []
    copied: list[str] = []
    try:
        for raw in paths:
            path = Path(raw)
            try:
                info = probe_image(path)
            except BadImage as exc:
                outcomes.append((None, exc.reason))
                continue
            if store is not None:
                _rel, present = store.put(path, info, durable=False)
                if not present:
                    copied.append(str(store.path_for(info.sha256, info.ext)))
            outcomes.append((info, None))
    except Exception as exc:  # noqa: BLE001 - handed to the caller, who raises it
        return outcomes, copied, exc
    return outcomes, copied, None


def probe_files(paths: Sequence[Path], store: MediaStore | None, copied: list[Path], *,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                cancelled: str = "cancelled") -> list[Outcome]:
    """The outcome of each of ``paths``, in order; files are copied into ``store`` unless it is
    None. Raises Cancelled(``cancelled``) when ``cancel`` is set, or the first error of a copy
    (a file that changed while it was read); ``copied`` then still lists every copy made."""
    total = len(paths)
    executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="labelhub-probe")
    folder = str(store.folder) if store is not None else None
    chunks = [[path] for path in paths]
    futures: list[Future[tuple[list[Outcome], list[str], BaseException | None]]] = []
    outcomes: list[Outcome] = []
    taken = 0  # futures whose copies are in ``copied``
    if progress and total:
        progress(0, total, paths[0].name)
    try:
        futures = [executor.submit(_probe_chunk, [str(p) for p in chunk], folder) for chunk in chunks]
        for future, chunk in zip(futures, chunks, strict=True):
            while True:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(cancelled)
                try:
                    part, made, error = future.result(timeout=0.1)
                    break
                except FutureTimeout:
                    continue
            taken += 1
            copied.extend(Path(p) for p in made)
            if error is not None:
                raise error
            outcomes += part
            if progress:
                progress(len(outcomes), total, chunk[-1].name)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        for future in futures[taken:]:  # chunks that finished meanwhile copied files too
            if future.done() and not future.cancelled() and future.exception() is None:
                copied.extend(Path(p) for p in future.result()[1])
        raise
    finally:
        executor.shutdown(wait=True)
    return outcomes
