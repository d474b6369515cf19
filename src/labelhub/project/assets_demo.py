"""The demo's Assets step: provenance metadata for the photos (as a CSV import would give
it), generator metadata for the scenes, and a seeded, grouped split of the shapes."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

#: Per photo: (author, licence), from resources/samples/LICENSES.md.
PHOTO_CREDITS = {
    "astronaut.jpg": ("NASA", "Public domain"),
    "cameraman.jpg": ("Lav Varshney", "CC0"),
    "cat.jpg": ("Stefan van der Walt", "CC0"),
    "coffee.jpg": ("Rachel Michetti", "CC0"),
    "coffee-exif-rotated.jpg": ("Rachel Michetti", "CC0"),
    "rocket.jpg": ("SpaceX", "Public domain"),
}


def add_assets_demo(p: Any) -> None:
    """Metadata for both datasets and a 70/15/15 split of the shapes that keeps each batch of
    four scenes in one split."""
    with tempfile.TemporaryDirectory(prefix="labelhub-demo-csv-") as tmp:
        sheet = Path(tmp) / "photo-credits.csv"
        with open(sheet, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "author", "licence"])
            for name, (author, licence) in PHOTO_CREDITS.items():
                writer.writerow([name, author, licence])
        p.import_metadata_csv("photos", sheet)
    scenes = p.item_details("shapes", p.item_uids("shapes"))
    by_family: dict[str, list[str]] = {}
    for uid, name in zip(scenes.uids, scenes.names, strict=True):
        seed = int(name.split("-")[1].split(".")[0]) if name.startswith("scene-") else 0
        by_family.setdefault(f"batch {seed // 4 + 1}", []).append(uid)
    p.edit_metadata("shapes", scenes.uids, {"licence": "CC0", "generator": "labelhub.media.scenes"})
    for family, uids in sorted(by_family.items()):
        p.edit_metadata("shapes", uids, {"scene_batch": family})
    p.split_items("shapes", {"train": 0.7, "val": 0.15, "test": 0.15}, seed=1, group="meta:scene_batch")
