"""Dataset versions: one change-log seq each, with a manifest hash and counts.

Committing a version records the seq of its own change: the dataset as it stood then is
``valid_from <= seq AND (valid_to IS NULL OR valid_to > seq)`` over its versioned rows, so a
commit costs the same for ten items or a million. The manifest hash and the counts come from
the dataset's tally, which every change keeps in step (see ``project/tally.py``). A version is
never edited or deleted; tagging, re-tagging and deprecating are changes of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from labelhub.errors import InvalidInput, NotFound
from labelhub.project.core import Tx
from labelhub.project.diff import VersionDiff, diff_states
from labelhub.project.labels import LabelsMixin
from labelhub.project.tally import (
    ensure_tally,
    read_tally,
    scan_content,
    stats_of,
    update_tallies,
)
from labelhub.store.tables import Change, DatasetVersion, Member

_version = DatasetVersion.__table__
_change_t = Change.__table__
_member = Member.__table__

CURRENT = "current"
_NUMBER = re.compile(r"^[vV]?(\d+)$")
_TAG = re.compile(r"^[\w][\w.+@-]{0,63}$")


def check_tag(tag: str) -> str:
    """A valid tag, or InvalidInput saying why not."""
    tag = (tag or "").strip()
    if not tag:
        raise InvalidInput("a tag cannot be empty")
    if _NUMBER.match(tag) or tag.lower() == CURRENT:
        raise InvalidInput(f"{tag!r} cannot be a tag: it reads as a version number "
                           "(versions are named by number or by tag)")
    if not _TAG.match(tag):
        raise InvalidInput(f"{tag!r} cannot be a tag: use up to 64 letters, digits and . _ - + @, "
                           "starting with a letter or digit")
    return tag


@dataclass(frozen=True)
class VersionInfo:
    """A committed dataset version."""

    dataset: str
    number: int
    seq: int
    message: str
    tag: str | None
    author: str | None
    time: str
    manifest_hash: str
    stats: dict[str, Any] = field(default_factory=dict)
    deprecated_reason: str | None = None
    deprecated_seq: int | None = None

    @property
    def name(self) -> str:
        return f"v{self.number}"

    @property
    def label(self) -> str:
        """``v3`` or ``v3 (baseline)``."""
        return f"v{self.number} ({self.tag})" if self.tag else f"v{self.number}"

    @property
    def deprecated(self) -> bool:
        return self.deprecated_seq is not None

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "number": self.number, "seq": self.seq,
                "message": self.message, "tag": self.tag, "author": self.author,
                "time": self.time, "manifest_hash": self.manifest_hash, "stats": self.stats,
                "deprecated": self.deprecated, "deprecated_reason": self.deprecated_reason,
                "deprecated_seq": self.deprecated_seq}


@dataclass(frozen=True)
class ContentSummary:
    """A dataset as it stands now, as a version would record it."""

    dataset: str
    seq: int
    manifest_hash: str
    stats: dict[str, Any]
    latest: VersionInfo | None

    @property
    def changed(self) -> bool:
        """True when the content differs from the latest version (or there is none)."""
        return self.latest is None or self.latest.manifest_hash != self.manifest_hash


@dataclass(frozen=True)
class VersionCheck:
    """A version's stored manifest hash and counts against a fresh read of its rows."""

    ok: bool
    message: str
    stored_hash: str
    computed_hash: str


class VersionsMixin(LabelsMixin):
    # ------------------------------------------------------------------ derived tallies
    def _before_commit(self, tx: Tx) -> None:
        super()._before_commit(tx)
        update_tallies(tx.conn, tx.seq)

    # --------------------------------------------------------------------------- reading
    def _version_info(self, conn: Connection, dataset: str, row: Any) -> VersionInfo:
        change = conn.execute(select(_change_t.c.time).where(_change_t.c.seq == row.seq)).first()
        author = conn.scalar(select(_member.c.name).where(_member.c.id == row.member_id)) \
            if row.member_id else None
        return VersionInfo(dataset, row.number, row.seq, row.message, row.tag, author,
                           change.time if change else "", row.manifest_hash, dict(row.stats or {}),
                           row.deprecated_reason, row.deprecated_seq)

    def _version_row(self, conn: Connection, dataset_id: int, ref: int | str) -> Any:
        text = str(ref).strip()
        number = _NUMBER.match(text)
        q = select(_version).where(_version.c.dataset_id == dataset_id)
        q = q.where(_version.c.number == int(number.group(1))) if number else q.where(_version.c.tag == text)
        row = conn.execute(q).first()
        if row is None:
            known = [f"v{r.number}" + (f" ({r.tag})" if r.tag else "") for r in conn.execute(
                select(_version.c.number, _version.c.tag).where(_version.c.dataset_id == dataset_id)
                .order_by(_version.c.number))]
            listing = ", ".join(known) if known else "it has no versions yet"
            raise NotFound(f"no version {text!r} of this dataset; {listing}")
        return row

    def versions(self, dataset: str) -> list[VersionInfo]:
        """The dataset's versions, oldest first."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            rows = conn.execute(select(_version).where(_version.c.dataset_id == ds.id)
                                .order_by(_version.c.number)).all()
            return [self._version_info(conn, ds.name, r) for r in rows]

    def version(self, dataset: str, ref: int | str) -> VersionInfo:
        """A version by number (3, "3" or "v3") or by tag; ``.seq`` is the seq to read it at."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            return self._version_info(conn, ds.name, self._version_row(conn, ds.id, ref))

    def version_seq(self, dataset: str, ref: int | str) -> int:
        """The change-log seq of a version: pass it as ``at_seq`` to items(), annotations()..."""
        return self.version(dataset, ref).seq

    def content_summary(self, dataset: str) -> ContentSummary:
        """The dataset now: what committing a version would record, and whether it changed."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            tally = read_tally(conn, ds.id) or scan_content(conn, ds.id)
            stats = stats_of(tally, self._classes(conn, ds.id))
            last = conn.execute(select(_version).where(_version.c.dataset_id == ds.id)
                                .order_by(_version.c.number.desc()).limit(1)).first()
            latest = self._version_info(conn, ds.name, last) if last is not None else None
            seq = conn.scalar(select(func.max(_change_t.c.seq))) or 0
        return ContentSummary(ds.name, seq, tally.manifest_hash, stats, latest)

    def verify_version(self, dataset: str, ref: int | str) -> VersionCheck:
        """Read the version's rows afresh and compare with its manifest hash and counts."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            row = self._version_row(conn, ds.id, ref)
            tally = scan_content(conn, ds.id, row.seq)
            stats = stats_of(tally, self._classes(conn, ds.id, row.seq))
        computed = tally.manifest_hash
        if computed != row.manifest_hash:
            return VersionCheck(False, f"v{row.number}: its rows no longer give its manifest hash",
                                row.manifest_hash, computed)
        if stats != (row.stats or {}):
            return VersionCheck(False, f"v{row.number}: its rows no longer give its counts",
                                row.manifest_hash, computed)
        return VersionCheck(True, f"v{row.number}: manifest hash and counts match its rows",
                            row.manifest_hash, computed)

    # -------------------------------------------------------------------------- changing
    def commit_version(self, dataset: str, message: str, *, tag: str | None = None) -> VersionInfo:
        """Freeze the dataset as it stands now as its next version (O(1) in its size)."""
        message = (message or "").strip()
        if not message:
            raise InvalidInput("a version needs a message saying what it holds")
        tag = check_tag(tag) if tag else None
        with self._change("version.commit", "dataset_version", dataset=dataset, tag=tag) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            tally = ensure_tally(tx.conn, ds.id, tx.seq)
            stats = stats_of(tally, self._classes(tx.conn, ds.id))
            last = tx.conn.execute(select(_version).where(_version.c.dataset_id == ds.id)
                                   .order_by(_version.c.number.desc()).limit(1)).first()
            if last is not None and last.manifest_hash == tally.manifest_hash and last.deprecated_seq is None:
                raise InvalidInput(f"nothing changed in {ds.name} since v{last.number}; "
                                   "there is nothing new to commit")
            if tag is not None and (holder := self._tag_holder(tx.conn, ds.id, tag)) is not None:
                raise InvalidInput(f"the tag {tag!r} is already on v{holder.number}; move it "
                                   "with tag_version (labelhub version tag) or choose another")
            number = (last.number if last is not None else 0) + 1
            row = tx.insert_registry(_version, {
                "dataset_id": ds.id, "number": number, "seq": tx.seq, "message": message,
                "tag": tag, "member_id": self._member_id, "manifest_hash": tally.manifest_hash,
                "stats": stats, "deprecated_reason": None, "deprecated_seq": None})
            tx.detail.update(number=number, manifest_hash=tally.manifest_hash,
                             items=stats["items"], annotations=stats["annotations"])
            return VersionInfo(ds.name, number, tx.seq, message, tag, self.member.name,
                               "", row.manifest_hash, stats)

    def _tag_holder(self, conn: Connection, dataset_id: int, tag: str) -> Any:
        return conn.execute(select(_version).where(_version.c.dataset_id == dataset_id,
                                                   _version.c.tag == tag)).first()

    def tag_version(self, dataset: str, ref: int | str, tag: str | None) -> VersionInfo:
        """Give a version a tag, moving the tag from the version that had it (re-tag);
        ``tag=None`` removes the version's tag. One change; the version itself is unchanged."""
        tag = check_tag(tag) if tag is not None else None
        with self._change("version.tag", "dataset_version", dataset=dataset, version=str(ref),
                          tag=tag) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            row = self._version_row(tx.conn, ds.id, ref)
            if row.tag == tag:
                raise InvalidInput(f"v{row.number} already has the tag {tag!r}" if tag
                                   else f"v{row.number} has no tag")
            tx.detail.update(number=row.number, previous=row.tag)
            if tag is not None:
                holder = self._tag_holder(tx.conn, ds.id, tag)
                if holder is not None:
                    tx.update_registry(_version, holder.id, {"tag": None})
                    tx.detail["moved_from"] = holder.number
            row = tx.update_registry(_version, row.id, {"tag": tag})
            return self._version_info(tx.conn, ds.name, row)

    def deprecate_version(self, dataset: str, ref: int | str, reason: str) -> VersionInfo:
        """Mark a version deprecated, saying why. It stays listed, readable and exportable."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("say why the version is deprecated")
        with self._change("version.deprecate", "dataset_version", dataset=dataset,
                          version=str(ref), reason=reason) as tx:
            ds = self._dataset_row(tx.conn, dataset)
            tx.pending.entity_uid = ds.uid
            row = self._version_row(tx.conn, ds.id, ref)
            if row.deprecated_seq is not None:
                raise InvalidInput(f"v{row.number} was already deprecated: {row.deprecated_reason}")
            tx.detail["number"] = row.number
            row = tx.update_registry(_version, row.id, {"deprecated_reason": reason,
                                                        "deprecated_seq": tx.seq})
            return self._version_info(tx.conn, ds.name, row)

    # ------------------------------------------------------------------------------ diff
    def _ref_state(self, conn: Connection, ds: Any, ref: int | str) -> tuple[str, int, dict[str, Any]]:
        """(label, seq, stats) of a version reference or of ``current``."""
        if str(ref).strip().lower() == CURRENT:
            tally = read_tally(conn, ds.id) or scan_content(conn, ds.id)
            seq = conn.scalar(select(func.max(_change_t.c.seq))) or 0
            return "current", seq, stats_of(tally, self._classes(conn, ds.id))
        row = self._version_row(conn, ds.id, ref)
        label = f"v{row.number} ({row.tag})" if row.tag else f"v{row.number}"
        return label, row.seq, dict(row.stats or {})

    def diff_versions(self, dataset: str, a: int | str, b: int | str) -> VersionDiff:
        """What changed from version ``a`` to version ``b`` (numbers, tags, or "current"):
        items added, removed, moved between splits or renamed; ground-truth annotations added,
        removed or changed (geometry, class, attributes); label classes added, removed or
        changed; and the counts per class in each. Reads only the rows changed in between."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            before = self._ref_state(conn, ds, a)
            after = self._ref_state(conn, ds, b)
            return diff_states(conn, ds.id, ds.name, before, after)
