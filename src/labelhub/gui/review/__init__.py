"""The Review workspace: assignments, the review queue sorted by agreement, adjudicating one
item on the canvas (accept one annotator, the consensus, or an edited result; send back with a
comment), comments, lineage, and the agreement report."""

from labelhub.gui.review.workspace import ReviewWorkspace
from labelhub.gui.workspaces import register_workspace

register_workspace("review", lambda main_window: ReviewWorkspace(main_window))

__all__ = ["ReviewWorkspace"]
