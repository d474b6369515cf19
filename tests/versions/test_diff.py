"""The diff between two versions, checked against scripted edits."""

from __future__ import annotations

from versions_helpers import item_uid, set_split

from labelhub.geometry import Box, Polygon
from labelhub.project import NewAnnotation, Project


def _by(changes: list, key: str = "change") -> dict[str, list]:
    out: dict[str, list] = {}
    for c in changes:
        out.setdefault(getattr(c, key), []).append(c)
    return out


def test_diff_lists_exactly_the_scripted_edits(lead: Project) -> None:
    gt = lead.ground_truth("scenes").uid
    a, b, c, d = (item_uid(lead, "scenes", n) for n in ("a.png", "b.png", "c.jpg", "sub/d.png"))
    v1 = lead.commit_version("scenes", "one")
    on_a = {x.shape.kind: x for x in lead.annotations(gt, a)}
    on_b = {x.shape.kind: x for x in lead.annotations(gt, b)}
    on_c = lead.annotations(gt, c)
    # geometry, class, attributes; one added, one deleted; an edit undone by a second edit
    lead.change_annotation(on_a["box"].uid, shape=Box(12, 10, 30, 20))
    lead.change_annotation(on_b["box"].uid, label="car", shape=Box(5.5, 6.25, 40, 50))
    lead.change_annotation(on_a["polygon"].uid, attributes={"occluded": False})
    added = lead.add_annotations(gt, d, [NewAnnotation("car", Polygon(((1, 1), (9, 1), (5, 8))))])[0]
    lead.delete_annotations([on_a["tag"].uid])
    lead.change_annotation(on_c[0].uid, shape=Box(1, 1, 10, 10))
    lead.change_annotation(on_c[0].uid, shape=Box(0, 0, 90, 60))  # back as it was
    lead.change_annotation(on_b["keypoints"].uid, z=3)  # not content: not in the diff
    # items moved between splits; the schema
    set_split(lead, "scenes", ["c.jpg"], "train")
    set_split(lead, "scenes", ["sub/d.png"], "test")
    lead.update_label_class("scenes", "sky", name="weather", color="#123456")
    lead.add_label_class("scenes", "bus", kinds=["box"])
    v2 = lead.commit_version("scenes", "two", tag="second")

    diff = lead.diff_versions("scenes", 1, "second")
    assert (diff.before, diff.after, diff.before_seq, diff.after_seq) == ("v1", "v2 (second)", v1.seq, v2.seq)
    anns = _by(diff.annotations)
    assert sorted(anns) == ["added", "changed", "removed"]
    assert [x.uid for x in anns["added"]] == [added]
    assert anns["added"][0].item_name == "sub/d.png" and anns["added"][0].label_after == "car"
    assert [x.uid for x in anns["removed"]] == [on_a["tag"].uid]
    assert anns["removed"][0].label_before == "sky"  # the class's name at v1
    changed = {x.uid: x for x in anns["changed"]}
    assert set(changed) == {on_a["box"].uid, on_b["box"].uid, on_a["polygon"].uid}
    assert changed[on_a["box"].uid].fields == ("geometry",)
    assert changed[on_a["box"].uid].geometry_before["x"] == 10
    assert changed[on_a["box"].uid].geometry_after["x"] == 12
    assert changed[on_b["box"].uid].fields == ("class",)
    assert (changed[on_b["box"].uid].label_before, changed[on_b["box"].uid].label_after) == ("person", "car")
    assert changed[on_a["polygon"].uid].fields == ("attributes",)
    assert changed[on_a["polygon"].uid].attributes_after == {"occluded": False}
    items = {x.name: x for x in diff.items}
    assert set(items) == {"c.jpg", "sub/d.png"}
    assert (items["c.jpg"].change, items["c.jpg"].split_before, items["c.jpg"].split_after) == ("moved", "val", "train")
    assert (items["sub/d.png"].split_before, items["sub/d.png"].split_after) == (None, "test")
    classes = {x.name: x for x in diff.classes}
    assert classes["bus"].change == "added"
    assert classes["weather"].change == "changed" and classes["weather"].name_before == "sky"
    assert classes["weather"].fields == ("name", "color")
    counts = {x.name: (x.before, x.after) for x in diff.counts}
    assert counts == {"car": (3, 5), "person": (2, 1), "weather": (1, 0), "bus": (0, 0)}
    by_split = {x.name: x.by_split_after for x in diff.counts}
    assert by_split["car"] == {"test": 1, "train": 4}
    assert diff.summary() == {"annotations_added": 1, "annotations_changed": 3, "annotations_removed": 1,
                              "classes_added": 1, "classes_changed": 1, "items_moved": 2}
    assert diff.describe().startswith("1 annotation added, 3 annotations changed")
    assert diff.to_dict()["summary"] == diff.summary()

    back = lead.diff_versions("scenes", 2, 1)  # the other way round: everything inverted
    assert [x.uid for x in _by(back.annotations)["removed"]] == [added]
    assert {x.name: x.change for x in back.classes} == {"bus": "removed", "sky": "changed"}
    assert lead.diff_versions("scenes", 2, 2).empty


def test_diff_against_the_current_state_and_items_leaving(lead: Project) -> None:
    gt = lead.ground_truth("scenes").uid
    lead.commit_version("scenes", "one")
    assert lead.diff_versions("scenes", 1, "current").empty
    a = item_uid(lead, "scenes", "a.png")
    lead.add_annotations(gt, a, [NewAnnotation("car", Box(1, 1, 4, 4))])
    now = lead.diff_versions("scenes", "v1", "current")
    assert now.after == "current" and now.summary() == {"annotations_added": 1}
    assert now.totals_before["annotations"] == 6 and now.totals_after["annotations"] == 7
    # An item that leaves the dataset takes its annotations out of the version's content.
    from labelhub.store.tables import Item
    from labelhub.store.versioned import close

    with lead._change("items.edit_metadata", "item") as tx:
        close(tx.conn, Item.__table__, a, tx.seq)
    gone = lead.diff_versions("scenes", 1, "current")
    assert [x.change for x in gone.items] == ["removed"]
    assert {x.change for x in gone.annotations} == {"removed"}
    assert len(gone.annotations) == 3  # the three annotations a.png had at v1
    assert gone.totals_after == {"items": 3, "annotations": 3, "classes": 3}
    assert lead.commit_version("scenes", "without a.png").stats["annotations"] == 3
    assert lead.verify_version("scenes", 2).ok
