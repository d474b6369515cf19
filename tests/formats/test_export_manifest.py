"""Readers that take JSON files for label files pass over a LabelHub export's manifest.json,
known by what it holds (whatever it is called), and still read a label file called
manifest.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from formats_samples import SIZES, sample_document

from labelhub.formats import ReadOptions, read_dataset, write_document
from labelhub.formats._common import is_export_manifest

MANIFEST = {"labelhub_version": "1.0", "dataset": "d", "manifest_hash": "ab" * 32,
            "format": "labelme", "target": "labelme", "files": {"a.json": "cd" * 32},
            "schema": [], "counts": {}, "losses": [], "options": {}}


def _read(fmt: str, path: Path) -> list[tuple[str, str, str]]:
    doc = read_dataset(fmt, path, ReadOptions(image_sizes=SIZES))
    return sorted((a.image, a.label, repr(a.shape)) for a in doc.annotations)


def test_manifest_is_known_by_its_content() -> None:
    assert is_export_manifest(MANIFEST)
    assert not is_export_manifest({**MANIFEST, "files": []})
    assert not is_export_manifest({k: v for k, v in MANIFEST.items() if k != "manifest_hash"})
    assert not is_export_manifest({"version": "5.4.1", "shapes": [], "imagePath": "a.jpg"})
    assert not is_export_manifest([MANIFEST])


def test_labelme_reads_past_an_export_manifest_of_any_name(tmp_path: Path) -> None:
    write_document("labelme", tmp_path / "plain", sample_document())
    want = _read("labelme", tmp_path / "plain")
    shutil.copytree(tmp_path / "plain", tmp_path / "exported")
    (tmp_path / "exported" / "manifest.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "exported" / "sub" / "manifest (copy).json").write_text(json.dumps(MANIFEST))
    assert _read("labelme", tmp_path / "exported") == want
    # A labelme file called manifest.json is a labelme file.
    shutil.copytree(tmp_path / "plain", tmp_path / "named")
    (tmp_path / "named" / "a.json").rename(tmp_path / "named" / "manifest.json")
    assert _read("labelme", tmp_path / "named") == want


def test_coco_and_datumaro_read_past_an_export_manifest(tmp_path: Path) -> None:
    write_document("coco", tmp_path / "coco", sample_document())
    flat = tmp_path / "flat"  # the instances files and the manifest side by side
    flat.mkdir()
    for f in (tmp_path / "coco" / "annotations").iterdir():
        shutil.copy(f, flat / f.name)
    want = _read("coco", flat)
    assert want
    (flat / "manifest.json").write_text(json.dumps({**MANIFEST, "format": "coco"}))
    assert _read("coco", flat) == want
    assert _read("coco", flat / "manifest.json") == []  # the manifest alone: no labels in it
    (tmp_path / "manifest.json").write_text(json.dumps({**MANIFEST, "format": "datumaro"}))
    assert _read("datumaro", tmp_path / "manifest.json") == []
