"""Find files shipped with LabelHub: icons, sample photos.

In a source checkout they live in ``<repo>/resources``; in an installed wheel the build copies that
folder to ``labelhub/resources`` inside the package. No Qt here, so the core can use it too.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_roots() -> list[Path]:
    """The folders searched, in order: the installed package's copy, then the checkout's."""
    return [_PACKAGE_DIR / "resources", _PACKAGE_DIR.parents[1] / "resources"]


def resource_path(*parts: str) -> Path:
    """The path of a shipped resource, e.g. ``resource_path("icons", "open.svg")``.

    With no parts, the resources folder itself. Raises FileNotFoundError naming the path when
    the resource is in neither place, and ValueError for parts that would leave the folder.
    """
    relative = PurePosixPath(*parts) if parts else PurePosixPath()
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"resource path must stay inside the resources folder: {relative}")
    for root in resource_roots():
        candidate = root.joinpath(*relative.parts)
        if root.is_dir() and candidate.exists():
            return candidate
    searched = " or ".join(str(root.joinpath(*relative.parts)) for root in resource_roots())
    raise FileNotFoundError(f"LabelHub resource not found: {relative} (looked for {searched})")
