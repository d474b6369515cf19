"""MediaStore: content addresses, atomic de-duplicated copies, verification."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from labelhub.errors import InvalidInput, NotFound
from labelhub.media import MediaStore, probe_image


@pytest.fixture
def store(tmp_path) -> MediaStore:
    return MediaStore(tmp_path / "project")


def leftovers(store: MediaStore) -> list[Path]:
    if not store.root.exists():
        return []
    return [p for p in store.root.rglob("*") if p.is_file() and p.name.startswith(".")]


def test_relpath_and_path_for(store):
    sha = "ab" + "0" * 62
    assert store.relpath(sha, ".jpg") == f"media/ab/{sha}.jpg"
    assert store.path_for(sha, ".jpg") == store.folder / "media" / "ab" / f"{sha}.jpg"
    assert store.folder / store.relpath(sha, ".png") == store.path_for(sha, ".png")


@pytest.mark.parametrize(
    ("sha", "ext"),
    [
        ("../../etc/passwd", ".jpg"),
        ("AB" + "0" * 62, ".jpg"),
        ("ab" + "0" * 61, ".jpg"),
        ("ab" + "0" * 62, ".exe"),
        ("ab" + "0" * 62, "jpg"),
        ("ab" + "0" * 62, ".jpeg"),
    ],
)
def test_bad_addresses_refused(store, sha, ext):
    with pytest.raises(InvalidInput):
        store.path_for(sha, ext)
    with pytest.raises(InvalidInput):
        store.relpath(sha, ext)


def test_put_copies_then_dedupes(samples, store):
    src = samples.image("photo.jpg", width=64, height=48)
    info = probe_image(src)
    rel, present = store.put(src, info)
    assert present is False
    assert rel == f"media/{info.sha256[:2]}/{info.sha256}.jpg"
    stored = store.folder / rel
    assert stored.read_bytes() == src.read_bytes()
    assert store.exists(info.sha256, ".jpg")
    mtime = stored.stat().st_mtime_ns

    again, present = store.put(src, info)
    assert (again, present) == (rel, True)
    assert stored.stat().st_mtime_ns == mtime
    assert leftovers(store) == []
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [stored.name]


def test_same_bytes_under_another_name_dedupes(samples, store):
    src = samples.image("one.png")
    copy = samples.write("two.png", src.read_bytes())
    first = store.put(src, probe_image(src))
    second = store.put(copy, probe_image(copy))
    assert first[0] == second[0]
    assert (first[1], second[1]) == (False, True)


def test_stored_under_the_canonical_extension_of_the_real_format(samples, store):
    jpeg_bytes = samples.image("real.jpg").read_bytes()
    disguised = samples.write("disguised.PNG", jpeg_bytes)
    rel, _ = store.put(disguised, probe_image(disguised))
    assert rel.endswith(".jpg")


def test_copy_of_wrong_size_is_refused_and_leaves_nothing(samples, store):
    src = samples.image("photo.png")
    info = dataclasses.replace(probe_image(src), bytes=src.stat().st_size + 1)
    with pytest.raises(InvalidInput, match="photo.png"):
        store.put(src, info)
    assert not store.path_for(info.sha256, info.ext).exists()
    assert leftovers(store) == []


def test_damaged_file_at_the_address_is_replaced(samples, store):
    src = samples.image("photo.png")
    info = probe_image(src)
    target = store.path_for(info.sha256, info.ext)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a file")
    rel, present = store.put(src, info)
    assert present is False
    assert target.read_bytes() == src.read_bytes()
    assert leftovers(store) == []


def test_missing_source_raises_not_found(samples, store):
    src = samples.image("photo.png")
    info = probe_image(src)
    src.unlink()
    with pytest.raises(NotFound, match="photo.png"):
        store.put(src, info)
    assert leftovers(store) == []


def test_verify(samples, store):
    src = samples.image("photo.bmp")
    info = probe_image(src)
    store.put(src, info)
    assert store.verify(info.sha256, info.ext)

    path = store.path_for(info.sha256, info.ext)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    assert not store.verify(info.sha256, info.ext)

    path.unlink()
    assert not store.verify(info.sha256, info.ext)
    other = hashlib.sha256(b"never stored").hexdigest()
    assert not store.verify(other, ".png")
