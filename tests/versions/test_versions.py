"""Dataset versions: commit, tags, deprecation, the incremental tally, browsing the past."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete
from versions_helpers import item_uid, set_split

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.geometry import Box, Polygon
from labelhub.project import NewAnnotation, Project
from labelhub.project.tally import read_tally, scan_content
from labelhub.store.tables import DatasetTally, TallyCount


def assert_tally_in_step(p: Project, dataset: str = "scenes") -> None:
    """The tally kept by the changes equals a fresh read of every row."""
    with p._read() as conn:
        ds = p._dataset_row(conn, dataset)
        stored = read_tally(conn, ds.id)
        fresh = scan_content(conn, ds.id)
    assert stored is not None
    assert stored.digest == fresh.digest
    assert stored.nonzero() == fresh.nonzero()


def test_commit_records_seq_hash_and_counts(lead: Project) -> None:
    seq_before = lead.seq()
    v1 = lead.commit_version("scenes", "first labels", tag="baseline")
    assert (v1.number, v1.tag, v1.author, v1.seq) == (1, "baseline", "lena", seq_before + 1)
    stats = v1.stats
    assert (stats["items"], stats["annotations"], stats["classes"]) == (4, 6, 3)
    assert stats["splits"] == {"": 1, "train": 2, "val": 1}
    per = {e["name"]: e for e in stats["per_class"]}
    assert list(per) == ["car", "person", "sky"]
    assert per["car"]["annotations"] == 3
    assert per["car"]["by_split"] == {"train": 2, "val": 1}
    assert per["car"]["by_kind"] == {"box": 2, "polygon": 1}
    assert per["person"]["by_kind"] == {"box": 1, "keypoints": 1}
    assert per["sky"]["by_split"] == {"train": 1}
    with lead._read() as conn:
        fresh = scan_content(conn, lead._dataset_row(conn, "scenes").id)
    assert v1.manifest_hash == fresh.manifest_hash
    assert lead.verify_version("scenes", 1).ok
    listed = lead.versions("scenes")
    assert [v.label for v in listed] == ["v1 (baseline)"]
    assert listed[0].time and listed[0].to_dict()["stats"] == stats
    assert lead.version("scenes", "baseline").seq == lead.version_seq("scenes", "v1") == v1.seq
    assert lead.audit_verify().ok


def test_commit_refuses_what_it_should(lead: Project, scenes: Path) -> None:
    with pytest.raises(InvalidInput, match="needs a message"):
        lead.commit_version("scenes", "  ")
    lead.commit_version("scenes", "v1")
    seq = lead.seq()
    with pytest.raises(InvalidInput, match="nothing changed in scenes since v1"):
        lead.commit_version("scenes", "again")
    # Changing something and changing it back is no change either: the hash is of the content.
    gt = lead.ground_truth("scenes").uid
    uid = lead.add_annotations(gt, item_uid(lead, "scenes", "sub/d.png"), [NewAnnotation("car", Box(1, 1, 5, 5))])
    lead.delete_annotations(uid)
    with pytest.raises(InvalidInput, match="nothing changed"):
        lead.commit_version("scenes", "again")
    with Project.open(scenes, user="ana", backup=False) as ana, \
            pytest.raises(PermissionDenied, match="needs the lead role"):
        ana.commit_version("scenes", "mine")
    with pytest.raises(NotFound, match="no version 'v7'.*v1"):
        lead.version("scenes", "v7")
    assert lead.seq() == seq + 2 and len(lead.versions("scenes")) == 1


def test_tags_are_unique_and_move_with_a_change_of_their_own(lead: Project) -> None:
    lead.commit_version("scenes", "one", tag="release")
    gt = lead.ground_truth("scenes").uid
    lead.add_annotations(gt, item_uid(lead, "scenes", "sub/d.png"), [NewAnnotation("car", Box(1, 1, 5, 5))])
    with pytest.raises(InvalidInput, match="already on v1"):
        lead.commit_version("scenes", "two", tag="release")
    v2 = lead.commit_version("scenes", "two")
    hash2 = v2.manifest_hash
    for bad in ("12", "v3", "current", "has space", "", "-x"):
        with pytest.raises(InvalidInput):
            lead.tag_version("scenes", 2, bad)
    moved = lead.tag_version("scenes", 2, "release")
    assert moved.tag == "release" and lead.version("scenes", 1).tag is None
    assert lead.version("scenes", "release").number == 2
    assert lead.version("scenes", 2).manifest_hash == hash2  # the version itself is unchanged
    with pytest.raises(InvalidInput, match="already has the tag"):
        lead.tag_version("scenes", 2, "release")
    assert lead.tag_version("scenes", 2, None).tag is None
    last = lead.changes(limit=2)
    assert [c.action for c in last] == ["version.tag", "version.tag"]
    assert last[1].detail["moved_from"] == 1
    assert lead.audit_verify().ok


def test_deprecate_needs_a_reason_and_keeps_the_version(lead: Project) -> None:
    lead.commit_version("scenes", "one")
    with pytest.raises(InvalidInput, match="say why"):
        lead.deprecate_version("scenes", 1, "")
    v = lead.deprecate_version("scenes", "v1", "boxes on c.jpg were drawn on the wrong image")
    assert v.deprecated and v.deprecated_reason.startswith("boxes")
    with pytest.raises(InvalidInput, match="already deprecated"):
        lead.deprecate_version("scenes", 1, "again")
    assert lead.versions("scenes")[0].deprecated
    # The same content may be committed again once its version is deprecated.
    assert lead.commit_version("scenes", "re-issued").number == 2
    assert lead.audit_verify().ok


def test_tally_stays_in_step_with_every_kind_of_change(lead: Project) -> None:
    assert_tally_in_step(lead)
    gt = lead.ground_truth("scenes").uid
    a, d = item_uid(lead, "scenes", "a.png"), item_uid(lead, "scenes", "sub/d.png")
    new = lead.add_annotations(gt, d, [NewAnnotation("car", Box(2, 2, 10, 10)),
                                       NewAnnotation("car", Polygon(((1, 1), (9, 1), (5, 8))))])
    assert_tally_in_step(lead)
    lead.change_annotation(new[0], shape=Box(3, 3, 10, 10), attributes={"occluded": True})
    assert_tally_in_step(lead)
    seq = lead.seq()
    lead.change_annotation(new[1], label="person", shape=Box(1, 1, 4, 4))
    assert_tally_in_step(lead)
    lead.undo(seq + 1)
    assert_tally_in_step(lead)
    set_split(lead, "scenes", ["a.png", "sub/d.png"], "test")
    assert_tally_in_step(lead)
    lead.update_label_class("scenes", "car", name="vehicle", color="#102030")
    assert_tally_in_step(lead)
    lead.add_label_class("scenes", "truck", kinds=["box"])
    lead.remove_label_class("scenes", "vehicle", annotations="move:truck")
    assert_tally_in_step(lead)
    lead.remove_label_class("scenes", "sky", annotations="delete")
    assert_tally_in_step(lead)
    lead.delete_annotations([x.uid for x in lead.annotations(gt, a)])
    assert_tally_in_step(lead)
    # Annotator drafts are not ground truth: they leave the tally alone.
    before = lead.content_summary("scenes").manifest_hash
    with Project.open(lead.folder, user="ana", backup=False) as ana:
        mine = ana.my_label_set("scenes").uid
        ana.add_annotations(mine, a, [NewAnnotation("person", Box(1, 1, 3, 3))])
    assert lead.content_summary("scenes").manifest_hash == before
    assert_tally_in_step(lead)
    summary = lead.content_summary("scenes")
    assert summary.stats["splits"] == {"test": 2, "train": 1, "val": 1}
    assert lead.audit_verify().ok


def test_a_missing_tally_is_rebuilt_from_the_rows(lead: Project) -> None:
    expected = lead.content_summary("scenes").manifest_hash
    with lead.engine.begin() as conn:  # as after a migration from before tallies existed
        conn.execute(delete(TallyCount.__table__))
        conn.execute(delete(DatasetTally.__table__))
    assert lead.content_summary("scenes").manifest_hash == expected
    v1 = lead.commit_version("scenes", "after the rebuild")
    assert v1.manifest_hash == expected and v1.stats["annotations"] == 6
    assert_tally_in_step(lead)
    gt = lead.ground_truth("scenes").uid
    lead.add_annotations(gt, item_uid(lead, "scenes", "b.png"), [NewAnnotation("person", Box(1, 1, 2, 2))])
    assert_tally_in_step(lead)


def test_a_past_version_reads_the_same_while_the_dataset_keeps_changing(lead: Project, scenes: Path) -> None:
    gt = lead.ground_truth("scenes").uid
    v1 = lead.commit_version("scenes", "one")
    a = item_uid(lead, "scenes", "a.png")
    items_v1 = lead.items("scenes", at_seq=v1.seq)
    anns_v1 = lead.annotations(gt, a, at_seq=v1.seq)
    classes_v1 = lead.label_classes("scenes", at_seq=v1.seq)
    with Project.open(scenes, user="rui", backup=False) as rui:  # someone else keeps working
        rui.change_annotation(anns_v1[0].uid, shape=Box(11, 11, 30, 20))
        rui.delete_annotations([anns_v1[1].uid])
        rui.add_annotations(gt, a, [NewAnnotation("car", Box(60, 40, 10, 10))])
    lead.update_label_class("scenes", "car", name="vehicle")
    set_split(lead, "scenes", ["a.png"], "val")
    assert lead.items("scenes", at_seq=v1.seq) == items_v1
    assert lead.annotations(gt, a, at_seq=v1.seq) == anns_v1
    assert lead.label_classes("scenes", at_seq=v1.seq) == classes_v1
    assert [c.name for c in lead.label_classes("scenes")][0] == "vehicle"
    assert lead.verify_version("scenes", 1).ok
    v2 = lead.commit_version("scenes", "two")
    assert v2.manifest_hash != v1.manifest_hash
    assert lead.version("scenes", 1).stats == v1.stats
