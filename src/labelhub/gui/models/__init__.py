"""The Models workspace: model registry, evaluations and the evaluation viewer."""

from labelhub.gui.models.workspace import ModelsWorkspace
from labelhub.gui.workspaces import register_workspace

register_workspace("models", lambda window: ModelsWorkspace(window))

__all__ = ["ModelsWorkspace"]
