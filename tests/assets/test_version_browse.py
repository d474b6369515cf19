"""Browsing a dataset as a past version held it, while the dataset keeps changing: the API's
``at_seq`` reads (ids, columns, filters, sorts, choices) against what each version held, and
the Assets workspace's read-only version mode driven through the window."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from labelhub.errors import InvalidInput
from labelhub.project import ItemFilter, ItemQuery, MetaCondition

from .conftest import open_assets, wait_loaded
from .version_history import V1, V2, build_history


@pytest.fixture
def history(twelve, tmp_path):  # noqa: ANN001, ANN201
    return twelve, build_history(twelve, tmp_path)


def names_at(p, seq, flt: ItemFilter | None = None, **query) -> list[str]:  # noqa: ANN001, ANN003
    ids = p.item_ids("ds", ItemQuery(flt or ItemFilter(), **query), at_seq=seq)
    return p.item_columns("ds", ids, at_seq=seq).names


def expected(state: dict, test) -> list[str]:  # noqa: ANN001
    return sorted(name for name, row in state.items() if test(*row))


# ------------------------------------------------------------------------------------ the API
def test_items_splits_and_label_counts_as_each_version_held_them(history) -> None:  # noqa: ANN001
    p, h = history
    for version, state in ((h.v1, V1), (h.v2, V2)):
        ids = p.item_ids("ds", at_seq=version.seq)
        cols = p.item_columns("ds", ids, at_seq=version.seq)
        assert cols.names == sorted(state), version.label
        assert cols.splits == [state[n][0] for n in cols.names]
        assert cols.label_counts.tolist() == [state[n][1] for n in cols.names]
        assert [m.get("camera") for m in cols.meta] == [state[n][2] for n in cols.names]
        assert [tuple(m.get("tags", ())) for m in cols.meta] == [state[n][3] for n in cols.names]
        assert set(cols.statuses) == {""} and set(cols.annotators) == {()}  # not versioned
        assert p.count_items("ds", at_seq=version.seq) == len(state) == version.stats["items"]
        # The project's own reader of the past agrees, item by item.
        past = p.items("ds", at_seq=version.seq)
        assert [(i.name, i.split, i.metadata) for i in past] == list(zip(cols.names, cols.splits, cols.meta, strict=True))
    # Now: the changes after v2 show, and none of them leaked into the versions above.
    now = p.item_columns("ds", p.item_ids("ds"))
    assert "img02.png" not in now.names and len(now.names) == 11
    assert now.splits[now.names.index("img03.png")] == "val"
    assert now.label_counts[now.names.index("img10.png")] == 3


def test_every_filter_at_a_version_gives_that_versions_answer(history) -> None:  # noqa: ANN001
    p, h = history
    cases = [
        (ItemFilter(splits=("train",)), lambda s, n, c, t: s == "train"),
        (ItemFilter(splits=("val", "test")), lambda s, n, c, t: s in ("val", "test")),
        (ItemFilter(splits=("",)), lambda s, n, c, t: s is None),
        (ItemFilter(text="IMG0"), None),
        (ItemFilter(meta=(MetaCondition("camera", "=", "Alpha"),)), lambda s, n, c, t: c == "Alpha"),
        (ItemFilter(meta=(MetaCondition("camera", "~", "ALP"),)), lambda s, n, c, t: c == "Alpha"),
        (ItemFilter(meta=(MetaCondition("camera", "!=", "Alpha"),)), lambda s, n, c, t: c != "Alpha"),
        (ItemFilter(meta=(MetaCondition("camera", "?"),)), lambda s, n, c, t: c is not None),
        (ItemFilter(meta=(MetaCondition("camera", "!?"),)), lambda s, n, c, t: c is None),
        (ItemFilter(tags=("night",)), lambda s, n, c, t: "night" in t),
        (ItemFilter(splits=("train",), meta=(MetaCondition("camera", "?"),)),
         lambda s, n, c, t: s == "train" and c is not None),
    ]
    for version, state in ((h.v1, V1), (h.v2, V2)):
        for flt, test in cases:
            want = (sorted(n for n in state if "img0" in n) if test is None else expected(state, test))
            assert names_at(p, version.seq, flt) == want, (version.label, flt)
            assert p.count_items("ds", flt, at_seq=version.seq) == len(want)


def test_class_filters_use_the_labels_and_class_names_of_the_version(history) -> None:  # noqa: ANN001
    p, h = history
    v1, v2 = h.v1.seq, h.v2.seq
    assert names_at(p, v1, ItemFilter(with_classes=("dog",))) == ["img01.png", "img02.png"]
    assert names_at(p, v1, ItemFilter(with_classes=("hound",))) == []  # renamed later
    assert names_at(p, v1, ItemFilter(with_classes=("cat",))) == ["img00.png", "img01.png"]
    assert names_at(p, v1, ItemFilter(with_classes=("cat",), without_classes=("dog",))) == ["img00.png"]
    assert len(names_at(p, v1, ItemFilter(without_classes=("cat",)))) == 10
    assert names_at(p, v2, ItemFilter(with_classes=("hound",))) == ["img02.png"]
    assert names_at(p, v2, ItemFilter(with_classes=("cat",))) == ["img00.png", "img01.png", "img03.png"]
    # Now: img02 (the hound) is gone, img10 has cats.
    now = p.item_columns("ds", p.item_ids("ds", ItemQuery(ItemFilter(with_classes=("cat",))))).names
    assert now == ["img00.png", "img01.png", "img03.png", "img10.png"]
    assert p.item_ids("ds", ItemQuery(ItemFilter(with_classes=("hound",)))).size == 0


def test_sorting_at_a_version(history) -> None:  # noqa: ANN001
    p, h = history
    seq = h.v1.seq
    assert names_at(p, seq, sort="name", descending=True) == sorted(V1, reverse=True)
    by_labels = names_at(p, seq, sort="labels", descending=True)
    assert by_labels[0] == "img01.png" and set(by_labels[1:3]) == {"img00.png", "img02.png"}
    assert names_at(p, seq, sort="split")[:6] == ["img06.png", "img07.png", "img08.png", "img09.png",
                                                   "img10.png", "img11.png"]
    assert names_at(p, seq, sort="meta:camera", descending=True)[:3] == ["img03.png", "img02.png", "img01.png"]
    assert names_at(p, seq, ItemFilter(splits=("train",)), sort="labels", descending=True) == [
        "img01.png", "img02.png", "img00.png", "img03.png"]
    assert list(p.item_ids("ds", at_seq=seq, limit=3)) == list(p.item_ids("ds", at_seq=seq)[:3])
    for refused in (ItemQuery(sort="status"), ItemQuery(ItemFilter(statuses=("accepted",))),
                    ItemQuery(ItemFilter(annotators=("ana",)))):
        with pytest.raises(InvalidInput, match="not versioned"):
            p.item_ids("ds", refused, at_seq=seq)


def test_choices_keys_tags_and_lookups_at_a_version(history) -> None:  # noqa: ANN001
    p, h = history
    c1 = p.filter_choices("ds", at_seq=h.v1.seq)
    assert c1.splits == {"": 6, "train": 4, "val": 2}
    assert c1.classes == ["cat", "dog"] and c1.annotators == [] and len(c1.batches) == 1
    c2 = p.filter_choices("ds", at_seq=h.v2.seq)
    assert c2.splits == {"": 6, "test": 1, "train": 4, "val": 1}
    assert c2.classes == ["cat", "hound"] and len(c2.batches) == 2
    assert p.item_tags("ds", at_seq=h.v1.seq) == ["night"] and p.item_tags("ds") == ["dawn", "night"]
    assert p.metadata_keys("ds", at_seq=h.v1.seq) == ["camera", "source", "tags"]
    u = h.uids
    # img05 left the dataset after v1: found then, not now; new0 came after v1.
    assert p.item_info("ds", u["img05.png"], at_seq=h.v1.seq).split == "val"
    assert p.item_info("ds", u["img05.png"]) is None
    assert p.item_info("ds", u["new0.png"], at_seq=h.v1.seq) is None
    assert p.item_info("ds", u["img00.png"], at_seq=h.v1.seq).split == "train"
    assert p.item_info("ds", u["img00.png"]).split == "test"
    ids = p.ids_of_uids("ds", [u["img05.png"], u["img01.png"]], at_seq=h.v1.seq)
    assert p.item_details("ds", [u["img05.png"], u["img01.png"]], at_seq=h.v1.seq).names == ["img05.png", "img01.png"]
    assert len(ids) == 2 and not np.isin(ids, p.item_ids("ds")).any()  # rows of then, not now
    assert p.item_uids("ds", ItemQuery(ItemFilter(splits=("val",))), at_seq=h.v1.seq) == [u["img04.png"], u["img05.png"]]
    with pytest.raises(InvalidInput, match="has not happened"):
        p.item_ids("ds", at_seq=p.seq() + 5)


# ---------------------------------------------------------------------------------- the window
def visible_names(browser) -> list[str]:  # noqa: ANN001
    model = browser.model
    return [model.index(r, 0).data() for r in range(model.rowCount())
            if model.columns(r, wait=True) is not None]


def pick(chip, section: str, value: str) -> None:  # noqa: ANN001
    """Tick ``value`` in a filter drop-down, as a click on its menu entry does."""
    chip._sections[section][value].trigger()


def column(browser, header: str) -> list[str]:  # noqa: ANN001
    model = browser.model
    c = next(i for i in range(model.columnCount()) if model.headerData(i, Qt.Orientation.Horizontal) == header)
    return [model.index(r, c).data() for r in range(model.rowCount())]


def test_assets_version_mode_is_read_only_and_back_returns_to_the_live_dataset(qtbot, window, history) -> None:  # noqa: ANN001
    p, h = history
    browser = open_assets(qtbot, window, p)
    assert len(visible_names(browser)) == 11 and browser.set_split_button.isVisible()
    window.browse_version("ds", h.v1)
    wait_loaded(qtbot, browser)
    assets = window.assets
    assert window.current_workspace() == "assets" and assets.banner.isVisible()
    banner = assets.banner_label.text()
    assert re.search(r"Version 1 \(base\) of ds</b>, committed \d{4}-\d\d-\d\d \d\d:\d\d by lena — <b>read-only", banner), banner
    assert "first split and labels" in banner
    assert visible_names(browser) == sorted(V1)
    assert column(browser, "Split") == [V1[n][0] or "" for n in sorted(V1)]
    assert column(browser, "Labels") == [str(V1[n][1]) for n in sorted(V1)]
    assert "12 items" in browser.count_label.text()
    # Nothing that edits is offered: buttons hidden, context menu without edits.
    for button in (browser.set_split_button, browser.metadata_button, browser.tag_button,
                   browser.csv_button, browser.split_button, browser.clean_button, browser.datasheet_button):
        assert not button.isVisible(), button.text()
    assert not assets.import_button.isEnabled() and "read-only" in assets.import_button.toolTip()
    browser.select_rows(np.arange(3))
    menu = browser.actions.context_menu(browser.rows.index(0, 0))
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == ["Open in Annotate"], texts
    assert not browser.filters.status.isVisible() and not browser.filters.annotator.isVisible()
    assert browser.table.isColumnHidden(2) and browser.table.isColumnHidden(4)

    # Filters in the window give v1's answers (img01 and img02 were the dog's then).
    pick(browser.filters.classes, "Has a label of", "dog")
    wait_loaded(qtbot, browser)
    assert visible_names(browser) == ["img01.png", "img02.png"]
    assert "2 of 12 items" in browser.count_label.text()
    qtbot.mouseClick(browser.filters.clear_button, Qt.MouseButton.LeftButton)
    pick(browser.filters.split, "Split", "val")
    wait_loaded(qtbot, browser)
    assert visible_names(browser) == ["img04.png", "img05.png"]  # img05 was excluded after v1
    qtbot.mouseClick(browser.filters.clear_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(browser.filters.search, "img1")
    qtbot.keyClick(browser.filters.search, Qt.Key.Key_Return)
    wait_loaded(qtbot, browser)
    assert visible_names(browser) == ["img10.png", "img11.png"]
    # The project changes meanwhile (another change in the window): v1 stays v1.
    p.set_split("ds", [h.uids["img10.png"]], "train")
    window.refresh_project()
    wait_loaded(qtbot, browser)
    assert browser.version is not None and assets.banner.isVisible()
    assert column(browser, "Split") == ["", ""]

    qtbot.mouseClick(assets.back_button, Qt.MouseButton.LeftButton)
    wait_loaded(qtbot, browser)
    assert not assets.banner.isVisible() and browser.version is None
    assert browser.filters.search.text() == ""
    names = visible_names(browser)
    assert len(names) == 11 and "img05.png" not in names and "new0.png" in names
    assert column(browser, "Split")[names.index("img10.png")] == "train"
    assert browser.set_split_button.isVisible() and assets.import_button.isEnabled()
    assert browser.filters.status.isVisible() and not browser.table.isColumnHidden(2)


def test_a_deprecated_version_says_so_and_switching_dataset_leaves_version_mode(qtbot, window, history, make_images) -> None:  # noqa: ANN001
    p, h = history
    p.deprecate_version("ds", 1, "labels of img02 were wrong")
    p.create_dataset("other")
    p.import_images("other", [make_images("other", 2, start=50)])
    open_assets(qtbot, window, p)
    window.browse_version("ds", h.v1)  # a record kept from before: the banner reads it afresh
    browser = window.assets.browser
    wait_loaded(qtbot, browser)
    text = window.assets.banner_label.text()
    assert "deprecated" in text.lower() and "labels of img02 were wrong" in text
    assert visible_names(browser) == sorted(V1)
    # Another dataset picked in the list: live, editable, no banner.
    table = window.assets.table
    row = window.assets.model.dataset_names().index("other")
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(table.model().index(row, 0)).center())
    wait_loaded(qtbot, browser)
    assert browser.dataset == "other" and browser.version is None
    assert not window.assets.banner.isVisible() and len(visible_names(browser)) == 2
    # Back to ds by the list: the live ds, not the version.
    row = window.assets.model.dataset_names().index("ds")
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(table.model().index(row, 0)).center())
    wait_loaded(qtbot, browser)
    assert browser.version is None and len(visible_names(browser)) == 11


def test_opening_an_item_of_a_version_asks_annotate_for_that_version(qtbot, window, history, monkeypatch) -> None:  # noqa: ANN001
    p, h = history
    open_assets(qtbot, window, p)
    opened: list[tuple] = []
    monkeypatch.setattr(window, "show_item", lambda dataset, uid, version=None: opened.append(
        (dataset, uid, version.number if version is not None else None)))
    window.browse_version("ds", h.v1)
    browser = window.assets.browser
    wait_loaded(qtbot, browser)
    row = visible_names(browser).index("img05.png")  # gone now, there in v1
    browser.select_rows(np.asarray([row]), row)
    browser.grid.setFocus()
    qtbot.keyClick(browser.grid, Qt.Key.Key_Return)
    assert opened == [("ds", h.uids["img05.png"], 1)]
    browser.show_view(1)
    index = browser.rows.index(0, 0)
    at = browser.table.visualRect(index).center()
    qtbot.mouseClick(browser.table.viewport(), Qt.MouseButton.LeftButton, pos=at)  # a double click:
    qtbot.mouseDClick(browser.table.viewport(), Qt.MouseButton.LeftButton, pos=at)  # press, then again
    assert opened[-1] == ("ds", h.uids["img00.png"], 1)
