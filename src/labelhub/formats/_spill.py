"""What a writer must remember of every image, kept on disk past ten thousand entries so that
its memory does not grow with the dataset: the names seen (to find one given twice) and where
each image's file goes (``WriteResult.media``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO


class _Spill:
    """Texts (without line breaks) appended to an anonymous temporary file ten thousand at a
    time and read back in order: what a writer must remember of every image without its memory
    growing with the dataset. Callers append to :attr:`buffer` and call :meth:`flush` when it
    holds :data:`_SPILL_AT` texts or more."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self.buffer: list[str] = []

    def flush(self) -> None:
        if self.buffer:
            if self._file is None:
                self._file = tempfile.TemporaryFile()
            self._file.write("\n".join(self.buffer).encode("utf-8") + b"\n")
            self.buffer.clear()

    def __iter__(self) -> Iterator[str]:
        if self._file is not None:
            self.flush()
            self._file.seek(0)
            for line in self._file:
                yield line[:-1].decode("utf-8")
            self._file.seek(0, os.SEEK_END)
        yield from list(self.buffer)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.buffer.clear()


_SPILL_AT = 10_000


class _SeenNames:
    """The image names given to a writer so far, to find one given twice. While they come in
    sorted order (as a project gives them) only the last is looked at and the others wait on
    disk; the first one out of order (or with a line break) brings them all back into a set."""

    def __init__(self) -> None:
        self._last = ""  # below every name (an empty one is refused before it is noted)
        self._spill: _Spill | None = _Spill()
        self._buffer = self._spill.buffer
        self._set: set[str] | None = None

    def add(self, name: str) -> bool:
        """Note ``name``; False when it was given before."""
        if name > self._last and self._spill is not None and "\n" not in name:
            self._last = name
            self._buffer.append(name)
            if len(self._buffer) >= _SPILL_AT:
                self._spill.flush()
            return True
        if self._set is None:
            assert self._spill is not None
            self._set = set(self._spill)
            self._spill.close()
            self._spill = None
        if name in self._set:
            return False
        self._set.add(name)
        return True

    def can_take_run(self, names: list[str]) -> bool:
        """Whether :meth:`take_run` takes ``names`` (none with a line break, known by the
        caller): they come after every name so far, in order, each once."""
        return (self._spill is not None and bool(names) and names[0] > self._last
                and all(map(str.__lt__, names, names[1:])))

    def take_run(self, names: list[str]) -> None:
        """Note ``names``, which :meth:`can_take_run` accepts, as :meth:`add` would each."""
        assert self._spill is not None
        self._last = names[-1]
        self._buffer += names
        if len(self._buffer) >= _SPILL_AT:
            self._spill.flush()

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()


class MediaPlaces(Mapping[str, list[str]]):
    """Where each image's file goes (``WriteResult.media``): image name -> relative paths,
    sorted by name, each list sorted. Kept on disk as the writer places the images (in memory
    once a path holds a line break), and read into memory only when looked at (a caller that
    copies no image never does)."""

    def __init__(self) -> None:
        self._spill = _Spill()
        self._buffer = self._spill.buffer
        self._last = ""
        self._sorted = True
        self._memory: dict[str, list[str]] | None = None  # once a path holds a line break
        self._places: dict[str, list[str]] | None = None

    def place(self, name: str, rel: str) -> None:
        if self._places is not None:
            raise RuntimeError("every image is placed before the places are looked at")
        if name < self._last:
            self._sorted = False
        self._last = name
        if self._memory is None and "\n" not in rel:  # (the path holds the name)
            self._buffer.append(f"{name}\0{rel}")
            if len(self._buffer) >= _SPILL_AT:
                self._spill.flush()
            return
        if self._memory is None:
            self._memory = self._read_spill()
        self._memory.setdefault(name, []).append(rel)

    def place_run(self, names: list[str], folders: list[str]) -> None:
        """Place each of ``names`` (none with a line break) at its folder (``folders[i]``,
        ending in a slash) + its name, as :meth:`place` would one by one."""
        if (self._memory is not None or self._places is not None
                or any("\n" in folder for folder in set(folders))):
            for name, folder in zip(names, folders, strict=True):
                self.place(name, folder + name)
            return
        if names:
            if names[0] < self._last or not all(map(str.__le__, names, names[1:])):
                self._sorted = False
            self._last = names[-1]
            self._buffer += map("{}\0{}{}".format, names, folders, names)
            if len(self._buffer) >= _SPILL_AT:
                self._spill.flush()

    def _read_spill(self) -> dict[str, list[str]]:
        places: dict[str, list[str]] = {}
        for text in self._spill:
            name, _, rel = text.partition("\0")
            places.setdefault(name, []).append(rel)
        self._spill.close()
        return places

    def _load(self) -> dict[str, list[str]]:
        if self._places is None:
            places = self._memory if self._memory is not None else self._read_spill()
            if not self._sorted:
                places = dict(sorted(places.items()))
            for rels in places.values():
                if len(rels) > 1:
                    rels.sort()
            self._places = places
        return self._places

    def __getitem__(self, name: str) -> list[str]:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        return f"MediaPlaces({self._load()!r})"
