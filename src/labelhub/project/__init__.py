"""The use cases. One Project object per open project; every change is one of its methods."""

from labelhub.project.assets import AssetsMixin, ImportReport
from labelhub.project.audit import AuditMixin, AuditReport, ChangeInfo, CheckReport
from labelhub.project.core import DB_NAME, MemberInfo, acting_user, project_paths
from labelhub.project.datasets import DATASHEET_FIELDS, DatasetInfo, ItemInfo
from labelhub.project.labels import AnnotationInfo, LabelSetInfo, LabelsMixin, NewAnnotation
from labelhub.project.members import MembersMixin
from labelhub.project.roles import PERMISSIONS, Role
from labelhub.project.schema import AttributeSpec, LabelClassInfo


class Project(MembersMixin, LabelsMixin, AssetsMixin, AuditMixin):
    """An open LabelHub project, acting as one member.

    Every public method that changes anything is one transaction: it checks the member's role,
    writes the rows and appends the change-log row, or writes nothing.
    """


__all__ = [
    "AnnotationInfo", "AttributeSpec", "LabelClassInfo", "LabelSetInfo", "NewAnnotation",
    "DATASHEET_FIELDS", "DB_NAME", "PERMISSIONS", "AuditReport", "ChangeInfo", "CheckReport",
    "DatasetInfo", "ImportReport", "ItemInfo", "MemberInfo", "Project", "Role", "acting_user",
    "project_paths",
]
