"""Browsing a dataset through the API: ordered id arrays, every filter in SQL, sorting,
columns for the rows on screen, and the review status computed the review module's way."""

from __future__ import annotations

import numpy as np
import pytest

from labelhub.errors import InvalidInput, NotFound
from labelhub.geometry import Box
from labelhub.project import ItemFilter, ItemQuery, MetaCondition, NewAnnotation

from .conftest import uids_by_name


def names(p, query: ItemQuery | None = None, dataset: str = "ds") -> list[str]:  # noqa: ANN001
    ids = p.item_ids(dataset, query)
    return p.item_columns(dataset, ids).names


def test_ids_are_in_name_order_and_columns_follow_the_ids(twelve) -> None:  # noqa: ANN001
    p = twelve
    ids = p.item_ids("ds")
    assert ids.dtype == np.int64 and len(ids) == 12 == p.count_items("ds")
    cols = p.item_columns("ds", ids[::-1])
    assert cols.names == [f"img{i:02d}.png" for i in reversed(range(12))]
    assert list(p.item_ids("ds", limit=3)) == list(ids[:3])
    assert set(cols.statuses) == {"unassigned"} and set(cols.label_counts.tolist()) == {0}
    assert (cols.widths == 96).all() and cols.formats[0] == "png"
    assert all(path.is_file() for path in cols.paths)
    record = cols.record(0)
    assert record["name"] == "img11.png" and record["metadata"]["source"].endswith("img11.png")


def test_every_filter_kind(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    p.set_split("ds", [u["img00.png"], u["img01.png"], u["img02.png"]], "train")
    p.set_split("ds", [u["img03.png"]], "val")
    p.edit_metadata("ds", [u["img04.png"], u["img05.png"]], {"camera": "Alpha 7", "licence": "CC0"})
    p.edit_metadata("ds", [u["img06.png"]], {"camera": "beta"})
    p.tag_items("ds", [u["img07.png"], u["img08.png"]], add=["night"])
    p.add_label_class("ds", "cat")
    p.add_label_class("ds", "dog")
    gt = p.ground_truth("ds").uid
    p.add_annotations(gt, u["img09.png"], [NewAnnotation("cat", Box(1, 1, 10, 10))])
    p.add_annotations(gt, u["img10.png"], [NewAnnotation("dog", Box(1, 1, 10, 10)),
                                           NewAnnotation("cat", Box(2, 2, 10, 10))])

    def got(**kw: object) -> list[str]:
        return names(p, ItemQuery(ItemFilter(**kw)))

    assert got(splits=("train",)) == ["img00.png", "img01.png", "img02.png"]
    assert got(splits=("train", "val")) == ["img00.png", "img01.png", "img02.png", "img03.png"]
    assert len(got(splits=("",))) == 8
    assert got(text="IMG1") == ["img10.png", "img11.png"]  # case does not matter
    assert got(text="%") == [] and got(text="_0") == []  # LIKE wildcards are plain text
    assert got(meta=(MetaCondition("camera", "=", "Alpha 7"),)) == ["img04.png", "img05.png"]
    assert got(meta=(MetaCondition("camera", "~", "ALPHA"),)) == ["img04.png", "img05.png"]
    assert got(meta=(MetaCondition("camera", "?"),)) == ["img04.png", "img05.png", "img06.png"]
    assert len(got(meta=(MetaCondition("camera", "!?"),))) == 9
    assert len(got(meta=(MetaCondition("camera", "!=", "beta"),))) == 11
    assert got(tags=("night",)) == ["img07.png", "img08.png"]
    assert got(with_classes=("cat",)) == ["img09.png", "img10.png"]
    assert got(with_classes=("dog",)) == ["img10.png"]
    assert len(got(without_classes=("cat",))) == 10
    assert got(with_classes=("cat",), without_classes=("dog",)) == ["img09.png"]
    batch = p.filter_choices("ds").batches[0][0]
    assert len(got(batches=(batch,))) == 12 and got(batches=("nope",)) == []
    assert got(splits=("train",), text="01") == ["img01.png"]  # filters combine with AND
    assert p.count_items("ds", ItemFilter(splits=("train",))) == 3


def test_status_and_annotator_filters_follow_the_review_rules(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    p.assign("ds", ["ana"], items=[u["img00.png"], u["img01.png"], u["img03.png"]])
    p.assign("ds", ["ben"], items=[u["img02.png"]])
    with type(p).open(p.folder, user="ana", backup=False) as ana:
        ana.submit_item("ds", u["img01.png"])  # one annotator, no review: accepted
        p.set_review_policy("ds", review_required=True)
        ana.submit_item("ds", u["img03.png"])  # now it waits for a reviewer
    states = {s.item_name: s.state for s in p.item_states("ds")}
    for status in ("unassigned", "in_annotation", "ready_for_review", "accepted"):
        expected = sorted(n for n, s in states.items() if s == status)
        assert names(p, ItemQuery(ItemFilter(statuses=(status,)))) == expected, status
        by_sql = names(p, ItemQuery(ItemFilter(statuses=(status,)), sort="file_size"))  # the CASE path
        assert sorted(by_sql) == expected, status
    cols = p.item_columns("ds", p.item_ids("ds"))
    assert dict(zip(cols.names, cols.statuses, strict=True)) == states
    assert names(p, ItemQuery(ItemFilter(annotators=("ana",)))) == ["img00.png", "img01.png", "img03.png"]
    assert names(p, ItemQuery(ItemFilter(annotators=("ben", "ana")))) == [
        "img00.png", "img01.png", "img02.png", "img03.png"]
    assert set(states.values()) == {"unassigned", "in_annotation", "ready_for_review", "accepted"}
    assert dict(zip(cols.names, cols.annotators, strict=True))["img02.png"] == ("ben",)
    choices = p.filter_choices("ds")
    assert choices.annotators == ["ana", "ben"]
    assert sum(choices.statuses.values()) == 12


def test_sorting(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    p.set_split("ds", [u["img05.png"]], "a-first")
    p.edit_metadata("ds", [u["img03.png"]], {"rank": "1"})
    p.edit_metadata("ds", [u["img07.png"]], {"rank": "2"})
    p.add_label_class("ds", "cat")
    gt = p.ground_truth("ds").uid
    p.add_annotations(gt, u["img08.png"], [NewAnnotation("cat", Box(1, 1, 5, 5))] * 2)
    assert names(p, ItemQuery(sort="name", descending=True))[0] == "img11.png"
    assert names(p, ItemQuery(sort="split", descending=True))[0] == "img05.png"
    assert names(p, ItemQuery(sort="labels", descending=True))[0] == "img08.png"
    assert names(p, ItemQuery(sort="meta:rank", descending=True))[:2] == ["img07.png", "img03.png"]
    by_size = p.item_columns("ds", p.item_ids("ds", ItemQuery(sort="file_size")))
    assert list(by_size.file_sizes) == sorted(by_size.file_sizes)
    for key in ("size", "status", "annotators"):
        assert sorted(names(p, ItemQuery(sort=key))) == names(p)
    with pytest.raises(InvalidInput, match="cannot sort"):
        ItemQuery(sort="colour")


def test_lookups_and_filter_expressions(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    assert p.resolve_items("ds", ["img03.png", u["img04.png"]]) == [u["img03.png"], u["img04.png"]]
    with pytest.raises(NotFound, match="'nope.png'"):
        p.resolve_items("ds", ["nope.png"])
    ids = p.ids_of_uids("ds", [u["img02.png"], u["img01.png"]])
    assert p.item_columns("ds", ids).names == ["img02.png", "img01.png"]
    assert p.item_details("ds", [u["img09.png"]]).names == ["img09.png"]
    f = ItemFilter.parse(["split=train,none", "status=accepted", "class=cat", "no-class=dog",
                          "annotator=ana", "tag=x", "meta:camera~alp", "meta:lens?", "name~IMG"])
    assert f.splits == ("train", "") and f.statuses == ("accepted",) and f.text == "IMG"
    assert f.meta == (MetaCondition("camera", "~", "alp"), MetaCondition("lens", "?"))
    assert "split train or none" in f.describe()
    for bad in ("colour=red", "status=done", "meta:=x"):
        with pytest.raises(InvalidInput):
            ItemFilter.parse([bad])
    assert p.metadata_keys("ds") == ["source"]


def test_metadata_index_follows_every_change_and_agrees_with_the_json(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    p.edit_metadata("ds", [u["img01.png"], u["img02.png"]], {"camera": "Alpha"})
    p.tag_items("ds", [u["img02.png"], u["img03.png"]], add=["dusk", "rain"])
    last = p.edit_metadata("ds", [u["img02.png"]], {"camera": "Beta"})
    p.exclude_items("ds", [u["img03.png"]])
    p.undo(last.seq)  # img02 back to Alpha
    conditions = [MetaCondition("camera", "=", "Alpha"), MetaCondition("camera", "!=", "Alpha"),
                  MetaCondition("camera", "~", "LPH"), MetaCondition("camera", "?"),
                  MetaCondition("camera", "!?"), MetaCondition("source", "~", "img1")]
    for condition in conditions:
        f = ItemFilter(meta=(condition,))
        by_index = names(p, ItemQuery(f))
        by_json = sorted(names(p, ItemQuery(f, sort="file_size")))  # reads the JSON in SQL
        assert by_index == by_json, condition
    assert names(p, ItemQuery(ItemFilter(meta=(MetaCondition("camera", "=", "Alpha"),)))) == ["img01.png", "img02.png"]
    assert names(p, ItemQuery(ItemFilter(tags=("rain",)))) == ["img02.png"]
    assert p.item_tags("ds") == ["dusk", "rain"] and p.metadata_keys("ds") == ["camera", "source", "tags"]


def test_an_older_project_gets_its_metadata_index(tmp_path, make_images) -> None:  # noqa: ANN001
    from alembic import command
    from alembic.config import Config

    from labelhub.project import Project
    from labelhub.store.database import make_engine, write_transaction
    from labelhub.store.schema import MIGRATIONS

    with Project.create(tmp_path / "old", lead="lena") as p:
        p.create_dataset("ds")
        p.import_images("ds", [make_images("old-images", 3)])
        p.edit_metadata("ds", p.item_uids("ds")[:2], {"site": "north"})
    engine = make_engine(tmp_path / "old" / "project.labelhub", foreign_keys=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        conn.exec_driver_sql("PRAGMA user_version = 2")
        assert "item_field" not in {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    engine.dispose()
    with Project.open(tmp_path / "old", user="lena") as p:  # migrated on opening
        assert names(p, ItemQuery(ItemFilter(meta=(MetaCondition("site", "=", "north"),)))) == ["img00.png", "img01.png"]
        assert p.audit_verify().ok
