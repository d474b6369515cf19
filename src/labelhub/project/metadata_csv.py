"""Item metadata from a CSV file keyed by file name: good rows applied in one change, bad rows
reported with their line numbers."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from labelhub.errors import InvalidInput
from labelhub.project.item_edits import ItemEditsMixin, _NoChange, check_meta_value, revise_items
from labelhub.project.item_filter import RESERVED_KEYS, check_meta_key
from labelhub.store.tables import Item
from labelhub.store.versioned import current

_item = Item.__table__
#: Header names taken as the file-name column, in order of preference (case-insensitive).
KEY_COLUMNS = ("file", "file_name", "filename", "name", "image", "path")
MAX_CSV_BYTES = 200 * 1024 * 1024


@dataclass
class MetadataImportReport:
    """What a CSV import did: rows applied, rows refused (line, reason), fields, the change."""

    file: str
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    fields: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    seq: int | None = None

    def summary(self) -> str:
        text = f"{self.applied} items updated from {Path(self.file).name}"
        if self.unchanged:
            text += f", {self.unchanged} already had these values"
        if self.errors:
            text += f", {len(self.errors)} row{'s' if len(self.errors) != 1 else ''} refused"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "rows": self.rows, "applied": self.applied,
                "unchanged": self.unchanged, "fields": self.fields, "seq": self.seq,
                "errors": [{"line": line, "reason": reason} for line, reason in self.errors]}


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_CSV_BYTES // 2**20} MB; split it")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line {reader.line_num}: {exc}") from None
    lines = [(n, row) for n, row in lines if any(cell.strip() for cell in row)]
    if not lines:
        raise InvalidInput(f"{path}: empty; the first row must name the columns")
    header = [cell.strip() for cell in lines[0][1]]
    return header, lines[1:]


class MetadataCsvMixin(ItemEditsMixin):
    def import_metadata_csv(self, dataset: str, path: str | os.PathLike[str], *,
                            key_column: str | None = None) -> MetadataImportReport:
        """Set item metadata from a CSV file whose first row names the columns: one column
        names the file (``file``, ``name``, ... or ``key_column``), matched against item names,
        or their last path part when that is unique; every other column is a metadata field.
        An empty cell leaves that field as it is. Rows naming no item, an item twice, or
        holding a bad value are reported; the others are applied in one change."""
        source = Path(path).expanduser()
        header, rows = _read_rows(source)
        lowered = [h.lower() for h in header]
        if key_column is not None:
            if key_column.lower() not in lowered:
                raise InvalidInput(f"{source}: no column named {key_column!r}; columns: {', '.join(header)}")
            key_at = lowered.index(key_column.lower())
        else:
            key_at = next((lowered.index(k) for k in KEY_COLUMNS if k in lowered), -1)
            if key_at < 0:
                raise InvalidInput(f"{source}: no column naming the files; call one of them "
                                   f"{', '.join(KEY_COLUMNS[:3])} (columns: {', '.join(header)})")
        fields: list[tuple[int, str]] = []
        for i, name in enumerate(header):
            if i == key_at:
                continue
            try:
                key = check_meta_key(name)
            except InvalidInput as exc:
                raise InvalidInput(f"{source}: column {i + 1}: {exc}") from None
            if key in RESERVED_KEYS:
                raise InvalidInput(f"{source}: column {key!r} is kept by LabelHub itself")
            if key in (f for _i, f in fields):
                raise InvalidInput(f"{source}: the column {key!r} appears twice")
            fields.append((i, key))
        if not fields:
            raise InvalidInput(f"{source}: only the file column; add columns of metadata")

        report = MetadataImportReport(str(source), rows=len(rows), fields=[k for _i, k in fields])
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            names = dict(conn.execute(select(_item.c.name, _item.c.uid).where(
                _item.c.dataset_id == ds.id, current(_item))).all())
        by_base: dict[str, list[str]] = {}
        for name in names:
            by_base.setdefault(name.rsplit("/", 1)[-1], []).append(name)

        updates: dict[str, dict[str, str]] = {}
        first_line: dict[str, int] = {}
        for line, cells in rows:
            if len(cells) > len(header):
                report.errors.append((line, f"{len(cells)} cells, but the header has {len(header)}"))
                continue
            cells = cells + [""] * (len(header) - len(cells))
            wanted = cells[key_at].strip().replace("\\", "/")
            if not wanted:
                report.errors.append((line, "the file name is empty"))
                continue
            name = wanted if wanted in names else None
            if name is None:
                candidates = by_base.get(wanted.rsplit("/", 1)[-1], [])
                if len(candidates) > 1:
                    report.errors.append((line, f"{wanted} matches {len(candidates)} items: "
                                                f"{', '.join(sorted(candidates)[:3])}"))
                    continue
                if not candidates:
                    report.errors.append((line, f"no item named {wanted} in {ds.name}"))
                    continue
                name = candidates[0]
            uid = names[name]
            if uid in first_line:
                report.errors.append((line, f"{name} was already given on line {first_line[uid]}"))
                continue
            try:
                values = {key: check_meta_value(key, cells[i]) for i, key in fields if cells[i].strip()}
            except InvalidInput as exc:
                report.errors.append((line, str(exc)))
                continue
            first_line[uid] = line
            if values:
                updates[uid] = values
        if not updates:
            return report

        def apply(row: dict[str, Any]) -> dict[str, Any]:
            return {"meta": {**(row["meta"] or {}), **updates[row["uid"]]}}

        try:
            with self._change("items.edit_metadata", "dataset", dataset=ds.name, op="import_csv",
                              file=source.name, fields=report.fields, lines=report.rows,
                              refused=len(report.errors)) as tx:
                tx.pending.entity_uid = ds.uid
                report.applied, report.unchanged = revise_items(tx.conn, ds.id, list(updates), apply, tx.seq)
                if not report.applied:
                    raise _NoChange
                tx.detail["changed"] = report.applied
                report.seq = tx.seq
        except _NoChange:
            pass
        return report
