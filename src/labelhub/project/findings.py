"""The kinds of problem the cleaning report finds, and one finding as a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: kind -> (title, what it means). In report order.
FINDING_KINDS: dict[str, tuple[str, str]] = {
    "exact_duplicate": ("Exact duplicates", "the same file (same SHA-256) more than once"),
    "near_duplicate": ("Near duplicates", "images that look the same (perceptual hash)"),
    "unreadable": ("Unreadable files", "missing, changed, truncated or undecodable files"),
    "tiny": ("Tiny images", "images with a side shorter than the minimum"),
    "extreme_aspect": ("Extreme aspect ratio", "images far wider than tall or the reverse"),
    "too_dark": ("Too dark", "mean brightness near black"),
    "too_bright": ("Too bright", "mean brightness near white"),
    "blurry": ("Blurry", "far less fine detail than the rest of the dataset"),
    "no_labels": ("Without labels", "items whose ground truth has no labels"),
    "label_outside": ("Labels outside the image", "ground-truth shapes that leave their image"),
}

#: Findings about pairs or groups of items rather than one item.
GROUP_KINDS = ("exact_duplicate", "near_duplicate")


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the items it is about, and what was measured.

    ``items`` are item uids (two or more for duplicates, the first being the one to keep by
    default); ``names`` their names; ``detail`` says what was found in words; ``value`` is the
    measured number where there is one; ``annotations`` the shapes concerned (label_outside).
    """

    kind: str
    items: tuple[str, ...]
    names: tuple[str, ...]
    detail: str
    value: float | None = None
    annotations: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return FINDING_KINDS[self.kind][0]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "items": list(self.items), "names": list(self.names),
                               "detail": self.detail}
        if self.value is not None:
            out["value"] = self.value
        if self.annotations:
            out["annotations"] = list(self.annotations)
        if self.extra:
            out.update(self.extra)
        return out
