"""The Assets workspace: datasets, their items at a million-item scale, provenance, splits and
cleaning. The page is the main window's ``assets`` widget, registered for the "assets" key."""

from typing import Any

from labelhub.gui.assets.datasets import DatasetTableModel
from labelhub.gui.assets.workspace import AssetsWorkspace
from labelhub.gui.workspaces import register_workspace


def _page(window: Any) -> AssetsWorkspace:
    return window.assets.bind(window)


register_workspace("assets", _page)

__all__ = ["AssetsWorkspace", "DatasetTableModel"]
