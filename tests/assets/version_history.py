"""A dataset that keeps changing after its versions: what the tests of browsing a past version
build, and what each version held (written out by hand, not read back from LabelHub)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labelhub.geometry import Box
from labelhub.project import NewAnnotation, Project, VersionInfo

from .conftest import save, textured


@dataclass
class History:
    v1: VersionInfo
    v2: VersionInfo
    uids: dict[str, str]


#: v1: name -> (split, ground-truth labels, camera, tags)
V1 = {
    "img00.png": ("train", 1, None, ()),
    "img01.png": ("train", 2, "Alpha", ()),
    "img02.png": ("train", 1, "Alpha", ()),
    "img03.png": ("train", 0, "beta", ()),
    "img04.png": ("val", 0, None, ("night",)),
    "img05.png": ("val", 0, None, ("night",)),
    "img06.png": (None, 0, None, ()),
    "img07.png": (None, 0, None, ()),
    "img08.png": (None, 0, None, ()),
    "img09.png": (None, 0, None, ()),
    "img10.png": (None, 0, None, ()),
    "img11.png": (None, 0, None, ()),
}
#: v2: img05 and img06 excluded, new0/new1 imported, img00 to test, img07 to train, img01's dog
#: deleted and a cat drawn on img03, img01 and img08 re-labelled as cameras, night moved
#: from img04 to img09, the class dog renamed hound.
V2 = {
    "img00.png": ("test", 1, None, ()),
    "img01.png": ("train", 1, "Gamma", ()),
    "img02.png": ("train", 1, "Alpha", ()),
    "img03.png": ("train", 1, "beta", ()),
    "img04.png": ("val", 0, None, ()),
    "img07.png": ("train", 0, None, ()),
    "img08.png": (None, 0, "Alpha", ()),
    "img09.png": (None, 0, None, ("night",)),
    "img10.png": (None, 0, None, ()),
    "img11.png": (None, 0, None, ()),
    "new0.png": (None, 0, None, ()),
    "new1.png": (None, 0, None, ()),
}


def uids_of(p: Project, dataset: str = "ds") -> dict[str, str]:
    return {i.name: i.uid for i in p.items(dataset)}


def build_history(p: Project, tmp: Path) -> History:
    """On the ``twelve`` dataset "ds": set up V1, commit v1; change it into V2, commit v2; then
    change it again (img02 excluded, img03 to val, img10 labelled, img11 tagged)."""
    u = uids_of(p)
    p.set_split("ds", [u[f"img0{i}.png"] for i in range(4)], "train")
    p.set_split("ds", [u["img04.png"], u["img05.png"]], "val")
    p.edit_metadata("ds", [u["img01.png"], u["img02.png"]], {"camera": "Alpha"})
    p.edit_metadata("ds", [u["img03.png"]], {"camera": "beta"})
    p.tag_items("ds", [u["img04.png"], u["img05.png"]], add=["night"])
    p.add_label_class("ds", "cat")
    p.add_label_class("ds", "dog")
    gt = p.ground_truth("ds").uid
    p.add_annotations(gt, u["img00.png"], [NewAnnotation("cat", Box(1, 1, 10, 10))])
    p.add_annotations(gt, u["img01.png"], [NewAnnotation("cat", Box(1, 1, 10, 10)),
                                           NewAnnotation("dog", Box(20, 20, 10, 10))])
    p.add_annotations(gt, u["img02.png"], [NewAnnotation("dog", Box(5, 5, 30, 20))])
    v1 = p.commit_version("ds", "first split and labels", tag="base")

    folder = tmp / "later"
    for i in range(2):
        save(textured(300 + i), folder / f"new{i}.png")
    p.import_images("ds", [folder])
    p.exclude_items("ds", [u["img05.png"], u["img06.png"]], "blurred")
    p.set_split("ds", [u["img00.png"]], "test")
    p.set_split("ds", [u["img07.png"]], "train")
    p.edit_metadata("ds", [u["img01.png"]], {"camera": "Gamma"})
    p.edit_metadata("ds", [u["img08.png"]], {"camera": "Alpha"})
    p.tag_items("ds", [u["img09.png"]], add=["night"])
    p.tag_items("ds", [u["img04.png"]], remove=["night"])
    dog = next(a for a in p.annotations(gt, u["img01.png"]) if a.label == "dog")
    p.delete_annotations([dog.uid])
    p.add_annotations(gt, u["img03.png"], [NewAnnotation("cat", Box(3, 3, 8, 8))])
    p.update_label_class("ds", "dog", name="hound")
    v2 = p.commit_version("ds", "cleaned and relabelled")

    p.exclude_items("ds", [u["img02.png"]], "duplicate")
    p.set_split("ds", [u["img03.png"]], "val")
    p.add_annotations(gt, u["img10.png"], [NewAnnotation("cat", Box(2, 2, 9, 9))] * 3)
    p.tag_items("ds", [u["img11.png"]], add=["dawn"])
    return History(v1, v2, {**u, **{n: i for n, i in uids_of(p).items()}})
