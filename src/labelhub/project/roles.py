"""Roles and the table of which role may do what. Checked in the project layer for every change."""

from __future__ import annotations

from enum import StrEnum

from labelhub.errors import InvalidInput


class Role(StrEnum):
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    LEAD = "lead"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, minimum: Role) -> bool:
        return self.rank >= minimum.rank

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InvalidInput(f"unknown role {value!r}; roles are {names}") from None


_RANK = {Role.ANNOTATOR: 0, Role.REVIEWER: 1, Role.LEAD: 2}

#: Every change a member can make, and the least role that may make it.
PERMISSIONS: dict[str, Role] = {
    # members
    "member.add": Role.LEAD,
    "member.set_role": Role.LEAD,
    "member.deactivate": Role.LEAD,
    # datasets and their images
    "dataset.create": Role.LEAD,
    "dataset.rename": Role.LEAD,
    "dataset.describe": Role.LEAD,
    "images.import": Role.LEAD,
    "items.edit_metadata": Role.LEAD,
    "items.split": Role.LEAD,
    "items.exclude": Role.LEAD,  # take items out of a dataset (cleaning)
    # the label schema
    "schema.change": Role.LEAD,
    # labelling, in one's own label set
    "annotation.edit": Role.ANNOTATOR,
    "annotation.submit": Role.ANNOTATOR,
    "comment.add": Role.ANNOTATOR,
    # review
    "assignment.change": Role.LEAD,
    "groundtruth.edit": Role.REVIEWER,
    "review.accept": Role.REVIEWER,
    "review.reject": Role.REVIEWER,
    "comment.resolve": Role.REVIEWER,
    "review.view": Role.REVIEWER,  # others' label sets on assigned items, agreement, review queue
    "labels.import": Role.REVIEWER,
    # versions and models
    "version.commit": Role.LEAD,
    "version.tag": Role.LEAD,
    "version.deprecate": Role.LEAD,
    "model.register": Role.LEAD,
    "model.stage": Role.LEAD,
    "predictions.import": Role.REVIEWER,
    "evaluation.run": Role.REVIEWER,
}
