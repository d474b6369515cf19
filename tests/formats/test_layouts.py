"""Files as other tools write them (hand-written here), read into the value objects; and the
layouts the writers produce for the caller to copy images into."""

from __future__ import annotations

import base64
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from formats_samples import sample_document, write_png
from PIL import Image

from labelhub.errors import Cancelled
from labelhub.formats import (
    AnnotationRecord,
    ClassSpec,
    ImageRecord,
    LabelDocument,
    ReadOptions,
    read_dataset,
    write_document,
)
from labelhub.geometry import (
    Box,
    Keypoints,
    Mask,
    Points,
    Polygon,
    Polyline,
    RotatedBox,
    Tag,
)


def test_yolo_flat_layout_with_a_flow_list_of_names(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("# from another tool\nnames: ['cat', \"dog\"]  # two\n")
    write_png(tmp_path / "images" / "x.png", 100, 50)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "x.txt").write_text(
        "1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.3 0.1 0.2 0.5\n")
    doc = read_dataset("yolo", tmp_path)
    assert [c.name for c in doc.classes] == ["cat", "dog"]
    assert doc.images == [ImageRecord("x.png", 100, 50, None)]
    assert doc.media == {"x.png": "images/x.png"}
    dog, cat = doc.annotations
    assert dog.label == "dog" and dog.shape == Box(40, 15, 20, 20)
    assert cat.shape == Polygon([(10, 5), (30, 5), (20, 25)])


def test_yolo_classify_folders(tmp_path: Path) -> None:
    for rel in ("train/cat/1.jpg", "train/dog/2.jpg", "val/cat/3.jpg"):
        write_png(tmp_path / rel, 8, 8)
    doc = read_dataset("yolo", tmp_path)
    assert {(i.name, i.split) for i in doc.images} == {("1.jpg", "train"), ("2.jpg", "train"),
                                                       ("3.jpg", "val")}
    assert {(a.image, a.label) for a in doc.annotations} == {
        ("1.jpg", "cat"), ("2.jpg", "dog"), ("3.jpg", "cat")}


def test_voc_devkit_layout(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "2008_000001.xml").write_text(
        "<annotation><folder>VOC2012</folder><filename>2008_000001.jpg</filename>"
        "<size><width>500</width><height>375</height><depth>3</depth></size>"
        "<object><name>dog</name><pose>Left</pose><truncated>1</truncated>"
        "<difficult>0</difficult><bndbox><xmin>10</xmin><ymin>20</ymin><xmax>110</xmax>"
        "<ymax>220</ymax></bndbox></object>"
        "<object><name>cat</name><difficult>1</difficult><bndbox><xmin>1.5</xmin>"
        "<ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object></annotation>")
    main = tmp_path / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text("2008_000001\n")
    (main / "trainval.txt").write_text("2008_000001\n")
    (main / "dog_train.txt").write_text("2008_000001  1\n")
    doc = read_dataset("voc", tmp_path)
    assert [c.name for c in doc.classes] == ["cat", "dog"]
    assert doc.images == [ImageRecord("2008_000001.jpg", 500, 375, "train")]
    dog, cat = doc.annotations
    assert dog.shape == Box(10, 20, 100, 200)
    assert dog.attributes == {"pose": "Left", "truncated": True}
    assert cat.shape == Box(1.5, 2, 1.5, 2) and cat.attributes == {"difficult": True}


CVAT_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><project><labels>
    <label><name>car</name><color>#fa3253</color><type>rectangle</type><attributes>
      <attribute><name>parked</name><mutable>False</mutable><input_type>checkbox</input_type>
        <default_value>false</default_value><values>false\ntrue</values></attribute>
      <attribute><name>speed</name><mutable>True</mutable><input_type>number</input_type>
        <default_value>0</default_value><values>0\n200\n1</values></attribute>
      <attribute><name>kind</name><mutable>False</mutable><input_type>select</input_type>
        <default_value>van</default_value><values>van\nbus</values></attribute>
    </attributes></label>
    <label><name>hand</name><type>skeleton</type><attributes/>
      <svg>&lt;line data-type="edge" data-node-from="2" data-node-to="1"&gt;&lt;/line&gt;
      &lt;circle data-node-id="1" data-label-name="wrist"&gt;&lt;/circle&gt;
      &lt;circle data-label-name="thumb" data-node-id="2"&gt;&lt;/circle&gt;</svg></label>
    <label><name>wrist</name><type>points</type><parent>hand</parent></label>
    <label><name>thumb</name><type>points</type><parent>hand</parent></label>
    <label><name>mess</name><attributes/></label>
  </labels></project></meta>
  <image id="0" name="dir/one.jpg" width="20" height="10" subset="Train">
    <box label="car" source="manual" occluded="1" xtl="6.00" ytl="2.00" xbr="10.00" ybr="8.00"
         rotation="45.0" z_order="2" group_id="4">
      <attribute name="parked">true</attribute>
      <attribute name="speed">12.5</attribute>
      <attribute name="kind">bus</attribute>
    </box>
    <mask label="mess" source="manual" occluded="0" rle="2, 3, 4, 1" left="1" top="2"
          width="5" height="2" z_order="0"></mask>
    <skeleton label="hand" source="manual" z_order="0">
      <points label="thumb" source="manual" outside="0" occluded="1" points="3.5,4.5"/>
      <points label="wrist" source="manual" outside="1" occluded="0" points="1,1"/>
    </skeleton>
    <polyline label="mess" occluded="0" points="0,0;19.5,9.5"/>
    <tag label="mess" source="manual"/>
  </image>
</annotations>
"""


def test_cvat_from_cvat(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text(CVAT_XML)
    doc = read_dataset("cvat", tmp_path)
    car, hand, mess = doc.classes
    assert car.color == "#fa3253"
    assert [(a.name, a.type) for a in car.attributes] == [
        ("parked", "bool"), ("speed", "float"), ("kind", "select")]
    assert hand.keypoint_names == ("wrist", "thumb") and hand.skeleton == ((1, 0),)
    assert doc.images == [ImageRecord("dir/one.jpg", 20, 10, "Train")]
    box, mask, skeleton, line, tag = doc.annotations
    assert box.shape == RotatedBox(8, 5, 4, 6, 45)
    assert box.attributes == {"occluded": True, "z_order": 2, "parked": True, "speed": 12.5,
                              "kind": "bus"}
    assert box.group == 4
    arr = np.zeros((10, 20), bool)
    arr[2, 3:6] = True
    arr[3, 5] = True
    assert mask.shape == Mask.from_array(arr)
    assert skeleton.shape == Keypoints([(1, 1), (3.5, 4.5)], (0, 1))
    assert line.shape == Polyline([(0, 0), (19.5, 9.5)])
    assert tag.shape == Tag() and tag.label == "mess"


def _png(arr: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_labelme_from_labelme(tmp_path: Path) -> None:
    shapes = [
        {"label": "a", "shape_type": "rectangle", "points": [[9, 8], [1, 2]], "group_id": 1,
         "flags": {"truncated": True}, "description": "left"},
        {"label": "a", "shape_type": "circle", "points": [[10, 10], [13, 14]]},
        {"label": "b", "shape_type": "line", "points": [[1, 1], [2, 3]]},
        {"label": "b", "shape_type": "point", "points": [[4, 4]]},
        {"label": "b", "shape_type": "mask", "points": [[2, 3], [4, 4]],
         "mask": _png(np.array([[1, 0, 1], [1, 1, 0]], dtype=np.uint8) * 255)},
    ]
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "p.json").write_text(json.dumps(
        {"version": "5.3.1", "flags": {"night": True, "rain": False}, "shapes": shapes,
         "imagePath": "../p.jpg", "imageData": None, "imageWidth": 30, "imageHeight": 20}))
    doc = read_dataset("labelme", tmp_path)
    assert doc.images == [ImageRecord("p.jpg", 30, 20)]
    assert [c.name for c in doc.classes] == ["a", "b", "night"]
    tag, rect, circle, line, point, mask = doc.annotations
    assert tag.shape == Tag() and tag.label == "night"
    assert rect.shape == Box(1, 2, 8, 6) and rect.group == 1
    assert rect.attributes == {"truncated": True, "description": "left"}
    assert isinstance(circle.shape, Polygon) and abs(circle.shape.area() - np.pi * 25) < 1
    assert line.shape == Polyline([(1, 1), (2, 3)])
    assert point.shape == Points([(4, 4)])
    arr = np.zeros((20, 30), bool)
    arr[3, 2] = arr[3, 4] = arr[4, 2] = arr[4, 3] = True
    assert mask.shape == Mask.from_array(arr)


def test_datumaro_legacy_points(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "default.json").write_text(json.dumps({
        "categories": {"label": {"labels": [{"name": "p", "parent": ""}]}},
        "items": [{"id": "frame_1", "image": {"path": "frame_1.jpg", "size": [10, 20]},
                   "annotations": [
                       {"type": "points", "label_id": 0, "points": [1, 2, 3, 4],
                        "visibility": [2, 2], "group": 0, "attributes": {"score": 0.5}},
                       {"type": "points", "label_id": 0, "points": [1, 2, 3, 4],
                        "visibility": [2, 1], "attributes": {"is_crowd": True}}]}]}))
    doc = read_dataset("datumaro", tmp_path)
    assert doc.images == [ImageRecord("frame_1.jpg", 20, 10, None)]
    loose, kp = doc.annotations
    assert loose.shape == Points([(1, 2), (3, 4)]) and loose.score == 0.5
    assert kp.shape == Keypoints([(1, 2), (3, 4)], (2, 1)) and kp.iscrowd


def _tags_document(splits: bool) -> LabelDocument:
    classes = [ClassSpec(0, "cat"), ClassSpec(1, "dog")]
    images = [ImageRecord("1.jpg", 8, 8, "train" if splits else None),
              ImageRecord("2.jpg", 8, 8, "val" if splits else None),
              ImageRecord("3.jpg", 8, 8, None)]
    anns = [AnnotationRecord("1.jpg", "cat", Tag()), AnnotationRecord("1.jpg", "dog", Tag()),
            AnnotationRecord("2.jpg", "dog", Tag()),
            AnnotationRecord("2.jpg", "dog", Box(1, 1, 2, 2))]
    return LabelDocument(classes, images, anns)


def test_imagenet_layout(tmp_path: Path) -> None:
    flat = write_document("imagenet", tmp_path / "flat", _tags_document(False))
    assert flat.files == []
    assert flat.media == {"1.jpg": ["cat/1.jpg", "dog/1.jpg"], "2.jpg": ["dog/2.jpg"]}
    assert [(loss.kind, loss.action) for loss in flat.losses] == [("box", "dropped")]
    split = write_document("imagenet", tmp_path / "split", _tags_document(True))
    assert split.media == {"1.jpg": ["train/cat/1.jpg", "train/dog/1.jpg"],
                           "2.jpg": ["val/dog/2.jpg"]}
    for paths in split.media.values():
        for rel in paths:
            write_png(tmp_path / "split" / rel, 8, 8)
    doc = read_dataset("imagenet", tmp_path / "split")
    assert {(a.image, a.label) for a in doc.annotations} == {
        ("1.jpg", "cat"), ("1.jpg", "dog"), ("2.jpg", "dog")}
    assert {(i.name, i.split) for i in doc.images} == {("1.jpg", "train"), ("2.jpg", "val")}


def test_csv_layout(tmp_path: Path) -> None:
    result = write_document("csv", tmp_path, _tags_document(False))
    assert (tmp_path / "labels.csv").read_text() == (
        "filename,label\n1.jpg,cat\n1.jpg,dog\n2.jpg,dog\n3.jpg,\n")
    assert result.media["3.jpg"] == ["images/3.jpg"]
    doc = read_dataset("csv", tmp_path / "labels.csv")
    assert [i.name for i in doc.images] == ["1.jpg", "2.jpg", "3.jpg"]
    assert [(a.image, a.label) for a in doc.annotations] == [
        ("1.jpg", "cat"), ("1.jpg", "dog"), ("2.jpg", "dog")]


def test_coco_layout_and_media(tmp_path: Path) -> None:
    result = write_document("coco", tmp_path, sample_document())
    assert result.files == ["annotations/instances_default.json",
                            "annotations/instances_train.json", "annotations/instances_val.json"]
    assert result.media["sub/c.png"] == ["images/default/sub/c.png"]
    write_png(tmp_path / "images" / "train" / "a.jpg", 64, 48)
    doc = read_dataset("coco", tmp_path)
    assert doc.media == {"a.jpg": "images/train/a.jpg"}
    assert {c.name: c.kinds for c in doc.classes}["road"] == ("polygon", "mask")


def test_readers_report_progress_and_can_be_cancelled(tmp_path: Path) -> None:
    write_document("labelme", tmp_path, sample_document())
    seen: list[tuple[int, int, str]] = []
    read_dataset("labelme", tmp_path, progress=lambda d, t, m: seen.append((d, t, m)))
    assert seen == [(1, 3, "a.json"), (2, 3, "b.json"), (3, 3, "sub/c.json")]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        read_dataset("labelme", tmp_path, ReadOptions(), cancel=cancel)
