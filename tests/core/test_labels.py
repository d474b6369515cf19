"""Label schema, annotations in label sets, undo and redo as changes, item history."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.geometry import Box, Keypoints, Polygon, Tag
from labelhub.project import NewAnnotation, Project


@pytest.fixture
def labelled(project_dir: Path, images_dir: Path) -> Path:
    with Project.open(project_dir, user="lena", backup=False) as p:
        p.import_images("photos", [images_dir])
        p.add_label_class("photos", "car", hotkey="1", kinds=["box", "polygon"],
                          attributes=[{"name": "occluded", "type": "boolean", "required": True},
                                      {"name": "colour", "type": "choice", "choices": ["red", "blue"]},
                                      {"name": "speed", "type": "number", "min": 0, "max": 300}])
        p.add_label_class("photos", "person", hotkey="2", kinds=["keypoints", "box"],
                          keypoints=["head", "left hand", "right hand"], skeleton=[[0, 1], [0, 2]])
        p.add_label_class("photos", "indoor", kinds=["tag"])
    return project_dir


def _item(p: Project, name: str = "red.jpg") -> str:
    return next(i.uid for i in p.items("photos") if i.name == name)


def test_schema_classes_and_their_rules(labelled: Path) -> None:
    with Project.open(labelled, user="lena", backup=False) as p:
        classes = {c.name: c for c in p.label_classes("photos")}
        assert list(classes) == ["car", "person", "indoor"]
        assert classes["car"].hotkey == "1" and classes["car"].kinds == ("box", "polygon")
        assert classes["person"].skeleton == ((0, 1), (0, 2))
        assert classes["car"].color != classes["person"].color
        with pytest.raises(InvalidInput, match="already has that hotkey"):
            p.add_label_class("photos", "bus", hotkey="1")
        with pytest.raises(InvalidInput, match="does not join two"):
            p.add_label_class("photos", "dog", keypoints=["nose"], skeleton=[[0, 3]])
        with pytest.raises(InvalidInput, match="needs its choices"):
            p.add_label_class("photos", "bike", attributes=[{"name": "kind", "type": "choice"}])
        seq = p.seq()
        p.update_label_class("photos", "car", name="vehicle", color="#112233")
        now = {c.name: c for c in p.label_classes("photos")}
        before = {c.name: c for c in p.label_classes("photos", at_seq=seq)}
        assert "vehicle" in now and "car" in before  # renaming is versioned
        assert now["vehicle"].uid == before["car"].uid


def test_annotators_draw_in_their_own_set(labelled: Path) -> None:
    with Project.open(labelled, user="ana", backup=False) as ana:
        mine = ana.my_label_set("photos")
        assert (mine.kind, mine.member) == ("annotator", "ana")
        item = _item(ana)
        uids = ana.add_annotations(mine.uid, item, [
            NewAnnotation("car", Box(1, 2, 10, 8), {"occluded": False, "colour": "red"}),
            NewAnnotation("person", Keypoints(((5, 5), (6, 9), (9, 9)), (2, 1, 0))),
            NewAnnotation("indoor", Tag()),
        ])
        got = {a.uid: a for a in ana.annotations(mine.uid, item)}
        assert got[uids[0]].shape == Box(1, 2, 10, 8) and got[uids[0]].label == "car"
        assert got[uids[0]].created_by == "ana" and got[uids[0]].problems == ()
        assert got[uids[1]].shape.visibility == (2, 1, 0)
        gt = ana.ground_truth("photos")
        with pytest.raises(PermissionDenied, match="needs the reviewer role"):
            ana.add_annotations(gt.uid, item, [NewAnnotation("car", Box(0, 0, 5, 5))])
    with Project.open(labelled, user="ben", backup=False) as ben:
        with pytest.raises(PermissionDenied, match="another member's labels"):
            ben.add_annotations(mine.uid, item, [NewAnnotation("car", Box(0, 0, 5, 5))])
        with pytest.raises(PermissionDenied):
            ben.delete_annotations([uids[0]])


def test_schema_rules_refuse_or_flag(labelled: Path) -> None:
    with Project.open(labelled, user="ana", backup=False) as ana:
        mine = ana.my_label_set("photos").uid
        item = _item(ana)
        with pytest.raises(InvalidInput, match="car does not allow points"):
            from labelhub.geometry import Points
            ana.add_annotations(mine, item, [NewAnnotation("car", Points(((1, 1),)))])
        with pytest.raises(InvalidInput, match="outside|image"):
            ana.add_annotations(mine, item, [NewAnnotation("car", Box(60, 40, 30, 30))])
        with pytest.raises(InvalidInput, match="not a number|is above the maximum"):
            ana.add_annotations(mine, item, [NewAnnotation("car", Box(1, 1, 5, 5), {"speed": 900})])
        with pytest.raises(InvalidInput, match="has 3 keypoints"):
            ana.add_annotations(mine, item, [NewAnnotation("person", Keypoints(((1, 1),), (2,)))])
        with pytest.raises(NotFound, match="no label class 'truck'"):
            ana.add_annotations(mine, item, [NewAnnotation("truck", Box(1, 1, 5, 5))])
        uid = ana.add_annotations(mine, item, [NewAnnotation("car", Box(1, 1, 5, 5))])[0]
        flagged = next(a for a in ana.annotations(mine, item) if a.uid == uid)
        assert flagged.problems == ("required attribute 'occluded' is empty",)
        ana.change_annotation(uid, attributes={"occluded": True})
        assert next(a for a in ana.annotations(mine, item) if a.uid == uid).problems == ()


def test_edits_are_versioned_and_undo_redo_are_changes(labelled: Path) -> None:
    with Project.open(labelled, user="ana", backup=False) as ana:
        mine = ana.my_label_set("photos").uid
        item = _item(ana)
        uid = ana.add_annotations(mine, item, [NewAnnotation("car", Box(1, 1, 5, 5), {"occluded": False})])[0]
        after_add = ana.seq()
        ana.change_annotation(uid, shape=Box(2, 2, 6, 6), label="person")
        after_move = ana.seq()
        ana.delete_annotations([uid])
        assert ana.annotations(mine, item) == []
        assert ana.annotations(mine, item, at_seq=after_add)[0].shape == Box(1, 1, 5, 5)
        assert ana.annotations(mine, item, at_seq=after_move)[0].label == "person"

        undo_delete = ana.undo(ana.seq())
        assert [a.shape for a in ana.annotations(mine, item)] == [Box(2, 2, 6, 6)]
        ana.undo(after_move)  # back to the first box and class
        restored = ana.annotations(mine, item)[0]
        assert (restored.uid, restored.shape, restored.label) == (uid, Box(1, 1, 5, 5), "car")
        redo = ana.undo(ana.seq())  # redo: undo the undo
        assert ana.annotations(mine, item)[0].shape == Box(2, 2, 6, 6)
        assert [c.action for c in ana.changes(limit=3)] == ["undo", "undo", "undo"]
        assert ana.changes(limit=1)[0].detail["undoes"] == redo - 1
        ana.change_annotation(uid, shape=Box(3, 3, 4, 4))
        with pytest.raises(InvalidInput, match="cannot be undone: the annotation it changed was changed again since"):
            ana.undo(undo_delete)  # the row it restored was changed again since
        assert redo > undo_delete
        assert ana.audit_verify().ok
        history = ana.item_history(item)
        assert [h["member"] for h in history] == ["ana"] * len(history)
        assert history[0]["added"] == [uid]


def test_undo_of_someone_elses_change_needs_a_lead(labelled: Path) -> None:
    with Project.open(labelled, user="lena", backup=False) as lena:
        gt = lena.ground_truth("photos").uid
        item = _item(lena)
        lena.add_annotations(gt, item, [NewAnnotation("car", Box(1, 1, 5, 5), {"occluded": True})])
        seq = lena.seq()
    with Project.open(labelled, user="rui", backup=False) as rui:
        with pytest.raises(PermissionDenied, match="another member"):
            rui.undo(seq)
        with pytest.raises(InvalidInput, match="cannot be undone"):
            rui.undo(1)  # adding the lead is not an edit of labels


def test_removing_a_class_with_annotations_asks_what_to_do(labelled: Path) -> None:
    with Project.open(labelled, user="lena", backup=False) as lena:
        gt = lena.ground_truth("photos").uid
        item = _item(lena)
        lena.add_annotations(gt, item, [NewAnnotation("car", Box(1, 1, 5, 5), {"occluded": True}),
                                        NewAnnotation("car", Polygon(((1, 1), (9, 1), (5, 7))), {"occluded": True})])
        with pytest.raises(InvalidInput, match="has 2 annotations; say whether"):
            lena.remove_label_class("photos", "car")
        lena.add_label_class("photos", "vehicle", kinds=["box", "polygon"])
        assert lena.remove_label_class("photos", "car", annotations="move:vehicle") == 2
        assert {a.label for a in lena.annotations(gt, item)} == {"vehicle"}
        assert lena.remove_label_class("photos", "vehicle", annotations="delete") == 2
        assert lena.annotations(gt, item) == []
    with Project.open(labelled, user="ana", backup=False) as ana:
        with pytest.raises(PermissionDenied):
            ana.add_label_class("photos", "mine")
