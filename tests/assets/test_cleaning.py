"""The cleaning report on files built to trigger each finding, and acting on findings."""

from __future__ import annotations

import numpy as np
import pytest

from labelhub.errors import Cancelled, InvalidInput
from labelhub.geometry import Box
from labelhub.project import CleaningOptions, NewAnnotation
from labelhub.project.imagestats import StatsCache, grey_stats, hamming, image_stats
from labelhub.project.neardup import clusters, near_pairs
from labelhub.store.tables import Annotation
from labelhub.store.versioned import insert_rows

from .conftest import textured, uids_by_name


def cut_short(path) -> None:  # noqa: ANN001
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.fixture
def dirty(lead_project, dirty_folder):  # noqa: ANN001, ANN201
    p = lead_project
    p.create_dataset("ds")
    p.import_images("ds", [dirty_folder])
    p.create_dataset("other")
    p.import_images("other", [dirty_folder / "clean2.png"])
    u = uids_by_name(p, "ds")
    p.add_label_class("ds", "thing")
    gt = p.ground_truth("ds").uid
    for i in range(6):
        p.add_annotations(gt, u[f"clean{i}.png"], [NewAnnotation("thing", Box(2, 2, 20, 20))])
    # A label that leaves its image, as a tool that does not check bounds would write it
    # (LabelHub itself refuses such shapes): written as a change of its own.
    with p._change("groundtruth.edit", "annotation", op="add") as tx:
        set_id = tx.conn.exec_driver_sql("SELECT id FROM label_set WHERE uid = ?", (gt,)).scalar()
        class_uid = p.label_classes("ds")[0].uid
        insert_rows(tx.conn, Annotation.__table__, [{
            "label_set_id": set_id, "item_uid": u["clean3.png"], "class_uid": class_uid, "kind": "box",
            "geometry": Box(100, 80, 50, 40).to_dict(), "attributes": {}, "z": 0, "hidden": False,
            "locked": False, "sources": [], "created_by": None}], tx.seq)
    broken = p.item_details("ds", [u["broken.png"]]).paths[0]
    cut_short(broken)
    return p


def found(report, kind: str) -> list[tuple[str, ...]]:  # noqa: ANN001
    return sorted(f.names for f in report.of_kind(kind))


def test_every_finding_on_files_built_for_it(dirty) -> None:  # noqa: ANN001
    p = dirty
    steps: list[tuple[int, int, str]] = []
    report = p.cleaning_report("ds", progress=lambda d, t, m: steps.append((d, t, m)))
    assert report.items == 13 and steps
    assert found(report, "exact_duplicate") == [("clean2.png",)]
    assert report.of_kind("exact_duplicate")[0].extra["elsewhere"] == ["other/clean2.png"]
    assert found(report, "near_duplicate") == [("clean0.png", "near.jpg")]
    near = report.of_kind("near_duplicate")[0]
    assert near.value is not None and near.value <= 6 and len(near.extra["pairs"]) == 1
    assert found(report, "unreadable") == [("broken.png",)]
    assert "changed since import" in report.of_kind("unreadable")[0].detail
    assert found(report, "tiny") == [("tiny.png",)]
    assert found(report, "extreme_aspect") == [("wide.png",)]
    assert found(report, "too_dark") == [("dark.png",)]
    assert found(report, "too_bright") == [("bright.png",)]
    assert found(report, "blurry") == [("blurry.png",)]
    assert found(report, "no_labels") == [(n,) for n in sorted(
        ["near.jpg", "dark.png", "bright.png", "blurry.png", "tiny.png", "wide.png", "broken.png"])]
    outside = report.of_kind("label_outside")
    assert [f.names for f in outside] == [("clean3.png",)] and "outside the image" in outside[0].detail
    assert len(outside[0].annotations) == 1
    data = report.to_dict()
    assert data["counts"]["near_duplicate"] == 1 and data["findings"][0]["kind"] == "exact_duplicate"
    assert "1 near duplicates" in report.summary()


def test_stats_are_cached_and_truncated_files_are_found_again(dirty) -> None:  # noqa: ANN001
    p = dirty
    options = CleaningOptions(checks=("near_duplicate", "unreadable", "blurry"))
    p.cleaning_report("ds", options)
    with StatsCache(p.folder) as cache:
        shas = p.item_columns("ds", p.item_ids("ds")).sha256
        assert len(cache.stats(shas)) == 12  # every readable file measured once
    again = p.cleaning_report("ds", options)
    assert found(again, "unreadable") == [("broken.png",)]  # never cached as good
    assert found(again, "near_duplicate") == [("clean0.png", "near.jpg")]


def test_acting_on_findings(dirty) -> None:  # noqa: ANN001
    p = dirty
    u = uids_by_name(p, "ds")
    report = p.cleaning_report("ds", CleaningOptions(checks=("near_duplicate", "too_dark", "blurry")))
    near = report.of_kind("near_duplicate")[0]
    p.exclude_items("ds", near.items[1:], "near duplicate")  # keep the first of the group
    p.keep_findings("ds", [u["blurry.png"]], "blurry")
    p.tag_items("ds", [u["dark.png"]], add=["too_dark"])
    actions = [c.action for c in p.changes(limit=3)]
    assert actions == ["items.edit_metadata", "items.edit_metadata", "items.exclude"]
    after = p.cleaning_report("ds", CleaningOptions(checks=("near_duplicate", "too_dark", "blurry")))
    assert found(after, "near_duplicate") == [] and found(after, "blurry") == []
    assert found(after, "too_dark") == [("dark.png",)]  # a tag marks it, it does not settle it
    assert after.kept == 1 and "kept on purpose" in after.summary()
    assert p.audit_verify().ok


def test_cancel_and_options(dirty) -> None:  # noqa: ANN001
    import threading

    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        dirty.cleaning_report("ds", cancel=stop)
    with pytest.raises(InvalidInput, match="unknown check"):
        CleaningOptions(checks=("smudges",))
    report = dirty.cleaning_report("ds", CleaningOptions(checks=("tiny",), min_side=50))
    assert found(report, "tiny") == [("tiny.png",), ("wide.png",)]


def test_perceptual_hash_and_stats() -> None:
    sharp = np.asarray(textured(3, (128, 96)).convert("L"))
    a = grey_stats(sharp)
    b = grey_stats(np.asarray(textured(3, (128, 96)).convert("L").resize((100, 75))))
    c = grey_stats(np.asarray(textured(4, (128, 96)).convert("L")))
    assert hamming(a.phash, b.phash) <= 4 < hamming(a.phash, c.phash)
    assert 0 <= a.phash < 2**64 and a.sharpness > 100
    flat = grey_stats(np.full((40, 40), 7, np.uint8))
    assert flat.brightness == 7 and flat.sharpness == 0 and flat.contrast == 0


def test_image_stats_reads_files(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "x.png"
    textured(1).save(path)
    assert image_stats(path).brightness > 0
    cut_short(path)
    with pytest.raises(InvalidInput):
        image_stats(path)


def test_near_pairs_equal_brute_force_and_cluster() -> None:
    rng = np.random.default_rng(5)
    for trial in range(20):
        n = int(rng.integers(2, 300))
        base = rng.integers(0, 2**62, size=max(1, n // 4), dtype=np.uint64)
        h = base[rng.integers(0, len(base), n)].copy()
        for i in range(n):
            for bit in rng.integers(0, 64, size=int(rng.integers(0, 4))):
                h[i] ^= np.uint64(1) << np.uint64(int(bit))
        t = int(rng.integers(0, 9))
        i, j, d = near_pairs(h, t)
        bi, bj = np.triu_indices(n, 1)
        bd = np.bitwise_count(h[bi] ^ h[bj]).astype(np.int64)
        keep = bd <= t
        assert (list(i), list(j), list(d)) == (list(bi[keep]), list(bj[keep]), list(bd[keep])), trial
    groups = clusters(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert groups == [[0, 1, 2], [4, 5]]
    with pytest.raises(ValueError):
        near_pairs(h, 40)
