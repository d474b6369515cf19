"""What the Assets browser, the ``items`` commands and the API ask of a dataset's items: a
filter, a sort order, and the words for both. Plain values; ``project/items.py`` turns them
into SQL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from labelhub.errors import InvalidInput

#: Overall states of an item, in workflow order (see ``ItemsMixin`` for how each is decided).
STATUSES: tuple[str, ...] = ("unassigned", "in_annotation", "ready_for_review", "accepted")
STATUS_TITLES: dict[str, str] = {
    "unassigned": "Unassigned",
    "in_annotation": "In annotation",
    "ready_for_review": "Ready for review",
    "accepted": "Accepted",
}

#: Sort keys besides ``meta:KEY`` (any metadata field).
SORT_KEYS: dict[str, str] = {
    "name": "Name",
    "size": "Size (pixels)",
    "file_size": "File size",
    "split": "Split",
    "status": "Status",
    "labels": "Labels",
    "annotators": "Annotators",
}

#: Comparisons a metadata condition can make.
META_OPS: dict[str, str] = {
    "=": "is",
    "!=": "is not",
    "~": "contains",
    "?": "is set",
    "!?": "is not set",
}

#: The metadata fields every item may have, and what they mean. Any other key is free.
METADATA_FIELDS: dict[str, str] = {
    "source": "Where the file came from (set at import to its original path)",
    "capture_time": "When the photo was taken (from EXIF at import, else ISO 8601)",
    "licence": "Licence or terms of use of this image",
}
#: Keys LabelHub manages itself: tags and the cleaning findings kept on purpose.
RESERVED_KEYS = ("tags", "kept")

_KEY_BAD = re.compile(r'[\x00-\x1f"\\]')
_TAG_OK = re.compile(r"^[\w][\w .+-]{0,63}$")


def check_meta_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise InvalidInput("a metadata field needs a name")
    if len(key) > 64 or _KEY_BAD.search(key):
        raise InvalidInput(f"metadata field name {key!r} is too long or has quotes, backslashes "
                           "or control characters")
    return key


def check_tag(tag: str) -> str:
    tag = (tag or "").strip()
    if not _TAG_OK.match(tag):
        raise InvalidInput(f"tag {tag!r} must be 1 to 64 letters, digits, spaces or . _ + - "
                           "(starting with a letter or digit)")
    return tag


@dataclass(frozen=True)
class MetaCondition:
    """One test of a metadata field: ``key op value`` with op one of META_OPS."""

    key: str
    op: str = "="
    value: str = ""

    def __post_init__(self) -> None:
        check_meta_key(self.key)
        if self.op not in META_OPS:
            raise InvalidInput(f"unknown metadata test {self.op!r}; tests are {', '.join(META_OPS)}")

    def describe(self) -> str:
        if self.op in ("?", "!?"):
            return f"{self.key} {META_OPS[self.op]}"
        return f"{self.key} {META_OPS[self.op]} “{self.value}”"


@dataclass(frozen=True)
class ItemFilter:
    """Which items to show. Empty fields do not filter; the fields combine with AND, the
    values inside one field with OR (``splits=("train", "val")`` is train or val).

    ``splits`` uses "" for items without a split. ``with_classes`` keeps items whose ground
    truth has a label of any of those classes; ``without_classes`` keeps items with none of
    them. ``annotators`` are member names (assigned to the item or with labels on it);
    ``batches`` are import batch uids.
    """

    text: str = ""
    splits: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    with_classes: tuple[str, ...] = ()
    without_classes: tuple[str, ...] = ()
    annotators: tuple[str, ...] = ()
    batches: tuple[str, ...] = ()
    meta: tuple[MetaCondition, ...] = ()
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in STATUSES:
                raise InvalidInput(f"unknown status {status!r}; statuses are {', '.join(STATUSES)}")

    @property
    def empty(self) -> bool:
        return self == ItemFilter()

    def with_(self, **changes: object) -> ItemFilter:
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> list[str]:
        """The active parts, in words (for the window and the command line)."""
        parts: list[str] = []
        if self.text:
            parts.append(f"name contains “{self.text}”")
        if self.splits:
            parts.append("split " + " or ".join(s or "none" for s in self.splits))
        if self.statuses:
            parts.append(" or ".join(STATUS_TITLES[s].lower() for s in self.statuses))
        if self.with_classes:
            parts.append("labelled " + " or ".join(self.with_classes))
        if self.without_classes:
            parts.append("no " + " or ".join(self.without_classes))
        if self.annotators:
            parts.append("annotator " + " or ".join(self.annotators))
        if self.batches:
            parts.append(f"{len(self.batches)} import batch{'es' if len(self.batches) > 1 else ''}")
        parts += [m.describe() for m in self.meta]
        if self.tags:
            parts.append("tagged " + " or ".join(self.tags))
        return parts

    @classmethod
    def parse(cls, expressions: Iterable[str]) -> ItemFilter:
        """A filter from command-line expressions, each one of::

            name~TEXT  split=S[,S]  split=none  status=S[,S]  class=C[,C]  no-class=C[,C]
            annotator=M[,M]  batch=UID[,UID]  tag=T[,T]  meta:KEY=V  meta:KEY!=V  meta:KEY~V
            meta:KEY?  meta:KEY!?
        """
        values: dict[str, list[str]] = {}
        meta: list[MetaCondition] = []
        text = ""
        for raw in expressions:
            expr = raw.strip()
            if expr.startswith("meta:"):
                meta.append(_parse_meta(expr[5:], raw))
                continue
            if expr.startswith("name~"):
                text = expr[5:]
                continue
            key, sep, rest = expr.partition("=")
            if not sep or key not in _LIST_FIELDS:
                raise InvalidInput(
                    f"cannot read the filter {raw!r}; use name~TEXT, split=, status=, class=, "
                    "no-class=, annotator=, batch=, tag= or meta:KEY=VALUE")
            parts = [p.strip() for p in rest.split(",")]
            if key == "split":
                parts = ["" if p.lower() in ("", "none") else p for p in parts]
            else:
                parts = [p for p in parts if p]
            values.setdefault(_LIST_FIELDS[key], []).extend(parts)
        return cls(text=text, meta=tuple(meta), **{k: tuple(dict.fromkeys(v)) for k, v in values.items()})


_LIST_FIELDS = {"split": "splits", "status": "statuses", "class": "with_classes",
                "no-class": "without_classes", "annotator": "annotators", "batch": "batches",
                "tag": "tags"}


def _parse_meta(body: str, raw: str) -> MetaCondition:
    for op in ("!?", "?"):
        if body.endswith(op) and "=" not in body and "~" not in body:
            return MetaCondition(body[: -len(op)], op)
    for op in ("!=", "~", "="):
        key, sep, value = body.partition(op)
        if sep and key:
            return MetaCondition(key, op, value)
    raise InvalidInput(f"cannot read the filter {raw!r}; use meta:KEY=VALUE, meta:KEY~TEXT, "
                       "meta:KEY!=VALUE, meta:KEY? or meta:KEY!?")


@dataclass(frozen=True)
class ItemQuery:
    """A filter and an order: ``sort`` is one of SORT_KEYS or ``meta:KEY``."""

    filter: ItemFilter = field(default_factory=ItemFilter)
    sort: str = "name"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS and not self.sort.startswith("meta:"):
            known = ", ".join([*SORT_KEYS, "meta:KEY"])
            raise InvalidInput(f"cannot sort by {self.sort!r}; sort by {known}")
        if self.sort.startswith("meta:"):
            check_meta_key(self.sort[5:])


def split_names(names: Sequence[str]) -> tuple[str, ...]:
    """Check split names: short, no commas, equals signs or control characters."""
    out = []
    for raw in names:
        name = (raw or "").strip()
        if not name or len(name) > 40 or re.search(r"[\x00-\x1f,=]", name) or name.lower() == "none":
            raise InvalidInput(f"{raw!r} is not a usable split name (1 to 40 characters, no commas "
                               "or equals signs, and not 'none')")
        out.append(name)
    return tuple(out)
