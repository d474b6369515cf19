"""Importing images: dedupe, EXIF, refusals with a per-file report, all-or-nothing, cancel."""

from __future__ import annotations

import shutil
import struct
import threading
import zlib
from pathlib import Path

import pytest
from PIL import Image

from labelhub.errors import Cancelled, InvalidInput, NotFound
from labelhub.project import Project


def _png_claiming(path: Path, width: int, height: int) -> None:
    """A small, well-formed PNG whose header claims a huge size: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _media_files(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "media").rglob("*") if p.is_file())


def test_import_folder_recursively_with_progress(lead: Project, images_dir: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    report = lead.import_images("photos", [images_dir], progress=lambda d, t, m: calls.append((d, t, m)))
    assert sorted(report.imported) == ["gradient.png", "more/blue.png", "noise.jpg", "red.jpg"]
    assert not report.failed and not report.duplicates
    assert calls[0][:2] == (0, 4) and calls[-1][:2] == (4, 4)
    items = {i.name: i for i in lead.items("photos")}
    assert (items["red.jpg"].width, items["red.jpg"].height) == (64, 48)
    assert items["more/blue.png"].media_format == "png"
    assert len(_media_files(lead.folder)) == 4
    for item in items.values():
        assert lead.media_path(item.media_sha256).is_file()


def test_same_bytes_twice_is_one_media_file_and_reported(lead: Project, images_dir: Path) -> None:
    shutil.copy(images_dir / "red.jpg", images_dir / "more" / "red-copy.jpg")
    report = lead.import_images("photos", [images_dir])
    assert len(report.imported) == 4
    assert report.duplicates == [(str(images_dir / "more" / "red-copy.jpg"), f"same image as {images_dir / 'red.jpg'}")]
    # importing again: everything is already there, nothing is written
    seq = lead.seq()
    again = lead.import_images("photos", [images_dir])
    assert again.imported == [] and len(again.duplicates) == 5
    assert lead.seq() == seq
    # the same image in another dataset shares the media file
    lead.create_dataset("other")
    lead.import_images("other", [images_dir / "red.jpg"])
    assert len(_media_files(lead.folder)) == 4
    assert lead.info()["counts"]["media"] == 4


def test_exif_orientation_gives_the_displayed_size(lead: Project, tmp_path: Path) -> None:
    folder = tmp_path / "exif"
    folder.mkdir()
    img = Image.new("RGB", (80, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    exif[0x0132] = "2021:07:04 10:30:00"
    img.save(folder / "rotated.jpg", exif=exif.tobytes())
    lead.import_images("photos", [folder])
    item = lead.items("photos")[0]
    assert (item.width, item.height) == (20, 80)
    assert item.metadata["capture_time"].startswith("2021-07-04T10:30:00")


def test_bad_files_are_reported_and_the_rest_imports(lead: Project, images_dir: Path) -> None:
    good = images_dir / "red.jpg"
    data = good.read_bytes()
    (images_dir / "truncated.jpg").write_bytes(data[: len(data) // 2])
    png = (images_dir / "gradient.png").read_bytes()
    (images_dir / "truncated.png").write_bytes(png[:-20])
    (images_dir / "notes.jpg").write_text("not an image at all")
    _png_claiming(images_dir / "bomb.png", 100_000, 100_000)
    report = lead.import_images("photos", [images_dir])
    failed = {Path(f).name: reason for f, reason in report.failed}
    assert set(failed) == {"truncated.jpg", "truncated.png", "notes.jpg", "bomb.png"}
    assert "100000" in failed["bomb.png"] and "pixels" in failed["bomb.png"]
    assert "trunc" in failed["truncated.jpg"].lower() or "cut short" in failed["truncated.jpg"].lower()
    assert len(report.imported) == 4


def test_cancel_writes_nothing_and_leaves_no_media(lead: Project, images_dir: Path) -> None:
    cancel = threading.Event()
    seq = lead.seq()

    def progress(done: int, total: int, message: str) -> None:
        if done == 2:
            cancel.set()

    with pytest.raises(Cancelled, match="nothing was imported"):
        lead.import_images("photos", [images_dir], progress=progress, cancel=cancel)
    assert lead.seq() == seq
    assert lead.items("photos") == []
    assert _media_files(lead.folder) == []


def test_store_failure_rolls_back_the_whole_batch(lead: Project, images_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import labelhub.project.assets as assets

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(assets, "insert_rows", broken)
    seq = lead.seq()
    with pytest.raises(OSError, match="disk full"):
        lead.import_images("photos", [images_dir])
    assert lead.seq() == seq
    assert lead.items("photos") == [] and lead.info()["counts"]["media"] == 0
    assert _media_files(lead.folder) == []
    assert lead.audit_verify().ok


def test_a_file_changing_during_its_copy_fails_the_import_and_removes_the_copies(
        lead: Project, images_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copies run on a second thread; the failure of one of them still fails the whole import,
    names the file, and leaves no copied file behind (the earlier copies are removed)."""
    from labelhub.media.store import MediaStore

    real_put = MediaStore.put
    calls: list[Path] = []

    def put(self: MediaStore, src: Path, info, *, durable: bool = True):
        calls.append(Path(src))
        if len(calls) == 3:
            raise InvalidInput(f"{src}: the file changed while it was being imported")
        return real_put(self, src, info, durable=durable)

    monkeypatch.setattr(MediaStore, "put", put)
    seq = lead.seq()
    with pytest.raises(InvalidInput, match="changed while it was being imported") as caught:
        lead.import_images("photos", [images_dir])
    assert str(calls[2]) in str(caught.value)
    assert len(calls) >= 3
    assert lead.seq() == seq and lead.items("photos") == []
    assert _media_files(lead.folder) == []


def test_copies_are_flushed_with_one_file_system_sync(lead: Project, images_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux the copied files are made durable by one syncfs before any row names them; where
    syncfs is missing, every file is flushed in turn. Both import the same."""
    import os

    import labelhub.media.store as store

    synced: list[str] = []
    fsynced: list[int] = []
    real_syncfs, real_fsync = store._syncfs, os.fsync
    monkeypatch.setattr(store, "_syncfs", lambda folder: synced.append(str(folder)) or real_syncfs(folder))
    monkeypatch.setattr(store.os, "fsync", lambda fd: fsynced.append(fd) or real_fsync(fd))
    first = lead.import_images("photos", [images_dir])
    if os.uname().sysname == "Linux":
        assert synced == [str(lead.folder / "media")] and fsynced == []
    monkeypatch.setattr(store, "_syncfs", lambda folder: False)
    lead.create_dataset("again")
    other = images_dir.parent / "other"
    other.mkdir()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(other / "new.png")
    second = lead.import_images("again", [other])
    assert len(fsynced) >= 2  # the new file and its folder
    assert len(first.imported) == len(lead.items("photos")) and second.imported == ["new.png"]


def test_link_in_place(lead: Project, images_dir: Path) -> None:
    lead.import_images("photos", [images_dir], link=True)
    assert _media_files(lead.folder) == []
    item = next(i for i in lead.items("photos") if i.name == "red.jpg")
    assert lead.media_path(item.media_sha256) == (images_dir / "red.jpg").resolve()


def test_name_collisions_get_a_suffix(lead: Project, images_dir: Path, tmp_path: Path) -> None:
    lead.import_images("photos", [images_dir])
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(other / "red.jpg")
    report = lead.import_images("photos", [other])
    assert report.imported == ["red~2.jpg"]
    assert report.renamed == [(str(other / "red.jpg"), "red~2.jpg")]


def test_clear_errors(lead: Project, tmp_path: Path, images_dir: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        lead.import_images("photos", [tmp_path / "nope"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match="no images"):
        lead.import_images("photos", [empty])
    with pytest.raises(NotFound, match="no dataset named 'nope'; datasets: photos"):
        lead.import_images("nope", [images_dir])


def test_items_as_they_stood_at_an_earlier_change(lead: Project, images_dir: Path, tmp_path: Path) -> None:
    first = lead.import_images("photos", [images_dir / "red.jpg"]).seq
    lead.import_images("photos", [images_dir])
    assert [i.name for i in lead.items("photos", at_seq=first)] == ["red.jpg"]
    assert len(lead.items("photos")) == 4
