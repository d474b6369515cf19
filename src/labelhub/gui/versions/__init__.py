"""The Versions workspace: commit, browse, compare, tag and deprecate dataset versions; export
them and import labels (registered for the "versions" key)."""

from labelhub.gui.versions.workspace import VersionsWorkspace
from labelhub.gui.workspaces import register_workspace

register_workspace("versions", lambda window: VersionsWorkspace(window))

__all__ = ["VersionsWorkspace"]
