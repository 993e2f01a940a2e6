"""All models, imported here so that ``Base.metadata`` knows every table."""

from labsys.models.api import (
    ApiToken,
    IdempotentRequest,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from labsys.models.attachment import Attachment
from labsys.models.audit import AuditEntry
from labsys.models.backup import BackupSample, BackupStatus
from labsys.models.base import Base
from labsys.models.bench import (
    BenchRecord,
    Instrument,
    InstrumentStatus,
    ResultAssignment,
    TestItemMethod,
)
from labsys.models.catalog import CatalogVersion, FoodCategory, Specification, TestItem
from labsys.models.correction import (
    Correction,
    CorrectionAction,
    CorrectionStatus,
    CorrectionTarget,
)
from labsys.models.enterprise import Enterprise
from labsys.models.enums import (
    ComparisonMethod,
    Conclusion,
    DecisionRule,
    InspectionType,
    Link,
    OilProcess,
    Packaging,
    PhysicalState,
    ResultStatus,
    RiskGrade,
    SampleAttribute,
    SampleSource,
    SampleStatus,
    SamplingMethod,
    StorageCondition,
    VerdictValue,
)
from labsys.models.followup import (
    Applicant,
    Disposal,
    DisposalExtension,
    DisposalStatus,
    FollowUp,
    FollowUpStatus,
    Objection,
    ObjectionEffect,
    ObjectionKind,
    ObjectionStatus,
    Retest,
    RetestGround,
    RetestLab,
    RetestStatus,
)
from labsys.models.planning import Plan, PlanQuota, Task, TaskSampler
from labsys.models.reference import Holiday, Lab, NumberSequence, Region
from labsys.models.report import Report, ReportStatus
from labsys.models.results import SampleResult
from labsys.models.sampling import Sample, SamplingVisit, VisitSampler
from labsys.models.security import LoginThrottle
from labsys.models.signatory import AuthorisedSignatory, SignatoryScope
from labsys.models.stats import SampleRollup, SampleRollupDelta
from labsys.models.user import Role, User, UserRole

__all__ = [
    "ApiToken",
    "IdempotentRequest",
    "OutboxEvent",
    "WebhookDelivery",
    "WebhookSubscription",
    "StorageCondition",
    "SamplingMethod",
    "SampleSource",
    "SampleAttribute",
    "PhysicalState",
    "Packaging",
    "Applicant",
    "Attachment",
    "AuditEntry",
    "BackupSample",
    "BackupStatus",
    "AuthorisedSignatory",
    "Base",
    "BenchRecord",
    "CatalogVersion",
    "ComparisonMethod",
    "Conclusion",
    "Correction",
    "CorrectionAction",
    "CorrectionStatus",
    "CorrectionTarget",
    "DecisionRule",
    "Disposal",
    "DisposalExtension",
    "DisposalStatus",
    "Enterprise",
    "FollowUp",
    "FollowUpStatus",
    "FoodCategory",
    "Holiday",
    "InspectionType",
    "Instrument",
    "InstrumentStatus",
    "Lab",
    "Link",
    "LoginThrottle",
    "NumberSequence",
    "Objection",
    "ObjectionEffect",
    "ObjectionKind",
    "ObjectionStatus",
    "OilProcess",
    "Plan",
    "PlanQuota",
    "Region",
    "Report",
    "ReportStatus",
    "ResultAssignment",
    "ResultStatus",
    "Retest",
    "RetestGround",
    "RetestLab",
    "RetestStatus",
    "RiskGrade",
    "Role",
    "Sample",
    "SampleResult",
    "SampleRollup",
    "SampleRollupDelta",
    "SampleStatus",
    "SamplingVisit",
    "SignatoryScope",
    "Specification",
    "Task",
    "TaskSampler",
    "TestItem",
    "TestItemMethod",
    "User",
    "UserRole",
    "VerdictValue",
    "VisitSampler",
]
