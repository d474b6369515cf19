"""The use cases. One Project object per open project; every change is one of its methods."""

from labelhub.project.annotate import AnnotateMixin, AnnotationEdit, CopyResult, ItemChange
from labelhub.project.assets import AssetsMixin, ImportReport
from labelhub.project.audit import AuditMixin, AuditReport, ChangeInfo, CheckReport
from labelhub.project.cleaning import CleaningMixin, CleaningOptions, CleaningReport
from labelhub.project.core import DB_NAME, MemberInfo, acting_user, project_paths
from labelhub.project.datasets import DATASHEET_FIELDS, DatasetInfo, ItemInfo
from labelhub.project.evaluation import (
    EvaluationComparison,
    EvaluationInfo,
    EvaluationMixin,
    EvaluationOutcome,
)
from labelhub.project.exchange import ExportPlan, ExportReport
from labelhub.project.findings import FINDING_KINDS, Finding
from labelhub.project.guidelines import GuidelinesMixin, guideline_images
from labelhub.project.item_edits import EditResult
from labelhub.project.item_filter import (
    METADATA_FIELDS,
    STATUSES,
    ItemFilter,
    ItemQuery,
    MetaCondition,
)
from labelhub.project.items import FilterChoices, ItemColumns
from labelhub.project.label_import import LabelImportMixin, LabelImportReport
from labelhub.project.labels import AnnotationInfo, LabelSetInfo, LabelsMixin, NewAnnotation
from labelhub.project.members import MembersMixin
from labelhub.project.metadata_csv import MetadataImportReport
from labelhub.project.models import STAGES, ModelInfo, ModelVersionInfo, TrainedOn
from labelhub.project.packed import PackedAnnotations
from labelhub.project.predictions import PredictionSetInfo, PredictionsReport
from labelhub.project.review import (
    DatasetAgreement,
    ItemReview,
    Lineage,
    QueueEntry,
    ReviewEntry,
    ReviewMixin,
    ReviewPolicy,
)
from labelhub.project.roles import PERMISSIONS, Role
from labelhub.project.schema import AttributeSpec, LabelClassInfo
from labelhub.project.splits import SplitPlan, SplitsMixin
from labelhub.project.versions import ContentSummary, VersionCheck, VersionInfo, VersionsMixin


class Project(ReviewMixin, MembersMixin, EvaluationMixin, LabelImportMixin, VersionsMixin, AnnotateMixin, GuidelinesMixin, SplitsMixin, CleaningMixin, LabelsMixin, AssetsMixin, AuditMixin):
    """An open LabelHub project, acting as one member.

    Every public method that changes anything is one transaction: it checks the member's role,
    writes the rows and appends the change-log row, or writes nothing.
    """


__all__ = [
    "AnnotationEdit", "CopyResult", "ItemChange", "PackedAnnotations", "guideline_images",
    "AnnotationInfo", "AttributeSpec", "LabelClassInfo", "LabelSetInfo", "NewAnnotation",
    "DATASHEET_FIELDS", "DB_NAME", "PERMISSIONS", "AuditReport", "ChangeInfo", "CheckReport",
    "DatasetInfo", "ImportReport", "ItemInfo", "MemberInfo", "Project", "Role", "acting_user",
    "project_paths", "ContentSummary", "VersionCheck", "VersionInfo", "ExportPlan", "ExportReport", "LabelImportReport",
    "EvaluationComparison", "EvaluationInfo", "EvaluationOutcome", "ModelInfo", "ModelVersionInfo",
    "PredictionSetInfo", "PredictionsReport", "STAGES", "TrainedOn",
    "DatasetAgreement", "ItemReview", "Lineage", "QueueEntry", "ReviewEntry", "ReviewPolicy",
    "CleaningOptions", "CleaningReport", "EditResult", "FINDING_KINDS", "FilterChoices", "Finding",
    "ItemColumns", "ItemFilter", "ItemQuery", "METADATA_FIELDS", "MetaCondition",
    "MetadataImportReport", "STATUSES", "SplitPlan",
]
