"""Images handed to the writers as runs of columns (ItemBatch, how a project hands over most
of a big dataset) write the very bytes of the same images handed over one by one, in every
format: runs over several splits, runs with images without boxes, runs mixed with single
items, and runs the COCO writer cannot take whole (a bad name, a name out of order or given
twice, an unknown class, a bad split or size), whose problems are reported as item by item."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_roundtrip import FORMAT_CASES

from labelhub.formats import (
    BoxBlock,
    ClassSpec,
    ImageRecord,
    Item,
    ProblemsFound,
    StoredAnnotations,
    write_dataset,
)
from labelhub.formats._spill import MediaPlaces, _SeenNames
from labelhub.formats.batches import ItemBatch, ItemStream, runs_of
from labelhub.formats.safety import name_problem, names_acceptable

CLASSES = [ClassSpec(1, "car"), ClassSpec(2, "dog"), ClassSpec(3, "cat"),
           ClassSpec(4, "person", keypoint_names=("nose", "tail"))]
SPLITS = ["train", "val", None, "test"]


def _runs(images: int, seed: int, splits: list[str | None] = SPLITS) -> list[Item | ItemBatch]:
    """Images img000.. with 0-4 random boxes each, as runs of up to 7 images of one block of
    boxes (a single item now and then, with a box of its own)."""
    rng = random.Random(seed)
    lines: list[str] = []
    block = BoxBlock(lines)
    runs: list[Item | ItemBatch] = []
    run: list[tuple] = []
    labels: list[str] = []
    first = 0

    def close() -> None:
        nonlocal run, labels, first
        if run:
            columns = [list(c) for c in zip(*run, strict=True)]
            runs.append(ItemBatch(*columns, labels, block, first, checked=True))
        run, labels, first = [], [], len(lines)

    for i in range(images):
        name, w, h = f"img{i:03d}.jpg", rng.randint(40, 400), rng.randint(40, 300)
        split = rng.choice(splits)
        boxes = []
        for _ in range(rng.choice([0, 1, 1, 2, 4])):
            bw, bh = round(rng.uniform(1, w / 2), rng.choice([0, 1, 2, 5])), rng.uniform(1, h / 2)
            boxes.append((rng.choice(CLASSES[:3]).name,
                          f"{float(rng.randint(0, w // 2))!r},{rng.uniform(0, h / 2)!r},"
                          f"{float(bw)!r},{bh!r}"))
        if rng.random() < 0.15:  # a single item, its boxes in the block too
            close()
            lines += [line for _, line in boxes]
            anns = StoredAnnotations.boxes(name, [label for label, _ in boxes], block, first,
                                           checked=True) if boxes else ()
            runs.append(Item(ImageRecord(name, w, h, split, f"{i:064x}", {"n": i}), anns))
            first = len(lines)
            continue
        run.append((name, w, h, split, f"{i:064x}", {"n": i} if i % 3 else None, len(boxes)))
        labels += [label for label, _ in boxes]
        lines += [line for _, line in boxes]
        if len(run) == 7:
            close()
    close()
    return runs


def _items(runs: list[Item | ItemBatch]) -> list[Item]:
    return list(ItemStream(runs))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


@pytest.mark.parametrize(("fmt", "options"), [(f, o) for f, o, *_ in FORMAT_CASES],
                         ids=[c[2] for c in FORMAT_CASES])
def test_runs_write_the_bytes_of_single_items(tmp_path: Path, fmt: str, options: dict) -> None:
    runs = _runs(120, seed=len(fmt))
    assert sum(isinstance(r, ItemBatch) for r in runs) > 10
    assert sum(isinstance(r, Item) for r in runs) > 5
    as_runs = write_dataset(fmt, tmp_path / "runs", CLASSES, ItemStream(runs), options)
    one_by_one = write_dataset(fmt, tmp_path / "items", CLASSES, iter(_items(runs)), options)
    assert _tree(tmp_path / "runs") == _tree(tmp_path / "items")
    assert as_runs.sha256 == one_by_one.sha256
    assert as_runs.losses == one_by_one.losses
    assert dict(as_runs.media) == dict(one_by_one.media)


def test_coco_takes_runs_whole_and_counts_them(tmp_path: Path) -> None:
    runs = _runs(60, seed=3)
    seen: list[int] = []
    write_dataset("coco", tmp_path / "out", CLASSES, ItemStream(runs),
                  progress=lambda done, total, message: seen.append(done))
    assert seen[-1] == 60
    assert len(seen) == len(runs)  # one progress report per run, not per image


def test_a_run_of_one_split_and_runs_without_boxes(tmp_path: Path) -> None:
    runs = _runs(40, seed=5, splits=["train"])
    empty = ItemBatch(["zz1.jpg", "zz2.jpg"], [10, 20], [30, 40], ["val", "train"], [None, None],
                      [None, None], [0, 0], [], BoxBlock([]), checked=True)
    for name, stream in (("runs", ItemStream([*runs, empty])),
                         ("items", iter(_items([*runs, empty])))):
        write_dataset("coco", tmp_path / name, CLASSES, stream)
    assert _tree(tmp_path / "runs") == _tree(tmp_path / "items")


BAD_RUNS = {
    "a name going up": {"names": ["a.jpg", "../b.jpg"]},
    "an absolute name": {"names": ["/a.jpg", "b.jpg"]},
    "a name given twice": {"names": ["a.jpg", "a.jpg"]},
    "an empty name": {"names": ["", "a.jpg"]},
    "an unknown class": {"labels": ["car", "bus"]},
    "a split that cannot name a folder": {"splits": ["train", "a/b"]},
    "a size that is not known": {"widths": [10, None]},
    "a size that is not whole": {"heights": [10, 2.5]},
    "boxes not checked against their image": {"checked": False, "line": "5.0,5.0,90.0,90.0"},
}


@pytest.mark.parametrize("case", list(BAD_RUNS))
def test_runs_coco_cannot_take_whole_are_reported_as_item_by_item(tmp_path: Path,
                                                                  case: str) -> None:
    fields = {"names": ["a.jpg", "b.jpg"], "widths": [10, 20], "heights": [10, 20],
              "splits": ["train", "train"], "labels": ["car", "dog"], "checked": True,
              "line": "1.0,1.0,2.0,2.0"}
    fields.update(BAD_RUNS[case])
    block = BoxBlock([fields["line"], "1.0,1.0,2.0,2.0"])
    run = ItemBatch(fields["names"], fields["widths"], fields["heights"], fields["splits"],
                    [None, None], [None, None], [1, 1], fields["labels"], block,
                    checked=fields["checked"])
    errors = []
    for name, stream in (("runs", ItemStream([run])), ("items", iter(list(run.items())))):
        with pytest.raises(ProblemsFound) as caught:
            write_dataset("coco", tmp_path / name, CLASSES, stream)
        errors.append([str(p) for p in caught.value.problems])
        assert not any((tmp_path / name).iterdir())
    assert errors[0] == errors[1] and errors[0]


def test_a_run_out_of_order_is_written_item_by_item(tmp_path: Path) -> None:
    block = BoxBlock(["1.0,1.0,2.0,2.0", "3.0,1.0,2.0,2.0"])
    run = ItemBatch(["b.jpg", "a.jpg"], [10, 20], [10, 20], ["train", "val"], [None, None],
                    [None, None], [1, 1], ["car", "dog"], block, checked=True)
    write_dataset("coco", tmp_path / "runs", CLASSES, ItemStream([run]))
    write_dataset("coco", tmp_path / "items", CLASSES, iter(list(run.items())))
    assert _tree(tmp_path / "runs") == _tree(tmp_path / "items")


def test_names_acceptable_agrees_with_name_problem() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "/", "\\", ".", "..", " ", "\t", "\n", "\x00", "\x1f", "C:", "é",
                "\u00a0", "\u2003", "_", "-"]
    for _ in range(4000):
        names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.5:  # mostly fine names around one of them
            names = [f"dir/img{i}.png" for i in range(rng.randint(0, 5))] + names[:1]
        assert names_acceptable(names) == all(name_problem(n) is None for n in names), names
    assert names_acceptable([f"sub/img{i:05d}.png" for i in range(5000)])
    assert names_acceptable([])


def test_seen_names_and_media_places_take_runs_as_one_by_one() -> None:
    seen, one = _SeenNames(), _SeenNames()
    assert seen.can_take_run(["a", "b", "c"])
    seen.take_run(["a", "b", "c"])
    for name in ("a", "b", "c"):
        assert one.add(name)
    assert not seen.can_take_run(["c", "d"])  # given before
    assert not seen.can_take_run(["e", "d"])  # out of order
    assert not seen.add("b") and not one.add("b")
    places, single = MediaPlaces(), MediaPlaces()
    names = ["b.jpg", "a.jpg", "c.jpg"]
    folders = ["images/train/", "images/val/", "images/train/"]
    places.place_run(names, folders)
    for name, folder in zip(names, folders, strict=True):
        single.place(name, folder + name)
    assert dict(places) == dict(single) == {"a.jpg": ["images/val/a.jpg"],
                                            "b.jpg": ["images/train/b.jpg"],
                                            "c.jpg": ["images/train/c.jpg"]}
    assert list(places) == ["a.jpg", "b.jpg", "c.jpg"]


def test_a_run_is_iterable_as_items_and_checks_its_columns() -> None:
    block = BoxBlock(["1.0,2.0,3.0,4.0", "5.0,6.0,7.0,8.0", "0.5,0.5,1.0,1.0"])
    run = ItemBatch(["a", "b", "c"], [10, 10, 10], [10, 10, 10], ["train", None, "val"],
                    ["x", None, None], [{"k": 1}, None, None], [2, 0, 1], ["car", "dog", "cat"],
                    block, checked=True)
    items = list(run.items())
    assert [i.image.name for i in items] == ["a", "b", "c"]
    assert items[0].image.metadata == {"k": 1} and items[1].image.metadata == {}
    assert [(a.label, a.shape.x) for a in items[0].annotations] == [("car", 1.0), ("dog", 5.0)]
    assert items[1].annotations == () and items[2].annotations[0].shape.w == 1.0
    assert list(runs_of(ItemStream([run]))) == [run]
    assert list(runs_of(items)) == items
    with pytest.raises(ValueError):
        ItemBatch(["a"], [1], [1], [None], [None], [None], [2], ["car"], block)
    with pytest.raises(ValueError):
        ItemBatch(["a"], [1, 2], [1], [None], [None], [None], [1], ["car"], block)
