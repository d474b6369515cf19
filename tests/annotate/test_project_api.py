"""The project side of the Annotate workspace: the packed read, several edits in one change,
what a change did to an item, copying between items, the queue and guideline images."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from labelhub.errors import InvalidInput
from labelhub.geometry import Box, Keypoints, Mask, Points, Polygon, Polyline, RotatedBox, Tag
from labelhub.project import AnnotationEdit, NewAnnotation, Project, guideline_images
from labelhub.project.packed import pack_rows


@pytest.fixture
def p(project_dir: Path):
    with Project.open(project_dir, user="ana", backup=False) as project:
        yield project


def _all_kinds() -> list[NewAnnotation]:
    import numpy as np

    bits = np.zeros((240, 320), dtype=np.uint8)
    bits[10:20, 30:50] = 1
    return [
        NewAnnotation("car", Box(1.5, 2.25, 30, 40), {"occluded": True}),
        NewAnnotation("car", RotatedBox(100, 100, 20, 10, 33.5)),
        NewAnnotation("car", Polygon([(1, 1), (50, 1.125), (25, 40)])),
        NewAnnotation("lane", Polyline([(1, 1), (5, 5.5), (9, 2)])),
        NewAnnotation("lane", Points([(7, 7)])),
        NewAnnotation("person", Keypoints([(1, 2), (3, 4), (0, 0)], (2, 1, 0))),
        NewAnnotation("car", Mask.from_array(bits)),
        NewAnnotation("day", Tag()),
    ]


def test_packed_read_matches_the_plain_read(p: Project) -> None:
    own = p.my_label_set("street").uid
    item = p.items("street")[0].uid
    p.add_annotations(own, item, _all_kinds())
    packed = p.packed_annotations(own, item)
    plain = p.annotations(own, item)
    assert packed.uids == [a.uid for a in plain]
    assert [packed.shape(i) for i in range(len(packed))] == [a.shape for a in plain]
    assert packed.flagged.tolist() == [bool(a.problems) for a in plain]


def test_packed_read_falls_back_when_the_text_is_laid_out_otherwise() -> None:
    rows = [("u1", None, "box", '{"x": 1, "kind": "box", "y": 2, "w": 3, "h": 4}', 0, False, False, None),
            ("u2", None, "polygon", '{"kind":"polygon","points":[[0,0],[4,0],[4,3]]}', 1, True, False, None)]
    packed = pack_rows(rows, {})
    assert packed.shape(0) == Box(1, 2, 3, 4)
    assert packed.shape(1) == Polygon([(0, 0), (4, 0), (4, 3)])
    assert packed.hidden.tolist() == [False, True]


def test_change_annotations_is_one_change_all_or_nothing(p: Project) -> None:
    own = p.my_label_set("street").uid
    item = p.items("street")[0].uid
    a, b = p.add_annotations(own, item, [NewAnnotation("car", Box(1, 1, 10, 10)),
                                         NewAnnotation("car", Box(20, 20, 10, 10))])
    before = p.seq()
    seq = p.change_annotations([AnnotationEdit(a, shape=Box(2, 2, 10, 10)), AnnotationEdit(b, z=5)])
    assert seq == before + 1
    change = p.item_change(own, item, seq)
    assert sorted(change.closed) == sorted([a, b]) and change.removed == ()
    with pytest.raises(InvalidInput, match="does not allow polyline"):
        p.change_annotations([AnnotationEdit(a, shape=Box(3, 3, 10, 10)),
                              AnnotationEdit(b, shape=Polyline([(0, 0), (5, 5)]))])
    assert {x.uid: x.shape for x in p.annotations(own, item)}[a] == Box(2, 2, 10, 10)
    undo = p.undo(seq)
    assert {x.uid: x.z for x in p.annotations(own, item)}[b] == 0
    assert set(p.item_change(own, item, undo).closed) == {a, b}


def test_copy_annotations_leaves_out_what_does_not_fit(p: Project) -> None:
    own = p.my_label_set("street").uid
    items = {i.name: i.uid for i in p.items("street")}
    p.add_annotations(own, items["a-street.png"], [NewAnnotation("car", Box(1, 1, 10, 10)),
                                                   NewAnnotation("car", Box(250, 200, 60, 30)),
                                                   NewAnnotation("day", Tag())])
    result = p.copy_annotations(own, items["a-street.png"], items["c-small.png"])
    assert len(result.uids) == 1 and len(result.skipped) == 1
    assert [a.shape for a in p.annotations(own, items["c-small.png"])] == [Box(1, 1, 10, 10)]
    assert p.annotation_counts(own) == {items["a-street.png"]: 3, items["c-small.png"]: 1}
    assert p.next_unlabeled("street", own, items["a-street.png"]).name == "b-field.png"


def test_guideline_images_are_stored_and_linked(project_dir: Path, tmp_path: Path) -> None:
    picture = tmp_path / "good.png"
    Image.new("RGB", (30, 20), (0, 120, 0)).save(picture)
    with Project.open(project_dir, user="lena", backup=False) as lead:
        cls = lead.add_guideline_image("street", "car", picture, "A good box")
        [(caption, sha)] = guideline_images(cls.guidelines)
        assert caption == "A good box" and cls.guidelines.startswith("Draw the whole car")
        assert lead.guideline_image_path(sha).read_bytes() == picture.read_bytes()
        assert lead.audit_verify().ok
        bad = tmp_path / "bad.png"
        bad.write_bytes(b"not an image")
        with pytest.raises(InvalidInput, match="bad.png"):
            lead.add_guideline_image("street", "car", bad)
    with Project.open(project_dir, user="ana", backup=False) as annotator, pytest.raises(Exception, match="lead"):
        annotator.add_guideline_image("street", "car", picture)


def test_packed_cache_is_reused_until_the_item_changes(p: Project, monkeypatch) -> None:
    from labelhub.project import packed_cache

    monkeypatch.setattr(packed_cache, "CACHE_MIN_ROWS", 1)
    own = p.my_label_set("street").uid
    item = p.items("street")[0].uid
    a, _b = p.add_annotations(own, item, [NewAnnotation("car", Box(1, 1, 10, 10)),
                                          NewAnnotation("lane", Polyline([(1, 1), (5, 5)]))])
    first = p.packed_annotations(own, item)
    path = p.folder / "cache" / "annotations" / own / f"{item}.pack"
    assert path.exists()
    again = p.packed_annotations(own, item)
    assert again.uids == first.uids and again.flagged.tolist() == [True, False]
    p.change_annotations([AnnotationEdit(a, shape=Box(2, 2, 10, 10), attributes={"occluded": False})])
    fresh = p.packed_annotations(own, item)
    assert fresh.shape(fresh.uids.index(a)) == Box(2, 2, 10, 10) and not fresh.flagged.any()
    path.write_bytes(b"damaged")
    assert p.packed_annotations(own, item).uids == fresh.uids


def test_packed_cache_is_brought_up_to_date_from_the_rows_changed_since(p: Project, monkeypatch) -> None:
    from labelhub.project import packed as packed_module
    from labelhub.project import packed_cache

    monkeypatch.setattr(packed_cache, "CACHE_MIN_ROWS", 1)
    reads: list[str] = []
    fetch = packed_module._fetch
    monkeypatch.setattr(packed_module, "_fetch", lambda conn, mine, when, extra=None: (
        reads.append("delta" if extra is not None else "full"), fetch(conn, mine, when, extra))[1])
    own = p.my_label_set("street").uid
    item = p.items("street")[0].uid
    uids = p.add_annotations(own, item, [NewAnnotation("car", Box(i, i, 10, 10)) for i in range(6)]
                             + [NewAnnotation("lane", Polyline([(1, 1), (5, 5.5), (9, 2)])),
                                NewAnnotation("person", Keypoints([(1, 2), (3, 4), (0, 0)], (2, 1, 0)))])
    path = packed_cache.cache_path(p.folder, own, item)

    def check() -> None:
        packed = p.packed_annotations(own, item)
        plain = p.annotations(own, item)
        assert packed.uids == [a.uid for a in plain]
        assert [packed.shape(i) for i in range(len(packed))] == [a.shape for a in plain]
        assert packed.class_uids == [a.class_uid for a in plain]
        assert packed.z.tolist() == [a.z for a in plain]

    check()
    assert reads == ["full"] and path.exists()
    seq = p.change_annotations([AnnotationEdit(uids[2], shape=Box(50, 50, 5, 5)), AnnotationEdit(uids[0], z=-1)])
    p.delete_annotations([uids[4]])
    p.add_annotations(own, item, [NewAnnotation("car", Polygon([(1, 1), (9, 1), (5, 7)]), z=3)])
    reads.clear()
    check()
    assert reads == ["delta"]  # only the rows opened since were read
    p.undo(seq)
    reads.clear()
    check()
    check()  # and now straight from the cache
    assert reads == ["delta"]
    p.add_annotations(own, item, [NewAnnotation("day", Tag())])  # tags are not kept in the cache
    reads.clear()
    check()
    assert reads == ["delta", "full"] and not path.exists()
