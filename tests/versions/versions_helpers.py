"""Helpers the versions and exchange tests share (imported by name: see conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from labelhub.project import Project
from labelhub.store.tables import Item
from labelhub.store.versioned import current, revise

#: name -> (width, height) of the images the ``scenes`` fixture imports.
SCENE_SIZES = {"a.png": (120, 80), "b.png": (100, 100), "c.jpg": (90, 60), "sub/d.png": (64, 64)}


def make_images(folder: Path, sizes: dict[str, tuple[int, int]] = SCENE_SIZES) -> Path:
    for i, (name, (w, h)) in enumerate(sorted(sizes.items())):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(i)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(target)
    return folder


def set_split(p: Project, dataset: str, names: Iterable[str], split: str | None) -> int:
    """Move items to a split in one change (the Assets workspace's split editing is another
    issue; this goes through the same door: one change, role checked, change log)."""
    table = Item.__table__
    with p._change("items.split", "item", dataset=dataset, split=split) as tx:
        ds = p._dataset_row(tx.conn, dataset)
        rows = tx.conn.execute(table.select().where(table.c.dataset_id == ds.id, current(table),
                                                    table.c.name.in_(list(names)))).all()
        for row in rows:
            revise(tx.conn, table, row.uid, {"split": split}, tx.seq)
        return tx.seq


def item_uid(p: Project, dataset: str, name: str) -> str:
    return next(i.uid for i in p.items(dataset) if i.name == name)
