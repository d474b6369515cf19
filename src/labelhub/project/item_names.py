"""A text search over the names of a dataset's items, answered in memory in a few tens of
milliseconds for a million names.

A ``LIKE '%text%'`` over a million names reads every entry of an index and tests each: 200 to
400 ms, whatever the text. Instead the names of the listing (``item_sets.Listing``, read in
the same pass as its ids) are kept as one byte array, lowercased, with the offset where each
name starts. A search looks for the first four bytes of the text as 32-bit words (four passes,
one per alignment, each over a quarter as many elements as there are bytes: a few
milliseconds), checks the rest of the text only at the few places found, and maps them back
to rows. Texts of two or three bytes use 16-bit words; one byte, a maximum per name.

Case is ignored the way the SQL path of a search ignores it: the text searched for is
lowercased, then SQLite's LIKE folds the ASCII letters of the names only (so the names here go
through ``bytes.lower``), while PostgreSQL lowers every letter of them (``str.lower``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WORDS = {2: np.dtype("<u2"), 4: np.dtype("<u4")}


@dataclass(frozen=True)
class NameIndex:
    """The names of ``n`` rows: ``text[starts[i]:starts[i + 1]]`` is row i's name, folded."""

    text: np.ndarray  # uint8
    starts: np.ndarray  # int64, n + 1 offsets
    ascii_only: bool  # fold ASCII letters only (SQLite), else every letter (PostgreSQL)

    def __len__(self) -> int:
        return len(self.starts) - 1

    @classmethod
    def from_texts(cls, joined: str, lengths: np.ndarray) -> NameIndex:
        """ASCII folding (SQLite), from the names concatenated without a separator and their
        lengths in UTF-8 bytes (both read by the database in one pass)."""
        text = np.frombuffer(joined.encode("utf-8", "surrogatepass").lower(), np.uint8)
        starts = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=starts[1:])
        if starts[-1] != len(text):
            raise ValueError("the name lengths do not add up to the text")
        return cls(text, starts, True)

    @classmethod
    def from_names(cls, names: Sequence[str], *, ascii_only: bool) -> NameIndex:
        encoded = [(n if ascii_only else n.lower()).encode("utf-8", "surrogatepass") for n in names]
        data = b"".join(encoded)
        text = np.frombuffer(data.lower() if ascii_only else data, np.uint8)
        starts = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=starts[1:])
        return cls(text, starts, ascii_only)

    def fold(self, needle: str) -> bytes:
        """The text searched for, as the SQL path has it: lowercased (every letter) first."""
        return needle.lower().encode("utf-8", "surrogatepass")

    def contains(self, needle: str) -> np.ndarray:
        """A boolean per row: does its name contain ``needle`` (ignoring case)?"""
        pattern = self.fold(needle)
        n, m, text = len(self), len(pattern), self.text
        if m == 0:
            return np.ones(n, bool)
        if n == 0 or len(text) < m:
            return np.zeros(n, bool)
        if m == 1:
            return self._rows_with_byte(pattern[0])
        width = 4 if m >= 4 else 2
        word = _WORDS[width]
        key = np.frombuffer(pattern[:width], word)[0]
        found = []
        for offset in range(width):  # the text may start at any alignment
            count = (len(text) - offset) // width
            if count > 0:
                words = text[offset : offset + count * width].view(word)
                found.append(np.flatnonzero(words == key) * width + offset)
        at = np.concatenate(found)
        at = at[at <= len(text) - m]
        for k in range(width, m):
            at = at[text[at + k] == pattern[k]]
        rows = np.searchsorted(self.starts, at, side="right") - 1
        whole = at + m <= self.starts[rows + 1]  # a match may not run into the next name
        out = np.zeros(n, bool)
        out[rows[whole]] = True
        return out

    def _rows_with_byte(self, value: int) -> np.ndarray:
        hit = (self.text == value).view(np.uint8)
        starts, ends = self.starts[:-1], self.starts[1:]
        named = ends > starts  # an empty name holds nothing (and would upset reduceat)
        out = np.zeros(len(self), bool)
        if named.any():
            out[named] = np.maximum.reduceat(hit, starts[named]) > 0
        return out
