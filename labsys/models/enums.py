"""Enumerations stored as strings, each with a translatable title for display."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from labsys.core import hazards, inspection


class TitledEnum(enum.StrEnum):
    """A string enum whose members have a translated ``title``."""

    @property
    def title(self) -> str:
        return str(self.__titles__()[self])

    @classmethod
    def __titles__(cls) -> dict:
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.title) for m in cls]


class Link(TitledEnum):
    """环节: where in the food chain the sample was taken."""

    PRODUCTION = "production"
    RETAIL = "retail"
    CATERING = "catering"
    ONLINE = "online"

    @classmethod
    def __titles__(cls):
        return {
            cls.PRODUCTION: _l("Production"),
            cls.RETAIL: _l("Retail"),
            cls.CATERING: _l("Catering"),
            cls.ONLINE: _l("Online"),
        }


class InspectionType(TitledEnum):
    """检验类别 of a plan: what its samples' results are for (``labsys.core.inspection``)."""

    SUPERVISION = inspection.SUPERVISION  # 监督抽检
    RISK_MONITORING = inspection.RISK_MONITORING  # 风险监测
    EVALUATION = inspection.EVALUATION  # 评价性抽检

    @classmethod
    def __titles__(cls):
        return {
            cls.SUPERVISION: _l("Supervisory sampling"),
            cls.RISK_MONITORING: _l("Risk monitoring"),
            cls.EVALUATION: _l("Evaluative sampling"),
        }

    @classmethod
    def of(cls, value: str | InspectionType | None) -> InspectionType:
        """A stored value as the enum; None (a sample without a plan) is supervision."""
        return cls(value or cls.SUPERVISION)

    @property
    def chinese(self) -> str:
        """As printed on the report: 监督抽检 / 风险监测 / 评价性抽检."""
        return inspection.CHINESE[self.value]

    @property
    def rules(self) -> inspection.TypeRules:
        return inspection.rules(self.value)

    @property
    def retest_rights(self) -> bool:
        return self.rules.retest_rights

    @property
    def published(self) -> bool:
        return self.rules.published

    @property
    def concludes_qualified(self) -> bool:
        return self.rules.concludes_qualified


class HazardClass(TitledEnum):
    """危害类别 of a test item: what an unqualified result of it stands for
    (``labsys.core.hazards``, where the default weights of the risk signals are)."""

    ILLEGAL_ADDITIVE = hazards.ILLEGAL_ADDITIVE  # 非法添加/禁用物质
    PATHOGEN = hazards.PATHOGEN  # 致病菌
    PESTICIDE_VET_RESIDUE = hazards.PESTICIDE_VET_RESIDUE  # 农兽药残留
    HEAVY_METAL_CONTAMINANT = hazards.HEAVY_METAL_CONTAMINANT  # 重金属/污染物
    BIOTOXIN = hazards.BIOTOXIN  # 生物毒素
    ADDITIVE_OVERUSE = hazards.ADDITIVE_OVERUSE  # 食品添加剂超范围超限量
    QUALITY_INDICATOR = hazards.QUALITY_INDICATOR  # 质量指标

    @classmethod
    def __titles__(cls):
        return {
            cls.ILLEGAL_ADDITIVE: _l("Illegal additive or banned substance"),
            cls.PATHOGEN: _l("Pathogen"),
            cls.PESTICIDE_VET_RESIDUE: _l("Pesticide or veterinary drug residue"),
            cls.HEAVY_METAL_CONTAMINANT: _l("Heavy metal or contaminant"),
            cls.BIOTOXIN: _l("Biotoxin"),
            cls.ADDITIVE_OVERUSE: _l("Food additive beyond its scope or limit"),
            cls.QUALITY_INDICATOR: _l("Quality indicator"),
        }

    @property
    def chinese(self) -> str:
        return hazards.CHINESE[self.value]


class RiskGrade(TitledEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @classmethod
    def __titles__(cls):
        return {m: m.value for m in cls}


class ComparisonMethod(TitledEnum):
    """GB/T 8170 §4.3: compare the full (unrounded) or the rounded value with the limit."""

    FULL = "full"
    ROUNDED = "rounded"

    @classmethod
    def __titles__(cls):
        return {cls.FULL: _l("Full value"), cls.ROUNDED: _l("Rounded value")}

    @property
    def is_rounded(self) -> bool:
        return self is ComparisonMethod.ROUNDED


class OilProcess(TitledEnum):
    """压榨/浸出: how an edible vegetable oil was made, as its label says.  GB 2716-2018 Table 2
    sets the solvent residue by it (浸出油 ≤20 mg/kg, 压榨油 不得检出)."""

    PRESSED = "pressed"
    SOLVENT = "solvent"

    @classmethod
    def __titles__(cls):
        return {cls.PRESSED: _l("Pressed (压榨)"), cls.SOLVENT: _l("Solvent-extracted (浸出)")}


class DecisionRule(TitledEnum):
    """ISO/IEC 17025 decision rule: simple acceptance or a guard band of U."""

    SIMPLE = "simple"
    GUARDED = "guarded"

    @classmethod
    def __titles__(cls):
        return {cls.SIMPLE: _l("Simple acceptance"), cls.GUARDED: _l("Guard band (U)")}


class SampleStatus(TitledEnum):
    """registered → received | rejected; received → concluded → reported; a retest withdraws
    the conclusion (concluded → received, reported → reopened → reported).  The transitions:
    ``labsys.core.lifecycle.SAMPLE``."""

    REGISTERED = "registered"
    RECEIVED = "received"
    REJECTED = "rejected"
    CONCLUDED = "concluded"
    REPORTED = "reported"
    REOPENED = "reopened"
    VOIDED = "voided"  # 作废

    @classmethod
    def __titles__(cls):
        return {
            cls.VOIDED: _l("Voided"),
            cls.REGISTERED: _l("Sampled, awaiting receipt"),
            cls.RECEIVED: _l("In testing"),
            cls.REJECTED: _l("Rejected by the lab"),
            cls.CONCLUDED: _l("Concluded"),
            cls.REPORTED: _l("Report issued"),
            cls.REOPENED: _l("Reported, conclusion withdrawn for a retest"),
        }

    @property
    def is_voided(self) -> bool:
        return self is SampleStatus.VOIDED

    @property
    def is_received(self) -> bool:
        """The lab has it (or refused it): changes need a reason and a second person."""
        return self is not SampleStatus.REGISTERED and self is not SampleStatus.VOIDED

    @property
    def is_reported(self) -> bool:
        return self in (SampleStatus.REPORTED, SampleStatus.REOPENED)


class Conclusion(TitledEnum):
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    INCONCLUSIVE = "inconclusive"
    NOT_JUDGED = "not_judged"

    @classmethod
    def __titles__(cls):
        return {
            cls.QUALIFIED: _l("Qualified"),
            cls.UNQUALIFIED: _l("Unqualified"),
            cls.INCONCLUSIVE: _l("Inconclusive"),
            cls.NOT_JUDGED: _l("Not judged"),
        }

    @property
    def is_qualified(self) -> bool:
        return self is Conclusion.QUALIFIED

    @property
    def is_unqualified(self) -> bool:
        return self is Conclusion.UNQUALIFIED


class ResultStatus(TitledEnum):
    """pending → entered → submitted → accepted | returned (→ entered ...);
    accepted → superseded (by a retest).  The transitions: ``labsys.core.lifecycle.RESULT``."""

    PENDING = "pending"
    ENTERED = "entered"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"

    @classmethod
    def __titles__(cls):
        return {
            cls.PENDING: _l("Awaiting result"),
            cls.ENTERED: _l("Entered"),
            cls.SUBMITTED: _l("Awaiting review"),
            cls.RETURNED: _l("Returned"),
            cls.ACCEPTED: _l("Accepted"),
            cls.SUPERSEDED: _l("Superseded"),
        }

    @property
    def is_returned(self) -> bool:
        return self is ResultStatus.RETURNED

    @property
    def is_accepted(self) -> bool:
        return self is ResultStatus.ACCEPTED

    @property
    def is_superseded(self) -> bool:
        return self is ResultStatus.SUPERSEDED


class VerdictValue(TitledEnum):
    """Mirror of ``labsys.core.judgement.Verdict`` for storage (the core stays DB-free)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_JUDGED = "not_judged"

    @classmethod
    def __titles__(cls):
        return {
            cls.PASS: _l("Pass"),
            cls.FAIL: _l("Fail"),
            cls.INCONCLUSIVE: _l("Inconclusive"),
            cls.NOT_JUDGED: _l("Not judged"),
        }


# --- The national sampling form's choices (国家食品安全抽样检验抽样单) -------------------------
# The lists follow the national sampling system's form as labs reproduce it *(verify against
# the current national template)*.


class SampleSource(TitledEnum):
    """样品来源."""

    PROCESSED = "processed"
    COMMISSIONED = "commissioned"
    PURCHASED = "purchased"
    SELF_MADE = "self_made"
    OTHER = "other"

    @classmethod
    def __titles__(cls):
        return {
            cls.PROCESSED: _l("Processed (加工)"),
            cls.COMMISSIONED: _l("Commissioned (委托生产)"),
            cls.PURCHASED: _l("Purchased (外购)"),
            cls.SELF_MADE: _l("Self-made (自制)"),
            cls.OTHER: _l("Other (其他)"),
        }


class SampleAttribute(TitledEnum):
    """样品属性."""

    ORDINARY = "ordinary"
    SPECIAL_DIET = "special_diet"
    SEASONAL = "seasonal"
    MAJOR_EVENT = "major_event"
    OTHER = "other"

    @classmethod
    def __titles__(cls):
        return {
            cls.ORDINARY: _l("Ordinary food (普通食品)"),
            cls.SPECIAL_DIET: _l("Special dietary food (特殊膳食食品)"),
            cls.SEASONAL: _l("Seasonal food (节令食品)"),
            cls.MAJOR_EVENT: _l("Major event supply (重大活动保障食品)"),
            cls.OTHER: _l("Other (其他)"),
        }


class PhysicalState(TitledEnum):
    """样品形态."""

    SOLID = "solid"
    SEMI_SOLID = "semi_solid"
    LIQUID = "liquid"
    GAS = "gas"

    @classmethod
    def __titles__(cls):
        return {
            cls.SOLID: _l("Solid (固态)"),
            cls.SEMI_SOLID: _l("Semi-solid (半固态)"),
            cls.LIQUID: _l("Liquid (液态)"),
            cls.GAS: _l("Gas (气态)"),
        }


class Packaging(TitledEnum):
    """包装分类."""

    BULK = "bulk"
    PREPACKAGED = "prepackaged"
    OTHER = "other"

    @classmethod
    def __titles__(cls):
        return {
            cls.BULK: _l("Bulk (散装)"),
            cls.PREPACKAGED: _l("Prepackaged (预包装)"),
            cls.OTHER: _l("Other (其他)"),
        }


class StorageCondition(TitledEnum):
    """储存条件; a sample may have several (冷藏 and 避光)."""

    AMBIENT = "ambient"
    REFRIGERATED = "refrigerated"
    FROZEN = "frozen"
    DARK = "dark"
    SEALED = "sealed"
    OTHER = "other"

    @classmethod
    def __titles__(cls):
        return {
            cls.AMBIENT: _l("Ambient (常温)"),
            cls.REFRIGERATED: _l("Refrigerated (冷藏)"),
            cls.FROZEN: _l("Frozen (冷冻)"),
            cls.DARK: _l("Away from light (避光)"),
            cls.SEALED: _l("Sealed (密闭)"),
            cls.OTHER: _l("Other (其他)"),
        }


class SamplingMethod(TitledEnum):
    """抽样方式."""

    ASEPTIC = "aseptic"
    NON_ASEPTIC = "non_aseptic"

    @classmethod
    def __titles__(cls):
        return {
            cls.ASEPTIC: _l("Aseptic (无菌抽样)"),
            cls.NON_ASEPTIC: _l("Non-aseptic (非无菌抽样)"),
        }
