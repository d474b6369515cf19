"""The five workspaces of the side bar and the honest empty states of those not built yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from labelhub.gui.widgets import EmptyState


@dataclass(frozen=True)
class WorkspaceInfo:
    key: str
    title: str
    tooltip: str
    empty_title: str
    empty_text: str


WORKSPACES: tuple[WorkspaceInfo, ...] = (
    WorkspaceInfo(
        "assets", "Assets", "Datasets and the images in them",
        "No images yet",
        "Drop a folder of images anywhere on this window, or use the Import images button. "
        "LabelHub keeps one copy of each picture in the project, however often it appears.",
    ),
    WorkspaceInfo(
        "annotate", "Annotate", "Label images with boxes, polygons, masks, keypoints and tags",
        "Annotate",
        "Here you will work through your queue of items and draw boxes, polygons, masks, "
        "keypoints and tags, mostly from the keyboard. Every stroke is saved as you go, in "
        "your own label set.",
    ),
    WorkspaceInfo(
        "review", "Review", "Compare annotators, accept or send back their work",
        "Review",
        "Here reviewers will see the items whose annotators have submitted, where they "
        "disagree and by how much, and accept, merge or send back their work to settle the "
        "ground truth.",
    ),
    WorkspaceInfo(
        "versions", "Versions", "Freeze, compare and export dataset versions",
        "Versions",
        "Here a lead will freeze a dataset's agreed labels as a numbered version, compare two "
        "versions item by item, and export any version to COCO, YOLO, Pascal VOC and other "
        "formats.",
    ),
    WorkspaceInfo(
        "models", "Models", "Register models and evaluate their predictions",
        "Models",
        "Here you will register models and their versions, import their predictions, and "
        "measure them against a dataset version with COCO detection metrics and per-class "
        "results.",
    ),
)

NOT_YET = "Not built yet: this workspace arrives in a later release of LabelHub."


class PlaceholderWorkspace(QWidget):
    """A workspace whose feature is not built yet: it says what it will hold, nothing more."""

    def __init__(self, info: WorkspaceInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty_state = EmptyState(info.key, info.empty_title, info.empty_text, NOT_YET, self)
        layout.addWidget(self.empty_state)

    def refresh_icons(self) -> None:
        self.empty_state.refresh_icons()


#: Built workspaces: key -> factory(main_window) -> page. A page may define
#:   set_project(project | None)   called when a project is opened, switched or closed,
#:   refresh()                     called after the window changed the project's data,
#:   refresh_icons()               called when the theme changes,
#:   show_item(dataset, item_uid)  (Annotate) open one item.
#: Workspaces without a factory show their honest empty state.
WORKSPACE_FACTORIES: dict[str, Callable[[Any], QWidget]] = {}


def register_workspace(key: str, factory: Callable[[Any], QWidget]) -> None:
    if key not in {info.key for info in WORKSPACES}:
        raise ValueError(f"unknown workspace {key!r}")
    WORKSPACE_FACTORIES[key] = factory


#: Modules that build workspaces; importing one calls register_workspace. Each workspace's
#: issue adds its module here.
WORKSPACE_MODULES: tuple[str, ...] = ("labelhub.gui.annotate", "labelhub.gui.models", "labelhub.gui.versions",
                                      "labelhub.gui.review", "labelhub.gui.assets")


def load_workspaces() -> None:
    import importlib

    for name in WORKSPACE_MODULES:
        importlib.import_module(name)
