"""Item edits through the API: one change per call however many items, versioned rows,
permissions, undo, and metadata from CSV with bad rows reported and the rest applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.geometry import Box
from labelhub.project import ItemFilter, ItemQuery, NewAnnotation, Project

from .conftest import uids_by_name


def test_split_and_metadata_edits_are_one_versioned_change_each(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    before = p.seq()
    chosen = [u[f"img{i:02d}.png"] for i in range(5)]
    result = p.set_split("ds", chosen, "train")
    assert (result.changed, result.unchanged, result.seq) == (5, 0, before + 1)
    again = p.set_split("ds", chosen, "train")
    assert (again.changed, again.unchanged, again.seq) == (0, 5, None)
    assert p.seq() == before + 1  # nothing changed: no change recorded
    meta = p.edit_metadata("ds", chosen[:3], {"licence": "CC BY 4.0", "camera": "A"})
    assert meta.changed == 3 and p.seq() == before + 2
    change = p.changes(limit=1)[0]
    assert change.action == "items.edit_metadata" and change.detail["changed"] == 3
    # The rows were closed and succeeded under the same uids: the past is still there.
    assert {i.split for i in p.items("ds", at_seq=before)} == {None}
    now = {i.name: i for i in p.items("ds")}
    assert now["img00.png"].split == "train" and now["img00.png"].metadata["camera"] == "A"
    assert now["img00.png"].uid == u["img00.png"]
    p.edit_metadata("ds", chosen[:1], {"camera": ""}, remove=["licence"])
    assert "camera" not in p.item_details("ds", chosen[:1]).meta[0]
    assert "licence" not in p.item_details("ds", chosen[:1]).meta[0]
    p.undo(meta.seq + 1)  # undo takes back the last metadata change as a change of its own
    assert p.item_details("ds", chosen[:1]).meta[0]["camera"] == "A"
    assert p.audit_verify().ok


def test_edits_check_their_input_and_the_role(twelve, tmp_path: Path) -> None:  # noqa: ANN001
    p = twelve
    u = list(uids_by_name(p, "ds").values())
    with pytest.raises(InvalidInput, match="capture_time"):
        p.edit_metadata("ds", u[:1], {"capture_time": "yesterday"})
    with pytest.raises(InvalidInput, match="kept by LabelHub"):
        p.edit_metadata("ds", u[:1], {"tags": "x"})
    with pytest.raises(InvalidInput, match="not a usable split name"):
        p.set_split("ds", u[:1], "a,b")
    with pytest.raises(InvalidInput, match="tag"):
        p.tag_items("ds", u[:1], add=['"quoted"'])
    with pytest.raises(NotFound, match="no longer in the dataset"):
        p.set_split("ds", [*u[:1], "f" * 32], "train")
    assert p.edit_metadata("ds", u[:1], {"capture_time": "2024-05-31T14:02:00"}).changed == 1
    with Project.open(p.folder, user="ana", backup=False) as ana:
        with pytest.raises(PermissionDenied, match="lead"):
            ana.set_split("ds", u[:1], "train")
        with pytest.raises(PermissionDenied, match="lead"):
            ana.exclude_items("ds", u[:1])


def test_tags_keep_and_exclude(twelve) -> None:  # noqa: ANN001
    p = twelve
    u = uids_by_name(p, "ds")
    a, b, c = u["img00.png"], u["img01.png"], u["img02.png"]
    p.tag_items("ds", [a, b], add=["night", "rain"])
    p.tag_items("ds", [b], remove=["rain"])
    metas = p.item_details("ds", [a, b]).meta
    assert metas[0]["tags"] == ["night", "rain"] and metas[1]["tags"] == ["night"]
    assert p.item_tags("ds") == ["night", "rain"]
    p.keep_findings("ds", [a], "blurry")
    assert p.item_details("ds", [a]).meta[0]["kept"] == ["blurry"]
    with pytest.raises(InvalidInput, match="unknown finding"):
        p.keep_findings("ds", [a], "ugly")
    p.add_label_class("ds", "cat")
    gt = p.ground_truth("ds").uid
    p.add_annotations(gt, c, [NewAnnotation("cat", Box(1, 1, 9, 9))])
    before = p.seq()
    result = p.exclude_items("ds", [b, c], reason="duplicates")
    assert result.changed == 2 and p.count_items("ds") == 10
    assert p.changes(limit=1)[0].detail["names"] == ["img01.png", "img02.png"]
    assert p.annotations(gt, c) == []  # its labels left with it
    assert len(p.annotations(gt, c, at_seq=before)) == 1  # but the past keeps them
    assert p.count_items("ds", ItemFilter(tags=("night",))) == 1
    assert p.audit_verify().ok


def test_metadata_csv_applies_good_rows_and_reports_bad_ones(twelve, tmp_path: Path) -> None:  # noqa: ANN001
    p = twelve
    sheet = tmp_path / "meta.csv"
    sheet.write_text(
        "file,licence,camera,capture_time\n"
        "img00.png,CC0,A,2023-01-02T03:04:05\n"
        "twelve/img01.png,CC BY 4.0,B,\n"          # a path: its last part is the item
        "missing.png,CC0,C,\n"                     # no such item
        "img02.png,CC0,D,last tuesday\n"           # bad capture time
        "img00.png,CC0,E,\n"                       # the same item again
        "img03.png,,F,\n"                          # empty cells leave fields alone
        "img04.png,CC0,G,,extra\n"                 # too many cells
        "\n", encoding="utf-8")
    before = p.seq()
    report = p.import_metadata_csv("ds", sheet)
    assert report.applied == 3 and report.seq == before + 1 and p.seq() == before + 1
    assert [line for line, _reason in report.errors] == [4, 5, 6, 8]
    reasons = dict(report.errors)
    assert "no item named missing.png" in reasons[4]
    assert "capture_time" in reasons[5] and "already given on line 2" in reasons[6]
    assert "5 cells" in reasons[8]
    assert report.fields == ["licence", "camera", "capture_time"]
    got = {c: m for c, m in zip(*(lambda cols: (cols.names, cols.meta))(p.item_columns("ds", p.item_ids("ds"))),
                                strict=True)}
    assert got["img00.png"]["capture_time"] == "2023-01-02T03:04:05" and got["img00.png"]["camera"] == "A"
    assert got["img01.png"]["licence"] == "CC BY 4.0"
    assert got["img03.png"] == {**got["img03.png"], "camera": "F"} and "licence" not in got["img03.png"]
    assert "camera" not in got["img02.png"]
    assert p.count_items("ds", ItemFilter(meta=())) == 12
    assert "3 items updated" in report.summary() and "4 rows refused" in report.summary()


@pytest.mark.parametrize(("content", "message"), [
    ("licence\nCC0\n", "no column naming the files"),
    ("file,tags\nimg00.png,x\n", "kept by LabelHub"),
    ("file,a,a\nimg00.png,1,2\n", "appears twice"),
    ("file\nimg00.png\n", "only the file column"),
    ("", "empty"),
])
def test_metadata_csv_refuses_unusable_files_whole(twelve, tmp_path: Path, content: str, message: str) -> None:  # noqa: ANN001
    sheet = tmp_path / "bad.csv"
    sheet.write_text(content, encoding="utf-8")
    before = twelve.seq()
    with pytest.raises(InvalidInput, match=message) as caught:
        twelve.import_metadata_csv("ds", sheet)
    assert str(sheet) in str(caught.value)
    assert twelve.seq() == before


def test_metadata_csv_semicolons_and_ambiguous_names(lead_project, make_images, tmp_path: Path) -> None:  # noqa: ANN001
    p = lead_project
    p.create_dataset("two")
    root = make_images("two/left", 2)
    make_images("two/right", 2, start=50)
    p.import_images("two", [root.parent])
    sheet = tmp_path / "semi.csv"
    sheet.write_text("name;site\nimg00.png;north\nright/img01.png;south\n", encoding="utf-8")
    report = p.import_metadata_csv("two", sheet)
    assert report.applied == 1 and "matches 2 items" in report.errors[0][1]
    assert p.item_uids("two", ItemQuery(ItemFilter.parse(["meta:site=south"]))) == p.resolve_items("two", ["right/img01.png"])
