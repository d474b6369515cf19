"""The dataset listing held in memory: the name search answered from it agrees with the
database's LIKE, the item counts read from the tallies agree with counting the rows, and the
lean reads the window uses (a queue as row ids, one page of items, state counts) agree with
the plain ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelhub.errors import NotFound
from labelhub.project import ItemFilter, ItemQuery, Project
from labelhub.project.item_names import NameIndex
from labelhub.store.tables import DatasetTally, TallyCount

from .conftest import save, textured, uids_by_name

NAMES = ["a.png", "b.png", "Café/Été-01.png", "café/été-02.png", "dog-12.PNG", "cat12.png",
         "DOG_7.png", "x%y.png", "under_score.png", "z/12/34.png"]


@pytest.fixture
def named(lead_project: Project, tmp_path: Path) -> Project:
    """Dataset "ds" whose items have awkward names: cases, accents, LIKE wildcards, folders."""
    root = tmp_path / "named"
    for i, name in enumerate(NAMES):
        save(textured(100 + i), root / name)
    lead_project.create_dataset("ds")
    lead_project.import_images("ds", [root])
    return lead_project


def _names(p: Project, **query: object) -> list[str]:
    return p.item_columns("ds", p.item_ids("ds", ItemQuery(**query))).names  # type: ignore[arg-type]


def test_name_search_from_memory_answers_as_the_database_does(named: Project) -> None:
    p = named
    everything = _names(p)
    assert sorted(everything) == sorted(NAMES) and len(everything) == p.count_items("ds")
    for text in ("12", "DOG", "png", "é", "É", "Été", "café/", "%", "_", "x%y", "b.pngc", "gb",
                 "/12/", "a.png", "nothing", "Ü"):
        flt = ItemFilter(text=text)
        from_memory = _names(p, filter=flt)
        by_sql = _names(p, filter=flt, sort="file_size")  # the LIKE of the SQL path
        assert sorted(from_memory) == sorted(by_sql), text
        assert from_memory == [n for n in everything if n in set(from_memory)], text  # name order
        assert p.count_items("ds", flt) == len(from_memory), text
        assert _names(p, filter=flt, descending=True) == from_memory[::-1], text
    assert sorted(_names(p, filter=ItemFilter(text="dog"))) == ["DOG_7.png", "dog-12.PNG"]
    # The names fold their ASCII letters only, as SQLite's LIKE does: a name's É is not é.
    assert _names(p, filter=ItemFilter(text="été")) == ["café/été-02.png"]
    assert _names(p, filter=ItemFilter(text="ÉTÉ")) == ["café/été-02.png"]
    assert _names(p, filter=ItemFilter(text="gb")) == []  # never across two names
    assert _names(p, filter=ItemFilter(text="_")) == ["DOG_7.png", "under_score.png"]


def test_name_search_combines_with_the_other_filters_and_follows_changes(named: Project) -> None:
    p = named
    u = uids_by_name(p, "ds")
    p.set_split("ds", [u["dog-12.PNG"], u["cat12.png"]], "val")
    assert _names(p, filter=ItemFilter(text="12", splits=("val",))) == ["cat12.png", "dog-12.PNG"]
    assert _names(p, filter=ItemFilter(text="12", splits=("",))) == ["z/12/34.png"]
    batch = p.filter_choices("ds").batches[0][0]
    assert len(_names(p, filter=ItemFilter(text="png", batches=(batch,)))) == len(NAMES)
    p.exclude_items("ds", [u["cat12.png"]])
    assert _names(p, filter=ItemFilter(text="12")) == ["dog-12.PNG", "z/12/34.png"]
    assert list(p.item_ids("ds", ItemQuery(ItemFilter(text="12")), limit=1)) == list(
        p.item_ids("ds", ItemQuery(ItemFilter(text="12")))[:1])


def test_name_index_on_its_own() -> None:
    names = ["Alpha.jpg", "beta.JPG", "", "Ça va.png", "gamma"]
    lengths = np.asarray([len(n.encode()) for n in names], np.int64)
    ascii_index = NameIndex.from_texts("".join(names), lengths)
    assert len(ascii_index) == 5
    for index in (ascii_index, NameIndex.from_names(names, ascii_only=True)):
        assert index.contains("jpg").tolist() == [True, True, False, False, False]
        assert index.contains("").all()
        assert not index.contains("gbeta").any() and not index.contains("zzz").any()
        assert not index.contains("ça").any()  # a name's Ç folds only on PostgreSQL
        assert index.contains("Ça").tolist() == index.contains("ÇA").tolist() == [False] * 5
    unicode_index = NameIndex.from_names(names, ascii_only=False)
    assert unicode_index.contains("ÇA").tolist() == [False, False, False, True, False]
    assert unicode_index.contains("ça").tolist() == [False, False, False, True, False]
    assert unicode_index.contains("A.JPG").tolist() == [True, True, False, False, False]
    with pytest.raises(ValueError, match="do not add up"):
        NameIndex.from_texts("abc", np.asarray([1, 1], np.int64))


def test_item_counts_come_from_the_tallies_and_agree_with_the_rows(twelve: Project) -> None:
    p = twelve
    p.create_dataset("empty")
    u = uids_by_name(p, "ds")
    p.set_split("ds", [u["img00.png"], u["img01.png"]], "train")
    p.exclude_items("ds", [u["img02.png"], u["img03.png"]])
    def counted(dataset: str) -> int:  # the rows themselves
        with p.engine.connect() as conn:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM item JOIN dataset ON dataset.id = item.dataset_id "
                "WHERE dataset.name = ? AND item.valid_to IS NULL", (dataset,)).scalar())

    assert {d.name: d.item_count for d in p.datasets()} == {"ds": 10, "empty": 0} == {
        "ds": counted("ds"), "empty": counted("empty")}
    assert p.dataset("ds").item_count == 10 == p.count_items("ds")
    assert p.filter_choices("ds").splits == {"": 8, "train": 2}
    with p.engine.begin() as conn:  # as a project from before tallies
        conn.execute(TallyCount.__table__.delete())
        conn.execute(DatasetTally.__table__.delete())
    assert {d.name: d.item_count for d in p.datasets()} == {"ds": 10, "empty": 0}
    assert p.filter_choices("ds").splits == {"": 8, "train": 2}
    p.set_split("ds", [u["img04.png"]], "val")  # the next change tallies the dataset again
    assert p.dataset("ds").item_count == 10
    assert p.filter_choices("ds").splits == {"": 7, "train": 2, "val": 1}


def test_queue_as_row_ids_and_items_a_page_at_a_time(twelve: Project) -> None:
    p = twelve
    u = uids_by_name(p, "ds")
    everything = p.item_ids("ds")
    assert list(p.annotation_queue_ids("ds")) == list(everything)  # nothing assigned: every item
    p.assign("ds", ["ana"], items=[u["img05.png"], u["img01.png"], u["img09.png"], u["img07.png"]])
    p.exclude_items("ds", [u["img07.png"]])
    with Project.open(p.folder, user="ana", backup=False) as ana:
        ana.submit_item("ds", u["img01.png"])
        ana.start_item("ds", u["img09.png"])
        queue = ana.annotation_queue("ds")
        ids = ana.annotation_queue_ids("ds")
        infos = ana.item_infos("ds", ids)
        assert [i.uid for i in infos] == [i.uid for i in queue]
        assert [i.name for i in infos] == ["img09.png", "img05.png", "img01.png"]  # begun, to do, submitted
    page = p.item_infos("ds", everything[3:6])
    assert [i.name for i in page] == ["img03.png", "img04.png", "img05.png"]  # img02/img03... in order
    assert page[0].width == 96 and page[0].media_sha256
    assert p.item_info("ds", u["img04.png"]).name == "img04.png"
    assert p.item_info("ds", u["img07.png"]) is None  # left the dataset
    assert p.item_info("ds", "no-such-uid") is None


def test_state_counts_look_only_at_items_with_work(twelve: Project) -> None:
    p = twelve
    u = uids_by_name(p, "ds")
    p.assign("ds", ["ana"], items=[u["img00.png"], u["img01.png"], u["img02.png"]])
    p.assign("ds", ["ben"], items=[u["img02.png"], u["img03.png"]])
    with Project.open(p.folder, user="ana", backup=False) as ana:
        ana.submit_item("ds", u["img01.png"])
    p.exclude_items("ds", [u["img00.png"]])  # assigned, then taken out of the dataset
    counts = p.state_counts("ds")
    by_state: dict[str, int] = {}
    by_member: dict[str, dict[str, int]] = {}
    for status in p.item_states("ds"):  # every item, one by one
        by_state[status.state] = by_state.get(status.state, 0) + 1
        for member, state in status.assignees.items():
            by_member.setdefault(member, {})[state] = by_member.get(member, {}).get(state, 0) + 1
    assert {k: v for k, v in counts["items"].items() if v} == by_state
    assert sum(counts["items"].values()) == 11 and by_state["unassigned"] == 8
    assert {m: {s: n for s, n in c.items() if n} for m, c in counts["annotators"].items()} == by_member
    assert by_member["ana"] == {"todo": 1, "accepted": 1}  # no review: submitting accepts
    # Items named by uid or by name, found through the uid index, then the name index.
    states = p.item_states("ds", [u["img02.png"], "img03.png", "img04.png"])
    assert [(s.item_name, s.state) for s in states] == [
        ("img02.png", "in_annotation"), ("img03.png", "in_annotation"), ("img04.png", "unassigned")]
    with pytest.raises(NotFound, match="img00.png"):
        p.item_states("ds", ["img00.png"])  # it left the dataset


def test_name_index_agrees_with_python_on_random_names() -> None:
    rng = np.random.default_rng(7)
    alphabet = list("abAB_.-/09é")
    names = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 9)))) for _ in range(400)]
    index = NameIndex.from_names(names, ascii_only=True)
    folded = [n.encode().lower() for n in names]
    for size in (1, 2, 3, 4, 5, 7):
        for _ in range(25):
            source = names[int(rng.integers(0, len(names)))] or "a"
            start = int(rng.integers(0, max(1, len(source) - size + 1)))
            needle = source[start : start + size] if len(source) >= size else source
            wanted = needle.lower().encode()
            assert index.contains(needle).tolist() == [wanted in f for f in folded], needle
