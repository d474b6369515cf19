"""Runs of images handed to the writers together, as columns.

A store reading a dataset of a hundred thousand images hands most of them over as runs
(:class:`ItemBatch`): each a column per field of their images (names, sizes, splits, ...) and
their boxes as columns of one :class:`~labelhub.formats.model.BoxBlock`, with no object made
per image. A writer that knows runs (COCO) writes a run's images and boxes a column at a time;
every other writer, and any writer for a run it cannot take whole, sees its images one by one
as :class:`~labelhub.formats.model.Item` values, made from the columns when they are looked at.
The two give the same files byte for byte.

:class:`ItemStream` carries a mix of runs and single items, in order; iterating it gives
items only, so it is an ``Iterable[Item]`` like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from labelhub.formats.model import BoxBlock, Item, StoredAnnotations, image_record

_new_tuple = tuple.__new__


class ItemBatch:
    """A run of images, each with boxes only (none is fine): boxes without attributes, not
    crowds, ``checked`` against their image (see :class:`StoredAnnotations`).

    Image ``i`` is ``names[i]`` (``widths[i]`` x ``heights[i]``, in split ``splits[i]``, file
    hash ``sha256[i]``, metadata ``metadata[i]`` or None for none) with ``counts[i]`` boxes; the
    boxes of the run follow one another, image after image, in ``labels`` (their class names)
    and in the lines of ``block`` from line ``start``."""

    __slots__ = ("names", "widths", "heights", "splits", "sha256", "metadata", "counts",
                 "labels", "block", "start", "checked")

    def __init__(self, names: list[str], widths: list[int | None], heights: list[int | None],
                 splits: list[str | None], sha256: list[str | None],
                 metadata: list[Mapping[str, Any] | None], counts: list[int], labels: list[str],
                 block: BoxBlock, start: int = 0, checked: bool = False) -> None:
        n = len(names)
        if not (len(widths) == len(heights) == len(splits) == len(sha256) == len(metadata)
                == len(counts) == n):
            raise ValueError("the columns of a run of images differ in length")
        if sum(counts) != len(labels) or start < 0 or start + len(labels) > len(block.lines):
            raise ValueError(f"{len(labels)} boxes from {start} are not in a block of "
                             f"{len(block.lines)}, or not the sum of the images' counts")
        self.names, self.widths, self.heights, self.splits = names, widths, heights, splits
        self.sha256, self.metadata, self.counts = sha256, metadata, counts
        self.labels, self.block, self.start, self.checked = labels, block, start, checked

    def __len__(self) -> int:
        return len(self.names)

    def items(self) -> Iterator[Item]:
        """The run's images one by one, each with its boxes as StoredAnnotations."""
        boxes, block, labels, checked = StoredAnnotations.boxes, self.block, self.labels, self.checked
        first = 0
        for name, width, height, split, sha256, meta, n in zip(
                self.names, self.widths, self.heights, self.splits, self.sha256, self.metadata,
                self.counts, strict=True):
            anns = (boxes(name, labels[first:first + n], block, self.start + first, checked)
                    if n else ())
            first += n
            image = image_record(name, width, height, split, sha256, {} if meta is None else meta)
            yield _new_tuple(Item, (image, anns))


class ItemStream(Iterable[Item]):
    """Items in order, some of them given as runs (:class:`ItemBatch`). Iterating gives every
    item; :meth:`runs` gives the runs as they are, for a writer that takes them whole. Read
    once: it streams."""

    def __init__(self, runs: Iterable[Item | ItemBatch]) -> None:
        self._runs = runs

    def __iter__(self) -> Iterator[Item]:
        for run in self._runs:
            if type(run) is ItemBatch:
                yield from run.items()
            else:
                yield run  # type: ignore[misc]

    def runs(self) -> Iterator[Item | ItemBatch]:
        return iter(self._runs)


def runs_of(items: Iterable[Item]) -> Iterator[Item | ItemBatch]:
    """The runs of an :class:`ItemStream`, or any other iterable's items one by one."""
    return items.runs() if isinstance(items, ItemStream) else iter(items)


def picker(order: Sequence[int]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function giving the elements of a sequence at the positions ``order``, as a list (one
    step in C for all of them)."""
    if len(order) > 1:
        pick = itemgetter(*order)
        return lambda values: list(pick(values))
    positions = list(order)
    return lambda values: [values[k] for k in positions]
