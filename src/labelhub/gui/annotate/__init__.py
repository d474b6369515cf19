"""The Annotate workspace: label images with every kind of shape, from the keyboard, with
every finished gesture saved at once and undoable."""

from labelhub.gui.annotate.workspace import AnnotateWorkspace
from labelhub.gui.workspaces import register_workspace

register_workspace("annotate", lambda main_window: AnnotateWorkspace(main_window))

__all__ = ["AnnotateWorkspace"]
