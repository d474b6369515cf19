"""Reading untrusted files safely: size caps, XML without DTDs, zip archives checked member by
member before anything is extracted, and paths inside annotation files kept in the dataset.

Every refusal is an :class:`~labelhub.errors.InvalidInput` naming the file and the problem.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

from labelhub.errors import InvalidInput
from labelhub.formats.model import Limits

#: File suffixes taken for images when a layout has to be discovered by walking folders.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024


def _size_text(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


# --------------------------------------------------------------------------- names / paths


_CONTROL = re.compile(r"[\x00-\x1f]")


def name_problem(name: object) -> str | None:
    """Why ``name`` is not an acceptable relative path inside a dataset, or None if it is.

    Refused: non-text, empty, NUL or other control characters, absolute paths (``/x``,
    ``C:\\x``, ``\\\\server``), and any ``..`` component. Backslashes count as separators.
    """
    if not isinstance(name, str):
        return f"a file name must be text, got {type(name).__name__}"
    if not name.strip():
        return "a file name is empty"
    if _CONTROL.search(name):
        return f"file name {name!r} contains a control character"
    text = name.replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text):
        return f"file name {name!r} is an absolute path, which would leave the dataset folder"
    if ".." in text.split("/"):
        return f"file name {name!r} goes up with '..', which would leave the dataset folder"
    return None


# What might make a name one name_problem refuses, in names joined by line breaks (a line
# break in a name is told apart by counting): a control character, "..", or at the start of a
# name white space, a slash or a backslash, a drive letter, or nothing (each sought in the
# text with a line break put before it).
_CONTROL_BUT_LINE_BREAK = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SUSPECT_START = re.compile(r"\n(?:\s|[/\\]|[A-Za-z]:|$)")


def names_acceptable(names: list[str]) -> bool:
    """Whether :func:`name_problem` accepts every one of ``names``: told by a few searches over
    them all when none looks suspect (the usual case for thousands of names), else name by
    name."""
    if not names:
        return True
    if set(map(type, names)) == {str}:
        text = "\n" + "\n".join(names)
        if (text.count("\n") == len(names) and ".." not in text
                and _CONTROL_BUT_LINE_BREAK.search(text) is None
                and _SUSPECT_START.search(text) is None):
            return True
    return not any(map(name_problem, names))


def clean_name(name: str) -> str:
    """``name`` (already accepted by :func:`name_problem`) as a normalised POSIX path."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def checked_name(name: object, file: str) -> str:
    """``name`` normalised, or InvalidInput naming ``file`` when it is unacceptable."""
    problem = name_problem(name)
    if problem:
        raise InvalidInput(f"{file}: {problem}")
    return clean_name(name)  # type: ignore[arg-type]


def resolve_relative(base_dir: str, ref: object) -> tuple[str | None, str | None]:
    """``ref`` (a path written relative to the folder ``base_dir`` of the dataset) as a path
    relative to the dataset folder: ``(path, None)``, or ``(None, problem)`` when it is absolute
    or leaves the dataset folder."""
    if not isinstance(ref, str) or not ref.strip():
        return None, "the image path is missing or empty"
    if any(ord(ch) < 32 for ch in ref):
        return None, f"image path {ref!r} contains a control character"
    text = ref.replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text):
        return None, f"image path {ref!r} is absolute, which would leave the dataset folder"
    joined = posixpath.normpath(posixpath.join(base_dir or ".", text))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None, f"image path {ref!r} leaves the dataset folder"
    return joined, None


def inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` when it is an existing regular file whose real location is inside
    ``root`` (a symbolic link pointing out of the dataset does not count); otherwise None."""
    if name_problem(relative):
        return None
    path = root / relative
    try:
        real = path.resolve(strict=True)
        real.relative_to(root.resolve(strict=True))
    except (OSError, ValueError):
        return None
    return path if real.is_file() else None


def walk_files(root: Path, suffixes: tuple[str, ...] | None = None) -> list[str]:
    """Regular files under ``root`` (relative POSIX paths, sorted) with one of ``suffixes``
    (lower-case, with the dot). A symbolic link leading out of ``root`` is refused."""
    real_root = root.resolve()
    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            if suffixes is not None and path.suffix.lower() not in suffixes:
                continue
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                try:
                    path.resolve(strict=True).relative_to(real_root)
                except (OSError, ValueError):
                    raise InvalidInput(
                        f"{rel}: a symbolic link that leads out of the dataset folder"
                    ) from None
            if path.is_file():
                found.append(rel)
    return sorted(found)


# --------------------------------------------------------------------------- file contents


def _check_size(path: Path, cap: int, display: str, what: str) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"{display}: cannot read the file ({exc.strerror})") from None
    if size > cap:
        raise InvalidInput(
            f"{display}: the {what} file is {_size_text(size)}, over the {_size_text(cap)} limit"
        )
    return size


def read_bytes(path: Path, cap: int, display: str, what: str = "") -> bytes:
    """The file's bytes when it is no larger than ``cap``."""
    _check_size(path, cap, display, what or "annotation")
    try:
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise InvalidInput(f"{display}: cannot read the file ({exc.strerror})") from None
    if len(data) > cap:
        raise InvalidInput(f"{display}: the file is over the {_size_text(cap)} limit")
    return data


def _decode(data: bytes, display: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{display}: not UTF-8 text (bad byte at offset {exc.start})"
        ) from None


def read_text(path: Path, limits: Limits, display: str) -> str:
    """A UTF-8 text file no larger than ``limits.max_text_bytes``."""
    return _decode(read_bytes(path, limits.max_text_bytes, display, "text"), display)


def load_json(path: Path, limits: Limits, display: str) -> Any:
    """A JSON file no larger than ``limits.max_json_bytes``; InvalidInput when it is not JSON
    (truncated, corrupt) or nests too deeply. NaN and Infinity literals are accepted so that
    the shapes holding them can be reported one by one."""
    data = read_bytes(path, limits.max_json_bytes, display, "JSON")
    text = _decode(data, display)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise InvalidInput(f"{display}: the JSON ends too early (truncated?) at {where}") from None
        raise InvalidInput(f"{display}: not valid JSON at {where}: {exc.msg}") from None
    except RecursionError:
        raise InvalidInput(f"{display}: the JSON is nested too deeply") from None


def _xml_error(exc: Exception, display: str) -> InvalidInput:
    if isinstance(exc, defusedxml.DTDForbidden):
        return InvalidInput(
            f"{display}: the XML declares a DTD (<!DOCTYPE ...>), which is refused "
            "(it could define entity bombs or read other files)"
        )
    if isinstance(exc, defusedxml.EntitiesForbidden):
        return InvalidInput(f"{display}: the XML declares entities, which are refused")
    if isinstance(exc, defusedxml.ExternalReferenceForbidden):
        return InvalidInput(f"{display}: the XML refers to an external resource, which is refused")
    return InvalidInput(f"{display}: not valid XML ({exc})")


def parse_xml(path: Path, limits: Limits, display: str) -> Element:
    """The root element of an XML file, parsed with DTDs, entities and external references
    forbidden, no larger than ``limits.max_xml_bytes``."""
    data = read_bytes(path, limits.max_xml_bytes, display, "XML")
    try:
        return SafeET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (defusedxml.DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise _xml_error(exc, display) from None


def iterparse_xml(path: Path, limits: Limits, display: str) -> Iterator[tuple[str, Element]]:
    """``("start" | "end", element)`` events of a large XML file, with the same protections as
    :func:`parse_xml`; the caller clears elements it has finished with."""
    _check_size(path, limits.max_xml_bytes, display, "XML")
    try:
        events = SafeET.iterparse(
            str(path),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        yield from events
    except (defusedxml.DefusedXmlException, SafeET.ParseError, ValueError) as exc:
        raise _xml_error(exc, display) from None


# --------------------------------------------------------------------------- zip archives


def _member_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    problem = name_problem(info.filename)
    if problem:
        return problem
    kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
    if kind == stat.S_IFLNK:
        return "it is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "it is not a regular file or folder"
    if info.flag_bits & 0x1:
        return "it is encrypted"
    if info.file_size >= limits.zip_ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.zip_max_ratio:
            return (
                f"it expands {ratio:.0f} times ({_size_text(info.compress_size)} to "
                f"{_size_text(info.file_size)}), over the limit of {limits.zip_max_ratio:g}: "
                "a zip bomb?"
            )
    return None


def check_zip(zip_path: Path, limits: Limits | None = None) -> list[zipfile.ZipInfo]:
    """The archive's members after checking every one of them (names, links, count, total size,
    compression ratio); InvalidInput naming the archive and the member otherwise."""
    limits = limits or Limits()
    display = zip_path.name
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{display}: not a readable zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.zip_max_members:
        raise InvalidInput(
            f"{display}: the archive has {len(infos)} members, over the limit of "
            f"{limits.zip_max_members}"
        )
    total = 0
    seen: dict[str, str] = {}
    for info in infos:
        problem = _member_problem(info, limits)
        if problem:
            raise InvalidInput(f"{display}: member {info.filename!r} refused: {problem}")
        key = clean_name(info.filename)
        if key in seen and not info.is_dir():
            raise InvalidInput(
                f"{display}: members {seen[key]!r} and {info.filename!r} name the same file"
            )
        seen[key] = info.filename
        total += info.file_size
        if total > limits.zip_max_total_bytes:
            raise InvalidInput(
                f"{display}: the archive expands to more than "
                f"{_size_text(limits.zip_max_total_bytes)}, over the limit"
            )
    packed = sum(i.compress_size for i in infos)
    if total >= limits.zip_ratio_floor_bytes and total / max(packed, 1) > limits.zip_max_ratio:
        raise InvalidInput(
            f"{display}: the archive expands {total / max(packed, 1):.0f} times, over the limit "
            f"of {limits.zip_max_ratio:g}: a zip bomb?"
        )
    return infos


def safe_extract(zip_path: Path, dest: Path, limits: Limits | None = None) -> list[str]:
    """Extract ``zip_path`` into ``dest`` after checking every member (see :func:`check_zip`);
    while copying, a member that yields more bytes than it declared is refused too. Returns
    the extracted files (relative POSIX paths, sorted). On refusal nothing stays extracted."""
    limits = limits or Limits()
    zip_path, dest = Path(zip_path), Path(dest)
    infos = check_zip(zip_path, limits)
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in infos:
                rel = clean_name(info.filename)
                if not rel:
                    continue
                target = dest / rel
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                written.append(rel)
                _copy_member(archive, info, target, zip_path.name)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for rel in written:
                with contextlib.suppress(OSError):
                    (dest / rel).unlink()
        raise
    return sorted(written)


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, display: str) -> None:
    budget = info.file_size
    try:
        with archive.open(info) as src, open(target, "xb") as out:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                budget -= len(chunk)
                if budget < 0:
                    raise InvalidInput(
                        f"{display}: member {info.filename!r} holds more data than it declares"
                    )
                out.write(chunk)
    except FileExistsError:
        raise InvalidInput(f"{display}: member {info.filename!r} is stored twice") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"{display}: member {info.filename!r} cannot be read ({exc})") from None


@contextlib.contextmanager
def open_dataset(path: Path | str, limits: Limits | None = None) -> Iterator[Path]:
    """The dataset at ``path`` as a folder or file: a zip archive is checked and extracted into
    a temporary folder that is removed afterwards; anything else is given as it is."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    if path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="labelhub-import-") as tmp:
            root = Path(tmp) / "dataset"
            safe_extract(path, root, limits)
            yield root
    else:
        yield path
