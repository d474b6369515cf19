"""Reading the boxes of a dataset version for an export, a batch of items at a time, fast.

Most items of a big dataset hold boxes only, without attributes, z 0 and unchanged since the
version (a box's row still current). SQLite hands over those of a whole batch of items as one
text, in a single step of one query: each item's class uids and box texts joined by
``group_concat`` while the index on (label set, item, valid_to) is walked, which gives each
item's rows in drawing (id) order. The text is cut into each box's ``"x,y,w,h"`` by a few
passes over the bytes of the batch (no step per box), and the items are handed to the writers
as runs (:class:`~labelhub.formats.batches.ItemBatch`) with their boxes as columns of one
:class:`~labelhub.formats.BoxBlock`. Every other item is left to be read row by row
(:func:`labelhub.project.exchange._annotation_rows`).

The query runs on a thread of its own, one batch ahead: SQLite does its work without Python's
lock, so the reading of the next batch goes on while the formats write this one. (One step per
batch: a step per row would have to win the lock back from the writer each time.)
"""

from __future__ import annotations

import collections
import queue
import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection

from labelhub.formats import BoxBlock
from labelhub.formats.batches import picker
from labelhub.geometry.serial import box_json_number_lines

#: Annotations an item's rows cannot be handed over as plain boxes with.
# (A NULL class uid or geometry is skipped by group_concat, so the item's counts of class uids
# and of texts differ; both NULL on one row is told by the geometry.)
_SPECIAL = ("kind != 'box' OR z != 0 OR geometry IS NULL OR class_uid IS NULL OR "
            "(attributes IS NOT NULL AND attributes NOT IN ('{}', 'null'))")
# Per item: its uid, how many of its annotations are special, how many it has, their class
# uids (joined by commas) and their texts (one a line); each the items' joined by \x1e (in no
# uid or JSON).
_GROUPED = (
    "SELECT group_concat(item_uid, char(30)), group_concat(special, char(30)), "
    "group_concat(boxes, char(30)), group_concat(classes, char(30)), "
    "group_concat(geometry, char(30)) FROM ("
    "SELECT item_uid, count(CASE WHEN {special} THEN 1 END) AS special, count(*) AS boxes, "
    "coalesce(group_concat(class_uid, ','), '') AS classes, "
    "coalesce(group_concat(geometry, char(10)), '') AS geometry FROM annotation "
    "WHERE label_set_id = ? AND item_uid IN ({uids}) AND valid_to IS NULL AND valid_from <= ? "
    "GROUP BY item_uid)")
#: The plan _GROUPED must have for each item's texts to be in drawing order.
_GROUPED_PLAN = ["CO-ROUTINE (subquery-1)",
                 "SEARCH annotation USING INDEX ix_annotation_set_item_current "
                 "(label_set_id=? AND item_uid=? AND valid_to=?)",
                 "SCAN (subquery-1)"]
# Items with a row of the version that ended later (edited or deleted since).
_ENDED = ("SELECT group_concat(DISTINCT item_uid) FROM annotation WHERE label_set_id = ? AND "
          "item_uid IN ({uids}) AND valid_to > ? AND valid_from <= ?")
# Whether there is any such row ("+label_set_id": the rows ended after seq, by the index on
# valid_to, are few for a recent version and none for the newest; by the label set's index
# they would be all of its rows).
_ANY_ENDED = ("SELECT 1 FROM annotation WHERE valid_to > ? AND valid_from <= ? "
              "AND +label_set_id = ? LIMIT 1")

# A box's JSON text (``json.dumps(Box.to_dict())``) is this skeleton with its four numbers in
# the gaps; they are the only characters of these (JSON numbers without exponent).
_BOX_SKELETON = b'{"kind": "box", "x": , "y": , "w": , "h": }\n'
_NUMBER_BYTES = b"0123456789.-"
_SKELETON_BYTES = bytes(sorted(set(_BOX_SKELETON) - set(b",\n")))
_NOT_A_BOX = ("", "", "", "")
_EMPTY = BoxBlock([])


def grouped_reads(conn: Connection, gt: int, seq: int) -> bool | None:
    """Whether this database reads items' boxes grouped (:class:`BoxReader`): an SQLite whose
    plan for the query walks the index item by item, rows in id order. None: it does, and no
    annotation of label set ``gt`` at ``seq`` ended later (none to look for)."""
    if conn.dialect.name != "sqlite":
        return False
    sql = _GROUPED.format(special=_SPECIAL, uids="?, ?")
    plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}",
                                                   (0, "", "", 0)).fetchall()]
    if plan != _GROUPED_PLAN:
        return False
    return True if conn.exec_driver_sql(_ANY_ENDED, (seq, seq, gt)).first() else None


def box_lines(texts: list[str], count: int) -> tuple[list[str], bytes] | None:
    """The ``"x,y,w,h"`` lines of ``count`` boxes whose JSON texts are the lines of ``texts``
    (joined), and those lines joined by a line break and a comma (ASCII, for
    :class:`BoxBlock`), when every one is a box laid out as json.dumps writes
    ``Box.to_dict()`` with each number written with a point and no exponent (as Python writes
    a float from 1e-4 to 1e16: :func:`~labelhub.geometry.box_json_numbers` takes the same);
    None when any is not.

    A few passes over the bytes of all of them, none per box: the characters of the skeleton
    taken out leave the numbers and the separators, and those of the numbers taken out must
    leave the skeleton once per box. Each number then holds one point: the texts are JSON, so
    a number holds at most one, and there are four per box."""
    data = ("\n".join(texts) + "\n").encode("utf-8")
    numbers = data.translate(None, _SKELETON_BYTES)  # ",x,y,w,h\n" per box
    if (numbers.count(b".") != 4 * count
            or data.translate(None, _NUMBER_BYTES) != _BOX_SKELETON * count):
        return None
    numbers = numbers[1:-1]
    return numbers.decode("ascii").split("\n,"), numbers


def boxes_of(found: tuple[str | None, ...], ended: str | None, images: dict[str, str],
             labels: dict[str, str]) -> tuple[dict[str, int], list[str], BoxBlock, dict[str, str]]:
    """The items of ``images`` (uid -> name, in the order they are written) in ``found`` (the
    row of _GROUPED) whose annotations are all plain boxes of a label class (``labels``: class
    uid -> name): how many boxes each has, their class names and their numbers (a BoxBlock),
    each item's after the one before in the order of ``images``; and the other items of
    ``images`` (those with a special annotation, an annotation ended later (``ended``: their
    uids, joined by commas), or no annotation at all), to be read row by row."""
    rest = dict(images)
    if found[0] is None:
        return {}, [], _EMPTY, rest
    columns = [text.split("\x1e") for text in found]  # type: ignore[union-attr]
    gone = set(ended.split(",")) if ended else set()
    position = dict(zip(images, range(len(images)), strict=True))
    keys = list(map(position.get, columns[0]))
    if not gone and columns[1].count("0") == len(keys) and None not in keys:
        # The usual batch: every item found has plain boxes only. In the order of images
        # (the query gives them in uid order).
        pick = picker(sorted(range(len(keys)), key=keys.__getitem__))
        uids, counts, classes, texts = map(pick, (columns[0], *columns[2:]))
    else:
        picked = sorted((position[uid], uid, *rest_of_columns)
                        for uid, special, *rest_of_columns in zip(*columns, strict=True)
                        if special == "0" and uid not in gone and uid in position)
        uids, counts, classes, texts = ([row[k] for row in picked] for k in range(1, 5))
    chosen = list(zip(uids, map(int, counts), strict=True))
    names = list(map(labels.get, ",".join(classes).split(","))) if chosen else []
    if len(names) != sum(n for _, n in chosen):
        return {}, [], _EMPTY, rest  # (not as the query promises: every item row by row)
    if None in names:  # a class gone at the version: those items row by row
        kept, kept_texts, kept_names, start = [], [], [], 0
        for (uid, n), item_geometry in zip(chosen, texts, strict=True):
            if None not in names[start:start + n]:
                kept.append((uid, n))
                kept_texts.append(item_geometry)
                kept_names += names[start:start + n]
            start += n
        chosen, texts, names = kept, kept_texts, kept_names
    found_lines = box_lines(texts, len(names)) if chosen else ([], b"")
    text: bytes | None = None
    if found_lines is not None:
        lines, text = found_lines
    else:  # a number written otherwise: find the items that have one
        numbers = box_json_number_lines("\n".join(texts))
        if len(numbers) != len(names):
            return {}, [], _EMPTY, rest
        lines, kept, kept_names, start = [], [], [], 0
        for uid, n in chosen:
            boxes = numbers[start:start + n]
            if _NOT_A_BOX not in boxes:
                lines += map(",".join, boxes)
                kept.append((uid, n))
                kept_names += names[start:start + n]
            start += n
        chosen, names = kept, kept_names
    for uid, _n in chosen:
        del rest[uid]
    return dict(chosen), names, BoxBlock(lines, text), rest


class BoxReader:
    """Runs the grouped queries of batches of items in the order they are submitted, on the
    DB-API connection of a read transaction, on a thread of its own (see the module
    documentation) when SQLite serializes the use of a connection by several threads (its
    usual build; ``sqlite3.threadsafety`` 3), else when each batch is taken."""

    def __init__(self, dbapi: sqlite3.Connection, gt: int, seq: int, ended_any: bool,
                 threaded: bool | None = None) -> None:
        self._dbapi, self._gt, self._seq, self._ended_any = dbapi, gt, seq, ended_any
        self._waiting: collections.deque[list[str]] = collections.deque()
        self._results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._requests: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if threaded if threaded is not None else sqlite3.threadsafety == 3:
            self._thread = threading.Thread(target=self._run, name="labelhub-export-reads",
                                            daemon=True)
            self._thread.start()

    def submit(self, uids: list[str]) -> None:
        """Start reading the items ``uids`` (the next batch)."""
        if self._thread is not None:
            self._requests.put(uids)
        else:
            self._waiting.append(uids)

    def take(self) -> tuple[tuple[str | None, ...], str | None]:
        """(grouped row, ended items) of the oldest batch submitted and not taken."""
        if self._thread is None:
            cursor = self._dbapi.cursor()
            try:
                return self._read(cursor, self._waiting.popleft())
            finally:
                cursor.close()
        result = self._results.get()
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the thread once the batches submitted are read (their results are dropped)."""
        if self._thread is not None:
            self._requests.put(None)
            self._thread.join()

    def _read(self, cursor: sqlite3.Cursor, uids: list[str]) -> tuple[tuple[str | None, ...], str | None]:
        # One step each: the work is done in SQLite, without Python's lock.
        marks = ", ".join("?" * len(uids))
        ended = None
        if self._ended_any:
            ended = cursor.execute(_ENDED.format(uids=marks),
                                   (self._gt, *uids, self._seq, self._seq)).fetchone()[0]
        row = cursor.execute(_GROUPED.format(special=_SPECIAL, uids=marks),
                             (self._gt, *uids, self._seq)).fetchone()
        return row, ended

    def _run(self) -> None:
        cursor = self._dbapi.cursor()
        try:
            while (uids := self._requests.get()) is not None:
                try:
                    self._results.put(self._read(cursor, uids))
                except BaseException as exc:  # handed to the taker of the results
                    self._results.put(exc)
        finally:
            cursor.close()
