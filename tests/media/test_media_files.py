"""iter_image_files on real folder trees."""

from __future__ import annotations

import os

import pytest

from labelhub.errors import NotFound
from labelhub.media import IMAGE_EXTENSIONS, iter_image_files


@pytest.fixture
def tree(samples):
    for name in [
        "root/b.png",
        "root/A.jpg",
        "root/z.webp",
        "root/.hidden.png",
        "root/.git/inside.png",
        "root/sub/c.JPEG",
        "root/sub/deeper/d.tif",
        "root/sub/deeper/e.TIFF",
        "root/sub/.cache/thumb.jpg",
        "root/Another/f.bmp",
    ]:
        samples.write(name, b"not checked here")
    samples.write("root/notes.txt", b"text")
    samples.write("root/sub/archive.zip", b"zip")
    samples.write("root/sub/photo.gif", b"gif")
    return samples.folder / "root"


def rel(pairs, root):
    return [(r, f.relative_to(root).as_posix()) for r, f in pairs]


def test_image_extensions():
    assert IMAGE_EXTENSIONS == {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def test_recursive_sorted_skipping_hidden_and_other_files(tree):
    found = rel(iter_image_files([tree]), tree)
    assert found == [
        (tree, "A.jpg"),
        (tree, "b.png"),
        (tree, "z.webp"),
        (tree, "Another/f.bmp"),
        (tree, "sub/c.JPEG"),
        (tree, "sub/deeper/d.tif"),
        (tree, "sub/deeper/e.TIFF"),
    ]


def test_order_is_stable(tree):
    assert list(iter_image_files([tree])) == list(iter_image_files([tree]))


def test_given_file_yields_its_parent_as_root(tree):
    file = tree / "sub" / "c.JPEG"
    assert list(iter_image_files([file])) == [(tree / "sub", file)]


def test_given_file_is_yielded_whatever_its_extension(tree):
    # The user named it: the probe, not the extension, decides whether it is an image.
    file = tree / "notes.txt"
    assert list(iter_image_files([file])) == [(tree, file)]


def test_several_paths_in_the_given_order(tree):
    sub = tree / "sub"
    single = tree / "z.webp"
    found = list(iter_image_files([sub, single]))
    assert found[0] == (sub, sub / "c.JPEG")
    assert found[-1] == (tree, single)
    assert [r for r, _ in found[:-1]] == [sub] * 3


def test_folder_already_scanned_is_not_scanned_again(tree):
    found = list(iter_image_files([tree / "sub", tree]))
    files = [f.name for _, f in found]
    assert files.count("c.JPEG") == 1


def test_missing_path_raises_not_found(tree):
    with pytest.raises(NotFound, match="missing"):
        list(iter_image_files([tree / "missing"]))


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
def test_symlink_loop_ends(tree):
    os.symlink(tree, tree / "sub" / "loop")
    os.symlink(tree / "sub" / "deeper", tree / "linked")
    found = rel(iter_image_files([tree]), tree)
    names = [name.rsplit("/", 1)[-1] for _, name in found]
    assert sorted(names) == sorted(
        ["A.jpg", "b.png", "z.webp", "f.bmp", "c.JPEG", "d.tif", "e.TIFF"]
    )
    assert len(names) == len(set(names))


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
def test_symlinked_folder_is_followed(samples, tree):
    outside = samples.folder / "outside"
    samples.write("outside/g.png", b"x")
    os.symlink(outside, tree / "linked")
    found = rel(iter_image_files([tree]), tree)
    assert (tree, "linked/g.png") in found
