"""A corpus of hostile and broken files: each reader refuses it with a message naming the file
and the problem, and returns nothing."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from formats_samples import sample_document

from labelhub.errors import InvalidInput
from labelhub.formats import (
    Limits,
    ProblemsFound,
    ReadOptions,
    check_zip,
    read_dataset,
    safe_extract,
    write_document,
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<{root}>&lol4;</{root}>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<{root}><filename>&xxe;</filename></{root}>
"""


def _coco(tmp_path: Path, annotations: list, images: list | None = None) -> Path:
    data = {"images": images if images is not None else [
        {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "car"}], "annotations": annotations}
    path = tmp_path / "instances_train.json"
    path.write_text(json.dumps(data))  # NaN and Infinity are written as JSON literals
    return path


def _ann(**fields) -> dict:
    return {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0,
            "area": 12, "segmentation": []} | fields


# --------------------------------------------------------------------------- XML


@pytest.mark.parametrize("template", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_voc_refuses_dtds(tmp_path: Path, template: str) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "x.xml").write_text(template.format(root="annotation"))
    with pytest.raises(InvalidInput, match=r"Annotations/x\.xml: .*DTD"):
        read_dataset("voc", tmp_path)


@pytest.mark.parametrize("template", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_cvat_refuses_dtds(tmp_path: Path, template: str) -> None:
    (tmp_path / "annotations.xml").write_text(template.format(root="annotations"))
    with pytest.raises(InvalidInput, match=r"annotations\.xml: .*DTD"):
        read_dataset("cvat", tmp_path)


def test_broken_xml_is_named(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text("<annotations><image id='0'")
    with pytest.raises(InvalidInput, match=r"annotations\.xml: not valid XML"):
        read_dataset("cvat", tmp_path)


def test_cvat_video_tracks_are_refused(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text(
        "<annotations><version>1.1</version><track id='0' label='a'/></annotations>")
    with pytest.raises(InvalidInput, match="tracks"):
        read_dataset("cvat", tmp_path)


# --------------------------------------------------------------------------- zip archives


def _zip(path: Path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("member,message", [
    ("../evil.txt", "goes up with '..'"),
    ("a/../../evil.txt", "goes up with '..'"),
    ("/tmp/evil.txt", "absolute path"),
    ("C:\\evil.txt", "absolute path"),
])
def test_zip_slip_is_refused(tmp_path: Path, member: str, message: str) -> None:
    archive = _zip(tmp_path / "x.zip", {"ok.json": b"{}", member: b"pwned"})
    with pytest.raises(InvalidInput, match=rf"x\.zip: member .* refused: .*{message}"):
        safe_extract(archive, tmp_path / "out")
    with pytest.raises(InvalidInput, match="refused"):
        read_dataset("coco", archive)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlinks_are_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "x.zip", {"link": b"/etc/passwd"}, symlinks=("link",))
    with pytest.raises(InvalidInput, match="symbolic link"):
        safe_extract(archive, tmp_path / "out")


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"zeros.json": b"0" * (8 * 1024 * 1024)})
    assert archive.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match="zip bomb"):
        check_zip(archive)
    with pytest.raises(InvalidInput, match="zip bomb"):
        read_dataset("coco", archive)


def test_zip_member_count_and_total_size_are_capped(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" * 400 for i in range(5)})
    with pytest.raises(InvalidInput, match="5 members, over the limit of 3"):
        safe_extract(archive, tmp_path / "a", Limits(zip_max_members=3))
    with pytest.raises(InvalidInput, match="expands to more than"):
        safe_extract(archive, tmp_path / "b", Limits(zip_max_total_bytes=1000))
    assert safe_extract(archive, tmp_path / "c") == [f"f{i}.txt" for i in range(5)]


def test_zip_that_is_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InvalidInput, match="x.zip"):
        check_zip(tmp_path / "x.zip")


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "imagenet"])
@pytest.mark.parametrize("wrapped", [False, True], ids=["flat", "in-a-folder"])
def test_a_good_archive_reads(tmp_path: Path, fmt: str, wrapped: bool) -> None:
    from formats_samples import SIZES, write_png

    result = write_document(fmt, tmp_path / "out", sample_document())
    for name, paths in result.media.items():
        for rel in paths:
            write_png(tmp_path / "out" / rel, *SIZES[name])
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((tmp_path / "out").rglob("*")):
            rel = path.relative_to(tmp_path / "out").as_posix()
            zf.write(path, f"data/{rel}" if wrapped else rel)
    doc = read_dataset(fmt, archive)
    assert len(doc.images) == (2 if fmt == "imagenet" else 3)


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("image_path", ["../../etc/passwd", "/etc/passwd", "C:\\Users\\x.jpg"])
def test_labelme_image_path_may_not_leave_the_dataset(tmp_path: Path, image_path: str) -> None:
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "x.json").write_text(json.dumps(
        {"shapes": [], "imagePath": image_path, "imageWidth": 10, "imageHeight": 10}))
    with pytest.raises(ProblemsFound, match=r"ann/x\.json: image path .*(leaves|absolute)"):
        read_dataset("labelme", tmp_path)


def test_labelme_image_path_may_go_to_a_sibling_folder(tmp_path: Path) -> None:
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "x.json").write_text(json.dumps(
        {"shapes": [], "imagePath": "..\\img\\x.jpg", "imageWidth": 10, "imageHeight": 10}))
    assert read_dataset("labelme", tmp_path).images[0].name == "img/x.jpg"


def test_coco_file_name_may_not_leave_the_dataset(tmp_path: Path) -> None:
    path = _coco(tmp_path, [], images=[
        {"id": 1, "file_name": "../../secret.jpg", "width": 5, "height": 5},
        {"id": 2, "file_name": "/abs.jpg", "width": 5, "height": 5}])
    with pytest.raises(ProblemsFound) as err:
        read_dataset("coco", path)
    assert [p.image for p in err.value.problems] == ["../../secret.jpg", "/abs.jpg"]


def test_csv_and_datumaro_paths_may_not_leave_the_dataset(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("filename,label\n../x.jpg,cat\n")
    with pytest.raises(ProblemsFound, match=r"labels\.csv.*goes up"):
        read_dataset("csv", tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "train.json").write_text(json.dumps(
        {"categories": {"label": {"labels": []}},
         "items": [{"id": "x", "image": {"path": "/etc/passwd"}, "annotations": []}]}))
    with pytest.raises(ProblemsFound, match="absolute path"):
        read_dataset("datumaro", tmp_path)


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_symlink_out_of_the_dataset_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "x.json").symlink_to(secret)
    with pytest.raises(InvalidInput, match="symbolic link"):
        read_dataset("labelme", tmp_path / "ds")


# --------------------------------------------------------------------------- numbers


def test_coco_nan_and_infinite_coordinates(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann(bbox=[float("nan"), 1, 2, 3]),
                            _ann(id=2, segmentation=[[1, 1, float("inf"), 2, 3, 3]])])
    with pytest.raises(ProblemsFound) as err:
        read_dataset("coco", path)
    problems = err.value.problems
    assert [(p.file, p.image, p.index) for p in problems] == [
        ("instances_train.json", "a.jpg", 0), ("instances_train.json", "a.jpg", 1)]
    assert all("not a finite number" in p.message for p in problems)


def test_negative_sizes(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann(bbox=[1, 2, -3, 4])])
    with pytest.raises(ProblemsFound, match="box width must be positive"):
        read_dataset("coco", path)
    path = _coco(tmp_path, [], images=[{"id": 1, "file_name": "a.jpg", "width": -5,
                                        "height": 4}])
    with pytest.raises(ProblemsFound, match="image width must be a positive whole number"):
        read_dataset("coco", path)
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height></size>"
        "<object><name>car</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax>"
        "<ymax>3</ymax></bndbox></object></annotation>")
    with pytest.raises(ProblemsFound, match=r"Annotations/a\.xml, image a\.jpg, shape 0: box "
                       "width must be positive"):
        read_dataset("voc", tmp_path)


def test_out_of_image_coordinates(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann(bbox=[60, 2, 10, 4])])
    with pytest.raises(ProblemsFound, match="right edge x=70 > image width 64"):
        read_dataset("coco", path)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann(bbox=[float("nan"), 1, 2, 3]), _ann(id=2, category_id=99),
                            _ann(id=3, image_id=42), _ann(id=4)])
    with pytest.raises(ProblemsFound) as err:
        read_dataset("coco", path)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 3
    assert "not a finite number" in messages[0]
    assert messages[1] == "unknown category id 99"
    assert "image id 42, which is not among the images" in messages[2]
    assert "3 problems in the dataset" in str(err.value)


def test_yolo_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "data.yaml").write_text("names:\n  0: car\n")
    (tmp_path / "train.txt").write_text("./images/train/a.jpg\n")
    (tmp_path / "labels" / "train" / "a.txt").write_text(
        "0 nan 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n0 0.5 0.5 -0.1 0.1\n0 x y\n")
    (tmp_path / "labels" / "train" / "ghost.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ProblemsFound) as err:
        read_dataset("yolo", tmp_path, ReadOptions(image_sizes={"a.jpg": (10, 10)}))
    text = str(err.value)
    assert "not a finite number" in text
    assert "unknown class id 7" in text
    assert "box width must be positive" in text
    assert "not numbers" in text
    assert "labels/train/ghost.txt: labels for an image that is not in the dataset" in text


def test_yolo_without_sizes_says_so(tmp_path: Path) -> None:
    write_document("yolo", tmp_path, sample_document(), {"yolo_task": "detect"})
    with pytest.raises(ProblemsFound, match="image size is not known"):
        read_dataset("yolo", tmp_path)


def test_yolo_yaml_that_is_not_the_expected_yaml(tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    (tmp_path / "data.yaml").write_text("names: !!python/object:os.system ['rm']\n")
    with pytest.raises(InvalidInput, match=r"data\.yaml: line 1"):
        read_dataset("yolo", tmp_path)


def test_unknown_labels_in_other_formats(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "default.json").write_text(json.dumps(
        {"categories": {"label": {"labels": [{"name": "a", "parent": ""}]}},
         "items": [{"id": "x", "image": {"path": "x.jpg", "size": [5, 5]},
                    "annotations": [{"type": "bbox", "label_id": 5, "bbox": [0, 0, 1, 1]}]}]}))
    with pytest.raises(ProblemsFound, match="unknown label id 5"):
        read_dataset("datumaro", tmp_path)
    cvat = tmp_path / "c.xml"
    cvat.write_text("<annotations><meta><task><labels><label><name>a</name></label></labels>"
                    "</task></meta><image id='0' name='x.jpg' width='5' height='5'>"
                    "<box label='zebra' xtl='0' ytl='0' xbr='1' ybr='1'/></image></annotations>")
    with pytest.raises(ProblemsFound, match="unknown label 'zebra'"):
        read_dataset("cvat", cvat)


def test_labelme_nan_points_and_oversized_mask(tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (50, 50), 1).save(buf, format="PNG")
    (tmp_path / "x.json").write_text(json.dumps({
        "imagePath": "x.jpg", "imageWidth": 10, "imageHeight": 10, "shapes": [
            {"label": "a", "shape_type": "polygon",
             "points": [[1, 1], [float("nan"), 2], [3, 3]]},
            {"label": "a", "shape_type": "mask", "points": [[0, 0], [49, 49]],
             "mask": base64.b64encode(buf.getvalue()).decode()}]}))
    with pytest.raises(ProblemsFound) as err:
        read_dataset("labelme", tmp_path)
    assert "not a finite number" in err.value.problems[0].message
    assert "larger than the image" in err.value.problems[1].message


# --------------------------------------------------------------------------- JSON files


def test_truncated_json(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann()])
    path.write_text(path.read_text()[:-20])
    with pytest.raises(InvalidInput, match=r"instances_train\.json: the JSON ends too early"):
        read_dataset("coco", path)


def test_json_over_the_size_cap(tmp_path: Path) -> None:
    path = _coco(tmp_path, [_ann(id=i) for i in range(1, 50)])
    with pytest.raises(InvalidInput, match=r"instances_train\.json: the JSON file is .* over "
                       r"the 1\.0 KiB limit"):
        read_dataset("coco", path, ReadOptions(limits=Limits(max_json_bytes=1024)))


def test_deeply_nested_json(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(InvalidInput, match="nested too deeply"):
        read_dataset("labelme", tmp_path / "x.json")


def test_json_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InvalidInput, match=r"x\.json: not UTF-8"):
        read_dataset("labelme", tmp_path / "x.json")


def test_writers_refuse_bad_records_and_write_nothing(tmp_path: Path) -> None:
    import dataclasses

    from labelhub.geometry import Box

    doc = sample_document()
    doc.annotations[0] = dataclasses.replace(doc.annotations[0], shape=Box(1, 2, float("nan"), 3))
    doc.annotations.append(dataclasses.replace(doc.annotations[1], label="ghost"))
    with pytest.raises(ProblemsFound) as err:
        write_document("cvat", tmp_path / "out", doc)
    assert len(err.value.problems) == 2
    assert list((tmp_path / "out").rglob("*")) == []
