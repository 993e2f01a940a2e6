"""The models: every name here is imported from its module when first used (PEP 562).

Importing a model module imports this package first, so an eager package would declare all
all 53 mapped classes for any one of them: a third of ``labsys stats``'s start-up (issue #19 §1,
measured by bench/bench_cli.py).  Instead ``from labsys.models import Sample`` imports
``labsys.models.sampling`` and what it references, and :func:`load_all` imports the rest.

``load_all`` must run before ``Base.metadata`` is read as a whole (migrations, backups,
``create_all``) and before the mappers are configured for a query that may touch any class:
``create_app`` calls it for the web and the command line calls it for every command but the
pass-rate read (``labsys stats``), whose modules reference only each other
(``tests/foundation/test_lazy_models.py`` runs it in a fresh interpreter).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the type checker reads the names here; at run time __getattr__ imports
    from labsys.models.api import (
        ApiRateWindow,
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
        HazardClass,
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
    from labsys.models.grading import (
        GradeChange,
        PlanProposal,
        PlanVisit,
        ProposalQuota,
        ProposalStatus,
        RiskSetting,
        RiskSignalCount,
    )
    from labsys.models.planning import Plan, PlanQuota, Task, TaskSampler
    from labsys.models.reference import Holiday, Lab, NumberSequence, Region
    from labsys.models.report import Report, ReportStatus
    from labsys.models.results import SampleResult
    from labsys.models.sampling import Sample, SamplingVisit, VisitSampler
    from labsys.models.security import LoginThrottle
    from labsys.models.signatory import AuthorisedSignatory, SignatoryScope
    from labsys.models.stats import (
        DeadlineCount,
        DeadlineCountDelta,
        SampleRollup,
        SampleRollupDelta,
    )
    from labsys.models.user import Role, User, UserRole

# Where each name lives: its module under labsys/models (the imports above list the same
# names; tests/foundation/test_lazy_models.py checks the two agree).
_WHERE_BY_MODULE: dict[str, tuple[str, ...]] = {
    "api": (
        "ApiRateWindow",
        "ApiToken",
        "IdempotentRequest",
        "OutboxEvent",
        "WebhookDelivery",
        "WebhookSubscription",
    ),
    "attachment": ("Attachment",),
    "audit": ("AuditEntry",),
    "backup": ("BackupSample", "BackupStatus"),
    "base": ("Base",),
    "bench": (
        "BenchRecord",
        "Instrument",
        "InstrumentStatus",
        "ResultAssignment",
        "TestItemMethod",
    ),
    "catalog": ("CatalogVersion", "FoodCategory", "Specification", "TestItem"),
    "correction": ("Correction", "CorrectionAction", "CorrectionStatus", "CorrectionTarget"),
    "enterprise": ("Enterprise",),
    "enums": (
        "ComparisonMethod",
        "Conclusion",
        "DecisionRule",
        "HazardClass",
        "InspectionType",
        "Link",
        "OilProcess",
        "Packaging",
        "PhysicalState",
        "ResultStatus",
        "RiskGrade",
        "SampleAttribute",
        "SampleSource",
        "SampleStatus",
        "SamplingMethod",
        "StorageCondition",
        "VerdictValue",
    ),
    "followup": (
        "Applicant",
        "Disposal",
        "DisposalExtension",
        "DisposalStatus",
        "FollowUp",
        "FollowUpStatus",
        "Objection",
        "ObjectionEffect",
        "ObjectionKind",
        "ObjectionStatus",
        "Retest",
        "RetestGround",
        "RetestLab",
        "RetestStatus",
    ),
    "grading": (
        "GradeChange",
        "PlanProposal",
        "PlanVisit",
        "ProposalQuota",
        "ProposalStatus",
        "RiskSetting",
        "RiskSignalCount",
    ),
    "planning": ("Plan", "PlanQuota", "Task", "TaskSampler"),
    "reference": ("Holiday", "Lab", "NumberSequence", "Region"),
    "report": ("Report", "ReportStatus"),
    "results": ("SampleResult",),
    "sampling": ("Sample", "SamplingVisit", "VisitSampler"),
    "security": ("LoginThrottle",),
    "signatory": ("AuthorisedSignatory", "SignatoryScope"),
    "stats": ("DeadlineCount", "DeadlineCountDelta", "SampleRollup", "SampleRollupDelta"),
    "user": ("Role", "User", "UserRole"),
}
_MODULE_OF = {name: module for module, names in _WHERE_BY_MODULE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:  # also how ``from labsys.models import summary_sql`` finds a module
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def load_all() -> None:
    """Import every model module: ``Base.metadata`` then knows every table, and every
    relationship's target class is declared."""
    for module in _WHERE_BY_MODULE:
        import_module(f"{__name__}.{module}")
